package probes

import (
	"context"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pvaudit/pvaudit/checks"
	"github.com/pvaudit/pvaudit/classify"
	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/policy"
)

// Texts of the generated probes: the document's sentences they test.
const (
	textSelfModify = "Cannot modify itself. The cross-account role cannot change its own policy. " +
		"This prevents a compromised process from removing the restrictions above."
	textBoundary = "Must attach boundary on role creation. The role cannot create any IAM role in your account " +
		"unless it attaches the Pennsieve permissions boundary. This prevents creating an unrestricted role."
	textCustomerRoles = "What Pennsieve cannot do: Modify its own permissions to gain broader access"
	textIsolation     = "What processor roles cannot do: Access resources belonging to other compute nodes " +
		"(and: Deleting one node does not affect the others)"
	sectionEscalation = "Escalation paths (generated from the account)"
	sectionIsolation  = "Node isolation (generated from the account)"
	adminPolicyARN    = "arn:aws:iam::aws:policy/AdministratorAccess"
	probeName         = "pvaudit-escalation"
)

// escalations generates, for each cross-account role, the requests that
// would let it escape its guardrails.
func (x *expander) escalations() []Probe {
	var out []Probe
	acct := x.env.Snap.AccountID
	for _, xr := range x.env.Class.Of(classify.CrossAccount) {
		pr := principalOf(xr)
		mk := func(id, text string, steps ...Request) Probe {
			return Probe{Origin: FromEscalation, ScenarioID: id, Section: sectionEscalation, Text: text,
				Principal: pr, Steps: steps, Expect: contract.ExpectDenied, Severity: finding.High}
		}
		// 1. Rewrite an existing boundary policy.
		for _, arn := range x.boundaryARNs() {
			for _, a := range []string{"iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion"} {
				out = append(out, mk("escalation-edit-boundary", textSelfModify, Request{Action: a, Resource: arn}))
			}
		}
		// 2. Create a policy it may create, then use it as the boundary of
		// a new role.
		roleName := probeName
		if kids := x.env.Class.Children(); len(kids) > 0 {
			roleName = kids[0].Role.Name + "-" + probeName
		}
		for _, cand := range x.selfMadeBoundaries() {
			out = append(out, mk("escalation-self-made-boundary", textBoundary,
				Request{Action: "iam:CreatePolicy", Resource: cand},
				Request{Action: "iam:CreateRole", Resource: "arn:aws:iam::" + acct + ":role/" + roleName,
					Context: []ContextEntry{{Key: "iam:PermissionsBoundary", Type: "string", Values: []string{cand}}}},
			))
		}
		// 3. Grant itself or the customer's roles more.
		for _, rc := range x.env.Roles {
			if rc.Kind.Provider() || serviceLinked(rc.Role) {
				continue
			}
			out = append(out,
				mk("escalation-customer-role", textCustomerRoles, Request{Action: "iam:AttachRolePolicy", Resource: rc.Role.ARN,
					Context: []ContextEntry{{Key: "iam:PolicyARN", Type: "string", Values: []string{adminPolicyARN}}}}),
				mk("escalation-customer-role", textCustomerRoles, Request{Action: "iam:PutRolePolicy", Resource: rc.Role.ARN}),
			)
		}
		// 4. Pass a role that no provider boundary caps to a service.
		for _, rc := range x.env.Roles {
			if rc.Kind == classify.CrossAccount || serviceLinked(rc.Role) || x.capped(rc.Role) {
				continue
			}
			var services []string
			if rc.Role.TrustPolicy != nil {
				services = trustedServices(rc.Role.TrustPolicy)
			}
			if len(services) == 0 {
				continue // no service can take the role: PassRole gains nothing
			}
			out = append(out, mk("escalation-pass-uncapped-role", textBoundary, Request{Action: "iam:PassRole", Resource: rc.Role.ARN,
				Context: []ContextEntry{{Key: "iam:PassedToService", Type: "string", Values: []string{services[0]}}}}))
		}
	}
	return out
}

func serviceLinked(r *inventory.Role) bool {
	return strings.HasPrefix(r.Path, "/aws-service-role/") || strings.HasPrefix(r.Path, "/aws-reserved/")
}

// capped reports whether a role carries a provider boundary that exists in
// this account.
func (x *expander) capped(r *inventory.Role) bool {
	if r.PermissionsBoundary == nil {
		return false
	}
	arn := r.PermissionsBoundary.ARN
	if _, ok := x.c.BoundaryNodeID(arn[strings.LastIndex(arn, "/")+1:]); !ok {
		return false
	}
	return x.env.Snap.Policy(arn) != nil
}

// boundaryARNs lists the account's provider boundary policies: those in
// the snapshot and those roles reference in this account.
func (x *expander) boundaryARNs() []string {
	set := map[string]bool{}
	acct := x.env.Snap.AccountID
	for i := range x.env.Snap.Policies {
		p := &x.env.Snap.Policies[i]
		if _, ok := x.c.BoundaryNodeID(p.Name); ok && !p.AWSManaged() {
			set[p.ARN] = true
		}
	}
	for _, r := range x.env.Snap.Roles {
		if r.PermissionsBoundary == nil || inventory.AccountFromARN(r.PermissionsBoundary.ARN) != acct {
			continue
		}
		arn := r.PermissionsBoundary.ARN
		if _, ok := x.c.BoundaryNodeID(arn[strings.LastIndex(arn, "/")+1:]); ok {
			set[arn] = true
		}
	}
	return sortedSet(set)
}

// selfMadeBoundaries are policy ARNs that do not exist yet: one named like
// a provider boundary, one not.
func (x *expander) selfMadeBoundaries() []string {
	acct := x.env.Snap.AccountID
	out := []string{"arn:aws:iam::" + acct + ":policy/" + probeName}
	if pat := x.c.Boundary.NamePattern; pat != "" {
		out = append(out, "arn:aws:iam::"+acct+":policy/"+strings.Replace(pat, "*", "pvauditescalation", 1))
		// A name that extends a node's boundary name (a pin written as a
		// prefix matches it), and the node's own boundary when it does not
		// exist yet (a pin on it lets the role create it as it likes).
		for _, node := range x.env.NodeIDs {
			name := strings.Replace(pat, "*", node, 1)
			out = append(out, "arn:aws:iam::"+acct+":policy/"+name+"-pvauditescalation")
			if !x.policyNamed(name) {
				out = append(out, "arn:aws:iam::"+acct+":policy/"+name)
			}
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// policyNamed reports whether the account has a customer managed policy of
// this name (under any path: IAM names are unique in an account).
func (x *expander) policyNamed(name string) bool {
	for i := range x.env.Snap.Policies {
		if p := &x.env.Snap.Policies[i]; p.Name == name && !p.AWSManaged() {
			return true
		}
	}
	return false
}

// isolation generates, for every ordered pair of compute nodes (A, B), a
// probe of each of A's roles against each of B's resources. B's resources
// are its roles (passed to the service they trust) and the resources B's
// roles' policies name with B's identifier, with the actions those
// policies allow on them.
func (x *expander) isolation() []Probe {
	targets := x.allNodeResources()
	var out []Probe
	for _, a := range x.env.NodeIDs {
		out = append(out, x.isolationFrom(a, targets)...)
	}
	return out
}

// allNodeResources returns every compute node's resources, by node.
func (x *expander) allNodeResources() map[string][]Request {
	targets := make(map[string][]Request, len(x.env.NodeIDs))
	for _, b := range x.env.NodeIDs {
		targets[b] = x.nodeResources(b)
	}
	return targets
}

// isolationFrom generates node a's roles against every other node's
// resources.
func (x *expander) isolationFrom(a string, targets map[string][]Request) []Probe {
	var out []Probe
	x.isolationWhere(a, targets, func(p *Probe) bool {
		q := *p
		q.Steps = []Request{p.Steps[0]}
		out = append(out, q)
		return false
	}, func(Probe, int) {})
	return out
}

// isolationWhere hands every probe of node a's roles against every other
// node's resources to passes, which decides it or keeps it and says
// whether it passed; one call of passed per source role follows with the
// number that passed (when any did) and the first of them.
func (x *expander) isolationWhere(a string, targets map[string][]Request, passes func(p *Probe) bool, passed func(first Probe, n int)) {
	for _, rc := range x.byNode[a] {
		// The document promises isolation for processor roles; for
		// the node's other roles a breach is worth a look (WARN).
		sev, when := finding.High, ""
		if !x.isProcessor(rc.Role) {
			sev, when = finding.Medium, "the role is a processor role (the document promises isolation for processor roles only)"
		}
		pr := principalOf(rc)
		group := "isolation-" + a
		n := 0
		var first Probe
		var steps [1]Request
		for _, b := range x.env.NodeIDs {
			if a == b {
				continue
			}
			scenario := group + "-to-" + b
			for _, t := range targets[b] {
				steps[0] = t
				p := Probe{Origin: FromIsolation, ScenarioID: scenario, Group: group,
					Section: sectionIsolation, Text: textIsolation, Principal: pr,
					Steps: steps[:], Expect: contract.ExpectDenied, When: when, Severity: sev}
				if !passes(&p) {
					continue
				}
				if n == 0 {
					first = p
					first.Steps = []Request{t}
				}
				n++
			}
		}
		if n > 0 {
			passed(first, n)
		}
	}
}

// IsolationFindings decides the isolation probes (every ordered pair of
// compute nodes) with one engine and returns their findings, one per
// principal. It works one source node at a time and keeps only the
// findings, so memory grows with the number of nodes, not its square.
// With the local engine a request that no statement of the role can allow
// whatever the context (policy.Compiled.CannotAllow) is counted as denied
// without building its probe, every other request is decided in full and
// only the probes that do not pass keep their results; the source nodes
// are spread over the available cores (the findings are the same, sorted,
// whatever the order they are decided in).
func IsolationFindings(ctx context.Context, env *checks.Env, c *contract.Contract, opts Options, eng Engine) ([]finding.Finding, error) {
	x := newExpander(env, c, opts)
	targets := x.allNodeResources()
	local, _ := eng.(*Local)
	if local != nil {
		return local.isolationFindings(ctx, x, targets)
	}
	var out []finding.Finding
	for _, a := range env.NodeIDs {
		ps := x.isolationFrom(a, targets)
		if len(ps) == 0 {
			continue
		}
		rs, err := Run(ctx, ps, eng, nil)
		if err != nil {
			return nil, err
		}
		out = append(out, findings(rs, nil)...)
	}
	finding.Sort(out)
	return out, nil
}

// isolationFindings is IsolationFindings with the local engine: up to
// GOMAXPROCS source nodes at a time, each node's findings kept in node
// order, then sorted.
func (l *Local) isolationFindings(ctx context.Context, x *expander, targets map[string][]Request) ([]finding.Finding, error) {
	nodes := x.env.NodeIDs
	per := make([][]finding.Finding, len(nodes))
	errs := make([]error, len(nodes))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range max(1, min(runtime.GOMAXPROCS(0), len(nodes))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(nodes) {
					return
				}
				per[i], errs[i] = l.isolationNode(ctx, x, nodes[i], targets)
			}
		}()
	}
	wg.Wait()
	var out []finding.Finding
	for i := range nodes {
		if errs[i] != nil {
			return nil, errs[i]
		}
		out = append(out, per[i]...)
	}
	finding.Sort(out)
	return out, nil
}

// isolationNode decides node a's isolation probes. A request CannotAllow
// rules out, and a probe the evaluator decides as promised, are counted in
// their role's group without keeping a result; so are the requests that
// break the promise once the group keeps maxDetails of them (the finding
// lists that many and counts the rest). Every other probe keeps its
// result, as Run gives it.
func (l *Local) isolationNode(ctx context.Context, x *expander, a string, targets map[string][]Request) ([]finding.Finding, error) {
	passed := map[string]*passedGroup{}
	var kept []Result
	var err error
	type brokenCount struct {
		key      string // the group's key, from its first broken result
		listed   int
		unlisted int
		verdict  Verdict
	}
	broken := map[string]*brokenCount{} // by principal name
	x.isolationWhere(a, targets, func(p *Probe) bool {
		if err != nil {
			return true
		}
		v, ok := l.isolationVerdict(p)
		if ok && v == Pass {
			return true
		}
		bc := broken[p.Principal.Name]
		if ok && bc != nil && bc.listed >= maxDetails && bc.verdict == v {
			bc.unlisted++
			return false
		}
		var r Result
		if r, err = l.run(ctx, p); err != nil {
			return true
		}
		if r.Verdict == Pass && !r.Disagree {
			return true
		}
		if r.Verdict == Fail || r.Verdict == Warn {
			if bc == nil {
				bc = &brokenCount{key: groupKey(&r.Probe), verdict: r.Verdict}
				broken[p.Principal.Name] = bc
			}
			if r.Verdict == bc.verdict {
				bc.listed++
			}
		}
		kept = append(kept, r)
		return false
	}, func(first Probe, n int) {
		passed[groupKey(&first)] = &passedGroup{first: first, n: n}
	})
	if err != nil {
		return nil, err
	}
	for _, bc := range broken {
		if bc.unlisted == 0 {
			continue
		}
		pg := passed[bc.key]
		if pg == nil {
			// The group has kept results (its first broken one), so
			// findings takes its first probe from them.
			pg = &passedGroup{}
			passed[bc.key] = pg
		}
		pg.failed, pg.failedVerdict = bc.unlisted, bc.verdict
	}
	if len(kept) == 0 && len(passed) == 0 {
		return nil, nil
	}
	return findings(kept, passed), nil
}

// isolationVerdict is the verdict Run would give p, a one-step probe that
// expects a denial, when it can be told without building an answer: Pass
// when CannotAllow rules the request out, or no context lets the role's
// policies allow it and deciding the boundary is not undecided either;
// Fail (Warn for a probe with a When) when some context allows it, the
// boundary is in the snapshot and deciding it is not undecided. ok is false
// otherwise: run the probe.
func (l *Local) isolationVerdict(p *Probe) (v Verdict, ok bool) {
	if p.Expect != contract.ExpectDenied || len(p.Steps) != 1 || p.Manual != "" || p.Unexpanded != "" || p.Network != nil {
		return "", false
	}
	cr := l.role(p.Principal.ARN)
	if cr.err != "" {
		return "", false
	}
	if cr.all.CannotAllow(p.Steps[0].Action, p.Steps[0].Resource) {
		return Pass, true
	}
	pq := l.question(cr, Query{PrincipalARN: p.Principal.ARN, Request: p.Steps[0]})
	boundaryDecided := func() bool {
		return cr.boundary == nil || cr.boundary.ExistsAllowed(pq).Outcome() != policy.Undecided
	}
	switch cr.all.ExistsAllowed(pq).Outcome() {
	case policy.NoneExists:
		if cr.boundaryMissing != "" || boundaryDecided() {
			return Pass, true
		}
	case policy.Exists:
		if cr.boundaryMissing == "" && boundaryDecided() {
			if p.When != "" {
				return Warn, true
			}
			return Fail, true
		}
	}
	return "", false
}

// run is Run of one probe with the local engine alone. The result's probe
// has steps of its own (p's may be reused).
func (l *Local) run(ctx context.Context, p *Probe) (Result, error) {
	q := *p
	q.Steps = slices.Clone(p.Steps)
	rs, err := Run(ctx, []Probe{q}, l, nil)
	if err != nil {
		return Result{}, err
	}
	return rs[0], nil
}

func (x *expander) nodeResources(node string) []Request {
	set := map[string]Request{}
	add := func(r Request) { set[r.key("")] = r }
	for _, rc := range x.byNode[node] {
		if rc.Role.TrustPolicy != nil {
			if svc := trustedServices(rc.Role.TrustPolicy); len(svc) > 0 {
				add(Request{Action: "iam:PassRole", Resource: rc.Role.ARN,
					Context: []ContextEntry{{Key: "iam:PassedToService", Type: "string", Values: []string{svc[0]}}}})
			}
		}
		for _, d := range roleDocs(x.env.Snap, rc.Role) {
			for _, st := range d.Statements {
				if st.Effect != policy.EffectAllow || st.NotAction != nil {
					continue
				}
				for _, res := range st.Resource {
					if !strings.Contains(res, node) || strings.Contains(res, "${") {
						continue
					}
					concrete := strings.NewReplacer("*", "pvaudit-probe", "?", "x").Replace(res)
					for _, act := range st.Action {
						if strings.ContainsAny(act, "*?") || strings.EqualFold(act, "iam:PassRole") {
							continue
						}
						add(Request{Action: act, Resource: concrete})
					}
				}
			}
		}
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]Request, 0, len(keys))
	for _, k := range keys {
		out = append(out, set[k])
	}
	return out
}

func sortedSet(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
