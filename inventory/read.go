package inventory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/pvaudit/pvaudit/policy"
)

// MaxFileSize is the largest snapshot or export file pvaudit reads (512 MiB).
// An account's authorization details are rarely above a few tens of MiB.
const MaxFileSize = 512 << 20

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
func ReadFile(path string) (*Snapshot, error) {
	s, _, err := ReadFileRaw(path)
	return s, err
}

// ReadFileRaw is ReadFile that also returns the bytes the snapshot was
// decoded from (an evidence bundle hashes exactly what was analysed).
func ReadFileRaw(path string) (*Snapshot, []byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("open snapshot: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > MaxFileSize {
		return nil, nil, &InputError{File: path, Err: fmt.Errorf("file is %d MiB, larger than the %d MiB limit", st.Size()>>20, MaxFileSize>>20)}
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > MaxFileSize {
		return nil, nil, &InputError{File: path, Err: fmt.Errorf("file is larger than %d MiB", MaxFileSize>>20)}
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
func Decode(data []byte, name string) (*Snapshot, error) {
	d := &decoder{data: data, file: name}
	top, err := d.object(data, 0)
	if err != nil {
		return nil, err
	}
	var snap *Snapshot
	switch {
	case top.has("schema"):
		snap, err = d.ownFormat(top)
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

// field is a top-level value with its offset in the file.
type field struct {
	raw json.RawMessage
	off int64
}

type objFields map[string]field

func (o objFields) has(k string) bool { _, ok := o[k]; return ok }

func (d *decoder) errAt(off int64, where string, err error) error {
	line, col := policy.LineCol(d.data, off)
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
		msg := fmt.Errorf("%s: expected %s, got JSON %s", te.Field, te.Type, te.Value)
		if te.Field == "" {
			msg = fmt.Errorf("expected %s, got JSON %s", te.Type, te.Value)
		}
		return d.errAt(base+te.Offset, where, msg)
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

// object splits a JSON object into its fields, remembering offsets.
func (d *decoder) object(raw []byte, base int64) (objFields, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return nil, d.jsonErr(base, "", err)
	}
	if delim, ok := tok.(json.Delim); !ok || delim != '{' {
		return nil, d.errAt(base, "", errors.New("expected a JSON object"))
	}
	out := objFields{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, d.jsonErr(base, "", err)
		}
		key, _ := tok.(string)
		var v json.RawMessage
		off := base + dec.InputOffset()
		if err := dec.Decode(&v); err != nil {
			return nil, d.jsonErr(base, "", err)
		}
		if _, dup := out[key]; dup {
			return nil, d.errAt(off, "", fmt.Errorf("duplicate key %q", key))
		}
		out[key] = field{raw: v, off: off + leadingSpace(raw[off-base:])}
	}
	if _, err := dec.Token(); err != nil {
		return nil, d.jsonErr(base, "", err)
	}
	if dec.More() {
		return nil, d.errAt(base+dec.InputOffset(), "", errors.New("unexpected data after the JSON object"))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, d.errAt(base+dec.InputOffset(), "", errors.New("unexpected data after the JSON object"))
	}
	return out, nil
}

func leadingSpace(b []byte) int64 {
	n := 0
	for n < len(b) && (b[n] == ' ' || b[n] == '\n' || b[n] == '\t' || b[n] == '\r' || b[n] == ':') {
		n++
	}
	return int64(n)
}

// elements calls fn for each element of a JSON array field.
func (d *decoder) elements(f field, name string, fn func(i int, el field) error) error {
	dec := json.NewDecoder(bytes.NewReader(f.raw))
	tok, err := dec.Token()
	if err != nil {
		return d.jsonErr(f.off, name, err)
	}
	if tok == nil { // null: an empty list
		return nil
	}
	if delim, ok := tok.(json.Delim); !ok || delim != '[' {
		return d.errAt(f.off, name, errors.New("expected a JSON list"))
	}
	for i := 0; dec.More(); i++ {
		off := f.off + dec.InputOffset()
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return d.jsonErr(f.off, name, err)
		}
		off += leadingSpace(f.raw[off-f.off:])
		if err := fn(i, field{raw: v, off: off}); err != nil {
			return err
		}
	}
	return nil
}

// decodeAll decodes every element of a JSON array field with fn, in
// parallel (one worker per CPU): elements are independent, and decoding
// their policy documents is most of the time spent reading a large
// account. The results keep the file's order; the error is that of the
// first failing element, as a sequential read would report it.
func decodeAll[T any](d *decoder, f field, name string, fn func(i int, el field) (T, error)) ([]T, error) {
	var els []field
	if err := d.elements(f, name, func(_ int, el field) error { els = append(els, el); return nil }); err != nil {
		return nil, err
	}
	out := make([]T, len(els))
	errs := make([]error, len(els))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(els)/32))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(els); i += workers {
				out[i], errs[i] = fn(i, els[i])
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// strict decodes raw into v rejecting unknown fields.
func (d *decoder) strict(el field, where string, v any) error {
	dec := json.NewDecoder(bytes.NewReader(el.raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var ie *InputError
		if errors.As(err, &ie) {
			return err
		}
		if isPolicyErr(err) {
			return d.errAt(el.off, where, err)
		}
		return d.jsonErr(el.off, where, err)
	}
	return nil
}

func isPolicyErr(err error) bool {
	var pe *policy.ParseError
	var ve *policy.ValidationError
	return errors.As(err, &pe) || errors.As(err, &ve)
}

// docAt parses a policy document field (object or URL-encoded string),
// naming where it is on error.
func (d *decoder) docAt(raw json.RawMessage, off int64, where string) (*policy.Document, error) {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return nil, d.errAt(off, where, errors.New("policy document is missing"))
	}
	var doc policy.Document
	if err := doc.UnmarshalJSON(raw); err != nil {
		// Point at the document itself when it is inside this element.
		if i := bytes.Index(d.data[off:], raw[:min(len(raw), 64)]); i >= 0 {
			off += int64(i)
		}
		return nil, d.errAt(off, where, err)
	}
	return &doc, nil
}

// ---- pvaudit's own format ----

func (d *decoder) ownFormat(top objFields) (*Snapshot, error) {
	var schema string
	if err := json.Unmarshal(top["schema"].raw, &schema); err != nil {
		return nil, d.errAt(top["schema"].off, "schema", errors.New("must be a string"))
	}
	if schema != SchemaVersion {
		return nil, d.errAt(top["schema"].off, "schema", fmt.Errorf("unsupported snapshot schema %q (this pvaudit reads %q)", schema, SchemaVersion))
	}
	var snap Snapshot
	whole := field{raw: d.data, off: 0}
	// Decode element by element so that errors name the role or policy.
	type header struct {
		Schema     string          `json:"schema"`
		AccountID  string          `json:"account_id"`
		CapturedAt time.Time       `json:"captured_at"`
		Source     string          `json:"source"`
		CallerARN  string          `json:"caller_arn"`
		Roles      json.RawMessage `json:"roles"`
		Policies   json.RawMessage `json:"policies"`
		Users      json.RawMessage `json:"users"`
		Groups     json.RawMessage `json:"groups"`
		Gaps       []Gap           `json:"gaps"`
	}
	var h header
	if err := d.strict(whole, "", &h); err != nil {
		return nil, err
	}
	snap = Snapshot{Schema: h.Schema, AccountID: h.AccountID, CapturedAt: h.CapturedAt, Source: h.Source, CallerARN: h.CallerARN, Gaps: h.Gaps}
	if f, ok := top["roles"]; ok {
		roles, err := decodeAll(d, f, "roles", func(i int, el field) (Role, error) {
			var r Role
			err := d.strict(el, fmt.Sprintf("roles[%d]%s", i, nameHint(el.raw, "name")), &r)
			return r, err
		})
		if err != nil {
			return nil, err
		}
		snap.Roles = roles
	}
	if f, ok := top["policies"]; ok {
		pols, err := decodeAll(d, f, "policies", func(i int, el field) (ManagedPolicy, error) {
			var p ManagedPolicy
			err := d.strict(el, fmt.Sprintf("policies[%d]%s", i, nameHint(el.raw, "arn")), &p)
			return p, err
		})
		if err != nil {
			return nil, err
		}
		snap.Policies = pols
	}
	if f, ok := top["users"]; ok {
		err := d.elements(f, "users", func(i int, el field) error {
			var u User
			if err := d.strict(el, fmt.Sprintf("users[%d]%s", i, nameHint(el.raw, "name")), &u); err != nil {
				return err
			}
			snap.Users = append(snap.Users, u)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if f, ok := top["groups"]; ok {
		err := d.elements(f, "groups", func(i int, el field) error {
			var g Group
			if err := d.strict(el, fmt.Sprintf("groups[%d]%s", i, nameHint(el.raw, "name")), &g); err != nil {
				return err
			}
			snap.Groups = append(snap.Groups, g)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if snap.AccountID == "" {
		return nil, d.errAt(0, "", errors.New("snapshot has no account_id"))
	}
	return &snap, nil
}

// nameHint returns ` ("x")` for an element's name key, best effort, so that
// errors say which role or policy they are about. It scans for the key at
// the element's top level without decoding the element (it runs for every
// element of a snapshot).
func nameHint(raw json.RawMessage, key string) string {
	depth := 0
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		case '"':
			end := quoteEnd(raw, i)
			if end < 0 {
				return ""
			}
			if depth == 1 && string(raw[i+1:end]) == key {
				j := end + 1
				for j < len(raw) && (raw[j] == ' ' || raw[j] == '\t' || raw[j] == '\n' || raw[j] == '\r' || raw[j] == ':') {
					j++
				}
				if j >= len(raw) || raw[j] != '"' {
					return ""
				}
				k := quoteEnd(raw, j)
				var s string
				if k < 0 || json.Unmarshal(raw[j:k+1], &s) != nil || s == "" {
					return ""
				}
				return fmt.Sprintf(" (%q)", s)
			}
			i = end
		}
	}
	return ""
}

// quoteEnd returns the index of the quote closing the string that starts
// at b[start], or -1.
func quoteEnd(b []byte, start int) int {
	for i := start + 1; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}
