package awsfake

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

const (
	trustAdminUser  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/admin"},"Action":"sts:AssumeRole"}]}`
	trustAccountExt = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"ext-42"}}}]}`
	trustOtherAcct  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"sts:AssumeRole"}]}`
)

func TestAssumeRole(t *testing.T) {
	s, c, clk := start(t, Options{})
	cx := ctx(t)
	for name, trust := range map[string]string{"by-user": trustAdminUser, "by-account": trustAccountExt, "other-account": trustOtherAcct} {
		_, err := c.iam.CreateRole(cx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust), MaxSessionDuration: aws.Int32(7200)})
		mustOK(t, err)
	}
	arn := func(name string) *string { return aws.String("arn:aws:iam::123456789012:role/" + name) }

	tests := []struct {
		name       string
		in         sts.AssumeRoleInput
		wantCode   string
		wantStatus int
	}{
		{name: "trust names the user", in: sts.AssumeRoleInput{RoleArn: arn("by-user"), RoleSessionName: aws.String("s1")}},
		{name: "account trust with the right ExternalId", in: sts.AssumeRoleInput{RoleArn: arn("by-account"), RoleSessionName: aws.String("s2"), ExternalId: aws.String("ext-42")}},
		{name: "missing ExternalId", in: sts.AssumeRoleInput{RoleArn: arn("by-account"), RoleSessionName: aws.String("s3")}, wantCode: "AccessDenied", wantStatus: 403},
		{name: "wrong ExternalId", in: sts.AssumeRoleInput{RoleArn: arn("by-account"), RoleSessionName: aws.String("s4"), ExternalId: aws.String("nope")}, wantCode: "AccessDenied", wantStatus: 403},
		{name: "trust names another account", in: sts.AssumeRoleInput{RoleArn: arn("other-account"), RoleSessionName: aws.String("s5")}, wantCode: "AccessDenied", wantStatus: 403},
		{name: "no such role", in: sts.AssumeRoleInput{RoleArn: arn("ghost"), RoleSessionName: aws.String("s6")}, wantCode: "AccessDenied", wantStatus: 403},
		{name: "duration within MaxSessionDuration", in: sts.AssumeRoleInput{RoleArn: arn("by-user"), RoleSessionName: aws.String("s7"), DurationSeconds: aws.Int32(7200)}},
		{name: "duration above MaxSessionDuration", in: sts.AssumeRoleInput{RoleArn: arn("by-user"), RoleSessionName: aws.String("s8"), DurationSeconds: aws.Int32(7201)}, wantCode: "ValidationError", wantStatus: 400},
		{name: "duration below 900", in: sts.AssumeRoleInput{RoleArn: arn("by-user"), RoleSessionName: aws.String("s9"), DurationSeconds: aws.Int32(899)}, wantCode: "ValidationError", wantStatus: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := c.sts.AssumeRole(cx, &tt.in)
			if tt.wantCode != "" {
				if code, status := apiErr(t, err); code != tt.wantCode || status != tt.wantStatus {
					t.Errorf("got %s/%d, want %s/%d", code, status, tt.wantCode, tt.wantStatus)
				}
				return
			}
			mustOK(t, err)
			role := aws.ToString(tt.in.RoleArn)[len("arn:aws:iam::123456789012:role/"):]
			wantARN := "arn:aws:sts::123456789012:assumed-role/" + role + "/" + aws.ToString(tt.in.RoleSessionName)
			if got := aws.ToString(out.AssumedRoleUser.Arn); got != wantARN {
				t.Errorf("session ARN: got %s, want %s", got, wantARN)
			}
			if k := aws.ToString(out.Credentials.AccessKeyId); len(k) != 20 || k[:4] != "ASIA" {
				t.Errorf("session key: got %q, want ASIA…", k)
			}
			d := int32(3600)
			if tt.in.DurationSeconds != nil {
				d = *tt.in.DurationSeconds
			}
			if got, want := aws.ToTime(out.Credentials.Expiration), clk.Now().Add(time.Duration(d)*time.Second); !got.Equal(want) {
				t.Errorf("expiration: got %v, want %v", got, want)
			}
		})
	}

	t.Run("session credentials identify the assumed role", func(t *testing.T) {
		out, err := c.sts.AssumeRole(cx, &sts.AssumeRoleInput{RoleArn: arn("by-user"), RoleSessionName: aws.String("provider")})
		mustOK(t, err)
		sc := newClients(s.URL(), Credentials{
			AccessKeyID: aws.ToString(out.Credentials.AccessKeyId), SecretAccessKey: aws.ToString(out.Credentials.SecretAccessKey),
			SessionToken: aws.ToString(out.Credentials.SessionToken),
		}, 1)
		id, err := sc.sts.GetCallerIdentity(cx, &sts.GetCallerIdentityInput{})
		mustOK(t, err)
		if got, want := aws.ToString(id.Arn), "arn:aws:sts::123456789012:assumed-role/by-user/provider"; got != want {
			t.Errorf("caller: got %s, want %s", got, want)
		}
		if got, want := aws.ToString(id.UserId), aws.ToString(out.AssumedRoleUser.AssumedRoleId); got != want {
			t.Errorf("UserId: got %s, want %s", got, want)
		}
		t.Run("role chaining is limited to one hour", func(t *testing.T) {
			trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/by-user"},"Action":"sts:AssumeRole"}]}`
			_, err := c.iam.CreateRole(cx, &iam.CreateRoleInput{RoleName: aws.String("chained"), AssumeRolePolicyDocument: aws.String(trust), MaxSessionDuration: aws.Int32(43200)})
			mustOK(t, err)
			_, err = sc.sts.AssumeRole(cx, &sts.AssumeRoleInput{RoleArn: arn("chained"), RoleSessionName: aws.String("hop"), DurationSeconds: aws.Int32(7200)})
			if code, status := apiErr(t, err); code != "ValidationError" || status != 400 {
				t.Errorf("got %s/%d, want ValidationError/400", code, status)
			}
			hop, err := sc.sts.AssumeRole(cx, &sts.AssumeRoleInput{RoleArn: arn("chained"), RoleSessionName: aws.String("hop")})
			mustOK(t, err)
			if got, want := aws.ToString(hop.AssumedRoleUser.Arn), "arn:aws:sts::123456789012:assumed-role/chained/hop"; got != want {
				t.Errorf("chained session: got %s, want %s", got, want)
			}
		})
		t.Run("wrong session token", func(t *testing.T) {
			bad := newClients(s.URL(), Credentials{AccessKeyID: aws.ToString(out.Credentials.AccessKeyId), SecretAccessKey: "x", SessionToken: "forged"}, 1)
			_, err := bad.sts.GetCallerIdentity(cx, &sts.GetCallerIdentityInput{})
			if code, status := apiErr(t, err); code != "InvalidClientTokenId" || status != 403 {
				t.Errorf("got %s/%d, want InvalidClientTokenId/403", code, status)
			}
		})
		t.Run("expired session", func(t *testing.T) {
			clk.Advance(time.Hour + time.Second)
			_, err := sc.iam.ListRoles(cx, &iam.ListRolesInput{})
			if code, status := apiErr(t, err); code != "ExpiredToken" || status != 400 {
				t.Errorf("got %s/%d, want ExpiredToken/400", code, status)
			}
		})
	})
}
