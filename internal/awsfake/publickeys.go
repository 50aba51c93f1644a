package awsfake

import (
	"crypto/md5" // CloudTrail names digest keys by the MD5 of their DER form
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// digestKey is a CloudTrail digest signing key ListPublicKeys returns.
type digestKey struct {
	der        []byte
	from, till time.Time
}

// AddDigestPublicKey makes ListPublicKeys return der (a PKCS#1 DER RSA
// public key, as CloudTrail returns it) valid from from until till.
func (s *Server) AddDigestPublicKey(der []byte, from, till time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.digestKeys = append(s.digestKeys, digestKey{der: append([]byte(nil), der...), from: from.UTC(), till: till.UTC()})
}

type listPublicKeysInput struct {
	StartTime *float64
	EndTime   *float64
	NextToken string
}

// ctListPublicKeys answers cloudtrail:ListPublicKeys: the keys valid at some
// time in [StartTime, EndTime], a page at a time when Faults.PageSize asks.
func (s *Server) ctListPublicKeys(ex *exchange) ([]byte, *apiError) {
	var in listPublicKeysInput
	if len(ex.body) > 0 {
		if err := json.Unmarshal(ex.body, &in); err != nil {
			return nil, newErr(http.StatusBadRequest, "SerializationException", "%v", err)
		}
	}
	var hits []digestKey
	for _, k := range s.digestKeys {
		if in.EndTime != nil && k.from.After(epoch(*in.EndTime)) {
			continue
		}
		if in.StartTime != nil && k.till.Before(epoch(*in.StartTime)) {
			continue
		}
		hits = append(hits, k)
	}
	offset := 0
	if in.NextToken != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(in.NextToken, "keys:"))
		if err != nil || !strings.HasPrefix(in.NextToken, "keys:") || n < 0 || n > len(hits) {
			return nil, newErr(http.StatusBadRequest, "InvalidTokenException", "Invalid NextToken.")
		}
		offset = n
	}
	last := len(hits)
	if s.faults.PageSize > 0 {
		last = min(offset+s.faults.PageSize, len(hits))
	}
	type key struct {
		Value             string  `json:"Value"`
		ValidityStartTime float64 `json:"ValidityStartTime"`
		ValidityEndTime   float64 `json:"ValidityEndTime"`
		Fingerprint       string  `json:"Fingerprint"`
	}
	out := struct {
		PublicKeyList []key  `json:"PublicKeyList"`
		NextToken     string `json:"NextToken,omitempty"`
	}{PublicKeyList: []key{}}
	for _, k := range hits[offset:last] {
		sum := md5.Sum(k.der)
		out.PublicKeyList = append(out.PublicKeyList, key{
			Value: base64.StdEncoding.EncodeToString(k.der), Fingerprint: hex.EncodeToString(sum[:]),
			ValidityStartTime: float64(k.from.Unix()), ValidityEndTime: float64(k.till.Unix()),
		})
	}
	if last < len(hits) {
		out.NextToken = "keys:" + strconv.Itoa(last)
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, newErr(http.StatusInternalServerError, "InternalFailure", "%v", err)
	}
	return b, nil
}
