package baseline

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"

	"github.com/pvaudit/pvaudit/policy"
)

// CanonicalDocument returns a policy document in the form drift compares:
// compact JSON in which two documents IAM treats alike are byte-identical.
// It erases what IAM does not distinguish when it decides:
//
//   - a one-element list vs. a bare string, and the order of, and
//     duplicates in, every list (Action, NotAction, Resource, NotResource,
//     principal values, condition values);
//   - the case of action names, condition operator names and condition key
//     names (IAM matches them case-insensitively; two spellings of one
//     operator, or of one key under an operator, are ANDed, so they stay
//     apart), and of Bool and Null values;
//   - a 12-digit account in an AWS principal, which IAM stores as
//     arn:aws:iam::ACCOUNT:root;
//   - Sid and the document's Id (labels, not semantics), statement order
//     and repeated identical statements;
//   - an absent Version, which IAM reads as "2008-10-17".
//
// Resources, condition values and principals keep their case: IAM
// compares them case-sensitively. The form is written by hand (no
// reflection): every document of an account goes through it. A nil
// document gives nil.
func CanonicalDocument(d *policy.Document) (json.RawMessage, error) {
	if d == nil {
		return nil, nil
	}
	version := d.Version
	if version == "" {
		version = "2008-10-17"
	}
	stmts := make([][]byte, len(d.Statements))
	for i := range d.Statements {
		stmts[i] = appendStatement(nil, &d.Statements[i])
	}
	slices.SortFunc(stmts, bytes.Compare)
	stmts = slices.CompactFunc(stmts, bytes.Equal)
	n := 32 + len(version)
	for _, st := range stmts {
		n += len(st) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, `{"Version":`...)
	b = appendString(b, version)
	b = append(b, `,"Statement":[`...)
	for i, st := range stmts {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, st...)
	}
	b = append(b, "]}"...)
	return b, nil
}

func appendStatement(b []byte, st *policy.Statement) []byte {
	b = append(b, `{"Effect":`...)
	b = appendString(b, string(st.Effect))
	b = appendPrincipal(b, "Principal", st.Principal)
	b = appendPrincipal(b, "NotPrincipal", st.NotPrincipal)
	b = appendList(b, "Action", st.Action, true)
	b = appendList(b, "NotAction", st.NotAction, true)
	b = appendList(b, "Resource", st.Resource, false)
	b = appendList(b, "NotResource", st.NotResource, false)
	if len(st.Condition) > 0 {
		b = append(b, `,"Condition":`...)
		b = appendCondition(b, st.Condition)
	}
	return append(b, '}')
}

// appendList writes `,"key":[…]` for a present element (an absent one,
// nil, is left out; a present empty list stays []).
func appendList(b []byte, key string, l policy.StringList, lower bool) []byte {
	if l == nil {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return appendValues(b, l, lower)
}

func appendValues(b []byte, l policy.StringList, lower bool) []byte {
	vals := make([]string, len(l))
	for i, v := range l {
		if lower {
			v = strings.ToLower(v)
		}
		vals[i] = v
	}
	slices.Sort(vals)
	vals = slices.Compact(vals)
	b = append(b, '[')
	for i, v := range vals {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, v)
	}
	return append(b, ']')
}

func appendPrincipal(b []byte, key string, p *policy.Principal) []byte {
	if p == nil {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	if p.Wildcard {
		return append(b, `"*"`...)
	}
	b = append(b, '{')
	first := true
	for _, kv := range []struct {
		name string
		vals policy.StringList
	}{{"AWS", accountsToRoot(p.AWS)}, {"CanonicalUser", p.CanonicalUser}, {"Federated", p.Federated}, {"Service", p.Service}} {
		if kv.vals == nil {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendString(b, kv.name)
		b = append(b, ':')
		b = appendValues(b, kv.vals, false)
	}
	return append(b, '}')
}

// accountsToRoot rewrites bare account IDs in AWS principal values to the
// root ARN IAM stores them as.
func accountsToRoot(l policy.StringList) policy.StringList {
	if !slices.ContainsFunc(l, isAccountID) {
		return l
	}
	out := make(policy.StringList, len(l))
	for i, v := range l {
		if isAccountID(v) {
			v = "arn:aws:iam::" + v + ":root"
		}
		out[i] = v
	}
	return out
}

func appendCondition(b []byte, c policy.Condition) []byte {
	type entry struct {
		name string
		keys map[string]policy.StringList
	}
	seen := map[string]int{}
	for op := range c {
		seen[strings.ToLower(op)]++
	}
	ops := make([]entry, 0, len(c))
	for op, keys := range c {
		name := strings.ToLower(op)
		if seen[name] > 1 {
			name = op
		}
		ops = append(ops, entry{name, keys})
	}
	slices.SortFunc(ops, func(x, y entry) int { return strings.Compare(x.name, y.name) })
	b = append(b, '{')
	for i, e := range ops {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, e.name)
		b = append(b, ':', '{')
		lowerValues := boolOrNull(e.name)
		kseen := map[string]int{}
		for k := range e.keys {
			kseen[strings.ToLower(k)]++
		}
		type kv struct {
			name string
			vals policy.StringList
		}
		keys := make([]kv, 0, len(e.keys))
		for k, v := range e.keys {
			name := strings.ToLower(k)
			if kseen[name] > 1 {
				name = k
			}
			keys = append(keys, kv{name, v})
		}
		slices.SortFunc(keys, func(x, y kv) int { return strings.Compare(x.name, y.name) })
		for j, k := range keys {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k.name)
			b = append(b, ':')
			vals := k.vals
			if vals == nil {
				vals = policy.StringList{}
			}
			b = appendValues(b, vals, lowerValues)
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

// boolOrNull reports whether a (lower-cased) operator is of the Bool or
// Null family, whose values IAM reads case-insensitively.
func boolOrNull(op string) bool {
	op = strings.ToLower(op)
	if _, rest, ok := strings.Cut(op, ":"); ok {
		op = rest
	}
	op = strings.TrimSuffix(op, "ifexists")
	return op == "bool" || op == "null"
}

// appendString writes s as a JSON string. Plain ASCII is written as it is;
// anything else goes through encoding/json, so the output is always valid
// JSON and the same string always gives the same bytes.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			q, err := json.Marshal(s)
			if err != nil {
				q = []byte(`"\ufffd"`)
			}
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
