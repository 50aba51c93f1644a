package provision

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pvaudit/pvaudit/contract"
)

// Build returns the desired state of a contract with these parameters: a
// contract with PAR roles gives the PAR task and execution roles; one with
// a cross-account role gives that role and, per node, the boundary policy
// and the ECS and Lambda processor roles.
func Build(c *contract.Contract, p Params) (*Desired, error) {
	var d *Desired
	var err error
	switch {
	case c.PAR != nil:
		d, err = buildPAR(c, p)
	case c.CrossAccountRole.NamePattern != "":
		d, err = buildPennsieve(c, p)
	default:
		return nil, fmt.Errorf("contract %q describes neither a cross-account role nor PAR roles: nothing to provision", c.Name)
	}
	if err != nil {
		return nil, err
	}
	d.sort()
	if d.Network, err = buildNetwork(c, p, d); err != nil {
		return nil, err
	}
	if err := checkQuotas(d); err != nil {
		return nil, err
	}
	return d, nil
}

// The names pvaudit gives node resources. Child roles live in the node's
// namespace pennsieve-<node>-*, which the cross-account role's IAM grants
// are scoped to.
func nodeNamespace(node string) string { return "pennsieve-" + node + "-" }

func processorRoleName(node, kind string) string { return nodeNamespace(node) + "processor-" + kind }

// crossAccountName is Pennsieve-Compute-{env}-{id} from the contract's
// name template.
func crossAccountName(c *contract.Contract, p Params) (string, error) {
	tmpl := c.CrossAccountRole.NameTemplate
	if tmpl == "" {
		tmpl = "Pennsieve-Compute-{env}-*"
	}
	name, err := contract.Expand(tmpl, map[string]string{"env": p.Env})
	if err != nil {
		return "", fmt.Errorf("cross-account role name: %w", err)
	}
	name = strings.Replace(name, "*", p.RoleID, 1)
	if !c.IsCrossAccountRole(name) {
		return "", paramErr("cross-account role name %s does not match the contract's %s", name, c.CrossAccountRole.NamePattern)
	}
	return name, nil
}

// crossAccountPattern covers every cross-account role of the contract
// (every environment): what the role may never change.
func crossAccountPattern(c *contract.Contract, account string) string {
	tmpl := c.CrossAccountRole.NameTemplate
	if i := strings.IndexAny(tmpl, "{*"); i > 0 {
		tmpl = tmpl[:i]
	} else {
		tmpl = "Pennsieve-Compute-"
	}
	return "arn:aws:iam::" + account + ":role/" + tmpl + "*"
}

func boundaryName(c *contract.Contract, node string) string {
	return strings.Replace(c.Boundary.NamePattern, "*", node, 1)
}

func buildPennsieve(c *contract.Contract, p Params) (*Desired, error) {
	if err := p.validatePennsieve(c.CrossAccountRole.RequireExternalID); err != nil {
		return nil, err
	}
	if c.Boundary.NamePattern == "" {
		return nil, fmt.Errorf("contract %q has no boundary name pattern: child roles cannot be capped", c.Name)
	}
	d := &Desired{Contract: c.Name, Account: p.Account}
	name, err := crossAccountName(c, p)
	if err != nil {
		return nil, err
	}
	xa, err := crossAccountRole(c, p, name)
	if err != nil {
		return nil, err
	}
	d.Roles = append(d.Roles, xa)
	for _, n := range p.Nodes {
		b, err := boundaryPolicy(c, p, n)
		if err != nil {
			return nil, err
		}
		d.Policies = append(d.Policies, b)
		for _, kind := range []string{"ecs", "lambda"} {
			r, err := processorRole(c, p, n, kind, b.ARN)
			if err != nil {
				return nil, err
			}
			d.Roles = append(d.Roles, r)
		}
	}
	return d, nil
}

func crossAccountRole(c *contract.Contract, p Params, name string) (Role, error) {
	var principals []string
	for _, t := range c.CrossAccountRole.TrustedPrincipals {
		v, err := contract.Expand(t, c.Parameters.Vars(map[string]string{"provisioner_account_id": p.ProvisionerAccount, "account_id": p.Account}))
		if err != nil {
			return Role{}, fmt.Errorf("trusted principal: %w", err)
		}
		principals = append(principals, v)
	}
	if len(principals) == 0 {
		principals = []string{"arn:aws:iam::" + p.ProvisionerAccount + ":root"}
	}
	// Only sts:AssumeRole: no sts:TagSession, so the provider cannot
	// choose session tags (aws:PrincipalTag) or a source identity.
	st := stmt{Sid: "PennsieveProvisioner", Effect: "Allow", Principal: map[string]any{"AWS": one(principals)}, Action: "sts:AssumeRole"}
	if c.CrossAccountRole.RequireExternalID {
		st = st.when("StringEquals", "sts:ExternalId", p.ExternalID)
	}
	trust, err := document(st)
	if err != nil {
		return Role{}, err
	}
	inline, err := crossAccountPolicy(c, p)
	if err != nil {
		return Role{}, err
	}
	maxSession := c.CrossAccountRole.MaxSessionDuration
	if maxSession == 0 || maxSession > 3600 {
		maxSession = 3600
	}
	return Role{
		Name: name, Path: "/", Component: CompCrossAccount, Trust: trust, MaxSessionDuration: maxSession,
		Inline: []Inline{{Name: "PennsieveComputeAccess", Doc: inline}},
		Tags:   managedTags(p.manager(), CompCrossAccount, ""),
	}, nil
}

// services keeps the actions whose service the contract documents.
func services(c *contract.Contract, actions ...string) []string {
	var out []string
	for _, a := range actions {
		svc, _, _ := strings.Cut(a, ":")
		if _, ok := c.AllowsService(svc); ok {
			out = append(out, a)
		}
	}
	return out
}

// passedToServices are the services node roles may be passed to.
func passedToServices(c *contract.Contract) []string {
	s := slices.Clone(c.ChildRoles.TrustedServices)
	if len(s) == 0 {
		s = []string{"ecs-tasks.amazonaws.com", "lambda.amazonaws.com", "states.amazonaws.com", "ec2.amazonaws.com"}
	}
	return s
}

// crossAccountPolicy is the cross-account role's inline policy: the
// documented services, IAM only in the nodes' namespaces with the node's
// own boundary, and the deny rules — the document's three and the
// hardening the escalation checks demand (see the README, "Provisioning").
func crossAccountPolicy(c *contract.Contract, p Params) (Doc, error) {
	a := p.Account
	var roles, profiles, boundaries []string
	for _, n := range p.Nodes {
		roles = append(roles, "arn:aws:iam::"+a+":role/"+nodeNamespace(n.ID)+"*")
		profiles = append(profiles, "arn:aws:iam::"+a+":instance-profile/"+nodeNamespace(n.ID)+"*")
		boundaries = append(boundaries, "arn:aws:iam::"+a+":policy/"+boundaryName(c, n.ID))
	}
	sts := []stmt{}
	add := func(s stmt) {
		if acts, ok := s.Action.([]string); ok && len(acts) == 0 {
			return
		}
		sts = append(sts, s)
	}
	add(allow("DeployDocumentedServices", services(c, "ecs:*", "lambda:*", "elasticfilesystem:*", "s3:*", "ec2:*", "logs:*", "kms:*", "autoscaling:*", "application-autoscaling:*"), "*"))
	// States, secrets and tables by the provider's names: starting a
	// customer's state machine runs it as the customer's role.
	add(allow("ProviderNamedResources", services(c, "states:*", "secretsmanager:*", "dynamodb:*"), []string{
		"arn:aws:states:*:" + a + ":stateMachine:pennsieve-*",
		"arn:aws:states:*:" + a + ":execution:pennsieve-*",
		"arn:aws:states:*:" + a + ":activity:pennsieve-*",
		"arn:aws:secretsmanager:*:" + a + ":secret:pennsieve-*",
		"arn:aws:dynamodb:*:" + a + ":table/pennsieve-*",
	}))
	add(allow("ProviderParameters", services(c, "ssm:*Parameter*", "ssm:AddTagsToResource", "ssm:RemoveTagsFromResource", "ssm:ListTagsForResource"),
		"arn:aws:ssm:*:"+a+":parameter/pennsieve/*"))
	add(allow("ListAndDescribe", services(c, "states:List*", "secretsmanager:ListSecrets", "secretsmanager:GetRandomPassword",
		"dynamodb:List*", "dynamodb:DescribeLimits", "dynamodb:DescribeEndpoints", "ssm:DescribeParameters"), "*"))
	if len(p.Nodes) > 0 {
		add(allow("ManageNodeRoles", []string{"iam:DeleteRole", "iam:GetRole", "iam:ListRoleTags", "iam:TagRole", "iam:UntagRole",
			"iam:UpdateRole", "iam:UpdateRoleDescription", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:DeleteRolePolicy",
			"iam:ListAttachedRolePolicies", "iam:DetachRolePolicy", "iam:ListInstanceProfilesForRole"}, roles))
		add(allow("ManageNodeInstanceProfiles", []string{"iam:CreateInstanceProfile", "iam:DeleteInstanceProfile", "iam:GetInstanceProfile",
			"iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile"}, profiles))
		// Per node: a role of node N is created, re-bounded, and given
		// policies only while it carries N's own boundary (a role of node A
		// cannot be moved to node B's boundary).
		for _, n := range p.Nodes {
			add(allow("Node"+n.ID, []string{"iam:CreateRole", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy", "iam:AttachRolePolicy"},
				"arn:aws:iam::"+a+":role/"+nodeNamespace(n.ID)+"*").
				when("StringEquals", "iam:PermissionsBoundary", "arn:aws:iam::"+a+":policy/"+boundaryName(c, n.ID)))
		}
		add(allow("PassNodeRoles", "iam:PassRole", roles).when("StringEquals", "iam:PassedToService", passedToServices(c)))
	}
	// "Must attach boundary on role creation", pinned to the existing node
	// boundaries' exact ARNs; with no node, no role can be created.
	createDeny := deny("DenyCreateRoleWithoutBoundary", []string{"iam:CreateRole", "iam:PutRolePermissionsBoundary"}, "*")
	if len(boundaries) > 0 {
		createDeny = createDeny.when("StringNotEquals", "iam:PermissionsBoundary", boundaries)
	}
	add(createDeny)
	// "Cannot remove boundaries."
	add(deny("DenyBoundaryRemoval", "iam:DeleteRolePermissionsBoundary", "*"))
	// No managed policy may be created, edited or deleted: a boundary
	// deleted and re-created under its pinned name, or one written under a
	// new pennsieve-boundary-* name, would be a ceiling of the provider's
	// choosing; a customer policy edited widens the customer's roles.
	add(deny("DenyManagedPolicyChanges", []string{"iam:CreatePolicy", "iam:DeletePolicy", "iam:CreatePolicyVersion", "iam:DeletePolicyVersion",
		"iam:SetDefaultPolicyVersion", "iam:TagPolicy", "iam:UntagPolicy"}, "*"))
	// IAM has no condition key on a trust document; rewriting one makes a
	// child role assumable from anywhere.
	add(deny("DenyTrustChanges", "iam:UpdateAssumeRolePolicy", "*"))
	// "Cannot modify itself" — any cross-account role of the contract.
	add(stmt{Sid: "DenySelfModification", Effect: "Deny",
		NotAction: []string{"iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies"},
		Resource:  crossAccountPattern(c, a)})
	// pvaudit's own management tags: set by no one but the account owner,
	// so that the provider cannot make pvaudit adopt (and later change or
	// delete) a resource.
	add(deny("DenyManagementTagChanges", []string{"iam:CreateRole", "iam:TagRole", "iam:UntagRole", "iam:CreateInstanceProfile",
		"iam:TagInstanceProfile", "iam:UntagInstanceProfile", "iam:CreatePolicy", "iam:TagPolicy", "iam:UntagPolicy"}, "*").
		when("ForAnyValue:StringLike", "aws:TagKeys", "pvaudit:*"))
	fns := providerFunctions(c, a)
	add(stmt{Sid: "DenyForeignFunctionChanges", Effect: "Deny", Action: []string{"lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration"},
		NotResource: one(fns)})
	sts = append(sts, commonDenies(p)...)
	add(deny("DenyUsersKeysAndAccount", []string{"iam:*User*", "iam:*AccessKey*", "iam:*LoginProfile*", "iam:*ServiceSpecificCredential*",
		"iam:*SSHPublicKey*", "iam:*SigningCertificate*", "iam:*ServerCertificate*", "iam:*Group*", "iam:*MFADevice*",
		"iam:*OpenIDConnectProvider*", "iam:*SAMLProvider*", "iam:*AccountAlias", "iam:*AccountPasswordPolicy",
		"iam:SetSecurityTokenServicePreferences", "aws-portal:*", "account:*", "billing:*", "payments:*", "invoicing:*", "tax:*",
		"purchase-orders:*", "consolidatedbilling:*", "cur:*", "organizations:*", "sts:*",
		"s3:PutAccountPublicAccessBlock", "ec2:*EbsEncryptionByDefault", "ec2:*EbsDefaultKmsKeyId", "ec2:*SerialConsoleAccess",
		"ec2:*ImageBlockPublicAccess", "ec2:*SnapshotBlockPublicAccess", "ec2:ModifyInstanceMetadataDefaults"}, "*"))
	// "Persist access beyond the temporary credential window": no
	// resource policy, ACL, grant or sharing that could let an account in
	// (PV-GRD-006); Lambda permissions for AWS services, KMS grants AWS
	// services make for their own use and IAM-authenticated function URLs
	// stay possible.
	add(deny("DenyResourceGrants", []string{"s3:PutBucketPolicy", "s3:PutBucketAcl", "s3:PutObjectAcl", "s3:PutObjectVersionAcl",
		"s3:PutAccessPointPolicy*", "s3:PutMultiRegionAccessPointPolicy", "s3:PutAccessGrantsInstanceResourcePolicy", "s3:CreateAccessGrant",
		"s3:PutBucketPublicAccessBlock", "s3:PutAccessPointPublicAccessBlock", "lambda:AddLayerVersionPermission", "lambda:PutResourcePolicy",
		"elasticfilesystem:PutFileSystemPolicy", "logs:PutResourcePolicy", "logs:PutDestinationPolicy", "kms:PutKeyPolicy",
		"secretsmanager:PutResourcePolicy", "dynamodb:PutResourcePolicy", "ec2:ModifySnapshotAttribute", "ec2:ModifyImageAttribute",
		"ec2:ModifyFpgaImageAttribute", "ec2:ModifyVpcEndpointServicePermissions", "ec2:CreateNetworkInterfacePermission",
		"ec2:PutResourcePolicy", "ssm:ModifyDocumentPermission", "ssm:PutResourcePolicy", "ecr:SetRepositoryPolicy",
		"ecr:PutRegistryPolicy", "sqs:AddPermission", "sqs:SetQueueAttributes", "sns:AddPermission", "sns:SetTopicAttributes"}, "*"))
	add(deny("DenyLambdaPermissionsForAccounts", []string{"lambda:AddPermission"}, "*").
		when("StringNotLike", "lambda:Principal", "*.amazonaws.com"))
	add(deny("DenyKmsGrantsForPrincipals", []string{"kms:CreateGrant"}, "*").
		when("BoolIfExists", "kms:GrantIsForAWSResource", "false"))
	add(deny("DenyPublicFunctionUrls", []string{"lambda:CreateFunctionUrlConfig", "lambda:UpdateFunctionUrlConfig"}, "*").
		when("StringNotEquals", "lambda:FunctionUrlAuthType", "AWS_IAM"))
	return document(sts...)
}

func providerFunctions(c *contract.Contract, account string) []string {
	var out []string
	for _, f := range c.ProviderResources.LambdaFunctions {
		if v, err := contract.Expand(f, map[string]string{"account_id": account}); err == nil {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		out = []string{"arn:aws:lambda:*:" + account + ":function:pennsieve-*"}
	}
	return out
}

// commonDenies hold for the cross-account role and every node role alike:
// no code run as a role outside the boundary, no resource policy or share
// that grants outside access, no other account's resources.
func commonDenies(p Params) []stmt {
	return []stmt{
		// User data, SSM commands and ECS Exec run code as the instance's or
		// task's role, which may be a customer role outside the boundary.
		deny("DenyCodeAsOtherRoles", []string{"ec2:ModifyInstanceAttribute", "ssm:SendCommand", "ssm:StartSession",
			"ssm:StartAutomationExecution", "ecs:ExecuteCommand"}, "*"),
		// A new version of a customer's launch template runs at the next
		// scale-out as the customer's instance profile.
		deny("DenyUntaggedLaunchTemplateChanges", []string{"ec2:CreateLaunchTemplateVersion", "ec2:ModifyLaunchTemplate"}, "*").
			when("Null", "aws:ResourceTag/"+TagComputeNode, "true"),
		// …and the tag that rule reads is set only on resources being
		// created, never added to an existing (customer) resource.
		deny("DenyProviderTagOnExistingResources", "ec2:CreateTags", "*").
			when("ForAnyValue:StringEquals", "aws:TagKeys", TagComputeNode).
			when("Null", "ec2:CreateAction", "true"),
		deny("DenyOutsideAccessGrants", []string{"s3:Put*Policy*", "s3:Delete*Policy*", "s3:Put*Acl", "s3:Put*PublicAccessBlock",
			"s3:PutBucketOwnershipControls", "s3:PutReplicationConfiguration", "lambda:AddPermission", "lambda:AddLayerVersionPermission",
			"lambda:*FunctionUrlConfig", "kms:PutKeyPolicy", "kms:ReplicateKey", "secretsmanager:*ResourcePolicy", "logs:PutResourcePolicy",
			"logs:PutDestination*", "logs:PutSubscriptionFilter", "logs:PutDelivery*", "elasticfilesystem:PutFileSystemPolicy",
			"dynamodb:PutResourcePolicy", "ec2:ModifySnapshotAttribute", "ec2:ModifyImageAttribute", "ec2:*VpcPeeringConnection*",
			"ec2:*Vpn*", "ec2:*CustomerGateway*", "ec2:*TransitGateway*", "ec2:ModifyVpcEndpointServicePermissions"}, "*"),
		// KMS grants only through an AWS service acting on a resource.
		deny("DenyDirectKMSGrants", "kms:CreateGrant", "*").when("BoolIfExists", "kms:GrantIsForAWSResource", "false"),
		// "Cannot access resources in other AWS accounts."
		deny("DenyOtherAccounts", []string{"s3:*", "lambda:*", "kms:*", "secretsmanager:*", "dynamodb:*", "states:*", "ecs:*", "logs:*",
			"elasticfilesystem:*", "ssm:*", "autoscaling:*", "application-autoscaling:*", "sts:*", "iam:*"}, "*").
			when("StringNotEquals", "aws:ResourceAccount", p.Account).when("Null", "aws:ResourceAccount", "false"),
		// The provisioner's own account, by ARN: no condition key involved.
		deny("DenyProvisionerAccount", "*", "arn:aws:*:*:"+p.ProvisionerAccount+":*"),
	}
}
