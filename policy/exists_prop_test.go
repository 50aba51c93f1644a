package policy

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestExistsAgainstRandomContexts generates policies with conditions of
// every family on a few keys, evaluates many concrete contexts drawn from
// value pools that go beyond the policies' constants, and checks Exists
// against them: a concretely allowed context contradicts "none exists",
// and these questions (typed keys, at most three conditions per set key)
// must be decided.
func TestExistsAgainstRandomContexts(t *testing.T) {
	t.Parallel()
	type fam struct {
		key  string
		ops  []string
		pool []string
		info KeyInfo
	}
	fams := []fam{
		{"x:s", []string{"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringLike", "StringNotLike", "StringEqualsIfExists", "StringNotLikeIfExists", "Null"},
			[]string{"", "a", "A", "ab", "aB", "b", "prod", "PROD", "prod-1", "p*", "x"}, KeyInfo{Class: KeyCallerChosen}},
		{"x:n", []string{"NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericGreaterThanEquals", "NumericLessThanEqualsIfExists"},
			[]string{"-1", "0", "5", "9", "9.5", "10", "10.25", "11", "100"}, KeyInfo{Class: KeyCallerChosen, Type: TypeNumber}},
		{"x:ip", []string{"IpAddress", "NotIpAddress", "IpAddressIfExists"},
			[]string{"10.0.0.0", "10.255.255.255", "11.0.0.0", "9.255.255.255", "10.1.2.3", "192.168.1.1", "::1", "2001:db8::1", "2001:db9::"}, KeyInfo{Class: KeyCallerChosen, Type: TypeIP}},
		{"x:d", []string{"DateLessThan", "DateGreaterThan", "DateEquals", "DateNotEquals"},
			[]string{"2024-01-01T00:00:00Z", "2023-12-31T23:59:59Z", "2024-01-01T00:00:01Z", "2025-06-01T00:00:00Z", "2020-01-01T00:00:00Z", "2024-01-01T00:00:00.5Z"}, KeyInfo{Class: KeyCallerChosen, Type: TypeDate}},
		{"x:b", []string{"Bool", "BoolIfExists"}, []string{"true", "false", "TRUE"}, KeyInfo{Class: KeyCallerChosen, Type: TypeBool}},
		{"x:m", []string{"ForAllValues:StringEquals", "ForAnyValue:StringEquals", "ForAllValues:StringNotLike", "ForAnyValue:StringLike", "StringEquals", "StringNotEquals"},
			[]string{"a", "b", "c", "ab", "prod"}, KeyInfo{Class: KeyCallerChosen, Multi: true}},
	}
	constants := map[string][]string{
		"x:s":  {"a", "ab", "prod", "p*", "A"},
		"x:n":  {"0", "5", "10", "10.5"},
		"x:ip": {"10.0.0.0/8", "10.1.0.0/16", "192.168.1.1", "2001:db8::/32"},
		"x:d":  {"2024-01-01T00:00:00Z", "2025-06-01T00:00:00Z"},
		"x:b":  {"true", "false"},
		"x:m":  {"a", "b", "a*"},
	}
	r := rand.New(rand.NewPCG(42, 1))
	randCond := func(used []fam) map[string]map[string][]string {
		cond := map[string]map[string][]string{}
		for _, f := range used {
			op := f.ops[r.IntN(len(f.ops))]
			vals := []string{}
			if op == "Null" {
				vals = []string{[]string{"true", "false"}[r.IntN(2)]}
			} else {
				cs := constants[f.key]
				for n := 1 + r.IntN(2); len(vals) < n; {
					vals = append(vals, cs[r.IntN(len(cs))])
				}
			}
			if cond[op] == nil {
				cond[op] = map[string][]string{}
			}
			cond[op][f.key] = vals
		}
		return cond
	}
	for iter := 0; iter < 300; iter++ {
		var used []fam
		for _, i := range r.Perm(len(fams))[:1+r.IntN(2)] {
			used = append(used, fams[i])
		}
		stmts := []map[string]any{{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": randCond(used)}}
		if r.IntN(2) == 0 {
			stmts = append(stmts, map[string]any{"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": randCond(used)})
		}
		doc, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": stmts})
		d, err := Parse(doc)
		if err != nil {
			t.Fatal(err)
		}
		comp, err := Compile(PolicySet{Identity: []NamedPolicy{{Name: "p", Doc: d}}})
		if err != nil {
			t.Fatal(err)
		}
		q := &Question{Principal: testRole, Action: "s3:GetObject", Resource: "*", Keys: map[string]KeyInfo{}}
		for _, f := range used {
			q.Keys[f.key] = f.info
		}
		a := comp.ExistsAllowed(q)
		if !a.Complete {
			t.Fatalf("%s: undecided: %s", doc, a.Reason)
		}
		allowed := ""
		for sample := 0; sample < 200 && allowed == ""; sample++ {
			ctx := map[string][]string{}
			for _, f := range used {
				switch {
				case r.IntN(4) == 0:
				case f.info.Multi:
					var set []string
					for _, i := range r.Perm(len(f.pool))[:1+r.IntN(3)] {
						set = append(set, f.pool[i])
					}
					ctx[f.key] = set
				default:
					ctx[f.key] = []string{f.pool[r.IntN(len(f.pool))]}
				}
			}
			if res := comp.Evaluate(&Request{Principal: testRole, Action: "s3:GetObject", Resource: "*", Context: ctx}); res.Evaluable() && res.Decision == Allow {
				allowed = fmt.Sprint(ctx)
			}
		}
		if allowed != "" && a.Outcome() == NoneExists {
			t.Fatalf("%s: %s is allowed, but Exists proved no context is", doc, allowed)
		}
	}
}
