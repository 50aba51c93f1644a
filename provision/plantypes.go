package provision

import (
	"fmt"
	"sort"
	"strings"
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
