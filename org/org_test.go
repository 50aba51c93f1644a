package org_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/pvaudit/pvaudit/audit"
	"github.com/pvaudit/pvaudit/config"
	"github.com/pvaudit/pvaudit/internal/awsfake"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/internal/orgsim"
	"github.com/pvaudit/pvaudit/org"
	"github.com/pvaudit/pvaudit/reports"
)

var now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

type sim struct {
	org  *orgsim.Org
	url  string
	base aws.Config
}

func newSim(t *testing.T, cfg orgsim.Config) *sim {
	t.Helper()
	cfg.Template = filepath.Join("..", "testdata", "accounts", "compliant.json")
	cfg.Clock = func() time.Time { return now }
	o, err := orgsim.Build(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	url := awsfake.StartAccounts(t, o.Accounts)
	c := o.Management().AdminCredentials()
	base := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, ""),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 8
				o.RateLimiter = ratelimit.None
				o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 5 * time.Millisecond, nil })
			})
		}}
	return &sim{org: o, url: url, base: base}
}

func baseRun(t *testing.T) *audit.Run {
	t.Helper()
	cfg, err := config.Resolve(config.Options{ConfigPath: filepath.Join(t.TempDir(), "none.yaml")})
	if err != nil {
		cfg, err = config.Resolve(config.Options{})
		if err != nil {
			t.Fatal(err)
		}
	}
	return &audit.Run{Tool: "pvaudit", Version: "test", Command: "scan", Now: func() time.Time { return now }, Config: cfg, FailOn: finding.High}
}

func (s *sim) options(t *testing.T, accts []org.Account) org.Options {
	b := org.NewBudget(50, 200)
	return org.Options{Accounts: accts, Source: "organizations", Run: baseRun(t), Pipeline: org.Scan(org.ScanOptions{Checks: []string{"PV-XAR-001", "PV-XAR-003", "PV-BND-001"}, Formats: map[string]string{"json": "scan.json"}}),
		Connect: org.AssumeAuditRole(s.base, "aws", orgsim.AuditRole, orgsim.ExternalID, b), Concurrency: 3, Budget: b, Fleet: true}
}

func row(rep *reports.OrgReport, id string) reports.OrgAccount {
	for _, a := range rep.Accounts {
		if a.ID == id {
			return a
		}
	}
	return reports.OrgAccount{}
}

// A run over an organisation with failing accounts: each failure stays in
// its own row, the consolidated verdict is incomplete, the fleet view
// finds the shared ExternalId, and the report renders in every format.
func TestRunWithFailingAccounts(t *testing.T) {
	s := newSim(t, orgsim.Config{Accounts: 6, NoAuditRole: []int{2}, DenyRead: []int{4}, Suspended: []int{5}, SharedExternalID: []int{3}, Authorize: true})
	s.org.Management().SetFaults(awsfake.Faults{PageSize: 1}) // every Organizations page holds one item
	accts, skipped, err := org.List(context.Background(), organizations.NewFromConfig(s.base), org.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(accts) != 5 || len(skipped) != 1 || !strings.HasPrefix(skipped[0], orgsim.ID(5)) {
		t.Fatalf("listed %d accounts, skipped %v", len(accts), skipped)
	}
	if a := accts[1]; a.OU != "Tenants/EU" {
		t.Errorf("account %s OU %q, want Tenants/EU", a.ID, a.OU)
	}
	eu, _, err := org.List(context.Background(), organizations.NewFromConfig(s.base), org.ListOptions{OUs: []string{"Tenants/EU"}})
	if err != nil || len(eu) != 2 {
		t.Errorf("OU filter: %d accounts (%v)", len(eu), err)
	}
	s.org.Management().SetFaults(awsfake.Faults{})
	o := s.options(t, accts)
	files := map[string][]byte{}
	o.Sink = func(acct string, f org.File) (string, error) {
		files[acct+"/"+f.Name] = f.Data
		return acct + "/" + f.Name, nil
	}
	rep, err := org.Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(rep.Accounts); got != 5 {
		t.Fatalf("%d rows, want 5", got)
	}
	if r := row(rep, orgsim.ID(0)); r.Outcome != "clean" || r.Calls == 0 || len(r.Outputs) != 1 {
		t.Errorf("account 0: %+v", r)
	}
	if r := row(rep, orgsim.ID(2)); r.Outcome != "error" || !strings.Contains(r.Error, "assume-role") {
		t.Errorf("account without the audit role: %+v", r)
	}
	if r := row(rep, orgsim.ID(4)); r.Outcome == "clean" {
		t.Errorf("account whose IAM read is denied: %+v", r)
	}
	if rep.Verdict.Outcome != finding.Incomplete || rep.Complete {
		t.Errorf("verdict %s, want incomplete", rep.Verdict.Outcome)
	}
	if _, ok := files[orgsim.ID(0)+"/scan.json"]; !ok {
		t.Errorf("no per-account report: %v", keys(files))
	}
	var shared *finding.Finding
	for i, f := range rep.Findings {
		if f.CheckID == org.CheckFleetSharedID && f.Status == finding.Fail {
			shared = &rep.Findings[i]
		}
	}
	if shared == nil || !strings.Contains(shared.Message, orgsim.ID(0)) || !strings.Contains(shared.Message, orgsim.ID(3)) {
		t.Fatalf("shared ExternalId not found: %+v", shared)
	}
	for _, format := range reports.Formats(reports.KindOrg) {
		var b bytes.Buffer
		if err := reports.Write(&b, rep, format); err != nil {
			t.Errorf("%s: %v", format, err)
		}
		if strings.Contains(b.String(), "pn-ext-") {
			t.Errorf("%s: an ExternalId value is in the report", format)
		}
	}
}

// An interrupted run resumes without redoing finished accounts.
func TestResume(t *testing.T) {
	s := newSim(t, orgsim.Config{Accounts: 5})
	accts, _, err := org.List(context.Background(), organizations.NewFromConfig(s.base), org.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "state.json")
	st, err := org.OpenState(path, "k1", now)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	o := s.options(t, accts)
	o.Concurrency, o.State = 1, st
	o.Progress = func(done, total int, _ reports.OrgAccount) {
		if done == 2 {
			cancel()
		}
	}
	if _, err := org.Run(ctx, o); err == nil {
		t.Fatal("interrupted run returned no error")
	}
	if _, err := org.OpenState(path, "other-run", now); err == nil {
		t.Error("a state file of another run was accepted")
	}
	st, err = org.OpenState(path, "k1", now)
	if err != nil {
		t.Fatal(err)
	}
	done := st.Finished()
	if len(done) != 2 {
		t.Fatalf("finished after interruption: %v", done)
	}
	for _, id := range done {
		s.org.Member(id).ResetCalls()
	}
	o = s.options(t, accts)
	o.State = st
	rep, err := org.Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	resumed := 0
	for _, a := range rep.Accounts {
		if a.Resumed {
			resumed++
			if n := len(s.org.Member(a.ID).Calls()); n != 0 {
				t.Errorf("resumed account %s was called %d times", a.ID, n)
			}
		}
	}
	if resumed != 2 || len(rep.Accounts) != 5 || rep.Verdict.Outcome != finding.Clean {
		t.Errorf("resumed %d of %d rows, verdict %s", resumed, len(rep.Accounts), rep.Verdict.Outcome)
	}
}

// Throttled accounts slow down and still finish.
func TestBudgetThrottling(t *testing.T) {
	s := newSim(t, orgsim.Config{Accounts: 2, Throttle: 0.3})
	accts := []org.Account{{ID: orgsim.ID(0)}, {ID: orgsim.ID(1)}}
	rep, err := org.Run(context.Background(), s.options(t, accts))
	if err != nil {
		t.Fatal(err)
	}
	throttled := 0
	for _, a := range rep.Accounts {
		throttled += a.Throttled
		if a.Outcome != "clean" {
			t.Errorf("account %s: %s %s", a.ID, a.Outcome, a.Error)
		}
	}
	if throttled == 0 {
		t.Error("no throttled call counted")
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
