package evidence

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/pvaudit/pvaudit/internal/signing"
)

// Signature is manifest.sig: an Ed25519 signature of manifest.json's exact
// bytes and the ID (SHA-256 of the public key) of the key that made it.
type Signature struct {
	Algorithm string `json:"algorithm"`
	KeyID     string `json:"key_id"`
	Signature string `json:"signature"`
}

// KeyID identifies a public key (see signing.KeyID): a bundle and a
// baseline signed with one key name it alike.
func KeyID(pub ed25519.PublicKey) string { return signing.KeyID(pub) }

// Sign signs a manifest and returns manifest.sig's bytes.
func Sign(manifest []byte, key ed25519.PrivateKey) ([]byte, error) {
	pub, ok := key.Public().(ed25519.PublicKey)
	if !ok {
		return nil, errors.New("sign: not an Ed25519 key")
	}
	sig := Signature{Algorithm: "ed25519", KeyID: KeyID(pub), Signature: base64.StdEncoding.EncodeToString(ed25519.Sign(key, manifest))}
	b, err := json.MarshalIndent(sig, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// GenerateKey makes a key pair and returns them PEM-encoded (PKCS #8
// private key, PKIX public key), as signing.GenerateKey.
func GenerateKey() (private, public []byte, err error) { return signing.GenerateKey(nil) }

// ParsePrivateKey reads a PEM PKCS #8 Ed25519 private key (see
// signing.ParsePrivateKey: one PEM block, nothing else).
func ParsePrivateKey(data []byte) (ed25519.PrivateKey, error) {
	k, err := signing.ParsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("%w (make one with pvaudit evidence keygen)", err)
	}
	return k, nil
}

// ParsePublicKey reads a PEM PKIX Ed25519 public key.
func ParsePublicKey(data []byte) (ed25519.PublicKey, error) {
	return signing.ParsePublicKey(data)
}

// SignatureState says what became of the signature check.
type SignatureState string

// Signature states.
const (
	Unsigned    SignatureState = "unsigned"     // no manifest.sig, no key asked for
	NotChecked  SignatureState = "not-checked"  // signed, but no --verify-key given
	Valid       SignatureState = "valid"        // signed by the given key
	Invalid     SignatureState = "invalid"      // the signature does not verify with the key
	Missing     SignatureState = "missing"      // a key was given but there is no signature
	Unreadable  SignatureState = "unreadable"   // manifest.sig is not a signature
	OtherKeyErr SignatureState = "other-key-id" // signed by another key
)

// Result is what Verify found.
type Result struct {
	Source    string         `json:"source"`
	Files     int            `json:"files"`
	Added     []string       `json:"added"`
	Missing   []string       `json:"missing"`
	Altered   []string       `json:"altered"`
	Signature SignatureState `json:"signature"`
	KeyID     string         `json:"key_id,omitempty"`
	// Problems are the reasons verification failed, in words.
	Problems []string `json:"problems"`
}

// OK reports whether the bundle is intact (and, when a key was given,
// signed by it).
func (r *Result) OK() bool { return len(r.Problems) == 0 }

// Verify recomputes every file's hash against the manifest and, with pub,
// checks the signature. A file the manifest does not list is added, one it
// lists but the bundle lacks is missing, one whose hash or size differs is
// altered; each fails verification.
func Verify(b *Bundle, pub ed25519.PublicKey) (*Result, error) {
	m, err := b.ReadManifest()
	if err != nil {
		return nil, err
	}
	res := &Result{Source: b.Source, Added: []string{}, Missing: []string{}, Altered: []string{}, Problems: []string{}}
	listed := map[string]FileEntry{}
	for _, e := range m.Files {
		if err := validName(e.Path); err != nil || e.Path == ManifestFile || e.Path == SignatureFile {
			res.Problems = append(res.Problems, fmt.Sprintf("manifest lists a bad file name %q", e.Path))
			continue
		}
		if _, dup := listed[e.Path]; dup {
			res.Problems = append(res.Problems, fmt.Sprintf("manifest lists %s twice", e.Path))
		}
		listed[e.Path] = e
	}
	for name, data := range b.Files {
		if name == ManifestFile || name == SignatureFile {
			continue
		}
		res.Files++
		e, ok := listed[name]
		switch {
		case !ok:
			res.Added = append(res.Added, name)
		case e.Size != len(data) || e.SHA256 != Sum(data):
			res.Altered = append(res.Altered, name)
		}
	}
	for name := range listed {
		if _, ok := b.Files[name]; !ok {
			res.Missing = append(res.Missing, name)
		}
	}
	sort.Strings(res.Added)
	sort.Strings(res.Missing)
	sort.Strings(res.Altered)
	for _, x := range res.Added {
		res.Problems = append(res.Problems, "added (not in the manifest): "+x)
	}
	for _, x := range res.Missing {
		res.Problems = append(res.Problems, "missing (in the manifest, not in the bundle): "+x)
	}
	for _, x := range res.Altered {
		res.Problems = append(res.Problems, "altered (hash or size differs): "+x)
	}
	res.Signature, res.KeyID = checkSignature(b, pub)
	switch res.Signature {
	case Invalid:
		res.Problems = append(res.Problems, "the signature does not verify with the given key: manifest.json was altered, or another key signed it")
	case Missing:
		res.Problems = append(res.Problems, "a verify key was given but the bundle has no manifest.sig")
	case Unreadable:
		res.Problems = append(res.Problems, "manifest.sig is not a pvaudit signature")
	case OtherKeyErr:
		res.Problems = append(res.Problems, "manifest.sig was made by key "+res.KeyID+", not the given key")
	}
	return res, nil
}

func checkSignature(b *Bundle, pub ed25519.PublicKey) (SignatureState, string) {
	raw, signed := b.Files[SignatureFile]
	if !signed {
		if pub != nil {
			return Missing, ""
		}
		return Unsigned, ""
	}
	var sig Signature
	if err := json.Unmarshal(raw, &sig); err != nil || sig.Algorithm != "ed25519" {
		return Unreadable, ""
	}
	if pub == nil {
		return NotChecked, sig.KeyID
	}
	if sig.KeyID != KeyID(pub) {
		return OtherKeyErr, sig.KeyID
	}
	s, err := base64.StdEncoding.DecodeString(sig.Signature)
	if err != nil || len(s) != ed25519.SignatureSize {
		return Unreadable, sig.KeyID
	}
	if !ed25519.Verify(pub, b.Files[ManifestFile], s) {
		return Invalid, sig.KeyID
	}
	return Valid, sig.KeyID
}
