package inventory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pvaudit/pvaudit/internal/fsutil"
	"github.com/pvaudit/pvaudit/internal/strictjson"
	"github.com/pvaudit/pvaudit/policy"
)

// MaxFileSize is the largest snapshot or export file pvaudit reads (512 MiB;
// see fsutil.MaxSnapshotBytes for where the figure comes from).
const MaxFileSize = fsutil.MaxSnapshotBytes

// maxSnapshotDepth bounds nesting: a snapshot nests about 14 deep (a
// condition's values inside a policy inside a role inside a list).
const maxSnapshotDepth = 32

// ErrInvalidInput is wrapped by every error about the content of an input
// file, as opposed to errors reading it.
var ErrInvalidInput = errors.New("invalid input")

// InputError is a problem with an input file's content, with its position.
type InputError struct {
	File   string
	Line   int // 0 when unknown
	Column int
	Where  string // e.g. `role "Foo" trust policy`
	Err    error
}

func (e *InputError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
	}
	b.WriteString(": ")
	if e.Where != "" {
		b.WriteString(e.Where)
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *InputError) Unwrap() []error { return []error{ErrInvalidInput, e.Err} }

// ReadFile reads a snapshot from path, detecting its format (see Decode).
// The file is opened without blocking and must be a regular file of at
// most MaxFileSize bytes (see fsutil.Open): a named pipe, a device or a
// folder is refused at once with an error naming it.
func ReadFile(path string) (*Snapshot, error) {
	s, _, err := ReadFileRaw(path)
	return s, err
}

// ReadFileRaw is ReadFile that also returns the bytes the snapshot was
// decoded from (an evidence bundle hashes exactly what was analysed).
func ReadFileRaw(path string) (*Snapshot, []byte, error) {
	data, err := fsutil.ReadFile(path, fsutil.Snapshot)
	if err != nil {
		return nil, nil, err
	}
	s, err := Decode(data, path)
	if err != nil {
		return nil, nil, err
	}
	return s, data, nil
}

// Decode reads a snapshot from data; name is used in errors. It accepts
// pvaudit's own snapshot format (a JSON object with "schema") and the output
// of `aws iam get-account-authorization-details`, whose policy documents may
// be JSON objects (as the CLI prints them) or URL-encoded strings (as the IAM
// API returns them).
//
// Decoding is strict: a key given twice at any depth, a key in another case
// than the format's ("rolename"), a value of the wrong type, an ARN or ID
// of the wrong kind, a MaxSessionDuration outside IAM's 3,600–43,200
// seconds, two roles (users, groups, policies, versions) of one name are
// all errors naming the file, line and column. Errors wrap ErrInvalidInput.
func Decode(data []byte, name string) (*Snapshot, error) {
	d := &decoder{data: data, file: name}
	if len(data) > MaxFileSize {
		return nil, &InputError{File: name, Err: fmt.Errorf("%s is over the %s limit for a snapshot", fsutil.HumanSize(int64(len(data))), fsutil.HumanSize(MaxFileSize))}
	}
	root, err := strictjson.Parse(data, strictjson.Options{MaxDepth: maxSnapshotDepth})
	if err != nil {
		var se *strictjson.Error
		if errors.As(err, &se) {
			msg := se.Msg
			if se.Key == "" {
				msg = "malformed JSON: " + msg
			}
			return nil, d.errAt(se.Offset, "", errors.New(msg))
		}
		return nil, d.errAt(0, "", err)
	}
	if root.Kind() != strictjson.Object {
		return nil, d.errAt(root.Offset(), "", fmt.Errorf("expected a JSON object, got %s", root.Kind()))
	}
	top := members(root)
	var snap *Snapshot
	switch {
	case top.has("schema"):
		snap, err = d.ownFormat(root, top)
	case top.has("RoleDetailList") || top.has("UserDetailList") || top.has("GroupDetailList") || top.has("Policies"):
		snap, err = d.cliFormat(top)
	default:
		return nil, &InputError{File: name, Line: 1, Column: 1, Err: errors.New("not a pvaudit snapshot (no \"schema\") nor `aws iam get-account-authorization-details` output (no RoleDetailList, UserDetailList, GroupDetailList or Policies)")}
	}
	if err != nil {
		return nil, err
	}
	snap.Normalize()
	return snap, nil
}

// decoder keeps the whole input so that errors can name line and column.
type decoder struct {
	data []byte
	file string
}

// field is a member's value with the offset of its key.
type field struct {
	strictjson.Value
	keyOff int64
}

type objFields map[string]field

func (o objFields) has(k string) bool { _, ok := o[k]; return ok }

// members indexes an object's members (strictjson has refused duplicates).
func members(v strictjson.Value) objFields {
	out := objFields{}
	for _, m := range v.Members() {
		out[m.Key] = field{Value: m.Value, keyOff: m.KeyOff}
	}
	return out
}

// at returns the offset of key's value in el, or el's own offset.
func at(el strictjson.Value, key string) int64 {
	if m, ok := el.Get(key); ok {
		return m.Value.Offset()
	}
	return el.Offset()
}

func (d *decoder) errAt(off int64, where string, err error) error {
	line, col := strictjson.LineCol(d.data, off)
	return &InputError{File: d.file, Line: line, Column: col, Where: where, Err: err}
}

// jsonErr converts an encoding/json error at base offset into an InputError.
func (d *decoder) jsonErr(base int64, where string, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return d.errAt(base+se.Offset, where, fmt.Errorf("malformed JSON: %w", err))
	case errors.As(err, &te):
		// Offset is just past the offending value; point at its start.
		off := base + te.Offset
		if raw := d.data[base:min(base+te.Offset, int64(len(d.data)))]; len(raw) > 0 {
			if i := bytes.LastIndexAny(raw, ":["); i >= 0 {
				off = base + int64(i) + 1
				for off < int64(len(d.data)) && (d.data[off] == ' ' || d.data[off] == '\n' || d.data[off] == '\t' || d.data[off] == '\r') {
					off++
				}
			}
		}
		msg := fmt.Errorf("%s: expected %s, got JSON %s", te.Field, te.Type, te.Value)
		if te.Field == "" {
			msg = fmt.Errorf("expected %s, got JSON %s", te.Type, te.Value)
		}
		return d.errAt(off, where, msg)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		fieldName := strings.TrimPrefix(err.Error(), "json: unknown field ")
		off := base
		if i := bytes.Index(d.data[base:], []byte(fieldName)); i >= 0 {
			off = base + int64(i)
		}
		return d.errAt(off, where, fmt.Errorf("unknown field %s", fieldName))
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return d.errAt(int64(len(d.data)), where, errors.New("unexpected end of file (truncated JSON?)"))
	default:
		return d.errAt(base, where, err)
	}
}

// elements calls fn for each element of a JSON list field (null: none).
func (d *decoder) elements(f field, name string, fn func(i int, el strictjson.Value) error) error {
	switch f.Kind() {
	case strictjson.Null:
		return nil
	case strictjson.Array:
	default:
		return d.errAt(f.Offset(), name, fmt.Errorf("expected a JSON list, got %s", f.Kind()))
	}
	for i, el := range f.Elements() {
		if err := fn(i, el); err != nil {
			return err
		}
	}
	return nil
}

// decodeAll decodes every element of the list field f (null: none) in two
// steps: decode, in parallel (one worker per CPU: elements are
// independent, and decoding their policy documents is most of the time
// spent reading a large account), then check on each result in file order
// (the validator learns the account and the names seen as it goes). The
// results keep the file's order, and the error is the one a sequential
// read reports: the first element's, its decode error before its check.
func decodeAll[T any](d *decoder, f field, name string, decode func(i int, el strictjson.Value) (T, error), check func(i int, el strictjson.Value, t *T) error) ([]T, error) {
	var els []strictjson.Value
	if err := d.elements(f, name, func(_ int, el strictjson.Value) error { els = append(els, el); return nil }); err != nil {
		return nil, err
	}
	if len(els) == 0 {
		return nil, nil
	}
	out := make([]T, len(els))
	errs := make([]error, len(els))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(els)/32))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(els); i += workers {
				out[i], errs[i] = decode(i, els[i])
			}
		})
	}
	wg.Wait()
	for i := range els {
		if errs[i] != nil {
			return nil, errs[i]
		}
		if err := check(i, els[i], &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// strict decodes el into v rejecting unknown fields, also those that name
// a field in another case (encoding/json would take "ARN" for "Arn").
func (d *decoder) strict(el strictjson.Value, where string, v any) error {
	if err := d.exactKeys(el, reflect.TypeOf(v), where); err != nil {
		return err
	}
	// exactKeys has refused unknown keys; json.Unmarshal decodes in place
	// (a json.Decoder would first copy the element into its buffer).
	if err := json.Unmarshal(el.Raw(), v); err != nil {
		var ie *InputError
		if errors.As(err, &ie) {
			return err
		}
		return d.jsonErr(el.Offset(), where, err)
	}
	return nil
}

// exactKeys checks, recursively, that every key of an object decoded into
// a struct names one of its fields exactly.
func (d *decoder) exactKeys(v strictjson.Value, t reflect.Type, where string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(reflect.TypeFor[json.Unmarshaler]()) {
		return nil
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		if v.Kind() == strictjson.Array {
			for _, e := range v.Elements() {
				if err := d.exactKeys(e, t.Elem(), where); err != nil {
					return err
				}
			}
		}
	case reflect.Map:
		var err error
		v.EachMember(func(m strictjson.Member) bool {
			err = d.exactKeys(m.Value, t.Elem(), where)
			return err == nil
		})
		return err
	case reflect.Struct:
		if v.Kind() != strictjson.Object {
			return nil // encoding/json reports the type error
		}
		fields := jsonFields(t)
		var err error
		v.EachMember(func(m strictjson.Member) bool {
			ft, ok := fields[m.Key]
			if !ok {
				err = d.errAt(m.KeyOff, where, fmt.Errorf("unknown field %q", m.Key))
				for _, name := range sortedNames(fields) {
					if strings.EqualFold(name, m.Key) {
						err = d.errAt(m.KeyOff, where, fmt.Errorf("unknown field %q (the key is %q: keys are case-sensitive)", m.Key, name))
						break
					}
				}
				return false
			}
			err = d.exactKeys(m.Value, ft, where)
			return err == nil
		})
		return err
	}
	return nil
}

func sortedNames(m map[string]reflect.Type) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// jsonFields maps the JSON names of a struct's fields to their types, with
// embedded structs' fields shadowed by shallower ones as encoding/json does.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	var embedded []reflect.StructField
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			embedded = append(embedded, f)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	for _, f := range embedded {
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() != reflect.Struct {
			continue
		}
		for name, typ := range jsonFields(ft) {
			if _, shadowed := out[name]; !shadowed {
				out[name] = typ
			}
		}
	}
	return out
}

// docSpan stands for a policy document in the structs decoded with
// encoding/json: it skips the value (no copy); the document is parsed from
// the checked input by docAt, which knows its position.
type docSpan struct{}

func (*docSpan) UnmarshalJSON([]byte) error { return nil }

// docAt parses a policy document value (object or string holding it,
// possibly URL-encoded), naming where it is on error.
func (d *decoder) docAt(v strictjson.Value, where string) (*policy.Document, error) {
	var text []byte
	switch v.Kind() {
	case strictjson.Invalid, strictjson.Null:
		return nil, d.errAt(v.Offset(), where, errors.New("policy document is missing"))
	case strictjson.Object:
		text = v.Raw()
	case strictjson.String:
		s, _ := v.Str()
		text = []byte(s)
	default:
		return nil, d.errAt(v.Offset(), where, fmt.Errorf("policy document must be an object or a string holding one, got %s", v.Kind()))
	}
	doc, err := policy.Parse(text)
	if err == nil {
		return doc, nil
	}
	off := v.Offset()
	// Inside an object the document's positions are the file's: point at
	// the problem itself and drop the document-relative position.
	var pe *policy.ParseError
	var ve *policy.ValidationError
	if v.Kind() == strictjson.Object {
		switch {
		case errors.As(err, &pe) && pe.Offset >= 0 && pe.Line > 0:
			c := *pe
			off += c.Offset
			c.Line, c.Column = 0, 0
			err = &c
		case errors.As(err, &ve) && ve.Line > 0:
			c := *ve
			off += c.Offset
			c.Line, c.Column = 0, 0
			err = &c
		}
	} else if (errors.As(err, &pe) && pe.Line > 0 && !pe.Encoded) || (errors.As(err, &ve) && ve.Line > 0 && !ve.Encoded) {
		where += " (in the JSON string, positions are within the document)"
	}
	return nil, d.errAt(off, where, err)
}

// ---- pvaudit's own format ----

// The own format's structs, with documents replaced by docSpan so that
// docAt parses them with their positions. Embedding keeps every other
// field in step with the model.
type ownInline struct {
	InlinePolicy
	Document docSpan `json:"document"`
}

type ownRole struct {
	Role
	TrustPolicy    *docSpan    `json:"trust_policy,omitempty"`
	InlinePolicies []ownInline `json:"inline_policies,omitempty"`
}

type ownVersion struct {
	PolicyVersion
	Document docSpan `json:"document"`
}

type ownPolicy struct {
	ManagedPolicy
	Versions []ownVersion `json:"versions"`
}

type ownUser struct {
	User
	InlinePolicies []ownInline `json:"inline_policies,omitempty"`
}

type ownGroup struct {
	Group
	InlinePolicies []ownInline `json:"inline_policies,omitempty"`
}

func (d *decoder) ownFormat(root strictjson.Value, top objFields) (*Snapshot, error) {
	schema, ok := top["schema"].Str()
	if !ok {
		return nil, d.errAt(top["schema"].Offset(), "schema", errors.New("must be a string"))
	}
	if schema != SchemaVersion {
		return nil, d.errAt(top["schema"].Offset(), "schema", fmt.Errorf("unsupported snapshot schema %q (this pvaudit reads %q)", schema, SchemaVersion))
	}
	type header struct {
		Schema     string    `json:"schema"`
		AccountID  string    `json:"account_id"`
		CapturedAt time.Time `json:"captured_at"`
		Source     string    `json:"source"`
		CallerARN  string    `json:"caller_arn"`
		Roles      docSpan   `json:"roles"`
		Policies   docSpan   `json:"policies"`
		Users      docSpan   `json:"users"`
		Groups     docSpan   `json:"groups"`
		Gaps       []Gap     `json:"gaps"`
		Runtime    docSpan   `json:"runtime"`
	}
	var h header
	if err := d.strict(root, "", &h); err != nil {
		return nil, err
	}
	snap := &Snapshot{Schema: h.Schema, AccountID: h.AccountID, CapturedAt: h.CapturedAt, Source: h.Source, CallerARN: h.CallerARN, Gaps: h.Gaps}
	if snap.AccountID == "" {
		return nil, d.errAt(0, "", errors.New("snapshot has no account_id"))
	}
	if !isAccountID(snap.AccountID) {
		return nil, d.errAt(top["account_id"].Offset(), "account_id", fmt.Errorf("%q is not a 12-digit AWS account ID", snap.AccountID))
	}
	v := d.validator(snap.AccountID)
	inline := func(list []ownInline, el strictjson.Value, where string) ([]InlinePolicy, error) {
		var out []InlinePolicy
		docs := fieldValue(el, "inline_policies").Elements()
		for i, p := range list {
			w := fmt.Sprintf("%s inline policy %q", where, p.Name)
			doc, err := d.docAt(fieldValue(docs[i], "document"), w)
			if err != nil {
				return nil, err
			}
			out = append(out, InlinePolicy{Name: p.Name, Document: doc})
		}
		return out, v.inlineNames(out, el, "inline_policies", where)
	}
	if f, ok := top["roles"]; ok {
		roles, err := decodeAll(d, f, "roles", func(i int, el strictjson.Value) (Role, error) {
			where := fmt.Sprintf("roles[%d]%s", i, nameHint(el, "name"))
			var o ownRole
			if err := d.strict(el, where, &o); err != nil {
				return Role{}, err
			}
			r := o.Role
			if tp := fieldValue(el, "trust_policy"); tp.Kind() != strictjson.Invalid && tp.Kind() != strictjson.Null {
				doc, err := d.docAt(tp, where+" trust policy")
				if err != nil {
					return Role{}, err
				}
				r.TrustPolicy = doc
			}
			var err error
			if r.InlinePolicies, err = inline(o.InlinePolicies, el, where); err != nil {
				return Role{}, err
			}
			return r, nil
		}, func(i int, el strictjson.Value, r *Role) error {
			return v.role(r, el, fmt.Sprintf("roles[%d]%s", i, nameHint(el, "name")), ownKeys)
		})
		if err != nil {
			return nil, err
		}
		snap.Roles = roles
	}
	if f, ok := top["policies"]; ok {
		pols, err := decodeAll(d, f, "policies", func(i int, el strictjson.Value) (ManagedPolicy, error) {
			where := fmt.Sprintf("policies[%d]%s", i, nameHint(el, "arn"))
			var o ownPolicy
			if err := d.strict(el, where, &o); err != nil {
				return ManagedPolicy{}, err
			}
			p := o.ManagedPolicy
			p.Versions = nil
			docs := fieldValue(el, "versions").Elements()
			for j, ov := range o.Versions {
				pv := ov.PolicyVersion
				doc, err := d.docAt(fieldValue(docs[j], "document"), fmt.Sprintf("%s version %s", where, pv.VersionID))
				if err != nil {
					return ManagedPolicy{}, err
				}
				pv.Document = doc
				p.Versions = append(p.Versions, pv)
			}
			return p, nil
		}, func(i int, el strictjson.Value, p *ManagedPolicy) error {
			return v.policy(p, el, fmt.Sprintf("policies[%d]%s", i, nameHint(el, "arn")), ownKeys)
		})
		if err != nil {
			return nil, err
		}
		snap.Policies = pols
	}
	if f, ok := top["users"]; ok {
		err := d.elements(f, "users", func(i int, el strictjson.Value) error {
			where := fmt.Sprintf("users[%d]%s", i, nameHint(el, "name"))
			var o ownUser
			if err := d.strict(el, where, &o); err != nil {
				return err
			}
			u := o.User
			var err error
			if u.InlinePolicies, err = inline(o.InlinePolicies, el, where); err != nil {
				return err
			}
			if err := v.user(&u, el, where, ownKeys); err != nil {
				return err
			}
			snap.Users = append(snap.Users, u)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if f, ok := top["runtime"]; ok && f.Kind() != strictjson.Null {
		rt, err := d.runtime(f, snap.AccountID)
		if err != nil {
			return nil, err
		}
		snap.Runtime = rt
	}
	if f, ok := top["groups"]; ok {
		err := d.elements(f, "groups", func(i int, el strictjson.Value) error {
			where := fmt.Sprintf("groups[%d]%s", i, nameHint(el, "name"))
			var o ownGroup
			if err := d.strict(el, where, &o); err != nil {
				return err
			}
			g := o.Group
			var err error
			if g.InlinePolicies, err = inline(o.InlinePolicies, el, where); err != nil {
				return err
			}
			if err := v.group(&g, el, where, ownKeys); err != nil {
				return err
			}
			snap.Groups = append(snap.Groups, g)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return snap, nil
}

// fieldValue returns the value of key in the object el (Invalid when absent).
func fieldValue(el strictjson.Value, key string) strictjson.Value {
	m, _ := el.Get(key)
	return m.Value
}

// nameHint returns ` ("x")` for an element's name key, so that errors say
// which role or policy they are about.
func nameHint(el strictjson.Value, key string) string {
	s, ok := fieldValue(el, key).Str()
	if !ok || s == "" {
		return ""
	}
	return fmt.Sprintf(" (%q)", s)
}
