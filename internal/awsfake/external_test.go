package awsfake

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func TestExternalUserAssumesCrossAccountRole(t *testing.T) {
	t.Parallel()
	srv, admin, _ := start(t, Options{Authorize: true})
	const provider = "941377122013"
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + provider + `:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"ext-1"}}}]}`
	_, err := admin.iam.CreateRole(ctx(t), &iam.CreateRoleInput{RoleName: aws.String("Pennsieve-Compute-dev-a3f1b20c"), AssumeRolePolicyDocument: aws.String(trust)})
	mustOK(t, err)
	creds, err := srv.AddExternalUser(provider, "provisioner")
	mustOK(t, err)
	ext := newClients(srv.URL(), creds, 1)

	t.Run("identity is in its own account", func(t *testing.T) {
		out, err := ext.sts.GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
		mustOK(t, err)
		if got := aws.ToString(out.Arn); got != "arn:aws:iam::"+provider+":user/provisioner" {
			t.Errorf("caller ARN = %s", got)
		}
	})
	t.Run("no permissions in this account", func(t *testing.T) {
		_, err := ext.iam.ListRoles(ctx(t), &iam.ListRolesInput{})
		if code, status := apiErr(t, err); code != "AccessDenied" || status != 403 {
			t.Errorf("ListRoles by an external user: %s %d, want AccessDenied 403", code, status)
		}
	})
	roleARN := "arn:aws:iam::" + srv.AccountID() + ":role/Pennsieve-Compute-dev-a3f1b20c"
	t.Run("trust without the external ID", func(t *testing.T) {
		_, err := ext.sts.AssumeRole(ctx(t), &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("tf")})
		if code, _ := apiErr(t, err); code != "AccessDenied" {
			t.Errorf("AssumeRole without ExternalId: %s, want AccessDenied", code)
		}
	})
	t.Run("trust with the external ID", func(t *testing.T) {
		out, err := ext.sts.AssumeRole(ctx(t), &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("tf"), ExternalId: aws.String("ext-1")})
		mustOK(t, err)
		if !strings.HasPrefix(aws.ToString(out.Credentials.AccessKeyId), "ASIA") {
			t.Errorf("session key = %s", aws.ToString(out.Credentials.AccessKeyId))
		}
	})
	t.Run("CloudTrail names the provider's account", func(t *testing.T) {
		var found bool
		for _, raw := range srv.Records() {
			var rec struct {
				EventName    string `json:"eventName"`
				ErrorCode    string `json:"errorCode"`
				UserIdentity struct {
					AccountID string `json:"accountId"`
					ARN       string `json:"arn"`
				} `json:"userIdentity"`
				RecipientAccountID string `json:"recipientAccountId"`
			}
			if err := json.Unmarshal(raw, &rec); err != nil {
				t.Fatal(err)
			}
			if rec.EventName == "AssumeRole" && rec.ErrorCode == "" {
				found = true
				if rec.UserIdentity.AccountID != provider || rec.RecipientAccountID != srv.AccountID() {
					t.Errorf("AssumeRole record: caller account %s, recipient %s; want %s, %s", rec.UserIdentity.AccountID, rec.RecipientAccountID, provider, srv.AccountID())
				}
			}
		}
		if !found {
			t.Error("no successful AssumeRole record")
		}
	})
	t.Run("bad account", func(t *testing.T) {
		if _, err := srv.AddExternalUser("12", "x"); err == nil {
			t.Error("AddExternalUser accepted a malformed account ID")
		}
		if _, err := srv.AddExternalUser(srv.AccountID(), "x"); err == nil {
			t.Error("AddExternalUser accepted the endpoint's own account")
		}
	})
}
