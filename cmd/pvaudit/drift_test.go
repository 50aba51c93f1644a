package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pvaudit/pvaudit/inventory"
)

// keyedSnapshot writes a snapshot of a sample whose users' access keys are
// listed (none), as a live read gives: drift of keys is then evaluable.
func keyedSnapshot(t *testing.T, dir, name, sample string) string {
	t.Helper()
	snap, err := inventory.ReadFile(repoPath("testdata", "accounts", sample))
	if err != nil {
		t.Fatal(err)
	}
	for i := range snap.Users {
		snap.Users[i].AccessKeys = []inventory.AccessKey{}
	}
	var b bytes.Buffer
	if err := snap.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	return writeFile(t, dir, name, b.String())
}

func TestBaselineAndDriftCommands(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	approved := filepath.Join(dir, "approved.json")
	clean := keyedSnapshot(t, dir, "clean.json", "compliant.json")
	drifted := keyedSnapshot(t, dir, "drifted.json", "compliant-drifted.json")
	steps := []struct {
		name     string
		args     []string
		code     int
		inStdout string
		inStderr string
	}{
		{"save", []string{"baseline", "save", "--from", clean, "--baseline", approved}, 0, "content sha256", ""},
		{"save refuses to overwrite", []string{"baseline", "save", "--from", clean, "--baseline", approved}, 2, "", "pass --force"},
		{"save --force", []string{"baseline", "save", "--from", clean, "--baseline", approved, "--force"}, 0, "unsigned", ""},
		{"verify", []string{"baseline", "verify", "--baseline", approved}, 0, "matches; signature unsigned", ""},
		{"no drift", []string{"drift", "--from", clean, "--baseline", approved}, 0, "No drift", ""},
		{"drift fails at high", []string{"drift", "--from", drifted, "--baseline", approved}, 1, "DRIFT-004", ""},
		{"drift to a file and the terminal", []string{"drift", "--from", drifted, "--baseline", approved, "--fail-on", "critical", "-o", "table", "-o", "json=" + filepath.Join(dir, "d.json")}, 1, "Summary: FAILED", ""},
		{"drift json", []string{"drift", "--from", drifted, "--baseline", approved, "-o", "json"}, 1, `"kind": "drift"`, ""},
		{"drift needs --baseline", []string{"drift", "--from", clean}, 2, "", "--baseline FILE is required"},
		{"drift of a missing baseline", []string{"drift", "--from", clean, "--baseline", filepath.Join(dir, "nope.json")}, 2, "", "no such file"},
	}
	for _, s := range steps {
		code, stdout, stderr := runTest(t, s.args...)
		if code != s.code || !strings.Contains(stdout, s.inStdout) || !strings.Contains(stderr, s.inStderr) {
			t.Fatalf("%s: exit %d (want %d)\nstdout: %s\nstderr: %s", s.name, code, s.code, stdout, stderr)
		}
	}

	t.Run("tampered baseline refused", func(t *testing.T) {
		t.Parallel()
		data, err := os.ReadFile(approved)
		if err != nil {
			t.Fatal(err)
		}
		bad := writeFile(t, t.TempDir(), "bad.json", strings.Replace(string(data), "pennsieve-boundary-7f3a9c21", "pennsieve-boundary-7f3a9c22", 1))
		for _, args := range [][]string{{"baseline", "verify", "--baseline", bad}, {"drift", "--from", clean, "--baseline", bad}} {
			code, _, stderr := runTest(t, args...)
			if code != 2 || !strings.Contains(stderr, "baseline was modified after it was saved") {
				t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
			}
		}
	})

	t.Run("signed baselines", func(t *testing.T) {
		t.Parallel()
		d := t.TempDir()
		priv, pub := filepath.Join(d, "k.pem"), filepath.Join(d, "k.pub")
		_, pub2 := filepath.Join(d, "o.pem"), filepath.Join(d, "o.pub")
		for _, args := range [][]string{
			{"baseline", "keygen", "--private-key", priv, "--public-key", pub},
			{"baseline", "keygen", "--private-key", filepath.Join(d, "o.pem"), "--public-key", pub2},
		} {
			if code, _, stderr := runTest(t, args...); code != 0 {
				t.Fatalf("keygen: %s", stderr)
			}
		}
		if st, err := os.Stat(priv); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("private key mode %v (%v), want 0600", st.Mode().Perm(), err)
		}
		if code, _, _ := runTest(t, "baseline", "keygen", "--private-key", priv, "--public-key", pub); code != 2 {
			t.Error("keygen overwrote a key without --force")
		}
		signed := filepath.Join(d, "signed.json")
		if code, stdout, stderr := runTest(t, "baseline", "save", "--from", clean, "--baseline", signed, "--sign-key", priv); code != 0 || !strings.Contains(stdout, "signed by sha256:") {
			t.Fatalf("signed save: %d %s %s", code, stdout, stderr)
		}
		cases := []struct {
			name   string
			args   []string
			code   int
			stderr string
		}{
			{"right key", []string{"baseline", "verify", "--baseline", signed, "--verify-key", pub}, 0, ""},
			{"other key", []string{"baseline", "verify", "--baseline", signed, "--verify-key", pub2}, 2, "baseline signature does not verify"},
			{"unsigned with a key", []string{"drift", "--from", clean, "--baseline", approved, "--verify-key", pub}, 2, "not signed"},
			{"drift verified", []string{"drift", "--from", clean, "--baseline", signed, "--verify-key", pub}, 0, ""},
			{"a private key as verify key", []string{"baseline", "verify", "--baseline", signed, "--verify-key", priv}, 2, "not an Ed25519 key"},
		}
		for _, tc := range cases {
			code, _, stderr := runTest(t, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("%s: exit %d (want %d), stderr %q", tc.name, code, tc.code, stderr)
			}
		}
	})

	t.Run("update keeps the previous baseline", func(t *testing.T) {
		t.Parallel()
		d := t.TempDir()
		f := filepath.Join(d, "a.json")
		if code, _, stderr := runTest(t, "baseline", "save", "--from", clean, "--baseline", f); code != 0 {
			t.Fatal(stderr)
		}
		_, out, _ := runTest(t, "drift", "--from", drifted, "--baseline", f, "-o", "json")
		var rep struct {
			Findings []struct {
				CheckID, Fingerprint string
				Evidence             map[string]any
			}
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		var tags string
		for _, x := range rep.Findings {
			if x.Evidence["kind"] == "tags-changed" {
				tags = x.Fingerprint
			}
		}
		code, stdout, stderr := runTest(t, "baseline", "update", "--from", drifted, "--baseline", f, "--accept", tags)
		if code != 0 || !strings.Contains(stdout, "accepted DRIFT-009 "+tags) || !strings.Contains(stdout, f+".prev") {
			t.Fatalf("update: exit %d\n%s\n%s", code, stdout, stderr)
		}
		if _, err := os.Stat(f + ".prev"); err != nil {
			t.Error(err)
		}
		_, out, _ = runTest(t, "drift", "--from", drifted, "--baseline", f)
		if strings.Contains(out, "tags changed") || !strings.Contains(out, "DRIFT-004") {
			t.Errorf("after accepting the tag change:\n%s", out)
		}
		if code, _, stderr := runTest(t, "baseline", "update", "--from", drifted, "--baseline", f); code != 0 {
			t.Fatalf("update all: %s", stderr)
		}
		if code, out, _ := runTest(t, "drift", "--from", drifted, "--baseline", f); code != 0 {
			t.Errorf("after accepting everything: exit %d\n%s", code, out)
		}
	})
}

// TestDriftTableGolden: the grouped table of the sample pair, attributed.
func TestDriftTableGolden(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	approved := filepath.Join(dir, "approved.json")
	if code, _, stderr := runTest(t, "baseline", "save", "--from", repoPath("testdata", "accounts", "compliant.json"), "--baseline", approved, "--provisioner-account", "941377122013"); code != 0 {
		t.Fatal(stderr)
	}
	code, out, stderr := runTest(t, "drift", "--from", repoPath("testdata", "accounts", "compliant-drifted.json"), "--baseline", approved,
		"--provisioner-account", "941377122013", "--trail-file", repoPath("testdata", "accounts", "drift-trail.ndjson"))
	if code != 2 {
		t.Fatalf("exit %d, want 2 (the exports list no access keys)\n%s", code, stderr)
	}
	out = strings.ReplaceAll(out, approved, "approved.json")
	out = strings.ReplaceAll(out, repoPath("testdata"), "testdata")
	golden(t, "drift-sample.txt", out)
}
