package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pvaudit/pvaudit/internal/awsfake"
	"github.com/pvaudit/pvaudit/internal/permissions"
)

// runAs runs pvaudit with creds instead of the admin's.
func runAs(t *testing.T, a *account, creds awsfake.Credentials, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, append(append([]string(nil), args...), "--endpoint-url", a.srv.URL(), "--timeout", "5s")...)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
		"AWS_ACCESS_KEY_ID=" + creds.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + creds.SecretAccessKey, "AWS_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true",
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run pvaudit: %v", err)
	}
	return result{code, out.String(), errb.String()}
}

// A mode's run for the least-privilege test.
type privMode struct {
	mode string
	// setup returns a fresh endpoint (authorization on) and the command
	// lines to run in order as the granted principal.
	setup func(t *testing.T) (*account, [][]string)
}

func privModes() []privMode {
	seeded := func(t *testing.T) *account {
		a := newAccount(t, "sample.json")
		a.srv.SetAuthorize(true)
		return a
	}
	trailDir := func(t *testing.T, a *account) string {
		dir := t.TempDir()
		if _, err := a.srv.ExportTrail(dir); err != nil {
			t.Fatal(err)
		}
		k, err := rsa.GenerateKey(rand.Reader, 1024)
		if err != nil {
			t.Fatal(err)
		}
		a.srv.AddDigestPublicKey(x509.MarshalPKCS1PublicKey(&k.PublicKey), testNow.Add(-400*24*time.Hour), testNow.Add(400*24*time.Hour))
		return dir
	}
	return []privMode{
		{"scan", func(t *testing.T) (*account, [][]string) { return seeded(t), [][]string{matrixScan} }},
		{"probe", func(t *testing.T) (*account, [][]string) {
			return seeded(t), [][]string{{"probe", "--engine", "aws", "--aws-rate", "1000", "--no-generated", "-o", "json"}}
		}},
		{"trail", func(t *testing.T) (*account, [][]string) {
			a := seeded(t)
			return a, [][]string{{"trail", "sessions", "--lookup", "--dir", trailDir(t, a), "--verify-digests", "--digest-keys-live", "--provisioner-account", "941377122013", "-o", "json"}}
		}},
		// drift is being merged beside this work: its calls are scan's and
		// LookupEvents, which scan --trail-lookup makes.
		{"drift", func(t *testing.T) (*account, [][]string) {
			return seeded(t), [][]string{append(append([]string(nil), matrixScan...), "--trail-lookup", "--provisioner-account", "941377122013")}
		}},
		{"evidence", func(t *testing.T) (*account, [][]string) {
			a := seeded(t)
			return a, [][]string{{"evidence", "export", "--framework", "hipaa", "--out", filepath.Join(t.TempDir(), "bundle"),
				"--trail-lookup", "--trail-dir", trailDir(t, a), "--trail-verify-digests", "--trail-digest-keys-live", "--provisioner-account", "941377122013"}}
		}},
		{"provision", func(t *testing.T) (*account, [][]string) {
			return emptyAccount(t), [][]string{
				append([]string{"provision", "apply", "--yes", "-o", "json"}, pennsieveArgs("7f3a9c21")...),
				{"provision", "destroy", "--node", "7f3a9c21", "--yes", "-o", "json"},
			}
		}},
	}
}

// grant adds a user holding exactly doc and returns its keys.
func grant(t *testing.T, a *account, doc []byte) awsfake.Credentials {
	t.Helper()
	c, err := a.srv.AddUser(awsfake.UserSpec{Name: "pvaudit-runner", Inline: map[string]string{"pvaudit": string(doc)}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestIAMPolicyIsEnoughAndMinimal: each mode, run as a principal granted
// only what `pvaudit iam-policy --for MODE` prints, with authorization on,
// is denied nothing; with each permission it exercises removed in turn, the
// run exits 2 and names exactly that permission (a coverage gap, a
// NOT_EVALUATED answer, a failed step or the one line of a stop), never PASS.
func TestIAMPolicyIsEnoughAndMinimal(t *testing.T) {
	t.Parallel()
	for _, pm := range privModes() {
		t.Run(pm.mode, func(t *testing.T) {
			t.Parallel()
			printed := runBareOK(t, "iam-policy", "--for", pm.mode)
			want, err := permissions.Policy(pm.mode)
			if err != nil || printed != string(want) {
				t.Fatalf("iam-policy --for %s prints\n%s\nwant\n%s (%v)", pm.mode, printed, want, err)
			}
			// The admin's run, then the granted principal's: the same.
			a, cmds := pm.setup(t)
			var adminCodes []int
			for _, args := range cmds {
				adminCodes = append(adminCodes, runAs(t, a, a.srv.AdminCredentials(), args...).code)
			}
			a, cmds = pm.setup(t)
			creds := grant(t, a, want)
			a.srv.ResetCalls()
			for i, args := range cmds {
				r := runAs(t, a, creds, args...)
				if r.code != adminCodes[i] || strings.Contains(r.stdout+r.stderr, "AccessDenied") {
					t.Fatalf("%s with only its policy: exit %d (admin: %d)\n%.1500s\n%s", strings.Join(args[:2], " "), r.code, adminCodes[i], r.stdout, r.stderr)
				}
			}
			var denied []string
			called := map[string]bool{}
			for _, c := range a.srv.Calls() {
				called[c.Service+":"+c.Action] = true
				if c.ErrorCode == "AccessDenied" || c.ErrorCode == "AccessDeniedException" {
					denied = append(denied, c.Action)
				}
			}
			if len(denied) > 0 {
				t.Errorf("denied with the printed policy: %v", denied)
			}
			acts, _ := permissions.Actions(pm.mode)
			exercised := 0
			for _, act := range acts {
				if !called[act] {
					t.Logf("%s: %s is not exercised by this run (granted for other paths)", pm.mode, act)
					continue
				}
				exercised++
				t.Run("without "+act, func(t *testing.T) {
					t.Parallel()
					a, cmds := pm.setup(t)
					doc, err := permissions.Policy(pm.mode, act)
					if err != nil {
						t.Fatal(err)
					}
					creds := grant(t, a, doc)
					var last result
					var ran []string
					for _, args := range cmds {
						ran = args
						if last = runAs(t, a, creds, args...); last.code != 0 {
							break
						}
					}
					checkDenied(t, act, last, written(t, ran))
				})
			}
			if exercised == 0 {
				t.Error("no permission of the mode was exercised: the test proves nothing")
			}
		})
	}
}

// checkDenied asserts that a run without act failed closed and named act
// alone.
func checkDenied(t *testing.T, act string, r result, files string) {
	t.Helper()
	if r.code != 2 {
		t.Errorf("exit %d, want 2\n%.1500s\n%s", r.code, r.stdout, r.stderr)
	}
	all := r.stdout + r.stderr + files
	if !strings.Contains(all, act) && !strings.Contains(all, act[strings.Index(act, ":")+1:]) {
		t.Errorf("the run does not name %s:\n%.1500s\n%s", act, r.stdout, r.stderr)
	}
	var rep struct {
		CoverageGaps []struct {
			Operation, Code string
		} `json:"coverage_gaps"`
		Findings []struct {
			CheckID string `json:"check_id"`
			Status  string `json:"status"`
		} `json:"findings"`
		Results []struct {
			AWS *struct{ Verdict string } `json:"aws"`
			// Network rows are decided from the runtime section's routes.
			Network json.RawMessage `json:"network"`
		} `json:"results"`
	}
	if json.Unmarshal([]byte(r.stdout), &rep) != nil {
		return // a stop: the one line was checked above
	}
	for _, g := range rep.CoverageGaps {
		if g.Operation != act {
			t.Errorf("gap %s (%s) besides the removed %s", g.Operation, g.Code, act)
		}
	}
	if act == "iam:GetAccountAuthorizationDetails" {
		for _, f := range rep.Findings {
			if f.Status == "PASS" {
				t.Errorf("%s PASS without %s", f.CheckID, act)
			}
		}
	}
	for _, res := range rep.Results {
		if res.AWS != nil && res.AWS.Verdict == "PASS" && act == "iam:SimulatePrincipalPolicy" && res.Network == nil {
			t.Errorf("an AWS answer PASSes without %s", act)
			break
		}
	}
}

// written is the text of every file a command wrote under its --out.
func written(t *testing.T, args []string) string {
	t.Helper()
	var b strings.Builder
	for i, a := range args {
		if a != "--out" || i+1 >= len(args) {
			continue
		}
		_ = filepath.WalkDir(args[i+1], func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if data, err := os.ReadFile(p); err == nil {
					b.Write(data)
				}
			}
			return nil
		})
	}
	return b.String()
}

// runBareOK runs a command that needs no AWS and returns its stdout.
func runBareOK(t *testing.T, args ...string) string {
	t.Helper()
	r, _ := runBare(t, nil, args...)
	if r.code != 0 {
		t.Fatalf("%v: exit %d: %s", args, r.code, r.stderr)
	}
	return r.stdout
}
