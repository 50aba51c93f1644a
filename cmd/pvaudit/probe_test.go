package main

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/internal/awsfake"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/probes"
	"github.com/pvaudit/pvaudit/reports"
)

func TestProbeExitCodes(t *testing.T) {
	t.Parallel()
	sample := repoPath("testdata", "accounts", "sample.json")
	guarded := repoPath("testdata", "probes", "guarded.json")
	compliant := repoPath("testdata", "accounts", "compliant.json")
	tests := []struct {
		name       string
		args       []string
		want       int
		wantStdout string
		wantStderr string
	}{
		{"sample breaks promises", []string{"probe", "--from", sample}, 1, "Summary: FAILED", ""},
		{"compliant keeps them", []string{"probe", "--from", compliant}, 0, "Summary: clean", ""},
		// guarded.json holds IAM only: the internet row cannot be decided.
		{"no runtime section leaves the internet row open", []string{"probe", "--from", guarded}, 2, "network:internet-egress : the snapshot has no runtime section", ""},
		{"guarded PAR role", []string{"probe", "--from", guarded, "--contract", "par"}, 0, "Summary: clean", ""},
		{"no PAR role in the sample", []string{"probe", "--from", sample, "--contract", "par"}, 2, "no role in the account matches the selector role:pixell-*-task-role", ""},
		{"var names the PAR role", []string{"probe", "--from", sample, "--contract", "par", "--var", "task_role=github-actions-deploy"}, 1, "github-actions-deploy", ""},
		{"package bucket parameter", []string{"probe", "--from", guarded, "--contract", "par", "--package-bucket", "another-bucket"}, 1, "s3:GetObject another-bucket/test.apkg: promised allowed", ""},
		{"fail-on above the findings", []string{"probe", "--from", sample, "--fail-on", "critical"}, 0, "FAIL", ""},
		{"aws engine needs the live account", []string{"probe", "--from", sample, "--engine", "aws"}, 2, "", "cannot be combined with --from"},
		{"unknown engine", []string{"probe", "--from", sample, "--engine", "opa"}, 2, "", "want local, aws or both"},
		{"bad rate", []string{"probe", "--engine", "aws", "--aws-rate", "0"}, 2, "", "--aws-rate must be positive"},
		{"bad output", []string{"probe", "--from", sample, "-o", "xml"}, 2, "", "unknown output format"},
		{"bad var", []string{"probe", "--from", sample, "--var", "novalue"}, 2, "", "--var"},
		{"scan can run only probes", []string{"scan", "--from", sample, "--checks", "PV-PRB-002"}, 1, "PV-PRB-002", ""},
		{"scan can skip probes", []string{"scan", "--from", compliant, "--checks", "PV-PRB-001,PV-PRB-003", "--skip-checks", "PV-PRB-003", "--show-pass"}, 0, "PV-PRB-001", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runTest(t, tc.args...)
			if code != tc.want {
				t.Errorf("exit code = %d, want %d\nstdout: %s\nstderr: %s", code, tc.want, tail(stdout), stderr)
			}
			if !strings.Contains(stdout, tc.wantStdout) {
				t.Errorf("stdout does not contain %q:\n%s", tc.wantStdout, tail(stdout))
			}
			if !strings.Contains(stderr, tc.wantStderr) {
				t.Errorf("stderr does not contain %q:\n%s", tc.wantStderr, stderr)
			}
		})
	}
}

func tail(s string) string {
	if len(s) > 2000 {
		return "…" + s[len(s)-2000:]
	}
	return s
}

// TestProbeSamplePrintsEveryRow: every documented row of the built-in
// contract is in the output with its sentence and a verdict, and every
// failing row names the statement that allowed the request.
func TestProbeSamplePrintsEveryRow(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runTest(t, "probe", "--from", repoPath("testdata", "accounts", "sample.json"), "-o", "json")
	if code != exitFindings {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	var rep reports.ProbeReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Schema != reports.Schema || rep.Kind != reports.KindProbe {
		t.Errorf("schema %q", rep.Schema)
	}
	c, err := contract.Load("pennsieve")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string][]probes.Result{}
	for _, r := range rep.Results {
		rows[r.ScenarioID] = append(rows[r.ScenarioID], r)
	}
	for _, s := range c.Scenarios {
		t.Run(s.ID, func(t *testing.T) {
			rs := rows[s.ID]
			if len(rs) == 0 {
				t.Fatal("row missing from the output")
			}
			for _, r := range rs {
				if r.Text != s.Text {
					t.Errorf("text %q, want the document's sentence %q", r.Text, s.Text)
				}
				if r.Verdict == "" {
					t.Errorf("%s %s: no verdict", r.Principal.Name, r.Action())
				}
				if r.Verdict == probes.Fail && r.Expect != contract.ExpectCapped && len(r.Deciding()) == 0 {
					t.Errorf("%s %s: failing row names no deciding statement", r.Principal.Name, r.Action())
				}
			}
		})
	}
	// The table shows the same rows with their sentences.
	_, table, _ := runTest(t, "probe", "--from", repoPath("testdata", "accounts", "sample.json"), "--show-pass")
	for _, s := range c.Scenarios {
		if !strings.Contains(table, s.ID) {
			t.Errorf("table lacks row %s", s.ID)
		}
	}
	if !strings.Contains(table, `allowed by identity/PennsieveComputeAccess[2] "ManageBoundaryPolicies"`) {
		t.Error("table does not show the statement that allowed the self-made boundary")
	}
}

func TestProbeGolden(t *testing.T) {
	t.Parallel()
	_, out, _ := runTest(t, "probe", "--from", repoPath("testdata", "accounts", "sample.json"))
	golden(t, "probe-sample.txt", out)
}

// TestProbeBothEnginesLive runs `pvaudit probe --engine both` against the
// loopback endpoint: the account is collected live, every probe is decided
// by both engines, they agree, and nothing is written.
func TestProbeBothEnginesLive(t *testing.T) {
	// guarded.json holds IAM only: the endpoint serves an empty network, so
	// the internet row finds none of the nodes' resources and must stay
	// NOT_EVALUATED (the run incomplete); every IAM row is decided by both.
	snap, err := inventory.ReadFile(repoPath("testdata", "probes", "guarded.json"))
	if err != nil {
		t.Fatal(err)
	}
	srv, url := awsfake.Start(t, awsfake.Options{AccountID: snap.AccountID, Seed: 3})
	admin := srv.AdminCredentials()
	seedFake(t, url, admin, snap)
	srv.ResetCalls()
	t.Setenv("AWS_ACCESS_KEY_ID", admin.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", admin.SecretAccessKey)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	code, out, errOut := runTest(t, "probe", "--engine", "both", "--endpoint-url", url, "--aws-rate", "500", "-o", "json")
	if code != exitError {
		t.Fatalf("exit %d, want %d (the internet row cannot be decided)\nstderr: %s\nstdout: %s", code, exitError, errOut, tail(out))
	}
	var rep reports.ProbeReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Summary.Disagree != 0 || rep.Summary.Pass == 0 {
		t.Errorf("summary %+v, want passes and no disagreement", rep.Summary)
	}
	for _, r := range rep.Results {
		if r.Disagree {
			t.Errorf("%s %s %s on %s: local %s; aws %s", r.ScenarioID, r.Principal.Name, r.Action(), r.Resource(), r.Local.Explain(), r.AWS.Explain())
		}
		if r.Network != nil && r.Verdict != probes.NotEvaluated {
			t.Errorf("%s %s: network row %s over an empty network, want NOT_EVALUATED", r.ScenarioID, r.Principal.Name, r.Verdict)
		}
		if r.Manual == "" && r.Network == nil && (r.AWS == nil || r.AWS.Outcome == "") {
			t.Errorf("%s %s: no AWS decision", r.ScenarioID, r.Action())
		}
	}
	if len(srv.CallsTo("SimulatePrincipalPolicy")) == 0 {
		t.Error("the AWS engine never called SimulatePrincipalPolicy")
	}
	if m := srv.MutatingCalls(); len(m) > 0 {
		t.Errorf("probe made mutating calls: %+v", m)
	}
}

// seedFake creates the snapshot's customer-managed policies and roles in
// the loopback account through the IAM API.
func seedFake(t *testing.T, url string, admin awsfake.Credentials, snap *inventory.Snapshot) {
	t.Helper()
	client := iam.NewFromConfig(aws.Config{Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(admin.AccessKeyID, admin.SecretAccessKey, "")},
		func(o *iam.Options) { o.BaseEndpoint = aws.String(url) })
	ctx := context.Background()
	js := func(v any) *string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return aws.String(string(b))
	}
	for _, p := range snap.Policies {
		if !p.AWSManaged() {
			if _, err := client.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(p.Name), PolicyDocument: js(p.DefaultDocument())}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, r := range snap.Roles {
		in := &iam.CreateRoleInput{RoleName: aws.String(r.Name), AssumeRolePolicyDocument: js(r.TrustPolicy)}
		if r.PermissionsBoundary != nil {
			in.PermissionsBoundary = aws.String(r.PermissionsBoundary.ARN)
		}
		if _, err := client.CreateRole(ctx, in); err != nil {
			t.Fatal(err)
		}
		for _, ip := range r.InlinePolicies {
			if _, err := client.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(r.Name), PolicyName: aws.String(ip.Name), PolicyDocument: js(ip.Document)}); err != nil {
				t.Fatal(err)
			}
		}
	}
}
