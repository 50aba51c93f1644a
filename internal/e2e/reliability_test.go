package e2e

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pvaudit/pvaudit/internal/awsfake"
)

// silentListener accepts connections and never answers, as a metadata
// endpoint off EC2 or a black-holed proxy does.
func silentListener(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + ln.Addr().String()
}

// runBare runs pvaudit with exactly env (no credentials unless given).
func runBare(t *testing.T, env []string, args ...string) (result, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null"}, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	el := time.Since(start)
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run pvaudit: %v", err)
	}
	return result{code, out.String(), errb.String()}, el
}

// TestNoCredentials: on main, with no credentials and a metadata endpoint
// that never answers, scan said nothing for 15 s, then printed a 141-line
// report of NOT_EVALUATED rows with the raw SDK error three times and one
// PASS. Now: one line naming --profile, --role-arn and --from, exit 2, well
// under a second, and every stderr line in pvaudit's format.
func TestNoCredentials(t *testing.T) {
	t.Parallel()
	imds := silentListener(t)
	for _, args := range [][]string{{"scan"}, {"snapshot", "-o", "json"}, {"roles"}, {"probe", "--engine", "aws"}, {"trail", "sessions", "--lookup", "--provisioner-account", "941377122013"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r, el := runBare(t, []string{"AWS_EC2_METADATA_SERVICE_ENDPOINT=" + imds}, args...)
			if r.code != 2 {
				t.Errorf("exit %d, want 2", r.code)
			}
			if el > 1500*time.Millisecond {
				t.Errorf("took %s; want well under a second (the metadata endpoint never answers)", el)
			}
			if r.stdout != "" {
				t.Errorf("a report without credentials:\n%.300s", r.stdout)
			}
			lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
			if len(lines) != 1 {
				t.Errorf("want one line on stderr, got %d:\n%s", len(lines), r.stderr)
			}
			for _, w := range []string{"no AWS credentials", "--profile", "--role-arn", "--from"} {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr does not say %q: %s", w, r.stderr)
				}
			}
			for _, l := range lines {
				if !strings.HasPrefix(l, "pvaudit: ") && !strings.HasPrefix(l, "time=") {
					t.Errorf("a line not in pvaudit's format (the SDK's own logger?): %q", l)
				}
			}
		})
	}
	t.Run("debug log in one format", func(t *testing.T) {
		r, _ := runBare(t, []string{"AWS_EC2_METADATA_SERVICE_ENDPOINT=" + imds}, "scan", "--log-level", "debug")
		for _, l := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
			if !strings.HasPrefix(l, "pvaudit: ") && !strings.HasPrefix(l, "time=") {
				t.Errorf("a line not in pvaudit's format: %q", l)
			}
		}
	})
}

// TestSilentEndpoint: on main an endpoint that accepts connections and never
// answers made scan wait forever. Now --timeout bounds each call and the
// command ends, exit 2, naming the call.
func TestSilentEndpoint(t *testing.T) {
	t.Parallel()
	url := silentListener(t)
	r, el := runBare(t, []string{"AWS_ACCESS_KEY_ID=AKIAEXAMPLE0000000001", "AWS_SECRET_ACCESS_KEY=example", "AWS_REGION=us-east-1"},
		"scan", "--endpoint-url", url, "--timeout", "1s")
	if r.code != 2 || el > 5*time.Second {
		t.Errorf("exit %d after %s, want 2 within a few seconds", r.code, el)
	}
	if !strings.Contains(r.stderr, "sts:GetCallerIdentity") || !strings.Contains(r.stderr, "no answer within --timeout 1s") {
		t.Errorf("stderr does not name the call and the timeout:\n%s", r.stderr)
	}
	if !strings.Contains(r.stderr, "still waiting for AWS") {
		t.Errorf("no progress line says what is being waited for:\n%s", r.stderr)
	}
}

// TestDeadline: --deadline stops the whole command and says what it was
// waiting for.
func TestDeadline(t *testing.T) {
	t.Parallel()
	a := newAccount(t, "sample.json")
	a.srv.SetFaults(awsfake.Faults{Hang: []string{"GetAccountAuthorizationDetails"}})
	start := time.Now()
	r := a.pvaudit(t, "scan", "-o", "json", "--timeout", "20s", "--deadline", "1s")
	if el := time.Since(start); r.code != 2 || el > 5*time.Second {
		t.Errorf("exit %d after %s, want 2 at about 1s", r.code, el)
	}
	if !strings.Contains(r.stderr, "--deadline 1s reached while waiting for iam:GetAccountAuthorizationDetails") {
		t.Errorf("stderr does not name the deadline and the call:\n%s", r.stderr)
	}
	if strings.TrimSpace(r.stdout) != "" {
		t.Errorf("a report was written past the deadline:\n%.300s", r.stdout)
	}
}

// TestFailedSnapshotKeepsTheFile: a live snapshot that fails (no endpoint,
// credentials refused, a call failing halfway) never replaces an existing
// file; without one it writes nothing for a stopped run.
func TestFailedSnapshotKeepsTheFile(t *testing.T) {
	t.Parallel()
	good, err := os.ReadFile(filepath.Join("..", "..", "testdata", "accounts", "compliant.json"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		faults awsfake.Faults
		url    string // instead of the endpoint's
	}{
		{name: "endpoint unreachable", url: "http://127.0.0.1:9"},
		{name: "authorization details fail halfway", faults: awsfake.Faults{PageSize: 2, Fail: map[string]awsfake.FaultKind{"GetAccountAuthorizationDetails": awsfake.FaultServiceFailure}, FailAfter: map[string]int{"GetAccountAuthorizationDetails": 1}}},
		{name: "list roles denied", faults: awsfake.Faults{Fail: map[string]awsfake.FaultKind{"ListRoles": awsfake.FaultAccessDenied}}},
		{name: "caller identity silent", faults: awsfake.Faults{Hang: []string{"GetCallerIdentity"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := newAccount(t, "sample.json")
			a.srv.SetFaults(tc.faults)
			dir := t.TempDir()
			file := filepath.Join(dir, "GOOD.json")
			if err := os.WriteFile(file, good, 0o600); err != nil {
				t.Fatal(err)
			}
			args := []string{"snapshot", "-o", "json=" + file, "--timeout", "1s"}
			var r result
			if tc.url != "" {
				creds := a.srv.AdminCredentials()
				r, _ = runBare(t, []string{"AWS_ACCESS_KEY_ID=" + creds.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + creds.SecretAccessKey, "AWS_REGION=us-east-1"},
					append(args, "--endpoint-url", tc.url)...)
			} else {
				r = a.pvaudit(t, args...)
			}
			if r.code != 2 {
				t.Errorf("exit %d, want 2\n%s", r.code, r.stderr)
			}
			got, err := os.ReadFile(file)
			if err != nil || !bytes.Equal(got, good) {
				t.Errorf("GOOD.json was replaced (%v)", err)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				t.Errorf("files left beside it: %v", entries)
			}
		})
	}
}
