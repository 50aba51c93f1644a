package awsfake

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

func TestFailWrite(t *testing.T) {
	t.Parallel()
	s, c, _ := start(t, Options{})
	cx := ctx(t)
	s.SetFaults(Faults{FailWrite: 3})
	var codes []string
	for i := range 5 {
		_, err := c.iam.CreatePolicy(cx, &iam.CreatePolicyInput{PolicyName: aws.String("p" + string(rune('a'+i))), PolicyDocument: aws.String(readS3)})
		code := ""
		if err != nil {
			code, _ = apiErr(t, err)
		}
		codes = append(codes, code)
		// Reads are not writes: they do not move the count.
		_, err = c.iam.ListPolicies(cx, &iam.ListPoliciesInput{})
		mustOK(t, err)
	}
	if got, want := strings.Join(codes, ","), ",,AccessDenied,,"; got != want {
		t.Errorf("error codes of five writes: got %q, want %q (only the third fails, once)", got, want)
	}
	if _, err := c.iam.GetPolicy(cx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::123456789012:policy/pc")}); err == nil {
		t.Error("the failed CreatePolicy created the policy")
	}

	t.Run("kind", func(t *testing.T) {
		s.SetFaults(Faults{FailWrite: 1, FailWriteKind: FaultServiceFailure})
		one := newClients(s.URL(), s.AdminCredentials(), 1)
		_, err := one.iam.CreatePolicy(cx, &iam.CreatePolicyInput{PolicyName: aws.String("px"), PolicyDocument: aws.String(readS3)})
		if code, status := apiErr(t, err); code != "ServiceFailure" || status != 500 {
			t.Errorf("got %s %d, want ServiceFailure 500", code, status)
		}
	})
}

func TestInvisibleFor(t *testing.T) {
	t.Parallel()
	s, c, _ := start(t, Options{Faults: Faults{InvisibleFor: 2}})
	cx := ctx(t)
	_, err := c.iam.CreatePolicy(cx, &iam.CreatePolicyInput{PolicyName: aws.String("b"), PolicyDocument: aws.String(readS3)})
	mustOK(t, err)
	arn := "arn:aws:iam::123456789012:policy/b"
	one := newClients(s.URL(), s.AdminCredentials(), 1)
	create := func() error {
		_, err := one.iam.CreateRole(cx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trustEC2), PermissionsBoundary: aws.String(arn)})
		return err
	}
	for i := range 2 {
		if code, _ := apiErr(t, create()); code != "NoSuchEntity" {
			t.Fatalf("CreateRole with a policy created just before, try %d: %s, want NoSuchEntity", i+1, code)
		}
	}
	mustOK(t, create())
	put := func() error {
		_, err := one.iam.PutRolePolicy(cx, &iam.PutRolePolicyInput{RoleName: aws.String("r"), PolicyName: aws.String("p"), PolicyDocument: aws.String(readS3)})
		return err
	}
	for i := range 2 {
		if code, _ := apiErr(t, put()); code != "NoSuchEntity" {
			t.Fatalf("PutRolePolicy on a role created just before, try %d: %s, want NoSuchEntity", i+1, code)
		}
	}
	mustOK(t, put())

	t.Run("strongly consistent by default", func(t *testing.T) {
		_, c2, _ := start(t, Options{})
		_, err := c2.iam.CreateRole(cx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trustEC2)})
		mustOK(t, err)
		_, err = c2.iam.PutRolePolicy(cx, &iam.PutRolePolicyInput{RoleName: aws.String("r"), PolicyName: aws.String("p"), PolicyDocument: aws.String(readS3)})
		mustOK(t, err)
	})
}

func TestPolicyTags(t *testing.T) {
	t.Parallel()
	_, c, _ := start(t, Options{})
	cx := ctx(t)
	_, err := c.iam.CreatePolicy(cx, &iam.CreatePolicyInput{PolicyName: aws.String("b"), PolicyDocument: aws.String(readS3),
		Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}}})
	mustOK(t, err)
	arn := aws.String("arn:aws:iam::123456789012:policy/b")
	_, err = c.iam.TagPolicy(cx, &iam.TagPolicyInput{PolicyArn: arn, Tags: []types.Tag{{Key: aws.String("b"), Value: aws.String("2")}, {Key: aws.String("a"), Value: aws.String("3")}}})
	mustOK(t, err)
	_, err = c.iam.UntagPolicy(cx, &iam.UntagPolicyInput{PolicyArn: arn, TagKeys: []string{"b"}})
	mustOK(t, err)
	out, err := c.iam.ListPolicyTags(cx, &iam.ListPolicyTagsInput{PolicyArn: arn})
	mustOK(t, err)
	if len(out.Tags) != 1 || aws.ToString(out.Tags[0].Key) != "a" || aws.ToString(out.Tags[0].Value) != "3" {
		t.Errorf("tags: got %+v, want a=3", out.Tags)
	}
	_, err = c.iam.TagPolicy(cx, &iam.TagPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess"), Tags: []types.Tag{{Key: aws.String("x"), Value: aws.String("y")}}})
	if code, _ := apiErr(t, err); code != "AccessDenied" {
		t.Errorf("tagging an AWS managed policy: %s, want AccessDenied", code)
	}
}

func TestSizeQuotas(t *testing.T) {
	t.Parallel()
	_, c, _ := start(t, Options{})
	cx := ctx(t)
	big := func(n int) string {
		var res []string
		for i := range n {
			res = append(res, `"arn:aws:s3:::bucket-`+strings.Repeat("x", 40)+string(rune('a'+i%26))+`/*"`)
		}
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":[` + strings.Join(res, ",") + `]}]}`
	}
	_, err := c.iam.CreatePolicy(cx, &iam.CreatePolicyInput{PolicyName: aws.String("big"), PolicyDocument: aws.String(big(150))})
	if code, _ := apiErr(t, err); code != "LimitExceeded" {
		t.Errorf("a managed policy over 6,144 characters: %s, want LimitExceeded", code)
	}
	_, err = c.iam.CreateRole(cx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trustEC2)})
	mustOK(t, err)
	_, err = c.iam.PutRolePolicy(cx, &iam.PutRolePolicyInput{RoleName: aws.String("r"), PolicyName: aws.String("a"), PolicyDocument: aws.String(big(100))})
	mustOK(t, err)
	_, err = c.iam.PutRolePolicy(cx, &iam.PutRolePolicyInput{RoleName: aws.String("r"), PolicyName: aws.String("b"), PolicyDocument: aws.String(big(100))})
	if code, _ := apiErr(t, err); code != "LimitExceeded" {
		t.Errorf("inline policies over 10,240 characters together: %s, want LimitExceeded", code)
	}
	// Replacing a policy counts it once.
	_, err = c.iam.PutRolePolicy(cx, &iam.PutRolePolicyInput{RoleName: aws.String("r"), PolicyName: aws.String("a"), PolicyDocument: aws.String(big(110))})
	mustOK(t, err)
}

func TestAddAWSManagedPolicy(t *testing.T) {
	t.Parallel()
	s, c, _ := start(t, Options{})
	cx := ctx(t)
	const name = "AmazonECSTaskExecutionRolePolicy"
	mustOK(t, s.AddAWSManagedPolicy("/service-role/", name, readS3))
	if err := s.AddAWSManagedPolicy("/service-role/", name, readS3); err == nil {
		t.Error("adding it twice worked")
	}
	_, err := c.iam.CreateRole(cx, &iam.CreateRoleInput{RoleName: aws.String("exec"), AssumeRolePolicyDocument: aws.String(trustEC2)})
	mustOK(t, err)
	arn := "arn:aws:iam::aws:policy/service-role/" + name
	_, err = c.iam.AttachRolePolicy(cx, &iam.AttachRolePolicyInput{RoleName: aws.String("exec"), PolicyArn: aws.String(arn)})
	mustOK(t, err)
	out, err := c.iam.GetPolicy(cx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	mustOK(t, err)
	if aws.ToString(out.Policy.Path) != "/service-role/" || out.Policy.AttachmentCount == nil || *out.Policy.AttachmentCount != 1 {
		t.Errorf("policy: path %s, attachments %v", aws.ToString(out.Policy.Path), out.Policy.AttachmentCount)
	}
}

// TestAuthorizationUsesTheRolesBoundary: PutRolePolicy and AttachRolePolicy
// are decided with iam:PermissionsBoundary set to the target role's current
// boundary, and AttachRolePolicy with iam:PolicyARN.
func TestAuthorizationUsesTheRolesBoundary(t *testing.T) {
	t.Parallel()
	s, admin, _ := start(t, Options{})
	cx := ctx(t)
	for _, n := range []string{"bnd-a", "bnd-b"} {
		_, err := admin.iam.CreatePolicy(cx, &iam.CreatePolicyInput{PolicyName: aws.String(n), PolicyDocument: aws.String(readS3)})
		mustOK(t, err)
	}
	pol := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:PutRolePolicy","iam:AttachRolePolicy"],"Resource":"*",
	 "Condition":{"StringEquals":{"iam:PermissionsBoundary":"arn:aws:iam::123456789012:policy/bnd-a"},"ArnLike":{"iam:PolicyARN":"arn:aws:iam::aws:policy/ReadOnly*"}}},
	 {"Effect":"Allow","Action":"iam:PutRolePolicy","Resource":"*","Condition":{"StringEquals":{"iam:PermissionsBoundary":"arn:aws:iam::123456789012:policy/bnd-a"}}}]}`
	_, err := admin.iam.CreateRole(cx, &iam.CreateRoleInput{RoleName: aws.String("actor"), AssumeRolePolicyDocument: aws.String(trustAdminUser)})
	mustOK(t, err)
	_, err = admin.iam.PutRolePolicy(cx, &iam.PutRolePolicyInput{RoleName: aws.String("actor"), PolicyName: aws.String("p"), PolicyDocument: aws.String(pol)})
	mustOK(t, err)
	for _, r := range []struct{ name, boundary string }{{"in-a", "bnd-a"}, {"in-b", "bnd-b"}, {"none", ""}} {
		in := &iam.CreateRoleInput{RoleName: aws.String(r.name), AssumeRolePolicyDocument: aws.String(trustEC2)}
		if r.boundary != "" {
			in.PermissionsBoundary = aws.String("arn:aws:iam::123456789012:policy/" + r.boundary)
		}
		_, err := admin.iam.CreateRole(cx, in)
		mustOK(t, err)
	}
	s.SetAuthorize(true)
	actor := assume(t, s, admin, "actor", "actor-session")
	for _, tc := range []struct {
		name, role, attach string
		want               string
	}{
		{"put on a role with boundary a", "in-a", "", ""},
		{"put on a role with boundary b", "in-b", "", "AccessDenied"},
		{"put on a role without boundary", "none", "", "AccessDenied"},
		{"attach ReadOnlyAccess on boundary a", "in-a", "arn:aws:iam::aws:policy/ReadOnlyAccess", ""},
		{"attach AdministratorAccess on boundary a", "in-a", "arn:aws:iam::aws:policy/AdministratorAccess", "AccessDenied"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.attach != "" {
				_, err = actor.iam.AttachRolePolicy(cx, &iam.AttachRolePolicyInput{RoleName: aws.String(tc.role), PolicyArn: aws.String(tc.attach)})
			} else {
				_, err = actor.iam.PutRolePolicy(cx, &iam.PutRolePolicyInput{RoleName: aws.String(tc.role), PolicyName: aws.String("x"), PolicyDocument: aws.String(readS3)})
			}
			if tc.want == "" {
				mustOK(t, err)
				return
			}
			if code, _ := apiErr(t, err); code != tc.want {
				t.Errorf("got %s, want %s", code, tc.want)
			}
		})
	}
}
