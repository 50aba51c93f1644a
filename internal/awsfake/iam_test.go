package awsfake

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/pvaudit/pvaudit/policy"
)

func TestRoleRoundTrip(t *testing.T) {
	s, c, _ := start(t, Options{})
	cx := ctx(t)
	trust := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\", \"Principal\": {\"Service\": \"ec2.amazonaws.com\"}, \"Action\": \"sts:AssumeRole\", \"Condition\": {\"StringEquals\": {\"aws:SourceAccount\": \"123456789012\"}}}]\n}"

	bp, err := c.iam.CreatePolicy(cx, &iam.CreatePolicyInput{PolicyName: aws.String("boundary"), Path: aws.String("/pv/"), PolicyDocument: aws.String(readS3), Description: aws.String("the boundary")})
	mustOK(t, err)
	if got, want := aws.ToString(bp.Policy.Arn), "arn:aws:iam::123456789012:policy/pv/boundary"; got != want {
		t.Fatalf("policy ARN: got %s, want %s", got, want)
	}
	cr, err := c.iam.CreateRole(cx, &iam.CreateRoleInput{
		RoleName: aws.String("node-1"), Path: aws.String("/pv/"), AssumeRolePolicyDocument: aws.String(trust),
		PermissionsBoundary: bp.Policy.Arn, MaxSessionDuration: aws.Int32(7200),
		Tags: []types.Tag{{Key: aws.String("owner"), Value: aws.String("pv")}},
	})
	mustOK(t, err)

	t.Run("CreateRole", func(t *testing.T) {
		if got, want := aws.ToString(cr.Role.Arn), "arn:aws:iam::123456789012:role/pv/node-1"; got != want {
			t.Errorf("ARN: got %s, want %s", got, want)
		}
		if got := aws.ToString(cr.Role.RoleId); len(got) != 21 || got[:4] != "AROA" {
			t.Errorf("RoleId: got %q, want AROA + 17 characters", got)
		}
	})
	t.Run("GetRole decodes the URL-encoded trust policy", func(t *testing.T) {
		gr, err := c.iam.GetRole(cx, &iam.GetRoleInput{RoleName: aws.String("node-1")})
		mustOK(t, err)
		enc := aws.ToString(gr.Role.AssumeRolePolicyDocument)
		if enc == trust || enc[0] != '%' {
			t.Errorf("trust policy not URL-encoded: %q", enc)
		}
		if got := decodeDoc(t, enc); got != trust {
			t.Errorf("decoded trust: got %q, want %q", got, trust)
		}
		if _, err := policy.ParseString(enc); err != nil {
			t.Errorf("policy.Parse of the wire form: %v", err)
		}
		if gr.Role.PermissionsBoundary == nil || aws.ToString(gr.Role.PermissionsBoundary.PermissionsBoundaryArn) != aws.ToString(bp.Policy.Arn) {
			t.Errorf("boundary: got %+v", gr.Role.PermissionsBoundary)
		}
		if got := aws.ToInt32(gr.Role.MaxSessionDuration); got != 7200 {
			t.Errorf("MaxSessionDuration: got %d, want 7200", got)
		}
		if len(gr.Role.Tags) != 1 || aws.ToString(gr.Role.Tags[0].Key) != "owner" {
			t.Errorf("tags: got %+v", gr.Role.Tags)
		}
	})
	t.Run("inline policy", func(t *testing.T) {
		_, err := c.iam.PutRolePolicy(cx, &iam.PutRolePolicyInput{RoleName: aws.String("node-1"), PolicyName: aws.String("read"), PolicyDocument: aws.String(readS3)})
		mustOK(t, err)
		gp, err := c.iam.GetRolePolicy(cx, &iam.GetRolePolicyInput{RoleName: aws.String("node-1"), PolicyName: aws.String("read")})
		mustOK(t, err)
		if got := decodeDoc(t, aws.ToString(gp.PolicyDocument)); got != readS3 {
			t.Errorf("inline document: got %q, want %q", got, readS3)
		}
		lp, err := c.iam.ListRolePolicies(cx, &iam.ListRolePoliciesInput{RoleName: aws.String("node-1")})
		mustOK(t, err)
		if len(lp.PolicyNames) != 1 || lp.PolicyNames[0] != "read" || lp.IsTruncated {
			t.Errorf("ListRolePolicies: got %v truncated=%v", lp.PolicyNames, lp.IsTruncated)
		}
	})
	t.Run("attached policies", func(t *testing.T) {
		_, err := c.iam.AttachRolePolicy(cx, &iam.AttachRolePolicyInput{RoleName: aws.String("node-1"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")})
		mustOK(t, err)
		la, err := c.iam.ListAttachedRolePolicies(cx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("node-1")})
		mustOK(t, err)
		if len(la.AttachedPolicies) != 1 || aws.ToString(la.AttachedPolicies[0].PolicyName) != "ReadOnlyAccess" {
			t.Errorf("ListAttachedRolePolicies: got %+v", la.AttachedPolicies)
		}
		gp, err := c.iam.GetPolicy(cx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")})
		mustOK(t, err)
		if got := aws.ToInt32(gp.Policy.AttachmentCount); got != 1 {
			t.Errorf("AttachmentCount: got %d, want 1", got)
		}
	})
	t.Run("tags", func(t *testing.T) {
		_, err := c.iam.TagRole(cx, &iam.TagRoleInput{RoleName: aws.String("node-1"), Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("test")}, {Key: aws.String("owner"), Value: aws.String("ops")}}})
		mustOK(t, err)
		_, err = c.iam.UntagRole(cx, &iam.UntagRoleInput{RoleName: aws.String("node-1"), TagKeys: []string{"env"}})
		mustOK(t, err)
		lt, err := c.iam.ListRoleTags(cx, &iam.ListRoleTagsInput{RoleName: aws.String("node-1")})
		mustOK(t, err)
		if len(lt.Tags) != 1 || aws.ToString(lt.Tags[0].Value) != "ops" {
			t.Errorf("tags: got %+v, want owner=ops", lt.Tags)
		}
	})
	t.Run("UpdateRole and UpdateAssumeRolePolicy", func(t *testing.T) {
		_, err := c.iam.UpdateRole(cx, &iam.UpdateRoleInput{RoleName: aws.String("node-1"), Description: aws.String("d"), MaxSessionDuration: aws.Int32(3600)})
		mustOK(t, err)
		_, err = c.iam.UpdateAssumeRolePolicy(cx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("node-1"), PolicyDocument: aws.String(trustEC2)})
		mustOK(t, err)
		gr, err := c.iam.GetRole(cx, &iam.GetRoleInput{RoleName: aws.String("node-1")})
		mustOK(t, err)
		if aws.ToString(gr.Role.Description) != "d" || aws.ToInt32(gr.Role.MaxSessionDuration) != 3600 {
			t.Errorf("UpdateRole not applied: %+v", gr.Role)
		}
		if got := decodeDoc(t, aws.ToString(gr.Role.AssumeRolePolicyDocument)); got != trustEC2 {
			t.Errorf("trust: got %s", got)
		}
	})
	t.Run("boundary removal", func(t *testing.T) {
		_, err := c.iam.DeleteRolePermissionsBoundary(cx, &iam.DeleteRolePermissionsBoundaryInput{RoleName: aws.String("node-1")})
		mustOK(t, err)
		gr, err := c.iam.GetRole(cx, &iam.GetRoleInput{RoleName: aws.String("node-1")})
		mustOK(t, err)
		if gr.Role.PermissionsBoundary != nil {
			t.Errorf("boundary still set: %+v", gr.Role.PermissionsBoundary)
		}
		_, err = c.iam.PutRolePermissionsBoundary(cx, &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String("node-1"), PermissionsBoundary: bp.Policy.Arn})
		mustOK(t, err)
	})
	t.Run("instance profile", func(t *testing.T) {
		_, err := c.iam.CreateInstanceProfile(cx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("node-1")})
		mustOK(t, err)
		_, err = c.iam.AddRoleToInstanceProfile(cx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("node-1"), RoleName: aws.String("node-1")})
		mustOK(t, err)
		lp, err := c.iam.ListInstanceProfilesForRole(cx, &iam.ListInstanceProfilesForRoleInput{RoleName: aws.String("node-1")})
		mustOK(t, err)
		if len(lp.InstanceProfiles) != 1 || len(lp.InstanceProfiles[0].Roles) != 1 {
			t.Fatalf("ListInstanceProfilesForRole: got %+v", lp.InstanceProfiles)
		}
	})
	t.Run("DeleteRole refuses while attached", func(t *testing.T) {
		_, err := c.iam.DeleteRole(cx, &iam.DeleteRoleInput{RoleName: aws.String("node-1")})
		if code, status := apiErr(t, err); code != "DeleteConflict" || status != 409 {
			t.Errorf("got %s/%d, want DeleteConflict/409", code, status)
		}
	})
	t.Run("teardown", func(t *testing.T) {
		steps := []func() error{
			func() error {
				_, err := c.iam.RemoveRoleFromInstanceProfile(cx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String("node-1"), RoleName: aws.String("node-1")})
				return err
			},
			func() error {
				_, err := c.iam.DeleteInstanceProfile(cx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String("node-1")})
				return err
			},
			func() error {
				_, err := c.iam.DetachRolePolicy(cx, &iam.DetachRolePolicyInput{RoleName: aws.String("node-1"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")})
				return err
			},
			func() error {
				_, err := c.iam.DeleteRolePolicy(cx, &iam.DeleteRolePolicyInput{RoleName: aws.String("node-1"), PolicyName: aws.String("read")})
				return err
			},
			func() error {
				_, err := c.iam.DeleteRole(cx, &iam.DeleteRoleInput{RoleName: aws.String("node-1")})
				return err
			},
			func() error {
				_, err := c.iam.DeletePolicy(cx, &iam.DeletePolicyInput{PolicyArn: bp.Policy.Arn})
				return err
			},
		}
		for i, step := range steps {
			if err := step(); err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
		}
		lr, err := c.iam.ListRoles(cx, &iam.ListRolesInput{})
		mustOK(t, err)
		if len(lr.Roles) != 0 {
			t.Errorf("roles left: %d", len(lr.Roles))
		}
	})
	if n := len(s.MutatingCalls()); n == 0 {
		t.Errorf("no mutating calls logged")
	}
}

func TestPolicyVersions(t *testing.T) {
	_, c, _ := start(t, Options{})
	cx := ctx(t)
	p, err := c.iam.CreatePolicy(cx, &iam.CreatePolicyInput{PolicyName: aws.String("p"), PolicyDocument: aws.String(readS3)})
	mustOK(t, err)
	arn := p.Policy.Arn
	for i := 2; i <= 5; i++ {
		_, err := c.iam.CreatePolicyVersion(cx, &iam.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: aws.String(readS3), SetAsDefault: i == 5})
		mustOK(t, err)
	}
	tests := []struct {
		name       string
		call       func() error
		wantCode   string
		wantStatus int
	}{
		{"sixth version exceeds the limit", func() error {
			_, err := c.iam.CreatePolicyVersion(cx, &iam.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: aws.String(readS3)})
			return err
		}, "LimitExceeded", 409},
		{"default version cannot be deleted", func() error {
			_, err := c.iam.DeletePolicyVersion(cx, &iam.DeletePolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v5")})
			return err
		}, "DeleteConflict", 409},
		{"unknown version", func() error {
			_, err := c.iam.GetPolicyVersion(cx, &iam.GetPolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v9")})
			return err
		}, "NoSuchEntity", 404},
		{"policy with versions cannot be deleted", func() error {
			_, err := c.iam.DeletePolicy(cx, &iam.DeletePolicyInput{PolicyArn: arn})
			return err
		}, "DeleteConflict", 409},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, status := apiErr(t, tt.call())
			if code != tt.wantCode || status != tt.wantStatus {
				t.Errorf("got %s/%d, want %s/%d", code, status, tt.wantCode, tt.wantStatus)
			}
		})
	}
	t.Run("versions listed newest first with the default marked", func(t *testing.T) {
		lv, err := c.iam.ListPolicyVersions(cx, &iam.ListPolicyVersionsInput{PolicyArn: arn})
		mustOK(t, err)
		if len(lv.Versions) != 5 || aws.ToString(lv.Versions[0].VersionId) != "v5" || !lv.Versions[0].IsDefaultVersion {
			t.Fatalf("versions: got %+v", lv.Versions)
		}
	})
	t.Run("SetDefaultPolicyVersion and GetPolicyVersion", func(t *testing.T) {
		_, err := c.iam.SetDefaultPolicyVersion(cx, &iam.SetDefaultPolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v2")})
		mustOK(t, err)
		_, err = c.iam.DeletePolicyVersion(cx, &iam.DeletePolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v5")})
		mustOK(t, err)
		gv, err := c.iam.GetPolicyVersion(cx, &iam.GetPolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v2")})
		mustOK(t, err)
		if !gv.PolicyVersion.IsDefaultVersion || decodeDoc(t, aws.ToString(gv.PolicyVersion.Document)) != readS3 {
			t.Errorf("GetPolicyVersion: got %+v", gv.PolicyVersion)
		}
		gp, err := c.iam.GetPolicy(cx, &iam.GetPolicyInput{PolicyArn: arn})
		mustOK(t, err)
		if got := aws.ToString(gp.Policy.DefaultVersionId); got != "v2" {
			t.Errorf("DefaultVersionId: got %s, want v2", got)
		}
	})
	t.Run("ListPolicies Local scope hides AWS managed policies", func(t *testing.T) {
		lp, err := c.iam.ListPolicies(cx, &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal})
		mustOK(t, err)
		if len(lp.Policies) != 1 || aws.ToString(lp.Policies[0].PolicyName) != "p" {
			t.Errorf("policies: got %d", len(lp.Policies))
		}
	})
}

func TestUsersAndAccessKeys(t *testing.T) {
	s, c, _ := start(t, Options{})
	cx := ctx(t)
	_, err := c.iam.CreateUser(cx, &iam.CreateUserInput{UserName: aws.String("alice")})
	mustOK(t, err)
	k, err := c.iam.CreateAccessKey(cx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
	mustOK(t, err)
	if id := aws.ToString(k.AccessKey.AccessKeyId); len(id) != 20 || id[:4] != "AKIA" || len(aws.ToString(k.AccessKey.SecretAccessKey)) != 40 {
		t.Fatalf("access key: got %+v", k.AccessKey)
	}
	alice := newClients(s.URL(), Credentials{AccessKeyID: aws.ToString(k.AccessKey.AccessKeyId), SecretAccessKey: aws.ToString(k.AccessKey.SecretAccessKey)}, 1)
	id, err := alice.sts.GetCallerIdentity(cx, nil)
	mustOK(t, err)
	if got := aws.ToString(id.Arn); got != "arn:aws:iam::123456789012:user/alice" {
		t.Errorf("caller: got %s", got)
	}
	lu, err := c.iam.ListUsers(cx, &iam.ListUsersInput{})
	mustOK(t, err)
	if len(lu.Users) != 2 {
		t.Errorf("users: got %d, want admin and alice", len(lu.Users))
	}
	lk, err := c.iam.ListAccessKeys(cx, &iam.ListAccessKeysInput{UserName: aws.String("alice")})
	mustOK(t, err)
	if len(lk.AccessKeyMetadata) != 1 {
		t.Errorf("keys: got %d", len(lk.AccessKeyMetadata))
	}
	_, err = c.iam.DeleteUser(cx, &iam.DeleteUserInput{UserName: aws.String("alice")})
	if code, _ := apiErr(t, err); code != "DeleteConflict" {
		t.Errorf("DeleteUser with keys: got %s, want DeleteConflict", code)
	}
	_, err = c.iam.DeleteAccessKey(cx, &iam.DeleteAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: k.AccessKey.AccessKeyId})
	mustOK(t, err)
	_, err = c.iam.DeleteUser(cx, &iam.DeleteUserInput{UserName: aws.String("alice")})
	mustOK(t, err)
	_, err = alice.sts.GetCallerIdentity(cx, nil)
	if code, status := apiErr(t, err); code != "InvalidClientTokenId" || status != 403 {
		t.Errorf("deleted key: got %s/%d, want InvalidClientTokenId/403", code, status)
	}
}

func TestAddUser(t *testing.T) {
	s, c, _ := start(t, Options{Authorize: true})
	creds, err := s.AddUser(UserSpec{Name: "auditor", Attached: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}, Tags: map[string]string{"team": "audit"}})
	mustOK(t, err)
	aud := newClients(s.URL(), creds, 1)
	cx := ctx(t)
	_, err = aud.iam.GetAccountAuthorizationDetails(cx, &iam.GetAccountAuthorizationDetailsInput{})
	mustOK(t, err)
	_, err = aud.iam.CreateRole(cx, &iam.CreateRoleInput{RoleName: aws.String("x"), AssumeRolePolicyDocument: aws.String(trustEC2)})
	if code, _ := apiErr(t, err); code != "AccessDenied" {
		t.Errorf("auditor CreateRole: got %s, want AccessDenied", code)
	}
	tests := []struct {
		name string
		spec UserSpec
	}{
		{"duplicate", UserSpec{Name: "auditor"}},
		{"unknown policy", UserSpec{Name: "u2", Attached: []string{"arn:aws:iam::123456789012:policy/none"}}},
		{"malformed inline", UserSpec{Name: "u3", Inline: map[string]string{"p": "{"}}},
		{"bad name", UserSpec{Name: "a b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.AddUser(tt.spec); err == nil {
				t.Error("got nil error")
			}
		})
	}
	lu, err := c.iam.ListUsers(cx, &iam.ListUsersInput{})
	mustOK(t, err)
	if len(lu.Users) != 2 {
		t.Errorf("users: got %d, want 2", len(lu.Users))
	}
}
