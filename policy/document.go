// Package policy holds IAM policy documents (parsing, validation, canonical
// form) and the local IAM policy evaluator. It imports nothing internal to
// pvaudit so that every other package can depend on it.
package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/pvaudit/pvaudit/internal/strictjson"
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

// Limits on one policy document. IAM itself caps documents well below
// them: its API takes a PolicyDocument of at most 131,072 characters
// (CreatePolicy, PutRolePolicy, UpdateAssumeRolePolicy), and the stored
// policy at most 6,144 (managed), 10,240 (a role's inline policies
// together), 2,048 or, with a quota increase, 4,096 (trust) characters
// without whitespace; the largest resource policy, a KMS key policy, is
// 32 KiB. A statement takes at least 30 characters
// ({"Effect":"Deny","Action":"*"}), so no policy AWS accepts has more than
// about 1,100 statements.
const (
	// MaxDocumentBytes bounds a document as read, before URL decoding:
	// 131,072 characters URL-encoded take at most 393,216 bytes.
	MaxDocumentBytes = 512 << 10
	// MaxStatements is about four times the most any AWS policy can hold.
	MaxStatements = 4096
	// maxDocumentDepth: a document nests 6 deep at most (document,
	// Statement list, statement, Condition, operator, value list).
	maxDocumentDepth = 8
)

// Parse decodes a policy document. It accepts the URL-encoded form the IAM API
// returns ("%7B%22Version%22…") as well as plain JSON, and validates the
// result (see Validate). Errors are *ParseError or *ValidationError, with
// the line and column in the document when the problem has a place.
//
// Parsing is strict, as IAM's policy grammar is: a key given twice at any
// depth is an error (encoding/json would let the last "Effect" win);
// Action, NotAction, Resource, NotResource and principal values must be
// strings or lists of strings; condition values strings, numbers or
// booleans or lists of them; Effect exactly "Allow" or "Deny"; Version
// "2012-10-17" or "2008-10-17". Documents over MaxDocumentBytes or with more
// than MaxStatements statements are refused before they are decoded.
func Parse(data []byte) (*Document, error) {
	if len(data) > MaxDocumentBytes {
		return nil, &ParseError{Index: -1, Offset: -1, Msg: fmt.Sprintf("policy document is %d bytes, over pvaudit's limit of %d (IAM takes at most 131,072 characters)", len(data), MaxDocumentBytes)}
	}
	data = bytes.TrimSpace(data)
	encoded := false
	if len(data) > 0 && data[0] == '%' {
		dec, err := url.PathUnescape(string(data))
		if err != nil {
			return nil, &ParseError{Index: -1, Offset: -1, Msg: fmt.Sprintf("URL-encoded document: %v", err)}
		}
		data = bytes.TrimSpace([]byte(dec))
		encoded = true
	}
	if doc, ok := parseFast(data); ok {
		return doc, nil
	}
	p := &parser{data: data, encoded: encoded}
	doc, stmtOffs, top, err := p.document()
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(); err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			off := top
			if ve.Index >= 0 && ve.Index < len(stmtOffs) {
				off = stmtOffs[ve.Index]
			}
			ve.Offset = off
			ve.Line, ve.Column = strictjson.LineCol(data, off)
			ve.Encoded = encoded
		}
		return nil, err
	}
	return doc, nil
}

// document is the general decoder of Parse, without validation: any
// input, every error with its position. It returns the offsets of the
// statements and of the document, for validation errors.
func (p *parser) document() (*Document, []int64, int64, error) {
	data := p.data
	top, err := strictjson.Parse(data, strictjson.Options{MaxDepth: maxDocumentDepth})
	if err != nil {
		var se *strictjson.Error
		if errors.As(err, &se) {
			msg := "invalid JSON: " + se.Msg
			if se.Key != "" {
				msg = se.Msg
			}
			return nil, nil, 0, p.errAt(se.Offset, -1, "", "", msg)
		}
		return nil, nil, 0, p.errAt(0, -1, "", "", "invalid JSON: "+err.Error())
	}
	switch top.Kind() {
	case strictjson.Object:
	case strictjson.Null:
		return nil, nil, 0, p.errAt(top.Offset(), -1, "", "", "policy document is null")
	default:
		return nil, nil, 0, p.errAt(top.Offset(), -1, "", "", "policy document must be a JSON object, got "+top.Kind().String())
	}
	var doc Document
	var stmtOffs []int64
	haveStatement := false
	for _, m := range top.Members() {
		switch m.Key {
		case "Version":
			v, ok := m.Value.Str()
			if !ok {
				return nil, nil, 0, p.errAt(m.Value.Offset(), -1, "", "Version", "must be a string, got "+m.Value.Kind().String())
			}
			doc.Version = v
		case "Id":
			v, ok := m.Value.Str()
			if !ok {
				return nil, nil, 0, p.errAt(m.Value.Offset(), -1, "", "Id", "must be a string, got "+m.Value.Kind().String())
			}
			doc.ID = v
		case "Statement":
			haveStatement = true
			stmts, offs, err := p.statements(m.Value)
			if err != nil {
				return nil, nil, 0, err
			}
			doc.Statements, stmtOffs = stmts, offs
		default:
			return nil, nil, 0, p.errAt(m.KeyOff, -1, "", m.Key, fmt.Sprintf("unknown top-level key %q (want Version, Id, Statement)", m.Key))
		}
	}
	if !haveStatement {
		return nil, nil, 0, p.errAt(top.Offset(), -1, "", "Statement", "missing Statement")
	}
	return &doc, stmtOffs, top.Offset(), nil
}

// ParseString is Parse for a string.
func ParseString(s string) (*Document, error) { return Parse([]byte(s)) }

// parser holds the document text so that errors can say where.
type parser struct {
	data    []byte
	encoded bool
}

func (p *parser) errAt(off int64, index int, sid, field, msg string) *ParseError {
	line, col := strictjson.LineCol(p.data, off)
	return &ParseError{Index: index, Sid: sid, Field: field, Line: line, Column: col, Offset: off, Encoded: p.encoded, Msg: msg}
}

func (p *parser) statements(v strictjson.Value) ([]Statement, []int64, error) {
	var items []strictjson.Value
	switch v.Kind() {
	case strictjson.Object:
		items = []strictjson.Value{v}
	case strictjson.Array:
		if n := v.Len(); n > MaxStatements {
			return nil, nil, p.errAt(v.Offset(), -1, "", "Statement", fmt.Sprintf("%d statements, over pvaudit's limit of %d (no policy AWS accepts has more than about 1,100)", n, MaxStatements))
		}
		items = v.Elements()
	default:
		return nil, nil, p.errAt(v.Offset(), -1, "", "Statement", "must be an object or a list of objects, got "+v.Kind().String())
	}
	out := make([]Statement, 0, len(items))
	offs := make([]int64, 0, len(items))
	for i, it := range items {
		st, err := p.statement(i, it)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, st)
		offs = append(offs, it.Offset())
	}
	return out, offs, nil
}

func (p *parser) statement(i int, v strictjson.Value) (Statement, error) {
	var st Statement
	if v.Kind() != strictjson.Object {
		return st, p.errAt(v.Offset(), i, "", "", "statement must be an object, got "+v.Kind().String())
	}
	members := v.Members()
	for _, m := range members {
		if m.Key == "Sid" {
			s, ok := m.Value.Str()
			if !ok {
				return st, p.errAt(m.Value.Offset(), i, "", "Sid", "must be a string, got "+m.Value.Kind().String())
			}
			st.Sid = s
		}
	}
	for _, m := range members {
		fail := func(off int64, msg string) (Statement, error) {
			return st, p.errAt(off, i, st.Sid, m.Key, msg)
		}
		var err *fieldErr
		switch m.Key {
		case "Sid":
		case "Effect":
			e, ok := m.Value.Str()
			if !ok {
				return fail(m.Value.Offset(), `must be "Allow" or "Deny", got `+m.Value.Kind().String())
			}
			st.Effect = Effect(e)
		case "Principal":
			st.Principal, err = principal(m.Value)
		case "NotPrincipal":
			st.NotPrincipal, err = principal(m.Value)
		case "Action":
			st.Action, err = stringList(m.Value, false)
		case "NotAction":
			st.NotAction, err = stringList(m.Value, false)
		case "Resource":
			st.Resource, err = stringList(m.Value, false)
		case "NotResource":
			st.NotResource, err = stringList(m.Value, false)
		case "Condition":
			st.Condition, err = condition(m.Value)
		default:
			return fail(m.KeyOff, fmt.Sprintf("unknown statement key %q", m.Key))
		}
		if err != nil {
			return fail(err.off, err.msg)
		}
	}
	return st, nil
}

// fieldErr is a problem inside a statement element, at an offset.
type fieldErr struct {
	off int64
	msg string
}

// stringList reads a string or a list of strings. With scalars, numbers and
// booleans are accepted too (as their JSON text), as IAM accepts them in
// condition values.
func stringList(v strictjson.Value, scalars bool) (StringList, *fieldErr) {
	want := "a string or a list of strings"
	if scalars {
		want = "a string, number or boolean, or a list of them"
	}
	one := func(e strictjson.Value, inList bool) (string, *fieldErr) {
		switch e.Kind() {
		case strictjson.String:
			s, _ := e.Str()
			return s, nil
		case strictjson.Number:
			if scalars {
				n, _ := e.Number()
				return n, nil
			}
		case strictjson.Bool:
			if scalars {
				b, _ := e.Bool()
				return strconv.FormatBool(b), nil
			}
		}
		got := e.Kind().String()
		if inList && e.Kind() == strictjson.Array {
			got = "a nested list"
		}
		return "", &fieldErr{off: e.Offset(), msg: "expected " + want + ", got " + got}
	}
	if v.Kind() != strictjson.Array {
		s, err := one(v, false)
		if err != nil {
			return nil, err
		}
		return StringList{s}, nil
	}
	els := v.Elements()
	out := make(StringList, 0, len(els))
	for i, e := range els {
		s, err := one(e, true)
		if err != nil {
			err.msg = fmt.Sprintf("element %d: %s", i, err.msg)
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func principal(v strictjson.Value) (*Principal, *fieldErr) {
	switch v.Kind() {
	case strictjson.String:
		s, _ := v.Str()
		if s != "*" {
			return nil, &fieldErr{off: v.Offset(), msg: fmt.Sprintf("a principal written as a string must be \"*\", got %q", s)}
		}
		return &Principal{Wildcard: true}, nil
	case strictjson.Object:
	default:
		return nil, &fieldErr{off: v.Offset(), msg: "principal must be \"*\" or an object, got " + v.Kind().String()}
	}
	out := &Principal{}
	for _, m := range v.Members() {
		var dst *StringList
		switch m.Key {
		case "AWS":
			dst = &out.AWS
		case "Service":
			dst = &out.Service
		case "Federated":
			dst = &out.Federated
		case "CanonicalUser":
			dst = &out.CanonicalUser
		default:
			return nil, &fieldErr{off: m.KeyOff, msg: fmt.Sprintf("unknown principal type %q (want AWS, Service, Federated or CanonicalUser)", m.Key)}
		}
		l, err := stringList(m.Value, false)
		if err != nil {
			err.msg = "principal " + m.Key + ": " + err.msg
			return nil, err
		}
		*dst = l
	}
	return out, nil
}

// condition reads a Condition element: operator to key to values, the
// values strings, numbers or booleans or lists of them (IAM's policy
// grammar: <condition_value> = ("string" | "number" | "Boolean")).
func condition(v strictjson.Value) (Condition, *fieldErr) {
	if v.Kind() != strictjson.Object {
		return nil, &fieldErr{off: v.Offset(), msg: "must be an object, got " + v.Kind().String()}
	}
	out := Condition{}
	for _, op := range v.Members() {
		if op.Value.Kind() != strictjson.Object {
			return nil, &fieldErr{off: op.Value.Offset(), msg: fmt.Sprintf("operator %q: must map condition keys to values, got %s", op.Key, op.Value.Kind())}
		}
		keys := map[string]StringList{}
		for _, k := range op.Value.Members() {
			l, err := stringList(k.Value, true)
			if err != nil {
				err.msg = fmt.Sprintf("%s %q: %s", op.Key, k.Key, err.msg)
				return nil, err
			}
			keys[k.Key] = l
		}
		out[op.Key] = keys
	}
	return out, nil
}

// ParseError is a document that is not well-formed JSON or not of IAM's
// shape. Index is the statement index (-1 when not in a statement).
type ParseError struct {
	Index  int
	Sid    string
	Field  string
	Line   int // 0 when the problem has no place (e.g. size, URL encoding)
	Column int
	// Offset is the byte offset of the problem in the document as parsed
	// (after URL decoding when Encoded); -1 when unknown.
	Offset  int64
	Encoded bool // the document was URL-encoded; positions are in the decoded text
	Msg     string
}

func (e *ParseError) Error() string {
	var b strings.Builder
	writePos(&b, e.Line, e.Column, e.Encoded)
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

func writePos(b *strings.Builder, line, col int, encoded bool) {
	if line <= 0 {
		return
	}
	fmt.Fprintf(b, "line %d, column %d", line, col)
	if encoded {
		b.WriteString(" of the URL-decoded document")
	}
	b.WriteString(": ")
}

// LineCol converts a byte offset in data to a 1-based line and column.
func LineCol(data []byte, offset int64) (line, col int) { return strictjson.LineCol(data, offset) }

// ValidationError is a well-formed document that IAM would reject.
type ValidationError struct {
	Index int // statement index, -1 for the document
	Sid   string
	Field string
	Msg   string
	// Line, Column and Offset place the statement (or the document) when
	// the error comes from Parse; 0, 0, 0 from Validate alone.
	Line, Column int
	Offset       int64
	Encoded      bool
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	writePos(&b, e.Line, e.Column, e.Encoded)
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
