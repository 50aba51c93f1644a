package checks

import (
	"fmt"
	"strings"

	"github.com/pvaudit/pvaudit/classify"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/policy"
)

// Bounds of the escalation search (PV-ESC-009): how many steps a chain may
// take and how many principals the search may visit from one start. A
// search that stops at a bound with principals left unexplored is
// NOT_EVALUATED, never PASS.
const (
	chainMaxDepth = 4
	chainMaxNodes = 400
)

// chainNode is a principal the search reached: a role of the snapshot, or
// a role the cross-account role may create under a boundary and give any
// policy (its permissions are the boundary's ceiling).
type chainNode struct {
	role *inventory.Role
	// virtual is set for a role that does not exist yet; role is then a
	// stand-in with a witness name.
	virtual string
	ask     func(q question) (answer, error)
	parent  int    // index in the node list, -1 for the start
	how     string // the step from the parent: "sts:AssumeRole on X"
	depth   int
}

func (n *chainNode) name() string {
	if n.virtual != "" {
		return n.virtual
	}
	return n.role.Name
}

func escChain() *Check {
	c := &Check{
		ID:       "PV-ESC-009",
		Title:    "Escalation: no chain of steps leads a provider role out of the boundary",
		Severity: finding.Critical,
		Rationale: "Each step can look harmless on its own: assume a role whose trust admits the caller, rewrite a " +
			"role's trust and assume it, create a role under a boundary and give it any policy, pass a role to a service. " +
			"A chain of them that ends at a role no Pennsieve boundary caps escapes every promise the boundary keeps. " +
			fmt.Sprintf("The search follows every chain of up to %d steps from the cross-account role, each step decided "+
				"by the evaluator with the caller's context open.", chainMaxDepth),
		Remediation: "Break the first step of the chain shown: remove the trust that admits the provider's roles " +
			"(aws iam update-assume-role-policy), deny sts:AssumeRole and iam:UpdateAssumeRolePolicy on roles outside " +
			"arn:aws:iam::ACCOUNT:role/pennsieve-*, or narrow the boundary that lets the created role take the next step.",
		Controls: escalationControls,
	}
	c.Run = func(env *Env) []finding.Finding {
		var out []finding.Finding
		for _, rc := range env.Class.Of(classify.CrossAccount) {
			out = append(out, c.searchChains(env, rc.Role)...)
		}
		return out
	}
	return c
}

// searchChains is a breadth-first search from the cross-account role
// start over the steps that hand a principal another role's permissions.
func (c *Check) searchChains(env *Env, start *inventory.Role) []finding.Finding {
	if _, err := env.Evaluator(start); err != nil {
		return []finding.Finding{c.evalError(start, err)}
	}
	acct := env.Account(start)
	nodes := []*chainNode{{role: start, parent: -1, ask: func(q question) (answer, error) { return env.ask(start, q) }}}
	seen := map[string]bool{start.ARN: true}
	var unknown []string
	var fails []finding.Finding
	reported := map[string]bool{}
	trusts := map[string]*policy.CompiledTrust{}
	trustOf := func(r *inventory.Role) (*policy.CompiledTrust, error) {
		if t, ok := trusts[r.ARN]; ok {
			return t, nil
		}
		if r.TrustPolicy == nil {
			return nil, fmt.Errorf("%s: trust policy not in the snapshot", r.Name)
		}
		t, err := policy.CompileTrust(r.Name, r.TrustPolicy)
		if err != nil {
			return nil, err
		}
		trusts[r.ARN] = t
		return t, nil
	}
	allowed := func(n *chainNode, q question) (bool, error) {
		ans, err := n.ask(q)
		if err != nil {
			return false, err
		}
		if len(ans.hits) > 0 {
			return true, nil
		}
		for _, u := range ans.unknown {
			unknown = append(unknown, n.name()+": "+u)
		}
		return false, nil
	}
	newRoleTrusts := map[string]*policy.CompiledTrust{}
	// newRoleTrustOf is r's trust as a role not created yet sees it: the
	// principals that name one role by its exact ARN are left out (IAM
	// binds such a principal to that role's unique ID when the trust is
	// saved, so no role created later matches it); wildcards, account
	// roots and conditions stay.
	newRoleTrustOf := func(r *inventory.Role) (*policy.CompiledTrust, error) {
		if t, ok := newRoleTrusts[r.ARN]; ok {
			return t, nil
		}
		if r.TrustPolicy == nil {
			return nil, fmt.Errorf("%s: trust policy not in the snapshot", r.Name)
		}
		t, err := policy.CompileTrust(r.Name, trustForNewRole(r.TrustPolicy))
		if err != nil {
			return nil, err
		}
		newRoleTrusts[r.ARN] = t
		return t, nil
	}
	// admits reports whether r's trust lets n's sessions assume it.
	admits := func(n *chainNode, r *inventory.Role) (bool, error) {
		get := trustOf
		if n.virtual != "" {
			get = newRoleTrustOf
		}
		t, err := get(r)
		if err != nil {
			return false, err
		}
		q := &policy.Question{Principal: n.role.ARN, Action: "sts:AssumeRole", Resource: r.ARN, Fixed: env.principalFacts(n.role), Now: env.Now,
			Cache: env.witnessCache(), KeyType: env.keyType, KeyMulti: env.keyMulti}
		if n.virtual != "" {
			// A role not created yet: its creator picks its name and tags,
			// so any role of the account is tried (a trust that admits
			// role/pennsieve-* admits it too).
			q.Principal, q.Fixed = "", nil
			q.PrincipalDomain = []string{roleARN(acct, "*")}
		}
		a := t.Exists(q, func(w policy.Witness) bool { return w.Result.Decision == policy.Allow })
		switch a.Outcome() {
		case policy.Exists:
			return true, nil
		case policy.Undecided:
			unknown = append(unknown, fmt.Sprintf("trust of %s for %s: %s", r.Name, n.name(), a.Reason))
		}
		return false, nil
	}
	path := func(i int) []string {
		var steps []string
		for ; nodes[i].parent >= 0; i = nodes[i].parent {
			steps = append([]string{nodes[i].how}, steps...)
		}
		return steps
	}
	reach := func(from int, r *inventory.Role, how string) {
		if seen[r.ARN] {
			return
		}
		seen[r.ARN] = true
		n := &chainNode{role: r, parent: from, how: how, depth: nodes[from].depth + 1, ask: func(q question) (answer, error) { return env.ask(r, q) }}
		nodes = append(nodes, n)
		if env.boundedRole(r) || strings.HasPrefix(r.Path, "/aws-service-role/") {
			return
		}
		// A role outside the boundary: the chain escapes. One step of
		// PassRole alone is PV-ESC-004's finding.
		steps := path(len(nodes) - 1)
		if len(steps) == 1 && strings.HasPrefix(steps[0], "iam:PassRole") {
			return
		}
		if reported[r.ARN] {
			return
		}
		reported[r.ARN] = true
		msg := start.Name + " → " + strings.Join(steps, " → ") + " → acts as " + r.Name + " (" + roleWorth(r) + "), outside every Pennsieve boundary"
		fails = append(fails, c.finding(finding.Fail, start.ARN, "chain to "+r.Name, msg,
			map[string]any{"path": steps, "reaches": r.ARN, "steps": len(steps)}))
	}

	// Roles it may create under an existing boundary and give any policy:
	// their permissions are the boundary's ceiling.
	for _, b := range env.boundaryPolicies() {
		fixed := map[string][]string{"iam:PermissionsBoundary": {b.ARN}}
		ok, err := allowed(nodes[0], question{actions: []string{"iam:CreateRole"}, resources: []string{roleARN(acct, "*")}, fixed: fixed})
		if err != nil {
			return []finding.Finding{c.evalError(start, err)}
		}
		if !ok {
			continue
		}
		put, err := allowed(nodes[0], question{actions: []string{"iam:PutRolePolicy", "iam:AttachRolePolicy"}, resources: []string{roleARN(acct, "*")}, fixed: fixed})
		if err != nil {
			return []finding.Finding{c.evalError(start, err)}
		}
		doc := b.DefaultDocument()
		if !put || doc == nil {
			continue
		}
		set := policy.PolicySet{Identity: []policy.NamedPolicy{{Name: b.Name, Doc: doc}}}
		name := "a new role under " + b.Name
		stand := &inventory.Role{Name: name, ARN: roleARN(acct, "pvaudit-new-role")}
		nodes = append(nodes, &chainNode{role: stand, virtual: name, parent: 0, depth: 1,
			how: "iam:CreateRole with boundary " + b.Name + " and iam:PutRolePolicy on it",
			ask: func(q question) (answer, error) { return env.askPolicies(set, q) }})
	}

	var targets []*inventory.Role
	for i := range env.Snap.Roles {
		r := &env.Snap.Roles[i]
		if r.ARN == start.ARN || strings.HasPrefix(r.Path, "/aws-service-role/") {
			continue
		}
		targets = append(targets, r)
	}
	bounded := false
	for i := 0; i < len(nodes); i++ {
		n := nodes[i]
		if len(nodes) >= chainMaxNodes {
			bounded = true
			break
		}
		// Which kinds of step n can take at all (on any role of the
		// account): most principals take none, and need no target loop.
		takes := func(action string) bool {
			ok, err := allowed(n, question{actions: []string{action}, resources: []string{roleARN(acct, "*")}})
			if err != nil {
				unknown = append(unknown, n.name()+": "+err.Error())
			}
			return ok
		}
		mayAssume, mayRewrite, mayPass := takes("sts:AssumeRole"), takes("iam:UpdateAssumeRolePolicy"), takes("iam:PassRole")
		if !mayAssume && !mayRewrite && !mayPass {
			continue
		}
		// At the depth bound a principal that may take a step leaves the
		// search unfinished; one that may take none is a dead end.
		if n.depth >= chainMaxDepth {
			bounded = true
			continue
		}
		for _, r := range targets {
			if seen[r.ARN] || r.ARN == n.role.ARN {
				continue
			}
			// Assume it: the trust admits n and n's policies allow the call.
			if mayAssume {
				ok, err := admits(n, r)
				if err != nil {
					unknown = append(unknown, err.Error())
				}
				if ok {
					can, err := allowed(n, question{actions: []string{"sts:AssumeRole"}, resources: []string{r.ARN}})
					if err != nil {
						return []finding.Finding{c.evalError(start, err)}
					}
					if can {
						reach(i, r, "sts:AssumeRole on "+r.Name)
						continue
					}
				}
			}
			// Rewrite its trust to admit n, then assume it.
			can := false
			var err error
			if mayRewrite {
				can, err = allowed(n, question{actions: []string{"iam:UpdateAssumeRolePolicy"}, resources: []string{r.ARN}})
			}
			if err != nil {
				return []finding.Finding{c.evalError(start, err)}
			}
			if can {
				reach(i, r, "iam:UpdateAssumeRolePolicy on "+r.Name+", then sts:AssumeRole")
				continue
			}
			// Pass it to a service it trusts, which then runs as it.
			if !mayPass || r.TrustPolicy == nil {
				continue
			}
			svcs := serviceGrants(r.TrustPolicy)
			if len(svcs) == 0 {
				continue
			}
			ans, err := n.ask(passRoleTo(r.ARN, svcs))
			if err != nil {
				return []finding.Finding{c.evalError(start, err)}
			}
			if len(ans.hits) > 0 {
				reach(i, r, "iam:PassRole on "+r.Name+" to "+strings.Join(svcs, ", "))
			}
			for _, u := range ans.unknown {
				unknown = append(unknown, n.name()+": "+u)
			}
		}
	}
	if len(fails) > 0 {
		return fails
	}
	ev := map[string]any{"principals_reached": len(nodes), "max_steps": chainMaxDepth}
	switch {
	case len(unknown) > 0:
		u := uniqStrings(unknown)
		ev["unevaluable"] = u
		return []finding.Finding{c.finding(finding.NotEvaluated, start.ARN, "", "cannot decide every step of the chains: "+listSome(u, 3), ev)}
	case bounded:
		return []finding.Finding{c.finding(finding.NotEvaluated, start.ARN, "",
			fmt.Sprintf("the search stopped at its bound (%d steps, %d principals) with chains left to follow: no chain found within it", chainMaxDepth, chainMaxNodes), ev)}
	}
	return []finding.Finding{c.finding(finding.Pass, start.ARN, "",
		fmt.Sprintf("no chain of assume, trust-rewrite, create-under-boundary or pass-role steps leaves the boundary (%d principal(s) reached)", len(nodes)), ev)}
}

// trustForNewRole returns doc without the principals a role created after
// it cannot be: AWS principals that are one role's exact ARN. A statement
// left with no principal at all is dropped (it matches no new role, Allow
// or Deny alike). NotPrincipal is kept as it is: a new role is never the
// role it names, and leaving it can only admit more.
func trustForNewRole(doc *policy.Document) *policy.Document {
	out := &policy.Document{Version: doc.Version, ID: doc.ID}
	for _, st := range doc.Statements {
		if st.Principal == nil || st.Principal.Wildcard {
			out.Statements = append(out.Statements, st)
			continue
		}
		p := *st.Principal
		p.AWS = nil
		for _, a := range st.Principal.AWS {
			if exactRoleARN(a) {
				continue
			}
			p.AWS = append(p.AWS, a)
		}
		if len(p.AWS) == 0 && len(p.Service) == 0 && len(p.Federated) == 0 && len(p.CanonicalUser) == 0 {
			continue
		}
		st.Principal = &p
		out.Statements = append(out.Statements, st)
	}
	return out
}

// exactRoleARN reports whether a names one IAM role: an iam role ARN
// without wildcards.
func exactRoleARN(a string) bool {
	return strings.HasPrefix(a, "arn:") && strings.Contains(a, ":iam::") && strings.Contains(a, ":role/") && !strings.ContainsAny(a, "*?$")
}
