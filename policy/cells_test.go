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
