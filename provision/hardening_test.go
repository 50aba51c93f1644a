package provision_test

import (
	"testing"

	"github.com/pvaudit/pvaudit/policy"
	"github.com/pvaudit/pvaudit/provision"
)

// Keys a caller chooses (its session name, session tags, the time it calls
// at): no decision below may depend on them.
var callerChosen = []map[string][]string{
	nil,
	{"aws:userid": {"AROAEXAMPLE:admin"}, "aws:PrincipalTag/team": {"security"}, "aws:CurrentTime": {"2000-01-01T00:00:00Z"}},
	{"aws:userid": {"*"}, "aws:PrincipalTag/pvaudit:managed-by": {"pvaudit-provision"}, "aws:CurrentTime": {"2099-12-31T23:59:59Z"}, "aws:SourceIp": {"10.0.0.1"}},
}

type probe struct {
	name     string
	action   string
	resource string
	ctx      map[string][]string
	allowed  bool
}

func decide(t *testing.T, set policy.PolicySet, principal string, probes []probe) {
	t.Helper()
	comp, err := policy.Compile(set)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range probes {
		for i, extra := range callerChosen {
			ctx := map[string][]string{}
			for k, v := range p.ctx {
				ctx[k] = v
			}
			for k, v := range extra {
				ctx[k] = v
			}
			res := comp.Evaluate(&policy.Request{Principal: principal, Action: p.action, Resource: p.resource, Context: ctx})
			if !res.Evaluable() {
				t.Errorf("%s (context %d): not evaluable: %v", p.name, i, res.Unevaluable)
				continue
			}
			if got := res.Decision == policy.Allow; got != p.allowed {
				t.Errorf("%s (context %d): allowed=%v, want %v (%v)", p.name, i, got, p.allowed, res.Matched)
			}
		}
	}
}

func TestCrossAccountHardening(t *testing.T) {
	t.Parallel()
	c := loadContract(t, "pennsieve")
	d, err := provision.Build(c, pennsieveParams())
	if err != nil {
		t.Fatal(err)
	}
	xa := d.Role("Pennsieve-Compute-prod-a3f1b20c")
	set := policy.PolicySet{Identity: []policy.NamedPolicy{{Name: "inline", Doc: xa.Inline[0].Doc.Document()}}}
	const a = "arn:aws:iam::" + testAccount + ":"
	bA, bB := a+"policy/pennsieve-boundary-7f3a9c21", a+"policy/pennsieve-boundary-b24e11d0"
	roleA := a + "role/pennsieve-7f3a9c21-worker"
	pb := func(arn string) map[string][]string { return map[string][]string{"iam:PermissionsBoundary": {arn}} }
	acct := func(id string) map[string][]string { return map[string][]string{"aws:ResourceAccount": {id}} }
	decide(t, set, a+"role/Pennsieve-Compute-prod-a3f1b20c", []probe{
		{"CreateRole in node A with A's boundary", "iam:CreateRole", roleA, pb(bA), true},
		{"CreateRole in node A with B's boundary", "iam:CreateRole", roleA, pb(bB), false},
		{"CreateRole in node A without boundary", "iam:CreateRole", roleA, nil, false},
		{"CreateRole outside the node namespaces", "iam:CreateRole", a + "role/customer-admin", pb(bA), false},
		{"CreateRole with a path that looks like a namespace", "iam:CreateRole", a + "role/pennsieve-ffffffff-x/admin", pb(bA), false},
		{"CreateRole with a new pennsieve-boundary-*", "iam:CreateRole", roleA, pb(a + "policy/pennsieve-boundary-7f3a9c21x"), false},
		{"CreateRole with another account's boundary", "iam:CreateRole", roleA, pb("arn:aws:iam::" + testProvisioner + ":policy/pennsieve-boundary-7f3a9c21"), false},
		{"PutRolePermissionsBoundary to another node's boundary", "iam:PutRolePermissionsBoundary", roleA, pb(bB), false},
		{"PutRolePolicy on a role carrying B's boundary in A's namespace", "iam:PutRolePolicy", roleA, pb(bB), false},
		{"PutRolePolicy on a bounded node role", "iam:PutRolePolicy", roleA, pb(bA), true},
		{"AttachRolePolicy on an unbounded role", "iam:AttachRolePolicy", roleA, map[string][]string{"iam:PolicyARN": {"arn:aws:iam::aws:policy/AdministratorAccess"}}, false},
		{"DeleteRolePermissionsBoundary", "iam:DeleteRolePermissionsBoundary", roleA, pb(bA), false},
		{"CreatePolicy of a new boundary name", "iam:CreatePolicy", a + "policy/pennsieve-boundary-new", nil, false},
		{"DeletePolicy of a boundary (to re-create it)", "iam:DeletePolicy", bA, nil, false},
		{"CreatePolicyVersion of a boundary", "iam:CreatePolicyVersion", bA, nil, false},
		{"SetDefaultPolicyVersion of a boundary", "iam:SetDefaultPolicyVersion", bA, nil, false},
		{"CreatePolicyVersion of a customer policy", "iam:CreatePolicyVersion", a + "policy/customer", nil, false},
		{"UpdateAssumeRolePolicy of a child role", "iam:UpdateAssumeRolePolicy", roleA, nil, false},
		{"TagRole with a pvaudit tag", "iam:TagRole", roleA, map[string][]string{"aws:TagKeys": {"team", "pvaudit:managed-by"}}, false},
		{"TagRole with another tag", "iam:TagRole", roleA, map[string][]string{"aws:TagKeys": {"team"}}, true},
		{"PutRolePolicy on itself", "iam:PutRolePolicy", a + "role/Pennsieve-Compute-prod-a3f1b20c", nil, false},
		{"UpdateRole on itself", "iam:UpdateRole", a + "role/Pennsieve-Compute-prod-a3f1b20c", nil, false},
		{"PutRolePolicy on another environment's cross-account role", "iam:PutRolePolicy", a + "role/Pennsieve-Compute-dev-00000000", pb(bA), false},
		{"PassRole of a node role to Lambda", "iam:PassRole", roleA, map[string][]string{"iam:PassedToService": {"lambda.amazonaws.com"}}, true},
		{"PassRole of a node role to SageMaker", "iam:PassRole", roleA, map[string][]string{"iam:PassedToService": {"sagemaker.amazonaws.com"}}, false},
		{"PassRole of a customer role", "iam:PassRole", a + "role/customer-admin", map[string][]string{"iam:PassedToService": {"lambda.amazonaws.com"}}, false},
		{"PassRole of itself", "iam:PassRole", a + "role/Pennsieve-Compute-prod-a3f1b20c", map[string][]string{"iam:PassedToService": {"ec2.amazonaws.com"}}, false},
		{"CreateUser", "iam:CreateUser", a + "user/x", nil, false},
		{"CreateAccessKey", "iam:CreateAccessKey", a + "user/admin", nil, false},
		{"CreateLoginProfile", "iam:CreateLoginProfile", a + "user/admin", nil, false},
		{"CreateOpenIDConnectProvider", "iam:CreateOpenIDConnectProvider", a + "oidc-provider/x", nil, false},
		{"CreateServiceLinkedRole", "iam:CreateServiceLinkedRole", a + "role/aws-service-role/x", nil, false},
		{"AssumeRole of a child role (chaining)", "sts:AssumeRole", roleA, nil, false},
		{"s3:PutBucketPolicy", "s3:PutBucketPolicy", "arn:aws:s3:::pennsieve-7f3a9c21-workflow", acct(testAccount), false},
		{"s3:PutBucketAcl", "s3:PutBucketAcl", "arn:aws:s3:::b", acct(testAccount), false},
		{"s3:PutReplicationConfiguration", "s3:PutReplicationConfiguration", "arn:aws:s3:::b", acct(testAccount), false},
		{"lambda:AddPermission", "lambda:AddPermission", "arn:aws:lambda:us-east-1:" + testAccount + ":function:pennsieve-x", acct(testAccount), false},
		{"lambda:CreateFunctionUrlConfig", "lambda:CreateFunctionUrlConfig", "arn:aws:lambda:us-east-1:" + testAccount + ":function:pennsieve-x", acct(testAccount), false},
		{"kms:PutKeyPolicy", "kms:PutKeyPolicy", "arn:aws:kms:us-east-1:" + testAccount + ":key/k", acct(testAccount), false},
		{"kms:CreateGrant directly", "kms:CreateGrant", "arn:aws:kms:us-east-1:" + testAccount + ":key/k", acct(testAccount), false},
		{"kms:CreateGrant through a service", "kms:CreateGrant", "arn:aws:kms:us-east-1:" + testAccount + ":key/k",
			map[string][]string{"aws:ResourceAccount": {testAccount}, "kms:GrantIsForAWSResource": {"true"}}, true},
		{"secretsmanager:PutResourcePolicy", "secretsmanager:PutResourcePolicy", "arn:aws:secretsmanager:us-east-1:" + testAccount + ":secret:pennsieve-x", acct(testAccount), false},
		{"ec2:ModifySnapshotAttribute (share a snapshot)", "ec2:ModifySnapshotAttribute", "arn:aws:ec2:us-east-1::snapshot/snap-1", nil, false},
		{"ec2:CreateVpcPeeringConnection", "ec2:CreateVpcPeeringConnection", "arn:aws:ec2:us-east-1:" + testAccount + ":vpc/vpc-1", nil, false},
		{"ec2:ModifyInstanceAttribute (user data)", "ec2:ModifyInstanceAttribute", "arn:aws:ec2:us-east-1:" + testAccount + ":instance/i-1",
			map[string][]string{"aws:ResourceTag/pennsieve:compute-node": {"7f3a9c21"}}, false},
		{"ssm:SendCommand", "ssm:SendCommand", "arn:aws:ec2:us-east-1:" + testAccount + ":instance/i-1", nil, false},
		{"ecs:ExecuteCommand", "ecs:ExecuteCommand", "arn:aws:ecs:us-east-1:" + testAccount + ":task/c/t", acct(testAccount), false},
		{"a new version of a customer's launch template", "ec2:CreateLaunchTemplateVersion", "arn:aws:ec2:us-east-1:" + testAccount + ":launch-template/lt-1", nil, false},
		{"a new version of a provider launch template", "ec2:CreateLaunchTemplateVersion", "arn:aws:ec2:us-east-1:" + testAccount + ":launch-template/lt-2",
			map[string][]string{"aws:ResourceTag/pennsieve:compute-node": {"7f3a9c21"}}, true},
		{"tagging a customer's launch template as the provider's", "ec2:CreateTags", "arn:aws:ec2:us-east-1:" + testAccount + ":launch-template/lt-1",
			map[string][]string{"aws:TagKeys": {"pennsieve:compute-node"}}, false},
		{"tagging an instance it launches", "ec2:CreateTags", "arn:aws:ec2:us-east-1:" + testAccount + ":instance/i-2",
			map[string][]string{"aws:TagKeys": {"pennsieve:compute-node"}, "ec2:CreateAction": {"RunInstances"}}, true},
		{"UpdateFunctionCode of a customer function", "lambda:UpdateFunctionCode", "arn:aws:lambda:us-east-1:" + testAccount + ":function:billing", acct(testAccount), false},
		{"UpdateFunctionCode of a provider function", "lambda:UpdateFunctionCode", "arn:aws:lambda:us-east-1:" + testAccount + ":function:pennsieve-7f3a9c21-x", acct(testAccount), true},
		{"StartExecution of a customer state machine", "states:StartExecution", "arn:aws:states:us-east-1:" + testAccount + ":stateMachine:etl", acct(testAccount), false},
		{"StartExecution of a provider state machine", "states:StartExecution", "arn:aws:states:us-east-1:" + testAccount + ":stateMachine:pennsieve-7f3a9c21-wf", acct(testAccount), true},
		{"GetSecretValue of a customer secret", "secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:" + testAccount + ":secret:db-password-AbCdEf", acct(testAccount), false},
		{"InvokeFunction in the provisioner's account", "lambda:InvokeFunction", "arn:aws:lambda:us-east-1:" + testProvisioner + ":function:x", nil, false},
		{"RunInstances with the provisioner's AMI", "ec2:RunInstances", "arn:aws:ec2:us-east-1:" + testProvisioner + ":image/ami-1", nil, false},
		{"s3:GetObject in another account", "s3:GetObject", "arn:aws:s3:::foreign/x", acct("999999999999"), false},
		{"s3:GetObject in this account", "s3:GetObject", "arn:aws:s3:::pennsieve-7f3a9c21-workflow/x", acct(testAccount), true},
		{"ssm:GetParameter of a provider parameter", "ssm:GetParameter", "arn:aws:ssm:us-east-1:" + testAccount + ":parameter/pennsieve/7f3a9c21/budget", acct(testAccount), true},
		{"ssm:GetParameter of a customer parameter", "ssm:GetParameter", "arn:aws:ssm:us-east-1:" + testAccount + ":parameter/db/password", acct(testAccount), false},
		{"rds:CreateDBInstance", "rds:CreateDBInstance", "*", nil, false},
		{"organizations:LeaveOrganization", "organizations:LeaveOrganization", "*", nil, false},
	})
}

func TestBoundaryHardening(t *testing.T) {
	t.Parallel()
	c := loadContract(t, "pennsieve")
	d, err := provision.Build(c, pennsieveParams())
	if err != nil {
		t.Fatal(err)
	}
	b := d.Policy("pennsieve-boundary-7f3a9c21")
	star, err := policy.ParseString(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	// A node role the provider gave every permission: the boundary alone
	// decides.
	set := policy.PolicySet{Identity: []policy.NamedPolicy{{Name: "admin", Doc: star}}, Boundary: &policy.NamedPolicy{Name: b.Name, Doc: b.Doc.Document()}}
	const a = "arn:aws:iam::" + testAccount + ":"
	acct := map[string][]string{"aws:ResourceAccount": {testAccount}}
	decide(t, set, a+"role/pennsieve-7f3a9c21-worker", []probe{
		{"CreateRole", "iam:CreateRole", a + "role/pennsieve-7f3a9c21-x", map[string][]string{"iam:PermissionsBoundary": {b.ARN}}, false},
		{"PutRolePolicy on itself", "iam:PutRolePolicy", a + "role/pennsieve-7f3a9c21-worker", nil, false},
		{"CreatePolicyVersion of its boundary", "iam:CreatePolicyVersion", b.ARN, nil, false},
		{"CreateAccessKey", "iam:CreateAccessKey", a + "user/admin", nil, false},
		{"PassRole of another node's role", "iam:PassRole", a + "role/pennsieve-b24e11d0-x", map[string][]string{"iam:PassedToService": {"lambda.amazonaws.com"}}, false},
		{"PassRole of its node's role to ECS", "iam:PassRole", a + "role/pennsieve-7f3a9c21-x", map[string][]string{"iam:PassedToService": {"ecs-tasks.amazonaws.com"}}, true},
		{"another node's log group", "logs:PutLogEvents", "arn:aws:logs:us-east-1:" + testAccount + ":log-group:/pennsieve/b24e11d0/x:log-stream:y", acct, false},
		{"its node's log group", "logs:PutLogEvents", "arn:aws:logs:us-east-1:" + testAccount + ":log-group:/pennsieve/7f3a9c21/x:log-stream:y", acct, true},
		{"another node's function", "lambda:InvokeFunction", "arn:aws:lambda:us-east-1:" + testAccount + ":function:pennsieve-b24e11d0-llm-governor", acct, false},
		{"a customer bucket", "s3:GetObject", "arn:aws:s3:::customer-data/x", acct, false},
		{"the workflow bucket", "s3:GetObject", "arn:aws:s3:::pennsieve-7f3a9c21-workflow/x", acct, true},
		{"a bucket policy on the workflow bucket", "s3:PutBucketPolicy", "arn:aws:s3:::pennsieve-7f3a9c21-workflow", acct, false},
		{"ssm:SendCommand", "ssm:SendCommand", "arn:aws:ec2:us-east-1:" + testAccount + ":instance/i-1", nil, false},
		{"user data of an instance", "ec2:ModifyInstanceAttribute", "arn:aws:ec2:us-east-1:" + testAccount + ":instance/i-1", nil, false},
		{"a customer secret", "secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:" + testAccount + ":secret:db-AbCdEf", acct, false},
		{"rds", "rds:DescribeDBInstances", "*", nil, false},
		{"sts:AssumeRole", "sts:AssumeRole", a + "role/customer-admin", acct, false},
		{"the provisioner's account", "s3:GetObject", "arn:aws:s3:::x/y", map[string][]string{"aws:ResourceAccount": {testProvisioner}}, false},
	})
}
