package baseline

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// docKeys are the fields of an AWS CLI export that hold policy documents.
var docKeys = map[string]bool{"AssumeRolePolicyDocument": true, "PolicyDocument": true, "Document": true}

// walkDocs calls f on every policy document of a decoded export.
func walkDocs(v any, f func(doc map[string]any) any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if d, ok := val.(map[string]any); ok && docKeys[k] {
				x[k] = f(d)
				continue
			}
			x[k] = walkDocs(val, f)
		}
	case []any:
		for i := range x {
			x[i] = walkDocs(x[i], f)
		}
	}
	return v
}

func statements(doc map[string]any) []any {
	switch s := doc["Statement"].(type) {
	case []any:
		return s
	case map[string]any:
		return []any{s}
	}
	return nil
}

// eachList applies f to every list-or-string element of a statement
// (Action, Resource, principal values, condition values).
func eachList(st map[string]any, f func(v any) any) {
	for _, k := range []string{"Action", "NotAction", "Resource", "NotResource"} {
		if v, ok := st[k]; ok {
			st[k] = f(v)
		}
	}
	for _, k := range []string{"Principal", "NotPrincipal"} {
		if m, ok := st[k].(map[string]any); ok {
			for pk, pv := range m {
				m[pk] = f(pv)
			}
		}
	}
	if c, ok := st["Condition"].(map[string]any); ok {
		for _, keys := range c {
			if km, ok := keys.(map[string]any); ok {
				for k, v := range km {
					km[k] = f(v)
				}
			}
		}
	}
}

func perStatement(f func(st map[string]any)) func(doc map[string]any) any {
	return func(doc map[string]any) any {
		for _, s := range statements(doc) {
			f(s.(map[string]any))
		}
		return doc
	}
}

func reverse(v any) any {
	if l, ok := v.([]any); ok {
		l = slices.Clone(l)
		slices.Reverse(l)
		return l
	}
	return v
}

// TestCosmeticRewritesAreNotDrift rewrites every policy document of the
// sample export in a way IAM does not distinguish, or re-lays the export
// out, and requires no drift at all.
func TestCosmeticRewritesAreNotDrift(t *testing.T) {
	t.Parallel()
	docRewrite := func(f func(doc map[string]any) any) func(top map[string]any) {
		return func(top map[string]any) { walkDocs(top, f) }
	}
	cases := []struct {
		name    string
		rewrite func(top map[string]any)
	}{
		{"statement order", docRewrite(func(doc map[string]any) any {
			doc["Statement"] = reverse(statements(doc))
			return doc
		})},
		{"one-element lists as strings", docRewrite(perStatement(func(st map[string]any) {
			eachList(st, func(v any) any {
				if l, ok := v.([]any); ok && len(l) == 1 {
					return l[0]
				}
				return v
			})
		}))},
		{"strings as one-element lists", docRewrite(perStatement(func(st map[string]any) {
			eachList(st, func(v any) any {
				if s, ok := v.(string); ok {
					return []any{s}
				}
				return v
			})
		}))},
		{"list element order", docRewrite(perStatement(func(st map[string]any) { eachList(st, reverse) }))},
		{"repeated list elements", docRewrite(perStatement(func(st map[string]any) {
			eachList(st, func(v any) any {
				if l, ok := v.([]any); ok && len(l) > 0 {
					return append(l, l[0])
				}
				return v
			})
		}))},
		{"Sids removed", docRewrite(perStatement(func(st map[string]any) { delete(st, "Sid") }))},
		{"Sids added or renamed", docRewrite(perStatement(func(st map[string]any) { st["Sid"] = "Renamed" + strings.Repeat("x", len(st)) }))},
		{"Id added", docRewrite(func(doc map[string]any) any { doc["Id"] = "some-id"; return doc })},
		{"a statement twice", docRewrite(func(doc map[string]any) any {
			s := statements(doc)
			if len(s) > 0 {
				doc["Statement"] = append(slices.Clone(s), s[0])
			}
			return doc
		})},
		{"a single statement as an object", docRewrite(func(doc map[string]any) any {
			if s := statements(doc); len(s) == 1 {
				doc["Statement"] = s[0]
			}
			return doc
		})},
		{"action case", docRewrite(perStatement(func(st map[string]any) {
			for _, k := range []string{"Action", "NotAction"} {
				switch v := st[k].(type) {
				case string:
					st[k] = strings.ToUpper(v)
				case []any:
					for i := range v {
						v[i] = strings.ToUpper(v[i].(string))
					}
				}
			}
		}))},
		{"account IDs for root ARNs", docRewrite(perStatement(func(st map[string]any) {
			p, ok := st["Principal"].(map[string]any)
			if !ok {
				return
			}
			conv := func(v any) any {
				if s, ok := v.(string); ok && strings.HasPrefix(s, "arn:aws:iam::") && strings.HasSuffix(s, ":root") {
					return strings.TrimSuffix(strings.TrimPrefix(s, "arn:aws:iam::"), ":root")
				}
				return v
			}
			switch v := p["AWS"].(type) {
			case string:
				p["AWS"] = conv(v)
			case []any:
				for i := range v {
					v[i] = conv(v[i])
				}
			}
		}))},
		{"operator and condition key case", docRewrite(perStatement(func(st map[string]any) {
			c, ok := st["Condition"].(map[string]any)
			if !ok {
				return
			}
			out := map[string]any{}
			for op, keys := range c {
				km := map[string]any{}
				for k, v := range keys.(map[string]any) {
					km[strings.ToUpper(k)] = v
				}
				out[strings.ToLower(op)] = km
			}
			st["Condition"] = out
		}))},
		{"URL-encoded documents", docRewrite(func(doc map[string]any) any {
			b, err := json.Marshal(doc)
			if err != nil {
				panic(err)
			}
			return url.PathEscape(string(b))
		})},
		{"entity order", func(top map[string]any) {
			for _, k := range []string{"RoleDetailList", "Policies", "UserDetailList", "GroupDetailList"} {
				top[k] = reverse(top[k])
			}
			walkLists(top, []string{"RolePolicyList", "AttachedManagedPolicies", "Tags", "PolicyVersionList", "UserPolicyList", "GroupPolicyList", "GroupList"})
		}},
		{"new default version with the same document", func(top map[string]any) {
			p := top["Policies"].([]any)[0].(map[string]any)
			vs := p["PolicyVersionList"].([]any)
			v1 := vs[0].(map[string]any)
			v1["IsDefaultVersion"] = false
			doc := v1["Document"].(map[string]any)
			doc["Statement"] = reverse(statements(doc))
			p["PolicyVersionList"] = append(vs, map[string]any{"Document": v1["Document"], "VersionId": "v2", "IsDefaultVersion": true, "CreateDate": v1["CreateDate"]})
			p["DefaultVersionId"] = "v2"
		}},
		{"key order and whitespace", func(map[string]any) {}}, // re-encoding sorts keys and indents with tabs
	}
	c := testContract(t)
	base := stateOf(t, fixture(t), c)
	raw, err := fixtureBytes()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var top map[string]any
			if err := json.Unmarshal(raw, &top); err != nil {
				t.Fatal(err)
			}
			tc.rewrite(top)
			b, err := json.MarshalIndent(top, "\t", "\t")
			if err != nil {
				t.Fatal(err)
			}
			if string(b) == string(raw) {
				t.Fatal("the rewrite changed nothing: the test proves nothing")
			}
			cur := stateOf(t, decodeFixture(t, b), c)
			items, err := Diff(base, cur, Options{Contract: c})
			if err != nil {
				t.Fatal(err)
			}
			if len(items) != 0 {
				t.Errorf("a cosmetic rewrite gave %d drift item(s):\n%s\n%s", len(items), strings.Join(kinds(items), "\n"), Message(&items[0]))
			}
		})
	}
}

func walkLists(v any, keys []string) {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if slices.Contains(keys, k) {
				x[k] = reverse(val)
			}
			walkLists(x[k], keys)
		}
	case []any:
		for _, e := range x {
			walkLists(e, keys)
		}
	}
}

// TestCanonicalDocument: what the canonical form erases, and what it keeps.
func TestCanonicalDocument(t *testing.T) {
	t.Parallel()
	same := [][2]string{
		{`{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`,
			`{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":["s3:getobject"],"Resource":["*","*"]}}`},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}]}`,
			`{"Version":"2012-10-17","Statement":[{"Sid":"x","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:root","111122223333"]},"Action":"sts:AssumeRole"}]}`},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:SourceAccount":"1"}}}]}`,
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"stringequals":{"AWS:sourceaccount":["1"]}}}]}`},
	}
	differ := [][2]string{
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`,
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::B/*"}]}`},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`,
			`{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:SourceAccount":"1","aws:sourceaccount":"2"}}}]}`,
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:sourceaccount":["1","2"]}}}]}`},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`,
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"s3:GetObject","Resource":"*"}]}`},
	}
	canon := func(s string) string {
		c, err := CanonicalDocument(mustDoc(t, s))
		if err != nil {
			t.Fatal(err)
		}
		return string(c)
	}
	for i, p := range same {
		if a, b := canon(p[0]), canon(p[1]); a != b {
			t.Errorf("same #%d: %s != %s", i, a, b)
		}
	}
	for i, p := range differ {
		if a, b := canon(p[0]), canon(p[1]); a == b {
			t.Errorf("differ #%d: both %s", i, a)
		}
	}
}
