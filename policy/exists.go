package policy

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Existential questions. Evaluate decides one concrete request; a promise
// ("the role cannot create a role without the boundary") is universal, so a
// check asks: is there any request, with any value of the condition keys the
// caller chooses, that the policies allow? Exists answers that completely,
// or says why it could not.
//
// The context model (keys.go): a condition key is fixed (a fact the
// question supplies, or absent) or caller-chosen (any value, or none);
// keys no table or question classifies are caller-chosen. The request time
// is one caller-chosen instant for aws:CurrentTime and aws:EpochTime, whole
// seconds, never absent, never before Question.Now.
//
// The procedure: for every caller-chosen key that a statement matching the
// action (and able to match the resource) tests, Exists builds a finite
// set of witness values from the policies' own constants such that every
// region of the key's value space the operators distinguish has one, plus
// "absent" (cells.go for strings and ARNs, witness.go for the ordered and
// typed families). Each condition tests one key, so the decision depends
// on a key's value only through its region: evaluating one witness per
// region and key, for every combination (the product over keys, at most
// Question.Limit combinations), decides the question. Witnesses that make
// every dependent condition, resource pattern and partition pattern come
// out the same are merged first.
//
// Multi-valued keys take value sets: absent (the evaluator treats an empty
// set as absent) and every set of 1..m distinct single-value witnesses,
// where m is the number of conditions on the key (at most maxSetSize).
// That suffices: each condition on a set S is "some v in S has property P"
// or "every v in S has P" with P a function of v's region. Given any S that
// yields some outcome, keep one element witnessing each true "some"
// condition and one counter-example to each false "every" condition (any
// one element if there is none): the subset yields the same outcome, since
// dropping elements cannot make a false "some" true or a true "every"
// false, and it has at most m elements, each replaceable by its region's
// witness.
//
// Policy variables that name a caller-chosen key: in a Resource pattern, or
// in a condition value compared with a fixed key's value, the values that
// make the pattern match the (fixed) resource or value are substrings of it
// (or empty); the evaluator itself decides each substring, and those that
// match become witnesses. A variable on a caller-chosen key compared with
// another caller-chosen key, a pattern naming two caller-chosen keys, and
// variables on the request time or an open principal are not decided: the
// answer is then incomplete (with the reason), though a witness found is
// still definitive.
//
// Semantics of Answer: Found is a concrete context for which want held;
// Found == nil with Complete proves no context satisfies want; otherwise
// the caller must report NOT_EVALUATED with Reason, never PASS. want may
// depend on the Result and, for values, on the partition patterns the
// question gives (Keys[…].Partition, PrincipalPartition); other properties
// of a witness value are not guaranteed to be covered.

// Question is an existential question about one request shape.
type Question struct {
	// Principal is Request.Principal. For a resource-based policy
	// (CompiledTrust) "" leaves the principal open: Exists then also
	// chooses the caller, from the policy's Principal elements and its
	// conditions on aws:PrincipalArn and aws:PrincipalAccount, and facts
	// about the principal (tags, org) become caller-chosen unless Fixed or
	// Keys say otherwise.
	Principal string
	// Action, Resource and ResourceAccount are as in Request.
	Action          string
	Resource        string
	ResourceAccount string
	// Fixed holds the known facts: principal and resource tags, org IDs,
	// and any key the question pins. A key in Fixed is fixed (unless Keys
	// makes it caller-chosen); a fixed key not in Fixed is absent.
	Fixed map[string][]string
	// Keys overrides the built-in classes per key (names compared
	// case-insensitively; a name ending in "*" covers every key with that
	// prefix, e.g. "aws:PrincipalTag/*" when session tags are possible).
	Keys map[string]KeyInfo
	// Now is the earliest time a request can be made: aws:CurrentTime and
	// aws:EpochTime witnesses are never before it. Zero allows any time,
	// past ones included (a witness then may be a time already gone).
	Now time.Time
	// PrincipalDomain and PrincipalPartition are the Domain and Partition
	// of the principal when Principal is "".
	PrincipalDomain    []string
	PrincipalPartition []string
	// KeyType, when set, gives the value type of a key the built-in table
	// does not know (a service key: the action catalogue knows its type);
	// TypeDefault leaves it free text.
	KeyType func(key string) ValueType
	// KeyMulti, when set, says whether a key the built-in table does not
	// know is multi-valued (known false: the catalogue says it holds one
	// value). A key of unknown multiplicity that a condition tests with
	// ForAllValues or ForAnyValue is taken as multi-valued.
	KeyMulti func(key string) (multi, known bool)
	// Limit caps the contexts evaluated; 0 means DefaultLimit.
	Limit int
	// Cache, when set, is used instead of the policy set's own cache.
	Cache *WitnessCache
}

// DefaultLimit is the number of contexts Exists evaluates at most when
// Question.Limit is 0.
const DefaultLimit = 4096

// maxSetSize caps the size of the value sets tried for a multi-valued key.
const maxSetSize = 3

// ChosenValue is the value Exists chose for one caller-chosen key.
type ChosenValue struct {
	Key string `json:"key"`
	// Values is nil when the key is absent.
	Values []string `json:"values"`
}

// Witness is one context Exists evaluated.
type Witness struct {
	// Principal is the principal evaluated (the question's, or the one
	// chosen when the question left it open).
	Principal string `json:"principal,omitempty"`
	// Context is the whole request context: Fixed and the chosen values.
	// During a call of want it is shared between calls; Answer.Found
	// holds a copy (without absent keys).
	Context map[string][]string `json:"context"`
	// Chosen lists the caller-chosen keys the policies test and their
	// values, sorted by key.
	Chosen []ChosenValue `json:"chosen"`
	Result Result        `json:"result"`

	openPrincipal bool
}

// String renders the chosen values, e.g.
// `aws:userid="AROAEXAMPLE:terraform-" aws:CurrentTime=(absent)`.
func (w *Witness) String() string {
	var b strings.Builder
	if w.openPrincipal {
		fmt.Fprintf(&b, "principal=%q", w.Principal)
	}
	for _, c := range w.Chosen {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(c.Key)
		b.WriteByte('=')
		switch len(c.Values) {
		case 0:
			b.WriteString("(absent)")
		case 1:
			b.WriteString(strconv.Quote(c.Values[0]))
		default:
			b.WriteByte('[')
			for i, v := range c.Values {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString(strconv.Quote(v))
			}
			b.WriteByte(']')
		}
	}
	if b.Len() == 0 {
		return "(no caller-chosen key)"
	}
	return b.String()
}

// Answer is the outcome of an existential question.
type Answer struct {
	// Found is a context for which want held: a concrete counter-example.
	Found *Witness
	// Complete says the answer is decided: Found is set, or every region
	// of every caller-chosen key was tried and every evaluation was
	// faithful, so no context satisfies want.
	Complete bool
	// Reason says why the answer is not complete (the bound was hit, a
	// variable couples two caller-chosen keys, a statement could not be
	// evaluated …). Empty when Complete.
	Reason string
	// Tried is the number of contexts evaluated; Regions the number of
	// combinations of witness values (saturating).
	Tried   int
	Regions int
}

// Outcome is an Answer's verdict.
type Outcome uint8

// Outcomes.
const (
	// Undecided: report NOT_EVALUATED with Answer.Reason, never PASS.
	Undecided Outcome = iota
	// Exists: Answer.Found is a counter-example.
	Exists
	// NoneExists: proven that no context satisfies want.
	NoneExists
)

// String returns "undecided", "exists" or "none-exists".
func (o Outcome) String() string {
	switch o {
	case Exists:
		return "exists"
	case NoneExists:
		return "none-exists"
	}
	return "undecided"
}

// Outcome returns the verdict.
func (a Answer) Outcome() Outcome {
	switch {
	case a.Found != nil:
		return Exists
	case a.Complete:
		return NoneExists
	}
	return Undecided
}

// Decider answers existential questions; *Compiled and *CompiledTrust
// implement it.
type Decider interface {
	// Exists looks for a context for which want holds. want sees every
	// faithful evaluation (never an unevaluable one); it must neither keep
	// nor modify w.Context or w.Chosen, which are reused and hold cached
	// values. Answer.Found is a copy the caller owns.
	Exists(q *Question, want func(w Witness) bool) Answer
	// ExistsAllowed is Exists with want "Decision is Allow".
	ExistsAllowed(q *Question) Answer
}

var (
	_ Decider = (*Compiled)(nil)
	_ Decider = (*CompiledTrust)(nil)
)

func wantAllow(w Witness) bool { return w.Result.Decision == Allow }

// Exists answers an existential question about an identity-based request.
func (c *Compiled) Exists(q *Question, want func(w Witness) bool) Answer {
	return runSearch(c, q, want)
}

// ExistsAllowed reports whether some context lets the request through.
func (c *Compiled) ExistsAllowed(q *Question) Answer { return c.Exists(q, wantAllow) }

// Exists answers an existential question about a resource-based policy.
func (t *CompiledTrust) Exists(q *Question, want func(w Witness) bool) Answer {
	return runSearch(t, q, want)
}

// ExistsAllowed reports whether some context (and, when q.Principal is "",
// some principal) is allowed by the policy.
func (t *CompiledTrust) ExistsAllowed(q *Question) Answer { return t.Exists(q, wantAllow) }

// target is what a search needs from a compiled policy.
type target interface {
	Evaluate(req *Request) Result
	// relevant appends the statements that can apply to the action (and,
	// unless principal is "", to the principal).
	relevant(out []*cStmt, action, principal string) []*cStmt
	cache() *witnessCache
}

func (c *Compiled) cache() *witnessCache { return c.wc }

func (c *Compiled) relevant(out []*cStmt, action, _ string) []*cStmt {
	for li := range c.layers {
		l := &c.layers[li]
		for _, x := range [...]*stmtIndex{&l.deny, &l.allow} {
			for _, cd := range x.candidates(action) {
				s := &l.stmts[cd.stmt]
				if cd.actionOK || s.matchAction(action) {
					out = append(out, s)
				}
			}
		}
	}
	return out
}

func (t *CompiledTrust) cache() *witnessCache { return t.wc }

func (t *CompiledTrust) relevant(out []*cStmt, action, principal string) []*cStmt {
	for i := range t.stmts {
		s := &t.stmts[i]
		if !s.matchAction(action) {
			continue
		}
		if principal != "" && s.principal.MatchesPrincipal(principal) == s.notPrincipal {
			continue
		}
		out = append(out, s)
	}
	return out
}

// keyGroup collects what depends on one caller-chosen key.
type keyGroup struct {
	m     keyModel
	conds []*compiledCond
	// varConds are values of conditions on fixed keys that name
	// ${this key}; varRes are Resource patterns that do.
	varConds []varCond
	varRes   []varRes
}

type varCond struct {
	c *compiledCond
	i int
}

type varRes struct {
	s *cStmt
	j int
}

// option is one witness of a dimension: values for its keys (nil =
// absent), or a principal.
type option struct {
	vals      [][]string
	principal string
}

// dim is one dimension of the product: a key, the time (both time keys),
// or the principal.
type dim struct {
	name      string
	keys      []string
	opts      []option
	principal bool
}

type search struct {
	t            target
	q            *Question
	anyPrincipal bool
	fixed        Request
	models       []keyModel
	groups       map[string]*keyGroup
	timeConds    []*compiledCond
	timeFixed    bool
	timeChecked  bool
	princStmts   []*cStmt
	arnConds     []*compiledCond
	acctConds    []*compiledCond
	reasons      []string
}

func (s *search) cache() *WitnessCache {
	if s.q.Cache != nil {
		return s.q.Cache
	}
	return s.t.cache()
}

func (s *search) reason(format string, args ...any) {
	s.reasons = append(s.reasons, fmt.Sprintf(format, args...))
}

// model classifies a key once per search (a search meets few keys).
func (s *search) model(key string) keyModel {
	for i := range s.models {
		if strings.EqualFold(s.models[i].name, key) {
			return s.models[i]
		}
	}
	m := s.q.classify(key, s.anyPrincipal)
	s.models = append(s.models, m)
	return m
}

// timeIsFixed reports whether the question fixes the request time (Fixed
// or Keys make either time key fixed; both are one instant).
func (s *search) timeIsFixed() bool {
	if !s.timeChecked {
		s.timeChecked = true
		s.timeFixed = s.model("aws:CurrentTime").class == KeyFixed || s.model("aws:EpochTime").class == KeyFixed
	}
	return s.timeFixed
}

// role is how a search treats a key.
type role uint8

const (
	roleFixed role = iota
	roleCaller
	roleTime
	rolePrincipal
)

func (s *search) role(key string) (role, keyModel) {
	m := s.model(key)
	switch {
	case m.kind == kindTime:
		if s.timeIsFixed() {
			return roleFixed, m
		}
		return roleTime, m
	case m.kind == kindPrincipalDerived && s.anyPrincipal && !s.overridden(key):
		return rolePrincipal, m
	case m.class == KeyFixed:
		return roleFixed, m
	}
	return roleCaller, m
}

// overridden reports whether the question classifies the key itself.
func (s *search) overridden(key string) bool {
	ki, ok := s.q.keyInfo(key)
	return (ok && ki.Class != KeyClassDefault) || s.q.fixedHas(key)
}

func (s *search) group(m keyModel) *keyGroup {
	lk := strings.ToLower(m.name)
	if g, ok := s.groups[lk]; ok {
		return g
	}
	if s.groups == nil {
		s.groups = map[string]*keyGroup{}
	}
	g := &keyGroup{m: m}
	s.groups[lk] = g
	return g
}

// patternVars returns the distinct variable keys of a pattern (lower case
// folded), in order.
func patternVars(p *pattern, out []string) []string {
	for _, t := range p.toks {
		if t.kind != tokVar {
			continue
		}
		dup := false
		for _, o := range out {
			if strings.EqualFold(o, t.text) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, t.text)
		}
	}
	return out
}

func valuePattern(c *compiledCond, i int) *pattern {
	if c.po.fam == famARN {
		return &c.values[i].arn.pattern
	}
	return &c.values[i].str
}

// addStatement records what the statement's outcome depends on. A
// statement whose Resource cannot match whatever the caller chooses adds
// nothing.
func (s *search) addStatement(st *cStmt, ev *evalCtx) {
	if st.resKind != resAny {
		chosen := false
		var vars [4]string
		for j := range st.resources {
			vs := patternVars(&st.resources[j].pattern, vars[:0])
			var callers []string
			for _, v := range vs {
				if r, _ := s.role(v); r != roleFixed {
					callers = append(callers, v)
				}
			}
			if len(callers) == 0 {
				continue
			}
			chosen = true
			r, m := s.role(callers[0])
			switch {
			case len(callers) > 1:
				s.reason("%s: Resource %q names several caller-chosen keys (%s); not decided", st.label(), st.resources[j].raw, strings.Join(callers, ", "))
			case r != roleCaller:
				s.reason("%s: Resource %q names ${%s}, which is not decided as a variable", st.label(), st.resources[j].raw, callers[0])
			default:
				g := s.group(m)
				g.varRes = append(g.varRes, varRes{s: st, j: j})
			}
		}
		if !chosen {
			if t, _ := st.matchResource(ev); t == triFalse {
				return
			}
		}
	}
	if s.anyPrincipal && st.principal != nil && !st.principal.Wildcard {
		s.princStmts = append(s.princStmts, st)
	}
	for ci := range st.conds {
		c := &st.conds[ci]
		if c.bad != "" {
			continue // unevaluable whatever the caller picks; Evaluate reports it
		}
		r, m := s.role(c.key)
		var callerVars [][]string
		hasCallerVar := false
		if c.po.fam == famString || c.po.fam == famStringIgnoreCase || c.po.fam == famStringLike || c.po.fam == famARN {
			callerVars = make([][]string, len(c.values))
			for i := range c.values {
				var vars [4]string
				for _, v := range patternVars(valuePattern(c, i), vars[:0]) {
					if vr, _ := s.role(v); vr != roleFixed {
						callerVars[i] = append(callerVars[i], v)
						hasCallerVar = true
					}
				}
			}
		}
		switch r {
		case roleTime:
			s.timeConds = append(s.timeConds, c)
		case rolePrincipal:
			switch strings.ToLower(c.key) {
			case "aws:principalarn":
				s.arnConds = append(s.arnConds, c)
			case "aws:principalaccount":
				s.acctConds = append(s.acctConds, c)
			default:
				s.reason("%s: %s %s on a principal the question leaves open is not decided", st.label(), c.op, c.key)
			}
			if hasCallerVar {
				s.reason("%s: %s %s compares with a caller-chosen variable; not decided", st.label(), c.op, c.key)
			}
		case roleCaller:
			g := s.group(m)
			g.conds = append(g.conds, c)
			if hasCallerVar {
				s.reason("%s: %s %s compares two caller-chosen keys (through a variable); not decided", st.label(), c.op, c.key)
			}
		case roleFixed:
			for i, vs := range callerVars {
				if len(vs) == 0 {
					continue
				}
				vr, vm := s.role(vs[0])
				if len(vs) > 1 || vr != roleCaller {
					s.reason("%s: %s %s value %q names ${%s}, which is not decided as a variable", st.label(), c.op, c.key, c.values[i].raw, strings.Join(vs, "}, ${"))
					continue
				}
				g := s.group(vm)
				g.varConds = append(g.varConds, varCond{c: c, i: i})
			}
		}
	}
}

// runSearch answers q against t.
func runSearch(t target, q *Question, want func(Witness) bool) Answer {
	if q == nil {
		return Answer{Reason: "no question"}
	}
	if q.Action == "" {
		return Answer{Reason: "the question names no action"}
	}
	_, isTrust := t.(*CompiledTrust)
	s := &search{t: t, q: q, anyPrincipal: isTrust && q.Principal == ""}
	s.fixed = Request{Principal: q.Principal, Action: q.Action, Resource: q.Resource, ResourceAccount: q.ResourceAccount, Context: q.Fixed, Now: q.Now}
	var buf [32]*cStmt
	principal := q.Principal
	if s.anyPrincipal {
		principal = ""
	}
	stmts := t.relevant(buf[:0], q.Action, principal)
	ev := evalCtx{req: &s.fixed}
	for _, st := range stmts {
		s.addStatement(st, &ev)
	}
	// A key the question partitions is varied even when no statement
	// tests it: want may ask about it (which service a role is passed to,
	// under an Allow that does not care).
	for k, ki := range q.Keys {
		if len(ki.Partition) == 0 || strings.HasSuffix(k, "*") {
			continue
		}
		if r, m := s.role(k); r == roleCaller {
			s.group(m)
		}
	}
	dims := s.dimensions()
	return s.enumerate(dims, want)
}

// dimensions builds the witness options of every dimension, sorted.
func (s *search) dimensions() []dim {
	var dims []dim
	if s.anyPrincipal {
		dims = append(dims, s.cachedDim(s.principalKey(), s.principalDim))
	}
	if len(s.timeConds) > 0 {
		dims = append(dims, s.cachedDim(s.timeKey(), s.timeDim))
	}
	keys := make([]string, 0, len(s.groups))
	for k := range s.groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		g := s.groups[k]
		dims = append(dims, s.cachedDim(s.groupKey(g), func() dim { return s.keyDim(g) }))
	}
	return dims
}

// cachedDim returns a dimension (and the reasons building it gave) from
// the cache, or builds and stores it. key must determine the result.
func (s *search) cachedDim(key []byte, build func() dim) dim {
	wc := s.cache()
	if wc == nil {
		return build()
	}
	wc.mu.Lock()
	e, ok := wc.dims[string(key)]
	wc.mu.Unlock()
	if ok {
		s.reasons = append(s.reasons, e.reasons...)
		return e.d
	}
	n := len(s.reasons)
	d := build()
	e = cachedDim{d: d, reasons: append([]string(nil), s.reasons[n:]...)}
	wc.mu.Lock()
	if wc.dims == nil {
		wc.dims = map[string]cachedDim{}
	}
	if len(wc.dims) < maxCachedDims {
		wc.dims[string(key)] = e
	}
	wc.mu.Unlock()
	return d
}

// Cache keys: everything a dimension's options depend on, written out.

func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// appendCond writes a condition as written and the fixed values its
// variables resolve to.
func (s *search) appendCond(b []byte, c *compiledCond, ev *evalCtx) []byte {
	b = appendStr(b, strings.ToLower(c.op))
	b = appendStr(b, strings.ToLower(c.key))
	b = binary.AppendUvarint(b, uint64(len(c.values)))
	for i := range c.values {
		b = appendStr(b, c.values[i].raw)
		if c.po.fam == famString || c.po.fam == famStringIgnoreCase || c.po.fam == famStringLike || c.po.fam == famARN {
			b = s.appendVarValues(b, valuePattern(c, i), ev)
		}
	}
	return b
}

// appendVarValues writes the values the pattern's variables have.
func (s *search) appendVarValues(b []byte, p *pattern, ev *evalCtx) []byte {
	if !p.hasVar {
		return b
	}
	for _, t := range p.toks {
		if t.kind != tokVar {
			continue
		}
		v, ok := ev.lookup(t.ref)
		b = append(b, boolByte(ok))
		b = binary.AppendUvarint(b, uint64(v.len()))
		for k := 0; k < v.len(); k++ {
			b = appendStr(b, v.at(k))
		}
	}
	return b
}

func appendStrs(b []byte, l []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(l)))
	for _, v := range l {
		b = appendStr(b, v)
	}
	return b
}

func (s *search) groupKey(g *keyGroup) []byte {
	ev := s.fixedEval()
	b := []byte{'K'}
	b = appendStr(b, g.m.name)
	b = append(b, boolByte(g.m.multi), boolByte(g.m.single), byte(g.m.typ))
	b = appendStrs(b, g.m.domain)
	b = appendStrs(b, g.m.partition)
	for _, c := range g.conds {
		b = s.appendCond(append(b, 'c'), c, ev)
	}
	for _, vc := range g.varConds {
		b = s.appendCond(append(b, 'v'), vc.c, ev)
		b = binary.AppendUvarint(b, uint64(vc.i))
		vals, ok := ev.lookup(vc.c.ref)
		b = append(b, boolByte(ok))
		for k := 0; k < vals.len(); k++ {
			b = appendStr(b, vals.at(k))
		}
	}
	for _, vr := range g.varRes {
		p := &vr.s.resources[vr.j]
		b = appendStr(append(b, 'r'), p.raw)
		b = s.appendVarValues(b, &p.pattern, ev)
		b = appendStr(b, s.q.Resource)
	}
	return b
}

func (s *search) timeKey() []byte {
	b := []byte{'T'}
	b = binary.AppendVarint(b, s.q.Now.UnixNano())
	b = append(b, boolByte(s.q.Now.IsZero()))
	for _, c := range s.timeConds {
		b = s.appendCond(append(b, 'c'), c, s.fixedEval())
	}
	return b
}

func (s *search) principalKey() []byte {
	ev := s.fixedEval()
	b := []byte{'P'}
	for _, st := range s.princStmts {
		p := st.principal
		b = append(b, 's', boolByte(p.Wildcard))
		b = appendStrs(b, p.AWS)
		b = appendStrs(b, p.Service)
		b = appendStrs(b, p.Federated)
		b = appendStrs(b, p.CanonicalUser)
	}
	for _, c := range s.arnConds {
		b = s.appendCond(append(b, 'a'), c, ev)
	}
	for _, c := range s.acctConds {
		b = s.appendCond(append(b, 'n'), c, ev)
	}
	b = appendStrs(append(b, 'd'), s.q.PrincipalDomain)
	b = appendStrs(append(b, 'p'), s.q.PrincipalPartition)
	return b
}

// families of a key's conditions.
const (
	famBitStr = 1 << iota
	famBitNum
	famBitDate
	famBitBool
	famBitIP
)

func famBit(f condFamily) int {
	switch f {
	case famString, famStringIgnoreCase, famStringLike, famBinary, famARN:
		return famBitStr
	case famNumeric:
		return famBitNum
	case famDate:
		return famBitDate
	case famBool:
		return famBitBool
	case famIP:
		return famBitIP
	}
	return 0
}

func famNames(bits int) string {
	var out []string
	for _, f := range [...]struct {
		bit  int
		name string
	}{{famBitStr, "string"}, {famBitNum, "numeric"}, {famBitDate, "date"}, {famBitBool, "bool"}, {famBitIP, "IP address"}} {
		if bits&f.bit != 0 {
			out = append(out, f.name)
		}
	}
	return strings.Join(out, ", ")
}

// fixedEval is an evaluation context over the question's facts.
func (s *search) fixedEval() *evalCtx { return &evalCtx{req: &s.fixed} }

// withKey returns a request over the facts plus one key's values.
func (s *search) withKey(scratch map[string][]string, keys []string, vals [][]string) *evalCtx {
	for i, k := range keys {
		scratch[k] = vals[i]
	}
	req := s.fixed
	req.Context = scratch
	return &evalCtx{req: &req}
}

// scratchContext is a copy of Fixed without the given keys (any case).
func (s *search) scratchContext(drop []string) map[string][]string {
	m := make(map[string][]string, len(s.q.Fixed)+len(drop))
	for k, v := range s.q.Fixed {
		skip := false
		for _, d := range drop {
			if strings.EqualFold(k, d) {
				skip = true
				break
			}
		}
		if !skip {
			m[k] = v
		}
	}
	return m
}

// maxSubstringTarget bounds the strings substringAtom enumerates (the
// work is quadratic in the length).
const maxSubstringTarget = 1024

// substringAtom is the set of values of a variable that make a pattern
// match target: every such value is a substring of target (or empty), and
// the evaluator itself decides each candidate.
func substringAtom(target string, fold bool, matches func(v string) bool) atom {
	var a atom
	seen := map[string]bool{}
	try := func(v string) {
		if seen[v] {
			return
		}
		seen[v] = true
		if matches(v) {
			a.comps = append(a.comps, literalComp(v, fold))
		}
	}
	try("")
	for i := 0; i < len(target); {
		_, w := utf8.DecodeRuneInString(target[i:])
		for j := i + w; j <= len(target); {
			try(target[i:j])
			if j == len(target) {
				break
			}
			_, wj := utf8.DecodeRuneInString(target[j:])
			j += wj
		}
		i += w
	}
	return a
}

// keyDim builds the witnesses of one caller-chosen key.
func (s *search) keyDim(g *keyGroup) dim {
	name := g.m.name
	fev := s.fixedEval()
	fams := 0
	multi := g.m.multi
	var strAtoms []atom
	var nums []number
	var dates []time.Time
	var prefixes []netip.Prefix
	for _, c := range g.conds {
		fams |= famBit(c.po.fam)
		if c.po.set != setNone && !g.m.single {
			multi = true
		}
		switch c.po.fam {
		case famString, famStringIgnoreCase, famStringLike, famBinary, famARN:
			if a, ok := condAtom(c, fev); ok {
				strAtoms = append(strAtoms, a)
			}
		case famNumeric:
			for i := range c.values {
				nums = append(nums, c.values[i].num)
			}
		case famDate:
			for i := range c.values {
				dates = append(dates, c.values[i].date)
			}
		case famIP:
			for i := range c.values {
				prefixes = append(prefixes, c.values[i].ip)
			}
		}
	}
	// Variables naming this key: the values that make each pattern match.
	scratch := s.scratchContext([]string{name})
	keys := []string{name}
	for _, vc := range g.varConds {
		fams |= famBitStr
		ref := vc.c.ref
		vals, present := fev.lookup(ref)
		if !present {
			continue
		}
		for k := 0; k < vals.len(); k++ {
			a := vals.at(k)
			if len(a) > maxSubstringTarget {
				s.reason("%s: %s %s is %d bytes long, too long to match ${%s} against", name, vc.c.op, vc.c.key, len(a), name)
				continue
			}
			fields := splitARN(a)
			strAtoms = append(strAtoms, substringAtom(a, vc.c.po.fam == famStringIgnoreCase, func(v string) bool {
				ev := s.withKey(scratch, keys, [][]string{{v}})
				ok, _, _ := vc.c.matchValue(vc.i, a, &fields, ev)
				return ok
			}))
		}
	}
	for _, vr := range g.varRes {
		fams |= famBitStr
		res := s.q.Resource
		if len(res) > maxSubstringTarget {
			s.reason("%s: the resource is %d bytes long, too long to match ${%s} against", name, len(res), name)
			continue
		}
		fields := splitARN(res)
		p := &vr.s.resources[vr.j]
		strAtoms = append(strAtoms, substringAtom(res, false, func(v string) bool {
			ev := s.withKey(scratch, keys, [][]string{{v}})
			ok, _, _ := p.match(res, &fields, ev)
			return ok
		}))
	}
	var partAtoms []atom
	for _, p := range g.m.partition {
		partAtoms = append(partAtoms, arnLikeAtom([]string{p}))
	}
	if len(partAtoms) > 0 {
		fams |= famBitStr
	}

	var singles []string
	nfam := 0
	for b := famBitStr; b <= famBitIP; b <<= 1 {
		if fams&b != 0 {
			nfam++
		}
	}
	if nfam > 1 {
		s.reason("%s is compared as %s: its witnesses are each family's, which may miss a value in two families' regions at once", name, famNames(fams))
	}
	typed := g.m.typ != TypeText && g.m.typ != TypeDefault
	if fams&famBitStr != 0 || (fams == 0 && !typed) {
		spec := &cellSpec{atoms: append(strAtoms, partAtoms...)}
		if len(g.m.domain) > 0 {
			spec.domains = []atom{arnLikeAtom(g.m.domain)}
		}
		if len(g.m.domain) > 1 {
			// The first-listed alternative of the domain is preferred:
			// for iam:PermissionsBoundary a policy in an account the
			// caller can write to, not an AWS-managed name.
			for _, p := range g.m.domain {
				spec.prefer = append(spec.prefer, arnLikeAtom([]string{p}))
			}
		}
		cr := s.cache().cellsFor(spec)
		if cr.reason != "" {
			s.reason("%s: %s", name, cr.reason)
		}
		singles = append(singles, cr.values...)
	}
	var other []string
	if fams&famBitNum != 0 {
		w, why := numericWitnesses(nums)
		if why != "" {
			s.reason("%s: %s", name, why)
		}
		other = append(other, w...)
	}
	if fams&famBitDate != 0 {
		other = append(other, dateWitnesses(dates)...)
	}
	if fams&famBitBool != 0 {
		other = append(other, "true", "false")
	}
	if fams&famBitIP != 0 {
		other = append(other, ipWitnesses(prefixes)...)
	}
	if fams&(famBitNum|famBitDate|famBitBool|famBitIP) != 0 && !typed {
		other = append(other, illTyped)
	}
	if fams == 0 && typed {
		switch g.m.typ {
		case TypeNumber:
			other = append(other, "0")
		case TypeDate:
			other = append(other, "2024-01-01T00:00:00Z")
		case TypeBool:
			other = append(other, "true")
		case TypeIP:
			other = append(other, "203.0.113.7")
		}
	}
	if len(g.m.domain) > 0 && len(other) > 0 {
		kept := other[:0]
		for _, v := range other {
			if arnLikeMatch(g.m.domain, v) {
				kept = append(kept, v)
			} else {
				s.reason("%s: witness %q lies outside the key's domain and was dropped; its region may hold values inside", name, v)
			}
		}
		other = kept
	}
	singles = uniqueStrings(append(singles, other...))

	opts := []option{{vals: [][]string{nil}}}
	if g.m.present {
		opts = opts[:0] // the request always carries it
		if len(singles) == 0 {
			singles = []string{"pvaudit"}
		}
	}
	if multi {
		count := len(g.conds) + len(g.varConds) + len(g.varRes) + len(g.m.partition)
		m := max(1, count)
		if m > maxSetSize {
			s.reason("%s is multi-valued and %d conditions test it: sets of up to %d values were tried, %d could be needed", name, count, maxSetSize, m)
			m = maxSetSize
		}
		one := make([][]string, len(singles))
		for i, v := range singles {
			one[i] = []string{v}
		}
		for _, set := range subsets(one, m) {
			opts = append(opts, option{vals: [][]string{set}})
		}
	} else {
		for _, v := range singles {
			opts = append(opts, option{vals: [][]string{{v}}})
		}
	}
	d := dim{name: name, keys: keys, opts: opts}
	s.dedupe(&d, scratch, func(ev *evalCtx, b []byte) []byte {
		for _, c := range g.conds {
			t, _ := c.eval(ev)
			b = append(b, byte(t))
		}
		// Per value and fixed value, as the atoms: the whole condition's
		// outcome could be masked by its other values.
		for _, vc := range g.varConds {
			vals, _ := ev.lookup(vc.c.ref)
			for k := 0; k < vals.len(); k++ {
				a := vals.at(k)
				fields := splitARN(a)
				ok, st, _ := vc.c.matchValue(vc.i, a, &fields, ev)
				b = append(b, boolByte(ok), byte(st))
			}
		}
		for _, vr := range g.varRes {
			ok, st, _ := vr.s.resources[vr.j].match(s.q.Resource, ev.resourceARN(), ev)
			b = append(b, boolByte(ok), byte(st))
		}
		if len(g.m.partition) > 0 {
			vals, _ := ev.lookup(newKeyRef(name))
			var elems []string
			for k := 0; k < vals.len(); k++ {
				var e []byte
				for _, p := range g.m.partition {
					e = append(e, boolByte(arnLikeMatch([]string{p}, vals.at(k))))
				}
				elems = append(elems, string(e))
			}
			sort.Strings(elems)
			for _, e := range elems {
				b = append(b, '|')
				b = append(b, e...)
			}
		}
		return b
	})
	return d
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

func uniqueStrings(in []string) []string {
	seen := make(map[string]bool, len(in))
	out := in[:0]
	for _, v := range in {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// dedupe keeps one option per vector of outcomes: options that make every
// dependent condition, resource pattern and partition come out the same
// are interchangeable.
func (s *search) dedupe(d *dim, scratch map[string][]string, vector func(ev *evalCtx, b []byte) []byte) {
	seen := map[string]bool{}
	kept := d.opts[:0]
	var b []byte
	for _, o := range d.opts {
		ev := s.withKey(scratch, d.keys, o.vals)
		b = vector(ev, b[:0])
		if seen[string(b)] {
			continue
		}
		seen[string(b)] = true
		kept = append(kept, o)
	}
	d.opts = kept
}

// timeDim is the request time: whole seconds, never before Question.Now,
// both time keys set from one instant.
func (s *search) timeDim() dim {
	var secs []float64
	var exact []int64
	for _, c := range s.timeConds {
		switch c.po.fam {
		case famDate:
			for i := range c.values {
				t := c.values[i].date
				if t.Nanosecond() == 0 {
					exact = append(exact, t.Unix())
				} else {
					secs = append(secs, float64(t.Unix())+float64(t.Nanosecond())/1e9)
				}
			}
		case famNumeric:
			for i := range c.values {
				n := c.values[i].num
				if n.isInt {
					exact = append(exact, n.i)
				} else {
					secs = append(secs, n.f)
				}
			}
			if strings.EqualFold(c.key, "aws:CurrentTime") {
				s.reason("%s %s: aws:CurrentTime is an ISO 8601 time, which Numeric operators do not compare", c.op, c.key)
			}
		case famNull:
		default:
			s.reason("%s %s: the request time compared as %s is not decided", c.op, c.key, famNames(famBit(c.po.fam)))
		}
	}
	keys := []string{"aws:CurrentTime", "aws:EpochTime"}
	var opts []option
	for _, w := range timeWitnesses(secs, exact, s.q.Now) {
		t := time.Unix(w, 0).UTC()
		opts = append(opts, option{vals: [][]string{{t.Format(currentTimeLayout)}, {strconv.FormatInt(w, 10)}}})
	}
	d := dim{name: "aws:CurrentTime/aws:EpochTime", keys: keys, opts: opts}
	scratch := s.scratchContext(keys)
	s.dedupe(&d, scratch, func(ev *evalCtx, b []byte) []byte {
		for _, c := range s.timeConds {
			t, _ := c.eval(ev)
			b = append(b, byte(t))
		}
		return b
	})
	return d
}

// principalDim chooses the caller of a resource-based policy.
func (s *search) principalDim() dim {
	var atoms []atom
	for _, st := range s.princStmts {
		atoms = append(atoms, principalAtom(st.principal))
	}
	fev := s.fixedEval()
	for _, c := range s.arnConds {
		if famBit(c.po.fam) != famBitStr {
			if c.po.fam != famNull {
				s.reason("%s %s on an open principal is not decided", c.op, c.key)
			}
			continue
		}
		if a, ok := condAtom(c, fev); ok {
			atoms = append(atoms, a)
		}
	}
	if len(s.acctConds) > 0 {
		// aws:PrincipalAccount is the ARN's account field, when non-empty.
		present, _ := fieldsComp(accountFields([]rtok{{kind: tokQuest}, {kind: tokStar}}), false)
		atoms = append(atoms, atom{comps: []component{present}})
	}
	for _, c := range s.acctConds {
		if a, ok := accountAtom(c, fev); ok {
			atoms = append(atoms, a)
		} else if c.po.fam != famNull {
			s.reason("%s %s on an open principal is not decided", c.op, c.key)
		}
	}
	for _, p := range s.q.PrincipalPartition {
		atoms = append(atoms, arnLikeAtom([]string{p}))
	}
	var opts []option
	if len(atoms) == 0 {
		const any = "arn:aws:iam::000000000000:role/witness"
		if len(s.q.PrincipalDomain) == 0 || arnLikeMatch(s.q.PrincipalDomain, any) {
			opts = append(opts, option{principal: any})
		}
	}
	if opts == nil {
		nonEmpty := atom{comps: []component{globComp([]rtok{{kind: tokQuest}, {kind: tokStar}}, false)}}
		spec := &cellSpec{atoms: atoms, domains: []atom{nonEmpty}}
		for _, p := range principalPreferences {
			spec.prefer = append(spec.prefer, arnLikeAtom([]string{p}))
		}
		if len(s.q.PrincipalDomain) > 0 {
			spec.domains = append(spec.domains, arnLikeAtom(s.q.PrincipalDomain))
		}
		cr := s.cache().cellsFor(spec)
		if cr.reason != "" {
			s.reason("principal: %s", cr.reason)
		}
		for _, v := range cr.values {
			opts = append(opts, option{principal: v})
		}
	}
	return dim{name: "principal", opts: opts, principal: true}
}

// principalPreferences are the forms a witness principal is preferably
// written in (they choose each region's witness, they do not restrict).
var principalPreferences = [...]string{
	"arn:aws:iam::????????????:role/?*",
	"arn:aws:iam::????????????:root",
	"arn:aws:sts::????????????:assumed-role/?*/?*",
	"arn:aws:sts::????????????:assumed-role/?*",
	"arn:aws:iam::????????????:user/?*",
	"arn:aws*:iam::????????????:*",
	"arn:aws*:*:*:????????????:*",
	"????????????",
	"?*.amazonaws.com",
	"?*.amazonaws.com*",
}

// accountFields is an ARN whose account field is acct and the rest any.
func accountFields(acct []rtok) [][]rtok {
	star := []rtok{{kind: tokStar}}
	return [][]rtok{{{kind: tokLit, text: "arn"}}, star, star, star, acct, star}
}

// accountAtom is a string condition on aws:PrincipalAccount as a predicate
// on the principal ARN's account field.
func accountAtom(c *compiledCond, ev *evalCtx) (atom, bool) {
	var a atom
	for i := range c.values {
		cv := &c.values[i]
		var toks []rtok
		switch c.po.fam {
		case famString, famStringIgnoreCase, famStringLike, famBinary:
			toks = cv.toks
			if cv.str.hasVar {
				t, st, _ := cv.str.resolve(nil, ev)
				if st == resolvedBad {
					return atom{}, false
				}
				if st == resolvedMissing {
					continue
				}
				toks = t
			}
		case famARN:
			// An account ID is not an ARN: the pattern is matched whole.
			toks = cv.arn.whole
			if cv.arn.hasVar {
				t, st, _ := cv.arn.resolve(nil, ev)
				if st == resolvedBad {
					return atom{}, false
				}
				if st == resolvedMissing {
					continue
				}
				toks = t
			}
		default:
			return atom{}, false
		}
		if comp, ok := fieldsComp(accountFields(toks), c.po.fam == famStringIgnoreCase); ok {
			a.comps = append(a.comps, comp)
		}
	}
	return a, true
}

// principalAtom is MatchesPrincipal as a predicate on the caller string,
// rule by rule (see awsPrincipalMatches).
func principalAtom(p *Principal) atom {
	var a atom
	lit := func(s string) []rtok { return []rtok{{kind: tokLit, text: s}} }
	star := []rtok{{kind: tokStar}}
	fields := func(f ...[]rtok) {
		if comp, ok := fieldsComp(f, false); ok {
			a.comps = append(a.comps, comp)
		}
	}
	if p.Wildcard {
		a.comps = append(a.comps, globComp(star, false))
		return a
	}
	for _, v := range p.AWS {
		if v == "*" {
			a.comps = append(a.comps, globComp(star, false))
			continue
		}
		a.comps = append(a.comps, literalComp(v, false))
		if isAccountID(v) {
			fields(lit("arn"), star, star, star, lit(v), star)
			continue
		}
		pf := splitARN(v)
		if !pf.isARN() || pf.f[2] != "iam" {
			continue
		}
		switch {
		case pf.f[5] == "root":
			if pf.f[4] != "" {
				fields(lit("arn"), lit(pf.f[1]), star, star, lit(pf.f[4]), star)
				if isAccountID(pf.f[4]) {
					a.comps = append(a.comps, literalComp(pf.f[4], false))
				}
			}
		case strings.HasPrefix(pf.f[5], "role/"):
			name := pf.f[5][strings.LastIndexByte(pf.f[5], '/')+1:]
			fields(lit("arn"), lit(pf.f[1]), lit("sts"), star, lit(pf.f[4]), lit("assumed-role/"+name))
			fields(lit("arn"), lit(pf.f[1]), lit("sts"), star, lit(pf.f[4]), []rtok{{kind: tokLit, text: "assumed-role/" + name + "/"}, {kind: tokStar}})
			fields(lit("arn"), lit(pf.f[1]), lit("iam"), star, lit(pf.f[4]), lit(pf.f[5]))
		}
	}
	for _, v := range p.Service {
		a.comps = append(a.comps, literalComp(v, true))
	}
	for _, v := range p.Federated {
		a.comps = append(a.comps, literalComp(v, false))
	}
	for _, v := range p.CanonicalUser {
		a.comps = append(a.comps, literalComp(v, false))
	}
	return a
}

// enumerate evaluates the product of the dimensions' options.
func (s *search) enumerate(dims []dim, want func(Witness) bool) Answer {
	limit := s.q.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	var ans Answer
	regions := 1
	for _, d := range dims {
		if len(d.opts) == 0 {
			regions = 0
			break
		}
		if regions > (1<<62)/len(d.opts) {
			regions = 1 << 62
		} else {
			regions *= len(d.opts)
		}
	}
	ans.Regions = regions
	req := s.fixed
	var dropKeys []string
	var chosen []ChosenValue
	for _, d := range dims {
		dropKeys = append(dropKeys, d.keys...)
		for _, k := range d.keys {
			chosen = append(chosen, ChosenValue{Key: k})
		}
	}
	sort.Slice(chosen, func(i, j int) bool { return chosen[i].Key < chosen[j].Key })
	if len(dropKeys) > 0 {
		req.Context = s.scratchContext(dropKeys)
	}
	var idxBuf [8]int
	idx := idxBuf[:0]
	if len(dims) > len(idxBuf) {
		idx = make([]int, 0, len(dims))
	}
	idx = idx[:len(dims)]
	apply := func(di int) {
		d := &dims[di]
		o := &d.opts[idx[di]]
		if d.principal {
			req.Principal = o.principal
			return
		}
		for k, key := range d.keys {
			req.Context[key] = o.vals[k]
		}
	}
	unevaluable := ""
	nUneval := 0
	if regions > 0 {
		for di := range dims {
			apply(di)
		}
		for {
			if ans.Tried >= limit {
				break
			}
			res := s.t.Evaluate(&req)
			ans.Tried++
			if !res.Evaluable() {
				nUneval++
				if unevaluable == "" {
					unevaluable = strings.Join(res.Unevaluable, "; ")
				}
			} else {
				for i := range chosen {
					chosen[i].Values = req.Context[chosen[i].Key]
				}
				w := Witness{Principal: req.Principal, Context: req.Context, Chosen: chosen, Result: res, openPrincipal: s.anyPrincipal}
				if want(w) {
					ans.Found = foundCopy(w)
					ans.Complete = true
					return ans
				}
			}
			// Advance the odometer (the last dimension fastest).
			di := len(dims) - 1
			for ; di >= 0; di-- {
				idx[di]++
				if idx[di] < len(dims[di].opts) {
					apply(di)
					break
				}
				idx[di] = 0
				apply(di)
			}
			if di < 0 {
				break
			}
		}
	}
	why := append([]string(nil), s.reasons...)
	sort.Strings(why)
	why = uniqueSorted(why)
	if ans.Tried < regions {
		var sizes []string
		for _, d := range dims {
			sizes = append(sizes, fmt.Sprintf("%s %d", d.name, len(d.opts)))
		}
		why = append(why, fmt.Sprintf("%d combinations of witness values (%s) exceed the limit of %d; %d tried", regions, strings.Join(sizes, " × "), limit, ans.Tried))
	}
	if nUneval > 0 {
		why = append(why, fmt.Sprintf("%d of %d contexts could not be evaluated, e.g. %s", nUneval, ans.Tried, unevaluable))
	}
	if regions == 0 {
		why = append(why, "some caller-chosen dimension has no witness value")
	}
	ans.Complete = len(why) == 0
	ans.Reason = strings.Join(why, "; ")
	return ans
}

func uniqueSorted(l []string) []string {
	out := l[:0]
	for i, v := range l {
		if i == 0 || v != l[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// foundCopy detaches a witness from the search's reused buffers.
func foundCopy(w Witness) *Witness {
	out := &Witness{Principal: w.Principal, Result: w.Result, openPrincipal: w.openPrincipal, Context: map[string][]string{}}
	for k, v := range w.Context {
		if len(v) > 0 {
			out.Context[k] = append([]string(nil), v...)
		}
	}
	for _, c := range w.Chosen {
		cv := ChosenValue{Key: c.Key}
		if len(c.Values) > 0 {
			cv.Values = append([]string(nil), c.Values...)
		}
		out.Chosen = append(out.Chosen, cv)
	}
	out.Result.Matched = append([]MatchedStatement(nil), w.Result.Matched...)
	return out
}

// CannotAllow reports whether no context whatever can make c allow the
// request: some layer has no Allow statement whose actions match and
// whose resources can match the resource. A Resource entry that names a
// variable, or that the evaluator cannot decide, counts as a match, so a
// false answer only means "ask Exists". It is the cheap first question
// for requests that are nearly always denied.
func (c *Compiled) CannotAllow(action, resource string) bool {
	req := Request{Action: action, Resource: resource}
	ev := evalCtx{req: &req}
	for li := range c.layers {
		l := &c.layers[li]
		possible := false
		for _, cd := range l.allow.candidates(action) {
			s := &l.stmts[cd.stmt]
			if !cd.actionOK && !s.matchAction(action) {
				continue
			}
			if s.mayMatchResource(&ev) {
				possible = true
				break
			}
		}
		if !possible {
			return true
		}
	}
	return false
}

// mayMatchResource is matchResource with every variable-bearing entry
// taken as a match.
func (s *cStmt) mayMatchResource(ev *evalCtx) bool {
	if s.resKind == resAny {
		return true
	}
	var vars [4]string
	for i := range s.resources {
		if len(patternVars(&s.resources[i].pattern, vars[:0])) > 0 {
			return true
		}
	}
	t, _ := s.matchResource(ev)
	return t != triFalse
}
