package policy

import (
	"slices"
	"testing"
)

// TestDisjointAtoms: the literal check says "disjoint" only when no string
// matches both patterns (checked against ArnLike on witnesses of both).
func TestDisjointAtoms(t *testing.T) {
	tests := []struct {
		name     string
		a, d     string
		disjoint bool
	}{
		{"other service", "arn:aws:iam::123456789012:role/pennsieve-*", "arn:*:s3:::*", true},
		{"same service", "arn:aws:s3:::bucket/*", "arn:*:s3:::*", false},
		{"other account", "arn:aws:iam::111111111111:role/*", "arn:*:iam::222222222222:role/*", true},
		{"account wildcard", "arn:aws:iam::*:role/*", "arn:*:iam::222222222222:role/*", false},
		{"resource prefix", "arn:aws:iam::1:role/a-*", "arn:aws:iam::1:role/b*", true},
		{"resource prefix overlaps", "arn:aws:iam::1:role/a-*", "arn:aws:iam::1:role/a*", false},
		{"literal shorter than prefix", "arn:aws:iam::1:role/a", "arn:aws:iam::1:role/ab*", true},
		{"equal literals", "arn:aws:iam::1:role/a", "arn:aws:iam::1:role/a", false},
		{"star everything", "*", "arn:*:s3:::*", false},
		{"question mark", "arn:aws:s?:::x", "arn:*:s3:::*", false},
		{"not an ARN", "foo*", "arn:*:s3:::*", true},
		{"not an ARN overlaps", "a*", "arn:*:s3:::*", false},
		{"short pattern takes the rest", "arn:aws:logs:*", "arn:*:logs:*:*:log-group:*", false},
		{"short pattern other service", "arn:aws:lambda*", "arn:*:logs:*:*:log-group:*", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, d := arnLikeAtom([]string{tt.a}), arnLikeAtom([]string{tt.d})
			if got := disjointAtoms(a, d); got != tt.disjoint {
				t.Errorf("disjointAtoms(%q, %q) = %v, want %v", tt.a, tt.d, got, tt.disjoint)
			}
			if !disjointAtoms(a, d) {
				return
			}
			// The exhaustive search must agree: no witness satisfies both.
			r := newCellEngine(&cellSpec{atoms: []atom{a}, domains: []atom{d}}).run()
			for i, sig := range r.sigs {
				if sig[0] {
					t.Errorf("said disjoint, but %q matches both", r.values[i])
				}
			}
		})
	}
}

// TestDeadAtomsSameCells: leaving the dead atoms' automata out gives the
// same witnesses, in the same order, as the full search.
func TestDeadAtomsSameCells(t *testing.T) {
	atoms := []string{
		"arn:aws:iam::481516234201:role/pennsieve-*", "arn:aws:s3:::pennsieve-*/*", "arn:aws:logs:*:*:log-group:/pennsieve/7f3a9c21/*",
		"arn:aws:lambda:*:481516234201:function:pennsieve-7f3a9c21-*", "*7f3a9c21*", "arn:*:*:*:481516234201:*", "arn:aws:ec2:*:*:instance/*",
	}
	domains := []string{"arn:*:s3:::*", "arn:*:iam::*:role/*", "arn:*:logs:*:*:log-group:*", "arn:*:lambda:*:*:function:*", "arn:*:ec2:*:*:instance/*"}
	for _, dom := range domains {
		t.Run(dom, func(t *testing.T) {
			spec := &cellSpec{domains: []atom{arnLikeAtom([]string{dom})}}
			for _, p := range atoms {
				spec.atoms = append(spec.atoms, arnLikeAtom([]string{p}))
			}
			dead := deadAtoms(spec, nil)
			if !slices.Contains(dead, true) {
				t.Fatalf("no dead atom for %s: the test does not test anything", dom)
			}
			full := newCellEngine(spec).run()
			got := computeCellsCached(spec, nil)
			if !slices.Equal(full.values, got.values) || full.reason != got.reason {
				t.Errorf("witnesses differ:\nfull %q\ngot  %q", full.values, got.values)
			}
			for i := range full.sigs {
				if !slices.Equal(full.sigs[i], got.sigs[i]) {
					t.Errorf("signature %d differs", i)
				}
			}
		})
	}
}
