package baseline

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/internal/fsutil"
	"github.com/pvaudit/pvaudit/internal/signing"
	"github.com/pvaudit/pvaudit/internal/strictjson"
)

// Schema is the version of the baseline file format.
const Schema = "pvaudit.baseline/v1"

// MaxFileSize is the largest baseline file pvaudit reads (1 GiB): a
// baseline holds a snapshot, whose limit is 512 MiB, in canonical form.
const MaxFileSize = fsutil.MaxBaselineBytes

// maxDepth bounds JSON nesting in a baseline file; pvaudit writes at most
// about fifteen levels (a condition's values inside a policy document inside
// a role inside the state).
const maxDepth = 64

// Errors about a baseline file. A modified or unverifiable baseline is
// refused: drift against it would prove nothing.
var (
	ErrModified  = errors.New("baseline was modified after it was saved")
	ErrSignature = errors.New("baseline signature does not verify")
	ErrUnsigned  = errors.New("baseline is not signed, but a verify key was given")
	ErrMalformed = errors.New("not a pvaudit baseline")
)

// Baseline is an approved state with what it was approved against.
type Baseline struct {
	Tool    string    `json:"tool"`
	Version string    `json:"version"`
	Command string    `json:"command"`
	SavedAt time.Time `json:"saved_at"`
	// Contract names the contract the state was classified with and the
	// SHA-256 of its source, so drift can tell when it changed.
	Contract   ContractRef `json:"contract"`
	Parameters Parameters  `json:"parameters"`
	Capture    Capture     `json:"capture"`
	// Complete is false when the snapshot had gaps: drift against what
	// they hide is not evaluated.
	Complete bool `json:"complete"`
	// Previous is the content hash of the baseline this one replaced
	// (baseline update), and Accepted the drift items it accepted.
	Previous string     `json:"previous_sha256,omitempty"`
	Accepted []Accepted `json:"accepted,omitempty"`
	State    State      `json:"state"`
}

// ContractRef identifies a contract.
type ContractRef struct {
	Name   string `json:"name"`
	Source string `json:"source"`
	SHA256 string `json:"sha256"`
}

// Parameters are the contract parameters in force when the state was
// approved.
type Parameters struct {
	ProvisionerAccountID   string   `json:"provisioner_account_id,omitempty"`
	Env                    string   `json:"env,omitempty"`
	NodeIDs                []string `json:"node_ids,omitempty"`
	ExternalID             string   `json:"external_id,omitempty"`
	WorkflowBucket         string   `json:"workflow_bucket,omitempty"`
	PackageBucket          string   `json:"package_bucket,omitempty"`
	LLMGovernorFunctionARN string   `json:"llm_governor_function_arn,omitempty"`
}

// ParametersOf copies a contract's parameters.
func ParametersOf(p contract.Parameters) Parameters {
	return Parameters{ProvisionerAccountID: p.ProvisionerAccountID, Env: p.Env, NodeIDs: cloneStrings(p.NodeIDs), ExternalID: p.ExternalID,
		WorkflowBucket: p.WorkflowBucket, PackageBucket: p.PackageBucket, LLMGovernorFunctionARN: p.LLMGovernorFunctionARN}
}

// Capture says what the state was read from.
type Capture struct {
	// Input is the snapshot file ("" for a live read) and InputSHA256 the
	// SHA-256 of its bytes.
	Input       string `json:"input,omitempty"`
	InputSHA256 string `json:"input_sha256,omitempty"`
}

// Accepted is a drift item a baseline update accepted.
type Accepted struct {
	Rule        string `json:"rule"`
	Fingerprint string `json:"fingerprint"`
	Resource    string `json:"resource"`
	Key         string `json:"key,omitempty"`
	Summary     string `json:"summary"`
}

// envelope is the file: the content as bytes, its hash, its signature.
type envelope struct {
	Schema        string             `json:"schema"`
	ContentSHA256 string             `json:"content_sha256"`
	Signature     *signing.Signature `json:"signature,omitempty"`
	Content       json.RawMessage    `json:"content"`
}

// Integrity says how a baseline file was checked.
type Integrity struct {
	ContentSHA256 string `json:"content_sha256"`
	// Signature is "verified", "unsigned" or "not verified" (signed, but
	// no verify key was given).
	Signature string `json:"signature"`
	KeyID     string `json:"key_id,omitempty"`
}

// signedMessage is what a signature covers: the format and the content
// hash (which covers every byte of the content).
func signedMessage(sum string) []byte { return []byte(Schema + "\n" + sum + "\n") }

// Encode writes a baseline file: the content is b's compact JSON (its
// canonical serialization: sorted state, canonical documents, fields in a
// fixed order), content_sha256 is the SHA-256 of exactly those bytes, and
// with a key the file carries an Ed25519 signature of that hash.
func Encode(b *Baseline, key ed25519.PrivateKey) ([]byte, Integrity, error) {
	b.State.Normalize()
	body, err := encodeContent(b)
	if err != nil {
		return nil, Integrity{}, err
	}
	h := sha256.Sum256(body)
	sum := hex.EncodeToString(h[:])
	integ := Integrity{ContentSHA256: sum, Signature: "unsigned"}
	var out bytes.Buffer
	out.WriteString(`{"schema":"` + Schema + `","content_sha256":"` + sum + `"`)
	if key != nil {
		sig := signing.Sign(key, signedMessage(sum))
		sb, err := json.Marshal(sig)
		if err != nil {
			return nil, Integrity{}, fmt.Errorf("encode signature: %w", err)
		}
		out.WriteString(`,"signature":`)
		out.Write(sb)
		integ.Signature, integ.KeyID = "verified", sig.KeyID
	}
	out.WriteString(`,"content":`)
	out.Write(body)
	out.WriteString("}\n")
	return out.Bytes(), integ, nil
}

// InputError is a baseline file refused at a place in it (Line 0 when the
// problem has none). Err wraps ErrMalformed, ErrModified, ErrSignature or
// ErrUnsigned.
type InputError struct {
	File         string
	Line, Column int
	Err          error
}

func (e *InputError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d:%d: %v", e.File, e.Line, e.Column, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *InputError) Unwrap() error { return e.Err }

// Decode reads a baseline file and checks it: exactly one JSON value,
// valid UTF-8, no duplicate keys at any depth, no unknown keys (nor keys in
// another case), the right types (internal/strictjson); the content hash
// matches the content's bytes (else ErrModified) and the content is in
// the canonical form Encode writes; with a verify key the signature
// verifies (else ErrSignature or ErrUnsigned). Without a key a signature
// is reported "not verified". Errors are *InputError naming name and, where
// the problem has one, the line and column.
func Decode(data []byte, name string, verify ed25519.PublicKey) (*Baseline, Integrity, error) {
	fail := func(v strictjson.Value, sentinel error, format string, args ...any) (*Baseline, Integrity, error) {
		e := &InputError{File: name, Err: fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))}
		if v.Kind() != strictjson.Invalid {
			e.Line, e.Column = strictjson.LineCol(data, v.Offset())
		}
		return nil, Integrity{}, e
	}
	at := func(err error, sentinel error) (*Baseline, Integrity, error) {
		var se *strictjson.Error
		if errors.As(err, &se) {
			return nil, Integrity{}, &InputError{File: name, Line: se.Line, Column: se.Column, Err: fmt.Errorf("%w: %s", sentinel, se.Msg)}
		}
		return nil, Integrity{}, &InputError{File: name, Err: fmt.Errorf("%w: %w", sentinel, err)}
	}
	none := strictjson.Value{}
	if len(data) > MaxFileSize {
		return fail(none, ErrMalformed, "%d MiB, larger than the %d MiB limit", len(data)>>20, MaxFileSize>>20)
	}
	root, err := strictjson.Parse(data, strictjson.Options{MaxDepth: maxDepth})
	if err != nil {
		return at(err, ErrMalformed)
	}
	if root.Kind() != strictjson.Object {
		return fail(root, ErrMalformed, "expected a JSON object, got %s", root.Kind())
	}
	var schema, sum strictjson.Value
	var sigV, content strictjson.Value
	for _, m := range root.Members() {
		switch m.Key {
		case "schema":
			schema = m.Value
		case "content_sha256":
			sum = m.Value
		case "signature":
			sigV = m.Value
		case "content":
			content = m.Value
		default:
			return nil, Integrity{}, &InputError{File: name, Err: fmt.Errorf("%w: unknown key %q (want schema, content_sha256, signature, content)", ErrMalformed, m.Key),
				Line: lineOf(data, m.KeyOff), Column: colOf(data, m.KeyOff)}
		}
	}
	sch, ok := schema.Str()
	switch {
	case schema.Kind() == strictjson.Invalid:
		return fail(root, ErrMalformed, "no schema (is this a pvaudit baseline?)")
	case !ok:
		return fail(schema, ErrMalformed, "schema must be a string, got %s", schema.Kind())
	case sch != Schema:
		return fail(schema, ErrMalformed, "schema %q, this pvaudit reads %q", sch, Schema)
	}
	want, ok := sum.Str()
	if !ok || want == "" {
		return fail(firstValid(sum, root), ErrMalformed, "no content_sha256 string")
	}
	if content.Kind() != strictjson.Object {
		return fail(firstValid(content, root), ErrMalformed, "no content object")
	}
	h := sha256.Sum256(content.Raw())
	got := hex.EncodeToString(h[:])
	if got != want {
		return fail(sum, ErrModified, "content SHA-256 is %s, the file records %s", got, want)
	}
	integ := Integrity{ContentSHA256: got, Signature: "unsigned"}
	var sig *signing.Signature
	switch sigV.Kind() {
	case strictjson.Invalid, strictjson.Null:
	default:
		sig = &signing.Signature{}
		if err := strictjson.Unmarshal(sigV, sig); err != nil {
			return at(err, ErrMalformed)
		}
	}
	switch {
	case sig != nil && verify != nil:
		if err := signing.Verify(verify, signedMessage(got), *sig); err != nil {
			if err == signing.ErrBadSignature {
				return fail(sigV, ErrSignature, "the content changed after it was signed (its hash recomputed), or the signature was altered")
			}
			return fail(sigV, ErrSignature, "%v", err)
		}
		integ.Signature, integ.KeyID = "verified", sig.KeyID
	case verify != nil:
		return fail(root, ErrUnsigned, "the file has no signature")
	case sig != nil:
		integ.Signature, integ.KeyID = "not verified", sig.KeyID
	}
	b := &Baseline{}
	if err := strictjson.Unmarshal(content, b); err != nil {
		return at(err, ErrMalformed)
	}
	if err := b.State.validate(); err != nil {
		return fail(content, ErrMalformed, "content: %v", err)
	}
	// The content must be exactly what Encode writes for what was decoded:
	// then no other reader (jq, a person) can see a value pvaudit does not.
	again, err := encodeContent(b)
	if err != nil {
		return nil, Integrity{}, err
	}
	if !bytes.Equal(again, content.Raw()) {
		return fail(content, ErrModified, "the content is not in the canonical form pvaudit writes (edited by hand, and the hash recomputed?)")
	}
	return b, integ, nil
}

func firstValid(vs ...strictjson.Value) strictjson.Value {
	for _, v := range vs {
		if v.Kind() != strictjson.Invalid {
			return v
		}
	}
	return strictjson.Value{}
}

func lineOf(data []byte, off int64) int { l, _ := strictjson.LineCol(data, off); return l }

func colOf(data []byte, off int64) int { _, c := strictjson.LineCol(data, off); return c }

// encodeContent is the canonical serialization of a baseline's content.
func encodeContent(b *Baseline) ([]byte, error) {
	var content bytes.Buffer
	enc := json.NewEncoder(&content)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(b); err != nil {
		return nil, fmt.Errorf("encode baseline: %w", err)
	}
	return bytes.TrimSuffix(content.Bytes(), []byte("\n")), nil
}
