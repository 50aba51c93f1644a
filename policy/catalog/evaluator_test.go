package catalog_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/pvaudit/pvaudit/policy"
	"github.com/pvaudit/pvaudit/policy/catalog"
)

// TestAgreesWithEvaluator checks the catalogue's matching against pvaudit's
// policy evaluator, which is what will decide the representatives Classes
// picks: for random Action and NotAction lists, the set MatchAny computes
// must be exactly the actions the evaluator allows. (The package itself
// imports nothing of pvaudit; only this test does.)
func TestAgreesWithEvaluator(t *testing.T) {
	c := mustDefault(t)
	all := c.Actions()
	r := rand.New(rand.NewPCG(5, 3))
	allowed, denied := 0, 0
	for iter := range 8 {
		patterns := randomPatterns(r, all, 1+r.IntN(6))
		not := iter%2 == 1
		t.Run(fmt.Sprintf("%d", iter), func(t *testing.T) {
			st := policy.Statement{Effect: policy.EffectAllow, Resource: policy.StringList{"*"}}
			if not {
				st.NotAction = policy.StringList(patterns)
			} else {
				st.Action = policy.StringList(patterns)
			}
			doc := &policy.Document{Version: "2012-10-17", Statements: []policy.Statement{st}}
			comp, err := policy.Compile(policy.PolicySet{Identity: []policy.NamedPolicy{{Name: "p", Doc: doc}}})
			if err != nil {
				t.Fatal(err)
			}
			set := c.MatchAny(patterns, not)
			for _, a := range all {
				res := comp.Evaluate(&policy.Request{Principal: "arn:aws:iam::111122223333:role/r", Action: a.String(), Resource: "*"})
				got := res.Decision == policy.Allow
				if got != set.Contains(a) {
					t.Fatalf("%s with %v (NotAction %v): evaluator allows %v, catalogue covers %v", a, patterns, not, got, set.Contains(a))
				}
				if got {
					allowed++
				} else {
					denied++
				}
			}
		})
	}
	if allowed < 1000 || denied < 1000 {
		t.Errorf("%d requests allowed and %d denied: the random lists do not exercise both outcomes", allowed, denied)
	}
}

// TestMatchesAgreesWithEvaluator compares Matches with the evaluator on
// names the catalogue does not hold, non-ASCII ones included.
func TestMatchesAgreesWithEvaluator(t *testing.T) {
	c := mustDefault(t)
	names := []string{"svc:Ünïcode", "svc:ünïcode", "rds:BrandNew", "S3:GetObjectX", "a:b"}
	patterns := []string{"svc:?nïcode", "svc:??nïcode", "SVC:*nï*", "svc:*NÏ*", "*", "rds:*New", "s3:getobject?", "?:?", "*:*:*", "svc:Ü*"}
	for _, name := range names {
		a, err := c.Resolve(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range patterns {
			doc := &policy.Document{Version: "2012-10-17", Statements: []policy.Statement{{
				Effect: policy.EffectAllow, Action: policy.StringList{p}, Resource: policy.StringList{"*"},
			}}}
			comp, err := policy.Compile(policy.PolicySet{Identity: []policy.NamedPolicy{{Name: "p", Doc: doc}}})
			if err != nil {
				t.Fatal(err)
			}
			want := comp.Evaluate(&policy.Request{Principal: "arn:aws:iam::111122223333:role/r", Action: name, Resource: "*"}).Decision == policy.Allow
			if got := catalog.Matches(p, a); got != want {
				t.Errorf("Matches(%q, %s) = %v, the evaluator says %v", p, name, got, want)
			}
		}
	}
}
