package policy

import (
	"math"
	"net/netip"
	"sort"
	"strconv"
	"time"
)

// Witness values of the ordered and typed operator families. Each function
// returns values such that every region of the value space the given
// constants distinguish contains one: for an ordering, each constant, a
// value between each consecutive pair, one below and one above; for CIDR
// blocks, each block's first and last address and the addresses just
// outside it.

// illTyped is a value no Numeric, Date, Bool or IpAddress operator parses:
// a free-text key compared by such an operator may carry it.
const illTyped = "x"

// condAtom is the predicate "the key's value matches one of the
// condition's values" for the string, binary and ARN families, with
// variables on fixed keys resolved from ev. ok is false when a value cannot
// be resolved faithfully (the condition is then unevaluable anyway).
func condAtom(c *compiledCond, ev *evalCtx) (atom, bool) {
	var a atom
	for i := range c.values {
		cv := &c.values[i]
		switch c.po.fam {
		case famString, famStringIgnoreCase, famStringLike, famBinary:
			toks := cv.toks
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
			a.comps = append(a.comps, globComp(toks, c.po.fam == famStringIgnoreCase))
		case famARN:
			ap := &cv.arn
			if ap.bad != "" {
				return atom{}, false
			}
			if ap.any {
				a.comps = append(a.comps, globComp([]rtok{{kind: tokStar}}, false))
				continue
			}
			whole, fields := ap.whole, ap.static
			if ap.hasVar {
				t, st, _ := ap.resolve(nil, ev)
				if st == resolvedBad {
					return atom{}, false
				}
				if st == resolvedMissing {
					continue
				}
				whole = t
				fields = nil
				if ap.fields != nil {
					for _, f := range ap.fields {
						p := pattern{toks: f}
						ft, _, _ := p.resolve(nil, ev)
						fields = append(fields, ft)
					}
				}
			}
			a.comps = append(a.comps, arnComps(whole, fields)...)
		default:
			return atom{}, false
		}
	}
	return a, true
}

// arnLikeAtom is the predicate of Domain and Partition patterns: ArnLike
// semantics, no variables.
func arnLikeAtom(patterns []string) atom {
	var a atom
	for _, p := range patterns {
		ap := compileARNPattern(p, patternOpts{wild: true})
		if ap.any {
			a.comps = append(a.comps, globComp([]rtok{{kind: tokStar}}, false))
			continue
		}
		a.comps = append(a.comps, arnComps(ap.whole, ap.static)...)
	}
	return a
}

// arnLikeMatch matches v against ArnLike patterns.
func arnLikeMatch(patterns []string, v string) bool {
	f := splitARN(v)
	for _, p := range patterns {
		ap := compileARNPattern(p, patternOpts{wild: true})
		if ok, _, _ := ap.match(v, &f, nil); ok {
			return true
		}
	}
	return false
}

// numericWitnesses covers the number line as the constants split it. A
// region with no representable value between two constants is reported.
func numericWitnesses(consts []number) ([]string, string) {
	sort.Slice(consts, func(i, j int) bool { return compareNumbers(consts[i], consts[j]) < 0 })
	var uniq []number
	for _, c := range consts {
		if len(uniq) == 0 || compareNumbers(uniq[len(uniq)-1], c) != 0 {
			uniq = append(uniq, c)
		}
	}
	if len(uniq) == 0 {
		return []string{"0"}, ""
	}
	var out []string
	reason := ""
	between := func(a, b number) (string, bool) {
		var cands []string
		if a.isInt && b.isInt {
			if a.i < math.MaxInt64 && a.i+1 < b.i {
				cands = append(cands, strconv.FormatInt(a.i+1, 10))
			}
			cands = append(cands, strconv.FormatInt(a.i, 10)+".5")
		}
		mid := a.f + (b.f-a.f)/2
		cands = append(cands, strconv.FormatFloat(mid, 'g', -1, 64), strconv.FormatFloat(math.Nextafter(a.f, b.f), 'g', -1, 64))
		for _, s := range cands {
			n, ok := parseNumber(s)
			if ok && compareNumbers(a, n) < 0 && compareNumbers(n, b) < 0 {
				return s, true
			}
		}
		return "", false
	}
	format := func(n number) string {
		if n.isInt {
			return strconv.FormatInt(n.i, 10)
		}
		return strconv.FormatFloat(n.f, 'g', -1, 64)
	}
	// outside is a value beyond c in direction dir (-1 below, +1 above).
	outside := func(c number, dir int) (string, bool) {
		var cands []string
		if c.isInt && ((dir < 0 && c.i > math.MinInt64) || (dir > 0 && c.i < math.MaxInt64)) {
			cands = append(cands, strconv.FormatInt(c.i+int64(dir), 10))
		}
		step := math.Max(1, math.Abs(c.f))
		cands = append(cands, strconv.FormatFloat(c.f+float64(dir)*step, 'g', -1, 64),
			strconv.FormatFloat(math.Nextafter(c.f, float64(dir)*math.Inf(1)), 'g', -1, 64))
		for _, s := range cands {
			n, ok := parseNumber(s)
			if ok && compareNumbers(n, c) == dir {
				return s, true
			}
		}
		return "", false
	}
	lo, hi := uniq[0], uniq[len(uniq)-1]
	if s, ok := outside(lo, -1); ok {
		out = append(out, s)
	} else {
		reason = "no number below " + format(lo)
	}
	for i, c := range uniq {
		out = append(out, format(c))
		if i+1 < len(uniq) {
			if s, ok := between(c, uniq[i+1]); ok {
				out = append(out, s)
			} else if reason == "" {
				reason = "no representable number between " + format(c) + " and " + format(uniq[i+1])
			}
		}
	}
	if s, ok := outside(hi, 1); ok {
		out = append(out, s)
	} else if reason == "" {
		reason = "no number above " + format(hi)
	}
	return out, reason
}

// dateWitnesses covers the time line (nanoseconds) as the constants split
// it, preferring whole seconds. Values outside the years 1 to 9999 cannot be
// written and are left out.
func dateWitnesses(consts []time.Time) []string {
	sort.Slice(consts, func(i, j int) bool { return consts[i].Before(consts[j]) })
	var uniq []time.Time
	for _, c := range consts {
		if len(uniq) == 0 || !uniq[len(uniq)-1].Equal(c) {
			uniq = append(uniq, c)
		}
	}
	if len(uniq) == 0 {
		return []string{"2024-01-01T00:00:00Z"}
	}
	var out []string
	add := func(t time.Time) {
		s := t.UTC().Format(time.RFC3339Nano)
		if back, ok := parseDate(s); ok && back.Equal(t) {
			out = append(out, s)
		}
	}
	add(uniq[0].Add(-time.Second))
	for i, c := range uniq {
		add(c)
		if i+1 < len(uniq) {
			d := uniq[i+1].Sub(c)
			switch {
			case d > time.Second:
				add(c.Add(time.Second))
			case d > time.Nanosecond:
				add(c.Add(d / 2))
			}
		}
	}
	add(uniq[len(uniq)-1].Add(time.Second))
	return out
}

// timeWitnesses are instants in whole seconds (aws:CurrentTime and
// aws:EpochTime are whole seconds) covering the regions the constants
// split, none before now (when set): for each constant c, floor(c)-1,
// floor(c) and floor(c)+1 hit every region's integers.
func timeWitnesses(secs []float64, exact []int64, now time.Time) []int64 {
	set := map[int64]bool{}
	for _, c := range exact {
		for _, d := range [...]int64{-1, 0, 1} {
			set[c+d] = true
		}
	}
	for _, f := range secs {
		fl := int64(math.Floor(f))
		for _, d := range [...]int64{-1, 0, 1} {
			set[fl+d] = true
		}
	}
	var floor int64 = math.MinInt64
	if !now.IsZero() {
		floor = now.Unix()
		if now.Nanosecond() > 0 {
			floor++
		}
		set[floor] = true
	}
	if len(set) == 0 {
		set[time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Unix()] = true
	}
	const minSec, maxSec = -62135596800, 253402300799 // years 1..9999
	var out []int64
	for s := range set {
		if s >= floor && s >= minSec && s <= maxSec {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// ipWitnesses covers the IPv4 and IPv6 spaces as the blocks split them.
func ipWitnesses(prefixes []netip.Prefix) []string {
	set := map[netip.Addr]bool{}
	for _, p := range prefixes {
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		p = p.Masked()
		first := p.Addr()
		last := lastAddr(p)
		set[first] = true
		set[last] = true
		if prev := first.Prev(); prev.IsValid() {
			set[prev] = true
		}
		if next := last.Next(); next.IsValid() {
			set[next] = true
		}
	}
	// One address of each family, for a family no block names.
	set[netip.MustParseAddr("203.0.113.7")] = true
	set[netip.MustParseAddr("2001:db8::7")] = true
	addrs := make([]netip.Addr, 0, len(set))
	for a := range set {
		addrs = append(addrs, a)
	}
	sort.Slice(addrs, func(i, j int) bool { return addrs[i].Less(addrs[j]) })
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = a.String()
	}
	return out
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// subsets returns every set of 1..m distinct elements of singles, in
// order of size then position.
func subsets(singles [][]string, m int) [][]string {
	var out [][]string
	var rec func(start int, cur []string, size int)
	rec = func(start int, cur []string, size int) {
		if len(cur) == size {
			out = append(out, append([]string(nil), cur...))
			return
		}
		for i := start; i < len(singles); i++ {
			rec(i+1, append(cur, singles[i][0]), size)
		}
	}
	for size := 1; size <= m && size <= len(singles); size++ {
		rec(0, nil, size)
	}
	return out
}
