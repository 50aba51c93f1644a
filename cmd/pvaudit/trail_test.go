package main

import (
	"encoding/json"
	"strings"
	"testing"
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
			code: 1, stdout: "ASIAFIXTURE0000002"},
		{name: "since-prunes-records", args: append([]string{"trail", "sessions", "--file", messy, "--since", "2025-01-16"}, trusted...),
			code: 0, stdout: "decoded, 0 kept"},
		{name: "no-input", args: []string{"trail", "sessions"}, code: 2, stderr: "no CloudTrail input"},
		{name: "bad-output", args: []string{"trail", "sessions", "--file", messy, "-o", "xml"}, code: 2, stderr: "want table or json"},
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
		ProviderCreatedRoles []string `json:"provider_created_roles"`
		Sessions             []struct {
			ID        string `json:"id"`
			CallCount int    `json:"call_count"`
		} `json:"sessions"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("decode: %v\n%s", err, out)
	}
	if doc.Schema != trailSchema || len(doc.Sessions) != 3 {
		t.Errorf("schema %q, %d sessions; want %q, 3", doc.Schema, len(doc.Sessions), trailSchema)
	}
	if got := strings.Join(doc.ProviderCreatedRoles, ","); got != "pennsieve-wf-0001-lambda,pennsieve-wf-0002-rogue" {
		t.Errorf("provider-created roles %q", got)
	}
}
