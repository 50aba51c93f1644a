package trail

import (
	"encoding/binary"
	"strconv"
	"strings"
	"time"
)

// The fast path reads a record in one pass, without encoding/json: it
// validates the whole record with encoding/json's grammar, and keeps the
// spans of the fields a Record holds. It claims a record only when the
// answer is certainly what DecodeRecord would give: every key of a decoded
// level spelled exactly as CloudTrail does (no escapes, no other case, no
// duplicates), every field's value a string without escapes or non-ASCII
// bytes, null, a number or true/false, every nested struct an object or
// null, an eventTime that parses. Anything else (and any JSON error) makes
// it decline, and the record goes to DecodeRecord, which decides it as
// before. TestFastDecodeMatchesDecodeRecord and FuzzFastDecode hold it to
// that.

// Field indices of fastRecord.f.
const (
	fEventVersion = iota
	fEventID
	fSharedEventID
	fEventTime
	fTimestamp
	fEventSource
	fEventName
	fAWSRegion
	fSourceIP
	fUserAgent
	fErrorCode
	fErrorMessage
	fRecipient
	fUType
	fUPrincipalID
	fUARN
	fUAccountID
	fUAccessKeyID
	fUUserName
	fUInvokedBy
	fIssuerARN
	fQRoleARN
	fQRoleSessionName
	fQExternalID
	fQDuration
	fQRoleName
	fQUserName
	fQPolicyARN
	fQBoundary
	fQPolicyName
	fQGroupName
	fCredKey
	fCredExpiration
	fAssumedARN
	fRoleARN
	nFields
)

// Struct levels (objects decoded into a struct by DecodeRecord), also
// used as "seen" bits for duplicate keys.
const (
	lTop = iota
	lIdentity
	lSession
	lIssuer
	lRequest
	lResponse
	lCreds
	lAssumed
	lRole
)

// Value kinds of a field.
const (
	vAbsent = iota
	vString // a string without escapes or non-ASCII bytes: b is its content
	vNull
	vLiteral // a number, true or false: b is the token
)

type fval struct {
	b    []byte
	kind uint8
}

// fastRecord is the fast path's view of a record: spans into its bytes.
type fastRecord struct {
	f [nFields]fval
	// objects: which struct-valued keys were objects (bit per level);
	// seenObj: which were present at all.
	objects, seenObj uint16
	// externalIDSeen: requestParameters.externalId present (any value).
	time time.Time
}

type fastScanner struct {
	b   []byte
	r   *fastRecord
	bad bool // declined: not certain to match DecodeRecord
}

// maxFastDepth bounds nesting on the fast path; deeper records go to
// DecodeRecord (whose own limit is 10,000).
const maxFastDepth = 200

// scanFast reads rec into r. ok is false when the fast path declines.
func scanFast(rec []byte, r *fastRecord) (ok bool) {
	i := skipWS(rec, 0)
	end, ok := scanFastAt(rec, i, r)
	return ok && skipWS(rec, end) == len(rec)
}

// scanFastAt reads the record starting at b[i] into r and returns the
// index after it. ok is false when the fast path declines.
func scanFastAt(b []byte, i int, r *fastRecord) (end int, ok bool) {
	*r = fastRecord{}
	s := fastScanner{b: b, r: r}
	if i >= len(b) || b[i] != '{' {
		return 0, false
	}
	end = s.object(i, lTop, 1)
	if s.bad || end < 0 {
		return 0, false
	}
	ts := r.f[fEventTime]
	if ts.kind == vNull || ts.kind == vAbsent || (ts.kind == vString && len(ts.b) == 0) {
		ts = r.f[fTimestamp]
	}
	if ts.kind != vString || len(ts.b) == 0 {
		return 0, false
	}
	t, err := time.Parse(time.RFC3339Nano, string(ts.b))
	if err != nil {
		return 0, false
	}
	r.time = t.UTC()
	return end, true
}

func skipWS(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// field maps a key of a struct level to a field index, or to a child
// level (child >= 0). known is false for keys the level does not decode.
func field(level int, key []byte) (idx, child int, known bool) {
	switch level {
	case lTop:
		switch string(key) {
		case "eventVersion":
			return fEventVersion, -1, true
		case "eventID":
			return fEventID, -1, true
		case "sharedEventID":
			return fSharedEventID, -1, true
		case "eventTime":
			return fEventTime, -1, true
		case "@timestamp":
			return fTimestamp, -1, true
		case "eventSource":
			return fEventSource, -1, true
		case "eventName":
			return fEventName, -1, true
		case "awsRegion":
			return fAWSRegion, -1, true
		case "sourceIPAddress":
			return fSourceIP, -1, true
		case "userAgent":
			return fUserAgent, -1, true
		case "errorCode":
			return fErrorCode, -1, true
		case "errorMessage":
			return fErrorMessage, -1, true
		case "recipientAccountId":
			return fRecipient, -1, true
		case "userIdentity":
			return -1, lIdentity, true
		case "requestParameters":
			return -1, lRequest, true
		case "responseElements":
			return -1, lResponse, true
		}
	case lIdentity:
		switch string(key) {
		case "type":
			return fUType, -1, true
		case "principalId":
			return fUPrincipalID, -1, true
		case "arn":
			return fUARN, -1, true
		case "accountId":
			return fUAccountID, -1, true
		case "accessKeyId":
			return fUAccessKeyID, -1, true
		case "userName":
			return fUUserName, -1, true
		case "invokedBy":
			return fUInvokedBy, -1, true
		case "sessionContext":
			return -1, lSession, true
		}
	case lSession:
		if string(key) == "sessionIssuer" {
			return -1, lIssuer, true
		}
	case lIssuer:
		if string(key) == "arn" {
			return fIssuerARN, -1, true
		}
	case lRequest:
		switch string(key) {
		case "roleArn":
			return fQRoleARN, -1, true
		case "roleSessionName":
			return fQRoleSessionName, -1, true
		case "externalId":
			return fQExternalID, -1, true
		case "durationSeconds":
			return fQDuration, -1, true
		case "roleName":
			return fQRoleName, -1, true
		case "userName":
			return fQUserName, -1, true
		case "policyArn":
			return fQPolicyARN, -1, true
		case "permissionsBoundary":
			return fQBoundary, -1, true
		case "policyName":
			return fQPolicyName, -1, true
		case "groupName":
			return fQGroupName, -1, true
		}
	case lResponse:
		switch string(key) {
		case "credentials":
			return -1, lCreds, true
		case "assumedRoleUser":
			return -1, lAssumed, true
		case "role":
			return -1, lRole, true
		}
	case lCreds:
		switch string(key) {
		case "accessKeyId":
			return fCredKey, -1, true
		case "expiration":
			return fCredExpiration, -1, true
		}
	case lAssumed:
		if string(key) == "arn" {
			return fAssumedARN, -1, true
		}
	case lRole:
		if string(key) == "arn" {
			return fRoleARN, -1, true
		}
	}
	return 0, 0, false
}

// lookalike reports whether key, not an exact field name of level, might
// still be matched to one by encoding/json (which folds case, Unicode
// included, after unescaping): escapes, non-ASCII bytes, or an ASCII
// case variant of a field name.
func lookalike(level int, key []byte) bool {
	if len(key) > 0 && len(key) < 32 && key[0] < 0x80 && key[0] != '\\' &&
		levelShapes[level][len(key)]&firstBit(key[0]) == 0 {
		return false // no field name has this length and first letter
	}
	for _, c := range key {
		if c == '\\' || c >= 0x80 {
			return true
		}
	}
	for _, n := range levelNames[level] {
		if len(n) == len(key) && strings.EqualFold(n, string(key)) {
			return true
		}
	}
	return false
}

// firstBit is a bit for a key's first byte, case folded: letters by
// their position in the alphabet, anything else bit 31.
func firstBit(c byte) uint32 {
	c |= 0x20
	if 'a' <= c && c <= 'z' {
		return 1 << (c - 'a')
	}
	return 1 << 31
}

// levelShapes holds, per level and name length, the first letters of its
// field names: a key whose length and first letter are not there cannot
// fold to a field name.
var levelShapes = func() (t [len(levelNames)][32]uint32) {
	for l, names := range levelNames {
		for _, n := range names {
			t[l][len(n)] |= firstBit(n[0])
		}
	}
	return t
}()

// levelNames are the field names of each struct level.
var levelNames = [...][]string{
	lTop: {"eventVersion", "eventID", "sharedEventID", "eventTime", "@timestamp", "eventSource", "eventName", "awsRegion",
		"sourceIPAddress", "userAgent", "errorCode", "errorMessage", "recipientAccountId", "userIdentity",
		"requestParameters", "responseElements"},
	lIdentity: {"type", "principalId", "arn", "accountId", "accessKeyId", "userName", "invokedBy", "sessionContext"},
	lSession:  {"sessionIssuer"},
	lIssuer:   {"arn"},
	lRequest: {"roleArn", "roleSessionName", "externalId", "durationSeconds", "roleName", "userName", "policyArn",
		"permissionsBoundary", "policyName", "groupName"},
	lResponse: {"credentials", "assumedRoleUser", "role"},
	lCreds:    {"accessKeyId", "expiration"},
	lAssumed:  {"arn"},
	lRole:     {"arn"},
}

// object scans the object at b[i] ('{') decoded as struct level, and
// returns the index after it; -1 on a JSON error.
func (s *fastScanner) object(i, level, depth int) int {
	if depth > maxFastDepth {
		s.bad = true
		return -1
	}
	b := s.b
	var seen uint64
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return -1
		}
		ks := i + 1
		ke, esc := s.str(i)
		if ke < 0 {
			return -1
		}
		key := b[ks : ke-1]
		i = skipWS(b, ke)
		if i >= len(b) || b[i] != ':' {
			return -1
		}
		i = skipWS(b, i+1)
		if i >= len(b) {
			return -1
		}
		idx, child, known := 0, 0, false
		if !esc {
			idx, child, known = field(level, key)
		}
		switch {
		case known && child >= 0:
			bit := uint64(1) << (nFields + child)
			if seen&bit != 0 {
				s.bad = true
				return -1
			}
			seen |= bit
			s.r.seenObj |= 1 << child
			switch b[i] {
			case '{':
				s.r.objects |= 1 << child
				i = s.object(i, child, depth+1)
			case 'n':
				i = s.value(i, depth+1, nil)
			default:
				// A struct under userIdentity, sessionContext or the
				// response that is not an object: DecodeRecord fails
				// or drops the level; either way, let it decide.
				s.bad = true
				return -1
			}
		case known:
			bit := uint64(1) << idx
			if seen&bit != 0 {
				s.bad = true
				return -1
			}
			seen |= bit
			i = s.value(i, depth+1, &s.r.f[idx])
		default:
			if esc || lookalike(level, key) {
				s.bad = true
				return -1
			}
			i = s.value(i, depth+1, nil)
		}
		if i < 0 {
			return -1
		}
		i = skipWS(b, i)
		if i >= len(b) {
			return -1
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case '}':
			return i + 1
		default:
			return -1
		}
	}
}

// value scans any JSON value at b[i] and returns the index after it, -1
// on a JSON error. With out set, the value is a field: a string without
// escapes or non-ASCII bytes, null, a number or a literal is recorded;
// anything else makes the scanner decline.
func (s *fastScanner) value(i, depth int, out *fval) int {
	b := s.b
	switch c := b[i]; c {
	case '"':
		end, esc := s.str(i)
		if end < 0 {
			return -1
		}
		if out != nil {
			if esc {
				s.bad = true
				return -1
			}
			*out = fval{b: b[i+1 : end-1], kind: vString}
		}
		return end
	case '{':
		if out != nil {
			s.bad = true
			return -1
		}
		return s.skipObject(i, depth)
	case '[':
		if out != nil {
			s.bad = true
			return -1
		}
		return s.skipArray(i, depth)
	case 't':
		return s.lit(i, "true", out, vLiteral)
	case 'f':
		return s.lit(i, "false", out, vLiteral)
	case 'n':
		return s.lit(i, "null", out, vNull)
	default:
		if c == '-' || ('0' <= c && c <= '9') {
			end := number(b, i)
			if end > 0 && out != nil {
				*out = fval{b: b[i:end], kind: vLiteral}
			}
			return end
		}
		return -1
	}
}

func (s *fastScanner) lit(i int, word string, out *fval, kind uint8) int {
	if len(s.b)-i < len(word) || string(s.b[i:i+len(word)]) != word {
		return -1
	}
	if out != nil {
		*out = fval{b: s.b[i : i+len(word)], kind: kind}
	}
	return i + len(word)
}

func (s *fastScanner) skipObject(i, depth int) int {
	if depth > maxFastDepth {
		s.bad = true
		return -1
	}
	b := s.b
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return -1
		}
		ke, _ := s.str(i)
		if ke < 0 {
			return -1
		}
		i = skipWS(b, ke)
		if i >= len(b) || b[i] != ':' {
			return -1
		}
		i = skipWS(b, i+1)
		if i >= len(b) {
			return -1
		}
		if i = s.value(i, depth+1, nil); i < 0 {
			return -1
		}
		i = skipWS(b, i)
		if i >= len(b) {
			return -1
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case '}':
			return i + 1
		default:
			return -1
		}
	}
}

func (s *fastScanner) skipArray(i, depth int) int {
	if depth > maxFastDepth {
		s.bad = true
		return -1
	}
	b := s.b
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1
	}
	for {
		if i >= len(b) {
			return -1
		}
		if i = s.value(i, depth+1, nil); i < 0 {
			return -1
		}
		i = skipWS(b, i)
		if i >= len(b) {
			return -1
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case ']':
			return i + 1
		default:
			return -1
		}
	}
}

// strClass classifies string bytes: 0 plain ASCII, 1 the closing quote,
// 2 a backslash, 3 a control character (invalid), 4 a non-ASCII byte.
var strClass = func() (t [256]uint8) {
	for c := range 0x20 {
		t[c] = 3
	}
	t['"'] = 1
	t['\\'] = 2
	for c := 0x80; c < 0x100; c++ {
		t[c] = 4
	}
	return t
}()

// str scans the string starting at b[i] ('"') and returns the index after
// its closing quote (-1 when invalid) and whether it has escapes or
// non-ASCII bytes.
func (s *fastScanner) str(i int) (int, bool) {
	b := s.b
	j := i + 1
	esc := false
	for {
		// Eight plain bytes at a time, then byte by byte to the special
		// one.
		for j+8 <= len(b) && !special8(binary.LittleEndian.Uint64(b[j:])) {
			j += 8
		}
		for j < len(b) && strClass[b[j]] == 0 {
			j++
		}
		if j >= len(b) {
			return -1, esc
		}
		switch strClass[b[j]] {
		case 1:
			return j + 1, esc
		case 2:
			esc = true
			if j+1 >= len(b) {
				return -1, esc
			}
			switch b[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j += 2
			case 'u':
				if j+6 > len(b) {
					return -1, esc
				}
				for _, h := range b[j+2 : j+6] {
					if !isHex(h) {
						return -1, esc
					}
				}
				j += 6
			default:
				return -1, esc
			}
		case 3:
			return -1, esc
		default:
			esc = true
			j++
		}
	}
}

// special8 reports whether any of the eight bytes of x is a quote, a
// backslash, a control character or non-ASCII.
func special8(x uint64) bool {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	hasZero := func(v uint64) uint64 { return (v - lo) & ^v & hi }
	less20 := (x - 0x20*lo) & ^x & hi // a byte < 0x20 (for bytes < 0x80)
	return (less20 | hasZero(x^('"'*lo)) | hasZero(x^('\\'*lo)) | (x & hi)) != 0
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// number scans a JSON number at b[i], returning the index after it or -1.
func number(b []byte, i int) int {
	if b[i] == '-' {
		i++
	}
	if i >= len(b) {
		return -1
	}
	switch {
	case b[i] == '0':
		i++
	case '1' <= b[i] && b[i] <= '9':
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return -1
		}
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return -1
		}
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
	}
	return i
}

// str returns a field's value as DecodeRecord's lstr would: the string,
// the token of a number or literal, "" for null or absent.
func (r *fastRecord) str(i int) string {
	if v := r.f[i]; v.kind == vString || v.kind == vLiteral {
		return string(v.b)
	}
	return ""
}

// bytesOf is str without a copy, for relevance checks.
func (r *fastRecord) bytesOf(i int) []byte {
	if v := r.f[i]; v.kind == vString || v.kind == vLiteral {
		return v.b
	}
	return nil
}

func (r *fastRecord) isObject(level int) bool { return r.objects&(1<<level) != 0 }

// record builds the Record DecodeRecord would.
func (r *fastRecord) record() Record {
	rec := Record{
		EventVersion:       r.str(fEventVersion),
		EventID:            r.str(fEventID),
		SharedEventID:      r.str(fSharedEventID),
		EventTime:          r.time,
		EventSource:        r.str(fEventSource),
		EventName:          r.str(fEventName),
		Region:             r.str(fAWSRegion),
		SourceIP:           r.str(fSourceIP),
		UserAgent:          r.str(fUserAgent),
		ErrorCode:          r.str(fErrorCode),
		ErrorMessage:       r.str(fErrorMessage),
		RecipientAccountID: r.str(fRecipient),
	}
	if r.isObject(lIdentity) {
		rec.Identity = Identity{
			Type:        r.str(fUType),
			PrincipalID: r.str(fUPrincipalID),
			ARN:         r.str(fUARN),
			AccountID:   r.str(fUAccountID),
			AccessKeyID: r.str(fUAccessKeyID),
			UserName:    r.str(fUUserName),
			InvokedBy:   r.str(fUInvokedBy),
		}
		if r.isObject(lSession) && r.isObject(lIssuer) {
			rec.Identity.IssuerARN = r.str(fIssuerARN)
		}
	}
	if r.isObject(lRequest) {
		rec.RoleARN = r.str(fQRoleARN)
		rec.RoleSessionName = r.str(fQRoleSessionName)
		rec.ExternalIDPresent = r.f[fQExternalID].kind == vString || r.f[fQExternalID].kind == vLiteral
		if d := r.str(fQDuration); d != "" {
			rec.DurationSeconds, _ = strconv.ParseInt(d, 10, 64)
		}
		rec.RoleName = r.str(fQRoleName)
		rec.UserName = r.str(fQUserName)
		rec.PolicyARN = r.str(fQPolicyARN)
		rec.PermissionsBoundary = r.str(fQBoundary)
		rec.PolicyName = r.str(fQPolicyName)
		rec.GroupName = r.str(fQGroupName)
	}
	if r.isObject(lResponse) {
		if r.isObject(lCreds) {
			rec.CredAccessKeyID = r.str(fCredKey)
			rec.CredExpiration, _ = ParseExpiration(r.str(fCredExpiration))
		}
		if r.isObject(lAssumed) {
			rec.AssumedRoleARN = r.str(fAssumedARN)
		}
		if r.isObject(lRole) {
			rec.CreatedRoleARN = r.str(fRoleARN)
		}
	}
	if rec.RoleARN == "" && strings.HasPrefix(rec.EventName, "AssumeRole") {
		rec.RoleARN = roleARNFromMessage(rec.ErrorMessage)
	}
	return rec
}
