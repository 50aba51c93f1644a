package probes

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"golang.org/x/time/rate"

	"github.com/pvaudit/pvaudit/checks"
	"github.com/pvaudit/pvaudit/internal/awsfake"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/policy"
)

// fakeAccount starts the loopback endpoint holding the fixture's roles and
// boundary policies (seeded through the IAM API with the real SDK) and
// returns it with an SDK client whose retries are off, so that the engine's
// own throttling handling is what the tests see.
func fakeAccount(t *testing.T, snap *inventory.Snapshot) (*awsfake.Server, *iam.Client) {
	t.Helper()
	srv, url := awsfake.Start(t, awsfake.Options{AccountID: snap.AccountID, Seed: 7})
	creds := srv.AdminCredentials()
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, ""),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}
	client := iam.NewFromConfig(cfg, func(o *iam.Options) { o.BaseEndpoint = aws.String(url) })
	ctx := context.Background()
	js := func(d *policy.Document) *string {
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		return aws.String(string(b))
	}
	for _, p := range snap.Policies {
		if p.AWSManaged() {
			continue
		}
		if _, err := client.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(p.Name), PolicyDocument: js(p.DefaultDocument())}); err != nil {
			t.Fatalf("seed policy %s: %v", p.Name, err)
		}
	}
	for _, r := range snap.Roles {
		in := &iam.CreateRoleInput{RoleName: aws.String(r.Name), AssumeRolePolicyDocument: js(r.TrustPolicy)}
		if r.PermissionsBoundary != nil {
			in.PermissionsBoundary = aws.String(r.PermissionsBoundary.ARN)
		}
		if _, err := client.CreateRole(ctx, in); err != nil {
			t.Fatalf("seed role %s: %v", r.Name, err)
		}
		for _, ip := range r.InlinePolicies {
			if _, err := client.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(r.Name), PolicyName: aws.String(ip.Name), PolicyDocument: js(ip.Document)}); err != nil {
				t.Fatalf("seed %s/%s: %v", r.Name, ip.Name, err)
			}
		}
	}
	srv.ResetCalls()
	return srv, client
}

// TestAWSEngineAgreesWithLocal runs every probe of both accounts through
// iam:SimulatePrincipalPolicy over HTTP and compares with the local engine.
// The loopback endpoint decides with pvaudit's own evaluator, so this tests
// the wire path (batched ActionNames × ResourceArns, typed ContextEntries,
// ResourceSpecificResults, PermissionsBoundaryDecisionDetail), not AWS's
// judgement.
func TestAWSEngineAgreesWithLocal(t *testing.T) {
	t.Parallel()
	c := loadContract(t, "pennsieve")
	for _, name := range []string{"guarded", "unguarded"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			snap := fixture(t, name)
			srv, client := fakeAccount(t, snap)
			ps := Expand(checks.NewEnv(snap, c, testNow), c, Options{})
			eng := &AWS{API: client, Limiter: rate.NewLimiter(rate.Inf, 1)}
			rs, err := Run(context.Background(), ps, NewLocal(snap, checks.NewEnv(snap, loadContract(t, "pennsieve"), testNow).PrincipalQuestion), eng)
			if err != nil {
				t.Fatal(err)
			}
			queries := 0
			for _, r := range rs {
				queries += len(r.Steps)
				if r.Disagree {
					t.Errorf("%s %s %s on %s: local %s; aws %s", r.ScenarioID, r.Principal.Name, r.Action(), r.Resource(), r.Local.Explain(), r.AWS.Explain())
				}
				if r.AWS == nil || (r.Manual == "" && r.Unexpanded == "" && r.Network == nil && r.AWS.Outcome == "") {
					t.Errorf("%s %s: no AWS decision (%+v)", r.ScenarioID, r.Action(), r.AWS)
				}
			}
			calls := srv.CallsTo("SimulatePrincipalPolicy")
			if len(calls) == 0 || len(calls) >= queries/4 {
				t.Errorf("%d SimulatePrincipalPolicy calls for %d requests: not batched", len(calls), queries)
			}
			if m := srv.MutatingCalls(); len(m) != 0 {
				t.Errorf("the engine made mutating calls: %+v", m)
			}
		})
	}
}

func TestAWSEngineFaults(t *testing.T) {
	t.Parallel()
	snap := fixture(t, "guarded")
	c := loadContract(t, "pennsieve")
	ps := Expand(checks.NewEnv(snap, c, testNow), c, Options{NoGenerated: true})
	tests := []struct {
		name   string
		faults awsfake.Faults
		// want is a substring of every NOT_EVALUATED reason, or "" for
		// every probe decided.
		want string
	}{
		{"throttling is retried", awsfake.Faults{ThrottleRate: 0.3, ThrottleActions: []string{"SimulatePrincipalPolicy"}}, ""},
		{"access denied", awsfake.Faults{Fail: map[string]awsfake.FaultKind{"SimulatePrincipalPolicy": awsfake.FaultAccessDenied}}, "AccessDenied"},
		{"throttled for good", awsfake.Faults{ThrottleRate: 1, ThrottleActions: []string{"SimulatePrincipalPolicy"}}, "throttled"},
		{"service failure", awsfake.Faults{Fail: map[string]awsfake.FaultKind{"SimulatePrincipalPolicy": awsfake.FaultServiceFailure}}, "ServiceFailure"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, client := fakeAccount(t, snap)
			srv.SetFaults(tc.faults)
			lim := rate.NewLimiter(1000, 1)
			eng := &AWS{API: client, Limiter: lim, Backoff: 1, Retries: 8}
			rs, err := Run(context.Background(), ps, nil, eng)
			if err != nil {
				t.Fatal(err)
			}
			principals := map[string]bool{}
			for _, r := range rs {
				if r.Manual != "" || r.Unexpanded != "" || r.Network != nil {
					continue // network rows are decided from the snapshot, not by SimulatePrincipalPolicy
				}
				principals[r.Principal.ARN] = true
				switch {
				case tc.want == "" && r.Verdict != Pass:
					t.Errorf("%s %s %s: %s (%s), want PASS", r.ScenarioID, r.Principal.Name, r.Action(), r.Verdict, r.AWS.Explain())
				case tc.want != "" && (r.Verdict != NotEvaluated || !strings.Contains(r.AWS.Reason, tc.want)):
					t.Errorf("%s %s: %s (%s), want NOT_EVALUATED with %q", r.ScenarioID, r.Action(), r.Verdict, r.AWS.Reason, tc.want)
				}
			}
			calls := srv.CallsTo("SimulatePrincipalPolicy")
			switch tc.name {
			case "throttling is retried":
				throttled := 0
				for _, c := range calls {
					if c.ErrorCode == "Throttling" {
						throttled++
					}
				}
				if throttled == 0 {
					t.Error("no call was throttled; the test proves nothing")
				}
				if eng.base != 1000 || lim.Limit() < 1000/16 {
					t.Errorf("base %v, limit %v: want base 1000 and a limit no lower than base/16", eng.base, lim.Limit())
				}
			case "throttled for good":
				if lim.Limit() >= 1000 {
					t.Errorf("limit %v: throttling did not slow the engine down", lim.Limit())
				}
			case "access denied":
				// One refusal per principal is enough.
				if len(calls) > len(principals) {
					t.Errorf("%d calls for %d principals after AccessDenied", len(calls), len(principals))
				}
			}
		})
	}
}

// TestAWSEngineUnknownPrincipal: a principal the live account does not have
// is not evaluated, with the reason.
func TestAWSEngineUnknownPrincipal(t *testing.T) {
	t.Parallel()
	_, client := fakeAccount(t, &inventory.Snapshot{AccountID: "111122223333"})
	eng := &AWS{API: client}
	as, err := eng.Decide(context.Background(), []Query{{PrincipalARN: "arn:aws:iam::111122223333:role/gone", Request: Request{Action: "s3:GetObject", Resource: "*"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 1 || !strings.Contains(as[0].NotEvaluated, "cannot find") {
		t.Fatalf("answers %+v, want NOT_EVALUATED naming the missing principal", as)
	}
}

// TestAWSEngineCancelled: a cancelled context stops the run with an error.
func TestAWSEngineCancelled(t *testing.T) {
	t.Parallel()
	_, client := fakeAccount(t, &inventory.Snapshot{AccountID: "111122223333"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	eng := &AWS{API: client, Limiter: rate.NewLimiter(1, 1)}
	if _, err := eng.Decide(ctx, []Query{{PrincipalARN: "arn:aws:iam::111122223333:role/x", Request: Request{Action: "s3:GetObject", Resource: "*"}}}); err == nil {
		t.Fatal("Decide with a cancelled context returned no error")
	}
}
