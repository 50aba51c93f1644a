package baseline

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/internal/signing"
)

// Schema is the version of the baseline file format.
const Schema = "pvaudit.baseline/v1"

// MaxFileSize is the largest baseline file pvaudit reads (1 GiB): a
// baseline holds a snapshot, whose limit is 512 MiB, in canonical form.
const MaxFileSize = 1 << 30

// maxDepth bounds JSON nesting in a baseline file; pvaudit writes at most
// about ten levels.
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

// Decode reads a baseline file and checks it: the JSON has no duplicate
// keys at any depth and no unknown fields, the content hash matches the
// content's bytes (else ErrModified), and with a verify key the signature
// verifies (else ErrSignature or ErrUnsigned). Without a key a signature
// is reported "not verified". name is used in errors.
func Decode(data []byte, name string, verify ed25519.PublicKey) (*Baseline, Integrity, error) {
	if len(data) > MaxFileSize {
		return nil, Integrity{}, fmt.Errorf("%s: %d MiB, larger than the %d MiB limit: %w", name, len(data)>>20, MaxFileSize>>20, ErrMalformed)
	}
	if err := checkJSON(data, maxDepth); err != nil {
		return nil, Integrity{}, fmt.Errorf("%s: %w: %w", name, ErrMalformed, err)
	}
	env, b, err := decodeEnvelope(data)
	if err != nil {
		return nil, Integrity{}, fmt.Errorf("%s: %w: %w", name, ErrMalformed, err)
	}
	if env.Schema != Schema {
		return nil, Integrity{}, fmt.Errorf("%s: schema %q, this pvaudit reads %q: %w", name, env.Schema, Schema, ErrMalformed)
	}
	if len(env.Content) == 0 || env.ContentSHA256 == "" {
		return nil, Integrity{}, fmt.Errorf("%s: no content or content_sha256: %w", name, ErrMalformed)
	}
	h := sha256.Sum256(env.Content)
	sum := hex.EncodeToString(h[:])
	if sum != env.ContentSHA256 {
		return nil, Integrity{}, fmt.Errorf("%s: %w (content SHA-256 is %s, the file records %s)", name, ErrModified, sum, env.ContentSHA256)
	}
	integ := Integrity{ContentSHA256: sum, Signature: "unsigned"}
	switch {
	case env.Signature != nil && verify != nil:
		if err := signing.Verify(verify, signedMessage(sum), *env.Signature); err != nil {
			return nil, Integrity{}, fmt.Errorf("%s: %w: %w", name, ErrSignature, err)
		}
		integ.Signature, integ.KeyID = "verified", env.Signature.KeyID
	case verify != nil:
		return nil, Integrity{}, fmt.Errorf("%s: %w", name, ErrUnsigned)
	case env.Signature != nil:
		integ.Signature, integ.KeyID = "not verified", env.Signature.KeyID
	}
	if err := b.State.validate(); err != nil {
		return nil, Integrity{}, fmt.Errorf("%s: content: %w: %w", name, ErrMalformed, err)
	}
	// The content must be exactly what Encode writes for what was decoded:
	// then no other reader (jq, a person) can see a value pvaudit does not
	// (case-variant keys, which encoding/json folds, included).
	again, err := encodeContent(b)
	if err != nil {
		return nil, Integrity{}, err
	}
	if !bytes.Equal(again, env.Content) {
		return nil, Integrity{}, fmt.Errorf("%s: content is not in canonical form (edited by hand?): %w", name, ErrModified)
	}
	return b, integ, nil
}

// decodeEnvelope reads the file's fields in one pass: the content is
// decoded where it stands, and its exact bytes are kept for the hash.
// Unknown fields, at the top and in the content, are errors.
func decodeEnvelope(data []byte) (*envelope, *Baseline, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, nil, fmt.Errorf("expected a JSON object (%v)", err)
	}
	env := &envelope{}
	var b *Baseline
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		switch tok {
		case "schema":
			err = dec.Decode(&env.Schema)
		case "content_sha256":
			err = dec.Decode(&env.ContentSHA256)
		case "signature":
			err = dec.Decode(&env.Signature)
		case "content":
			start := dec.InputOffset()
			b = &Baseline{}
			if err = dec.Decode(b); err == nil {
				raw := bytes.TrimLeft(data[start:dec.InputOffset()], " \t\r\n")
				raw = bytes.TrimLeft(bytes.TrimPrefix(raw, []byte(":")), " \t\r\n")
				env.Content = raw
			}
		default:
			return nil, nil, fmt.Errorf("unknown field %q", tok)
		}
		if err != nil {
			return nil, nil, err
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, nil, errors.New("unexpected data after the JSON object")
	}
	if b == nil {
		return env, nil, errors.New("no content")
	}
	return env, b, nil
}

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
