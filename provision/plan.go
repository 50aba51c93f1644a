package provision

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pvaudit/pvaudit/classify"
	"github.com/pvaudit/pvaudit/contract"
)

// Phases: policies before the roles that use them as boundary, roles
// before their policies, deletions of roles before the policies they use.
const (
	phasePolicy = iota + 1
	phaseRoleCreate
	phaseRoleUpdate
	phaseRoleDelete
	phasePolicyDelete
)

func newPlan(op string, c *contract.Contract, st *State) *Plan {
	p := &Plan{Operation: op, Contract: c.Name, Account: st.Snapshot.AccountID}
	for _, g := range st.Snapshot.Gaps {
		p.Incomplete = append(p.Incomplete, fmt.Sprintf("the account could not be read completely: %s %s: %s", g.Operation, g.Resource, g.Message))
	}
	return p
}

// Diff plans the way from the account's state to the desired state: every
// desired resource is created, updated or left as it is; every resource
// pvaudit manages (tagged and named as pvaudit names it) of the same
// contract kind that is no longer desired is deleted; resources pvaudit
// does not manage are never touched.
func Diff(d *Desired, st *State, c *contract.Contract) *Plan {
	p := newPlan("plan", c, st)
	if st.Snapshot.AccountID != "" && d.Account != st.Snapshot.AccountID {
		p.Incomplete = append(p.Incomplete, fmt.Sprintf("the desired state is for account %s, the snapshot is of %s", d.Account, st.Snapshot.AccountID))
	}
	for i := range d.Policies {
		p.diffPolicy(&d.Policies[i], st)
	}
	for i := range d.Roles {
		p.diffRole(d, &d.Roles[i], st)
	}
	deleted := map[string]bool{}
	fam := family(c)
	for i := range st.Snapshot.Roles {
		r := &st.Snapshot.Roles[i]
		if d.Role(r.Name) != nil || st.roleOwner(r) != ours || !fam[r.Tags[TagComponent]] {
			continue
		}
		if !recognised(c, r.Tags, r.Name) {
			p.leftAlone("role", r.Name, r.ARN, r.Tags[TagNode], "tagged as pvaudit's but not a name pvaudit gives a "+r.Tags[TagComponent]+": left alone")
			continue
		}
		p.deleteRole(r)
		deleted[r.ARN] = true
	}
	for i := range st.Snapshot.Policies {
		mp := &st.Snapshot.Policies[i]
		if mp.AWSManaged() || d.Policy(mp.Name) != nil || st.policyOwner(mp) != ours {
			continue
		}
		tags := st.policyTags(mp)
		if !fam[tags[TagComponent]] {
			continue
		}
		if !recognised(c, tags, mp.Name) {
			p.leftAlone("policy", mp.Name, mp.ARN, tags[TagNode], "tagged as pvaudit's but not a name pvaudit gives a "+tags[TagComponent]+": left alone")
			continue
		}
		p.deletePolicy(st, mp, tags, deleted)
	}
	p.unmanagedRelated(d, st, c, "")
	p.noteSecondDoor(d)
	p.finish()
	return p
}

// noteSecondDoor warns when the plan creates a cross-account role while
// another one, which pvaudit does not manage, stays: two doors.
func (p *Plan) noteSecondDoor(d *Desired) {
	creating := ""
	for _, ch := range p.Changes {
		if ch.Component == CompCrossAccount && ch.Action == ActCreate {
			creating = ch.Name
		}
	}
	if creating == "" {
		return
	}
	for _, ch := range p.Changes {
		if ch.Action == ActLeftAlone && ch.Type == "role" && strings.Contains(ch.Reason, "("+string(classify.CrossAccount)+")") {
			p.Notes = append(p.Notes, fmt.Sprintf("apply creates the cross-account role %s while %s, which pvaudit does not manage, stays: the provider would have two roles; delete the old one, or give its ID with --role-id and tag it %s=%s to let pvaudit manage it", creating, ch.Name, TagManagedBy, ManagedByValue))
		}
	}
}

func (p *Plan) leftAlone(typ, name, arn, node, reason string) {
	p.Changes = append(p.Changes, Change{Type: typ, Name: name, ARN: arn, Node: node, Action: ActLeftAlone, Reason: reason})
}

// unmanagedRelated lists the contract's resources pvaudit does not manage
// (other cross-account roles, child roles, boundary policies, PAR roles):
// left alone, and said so. node limits it to one node ("" for all).
func (p *Plan) unmanagedRelated(d *Desired, st *State, c *contract.Contract, node string) {
	listed := map[string]bool{}
	for _, ch := range p.Changes {
		listed[ch.ARN] = true
	}
	cl := classify.Classify(st.Snapshot, c, classify.Options{})
	for _, rc := range cl.Roles {
		r := rc.Role
		if listed[r.ARN] || st.roleOwner(r) == ours || (d != nil && d.Role(r.Name) != nil) {
			continue
		}
		switch rc.Kind {
		case classify.CrossAccount, classify.PARTask, classify.PARExecution:
			if node != "" {
				continue
			}
		case classify.Child, classify.Processor:
			if node != "" && rc.NodeID != node {
				continue
			}
		default:
			continue
		}
		p.leftAlone("role", r.Name, r.ARN, rc.NodeID, fmt.Sprintf("exists, not managed by pvaudit (%s): left alone", rc.Kind))
	}
	for i := range st.Snapshot.Policies {
		mp := &st.Snapshot.Policies[i]
		id, ok := c.BoundaryNodeID(mp.Name)
		if mp.AWSManaged() || !ok || listed[mp.ARN] || (d != nil && d.Policy(mp.Name) != nil) || (node != "" && id != node) {
			continue
		}
		switch st.policyOwner(mp) {
		case notOurs:
			p.leftAlone("policy", mp.Name, mp.ARN, id, "exists, not managed by pvaudit (boundary policy): left alone")
		case unknownOwner:
			p.Changes = append(p.Changes, Change{Type: "policy", Name: mp.Name, ARN: mp.ARN, Node: id, Action: ActUnverified,
				Reason: "exists; whether pvaudit manages it is unknown (no policy tags in the input): left alone"})
		}
	}
}

func (p *Plan) add(phase int, s Step) {
	s.phase = phase
	p.Steps = append(p.Steps, s)
}

func conflictReason(kind string) string {
	return "the name is taken by a " + kind + " pvaudit does not manage: left alone (delete or rename it, or tag it " +
		TagManagedBy + "=" + ManagedByValue + " to let pvaudit manage it)"
}

const unverifiedNote = "whether pvaudit manages existing managed policies is unknown: a snapshot file carries no policy tags; plan against the account (without --from)"

func (p *Plan) diffPolicy(dp *Policy, st *State) {
	ch := Change{Type: "policy", Name: dp.Name, ARN: dp.ARN, Component: dp.Component, Node: dp.Node}
	ex := st.customerPolicy(dp.Name)
	if ex == nil {
		ch.Action = ActCreate
		ch.Details = []Detail{{Attribute: "document", Action: ActCreate, After: canonical(dp.Doc.Document())}}
		p.add(phasePolicy, Step{Op: "CreatePolicy", PolicyName: dp.Name, Path: dp.Path, Document: dp.Doc.JSON, Tags: dp.Tags, Creates: "policy/" + dp.ARN})
		p.Changes = append(p.Changes, ch)
		return
	}
	ch.ARN = ex.ARN
	own := st.policyOwner(ex)
	if own == notOurs {
		ch.Action, ch.Reason = ActConflict, conflictReason("managed policy")
		p.Changes = append(p.Changes, ch)
		return
	}
	if ex.Path != dp.Path {
		ch.Action, ch.Reason = ActConflict, fmt.Sprintf("it exists under path %s; pvaudit creates it under %s (delete it to let pvaudit re-create it)", ex.Path, dp.Path)
		p.Changes = append(p.Changes, ch)
		return
	}
	var steps []Step
	def := ex.DefaultDocument()
	if def == nil {
		p.Incomplete = append(p.Incomplete, "the snapshot lacks the default version's document of "+ex.ARN)
	}
	var others []string
	for _, v := range ex.Versions {
		if v.VersionID != ex.DefaultVersionID && !v.IsDefault {
			others = append(others, v.VersionID)
		}
	}
	if def != nil && canonical(def) != canonical(dp.Doc.Document()) {
		ch.Details = append(ch.Details, Detail{Attribute: "document", Action: ActUpdate, Before: ex.DefaultVersionID,
			Diff: lineDiff(canonical(def), canonical(dp.Doc.Document()), 3)})
		for _, v := range others {
			steps = append(steps, Step{Op: "DeletePolicyVersion", PolicyARN: ex.ARN, VersionID: v})
		}
		steps = append(steps, Step{Op: "CreatePolicyVersion", PolicyARN: ex.ARN, Document: dp.Doc.JSON},
			Step{Op: "DeletePolicyVersion", PolicyARN: ex.ARN, VersionID: ex.DefaultVersionID})
	} else if len(others) > 0 {
		// A stored version other than the default is one
		// SetDefaultPolicyVersion away from being the boundary.
		ch.Details = append(ch.Details, Detail{Attribute: "versions", Action: ActDelete, Before: strings.Join(others, ", ")})
		for _, v := range others {
			steps = append(steps, Step{Op: "DeletePolicyVersion", PolicyARN: ex.ARN, VersionID: v})
		}
	}
	if own == ours {
		tagSteps, det := tagDiff(st.policyTags(ex), dp.Tags, func(s Step) Step { s.PolicyARN = ex.ARN; return s }, "TagPolicy", "UntagPolicy")
		steps = append(steps, tagSteps...)
		ch.Details = append(ch.Details, det...)
	}
	switch {
	case own == unknownOwner:
		ch.Action, ch.Reason = ActUnverified, "exists; whether pvaudit manages it is unknown (no policy tags in the input): nothing is done"
		p.addIncomplete(unverifiedNote)
		steps = nil
	case len(ch.Details) == 0:
		ch.Action = ActNoOp
	default:
		ch.Action = ActUpdate
	}
	for _, s := range steps {
		p.add(phasePolicy, s)
	}
	p.Changes = append(p.Changes, ch)
}

func (p *Plan) addIncomplete(msg string) {
	for _, m := range p.Incomplete {
		if m == msg {
			return
		}
	}
	p.Incomplete = append(p.Incomplete, msg)
}

// tagDiff compares a managed resource's tags with the desired set: the
// whole set is pvaudit's.
func tagDiff(have, want map[string]string, target func(Step) Step, tagOp, untagOp string) ([]Step, []Detail) {
	set := map[string]string{}
	var extra []string
	for k, v := range want {
		if hv, ok := have[k]; !ok || hv != v {
			set[k] = v
		}
	}
	for k := range have {
		if _, ok := want[k]; !ok {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	if len(set) == 0 && len(extra) == 0 {
		return nil, nil
	}
	var steps []Step
	if len(set) > 0 {
		steps = append(steps, target(Step{Op: tagOp, Tags: set}))
	}
	if len(extra) > 0 {
		steps = append(steps, target(Step{Op: untagOp, TagKeys: extra}))
	}
	return steps, []Detail{{Attribute: "tags", Action: ActUpdate, Before: tagString(have), After: tagString(want)}}
}

func tagString(t map[string]string) string {
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k + "=" + t[k])
	}
	return b.String()
}
