package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pvaudit/pvaudit/provision"
	"github.com/pvaudit/pvaudit/reports"
)

func TestConfirm(t *testing.T) {
	t.Parallel()
	rep := &reports.PlanReport{Header: reports.Header{Kind: reports.KindPlan}, Operation: "apply",
		Plan: &provision.Plan{Operation: "plan", Account: "481516234201", Steps: []provision.Step{{Seq: 1, Op: "CreateRole", Role: "r"}}}}
	for _, tc := range []struct {
		name   string
		input  string
		tty    bool
		yes    bool
		ok     bool
		prompt bool
	}{
		{"--yes", "", false, true, true, false},
		{"no terminal, no --yes", "yes\n", false, false, false, false},
		{"terminal, yes", "yes\n", true, false, true, true},
		{"terminal, y is not yes", "y\n", true, false, false, true},
		{"terminal, no answer", "", true, false, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			err := confirm(strings.NewReader(tc.input), &out, tc.tty, tc.yes, rep)
			if (err == nil) != tc.ok {
				t.Errorf("confirm: %v, want ok=%v", err, tc.ok)
			}
			if got := strings.Contains(out.String(), "Only 'yes' is accepted") && strings.Contains(out.String(), "CreateRole"); got != tc.prompt {
				t.Errorf("prompt shown with the plan: %v, want %v\n%s", got, tc.prompt, out.String())
			}
		})
	}
}

func TestProvisionCLI(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	empty := writeFile(t, dir, "empty.json", `{"schema":"pvaudit.snapshot/v1","account_id":"481516234201","source":"snapshot","roles":[],"policies":[],"users":[],"groups":[]}`)
	node := []string{"--env", "prod", "--role-id", "a3f1b20c", "--provisioner-account", "941377122013", "--external-id", "x-1", "--node", "7f3a9c21", "--file-system", "7f3a9c21=fs-07f3a9c21"}
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"plan of an empty account", append([]string{"provision", "plan", "--from", empty}, node...), 1, "4 to create", ""},
		{"plan par", []string{"provision", "plan", "--from", empty, "--contract", "par"}, 1, "pixell-agent-runtime-task-role", ""},
		{"plan needs the node's file system", []string{"provision", "plan", "--from", empty, "--env", "prod", "--provisioner-account", "941377122013", "--external-id", "x-1", "--node", "7f3a9c21"}, 2, "", "--file-system 7f3a9c21=fs-"},
		{"a file system for an unknown node", append([]string{"provision", "plan", "--from", empty, "--file-system", "00000000=fs-0123456789"}, node...), 2, "", "not a --node"},
		{"--from with --endpoint-url", []string{"provision", "plan", "--from", empty, "--endpoint-url", "http://127.0.0.1:1"}, 2, "", "--from reads a file"},
		{"destroy needs --node", []string{"provision", "destroy"}, 2, "", "--node"},
		{"render needs --account", []string{"provision", "render"}, 2, "", "--account"},
		{"render cloudformation json", []string{"provision", "render", "--format", "cloudformation", "--cfn-format", "json", "--contract", "par", "--account", "481516234201"}, 0, "AWS::IAM::Role", ""},
		{"render an unknown format", []string{"provision", "render", "--format", "pulumi", "--account", "481516234201", "--contract", "par"}, 2, "", "terraform or cloudformation"},
		{"deregister reads only the live account", []string{"account", "deregister", "--from", empty}, 2, "", "unknown flag"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runTest(t, tc.args...)
			if code != tc.code || !strings.Contains(stdout, tc.stdout) || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("exit %d (want %d)\nstdout: %s\nstderr: %s", code, tc.code, stdout, stderr)
			}
		})
	}
	t.Run("the rendered file", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "x.tf.json")
		if code, _, stderr := runTest(t, append([]string{"provision", "render", "--account", "481516234201", "--file", f}, node...)...); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		b, err := os.ReadFile(f)
		if err != nil || !bytes.Contains(b, []byte("aws_iam_role_policy")) {
			t.Errorf("file: %v\n%s", err, b)
		}
	})
}
