package provision

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pvaudit/pvaudit/classify"
	"github.com/pvaudit/pvaudit/contract"
)

// DestroyNode plans the removal of one compute node's managed resources —
// its processor roles (policies detached and deleted first), then its
// boundary policy unless a role pvaudit does not manage still uses it —
// leaving every other node and the cross-account role as they are.
func DestroyNode(c *contract.Contract, st *State, node string) (*Plan, error) {
	if c.PAR != nil || c.CrossAccountRole.NamePattern == "" {
		return nil, fmt.Errorf("contract %q has no compute nodes", c.Name)
	}
	if !nodeIDRE.MatchString(node) {
		return nil, paramErr("node %q is not a node identifier", node)
	}
	p := newPlan("destroy", c, st)
	deleted := map[string]bool{}
	for i := range st.Snapshot.Roles {
		r := &st.Snapshot.Roles[i]
		if st.roleOwner(r) != ours || r.Tags[TagNode] != node || r.Tags[TagComponent] == CompBoundary || !family(c)[r.Tags[TagComponent]] {
			continue
		}
		if !recognised(c, r.Tags, r.Name) {
			p.leftAlone("role", r.Name, r.ARN, node, "tagged as pvaudit's but not a name pvaudit gives a "+r.Tags[TagComponent]+": left alone")
			continue
		}
		p.deleteRole(r)
		deleted[r.ARN] = true
	}
	for i := range st.Snapshot.Policies {
		mp := &st.Snapshot.Policies[i]
		id, ok := c.BoundaryNodeID(mp.Name)
		if mp.AWSManaged() || !ok || id != node || st.policyOwner(mp) != ours {
			continue
		}
		tags := st.policyTags(mp)
		if tags[TagComponent] != CompBoundary || tags[TagNode] != node {
			p.leftAlone("policy", mp.Name, mp.ARN, node, "tagged as pvaudit's but for another component or node: left alone")
			continue
		}
		p.deletePolicy(st, mp, tags, deleted)
	}
	p.unmanagedRelated(nil, st, c, node)
	if len(p.Steps) == 0 && p.Counts().Blocked == 0 {
		p.Notes = append(p.Notes, "node "+node+" has no resources pvaudit manages")
	}
	p.finish()
	return p, nil
}

// Deregister plans the removal of the pvaudit-managed cross-account role
// (out of its instance profiles, inline policies and managed attachments
// first). It refuses while compute nodes remain, naming them, unless force.
// A cross-account role pvaudit does not manage is left alone, and said so.
func Deregister(c *contract.Contract, st *State, force bool) (*Plan, error) {
	if c.CrossAccountRole.NamePattern == "" {
		return nil, fmt.Errorf("contract %q has no cross-account role to deregister", c.Name)
	}
	p := newPlan("deregister", c, st)
	cl := classify.Classify(st.Snapshot, c, classify.Options{})
	for _, rc := range cl.Of(classify.CrossAccount) {
		r := rc.Role
		if st.roleOwner(r) != ours || r.Tags[TagComponent] != CompCrossAccount {
			p.leftAlone("role", r.Name, r.ARN, "", "a cross-account role pvaudit does not manage: left alone (delete it yourself: aws iam delete-role --role-name "+r.Name+", after its policies)")
			continue
		}
		p.deleteRole(r)
	}
	if p.Counts().Delete == 0 {
		p.Notes = append(p.Notes, "the account has no cross-account role pvaudit manages")
	}
	nodes := remainingNodes(st, c, cl)
	if len(nodes) > 0 {
		var parts []string
		for _, n := range sortedKeys(nodes) {
			parts = append(parts, n+" ("+strings.Join(nodes[n], ", ")+")")
		}
		if force {
			p.Notes = append(p.Notes, "--force: compute nodes remain and keep their resources, which nothing can manage once the role is gone: "+strings.Join(parts, "; "))
		} else if len(p.Steps) > 0 {
			p.Refused = fmt.Sprintf("%d compute node(s) remain: %s; remove them first (pvaudit provision destroy --node ID) or pass --force", len(nodes), strings.Join(parts, "; "))
		}
	}
	p.finish()
	return p, nil
}

// remainingNodes maps each compute node the account still shows to its
// roles and boundary policies.
func remainingNodes(st *State, c *contract.Contract, cl *classify.Result) map[string][]string {
	out := map[string][]string{}
	for _, id := range cl.NodeIDs {
		out[id] = nil
	}
	for _, rc := range cl.Children() {
		if rc.NodeID != "" {
			out[rc.NodeID] = append(out[rc.NodeID], "role "+rc.Role.Name)
		}
	}
	for i := range st.Snapshot.Policies {
		mp := &st.Snapshot.Policies[i]
		if id, ok := c.BoundaryNodeID(mp.Name); ok && !mp.AWSManaged() {
			out[id] = append(out[id], "policy "+mp.Name)
		}
	}
	for id, l := range out {
		if len(l) == 0 {
			out[id] = []string{"named by a role's boundary"}
		}
		sort.Strings(out[id])
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Leftovers lists the provider resources that stay in the account after a
// plan ran (res nil: as if every step succeeded): cross-account roles,
// child roles, boundary policies and legacy roles such as ROLE-<account>,
// so that nothing is orphaned silently. node limits it to one node.
func Leftovers(c *contract.Contract, st *State, p *Plan, res *Result, node string) []Leftover {
	gone := deletedARNs(p, res)
	cl := classify.Classify(st.Snapshot, c, classify.Options{})
	var out []Leftover
	for _, rc := range cl.Roles {
		r := rc.Role
		if gone[r.ARN] {
			continue
		}
		kind := ""
		switch rc.Kind {
		case classify.CrossAccount:
			kind = "cross-account-role"
		case classify.Child, classify.Processor:
			kind = "child-role"
		case classify.Legacy:
			kind = "legacy-role"
		default:
			continue
		}
		if node != "" && rc.NodeID != node {
			continue
		}
		out = append(out, Leftover{Kind: kind, Name: r.Name, ARN: r.ARN, Node: rc.NodeID, Managed: st.roleOwner(r) == ours})
	}
	for i := range st.Snapshot.Policies {
		mp := &st.Snapshot.Policies[i]
		id, ok := c.BoundaryNodeID(mp.Name)
		if mp.AWSManaged() || !ok || gone[mp.ARN] || (node != "" && id != node) {
			continue
		}
		out = append(out, Leftover{Kind: "boundary-policy", Name: mp.Name, ARN: mp.ARN, Node: id, Managed: st.policyOwner(mp) == ours})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// deletedARNs are the resources whose delete change ran to the end.
func deletedARNs(p *Plan, res *Result) map[string]bool {
	out := map[string]bool{}
	done := map[int]bool{}
	if res != nil {
		for _, s := range res.Steps {
			if s.Status == StatusDone {
				done[s.Seq] = true
			}
		}
	}
	for _, ch := range p.Changes {
		if ch.Action != ActDelete {
			continue
		}
		final := "DeleteRole"
		if ch.Type == "policy" {
			final = "DeletePolicy"
		}
		for _, s := range p.Steps {
			if s.Op == final && (s.Role == ch.Name || s.PolicyARN == ch.ARN) && (res == nil || done[s.Seq]) {
				out[ch.ARN] = true
			}
		}
	}
	return out
}
