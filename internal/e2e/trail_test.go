package e2e

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/pvaudit/pvaudit/internal/awsfake"
)

// TestProviderSessionReplay: the provider's provisioner (another account)
// assumes the cross-account role with its ExternalId, creates a child role
// with the boundary, is denied one without it, and `trail sessions --lookup`
// shows that session, its calls and the denied attempt, without mutating
// anything.
func TestProviderSessionReplay(t *testing.T) {
	t.Parallel()
	a := newAccount(t, "compliant.json")
	a.srv.SetAuthorize(true)
	ctx := context.Background()
	const provider = "941377122013"
	creds, err := a.srv.AddExternalUser(provider, "pennsieve-provisioner")
	if err != nil {
		t.Fatal(err)
	}
	role := "arn:aws:iam::" + a.snap.AccountID + ":role/Pennsieve-Compute-prod-a3f1b20c"
	out, err := sts.NewFromConfig(sdkConfig(a.srv.URL(), creds)).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String(role), RoleSessionName: aws.String("terraform-7f3a9c21"), ExternalId: aws.String("pn-ext-4c1d9e7a52"),
	})
	if err != nil {
		t.Fatalf("provider AssumeRole: %v", err)
	}
	c := out.Credentials
	session := iam.NewFromConfig(sdkConfig(a.srv.URL(), awsfake.Credentials{
		AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey), SessionToken: aws.ToString(c.SessionToken)}))
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	boundary := "arn:aws:iam::" + a.snap.AccountID + ":policy/pennsieve-boundary-7f3a9c21"
	if _, err := session.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("pennsieve-7f3a9c21-new-fn"), AssumeRolePolicyDocument: aws.String(trust), PermissionsBoundary: aws.String(boundary)}); err != nil {
		t.Fatalf("CreateRole with the boundary under the provider session: %v", err)
	}
	if _, err := session.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("pennsieve-7f3a9c21-rogue"), AssumeRolePolicyDocument: aws.String(trust)}); err == nil {
		t.Fatal("CreateRole without the boundary succeeded: the guardrail did not hold")
	}
	// A role whose name carries no node identifier: only its boundary marks
	// it as the provider's, and an administrator then removes that.
	if _, err := session.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("pennsieve-etl-helper"), AssumeRolePolicyDocument: aws.String(trust), PermissionsBoundary: aws.String(boundary)}); err != nil {
		t.Fatalf("CreateRole etl-helper with the boundary under the provider session: %v", err)
	}
	if _, err := a.admin.DeleteRolePermissionsBoundary(ctx, &iam.DeleteRolePermissionsBoundaryInput{RoleName: aws.String("pennsieve-etl-helper")}); err != nil {
		t.Fatal(err)
	}
	a.srv.ResetCalls()
	r := a.pvaudit(t, "trail", "sessions", "--lookup", "-o", "json", "--trusted-account", provider, "--require-external-id")
	if r.code == 2 {
		t.Fatalf("trail sessions: exit 2\n%s", r.stderr)
	}
	var rep struct {
		Sessions []struct {
			RoleName string `json:"role_name"`
			Assumer  struct {
				AccountID string `json:"account_id"`
			} `json:"assumer"`
			ExternalID  bool `json:"external_id"`
			CallCount   int  `json:"call_count"`
			DeniedCount int  `json:"denied_count"`
		} `json:"sessions"`
		ProviderCreatedRoles []string `json:"provider_created_roles"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("trail JSON: %v\n%s", err, r.stdout)
	}
	if len(rep.Sessions) != 1 {
		t.Fatalf("sessions = %d, want 1:\n%s", len(rep.Sessions), r.stdout)
	}
	s := rep.Sessions[0]
	if s.RoleName != "Pennsieve-Compute-prod-a3f1b20c" || s.Assumer.AccountID != provider || !s.ExternalID {
		t.Errorf("session role/assumer/external ID = %s/%s/%v", s.RoleName, s.Assumer.AccountID, s.ExternalID)
	}
	if s.CallCount != 3 || s.DeniedCount != 1 {
		t.Errorf("calls/denied = %d/%d, want 3/1", s.CallCount, s.DeniedCount)
	}
	if !slices.ContainsFunc(rep.ProviderCreatedRoles, func(r string) bool {
		return r == "pennsieve-7f3a9c21-new-fn" || r == "arn:aws:iam::"+a.snap.AccountID+":role/pennsieve-7f3a9c21-new-fn"
	}) {
		t.Errorf("provider-created roles = %v, want the new role", rep.ProviderCreatedRoles)
	}
	if m := a.srv.MutatingCalls(); len(m) != 0 {
		t.Errorf("trail replay made mutating calls: %+v", m)
	}
	if len(a.srv.CallsTo("LookupEvents")) == 0 {
		t.Error("trail replay made no LookupEvents call")
	}

	// Without CloudTrail the scan cannot know etl-helper is the provider's;
	// with --trail-lookup it is a child role and its missing boundary fails.
	const etl = "role/pennsieve-etl-helper"
	plain := parseReport(t, a.pvaudit(t, "scan", "-o", "json", "--provisioner-account", provider, "--checks", "PV-BND-001"))
	if plain.has("PV-BND-001", "FAIL", etl) {
		t.Errorf("scan without CloudTrail already flags %s: the test proves nothing", etl)
	}
	withTrail := a.pvaudit(t, "scan", "-o", "json", "--provisioner-account", provider, "--checks", "PV-BND-001,TRAIL-005", "--trail-lookup")
	if withTrail.code != 1 {
		t.Fatalf("scan --trail-lookup: exit %d, want 1\n%s", withTrail.code, withTrail.stderr)
	}
	if rep := parseReport(t, withTrail); !rep.has("PV-BND-001", "FAIL", etl) {
		t.Errorf("scan --trail-lookup: no PV-BND-001 FAIL for %s:\n%s", etl, rep.statusKey())
	}
	if m := a.srv.MutatingCalls(); len(m) != 0 {
		t.Errorf("scan --trail-lookup made mutating calls: %+v", m)
	}

	// The same from a snapshot file, with CloudTrail read live.
	snapFile := filepath.Join(t.TempDir(), "snap.json")
	if r := a.pvaudit(t, "snapshot", "-o", "json="+snapFile); r.code != 0 {
		t.Fatalf("snapshot: exit %d\n%s", r.code, r.stderr)
	}
	fromFile := a.pvaudit(t, "scan", "--from", snapFile, "-o", "json", "--provisioner-account", provider, "--checks", "PV-BND-001", "--trail-lookup")
	if rep := parseReport(t, fromFile); fromFile.code != 1 || !rep.has("PV-BND-001", "FAIL", etl) {
		t.Errorf("scan --from FILE --trail-lookup: exit %d, PV-BND-001 FAIL on %s = %v\n%s", fromFile.code, etl, rep.has("PV-BND-001", "FAIL", etl), fromFile.stderr)
	}
}
