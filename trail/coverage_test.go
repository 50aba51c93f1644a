package trail

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pvaudit/pvaudit/internal/finding"
)

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// logPath is where CloudTrail delivers a log file of account 111122223333
// in us-east-1 at t.
func logPath(root string, t time.Time, unique string) string {
	return filepath.Join(root, "AWSLogs", "111122223333", "CloudTrail", "us-east-1", t.Format("2006/01/02"),
		"111122223333_CloudTrail_us-east-1_"+t.Format("20060102T1504Z")+"_"+unique+".json.gz")
}

func day(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func reasons(gs []Gap) []string {
	var out []string
	for _, g := range gs {
		out = append(out, string(g.Reason))
	}
	return out
}

func TestFolderCoverage(t *testing.T) {
	t.Parallel()
	// A folder with delivered files on 2025-03-01 and 2025-03-02 (one
	// file an hour, each with one record 3 minutes before delivery).
	archive := t.TempDir()
	for h := 0; h < 48; h++ {
		at := day("2025-03-01T00:05:00Z").Add(time.Duration(h) * time.Hour)
		body := `{"Records":[` + callRec("e"+at.Format("0102T15"), "ASIAK", at.Add(-3*time.Minute).Format(time.RFC3339), "ec2.amazonaws.com", "DescribeVpcs", "{}") + `]}`
		writeFile(t, logPath(archive, at, "U"+at.Format("150405")), gz(t, []byte(body)))
	}
	digestsOnly := t.TempDir()
	writeFile(t, filepath.Join(digestsOnly, "AWSLogs", "111122223333", "CloudTrail-Digest", "us-east-1", "2025", "03", "01",
		"111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20250301T010000Z.json.gz"), gz(t, []byte("{}")))
	wrongLevel := t.TempDir()
	writeFile(t, filepath.Join(wrongLevel, "README.txt"), []byte("the copy is elsewhere"))
	now := func() time.Time { return day("2025-03-10T00:00:00Z") }
	tests := []struct {
		name         string
		root         string
		since, until string
		want         []string // gap reasons
		msg          string
	}{
		{name: "empty-dir", root: t.TempDir(), want: []string{"no-log-files"}, msg: "is this the AWSLogs/ level of the S3 copy?"},
		{name: "only-digests", root: digestsOnly, want: []string{"no-log-files"}, msg: "1 digest and 0 other file(s) were skipped"},
		{name: "wrong-level", root: wrongLevel, want: []string{"no-log-files"}, msg: "0 digest and 1 other file(s)"},
		{name: "no-window", root: archive},
		{name: "window-covered", root: archive, since: "2025-03-01T00:00:00Z", until: "2025-03-02T23:59:59Z"},
		{name: "window-covered-until-now", root: archive, since: "2025-03-01T00:30:00Z"},
		{name: "window-after-the-files", root: archive, since: "2025-03-05T00:00:00Z", until: "2025-03-06T00:00:00Z",
			want: []string{"no-log-files", "window-not-covered"}, msg: "no CloudTrail log files under"},
		{name: "window-before-the-files", root: archive, since: "2025-02-01T00:00:00Z", until: "2025-02-10T00:00:00Z",
			want: []string{"no-log-files", "window-not-covered"}},
		{name: "window-ends-after-the-files", root: archive, since: "2025-03-01T00:00:00Z", until: "2025-03-04T00:00:00Z",
			want: []string{"window-not-covered"}, msg: "nothing after 2025-03-02T23:05:00Z"},
		{name: "window-starts-before-the-files", root: archive, since: "2025-02-28T00:00:00Z", until: "2025-03-02T00:00:00Z",
			want: []string{"window-not-covered"}, msg: "nothing before 2025-03-01T00:02:00Z"},
		{name: "window-in-the-future-is-judged-until-now", root: archive, since: "2025-03-01T00:00:00Z", until: "2025-04-01T00:00:00Z",
			want: []string{"window-not-covered"}, msg: "nothing after"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := Options{Expect: DefaultExpectations(), Now: now}
			if tc.since != "" {
				opts.Since = day(tc.since)
			}
			if tc.until != "" {
				opts.Until = day(tc.until)
			}
			res, err := ReplayDir(context.Background(), tc.root, opts)
			if err != nil {
				t.Fatal(err)
			}
			got := reasons(res.Gaps())
			if !slices.Equal(got, tc.want) {
				t.Fatalf("gaps %v, want %v (%v)", got, tc.want, res.Gaps())
			}
			if res.Complete() != (len(tc.want) == 0) {
				t.Errorf("complete %v with gaps %v", res.Complete(), got)
			}
			msgs := ""
			for _, f := range res.Findings {
				if f.Status == finding.Error {
					msgs += f.Message + "\n"
				}
			}
			if len(tc.want) != strings.Count(msgs, "\n") || !strings.Contains(msgs, tc.msg) {
				t.Errorf("ERROR findings %q, want %d mentioning %q", msgs, len(tc.want), tc.msg)
			}
		})
	}
}

// TestResultVerdict: Complete and Gaps are the one answer, and a result
// narrowed to one session keeps the replay-level findings and gaps.
func TestResultVerdict(t *testing.T) {
	t.Parallel()
	session := assumeRec("a1", "", "ASIAKEY1", "2025-03-01T10:00:00Z", "2025-03-01T11:00:00Z", provisioner)
	call := callRec("c1", "ASIAKEY1", "2025-03-01T10:05:00Z", "ec2.amazonaws.com", "DescribeVpcs", `{}`)
	good := BytesInput("good.ndjson", ndjson(session, call))
	broken := BytesInput("broken.ndjson", []byte(`{"eventVersion":"1.08","eventTime":"2025-03-01T10:06:00Z","eventName":"x","userIdentity":{"arn":"Pennsieve-Compute-x"},}`+"\n"))

	res, err := ReplayFiles(context.Background(), []Input{good}, Options{Expect: dupExpect()})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Complete() || len(res.Gaps()) != 0 {
		t.Fatalf("clean replay: complete %v gaps %v", res.Complete(), res.Gaps())
	}

	res, err = ReplayFiles(context.Background(), []Input{good, broken}, Options{Expect: dupExpect()})
	if err != nil {
		t.Fatal(err)
	}
	one, ok := res.ForSession("ASIAKEY1")
	if !ok {
		t.Fatal("session not found")
	}
	if one.Complete() || !slices.Equal(reasons(one.Gaps()), []string{"undecodable-records"}) {
		t.Errorf("one session of an incomplete replay: complete %v gaps %v", one.Complete(), one.Gaps())
	}
	if !has(one.Findings, CheckUndecodable, finding.Error) {
		t.Error("narrowed result dropped the TRAIL-011 ERROR")
	}

	// Without a provisioner the assumer cannot be judged: NOT_EVALUATED is
	// a gap too.
	res, err = ReplayFiles(context.Background(), []Input{good}, Options{Expect: DefaultExpectations()})
	if err != nil {
		t.Fatal(err)
	}
	if gs := res.Gaps(); res.Complete() || len(gs) != 1 || gs[0].Reason != GapNotEvaluated || gs[0].Check != CheckUntrustedAssumer {
		t.Errorf("no provisioner: complete %v gaps %v, want one not-evaluated TRAIL-001 gap", res.Complete(), gs)
	}
}
