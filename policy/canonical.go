package policy

import (
	"encoding/json"
	"sort"
	"strings"
)

// Canonical returns a normalized deep copy of the document, for stable
// diffs and comparisons. Two documents IAM treats identically because they
// differ only in the ways below have the same canonical form:
//
//   - a one-element list vs. a bare string (StringList already erases this);
//   - the order of, and duplicates in, Action, NotAction, Resource,
//     NotResource, principal lists and condition values;
//   - the case of action names (IAM matches them case-insensitively), which
//     become lower case;
//   - the case of condition operator names (parsed case-insensitively),
//     which take their documented spelling, e.g. "ForAnyValue:StringLike"
//     (unless two spellings of one operator are present: being ANDed,
//     they are kept apart);
//   - a Bool or Null value's case ("TRUE" → "true");
//   - statement order: statements are sorted by Sid, then by their
//     canonical JSON.
//
// Resources, condition values and principals keep their case: IAM compares
// them case-sensitively. Canonical does not validate; call Validate first
// if that matters.
func (d *Document) Canonical() *Document {
	if d == nil {
		return nil
	}
	out := &Document{Version: d.Version, ID: d.ID}
	out.Statements = make([]Statement, 0, len(d.Statements))
	for _, st := range d.Statements {
		out.Statements = append(out.Statements, canonicalStatement(st))
	}
	keys := make([]string, len(out.Statements))
	for i := range out.Statements {
		b, err := json.Marshal(statementJSON(out.Statements[i]))
		if err != nil {
			b = nil
		}
		keys[i] = string(b)
	}
	idx := make([]int, len(out.Statements))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		sa, sb := out.Statements[idx[a]].Sid, out.Statements[idx[b]].Sid
		if sa != sb {
			return sa < sb
		}
		return keys[idx[a]] < keys[idx[b]]
	})
	sorted := make([]Statement, len(idx))
	for i, j := range idx {
		sorted[i] = out.Statements[j]
	}
	out.Statements = sorted
	return out
}

// CanonicalJSON is the JSON encoding of Canonical: compact, keys in a fixed
// order, lists always written as lists.
func (d *Document) CanonicalJSON() ([]byte, error) {
	c := d.Canonical()
	if c == nil {
		return []byte("null"), nil
	}
	type doc struct {
		Version   string          `json:"Version,omitempty"`
		ID        string          `json:"Id,omitempty"`
		Statement []canonicalStmt `json:"Statement"`
	}
	out := doc{Version: c.Version, ID: c.ID, Statement: make([]canonicalStmt, 0, len(c.Statements))}
	for _, st := range c.Statements {
		out.Statement = append(out.Statement, statementJSON(st))
	}
	return json.Marshal(out)
}

// canonicalStmt is a statement's canonical JSON shape: lists stay lists.
type canonicalStmt struct {
	Sid          string                         `json:"Sid,omitempty"`
	Effect       Effect                         `json:"Effect"`
	Principal    any                            `json:"Principal,omitempty"`
	NotPrincipal any                            `json:"NotPrincipal,omitempty"`
	Action       *[]string                      `json:"Action,omitempty"`
	NotAction    *[]string                      `json:"NotAction,omitempty"`
	Resource     *[]string                      `json:"Resource,omitempty"`
	NotResource  *[]string                      `json:"NotResource,omitempty"`
	Condition    map[string]map[string][]string `json:"Condition,omitempty"`
}

func statementJSON(st Statement) canonicalStmt {
	cs := canonicalStmt{
		Sid:          st.Sid,
		Effect:       st.Effect,
		Principal:    principalMap(st.Principal),
		NotPrincipal: principalMap(st.NotPrincipal),
		Action:       listPtr(st.Action),
		NotAction:    listPtr(st.NotAction),
		Resource:     listPtr(st.Resource),
		NotResource:  listPtr(st.NotResource),
	}
	if st.Condition != nil {
		cs.Condition = map[string]map[string][]string{}
		for op, keys := range st.Condition {
			m := map[string][]string{}
			for k, v := range keys {
				m[k] = nonNil(v)
			}
			cs.Condition[op] = m
		}
	}
	return cs
}

// nonNil keeps the distinction between an absent element (nil, omitted)
// and a present empty list, which omitempty would erase.
func nonNil(l StringList) []string {
	if l == nil {
		return nil
	}
	if len(l) == 0 {
		return []string{}
	}
	return []string(l)
}

// listPtr keeps an absent element (nil) apart from a present empty list
// ([]), which omitempty on a slice would erase.
func listPtr(l StringList) *[]string {
	if l == nil {
		return nil
	}
	v := nonNil(l)
	return &v
}

// principalMap returns nil (absent), "*" or the map form.
func principalMap(p *Principal) any {
	if p == nil {
		return nil
	}
	if p.Wildcard {
		return "*"
	}
	m := map[string][]string{}
	if p.AWS != nil {
		m["AWS"] = nonNil(p.AWS)
	}
	if p.Service != nil {
		m["Service"] = nonNil(p.Service)
	}
	if p.Federated != nil {
		m["Federated"] = nonNil(p.Federated)
	}
	if p.CanonicalUser != nil {
		m["CanonicalUser"] = nonNil(p.CanonicalUser)
	}
	return m
}

func canonicalStatement(st Statement) Statement {
	out := Statement{Sid: st.Sid, Effect: st.Effect}
	out.Action = sortedUnique(st.Action, true)
	out.NotAction = sortedUnique(st.NotAction, true)
	out.Resource = sortedUnique(st.Resource, false)
	out.NotResource = sortedUnique(st.NotResource, false)
	out.Principal = canonicalPrincipal(st.Principal)
	out.NotPrincipal = canonicalPrincipal(st.NotPrincipal)
	if st.Condition != nil {
		out.Condition = Condition{}
		// Spell operators as documented, unless two spellings of one
		// operator are present: they are ANDed, so they stay apart.
		spellings := map[string]int{}
		for op := range st.Condition {
			spellings[canonicalOperatorName(op)]++
		}
		for _, op := range sortedKeys(st.Condition) {
			keys := st.Condition[op]
			name := canonicalOperatorName(op)
			if spellings[name] > 1 {
				name = op
			}
			po, known := parseOperator(op)
			m := make(map[string]StringList, len(keys))
			for k, v := range keys {
				vals := make(StringList, 0, len(v))
				for _, x := range v {
					if known && (po.fam == famBool || po.fam == famNull) {
						x = strings.ToLower(x)
					}
					vals = append(vals, x)
				}
				m[k] = sortedUnique(vals, false)
			}
			out.Condition[name] = m
		}
	}
	return out
}

func canonicalPrincipal(p *Principal) *Principal {
	if p == nil {
		return nil
	}
	if p.Wildcard {
		return &Principal{Wildcard: true}
	}
	return &Principal{
		AWS:           sortedUnique(p.AWS, false),
		Service:       sortedUnique(p.Service, false),
		Federated:     sortedUnique(p.Federated, false),
		CanonicalUser: sortedUnique(p.CanonicalUser, false),
	}
}

// sortedUnique returns a sorted copy without duplicates; nil stays nil and
// an empty list stays an empty list.
func sortedUnique(l StringList, lower bool) StringList {
	if l == nil {
		return nil
	}
	out := make(StringList, 0, len(l))
	for _, s := range l {
		if lower {
			s = strings.ToLower(s)
		}
		out = append(out, s)
	}
	sort.Strings(out)
	w := 0
	for i, s := range out {
		if i > 0 && s == out[w-1] {
			continue
		}
		out[w] = s
		w++
	}
	return out[:w]
}

// canonicalOperatorName spells a known operator as AWS documents it, e.g.
// "forallvalues:stringlikeifexists" → "ForAllValues:StringLikeIfExists".
// Unknown operators are returned unchanged.
func canonicalOperatorName(op string) string {
	po, ok := parseOperator(op)
	if !ok {
		return op
	}
	var b strings.Builder
	switch po.set {
	case setForAll:
		b.WriteString("ForAllValues:")
	case setForAny:
		b.WriteString("ForAnyValue:")
	}
	lower := strings.ToLower(op)
	if i := strings.IndexByte(lower, ':'); i >= 0 {
		lower = lower[i+1:]
	}
	lower = strings.TrimSuffix(lower, "ifexists")
	b.WriteString(operatorSpelling(lower))
	if po.ifExists {
		b.WriteString("IfExists")
	}
	return b.String()
}

func operatorSpelling(lower string) string {
	switch lower {
	case "stringequals":
		return "StringEquals"
	case "stringnotequals":
		return "StringNotEquals"
	case "stringequalsignorecase":
		return "StringEqualsIgnoreCase"
	case "stringnotequalsignorecase":
		return "StringNotEqualsIgnoreCase"
	case "stringlike":
		return "StringLike"
	case "stringnotlike":
		return "StringNotLike"
	case "numericequals":
		return "NumericEquals"
	case "numericnotequals":
		return "NumericNotEquals"
	case "numericlessthan":
		return "NumericLessThan"
	case "numericlessthanequals":
		return "NumericLessThanEquals"
	case "numericgreaterthan":
		return "NumericGreaterThan"
	case "numericgreaterthanequals":
		return "NumericGreaterThanEquals"
	case "dateequals":
		return "DateEquals"
	case "datenotequals":
		return "DateNotEquals"
	case "datelessthan":
		return "DateLessThan"
	case "datelessthanequals":
		return "DateLessThanEquals"
	case "dategreaterthan":
		return "DateGreaterThan"
	case "dategreaterthanequals":
		return "DateGreaterThanEquals"
	case "bool":
		return "Bool"
	case "binaryequals":
		return "BinaryEquals"
	case "ipaddress":
		return "IpAddress"
	case "notipaddress":
		return "NotIpAddress"
	case "arnequals":
		return "ArnEquals"
	case "arnlike":
		return "ArnLike"
	case "arnnotequals":
		return "ArnNotEquals"
	case "arnnotlike":
		return "ArnNotLike"
	case "null":
		return "Null"
	}
	return lower
}
