package policy

import (
	"fmt"
	"sort"
	"strings"
)

// Witness resources. A promise about resources ("no bucket but the
// workflow bucket", "no resource of another node") is universal too: is
// there any resource ARN, of the kind the action takes, that the policies
// let the principal reach? The Resource and NotResource patterns of the
// statements that can apply to the action split the ARN space into
// regions that the policies treat alike; one witness per region (and per
// partition pattern the caller adds) decides the question.

// ResourceQuestion asks for witness resources of one action.
type ResourceQuestion struct {
	// Action is the concrete action whose statements are considered.
	Action string
	// Domain: every witness matches one of these ARN globs (ArnLike
	// semantics) — typically the ARN formats of the action's resource
	// types. Empty means any string.
	Domain []string
	// Within, when set, is a second domain every witness must also match
	// (the question's own scope, e.g. "another account's ARNs").
	Within []string
	// Partition patterns split the regions further (the promise's own
	// patterns: the workflow bucket, a node's names).
	Partition []string
	// Principal and Fixed resolve policy variables in the patterns
	// (${aws:username}, ${aws:PrincipalTag/team}); a variable they do not
	// resolve makes the answer incomplete.
	Principal string
	Fixed     map[string][]string
	// Cache, when set, shares the cell computations.
	Cache *WitnessCache
}

// ResourceWitnesses returns one resource per region, shortest first. The
// second result, when not empty, says why the witnesses may not cover
// every region (a variable that cannot be resolved, a bound hit): the
// caller must then not conclude that no resource exists.
func (c *Compiled) ResourceWitnesses(q *ResourceQuestion) ([]string, string) {
	ev := &evalCtx{req: &Request{Principal: q.Principal, Context: q.Fixed, Action: q.Action}}
	var atoms []atom
	var reasons []string
	for _, s := range c.relevant(nil, q.Action, "") {
		for i := range s.resources {
			ap := &s.resources[i]
			if ap.any {
				continue
			}
			a, why := resourceAtom(ap, ev)
			if why != "" {
				reasons = append(reasons, fmt.Sprintf("%s: Resource %q: %s", s.label(), ap.raw, why))
				continue
			}
			atoms = append(atoms, a)
		}
	}
	for _, p := range q.Partition {
		atoms = append(atoms, arnLikeAtom([]string{p}))
	}
	spec := &cellSpec{atoms: atoms}
	for _, d := range [][]string{q.Domain, q.Within} {
		if len(d) > 0 {
			spec.domains = append(spec.domains, arnLikeAtom(d))
		}
	}
	wc := q.Cache
	if wc == nil {
		wc = c.wc
	}
	cr := wc.cellsFor(spec)
	if cr.reason != "" {
		reasons = append(reasons, "resources: "+cr.reason)
	}
	return cr.values, strings.Join(reasons, "; ")
}

// resourceAtom is the predicate of one Resource pattern, its variables
// resolved from the question's facts.
func resourceAtom(ap *arnPattern, ev *evalCtx) (atom, string) {
	if ap.bad != "" {
		return atom{}, ap.bad
	}
	if !ap.hasVar {
		return atom{comps: arnComps(ap.whole, ap.static)}, ""
	}
	whole, st, why := ap.resolve(nil, ev)
	switch st {
	case resolvedBad:
		return atom{}, why
	case resolvedMissing:
		return atom{}, "a policy variable the question does not fix"
	}
	var fields [][]rtok
	for _, f := range ap.fields {
		p := pattern{toks: f}
		ft, st, why := p.resolve(nil, ev)
		if st != resolvedOK {
			return atom{}, "a policy variable the question does not fix" + why
		}
		fields = append(fields, ft)
	}
	return atom{comps: arnComps(whole, fields)}, ""
}

// StatementActions is the Action (or NotAction) list of one compiled
// statement, as written.
type StatementActions struct {
	Layer    Layer
	Deny     bool
	Not      bool // NotAction: the statement matches every action but these
	Patterns []string
}

// Actions lists the action lists of every statement, in layer order, so
// that a caller can partition the action universe into the classes the
// policies treat alike.
func (c *Compiled) Actions() []StatementActions {
	var out []StatementActions
	for li := range c.layers {
		l := &c.layers[li]
		for si := range l.stmts {
			s := &l.stmts[si]
			out = append(out, StatementActions{Layer: l.layer, Deny: s.deny, Not: s.notAction, Patterns: s.rawActions})
		}
	}
	return out
}

// ConditionValues lists, sorted and without repeats, the values every
// condition of the policy set compares key with (as written; patterns keep
// their wildcards). A caller uses them to split a related dimension: the
// boundary ARNs a CreateRole condition names are the policy names a
// CreatePolicy question must tell apart.
func (c *Compiled) ConditionValues(key string) []string {
	set := map[string]bool{}
	for li := range c.layers {
		for si := range c.layers[li].stmts {
			for _, cc := range c.layers[li].stmts[si].conds {
				if !strings.EqualFold(cc.key, key) {
					continue
				}
				for _, v := range cc.values {
					set[v.raw] = true
				}
			}
		}
	}
	out := make([]string, 0, len(set))
	for v := range set {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// ConditionValues is Compiled.ConditionValues for a resource-based policy.
func (t *CompiledTrust) ConditionValues(key string) []string {
	set := map[string]bool{}
	for si := range t.stmts {
		for _, cc := range t.stmts[si].conds {
			if strings.EqualFold(cc.key, key) {
				for _, v := range cc.values {
					set[v.raw] = true
				}
			}
		}
	}
	out := make([]string, 0, len(set))
	for v := range set {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}
