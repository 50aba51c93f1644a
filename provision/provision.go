// Package provision is pvaudit's minimal provisioner: the desired state of
// the documented roles and boundary policies, built from a contract and the
// customer's parameters (Build); a pure plan that compares it with an
// account snapshot in canonical form (Diff, DestroyNode, Deregister); the
// execution of a plan through a write-only IAM interface declared here
// (Apply); and the same desired state as Terraform JSON or a CloudFormation
// template (RenderTerraform, RenderCloudFormation).
//
// Every resource it creates carries the tags in ManagedTags. A resource
// without them — or with them but under a name pvaudit does not create — is
// never modified or deleted: the plan shows it as left alone, or as a
// conflict when a desired resource needs its name.
package provision

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/pvaudit/pvaudit/policy"
)

// Tags that mark a resource as pvaudit's.
const (
	// TagManagedBy holds ManagedByValue on every resource apply creates.
	TagManagedBy = "pvaudit:managed-by"
	// ManagedByValue is the value of TagManagedBy for apply. Rendered
	// templates carry "terraform" or "cloudformation" instead, so that
	// apply never takes over what infrastructure-as-code manages.
	ManagedByValue = "pvaudit-provision"
	// TagComponent names what the resource is (see the Component values).
	TagComponent = "pvaudit:component"
	// TagNode names the compute node of a node resource.
	TagNode = "pvaudit:node"
	// TagComputeNode is the tag the contract recognises child roles by.
	TagComputeNode = "pennsieve:compute-node"
)

// Components: what each desired resource is.
const (
	CompCrossAccount    = "cross-account"
	CompBoundary        = "boundary"
	CompProcessorECS    = "processor-ecs"
	CompProcessorLambda = "processor-lambda"
	CompPARTask         = "par-task"
	CompPARExecution    = "par-execution"
)

// Doc is a policy document as apply sends it: JSON, exactly these bytes,
// and its parsed form for comparisons.
type Doc struct {
	JSON string
	doc  *policy.Document
}

// Document returns the parsed document.
func (d Doc) Document() *policy.Document { return d.doc }

// MarshalJSON writes the document itself (not a string holding it).
func (d Doc) MarshalJSON() ([]byte, error) { return []byte(d.JSON), nil }

// Role is a desired IAM role.
type Role struct {
	Name      string `json:"name"`
	Path      string `json:"path"`
	Component string `json:"component"`
	Node      string `json:"node,omitempty"`
	Trust     Doc    `json:"trust_policy"`
	// MaxSessionDuration in seconds.
	MaxSessionDuration int `json:"max_session_duration"`
	// Boundary is the permissions boundary's ARN ("" for none).
	Boundary string            `json:"permissions_boundary,omitempty"`
	Inline   []Inline          `json:"inline_policies,omitempty"`
	Attached []string          `json:"attached_policies,omitempty"`
	Tags     map[string]string `json:"tags"`
}

// Inline is an inline policy of a desired role.
type Inline struct {
	Name string `json:"name"`
	Doc  Doc    `json:"document"`
}

// Policy is a desired customer managed policy (a node's boundary).
type Policy struct {
	Name      string            `json:"name"`
	Path      string            `json:"path"`
	ARN       string            `json:"arn"`
	Component string            `json:"component"`
	Node      string            `json:"node,omitempty"`
	Doc       Doc               `json:"document"`
	Tags      map[string]string `json:"tags"`
}

// Desired is everything a contract and its parameters ask for in one
// account.
type Desired struct {
	Contract string   `json:"contract"`
	Account  string   `json:"account"`
	Policies []Policy `json:"policies"`
	Roles    []Role   `json:"roles"`
	// Network is the network and logging desired state the templates
	// render (nil: none; see Network). Plan and apply manage IAM only.
	Network *Network `json:"-"`
}

// ARN of a desired role.
func (d *Desired) roleARN(r *Role) string {
	return "arn:aws:iam::" + d.Account + ":role" + r.Path + r.Name
}

// Role returns the desired role of that name, or nil.
func (d *Desired) Role(name string) *Role {
	for i := range d.Roles {
		if d.Roles[i].Name == name {
			return &d.Roles[i]
		}
	}
	return nil
}

// Policy returns the desired policy of that name, or nil.
func (d *Desired) Policy(name string) *Policy {
	for i := range d.Policies {
		if d.Policies[i].Name == name {
			return &d.Policies[i]
		}
	}
	return nil
}

func (d *Desired) sort() {
	sort.Slice(d.Roles, func(i, j int) bool { return d.Roles[i].Name < d.Roles[j].Name })
	sort.Slice(d.Policies, func(i, j int) bool { return d.Policies[i].Name < d.Policies[j].Name })
	for i := range d.Roles {
		r := &d.Roles[i]
		sort.Slice(r.Inline, func(a, b int) bool { return r.Inline[a].Name < r.Inline[b].Name })
		sort.Strings(r.Attached)
	}
}

// ---- building documents -----------------------------------------------------

// stmt is one statement as pvaudit writes it; fields appear in IAM's
// customary order.
type stmt struct {
	Sid         string `json:"Sid,omitempty"`
	Effect      string `json:"Effect"`
	Principal   any    `json:"Principal,omitempty"`
	Action      any    `json:"Action,omitempty"`
	NotAction   any    `json:"NotAction,omitempty"`
	Resource    any    `json:"Resource,omitempty"`
	NotResource any    `json:"NotResource,omitempty"`
	Condition   cond   `json:"Condition,omitempty"`
}

// cond is a Condition element: operator → key → value(s).
type cond map[string]map[string]any

func allow(sid string, actions, resources any) stmt {
	return stmt{Sid: sid, Effect: "Allow", Action: one(actions), Resource: one(resources)}
}

func deny(sid string, actions, resources any) stmt {
	return stmt{Sid: sid, Effect: "Deny", Action: one(actions), Resource: one(resources)}
}

func (s stmt) when(op, key string, values any) stmt {
	if s.Condition == nil {
		s.Condition = cond{}
	}
	if s.Condition[op] == nil {
		s.Condition[op] = map[string]any{}
	}
	s.Condition[op][key] = one(values)
	return s
}

// one writes a one-element list as a bare string, as IAM's examples do.
func one(v any) any {
	if l, ok := v.([]string); ok && len(l) == 1 {
		return l[0]
	}
	return v
}

// document builds a policy document from statements and checks that
// pvaudit's own parser accepts it.
func document(stmts ...stmt) (Doc, error) {
	b, err := json.Marshal(struct {
		Version   string `json:"Version"`
		Statement []stmt `json:"Statement"`
	}{"2012-10-17", stmts})
	if err != nil {
		return Doc{}, fmt.Errorf("encode policy document: %w", err)
	}
	d, err := policy.Parse(b)
	if err != nil {
		return Doc{}, fmt.Errorf("policy document pvaudit wrote does not parse: %w", err)
	}
	return Doc{JSON: string(b), doc: d}, nil
}

// ParseDoc wraps an existing document (exact bytes) as a Doc.
func ParseDoc(s string) (Doc, error) {
	d, err := policy.ParseString(s)
	if err != nil {
		return Doc{}, err
	}
	return Doc{JSON: s, doc: d}, nil
}

// managedTags are the tags of a resource apply creates.
func managedTags(manager, component, node string) map[string]string {
	t := map[string]string{TagManagedBy: manager, TagComponent: component}
	if node != "" {
		t[TagNode] = node
	}
	return t
}
