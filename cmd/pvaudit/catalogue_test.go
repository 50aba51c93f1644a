package main

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pvaudit/pvaudit/baseline"
	"github.com/pvaudit/pvaudit/checks"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/probes"
	"github.com/pvaudit/pvaudit/reports"
	"github.com/pvaudit/pvaudit/trail"
)

type jsonReport struct {
	Complete bool              `json:"complete"`
	Summary  finding.Summary   `json:"summary"`
	Findings []finding.Finding `json:"findings"`
}

func scanJSON(t *testing.T, args ...string) (int, jsonReport, string) {
	t.Helper()
	code, stdout, stderr := runTest(t, append(args, "-o", "json")...)
	var rep jsonReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("scan %v: not JSON (%v)\nstdout: %s\nstderr: %s", args, err, stdout, stderr)
	}
	return code, rep, stderr
}

// catalogueIDs are the IDs of this package's catalogue (other analyses may
// add findings of their own to a scan).
func catalogueIDs() map[string]bool {
	ids := map[string]bool{}
	for _, c := range checks.Catalogue() {
		ids[c.ID] = true
	}
	return ids
}

// TestDoneWhen covers the "Done when" points: the sample account's
// planted problems are reported with evidence and fixes; the compliant
// account is clean; the PAR sample is checked with --contract par; and an
// account provisioned as the document describes but with an editable
// boundary policy reports that escalation path as critical.
func TestDoneWhen(t *testing.T) {
	t.Parallel()
	acct := func(name string) string { return repoPath("testdata", "accounts", name) }
	const a = "arn:aws:iam::481516234201:"
	type want struct {
		check, resource, key string
		sev                  finding.Severity
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		// want are FAILs (or WARNs) that must be reported; when exact is
		// set, no other catalogue finding may be non-PASS.
		want  []want
		exact bool
	}{
		{"sample: planted problems", []string{"scan", "--from", acct("sample.json")}, 1, []want{
			{"PV-BND-001", a + "role/pennsieve-b24e11d0-processor-ecs", "", finding.High},
			{"PV-BND-002", a + "role/pennsieve-b24e11d0-gpu-instance", "", finding.High},
			{"PV-XAR-004", a + "role/Pennsieve-Compute-prod-a3f1b20c", "", finding.High},
			{"PV-XAR-006", a + "role/Pennsieve-Compute-prod-a3f1b20c", "route53", finding.High},
			{"PV-ACC-001", a + "user/pennsieve-deployer", "", finding.High},
			{"PV-ACC-002", a + "role/ROLE-481516234201", "", finding.Critical},
			{"PV-BND-004", a + "policy/pennsieve-boundary-7f3a9c21", "v1", finding.High},
			{"PV-CHD-003", a + "role/pennsieve-7f3a9c21-processor-lambda", "s3", finding.High},
			{"PV-CHD-004", a + "role/pennsieve-7f3a9c21-processor-lambda", "", finding.High},
			{"PV-CHD-001", a + "role/pennsieve-b24e11d0-workflow", "", finding.High},
			{"PV-ESC-006", a + "role/pennsieve-b24e11d0-workflow", "", finding.Critical},
			{"PV-ESC-003", a + "role/Pennsieve-Compute-prod-a3f1b20c", "unconditioned attach", finding.Critical},
		}, false},
		{"compliant: clean", []string{"scan", "--from", acct("compliant.json")}, 0, nil, true},
		{"PAR sample with --contract par", []string{"scan", "--from", acct("par-sample.json"), "--contract", "par"}, 1, []want{
			{"PV-PAR-002", a + "role/pixell-agent-runtime-task-role", "ecs:*", finding.Critical},
			{"PV-PAR-002", a + "role/pixell-agent-runtime-task-role", "servicediscovery:*", finding.Critical},
			{"PV-PAR-003", a + "role/pixell-agent-runtime-task-role", "s3", finding.High},
			{"PV-PAR-005", a + "role/pixell-agent-runtime-execution-role", "arn:aws:iam::aws:policy/SecretsManagerReadWrite", finding.High},
			{"PV-PAR-005", a + "role/pixell-agent-runtime-execution-role",
				"elasticfilesystem:ClientMount arn:aws:elasticfilesystem:*:{account_id}:file-system/* without elasticfilesystem:AccessPointArn", finding.High},
			{"PV-PAR-006", a + "role/pixell-agent-runtime-execution-role", "", finding.Low},
			{"PV-ACC-001", a + "user/pixell-runtime-bot", "", finding.High},
			{"PV-ACC-002", a + "role/ROLE-481516234201", "", finding.Critical},
		}, false},
		{"PAR compliant with --contract par", []string{"scan", "--from", acct("par-compliant.json"), "--contract", "par"}, 0, nil, true},
		{"editable boundary: critical escalation", []string{"scan", "--from", acct("editable-boundary.json")}, 1, []want{
			{"PV-ESC-001", a + "role/Pennsieve-Compute-prod-a3f1b20c", "edit pennsieve-boundary-7f3a9c21", finding.Critical},
			{"PV-ESC-001", a + "role/Pennsieve-Compute-prod-a3f1b20c", "edit pennsieve-boundary-b24e11d0", finding.Critical},
		}, true},
	}
	ids := catalogueIDs()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, rep, stderr := scanJSON(t, tc.args...)
			if code != tc.wantCode {
				t.Errorf("exit code = %d, want %d (stderr %s)", code, tc.wantCode, stderr)
			}
			var matched []int
			for _, w := range tc.want {
				i := slices.IndexFunc(rep.Findings, func(f finding.Finding) bool {
					return f.CheckID == w.check && f.Resource == w.resource && f.Key == w.key && (f.Status == finding.Fail || f.Status == finding.Warn)
				})
				if i < 0 {
					t.Errorf("no FAIL/WARN %s on %s key %q", w.check, w.resource, w.key)
					continue
				}
				matched = append(matched, i)
				f := rep.Findings[i]
				if f.Severity != w.sev {
					t.Errorf("%s on %s: got severity %s, want %s", w.check, w.resource, f.Severity, w.sev)
				}
				if f.Remediation == "" || len(f.Evidence) == 0 || f.Message == "" || len(f.Controls) == 0 {
					t.Errorf("%s on %s lacks remediation, evidence, message or controls: %+v", w.check, w.resource, f)
				}
				if strings.HasPrefix(w.check, "PV-ESC-00") && w.check != "PV-ESC-006" && !strings.Contains(f.Message, " → ") {
					t.Errorf("%s message %q does not state the path as who → action → gain", w.check, f.Message)
				}
			}
			if tc.exact {
				for i, f := range rep.Findings {
					// WARNs are advisory (the node roles that are not processors
					// reaching other nodes' log groups through the AWS managed
					// execution policy, say): only FAIL, ERROR and NOT_EVALUATED
					// make an account unclean.
					if ids[f.CheckID] && f.Status != finding.Pass && f.Status != finding.Warn && !slices.Contains(matched, i) {
						if len(tc.want) > 0 && f.CheckID == tc.want[0].check && f.Severity == finding.Critical && f.Status == finding.Fail {
							continue // more paths of the same kind
						}
						t.Errorf("unexpected %s %s %s on %s: %s", f.Status, f.Severity, f.CheckID, f.Resource, f.Message)
					}
				}
			}
		})
	}
}

func TestSuppressions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sample := repoPath("testdata", "accounts", "sample.json")
	xa := "arn:aws:iam::481516234201:role/Pennsieve-Compute-prod-a3f1b20c"
	rule := func(expires string) string {
		return writeFile(t, dir, "s-"+expires+".yaml", "suppressions:\n  - check: PV-XAR-004\n    resource: "+xa+
			"\n    reason: provider ticket 1234, long Terraform applies\n    expires: "+expires+"\n")
	}
	byFingerprint := writeFile(t, dir, "fp.yaml", "suppressions:\n  - fingerprint: FP\n    reason: accepted\n    expires: 2027-01-01\n")
	tests := []struct {
		name           string
		file           string
		wantCode       int
		wantSuppressed bool
		wantStderr     string
	}{
		{"valid through today", rule("2026-11-23"), 0, true, ""},
		{"expired yesterday", rule("2026-11-22"), 1, false, "suppression expired"},
		{"bad file", writeFile(t, dir, "bad.yaml", "suppressions:\n  - check: PV-XAR-004\n    reason: x\n"), 2, false, "needs fingerprint"},
		{"unknown key", writeFile(t, dir, "unk.yaml", "suppresions: []\n"), 2, false, "suppresions"},
		{"by fingerprint", byFingerprint, 0, true, ""},
	}
	// The fingerprint of the finding, from an unsuppressed run.
	_, rep, _ := scanJSON(t, "scan", "--from", sample, "--checks", "PV-XAR-004")
	fp := ""
	for _, f := range rep.Findings {
		if f.CheckID == "PV-XAR-004" && f.Status == finding.Fail {
			fp = f.Fingerprint
		}
	}
	if fp == "" {
		t.Fatal("PV-XAR-004 does not fail on the sample")
	}
	writeFile(t, dir, "fp.yaml", "suppressions:\n  - fingerprint: "+fp+"\n    reason: accepted\n    expires: 2027-01-01\n")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runTest(t, "scan", "--from", sample, "--checks", "PV-XAR-004", "--fail-on", "medium", "--suppress", tc.file, "-o", "json", "--log-level", "info")
			if code != tc.wantCode {
				t.Fatalf("exit code = %d, want %d (stderr %s)", code, tc.wantCode, stderr)
			}
			if !strings.Contains(stderr, tc.wantStderr) {
				t.Errorf("stderr %q does not contain %q", stderr, tc.wantStderr)
			}
			if code == 2 {
				return
			}
			var r jsonReport
			if err := json.Unmarshal([]byte(stdout), &r); err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(r.Findings, func(f finding.Finding) bool { return f.CheckID == "PV-XAR-004" && f.Status == finding.Fail })
			if i < 0 {
				t.Fatal("the suppressed finding disappeared from the report; it must stay visible")
			}
			if got := r.Findings[i].Suppressed != nil; got != tc.wantSuppressed {
				t.Errorf("suppressed = %v, want %v", got, tc.wantSuppressed)
			}
			if tc.wantSuppressed && (r.Summary.Suppressed != 1 || r.Summary.Fail != 0) {
				t.Errorf("summary = %+v, want 1 suppressed and 0 fail", r.Summary)
			}
		})
	}
}

func TestConfigAndParameters(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	compliant := repoPath("testdata", "accounts", "compliant.json")
	other := writeFile(t, dir, "other.yaml", "contract: pennsieve\nparameters:\n  provisioner_account_id: \"222233334444\"\n")
	right := writeFile(t, dir, "right.yaml", "parameters:\n  provisioner_account_id: \"941377122013\"\n  external_id: pn-ext-4c1d9e7a52\n")
	wrongID := writeFile(t, dir, "wrongid.yaml", "parameters:\n  external_id: not-the-one\n")
	unknown := writeFile(t, dir, "unknown.yaml", "parameter:\n  env: prod\n")
	badAcct := writeFile(t, dir, "badacct.yaml", "parameters:\n  provisioner_account_id: \"12\"\n")
	parCfg := writeFile(t, dir, "par.yaml", "contract: par\nparameters:\n  package_bucket: other-packages\n")
	tests := []struct {
		name       string
		args       []string
		want       int
		wantStdout string
		wantStderr string
	}{
		{"config pins another provisioner", []string{"--config", other, "--checks", "PV-XAR-002"}, 1, "trust admits more than the provisioner: arn:aws:iam::941377122013:", ""},
		{"flag overrides config", []string{"--config", other, "--provisioner-account", "941377122013", "--checks", "PV-XAR-002"}, 0, "", ""},
		{"config with the right values", []string{"--config", right, "--checks", "PV-XAR-002,PV-XAR-003"}, 0, "", ""},
		{"required external ID differs", []string{"--config", wrongID, "--checks", "PV-XAR-003"}, 1, "cannot assume the role with the required external ID not-the-one", ""},
		{"required external ID flag", []string{"--required-external-id", "pn-ext-4c1d9e7a52", "--checks", "PV-XAR-003"}, 0, "", ""},
		{"env matches the role", []string{"--env", "prod", "--checks", "PV-XAR-001"}, 0, "", ""},
		{"env differs from the role", []string{"--env", "dev", "--checks", "PV-XAR-001", "--fail-on", "medium"}, 1, "the configured environment", ""},
		{"unknown config key", []string{"--config", unknown}, 2, "", "parameter"},
		{"bad account in config", []string{"--config", badAcct}, 2, "", "12-digit"},
		{"bad account flag", []string{"--provisioner-account", "abc"}, 2, "", "12-digit"},
		{"missing config file", []string{"--config", filepath.Join(dir, "nope.yaml")}, 2, "", "read config"},
		{"config chooses the par contract and its bucket", []string{"--config", parCfg}, 1, `"contract": "par"`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"scan", "--from", compliant, "-o", "json"}, tc.args...)
			if strings.Contains(tc.name, "par contract") {
				args[2] = repoPath("testdata", "accounts", "par-compliant.json")
			}
			code, stdout, stderr := runTest(t, args...)
			if code != tc.want {
				t.Errorf("exit code = %d, want %d\nstdout: %s\nstderr: %s", code, tc.want, stdout, stderr)
			}
			if !strings.Contains(stdout, tc.wantStdout) {
				t.Errorf("stdout does not contain %q:\n%s", tc.wantStdout, stdout)
			}
			if !strings.Contains(stderr, tc.wantStderr) {
				t.Errorf("stderr does not contain %q: %s", tc.wantStderr, stderr)
			}
		})
	}
}

func TestContractCommands(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, initOut, _ := runTest(t, "contract", "init", "--name", "ours")
	mine := writeFile(t, dir, "ours.yaml", initOut)
	tests := []struct {
		name       string
		args       []string
		want       int
		wantStdout string
		wantStderr string
	}{
		{"list", []string{"contract", "list"}, 0, "pennsieve", ""},
		{"list has par", []string{"contract", "list"}, 0, "Pixell Agent Runtime", ""},
		{"show", []string{"contract", "show", "par"}, 0, "name: par", ""},
		{"show unknown", []string{"contract", "show", "nope"}, 2, "", "neither a built-in"},
		{"init", []string{"contract", "init"}, 0, "name: my-contract", ""},
		{"init from par", []string{"contract", "init", "--from", "par"}, 0, "package_bucket: pixell-agent-packages", ""},
		{"init from unknown", []string{"contract", "init", "--from", "nope"}, 2, "", "no built-in contract"},
		{"show a file", []string{"contract", "show", mine}, 0, "name: ours", ""},
		{"scan with an initialised contract", []string{"scan", "--from", repoPath("testdata", "accounts", "compliant.json"), "--contract", mine}, 0, "contract  ours", ""},
		{"checks list", []string{"checks", "list"}, 0, "PV-ESC-001", ""},
		{"checks list bad format", []string{"checks", "list", "-o", "xml"}, 2, "", "want one of csv, json, markdown, table, yaml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runTest(t, tc.args...)
			if code != tc.want {
				t.Errorf("exit code = %d, want %d\nstderr: %s", code, tc.want, stderr)
			}
			if !strings.Contains(stdout, tc.wantStdout) {
				t.Errorf("stdout does not contain %q:\n%s", tc.wantStdout, stdout)
			}
			if !strings.Contains(stderr, tc.wantStderr) {
				t.Errorf("stderr does not contain %q: %s", tc.wantStderr, stderr)
			}
		})
	}
	t.Run("checks list json", func(t *testing.T) {
		t.Parallel()
		_, stdout, _ := runTest(t, "checks", "list", "-o", "json")
		var out struct {
			Kind   string              `json:"kind"`
			Checks []reports.CheckInfo `json:"checks"`
		}
		if err := json.Unmarshal([]byte(stdout), &out); err != nil {
			t.Fatal(err)
		}
		if got, want := len(out.Checks), len(checks.Catalogue())+len(probes.CheckIDs())+len(trail.CheckIDs())+len(baseline.Rules()); got != want {
			t.Errorf("got %d checks, want %d", got, want)
		}
		if out.Kind != "checks" {
			t.Errorf("kind %q, want checks", out.Kind)
		}
		for _, c := range out.Checks {
			if !slices.Contains(c.Severities, c.Severity) || !slices.IsSortedFunc(c.Severities, func(a, b finding.Severity) int { return int(b) - int(a) }) {
				t.Errorf("%s: severities %v: want every severity it emits, highest first, its default %s among them", c.ID, c.Severities, c.Severity)
			}
			if c.Title == "" || len(c.Controls) == 0 || c.Remediation == "" {
				t.Errorf("%s: title %q controls %v, remediation %q", c.ID, c.Title, c.Controls, c.Remediation)
			}
			if c.Source == "catalogue" && len(c.Controls) < 3 {
				t.Errorf("%s: controls %v, want HIPAA and both NIST frameworks", c.ID, c.Controls)
			}
		}
	})
}

func TestCatalogueGoldens(t *testing.T) {
	t.Parallel()
	tests := []struct {
		golden string
		args   []string
	}{
		{"checks-list.txt", []string{"checks", "list"}},
		{"scan-sample-trail.txt", []string{"scan", "--from", repoPath("testdata", "accounts", "sample.json"), "--trail-file", repoPath("testdata", "accounts", "sample-trail.ndjson"),
			"--provisioner-account", "941377122013", "--checks", "PV-BND-001,TRAIL-005,TRAIL-007,TRAIL-009"}},
		{"scan-par-sample.txt", []string{"scan", "--from", repoPath("testdata", "accounts", "par-sample.json"), "--contract", "par"}},
		{"scan-editable-boundary.txt", []string{"scan", "--from", repoPath("testdata", "accounts", "editable-boundary.json"), "--checks", "PV-ESC-001,PV-ESC-002,PV-GRD-001,PV-GRD-002,PV-GRD-003"}},
	}
	for _, tc := range tests {
		t.Run(tc.golden, func(t *testing.T) {
			t.Parallel()
			_, stdout, _ := runTest(t, tc.args...)
			stdout = strings.ReplaceAll(stdout, filepath.ToSlash(repoPath()), "REPO")
			golden(t, tc.golden, stdout)
		})
	}
}
