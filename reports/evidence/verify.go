package evidence

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"sort"
)

// Signature is manifest.sig: an Ed25519 signature of manifest.json's exact
// bytes and the ID (SHA-256 of the public key) of the key that made it.
type Signature struct {
	Algorithm string `json:"algorithm"`
	KeyID     string `json:"key_id"`
	Signature string `json:"signature"`
}

// KeyID identifies a public key: sha256: and the hash of its raw bytes.
func KeyID(pub ed25519.PublicKey) string {
	h := sha256.Sum256(pub)
	return "sha256:" + hex.EncodeToString(h[:])
}

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
// private key, PKIX public key).
func GenerateKey() (private, public []byte, err error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	p8, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, nil, err
	}
	pk, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pk}), nil
}

// ParsePrivateKey reads a PEM PKCS #8 Ed25519 private key.
func ParsePrivateKey(data []byte) (ed25519.PrivateKey, error) {
	blk, _ := pem.Decode(data)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, errors.New("not a PEM \"PRIVATE KEY\" (make one with pvaudit evidence keygen)")
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("private key: %w", err)
	}
	ek, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("private key is %T, want Ed25519", k)
	}
	return ek, nil
}

// ParsePublicKey reads a PEM PKIX Ed25519 public key.
func ParsePublicKey(data []byte) (ed25519.PublicKey, error) {
	blk, _ := pem.Decode(data)
	if blk == nil || blk.Type != "PUBLIC KEY" {
		return nil, errors.New("not a PEM \"PUBLIC KEY\" (pvaudit evidence keygen writes one)")
	}
	k, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	ek, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("public key is %T, want Ed25519", k)
	}
	return ek, nil
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
