package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/pvaudit/pvaudit/internal/awsfake"
	"github.com/pvaudit/pvaudit/internal/orgsim"
)

type orgRow struct {
	ID, Outcome, Error string
	Calls              int      `json:"api_calls"`
	Resumed            bool     `json:"resumed"`
	Outputs            []string `json:"outputs"`
}

type orgDoc struct {
	Kind     string   `json:"kind"`
	Complete bool     `json:"complete"`
	Accounts []orgRow `json:"accounts"`
	Skipped  []string `json:"skipped"`
	Findings []struct {
		CheckID string `json:"check_id"`
		Status  string `json:"status"`
		Message string `json:"message"`
	} `json:"findings"`
}

// An organisation run with failing accounts, then a resume: every failure
// is its own row and the run is incomplete; the resumed run does not call
// the accounts the first one finished, and audits the one that was fixed.
func TestOrgRunWithFailuresAndResume(t *testing.T) {
	t.Parallel()
	o, err := orgsim.Build(context.Background(), orgsim.Config{Accounts: 6, Template: filepath.Join("..", "..", "testdata", "accounts", "compliant.json"),
		Clock: func() time.Time { return testNow }, NoAuditRole: []int{1}, DenyRead: []int{3}, Suspended: []int{5}, SharedExternalID: []int{4}, Authorize: true})
	if err != nil {
		t.Fatal(err)
	}
	url := awsfake.StartAccounts(t, o.Accounts)
	dir := t.TempDir()
	state, report, outDir := filepath.Join(dir, "org.state"), filepath.Join(dir, "org.json"), filepath.Join(dir, "accounts")
	args := []string{"scan", "--org", "--audit-role-name", orgsim.AuditRole, "--external-id", orgsim.ExternalID, "--fleet",
		"--resume", state, "--org-output-dir", outDir, "--org-concurrency", "3", "-o", "json=" + report, "-q", "--endpoint-url", url}
	run := func() (result, orgDoc) {
		t.Helper()
		r := orgPvaudit(t, o.Management().AdminCredentials(), args...)
		var doc orgDoc
		b, err := os.ReadFile(report)
		if err != nil {
			t.Fatalf("no report (exit %d): %v\n%s", r.code, err, r.stderr)
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{orgsim.ExternalID, "pn-ext-"} {
			if bytes.Contains(b, []byte(secret)) {
				t.Errorf("the report holds an ExternalId (%s)", secret)
			}
		}
		return r, doc
	}
	r, doc := run()
	if r.code != 2 || doc.Complete || doc.Kind != "org" {
		t.Fatalf("exit %d complete %v, want 2 and incomplete\n%s\n%s", r.code, doc.Complete, r.stdout, r.stderr)
	}
	rows := map[string]orgRow{}
	for _, a := range doc.Accounts {
		rows[a.ID] = a
	}
	if len(rows) != 5 || len(doc.Skipped) != 1 || !strings.HasPrefix(doc.Skipped[0], orgsim.ID(5)) {
		t.Fatalf("rows %v, skipped %v", rows, doc.Skipped)
	}
	if a := rows[orgsim.ID(1)]; a.Outcome != "error" || !strings.Contains(a.Error, "assume-role") {
		t.Errorf("account without the audit role: %+v", a)
	}
	if a := rows[orgsim.ID(3)]; a.Outcome == "clean" {
		t.Errorf("account whose IAM read is denied: %+v", a)
	}
	if a := rows[orgsim.ID(0)]; a.Outcome != "clean" || len(a.Outputs) != 1 {
		t.Errorf("account 0: %+v%s", a, notClean(outDir, a))
	} else if _, err := os.Stat(filepath.Join(outDir, filepath.FromSlash(a.Outputs[0]))); err != nil {
		t.Errorf("per-account report: %v", err)
	}
	shared := false
	for _, f := range doc.Findings {
		if f.CheckID == "PV-FLT-002" && f.Status == "FAIL" && strings.Contains(f.Message, orgsim.ID(0)) && strings.Contains(f.Message, orgsim.ID(4)) {
			shared = true
		}
	}
	if !shared {
		t.Errorf("the shared ExternalId of accounts 0 and 4 is not reported: %+v", doc.Findings)
	}
	for _, f := range mustGlob(t, filepath.Join(dir, "org.state*"), filepath.Join(dir, "org.state.d", "*")) {
		if b, _ := os.ReadFile(f); bytes.Contains(b, []byte("pn-ext-")) || bytes.Contains(b, []byte(orgsim.ExternalID)) {
			t.Errorf("%s holds an ExternalId", f)
		}
	}

	// The audit role is fixed in account 1; the rerun resumes.
	fixAuditRole(t, o.Member(orgsim.ID(1)))
	finished := map[string]bool{}
	for id, a := range rows {
		if a.Outcome != "error" {
			finished[id] = true
		}
		o.Member(id).ResetCalls()
	}
	r, doc = run()
	for _, a := range doc.Accounts {
		calls := len(o.Member(a.ID).Calls())
		switch {
		case finished[a.ID] && (!a.Resumed || calls != 0):
			t.Errorf("account %s finished by the first run: resumed %v, %d calls", a.ID, a.Resumed, calls)
		case !finished[a.ID] && (a.Resumed || calls == 0):
			t.Errorf("account %s was not finished: resumed %v, %d calls", a.ID, a.Resumed, calls)
		}
		if a.ID == orgsim.ID(1) && a.Outcome != "clean" {
			t.Errorf("fixed account: %+v", a)
		}
	}
	if len(doc.Accounts) != 5 {
		t.Errorf("%d rows after resume", len(doc.Accounts))
	}
}

func fixAuditRole(t *testing.T, m *awsfake.Server) {
	t.Helper()
	c := m.AdminCredentials()
	cli := iam.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String("http://member.local"), HTTPClient: awsfake.InProcess(m),
		Credentials: credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, "")})
	trust := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"%s"}}}]}`, orgsim.Management, orgsim.ExternalID)
	ctx := context.Background()
	if _, err := cli.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(orgsim.AuditRole), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(orgsim.AuditRole), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}); err != nil {
		t.Fatal(err)
	}
}

func mustGlob(t *testing.T, patterns ...string) []string {
	var out []string
	for _, p := range patterns {
		m, err := filepath.Glob(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m...)
	}
	return out
}

// orgPvaudit runs the binary with the management account's keys.
func orgPvaudit(t *testing.T, creds awsfake.Credentials, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "AWS_ACCESS_KEY_ID=" + creds.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + creds.SecretAccessKey, "AWS_REGION=us-east-1", "AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true"}
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

// notClean says why an account's own report is not clean: its coverage
// gaps and the findings that are not PASS.
func notClean(outDir string, a orgRow) string {
	if len(a.Outputs) == 0 {
		return ""
	}
	b, err := os.ReadFile(filepath.Join(outDir, filepath.FromSlash(a.Outputs[0])))
	if err != nil {
		return ": " + err.Error()
	}
	var rep struct {
		CoverageGaps []json.RawMessage `json:"coverage_gaps"`
		Findings     []struct {
			CheckID, Status, Resource, Message string
		} `json:"findings"`
	}
	if json.Unmarshal(b, &rep) != nil {
		return ""
	}
	var out strings.Builder
	for _, g := range rep.CoverageGaps {
		fmt.Fprintf(&out, "\n  gap %s", g)
	}
	n := 0
	for _, f := range rep.Findings {
		if f.Status != "PASS" && f.Status != "WARN" && n < 10 {
			fmt.Fprintf(&out, "\n  %s %s %s: %.200s", f.Status, f.CheckID, f.Resource, f.Message)
			n++
		}
	}
	return out.String()
}
