package audit

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/pvaudit/pvaudit/baseline"
	"github.com/pvaudit/pvaudit/config"
	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/internal/awsfake"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/internal/signing"
	"github.com/pvaudit/pvaudit/internal/testaccount"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/inventory/live"
	"github.com/pvaudit/pvaudit/trail"
)

const provider = "941377122013"

func testDriftRun(t *testing.T) *Run {
	t.Helper()
	c := mustContract(t, "pennsieve", contract.Parameters{ProvisionerAccountID: provider})
	return &Run{Tool: "pvaudit", Version: "test", Command: "drift", Now: func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) },
		Config: &config.Resolved{Contract: c, ContractSource: "pennsieve", ContractSHA256: "c0ffee"}, FailOn: finding.High}
}

func saveSample(t *testing.T, r *Run) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "approved.json")
	res, err := SaveBaseline(context.Background(), r, SaveInput{Source: source(t, "testdata", "accounts", "compliant.json"), File: file})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Baseline.Complete || res.Baseline.Contract.SHA256 != "c0ffee" || res.Baseline.Capture.InputSHA256 == "" {
		t.Errorf("baseline metadata %+v %+v", res.Baseline.Contract, res.Baseline.Capture)
	}
	return file
}

func byKind(fs []finding.Finding) map[string]finding.Finding {
	out := map[string]finding.Finding{}
	for _, f := range fs {
		out[f.Evidence["kind"].(string)] = f
	}
	return out
}

// TestDriftCloudTrailFixture: the sample pair of the README, attributed
// from a CloudTrail file.
func TestDriftCloudTrailFixture(t *testing.T) {
	t.Parallel()
	r := testDriftRun(t)
	file := saveSample(t, r)
	rep, err := Drift(context.Background(), r, DriftInput{Source: source(t, "testdata", "accounts", "compliant-drifted.json"), Baseline: file,
		Trail: TrailSources{Files: []string{repo("testdata", "accounts", "drift-trail.ndjson")}}})
	if err != nil {
		t.Fatal(err)
	}
	got := byKind(rep.Findings)
	who := func(kind string) *baseline.Attribution {
		f, ok := got[kind]
		if !ok {
			t.Fatalf("no %s item among %d findings", kind, len(rep.Findings))
		}
		return f.Evidence["attribution"].(*baseline.Attribution)
	}
	cases := []struct {
		kind, event, principal string
		provider               bool
		sev                    finding.Severity
	}{
		{"boundary-removed", "DeleteRolePermissionsBoundary", "user/maria.chen", false, finding.Critical},
		{"managed-policy-attached", "AttachRolePolicy", "assumed-role/Pennsieve-Compute-prod-a3f1b20c", true, finding.Critical},
		{"default-version-switched", "CreatePolicyVersion", "assumed-role/github-actions-deploy", false, finding.Critical},
		{"tags-changed", "TagRole", "user/maria.chen", false, finding.Low},
		{"user-added", "CreateUser", "user/maria.chen", false, finding.High},
	}
	for _, tc := range cases {
		t.Run(tc.kind, func(t *testing.T) {
			a := who(tc.kind)
			if a.Status != "explained" || len(a.Events) == 0 || a.Events[0].EventName != tc.event || !strings.Contains(a.Events[0].Principal, tc.principal) {
				t.Fatalf("attribution %+v, want %s by %s", a, tc.event, tc.principal)
			}
			if a.ByProviderSession != tc.provider {
				t.Errorf("by provider session %v, want %v", a.ByProviderSession, tc.provider)
			}
			if tc.provider && a.Events[0].ProviderAssumer != provider {
				t.Errorf("assumed by %q, want %s", a.Events[0].ProviderAssumer, provider)
			}
			if got[tc.kind].Severity != tc.sev {
				t.Errorf("severity %s, want %s", got[tc.kind].Severity, tc.sev)
			}
		})
	}
	t.Run("the trust change no event explains", func(t *testing.T) {
		a := who("trust-changed")
		if a.Status != "unexplained" {
			t.Errorf("attribution %+v, want unexplained (only a refused call names the role)", a)
		}
		if got["trust-changed"].Severity != finding.Critical || !strings.Contains(got["trust-changed"].Message, "444455556666") {
			t.Errorf("trust: %s %s", got["trust-changed"].Severity, got["trust-changed"].Message)
		}
	})
	if rep.Trail == nil || rep.Trail.Explained != 5 || rep.Trail.Unexplained != 1 {
		t.Errorf("trail summary %+v, want 5 explained and 1 unexplained", rep.Trail)
	}
	// The CLI exports list no access keys: not evaluated, so incomplete.
	if rep.Verdict.Outcome != finding.Incomplete || rep.Verdict.Failing != 5 {
		t.Errorf("verdict %+v, want incomplete with 5 failing", rep.Verdict)
	}
	for _, f := range rep.Findings {
		if f.Fingerprint == "" || len(f.Controls) == 0 || f.Remediation == "" {
			t.Errorf("%s: rule metadata missing: %+v", f.CheckID, f)
		}
	}
}

// TestBaselineFiles: overwrite refused, tampering refused, non-regular
// files refused, update keeps .prev and accepts single items.
func TestBaselineFiles(t *testing.T) {
	t.Parallel()
	r := testDriftRun(t)
	ctx := context.Background()
	file := saveSample(t, r)
	t.Run("no overwrite without force", func(t *testing.T) {
		t.Parallel()
		_, err := SaveBaseline(ctx, r, SaveInput{Source: source(t, "testdata", "accounts", "compliant.json"), File: file})
		if !errors.Is(err, ErrBaselineExists) {
			t.Errorf("got %v, want ErrBaselineExists", err)
		}
	})
	t.Run("tampered", func(t *testing.T) {
		t.Parallel()
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		bad := filepath.Join(t.TempDir(), "bad.json")
		if err := os.WriteFile(bad, bytes.Replace(data, []byte("pn-ext-4c1d9e7a52"), []byte("pn-ext-0000000000"), 1), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err = Drift(ctx, r, DriftInput{Source: source(t, "testdata", "accounts", "compliant.json"), Baseline: bad})
		if !errors.Is(err, baseline.ErrModified) || !strings.Contains(err.Error(), "baseline was modified after it was saved") {
			t.Errorf("got %v, want the baseline refused as modified", err)
		}
	})
	t.Run("a FIFO is refused, not waited on", func(t *testing.T) {
		t.Parallel()
		fifo := filepath.Join(t.TempDir(), "fifo")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Skip("no FIFOs here:", err)
		}
		done := make(chan error, 1)
		go func() { _, _, _, err := ReadBaseline(fifo, nil); done <- err }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "not a regular file") {
				t.Errorf("got %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("reading a FIFO blocked")
		}
	})
	t.Run("another account", func(t *testing.T) {
		t.Parallel()
		other := source(t, "testdata", "accounts", "compliant.json")
		other.Snapshot.AccountID = "999999999999"
		_, err := Drift(ctx, r, DriftInput{Source: other, Baseline: file})
		if err == nil || !strings.Contains(err.Error(), "nothing to compare") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("update", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		f := filepath.Join(dir, "approved.json")
		old, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, old, 0o644); err != nil {
			t.Fatal(err)
		}
		drifted := source(t, "testdata", "accounts", "compliant-drifted.json")
		rep, err := Drift(ctx, r, DriftInput{Source: drifted, Baseline: f})
		if err != nil {
			t.Fatal(err)
		}
		tags := byKind(rep.Findings)["tags-changed"]
		keys := byKind(rep.Findings)["not-evaluated"]
		if _, err := UpdateBaseline(ctx, r, UpdateInput{Source: drifted, File: f, Accept: []string{keys.Fingerprint}}); err == nil || !strings.Contains(err.Error(), "cannot be accepted") {
			t.Errorf("accepting a NOT_EVALUATED item: %v", err)
		}
		if _, err := UpdateBaseline(ctx, r, UpdateInput{Source: drifted, File: f, Accept: []string{"0123456789abcdef"}}); err == nil {
			t.Error("an unknown fingerprint was accepted")
		}
		res, err := UpdateBaseline(ctx, r, UpdateInput{Source: drifted, File: f, Accept: []string{tags.Fingerprint, "DRIFT-010"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Accepted) != 2 || res.Baseline.Previous == "" {
			t.Errorf("accepted %+v, previous %q", res.Accepted, res.Baseline.Previous)
		}
		prev, err := os.ReadFile(f + ".prev")
		if err != nil || !bytes.Equal(prev, old) {
			t.Errorf("FILE.prev is not the previous baseline (%v)", err)
		}
		after, err := Drift(ctx, r, DriftInput{Source: drifted, Baseline: f})
		if err != nil {
			t.Fatal(err)
		}
		if len(after.Findings) != len(rep.Findings)-2 || byKind(after.Findings)["tags-changed"].CheckID != "" || byKind(after.Findings)["user-added"].CheckID != "" {
			t.Errorf("after accepting 2 of %d items, %d remain", len(rep.Findings), len(after.Findings))
		}
		if _, err := UpdateBaseline(ctx, r, UpdateInput{Source: drifted, File: f}); err != nil {
			t.Fatal(err)
		}
		all, err := Drift(ctx, r, DriftInput{Source: drifted, Baseline: f})
		if err != nil {
			t.Fatal(err)
		}
		if len(all.Findings) != 1 || all.Findings[0].Status != finding.NotEvaluated {
			t.Errorf("after accepting everything: %d findings (want only the unlisted access keys)", len(all.Findings))
		}
	})
	t.Run("an incomplete baseline says so", func(t *testing.T) {
		t.Parallel()
		src := source(t, "testdata", "accounts", "compliant.json")
		src.Snapshot.Gaps = []inventory.Gap{{Operation: "iam:ListRoles", Resource: "MaxSessionDuration of roles", Code: "AccessDenied", Message: "denied"}}
		f := filepath.Join(t.TempDir(), "b.json")
		res, err := SaveBaseline(ctx, r, SaveInput{Source: src, File: f})
		if err != nil {
			t.Fatal(err)
		}
		if res.Baseline.Complete {
			t.Error("a baseline from a snapshot with gaps is marked complete")
		}
		rep, err := Drift(ctx, r, DriftInput{Source: source(t, "testdata", "accounts", "compliant.json"), Baseline: f})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Verdict.Outcome != finding.Incomplete || rep.Baseline.Complete || len(rep.CoverageGaps) == 0 {
			t.Errorf("verdict %s, baseline complete %v, gaps %v", rep.Verdict.Outcome, rep.Baseline.Complete, rep.CoverageGaps)
		}
	})
}

// TestDriftLookupEvents: baseline from a live read of the loopback
// endpoint, changes made through the endpoint, drift attributed from its
// LookupEvents.
func TestDriftLookupEvents(t *testing.T) {
	t.Parallel()
	want, err := inventory.ReadFile(repo("testdata", "accounts", "compliant.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tick atomic.Int64 // seconds
	start := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	clock := func() time.Time { return start.Add(time.Duration(tick.Add(1)) * time.Second) }
	srv, url := awsfake.Start(t, awsfake.Options{AccountID: want.AccountID, Clock: clock, Seed: 3})
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider(srv.AdminCredentials().AccessKeyID, srv.AdminCredentials().SecretAccessKey, ""),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) { o.RateLimiter = ratelimit.None; o.MaxAttempts = 10 })
		}}
	admin := iam.NewFromConfig(cfg)
	ctx := context.Background()
	if _, err := testaccount.Seed(ctx, admin, want); err != nil {
		t.Fatal(err)
	}
	collect := func() Source {
		snap, err := (&live.Collector{IAM: iam.NewFromConfig(cfg), STS: sts.NewFromConfig(cfg), Now: clock}).Collect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return Source{Snapshot: snap}
	}
	r := testDriftRun(t)
	r.Now = clock
	file := filepath.Join(t.TempDir(), "approved.json")
	if _, err := SaveBaseline(ctx, r, SaveInput{Source: collect(), File: file}); err != nil {
		t.Fatal(err)
	}
	tick.Add(3600) // the changes come an hour after the baseline
	if _, err := admin.DeleteRolePermissionsBoundary(ctx, &iam.DeleteRolePermissionsBoundaryInput{RoleName: aws.String("pennsieve-b24e11d0-orchestrator")}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("lab-notebook-sagemaker"), PolicyName: aws.String("extra"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("late-user")}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("late-user")}); err != nil {
		t.Fatal(err)
	}
	srv.ResetCalls()
	ct := cloudtrail.NewFromConfig(cfg)
	rep, err := Drift(ctx, r, DriftInput{Source: collect(), Baseline: file, Trail: TrailSources{Lookup: []trail.RegionalAPI{{Region: "us-east-1", API: ct}}, LookupRate: 1000}})
	if err != nil {
		t.Fatal(err)
	}
	got := byKind(rep.Findings)
	adminARN := "arn:aws:iam::" + want.AccountID + ":user/admin"
	for kind, event := range map[string]string{"boundary-removed": "DeleteRolePermissionsBoundary", "inline-policy-added": "PutRolePolicy",
		"user-added": "CreateUser", "access-key-added": "CreateAccessKey"} {
		f, ok := got[kind]
		if !ok {
			t.Errorf("no %s item: %v", kind, rep.Findings)
			continue
		}
		a := f.Evidence["attribution"].(*baseline.Attribution)
		if a.Status != "explained" || a.Events[0].EventName != event || a.Events[0].Principal != adminARN {
			t.Errorf("%s: attribution %+v, want %s by %s", kind, a, event, adminARN)
		}
	}
	if rep.Verdict.Outcome != finding.Failed {
		t.Errorf("verdict %+v, want failed (a live read is complete)", rep.Verdict)
	}
	if m := srv.MutatingCalls(); len(m) != 0 {
		t.Errorf("drift made mutating calls: %+v", m)
	}
	if len(srv.CallsTo("LookupEvents")) == 0 {
		t.Error("no LookupEvents call")
	}
}

// TestScanWithBaseline: scan --baseline adds the drift findings (subject to
// --checks) and the baseline's description.
func TestScanWithBaseline(t *testing.T) {
	t.Parallel()
	r := testDriftRun(t)
	file := saveSample(t, r)
	rep, err := Scan(context.Background(), r, ScanInput{Source: source(t, "testdata", "accounts", "compliant-drifted.json"), Baseline: file})
	if err != nil {
		t.Fatal(err)
	}
	drift := 0
	for _, f := range rep.Findings {
		if strings.HasPrefix(f.CheckID, "DRIFT-") {
			drift++
		}
	}
	if drift != 7 || rep.Baseline == nil || rep.Baseline.ContentSHA256 == "" {
		t.Errorf("%d drift findings (want 7), baseline %+v", drift, rep.Baseline)
	}
	only, err := Scan(context.Background(), r, ScanInput{Source: source(t, "testdata", "accounts", "compliant-drifted.json"), Baseline: file, Checks: []string{"DRIFT-004"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(only.Findings) != 1 || only.Findings[0].CheckID != "DRIFT-004" || only.Verdict.Outcome != finding.Failed {
		t.Errorf("--checks DRIFT-004: %d findings, verdict %s", len(only.Findings), only.Verdict.Outcome)
	}
}

func TestUpdateKeepsSignature(t *testing.T) {
	t.Parallel()
	r := testDriftRun(t)
	privPEM, _, err := signing.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	key, err := signing.ParsePrivateKey(privPEM)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "signed.json")
	src := source(t, "testdata", "accounts", "compliant.json")
	if _, err := SaveBaseline(context.Background(), r, SaveInput{Source: src, File: file, SignKey: key}); err != nil {
		t.Fatal(err)
	}
	if _, err := UpdateBaseline(context.Background(), r, UpdateInput{Source: src, File: file}); err == nil || !strings.Contains(err.Error(), "--sign-key") {
		t.Errorf("an unsigned update of a signed baseline: %v", err)
	}
	res, err := UpdateBaseline(context.Background(), r, UpdateInput{Source: src, File: file, SignKey: key})
	if err != nil || res.Integrity.KeyID == "" {
		t.Errorf("signed update: %v %+v", err, res)
	}
}
