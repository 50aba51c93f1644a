// Package policy holds IAM policy documents (parsing, validation, canonical
// form) and the local IAM policy evaluator. It imports nothing internal to
// pvaudit so that every other package can depend on it.
package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// Effect is a statement's effect.
type Effect string

// The two effects IAM knows. (The name Allow belongs to the evaluator's
// Decision; see eval.go.)
const (
	EffectAllow Effect = "Allow"
	EffectDeny  Effect = "Deny"

	// Deny is EffectDeny.
	//
	// Deprecated: use EffectDeny; kept because the foundation exported it.
	Deny = EffectDeny
)

// Document is a parsed IAM policy document (identity, boundary, SCP, session
// or resource/trust policy).
type Document struct {
	Version    string
	ID         string
	Statements []Statement
}

// Statement is one statement of a policy document. Absent list elements are
// nil; present-but-empty lists are non-nil and empty.
type Statement struct {
	Sid          string
	Effect       Effect
	Principal    *Principal
	NotPrincipal *Principal
	Action       StringList
	NotAction    StringList
	Resource     StringList
	NotResource  StringList
	Condition    Condition
}

// Label names the statement for humans: its Sid, or its index.
func (s Statement) Label(index int) string {
	if s.Sid != "" {
		return s.Sid
	}
	return fmt.Sprintf("#%d", index)
}

// StringList is an IAM element that may be written as one string or a list
// of strings. Scalars of other JSON types (numbers, booleans), which IAM
// accepts in condition values, are kept as their JSON text.
type StringList []string

// UnmarshalJSON accepts a string, a number, a boolean, or a list of those.
func (l *StringList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var raw []json.RawMessage
		if err := json.Unmarshal(b, &raw); err != nil {
			return err
		}
		out := make(StringList, 0, len(raw))
		for i, r := range raw {
			s, err := scalarString(r)
			if err != nil {
				return fmt.Errorf("element %d: %w", i, err)
			}
			out = append(out, s)
		}
		*l = out
		return nil
	}
	s, err := scalarString(b)
	if err != nil {
		return err
	}
	*l = StringList{s}
	return nil
}

// MarshalJSON writes a single value as a string and several as a list.
func (l StringList) MarshalJSON() ([]byte, error) {
	if len(l) == 1 {
		return json.Marshal(l[0])
	}
	return json.Marshal([]string(l))
}

func scalarString(b []byte) (string, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return "", fmt.Errorf("empty value")
	}
	switch b[0] {
	case '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return "", err
		}
		return s, nil
	case 't', 'f':
		var v bool
		if err := json.Unmarshal(b, &v); err != nil {
			return "", err
		}
		if v {
			return "true", nil
		}
		return "false", nil
	case '{', '[':
		return "", fmt.Errorf("expected a string or a list of strings, got %s", kindOf(b[0]))
	case 'n':
		return "", fmt.Errorf("expected a string or a list of strings, got null")
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return "", err
		}
		return n.String(), nil
	}
}

func kindOf(c byte) string {
	if c == '{' {
		return "an object"
	}
	return "a nested list"
}

// Principal is a Principal or NotPrincipal element: "*" or a map of
// principal types to one or more values.
type Principal struct {
	Wildcard      bool // "Principal": "*"
	AWS           StringList
	Service       StringList
	Federated     StringList
	CanonicalUser StringList
}

// UnmarshalJSON accepts "*" or an object with AWS, Service, Federated and
// CanonicalUser keys; other keys are errors.
func (p *Principal) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if s != "*" {
			return fmt.Errorf("a principal written as a string must be \"*\", got %q", s)
		}
		*p = Principal{Wildcard: true}
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("principal must be \"*\" or an object: %w", err)
	}
	var out Principal
	for _, k := range sortedKeys(m) {
		var dst *StringList
		switch k {
		case "AWS":
			dst = &out.AWS
		case "Service":
			dst = &out.Service
		case "Federated":
			dst = &out.Federated
		case "CanonicalUser":
			dst = &out.CanonicalUser
		default:
			return fmt.Errorf("unknown principal type %q (want AWS, Service, Federated or CanonicalUser)", k)
		}
		if err := json.Unmarshal(m[k], dst); err != nil {
			return fmt.Errorf("principal %s: %w", k, err)
		}
	}
	*p = out
	return nil
}

// MarshalJSON writes "*" or the map form.
func (p Principal) MarshalJSON() ([]byte, error) {
	if p.Wildcard {
		return []byte(`"*"`), nil
	}
	m := map[string]StringList{}
	if p.AWS != nil {
		m["AWS"] = p.AWS
	}
	if p.Service != nil {
		m["Service"] = p.Service
	}
	if p.Federated != nil {
		m["Federated"] = p.Federated
	}
	if p.CanonicalUser != nil {
		m["CanonicalUser"] = p.CanonicalUser
	}
	return json.Marshal(m)
}

// Values returns every principal value with its type, sorted, e.g.
// "AWS:arn:aws:iam::111122223333:root" or "Service:lambda.amazonaws.com".
// A wildcard principal is "*".
func (p *Principal) Values() []string {
	if p == nil {
		return nil
	}
	if p.Wildcard {
		return []string{"*"}
	}
	var out []string
	add := func(kind string, l StringList) {
		for _, v := range l {
			out = append(out, kind+":"+v)
		}
	}
	add("AWS", p.AWS)
	add("CanonicalUser", p.CanonicalUser)
	add("Federated", p.Federated)
	add("Service", p.Service)
	sort.Strings(out)
	return out
}

// Condition maps operator (e.g. "StringEquals", "ForAnyValue:StringLike",
// "ArnLikeIfExists") to condition key to values. Keys keep the case they were
// written with; the evaluator compares them case-insensitively.
type Condition map[string]map[string]StringList

// Parse decodes a policy document. It accepts the URL-encoded form the IAM API
// returns ("%7B%22Version%22…") as well as plain JSON, and validates the
// result (see Validate). Errors are *ParseError or *ValidationError.
func Parse(data []byte) (*Document, error) {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '%' {
		dec, err := url.PathUnescape(string(data))
		if err != nil {
			return nil, &ParseError{Index: -1, Msg: fmt.Sprintf("URL-encoded document: %v", err)}
		}
		data = bytes.TrimSpace([]byte(dec))
	}
	doc, ok := parseFast(data)
	if !ok {
		var err error
		if doc, err = parseJSON(data); err != nil {
			return nil, err
		}
	}
	if err := doc.Validate(); err != nil {
		return nil, err
	}
	return doc, nil
}

// parseJSON is the general decoder of Parse (without validation): any
// shape, with errors naming the statement and field.
func parseJSON(data []byte) (*Document, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, syntaxError(data, err)
	}
	if top == nil {
		return nil, &ParseError{Index: -1, Msg: "policy document is null"}
	}
	var doc Document
	for _, k := range sortedKeys(top) {
		v := top[k]
		switch k {
		case "Version":
			if err := json.Unmarshal(v, &doc.Version); err != nil {
				return nil, &ParseError{Index: -1, Field: "Version", Msg: "must be a string"}
			}
		case "Id":
			if err := json.Unmarshal(v, &doc.ID); err != nil {
				return nil, &ParseError{Index: -1, Field: "Id", Msg: "must be a string"}
			}
		case "Statement":
			stmts, err := parseStatements(v)
			if err != nil {
				return nil, err
			}
			doc.Statements = stmts
		default:
			return nil, &ParseError{Index: -1, Field: k, Msg: fmt.Sprintf("unknown top-level key %q (want Version, Id, Statement)", k)}
		}
	}
	if _, ok := top["Statement"]; !ok {
		return nil, &ParseError{Index: -1, Field: "Statement", Msg: "missing Statement"}
	}
	return &doc, nil
}

// ParseString is Parse for a string.
func ParseString(s string) (*Document, error) { return Parse([]byte(s)) }

func parseStatements(raw json.RawMessage) ([]Statement, error) {
	raw = bytes.TrimSpace(raw)
	var items []json.RawMessage
	if len(raw) > 0 && raw[0] == '{' {
		items = []json.RawMessage{raw}
	} else if err := json.Unmarshal(raw, &items); err != nil || items == nil {
		return nil, &ParseError{Index: -1, Field: "Statement", Msg: "must be an object or a list of objects"}
	}
	out := make([]Statement, 0, len(items))
	for i, it := range items {
		st, err := parseStatement(it)
		if err != nil {
			err.Index = i
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

func parseStatement(raw json.RawMessage) (Statement, *ParseError) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return Statement{}, &ParseError{Msg: "statement must be an object"}
	}
	var st Statement
	if v, ok := m["Sid"]; ok {
		if err := json.Unmarshal(v, &st.Sid); err != nil {
			return st, &ParseError{Field: "Sid", Msg: "must be a string"}
		}
	}
	for _, k := range sortedKeys(m) {
		v := m[k]
		var err error
		switch k {
		case "Sid":
		case "Effect":
			var e string
			err = json.Unmarshal(v, &e)
			st.Effect = Effect(e)
		case "Principal":
			st.Principal = &Principal{}
			err = json.Unmarshal(v, st.Principal)
		case "NotPrincipal":
			st.NotPrincipal = &Principal{}
			err = json.Unmarshal(v, st.NotPrincipal)
		case "Action":
			err = unmarshalList(v, &st.Action)
		case "NotAction":
			err = unmarshalList(v, &st.NotAction)
		case "Resource":
			err = unmarshalList(v, &st.Resource)
		case "NotResource":
			err = unmarshalList(v, &st.NotResource)
		case "Condition":
			err = json.Unmarshal(v, &st.Condition)
			if err == nil && st.Condition == nil {
				err = fmt.Errorf("must be an object")
			}
		default:
			return st, &ParseError{Sid: st.Sid, Field: k, Msg: fmt.Sprintf("unknown statement key %q", k)}
		}
		if err != nil {
			return st, &ParseError{Sid: st.Sid, Field: k, Msg: cleanJSONErr(err)}
		}
	}
	return st, nil
}

func unmarshalList(v json.RawMessage, dst *StringList) error {
	if err := json.Unmarshal(v, dst); err != nil {
		return err
	}
	if *dst == nil {
		*dst = StringList{}
	}
	return nil
}

func cleanJSONErr(err error) string {
	var te *json.UnmarshalTypeError
	if ok := asTypeError(err, &te); ok {
		return fmt.Sprintf("unexpected JSON %s", te.Value)
	}
	return err.Error()
}

func asTypeError(err error, te **json.UnmarshalTypeError) bool {
	t, ok := err.(*json.UnmarshalTypeError)
	if ok {
		*te = t
	}
	return ok
}

// ParseError is a document that is not well-formed JSON or not of IAM's
// shape. Index is the statement index (-1 when not in a statement).
type ParseError struct {
	Index  int
	Sid    string
	Field  string
	Line   int
	Column int
	Msg    string
}

func (e *ParseError) Error() string {
	var b strings.Builder
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d, column %d: ", e.Line, e.Column)
	}
	if e.Index >= 0 {
		fmt.Fprintf(&b, "statement %d", e.Index)
		if e.Sid != "" {
			fmt.Fprintf(&b, " (Sid %q)", e.Sid)
		}
		b.WriteString(": ")
	}
	if e.Field != "" {
		fmt.Fprintf(&b, "%s: ", e.Field)
	}
	b.WriteString(e.Msg)
	return b.String()
}

func syntaxError(data []byte, err error) error {
	pe := &ParseError{Index: -1, Msg: "invalid JSON: " + err.Error()}
	if se, ok := err.(*json.SyntaxError); ok {
		pe.Line, pe.Column = LineCol(data, se.Offset)
	}
	if _, ok := err.(*json.UnmarshalTypeError); ok {
		pe.Msg = "policy document must be a JSON object"
	}
	return pe
}

// LineCol converts a byte offset in data to a 1-based line and column.
func LineCol(data []byte, offset int64) (line, col int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	line, col = 1, 1
	for _, c := range data[:offset] {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

// ValidationError is a well-formed document that IAM would reject.
type ValidationError struct {
	Index int // statement index, -1 for the document
	Sid   string
	Field string
	Msg   string
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	if e.Index >= 0 {
		fmt.Fprintf(&b, "statement %d", e.Index)
		if e.Sid != "" {
			fmt.Fprintf(&b, " (Sid %q)", e.Sid)
		}
		b.WriteString(": ")
	}
	if e.Field != "" {
		fmt.Fprintf(&b, "%s: ", e.Field)
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Validate reports the first structural problem IAM would reject.
func (d *Document) Validate() error {
	switch d.Version {
	case "", "2012-10-17", "2008-10-17":
	default:
		return &ValidationError{Index: -1, Field: "Version", Msg: fmt.Sprintf("unknown version %q (want 2012-10-17 or 2008-10-17)", d.Version)}
	}
	for i, st := range d.Statements {
		verr := func(field, msg string) error {
			return &ValidationError{Index: i, Sid: st.Sid, Field: field, Msg: msg}
		}
		switch st.Effect {
		case EffectAllow, EffectDeny:
		case "":
			return verr("Effect", "missing Effect")
		default:
			return verr("Effect", fmt.Sprintf("unknown effect %q (want Allow or Deny)", st.Effect))
		}
		if st.Action != nil && st.NotAction != nil {
			return verr("Action", "both Action and NotAction")
		}
		if st.Action == nil && st.NotAction == nil {
			return verr("Action", "missing Action or NotAction")
		}
		if st.Resource != nil && st.NotResource != nil {
			return verr("Resource", "both Resource and NotResource")
		}
		if st.Principal != nil && st.NotPrincipal != nil {
			return verr("Principal", "both Principal and NotPrincipal")
		}
		for op, keys := range st.Condition {
			if op == "" {
				return verr("Condition", "empty condition operator")
			}
			if len(keys) == 0 {
				return verr("Condition", fmt.Sprintf("operator %q has no condition keys", op))
			}
		}
		if err := validateConditionOperators(st.Condition); err != nil {
			return verr("Condition", err.Error())
		}
	}
	return nil
}

// validateConditionOperators is extended by the evaluator's operator table.
func validateConditionOperators(c Condition) error {
	for _, op := range sortedKeys(c) {
		if !KnownOperator(op) {
			return fmt.Errorf("unknown condition operator %q", op)
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// MarshalJSON writes the document in IAM's JSON form. Statement is always a
// list; elements appear in IAM's customary order.
func (d Document) MarshalJSON() ([]byte, error) {
	type stmt struct {
		Sid          string      `json:"Sid,omitempty"`
		Effect       Effect      `json:"Effect"`
		Principal    *Principal  `json:"Principal,omitempty"`
		NotPrincipal *Principal  `json:"NotPrincipal,omitempty"`
		Action       *StringList `json:"Action,omitempty"`
		NotAction    *StringList `json:"NotAction,omitempty"`
		Resource     *StringList `json:"Resource,omitempty"`
		NotResource  *StringList `json:"NotResource,omitempty"`
		Condition    Condition   `json:"Condition,omitempty"`
	}
	out := struct {
		Version   string `json:"Version,omitempty"`
		ID        string `json:"Id,omitempty"`
		Statement []stmt `json:"Statement"`
	}{Version: d.Version, ID: d.ID, Statement: make([]stmt, 0, len(d.Statements))}
	for _, s := range d.Statements {
		out.Statement = append(out.Statement, stmt{s.Sid, s.Effect, s.Principal, s.NotPrincipal, present(s.Action), present(s.NotAction), present(s.Resource), present(s.NotResource), s.Condition})
	}
	return json.Marshal(out)
}

// present returns nil for an absent element and a pointer otherwise, so
// that a present empty list ("Resource": []) survives omitempty.
func present(l StringList) *StringList {
	if l == nil {
		return nil
	}
	return &l
}

// UnmarshalJSON parses with Parse, so documents embedded in other JSON
// (snapshots) are validated the same way. A JSON string holding a document
// (possibly URL-encoded) is accepted too.
func (d *Document) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		b = []byte(s)
	}
	doc, err := Parse(b)
	if err != nil {
		return err
	}
	*d = *doc
	return nil
}
