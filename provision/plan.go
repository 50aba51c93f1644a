package provision

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pvaudit/pvaudit/classify"
	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/inventory"
)

// Action is what a plan does with one resource.
type Action string

// Actions.
const (
	ActCreate Action = "create"
	ActUpdate Action = "update"
	ActDelete Action = "delete"
	ActNoOp   Action = "no-op"
	// ActLeftAlone: the resource exists and pvaudit does not manage it;
	// nothing is done to it.
	ActLeftAlone Action = "left-alone"
	// ActConflict: a desired resource's name is taken by a resource pvaudit
	// does not manage. Apply refuses a plan with conflicts.
	ActConflict Action = "conflict"
	// ActBlocked: a managed resource should be deleted but is still used
	// by resources pvaudit does not manage; it is kept.
	ActBlocked Action = "blocked"
	// ActUnverified: the resource exists but whether pvaudit manages it is
	// unknown (a snapshot file has no managed-policy tags). Nothing is done.
	ActUnverified Action = "unverified"
)

// Change is the plan for one resource.
type Change struct {
	Type      string   `json:"type"` // "role" or "policy"
	Name      string   `json:"name"`
	ARN       string   `json:"arn"`
	Component string   `json:"component,omitempty"`
	Node      string   `json:"node,omitempty"`
	Action    Action   `json:"action"`
	Reason    string   `json:"reason,omitempty"`
	Details   []Detail `json:"details,omitempty"`
}

// Detail is one attribute of a resource that changes.
type Detail struct {
	Attribute string `json:"attribute"` // trust_policy, inline_policy/NAME, document, tags, …
	Action    Action `json:"action"`    // create, update or delete
	Before    string `json:"before,omitempty"`
	After     string `json:"after,omitempty"`
	// Diff compares documents in canonical form, line by line ("- ",
	// "+ ", "  "): cosmetic differences never show.
	Diff []string `json:"diff,omitempty"`
}

// Step is one IAM call of a plan, in execution order.
type Step struct {
	Seq                int               `json:"seq"`
	Op                 string            `json:"op"` // the IAM API operation
	Role               string            `json:"role,omitempty"`
	PolicyARN          string            `json:"policy_arn,omitempty"`
	PolicyName         string            `json:"policy_name,omitempty"`
	Path               string            `json:"path,omitempty"`
	Document           string            `json:"document,omitempty"`
	Boundary           string            `json:"permissions_boundary,omitempty"`
	MaxSessionDuration int               `json:"max_session_duration,omitempty"`
	Tags               map[string]string `json:"tags,omitempty"`
	TagKeys            []string          `json:"tag_keys,omitempty"`
	VersionID          string            `json:"version_id,omitempty"`
	InstanceProfile    string            `json:"instance_profile,omitempty"`
	// Needs are entities ("role/NAME", "policy/ARN") this call refers to;
	// Creates is the entity it creates. Apply retries a call that finds an
	// entity created earlier in the same run not yet visible.
	Needs   []string `json:"-"`
	Creates string   `json:"-"`
	phase   int
}

// Target names what a step acts on, for people.
func (s Step) Target() string {
	var parts []string
	switch {
	case s.Role != "":
		parts = append(parts, "role/"+s.Role)
	case s.PolicyARN != "":
		parts = append(parts, "policy/"+s.PolicyARN[strings.LastIndex(s.PolicyARN, "/")+1:])
	case s.PolicyName != "":
		parts = append(parts, "policy/"+s.PolicyName)
	}
	switch {
	case s.Op == "PutRolePolicy" || s.Op == "DeleteRolePolicy":
		parts = append(parts, "inline "+s.PolicyName)
	case s.Op == "AttachRolePolicy" || s.Op == "DetachRolePolicy":
		parts = append(parts, s.PolicyARN)
	case s.VersionID != "":
		parts = append(parts, s.VersionID)
	case s.InstanceProfile != "":
		parts = append(parts, "instance-profile/"+s.InstanceProfile)
	case s.Op == "PutRolePermissionsBoundary" || (s.Op == "CreateRole" && s.Boundary != ""):
		parts = append(parts, "boundary "+s.Boundary[strings.LastIndex(s.Boundary, "/")+1:])
	case len(s.TagKeys) > 0:
		parts = append(parts, strings.Join(s.TagKeys, ","))
	}
	return strings.Join(parts, " ")
}

// Leftover is a provider resource that stays in the account.
type Leftover struct {
	Kind    string `json:"kind"` // cross-account-role, child-role, boundary-policy, legacy-role
	Name    string `json:"name"`
	ARN     string `json:"arn"`
	Node    string `json:"node,omitempty"`
	Managed bool   `json:"managed"`
}

// Plan is what an operation would do, resource by resource, and the calls
// in the order they run.
type Plan struct {
	Operation string   `json:"operation"` // plan, destroy, deregister
	Contract  string   `json:"contract"`
	Account   string   `json:"account"`
	Changes   []Change `json:"changes"`
	Steps     []Step   `json:"steps"`
	Notes     []string `json:"notes,omitempty"`
	// Incomplete says why the plan could not be decided from complete
	// information. Apply refuses an incomplete plan.
	Incomplete []string `json:"incomplete,omitempty"`
	// Refused says why the operation will not run (deregister while nodes
	// remain, without --force).
	Refused string `json:"refused,omitempty"`
}

// Counts are the changes of a plan by action.
type Counts struct {
	Create, Update, Delete, NoOp, LeftAlone, Conflict, Blocked, Unverified int
}

// Counts counts the plan's changes.
func (p *Plan) Counts() Counts {
	var c Counts
	for _, ch := range p.Changes {
		switch ch.Action {
		case ActCreate:
			c.Create++
		case ActUpdate:
			c.Update++
		case ActDelete:
			c.Delete++
		case ActNoOp:
			c.NoOp++
		case ActLeftAlone:
			c.LeftAlone++
		case ActConflict:
			c.Conflict++
		case ActBlocked:
			c.Blocked++
		case ActUnverified:
			c.Unverified++
		}
	}
	return c
}

// Blockers lists why apply must not run this plan: incomplete information,
// conflicts, a refusal.
func (p *Plan) Blockers() []string {
	out := append([]string(nil), p.Incomplete...)
	if p.Refused != "" {
		out = append(out, p.Refused)
	}
	for _, ch := range p.Changes {
		if ch.Action == ActConflict {
			out = append(out, fmt.Sprintf("conflict: %s %s: %s", ch.Type, ch.Name, ch.Reason))
		}
	}
	return out
}

func (p *Plan) finish() {
	sort.SliceStable(p.Changes, func(i, j int) bool {
		if p.Changes[i].Type != p.Changes[j].Type {
			return p.Changes[i].Type < p.Changes[j].Type
		}
		return p.Changes[i].Name < p.Changes[j].Name
	})
	sort.SliceStable(p.Steps, func(i, j int) bool { return p.Steps[i].phase < p.Steps[j].phase })
	for i := range p.Steps {
		p.Steps[i].Seq = i + 1
	}
	if p.Changes == nil {
		p.Changes = []Change{}
	}
	if p.Steps == nil {
		p.Steps = []Step{}
	}
	sort.Strings(p.Notes)
}

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
