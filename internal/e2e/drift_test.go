package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/pvaudit/pvaudit/internal/awsfake"
	"github.com/pvaudit/pvaudit/internal/testaccount"
	"github.com/pvaudit/pvaudit/inventory"
)

// realClockAccount is newAccount on the wall clock: drift bounds the
// events that explain a change by the two reads' capture times, which the
// binary takes from its own clock, as it would against AWS.
func realClockAccount(t *testing.T, file string) *account {
	t.Helper()
	snap, err := inventory.ReadFile(filepath.Join("..", "..", "testdata", "accounts", file))
	if err != nil {
		t.Fatal(err)
	}
	srv, url := awsfake.Start(t, awsfake.Options{AccountID: snap.AccountID, Seed: 13})
	admin := iam.NewFromConfig(sdkConfig(url, srv.AdminCredentials()))
	if _, err := testaccount.Seed(context.Background(), admin, snap); err != nil {
		t.Fatalf("seed %s: %v", file, err)
	}
	srv.ResetCalls()
	return &account{srv: srv, admin: admin, snap: snap}
}

type driftReport struct {
	Complete bool `json:"complete"`
	Verdict  struct {
		Outcome string `json:"outcome"`
	} `json:"verdict"`
	Trail *struct {
		Explained, Unexplained int
	} `json:"trail"`
	Findings []struct {
		CheckID  string `json:"check_id"`
		Severity string `json:"severity"`
		Status   string `json:"status"`
		Resource string `json:"resource"`
		Message  string `json:"message"`
		Evidence struct {
			Kind        string `json:"kind"`
			Attribution struct {
				Status            string `json:"status"`
				ByProviderSession bool   `json:"by_provider_session"`
				Events            []struct {
					EventName string `json:"event_name"`
					EventID   string `json:"event_id"`
					Principal string `json:"principal"`
				} `json:"events"`
			} `json:"attribution"`
		} `json:"evidence"`
	} `json:"findings"`
}

// TestBaselineTamperDrift: a live baseline of the loopback account; an
// administrator removes a boundary and the provider's session creates a
// role; drift --trail-lookup finds both, each with the CloudTrail event that
// made it, and calls out the provider's session.
func TestBaselineTamperDrift(t *testing.T) {
	t.Parallel()
	a := realClockAccount(t, "compliant.json")
	a.srv.SetAuthorize(true)
	const provider = "941377122013"
	file := filepath.Join(t.TempDir(), "approved.json")
	if r := a.pvaudit(t, "baseline", "save", "--baseline", file, "--provisioner-account", provider); r.code != 0 {
		t.Fatalf("baseline save: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if r := a.pvaudit(t, "drift", "--baseline", file, "--provisioner-account", provider); r.code != 0 || !strings.Contains(r.stdout, "No drift") {
		t.Fatalf("drift right after the save: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}

	ctx := context.Background()
	const victim = "pennsieve-7f3a9c21-processor-ecs"
	if _, err := a.admin.DeleteRolePermissionsBoundary(ctx, &iam.DeleteRolePermissionsBoundaryInput{RoleName: aws.String(victim)}); err != nil {
		t.Fatal(err)
	}
	creds, err := a.srv.AddExternalUser(provider, "pennsieve-provisioner")
	if err != nil {
		t.Fatal(err)
	}
	out, err := sts.NewFromConfig(sdkConfig(a.srv.URL(), creds)).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn:         aws.String("arn:aws:iam::" + a.snap.AccountID + ":role/Pennsieve-Compute-prod-a3f1b20c"),
		RoleSessionName: aws.String("terraform-7f3a9c21"), ExternalId: aws.String("pn-ext-4c1d9e7a52"),
	})
	if err != nil {
		t.Fatalf("provider AssumeRole: %v", err)
	}
	c := out.Credentials
	session := iam.NewFromConfig(sdkConfig(a.srv.URL(), awsfake.Credentials{AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey), SessionToken: aws.ToString(c.SessionToken)}))
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	if _, err := session.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("pennsieve-7f3a9c21-new-fn"), AssumeRolePolicyDocument: aws.String(trust),
		PermissionsBoundary: aws.String("arn:aws:iam::" + a.snap.AccountID + ":policy/pennsieve-boundary-7f3a9c21")}); err != nil {
		t.Fatalf("provider CreateRole: %v", err)
	}
	a.srv.ResetCalls()

	r := a.pvaudit(t, "drift", "--baseline", file, "--provisioner-account", provider, "--trail-lookup", "-o", "json")
	if r.code != 1 {
		t.Fatalf("drift after tampering: exit %d, want 1\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var rep driftReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("drift JSON: %v\n%s", err, r.stdout)
	}
	if !rep.Complete || rep.Verdict.Outcome != "failed" {
		t.Errorf("complete %v, outcome %s: a live read on both sides is complete", rep.Complete, rep.Verdict.Outcome)
	}
	found := map[string]bool{}
	for _, f := range rep.Findings {
		at := f.Evidence.Attribution
		switch f.Evidence.Kind {
		case "boundary-removed":
			found[f.Evidence.Kind] = true
			if f.Severity != "critical" || !strings.HasSuffix(f.Resource, "role/"+victim) {
				t.Errorf("boundary removal: %s on %s", f.Severity, f.Resource)
			}
			if at.Status != "explained" || at.Events[0].EventName != "DeleteRolePermissionsBoundary" || !strings.HasSuffix(at.Events[0].Principal, ":user/admin") || at.Events[0].EventID == "" {
				t.Errorf("boundary removal attributed to %+v", at)
			}
		case "role-added":
			found[f.Evidence.Kind] = true
			if at.Status != "explained" || at.Events[0].EventName != "CreateRole" || !at.ByProviderSession ||
				!strings.Contains(f.Message, "under the provider's cross-account session") || !strings.Contains(f.Message, provider) {
				t.Errorf("role creation attributed to %+v: %s", at, f.Message)
			}
		}
	}
	if !found["boundary-removed"] || !found["role-added"] {
		t.Errorf("drift found %v of the two changes:\n%s", found, r.stdout)
	}
	if m := a.srv.MutatingCalls(); len(m) != 0 {
		t.Errorf("drift made mutating calls: %+v", m)
	}
	if len(a.srv.CallsTo("LookupEvents")) == 0 {
		t.Error("drift --trail-lookup made no LookupEvents call")
	}

	// A baseline edited after the save is refused.
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "edited.json")
	if err := os.WriteFile(bad, []byte(strings.Replace(string(data), `"permissions_boundary":"arn`, `"permissions_boundary":"ARN`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := a.pvaudit(t, "drift", "--baseline", bad); r.code != 2 || !strings.Contains(r.stderr, "baseline was modified after it was saved") {
		t.Errorf("edited baseline: exit %d\n%s", r.code, r.stderr)
	}
}
