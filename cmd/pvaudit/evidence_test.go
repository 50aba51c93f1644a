package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/pvaudit/pvaudit/reports/evidence"
	"github.com/pvaudit/pvaudit/schedule"
)

// runWith runs pvaudit with an injected environment and terminal.
func runWith(t *testing.T, env map[string]string, tty bool, width int, now time.Time, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	a := &app{stdout: &out, stderr: &errb, now: func() time.Time { return now }, version: "test",
		env:        func(k string) string { return env[k] },
		isTerminal: func(io.Writer) (bool, int) { return tty, width }}
	code := runApp(context.Background(), a, args)
	return code, out.String(), errb.String()
}

func TestOutputOptions(t *testing.T) {
	t.Parallel()
	sample := repoPath("testdata", "accounts", "sample.json")
	t.Run("quiet prints the summary line and keeps the exit code", func(t *testing.T) {
		t.Parallel()
		code, out, _ := runTest(t, "scan", "--from", sample, "-q")
		if code != exitFindings || strings.Count(out, "\n") != 1 || !strings.HasPrefix(out, "Summary: FAILED") {
			t.Errorf("exit %d, stdout %q", code, out)
		}
	})
	t.Run("quiet still writes files", func(t *testing.T) {
		t.Parallel()
		f := filepath.Join(t.TempDir(), "r.sarif")
		if code, _, _ := runTest(t, "scan", "--from", sample, "-q", "-o", "table", "-o", "sarif="+f); code != exitFindings {
			t.Fatalf("exit %d", code)
		}
		if b, err := os.ReadFile(f); err != nil || !json.Valid(b) {
			t.Errorf("sarif file: %v", err)
		}
	})
	t.Run("severity filter keeps the verdict", func(t *testing.T) {
		t.Parallel()
		code, out, _ := runTest(t, "scan", "--from", sample, "--severity", "low", "--status", "PASS", "-o", "json")
		var rep struct {
			Filter   string `json:"filter"`
			Verdict  struct{ Outcome string }
			Findings []struct{ Severity, Status string }
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		if code != exitFindings || rep.Verdict.Outcome != "failed" || rep.Filter == "" || len(rep.Findings) == 0 {
			t.Errorf("exit %d, verdict %s, filter %q, %d findings", code, rep.Verdict.Outcome, rep.Filter, len(rep.Findings))
		}
		for _, f := range rep.Findings {
			if f.Severity != "low" || f.Status != "PASS" {
				t.Errorf("kept a %s %s finding", f.Severity, f.Status)
			}
		}
	})
	t.Run("bad status", func(t *testing.T) {
		t.Parallel()
		if code, _, errs := runTest(t, "scan", "--from", sample, "--status", "OK"); code != exitError || !strings.Contains(errs, "unknown status") {
			t.Errorf("exit %d: %s", code, errs)
		}
	})
	tests := []struct {
		name      string
		env       map[string]string
		tty       bool
		width     int
		args      []string
		wantColor bool
		maxWidth  int
	}{
		{"colour on a terminal", nil, true, 120, nil, true, 120},
		{"NO_COLOR", map[string]string{"NO_COLOR": "1"}, true, 120, nil, false, 120},
		{"--no-color", nil, true, 120, []string{"--no-color"}, false, 120},
		{"no colour in a pipe", nil, false, 0, nil, false, 100},
		{"COLUMNS wins", map[string]string{"COLUMNS": "72"}, true, 200, []string{"--no-color"}, false, 72},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, out, _ := runWith(t, tc.env, tc.tty, tc.width, fixedNow(), append([]string{"scan", "--from", sample}, tc.args...)...)
			if got := strings.Contains(out, "\033["); got != tc.wantColor {
				t.Errorf("colour %v, want %v", got, tc.wantColor)
			}
			if tc.wantColor {
				return
			}
			for _, l := range strings.Split(out, "\n") {
				if n := len([]rune(l)); n > tc.maxWidth && !strings.HasPrefix(l, "Summary:") {
					t.Errorf("line of %d columns (max %d): %q", n, tc.maxWidth, l)
					break
				}
			}
		})
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	a := &app{stdout: &out, stderr: io.Discard, now: fixedNow, version: "dev", buildInfo: func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/pvaudit/pvaudit", Version: "v1.4.0"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.time", Value: "2026-11-20T10:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}, true
	}}
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out.Reset()
		if code := runApp(context.Background(), a, args); code != 0 {
			t.Fatalf("%v: exit %d", args, code)
		}
		want := "pvaudit v1.4.0 (revision 0123abcd+modified, committed 2026-11-20T10:00:00Z, go1.26.8)\n"
		if out.String() != want {
			t.Errorf("%v: %q, want %q", args, out.String(), want)
		}
	}
}

func TestEvidenceCommands(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sample := repoPath("testdata", "accounts", "sample.json")
	bundle := filepath.Join(dir, "evidence.zip")
	code, out, errs := runTest(t, "evidence", "export", "--framework", "nist-800-171", "--from", sample, "--out", bundle, "--required-external-id", "MARKER-cmd-9f1a2b")
	if code != exitFindings || !strings.Contains(out, "Evidence bundle written") {
		t.Fatalf("export: exit %d\n%s\n%s", code, out, errs)
	}
	b, err := evidence.Open(bundle)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range b.Files {
		if bytes.Contains(data, []byte("MARKER-cmd-9f1a2b")) {
			t.Errorf("%s holds the external ID given on the command line", name)
		}
	}
	// The manifest validates against its schema.
	schemas := compileSchemas(t)
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b.Files["manifest.json"]))
	if err != nil {
		t.Fatal(err)
	}
	if err := schemas["evidence-manifest"].Validate(doc); err != nil {
		t.Errorf("manifest.json: %v", err)
	}
	if code, out, _ := runTest(t, "evidence", "verify", bundle); code != exitClean || !strings.Contains(out, "Verified") {
		t.Errorf("verify: exit %d %s", code, out)
	}
	// scan --from BUNDLE takes the bundle's contract: the same verdict.
	exportLine := strings.SplitN(out, "\n", 3)[1]
	if code, again, _ := runTest(t, "scan", "--from", bundle, "-q"); code != exitFindings || strings.TrimSpace(again) != exportLine {
		t.Errorf("scan of the bundle: exit %d %q, want the export's %q", code, again, exportLine)
	}
	// Keys: sign, verify with the key, fail with another.
	keys := filepath.Join(dir, "k", "pvaudit")
	if code, _, errs := runTest(t, "evidence", "keygen", "--out", keys); code != 0 {
		t.Fatalf("keygen: %s", errs)
	}
	if code, _, _ := runTest(t, "evidence", "keygen", "--out", keys); code != exitError {
		t.Error("keygen overwrote a key")
	}
	other := filepath.Join(dir, "k", "other")
	runTest(t, "evidence", "keygen", "--out", other)
	signed := filepath.Join(dir, "signed")
	if code, _, errs := runTest(t, "evidence", "export", "--framework", "hipaa", "--from", sample, "--out", signed, "--sign-key", keys+".key"); code != exitFindings {
		t.Fatalf("signed export: exit %d %s", code, errs)
	}
	if code, out, _ := runTest(t, "evidence", "verify", signed, "--verify-key", keys+".pub"); code != exitClean || !strings.Contains(out, "signature valid") {
		t.Errorf("verify with the key: exit %d %s", code, out)
	}
	if code, _, _ := runTest(t, "evidence", "verify", signed, "--verify-key", other+".pub"); code != exitFindings {
		t.Errorf("verify with another key: exit %d, want 1", code)
	}
	if err := os.WriteFile(filepath.Join(signed, "coverage.md"), []byte("all good"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := runTest(t, "evidence", "verify", signed); code != exitFindings || !strings.Contains(out, "altered") {
		t.Errorf("verify of an altered bundle: exit %d %s", code, out)
	}
	if code, _, _ := runTest(t, "evidence", "verify", filepath.Join(dir, "nope.zip")); code != exitError {
		t.Errorf("verify of nothing: exit %d, want 2", code)
	}
	if code, _, errs := runTest(t, "evidence", "export", "--framework", "sox", "--from", sample, "--out", filepath.Join(dir, "x")); code != exitError || !strings.Contains(errs, "unknown framework") {
		t.Errorf("bad framework: exit %d %s", code, errs)
	}
}

// TestOutputDir: scheduled runs write timestamped files and *-latest
// copies, say what changed since the previous run, and keep N runs.
func TestOutputDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sample := repoPath("testdata", "accounts", "sample.json")
	compliant := repoPath("testdata", "accounts", "compliant.json")
	day := func(d int) time.Time { return time.Date(2026, 11, d, 6, 0, 0, 0, time.UTC) }
	run := func(d int, file string) string {
		_, out, errs := runWith(t, nil, false, 0, day(d), "scan", "--from", file, "--output-dir", dir, "--keep", "2", "-o", "markdown")
		if errs != "" && !strings.Contains(errs, "level=") {
			t.Logf("stderr: %s", errs)
		}
		return out
	}
	run(1, sample)
	out := run(2, compliant)
	if !strings.Contains(out, "Since the last run") || !strings.Contains(out, "70 resolved") && !strings.Contains(out, "resolved") {
		t.Errorf("second run lacks the since-last-run section:\n%s", out)
	}
	var latest struct {
		SinceLastRun struct {
			Resolved []any `json:"resolved"`
			New      []any `json:"new"`
		} `json:"since_last_run"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "scan-latest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &latest); err != nil {
		t.Fatal(err)
	}
	if len(latest.SinceLastRun.Resolved) == 0 || len(latest.SinceLastRun.New) != 0 {
		t.Errorf("sample → compliant: %d resolved, %d new", len(latest.SinceLastRun.Resolved), len(latest.SinceLastRun.New))
	}
	run(3, sample)
	keep := filepath.Join(dir, "notes.txt")
	os.WriteFile(keep, []byte("not ours"), 0o644)
	run(4, sample)
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	got := strings.Join(names, " ")
	for _, want := range []string{"scan-20261103T060000Z.json", "scan-20261104T060000Z.sarif", "scan-latest.html", "scan-latest.junit.xml", "notes.txt"} {
		if !strings.Contains(got, want) {
			t.Errorf("%s missing from %s", want, got)
		}
	}
	if strings.Contains(got, "20261101") || strings.Contains(got, "20261102") {
		t.Errorf("--keep 2 kept older runs: %s", got)
	}
}

func TestControlsAndSchedule(t *testing.T) {
	t.Parallel()
	code, out, _ := runTest(t, "controls", "list", "--framework", "hipaa")
	if code != 0 || !strings.Contains(out, "164.312(a)(1)") || !strings.Contains(out, "Access control") {
		t.Errorf("controls list: exit %d\n%s", code, out)
	}
	code, out, _ = runTest(t, "controls", "list", "--framework", "nist-800-53", "--from", repoPath("testdata", "accounts", "compliant.json"), "-o", "csv")
	if code != exitError || !strings.Contains(out, "NOT_EVALUATED") || !strings.Contains(out, "PASS") {
		// compliant: the CloudTrail rules did not run, so the controls they
		// evidence are NOT_EVALUATED; the run itself is clean (exit 0).
		if code != 0 {
			t.Errorf("controls of compliant: exit %d\n%s", code, out)
		}
	}
	for _, f := range schedule.Formats() {
		code, out, _ := runTest(t, "schedule", "render", "--format", f)
		if code != 0 {
			t.Fatalf("%s: exit %d", f, code)
		}
		for _, act := range schedule.ReadActions() {
			if !strings.Contains(out, act) {
				t.Errorf("%s lacks %s", f, act)
			}
		}
		for _, mut := range []string{"iam:Create", "iam:Put", "iam:Attach", "iam:Delete", "iam:Update"} {
			if strings.Contains(out, mut) {
				t.Errorf("%s grants %s", f, mut)
			}
		}
		golden(t, "schedule."+f+".txt", out)
	}
}

func TestEvidenceOutputDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	day := func(d int) time.Time { return time.Date(2026, 11, d, 6, 0, 0, 0, time.UTC) }
	for i, acct := range []string{"sample.json", "compliant.json"} {
		code, out, errs := runWith(t, nil, false, 0, day(i+1), "evidence", "export", "--framework", "hipaa", "--from", repoPath("testdata", "accounts", acct), "--output-dir", dir, "--keep", "1")
		if code == exitError {
			t.Fatalf("export %s: %s", acct, errs)
		}
		if i == 1 && !strings.Contains(out, "Since the last bundle") {
			t.Errorf("second export does not compare with the first:\n%s", out)
		}
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "evidence-hipaa-20261102T060000Z.zip evidence-hipaa-latest.zip" {
		t.Errorf("folder holds %v", names)
	}
	if code, _, _ := runTest(t, "evidence", "verify", filepath.Join(dir, "evidence-hipaa-latest.zip")); code != exitClean {
		t.Errorf("the latest bundle does not verify: exit %d", code)
	}
}
