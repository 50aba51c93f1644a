package baseline

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pvaudit/pvaudit/internal/signing"
)

func testBaseline(t *testing.T) *Baseline {
	t.Helper()
	c := testContract(t)
	return &Baseline{Tool: "pvaudit", Version: "test", Command: "baseline save", SavedAt: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC),
		Contract: ContractRef{Name: "pennsieve", Source: "pennsieve", SHA256: "ab"}, Parameters: ParametersOf(c.Parameters),
		Complete: true, State: *stateOf(t, fixture(t), c)}
}

func keys(t *testing.T) (ed25519.PrivateKey, ed25519.PublicKey, ed25519.PublicKey) {
	t.Helper()
	privPEM, pubPEM, err := signing.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	_, otherPEM, err := signing.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	priv, _ := signing.ParsePrivateKey(privPEM)
	pub, _ := signing.ParsePublicKey(pubPEM)
	other, _ := signing.ParsePublicKey(otherPEM)
	return priv, pub, other
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	b := testBaseline(t)
	data, integ, err := Encode(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, integ2, err := Decode(data, "b.json", nil)
	if err != nil {
		t.Fatal(err)
	}
	if integ2.ContentSHA256 != integ.ContentSHA256 || integ2.Signature != "unsigned" {
		t.Errorf("integrity %+v, want %+v unsigned", integ2, integ)
	}
	again, _, err := Encode(got, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, data) {
		t.Error("decode → encode does not give the same bytes")
	}
	if items, _ := Diff(&got.State, &b.State, Options{Contract: testContract(t)}); len(items) != 0 {
		t.Errorf("a decoded baseline differs from what was saved: %v", kinds(items))
	}
}

// TestTamperedRefused: any change to the content is refused, whether or
// not the hash was recomputed to match (then the content is not canonical,
// or the signature fails).
var positionRE = regexp.MustCompile(`^b\.json:\d+:\d+: `)

func TestTamperedRefused(t *testing.T) {
	t.Parallel()
	priv, pub, other := keys(t)
	b := testBaseline(t)
	plain, _, err := Encode(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	signed, _, err := Encode(b, priv)
	if err != nil {
		t.Fatal(err)
	}
	rehash := func(data []byte, edit func(content []byte) []byte) []byte {
		i := bytes.Index(data, []byte(`"content":`)) + len(`"content":`)
		content := edit(bytes.Clone(data[i : len(data)-2]))
		h := sha256.Sum256(content)
		head := string(data[:i])
		j := strings.Index(head, `"content_sha256":"`) + len(`"content_sha256":"`)
		head = head[:j] + hex.EncodeToString(h[:]) + head[j+64:]
		return append(append([]byte(head), content...), "}\n"...)
	}
	cases := []struct {
		name string
		data []byte
		key  ed25519.PublicKey
		want error
	}{
		{"a role removed from the trust", bytes.Replace(plain, []byte("941377122013"), []byte("444455556666"), 1), nil, ErrModified},
		{"one byte", func() []byte { d := bytes.Clone(plain); d[len(d)/2] ^= 1; return d }(), nil, nil},
		{"hash recomputed, content not canonical", rehash(plain, func(c []byte) []byte { return bytes.Replace(c, []byte(`{"name"`), []byte(`{ "name"`), 1) }), nil, ErrModified},
		{"hash recomputed, case-variant key", rehash(plain, func(c []byte) []byte {
			return bytes.Replace(c, []byte(`"tool":"pvaudit"`), []byte(`"tool":"pvaudit","TOOL":"x"`), 1)
		}), nil, ErrMalformed},
		{"hash recomputed, wrong type", rehash(plain, func(c []byte) []byte {
			return bytes.Replace(c, []byte(`"tool":"pvaudit"`), []byte(`"tool":7`), 1)
		}), nil, ErrMalformed},
		{"hash recomputed, nested duplicate key", rehash(plain, func(c []byte) []byte {
			return bytes.Replace(c, []byte(`"Effect":"Allow"`), []byte(`"Effect":"Allow","Effect":"Deny"`), 1)
		}), nil, ErrMalformed},
		{"unknown top-level key", bytes.Replace(plain, []byte(`{"schema"`), []byte(`{"extra":1,"schema"`), 1), nil, ErrMalformed},
		{"an array", []byte(`[]`), nil, ErrMalformed},
		{"hash recomputed, duplicate key", rehash(plain, func(c []byte) []byte {
			return bytes.Replace(c, []byte(`"tool":"pvaudit"`), []byte(`"tool":"pvaudit","tool":"x"`), 1)
		}), nil, ErrMalformed},
		{"hash recomputed, unknown field", rehash(plain, func(c []byte) []byte {
			return bytes.Replace(c, []byte(`"tool":"pvaudit"`), []byte(`"tool":"pvaudit","surprise":1`), 1)
		}), nil, ErrMalformed},
		{"hash recomputed on a signed file", rehash(signed, func(c []byte) []byte { return bytes.Replace(c, []byte("941377122013"), []byte("444455556666"), 1) }), pub, ErrSignature},
		{"signed by another key", signed, other, ErrSignature},
		{"unsigned, a key given", plain, pub, ErrUnsigned},
		{"wrong schema", bytes.Replace(plain, []byte(Schema), []byte("pvaudit.baseline/v0"), 1), nil, ErrMalformed},
		{"not JSON", []byte("<html>"), nil, ErrMalformed},
		{"nested too deep", []byte(strings.Repeat("[", 100) + strings.Repeat("]", 100)), nil, ErrMalformed},
		{"truncated", plain[:len(plain)/3], nil, ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := Decode(tc.data, "b.json", tc.key)
			if err == nil {
				t.Fatal("accepted")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
			// Every refusal names the file and, being about a place in
			// it, the line and column.
			var ie *InputError
			if !errors.As(err, &ie) || !positionRE.MatchString(err.Error()) {
				t.Errorf("%v: not a file:line:column error", err)
			}
		})
	}
	t.Run("the untouched files pass", func(t *testing.T) {
		t.Parallel()
		if _, in, err := Decode(signed, "b.json", pub); err != nil || in.Signature != "verified" {
			t.Errorf("signed with the right key: %v %+v", err, in)
		}
		if _, in, err := Decode(signed, "b.json", nil); err != nil || in.Signature != "not verified" {
			t.Errorf("signed, no key: %v %+v", err, in)
		}
		if !strings.Contains(ErrModified.Error(), "baseline was modified after it was saved") {
			t.Error("the message the issue asks for")
		}
	})
}
