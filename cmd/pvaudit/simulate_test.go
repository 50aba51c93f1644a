package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

func simPath(name string) string { return repoPath("testdata", "simulate", name) }

func TestSimulate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	broken := writeFile(t, dir, "broken.json", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","NotAction":"s3:*","Resource":"*"}]}`)
	sample := repoPath("testdata", "accounts", "sample.json")
	tests := []struct {
		name       string
		args       []string
		want       int
		golden     string // compare stdout with testdata/golden/<golden>
		wantStdout string // substring of stdout
		wantStderr string // substring of stderr
	}{
		{
			name: "policy files table",
			args: []string{"simulate", "--policy", simPath("inline.json"), "--boundary", simPath("boundary.json"), "--scp", simPath("scp.json"),
				"--principal", "arn:aws:iam::111122223333:role/Pennsieve-CrossAccount",
				"--action", "iam:CreateRole", "--action", "iam:DeleteRolePermissionsBoundary", "--action", "s3:GetObject", "--action", "kms:Decrypt", "--action", "logs:PutLogEvents",
				"--resource", "arn:aws:iam::111122223333:role/Pennsieve-dev-fn", "--resource", "arn:aws:s3:::pennsieve-workflow-x/k",
				"--context", "aws:RequestedRegion=us-east-1", "--context", "aws:MultiFactorAuthAge=30"},
			want:   0,
			golden: "simulate-files.txt",
		},
		{
			name: "policy files json",
			args: []string{"simulate", "--policy", simPath("inline.json"), "--boundary", simPath("boundary.json"),
				"--action", "iam:CreateRole", "--resource", "arn:aws:iam::111122223333:role/Pennsieve-dev-fn",
				"--context", "iam:PermissionsBoundary=arn:aws:iam::111122223333:policy/pennsieve-boundary-n1", "-o", "json"},
			want:   0,
			golden: "simulate-files.json",
		},
		{
			name: "repeated context key adds values",
			args: []string{"simulate", "--policy", simPath("inline.json"), "--action", "iam:CreateRole", "--resource", "arn:aws:iam::111122223333:role/Pennsieve-x",
				"--context", "iam:PermissionsBoundary=arn:aws:iam::1:policy/other", "--context", "iam:PermissionsBoundary=arn:aws:iam::1:policy/pennsieve-boundary-1", "-o", "json"},
			want:       0,
			wantStdout: `"iam:PermissionsBoundary": [`,
		},
		{
			name:   "from snapshot role",
			args:   []string{"simulate", "--from", sample, "--role", "pennsieve-7f3a9c21-processor-lambda", "--action", "iam:CreateRole", "--action", "logs:PutLogEvents"},
			want:   0,
			golden: "simulate-snapshot.txt",
		},
		{"resource defaults to star", []string{"simulate", "--policy", simPath("inline.json"), "--action", "logs:CreateLogGroup"}, 0, "", "logs:CreateLogGroup  *", ""},
		{"unknown role", []string{"simulate", "--from", sample, "--role", "nope", "--action", "s3:GetObject"}, 2, "", "", `--role "nope": no such role`},
		{"from without role", []string{"simulate", "--from", sample, "--action", "s3:GetObject"}, 2, "", "", "--from and --role go together"},
		{"from with policy", []string{"simulate", "--from", sample, "--role", "x", "--policy", simPath("inline.json"), "--action", "s3:GetObject"}, 2, "", "", "drop --policy"},
		{"no policies", []string{"simulate", "--action", "s3:GetObject"}, 2, "", "", "nothing to evaluate"},
		{"no action", []string{"simulate", "--policy", simPath("inline.json")}, 2, "", "", "--action is required"},
		{"bad context", []string{"simulate", "--policy", simPath("inline.json"), "--action", "s3:GetObject", "--context", "novalue"}, 2, "", "", `--context "novalue": want key=value`},
		{"bad output", []string{"simulate", "--policy", simPath("inline.json"), "--action", "s3:GetObject", "-o", "xml"}, 2, "", "", "unknown output format"},
		{"missing policy file", []string{"simulate", "--policy", simPath("nope.json"), "--action", "s3:GetObject"}, 2, "", "", "read policy"},
		{"invalid policy", []string{"simulate", "--policy", broken, "--action", "s3:GetObject"}, 2, "", "", "both Action and NotAction"},
		{"trust policy as identity policy", []string{"simulate", "--policy", simPath("trust.json"), "--action", "sts:AssumeRole"}, 2, "", "", "only valid in resource-based policies"},
		{"batch with flags", []string{"simulate", "--batch", simPath("batch.jsonl"), "--action", "s3:GetObject"}, 2, "", "", "cannot be combined"},
		{"batch with table", []string{"simulate", "--batch", simPath("batch.jsonl"), "-o", "table"}, 2, "", "", "JSON Lines"},
		{"batch missing file", []string{"simulate", "--batch", simPath("nope.jsonl")}, 2, "", "", "--batch"},
		{"batch one worker", []string{"simulate", "--batch", simPath("batch.jsonl"), "--workers", "1"}, 0, "simulate-batch.jsonl", "", ""},
		{"batch negative workers", []string{"simulate", "--batch", simPath("batch.jsonl"), "--workers", "-1"}, 2, "", "", "--workers -1"},
		{"workers without batch", []string{"simulate", "--policy", simPath("inline.json"), "--action", "s3:GetObject", "--workers", "2"}, 2, "", "", "--workers goes with --batch"},
		{"batch file", []string{"simulate", "--batch", simPath("batch.jsonl")}, 0, "simulate-batch.jsonl", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runTest(t, tt.args...)
			if code != tt.want {
				t.Fatalf("got exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.want, stdout, stderr)
			}
			if tt.golden != "" {
				golden(t, tt.golden, stdout)
			}
			if !strings.Contains(stdout, tt.wantStdout) {
				t.Errorf("got stdout %q, want it to contain %q", stdout, tt.wantStdout)
			}
			if !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("got stderr %q, want it to contain %q", stderr, tt.wantStderr)
			}
		})
	}
}

// TestSimulateBatchStdin feeds --batch - through the command's input and
// checks one answer per non-blank line, in order.
func TestSimulateBatchStdin(t *testing.T) {
	t.Parallel()
	in, err := os.ReadFile(simPath("batch.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	a := &app{stdout: &out, stderr: &errb, now: fixedNow, version: "test"}
	root := newRootCmd(a)
	root.SetArgs([]string{"simulate", "--batch", "-"})
	root.SetIn(bytes.NewReader(in))
	root.SetOut(&out)
	root.SetErr(&errb)
	if err := root.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("got error %v, want none (stderr %s)", err, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	wantKinds := []string{"Allow", "ImplicitDeny", "ExplicitDeny", "error", "Allow", "Allow", "error", "error", "error", "Allow"}
	if len(lines) != len(wantKinds) {
		t.Fatalf("got %d answers, want %d:\n%s", len(lines), len(wantKinds), out.String())
	}
	for i, l := range lines {
		var ans struct {
			Decision string `json:"decision"`
			Error    string `json:"error"`
		}
		if err := json.Unmarshal([]byte(l), &ans); err != nil {
			t.Fatalf("answer %d %q is not JSON: %v", i, l, err)
		}
		got := ans.Decision
		if ans.Error != "" {
			got = "error"
		}
		if got != wantKinds[i] {
			t.Errorf("answer %d: got %s (%s), want %s", i, got, l, wantKinds[i])
		}
	}
}
