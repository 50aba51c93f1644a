package baseline

// This file is the request catalogue: which requests a comparison asks
// about (actions, resources, contexts), how each is decided, and how bad a
// newly allowed one is.

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/policy"
	"github.com/pvaudit/pvaudit/policy/catalog"
)

var variableRE = regexp.MustCompile(`\$\{[^}]*\}`)

// compareSets evaluates the request catalogue against two policy sets.
func (e *engine) compareSets(who string, bs, as principalSet) (PrincipalEffect, int) {
	pe := PrincipalEffect{Principal: who, Kind: firstNonEmpty(as.kind, bs.kind), NewlyAllowed: []Request{}, NewlyDenied: []Request{}}
	for _, pr := range append(slices.Clone(bs.problems), as.problems...) {
		pe.Incomplete = appendUnique(pe.Incomplete, pr)
	}
	cb, err := compileSet(bs)
	if err != nil {
		pe.Incomplete = appendUnique(pe.Incomplete, "before: "+err.Error())
	}
	ca, err := compileSet(as)
	if err != nil {
		pe.Incomplete = appendUnique(pe.Incomplete, "after: "+err.Error())
	}
	allowB, allowA := bs.allowAll, as.allowAll
	arn := firstNonEmpty(as.arn, bs.arn)
	docs := append(slices.Clone(bs.docs), as.docs...)
	patterns := append(slices.Clone(e.named), actionPatterns(docs)...)
	type rep struct {
		action, access, service string
		also                    int
	}
	var reps []rep
	for _, cl := range e.cat.Classes(patterns, catalog.ByService|catalog.ByAccess) {
		a := cl.Representative()
		for _, x := range cl.Actions {
			if e.critical[strings.ToLower(x.String())] {
				a = x
				break
			}
		}
		reps = append(reps, rep{a.String(), a.Access().String(), a.Service(), len(cl.Actions) - 1})
	}
	for _, u := range e.cat.Unmatched(patterns) {
		if a, err := e.cat.Resolve(u); err == nil {
			reps = append(reps, rep{a.String(), "Unknown", a.Service(), 0})
		} else if strings.ContainsAny(u, "*?") {
			pe.Incomplete = appendUnique(pe.Incomplete, "pattern "+u+" matches no action the catalogue knows (a newer action?)")
		}
	}
	res := e.resources(arn, firstNonEmpty(as.node, bs.node), docs)
	ctxs := contexts(bs.docs, as.docs)
	n, unevaluable := 0, 0
	for _, r := range reps {
		cands := append([]string{"*"}, res[r.service]...)
		if r.service == "sts" {
			cands = append(cands, res["iam"]...)
		}
		var gotAllow, gotDeny bool
		for _, resource := range cands {
			for _, ctx := range ctxs {
				req := &policy.Request{Principal: arn, Action: r.action, Resource: resource, Context: ctx, ResourceAccount: e.resourceAccount(resource)}
				db, okb := decide(cb, req)
				da, oka := decide(ca, req)
				if allowB {
					db, okb = true, true
				}
				if allowA {
					da, oka = true, true
				}
				n += 2
				if !okb || !oka {
					unevaluable++
					continue
				}
				if db == da {
					continue
				}
				x := Request{Action: r.action, Also: r.also, Access: r.access, Resource: resource, Context: flat(ctx), rank: e.namedRank[strings.ToLower(r.action)]}
				if da && !gotAllow {
					gotAllow = true
					x.Severity = e.requestSeverity(r.action, r.access, r.service)
					pe.NewlyAllowed = append(pe.NewlyAllowed, x)
				}
				if db && !gotDeny {
					gotDeny = true
					x.Severity = finding.Info
					pe.NewlyDenied = append(pe.NewlyDenied, x)
				}
			}
			if gotAllow && gotDeny {
				break
			}
		}
	}
	if unevaluable > 0 {
		pe.Incomplete = appendUnique(pe.Incomplete, fmt.Sprintf("%d request(s) could not be decided (conditions or variables the evaluator cannot resolve)", unevaluable))
	}
	sortRequests(pe.NewlyAllowed)
	sortRequests(pe.NewlyDenied)
	pe.NewlyAllowed, pe.MoreAllowed = truncate(pe.NewlyAllowed)
	pe.NewlyDenied, pe.MoreDenied = truncate(pe.NewlyDenied)
	pe.Effect = effectOf(len(pe.NewlyAllowed) > 0, len(pe.NewlyDenied) > 0, len(pe.Incomplete) > 0)
	return pe, n
}

func compileSet(ps principalSet) (*policy.Compiled, error) {
	if !ps.exists {
		return nil, nil
	}
	return policy.Compile(ps.set)
}

// decide reports whether c allows req, and whether that is certain. A nil
// set (the principal does not exist) allows nothing.
func decide(c *policy.Compiled, req *policy.Request) (allowed, ok bool) {
	if c == nil {
		return false, true
	}
	r := c.Evaluate(req)
	if !r.Evaluable() {
		return false, false
	}
	return r.Decision == policy.Allow, true
}

func (e *engine) resourceAccount(res string) string {
	if a := inventory.AccountFromARN(res); a != "" && a != "aws" {
		return a
	}
	return e.account
}

// requestSeverity is how bad newly allowing an action is.
func (e *engine) requestSeverity(action, access, service string) finding.Severity {
	switch {
	case e.critical[strings.ToLower(action)]:
		return finding.Critical
	case service == "iam" && (access == "Write" || access == "Permissions management"):
		return finding.Critical
	case e.outside[service]:
		return finding.High
	case access != "List" && access != "Read":
		return finding.High
	}
	return finding.Medium
}

// resources are the resources requests are asked on, by service: from the
// account (the principal itself, the cross-account role, its node's and
// another node's role and boundary policy) and from the policies' own
// Resource patterns, instantiated.
func (e *engine) resources(self, node string, docs []*policy.Document) map[string][]string {
	out := map[string][]string{}
	add := func(svc, arn string) {
		if arn != "" && arn != "*" && !slices.Contains(out[svc], arn) && len(out[svc]) < 24 {
			out[svc] = append(out[svc], arn)
		}
	}
	add("iam", self)
	for _, r := range e.crossRoles {
		add("iam", r)
	}
	other := ""
	for _, n := range e.nodes {
		if n != node {
			other = n
			break
		}
	}
	for _, n := range []string{node, other} {
		if n == "" {
			continue
		}
		for _, r := range e.nodeRoles[n] {
			add("iam", r)
		}
		add("iam", e.nodeBoundary[n])
	}
	for _, d := range docs {
		for _, st := range d.Statements {
			for _, p := range append(slices.Clone(st.Resource), st.NotResource...) {
				w := instantiate(p)
				if f := strings.SplitN(w, ":", 6); len(f) == 6 && f[0] == "arn" {
					add(f[2], w)
				}
			}
		}
	}
	return out
}

// instantiate turns an ARN pattern into one ARN it matches.
func instantiate(p string) string {
	p = variableRE.ReplaceAllString(p, "x")
	return strings.NewReplacer("*", "x", "?", "x").Replace(p)
}

// actionPatterns are every Action and NotAction entry of the documents.
func actionPatterns(docs []*policy.Document) []string {
	var out []string
	for _, d := range docs {
		for _, st := range d.Statements {
			out = append(out, st.Action...)
			out = append(out, st.NotAction...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// witness is a request context that sets every condition key the
// documents test to a value they name: the caller chooses most keys
// (sts:ExternalId, iam:PermissionsBoundary …), so what a policy allows
// with the right value is what it allows.
func witness(docs []*policy.Document) map[string][]string {
	out := map[string][]string{}
	keys := map[string]string{}
	for _, d := range docs {
		for _, st := range d.Statements {
			ops := make([]string, 0, len(st.Condition))
			for op := range st.Condition {
				ops = append(ops, op)
			}
			sort.Strings(ops)
			for _, op := range ops {
				if strings.HasPrefix(strings.ToLower(op), "null") {
					continue
				}
				for k, vs := range st.Condition[op] {
					lk := strings.ToLower(k)
					if _, done := keys[lk]; done || len(vs) == 0 {
						continue
					}
					v := vs[0]
					if strings.Contains(strings.ToLower(op), "ipaddress") {
						v, _, _ = strings.Cut(v, "/")
					} else {
						v = instantiate(v)
					}
					keys[lk] = v
					out[k] = []string{v}
				}
			}
		}
	}
	return out
}

// contexts are the request contexts a comparison tries: none, and a
// witness from each side's documents (a condition value may change, as an
// ExternalId does, and each side's value must be tried).
func contexts(before, after []*policy.Document) []map[string][]string {
	out := []map[string][]string{nil}
	for _, docs := range [][]*policy.Document{before, after, append(slices.Clone(before), after...)} {
		w := witness(docs)
		if len(w) == 0 || slices.ContainsFunc(out, func(c map[string][]string) bool { return sameContext(c, w) }) {
			continue
		}
		out = append(out, w)
	}
	return out
}

func sameContext(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

func flat(ctx map[string][]string) map[string]string {
	if len(ctx) == 0 {
		return nil
	}
	out := make(map[string]string, len(ctx))
	for k, v := range ctx {
		out[k] = strings.Join(v, ",")
		if isSecretKey(k) {
			out[k] = redactValue(out[k])
		}
	}
	return out
}
