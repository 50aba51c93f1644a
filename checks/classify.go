package checks

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/inventory"
)

// RoleKind is what a role is to the contract.
type RoleKind string

// Role kinds.
const (
	KindCrossAccount RoleKind = "cross-account"
	KindChild        RoleKind = "child"
	KindOther        RoleKind = "other"
)

// RoleClass is a role with its kind and the reasons for it.
type RoleClass struct {
	Role    *inventory.Role
	Kind    RoleKind
	Reasons []string
	NodeID  string // compute node the role belongs to, when known
}

// policyName returns the name part of a policy ARN
// (arn:aws:iam::123:policy/path/name → name).
func policyName(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

// NodeIDs returns the compute node identifiers the account reveals: the
// node part of every boundary policy in the account and of every boundary a
// role references, sorted.
func NodeIDs(snap *inventory.Snapshot, c *contract.Contract) []string {
	set := map[string]bool{}
	for i := range snap.Policies {
		if id, ok := c.BoundaryNodeID(snap.Policies[i].Name); ok && !snap.Policies[i].AWSManaged() {
			set[id] = true
		}
	}
	for _, r := range snap.Roles {
		if r.PermissionsBoundary != nil {
			if id, ok := c.BoundaryNodeID(policyName(r.PermissionsBoundary.ARN)); ok {
				set[id] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for id := range set {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// Classify decides for every role whether it is the cross-account role, a
// child role (created for a compute node) or another role, and why. The
// rules come from the contract's child_roles section; every rule that
// matches is reported. providerCreated names roles CloudTrail shows the
// provider created (role name → evidence): they are child roles whatever
// their name, path or boundary, because the contract's promise is about
// every role the provider creates.
func Classify(snap *inventory.Snapshot, c *contract.Contract, nodeIDs []string, providerCreated map[string]string) []RoleClass {
	out := make([]RoleClass, 0, len(snap.Roles))
	rules := c.ChildRoles
	for i := range snap.Roles {
		r := &snap.Roles[i]
		rc := RoleClass{Role: r, Kind: KindOther}
		excluded := false
		for _, p := range rules.ExcludePathPrefixes {
			if strings.HasPrefix(r.Path, p) {
				rc.Reasons = append(rc.Reasons, fmt.Sprintf("path %s is excluded (%s)", r.Path, p))
				excluded = true
			}
		}
		evidence, created := providerCreated[r.Name]
		switch {
		case excluded && !created:
		case c.IsCrossAccountRole(r.Name):
			rc.Kind = KindCrossAccount
			rc.Reasons = append(rc.Reasons, fmt.Sprintf("name matches %s", c.CrossAccountRole.NamePattern))
		default:
			var reasons []string
			reasons, rc.NodeID = childReasons(r, c, nodeIDs)
			if created {
				reasons = append(reasons, "created by the provider: "+evidence)
			}
			rc.Reasons = append(rc.Reasons, reasons...)
			if len(reasons) > 0 {
				rc.Kind = KindChild
			}
		}
		out = append(out, rc)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Role.Name < out[j].Role.Name })
	return out
}

func childReasons(r *inventory.Role, c *contract.Contract, nodeIDs []string) (reasons []string, node string) {
	rules := c.ChildRoles
	if rules.ByBoundary && r.PermissionsBoundary != nil {
		if id, ok := c.BoundaryNodeID(policyName(r.PermissionsBoundary.ARN)); ok {
			reasons = append(reasons, fmt.Sprintf("carries boundary %s", policyName(r.PermissionsBoundary.ARN)))
			node = id
		}
	}
	if rules.ByNodeID {
		lower := strings.ToLower(r.Name)
		for _, id := range nodeIDs {
			if strings.Contains(lower, strings.ToLower(id)) {
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
