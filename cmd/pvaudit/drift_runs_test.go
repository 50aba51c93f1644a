package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/pvaudit/pvaudit/reports/evidence"
	"github.com/pvaudit/pvaudit/schedule"
)

// driftPair writes a keyed clean and drifted snapshot (access keys listed,
// as a live read gives) and a baseline of the clean one, signed; it
// returns their paths and the public key.
func driftPair(t *testing.T) (dir, clean, drifted, approved, pub string) {
	t.Helper()
	dir = t.TempDir()
	clean = keyedSnapshot(t, dir, "clean.json", "compliant.json")
	drifted = keyedSnapshot(t, dir, "drifted.json", "compliant-drifted.json")
	priv, pub := filepath.Join(dir, "b.key"), filepath.Join(dir, "b.pub")
	if code, _, stderr := runTest(t, "baseline", "keygen", "--private-key", priv, "--public-key", pub); code != 0 {
		t.Fatal(stderr)
	}
	approved = filepath.Join(dir, "approved.json")
	if code, _, stderr := runTest(t, "baseline", "save", "--from", clean, "--baseline", approved, "--sign-key", priv); code != 0 {
		t.Fatal(stderr)
	}
	return dir, clean, drifted, approved, pub
}

// TestDriftOutputDir: drift --output-dir writes drift-STAMP.* and
// drift-latest.*, says what changed since the previous drift run, and
// --keep prunes older runs.
func TestDriftOutputDir(t *testing.T) {
	t.Parallel()
	dir, clean, drifted, approved, _ := driftPair(t)
	runs := filepath.Join(dir, "runs")
	day := func(d int) time.Time { return time.Date(2026, 11, d, 6, 0, 0, 0, time.UTC) }
	run := func(d int, snap string) (int, string) {
		code, out, errs := runWith(t, nil, false, 0, day(d), "drift", "--from", snap, "--baseline", approved, "--output-dir", runs, "--keep", "2")
		if code == exitError {
			t.Fatalf("drift run %d: exit 2\n%s", d, errs)
		}
		return code, out
	}
	if code, _ := run(1, clean); code != exitClean {
		t.Fatalf("first run (no drift): exit %d", code)
	}
	code, out := run(2, drifted)
	if code != exitFindings || !strings.Contains(out, "Since the last run") {
		t.Fatalf("second run: exit %d, no since-last-run section:\n%s", code, out)
	}
	var latest struct {
		Kind         string `json:"kind"`
		SinceLastRun struct {
			New []struct {
				CheckID string `json:"check_id"`
			} `json:"new"`
		} `json:"since_last_run"`
	}
	b, err := os.ReadFile(filepath.Join(runs, "drift-latest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &latest); err != nil {
		t.Fatal(err)
	}
	if latest.Kind != "drift" || len(latest.SinceLastRun.New) == 0 {
		t.Errorf("drift-latest.json: kind %q, %d new since the last run, want drift and the drift items", latest.Kind, len(latest.SinceLastRun.New))
	}
	validates(t, "drift", b)
	run(3, drifted)
	run(4, clean)
	entries, err := os.ReadDir(runs)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	got := strings.Join(names, " ")
	for _, want := range []string{"drift-20261103T060000Z.json", "drift-20261104T060000Z.sarif", "drift-latest.html", "drift-latest.junit.xml"} {
		if !strings.Contains(got, want) {
			t.Errorf("%s missing from %s", want, got)
		}
	}
	if strings.Contains(got, "20261101") || strings.Contains(got, "20261102") {
		t.Errorf("--keep 2 kept older runs: %s", got)
	}
	if code, _, errs := runTest(t, "drift", "--from", clean, "--baseline", approved, "--keep", "3"); code != exitError || !strings.Contains(errs, "--keep needs --output-dir") {
		t.Errorf("--keep without --output-dir: exit %d %s", code, errs)
	}
}

// TestEvidenceExportBaseline: evidence export --baseline puts the drift
// report into the bundle, the drift findings into findings.json and the
// verdict, and the baseline and its signature check into the manifest; a
// baseline that fails its check writes nothing.
func TestEvidenceExportBaseline(t *testing.T) {
	t.Parallel()
	dir, _, drifted, approved, pub := driftPair(t)
	bundle := filepath.Join(dir, "bundle")
	code, out, errs := runTest(t, "evidence", "export", "--framework", "nist-800-53", "--from", drifted, "--baseline", approved,
		"--baseline-verify-key", pub, "--out", bundle)
	if code != exitFindings {
		t.Fatalf("export: exit %d\n%s\n%s", code, out, errs)
	}
	b, err := evidence.Open(bundle)
	if err != nil {
		t.Fatal(err)
	}
	var drift struct {
		Kind     string
		Baseline struct{ Signature string }
		Findings []struct {
			CheckID string `json:"check_id"`
		}
	}
	if err := json.Unmarshal(b.Files["drift.json"], &drift); err != nil {
		t.Fatalf("drift.json: %v", err)
	}
	if drift.Kind != "drift" || drift.Baseline.Signature != "verified" || len(drift.Findings) == 0 {
		t.Errorf("drift.json: kind %q, signature %q, %d findings", drift.Kind, drift.Baseline.Signature, len(drift.Findings))
	}
	var findings struct {
		RulesEvaluated []string `json:"rules_evaluated"`
		Findings       []struct {
			CheckID string `json:"check_id"`
		}
	}
	if err := json.Unmarshal(b.Files["findings.json"], &findings); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range findings.Findings {
		if strings.HasPrefix(f.CheckID, "DRIFT-") {
			n++
		}
	}
	if n != len(drift.Findings) || !strings.Contains(strings.Join(findings.RulesEvaluated, " "), "DRIFT-004") {
		t.Errorf("findings.json holds %d drift findings (drift.json %d); rules evaluated %v", n, len(drift.Findings), findings.RulesEvaluated)
	}
	var m evidence.Manifest
	if err := json.Unmarshal(b.Files["manifest.json"], &m); err != nil {
		t.Fatal(err)
	}
	validates(t, "evidence-manifest", b.Files["manifest.json"])
	validates(t, "drift", b.Files["drift.json"])
	if m.Baseline == nil || m.Baseline.Signature != "verified" || m.Baseline.Name != approved || len(m.Baseline.SHA256) != 64 {
		t.Errorf("manifest baseline %+v", m.Baseline)
	}
	var ctl struct {
		Controls []struct {
			ID    string
			Rules []struct{ ID, Status string }
		}
	}
	if err := json.Unmarshal(b.Files["controls.json"], &ctl); err != nil {
		t.Fatal(err)
	}
	for _, c := range ctl.Controls {
		for _, r := range c.Rules {
			if strings.HasPrefix(r.ID, "DRIFT-") && r.Status == "NOT_RUN" {
				t.Errorf("control %s: %s not run although a baseline was given", c.ID, r.ID)
			}
		}
	}
	if code, _, _ := runTest(t, "evidence", "verify", bundle); code != exitClean {
		t.Errorf("verify: exit %d", code)
	}
	// Re-analysing the bundle cannot re-derive drift: incomplete, not clean.
	if code, again, _ := runTest(t, "scan", "--from", bundle, "-q"); code != exitError || !strings.Contains(again, "INCOMPLETE") {
		t.Errorf("scan --from a bundle exported with a baseline: exit %d %q, want 2 (the baseline is not in the bundle)", code, again)
	}

	// Every drift rule counts as run, also those with no item (not
	// "needs a baseline").
	var cov struct {
		NotRun []struct{ ID string } `json:"not_run"`
	}
	if err := json.Unmarshal(b.Files["coverage.json"], &cov); err != nil {
		t.Fatal(err)
	}
	for _, r := range cov.NotRun {
		if strings.HasPrefix(r.ID, "DRIFT-") {
			t.Errorf("%s listed as not run although a baseline was given", r.ID)
		}
	}

	// A baseline that fails its check: exit 2, no bundle.
	data, err := os.ReadFile(approved)
	if err != nil {
		t.Fatal(err)
	}
	bad := writeFile(t, dir, "bad.json", strings.Replace(string(data), "941377122013", "444455556666", 1))
	for _, args := range [][]string{
		{"--baseline", bad},
		{"--baseline", approved, "--baseline-verify-key", filepath.Join(dir, "nope.pub")},
		{"--baseline-verify-key", pub},
	} {
		out := filepath.Join(dir, "refused"+string(rune('a'+len(args))))
		code, _, errs := runTest(t, append([]string{"evidence", "export", "--framework", "hipaa", "--from", drifted, "--out", out}, args...)...)
		if code != exitError {
			t.Errorf("%v: exit %d, want 2\n%s", args, code, errs)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%v: a bundle was written", args)
		}
	}
}

// TestDriftSuppressions: suppressions apply to drift findings as to every
// finding: a suppressed FAIL no longer fails the run, a suppressed
// NOT_EVALUATED item keeps it incomplete (exit 2).
func TestDriftSuppressions(t *testing.T) {
	t.Parallel()
	dir, _, drifted, approved, _ := driftPair(t)
	cliBase := filepath.Join(dir, "cli-approved.json")
	if code, _, stderr := runTest(t, "baseline", "save", "--from", repoPath("testdata", "accounts", "compliant.json"), "--baseline", cliBase); code != 0 {
		t.Fatal(stderr)
	}
	_, out, _ := runTest(t, "drift", "--from", drifted, "--baseline", approved, "-o", "json")
	var rep struct {
		Findings []struct {
			CheckID  string `json:"check_id"`
			Resource string
			Severity string
			Status   string
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	var rules strings.Builder
	rules.WriteString("suppressions:\n")
	for _, f := range rep.Findings {
		if f.Status == "FAIL" {
			rules.WriteString("  - {check: " + f.CheckID + ", resource: '" + f.Resource + "', reason: approved in CHG-1, expires: 2099-12-31}\n")
		}
	}
	all := writeFile(t, dir, "all.yaml", rules.String())
	cases := []struct {
		name     string
		args     []string
		code     int
		inStdout string
	}{
		{"every FAIL suppressed", []string{"drift", "--from", drifted, "--baseline", approved, "--suppress", all}, exitClean, "(suppressed: approved in CHG-1)"},
		{"a suppressed not-evaluated item stays incomplete", []string{"drift", "--from", repoPath("testdata", "accounts", "compliant-drifted.json"),
			"--baseline", cliBase, "--suppress", writeFile(t, dir, "ne.yaml", "suppressions:\n  - {check: DRIFT-011, resource: '*', reason: keys are reviewed by hand, expires: 2099-12-31}\n  - {check: '*', resource: '*', reason: all of it, expires: 2099-12-31}\n")},
			exitError, "INCOMPLETE"},
		{"scan --baseline: the same rules", []string{"scan", "--from", drifted, "--baseline", approved, "--suppress", all, "--checks", "DRIFT-001,DRIFT-003,DRIFT-004,DRIFT-006,DRIFT-007,DRIFT-009,DRIFT-010", "-q"}, exitClean, "clean"},
	}
	for _, tc := range cases {
		code, stdout, stderr := runTest(t, tc.args...)
		if code != tc.code || !strings.Contains(stdout, tc.inStdout) {
			t.Errorf("%s: exit %d (want %d)\nstdout: %.2000s\nstderr: %s", tc.name, code, tc.code, stdout, stderr)
		}
	}
}

// TestScheduleDrift: schedule render --drift runs evidence export with the
// baseline from the bucket's baselines/ and lets the task read only that;
// without --drift nothing of it is there.
func TestScheduleDrift(t *testing.T) {
	t.Parallel()
	for _, f := range schedule.Formats() {
		code, plain, _ := runTest(t, "schedule", "render", "--format", f)
		if code != 0 {
			t.Fatalf("%s: exit %d", f, code)
		}
		code, out, _ := runTest(t, "schedule", "render", "--format", f, "--drift")
		if code != 0 {
			t.Fatalf("%s --drift: exit %d", f, code)
		}
		for _, want := range []string{"--baseline", "/baseline/approved.json", "--baseline-verify-key", "FetchBaseline", "s3:GetObject", "/baselines/*", "fetch-baseline"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s --drift lacks %q", f, want)
			}
			if strings.Contains(plain, want) {
				t.Errorf("%s without --drift has %q", f, want)
			}
		}
		for _, mut := range []string{"iam:Create", "iam:Put", "iam:Attach", "iam:Delete", "iam:Update", "s3:DeleteObject", "s3:PutObject\n                Resource: !Sub \"${EvidenceBucket.Arn}/baselines"} {
			if strings.Contains(out, mut) {
				t.Errorf("%s --drift grants %s", f, mut)
			}
		}
		golden(t, "schedule-drift."+f+".txt", out)
	}
}

// validates checks a JSON document against the schema of a report kind.
func validates(t *testing.T, kind string, data []byte) {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if err := compileSchemas(t)[kind].Validate(doc); err != nil {
		t.Errorf("%s: %v", kind, err)
	}
}

// TestOneKeyForBundlesAndBaselines: a key pair from either keygen signs
// both a baseline and an evidence bundle, and both name it alike.
func TestOneKeyForBundlesAndBaselines(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	prefix := filepath.Join(dir, "k")
	if code, _, errs := runTest(t, "evidence", "keygen", "--out", prefix); code != 0 {
		t.Fatal(errs)
	}
	small := repoPath("testdata", "hostile", "baseline", "account.json") // one role: the export is quick
	code, out, errs := runTest(t, "baseline", "save", "--from", small, "--baseline", filepath.Join(dir, "b.json"), "--sign-key", prefix+".key")
	if code != 0 {
		t.Fatalf("baseline save with an evidence key: %s", errs)
	}
	i := strings.Index(out, "signed by sha256:")
	if i < 0 {
		t.Fatalf("save output names no key: %s", out)
	}
	id := strings.Fields(out[i+len("signed by "):])[0]
	if code, _, errs := runTest(t, "baseline", "verify", "--baseline", filepath.Join(dir, "b.json"), "--verify-key", prefix+".pub"); code != 0 {
		t.Errorf("baseline verify with the evidence public key: %s", errs)
	}
	bundle := filepath.Join(dir, "e")
	if code, _, errs := runTest(t, "evidence", "export", "--framework", "hipaa", "--from", small, "--out", bundle, "--sign-key", prefix+".key"); code == exitError && errs != "" {
		t.Fatalf("export: %s", errs) // an incomplete scan exits 2 too, silently, with the bundle written
	}
	code, vout, _ := runTest(t, "evidence", "verify", bundle, "--verify-key", prefix+".pub")
	if code != exitClean || !strings.Contains(vout, "signature valid ("+id+")") {
		t.Errorf("the bundle names the key otherwise than the baseline (%s):\n%s", id, vout)
	}
}

// TestDriftFilter: --severity and --status list fewer drift items, never
// change the verdict, and the table does not claim "no drift".
func TestDriftFilter(t *testing.T) {
	t.Parallel()
	_, _, drifted, approved, _ := driftPair(t)
	code, out, errs := runTest(t, "drift", "--from", drifted, "--baseline", approved, "--severity", "info")
	if code != exitFindings || strings.Contains(out, "No drift: the account matches") || !strings.Contains(out, "matches the filter") {
		t.Errorf("filtered drift: exit %d (want 1)\n%s\n%s", code, out, errs)
	}
	code, out, _ = runTest(t, "drift", "--from", drifted, "--baseline", approved, "--status", "FAIL", "--severity", "low", "-o", "json")
	var rep struct {
		Filter   string
		Findings []struct{ Severity, Status string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if code != exitFindings || rep.Filter == "" || len(rep.Findings) != 1 || rep.Findings[0].Severity != "low" {
		t.Errorf("exit %d, filter %q, %d findings %+v: want the one low FAIL (tags) and the filter named", code, rep.Filter, len(rep.Findings), rep.Findings)
	}
}
