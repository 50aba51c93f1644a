// Package e2e runs the real pvaudit binary against the loopback AWS endpoint
// (internal/awsfake) as a user would, with --endpoint-url.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/pvaudit/pvaudit/internal/awsfake"
	"github.com/pvaudit/pvaudit/internal/testaccount"
	"github.com/pvaudit/pvaudit/inventory"
)

// binary is the pvaudit executable built once for the whole package.
var binary string

func TestMain(m *testing.M) {
	// The tests mostly wait (on the binary, on timeouts the fault cases
	// provoke), not compute: run more of them at once than there are
	// CPUs, unless -parallel says otherwise.
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		_ = flag.Set("test.parallel", "8")
	}
	dir, err := os.MkdirTemp("", "pvaudit-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	binary = filepath.Join(dir, "pvaudit")
	// PVAUDIT_E2E_BINARY runs the tests against another build (an older
	// revision, to show that a test fails there); PVAUDIT_E2E_RACE builds
	// with the race detector (.ci/run).
	if b := os.Getenv("PVAUDIT_E2E_BINARY"); b != "" {
		binary = b
	} else {
		args := []string{"build", "-o", binary}
		if os.Getenv("PVAUDIT_E2E_RACE") != "" {
			args = append(args, "-race")
		}
		build := exec.Command("go", append(args, "github.com/pvaudit/pvaudit/cmd/pvaudit")...)
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "build pvaudit:", err)
			os.Exit(2)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var testNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// account is a running endpoint with a seeded account and an admin client.
type account struct {
	srv   *awsfake.Server
	admin *iam.Client
	snap  *inventory.Snapshot
	ids   testaccount.IDs // runtime IDs: the file's → the endpoint's
}

func sdkConfig(url string, c awsfake.Credentials) aws.Config {
	return aws.Config{
		Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) { o.RateLimiter = ratelimit.None; o.MaxAttempts = 10 })
		},
	}
}

// newAccount seeds the endpoint with a sample account file. It stands in for
// the provisioner until `pvaudit provision` exists.
func newAccount(t *testing.T, file string) *account {
	t.Helper()
	snap, err := inventory.ReadFile(filepath.Join("..", "..", "testdata", "accounts", file))
	if err != nil {
		t.Fatal(err)
	}
	srv, url := awsfake.Start(t, awsfake.Options{AccountID: snap.AccountID, Clock: func() time.Time { return testNow }, Seed: 11})
	admin := iam.NewFromConfig(sdkConfig(url, srv.AdminCredentials()))
	if _, err := testaccount.Seed(context.Background(), admin, snap); err != nil {
		t.Fatalf("seed %s: %v", file, err)
	}
	ids := seedRuntime(t, srv, url, snap)
	srv.ResetCalls()
	return &account{srv: srv, admin: admin, snap: snap, ids: ids}
}

// seedRuntime builds the account file's runtime section (network, logs,
// alarms, compute) through the service APIs, as the customer's deployment
// would, and returns the IDs the endpoint gave.
func seedRuntime(t *testing.T, srv *awsfake.Server, url string, snap *inventory.Snapshot) testaccount.IDs {
	t.Helper()
	if snap.Runtime == nil {
		return testaccount.IDs{}
	}
	ids, err := testaccount.BuildRuntime(context.Background(), testaccount.NewRuntimeWriters(sdkConfig(url, srv.AdminCredentials())), srv, snap.Runtime)
	if err != nil {
		t.Fatalf("seed runtime: %v", err)
	}
	return ids
}

type result struct {
	code           int
	stdout, stderr string
}

// runLimit bounds one run of the binary: a minute, or four with the race
// detector (which slows it several times over, more on a loaded machine).
func runLimit() time.Duration {
	if os.Getenv("PVAUDIT_E2E_RACE") != "" {
		return 4 * time.Minute
	}
	return time.Minute
}

// pvaudit runs the binary against the endpoint with the admin's keys in the
// environment, isolated from the host's AWS configuration.
func (a *account) pvaudit(t *testing.T, args ...string) result {
	t.Helper()
	creds := a.srv.AdminCredentials()
	ctx, cancel := context.WithTimeout(context.Background(), runLimit())
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, append(args, "--endpoint-url", a.srv.URL())...)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),
		"AWS_ACCESS_KEY_ID=" + creds.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + creds.SecretAccessKey,
		"AWS_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_EC2_METADATA_DISABLED=true",
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

type jsonReport struct {
	Complete bool `json:"complete"`
	Summary  struct {
		Pass, Fail, Error int
	} `json:"summary"`
	CoverageGaps []inventory.Gap `json:"coverage_gaps"`
	Findings     []struct {
		CheckID  string `json:"check_id"`
		Status   string `json:"status"`
		Resource string `json:"resource"`
		Message  string `json:"message"`
	} `json:"findings"`
}

func parseReport(t *testing.T, r result) jsonReport {
	t.Helper()
	var rep jsonReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("report is not JSON: %v\nstdout: %s\nstderr: %s", err, r.stdout, r.stderr)
	}
	return rep
}

func (rep jsonReport) has(check, status, resourceSuffix string) bool {
	for _, f := range rep.Findings {
		if f.CheckID == check && f.Status == status && strings.HasSuffix(f.Resource, resourceSuffix) {
			return true
		}
	}
	return false
}

// statusKey summarises findings for comparisons between runs.
func (rep jsonReport) statusKey() string {
	var b strings.Builder
	for _, f := range rep.Findings {
		fmt.Fprintf(&b, "%s %s %s\n", f.CheckID, f.Status, f.Resource)
	}
	return b.String()
}

// TestTamperAndDetect: a clean account scans clean; an administrator removes
// a child role's boundary and widens a boundary policy; the scan fails and
// names the role.
func TestTamperAndDetect(t *testing.T) {
	t.Parallel()
	a := newAccount(t, "compliant.json")
	clean := a.pvaudit(t, "scan", "-o", "json", "--checks", "PV-XAR-001,PV-BND-001,PV-BND-002,PV-COV-001")
	if clean.code != 0 {
		t.Fatalf("scan of the clean account: exit %d\n%s\n%s", clean.code, clean.stdout, clean.stderr)
	}
	ctx := context.Background()
	const victim = "pennsieve-7f3a9c21-processor-ecs"
	if _, err := a.admin.DeleteRolePermissionsBoundary(ctx, &iam.DeleteRolePermissionsBoundaryInput{RoleName: aws.String(victim)}); err != nil {
		t.Fatal(err)
	}
	boundaryARN := "arn:aws:iam::" + a.snap.AccountID + ":policy/pennsieve-boundary-b24e11d0"
	wide := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	if _, err := a.admin.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(boundaryARN), PolicyDocument: aws.String(wide), SetAsDefault: true}); err != nil {
		t.Fatal(err)
	}
	a.srv.ResetCalls()
	tampered := a.pvaudit(t, "scan", "-o", "json")
	if tampered.code != 1 {
		t.Fatalf("scan after tampering: exit %d, want 1\n%s", tampered.code, tampered.stderr)
	}
	rep := parseReport(t, tampered)
	if !rep.has("PV-BND-001", "FAIL", "role/"+victim) {
		t.Errorf("no PV-BND-001 FAIL for %s:\n%s", victim, rep.statusKey())
	}
	if !rep.has("PV-BND-003", "FAIL", "policy/pennsieve-boundary-b24e11d0") {
		t.Errorf("no PV-BND-003 FAIL for the widened boundary:\n%s", rep.statusKey())
	}
	if m := a.srv.MutatingCalls(); len(m) != 0 {
		t.Errorf("scan made %d mutating call(s): %+v", len(m), m)
	}

	// The probes see it too, with both engines: the widened boundary no
	// longer blocks what the document says it blocks.
	probe := a.pvaudit(t, "probe", "--engine", "both", "--aws-rate", "200", "-o", "json")
	if probe.code != 1 {
		t.Fatalf("probe after tampering: exit %d, want 1\n%s", probe.code, probe.stderr)
	}
	var pr struct {
		Engine  string `json:"engine"`
		Results []struct {
			Principal struct {
				Name string `json:"name"`
			} `json:"principal"`
			Local   *struct{ Verdict string } `json:"local"`
			AWS     *struct{ Verdict string } `json:"aws"`
			Verdict string                    `json:"verdict"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(probe.stdout), &pr); err != nil {
		t.Fatalf("probe JSON: %v", err)
	}
	failed := 0
	for _, r := range pr.Results {
		if strings.Contains(r.Principal.Name, "b24e11d0") && r.Verdict == "FAIL" && r.Local != nil && r.AWS != nil &&
			r.Local.Verdict == "FAIL" && r.AWS.Verdict == "FAIL" {
			failed++
		}
	}
	if pr.Engine != "both" || failed == 0 {
		t.Errorf("engine %q: %d probe rows of node b24e11d0's roles fail with both engines, want some", pr.Engine, failed)
	}
	if m := a.srv.MutatingCalls(); len(m) != 0 {
		t.Errorf("probe made %d mutating call(s): %+v", len(m), m)
	}
}

// TestReadOnlyCommands: scanning, listing and snapshotting make no mutating call.
func TestReadOnlyCommands(t *testing.T) {
	t.Parallel()
	a := newAccount(t, "sample.json")
	out := filepath.Join(t.TempDir(), "snap.json")
	for _, args := range [][]string{
		{"scan"},
		{"scan", "-o", "json"},
		{"roles"},
		{"snapshot", "-o", "json=" + out},
		{"probe", "--engine", "both", "--aws-rate", "200"},
		{"trail", "sessions", "--lookup", "--provisioner-account", "941377122013"},
		{"scan", "--trail-lookup", "--provisioner-account", "941377122013"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r := a.pvaudit(t, args...)
			if r.code == 2 {
				t.Fatalf("exit 2: %s", r.stderr)
			}
		})
	}
	if m := a.srv.MutatingCalls(); len(m) != 0 {
		t.Errorf("read-only commands made %d mutating call(s): %+v", len(m), m)
	}
	if len(a.srv.Calls()) == 0 {
		t.Error("no calls reached the endpoint: the test proves nothing")
	}
}

// TestCallBudget: a scan of N roles makes a small constant number of calls
// plus N/100, not one call per role.
func TestCallBudget(t *testing.T) {
	t.Parallel()
	a := newAccount(t, "compliant.json")
	ctx := context.Background()
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	const extra = 400
	for i := range extra {
		if _, err := a.admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(fmt.Sprintf("app-role-%03d", i)), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
			t.Fatal(err)
		}
	}
	a.srv.ResetCalls()
	r := a.pvaudit(t, "scan", "-o", "json")
	if r.code == 2 {
		t.Fatalf("scan failed: %s", r.stderr)
	}
	roles := len(a.snap.Roles) + extra
	users := len(a.snap.Users) + 1  // the seeded admin
	budget := 4 + roles/100 + users // STS + auth details + list roles, plus one ListAccessKeys per user
	var iamCalls, rtCalls int
	for _, c := range a.srv.Calls() {
		if c.Service == "iam" || c.Service == "sts" {
			iamCalls++
		} else {
			rtCalls++
		}
	}
	rtBudget := runtimeBudget(a.snap.Runtime)
	t.Logf("scan of %d roles and %d users made %d IAM/STS calls (budget %d) and %d runtime calls (budget %d)", roles, users, iamCalls, budget, rtCalls, rtBudget)
	if iamCalls > budget {
		t.Errorf("scan of %d roles made %d IAM/STS calls, budget %d", roles, iamCalls, budget)
	}
	if rtCalls > rtBudget {
		t.Errorf("the runtime section took %d calls, budget %d", rtCalls, rtBudget)
	}
}

// runtimeBudget is the most calls reading one region's runtime may take at
// one page per listing: one call per listing, plus the per-resource reads
// (transit gateway routes, a state machine's description and tags, a file
// system's policy and mount targets, a mount target's groups, a function's
// tags, ECS's describes and task definitions).
func runtimeBudget(rt *inventory.Runtime) int {
	n := 14 + 2 + 1 + 1 + 2 + 1 + 1 + 2 + 1 // EC2, Logs, CloudWatch, SFN, EFS, Lambda, ECS, ELBv2, S3
	for _, r := range rt.Regions {
		n += len(r.EC2.TransitGatewayRouteTables) + 2*len(r.StepFunctions.StateMachines) +
			2*len(r.EFS.FileSystems) + len(r.EFS.MountTargets) + len(r.Lambda.Functions) +
			1 + 2*len(r.ECS.Clusters) + len(r.ECS.Services)/10 + len(r.ECS.TaskDefinitions)
	}
	return n
}

// TestFaults: throttling changes nothing; a denied collector call exits 2
// and names what could not be read; no fault produces a PASS for an unread
// resource.
func TestFaults(t *testing.T) {
	t.Parallel()
	base := newAccount(t, "sample.json")
	want := parseReport(t, base.pvaudit(t, "scan", "-o", "json"))
	if len(want.Findings) == 0 {
		t.Fatal("baseline scan has no findings")
	}
	tests := []struct {
		name     string
		faults   awsfake.Faults
		wantCode int
		same     bool   // same findings as without faults
		wantText string // in the report's gaps
	}{
		// Throttled: IAM's reads and runtime reads over three protocols
		// (throttling every runtime call too makes the adaptive retryers
		// crawl past the test's minute; inventory/live tests them all).
		{name: "half the calls throttled", faults: awsfake.Faults{ThrottleRate: 0.5, ThrottleActions: []string{
			"GetCallerIdentity", "GetAccountAuthorizationDetails", "ListRoles", "ListAccessKeys",
			"DescribeRouteTables", "DescribeAlarms", "ListFunctions"}},
			wantCode: 1, same: true},
		{name: "short pages", faults: awsfake.Faults{PageSize: 2}, wantCode: 1, same: true},
		{name: "authorization details denied", faults: awsfake.Faults{Fail: map[string]awsfake.FaultKind{"GetAccountAuthorizationDetails": awsfake.FaultAccessDenied}}, wantCode: 2, wantText: "iam:GetAccountAuthorizationDetails"},
		{name: "list roles denied", faults: awsfake.Faults{Fail: map[string]awsfake.FaultKind{"ListRoles": awsfake.FaultAccessDenied}}, wantCode: 2, wantText: "iam:ListRoles"},
		{name: "server errors on authorization details", faults: awsfake.Faults{Fail: map[string]awsfake.FaultKind{"GetAccountAuthorizationDetails": awsfake.FaultServiceFailure}}, wantCode: 2, wantText: "iam:GetAccountAuthorizationDetails"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := newAccount(t, "sample.json")
			a.srv.SetFaults(tc.faults)
			r := a.pvaudit(t, "scan", "-o", "json")
			if r.code != tc.wantCode {
				t.Fatalf("exit %d, want %d\n%s", r.code, tc.wantCode, r.stderr)
			}
			rep := parseReport(t, r)
			if tc.same && rep.statusKey() != want.statusKey() {
				t.Errorf("findings under faults differ:\n got %s\nwant %s", rep.statusKey(), want.statusKey())
			}
			if tc.wantText != "" {
				gaps, _ := json.Marshal(rep.CoverageGaps)
				if !strings.Contains(string(gaps), tc.wantText) || rep.Complete {
					t.Errorf("gaps %s do not name %s (complete=%v)", gaps, tc.wantText, rep.Complete)
				}
				if rep.has("PV-BND-002", "PASS", "") && len(rep.Findings) > 0 && tc.wantText == "iam:GetAccountAuthorizationDetails" {
					t.Errorf("PASS reported although the account could not be read")
				}
			}
		})
	}
}
