package policy

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Request is one authorization request to evaluate.
type Request struct {
	// Principal is the ARN of the calling principal. It feeds policy
	// variables and the aws:PrincipalArn, aws:PrincipalAccount and (for IAM
	// users) aws:username keys when Context does not carry them. For a role
	// session pass the role's ARN (arn:aws:iam::…:role/…), which is what
	// AWS puts in aws:PrincipalArn.
	Principal string
	// Action is "service:Action", matched case-insensitively.
	Action string
	// Resource is an ARN, or "*" for actions without resource-level
	// permissions. Matched case-sensitively.
	Resource string
	// Context maps condition keys (any case) to one or many values. A key
	// that is absent, or present with no values, is missing from the
	// request.
	Context map[string][]string
	// ResourceAccount, when set, is the value of aws:ResourceAccount for a
	// request whose Context does not carry that key (AWS supplies it from
	// the resource's owner). It spares callers a copy of Context per request.
	ResourceAccount string
	// Now, when set, is the time of the request: it supplies aws:CurrentTime
	// and aws:EpochTime when Context carries neither. Every AWS request
	// carries both keys, so a condition on them with neither Context nor Now
	// supplying a time is unevaluable rather than "key absent".
	Now time.Time
}

// Layer names a kind of policy in the evaluation.
type Layer string

// The policy layers of an identity-based request.
const (
	LayerIdentity Layer = "identity"
	LayerBoundary Layer = "boundary"
	LayerSCP      Layer = "scp"
	LayerSession  Layer = "session"
	// LayerResource is a resource-based policy such as a role's trust
	// policy; see CompileTrust.
	LayerResource Layer = "resource"
)

// NamedPolicy is a policy document with the name findings show for it
// (inline policy name, managed policy ARN or name, SCP name).
type NamedPolicy struct {
	Name string
	Doc  *Document
}

// PolicySet is everything that decides an identity-based request.
type PolicySet struct {
	// Identity holds the inline and managed policies of the principal (and,
	// for users, of its groups).
	Identity []NamedPolicy
	// Boundary is the permissions boundary; nil means none.
	Boundary *NamedPolicy
	// SCPLevels are the service control policies from the organization root
	// down to the account, one slice per level. At every level at least one
	// SCP must allow the request. A level with no policies allows nothing.
	// nil means the account is not governed by SCPs.
	SCPLevels [][]NamedPolicy
	// Session holds session policies; empty means none.
	Session []NamedPolicy
}

// Decision is the outcome of an evaluation.
type Decision int

// Decisions. The zero value is ImplicitDeny.
const (
	ImplicitDeny Decision = iota
	Allow
	ExplicitDeny
)

// String returns "ImplicitDeny", "Allow" or "ExplicitDeny".
func (d Decision) String() string {
	switch d {
	case ImplicitDeny:
		return "ImplicitDeny"
	case Allow:
		return "Allow"
	case ExplicitDeny:
		return "ExplicitDeny"
	}
	return fmt.Sprintf("Decision(%d)", int(d))
}

// MarshalText writes the String form.
func (d Decision) MarshalText() ([]byte, error) {
	switch d {
	case ImplicitDeny, Allow, ExplicitDeny:
		return []byte(d.String()), nil
	}
	return nil, fmt.Errorf("invalid decision %d", int(d))
}

// UnmarshalText reads the String form (case-insensitive).
func (d *Decision) UnmarshalText(b []byte) error {
	v, err := ParseDecision(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// ParseDecision parses "Allow", "ExplicitDeny" or "ImplicitDeny"
// (case-insensitive).
func ParseDecision(s string) (Decision, error) {
	for _, d := range [...]Decision{ImplicitDeny, Allow, ExplicitDeny} {
		if strings.EqualFold(s, d.String()) {
			return d, nil
		}
	}
	return ImplicitDeny, fmt.Errorf("unknown decision %q (want Allow, ExplicitDeny or ImplicitDeny)", s)
}

// MatchedStatement identifies a statement that took part in a decision.
type MatchedStatement struct {
	Layer  Layer  `json:"layer"`
	Level  int    `json:"level,omitempty"` // SCP level, 0 = root
	Policy string `json:"policy"`
	Index  int    `json:"index"` // statement index in the policy
	Sid    string `json:"sid,omitempty"`
	Effect Effect `json:"effect"`
}

// String renders e.g. `identity/inline-policy[2] "DenyNoBoundary" (Deny)`.
func (m MatchedStatement) String() string {
	var b strings.Builder
	b.WriteString(string(m.Layer))
	if m.Layer == LayerSCP {
		fmt.Fprintf(&b, "[%d]", m.Level)
	}
	fmt.Fprintf(&b, "/%s[%d]", m.Policy, m.Index)
	if m.Sid != "" {
		fmt.Fprintf(&b, " %q", m.Sid)
	}
	fmt.Fprintf(&b, " (%s)", m.Effect)
	return b.String()
}

// Result is a decision with its explanation.
type Result struct {
	Decision Decision `json:"decision"`
	// Matched lists the statements that decided: every matching Deny for
	// ExplicitDeny; for Allow, every matching Allow of every layer, in layer
	// order (identity, boundary, SCP levels, session). Empty for
	// ImplicitDeny. Treat it as read-only: when one statement decides, the
	// slice is shared with the Compiled (capacity 1, so append copies).
	Matched []MatchedStatement `json:"matched,omitempty"`
	// MissingLayer is, for ImplicitDeny, the first layer with no statement
	// allowing the request (MissingLevel says which SCP level).
	MissingLayer Layer `json:"missing_layer,omitempty"`
	MissingLevel int   `json:"missing_level,omitempty"`
	// Unevaluable, when non-empty, means the engine could not decide
	// faithfully: a statement whose outcome would change the decision has
	// a condition or variable the engine cannot evaluate. Decision is then
	// meaningless (ImplicitDeny) and must be reported as not evaluated.
	// Unknowns that cannot change the decision (say, a condition in an
	// Allow statement when another statement denies explicitly) are not
	// reported.
	Unevaluable []string `json:"unevaluable,omitempty"`
}

// Evaluable reports whether the decision is faithful.
func (r Result) Evaluable() bool { return len(r.Unevaluable) == 0 }

// ErrPrincipalInIdentityPolicy is returned (wrapped in a *CompileError) by
// Compile for a statement with Principal or NotPrincipal: IAM rejects those
// elements in identity policies, boundaries, SCPs and session policies, so
// such a document is not what AWS would evaluate.
var ErrPrincipalInIdentityPolicy = errors.New("Principal/NotPrincipal is only valid in resource-based policies")

// ErrNoResource is returned (wrapped) for a statement with neither Resource
// nor NotResource in a layer where IAM requires one.
var ErrNoResource = errors.New("statement has neither Resource nor NotResource")

// CompileError says which policy of a set could not be compiled.
type CompileError struct {
	Layer  Layer
	Level  int
	Policy string
	Index  int // statement index, -1 for the document
	Sid    string
	Err    error
}

func (e *CompileError) Error() string {
	var b strings.Builder
	b.WriteString(string(e.Layer))
	if e.Layer == LayerSCP {
		fmt.Fprintf(&b, "[%d]", e.Level)
	}
	fmt.Fprintf(&b, " policy %q", e.Policy)
	if e.Index >= 0 {
		fmt.Fprintf(&b, " statement %d", e.Index)
		if e.Sid != "" {
			fmt.Fprintf(&b, " (Sid %q)", e.Sid)
		}
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *CompileError) Unwrap() error { return e.Err }

// Compiled is a PolicySet prepared for evaluation. It is immutable and safe
// for concurrent use.
type Compiled struct {
	layers []cLayer
	// wc caches the witness computations of Exists.
	wc *witnessCache
}

type cLayer struct {
	layer Layer
	level int
	stmts []cStmt
	// allow and deny index the statements by the service prefix of the
	// actions they can match.
	allow, deny stmtIndex
}

// stmtIndex finds the statements of one effect that can match an action
// without trying every statement. Keys are lower case: a full action name
// ("iam:createrole") for actions some statement names literally, and a
// service prefix ("iam") otherwise. Each list is in statement order and
// includes the statements that can match any service (NotAction, or a
// wildcard in the service part), which are also the fallback list.
type stmtIndex struct {
	by   map[string][]cand
	rest []cand
}

// cand is a candidate statement; actionOK says the index already proved
// that the action matches (a literal Action entry equal to it).
type cand struct {
	stmt     int32
	actionOK bool
}

// candidates returns the statements that may match action.
func (x *stmtIndex) candidates(action string) []cand {
	if len(x.by) == 0 {
		return x.rest
	}
	var buf [96]byte
	if len(action) > len(buf) {
		return x.slowCandidates(action)
	}
	svcLen := -1
	for i := 0; i < len(action); i++ {
		c := action[i]
		if c == ':' && svcLen < 0 {
			svcLen = i
		}
		buf[i] = toLowerASCII(c)
	}
	if c, ok := x.by[string(buf[:len(action)])]; ok {
		return c
	}
	if svcLen < 0 {
		return x.rest
	}
	if c, ok := x.by[string(buf[:svcLen])]; ok {
		return c
	}
	return x.rest
}

func (x *stmtIndex) slowCandidates(action string) []cand {
	lower := strings.ToLower(action)
	if c, ok := x.by[lower]; ok {
		return c
	}
	if svc, _, found := strings.Cut(lower, ":"); found {
		if c, ok := x.by[svc]; ok {
			return c
		}
	}
	return x.rest
}

// buildIndex indexes the statements of one effect.
func buildIndex(stmts []cStmt, deny bool) stmtIndex {
	var x stmtIndex
	// For each statement of the effect: whether it can match any service,
	// the services of its wildcard patterns and its lower-cased literal
	// actions (short lists, searched linearly, kept in two shared slices).
	type info struct {
		any          bool
		svcLo, svcHi int // range of svcs
		litLo, litHi int // range of lits
	}
	infos := make([]info, len(stmts))
	var keys, svcs, lits []string
	for i := range stmts {
		s := &stmts[i]
		if s.deny != deny {
			continue
		}
		in := &infos[i]
		in.svcLo, in.litLo = len(svcs), len(lits)
		if s.notAction {
			in.any = true
		} else {
			for _, a := range s.rawActions {
				svc, _, found := strings.Cut(a, ":")
				if !found || strings.ContainsAny(svc, "*?") {
					in.any = true
					break
				}
				svc = strings.ToLower(svc)
				if !slices.Contains(keys, svc) {
					keys = append(keys, svc)
				}
				if strings.ContainsAny(a, "*?") {
					svcs = append(svcs, svc)
				} else {
					l := strings.ToLower(a)
					lits = append(lits, l)
					if !slices.Contains(keys, l) {
						keys = append(keys, l)
					}
				}
			}
		}
		in.svcHi, in.litHi = len(svcs), len(lits)
	}
	for i := range stmts {
		if stmts[i].deny == deny && infos[i].any {
			x.rest = append(x.rest, cand{stmt: int32(i)})
		}
	}
	if len(keys) == 0 {
		return x
	}
	x.by = make(map[string][]cand, len(keys))
	// The lists share one backing array (a list is capped, so appending
	// to one copies).
	var all []cand
	for _, key := range keys {
		svc, _, isAction := strings.Cut(key, ":")
		start := len(all)
		for i := range stmts {
			in := &infos[i]
			if stmts[i].deny != deny {
				continue
			}
			literals := lits[in.litLo:in.litHi]
			switch {
			case in.any:
				all = append(all, cand{stmt: int32(i)})
			case isAction && slices.Contains(literals, key):
				all = append(all, cand{stmt: int32(i), actionOK: true})
			case slices.Contains(svcs[in.svcLo:in.svcHi], svc):
				all = append(all, cand{stmt: int32(i)})
			case !isAction && hasService(literals, svc):
				all = append(all, cand{stmt: int32(i)})
			}
		}
		var list []cand
		if len(all) > start {
			list = all[start:len(all):len(all)]
		}
		x.by[key] = list
	}
	return x
}

// hasService reports whether some literal action belongs to svc.
func hasService(literals []string, svc string) bool {
	for _, a := range literals {
		if len(a) > len(svc) && a[len(svc)] == ':' && strings.HasPrefix(a, svc) {
			return true
		}
	}
	return false
}

// resource element kinds.
const (
	resAny = iota // no Resource element (resource-based policies)
	resList
	resNotList
)

type cStmt struct {
	// ms is a one-element slice identifying the statement, shared by every
	// Result it alone decides (capacity 1, so callers' appends copy).
	ms        []MatchedStatement
	deny      bool
	notAction bool
	actions   []actionPattern
	// rawActions is the Action or NotAction list as written.
	rawActions []string
	resKind    int
	resources  []arnPattern
	conds      []compiledCond
	// Resource-based policies only.
	principal    *Principal
	notPrincipal bool
}

type actionPattern struct {
	any  bool
	toks []rtok
}

func (s *cStmt) label() string {
	m := s.ms[0]
	var b strings.Builder
	b.WriteString(string(m.Layer))
	if m.Layer == LayerSCP {
		fmt.Fprintf(&b, "[%d]", m.Level)
	}
	fmt.Fprintf(&b, "/%s[%d]", m.Policy, m.Index)
	if m.Sid != "" {
		fmt.Fprintf(&b, " %q", m.Sid)
	}
	return b.String()
}

// Compile validates and compiles a policy set. Documents are validated
// again (they may have been built without Parse); a statement with
// Principal/NotPrincipal or without Resource/NotResource is an error (see
// ErrPrincipalInIdentityPolicy, ErrNoResource).
func Compile(set PolicySet) (*Compiled, error) {
	c := &Compiled{wc: &witnessCache{}}
	if err := c.addLayer(LayerIdentity, 0, set.Identity); err != nil {
		return nil, err
	}
	if set.Boundary != nil {
		if err := c.addLayer(LayerBoundary, 0, []NamedPolicy{*set.Boundary}); err != nil {
			return nil, err
		}
	}
	for i, lvl := range set.SCPLevels {
		if err := c.addLayer(LayerSCP, i, lvl); err != nil {
			return nil, err
		}
	}
	if len(set.Session) > 0 {
		if err := c.addLayer(LayerSession, 0, set.Session); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (c *Compiled) addLayer(layer Layer, level int, pols []NamedPolicy) error {
	l := cLayer{layer: layer, level: level}
	n := 0
	for _, np := range pols {
		if np.Doc != nil {
			n += len(np.Doc.Statements)
		}
	}
	// The layer's statements and their one-element explanations are each
	// allocated once.
	l.stmts = make([]cStmt, 0, n)
	ms := make([]MatchedStatement, n)
	for _, np := range pols {
		var err error
		if l.stmts, ms, err = compileDocumentInto(l.stmts, ms, layer, level, np); err != nil {
			return err
		}
	}
	l.allow = buildIndex(l.stmts, false)
	l.deny = buildIndex(l.stmts, true)
	c.layers = append(c.layers, l)
	return nil
}

func compileDocument(layer Layer, level int, np NamedPolicy) ([]cStmt, error) {
	var n int
	if np.Doc != nil {
		n = len(np.Doc.Statements)
	}
	out, _, err := compileDocumentInto(make([]cStmt, 0, n), make([]MatchedStatement, n), layer, level, np)
	return out, err
}

// compileDocumentInto appends the document's statements to out, taking
// their explanations from ms (one element each); it returns what is left of
// ms.
func compileDocumentInto(out []cStmt, ms []MatchedStatement, layer Layer, level int, np NamedPolicy) ([]cStmt, []MatchedStatement, error) {
	cerr := func(idx int, sid string, err error) error {
		return &CompileError{Layer: layer, Level: level, Policy: np.Name, Index: idx, Sid: sid, Err: err}
	}
	if np.Doc == nil {
		return nil, nil, cerr(-1, "", errors.New("no policy document"))
	}
	if err := np.Doc.Validate(); err != nil {
		return nil, nil, cerr(-1, "", err)
	}
	vars := np.Doc.Version == "2012-10-17"
	for i := range np.Doc.Statements {
		st := &np.Doc.Statements[i]
		if layer != LayerResource {
			if st.Principal != nil || st.NotPrincipal != nil {
				return nil, nil, cerr(i, st.Sid, ErrPrincipalInIdentityPolicy)
			}
			if st.Resource == nil && st.NotResource == nil {
				return nil, nil, cerr(i, st.Sid, ErrNoResource)
			}
		}
		ms[0] = MatchedStatement{Layer: layer, Level: level, Policy: np.Name, Index: i, Sid: st.Sid, Effect: st.Effect}
		out = append(out, compileStatement(ms[0:1:1], st, vars))
		ms = ms[1:]
	}
	return out, ms, nil
}

// compileStatement compiles st; ms is its explanation (one element,
// capacity one).
func compileStatement(ms []MatchedStatement, st *Statement, vars bool) cStmt {
	cs := cStmt{ms: ms, deny: st.Effect == EffectDeny}
	actions := st.Action
	if st.NotAction != nil {
		cs.notAction, actions = true, st.NotAction
	}
	cs.rawActions = actions
	cs.actions = make([]actionPattern, 0, len(actions))
	for _, a := range actions {
		cs.actions = append(cs.actions, compileActionPattern(a))
	}
	res := st.Resource
	switch {
	case st.NotResource != nil:
		cs.resKind, res = resNotList, st.NotResource
	case st.Resource != nil:
		cs.resKind = resList
	}
	if len(res) > 0 {
		cs.resources = make([]arnPattern, 0, len(res))
	}
	for _, r := range res {
		cs.resources = append(cs.resources, compileARNPattern(r, patternOpts{wild: true, vars: vars}))
	}
	cs.conds = compileConditions(st.Condition, vars)
	if st.Principal != nil {
		cs.principal = st.Principal
	} else if st.NotPrincipal != nil {
		cs.principal, cs.notPrincipal = st.NotPrincipal, true
	}
	return cs
}

// matchAction reports whether the request's action is covered by the
// statement's Action (or not excluded by its NotAction).
func (s *cStmt) matchAction(action string) bool {
	m := false
	for i := range s.actions {
		a := &s.actions[i]
		if a.any || globMatch(a.toks, action, foldASCII) {
			m = true
			break
		}
	}
	return m != s.notAction
}

// matchResource applies Resource/NotResource.
func (s *cStmt) matchResource(ev *evalCtx) (tri, string) {
	if s.resKind == resAny {
		return triTrue, ""
	}
	unknown := ""
	matched := false
	for i := range s.resources {
		r := &s.resources[i]
		if r.any {
			matched = true
			break
		}
		ok, st, why := r.match(ev.req.Resource, ev.resourceARN(), ev)
		if st == resolvedBad {
			unknown = why
			continue
		}
		if ok {
			matched = true
			break
		}
	}
	if !matched && unknown != "" {
		return triUnknown, unknown
	}
	if matched != (s.resKind == resNotList) {
		return triTrue, ""
	}
	return triFalse, ""
}

// applies reports whether the statement applies to the request (action,
// resource and every condition), leaving out Principal.
func (s *cStmt) applies(ev *evalCtx) (tri, string) {
	return s.appliesAfterAction(ev, false)
}

// appliesAfterAction is applies when actionOK says whether the action is
// already known to match.
func (s *cStmt) appliesAfterAction(ev *evalCtx, actionOK bool) (tri, string) {
	if !actionOK && !s.matchAction(ev.req.Action) {
		return triFalse, ""
	}
	r, why := s.matchResource(ev)
	if r == triFalse {
		return triFalse, ""
	}
	unknown := why
	for i := range s.conds {
		t, w := s.conds[i].eval(ev)
		switch t {
		case triFalse:
			return triFalse, ""
		case triUnknown:
			if unknown == "" {
				unknown = w
			}
		}
	}
	if unknown != "" {
		return triUnknown, unknown
	}
	return triTrue, ""
}

// layerState is what one layer says about a request's allows.
type layerState struct {
	allows  int
	first   *cStmt
	unknown bool
}

// Evaluate decides the request with AWS's documented logic for
// identity-based requests:
//
//  1. an explicit Deny in any layer decides ExplicitDeny;
//  2. otherwise every present layer (identity; boundary; each SCP level;
//     session) must contain an Allow that applies, else ImplicitDeny
//     naming the first layer that lacks one. A boundary or SCP never
//     grants by itself: it only limits what the identity layer allows.
//  3. otherwise Allow.
//
// Statements whose outcome is unknown (see Result.Unevaluable) are taken
// into account three-valued: the result is reported unevaluable only when
// their outcome could change the decision. Evaluate does no JSON work and
// allocates only when more than one statement decides or the result is
// unevaluable (one slice for the explanation). It is safe for concurrent
// use.
func (c *Compiled) Evaluate(req *Request) Result {
	ev := evalCtx{req: req}
	var (
		firstDeny   *cStmt
		denies      int
		denyUnknown bool
	)
	for li := range c.layers {
		l := &c.layers[li]
		for _, cd := range l.deny.candidates(req.Action) {
			s := &l.stmts[cd.stmt]
			switch t, _ := s.appliesAfterAction(&ev, cd.actionOK); t {
			case triTrue:
				if denies == 0 {
					firstDeny = s
				}
				denies++
			case triUnknown:
				denyUnknown = true
			}
		}
	}
	if denies == 1 {
		return Result{Decision: ExplicitDeny, Matched: firstDeny.ms}
	}
	if denies > 1 {
		return Result{Decision: ExplicitDeny, Matched: c.collect(&ev, true, -1)}
	}
	if denyUnknown {
		return Result{Unevaluable: c.unknowns(&ev, true, -1)}
	}

	var buf [8]layerState
	states := buf[:0]
	for li := range c.layers {
		l := &c.layers[li]
		var ls layerState
		for _, cd := range l.allow.candidates(req.Action) {
			s := &l.stmts[cd.stmt]
			switch t, _ := s.appliesAfterAction(&ev, cd.actionOK); t {
			case triTrue:
				if ls.allows == 0 {
					ls.first = s
				}
				ls.allows++
			case triUnknown:
				ls.unknown = true
			}
		}
		states = append(states, ls)
	}
	unknownLayer := -1
	for li, ls := range states {
		if ls.allows > 0 {
			continue
		}
		if !ls.unknown {
			l := &c.layers[li]
			return Result{Decision: ImplicitDeny, MissingLayer: l.layer, MissingLevel: l.level}
		}
		if unknownLayer < 0 {
			unknownLayer = li
		}
	}
	if unknownLayer >= 0 {
		var why []string
		for li, ls := range states {
			if ls.allows == 0 && ls.unknown {
				why = append(why, c.unknowns(&ev, false, li)...)
			}
		}
		return Result{Unevaluable: why}
	}
	if len(states) == 1 && states[0].allows == 1 {
		return Result{Decision: Allow, Matched: states[0].first.ms}
	}
	total, single := 0, true
	for _, ls := range states {
		total += ls.allows
		single = single && ls.allows == 1
	}
	if single {
		// One allow per layer: build the explanation without re-matching.
		out := make([]MatchedStatement, len(states))
		for i, ls := range states {
			out[i] = ls.first.ms[0]
		}
		return Result{Decision: Allow, Matched: out}
	}
	out := make([]MatchedStatement, 0, total)
	return Result{Decision: Allow, Matched: c.collectInto(out, &ev, false, -1)}
}

// collect returns every statement of the given effect that applies, in
// layer order (one layer when layer >= 0).
func (c *Compiled) collect(ev *evalCtx, deny bool, layer int) []MatchedStatement {
	return c.collectInto(nil, ev, deny, layer)
}

// collectInto is collect appending to out.
func (c *Compiled) collectInto(out []MatchedStatement, ev *evalCtx, deny bool, layer int) []MatchedStatement {
	for li := range c.layers {
		if layer >= 0 && li != layer {
			continue
		}
		l := &c.layers[li]
		for si := range l.stmts {
			s := &l.stmts[si]
			if s.deny != deny {
				continue
			}
			if t, _ := s.applies(ev); t == triTrue {
				out = append(out, s.ms[0])
			}
		}
	}
	return out
}

// unknowns explains every statement of the given effect whose outcome is
// unknown.
func (c *Compiled) unknowns(ev *evalCtx, deny bool, layer int) []string {
	var out []string
	for li := range c.layers {
		if layer >= 0 && li != layer {
			continue
		}
		l := &c.layers[li]
		for si := range l.stmts {
			s := &l.stmts[si]
			if s.deny != deny {
				continue
			}
			if t, why := s.applies(ev); t == triUnknown {
				out = append(out, s.label()+": "+why)
			}
		}
	}
	return out
}
