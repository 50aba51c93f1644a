package trail

import (
	"bytes"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// A file is read as CloudTrail only once its first bytes say it is: gzip
// (whose content is identified again), then a delivered {"Records":[…]}
// object, a JSON array of records, or records one after another whose
// first one carries CloudTrail's top-level fields. Anything else is
// refused with what it looked like, before the pre-filter may skip it.
// Identification reads the container and the first record only.

// compression names the compressed format whose magic number b starts with,
// or "".
func compression(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte{0x1f, 0x8b}):
		return "gzip"
	case bytes.HasPrefix(b, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return "zstd"
	case bytes.HasPrefix(b, []byte("BZh")):
		return "bzip2"
	case bytes.HasPrefix(b, []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}):
		return "xz"
	case bytes.HasPrefix(b, []byte{0x04, 0x22, 0x4d, 0x18}):
		return "lz4"
	case bytes.HasPrefix(b, []byte("PK\x03\x04")):
		return "zip"
	case bytes.HasPrefix(b, []byte("7z\xbc\xaf\x27\x1c")):
		return "7z"
	}
	return ""
}

// magicLen is how many bytes compression needs to decide.
const magicLen = 6

// identity is what the start of a decompressed stream turned out to be.
type identity struct {
	shape Shape
	// refusal is non-empty when the stream is not CloudTrail: what it
	// looked like.
	refusal string
	// first is the eventTime of the first record, when it was read.
	first time.Time
	// more is set when b ended before a decision could be made.
	more bool
}

// ctFields are CloudTrail's top-level record fields; a record is
// recognised by carrying at least minCTFields of them.
var ctFields = map[string]bool{
	"eventVersion": true, "eventTime": true, "@timestamp": true, "eventName": true, "eventSource": true,
	"eventID": true, "eventType": true, "awsRegion": true, "userIdentity": true, "recipientAccountId": true,
	"sourceIPAddress": true,
}

const minCTFields = 3

// identify decides from the start of a decompressed stream whether it is
// CloudTrail and in which container. atEOF says b is the whole stream.
func identify(b []byte, atEOF bool) identity {
	if len(b) < magicLen && !atEOF {
		return identity{more: true}
	}
	if c := compression(b); c != "" {
		return identity{refusal: c + "-compressed data"}
	}
	i := skipSpace(b, 0)
	if bytes.HasPrefix(b[i:], []byte("\xef\xbb\xbf")) {
		i = skipSpace(b, i+3)
	}
	if i == len(b) {
		if !atEOF {
			return identity{more: true}
		}
		if len(b) == 0 {
			return identity{refusal: "empty file"}
		}
		return identity{refusal: "only white space"}
	}
	switch b[i] {
	case '{':
		return identifyObject(b, i, atEOF)
	case '[':
		j := skipSpace(b, i+1)
		if j == len(b) {
			if atEOF {
				return identity{refusal: "truncated JSON array"}
			}
			return identity{more: true}
		}
		if b[j] == ']' {
			return identity{shape: ShapeArray}
		}
		id := identifyFirstRecord(b, j, atEOF, "JSON array")
		if id.refusal == "" && !id.more {
			id.shape = ShapeArray
		}
		return id
	case '<':
		return identity{refusal: markup(b[i:])}
	}
	return identity{refusal: notJSON(b[i:])}
}

// identifyObject identifies a stream starting with an object: a delivered
// file, or a first record.
func identifyObject(b []byte, i int, atEOF bool) identity {
	// A delivered file: the first key is Records. Its value is not
	// scanned (it is the whole file).
	j := skipSpace(b, i+1)
	const key = `"Records"`
	if len(b)-j < len(key) && bytes.HasPrefix([]byte(key), b[j:]) && !atEOF {
		return identity{more: true}
	}
	if bytes.HasPrefix(b[j:], []byte(key)) {
		v := skipSpace(b, j+len(key))
		if v < len(b) && b[v] == ':' {
			v = skipSpace(b, v+1)
		}
		if v >= len(b) {
			if atEOF {
				return identity{refusal: "truncated JSON object"}
			}
			return identity{more: true}
		}
		if b[v] != '[' {
			return identity{refusal: fmt.Sprintf("Records is %s, not an array", jsonKind(b[v]))}
		}
		k := skipSpace(b, v+1)
		if k == len(b) {
			if atEOF {
				return identity{refusal: "truncated Records array"}
			}
			return identity{more: true}
		}
		if b[k] == ']' {
			return identity{shape: ShapeRecords}
		}
		id := identifyFirstRecord(b, k, atEOF, "Records array")
		if id.refusal == "" && !id.more {
			id.shape = ShapeRecords
		}
		return id
	}
	// Otherwise the object must be a record, and all its keys are needed
	// to judge it.
	keys, err := scanKeys(b, i)
	if err != nil && !atEOF {
		return identity{more: true}
	}
	if len(keys) == 0 && err != nil {
		return identity{refusal: "malformed JSON object"}
	}
	if n, first := recordFields(b, keys); n >= minCTFields {
		if hasKey(keys, "Records") {
			return identity{refusal: "JSON object with Records after other keys (not a delivered CloudTrail file)"}
		}
		if src := keyString(b, keys, "eventSource"); strings.HasPrefix(src, "aws:") {
			return identity{refusal: fmt.Sprintf("an event notification (eventSource %s), not CloudTrail records", src)}
		}
		shape, _, _ := detect(b, i, true)
		return identity{shape: shape, first: first}
	}
	if hasKey(keys, "Records") {
		return identity{refusal: "JSON object with Records after other keys (not a delivered CloudTrail file)"}
	}
	return identity{refusal: knownObject(keys)}
}

// identifyFirstRecord judges the first element of a Records array or of an
// exported array.
func identifyFirstRecord(b []byte, j int, atEOF bool, container string) identity {
	if b[j] != '{' {
		return identity{refusal: fmt.Sprintf("%s of %s values, not of CloudTrail records", container, jsonKind(b[j]))}
	}
	keys, err := scanKeys(b, j)
	if err != nil && !atEOF {
		return identity{more: true}
	}
	n, first := recordFields(b, keys)
	if n < minCTFields {
		return identity{refusal: fmt.Sprintf("%s of objects that are not CloudTrail records (%s)", container, keyList(keys))}
	}
	if src := keyString(b, keys, "eventSource"); strings.HasPrefix(src, "aws:") {
		return identity{refusal: fmt.Sprintf("event notifications (eventSource %s), not CloudTrail records", src)}
	}
	return identity{first: first}
}

// jsonKey is a top-level key of an object and where its value starts.
type jsonKey struct {
	name  string
	value int
}

// maxScanKeys bounds the keys scanKeys returns.
const maxScanKeys = 64

// scanKeys returns the top-level keys of the object at b[i] without
// decoding the values. It stops with errTruncated when b ends inside the
// object, and with errNotObject where the object is malformed; the keys
// read so far are returned in both cases. The scan is lenient: values are
// skipped, not validated.
func scanKeys(b []byte, i int) ([]jsonKey, error) {
	var keys []jsonKey
	i = skipSpace(b, i+1)
	for len(keys) < maxScanKeys {
		if i >= len(b) {
			return keys, errTruncated
		}
		if b[i] == '}' {
			return keys, nil
		}
		if b[i] != '"' {
			return keys, errNotObject
		}
		end, err := skipString(b, i)
		if err != nil {
			return keys, err
		}
		name := string(b[i+1 : end-1])
		i = skipSpace(b, end)
		if i >= len(b) {
			return keys, errTruncated
		}
		if b[i] != ':' {
			return keys, errNotObject
		}
		i = skipSpace(b, i+1)
		keys = append(keys, jsonKey{name: name, value: i})
		if i >= len(b) {
			return keys, errTruncated
		}
		switch b[i] {
		case '"':
			i, err = skipString(b, i)
		case '{', '[':
			i, err = skipComposite(b, i)
		default:
			for i < len(b) && b[i] != ',' && b[i] != '}' && !isSpace(b[i]) {
				i++
			}
		}
		if err != nil {
			return keys, err
		}
		i = skipSpace(b, i)
		if i >= len(b) {
			return keys, errTruncated
		}
		if b[i] == ',' {
			i = skipSpace(b, i+1)
		}
	}
	return keys, nil
}

// recordFields counts the CloudTrail fields among keys and returns the
// record's eventTime (or @timestamp) when it parses.
func recordFields(b []byte, keys []jsonKey) (int, time.Time) {
	n := 0
	seen := map[string]bool{}
	var first time.Time
	for _, k := range keys {
		if !ctFields[k.name] || seen[k.name] {
			continue
		}
		seen[k.name] = true
		n++
		if k.name == "eventTime" || (k.name == "@timestamp" && first.IsZero()) {
			if t, err := time.Parse(time.RFC3339Nano, stringAt(b, k.value)); err == nil {
				first = t.UTC()
			}
		}
	}
	return n, first
}

// stringAt returns the JSON string at b[i] without unescaping, "" if
// there is none.
func stringAt(b []byte, i int) string {
	if i >= len(b) || b[i] != '"' {
		return ""
	}
	end, err := skipString(b, i)
	if err != nil {
		return ""
	}
	return string(b[i+1 : end-1])
}

func keyString(b []byte, keys []jsonKey, name string) string {
	for _, k := range keys {
		if k.name == name {
			return stringAt(b, k.value)
		}
	}
	return ""
}

func hasKey(keys []jsonKey, name string) bool {
	for _, k := range keys {
		if k.name == name {
			return true
		}
	}
	return false
}

// knownObject names JSON objects that are often mistaken for CloudTrail
// logs.
func knownObject(keys []jsonKey) string {
	switch {
	case hasKey(keys, "digestS3Object") || hasKey(keys, "digestStartTime"):
		return "a CloudTrail digest file, not a log file"
	case hasKey(keys, "detail-type") && hasKey(keys, "detail"):
		return "an EventBridge event (the CloudTrail record is under detail), not a CloudTrail record"
	case hasKey(keys, "Events"):
		return "JSON object without Records (LookupEvents output? its records are the Events[].CloudTrailEvent strings)"
	case hasKey(keys, "QueryResultRows"):
		return "JSON object without Records (CloudTrail Lake query results?)"
	case hasKey(keys, "Error") || hasKey(keys, "message") || hasKey(keys, "errorMessage"):
		return "JSON object without Records (an error response?) (" + keyList(keys) + ")"
	}
	return "JSON object without Records (" + keyList(keys) + ")"
}

func keyList(keys []jsonKey) string {
	if len(keys) == 0 {
		return "no keys"
	}
	names := make([]string, 0, min(len(keys), 5))
	for i, k := range keys {
		if i == 5 {
			names = append(names, "…")
			break
		}
		names = append(names, fmt.Sprintf("%q", k.name))
	}
	return "keys " + strings.Join(names, ", ")
}

func jsonKind(c byte) string {
	switch {
	case c == '{':
		return "an object"
	case c == '[':
		return "an array"
	case c == '"':
		return "a string"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	case c == '-' || (c >= '0' && c <= '9'):
		return "a number"
	}
	return "not JSON"
}

// markup names a stream starting with '<'.
func markup(b []byte) string {
	head := strings.ToLower(string(b[:min(len(b), 1024)]))
	switch {
	case strings.Contains(head, "<html") || strings.Contains(head, "<!doctype html"):
		return "HTML (an error or sign-in page saved as a log file?)"
	case strings.Contains(head, "<error>"):
		return "XML error response (an S3 error saved as a log file?)"
	case strings.HasPrefix(head, "<?xml"):
		return "XML"
	}
	return "markup, not JSON"
}

// notJSON describes a stream that does not start with JSON.
func notJSON(b []byte) string {
	head := b[:min(len(b), 16)]
	if !utf8.Valid(head) || bytes.ContainsFunc(head, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\r' && r != '\t' }) {
		return fmt.Sprintf("not CloudTrail JSON: binary data starting % x", head[:min(len(head), 8)])
	}
	return fmt.Sprintf("not CloudTrail JSON: starts %q", head)
}
