package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pvaudit/pvaudit/internal/finding"
)

type trailScanJSON struct {
	Complete bool `json:"complete"`
	Roles    []struct {
		Name    string   `json:"name"`
		Kind    string   `json:"kind"`
		Reasons []string `json:"reasons"`
	} `json:"roles"`
	CoverageGaps []struct {
		Operation string `json:"operation"`
	} `json:"coverage_gaps"`
	Trail *struct {
		FilesUnread     int `json:"files_unread"`
		Sessions        int `json:"sessions"`
		ProviderCreated []struct {
			Role      string `json:"role"`
			Session   string `json:"session"`
			InAccount bool   `json:"in_account"`
		} `json:"provider_created_roles"`
	} `json:"trail"`
	Findings []finding.Finding `json:"findings"`
}

func (s *trailScanJSON) kind(role string) (string, []string) {
	for _, r := range s.Roles {
		if r.Name == role {
			return r.Kind, r.Reasons
		}
	}
	return "", nil
}

func (s *trailScanJSON) hasGap(operation string) bool {
	for _, g := range s.CoverageGaps {
		if g.Operation == operation {
			return true
		}
	}
	return false
}

func (s *trailScanJSON) has(check, resourceSuffix string, status finding.Status) bool {
	return slices.ContainsFunc(s.Findings, func(f finding.Finding) bool {
		return f.CheckID == check && strings.HasSuffix(f.Resource, resourceSuffix) && f.Status == status
	})
}

// TestScanWithTrail: a role the provider created under its session is a
// child role whatever its name, so the boundary promise applies to it.
func TestScanWithTrail(t *testing.T) {
	t.Parallel()
	sample := repoPath("testdata", "accounts", "sample.json")
	sampleTrail := repoPath("testdata", "accounts", "sample-trail.ndjson")
	truncated := filepath.Join(t.TempDir(), "truncated.json.gz")
	gz, err := os.ReadFile(trailFixture("delivered.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(truncated, gz[:len(gz)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	badHeader := filepath.Join(t.TempDir(), "bad-header.json.gz")
	if err := os.WriteFile(badHeader, []byte{0x1f, 0x8b, 0x42, 0, 0, 0}, 0o644); err != nil {
		t.Fatal(err)
	}
	const role = "role/lab-notebook-sagemaker"
	tests := []struct {
		name    string
		args    []string
		code    int
		kind    string // lab-notebook-sagemaker's classification
		boundFx bool   // PV-BND-001 fails on it
		check   func(t *testing.T, s *trailScanJSON)
	}{
		{name: "without-trail-the-role-is-other", args: []string{"scan", "--from", sample, "-o", "json"}, code: 1, kind: "other",
			check: func(t *testing.T, s *trailScanJSON) {
				if s.Trail != nil {
					t.Errorf("trail summary without --trail-*: %+v", s.Trail)
				}
			}},
		{name: "provider-created-role-is-a-child", args: []string{"scan", "--from", sample, "--trail-file", sampleTrail, "--provisioner-account", "941377122013", "-o", "json"},
			code: 1, kind: "child", boundFx: true,
			check: func(t *testing.T, s *trailScanJSON) {
				if _, reasons := s.kind("lab-notebook-sagemaker"); !slices.ContainsFunc(reasons, func(r string) bool {
					return strings.Contains(r, "created by the provider: CreateRole under session ASIASAMPLEPROV000001")
				}) {
					t.Errorf("reasons %v lack the CloudTrail evidence", reasons)
				}
				if s.Trail == nil || s.Trail.Sessions != 1 || len(s.Trail.ProviderCreated) != 2 || !s.Trail.ProviderCreated[0].InAccount {
					t.Fatalf("trail summary %+v, want 1 session and 2 provider-created roles in the account", s.Trail)
				}
				if !s.has("TRAIL-005", "role/Pennsieve-Compute-prod-a3f1b20c", finding.Fail) || !s.has("TRAIL-009", "role/Pennsieve-Compute-prod-a3f1b20c", finding.Pass) {
					t.Error("session findings TRAIL-005 (FAIL) and TRAIL-009 (guardrail held) missing from the scan")
				}
				if !s.Complete {
					t.Error("report incomplete")
				}
			}},
		{name: "untrusted-assumer-not-judged-without-provisioner", args: []string{"scan", "--from", sample, "--trail-file", sampleTrail, "-o", "json"},
			code: 2, kind: "child", boundFx: true,
			check: func(t *testing.T, s *trailScanJSON) {
				if !slices.ContainsFunc(s.Findings, func(f finding.Finding) bool { return f.CheckID == "TRAIL-001" && f.Status == finding.NotEvaluated }) {
					t.Error("want TRAIL-001 NOT_EVALUATED when no provisioner is configured")
				}
			}},
		{name: "checks-selects-catalogue-only", args: []string{"scan", "--from", sample, "--trail-file", sampleTrail, "--checks", "PV-BND-001", "-o", "json"},
			code: 1, kind: "child", boundFx: true,
			check: func(t *testing.T, s *trailScanJSON) {
				for _, f := range s.Findings {
					if f.CheckID != "PV-BND-001" {
						t.Errorf("finding %s with --checks PV-BND-001", f.CheckID)
					}
				}
			}},
		{name: "skip-trail-finding", args: []string{"scan", "--from", sample, "--trail-file", sampleTrail, "--provisioner-account", "941377122013", "--skip-checks", "TRAIL-005,trail-009", "-o", "json"},
			code: 1, kind: "child", boundFx: true,
			check: func(t *testing.T, s *trailScanJSON) {
				if s.has("TRAIL-005", "", finding.Fail) || s.has("TRAIL-009", "", finding.Pass) {
					t.Error("skipped trail findings reported")
				}
			}},
		{name: "truncated-trail-file-is-incomplete", args: []string{"scan", "--from", sample, "--trail-file", truncated, "--provisioner-account", "941377122013", "-o", "json"},
			code: 2, kind: "other",
			check: func(t *testing.T, s *trailScanJSON) {
				if s.Complete || !s.has("TRAIL-011", "", finding.Error) {
					t.Errorf("complete=%v, want incomplete with TRAIL-011 ERROR", s.Complete)
				}
			}},
		{name: "undecodable-records-stay-a-gap-when-trail-checks-are-not-selected", args: []string{"scan", "--from", sample, "--trail-file", truncated, "--provisioner-account", "941377122013", "--checks", "PV-BND-001", "-o", "json"},
			code: 2, kind: "other",
			check: func(t *testing.T, s *trailScanJSON) {
				if s.Complete || !s.hasGap("cloudtrail:undecodable-records") {
					t.Errorf("complete=%v gaps=%v, want incomplete with a cloudtrail:undecodable-records gap", s.Complete, s.CoverageGaps)
				}
			}},
		{name: "unreadable-trail-file-is-a-gap", args: []string{"scan", "--from", sample, "--trail-file", badHeader, "--provisioner-account", "941377122013", "-o", "json"},
			code: 2, kind: "other",
			check: func(t *testing.T, s *trailScanJSON) {
				if s.Complete || !s.hasGap("cloudtrail:unreadable-files") {
					t.Errorf("complete=%v gaps=%v, want incomplete with a cloudtrail:unreadable-files gap", s.Complete, s.CoverageGaps)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runTest(t, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstderr:\n%s", code, tc.code, errOut)
			}
			var s trailScanJSON
			if err := json.Unmarshal([]byte(out), &s); err != nil {
				t.Fatalf("decode report: %v\n%s", err, out)
			}
			if k, reasons := s.kind("lab-notebook-sagemaker"); k != tc.kind {
				t.Errorf("lab-notebook-sagemaker is %q (%v), want %q", k, reasons, tc.kind)
			}
			if got := s.has("PV-BND-001", role, finding.Fail); got != tc.boundFx {
				t.Errorf("PV-BND-001 FAIL on %s = %v, want %v", role, got, tc.boundFx)
			}
			if tc.check != nil {
				tc.check(t, &s)
			}
		})
	}
}

func TestScanTrailUsage(t *testing.T) {
	t.Parallel()
	sample := repoPath("testdata", "accounts", "sample.json")
	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"bad-since", []string{"scan", "--from", sample, "--trail-file", "x", "--trail-since", "yesterday"}, "--trail-since"},
		{"missing-file", []string{"scan", "--from", sample, "--trail-file", "nope.json"}, "--trail-file"},
		{"profile-with-from-needs-trail-lookup", []string{"scan", "--from", sample, "--profile", "audit"}, "cannot be combined with --profile"},
		{"par-contract-names-no-role", []string{"scan", "--from", sample, "--contract", "par", "--trail-file", repoPath("testdata", "accounts", "sample-trail.ndjson")}, "names no cross-account role"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, _, errOut := runTest(t, tc.args...)
			if code != 2 || !strings.Contains(errOut, tc.stderr) {
				t.Errorf("exit %d stderr %q, want 2 and %q", code, errOut, tc.stderr)
			}
		})
	}
}
