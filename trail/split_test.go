package trail

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// splitResult is what decoding one input produced: kept record event IDs
// in input order, and problems as "offset:kind".
type splitResult struct {
	ids      []string
	problems []string
	shape    Shape
}

func decodeAll(t *testing.T, input string, whole, chunk int) splitResult {
	t.Helper()
	e := DefaultExpectations()
	e.RolePatterns = []string{"*"}
	c := NewCollection(e, time.Time{}, time.Time{})
	d := &fileDecoder{full: true, whole: whole, chunk: chunk}
	var ids []string
	// Collect in input order through a wrapping collection.
	d.decode(context.Background(), c, BytesInput("in", []byte(input)), nil)
	for _, r := range c.Records() {
		ids = append(ids, fmt.Sprintf("%d:%s", r.Offset, r.EventID))
	}
	slices.Sort(ids)
	st := c.Stats()
	var probs []string
	for _, p := range st.Problems {
		kind := p.Error
		if i := strings.Index(kind, ":"); i > 0 && strings.HasPrefix(kind, "decode record") {
			kind = "decode"
		}
		probs = append(probs, fmt.Sprintf("%d:%s", p.Offset, kind))
	}
	var shape Shape
	for k := range st.Shapes {
		for s := ShapeRecords; s <= ShapeObjects; s++ {
			if s.String() == k {
				shape = s
			}
		}
	}
	return splitResult{ids: ids, problems: probs, shape: shape}
}

// rec builds a minimal record under an assumed role so every record is kept.
func rec(id string) string {
	return `{"eventVersion":"1.08","eventTime":"2025-03-01T00:00:0` + id[len(id)-1:] + `Z","eventID":"` + id +
		`","eventSource":"ec2.amazonaws.com","eventName":"DescribeVpcs","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/R/s","accessKeyId":"ASIA1"},"requestParameters":{"note":"braces } { ] [ and \"quotes\" \\"}}`
}

func TestSplitShapes(t *testing.T) {
	t.Parallel()
	a, b, c := rec("e1"), rec("e2"), rec("e3")
	tests := []struct {
		name     string
		input    string
		shape    Shape
		ids      int
		problems int
	}{
		{name: "delivered", input: `{"Records":[` + a + `,` + b + `,` + c + `]}`, shape: ShapeRecords, ids: 3},
		{name: "delivered-pretty", input: "{\n  \"Records\" : [\n    " + a + " ,\n    " + b + "\n  ]\n}\n", shape: ShapeRecords, ids: 2},
		{name: "array", input: "[" + a + "," + b + "]", shape: ShapeArray, ids: 2},
		{name: "array-with-bom", input: "\xef\xbb\xbf [" + a + "]", shape: ShapeArray, ids: 1},
		{name: "ndjson", input: a + "\n" + b + "\r\n\n" + c + "\n", shape: ShapeLines, ids: 3},
		{name: "ndjson-no-final-newline", input: a + "\n" + b, shape: ShapeLines, ids: 2},
		{name: "pretty-objects", input: strings.ReplaceAll(a, `,"eventSource"`, ",\n  \"eventSource\"") + "\n" + b + "\n", shape: ShapeObjects, ids: 2},
		{name: "empty", input: "", shape: ShapeUnknown, problems: 1},
		{name: "empty-array", input: "[]", shape: ShapeArray},
		{name: "ndjson-garbage-line", input: a + "\nnot json\n" + b + "\n", shape: ShapeLines, ids: 2, problems: 1},
		{name: "ndjson-truncated-line", input: a + "\n" + b[:40] + "\n" + c + "\n", shape: ShapeLines, ids: 2, problems: 1},
		{name: "ndjson-bad-json", input: a + "\n" + `{"eventTime":"2025-03-01T00:00:00Z","eventID":"x",}` + "\n", shape: ShapeLines, ids: 1, problems: 1},
		{name: "ndjson-bad-time", input: a + "\n" + `{"eventTime":"yesterday","eventID":"x"}` + "\n", shape: ShapeLines, ids: 1, problems: 1},
		{name: "ndjson-no-time", input: a + "\n" + `{"eventID":"x"}` + "\n", shape: ShapeLines, ids: 1, problems: 1},
		{name: "array-scalar-element", input: "[" + a + `,42,"s",null,` + b + "]", shape: ShapeArray, ids: 2, problems: 3},
		{name: "array-truncated", input: "[" + a + "," + b[:60], shape: ShapeArray, ids: 1, problems: 1},
		{name: "delivered-unclosed", input: `{"Records":[` + a, shape: ShapeRecords, ids: 1, problems: 1},
		{name: "not-json", input: "hello", shape: ShapeUnknown, problems: 1},
		// Nothing after the first document is dropped unread.
		{name: "two-delivered-documents", input: `{"Records":[` + a + `]}` + "\n" + `{"Records":[` + b + `,` + c + `]}`, shape: ShapeRecords, ids: 3},
		{name: "delivered-then-array", input: `{"Records":[` + a + `]}[` + b + `]`, shape: ShapeRecords, ids: 2},
		{name: "array-then-ndjson", input: "[" + a + "]\n" + b + "\n", shape: ShapeArray, ids: 2},
		{name: "delivered-trailing-garbage", input: `{"Records":[` + a + `]} trailing`, shape: ShapeRecords, ids: 1, problems: 1},
		{name: "delivered-key-after-records", input: `{"Records":[` + a + `],"more":[` + b + `]}`, shape: ShapeRecords, ids: 1, problems: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ref := decodeAll(t, tc.input, 1<<20, 1<<20)
			if len(ref.ids) != tc.ids || len(ref.problems) != tc.problems {
				t.Fatalf("got %d records %v and %d problems %v, want %d and %d", len(ref.ids), ref.ids, len(ref.problems), ref.problems, tc.ids, tc.problems)
			}
			if tc.input != "" && ref.shape != tc.shape {
				t.Errorf("shape %s, want %s", ref.shape, tc.shape)
			}
			// Streaming with tiny buffers must find the same records at the
			// same offsets.
			for _, size := range []int{1, 7, 64} {
				got := decodeAll(t, tc.input, size, size)
				if !slices.Equal(got.ids, ref.ids) || !slices.Equal(got.problems, ref.problems) {
					t.Errorf("buffer %d: got %v %v, want %v %v", size, got.ids, got.problems, ref.ids, ref.problems)
				}
			}
		})
	}
}

func TestPrefilterSkipsWholeFiles(t *testing.T) {
	t.Parallel()
	other := strings.ReplaceAll(rec("e1"), "assumed-role/R/", "assumed-role/Other/")
	mine := strings.ReplaceAll(rec("e2"), "assumed-role/R/", "assumed-role/Pennsieve-Compute-x/")
	tests := []struct {
		name                  string
		input                 string
		full                  bool
		skipped, split, kept  int64
		filtered, undecodable int64
	}{
		{name: "no-mention", input: "[" + other + "," + other + "]", skipped: 1},
		{name: "no-mention-full-decode", input: "[" + other + "," + other + "]", full: true, split: 2},
		{name: "mention", input: "[" + other + "," + mine + "]", split: 2, filtered: 1, kept: 1},
		{name: "broken-mention", input: "[" + other + `,{"eventTime":"x","arn":"Pennsieve-Compute-y"}]`, split: 2, filtered: 1, undecodable: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := ReplayFiles(context.Background(), []Input{BytesInput(tc.name, []byte(tc.input))},
				Options{Expect: DefaultExpectations(), FullDecode: tc.full})
			if err != nil {
				t.Fatal(err)
			}
			st := res.Stats
			if int64(st.FilesSkippedWhole) != tc.skipped || st.RecordsSplit != tc.split || st.RecordsKept != tc.kept ||
				st.RecordsFiltered != tc.filtered || st.Undecodable != tc.undecodable {
				t.Errorf("got skipped %d split %d filtered %d kept %d undecodable %d, want %d %d %d %d %d",
					st.FilesSkippedWhole, st.RecordsSplit, st.RecordsFiltered, st.RecordsKept, st.Undecodable,
					tc.skipped, tc.split, tc.filtered, tc.kept, tc.undecodable)
			}
		})
	}
}
