package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOutputFlag: -o FORMAT and -o FORMAT=FILE, repeatable, the same in
// every command; files are written whole or not at all.
func TestOutputFlag(t *testing.T) {
	t.Parallel()
	sample := repoPath("testdata", "accounts", "sample.json")
	t.Run("table on stdout and json in a file", func(t *testing.T) {
		t.Parallel()
		file := filepath.Join(t.TempDir(), "report.json")
		code, stdout, stderr := runTest(t, "scan", "--from", sample, "-o", "table", "-o", "json="+file)
		if code != exitFindings || !strings.Contains(stdout, "Summary: FAILED") {
			t.Fatalf("exit %d, stdout %q, stderr %s", code, tail(stdout), stderr)
		}
		var doc struct{ Kind string }
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &doc); err != nil || doc.Kind != "scan" {
			t.Errorf("file: kind %q, err %v", doc.Kind, err)
		}
	})
	t.Run("every command takes FORMAT=FILE", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		for _, args := range [][]string{
			{"roles", "--from", sample},
			{"probe", "--from", sample, "--no-generated"},
			{"checks", "list"},
			{"trail", "sessions", "--file", repoPath("testdata", "trail", "messy.ndjson"), "--provisioner-account", "999988887777"},
			{"simulate", "--from", sample, "--role", "Pennsieve-Compute-prod-a3f1b20c", "--action", "iam:CreateUser"},
		} {
			file := filepath.Join(dir, args[0]+".json")
			code, _, stderr := runTest(t, append(args, "-o", "json="+file)...)
			if code == exitError {
				t.Errorf("%v: exit 2: %s", args, stderr)
				continue
			}
			if b, err := os.ReadFile(file); err != nil || !json.Valid(b) {
				t.Errorf("%v: %s is not JSON (%v)", args, file, err)
			}
		}
	})
	t.Run("an unwritable file is an error and leaves nothing", func(t *testing.T) {
		t.Parallel()
		file := filepath.Join(t.TempDir(), "missing", "report.json")
		code, _, stderr := runTest(t, "scan", "--from", sample, "-o", "json="+file)
		if code != exitError || !strings.Contains(stderr, "report.json") {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
	})
	t.Run("snapshot -o json=FILE", func(t *testing.T) {
		t.Parallel()
		file := filepath.Join(t.TempDir(), "account.json")
		if code, _, stderr := runTest(t, "snapshot", "--from", sample, "-o", "json="+file); code != exitClean {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if code, _, stderr := runTest(t, "scan", "--from", file, "--checks", "PV-XAR-001"); code != exitClean {
			t.Errorf("scan of the written snapshot: exit %d: %s", code, stderr)
		}
	})
	t.Run("snapshot -o json is a format, not a file", func(t *testing.T) {
		t.Parallel()
		code, stdout, _ := runTest(t, "snapshot", "--from", sample, "-o", "json")
		if code != exitClean || !strings.Contains(stdout, `"schema": "pvaudit.snapshot/v1"`) {
			t.Errorf("exit %d, stdout %q", code, tail(stdout))
		}
	})
	t.Run("snapshot -o FILE still works, deprecated", func(t *testing.T) {
		t.Parallel()
		file := filepath.Join(t.TempDir(), "old.json")
		code, _, stderr := runTest(t, "snapshot", "--from", sample, "-o", file)
		if code != exitClean || !strings.Contains(stderr, "deprecated") {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
		if _, err := os.Stat(file); err != nil {
			t.Error(err)
		}
	})
	t.Run("an incomplete snapshot never replaces a file", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		gaps := writeFile(t, dir, "gaps.json", `{"schema":"pvaudit.snapshot/v1","account_id":"111122223333","source":"live",
"gaps":[{"operation":"iam:GetAccountAuthorizationDetails","code":"AccessDenied","message":"not authorized"}]}`)
		good := writeFile(t, dir, "good.json", "GOOD")
		code, _, stderr := runTest(t, "snapshot", "--from", gaps, "-o", "json="+good)
		if code != exitError || !strings.Contains(stderr, "kept as it was") {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
		if b, _ := os.ReadFile(good); string(b) != "GOOD" {
			t.Errorf("good.json was replaced: %q", tail(string(b)))
		}
	})
}
