package signing

import (
	"errors"
	"strings"
	"testing"
)

func TestSignVerify(t *testing.T) {
	t.Parallel()
	priv1, pub1, err := GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	_, pub2, err := GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	k1, err := ParsePrivateKey(priv1)
	if err != nil {
		t.Fatal(err)
	}
	p1, err := ParsePublicKey(pub1)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := ParsePublicKey(pub2)
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("pvaudit baseline")
	sig := Sign(k1, msg)
	if sig.KeyID != KeyID(p1) || !strings.HasPrefix(sig.KeyID, "sha256:") {
		t.Errorf("key id %q, want %q", sig.KeyID, KeyID(p1))
	}
	cases := []struct {
		name string
		pub  []byte
		msg  string
		sig  Signature
		ok   bool
	}{
		{"right key", pub1, "pvaudit baseline", sig, true},
		{"other key", pub2, "pvaudit baseline", sig, false},
		{"other message", pub1, "pvaudit baseline!", sig, false},
		{"other algorithm", pub1, "pvaudit baseline", Signature{Algorithm: "rsa", Value: sig.Value}, false},
		{"garbage value", pub1, "pvaudit baseline", Signature{Algorithm: Algorithm, Value: "!!"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pub := p1
			if string(tc.pub) == string(pub2) {
				pub = p2
			}
			err := Verify(pub, []byte(tc.msg), tc.sig)
			if tc.ok && err != nil {
				t.Errorf("got %v, want it to verify", err)
			}
			if !tc.ok && !errors.Is(err, ErrBadSignature) {
				t.Errorf("got %v, want ErrBadSignature", err)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	t.Parallel()
	priv, pub, err := GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	rsaLike := "-----BEGIN PUBLIC KEY-----\nMFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAMxPfN9Xg4sSqb1f1k6kSqvW8oKQ1YwzvQJzSq3xq9Hn0Qm9y5oXb7xM7oRr2w9Zb4h2vZ0S2l2n7i0m1lq0bE8CAwEAAQ==\n-----END PUBLIC KEY-----\n"
	cases := []struct {
		name string
		data string
		pub  bool
	}{
		{"public as private", string(pub), false},
		{"private as public", string(priv), true},
		{"empty", "", true},
		{"two blocks", string(pub) + string(pub), true},
		{"not ed25519", rsaLike, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var err error
			if tc.pub {
				_, err = ParsePublicKey([]byte(tc.data))
			} else {
				_, err = ParsePrivateKey([]byte(tc.data))
			}
			if !errors.Is(err, ErrBadKey) {
				t.Errorf("got %v, want ErrBadKey", err)
			}
		})
	}
}
