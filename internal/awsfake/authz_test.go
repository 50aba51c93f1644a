package awsfake

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

const provisionerPolicy = `{"Version":"2012-10-17","Statement":[
 {"Sid":"CreateWithBoundary","Effect":"Allow","Action":["iam:CreateRole","iam:PutRolePermissionsBoundary"],"Resource":"arn:aws:iam::123456789012:role/pv/*",
  "Condition":{"StringEquals":{"iam:PermissionsBoundary":"arn:aws:iam::123456789012:policy/pv-boundary"}}},
 {"Sid":"Read","Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"*"},
 {"Sid":"KeepBoundary","Effect":"Deny","Action":"iam:DeleteRolePermissionsBoundary","Resource":"*"},
 {"Sid":"AttachReadOnly","Effect":"Allow","Action":"iam:AttachRolePolicy","Resource":"arn:aws:iam::123456789012:role/pv/*",
  "Condition":{"ArnEquals":{"iam:PolicyARN":"arn:aws:iam::123456789012:policy/pv-read"}}},
 {"Sid":"PassToEC2","Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::123456789012:role/pv/*",
  "Condition":{"StringEquals":{"iam:PassedToService":"ec2.amazonaws.com"}}},
 {"Sid":"Profiles","Effect":"Allow","Action":["iam:CreateInstanceProfile","iam:AddRoleToInstanceProfile"],"Resource":"*"}
]}`

// assume returns clients for a session of role, assumed by c.
func assume(t *testing.T, s *Server, c clients, role, session string) clients {
	t.Helper()
	out, err := c.sts.AssumeRole(ctx(t), &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/" + role), RoleSessionName: aws.String(session)})
	mustOK(t, err)
	return newClients(s.URL(), Credentials{
		AccessKeyID: aws.ToString(out.Credentials.AccessKeyId), SecretAccessKey: aws.ToString(out.Credentials.SecretAccessKey),
		SessionToken: aws.ToString(out.Credentials.SessionToken),
	}, 1)
}

func TestAuthorization(t *testing.T) {
	s, admin, _ := start(t, Options{})
	cx := ctx(t)
	for _, name := range []string{"pv-boundary", "pv-read"} {
		_, err := admin.iam.CreatePolicy(cx, &iam.CreatePolicyInput{PolicyName: aws.String(name), PolicyDocument: aws.String(readS3)})
		mustOK(t, err)
	}
	_, err := admin.iam.CreateRole(cx, &iam.CreateRoleInput{RoleName: aws.String("provisioner"), AssumeRolePolicyDocument: aws.String(trustAdminUser)})
	mustOK(t, err)
	_, err = admin.iam.PutRolePolicy(cx, &iam.PutRolePolicyInput{RoleName: aws.String("provisioner"), PolicyName: aws.String("provision"), PolicyDocument: aws.String(provisionerPolicy)})
	mustOK(t, err)
	// A role with AdministratorAccess, held back by a boundary that only
	// allows reading S3.
	_, err = admin.iam.CreateRole(cx, &iam.CreateRoleInput{RoleName: aws.String("bounded"), AssumeRolePolicyDocument: aws.String(trustAdminUser), PermissionsBoundary: aws.String("arn:aws:iam::123456789012:policy/pv-boundary")})
	mustOK(t, err)
	_, err = admin.iam.AttachRolePolicy(cx, &iam.AttachRolePolicyInput{RoleName: aws.String("bounded"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")})
	mustOK(t, err)
	_, err = admin.iam.CreateRole(cx, &iam.CreateRoleInput{RoleName: aws.String("by-account"), AssumeRolePolicyDocument: aws.String(trustAccountExt)})
	mustOK(t, err)

	s.SetAuthorize(true)
	prov := assume(t, s, admin, "provisioner", "provider")
	bounded := assume(t, s, admin, "bounded", "bounded-session")
	boundary := aws.String("arn:aws:iam::123456789012:policy/pv-boundary")

	tests := []struct {
		name    string
		call    func() error
		wantErr string // "" for success; else a substring of the message
	}{
		{"CreateRole without boundary is denied", func() error {
			_, err := prov.iam.CreateRole(cx, &iam.CreateRoleInput{RoleName: aws.String("child"), Path: aws.String("/pv/"), AssumeRolePolicyDocument: aws.String(trustEC2)})
			return err
		}, "no identity-based policy allows the iam:CreateRole action"},
		{"CreateRole with another boundary is denied", func() error {
			_, err := prov.iam.CreateRole(cx, &iam.CreateRoleInput{RoleName: aws.String("child"), Path: aws.String("/pv/"), AssumeRolePolicyDocument: aws.String(trustEC2), PermissionsBoundary: aws.String("arn:aws:iam::123456789012:policy/pv-read")})
			return err
		}, "not authorized to perform: iam:CreateRole"},
		{"CreateRole outside the path is denied", func() error {
			_, err := prov.iam.CreateRole(cx, &iam.CreateRoleInput{RoleName: aws.String("child"), AssumeRolePolicyDocument: aws.String(trustEC2), PermissionsBoundary: boundary})
			return err
		}, "on resource: arn:aws:iam::123456789012:role/child"},
		{"CreateRole with the boundary is allowed", func() error {
			_, err := prov.iam.CreateRole(cx, &iam.CreateRoleInput{RoleName: aws.String("child"), Path: aws.String("/pv/"), AssumeRolePolicyDocument: aws.String(trustEC2), PermissionsBoundary: boundary})
			return err
		}, ""},
		{"DeleteRolePermissionsBoundary hits the explicit deny", func() error {
			_, err := prov.iam.DeleteRolePermissionsBoundary(cx, &iam.DeleteRolePermissionsBoundaryInput{RoleName: aws.String("child")})
			return err
		}, "with an explicit deny in an identity-based policy"},
		{"AttachRolePolicy of the allowed policy", func() error {
			_, err := prov.iam.AttachRolePolicy(cx, &iam.AttachRolePolicyInput{RoleName: aws.String("child"), PolicyArn: aws.String("arn:aws:iam::123456789012:policy/pv-read")})
			return err
		}, ""},
		{"AttachRolePolicy of AdministratorAccess is denied", func() error {
			_, err := prov.iam.AttachRolePolicy(cx, &iam.AttachRolePolicyInput{RoleName: aws.String("child"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")})
			return err
		}, "iam:AttachRolePolicy"},
		{"instance profile with PassRole to EC2", func() error {
			if _, err := prov.iam.CreateInstanceProfile(cx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("child")}); err != nil {
				return err
			}
			_, err := prov.iam.AddRoleToInstanceProfile(cx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("child"), RoleName: aws.String("child")})
			return err
		}, ""},
		{"DeleteRole has no allow", func() error {
			_, err := prov.iam.DeleteRole(cx, &iam.DeleteRoleInput{RoleName: aws.String("child")})
			return err
		}, "iam:DeleteRole"},
		{"reads are allowed", func() error {
			_, err := prov.iam.GetAccountAuthorizationDetails(cx, &iam.GetAccountAuthorizationDetailsInput{})
			return err
		}, ""},
		{"GetCallerIdentity needs no permission", func() error {
			_, err := bounded.sts.GetCallerIdentity(cx, &sts.GetCallerIdentityInput{})
			return err
		}, ""},
		{"boundary limits an administrator role", func() error {
			_, err := bounded.iam.ListRoles(cx, &iam.ListRolesInput{})
			return err
		}, "because no permissions boundary allows the iam:ListRoles action"},
		{"account-trust AssumeRole needs the caller's permission", func() error {
			_, err := prov.sts.AssumeRole(cx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/by-account"), RoleSessionName: aws.String("xx"), ExternalId: aws.String("ext-42")})
			return err
		}, "sts:AssumeRole"},
		{"admin may assume through account trust", func() error {
			_, err := admin.sts.AssumeRole(cx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/by-account"), RoleSessionName: aws.String("xx"), ExternalId: aws.String("ext-42")})
			return err
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if tt.wantErr == "" {
				mustOK(t, err)
				return
			}
			code, status := apiErr(t, err)
			if code != "AccessDenied" || status != 403 {
				t.Errorf("got %s/%d, want AccessDenied/403", code, status)
			}
			var ae smithy.APIError
			if !errors.As(err, &ae) {
				t.Fatalf("not an API error: %v", err)
			}
			if !strings.Contains(ae.ErrorMessage(), tt.wantErr) {
				t.Errorf("message %q does not contain %q", ae.ErrorMessage(), tt.wantErr)
			}
		})
	}

	t.Run("session policy narrows the session", func(t *testing.T) {
		out, err := admin.sts.AssumeRole(cx, &sts.AssumeRoleInput{
			RoleArn: aws.String("arn:aws:iam::123456789012:role/provisioner"), RoleSessionName: aws.String("narrow"),
			Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"*"}]}`),
		})
		mustOK(t, err)
		narrow := newClients(s.URL(), Credentials{AccessKeyID: aws.ToString(out.Credentials.AccessKeyId), SecretAccessKey: aws.ToString(out.Credentials.SecretAccessKey), SessionToken: aws.ToString(out.Credentials.SessionToken)}, 1)
		_, err = narrow.iam.GetRole(cx, &iam.GetRoleInput{RoleName: aws.String("provisioner")})
		mustOK(t, err)
		_, err = narrow.iam.ListRoles(cx, &iam.ListRolesInput{})
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" || !strings.Contains(ae.ErrorMessage(), "no session policy allows") {
			t.Errorf("ListRoles: got %v, want AccessDenied naming the session policy", err)
		}
	})

	t.Run("denied calls are logged and recorded", func(t *testing.T) {
		var denied int
		for _, c := range s.CallsTo("CreateRole") {
			if c.ErrorCode == "AccessDenied" {
				denied++
				if c.PrincipalARN != "arn:aws:sts::123456789012:assumed-role/provisioner/provider" {
					t.Errorf("denied call principal: got %s", c.PrincipalARN)
				}
			}
		}
		if denied != 3 {
			t.Errorf("got %d denied CreateRole calls, want 3", denied)
		}
		var recorded int
		for _, raw := range s.Records() {
			if strings.Contains(string(raw), `"eventName":"CreateRole"`) && strings.Contains(string(raw), `"errorCode":"AccessDenied"`) {
				recorded++
			}
		}
		if recorded != 3 {
			t.Errorf("got %d AccessDenied CreateRole records, want 3", recorded)
		}
	})
}

func TestSimulatePrincipalPolicy(t *testing.T) {
	_, c, _ := start(t, Options{})
	cx := ctx(t)
	const perms = `{"Version":"2012-10-17","Statement":[
 {"Sid":"Get","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"},
 {"Sid":"PutPrivate","Effect":"Allow","Action":"s3:PutObject","Resource":"*","Condition":{"StringEquals":{"s3:x-amz-acl":"private"}}},
 {"Sid":"NoDelete","Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"},
 {"Sid":"IAM","Effect":"Allow","Action":"iam:CreateRole","Resource":"*"}]}`
	_, err := c.iam.CreatePolicy(cx, &iam.CreatePolicyInput{PolicyName: aws.String("s3-only"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)})
	mustOK(t, err)
	_, err = c.iam.CreateRole(cx, &iam.CreateRoleInput{RoleName: aws.String("sim"), AssumeRolePolicyDocument: aws.String(trustEC2), PermissionsBoundary: aws.String("arn:aws:iam::123456789012:policy/s3-only")})
	mustOK(t, err)
	_, err = c.iam.PutRolePolicy(cx, &iam.PutRolePolicyInput{RoleName: aws.String("sim"), PolicyName: aws.String("perms"), PolicyDocument: aws.String(perms)})
	mustOK(t, err)
	source := aws.String("arn:aws:iam::123456789012:role/sim")
	acl := []types.ContextEntry{{ContextKeyName: aws.String("s3:x-amz-acl"), ContextKeyType: types.ContextKeyTypeEnumString, ContextKeyValues: []string{"private"}}}

	tests := []struct {
		name         string
		action       string
		resources    []string
		context      []types.ContextEntry
		want         types.PolicyEvaluationDecisionType
		wantBoundary bool
		wantMatched  bool
		wantPerRes   int
		wantMissing  []string
	}{
		{name: "allowed", action: "s3:GetObject", resources: []string{"arn:aws:s3:::bucket/k"}, want: types.PolicyEvaluationDecisionTypeAllowed, wantBoundary: true, wantMatched: true, wantPerRes: 1},
		{name: "wrong bucket", action: "s3:GetObject", resources: []string{"arn:aws:s3:::other/k"}, want: types.PolicyEvaluationDecisionTypeImplicitDeny, wantBoundary: true, wantPerRes: 1},
		{name: "explicit deny", action: "s3:DeleteObject", want: types.PolicyEvaluationDecisionTypeExplicitDeny, wantBoundary: true, wantMatched: true},
		{name: "condition met by a context entry", action: "s3:PutObject", context: acl, want: types.PolicyEvaluationDecisionTypeAllowed, wantBoundary: true, wantMatched: true},
		{name: "condition key not supplied", action: "s3:PutObject", want: types.PolicyEvaluationDecisionTypeImplicitDeny, wantBoundary: true, wantMissing: []string{"s3:x-amz-acl"}},
		{name: "boundary denies", action: "iam:CreateRole", want: types.PolicyEvaluationDecisionTypeImplicitDeny, wantBoundary: false},
		{name: "two resources", action: "s3:GetObject", resources: []string{"arn:aws:s3:::bucket/a", "arn:aws:s3:::other/b"}, want: types.PolicyEvaluationDecisionTypeImplicitDeny, wantMatched: true, wantPerRes: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := c.iam.SimulatePrincipalPolicy(cx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: source, ActionNames: []string{tt.action}, ResourceArns: tt.resources, ContextEntries: tt.context})
			mustOK(t, err)
			if len(out.EvaluationResults) != 1 {
				t.Fatalf("got %d results, want 1", len(out.EvaluationResults))
			}
			r := out.EvaluationResults[0]
			if aws.ToString(r.EvalActionName) != tt.action || r.EvalDecision != tt.want {
				t.Errorf("got %s %s, want %s %s", aws.ToString(r.EvalActionName), r.EvalDecision, tt.action, tt.want)
			}
			if (len(r.MatchedStatements) > 0) != tt.wantMatched {
				t.Errorf("matched statements: got %+v", r.MatchedStatements)
			}
			for _, m := range r.MatchedStatements {
				if id := aws.ToString(m.SourcePolicyId); id != "perms" && id != "arn:aws:iam::123456789012:policy/s3-only" {
					t.Errorf("SourcePolicyId: got %s", id)
				}
			}
			if strings.Join(r.MissingContextValues, ",") != strings.Join(tt.wantMissing, ",") {
				t.Errorf("MissingContextValues: got %v, want %v", r.MissingContextValues, tt.wantMissing)
			}
			if len(r.ResourceSpecificResults) != tt.wantPerRes {
				t.Errorf("resource-specific results: got %d, want %d", len(r.ResourceSpecificResults), tt.wantPerRes)
			}
			if tt.wantPerRes < 2 {
				if r.PermissionsBoundaryDecisionDetail == nil || r.PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary != tt.wantBoundary {
					t.Errorf("boundary detail: got %+v, want allowed=%v", r.PermissionsBoundaryDecisionDetail, tt.wantBoundary)
				}
			}
		})
	}
	t.Run("unknown source", func(t *testing.T) {
		_, err := c.iam.SimulatePrincipalPolicy(cx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::123456789012:role/none"), ActionNames: []string{"s3:GetObject"}})
		if code, status := apiErr(t, err); code != "NoSuchEntity" || status != 404 {
			t.Errorf("got %s/%d, want NoSuchEntity/404", code, status)
		}
	})
}
