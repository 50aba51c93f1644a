package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/pvaudit/pvaudit/internal/awsfake"
)

var update = flag.Bool("update", false, "rewrite docs/reliability.md from the fault matrix")

// A fault the matrix injects into one AWS call.
type matrixFault struct {
	name string
	// recoverable faults must change nothing: AWS said retry and the
	// retry worked, or the call was merely slow or paged.
	recoverable bool
	// paged faults only apply to calls that page; marker faults only to
	// IAM's (IsTruncated and Marker: CloudTrail's NextToken has no
	// IsTruncated beside it, so a page without it is the last by definition).
	paged, marker bool
	make          func(action string) awsfake.Faults
	// latency is the delay the fault adds to each call.
	latency time.Duration
}

// matrixTimeout is --timeout in the matrix: a silent endpoint costs one
// timeout per call, so it stays short; long enough that calls without a
// fault finish on a loaded 2-core machine (the table must not move).
const matrixTimeout = "4s"

func fail(kind awsfake.FaultKind) func(string) awsfake.Faults {
	return func(a string) awsfake.Faults { return awsfake.Faults{Fail: map[string]awsfake.FaultKind{a: kind}} }
}

var matrixFaults = []matrixFault{
	{name: "AccessDenied", make: fail(awsfake.FaultAccessDenied)},
	{name: "500", make: fail(awsfake.FaultServiceFailure)},
	{name: "503", make: fail(awsfake.FaultUnavailable)},
	{name: "throttling burst", recoverable: true, make: func(a string) awsfake.Faults {
		return awsfake.Faults{ThrottleFirst: 3, ThrottleActions: []string{a}}
	}},
	{name: "100% throttling", make: fail(awsfake.FaultThrottle)},
	{name: "truncated body", make: func(a string) awsfake.Faults { return awsfake.Faults{TruncateBody: []string{a}} }},
	{name: "malformed body", make: func(a string) awsfake.Faults { return awsfake.Faults{MalformedBody: []string{a}} }},
	{name: "short pages", recoverable: true, paged: true, make: func(string) awsfake.Faults { return awsfake.Faults{PageSize: 1} }},
	{name: "page without marker", paged: true, marker: true, make: func(a string) awsfake.Faults {
		return awsfake.Faults{PageSize: 1, DropMarker: []string{a}}
	}},
	{name: "failure mid-listing", paged: true, make: func(a string) awsfake.Faults {
		return awsfake.Faults{PageSize: 1, Fail: map[string]awsfake.FaultKind{a: awsfake.FaultServiceFailure}, FailAfter: map[string]int{a: 1}}
	}},
	{name: "slow (500 ms)", recoverable: true, latency: 500 * time.Millisecond, make: func(a string) awsfake.Faults {
		return awsfake.Faults{Latency: 500 * time.Millisecond, LatencyActions: []string{a}}
	}},
	{name: "silent", make: func(a string) awsfake.Faults { return awsfake.Faults{Hang: []string{a}} }},
}

// How a run that met an unrecoverable fault must end.
type expectKind int

const (
	// expectGap: a report, incomplete, the call named among the coverage
	// gaps, no PASS from the checks that read what it returns.
	expectGap expectKind = iota
	// expectStop: exit 2 with one line naming the call; no report.
	expectStop
	// expectNotEvaluated: a probe report whose AWS answers are
	// NOT_EVALUATED with the reason, never PASS.
	expectNotEvaluated
	// expectStepFailed: provision apply stops at the failed call and says
	// which steps were done and which were not.
	expectStepFailed
)

// A call pvaudit makes, and how the matrix makes pvaudit make it.
type matrixCall struct {
	call          string // service:Action
	paged, marker bool
	expect        expectKind
	// setup returns a fresh endpoint for one fault, and the command line.
	setup func(t *testing.T) (*account, []string, []string)
	// noPass are the checks that must not PASS when the call failed (nil:
	// every catalogue and probe check).
	noPass []string
}

func (c matrixCall) action() string { return c.call[strings.Index(c.call, ":")+1:] }

// cell is one outcome of the matrix.
type cell struct {
	call, fault string
	code        int
	outcome     string
	elapsed     time.Duration
}

// TestFaultMatrix injects every fault into every AWS call pvaudit makes
// and checks that the run fails closed: retried where AWS says retry and
// unchanged then; otherwise exit 2 with the call named (a coverage gap, a
// NOT_EVALUATED answer or one line), never a PASS from what was not read,
// within a bounded time. docs/reliability.md is this test's table
// (-update rewrites it; the test fails when it is stale).
func TestFaultMatrix(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var cells []cell
	record := func(c cell) {
		mu.Lock()
		defer mu.Unlock()
		cells = append(cells, c)
	}
	t.Run("calls", func(t *testing.T) {
		for _, mc := range matrixCalls() {
			t.Run(mc.call, func(t *testing.T) {
				t.Parallel()
				a, args, env := mc.setup(t)
				base := runEnv(t, a, env, args...)
				if base.code == 2 && mc.expect != expectStop {
					t.Fatalf("baseline: exit 2\n%s\n%s", base.stdout, base.stderr)
				}
				for _, f := range matrixFaults {
					if f.paged && !mc.paged || f.marker && !mc.marker {
						record(cell{call: mc.call, fault: f.name, outcome: "n/a"})
						continue
					}
					t.Run(f.name, func(t *testing.T) {
						t.Parallel()
						a, args, env := mc.setup(t)
						a.srv.ResetCalls()
						a.srv.SetFaults(f.make(mc.action()))
						timeout := matrixTimeout
						if f.recoverable {
							// Riding out a burst must not depend on how busy
							// the machine is.
							timeout = "10s"
						}
						start := time.Now()
						r := runEnv(t, a, env, append(args, "--timeout", timeout)...)
						el := time.Since(start)
						a.srv.SetFaults(awsfake.Faults{})
						out := judge(t, mc, f, a, base, r)
						// A slow call costs its latency each time it is made:
						// the bound is per call, not for the sum.
						bound := 25 * time.Second
						if f.latency > 0 {
							bound += time.Duration(len(a.srv.CallsTo(mc.action()))) * f.latency
						}
						if el > bound {
							t.Errorf("%s / %s took %s: not bounded by --timeout %s", mc.call, f.name, el, timeout)
						}
						t.Logf("%s / %s: exit %d in %s: %s", mc.call, f.name, r.code, el.Round(10*time.Millisecond), out)
						record(cell{call: mc.call, fault: f.name, code: r.code, outcome: out, elapsed: el})
					})
				}
			})
		}
	})
	if t.Failed() {
		return
	}
	doc := renderReliability(cells)
	path := filepath.Join("..", "..", "docs", "reliability.md")
	if *update {
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != doc {
		t.Errorf("docs/reliability.md is stale (or missing: %v); run go test ./internal/e2e -run TestFaultMatrix -update\n%s", err, lineDiff(string(got), doc))
	}
}

// judge checks one faulted run and returns its outcome for the table.
func judge(t *testing.T, mc matrixCall, f matrixFault, a *account, base, r result) string {
	t.Helper()
	where := fmt.Sprintf("%s / %s", mc.call, f.name)
	hit := false
	for _, c := range a.srv.CallsTo(mc.action()) {
		if c.ErrorCode != "" || f.recoverable || f.name == "truncated body" || f.name == "malformed body" || f.name == "page without marker" {
			hit = true
		}
	}
	if !hit {
		t.Errorf("%s: the fault was never met (no call to %s): the case proves nothing", where, mc.action())
		return "not exercised"
	}
	if f.recoverable {
		if r.code != base.code {
			t.Errorf("%s: exit %d, want %d as without the fault\n%s", where, r.code, base.code, r.stderr)
		}
		if mc.expect == expectGap || mc.expect == expectNotEvaluated {
			if got, want := statusKeyOf(t, r), statusKeyOf(t, base); got != want {
				t.Errorf("%s: findings differ from the run without the fault:\n got %s\nwant %s", where, got, want)
			}
		}
		return "as without the fault"
	}
	if r.code != 2 {
		t.Errorf("%s: exit %d, want 2\nstdout: %.2000s\nstderr: %s", where, r.code, r.stdout, r.stderr)
	}
	switch mc.expect {
	case expectGap:
		rep := parseReport(t, r)
		var codes []string
		for _, g := range rep.CoverageGaps {
			if g.Operation == mc.call {
				codes = append(codes, g.Code)
			}
		}
		if rep.Complete || len(codes) == 0 {
			t.Errorf("%s: complete=%v, gaps %+v: the call is not named as a gap", where, rep.Complete, rep.CoverageGaps)
		}
		for _, fd := range rep.Findings {
			if fd.Status != "PASS" {
				continue
			}
			if mc.noPass == nil || contains(mc.noPass, fd.CheckID) {
				t.Errorf("%s: %s PASS on %s although %s failed: %s", where, fd.CheckID, fd.Resource, mc.call, fd.Message)
			}
		}
		return "gap " + gapCodes(codes)
	case expectNotEvaluated:
		var pr struct {
			Complete bool `json:"complete"`
			Results  []struct {
				AWS *struct {
					Verdict string `json:"verdict"`
				} `json:"aws"`
				// Network is set for rows decided from the runtime
				// section's routes, not by the simulator.
				Network json.RawMessage `json:"network"`
			} `json:"results"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &pr); err != nil {
			t.Fatalf("%s: probe report is not JSON: %v\n%s", where, err, r.stderr)
		}
		for _, res := range pr.Results {
			if res.AWS != nil && res.AWS.Verdict == "PASS" && res.Network == nil {
				t.Errorf("%s: an AWS answer PASSes although the simulator failed", where)
				break
			}
		}
		if pr.Complete {
			t.Errorf("%s: probe report complete", where)
		}
		return "NOT_EVALUATED"
	case expectStop:
		if strings.TrimSpace(r.stdout) != "" {
			t.Errorf("%s: a report was written although the command stopped:\n%.500s", where, r.stdout)
		}
		var lines []string
		for _, l := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
			if strings.HasPrefix(l, "pvaudit: ") {
				lines = append(lines, l)
			}
		}
		if len(lines) != 1 || !strings.Contains(lines[0], mc.action()) && !strings.Contains(lines[0], "--role-arn") {
			t.Errorf("%s: want one line naming %s, got:\n%s", where, mc.call, r.stderr)
		}
		if mc.call == "sts:GetCallerIdentity" || mc.call == "sts:AssumeRole" {
			for _, w := range []string{"--profile", "--role-arn", "--from"} {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("%s: the line does not name %s: %s", where, w, r.stderr)
				}
			}
		}
		return "stops, one line"
	case expectStepFailed:
		p := parsePlan(t, r)
		failed := false
		if p.Applied != nil {
			for _, s := range p.Applied.Steps {
				if s.Status == "failed" {
					failed = true
				}
			}
		}
		if p.Applied == nil || p.Applied.Complete || !failed {
			t.Errorf("%s: apply does not report a failed step: %+v", where, p.Applied)
		}
		return "apply stops at the step"
	}
	return ""
}

func gapCodes(codes []string) string {
	seen := map[string]bool{}
	var out []string
	for _, c := range codes {
		if c == "" {
			c = "?"
		}
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	// A call throttled until its --timeout ran out may end as either code
	// depending on the machine's load: the table says Throttling.
	if seen["Throttling"] && seen["NoAnswer"] {
		out = slices.DeleteFunc(out, func(c string) bool { return c == "NoAnswer" })
	}
	sort.Strings(out)
	return "(" + strings.Join(out, ", ") + ")"
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func statusKeyOf(t *testing.T, r result) string {
	t.Helper()
	var rep struct {
		Findings []struct {
			CheckID  string `json:"check_id"`
			Status   string `json:"status"`
			Resource string `json:"resource"`
		} `json:"findings"`
		Results []struct {
			Verdict string `json:"verdict"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r.stderr)
	}
	var b strings.Builder
	for _, f := range rep.Findings {
		fmt.Fprintf(&b, "%s %s %s\n", f.CheckID, f.Status, f.Resource)
	}
	for _, res := range rep.Results {
		b.WriteString(res.Verdict + " ")
	}
	return b.String()
}

// runEnv runs pvaudit against a's endpoint with the admin's keys and extra
// environment, and a short --timeout.
func runEnv(t *testing.T, a *account, env []string, args ...string) result {
	t.Helper()
	creds := a.srv.AdminCredentials()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args = append(append([]string(nil), args...), "--endpoint-url", a.srv.URL())
	if !slices.Contains(args, "--timeout") {
		args = append(args, "--timeout", matrixTimeout)
	}
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),
		"AWS_ACCESS_KEY_ID=" + creds.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + creds.SecretAccessKey,
		"AWS_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_EC2_METADATA_DISABLED=true",
	}, env...)
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

// matrixScan is the scan of the matrix: the checks that read each part of
// the snapshot (the whole catalogue would only cost time).
var matrixScan = []string{"scan", "-o", "json", "--checks", "PV-ACC-001,PV-ACC-002,PV-XAR-001,PV-XAR-002,PV-XAR-004,PV-BND-001,PV-BND-002,PV-COV-001,PV-PRB-001"}

// matrixCalls is every AWS call pvaudit makes (grep the code for the SDK
// clients: inventory/live, probes/aws.go, trail/lookup.go, trail/keys.go,
// provision, cmd/pvaudit/awsconfig.go), with the command that makes it.
func matrixCalls() []matrixCall {
	scan := func(t *testing.T) (*account, []string, []string) {
		return newAccount(t, "sample.json"), matrixScan, nil
	}
	calls := []matrixCall{
		{call: "sts:GetCallerIdentity", expect: expectStop, setup: scan},
		{call: "sts:AssumeRole", expect: expectStop, setup: func(t *testing.T) (*account, []string, []string) {
			a := newAccount(t, "sample.json")
			roleARN := auditRole(t, a)
			return a, append([]string{"--role-arn", roleARN, "--external-id", "audit-ext-1"}, matrixScan...), nil
		}},
		{call: "iam:GetAccountAuthorizationDetails", paged: true, marker: true, expect: expectGap, setup: scan},
		{call: "iam:ListRoles", paged: true, marker: true, expect: expectGap, setup: scan, noPass: []string{"PV-XAR-004"}},
		{call: "iam:ListAccessKeys", paged: true, marker: true, expect: expectGap, noPass: []string{"PV-ACC-001"}, setup: func(t *testing.T) (*account, []string, []string) {
			a := newAccount(t, "sample.json")
			// A second key, so that the admin's keys take two pages.
			if _, err := a.admin.CreateAccessKey(context.Background(), &iam.CreateAccessKeyInput{UserName: aws.String("admin")}); err != nil {
				t.Fatal(err)
			}
			return a, matrixScan, nil
		}},
		{call: "iam:SimulatePrincipalPolicy", expect: expectNotEvaluated, setup: func(t *testing.T) (*account, []string, []string) {
			return newAccount(t, "sample.json"), []string{"probe", "--engine", "aws", "--aws-rate", "1000", "--no-generated", "-o", "json"}, nil
		}},
		{call: "cloudtrail:LookupEvents", paged: true, expect: expectStop, setup: func(t *testing.T) (*account, []string, []string) {
			return newAccount(t, "sample.json"), []string{"trail", "sessions", "--lookup", "--provisioner-account", "941377122013", "-o", "json"}, nil
		}},
		{call: "cloudtrail:ListPublicKeys", paged: true, expect: expectStop, setup: func(t *testing.T) (*account, []string, []string) {
			a := newAccount(t, "sample.json")
			dir := t.TempDir()
			if _, err := a.srv.ExportTrail(dir); err != nil {
				t.Fatal(err)
			}
			for range 2 {
				k, err := rsa.GenerateKey(rand.Reader, 1024)
				if err != nil {
					t.Fatal(err)
				}
				a.srv.AddDigestPublicKey(x509.MarshalPKCS1PublicKey(&k.PublicKey), testNow.Add(-400*24*time.Hour), testNow.Add(400*24*time.Hour))
			}
			return a, []string{"trail", "sessions", "--dir", dir, "--verify-digests", "--digest-keys-live", "--provisioner-account", "941377122013", "-o", "json"}, nil
		}},
	}
	apply := append([]string{"provision", "apply", "--yes", "-o", "json"}, pennsieveArgs("7f3a9c21")...)
	for _, w := range []string{"CreatePolicy", "CreateRole", "PutRolePolicy"} {
		calls = append(calls, matrixCall{call: "iam:" + w, expect: expectStepFailed, setup: func(t *testing.T) (*account, []string, []string) {
			return emptyAccount(t), apply, nil
		}})
	}
	applied := func(t *testing.T) *account {
		a := emptyAccount(t)
		if r := runEnv(t, a, nil, apply...); r.code != 0 {
			t.Fatalf("apply: exit %d\n%s", r.code, r.stderr)
		}
		return a
	}
	for _, w := range []string{"DeleteRolePolicy", "DeleteRole", "DeletePolicy"} {
		calls = append(calls, matrixCall{call: "iam:" + w, expect: expectStepFailed, setup: func(t *testing.T) (*account, []string, []string) {
			return applied(t), []string{"provision", "destroy", "--node", "7f3a9c21", "--yes", "-o", "json"}, nil
		}})
	}
	calls = append(calls, matrixCall{call: "iam:ListPolicyTags", paged: true, marker: true, expect: expectGap, setup: func(t *testing.T) (*account, []string, []string) {
		return applied(t), append([]string{"provision", "plan", "-o", "json"}, pennsieveArgs("7f3a9c21")...), nil
	}})
	return calls
}

// auditRole creates a read-only audit role the admin may assume with an
// ExternalId, and returns its ARN.
func auditRole(t *testing.T, a *account) string {
	t.Helper()
	trust := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:user/admin"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"audit-ext-1"}}}]}`, a.srv.AccountID())
	ctx := context.Background()
	out, err := a.admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("pvaudit-audit"), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.admin.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("pvaudit-audit"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}); err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.Role.Arn)
}

// renderReliability is docs/reliability.md.
func renderReliability(cells []cell) string {
	var calls []string
	seen := map[string]bool{}
	for _, mc := range matrixCalls() {
		if !seen[mc.call] {
			seen[mc.call] = true
			calls = append(calls, mc.call)
		}
	}
	byKey := map[string]cell{}
	for _, c := range cells {
		byKey[c.call+"\x00"+c.fault] = c
	}
	var b strings.Builder
	b.WriteString(`# Reliability: every fault of every AWS call

Generated by ` + "`go test ./internal/e2e -run TestFaultMatrix -update`" + ` (internal/e2e/faultmatrix_test.go);
the test fails when this file is stale. Each cell is one run of the real binary against the loopback
endpoint (internal/awsfake) with the fault injected into that call only, ` + "`--timeout " + matrixTimeout + "`" + `
(10s for the faults a retry must ride out, so that the cell does not depend on the machine's load).

Each cell is the exit code and the outcome. What the test asserts for each outcome:

- **as without the fault**: AWS said retry (throttling) or the call was merely slow or paged; the run's
  exit code and findings equal the run without the fault.
- **gap (CODE)**: the report is incomplete (` + "`complete: false`" + `, exit 2), the call is named
  among the coverage gaps with its code, and no check that reads what the call returns says PASS
  (for the authorization details: no PASS at all; for ListRoles: PV-XAR-004; for ListAccessKeys:
  PV-ACC-001); they are NOT_EVALUATED with the reason.
- **NOT_EVALUATED**: the probe report keeps every AWS answer NOT_EVALUATED with the reason
  (after 3 failed calls in a row the engine stops asking), never PASS; exit 2.
- **stops, one line**: exit 2, nothing on standard output, one line on standard error
  naming the call (for the credentials check also ` + "`--profile`, `--role-arn` and `--from`" + `).
- **apply stops at the step**: provision apply stops at the failed call and reports each step as done, failed or
  not run; exit 2; a re-run continues.
- Every run ends within 25 s: retries are bounded by ` + "`--timeout`" + ` (per call, retries included;
  default 30s) and the retry loops of LookupEvents and the simulator by the same time; ` + "`--deadline`" + `
  bounds the whole command.

Codes: AWS's error code, or NoAnswer (the call's time ran out), Undecodable (a body that is not the
protocol's), BrokenPagination (a page that says more follow without a marker), NotAttempted (calls
not made after 3 failures in a row; one gap names the users left), Transport. n/a: the call does not
page (short pages, failure mid-listing), or pages with CloudTrail's NextToken alone, where a page
without it is the last by definition (page without marker).

The credentials check (sts:GetCallerIdentity, and sts:AssumeRole for ` + "`--role-arn`" + `) comes before
anything else, so its failure writes nothing: a failed live ` + "`snapshot -o json=FILE`" + ` keeps FILE.
CloudTrail sources (LookupEvents, ListPublicKeys) stop the command rather than replay a part of the
history: a partial replay could pass TRAIL checks on the events it happened to read.
The ListPublicKeys row runs over an exported trail without digest files, which is itself incomplete
(exit 2); its recoverable cells show that the fault changed nothing.

`)
	b.WriteString("| call | " + strings.Join(faultNames(), " | ") + " |\n")
	b.WriteString("|---" + strings.Repeat("|---", len(matrixFaults)) + "|\n")
	for _, call := range calls {
		row := []string{"`" + call + "`"}
		for _, f := range matrixFaults {
			c, ok := byKey[call+"\x00"+f.name]
			switch {
			case !ok:
				row = append(row, "?")
			case c.outcome == "n/a":
				row = append(row, "n/a")
			default:
				row = append(row, fmt.Sprintf("%d · %s", c.code, c.outcome))
			}
		}
		b.WriteString("| " + strings.Join(row, " | ") + " |\n")
	}
	return b.String()
}

func faultNames() []string {
	var out []string
	for _, f := range matrixFaults {
		out = append(out, f.name)
	}
	return out
}

// lineDiff names the lines of want that got lacks and the reverse (at most
// ten of each), so that a stale table says which cells moved.
func lineDiff(got, want string) string {
	have := map[string]bool{}
	for _, l := range strings.Split(got, "\n") {
		have[l] = true
	}
	need := map[string]bool{}
	for _, l := range strings.Split(want, "\n") {
		need[l] = true
	}
	var b strings.Builder
	n := 0
	for _, l := range strings.Split(want, "\n") {
		if !have[l] && n < 10 {
			fmt.Fprintf(&b, "+ %s\n", l)
			n++
		}
	}
	n = 0
	for _, l := range strings.Split(got, "\n") {
		if !need[l] && n < 10 {
			fmt.Fprintf(&b, "- %s\n", l)
			n++
		}
	}
	return b.String()
}
