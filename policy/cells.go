package policy

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// This file computes the cells of a string key: given predicates on one
// string (the conditions of a key, each an OR of patterns), one witness per
// combination of predicate outcomes that some string realises. Each
// predicate is compiled to an NFA that mirrors match.go exactly (glob "*"
// and "?" over runes, Unicode simple case folding for the IgnoreCase
// operators, ARN matching per colon-separated field); a breadth-first
// search over the product of the automata records the first (shortest,
// then smallest) string reaching each signature. The alphabet is every
// rune the patterns name (with its case-fold orbit where a predicate folds
// case), ':' and one rune no pattern names: every other rune behaves like
// that one in every automaton, so the search is exhaustive.

// Instructions of a glob program.
const (
	gRune  uint8 = iota // one rune equal to r (or fold-equal)
	gAny                // "?": any one rune
	gStar               // "*": any run of runes, possibly empty
	gSep                // the ':' between two ARN fields
	gNever              // matches nothing (a ':' inside an ARN field before the last)
)

type ginst struct {
	op      uint8
	fold    bool
	noColon bool // cannot consume ':' (inside an ARN field before the last)
	r       rune
}

// compKind says when a component applies.
type compKind uint8

const (
	compWhole       compKind = iota // the whole string, whatever it is
	compFields                      // field by field; only strings that are ARNs
	compWholeNotARN                 // the whole string; only strings that are not ARNs
)

// component is one pattern as a glob program.
type component struct {
	kind compKind
	prog []ginst
}

// atom is a predicate on a string: true when any component accepts.
type atom struct {
	comps []component
}

// appendGlob appends the program of a token list.
func appendGlob(prog []ginst, toks []rtok, fold, noColon bool) []ginst {
	for _, t := range toks {
		switch t.kind {
		case tokStar:
			if n := len(prog); n > 0 && prog[n-1].op == gStar && prog[n-1].noColon == noColon {
				continue
			}
			prog = append(prog, ginst{op: gStar, noColon: noColon})
		case tokQuest:
			prog = append(prog, ginst{op: gAny, noColon: noColon})
		default:
			for _, r := range t.text {
				if noColon && r == ':' {
					prog = append(prog, ginst{op: gNever})
					continue
				}
				prog = append(prog, ginst{op: gRune, r: r, fold: fold})
			}
		}
	}
	return prog
}

// globComp matches the whole string against toks.
func globComp(toks []rtok, fold bool) component {
	return component{kind: compWhole, prog: appendGlob(nil, toks, fold, false)}
}

// literalComp matches exactly s.
func literalComp(s string, fold bool) component {
	return globComp([]rtok{{kind: tokLit, text: s}}, fold)
}

// fieldsComp matches an ARN field by field, as arnPattern.match does: each
// field before the last matches one colon-free field; the last field takes
// the rest of the ARN. A pattern with fewer than six fields covers the rest
// only when its last field ends with "*"; ok is false when it cannot match.
func fieldsComp(fields [][]rtok, fold bool) (component, bool) {
	k := len(fields)
	if k < 6 {
		last := fields[k-1]
		if len(last) == 0 || last[len(last)-1].kind != tokStar {
			return component{}, false
		}
	}
	var prog []ginst
	for i, f := range fields {
		if i > 0 {
			prog = append(prog, ginst{op: gSep})
		}
		prog = appendGlob(prog, f, fold, i < k-1)
	}
	return component{kind: compFields, prog: prog}, true
}

// arnComps are the components of an Arn* pattern with its variables
// resolved: whole is the pattern's tokens, fields its per-field tokens (nil
// when the pattern does not start with "arn:").
func arnComps(whole []rtok, fields [][]rtok) []component {
	if fields == nil {
		return []component{globComp(whole, false)}
	}
	var out []component
	if fc, ok := fieldsComp(fields, false); ok {
		out = append(out, fc)
	}
	return append(out, component{kind: compWholeNotARN, prog: appendGlob(nil, whole, false, false)})
}

// cellSpec is the input of a cell computation.
type cellSpec struct {
	atoms []atom
	// domains must all accept a witness.
	domains []atom
	// prefer does not split cells: it picks each cell's witness, the one
	// matching the earliest preference (then the shortest), and orders the
	// witnesses by it, so that they read like values a caller would use.
	prefer []atom
}

// cellResult is the output: one witness per realised signature, in search
// order (shortest first). sigs[i] lists, for values[i], which atoms hold.
type cellResult struct {
	states int
	values []string
	sigs   [][]bool
	// reason is set when the search stopped before it was exhaustive.
	reason string
}

// Bounds of one cell computation.
const (
	maxCellStates = 1 << 15
	maxCells      = 512
)

type engComp struct {
	kind   compKind
	prog   []ginst
	stars  []int // positions of gStar, ascending
	off    int
	nw     int
	target int // atom index, or -(domain index)-1
}

type cellEngine struct {
	comps      []engComp
	natoms     int
	ndomains   int
	structural bool
	nwords     int
	alpha      []rune
}

func newCellEngine(spec *cellSpec) *cellEngine { return newCellEngineWithout(spec, nil) }

// newCellEngineWithout is newCellEngine without the automata of the atoms
// dead marks (atoms that no string of the domains satisfies: they are
// false on every witness whatever the search does). The alphabet is still
// every atom's, so the search visits the same strings in the same order
// and finds the same witnesses, over fewer states.
func newCellEngineWithout(spec *cellSpec, dead []bool) *cellEngine {
	e := &cellEngine{natoms: len(spec.atoms), ndomains: len(spec.domains), nwords: 1}
	var skipped []engComp
	add := func(a atom, target int) {
		if target >= 0 && dead != nil && dead[target] {
			for _, c := range a.comps {
				skipped = append(skipped, engComp{kind: c.kind, prog: c.prog})
				if c.kind != compWhole {
					e.structural = true
				}
			}
			return
		}
		for _, c := range a.comps {
			nw := (len(c.prog) + 1 + 63) / 64
			var stars []int
			for i, in := range c.prog {
				if in.op == gStar {
					stars = append(stars, i)
				}
			}
			e.comps = append(e.comps, engComp{kind: c.kind, prog: c.prog, stars: stars, off: e.nwords, nw: nw, target: target})
			e.nwords += nw
			if c.kind != compWhole {
				e.structural = true
			}
		}
	}
	for i, a := range spec.atoms {
		add(a, i)
	}
	for i, a := range spec.domains {
		add(a, -i-1)
	}
	e.alpha = alphabetOf(append(skipped, e.comps...), e.structural)
	return e
}

// alphabet is every rune some instruction names (with fold orbits), ':'
// and "arn" when ARN structure matters, and one rune nothing names.
func (e *cellEngine) alphabet() []rune { return alphabetOf(e.comps, e.structural) }

func alphabetOf(comps []engComp, structural bool) []rune {
	set := map[rune]bool{}
	for _, c := range comps {
		for _, in := range c.prog {
			switch in.op {
			case gRune:
				set[in.r] = true
				if in.fold {
					for r := unicode.SimpleFold(in.r); r != in.r; r = unicode.SimpleFold(r) {
						set[r] = true
					}
				}
			case gSep:
				set[':'] = true
			case gAny, gStar:
				if in.noColon {
					set[':'] = true
				}
			}
		}
	}
	if structural {
		for _, r := range "arn:" {
			set[r] = true
		}
	}
	set[otherRune(set)] = true
	out := make([]rune, 0, len(set))
	for r := range set {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		ci, cj := runeClass(out[i]), runeClass(out[j])
		if ci != cj {
			return ci < cj
		}
		return out[i] < out[j]
	})
	return out
}

// runeClass orders witnesses' characters: digits, lower case, upper case,
// then the rest, so that witnesses read naturally ("000000000000").
func runeClass(r rune) int {
	switch {
	case '0' <= r && r <= '9':
		return 0
	case 'a' <= r && r <= 'z':
		return 1
	case 'A' <= r && r <= 'Z':
		return 2
	}
	return 3
}

// otherRune picks a rune outside set whose case-fold orbit is outside it
// too.
func otherRune(set map[rune]bool) rune {
	ok := func(r rune) bool {
		if set[r] {
			return false
		}
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if set[f] {
				return false
			}
		}
		return true
	}
	for _, r := range "0xzq1_7" {
		if ok(r) {
			return r
		}
	}
	for r := rune('a'); ; r++ {
		if utf8.ValidRune(r) && r != ':' && ok(r) {
			return r
		}
	}
}

func setBit(w []uint64, i int)      { w[i>>6] |= 1 << (uint(i) & 63) }
func hasBit(w []uint64, i int) bool { return w[i>>6]&(1<<(uint(i)&63)) != 0 }

// closure adds the positions reachable by skipping stars (stars lists
// them in ascending order, so chains of stars close in one pass).
func closure(stars []int, w []uint64) {
	for _, i := range stars {
		if hasBit(w, i) {
			setBit(w, i+1)
		}
	}
}

func (e *cellEngine) initial(st []uint64) {
	clear(st)
	for _, c := range e.comps {
		w := st[c.off : c.off+c.nw]
		setBit(w, 0)
		closure(c.stars, w)
	}
}

// step computes the state after reading r.
func (e *cellEngine) step(cur, next []uint64, r rune) {
	clear(next)
	if e.structural {
		colons, prefix := cur[0]&0xff, cur[0]>>8
		if r == ':' && colons < 5 {
			colons++
		}
		if prefix < 4 {
			if rune("arn:"[prefix]) == r {
				prefix++
			} else {
				prefix = 5
			}
		}
		next[0] = colons | prefix<<8
	}
	for _, c := range e.comps {
		in := cur[c.off : c.off+c.nw]
		out := next[c.off : c.off+c.nw]
		n := len(c.prog)
		live := false
		for wi, word := range in {
			live = live || word != 0
			for word != 0 {
				b := bits.TrailingZeros64(word)
				word &^= 1 << uint(b)
				i := wi*64 + b
				if i >= n {
					continue
				}
				g := &c.prog[i]
				switch g.op {
				case gRune:
					if r == g.r || (g.fold && runesFoldEqual(r, g.r)) {
						setBit(out, i+1)
					}
				case gAny:
					if !g.noColon || r != ':' {
						setBit(out, i+1)
					}
				case gStar:
					if !g.noColon || r != ':' {
						setBit(out, i)
					}
				case gSep:
					if r == ':' {
						setBit(out, i+1)
					}
				}
			}
		}
		if live {
			closure(c.stars, out)
		}
	}
	if e.structural {
		e.canonical(next)
	}
}

// canonical clears what can no longer matter, so that equivalent states
// merge: once a string is an ARN (the "arn:" prefix and five colons) it
// stays one, and once the prefix failed it never becomes one.
func (e *cellEngine) canonical(st []uint64) {
	colons, prefix := st[0]&0xff, st[0]>>8
	isARN, never := prefix == 4 && colons >= 5, prefix == 5
	if never {
		st[0] = prefix << 8
	}
	if !isARN && !never {
		return
	}
	for _, c := range e.comps {
		if (isARN && c.kind == compWholeNotARN) || (never && c.kind == compFields) {
			clear(st[c.off : c.off+c.nw])
		}
	}
}

// isARN mirrors arnFields.isARN: six fields and "arn" first.
func (e *cellEngine) isARN(st []uint64) bool {
	return st[0]&0xff >= 5 && st[0]>>8 == 4
}

func (e *cellEngine) accepts(c *engComp, st []uint64, isARN bool) bool {
	if !hasBit(st[c.off:c.off+c.nw], len(c.prog)) {
		return false
	}
	switch c.kind {
	case compFields:
		return isARN
	case compWholeNotARN:
		return !isARN
	}
	return true
}

// eval returns which atoms hold and whether every domain does.
func (e *cellEngine) eval(st []uint64, sig []bool) bool {
	clear(sig)
	isARN := e.structural && e.isARN(st)
	var domOK [8]bool
	dom := domOK[:0]
	if e.ndomains > len(domOK) {
		dom = make([]bool, 0, e.ndomains)
	}
	dom = dom[:e.ndomains]
	clear(dom)
	for i := range e.comps {
		c := &e.comps[i]
		if !e.accepts(c, st, isARN) {
			continue
		}
		if c.target >= 0 {
			sig[c.target] = true
		} else {
			dom[-c.target-1] = true
		}
	}
	for _, ok := range dom {
		if !ok {
			return false
		}
	}
	return true
}

// domainDead reports whether no extension of the state can satisfy every
// domain.
func (e *cellEngine) domainDead(st []uint64) bool {
	if e.ndomains == 0 {
		return false
	}
	var liveBuf [8]bool
	live := liveBuf[:0]
	if e.ndomains > len(liveBuf) {
		live = make([]bool, 0, e.ndomains)
	}
	live = live[:e.ndomains]
	clear(live)
	for i := range e.comps {
		c := &e.comps[i]
		if c.target >= 0 {
			continue
		}
		for _, w := range st[c.off : c.off+c.nw] {
			if w != 0 {
				live[-c.target-1] = true
				break
			}
		}
	}
	for _, l := range live {
		if !l {
			return true
		}
	}
	return false
}

// run searches breadth first.
func (e *cellEngine) run() (res cellResult) {
	nw := e.nwords
	arena := make([]uint64, nw, nw*64)
	e.initial(arena[:nw])
	parent := []int32{-1}
	via := []rune{0}
	// visited maps a state's hash to the states with that hash.
	visited := map[uint64][]int32{hashWords(arena[:nw]): {0}}
	lookup := func(st []uint64, h uint64) bool {
		for _, i := range visited[h] {
			if slicesEqual(arena[int(i)*nw:(int(i)+1)*nw], st) {
				return true
			}
		}
		return false
	}
	seen := map[string]bool{}
	sig := make([]bool, e.natoms)
	sigKey := make([]byte, e.natoms)
	next := make([]uint64, nw)
	total := -1
	if e.natoms <= 20 {
		total = 1 << e.natoms
	}
	defer func() { res.states = len(parent) }()
	for head := 0; head < len(parent); head++ {
		st := arena[head*nw : (head+1)*nw]
		if e.eval(st, sig) {
			for i, b := range sig {
				sigKey[i] = boolByte(b)
			}
			if !seen[string(sigKey)] {
				seen[string(sigKey)] = true
				res.values = append(res.values, reconstruct(parent, via, head))
				res.sigs = append(res.sigs, append([]bool(nil), sig...))
				if len(res.values) == total {
					return res
				}
				if len(res.values) >= maxCells {
					res.reason = fmt.Sprintf("more than %d distinct cells", maxCells)
					return res
				}
			}
		}
		if e.domainDead(st) {
			continue
		}
		for _, r := range e.alpha {
			st = arena[head*nw : (head+1)*nw]
			e.step(st, next, r)
			h := hashWords(next)
			if lookup(next, h) {
				continue
			}
			if len(parent) >= maxCellStates {
				res.reason = fmt.Sprintf("the search over the patterns' automata passed %d states", maxCellStates)
				return res
			}
			visited[h] = append(visited[h], int32(len(parent)))
			arena = append(arena, next...)
			parent = append(parent, int32(head))
			via = append(via, r)
		}
	}
	return res
}

func hashWords(ws []uint64) uint64 {
	h := uint64(14695981039346656037)
	for _, w := range ws {
		h ^= w
		h *= 1099511628211
		h ^= h >> 29
	}
	return h
}

func slicesEqual(a, b []uint64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func reconstruct(parent []int32, via []rune, i int) string {
	var rs []rune
	for ; i > 0; i = int(parent[i]) {
		rs = append(rs, via[i])
	}
	var b strings.Builder
	for j := len(rs) - 1; j >= 0; j-- {
		b.WriteRune(rs[j])
	}
	return b.String()
}

// cacheKey serialises a spec; equal keys mean equal results.
func (spec *cellSpec) cacheKey() string {
	var b []byte
	put := func(a atom, tag byte) {
		b = append(b, tag)
		for _, c := range a.comps {
			b = append(b, 'c', byte(c.kind))
			for _, in := range c.prog {
				fl := in.op
				if in.fold {
					fl |= 0x10
				}
				if in.noColon {
					fl |= 0x20
				}
				b = append(b, fl)
				if in.op == gRune {
					b = binary.AppendUvarint(b, uint64(in.r))
				}
			}
		}
	}
	for _, a := range spec.atoms {
		put(a, 'A')
	}
	for _, a := range spec.domains {
		put(a, 'D')
	}
	for _, a := range spec.prefer {
		put(a, 'P')
	}
	return string(b)
}

// computeCells runs the search, then one search per preference (as an
// extra domain, which prunes hard) to pick each cell's witness. The first
// search alone decides which cells exist; a preference search that hits its
// bound only loses a nicer witness.
func computeCells(spec *cellSpec) cellResult { return computeCellsCached(spec, nil) }

// computeCellsCached is computeCells with the atoms no string of the
// domains can satisfy left out of the automata (see newCellEngineWithout);
// wc, when not nil, remembers which atoms are disjoint from which domain.
func computeCellsCached(spec *cellSpec, wc *WitnessCache) cellResult {
	dead := deadAtoms(spec, wc)
	base := newCellEngineWithout(&cellSpec{atoms: spec.atoms, domains: spec.domains}, dead).run()
	if len(spec.prefer) == 0 || len(base.values) == 0 {
		return base
	}
	idx := map[string]int{}
	for i, sig := range base.sigs {
		idx[string(boolsKey(sig))] = i
	}
	rank := make([]int, len(base.values))
	for i := range rank {
		rank[i] = len(spec.prefer)
	}
	values := append([]string(nil), base.values...)
	left := len(values)
	for p, pref := range spec.prefer {
		if left == 0 {
			break
		}
		doms := append(append([]atom(nil), spec.domains...), pref)
		r := newCellEngineWithout(&cellSpec{atoms: spec.atoms, domains: doms}, dead).run()
		for j, sig := range r.sigs {
			if i, ok := idx[string(boolsKey(sig))]; ok && rank[i] == len(spec.prefer) {
				rank[i], values[i] = p, r.values[j]
				left--
			}
		}
	}
	order := make([]int, len(values))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return rank[order[a]] < rank[order[b]] })
	out := cellResult{reason: base.reason}
	for _, i := range order {
		out.values = append(out.values, values[i])
		out.sigs = append(out.sigs, base.sigs[i])
	}
	return out
}

func boolsKey(bs []bool) []byte {
	b := make([]byte, len(bs))
	for i, v := range bs {
		b[i] = boolByte(v)
	}
	return b
}

// WitnessCache remembers the witness computations of Exists, keyed by the
// conditions' content, so that questions over the same conditions (the
// same policy attached to many roles) compute them once. The zero value is
// ready; it is safe for concurrent use and holds at most a few thousand
// entries. Every compiled policy set has one of its own; pass a shared one
// in Question.Cache to share across policy sets.
type WitnessCache struct {
	mu    sync.Mutex
	cells map[string]cellResult
	dims  map[string]cachedDim
}

// cachedDim is a dimension's options and the reasons building it gave.
type cachedDim struct {
	d       dim
	reasons []string
}

const maxCachedDims = 1 << 14

type witnessCache = WitnessCache

const maxCachedCells = 4096

func (wc *witnessCache) cellsFor(spec *cellSpec) cellResult {
	if wc == nil {
		return computeCells(spec)
	}
	k := spec.cacheKey()
	wc.mu.Lock()
	r, ok := wc.cells[k]
	wc.mu.Unlock()
	if ok {
		return r
	}
	r = computeCellsCached(spec, wc)
	wc.mu.Lock()
	if wc.cells == nil {
		wc.cells = map[string]cellResult{}
	}
	if len(wc.cells) < maxCachedCells {
		wc.cells[k] = r
	}
	wc.mu.Unlock()
	return r
}

// deadAtoms marks the atoms that no string accepted by every domain
// satisfies, nil when there are none: an atom is dead when it is disjoint
// from one domain (disjointAtoms).
func deadAtoms(spec *cellSpec, _ *WitnessCache) []bool {
	if len(spec.domains) == 0 || len(spec.atoms) == 0 {
		return nil
	}
	var dead []bool
	for i, a := range spec.atoms {
		for _, d := range spec.domains {
			if disjointAtoms(a, d) {
				if dead == nil {
					dead = make([]bool, len(spec.atoms))
				}
				dead[i] = true
				break
			}
		}
	}
	return dead
}

// disjointAtoms reports whether no string satisfies both a and d, from
// their literal parts only: every component of a against every component
// of d is either of exclusive kinds (an ARN's fields, a string that is not
// an ARN) or has literal text that no string can carry for both. False
// means "maybe not disjoint": the search keeps the atom.
func disjointAtoms(a, d atom) bool {
	for _, ca := range a.comps {
		for _, cd := range d.comps {
			if !disjointComps(&ca, &cd) {
				return false
			}
		}
	}
	return true
}

func disjointComps(a, b *component) bool {
	if (a.kind == compFields && b.kind == compWholeNotARN) || (a.kind == compWholeNotARN && b.kind == compFields) {
		return true
	}
	if neverNotARN(a) || neverNotARN(b) {
		return true
	}
	if a.kind == compFields && b.kind == compFields {
		fa, fb := splitFields(a.prog), splitFields(b.prog)
		// Fields before each pattern's last are single ARN fields; the
		// last takes the rest of the ARN.
		for i := 0; i < len(fa)-1 && i < len(fb)-1; i++ {
			if literalsConflict(fa[i], fb[i]) {
				return true
			}
		}
		// With as many fields, both last fields take the same rest.
		return len(fa) == len(fb) && literalsConflict(fa[len(fa)-1], fb[len(fb)-1])
	}
	return literalsConflict(a.prog, b.prog)
}

// splitFields cuts a field-by-field program at its separators.
func splitFields(prog []ginst) [][]ginst {
	var out [][]ginst
	start := 0
	for i, in := range prog {
		if in.op == gSep {
			out = append(out, prog[start:i])
			start = i + 1
		}
	}
	return append(out, prog[start:])
}

// literalsConflict reports whether no string matches both programs, by
// their literal prefixes: the runes before the first wildcard (a
// separator reads as ':'; case folding or gNever ends the prefix). A
// program without wildcards matches only its prefix.
func literalsConflict(a, b []ginst) bool {
	pa, ca := literalPrefix(a)
	pb, cb := literalPrefix(b)
	n := min(len(pa), len(pb))
	for i := range n {
		if pa[i] != pb[i] {
			return true
		}
	}
	switch {
	case ca && cb:
		return len(pa) != len(pb)
	case ca:
		return len(pb) > len(pa)
	case cb:
		return len(pa) > len(pb)
	}
	return false
}

// literalPrefix returns the leading literal runes of prog and whether they
// are the whole program (it matches exactly them).
func literalPrefix(prog []ginst) ([]rune, bool) {
	var out []rune
	for _, in := range prog {
		switch {
		case in.op == gRune && !in.fold:
			out = append(out, in.r)
		case in.op == gSep:
			out = append(out, ':')
		default:
			return out, false
		}
	}
	return out, true
}

// neverNotARN reports whether c only accepts strings that are not ARNs
// while every string it matches is one: its literal prefix starts with
// "arn:" and holds five colons (what the engine calls an ARN).
func neverNotARN(c *component) bool {
	if c.kind != compWholeNotARN {
		return false
	}
	p, _ := literalPrefix(c.prog)
	if len(p) < 4 || string(p[:4]) != "arn:" {
		return false
	}
	colons := 0
	for _, r := range p {
		if r == ':' {
			colons++
		}
	}
	return colons >= 5
}
