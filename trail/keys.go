package trail

import (
	"bytes"
	"context"
	"crypto/md5" // CloudTrail names keys by an MD5 fingerprint; it only selects a key, the signature proves

	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
)

// PublicKey is a key CloudTrail signs digest files with. CloudTrail uses
// one key pair per region and rotates them; a digest names the key by its
// fingerprint (digestPublicKeyFingerprint).
type PublicKey struct {
	// Fingerprint is the hex MD5 of the key's DER PKCS#1 form, which is
	// how ListPublicKeys and the digests name keys.
	Fingerprint string
	Key         *rsa.PublicKey
	// ValidFrom and ValidUntil are the key's validity, when known. They
	// are reported, not enforced: a digest is checked with the key it
	// names.
	ValidFrom, ValidUntil time.Time
	// Source says where the key came from (a file, "ListPublicKeys").
	Source string
}

// Fingerprint computes a key's CloudTrail fingerprint: the hex MD5 of its
// DER PKCS#1 encoding.
func Fingerprint(k *rsa.PublicKey) string {
	sum := md5.Sum(x509.MarshalPKCS1PublicKey(k))
	return hex.EncodeToString(sum[:])
}

// newPublicKey parses a DER key (PKCS#1, as ListPublicKeys returns it, or
// PKIX) and checks a stated fingerprint against the computed one.
func newPublicKey(der []byte, stated, source string) (PublicKey, error) {
	var pub *rsa.PublicKey
	if k, err := x509.ParsePKCS1PublicKey(der); err == nil {
		pub = k
	} else if k, err2 := x509.ParsePKIXPublicKey(der); err2 == nil {
		rk, ok := k.(*rsa.PublicKey)
		if !ok {
			return PublicKey{}, fmt.Errorf("%s: not an RSA key (%T)", source, k)
		}
		pub = rk
	} else {
		return PublicKey{}, fmt.Errorf("%s: not a DER RSA public key (PKCS#1: %v; PKIX: %v)", source, err, err2)
	}
	pk := PublicKey{Fingerprint: Fingerprint(pub), Key: pub, Source: source}
	if stated != "" && !strings.EqualFold(stated, pk.Fingerprint) {
		return PublicKey{}, fmt.Errorf("%s: stated fingerprint %s, but the key's is %s", source, stated, pk.Fingerprint)
	}
	return pk, nil
}

// listedKeys is what `aws cloudtrail list-public-keys` prints.
type listedKeys struct {
	PublicKeyList []struct {
		Value             string          `json:"Value"`
		Fingerprint       string          `json:"Fingerprint"`
		ValidityStartTime json.RawMessage `json:"ValidityStartTime"`
		ValidityEndTime   json.RawMessage `json:"ValidityEndTime"`
	} `json:"PublicKeyList"`
}

// ParsePublicKeys reads digest public keys from a file's contents (name
// labels errors and the keys' Source). Accepted: the JSON that
// `aws cloudtrail list-public-keys` prints (base64 DER values with their
// fingerprints and validity); PEM blocks "PUBLIC KEY" (PKIX) or "RSA
// PUBLIC KEY" (PKCS#1), any number of them; one base64 DER key; raw DER.
// Fingerprints are computed, and a stated fingerprint must match.
func ParsePublicKeys(name string, b []byte) ([]PublicKey, error) {
	t := bytes.TrimSpace(b)
	switch {
	case len(t) == 0:
		return nil, fmt.Errorf("%s: no public key", name)
	case t[0] == '{':
		var lk listedKeys
		if err := json.Unmarshal(t, &lk); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if len(lk.PublicKeyList) == 0 {
			return nil, fmt.Errorf("%s: PublicKeyList is empty", name)
		}
		var out []PublicKey
		for i, e := range lk.PublicKeyList {
			src := fmt.Sprintf("%s#%d", name, i)
			der, err := base64.StdEncoding.DecodeString(strings.TrimSpace(e.Value))
			if err != nil {
				return nil, fmt.Errorf("%s: Value: %w", src, err)
			}
			pk, err := newPublicKey(der, e.Fingerprint, src)
			if err != nil {
				return nil, err
			}
			if pk.ValidFrom, err = parseKeyTime(e.ValidityStartTime); err != nil {
				return nil, fmt.Errorf("%s: ValidityStartTime: %w", src, err)
			}
			if pk.ValidUntil, err = parseKeyTime(e.ValidityEndTime); err != nil {
				return nil, fmt.Errorf("%s: ValidityEndTime: %w", src, err)
			}
			out = append(out, pk)
		}
		return out, nil
	case bytes.HasPrefix(t, []byte("-----BEGIN")):
		var out []PublicKey
		rest := t
		for {
			var blk *pem.Block
			blk, rest = pem.Decode(rest)
			if blk == nil {
				break
			}
			if blk.Type != "PUBLIC KEY" && blk.Type != "RSA PUBLIC KEY" {
				return nil, fmt.Errorf("%s: PEM block %q is not a public key", name, blk.Type)
			}
			pk, err := newPublicKey(blk.Bytes, "", fmt.Sprintf("%s#%d", name, len(out)))
			if err != nil {
				return nil, err
			}
			out = append(out, pk)
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("%s: no PEM block", name)
		}
		return out, nil
	}
	der := b
	if d, err := base64.StdEncoding.DecodeString(string(t)); err == nil {
		der = d
	}
	pk, err := newPublicKey(der, "", name)
	if err != nil {
		return nil, err
	}
	return []PublicKey{pk}, nil
}

// parseKeyTime reads a validity time as the AWS CLI prints it: RFC 3339,
// or epoch seconds (a number or a string holding one); null or absent is
// zero.
func parseKeyTime(raw json.RawMessage) (time.Time, error) {
	s := strings.Trim(strings.TrimSpace(string(raw)), `"`)
	if s == "" || s == "null" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("unrecognised time %q", s)
	}
	return time.Unix(0, int64(f*float64(time.Second))).UTC(), nil
}

// PublicKeysAPI is the CloudTrail operation FetchPublicKeys needs. Keys
// are regional: call it with a client of each region whose digests are
// verified (WalkStats.DigestRegions).
type PublicKeysAPI interface {
	cloudtrail.ListPublicKeysAPIClient
}

// FetchPublicKeys lists the digest signing keys valid between start and
// end (ListPublicKeys, every page).
func FetchPublicKeys(ctx context.Context, api PublicKeysAPI, start, end time.Time) ([]PublicKey, error) {
	in := &cloudtrail.ListPublicKeysInput{}
	if !start.IsZero() {
		in.StartTime = aws.Time(start)
	}
	if !end.IsZero() {
		in.EndTime = aws.Time(end)
	}
	var out []PublicKey
	p := cloudtrail.NewListPublicKeysPaginator(api, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("cloudtrail:ListPublicKeys: %w", err)
		}
		for _, k := range page.PublicKeyList {
			pk, err := newPublicKey(k.Value, aws.ToString(k.Fingerprint), "ListPublicKeys")
			if err != nil {
				return nil, err
			}
			pk.ValidFrom, pk.ValidUntil = aws.ToTime(k.ValidityStartTime).UTC(), aws.ToTime(k.ValidityEndTime).UTC()
			if k.ValidityStartTime == nil {
				pk.ValidFrom = time.Time{}
			}
			if k.ValidityEndTime == nil {
				pk.ValidUntil = time.Time{}
			}
			out = append(out, pk)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("cloudtrail:ListPublicKeys: no key for the period")
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Fingerprint < out[j].Fingerprint })
	return out, nil
}
