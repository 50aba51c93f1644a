package catalog

import (
	"slices"
	"sort"
	"strings"
)

// Matching follows IAM's Action element: the pattern is matched against the
// whole "prefix:Name", ASCII letters fold case, "*" matches any run of
// characters (none included) and "?" exactly one. Nothing else is special:
// policy variables are not expanded in Action, so "${…}" is literal text.
//
// Catalogue names are ASCII and hold exactly one ":" (Parse checks this), so
// a pattern is lowered once and compared byte by byte, and a pattern with a
// literal ":" splits into a service part, matched against the prefix alone,
// and a name part, matched against the name alone. That split lets the
// indexes below skip most of the catalogue.

// glob is a compiled, lower-cased pattern.
type glob struct {
	raw   string // as written
	lower string // ASCII-lowered, runs of "*" collapsed
	// The split at the first literal ":" (hasColon); svc and name are
	// parts of lower.
	hasColon bool
	svc      string
	name     string
}

func compileGlob(p string) glob {
	l := lowerASCII(p)
	if strings.Contains(l, "**") {
		var b strings.Builder
		for i := 0; i < len(l); i++ {
			if l[i] == '*' && i > 0 && l[i-1] == '*' {
				continue
			}
			b.WriteByte(l[i])
		}
		l = b.String()
	}
	g := glob{raw: p, lower: l}
	g.svc, g.name, g.hasColon = strings.Cut(l, ":")
	return g
}

// hasWild reports whether s holds "*" or "?".
func hasWild(s string) bool { return strings.ContainsAny(s, "*?") }

// literalPrefix is s up to its first wildcard.
func literalPrefix(s string) string {
	if i := strings.IndexAny(s, "*?"); i >= 0 {
		return s[:i]
	}
	return s
}

// wildMatch reports whether s matches the lower-cased pattern p, byte by
// byte ("?" is one byte: catalogue names are ASCII). It is the classic
// single-backtrack algorithm: O(len(s)·len(p)) at worst, no recursion.
func wildMatch(p, s string) bool {
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == s[si]):
			pi++
			si++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// prefixRange returns [lo, hi) of the sorted strs that start with prefix.
func prefixRange(strs []string, prefix string) (int, int) {
	lo := sort.SearchStrings(strs, prefix)
	hi := lo + sort.Search(len(strs)-lo, func(i int) bool {
		return !strings.HasPrefix(strs[lo+i], prefix)
	})
	return lo, hi
}

// each calls fn with the id of every catalogue action g matches, each id
// once, in no particular order.
func (c *Catalog) each(g glob, fn func(id int)) {
	if !g.hasColon {
		// No literal colon: match the whole "prefix:name", narrowed by the
		// pattern's literal prefix. "*" is every action.
		if g.lower == "*" {
			for id := range c.actions {
				fn(id)
			}
			return
		}
		lo, hi := prefixRange(c.lower, literalPrefix(g.lower))
		for id := lo; id < hi; id++ {
			if wildMatch(g.lower, c.lower[id]) {
				fn(id)
			}
		}
		return
	}
	if strings.Contains(g.name, ":") {
		return // names hold no colon, and the prefix part has taken the only one
	}
	if !hasWild(g.svc) {
		s, ok := c.byPrefix[g.svc]
		if !ok {
			return
		}
		c.eachInService(s, g.name, fn)
		return
	}
	np := literalPrefix(g.name)
	if np == "" {
		for i := range c.services {
			if s := &c.services[i]; wildMatch(g.svc, s.prefix) {
				c.eachInService(s, g.name, fn)
			}
		}
		return
	}
	// A wildcard service with a literal start to the name ("*:Create*"):
	// walk the actions whose name starts that way, in every service.
	byName := c.byName()
	lo := sort.Search(len(byName), func(i int) bool { return c.nameLower(int(byName[i])) >= np })
	for i := lo; i < len(byName); i++ {
		id := int(byName[i])
		n := c.nameLower(id)
		if !strings.HasPrefix(n, np) {
			break
		}
		if wildMatch(g.name, n) && wildMatch(g.svc, c.actions[id].service) {
			fn(id)
		}
	}
}

// eachInService matches the lower-cased name pattern within one service.
func (c *Catalog) eachInService(s *Service, name string, fn func(id int)) {
	lo, hi := s.lo, s.hi
	switch np := literalPrefix(name); {
	case name == "*":
		for id := lo; id < hi; id++ {
			fn(id)
		}
		return
	case np == name:
		if id, ok := c.find(s.prefix + ":" + name); ok {
			fn(id)
		}
		return
	case np != "":
		off := len(s.prefix) + 1
		lo += sort.Search(hi-lo, func(i int) bool { return c.lower[lo+i][off:] >= np })
		for id := lo; id < hi && strings.HasPrefix(c.lower[id][off:], np); id++ {
			if wildMatch(name, c.lower[id][off:]) {
				fn(id)
			}
		}
		return
	}
	for id := lo; id < hi; id++ {
		if wildMatch(name, c.nameLower(id)) {
			fn(id)
		}
	}
}

// Match returns the catalogue actions the IAM action pattern matches,
// sorted by lower-case "prefix:name". A pattern for a service the catalogue
// does not know, or for an action it does not list, matches nothing: see
// Unmatched and Resolve.
func (c *Catalog) Match(pattern string) []*Action {
	var ids []int
	c.each(compileGlob(pattern), func(id int) { ids = append(ids, id) })
	slices.Sort(ids)
	out := make([]*Action, len(ids))
	for i, id := range ids {
		out[i] = c.ptrs[id]
	}
	return out
}

// Matches reports whether the IAM action pattern matches the action, by
// IAM's rules. It works for synthetic actions too, whose names may hold
// any text: there "?" is one character (rune), not one byte.
func Matches(pattern string, a *Action) bool {
	p, s := compileGlob(pattern).lower, lowerASCII(a.String())
	if isASCII(p) && isASCII(s) {
		return wildMatch(p, s)
	}
	return wildMatchRunes([]rune(p), []rune(s))
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// wildMatchRunes is wildMatch over runes.
func wildMatchRunes(p, s []rune) bool {
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == s[si]):
			pi++
			si++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// MatchAny returns the set of catalogue actions an Action list covers
// (not false: those some pattern matches) or a NotAction list covers (not
// true: those no pattern matches).
func (c *Catalog) MatchAny(patterns []string, not bool) Set {
	s := c.emptySet()
	for _, p := range patterns {
		c.each(compileGlob(p), func(id int) { s.bits[id>>6] |= 1 << (id & 63) })
	}
	if not {
		s = s.complement()
	}
	return s
}

// Unmatched returns the patterns, in the order given and without repeats
// (compared case-insensitively), that match no catalogue action: the names
// of actions or services newer than the catalogue, typing mistakes, and
// patterns that match nothing at all ("s3" without a colon). A caller that
// asks "what does this policy grant?" must not read these as "nothing":
// Resolve turns the plain names among them into synthetic actions, and a
// wildcard for an unknown service is a gap to report.
func (c *Catalog) Unmatched(patterns []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range patterns {
		g := compileGlob(p)
		if seen[g.lower] {
			continue
		}
		seen[g.lower] = true
		found := false
		c.each(g, func(int) { found = true })
		if !found {
			out = append(out, p)
		}
	}
	return out
}
