package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOrgDriftPerTenant: scan --accounts with --baseline-dir compares each
// account with its own baseline; the fleet view says per tenant whether it
// drifted, and a tenant without a baseline is "not evaluated", never "no
// drift".
func TestOrgDriftPerTenant(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bdir := filepath.Join(dir, "baselines")
	if err := os.Mkdir(bdir, 0o755); err != nil {
		t.Fatal(err)
	}
	// Each tenant is the sample under its own account ID.
	as := func(file, id string) string {
		b, err := os.ReadFile(repoPath("testdata", "accounts", file))
		if err != nil {
			t.Fatal(err)
		}
		return writeFile(t, dir, id+"-"+file, strings.ReplaceAll(string(b), "481516234201", id))
	}
	compliant := repoPath("testdata", "accounts", "compliant.json")
	// Both tenants approved as compliant.json; the second now reads as the
	// drifted copy, the third has no baseline.
	for _, id := range []string{"481516234201", "481516234202"} {
		if code, _, stderr := runTest(t, "baseline", "save", "--from", as("compliant.json", id), "--baseline", filepath.Join(bdir, id+".json")); code != 0 {
			t.Fatalf("baseline save: exit %d: %s", code, stderr)
		}
	}
	accounts := writeFile(t, dir, "accounts.yaml", "accounts:\n"+
		"  - {id: '481516234201', name: steady, from: '"+as("compliant.json", "481516234201")+"'}\n"+
		"  - {id: '481516234202', name: drifted, from: '"+as("compliant-drifted.json", "481516234202")+"'}\n"+
		"  - {id: '481516234203', name: unapproved, from: '"+as("compliant.json", "481516234203")+"'}\n")
	code, stdout, stderr := runTest(t, "scan", "--accounts", accounts, "--fleet", "--baseline-dir", bdir, "-o", "json")
	if code == 0 {
		t.Fatalf("exit 0 with a drifted tenant\n%s", stderr)
	}
	var rep struct {
		Accounts []struct {
			ID      string `json:"id"`
			Outcome string `json:"outcome"`
		} `json:"accounts"`
		Findings []struct {
			CheckID  string `json:"check_id"`
			Status   string `json:"status"`
			Resource string `json:"resource"`
		} `json:"findings"`
		Fleet struct {
			Drift map[string]string `json:"drift"`
			Notes []string          `json:"notes"`
		} `json:"fleet"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	tests := []struct{ id, want string }{
		// An AWS CLI export lists no access keys: that item of drift is
		// not evaluated, and nothing fails.
		{"481516234201", "not evaluated: 1 drift item(s) could not be evaluated"},
		{"481516234202", "drift item(s) failing"},
		{"481516234203", "not evaluated: no baseline"},
	}
	for _, tc := range tests {
		t.Run(tc.id, func(t *testing.T) {
			if got := rep.Fleet.Drift[tc.id]; !strings.Contains(got, tc.want) {
				t.Errorf("drift of %s = %q, want it to say %q", tc.id, got, tc.want)
			}
		})
	}
	// The tenant without a baseline is not clean in its own row either: a
	// DRIFT-015 NOT_EVALUATED finding says drift was asked and could not
	// be evaluated.
	t.Run("row-of-tenant-without-baseline", func(t *testing.T) {
		for _, a := range rep.Accounts {
			if a.ID == "481516234203" && a.Outcome != "incomplete" {
				t.Errorf("row of the tenant without a baseline: outcome %q, want incomplete", a.Outcome)
			}
		}
		found := false
		for _, f := range rep.Findings {
			if f.CheckID == "DRIFT-015" && f.Status == "NOT_EVALUATED" && strings.Contains(f.Resource, "481516234203") {
				found = true
			}
		}
		if !found {
			t.Errorf("no DRIFT-015 NOT_EVALUATED finding for the tenant without a baseline among %d findings", len(rep.Findings))
		}
	})
	for _, n := range rep.Fleet.Notes {
		if strings.Contains(n, "drift per tenant: not evaluated") {
			t.Errorf("the fleet says drift did not run: %s", n)
		}
	}
	t.Run("usage", func(t *testing.T) {
		for _, args := range [][]string{
			{"scan", "--accounts", accounts, "--baseline", filepath.Join(bdir, "481516234201.json")},
			{"scan", "--accounts", accounts, "--baseline-dir", filepath.Join(dir, "missing")},
			{"scan", "--from", compliant, "--baseline-dir", bdir},
		} {
			if code, _, _ := runTest(t, args...); code != 2 {
				t.Errorf("%v: exit %d, want 2", args, code)
			}
		}
	})
}
