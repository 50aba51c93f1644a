package checks

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/inventory"
)

var testNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func mustContract(t *testing.T, name string) *contract.Contract {
	t.Helper()
	c, err := contract.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func load(t *testing.T, path string) *inventory.Snapshot {
	t.Helper()
	s, err := inventory.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func findingsOf(fs []finding.Finding, id string) []finding.Finding {
	var out []finding.Finding
	for _, f := range fs {
		if f.CheckID == id {
			out = append(out, f)
		}
	}
	return out
}

// TestCatalogueFixtures walks the catalogue: every check must have a fixture
// under testdata/checks/<ID>/ where it fires (fire-*.json: at least one FAIL,
// WARN or ERROR) and one where it stays quiet (quiet-*.json: nothing but
// PASS, and at least one finding). A file named "contract" in the folder
// names the built-in contract to use (default pennsieve).
func TestCatalogueFixtures(t *testing.T) {
	t.Parallel()
	for _, chk := range Catalogue() {
		t.Run(chk.ID, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join("..", "testdata", "checks", chk.ID)
			name := "pennsieve"
			if b, err := os.ReadFile(filepath.Join(dir, "contract")); err == nil {
				name = strings.TrimSpace(string(b))
			}
			c := mustContract(t, name)
			fires, _ := filepath.Glob(filepath.Join(dir, "fire-*.json"))
			quiets, _ := filepath.Glob(filepath.Join(dir, "quiet-*.json"))
			if len(fires) == 0 {
				t.Errorf("no fixture where %s must fire (%s/fire-*.json)", chk.ID, dir)
			}
			if len(quiets) == 0 {
				t.Errorf("no fixture where %s must stay quiet (%s/quiet-*.json)", chk.ID, dir)
			}
			for _, p := range fires {
				t.Run(filepath.Base(p), func(t *testing.T) {
					fs := findingsOf(Run(NewEnv(load(t, p), c, testNow), []*Check{chk}), chk.ID)
					fired := slices.ContainsFunc(fs, func(f finding.Finding) bool { return f.Status != finding.Pass })
					if !fired {
						t.Errorf("%s did not fire on %s; findings: %+v", chk.ID, p, fs)
					}
					for _, f := range fs {
						if f.Status != finding.Pass && f.Remediation == "" {
							t.Errorf("%s finding on %s has no remediation", chk.ID, f.Resource)
						}
						if f.Resource == "" || f.Message == "" || f.Fingerprint == "" {
							t.Errorf("%s finding lacks resource, message or fingerprint: %+v", chk.ID, f)
						}
					}
				})
			}
			for _, p := range quiets {
				t.Run(filepath.Base(p), func(t *testing.T) {
					fs := findingsOf(Run(NewEnv(load(t, p), c, testNow), []*Check{chk}), chk.ID)
					if len(fs) == 0 && !strings.HasPrefix(chk.ID, "PV-COV-") {
						t.Errorf("%s reported nothing on %s; a quiet fixture must show it looked (PASS)", chk.ID, p)
					}
					for _, f := range fs {
						if f.Status != finding.Pass {
							t.Errorf("%s fired on quiet fixture %s: %s %s: %s", chk.ID, p, f.Status, f.Resource, f.Message)
						}
					}
				})
			}
		})
	}
}

func TestCatalogueMetadata(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, c := range Catalogue() {
		if seen[c.ID] {
			t.Errorf("duplicate check ID %s", c.ID)
		}
		seen[c.ID] = true
		if c.Title == "" || c.Rationale == "" || c.Remediation == "" || len(c.Controls) == 0 || c.Run == nil {
			t.Errorf("%s lacks title, rationale, remediation, controls or a function", c.ID)
		}
		for _, fw := range []string{"HIPAA", "NIST-800-53r5", "NIST-800-171r2"} {
			if !slices.ContainsFunc(c.Controls, func(ct finding.Control) bool { return ct.Framework == fw }) {
				t.Errorf("%s maps to no %s control", c.ID, fw)
			}
		}
	}
}

// TestProviderCreatedFiresBoundaryCheck: CloudTrail's word that the
// provider created a role makes it a child role, so PV-BND-001 fires on it
// when it has no boundary (classification itself is tested in classify).
func TestProviderCreatedFiresBoundaryCheck(t *testing.T) {
	t.Parallel()
	snap := load(t, filepath.Join("..", "testdata", "accounts", "sample.json"))
	created := map[string]string{
		"lab-notebook-sagemaker":          "CreateRole under session ASIAX at 2026-11-20T09:03:40Z",
		"pennsieve-7f3a9c21-orchestrator": "CreateRole under session ASIAX at 2026-11-20T09:02:00Z",
	}
	tests := []struct {
		role     string
		opts     []EnvOption
		wantFire bool
	}{
		{"lab-notebook-sagemaker", nil, false},
		{"lab-notebook-sagemaker", []EnvOption{WithProviderCreated(created)}, true},
		{"pennsieve-7f3a9c21-orchestrator", []EnvOption{WithProviderCreated(created)}, false}, // has its boundary
		{"github-actions-deploy", []EnvOption{WithProviderCreated(created)}, false},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/trail=%v", tc.role, tc.opts != nil), func(t *testing.T) {
			t.Parallel()
			env := NewEnv(snap, mustContract(t, "pennsieve"), testNow, tc.opts...)
			r := snap.Role(tc.role)
			if r == nil {
				t.Fatalf("no role %s", tc.role)
			}
			fs := findingsOf(Run(env, Catalogue()), "PV-BND-001")
			fires := slices.ContainsFunc(fs, func(f finding.Finding) bool {
				return f.Status == finding.Fail && f.Resource == r.ARN
			})
			if fires != tc.wantFire {
				t.Errorf("PV-BND-001 fires on %s = %v, want %v", tc.role, fires, tc.wantFire)
			}
		})
	}
}

// TestFailClosed: what a gap may hide is ERROR, never PASS or FAIL.
func TestFailClosed(t *testing.T) {
	t.Parallel()
	c := mustContract(t, "pennsieve")
	gap := inventory.Gap{Operation: "iam:GetAccountAuthorizationDetails", Code: "Throttling", Message: "listing stopped after 1 page(s)"}
	tests := []struct {
		name    string
		fixture string
		check   string
		want    finding.Status
	}{
		{"missing boundary policy under a gap", "PV-BND-002/fire-boundary-policy-deleted.json", "PV-BND-002", finding.Error},
		{"missing cross-account role under a gap", "PV-XAR-001/fire-no-cross-account-role.json", "PV-XAR-001", finding.Error},
		{"unknown session duration", "PV-XAR-004/fire-unknown-duration.json", "PV-XAR-004", finding.Error},
		{"orphan boundary under a gap", "PV-BND-005/fire-deleted-node.json", "PV-BND-005", finding.Error},
		{"no provider user under a gap", "PV-ACC-001/quiet-clean.json", "PV-ACC-001", finding.Error},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			snap := load(t, filepath.Join("..", "testdata", "checks", tc.fixture))
			snap.Gaps = append(snap.Gaps, gap)
			fs := findingsOf(Run(NewEnv(snap, c, testNow), Catalogue()), tc.check)
			if !slices.ContainsFunc(fs, func(f finding.Finding) bool { return f.Status == tc.want }) {
				t.Errorf("%s under a coverage gap: findings %+v, want one %s", tc.check, fs, tc.want)
			}
			if slices.ContainsFunc(fs, func(f finding.Finding) bool { return f.Status == finding.Fail }) {
				t.Errorf("%s reported FAIL for something a gap may hide", tc.check)
			}
		})
	}
	t.Run("unknown account ID", func(t *testing.T) {
		t.Parallel()
		snap := load(t, filepath.Join("..", "testdata", "checks", "PV-BND-002", "quiet-boundary-present.json"))
		snap.AccountID = ""
		for _, f := range findingsOf(Run(NewEnv(snap, c, testNow), Catalogue()), "PV-BND-002") {
			if f.Status != finding.Error {
				t.Errorf("got %s, want ERROR when the account is unknown", f.Status)
			}
		}
	})
}

func TestSelect(t *testing.T) {
	t.Parallel()
	all := Catalogue()
	tests := []struct {
		name          string
		include, skip []string
		want          int
		wantErr       bool
	}{
		{"all", nil, nil, len(all), false},
		{"one", []string{"PV-BND-001"}, nil, 1, false},
		{"skip one", nil, []string{"PV-BND-001"}, len(all) - 1, false},
		{"unknown", []string{"PV-NOPE"}, nil, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Select(all, tc.include, tc.skip)
			if (err != nil) != tc.wantErr || len(got) != tc.want {
				t.Errorf("Select = %d checks, err %v; want %d, err %v", len(got), err, tc.want, tc.wantErr)
			}
		})
	}
}
