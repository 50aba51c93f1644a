package trail

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

func gz(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// mine is a record under the default role, so a replay keeps it.
func mine(id string) string {
	return strings.ReplaceAll(rec(id), "assumed-role/R/", "assumed-role/Pennsieve-Compute-x/")
}

// TestRefusedInputs: every input that is not CloudTrail is refused with
// what it looked like, counted as unread, and makes the replay incomplete
// (TRAIL-011 ERROR), whether or not it names the role, so the pre-filter
// never skips it as "irrelevant".
func TestRefusedInputs(t *testing.T) {
	t.Parallel()
	delivered := []byte(`{"Records":[` + rec("e1") + `]}`)
	tests := []struct {
		name  string
		input func(t *testing.T) []byte
		want  string // in the problem's message
	}{
		{"zstd", func(*testing.T) []byte { return append([]byte{0x28, 0xb5, 0x2f, 0xfd, 0x24, 0x10}, delivered...) }, "zstd-compressed"},
		{"bzip2", func(*testing.T) []byte { return []byte("BZh91AY&SY\x00\x01") }, "bzip2-compressed"},
		{"xz", func(*testing.T) []byte { return []byte{0xfd, '7', 'z', 'X', 'Z', 0x00, 0x00, 0x04} }, "xz-compressed"},
		{"lz4", func(*testing.T) []byte { return []byte{0x04, 0x22, 0x4d, 0x18, 0x64, 0x40} }, "lz4-compressed"},
		{"zip", func(*testing.T) []byte { return []byte("PK\x03\x04\x14\x00\x00\x00") }, "zip-compressed"},
		{"gzip-inside-gzip", func(t *testing.T) []byte { return gz(t, gz(t, delivered)) }, "gzip inside gzip"},
		{"zstd-inside-gzip", func(t *testing.T) []byte { return gz(t, []byte{0x28, 0xb5, 0x2f, 0xfd, 0x24, 0x10, 0, 0}) }, "zstd inside gzip"},
		{"gzip-html", func(t *testing.T) []byte { return gz(t, []byte("<html><body>Forbidden</body></html>")) }, "HTML"},
		{"html", func(*testing.T) []byte {
			return []byte("<!DOCTYPE html>\n<html><head><title>Sign in</title></head></html>")
		}, "HTML"},
		{"s3-error-xml", func(*testing.T) []byte {
			return []byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code></Error>`)
		}, "XML error response"},
		{"empty", func(*testing.T) []byte { return nil }, "empty file"},
		{"gzip-of-nothing", func(t *testing.T) []byte { return gz(t, nil) }, "empty file (gzip-compressed)"},
		{"white-space", func(*testing.T) []byte { return []byte(" \n\t\n") }, "only white space"},
		{"object-without-records", func(*testing.T) []byte { return []byte(`{"foo":1,"bar":[1,2]}`) }, `JSON object without Records (keys "foo", "bar")`},
		{"records-is-object", func(*testing.T) []byte { return []byte(`{"Records":{"eventTime":"2025-01-01T00:00:00Z"}}`) }, "Records is an object, not an array"},
		{"records-is-null", func(*testing.T) []byte { return []byte(`{"Records":null}`) }, "Records is null, not an array"},
		{"records-is-string", func(*testing.T) []byte { return []byte(`{"Records":"[]"}`) }, "Records is a string, not an array"},
		{"records-after-other-keys", func(*testing.T) []byte { return []byte(`{"x":1,"Records":[` + rec("e1") + `]}`) }, "Records after other keys"},
		{"records-of-numbers", func(*testing.T) []byte { return []byte(`{"Records":[1,2,3]}`) }, "Records array of a number values"},
		{"records-of-other-objects", func(*testing.T) []byte { return []byte(`{"Records":[{"a":1,"b":2}]}`) }, "Records array of objects that are not CloudTrail records"},
		{"s3-event-notification", func(*testing.T) []byte {
			return []byte(`{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1","eventTime":"2025-01-01T00:00:00Z","eventName":"ObjectCreated:Put"}]}`)
		}, "event notifications (eventSource aws:s3)"},
		{"array-of-strings", func(*testing.T) []byte { return []byte(`["a","b"]`) }, "JSON array of a string values"},
		{"array-of-other-objects", func(*testing.T) []byte { return []byte(`[{"id":1,"name":"x"}]`) }, "JSON array of objects that are not CloudTrail records"},
		{"ndjson-of-other-objects", func(*testing.T) []byte {
			return []byte("{\"level\":\"info\",\"msg\":\"Pennsieve-Compute-x\"}\n{\"level\":\"warn\"}\n")
		}, "JSON object without Records"},
		{"digest-file", func(*testing.T) []byte {
			return []byte(`{"awsAccountId":"111122223333","digestStartTime":"2025-01-01T00:00:00Z","digestEndTime":"2025-01-01T01:00:00Z","logFiles":[]}`)
		}, "a CloudTrail digest file"},
		{"eventbridge-event", func(*testing.T) []byte {
			return []byte(`{"version":"0","id":"x","detail-type":"AWS API Call via CloudTrail","source":"aws.iam","detail":` + rec("e1") + `}`)
		}, "an EventBridge event"},
		{"lookup-events-output", func(*testing.T) []byte { return []byte(`{"Events":[{"EventId":"x","CloudTrailEvent":"{}"}]}`) }, "LookupEvents output"},
		{"text", func(*testing.T) []byte { return []byte("eventTime,eventName\n2025-01-01,AssumeRole\n") }, `not CloudTrail JSON: starts "eventTime,eventN"`},
		{"binary", func(*testing.T) []byte { return []byte{0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a} }, "binary data starting 89 50 4e 47"},
		{"truncated-json-object", func(*testing.T) []byte { return []byte(`{"eventVersion":"1.08","ev`) }, "JSON object without Records"},
		{"truncated-gzip-header", func(*testing.T) []byte { return []byte{0x1f, 0x8b, 0x08} }, "truncated gzip"},
		{"bad-gzip-header", func(*testing.T) []byte { return []byte{0x1f, 0x8b, 0x42, 0, 0, 0, 0, 0, 0, 0} }, "invalid gzip header"},
		{"gzip-truncated-before-any-data", func(t *testing.T) []byte { return gz(t, delivered)[:12] }, "truncated gzip"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := ReplayFiles(context.Background(), []Input{BytesInput(tc.name, tc.input(t))}, Options{Expect: DefaultExpectations()})
			if err != nil {
				t.Fatal(err)
			}
			st := res.Stats
			if st.FilesUnread != 1 || st.FilesSkippedWhole != 0 || st.RecordsSplit != 0 {
				t.Errorf("unread %d, skipped whole %d, split %d; want 1, 0, 0", st.FilesUnread, st.FilesSkippedWhole, st.RecordsSplit)
			}
			if len(st.Problems) != 1 || !strings.Contains(st.Problems[0].Error, tc.want) || st.Problems[0].Offset != -1 {
				t.Fatalf("problems %v, want one whole-file problem mentioning %q", st.Problems, tc.want)
			}
			if res.Complete() {
				t.Error("replay complete, want incomplete")
			}
			found := false
			for _, f := range res.Findings {
				if f.CheckID == CheckUndecodable && f.Status == "ERROR" && strings.Contains(f.Message, tc.name) && strings.Contains(f.Message, tc.want) {
					found = true
				}
			}
			if !found {
				t.Errorf("no TRAIL-011 ERROR naming %s and %q in %v", tc.name, tc.want, res.Findings)
			}
		})
	}
}

// TestRecognisedInputs: the shapes CloudTrail and its exports take are read.
func TestRecognisedInputs(t *testing.T) {
	t.Parallel()
	a, b := mine("e1"), mine("e2")
	sorted := `{"awsRegion":"us-east-1","eventID":"e3","eventName":"DescribeVpcs","eventSource":"ec2.amazonaws.com","eventTime":"2025-03-01T00:00:03Z","userIdentity":{"arn":"arn:aws:sts::1:assumed-role/Pennsieve-Compute-x/s","accessKeyId":"ASIA1","type":"AssumedRole"}}`
	logstash := `{"requestParameters":{"x":1},"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/Pennsieve-Compute-x/s"},"eventName":"DescribeVpcs","eventSource":"ec2.amazonaws.com","@timestamp":"2025-03-01T00:00:04Z","eventID":"e4","@version":"1"}`
	tests := []struct {
		name  string
		input func(t *testing.T) []byte
		shape Shape
		kept  int64
	}{
		{"delivered", func(*testing.T) []byte { return []byte(`{"Records":[` + a + `,` + b + `]}`) }, ShapeRecords, 2},
		{"delivered-gzip", func(t *testing.T) []byte { return gz(t, []byte(`{"Records":[`+a+`]}`)) }, ShapeRecords, 1},
		{"delivered-pretty-bom", func(*testing.T) []byte { return []byte("\xef\xbb\xbf{\n  \"Records\" : [\n  " + a + "\n  ]\n}\n") }, ShapeRecords, 1},
		{"delivered-empty", func(*testing.T) []byte { return []byte(`{"Records":[]}`) }, ShapeRecords, 0},
		{"array", func(*testing.T) []byte { return []byte("[" + a + "," + b + "]") }, ShapeArray, 2},
		{"array-empty", func(*testing.T) []byte { return []byte("[ ]") }, ShapeArray, 0},
		{"array-sorted-keys", func(*testing.T) []byte { return []byte("[" + sorted + "]") }, ShapeArray, 1},
		{"ndjson", func(*testing.T) []byte { return []byte(a + "\n" + b + "\n") }, ShapeLines, 2},
		{"ndjson-logstash", func(*testing.T) []byte { return []byte(logstash + "\n") }, ShapeLines, 1},
		{"pretty-objects", func(*testing.T) []byte {
			return []byte(strings.ReplaceAll(a, `,"eventSource"`, ",\n \"eventSource\"") + "\n" + b + "\n")
		}, ShapeObjects, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := ReplayFiles(context.Background(), []Input{BytesInput(tc.name, tc.input(t))}, Options{Expect: DefaultExpectations()})
			if err != nil {
				t.Fatal(err)
			}
			st := res.Stats
			if st.FilesUnread != 0 || len(st.Problems) != 0 {
				t.Fatalf("unread %d, problems %v; want none", st.FilesUnread, st.Problems)
			}
			if st.RecordsKept != tc.kept || st.Shapes[tc.shape.String()] != 1 {
				t.Errorf("kept %d, shapes %v; want %d, %s", st.RecordsKept, st.Shapes, tc.kept, tc.shape)
			}
			if !res.Complete() {
				t.Errorf("incomplete: %v", res.Gaps())
			}
		})
	}
}

// TestIdentifyStreaming: identification reads as far as the first record
// needs, whatever the buffer size, and damage after the start is a
// damaged file, not a refusal.
func TestIdentifyStreaming(t *testing.T) {
	t.Parallel()
	long := strings.Replace(mine("e1"), `"note":"braces`, `"note":"`+strings.Repeat("x", 10000)+` braces`, 1)
	ndjson := []byte(long + "\n" + mine("e2") + "\n")
	for _, size := range []int{1, 7, 100, 1 << 20} {
		e := DefaultExpectations()
		c := NewCollection(e, time.Time{}, time.Time{})
		d := &fileDecoder{literals: e.literals(), whole: size, chunk: size}
		d.decode(context.Background(), c, BytesInput("long", ndjson), nil)
		st := c.Stats()
		if st.FilesUnread != 0 || st.RecordsKept != 2 {
			t.Errorf("buffer %d: unread %d kept %d problems %v; want 0, 2", size, st.FilesUnread, st.RecordsKept, st.Problems)
		}
	}
	// A gzip stream cut in the middle: what was read is replayed, the rest
	// is a damaged-file gap.
	var recs []string
	for i := range 200 {
		recs = append(recs, mine(fmt.Sprintf("e%03d", i)))
	}
	full := gz(t, []byte(`{"Records":[`+strings.Join(recs, ",")+`]}`))
	res, err := ReplayFiles(context.Background(), []Input{BytesInput("cut.json.gz", full[:len(full)*2/3])}, Options{Expect: DefaultExpectations()})
	if err != nil {
		t.Fatal(err)
	}
	st := res.Stats
	if st.FilesDamaged != 1 || st.FilesUnread != 0 || st.RecordsKept == 0 || res.Complete() {
		t.Errorf("damaged %d unread %d kept %d complete %v; want 1, 0, >0, false", st.FilesDamaged, st.FilesUnread, st.RecordsKept, res.Complete())
	}
	if gs := res.Gaps(); len(gs) == 0 || gs[0].Reason != GapDamagedFiles || !strings.Contains(gs[0].Where[0], "truncated gzip") {
		t.Errorf("gaps %v, want a damaged-files gap saying truncated gzip", gs)
	}
}
