package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/pvaudit/pvaudit/audit"
	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/reports"
)

func trailFixture(name string) string { return repoPath("testdata", "trail", name) }

func TestTrailCommands(t *testing.T) {
	t.Parallel()
	messy, delivered, export := trailFixture("messy.ndjson"), trailFixture("delivered.json.gz"), trailFixture("export-array.json")
	trusted := []string{"--trusted-account", "999988887777", "--require-external-id"}
	tests := []struct {
		name   string
		args   []string
		code   int
		golden string
		stdout string
		stderr string
	}{
		{name: "sessions-table", args: append([]string{"trail", "sessions", "--file", messy, "--file", delivered, "--file", export}, trusted...),
			code: 1, golden: "sessions.txt"},
		{name: "sessions-fail-on-critical-only", args: append([]string{"trail", "sessions", "--file", messy, "--fail-on", "critical"}, trusted...),
			code: 0, stdout: "ASIAFIXTURE0000001"},
		{name: "show-timeline", args: append([]string{"trail", "show", "ASIAFIXTURE0000001", "--file", messy}, trusted...),
			code: 1, golden: "show.txt"},
		{name: "show-by-prefix-json", args: append([]string{"trail", "show", "attempt-f1", "--file", messy, "-o", "json"}, trusted...),
			code: 0, stdout: `"attempt": true`},
		{name: "show-unknown-session", args: append([]string{"trail", "show", "ASIANOPE", "--file", messy}, trusted...),
			code: 2, stderr: "no session"},
		{name: "no-trusted-provisioner-is-incomplete", args: []string{"trail", "sessions", "--file", messy},
			code: 2, stdout: "NOT_EVALUATED"},
		{name: "dir-walk", args: append([]string{"trail", "sessions", "--dir", repoPath("testdata", "trail")}, trusted...),
			code: 2, stdout: "ASIAFIXTURE0000002"}, // the folder holds damaged.ndjson too
		// No event on or after the 16th: the window is not covered by the
		// input, which is a gap (exit 2), not a clean replay.
		{name: "since-prunes-records", args: append([]string{"trail", "sessions", "--file", messy, "--since", "2025-01-16"}, trusted...),
			code: 2, stdout: "decoded, 0 kept"},
		{name: "provisioner-from-contract-parameter", args: []string{"trail", "sessions", "--file", messy, "--file", delivered, "--file", export, "--provisioner-account", "999988887777"},
			code: 1, stdout: "arn:aws:iam::444455556666:user/eve is not a"},
		{name: "provisioner-from-config-file", args: []string{"trail", "sessions", "--file", messy, "--config", trailFixture("pvaudit.yaml"), "--fail-on", "critical"},
			code: 0, stdout: "ASIAFIXTURE0000001"},
		{name: "par-contract-names-no-role", args: []string{"trail", "sessions", "--file", messy, "--contract", "par"},
			code: 2, stderr: "names no cross-account role"},
		{name: "par-contract-with-role", args: []string{"trail", "sessions", "--file", messy, "--contract", "par", "--role", "Pennsieve-Compute-*", "--trusted-account", "999988887777"},
			code: 1, stdout: "ASIAFIXTURE0000001"},
		{name: "role-override-selects-nothing", args: []string{"trail", "sessions", "--file", messy, "--role", "Other-*", "--trusted-account", "999988887777"},
			code: 0, stdout: "0 kept"},
		{name: "damaged-record-makes-replay-incomplete", args: append([]string{"trail", "sessions", "--file", messy, "--file", trailFixture("damaged.ndjson")}, trusted...),
			code: 2, stdout: "damaged.ndjson@0: record is truncated"},
		{name: "no-input", args: []string{"trail", "sessions"}, code: 2, stderr: "no CloudTrail input"},
		{name: "bad-output", args: []string{"trail", "sessions", "--file", messy, "-o", "xml"}, code: 2, stderr: "unknown output format \"xml\""},
		{name: "bad-since", args: []string{"trail", "sessions", "--file", messy, "--since", "yesterday"}, code: 2, stderr: "--since"},
		{name: "missing-file", args: []string{"trail", "sessions", "--file", "nope.json"}, code: 2, stderr: "nope.json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runTest(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, out, errOut)
			}
			if tc.golden != "" {
				golden(t, "../trail/golden/"+tc.golden+".golden", out)
			}
			if tc.stdout != "" && !strings.Contains(out, tc.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tc.stdout, out)
			}
			if tc.stderr != "" && !strings.Contains(errOut, tc.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.stderr, errOut)
			}
		})
	}
}

func TestTrailSessionsJSON(t *testing.T) {
	t.Parallel()
	code, out, errOut := runTest(t, "trail", "sessions", "--file", trailFixture("messy.ndjson"), "--file", trailFixture("delivered.json.gz"),
		"--trusted-account", "999988887777", "-o", "json")
	if code != 1 {
		t.Fatalf("exit %d, want 1: %s", code, errOut)
	}
	var doc struct {
		Schema               string   `json:"schema"`
		Kind                 string   `json:"kind"`
		ProviderCreatedRoles []string `json:"provider_created_roles"`
		Sessions             []struct {
			ID        string `json:"id"`
			CallCount int    `json:"call_count"`
		} `json:"sessions"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("decode: %v\n%s", err, out)
	}
	if doc.Schema != reports.Schema || doc.Kind != string(reports.KindTrailSessions) || len(doc.Sessions) != 3 {
		t.Errorf("schema %q kind %q, %d sessions; want %q %q, 3", doc.Schema, doc.Kind, len(doc.Sessions), reports.Schema, reports.KindTrailSessions)
	}
	if got := strings.Join(doc.ProviderCreatedRoles, ","); got != "pennsieve-wf-0001-lambda,pennsieve-wf-0002-rogue" {
		t.Errorf("provider-created roles %q", got)
	}
}

func TestTrailExpectationsFromContract(t *testing.T) {
	t.Parallel()
	load := func(t *testing.T, name string, p contract.Parameters) *contract.Contract {
		t.Helper()
		c, err := contract.Load(name)
		if err != nil {
			t.Fatal(err)
		}
		c.Parameters = c.Parameters.Merge(p)
		return c
	}
	tests := []struct {
		name      string
		contract  string
		params    contract.Parameters
		args      []string
		wantErr   string
		role      string // a name that must be selected
		notRole   string // a name that must not be selected
		principal []string
		accounts  []string
		extID     bool
		max       time.Duration
	}{
		{name: "pennsieve-defaults", contract: "pennsieve", role: "Pennsieve-Compute-dev-a3f1b20c", notRole: "Pennsieve-Compute-dev",
			extID: true, max: time.Hour},
		{name: "provisioner-parameter", contract: "pennsieve", params: contract.Parameters{ProvisionerAccountID: "941377122013"},
			role: "Pennsieve-Compute-prod-1", principal: []string{"arn:aws:iam::941377122013:root"}, extID: true, max: time.Hour},
		{name: "flags-override", contract: "pennsieve", params: contract.Parameters{ProvisionerAccountID: "941377122013"},
			args: []string{"--role", "Legacy-*", "--trusted-account", "111122223333", "--trusted-principal", "arn:aws:iam::444455556666:role/ci", "--require-external-id=false", "--max-session", "2h"},
			role: "Legacy-Deploy", notRole: "Pennsieve-Compute-dev-a3f1b20c",
			principal: []string{"arn:aws:iam::941377122013:root", "arn:aws:iam::444455556666:role/ci"}, accounts: []string{"111122223333"},
			extID: false, max: 2 * time.Hour},
		{name: "par-needs-role", contract: "par", wantErr: "names no cross-account role"},
		{name: "par-with-role", contract: "par", args: []string{"--role", "par-*"}, role: "par-task"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := &overrideFlags{}
			fs := pflag.NewFlagSet(tc.name, pflag.ContinueOnError)
			o.register(fs)
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			e, err := audit.Expectations(load(t, tc.contract, tc.params), o.overrides())
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !e.MatchRole(tc.role) {
				t.Errorf("role %q not selected", tc.role)
			}
			if tc.notRole != "" && e.MatchRole(tc.notRole) {
				t.Errorf("role %q selected", tc.notRole)
			}
			if !slices.Equal(e.TrustedPrincipals, tc.principal) || !slices.Equal(e.TrustedAccounts, tc.accounts) {
				t.Errorf("trusted principals %v accounts %v, want %v %v", e.TrustedPrincipals, e.TrustedAccounts, tc.principal, tc.accounts)
			}
			if e.RequireExternalID != tc.extID || e.MaxSession != tc.max {
				t.Errorf("external id %v max %s, want %v %s", e.RequireExternalID, e.MaxSession, tc.extID, tc.max)
			}
			if tc.contract == "pennsieve" && (!slices.Contains(e.AllowedServices, "states") || slices.Contains(e.AllowedServices, "route53")) {
				t.Errorf("allowed services %v: want the contract's list", e.AllowedServices)
			}
		})
	}
}
