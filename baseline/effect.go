package baseline

import (
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/policy"
	"github.com/pvaudit/pvaudit/policy/catalog"
)

// Access is what a drift item changes in what principals can do, found by
// evaluating a catalogue of representative requests against the policies
// before and after the change (the change alone: the baseline with just
// this item applied).
type Access struct {
	// Effect is "widened", "narrowed", "widened and narrowed", "no evaluated
	// request changed" or "not evaluated".
	Effect     string            `json:"effect"`
	Principals []PrincipalEffect `json:"principals"`
	// Requests counts the requests evaluated (before and after).
	Requests int `json:"requests_evaluated"`
}

// PrincipalEffect is the effect on one principal (a policy change shows
// its effect on every role that carries it).
type PrincipalEffect struct {
	Principal    string    `json:"principal"` // "role/NAME", "user/NAME"
	Kind         string    `json:"kind,omitempty"`
	Effect       string    `json:"effect"`
	NewlyAllowed []Request `json:"newly_allowed"`
	NewlyDenied  []Request `json:"newly_denied"`
	// MoreAllowed and MoreDenied count entries left out of the lists.
	MoreAllowed int `json:"more_allowed,omitempty"`
	MoreDenied  int `json:"more_denied,omitempty"`
	// Incomplete says what could not be evaluated; a widening may hide there.
	Incomplete []string `json:"incomplete,omitempty"`
}

// Request is one request whose decision changed.
type Request struct {
	Action string `json:"action"`
	// Also counts further actions of the same class (the same policy
	// patterns match them, same service and access level): they changed
	// alike.
	Also     int    `json:"also,omitempty"`
	Access   string `json:"access_level"`
	Resource string `json:"resource"`
	// Caller is the principal of a trust-policy request.
	Caller   string            `json:"caller,omitempty"`
	Context  map[string]string `json:"context,omitempty"`
	Severity finding.Severity  `json:"severity"`

	rank int // 1… for an action the escalation list or the contract names (listed first), 0 otherwise
}

// maxListed bounds the requests listed per principal and direction.
const maxListed = 40

// escalationActions are the classic IAM privilege-escalation primitives
// (from AWS's documentation of what each action permits): every
// comparison asks about them, and newly allowing one is critical.
var escalationActions = []string{
	"iam:PassRole", "iam:CreateRole", "iam:DeleteRole", "iam:UpdateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy",
	"iam:UpdateAssumeRolePolicy", "iam:PutRolePermissionsBoundary", "iam:DeleteRolePermissionsBoundary",
	"iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicyVersion",
	"iam:CreateUser", "iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile",
	"iam:AttachUserPolicy", "iam:PutUserPolicy", "iam:AddUserToGroup", "iam:AttachGroupPolicy", "iam:PutGroupPolicy",
	"sts:AssumeRole", "lambda:CreateFunction", "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration",
	"lambda:AddPermission", "ec2:RunInstances", "ecs:RunTask", "ecs:RegisterTaskDefinition", "states:CreateStateMachine",
	"cloudformation:CreateStack", "glue:CreateDevEndpoint", "ssm:SendCommand", "ssm:StartSession",
}

// engine evaluates effects. It is safe for concurrent use.
type engine struct {
	base      *State
	cur       *State
	cat       *catalog.Catalog
	account   string
	named     []string
	critical  map[string]bool // lower-case actions whose new allowance is critical
	namedRank map[string]int  // lower-case named actions → listing priority (escalation list order first)
	outside   map[string]bool // forbidden services
	provider  string          // provisioner account root, when known

	crossRoles   []string
	nodeRoles    map[string][]string
	nodeBoundary map[string]string
	nodes        []string

	mu   sync.Mutex
	docs map[string]docEntry
}

type docEntry struct {
	doc *policy.Document
	err error
}

func newEngine(c *contract.Contract, cat *catalog.Catalog, base, cur *State) *engine {
	e := &engine{base: base, cur: cur, cat: cat, account: cur.AccountID, critical: map[string]bool{}, outside: map[string]bool{}, docs: map[string]docEntry{},
		nodeRoles: map[string][]string{}, nodeBoundary: map[string]string{}}
	add := func(actions []string, critical bool) {
		for _, a := range actions {
			e.named = append(e.named, a)
			if critical {
				e.critical[strings.ToLower(a)] = true
			}
		}
	}
	add(escalationActions, true)
	if c != nil {
		add(c.Forbidden.UserAndKeyActions, true)
		add(c.Forbidden.AccountActions, true)
		add(c.Forbidden.IAMMutationActions, true)
		add(c.ServiceProbes, false)
		for _, s := range c.Forbidden.Services {
			e.outside[strings.ToLower(s)] = true
		}
		grants := slices.Clone(c.ProcessorRoles.Allowed)
		if c.PAR != nil {
			for _, r := range []contract.PARRole{c.PAR.TaskRole, c.PAR.ExecutionRole} {
				grants = append(grants, r.Allowed...)
				for _, f := range r.Forbidden {
					add([]string{f.Pattern, f.Probe}, false)
				}
				for _, p := range r.DeniedProbes {
					a, _, _ := strings.Cut(p, " ")
					add([]string{a}, false)
				}
			}
		}
		for _, g := range grants {
			add([]string{g.Action}, false)
		}
		for _, s := range c.Scenarios {
			add(s.Actions, false)
		}
		if p := c.Parameters.ProvisionerAccountID; p != "" {
			e.provider = "arn:aws:iam::" + p + ":root"
		}
	}
	slices.Sort(e.named)
	e.named = slices.Compact(e.named)
	e.namedRank = map[string]int{}
	for i, a := range escalationActions {
		e.namedRank[strings.ToLower(a)] = i + 1
	}
	for _, a := range e.named {
		if _, ok := e.namedRank[strings.ToLower(a)]; !ok {
			e.namedRank[strings.ToLower(a)] = len(escalationActions) + 1
		}
	}
	// Resources from the account: the cross-account roles, and per node a
	// role and its boundary policy.
	boundaryOf := map[string]string{}
	for _, st := range []*State{base, cur} {
		for _, r := range st.Roles {
			if r.Kind == "cross-account" && !slices.Contains(e.crossRoles, r.ARN) {
				e.crossRoles = append(e.crossRoles, r.ARN)
			}
			if r.NodeID != "" {
				if len(e.nodeRoles[r.NodeID]) < 2 && !slices.Contains(e.nodeRoles[r.NodeID], r.ARN) {
					e.nodeRoles[r.NodeID] = append(e.nodeRoles[r.NodeID], r.ARN)
				}
				if r.Boundary != "" {
					boundaryOf[r.NodeID] = r.Boundary
				}
			}
		}
		for _, n := range st.NodeIDs {
			if !slices.Contains(e.nodes, n) {
				e.nodes = append(e.nodes, n)
			}
		}
	}
	for _, n := range e.nodes {
		if c != nil && c.Boundary.NamePattern != "" {
			e.nodeBoundary[n] = "arn:aws:iam::" + e.account + ":policy/" + strings.Replace(c.Boundary.NamePattern, "*", n, 1)
		} else if b := boundaryOf[n]; b != "" {
			e.nodeBoundary[n] = b
		}
	}
	sort.Strings(e.nodes)
	sort.Strings(e.crossRoles)
	return e
}

// parse returns the parsed form of a canonical document, cached.
func (e *engine) parse(raw json.RawMessage) (*policy.Document, error) {
	key := string(raw)
	e.mu.Lock()
	d, ok := e.docs[key]
	e.mu.Unlock()
	if ok {
		return d.doc, d.err
	}
	doc, err := policy.Parse(raw)
	e.mu.Lock()
	e.docs[key] = docEntry{doc, err}
	e.mu.Unlock()
	return doc, err
}

// effects fills each item's Access.
func (e *engine) effects(items []Item, workers int) {
	var todo []int
	for i := range items {
		if items[i].Status != finding.NotEvaluated && hasEffect(items[i].Kind) && items[i].patch != nil {
			todo = append(todo, i)
		}
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, len(todo)))
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				items[i].Access = e.effect(&items[i])
			}
		})
	}
	for _, i := range todo {
		next <- i
	}
	close(next)
	wg.Wait()
}

func hasEffect(k Kind) bool {
	switch k {
	case RoleAdded, TrustChanged, BoundaryAdded, BoundaryRemoved, BoundaryReplaced, InlineAdded, InlineRemoved, InlineChanged,
		PolicyAttached, PolicyDetached, DefaultVersionSwitch, DocumentChanged, UserAdded, UserPermsChanged, GroupChanged:
		return true
	}
	return false
}

// effect compares the baseline with the baseline plus this item.
func (e *engine) effect(it *Item) *Access {
	before := newView(e.base, nil)
	after := newView(e.base, e.cur)
	it.patch(after)
	acc := &Access{Principals: []PrincipalEffect{}}
	if it.Kind == TrustChanged || it.Kind == RoleAdded {
		var bt json.RawMessage
		if r := before.role(it.role); r != nil {
			bt = r.Trust
		}
		r := after.role(it.role)
		pe, n := e.compareTrust(r.ARN, bt, r.Trust)
		acc.Requests += n
		pe.Principal, pe.Kind = "role/"+it.role+" (trust)", r.Kind
		if it.Kind == TrustChanged || len(pe.NewlyAllowed) > 0 || len(pe.Incomplete) > 0 {
			acc.Principals = append(acc.Principals, pe)
		}
		if it.Kind == TrustChanged {
			acc.Effect = combine(acc.Principals)
			return acc
		}
	}
	for _, c := range e.ceilings(it, before, after) {
		acc.Requests += c.n
		acc.Principals = append(acc.Principals, c.pe)
	}
	// The principals are independent: compared in parallel, kept in order.
	ps := e.principals(it)
	out := make([]ceilingEffect, len(ps))
	workers := min(runtime.GOMAXPROCS(0), len(ps))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(ps); i += workers {
				out[i].pe, out[i].n = e.compare(ps[i], before, after)
			}
		})
	}
	wg.Wait()
	for _, r := range out {
		acc.Requests += r.n
		acc.Principals = append(acc.Principals, r.pe)
	}
	acc.Effect = combine(acc.Principals)
	if len(acc.Principals) == 0 {
		acc.Effect = "no principal uses it"
	}
	return acc
}

type ceilingEffect struct {
	pe PrincipalEffect
	n  int
}

// ceilings are the boundary changes an item makes, compared as ceilings:
// what the boundary admits before and after, whatever the identity
// policies allow today. A boundary policy's change is compared once for
// every role that carries it (the roles are named); a role's boundary
// removal compares the old boundary with none.
func (e *engine) ceilings(it *Item, before, after *view) []ceilingEffect {
	switch it.Kind {
	case BoundaryAdded, BoundaryRemoved, BoundaryReplaced:
		br, ar := before.role(it.role), after.role(it.role)
		if br == nil || ar == nil {
			return nil
		}
		doc := func(v *view, arn string) json.RawMessage {
			if p := v.policy(arn); p != nil {
				return p.DefaultDocument()
			}
			return nil
		}
		bs := e.ceilingSet(br.ARN, br.Kind, br.NodeID, doc(before, br.Boundary), br.Boundary != "")
		as := e.ceilingSet(ar.ARN, ar.Kind, ar.NodeID, doc(after, ar.Boundary), ar.Boundary != "")
		pe, n := e.compareSets("role/"+it.role+" (boundary ceiling)", bs, as)
		return []ceilingEffect{{pe, n}}
	case DefaultVersionSwitch, DocumentChanged:
		var carriers []*Role
		for _, st := range []*State{e.base, e.cur} {
			for i := range st.Roles {
				r := &st.Roles[i]
				if r.Boundary == it.policy && !slices.ContainsFunc(carriers, func(x *Role) bool { return x.Name == r.Name }) {
					carriers = append(carriers, r)
				}
			}
		}
		if len(carriers) == 0 {
			return nil
		}
		sort.Slice(carriers, func(i, j int) bool { return carriers[i].Name < carriers[j].Name })
		names := make([]string, len(carriers))
		for i, r := range carriers {
			names[i] = r.Name
		}
		first := carriers[0]
		var bd, ad json.RawMessage
		if p := before.policy(it.policy); p != nil {
			bd = p.DefaultDocument()
		}
		if p := after.policy(it.policy); p != nil {
			ad = p.DefaultDocument()
		}
		pe, n := e.compareSets(fmt.Sprintf("boundary ceiling (%d role(s): %s)", len(names), joinShort(names)),
			e.ceilingSet(first.ARN, first.Kind, first.NodeID, bd, true), e.ceilingSet(first.ARN, first.Kind, first.NodeID, ad, true))
		pe.Kind = "boundary"
		return []ceilingEffect{{pe, n}}
	}
	return nil
}

// principalRef names a role or user.
type principalRef struct {
	user bool
	name string
}

// principals are those whose permissions the item changes: the role or
// user itself, every role and user carrying a changed policy, every member
// of a changed group.
func (e *engine) principals(it *Item) []principalRef {
	switch {
	case it.role != "":
		return []principalRef{{name: it.role}}
	case it.user != "":
		return []principalRef{{user: true, name: it.user}}
	case it.group != "":
		return usersInGroup(it.group, e.base, e.cur)
	case it.policy != "":
		var out []principalRef
		seen := map[principalRef]bool{}
		addP := func(p principalRef) {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
		for _, st := range []*State{e.base, e.cur} {
			for _, r := range st.Roles {
				if r.Boundary == it.policy || slices.Contains(r.Attached, it.policy) {
					addP(principalRef{name: r.Name})
				}
			}
			for _, u := range st.Users {
				if u.Boundary == it.policy || slices.Contains(u.Attached, it.policy) {
					addP(principalRef{user: true, name: u.Name})
				}
			}
			for _, g := range st.Groups {
				if slices.Contains(g.Attached, it.policy) {
					for _, p := range usersInGroup(g.Name, e.base, e.cur) {
						addP(p)
					}
				}
			}
		}
		sort.Slice(out, func(i, j int) bool {
			if out[i].user != out[j].user {
				return !out[i].user
			}
			return out[i].name < out[j].name
		})
		return out
	}
	return nil
}

func usersInGroup(group string, sts ...*State) []principalRef {
	var out []principalRef
	seen := map[string]bool{}
	for _, st := range sts {
		for _, u := range st.Users {
			if slices.Contains(u.Groups, group) && !seen[u.Name] {
				seen[u.Name] = true
				out = append(out, principalRef{user: true, name: u.Name})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// principalSet is a principal's policies in one view.
type principalSet struct {
	exists   bool
	allowAll bool // a missing boundary as a ceiling: admits everything
	arn      string
	kind     string
	node     string
	set      policy.PolicySet
	docs     []*policy.Document
	problems []string
}

func (e *engine) setOf(v *view, p principalRef) principalSet {
	var ps principalSet
	doc := func(raw json.RawMessage, what string) *policy.Document {
		if raw == nil {
			ps.problems = append(ps.problems, what+": no document")
			return nil
		}
		d, err := e.parse(raw)
		if err != nil {
			ps.problems = append(ps.problems, fmt.Sprintf("%s: %v", what, err))
			return nil
		}
		ps.docs = append(ps.docs, d)
		return d
	}
	managed := func(arn string) *policy.Document {
		pol := v.policy(arn)
		if pol == nil {
			ps.problems = append(ps.problems, "policy "+arn+" is not in the snapshot")
			return nil
		}
		return doc(pol.DefaultDocument(), "policy "+arn)
	}
	addIdentity := func(name string, d *policy.Document) {
		if d != nil {
			ps.set.Identity = append(ps.set.Identity, policy.NamedPolicy{Name: name, Doc: d})
		}
	}
	var inline []Inline
	var attached []string
	var boundary string
	if p.user {
		u := v.user(p.name)
		if u == nil {
			return ps
		}
		ps.exists, ps.arn, ps.kind = true, u.ARN, "user"
		inline, attached, boundary = u.Inline, u.Attached, u.Boundary
		for _, gn := range u.Groups {
			g := v.group(gn)
			if g == nil {
				ps.problems = append(ps.problems, "group "+gn+" is not in the snapshot")
				continue
			}
			for _, ip := range g.Inline {
				addIdentity("group/"+gn+"/"+ip.Name, doc(ip.Document, "group "+gn+" inline policy "+ip.Name))
			}
			for _, a := range g.Attached {
				addIdentity(a, managed(a))
			}
		}
	} else {
		r := v.role(p.name)
		if r == nil {
			return ps
		}
		ps.exists, ps.arn, ps.kind, ps.node = true, r.ARN, r.Kind, r.NodeID
		inline, attached, boundary = r.Inline, r.Attached, r.Boundary
	}
	for _, ip := range inline {
		addIdentity(ip.Name, doc(ip.Document, "inline policy "+ip.Name))
	}
	for _, a := range attached {
		addIdentity(a, managed(a))
	}
	if boundary != "" {
		if d := managed(boundary); d != nil {
			ps.set.Boundary = &policy.NamedPolicy{Name: boundary, Doc: d}
		} else {
			// Without the boundary only denials are certain.
			ps.problems = append(ps.problems, "permissions boundary "+boundary+" could not be read")
		}
	}
	return ps
}

// compare evaluates the request catalogue for one principal before and
// after, and returns what changed and how many requests it evaluated.
func (e *engine) compare(p principalRef, before, after *view) (PrincipalEffect, int) {
	bs, as := e.setOf(before, p), e.setOf(after, p)
	who := "role/" + p.name
	if p.user {
		who = "user/" + p.name
	}
	return e.compareSets(who, bs, as)
}

// ceilingSet is a boundary policy as the only policy of a principal: what
// the boundary admits, whatever identity policies are attached later. doc
// nil means no boundary (everything is admitted).
func (e *engine) ceilingSet(arn, kind, node string, raw json.RawMessage, bounded bool) principalSet {
	ps := principalSet{exists: true, arn: arn, kind: kind, node: node}
	if !bounded {
		ps.allowAll = true
		return ps
	}
	if raw == nil {
		ps.problems = append(ps.problems, "the boundary policy's document is not in the snapshot")
		return ps
	}
	d, err := e.parse(raw)
	if err != nil {
		ps.problems = append(ps.problems, err.Error())
		return ps
	}
	ps.docs = []*policy.Document{d}
	ps.set.Identity = []policy.NamedPolicy{{Name: "boundary", Doc: d}}
	return ps
}

func effectOf(widened, narrowed, incomplete bool) string {
	switch {
	case widened && narrowed:
		return "widened and narrowed"
	case widened:
		return "widened"
	case narrowed && !incomplete:
		return "narrowed"
	case incomplete:
		return "not evaluated"
	}
	return "no evaluated request changed"
}

// combine sums the principals' effects.
func combine(ps []PrincipalEffect) string {
	var w, nw, inc bool
	for _, p := range ps {
		w = w || len(p.NewlyAllowed) > 0
		nw = nw || len(p.NewlyDenied) > 0
		inc = inc || len(p.Incomplete) > 0
	}
	return effectOf(w, nw, inc)
}

func sortRequests(rs []Request) {
	sort.SliceStable(rs, func(i, j int) bool {
		a, b := rs[i], rs[j]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if a.rank != b.rank {
			return a.rank != 0 && (b.rank == 0 || a.rank < b.rank)
		}
		if a.Action != b.Action {
			return a.Action < b.Action
		}
		if a.Caller != b.Caller {
			return a.Caller < b.Caller
		}
		return a.Resource < b.Resource
	})
}

func truncate(rs []Request) ([]Request, int) {
	if len(rs) <= maxListed {
		return rs, 0
	}
	return rs[:maxListed], len(rs) - maxListed
}

func appendUnique(l []string, s string) []string {
	if slices.Contains(l, s) || len(l) >= 20 {
		return l
	}
	return append(l, s)
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
