package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/golden")

// fixedNow is the clock every command test runs with.
func fixedNow() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) }

// runTest runs pvaudit in-process and returns exit code, stdout and stderr.
func runTest(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runTestAt(t, fixedNow, args...)
}

// runTestAt is runTest with another clock.
func runTestAt(t *testing.T, now func() time.Time, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	a := &app{stdout: &out, stderr: &errb, now: now, version: "test"}
	code := runApp(context.Background(), a, args)
	return code, out.String(), errb.String()
}

func repoPath(parts ...string) string {
	return filepath.Join(append([]string{"..", ".."}, parts...)...)
}

// golden compares got with testdata/golden/name, rewriting it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := repoPath("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test ./cmd/pvaudit -update to create it): %v", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run with -update if the change is intended)\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExitCodes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sample := repoPath("testdata", "accounts", "sample.json")
	compliant := repoPath("testdata", "accounts", "compliant.json")
	malformed := writeFile(t, dir, "malformed.json", "{\n  \"RoleDetailList\": [\n    {\"RoleName\": \"x\",\n")
	unknownDuration := repoPath("testdata", "checks", "PV-XAR-004", "fire-unknown-duration.json")
	// Accepts the PV-XAR-004 ERROR and the three PV-PRB-001 NOT_EVALUATED
	// findings of that fixture: the scan must stay incomplete.
	acceptGaps := writeFile(t, dir, "accept-gaps.yaml", `suppressions:
  - check: PV-XAR-004
    resource: arn:aws:iam::481516234201:role/Pennsieve-Compute-prod-a3f1b20c
    reason: provider ticket PN-1
    expires: 2027-01-31
  - {fingerprint: 3fd5f8f0c35fcdc5, reason: no lambda processor, expires: 2027-01-31}
  - {fingerprint: 4261b70a5e1161ea, reason: no lambda processor, expires: 2027-01-31}
  - {fingerprint: 9b9e0f54bbadb323, reason: no lambda processor, expires: 2027-01-31}
  - {check: PV-NOPE-001, resource: x, reason: stale, expires: 2027-01-31}
`)
	parConfig := writeFile(t, dir, "par.yaml", "contract: par\n")
	typoConfig := writeFile(t, dir, "typo.yaml", "contract: par\nparamters:\n  env: x\n")
	gaps := writeFile(t, dir, "gaps.json", `{"schema":"pvaudit.snapshot/v1","account_id":"111122223333","source":"live",
"gaps":[{"operation":"iam:GetAccountAuthorizationDetails","code":"AccessDenied","message":"not authorized"}]}`)
	tests := []struct {
		name       string
		args       []string
		want       int
		wantStdout string
		wantStderr string
	}{
		{"sample has findings", []string{"scan", "--from", sample}, 1, "FAIL", ""},
		{"compliant is clean", []string{"scan", "--from", compliant}, 0, "Summary: clean", ""},
		{"fail-on above the findings", []string{"scan", "--from", sample, "--checks", "PV-XAR-004,PV-BND-001", "--fail-on", "critical"}, 0, "FAIL", ""},
		{"fail-on low", []string{"scan", "--from", sample, "--fail-on", "low"}, 1, "", ""},
		{"coverage gap is incomplete", []string{"scan", "--from", gaps}, 2, "INCOMPLETE", ""},
		{"coverage gap shows what was not read", []string{"scan", "--from", gaps}, 2, "iam:GetAccountAuthorizationDetails", ""},
		{"malformed file", []string{"scan", "--from", malformed}, 2, "", "malformed.json:"},
		{"missing file", []string{"scan", "--from", filepath.Join(dir, "nope.json")}, 2, "", "no such file"},
		{"unknown flag", []string{"scan", "--frm", sample}, 2, "", "unknown flag"},
		{"bad fail-on", []string{"scan", "--from", sample, "--fail-on", "severe"}, 2, "", "unknown severity"},
		{"bad output format", []string{"scan", "--from", sample, "-o", "xml"}, 2, "", "unknown output format"},
		{"unknown check", []string{"scan", "--from", sample, "--checks", "PV-NOPE-1"}, 2, "", "unknown check"},
		{"only one check", []string{"scan", "--from", sample, "--checks", "PV-XAR-001", "--show-pass"}, 0, "PV-XAR-001", ""},
		{"skip the failing checks", []string{"scan", "--from", sample, "--checks", "PV-XAR-001,PV-BND-001,PV-BND-002", "--skip-checks", "PV-BND-001,PV-BND-002"}, 0, "", ""},
		{"unknown contract", []string{"scan", "--from", sample, "--contract", "nope"}, 2, "", "neither a built-in"},
		{"from with profile", []string{"scan", "--from", sample, "--profile", "x"}, 2, "", "cannot be combined"},
		{"external id without role", []string{"scan", "--external-id", "x"}, 2, "", "--external-id needs --role-arn"},
		{"bad endpoint", []string{"scan", "--endpoint-url", "not a url"}, 2, "", "not an absolute URL"},
		{"bad log level", []string{"scan", "--from", sample, "--log-level", "loud"}, 2, "", "--log-level"},
		{"unknown command", []string{"scna"}, 2, "", "unknown command"},
		{"version", []string{"version"}, 0, "pvaudit test", ""},
		{"roles", []string{"roles", "--from", sample}, 0, "Pennsieve-Compute-prod-a3f1b20c", ""},
		{"roles of gaps", []string{"roles", "--from", gaps}, 2, "Incomplete", ""},
		{"snapshot with gaps", []string{"snapshot", "--from", gaps}, 2, "", "snapshot is incomplete"},
		{"help has an example", []string{"scan", "--help"}, 0, "Examples:", ""},
		{"digests need a folder", []string{"trail", "sessions", "--file", repoPath("testdata", "trail", "messy.ndjson"), "--verify-digests"}, 2, "", "--verify-digests needs --dir"},
		{"a digest key that is not one", []string{"trail", "sessions", "--dir", repoPath("testdata", "trail"), "--verify-digests", "--digest-public-key", sample}, 2, "", "--digest-public-key"},
		{"help names the --from argument", []string{"scan", "--help"}, 0, "--from FILE", ""},
		{"suppressed gaps stay incomplete", []string{"scan", "--from", unknownDuration, "--suppress", acceptGaps}, 2, "4 of them accepted gaps", ""},
		{"suppressed gaps are listed", []string{"scan", "--from", unknownDuration, "--suppress", acceptGaps}, 2, "ERROR PV-XAR-004 on role/Pennsieve-Compute-prod-a3f1b20c: provider ticket PN-1", ""},
		{"a suppression matching nothing warns with its line", []string{"scan", "--from", unknownDuration, "--suppress", acceptGaps}, 2, "", "accept-gaps.yaml:9"},
		{"fail below fail-on says clean", []string{"scan", "--from", sample, "--checks", "PV-BND-001", "--fail-on", "critical"}, 0, "Summary: clean", ""},
		{"roles reads the config file", []string{"roles", "--from", repoPath("testdata", "accounts", "par-sample.json"), "--config", parConfig}, 0, "par-task", ""},
		{"config typo", []string{"scan", "--from", sample, "--config", typoConfig}, 2, "", `typo.yaml:2:1: unknown key "paramters" (did you mean "parameters"?)`},
		{"config is named in the report", []string{"scan", "--from", repoPath("testdata", "accounts", "par-sample.json"), "--config", parConfig}, 1, "config    " + parConfig, ""},
		{"unknown probe variable", []string{"probe", "--from", sample, "--var", "nosuchvar=1"}, 2, "", "--var nosuchvar: no such template variable"},
		{"two formats on stdout", []string{"scan", "--from", sample, "-o", "table", "-o", "json"}, 2, "", "only one format can go to standard output"},
		{"format not available for the kind", []string{"roles", "--from", sample, "-o", "xml"}, 2, "", "unknown output format"},
		{"trail show is incomplete on undecodable records", []string{"trail", "show", "ASIAFIXTURE", "--file", repoPath("testdata", "trail", "messy.ndjson"), "--file", repoPath("testdata", "trail", "damaged.ndjson"), "--provisioner-account", "999988887777"}, 2, "INCOMPLETE", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runTest(t, tc.args...)
			if code != tc.want {
				t.Errorf("exit code = %d, want %d\nstdout: %s\nstderr: %s", code, tc.want, stdout, stderr)
			}
			if !strings.Contains(stdout, tc.wantStdout) {
				t.Errorf("stdout does not contain %q:\n%s", tc.wantStdout, stdout)
			}
			if !strings.Contains(stderr, tc.wantStderr) {
				t.Errorf("stderr does not contain %q:\n%s", tc.wantStderr, stderr)
			}
		})
	}
}

func TestGoldenOutputs(t *testing.T) {
	t.Parallel()
	sample := repoPath("testdata", "accounts", "sample.json")
	compliant := repoPath("testdata", "accounts", "compliant.json")
	tests := []struct {
		golden string
		args   []string
	}{
		{"scan-sample.txt", []string{"scan", "--from", sample}},
		{"scan-sample.json", []string{"scan", "--from", sample, "-o", "json"}},
		{"scan-compliant.txt", []string{"scan", "--from", compliant}},
		{"roles-sample.txt", []string{"roles", "--from", sample}},
	}
	for _, tc := range tests {
		t.Run(tc.golden, func(t *testing.T) {
			t.Parallel()
			_, stdout, _ := runTest(t, tc.args...)
			// Paths in the output depend on where tests run from.
			stdout = strings.ReplaceAll(stdout, filepath.ToSlash(repoPath()), "REPO")
			golden(t, tc.golden, stdout)
		})
	}
}

func TestSnapshotWritesAtomically(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "snap.json")
	sample := repoPath("testdata", "accounts", "sample.json")
	if code, _, stderr := runTest(t, "snapshot", "--from", sample, "-o", out); code != 0 {
		t.Fatalf("snapshot exit %d: %s", code, stderr)
	}
	first, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	// The snapshot scans exactly like the file it came from.
	_, fromSnap, _ := runTest(t, "scan", "--from", out, "-o", "json")
	_, fromCLI, _ := runTest(t, "scan", "--from", sample, "-o", "json")
	norm := func(s string) string {
		s = strings.ReplaceAll(s, out, "IN")
		s = strings.ReplaceAll(s, sample, "IN")
		return s
	}
	if norm(fromSnap) != norm(fromCLI) {
		t.Errorf("scan of the snapshot differs from scan of the export")
	}
	// A failing run must leave the existing file untouched.
	malformed := writeFile(t, dir, "bad.json", `{"RoleDetailList": [`)
	if code, _, _ := runTest(t, "snapshot", "--from", malformed, "-o", out); code != 2 {
		t.Fatalf("snapshot of a malformed file: exit %d, want 2", code)
	}
	after, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, after) {
		t.Error("a failed snapshot changed the existing output file")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}

// TestEveryCommandHasHelpAndExample walks the command tree: every command
// a user can type has a short description and an example.
func TestEveryCommandHasHelpAndExample(t *testing.T) {
	t.Parallel()
	var walk func(c *cobra.Command)
	n := 0
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			if sub.Hidden || sub.Name() == "help" || sub.Name() == "completion" {
				continue
			}
			n++
			t.Run(sub.CommandPath(), func(t *testing.T) {
				if sub.Short == "" || sub.Example == "" {
					t.Errorf("%q: Short %q, Example %q; want both", sub.CommandPath(), sub.Short, sub.Example)
				}
			})
			walk(sub)
		}
	}
	walk(newRootCmd(&app{stdout: io.Discard, stderr: io.Discard, now: fixedNow, version: "test"}))
	if n < 10 {
		t.Errorf("walked %d commands; the tree is not what this test expects", n)
	}
}
