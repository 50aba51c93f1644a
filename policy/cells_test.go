package policy

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// The cells of a key are checked against brute force: every string up to a
// length, over an alphabet that includes a rune no pattern names, is
// matched with the evaluator's own functions; every signature (which
// conditions hold) that brute force finds inside the domain must have a
// witness, and every witness must have the signature the engine claims.

// oracleCase is random conditions on one key and an optional domain.
type oracleCase struct {
	conds  []compiledCond
	domain []string
	desc   string
}

func randPattern(r *rand.Rand, runes []rune, maxLen int) string {
	var b strings.Builder
	n := r.IntN(maxLen + 1)
	for i := 0; i < n; i++ {
		b.WriteRune(runes[r.IntN(len(runes))])
	}
	return b.String()
}

func randOracleCase(r *rand.Rand, arn bool) oracleCase {
	ops := []string{"StringEquals", "StringEqualsIgnoreCase", "StringLike", "BinaryEquals", "StringNotLike"}
	runes := []rune("aAbk*?")
	if arn {
		ops = []string{"ArnLike", "ArnEquals", "StringLike", "ArnNotLike"}
		runes = []rune("ab:*?")
	}
	cond := Condition{}
	n := 1 + r.IntN(3)
	for i := 0; i < n; i++ {
		op := ops[r.IntN(len(ops))]
		key := fmt.Sprintf("k%d", i) // distinct keys: one condition each
		var vals StringList
		for j := 0; j <= r.IntN(2); j++ {
			p := randPattern(r, runes, 4)
			if arn && r.IntN(3) > 0 {
				p = "arn:" + p
			}
			vals = append(vals, p)
		}
		if cond[op] == nil {
			cond[op] = map[string]StringList{}
		}
		cond[op][key] = vals
	}
	oc := oracleCase{conds: compileConditions(cond, true)}
	if r.IntN(3) == 0 {
		oc.domain = []string{randPattern(r, runes, 3) + "*"}
		if arn {
			oc.domain = []string{"arn:" + oc.domain[0]}
		}
	}
	oc.desc = fmt.Sprintf("%v domain %q", cond, oc.domain)
	return oc
}

// oracleSig is the evaluator's signature of v: condition i holds when the
// positive operator matches v.
func oracleSig(oc *oracleCase, v string) string {
	var b []byte
	ev := &evalCtx{req: &Request{}}
	for i := range oc.conds {
		t, _ := oc.conds[i].matchOne(v, ev)
		b = append(b, "01?"[t])
	}
	return string(b)
}

func allStrings(alpha []rune, maxLen int, prefix string, out []string) []string {
	var rec func(cur []rune)
	rec = func(cur []rune) {
		out = append(out, prefix+string(cur))
		if len(cur) == maxLen {
			return
		}
		for _, r := range alpha {
			rec(append(cur, r))
		}
	}
	rec(nil)
	return out
}

func TestCellsAgainstBruteForce(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		arn     bool
		strings func() []string
	}{
		{"strings", false, func() []string {
			// 'c' and 's' are named by no pattern; K is the Kelvin sign,
			// which folds to k.
			return allStrings([]rune("aAbkKc\u212a"), 4, "", nil)
		}},
		{"arns", true, func() []string {
			out := allStrings([]rune("arn:c"), 4, "", nil)
			return allStrings([]rune("ab:c"), 6, "arn:", out)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			all := tc.strings()
			r := rand.New(rand.NewPCG(11, 7))
			for iter := 0; iter < 400; iter++ {
				oc := randOracleCase(r, tc.arn)
				spec := &cellSpec{}
				for i := range oc.conds {
					a, ok := condAtom(&oc.conds[i], &evalCtx{req: &Request{}})
					if !ok {
						t.Fatalf("%s: condition %d has no atom", oc.desc, i)
					}
					spec.atoms = append(spec.atoms, a)
				}
				if oc.domain != nil {
					spec.domains = []atom{arnLikeAtom(oc.domain)}
				}
				cr := newCellEngine(spec).run()
				if cr.reason != "" {
					t.Fatalf("%s: incomplete: %s", oc.desc, cr.reason)
				}
				have := map[string]string{}
				for i, w := range cr.values {
					got := oracleSig(&oc, w)
					claimed := ""
					for _, b := range cr.sigs[i] {
						claimed += map[bool]string{false: "0", true: "1"}[b]
					}
					if got != claimed {
						t.Fatalf("%s: witness %q: engine says %s, evaluator %s", oc.desc, w, claimed, got)
					}
					if oc.domain != nil && !arnLikeMatch(oc.domain, w) {
						t.Fatalf("%s: witness %q outside the domain", oc.desc, w)
					}
					if prev, dup := have[got]; dup {
						t.Fatalf("%s: witnesses %q and %q share signature %s", oc.desc, prev, w, got)
					}
					have[got] = w
				}
				for _, s := range all {
					if oc.domain != nil && !arnLikeMatch(oc.domain, s) {
						continue
					}
					if sig := oracleSig(&oc, s); !hasKey(have, sig) {
						t.Fatalf("%s: %q has signature %s, which no witness has (witnesses %q)", oc.desc, s, sig, cr.values)
					}
				}
			}
		})
	}
}

func hasKey(m map[string]string, k string) bool {
	_, ok := m[k]
	return ok
}

func TestCellsExamples(t *testing.T) {
	t.Parallel()
	cond := func(op, v string) compiledCond {
		return compileConditions(Condition{op: {"k": {v}}}, true)[0]
	}
	for _, tc := range []struct {
		name  string
		conds []compiledCond
		want  []string
	}{
		{"equality", []compiledCond{cond("StringEquals", "prod")}, []string{"", "prod"}},
		{"case variants", []compiledCond{cond("StringEquals", "ab"), cond("StringEqualsIgnoreCase", "ab")}, []string{"", "ab", "aB"}},
		{"glob", []compiledCond{cond("StringLike", "a*b")}, []string{"", "ab"}},
		// k folds to K and to the Kelvin sign: a variant no pattern names.
		{"fold orbit", []compiledCond{cond("StringEquals", "k"), cond("StringEqualsIgnoreCase", "k")}, []string{"", "k", "K"}},
		{"arn per field", []compiledCond{cond("ArnLike", "arn:aws:s3:::b*")}, []string{"", "arn:aws:s3:::b"}},
		{"arn star stops at colon", []compiledCond{cond("ArnLike", "arn:*:s3:::x"), cond("StringLike", "arn:*:s3:::x")},
			[]string{"", "arn::s3:::x", "arn:::s3:::x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			spec := &cellSpec{}
			for i := range tc.conds {
				a, _ := condAtom(&tc.conds[i], &evalCtx{req: &Request{}})
				spec.atoms = append(spec.atoms, a)
			}
			got := newCellEngine(spec).run().values
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestPrincipalCellsAgainstMatchesPrincipal checks the principal atoms
// against MatchesPrincipal: witnesses carry the signature the engine
// claims, and every caller built from ARN fragments has its signature among
// the witnesses.
func TestPrincipalCellsAgainstMatchesPrincipal(t *testing.T) {
	t.Parallel()
	var callers []string
	for _, part := range []string{"aws", "aws-cn", ""} {
		for _, svc := range []string{"iam", "sts", "s3"} {
			for _, region := range []string{"", "us-east-1"} {
				for _, acct := range []string{"111122223333", "444455556666", ""} {
					for _, res := range []string{"root", "role/R", "role/p/R", "role/Other", "user/u", "assumed-role/R", "assumed-role/R/s", "assumed-role/Rx/s", "x:y"} {
						callers = append(callers, "arn:"+part+":"+svc+":"+region+":"+acct+":"+res)
					}
				}
			}
		}
	}
	callers = append(callers, "111122223333", "444455556666", "lambda.amazonaws.com", "LAMBDA.amazonaws.com", "x", "arn:aws:iam::111122223333")
	elements := []*Principal{
		{AWS: StringList{"111122223333"}},
		{AWS: StringList{"arn:aws:iam::111122223333:root"}},
		{AWS: StringList{"arn:aws:iam::111122223333:role/p/R"}},
		{AWS: StringList{"arn:aws:iam::111122223333:user/u"}},
		{AWS: StringList{"arn:aws:sts::111122223333:assumed-role/R/s"}},
		{AWS: StringList{"arn:aws-cn:iam::444455556666:root", "arn:aws:iam::444455556666:role/Other"}},
		{Service: StringList{"lambda.amazonaws.com"}},
		{Federated: StringList{"cognito-identity.amazonaws.com"}},
		{Wildcard: true},
	}
	r := rand.New(rand.NewPCG(3, 5))
	for iter := 0; iter < 60; iter++ {
		var ps []*Principal
		for n := 1 + r.IntN(3); len(ps) < n; {
			ps = append(ps, elements[r.IntN(len(elements))])
		}
		spec := &cellSpec{domains: []atom{{comps: []component{globComp([]rtok{{kind: tokQuest}, {kind: tokStar}}, false)}}}}
		for _, p := range ps {
			spec.atoms = append(spec.atoms, principalAtom(p))
		}
		var desc []string
		for _, p := range ps {
			desc = append(desc, fmt.Sprintf("%+v", *p))
		}
		cr := newCellEngine(spec).run()
		if cr.reason != "" {
			t.Fatalf("%v: %s", desc, cr.reason)
		}
		sigOf := func(caller string) string {
			var b []byte
			for _, p := range ps {
				b = append(b, boolByte(p.MatchesPrincipal(caller))+'0')
			}
			return string(b)
		}
		have := map[string]bool{}
		for i, w := range cr.values {
			got := sigOf(w)
			claimed := string(boolsKey(cr.sigs[i]))
			for j := range claimed {
				if claimed[j] != got[j]-'0' {
					t.Fatalf("%v: witness %q: engine %v, MatchesPrincipal %s", desc, w, cr.sigs[i], got)
				}
			}
			have[got] = true
		}
		for _, c := range callers {
			if sig := sigOf(c); !have[sig] {
				t.Fatalf("%v: caller %q has signature %s, which no witness has (%q)", desc, c, sig, cr.values)
			}
		}
	}
}

// TestCellsStateBound guards the search's size on the boundary question
// every scan asks (it once took 13,000 states before states were made
// canonical).
func TestCellsStateBound(t *testing.T) {
	t.Parallel()
	c := compileConditions(Condition{"StringNotLike": {"k": {"arn:aws:iam::*:policy/pennsieve-boundary-*"}}}, true)
	a, _ := condAtom(&c[0], &evalCtx{req: &Request{}})
	spec := &cellSpec{
		atoms:   []atom{a, arnLikeAtom([]string{boundaryN1}), arnLikeAtom([]string{boundaryN2})},
		domains: []atom{arnLikeAtom(builtinKeys()["iam:permissionsboundary"].domain)},
	}
	r := newCellEngine(spec).run()
	if r.reason != "" || len(r.values) != 4 {
		t.Fatalf("got %q (%s), want 4 cells", r.values, r.reason)
	}
	if r.states > 1000 {
		t.Errorf("the search took %d states, want at most 1000", r.states)
	}
}
