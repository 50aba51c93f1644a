// Package signing holds pvaudit's Ed25519 key handling, standard library
// only: keys are PEM files, the private key PKCS#8 ("PRIVATE KEY") and the
// public key PKIX ("PUBLIC KEY"), the forms `openssl genpkey -algorithm
// ed25519` and `openssl pkey -pubout` write. Baselines and evidence bundles
// use the same keys, parsed and named (KeyID) the same way.
package signing

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
)

// Algorithm is the only signature algorithm pvaudit writes and accepts.
const Algorithm = "ed25519"

// ErrBadKey is wrapped by every error about a key file's content.
var ErrBadKey = errors.New("not an Ed25519 key")

// ErrBadSignature is returned by Verify when the signature does not match.
var ErrBadSignature = errors.New("signature does not verify")

// GenerateKey makes a key pair and returns both halves as PEM. rand may be
// nil (crypto/rand).
func GenerateKey(r io.Reader) (privatePEM, publicPEM []byte, err error) {
	if r == nil {
		r = rand.Reader
	}
	pub, priv, err := ed25519.GenerateKey(r)
	if err != nil {
		return nil, nil, fmt.Errorf("generate Ed25519 key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, nil, fmt.Errorf("encode private key: %w", err)
	}
	pder, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, nil, fmt.Errorf("encode public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pder}), nil
}

// onePEM decodes exactly one PEM block of the given type.
func onePEM(data []byte, typ string) ([]byte, error) {
	b, rest := pem.Decode(data)
	if b == nil {
		return nil, fmt.Errorf("no PEM block: %w", ErrBadKey)
	}
	if b.Type != typ {
		return nil, fmt.Errorf("PEM block is %q, want %q: %w", b.Type, typ, ErrBadKey)
	}
	if p, _ := pem.Decode(rest); p != nil {
		return nil, fmt.Errorf("more than one PEM block: %w", ErrBadKey)
	}
	return b.Bytes, nil
}

// ParsePrivateKey reads a PEM PKCS#8 Ed25519 private key.
func ParsePrivateKey(data []byte) (ed25519.PrivateKey, error) {
	der, err := onePEM(data, "PRIVATE KEY")
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("PKCS#8: %v: %w", err, ErrBadKey)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("the key is a %T: %w", k, ErrBadKey)
	}
	return priv, nil
}

// ParsePublicKey reads a PEM PKIX Ed25519 public key.
func ParsePublicKey(data []byte) (ed25519.PublicKey, error) {
	der, err := onePEM(data, "PUBLIC KEY")
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("PKIX: %v: %w", err, ErrBadKey)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("the key is a %T: %w", k, ErrBadKey)
	}
	return pub, nil
}

// KeyID names a public key: "sha256:" and the SHA-256 (hex) of its PKIX
// (DER) encoding, so a report can say which key signed; `openssl pkey
// -pubin -in KEY.pub -outform DER | sha256sum` prints the same digest.
func KeyID(pub ed25519.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return ""
	}
	h := sha256.Sum256(der)
	return "sha256:" + hex.EncodeToString(h[:])
}

// Signature is a detached signature as files carry it.
type Signature struct {
	Algorithm string `json:"algorithm"`
	KeyID     string `json:"key_id"`
	Value     string `json:"value"` // standard base64
}

// Sign signs msg.
func Sign(priv ed25519.PrivateKey, msg []byte) Signature {
	return Signature{Algorithm: Algorithm, KeyID: KeyID(priv.Public().(ed25519.PublicKey)),
		Value: base64.StdEncoding.EncodeToString(ed25519.Sign(priv, msg))}
}

// Verify checks sig over msg with pub. A signature by another key, of
// another message, or in another algorithm is ErrBadSignature.
func Verify(pub ed25519.PublicKey, msg []byte, sig Signature) error {
	if sig.Algorithm != Algorithm {
		return fmt.Errorf("algorithm %q, want %q: %w", sig.Algorithm, Algorithm, ErrBadSignature)
	}
	raw, err := base64.StdEncoding.DecodeString(sig.Value)
	if err != nil || len(raw) != ed25519.SignatureSize {
		return fmt.Errorf("malformed signature value: %w", ErrBadSignature)
	}
	if !ed25519.Verify(pub, msg, raw) {
		if id := KeyID(pub); sig.KeyID != "" && sig.KeyID != id {
			return fmt.Errorf("signed by key %s, checked with %s: %w", sig.KeyID, id, ErrBadSignature)
		}
		return ErrBadSignature
	}
	return nil
}
