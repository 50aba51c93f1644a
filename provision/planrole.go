package provision

import (
	"fmt"
	"strings"

	"github.com/pvaudit/pvaudit/inventory"
)

func (p *Plan) diffRole(d *Desired, dr *Role, st *State) {
	arn := d.roleARN(dr)
	ch := Change{Type: "role", Name: dr.Name, ARN: arn, Component: dr.Component, Node: dr.Node}
	ex := st.Snapshot.Role(dr.Name)
	key := "role/" + dr.Name
	if ex == nil {
		ch.Action = ActCreate
		ch.Details = append(ch.Details, Detail{Attribute: "trust_policy", Action: ActCreate, After: canonical(dr.Trust.Document())})
		create := Step{Op: "CreateRole", Role: dr.Name, Path: dr.Path, Document: dr.Trust.JSON, MaxSessionDuration: dr.MaxSessionDuration,
			Boundary: dr.Boundary, Tags: dr.Tags, Creates: key}
		if dr.Boundary != "" {
			create.Needs = []string{"policy/" + dr.Boundary}
			ch.Details = append(ch.Details, Detail{Attribute: "permissions_boundary", Action: ActCreate, After: dr.Boundary})
		}
		p.add(phaseRoleCreate, create)
		for _, in := range dr.Inline {
			ch.Details = append(ch.Details, Detail{Attribute: "inline_policy/" + in.Name, Action: ActCreate, After: canonical(in.Doc.Document())})
			p.add(phaseRoleCreate, Step{Op: "PutRolePolicy", Role: dr.Name, PolicyName: in.Name, Document: in.Doc.JSON, Needs: []string{key}})
		}
		for _, a := range dr.Attached {
			ch.Details = append(ch.Details, Detail{Attribute: "attached_policy", Action: ActCreate, After: a})
			p.add(phaseRoleCreate, Step{Op: "AttachRolePolicy", Role: dr.Name, PolicyARN: a, Needs: []string{key}})
		}
		p.Changes = append(p.Changes, ch)
		return
	}
	ch.ARN = ex.ARN
	if st.roleOwner(ex) != ours {
		ch.Action, ch.Reason = ActConflict, conflictReason("role")
		p.Changes = append(p.Changes, ch)
		return
	}
	if ex.Path != dr.Path {
		ch.Action, ch.Reason = ActConflict, fmt.Sprintf("it exists under path %s; pvaudit creates it under %s (delete it to let pvaudit re-create it)", ex.Path, dr.Path)
		p.Changes = append(p.Changes, ch)
		return
	}
	var steps []Step
	role := func(s Step) Step { s.Role = dr.Name; return s }
	tagSteps, det := tagDiff(ex.Tags, dr.Tags, role, "TagRole", "UntagRole")
	steps = append(steps, tagSteps...)
	ch.Details = append(ch.Details, det...)
	if ex.TrustPolicy == nil {
		p.addIncomplete("the snapshot has no trust policy for " + ex.ARN)
	} else if a, b := canonical(ex.TrustPolicy), canonical(dr.Trust.Document()); a != b {
		ch.Details = append(ch.Details, Detail{Attribute: "trust_policy", Action: ActUpdate, Diff: lineDiff(a, b, 3)})
		steps = append(steps, role(Step{Op: "UpdateAssumeRolePolicy", Document: dr.Trust.JSON}))
	}
	switch {
	case ex.MaxSessionDuration == 0:
		p.addIncomplete("the input does not say the MaxSessionDuration of " + ex.ARN + " (an AWS CLI export lacks it)")
	case ex.MaxSessionDuration != dr.MaxSessionDuration:
		ch.Details = append(ch.Details, Detail{Attribute: "max_session_duration", Action: ActUpdate,
			Before: fmt.Sprint(ex.MaxSessionDuration), After: fmt.Sprint(dr.MaxSessionDuration)})
		steps = append(steps, role(Step{Op: "UpdateRole", MaxSessionDuration: dr.MaxSessionDuration}))
	}
	have := ""
	if ex.PermissionsBoundary != nil {
		have = ex.PermissionsBoundary.ARN
	}
	switch {
	case have == dr.Boundary:
	case dr.Boundary != "":
		ch.Details = append(ch.Details, Detail{Attribute: "permissions_boundary", Action: ActUpdate, Before: have, After: dr.Boundary})
		steps = append(steps, role(Step{Op: "PutRolePermissionsBoundary", Boundary: dr.Boundary, Needs: []string{"policy/" + dr.Boundary}}))
	default:
		ch.Details = append(ch.Details, Detail{Attribute: "permissions_boundary", Action: ActDelete, Before: have})
		steps = append(steps, role(Step{Op: "DeleteRolePermissionsBoundary"}))
	}
	existing := map[string]*inventory.InlinePolicy{}
	for i := range ex.InlinePolicies {
		existing[ex.InlinePolicies[i].Name] = &ex.InlinePolicies[i]
	}
	for _, in := range dr.Inline {
		cur, ok := existing[in.Name]
		want := canonical(in.Doc.Document())
		switch {
		case !ok:
			ch.Details = append(ch.Details, Detail{Attribute: "inline_policy/" + in.Name, Action: ActCreate, After: want})
		case canonical(cur.Document) != want:
			ch.Details = append(ch.Details, Detail{Attribute: "inline_policy/" + in.Name, Action: ActUpdate, Diff: lineDiff(canonical(cur.Document), want, 3)})
		default:
			continue
		}
		steps = append(steps, role(Step{Op: "PutRolePolicy", PolicyName: in.Name, Document: in.Doc.JSON}))
	}
	for _, cur := range ex.InlinePolicies {
		if !hasInline(dr.Inline, cur.Name) {
			ch.Details = append(ch.Details, Detail{Attribute: "inline_policy/" + cur.Name, Action: ActDelete, Before: canonical(cur.Document)})
			steps = append(steps, role(Step{Op: "DeleteRolePolicy", PolicyName: cur.Name}))
		}
	}
	for _, a := range dr.Attached {
		if !hasAttached(ex.AttachedPolicies, a) {
			ch.Details = append(ch.Details, Detail{Attribute: "attached_policy", Action: ActCreate, After: a})
			steps = append(steps, role(Step{Op: "AttachRolePolicy", PolicyARN: a}))
		}
	}
	for _, a := range ex.AttachedPolicies {
		if !contains(dr.Attached, a.ARN) {
			ch.Details = append(ch.Details, Detail{Attribute: "attached_policy", Action: ActDelete, Before: a.ARN})
			steps = append(steps, role(Step{Op: "DetachRolePolicy", PolicyARN: a.ARN}))
		}
	}
	if len(ex.InstanceProfiles) > 0 {
		p.Notes = append(p.Notes, fmt.Sprintf("role %s is in instance profile(s) %s, which pvaudit did not create: left as they are", ex.Name, strings.Join(ex.InstanceProfiles, ", ")))
	}
	if len(ch.Details) == 0 {
		ch.Action = ActNoOp
	} else {
		ch.Action = ActUpdate
	}
	for _, s := range steps {
		p.add(phaseRoleUpdate, s)
	}
	p.Changes = append(p.Changes, ch)
}

func hasInline(l []Inline, name string) bool {
	for _, in := range l {
		if in.Name == name {
			return true
		}
	}
	return false
}

func hasAttached(l []inventory.AttachedPolicy, arn string) bool {
	for _, a := range l {
		if a.ARN == arn {
			return true
		}
	}
	return false
}

func contains(l []string, s string) bool {
	for _, v := range l {
		if v == s {
			return true
		}
	}
	return false
}

// deleteRole plans the removal of a managed role: out of its instance
// profiles, inline policies deleted and managed ones detached first.
func (p *Plan) deleteRole(r *inventory.Role) {
	ch := Change{Type: "role", Name: r.Name, ARN: r.ARN, Component: r.Tags[TagComponent], Node: r.Tags[TagNode], Action: ActDelete}
	for _, ip := range r.InstanceProfiles {
		p.add(phaseRoleDelete, Step{Op: "RemoveRoleFromInstanceProfile", Role: r.Name, InstanceProfile: ip})
	}
	for _, in := range r.InlinePolicies {
		ch.Details = append(ch.Details, Detail{Attribute: "inline_policy/" + in.Name, Action: ActDelete})
		p.add(phaseRoleDelete, Step{Op: "DeleteRolePolicy", Role: r.Name, PolicyName: in.Name})
	}
	for _, a := range r.AttachedPolicies {
		ch.Details = append(ch.Details, Detail{Attribute: "attached_policy", Action: ActDelete, Before: a.ARN})
		p.add(phaseRoleDelete, Step{Op: "DetachRolePolicy", Role: r.Name, PolicyARN: a.ARN})
	}
	p.add(phaseRoleDelete, Step{Op: "DeleteRole", Role: r.Name})
	p.Changes = append(p.Changes, ch)
}

// deletePolicy plans the removal of a managed policy, unless a role that
// stays still uses it (deleted: the roles this plan deletes).
func (p *Plan) deletePolicy(st *State, mp *inventory.ManagedPolicy, tags map[string]string, deleted map[string]bool) {
	ch := Change{Type: "policy", Name: mp.Name, ARN: mp.ARN, Component: tags[TagComponent], Node: tags[TagNode], Action: ActDelete}
	var users []string
	for _, r := range st.Snapshot.Roles {
		if deleted[r.ARN] {
			continue
		}
		if (r.PermissionsBoundary != nil && r.PermissionsBoundary.ARN == mp.ARN) || hasAttached(r.AttachedPolicies, mp.ARN) {
			users = append(users, r.Name)
		}
	}
	if len(users) > 0 {
		ch.Action = ActBlocked
		ch.Reason = "still the boundary or a policy of " + strings.Join(users, ", ") + ", which this plan keeps: left in place"
		p.Changes = append(p.Changes, ch)
		return
	}
	for _, v := range mp.Versions {
		if !v.IsDefault && v.VersionID != mp.DefaultVersionID {
			p.add(phasePolicyDelete, Step{Op: "DeletePolicyVersion", PolicyARN: mp.ARN, VersionID: v.VersionID})
		}
	}
	p.add(phasePolicyDelete, Step{Op: "DeletePolicy", PolicyARN: mp.ARN})
	p.Changes = append(p.Changes, ch)
}
