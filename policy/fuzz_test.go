package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"sort"
	"testing"

	"github.com/pvaudit/pvaudit/internal/strictjson"
)

// corpusSeeds returns (document JSON, request) pairs from the corpus, in a
// stable order.
func corpusSeeds(t testing.TB) []seed {
	corpus := loadCorpus(t)
	files := make([]string, 0, len(corpus))
	for f := range corpus {
		files = append(files, f)
	}
	sort.Strings(files)
	var out []seed
	for _, f := range files {
		for _, c := range corpus[f] {
			var pols []corpusPolicy
			pols = append(pols, c.Identity...)
			if c.Boundary != nil {
				pols = append(pols, *c.Boundary)
			}
			if c.Trust != nil {
				pols = append(pols, *c.Trust)
			}
			for _, lvl := range c.SCPLevels {
				pols = append(pols, lvl...)
			}
			req, _ := c.Request.request()
			key, val := "", ""
			for k, v := range req.Context {
				if key == "" || k < key {
					key = k
					val = ""
					if len(v) > 0 {
						val = v[0]
					}
				}
			}
			for _, p := range pols {
				data, err := p.document()
				if err != nil {
					continue
				}
				out = append(out, seed{doc: data, principal: req.Principal, action: req.Action, resource: req.Resource, key: key, val: val})
			}
		}
	}
	return out
}

type seed struct {
	doc                                   []byte
	principal, action, resource, key, val string
}

func FuzzParse(f *testing.F) {
	for _, s := range corpusSeeds(f) {
		f.Add(s.doc)
	}
	f.Add([]byte(`%7B%22Statement%22%3A%5B%5D%7D`))
	f.Add([]byte(`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAnyValue:StringLikeIfExists":{"k":["${aws:username, 'x''y'}"]}}}}`))
	// Strictness seeds: what encoding/json let through.
	f.Add([]byte(`{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Effect":"Allow"}]}`))
	f.Add([]byte(`{"Statement":[{"Effect":"Allow","Action":7,"Resource":true}]}`))
	f.Add([]byte(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Condition":{"NumericLessThan":{"n":[1,2.5]},"Bool":{"b":false}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse(data)
		if err != nil {
			var pe *ParseError
			var ve *ValidationError
			if !errors.As(err, &pe) && !errors.As(err, &ve) {
				t.Fatalf("error %T is neither *ParseError nor *ValidationError: %v", err, err)
			}
			if pe != nil && (pe.Line < 0 || pe.Offset > int64(len(data))*3) {
				t.Fatalf("position out of the input: %+v", pe)
			}
			return
		}
		if len(data) > MaxDocumentBytes || len(d.Statements) > MaxStatements {
			t.Fatalf("accepted %d bytes, %d statements", len(data), len(d.Statements))
		}
		if txt := bytes.TrimSpace(data); len(txt) > 0 && txt[0] == '{' {
			if _, err := strictjson.Parse(txt, strictjson.Options{}); err != nil {
				t.Fatalf("Parse accepted what strictjson refuses: %v", err)
			}
		}
		c1, err := d.CanonicalJSON()
		if err != nil {
			t.Fatalf("CanonicalJSON: %v", err)
		}
		back, err := Parse(c1)
		if err != nil {
			t.Fatalf("canonical JSON %s does not parse: %v", c1, err)
		}
		c2, err := back.CanonicalJSON()
		if err != nil {
			t.Fatal(err)
		}
		if string(c1) != string(c2) {
			t.Fatalf("canonical form not a fixed point:\n%s\n%s", c1, c2)
		}
		m, err := json.Marshal(d)
		if err != nil {
			t.Fatalf("MarshalJSON: %v", err)
		}
		again, err := Parse(m)
		if err != nil {
			t.Fatalf("marshalled %s does not parse: %v", m, err)
		}
		c3, _ := again.CanonicalJSON()
		if string(c3) != string(c1) {
			t.Fatalf("marshal round trip changed the document:\n%s\n%s", c1, c3)
		}
	})
}

func FuzzEvaluate(f *testing.F) {
	for _, s := range corpusSeeds(f) {
		f.Add(s.doc, s.principal, s.action, s.resource, s.key, s.val)
	}
	f.Fuzz(func(t *testing.T, doc []byte, principal, action, resource, key, val string) {
		d, err := Parse(doc)
		if err != nil {
			return
		}
		req := &Request{Principal: principal, Action: action, Resource: resource}
		if key != "" {
			req.Context = map[string][]string{key: {val}, key + "/multi": {val, principal}}
		}
		if trust, err := CompileTrust("t", d); err == nil {
			checkResult(t, trust.Evaluate(req))
		}
		set := PolicySet{Identity: []NamedPolicy{{Name: "p", Doc: d}}}
		comp, err := Compile(set)
		if err != nil {
			return
		}
		r1 := comp.Evaluate(req)
		checkResult(t, r1)
		if r2 := comp.Evaluate(req); !sameResult(r1, r2) {
			t.Fatalf("not deterministic: %+v vs %+v", r1, r2)
		}
		// The canonical form decides the same way.
		cd := d.Canonical()
		cc, err := Compile(PolicySet{Identity: []NamedPolicy{{Name: "p", Doc: cd}}})
		if err != nil {
			t.Fatalf("canonical form does not compile: %v", err)
		}
		rc := cc.Evaluate(req)
		if rc.Decision != r1.Decision || rc.Evaluable() != r1.Evaluable() || rc.MissingLayer != r1.MissingLayer || len(rc.Matched) != len(r1.Matched) {
			t.Fatalf("canonical form decides %+v, original %+v", rc, r1)
		}
		// A boundary equal to the identity policy changes nothing but the
		// explanation.
		both, err := Compile(PolicySet{Identity: set.Identity, Boundary: &NamedPolicy{Name: "b", Doc: d}})
		if err != nil {
			t.Fatalf("compile with boundary: %v", err)
		}
		rb := both.Evaluate(req)
		checkResult(t, rb)
		if rb.Evaluable() != r1.Evaluable() || (r1.Evaluable() && rb.Decision != r1.Decision) {
			t.Fatalf("with boundary %+v, without %+v", rb, r1)
		}
	})
}

func checkResult(t *testing.T, r Result) {
	t.Helper()
	if !r.Evaluable() {
		if r.Decision != ImplicitDeny || len(r.Matched) != 0 {
			t.Fatalf("unevaluable result carries a decision: %+v", r)
		}
		return
	}
	switch r.Decision {
	case Allow, ExplicitDeny:
		if len(r.Matched) == 0 {
			t.Fatalf("%s without matched statements", r.Decision)
		}
		for _, m := range r.Matched {
			if (m.Effect == EffectDeny) != (r.Decision == ExplicitDeny) {
				t.Fatalf("%s matched %s", r.Decision, m)
			}
		}
	case ImplicitDeny:
		if r.MissingLayer == "" || len(r.Matched) != 0 {
			t.Fatalf("ImplicitDeny without missing layer or with matches: %+v", r)
		}
	default:
		t.Fatalf("invalid decision %d", r.Decision)
	}
}

func sameResult(a, b Result) bool {
	if a.Decision != b.Decision || a.MissingLayer != b.MissingLayer || len(a.Matched) != len(b.Matched) || len(a.Unevaluable) != len(b.Unevaluable) {
		return false
	}
	for i := range a.Matched {
		if a.Matched[i] != b.Matched[i] {
			return false
		}
	}
	for i := range a.Unevaluable {
		if a.Unevaluable[i] != b.Unevaluable[i] {
			return false
		}
	}
	return true
}

// FuzzExists is the soundness oracle of Exists: when a concrete context is
// allowed, Exists must not prove that no context is, and a witness it finds
// must evaluate as found.
func FuzzExists(f *testing.F) {
	for _, s := range corpusSeeds(f) {
		f.Add(s.doc, s.principal, s.action, s.resource, s.key, s.val)
	}
	f.Add([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotLike":{"aws:userid":"*:terraform-*"}}}]}`),
		"arn:aws:iam::111122223333:role/r", "s3:GetObject", "*", "aws:userid", "AROAX:terraform-1")
	f.Add([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringLike":{"aws:PrincipalAccount":"9*"}}}]}`),
		"arn:aws:iam::941377122013:role/p", "sts:AssumeRole", "*", "sts:ExternalId", "x")
	f.Fuzz(func(t *testing.T, doc []byte, principal, action, resource, key, val string) {
		d, err := Parse(doc)
		if err != nil || action == "" {
			return
		}
		if m, _ := lookupSpec(key); m.kind == kindTime {
			return // the request time is whole seconds on every request, not one free key
		}
		req := &Request{Principal: principal, Action: action, Resource: resource}
		q := &Question{Principal: principal, Action: action, Resource: resource, Limit: 1 << 14}
		if key != "" {
			req.Context = map[string][]string{key: {val}, key + "/multi": {val, principal}}
			q.Keys = map[string]KeyInfo{
				key:            {Class: KeyCallerChosen, Type: TypeText, Domain: []string{"*"}},
				key + "/multi": {Class: KeyCallerChosen, Type: TypeText, Domain: []string{"*"}, Multi: true},
			}
		}
		check := func(name string, dec Decider, ev func(*Request) Result, q *Question) {
			r := ev(req)
			if !r.Evaluable() || r.Decision != Allow {
				return
			}
			a := dec.ExistsAllowed(q)
			if a.Outcome() == NoneExists {
				t.Fatalf("%s: %+v is allowed, but Exists proved no context is (tried %d)", name, req.Context, a.Tried)
			}
			if a.Found != nil {
				back := ev(&Request{Principal: a.Found.Principal, Action: action, Resource: resource, Context: a.Found.Context})
				if back.Decision != Allow || !back.Evaluable() {
					t.Fatalf("%s: witness %s evaluates to %+v", name, a.Found, back)
				}
			}
		}
		if trust, err := CompileTrust("t", d); err == nil {
			check("trust", trust, trust.Evaluate, q)
			if principal != "" {
				open := *q
				open.Principal = ""
				check("trust, open principal", trust, trust.Evaluate, &open)
			}
		}
		if comp, err := Compile(PolicySet{Identity: []NamedPolicy{{Name: "p", Doc: d}}}); err == nil {
			check("identity", comp, comp.Evaluate, q)
		}
	})
}
