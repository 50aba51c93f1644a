// Package classify decides what every role of a snapshot is to a contract:
// the cross-account role, a child role created for a compute node (and
// whether it runs customer code), a PAR task or execution role, a legacy
// provider role, or another role — with the reasons for each. Checks,
// probes, drift and the provisioner all read the same classification.
package classify

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/inventory"
)

// Kind is what a role is to the contract.
type Kind string

// Role kinds.
const (
	CrossAccount Kind = "cross-account"
	// Child is a role the provider created for a compute node.
	Child Kind = "child"
	// Processor is a child role that runs customer code (ECS container or
	// Lambda function); every child-role rule applies to it too.
	Processor    Kind = "processor"
	PARTask      Kind = "par-task"
	PARExecution Kind = "par-execution"
	// Legacy is a role of an older provider integration (ROLE-<account>).
	Legacy Kind = "legacy"
	Other  Kind = "other"
)

// IsChild reports whether roles of this kind were created for a compute
// node (processors included).
func (k Kind) IsChild() bool { return k == Child || k == Processor }

// Provider reports whether the contract's promises cover roles of this kind
// as the provider's own: the cross-account role and the child roles. PAR,
// legacy and other roles are the customer's (or outside every promise).
func (k Kind) Provider() bool { return k == CrossAccount || k.IsChild() }

// Kinds lists every kind, in the order reports show them.
func Kinds() []Kind {
	return []Kind{CrossAccount, Child, Processor, PARTask, PARExecution, Legacy, Other}
}

// Role is a role with its kind and the reasons for it.
type Role struct {
	Role    *inventory.Role
	Kind    Kind
	Reasons []string
	NodeID  string // compute node the role belongs to, when known
}

// Result is the classification of one snapshot.
type Result struct {
	// Roles holds every role of the snapshot, sorted by name.
	Roles []Role
	// NodeIDs are the compute node identifiers known to the scan, sorted:
	// the node part of every boundary policy in the account or referenced
	// by a role, plus the contract's node_ids parameter.
	NodeIDs []string
}

// Of returns the roles of the given kinds.
func (r *Result) Of(kinds ...Kind) []Role {
	var out []Role
	for _, rc := range r.Roles {
		for _, k := range kinds {
			if rc.Kind == k {
				out = append(out, rc)
				break
			}
		}
	}
	return out
}

// Children returns the child roles, processors included.
func (r *Result) Children() []Role { return r.Of(Child, Processor) }

// Find returns the classification of the role with this name.
func (r *Result) Find(name string) (Role, bool) {
	i := sort.Search(len(r.Roles), func(i int) bool { return r.Roles[i].Role.Name >= name })
	if i < len(r.Roles) && r.Roles[i].Role.Name == name {
		return r.Roles[i], true
	}
	return Role{}, false
}

// Options are what a scan knows beyond the snapshot.
type Options struct {
	// ProviderCreated names roles CloudTrail shows the provider created
	// (role name → evidence: session and time). They are child roles
	// whatever their name, path or boundary: the contract's promise is about
	// every role the provider creates.
	ProviderCreated map[string]string
}

// Classify decides for every role what it is, and why. The rules come from
// the contract: the cross-account role's name pattern, the child_roles
// section (every rule that matches is reported), processor_roles, the PAR
// role names and the legacy role patterns.
func Classify(snap *inventory.Snapshot, c *contract.Contract, o Options) *Result {
	res := &Result{NodeIDs: NodeIDs(snap, c)}
	var legacy []legacyRule
	if pats := c.Account.LegacyRolePatterns; len(pats) > 0 {
		if res, err := c.Account.LegacyRoleRE(accountOf(snap)); err == nil {
			for i, re := range res {
				legacy = append(legacy, legacyRule{pattern: pats[i], match: re.MatchString})
			}
		}
	}
	rules := c.ChildRoles
	// Lower-cased once: every role name is searched for every node ID.
	lowerIDs := make([]string, len(res.NodeIDs))
	for i, id := range res.NodeIDs {
		lowerIDs[i] = strings.ToLower(id)
	}
	res.Roles = make([]Role, 0, len(snap.Roles))
	for i := range snap.Roles {
		r := &snap.Roles[i]
		rc := Role{Role: r, Kind: Other}
		excluded := false
		for _, p := range rules.ExcludePathPrefixes {
			if strings.HasPrefix(r.Path, p) {
				rc.Reasons = append(rc.Reasons, fmt.Sprintf("path %s is excluded (%s)", r.Path, p))
				excluded = true
			}
		}
		evidence, created := o.ProviderCreated[r.Name]
		switch {
		case excluded && !created:
		case c.IsCrossAccountRole(r.Name):
			rc.Kind = CrossAccount
			rc.Reasons = append(rc.Reasons, fmt.Sprintf("name matches %s", c.CrossAccountRole.NamePattern))
		default:
			var reasons []string
			reasons, rc.NodeID = childReasons(r, c, res.NodeIDs, lowerIDs)
			if created {
				reasons = append(reasons, "created by the provider: "+evidence)
			}
			rc.Reasons = append(rc.Reasons, reasons...)
			switch {
			case len(reasons) > 0:
				rc.Kind = Child
				if isProcessor(c, r.Name) {
					rc.Kind = Processor
					rc.Reasons = append(rc.Reasons, "runs customer code (processor role name)")
				}
			case c.PAR != nil && c.PAR.TaskRole.Matches(r.Name):
				rc.Kind = PARTask
				rc.Reasons = append(rc.Reasons, "name matches PAR task role "+strings.Join(c.PAR.TaskRole.NamePatterns, ", "))
			case c.PAR != nil && c.PAR.ExecutionRole.Matches(r.Name):
				rc.Kind = PARExecution
				rc.Reasons = append(rc.Reasons, "name matches PAR execution role "+strings.Join(c.PAR.ExecutionRole.NamePatterns, ", "))
			default:
				for _, l := range legacy {
					if l.match(r.Name) {
						rc.Kind = Legacy
						rc.Reasons = append(rc.Reasons, "name matches legacy role pattern "+l.pattern)
						break
					}
				}
			}
		}
		res.Roles = append(res.Roles, rc)
	}
	sort.Slice(res.Roles, func(i, j int) bool { return res.Roles[i].Role.Name < res.Roles[j].Role.Name })
	return res
}

type legacyRule struct {
	pattern string
	match   func(string) bool
}

// isProcessor recognises the child roles that run customer code: by the
// contract's processor_roles patterns, or, when it has none, by a name
// that says "processor".
func isProcessor(c *contract.Contract, name string) bool {
	if len(c.ProcessorRoles.NamePatterns) > 0 {
		return c.ProcessorRoles.IsProcessor(name)
	}
	return strings.Contains(strings.ToLower(name), "processor")
}

// accountOf is the scanned account: the snapshot's, else the account of
// its first role.
func accountOf(snap *inventory.Snapshot) string {
	if snap.AccountID != "" {
		return snap.AccountID
	}
	for i := range snap.Roles {
		if a := inventory.AccountFromARN(snap.Roles[i].ARN); a != "" {
			return a
		}
	}
	return ""
}

// PolicyName returns the name part of a policy ARN
// (arn:aws:iam::123:policy/path/name → name).
func PolicyName(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

// NodeIDs returns the compute node identifiers the account reveals — the
// node part of every boundary policy in the account and of every boundary a
// role references — plus the contract's node_ids parameter, sorted.
func NodeIDs(snap *inventory.Snapshot, c *contract.Contract) []string {
	set := map[string]bool{}
	for i := range snap.Policies {
		if id, ok := c.BoundaryNodeID(snap.Policies[i].Name); ok && !snap.Policies[i].AWSManaged() {
			set[id] = true
		}
	}
	for _, r := range snap.Roles {
		if r.PermissionsBoundary != nil {
			if id, ok := c.BoundaryNodeID(PolicyName(r.PermissionsBoundary.ARN)); ok {
				set[id] = true
			}
		}
	}
	for _, id := range c.Parameters.NodeIDs {
		set[id] = true
	}
	out := make([]string, 0, len(set))
	for id := range set {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// childReasons says why a role is a child role; lowerIDs are nodeIDs
// lower-cased.
func childReasons(r *inventory.Role, c *contract.Contract, nodeIDs, lowerIDs []string) (reasons []string, node string) {
	rules := c.ChildRoles
	if rules.ByBoundary && r.PermissionsBoundary != nil {
		if id, ok := c.BoundaryNodeID(PolicyName(r.PermissionsBoundary.ARN)); ok {
			reasons = append(reasons, fmt.Sprintf("carries boundary %s", PolicyName(r.PermissionsBoundary.ARN)))
			node = id
		}
	}
	if rules.ByNodeID {
		lower := strings.ToLower(r.Name)
		for i, id := range nodeIDs {
			if strings.Contains(lower, lowerIDs[i]) {
				reasons = append(reasons, fmt.Sprintf("name contains compute node identifier %s", id))
				if node == "" {
					node = id
				}
			}
		}
	}
	for _, p := range rules.NamePatterns {
		if contract.Glob(p, r.Name) {
			reasons = append(reasons, fmt.Sprintf("name matches %s", p))
		}
	}
	for _, p := range rules.PathPrefixes {
		if strings.HasPrefix(r.Path, p) {
			reasons = append(reasons, fmt.Sprintf("path %s starts with %s", r.Path, p))
		}
	}
	for _, k := range rules.TagKeys {
		if v, ok := r.Tags[k]; ok {
			reasons = append(reasons, fmt.Sprintf("tagged %s=%s", k, v))
			if node == "" && v != "" {
				node = v
			}
		}
	}
	return reasons, node
}
