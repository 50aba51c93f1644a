package catalog

import "math/bits"

// Set is an immutable set of actions of one catalogue. The zero Set is empty
// and belongs to no catalogue. Sets hold only catalogue actions: a synthetic
// action is never in one.
type Set struct {
	c    *Catalog
	bits []uint64
}

func (c *Catalog) emptySet() Set {
	return Set{c: c, bits: make([]uint64, (len(c.actions)+63)/64)}
}

// All returns the set of every action in the catalogue.
func (c *Catalog) All() Set {
	return c.emptySet().complement()
}

// SetOf returns the set of the given actions; actions not in c (synthetic
// ones, or those of another catalogue) are left out.
func (c *Catalog) SetOf(actions ...*Action) Set {
	s := c.emptySet()
	for _, a := range actions {
		if c.owns(a) {
			s.bits[a.id>>6] |= 1 << (a.id & 63)
		}
	}
	return s
}

// owns reports whether a is one of c's actions.
func (c *Catalog) owns(a *Action) bool {
	return a != nil && a.known && a.id < len(c.ptrs) && c.ptrs[a.id] == a
}

// complement returns the actions of the catalogue not in s.
func (s Set) complement() Set {
	out := Set{c: s.c, bits: make([]uint64, len(s.bits))}
	for i, w := range s.bits {
		out.bits[i] = ^w
	}
	if n := len(s.c.actions) % 64; n != 0 && len(out.bits) > 0 {
		out.bits[len(out.bits)-1] &= 1<<n - 1
	}
	return out
}

// Catalog returns the catalogue the set belongs to (nil for the zero Set).
func (s Set) Catalog() *Catalog { return s.c }

// Len returns the number of actions in the set.
func (s Set) Len() int {
	n := 0
	for _, w := range s.bits {
		n += bits.OnesCount64(w)
	}
	return n
}

// Contains reports whether a is in the set.
func (s Set) Contains(a *Action) bool {
	return s.c != nil && s.c.owns(a) && s.bits[a.id>>6]&(1<<(a.id&63)) != 0
}

// Actions returns the set's actions, sorted by lower-case "prefix:name".
func (s Set) Actions() []*Action {
	out := make([]*Action, 0, s.Len())
	s.each(func(id int) { out = append(out, s.c.ptrs[id]) })
	return out
}

// each calls fn with every id in the set, in increasing order.
func (s Set) each(fn func(id int)) {
	for i, w := range s.bits {
		for w != 0 {
			fn(i<<6 + bits.TrailingZeros64(w))
			w &= w - 1
		}
	}
}

// Split asks Classes to keep apart actions that the patterns alone would put
// together. Combine with "|".
type Split uint8

const (
	// ByService puts actions of different services in different classes,
	// for a caller whose answer depends on the service (resource ARNs, the
	// list of services a promise allows).
	ByService Split = 1 << iota
	// ByAccess puts actions of different access levels in different
	// classes, for a caller whose answer depends on the level ("no Write").
	ByAccess
)

// Class is a group of actions that every one of a list of patterns either
// matches entirely or not at all, so evaluating Action/NotAction lists made
// of those patterns gives the same answer for each of them.
type Class struct {
	// Actions are the class's actions, sorted by lower-case "prefix:name";
	// there is at least one. Actions[0] is a fine representative.
	Actions []*Action
	// Matches[i] reports whether patterns[i] matches the class's actions.
	Matches []bool
}

// Representative returns the first action of the class.
func (k Class) Representative() *Action { return k.Actions[0] }

// Classes partitions the whole catalogue by patterns; see Set.Classes.
func (c *Catalog) Classes(patterns []string, split Split) []Class {
	return c.All().Classes(patterns, split)
}

// Classes partitions the set's actions into the coarsest classes such that
// each pattern (an IAM action pattern, as in Action or NotAction) matches
// either every action of a class or none, further split as split asks. Two
// actions land in the same class exactly when the same patterns match them
// (and, with split, they share service or access level). Classes are sorted
// by their first action; the result is a fresh slice the caller may keep.
//
// Patterns should be every Action and NotAction entry of the policies whose
// decision the caller wants per class. An action no pattern matches is in a
// class whose Matches are all false: that is the class a NotAction
// statement grants, and it must not be skipped. Names of actions missing
// from the catalogue are not part of any class: see Unmatched and Resolve.
func (s Set) Classes(patterns []string, split Split) []Class {
	c := s.c
	if c == nil {
		return nil
	}
	n := len(c.actions)
	cls := make([]int32, n)
	for i := range cls {
		cls[i] = -1
	}
	var size []int32
	// Initial classes: one, or one per service and/or access level.
	type key struct {
		svc    string
		access AccessLevel
	}
	first := map[key]int32{}
	s.each(func(id int) {
		var k key
		if split&ByService != 0 {
			k.svc = c.actions[id].service
		}
		if split&ByAccess != 0 {
			k.access = c.actions[id].access
		}
		ci, ok := first[k]
		if !ok {
			ci = int32(len(size))
			first[k] = ci
			size = append(size, 0)
		}
		cls[id] = ci
		size[ci]++
	})
	if len(size) == 0 {
		return nil
	}

	// One refinement per distinct pattern (patterns that differ only in
	// case or in repeated stars are the same pattern).
	uniq := map[string]int{}
	patU := make([]int, len(patterns))
	var globs []glob
	for i, p := range patterns {
		g := compileGlob(p)
		u, ok := uniq[g.lower]
		if !ok {
			u = len(globs)
			uniq[g.lower] = u
			globs = append(globs, g)
		}
		patU[i] = u
	}
	matched := make([][]int32, len(globs))
	var hits, split2 []int32
	var touched []int32
	for u, g := range globs {
		var m []int32
		c.each(g, func(id int) {
			if cls[id] >= 0 {
				m = append(m, int32(id))
			}
		})
		matched[u] = m
		// Count, per class, the members the pattern matches.
		for len(hits) < len(size) {
			hits = append(hits, 0)
			split2 = append(split2, -1)
		}
		touched = touched[:0]
		for _, id := range m {
			k := cls[id]
			if hits[k] == 0 {
				touched = append(touched, k)
			}
			hits[k]++
		}
		// A class matched in part splits: its matched members move to a
		// new class. A class matched whole stays as it is.
		for _, k := range touched {
			if hits[k] < size[k] {
				nk := int32(len(size))
				size = append(size, hits[k])
				size[k] -= hits[k]
				split2[k] = nk
			}
		}
		for _, id := range m {
			if nk := split2[cls[id]]; nk >= 0 {
				cls[id] = nk
			}
		}
		for _, k := range touched {
			hits[k], split2[k] = 0, -1
		}
	}

	// Number the classes by their first action.
	final := make([]int32, len(size))
	for i := range final {
		final[i] = -1
	}
	var out []Class
	s.each(func(id int) {
		k := cls[id]
		if final[k] < 0 {
			final[k] = int32(len(out))
			out = append(out, Class{Actions: make([]*Action, 0, size[k])})
		}
		f := final[k]
		out[f].Actions = append(out[f].Actions, c.ptrs[id])
	})
	// Matches: every member of a class is matched alike, so any matched
	// member marks its class.
	um := make([]bool, len(out)*len(globs))
	for u, m := range matched {
		for _, id := range m {
			um[int(final[cls[id]])*len(globs)+u] = true
		}
	}
	all := make([]bool, len(out)*len(patterns))
	for f := range out {
		row := all[f*len(patterns) : (f+1)*len(patterns) : (f+1)*len(patterns)]
		for i, u := range patU {
			row[i] = um[f*len(globs)+u]
		}
		out[f].Matches = row
	}
	return out
}
