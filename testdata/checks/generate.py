#!/usr/bin/env python3
"""Writes the per-check fixtures under testdata/checks/<ID>/ and the sample
accounts derived from compliant.json. Each fire-*.json is a small clean
account (mini_account / par_account) with one planted problem; each
quiet-*.json is the clean account, or a variant the check must accept.

Run from the repository root: python3 testdata/checks/generate.py
"""
import copy
import json
import os

ACCT = "481516234201"
PROV = "941377122013"
NODES = ["7f3a9c21", "b24e11d0"]


def boundary_arn(node, acct=ACCT):
    return f"arn:aws:iam::{acct}:policy/pennsieve-boundary-{node}"


def doc(*stmts):
    return {"Version": "2012-10-17", "Statement": list(stmts)}


def service_trust(svc, source=True):
    st = {"Effect": "Allow", "Principal": {"Service": svc}, "Action": "sts:AssumeRole"}
    if source:
        st["Condition"] = {"StringEquals": {"aws:SourceAccount": ACCT}}
    return doc(st)


def xa_trust():
    return doc({"Sid": "PennsieveProvisioner", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{PROV}:root"},
                "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "pn-ext-4c1d9e7a52"}}})


# The contract's forbidden user/key and account-settings families.
USER_AND_ACCOUNT_FAMILIES = ["iam:CreateUser", "iam:UpdateUser", "iam:*AccessKey*", "iam:*LoginProfile", "iam:ChangePassword", "iam:*ServiceSpecificCredential", "iam:*SSHPublicKey", "iam:*SigningCertificate", "iam:*MFADevice", "iam:AddUserToGroup", "iam:*UserPolicy", "iam:*UserPermissionsBoundary", "iam:CreateGroup", "iam:*GroupPolicy", "iam:*OpenIDConnectProvider*", "iam:*SAMLProvider", "sts:GetFederationToken", "aws-portal:*", "account:*", "billing:*", "payments:*", "invoicing:*", "tax:*", "purchase-orders:*", "consolidatedbilling:*", "cur:*", "organizations:*", "iam:*AccountPasswordPolicy", "iam:*AccountAlias", "iam:SetSecurityTokenServicePreferences", "s3:PutAccountPublicAccessBlock", "ec2:*EbsEncryptionByDefault", "ec2:*EbsDefaultKmsKeyId", "ec2:*SerialConsoleAccess", "ec2:*ImageBlockPublicAccess", "ec2:*SnapshotBlockPublicAccess", "ec2:ModifyInstanceMetadataDefaults"]

# The contract's resource-grant family (PV-GRD-006), but the three actions
# that are denied only for outside principals.
RESOURCE_GRANTS = ["s3:PutBucketPolicy", "s3:PutBucketAcl", "s3:PutObjectAcl", "s3:PutObjectVersionAcl", "s3:PutAccessPointPolicy*", "s3:PutMultiRegionAccessPointPolicy", "s3:PutAccessGrantsInstanceResourcePolicy", "s3:CreateAccessGrant", "s3:PutBucketPublicAccessBlock", "s3:PutAccessPointPublicAccessBlock", "lambda:AddLayerVersionPermission", "lambda:PutResourcePolicy", "elasticfilesystem:PutFileSystemPolicy", "logs:PutResourcePolicy", "logs:PutDestinationPolicy", "kms:PutKeyPolicy", "secretsmanager:PutResourcePolicy", "dynamodb:PutResourcePolicy", "ec2:ModifySnapshotAttribute", "ec2:ModifyImageAttribute", "ec2:ModifyFpgaImageAttribute", "ec2:ModifyVpcEndpointServicePermissions", "ec2:CreateNetworkInterfacePermission", "ec2:PutResourcePolicy", "ssm:ModifyDocumentPermission", "ssm:PutResourcePolicy", "ecr:SetRepositoryPolicy", "ecr:PutRegistryPolicy", "sqs:AddPermission", "sqs:SetQueueAttributes", "sns:AddPermission", "sns:SetTopicAttributes"]


def resource_grant_denies():
    return [
        {"Sid": "DenyResourceGrants", "Effect": "Deny", "Action": RESOURCE_GRANTS, "Resource": "*"},
        {"Sid": "DenyLambdaPermissionsForAccounts", "Effect": "Deny", "Action": "lambda:AddPermission", "Resource": "*",
         "Condition": {"StringNotLike": {"lambda:Principal": "*.amazonaws.com"}}},
        {"Sid": "DenyKmsGrantsForPrincipals", "Effect": "Deny", "Action": "kms:CreateGrant", "Resource": "*",
         "Condition": {"BoolIfExists": {"kms:GrantIsForAWSResource": "false"}}},
        {"Sid": "DenyPublicFunctionUrls", "Effect": "Deny", "Action": ["lambda:CreateFunctionUrlConfig", "lambda:UpdateFunctionUrlConfig"],
         "Resource": "*", "Condition": {"StringNotEquals": {"lambda:FunctionUrlAuthType": "AWS_IAM"}}},
    ]


def xa_policy(nodes=NODES):
    """The cross-account role's inline policy, hardened: the document's three
    deny rules, pinned boundaries, no boundary edits, scoped PassRole, no
    changes to resources that are not the provider's."""
    return doc(
        {"Sid": "DeployDocumentedServices", "Effect": "Allow",
         "Action": ["ecs:*", "lambda:*", "states:*", "elasticfilesystem:*", "s3:*", "ec2:*", "logs:*", "kms:*",
                    "secretsmanager:*", "dynamodb:*", "autoscaling:*", "application-autoscaling:*"],
         "Resource": "*"},
        {"Sid": "NodeParameters", "Effect": "Allow", "Action": "ssm:*",
         "Resource": f"arn:aws:ssm:*:{ACCT}:parameter/pennsieve/*"},
        {"Sid": "ManageNodeRoles", "Effect": "Allow",
         "Action": ["iam:CreateRole", "iam:DeleteRole", "iam:GetRole", "iam:ListRoles", "iam:TagRole", "iam:UntagRole",
                    "iam:DeleteRolePolicy", "iam:GetRolePolicy", "iam:ListRolePolicies",
                    "iam:DetachRolePolicy", "iam:ListAttachedRolePolicies",
                    "iam:PutRolePermissionsBoundary", "iam:CreateInstanceProfile", "iam:DeleteInstanceProfile",
                    "iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:GetInstanceProfile",
                    "iam:ListInstanceProfilesForRole"],
         "Resource": [f"arn:aws:iam::{ACCT}:role/pennsieve-*", f"arn:aws:iam::{ACCT}:instance-profile/pennsieve-*"]},
        {"Sid": "ManageNodeRolePolicies", "Effect": "Allow", "Action": ["iam:PutRolePolicy", "iam:AttachRolePolicy"],
         "Resource": f"arn:aws:iam::{ACCT}:role/pennsieve-*",
         "Condition": {"StringEquals": {"iam:PermissionsBoundary": [boundary_arn(n) for n in nodes]}}},
        {"Sid": "PassNodeRoles", "Effect": "Allow", "Action": "iam:PassRole",
         "Resource": f"arn:aws:iam::{ACCT}:role/pennsieve-*",
         "Condition": {"StringEquals": {"iam:PassedToService": ["ecs-tasks.amazonaws.com", "lambda.amazonaws.com",
                                                                "states.amazonaws.com", "ec2.amazonaws.com"]}}},
        {"Sid": "ManageBoundaryPolicies", "Effect": "Allow",
         "Action": ["iam:CreatePolicy", "iam:DeletePolicy", "iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions"],
         "Resource": f"arn:aws:iam::{ACCT}:policy/pennsieve-boundary-*"},
        {"Sid": "DenyCreateRoleWithoutBoundary", "Effect": "Deny",
         "Action": ["iam:CreateRole", "iam:PutRolePermissionsBoundary"], "Resource": "*",
         "Condition": {"StringNotEquals": {"iam:PermissionsBoundary": [boundary_arn(n) for n in nodes]}}},
        {"Sid": "DenyBoundaryRemoval", "Effect": "Deny", "Action": "iam:DeleteRolePermissionsBoundary", "Resource": "*"},
        {"Sid": "DenyBoundaryPolicyEdits", "Effect": "Deny",
         "Action": ["iam:CreatePolicyVersion", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion"],
         "Resource": f"arn:aws:iam::{ACCT}:policy/pennsieve-boundary-*"},
        {"Sid": "DenySelfModification", "Effect": "Deny",
         "NotAction": ["iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies"],
         "Resource": f"arn:aws:iam::{ACCT}:role/Pennsieve-Compute-*"},
        {"Sid": "DenyForeignFunctionChanges", "Effect": "Deny",
         "Action": ["lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration"],
         "NotResource": f"arn:aws:lambda:*:{ACCT}:function:pennsieve-*"},
        {"Sid": "DenyForeignInstanceChanges", "Effect": "Deny",
         "Action": ["ec2:ModifyInstanceAttribute", "ssm:SendCommand"], "Resource": "*",
         "Condition": {"Null": {"aws:ResourceTag/pennsieve:compute-node": "true"}}},
        {"Sid": "DenyOtherAccounts", "Effect": "Deny", "Action": "*",
         "NotResource": ["arn:aws:ec2:*::image/*", "arn:aws:ec2:*::snapshot/*"],
         "Condition": {"StringNotEquals": {"aws:ResourceAccount": ACCT}, "Null": {"aws:ResourceAccount": "false"}}},
        {"Sid": "DenyRecreatingPinnedBoundaries", "Effect": "Deny", "Action": "iam:CreatePolicy",
         "Resource": [boundary_arn(n) for n in nodes]},
        {"Sid": "DenyProviderTagOnExistingResources", "Effect": "Deny", "Action": ["ec2:CreateTags", "ec2:DeleteTags"],
         "Resource": "*", "Condition": {"ForAnyValue:StringEquals": {"aws:TagKeys": ["pennsieve:compute-node"]},
                                        "Null": {"ec2:CreateAction": "true"}}},
        {"Sid": "DenyUsersKeysAndAccount", "Effect": "Deny", "Action": USER_AND_ACCOUNT_FAMILIES, "Resource": "*"},
        *resource_grant_denies(),
    )


def boundary_doc(node):
    return doc(
        {"Sid": "AllowDocumentedServices", "Effect": "Allow",
         "Action": ["ecs:*", "lambda:*", "states:*", "elasticfilesystem:*", "s3:*", "ec2:*", "logs:*", "kms:*",
                    "secretsmanager:*", "dynamodb:*", "ssm:*", "autoscaling:*"], "Resource": "*"},
        {"Sid": "AllowPassRoleToServices", "Effect": "Allow", "Action": "iam:PassRole",
         "Resource": f"arn:aws:iam::{ACCT}:role/pennsieve-{node}-*",
         "Condition": {"StringEquals": {"iam:PassedToService": ["ecs-tasks.amazonaws.com", "lambda.amazonaws.com",
                                                                "states.amazonaws.com", "ec2.amazonaws.com"]}}},
        {"Sid": "AllowReadOwnRole", "Effect": "Allow", "Action": ["iam:GetRole", "iam:ListRoleTags"],
         "Resource": f"arn:aws:iam::{ACCT}:role/pennsieve-{node}-*"},
        {"Sid": "DenyIAMMutation", "Effect": "Deny",
         "Action": ["iam:Create*", "iam:Delete*", "iam:Put*", "iam:Attach*", "iam:Detach*", "iam:Update*", "iam:Add*",
                    "iam:Remove*", "iam:Set*", "iam:Tag*", "iam:Untag*"], "Resource": "*"},
    )


def processor_policy(node):
    return doc(
        {"Sid": "EFSReadWrite", "Effect": "Allow", "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
         "Resource": f"arn:aws:elasticfilesystem:us-east-1:{ACCT}:file-system/fs-0{node}"},
        {"Sid": "Logs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": f"arn:aws:logs:us-east-1:{ACCT}:log-group:/pennsieve/{node}/*"},
        {"Sid": "LLMGovernor", "Effect": "Allow", "Action": "lambda:InvokeFunction",
         "Resource": f"arn:aws:lambda:us-east-1:{ACCT}:function:pennsieve-{node}-llm-governor"},
    )


def role(name, trust, inline=None, attached=None, boundary=None, tags=None, path="/", max_session=3600):
    r = {
        "Path": path, "RoleName": name, "RoleId": "AROA" + (name.upper().replace("-", "") + "X" * 17)[:17],
        "Arn": f"arn:aws:iam::{ACCT}:role{path}{name}", "CreateDate": "2026-03-02T17:05:30Z",
        "AssumeRolePolicyDocument": copy.deepcopy(trust), "InstanceProfileList": [],
        "RolePolicyList": [{"PolicyName": k, "PolicyDocument": copy.deepcopy(v)} for k, v in (inline or {}).items()],
        "AttachedManagedPolicies": [{"PolicyName": a.rsplit("/", 1)[1], "PolicyArn": a} for a in (attached or [])],
        "Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()], "RoleLastUsed": {},
        "MaxSessionDuration": max_session,
    }
    if boundary:
        r["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": boundary}
    return r


def managed(name, versions, default="v1", arn=None, usage=1):
    arn = arn or f"arn:aws:iam::{ACCT}:policy/{name}"
    return {
        "PolicyName": name, "PolicyId": "ANPA" + (name.upper().replace("-", "") + "X" * 17)[:17], "Arn": arn,
        "Path": "/" if ":aws:policy/" not in arn else arn.split(":policy", 1)[1].rsplit("/", 1)[0] + "/",
        "DefaultVersionId": default, "AttachmentCount": 0, "PermissionsBoundaryUsageCount": usage,
        "IsAttachable": True, "CreateDate": "2026-03-02T17:05:30Z", "UpdateDate": "2026-03-02T17:05:30Z",
        "PolicyVersionList": [{"Document": copy.deepcopy(d), "VersionId": v, "IsDefaultVersion": v == default,
                               "CreateDate": "2026-03-02T17:05:30Z"} for v, d in versions],
    }


def node_tags(node):
    return {"pennsieve:compute-node": node, "managed-by": "terraform"}


def mini_account():
    """Two compute nodes, the cross-account role, clean under every check."""
    roles = [role("Pennsieve-Compute-prod-a3f1b20c", xa_trust(), {"PennsieveComputeAccess": xa_policy()},
                  tags={"pennsieve:account": "a3f1b20c"})]
    for n in NODES:
        b = boundary_arn(n)
        roles += [
            role(f"pennsieve-{n}-orchestrator", service_trust("lambda.amazonaws.com"), {"orchestrator": doc(
                {"Sid": "Logs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                 "Resource": f"arn:aws:logs:us-east-1:{ACCT}:log-group:/pennsieve/{n}/*"},
                {"Sid": "StartWorkflows", "Effect": "Allow", "Action": ["states:StartExecution", "states:DescribeExecution"],
                 "Resource": f"arn:aws:states:us-east-1:{ACCT}:stateMachine:pennsieve-{n}-*"})},
                 boundary=b, tags=node_tags(n)),
            role(f"pennsieve-{n}-processor-ecs", service_trust("ecs-tasks.amazonaws.com"), {"processor": processor_policy(n)},
                 boundary=b, tags=node_tags(n)),
            role(f"pennsieve-{n}-gpu-instance", service_trust("ec2.amazonaws.com", source=False), {"gpu": doc(
                {"Sid": "Logs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                 "Resource": f"arn:aws:logs:us-east-1:{ACCT}:log-group:/pennsieve/{n}/*"})},
                 boundary=b, tags=node_tags(n)),
        ]
    pols = [managed(f"pennsieve-boundary-{n}", [("v1", boundary_doc(n))], usage=3) for n in NODES]
    return {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": roles, "Policies": pols}


def find_role(acct, name):
    for r in acct["RoleDetailList"]:
        if r["RoleName"] == name:
            return r
    raise KeyError(name)


def find_policy(acct, name):
    for p in acct["Policies"]:
        if p["PolicyName"] == name:
            return p
    raise KeyError(name)


def xa(acct):
    return find_role(acct, "Pennsieve-Compute-prod-a3f1b20c")


def xa_stmts(acct):
    return xa(acct)["RolePolicyList"][0]["PolicyDocument"]["Statement"]


def drop_sid(acct, sid):
    st = xa_stmts(acct)
    st[:] = [s for s in st if s.get("Sid") != sid]


def sid(acct, name):
    return next(s for s in xa_stmts(acct) if s.get("Sid") == name)


ECS_EXEC_ARN = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
ECS_EXEC_DOC = doc({"Effect": "Allow", "Action": ["ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability",
                                                  "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage",
                                                  "logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "*"})
ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
ADMIN_DOC = doc({"Effect": "Allow", "Action": "*", "Resource": "*"})

PAR_TASK_POLICY = doc(
    {"Sid": "AllowS3GetObject", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::pixell-agent-packages/*"]},
    {"Sid": "AllowS3ListBucket", "Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": ["arn:aws:s3:::pixell-agent-packages"],
     "Condition": {"StringLike": {"s3:prefix": ["*"]}}})
PAR_EFS_POLICY = doc(
    {"Sid": "AllowEFSMount", "Effect": "Allow", "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
     "Resource": f"arn:aws:elasticfilesystem:us-east-2:{ACCT}:file-system/fs-0a1b2c3d4e5f60718",
     "Condition": {"StringEquals": {"elasticfilesystem:AccessPointArn": f"arn:aws:elasticfilesystem:us-east-2:{ACCT}:access-point/fsap-0123456789abcdef0"}}})
ECS_TRUST = doc({"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"})


def par_account(efs=False):
    """The PAR roles as the document creates them (without the optional EFS
    statement unless efs=True)."""
    exec_inline = {"EFSAccess": PAR_EFS_POLICY} if efs else {}
    roles = [
        role("pixell-agent-runtime-task-role", ECS_TRUST, {"S3PackageAccess": PAR_TASK_POLICY}),
        role("pixell-agent-runtime-execution-role", ECS_TRUST, exec_inline, attached=[ECS_EXEC_ARN]),
    ]
    pols = [managed("AmazonECSTaskExecutionRolePolicy", [("v1", ECS_EXEC_DOC)], arn=ECS_EXEC_ARN, usage=0)]
    return {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": roles, "Policies": pols}


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(data, f, indent=2)
        f.write("\n")


def fixture(check, name, data):
    write(os.path.join("testdata", "checks", check, name + ".json"), data)


def mutate(base, fn):
    a = copy.deepcopy(base)
    fn(a)
    return a


def main():
    base = mini_account()
    par = par_account()

    def F(check, name, fn, b=None):
        fixture(check, "fire-" + name, mutate(b or base, fn))

    def Q(check, name="clean", fn=lambda a: None, b=None):
        fixture(check, "quiet-" + name, mutate(b or base, fn))

    # Cross-account role.
    F("PV-XAR-002", "wildcard-principal", lambda a: xa(a)["AssumeRolePolicyDocument"]["Statement"].append(
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}))
    F("PV-XAR-002", "second-account", lambda a: xa(a)["AssumeRolePolicyDocument"]["Statement"][0]["Principal"].update(
        {"AWS": [f"arn:aws:iam::{PROV}:root", "arn:aws:iam::222233334444:root"]}))
    Q("PV-XAR-002")
    F("PV-XAR-003", "no-external-id", lambda a: xa(a)["AssumeRolePolicyDocument"]["Statement"][0].pop("Condition"))
    F("PV-XAR-003", "wildcard-external-id", lambda a: xa(a)["AssumeRolePolicyDocument"]["Statement"][0].update(
        {"Condition": {"StringLike": {"sts:ExternalId": "*"}}}))
    F("PV-XAR-003", "wildcard-principal", lambda a: xa(a)["AssumeRolePolicyDocument"]["Statement"].append(
        {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}))
    Q("PV-XAR-003")
    F("PV-XAR-004", "twelve-hours", lambda a: xa(a).update({"MaxSessionDuration": 43200}))
    F("PV-XAR-004", "unknown-duration", lambda a: xa(a).pop("MaxSessionDuration"))
    Q("PV-XAR-004")

    def attach_admin(a):
        xa(a)["AttachedManagedPolicies"].append({"PolicyName": "AdministratorAccess", "PolicyArn": ADMIN_ARN})
        a["Policies"].append(managed("AdministratorAccess", [("v1", ADMIN_DOC)], arn=ADMIN_ARN, usage=0))
    F("PV-XAR-005", "administrator-access", attach_admin)

    def attach_custom_sqs(a):
        arn = f"arn:aws:iam::{ACCT}:policy/pennsieve-queues"
        xa(a)["AttachedManagedPolicies"].append({"PolicyName": "pennsieve-queues", "PolicyArn": arn})
        a["Policies"].append(managed("pennsieve-queues", [("v1", doc({"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}))], usage=0))
    F("PV-XAR-005", "custom-policy-with-sqs", attach_custom_sqs)

    def attach_benign(a):
        arn = f"arn:aws:iam::{ACCT}:policy/pennsieve-logs-read"
        xa(a)["AttachedManagedPolicies"].append({"PolicyName": "pennsieve-logs-read", "PolicyArn": arn})
        a["Policies"].append(managed("pennsieve-logs-read", [("v1", doc({"Effect": "Allow", "Action": "logs:Describe*", "Resource": "*"}))], usage=0))
    Q("PV-XAR-005")
    Q("PV-XAR-005", "documented-services-only", attach_benign)
    F("PV-XAR-006", "route53", lambda a: sid(a, "DeployDocumentedServices")["Action"].append("route53:*"))
    F("PV-XAR-006", "not-action", lambda a: xa_stmts(a).append(
        {"Sid": "Broad", "Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"}))
    F("PV-XAR-006", "star", lambda a: xa_stmts(a).append({"Sid": "All", "Effect": "Allow", "Action": "*", "Resource": "*"}))
    Q("PV-XAR-006")
    F("PV-XAR-007", "no-account-deny", lambda a: drop_sid(a, "DenyOtherAccounts"))
    F("PV-XAR-007", "deny-only-s3", lambda a: sid(a, "DenyOtherAccounts").update({"Action": ["s3:*"]}))
    Q("PV-XAR-007")
    Q("PV-XAR-006", "denied-extra-service", lambda a: xa_stmts(a).extend([
        {"Sid": "Dns", "Effect": "Allow", "Action": "route53:*", "Resource": "*"},
        {"Sid": "NoDns", "Effect": "Deny", "Action": "route53:*", "Resource": "*"}]))

    # Guardrails.
    F("PV-GRD-001", "no-boundary-deny", lambda a: drop_sid(a, "DenyCreateRoleWithoutBoundary"))
    F("PV-GRD-001", "any-customer-policy-as-boundary", lambda a: sid(a, "DenyCreateRoleWithoutBoundary").update(
        {"Condition": {"StringNotLike": {"iam:PermissionsBoundary": f"arn:aws:iam::{ACCT}:policy/*"}}}))
    Q("PV-GRD-001")
    F("PV-GRD-002", "no-removal-deny", lambda a: (drop_sid(a, "DenyBoundaryRemoval"),
                                                  sid(a, "ManageNodeRoles")["Action"].append("iam:DeleteRolePermissionsBoundary")))
    F("PV-GRD-002", "replace-with-admin", lambda a: drop_sid(a, "DenyCreateRoleWithoutBoundary"))
    Q("PV-GRD-002")
    F("PV-GRD-003", "no-self-deny", lambda a: (drop_sid(a, "DenySelfModification"), sid(a, "ManageNodeRoles")["Resource"].append(
        f"arn:aws:iam::{ACCT}:role/Pennsieve-Compute-*")))
    F("PV-GRD-003", "iam-star", lambda a: (drop_sid(a, "DenySelfModification"),
                                          xa_stmts(a).append({"Sid": "Iam", "Effect": "Allow", "Action": "iam:*", "Resource": "*"})))
    Q("PV-GRD-003")
    F("PV-GRD-004", "iam-star", lambda a: (drop_sid(a, "DenyUsersKeysAndAccount"),
                                          xa_stmts(a).append({"Sid": "Iam", "Effect": "Allow", "Action": "iam:*", "Resource": "*"})))
    Q("PV-GRD-004")
    F("PV-GRD-005", "star-without-denies", lambda a: (drop_sid(a, "DenyUsersKeysAndAccount"),
                                                     xa_stmts(a).append({"Sid": "All", "Effect": "Allow", "Action": "*", "Resource": "*"})))
    Q("PV-GRD-005")
    F("PV-GRD-006", "no-grant-denies", lambda a: drop_sid(a, "DenyResourceGrants"))
    F("PV-GRD-006", "lambda-permission-any-principal", lambda a: drop_sid(a, "DenyLambdaPermissionsForAccounts"))
    F("PV-GRD-006", "kms-grant-bool-not-if-exists", lambda a: sid(a, "DenyKmsGrantsForPrincipals").update(
        {"Condition": {"Bool": {"kms:GrantIsForAWSResource": "false"}}}))
    F("PV-GRD-006", "lambda-permission-wildcard-pattern", lambda a: sid(a, "DenyLambdaPermissionsForAccounts").update(
        {"Condition": {"StringNotLike": {"lambda:Principal": "*amazonaws.com"}}}))
    Q("PV-GRD-006")

    # Escalation paths.
    def editable_boundary(a):
        drop_sid(a, "DenyBoundaryPolicyEdits")
        sid(a, "ManageBoundaryPolicies")["Action"] += ["iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicyVersion"]
    F("PV-ESC-001", "editable-boundary", editable_boundary)
    Q("PV-ESC-001")

    def wildcard_boundary(a):
        sid(a, "DenyCreateRoleWithoutBoundary")["Condition"] = {
            "StringNotLike": {"iam:PermissionsBoundary": f"arn:aws:iam::{ACCT}:policy/pennsieve-boundary-*"}}
    F("PV-ESC-002", "name-pattern-only", wildcard_boundary)
    F("PV-ESC-002", "any-account", lambda a: sid(a, "DenyCreateRoleWithoutBoundary").update(
        {"Condition": {"StringNotLike": {"iam:PermissionsBoundary": "arn:aws:iam::*:policy/pennsieve-boundary-*"}}}))
    Q("PV-ESC-002")

    def unbounded_admin_role(a):
        a["RoleDetailList"].append(role("OrganizationAccountAccessRole", doc(
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::100000000001:root"}, "Action": "sts:AssumeRole"}),
            attached=[ADMIN_ARN]))
        a["Policies"].append(managed("AdministratorAccess", [("v1", ADMIN_DOC)], arn=ADMIN_ARN, usage=0))

    def lost_boundary(a):
        find_role(a, "pennsieve-b24e11d0-processor-ecs").pop("PermissionsBoundary")
    F("PV-ESC-003", "no-boundary-condition", lambda a: sid(a, "ManageNodeRolePolicies").pop("Condition"))
    F("PV-ESC-003", "attach-anywhere", lambda a: (unbounded_admin_role(a), sid(a, "ManageNodeRolePolicies").update(
        {"Resource": f"arn:aws:iam::{ACCT}:role/*", "Condition": {"StringLike": {"iam:PolicyARN": "arn:aws:iam::aws:policy/*"}}})))
    Q("PV-ESC-003")
    Q("PV-ESC-003", "child-role-lost-boundary-condition-holds", lost_boundary)
    Q("PV-ESC-003", "admin-role-out-of-reach", unbounded_admin_role)
    def unbounded_lambda_role(a):
        a["RoleDetailList"].append(role("legacy-lambda-admin", service_trust("lambda.amazonaws.com"), attached=[ADMIN_ARN]))
        a["Policies"].append(managed("AdministratorAccess", [("v1", ADMIN_DOC)], arn=ADMIN_ARN, usage=1))
    F("PV-ESC-004", "pass-any-role", lambda a: (unbounded_lambda_role(a), sid(a, "PassNodeRoles").update(
        {"Resource": "*"})))
    # A role no service can assume: passing it gains nothing (no false FAIL).
    Q("PV-ESC-004", "pass-role-no-service-trusts", lambda a: (unbounded_admin_role(a), sid(a, "PassNodeRoles").update(
        {"Resource": "*"})))
    # PassRole allowed with no condition at all: the service the role goes
    # to is still the caller's choice (a search that only varied keys some
    # statement tests missed it).
    F("PV-ESC-004", "pass-anything-unconditioned", lambda a: (unbounded_lambda_role(a), sid(a, "PassNodeRoles").update(
        {"Resource": "*"}), sid(a, "PassNodeRoles").pop("Condition")))
    F("PV-ESC-004", "child-role-lost-boundary", lost_boundary)
    Q("PV-ESC-004")
    Q("PV-ESC-004", "admin-role-out-of-reach", unbounded_admin_role)
    F("PV-ESC-005", "no-passed-to-service", lambda a: sid(a, "PassNodeRoles").pop("Condition"))
    Q("PV-ESC-005")

    def child_trusts_provisioner(a):
        find_role(a, "pennsieve-7f3a9c21-orchestrator")["AssumeRolePolicyDocument"]["Statement"].append(
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{PROV}:root"}, "Action": "sts:AssumeRole"})
    F("PV-ESC-006", "child-trusts-provisioner", child_trusts_provisioner)
    F("PV-ESC-006", "second-door", lambda a: a["RoleDetailList"].append(role("pennsieve-support", doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{PROV}:role/support"}, "Action": "sts:AssumeRole"}),
        {"read": doc({"Effect": "Allow", "Action": "logs:GetLogEvents", "Resource": "*"})})))
    Q("PV-ESC-006")
    Q("PV-ESC-006", "customer-role-trusts-own-org", unbounded_admin_role)
    F("PV-ESC-007", "update-trust", lambda a: sid(a, "ManageNodeRoles")["Action"].append("iam:UpdateAssumeRolePolicy"))
    Q("PV-ESC-007")
    F("PV-ESC-008", "lambda-anywhere", lambda a: drop_sid(a, "DenyForeignFunctionChanges"))
    F("PV-ESC-008", "user-data", lambda a: drop_sid(a, "DenyForeignInstanceChanges"))
    Q("PV-ESC-008")

    # Chains: each step harmless alone, the last one outside the boundary.
    def admin_role_trusting_account(a):
        a["RoleDetailList"].append(role("ops-admin", doc(
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"}, "Action": "sts:AssumeRole"}),
            attached=[ADMIN_ARN]))
        a["Policies"].append(managed("AdministratorAccess", [("v1", ADMIN_DOC)], arn=ADMIN_ARN, usage=1))
    may_assume = lambda a: xa_stmts(a).append(
        {"Sid": "AssumeAnyRole", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": f"arn:aws:iam::{ACCT}:role/*"})
    F("PV-ESC-009", "assume-admin-role", lambda a: (admin_role_trusting_account(a), may_assume(a)))
    def boundary_passes_anything(a):
        unbounded_lambda_role(a)
        find_policy(a, "pennsieve-boundary-7f3a9c21")["PolicyVersionList"][0]["Document"]["Statement"].append(
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"})
    F("PV-ESC-009", "new-role-under-boundary-passes-admin-role", boundary_passes_anything)
    # The admin role admits only roles named pennsieve-*: a role the
    # cross-account role creates may carry that name (the search must not
    # ask with a fixed stand-in name).
    def boundary_assumes_named_admin(a):
        a["RoleDetailList"].append(role("ops-admin", doc(
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"}, "Action": "sts:AssumeRole",
             "Condition": {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCT}:role/pennsieve-*"}}}),
            attached=[ADMIN_ARN]))
        a["Policies"].append(managed("AdministratorAccess", [("v1", ADMIN_DOC)], arn=ADMIN_ARN, usage=1))
        find_policy(a, "pennsieve-boundary-7f3a9c21")["PolicyVersionList"][0]["Document"]["Statement"].append(
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"})
    F("PV-ESC-009", "new-role-named-for-admin-trust", boundary_assumes_named_admin)
    Q("PV-ESC-009")
    # The admin role trusts the account, but the cross-account role may not
    # assume roles: no chain.
    Q("PV-ESC-009", "admin-role-trusts-account-no-assume", admin_role_trusting_account)
    # It may assume roles, but the admin role trusts another account only.
    Q("PV-ESC-009", "may-assume-admin-role-trusts-elsewhere", lambda a: (unbounded_admin_role(a), may_assume(a)))

    # A chain of bounded roles, each admitting the one before it (the
    # boundary lets them assume hop-*): a dead end at the search's depth
    # bound is no reason to give up, one more step past it is.
    def hops(n, admin_at_end):
        def fn(a):
            bnd = find_policy(a, "pennsieve-boundary-7f3a9c21")
            bnd["PolicyVersionList"][0]["Document"]["Statement"].append(
                {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": [f"arn:aws:iam::{ACCT}:role/hop-*", f"arn:aws:iam::{ACCT}:role/ops-admin"]})
            may_assume(a)
            prev = xa(a)["Arn"]
            for i in range(1, n + 1):
                nxt = f"arn:aws:iam::{ACCT}:role/hop-{i + 1}" if i < n else None
                inline = {"next": doc({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": nxt})} if nxt else {}
                if not nxt and admin_at_end:
                    inline = {"next": doc({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": f"arn:aws:iam::{ACCT}:role/ops-admin"})}
                a["RoleDetailList"].append(role(f"hop-{i}", doc({"Effect": "Allow", "Principal": {"AWS": prev}, "Action": "sts:AssumeRole"}),
                                                inline, boundary=bnd["Arn"]))
                prev = f"arn:aws:iam::{ACCT}:role/hop-{i}"
            if admin_at_end:
                a["RoleDetailList"].append(role("ops-admin", doc(
                    {"Effect": "Allow", "Principal": {"AWS": prev}, "Action": "sts:AssumeRole"}), attached=[ADMIN_ARN]))
                a["Policies"].append(managed("AdministratorAccess", [("v1", ADMIN_DOC)], arn=ADMIN_ARN, usage=1))
        return fn
    # The admin role trusts one existing role by its exact ARN: IAM binds
    # that to the role's unique ID, so no role created later (whatever its
    # name) matches it, even under a boundary that lets it assume anything.
    def admin_trusts_exact_role(a):
        a["RoleDetailList"].append(role("ops-admin", doc(
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:role/pennsieve-7f3a9c21-orchestrator"}, "Action": "sts:AssumeRole"}),
            attached=[ADMIN_ARN]))
        a["Policies"].append(managed("AdministratorAccess", [("v1", ADMIN_DOC)], arn=ADMIN_ARN, usage=1))
        find_policy(a, "pennsieve-boundary-7f3a9c21")["PolicyVersionList"][0]["Document"]["Statement"].append(
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"})
    Q("PV-ESC-009", "admin-trusts-existing-role-by-exact-arn", admin_trusts_exact_role)
    F("PV-ESC-009", "chain-of-four-steps", hops(3, True))
    Q("PV-ESC-009", "chain-dead-end-at-bound", hops(4, False))
    fixture("PV-ESC-009", "bound-chain-past-four-steps", mutate(base, hops(4, True)))

    # Boundary policies.
    F("PV-BND-003", "route53-and-iam", lambda a: find_policy(a, "pennsieve-boundary-7f3a9c21")["PolicyVersionList"][0]["Document"]["Statement"].__setitem__(
        slice(None), [{"Effect": "Allow", "Action": ["route53:*", "iam:*", "ecs:*"], "Resource": "*"}]))
    F("PV-BND-003", "no-iam-deny", lambda a: find_policy(a, "pennsieve-boundary-b24e11d0")["PolicyVersionList"][0]["Document"]["Statement"].__setitem__(
        slice(None), [{"Effect": "Allow", "Action": ["ecs:*", "iam:*Role*"], "Resource": "*"}]))
    Q("PV-BND-003")

    def broader_v1(a):
        p = find_policy(a, "pennsieve-boundary-7f3a9c21")
        old = {"Document": doc({"Effect": "Allow", "Action": "*", "Resource": "*"}), "VersionId": "v1",
               "IsDefaultVersion": False, "CreateDate": "2026-02-01T10:00:00Z"}
        p["PolicyVersionList"][0]["VersionId"] = "v2"
        p["PolicyVersionList"].insert(0, old)
        p["DefaultVersionId"] = "v2"
    F("PV-BND-004", "old-version-allows-everything", broader_v1)

    def narrower_v1(a):
        p = find_policy(a, "pennsieve-boundary-7f3a9c21")
        old = {"Document": doc({"Effect": "Allow", "Action": ["ecs:*", "logs:*"], "Resource": "*"}), "VersionId": "v1",
               "IsDefaultVersion": False, "CreateDate": "2026-02-01T10:00:00Z"}
        p["PolicyVersionList"][0]["VersionId"] = "v2"
        p["PolicyVersionList"].insert(0, old)
        p["DefaultVersionId"] = "v2"
    Q("PV-BND-004")
    Q("PV-BND-004", "old-version-narrower", narrower_v1)
    F("PV-BND-005", "deleted-node", lambda a: a["Policies"].append(
        managed("pennsieve-boundary-c0ffee00", [("v1", boundary_doc("c0ffee00"))], usage=0)))
    Q("PV-BND-005")

    # Child and processor roles.
    F("PV-CHD-001", "trusts-account", child_trusts_provisioner)
    F("PV-CHD-001", "undocumented-service", lambda a: find_role(a, "pennsieve-7f3a9c21-orchestrator").update(
        {"AssumeRolePolicyDocument": service_trust("sagemaker.amazonaws.com")}))
    Q("PV-CHD-001")
    F("PV-CHD-002", "no-source-account", lambda a: find_role(a, "pennsieve-7f3a9c21-processor-ecs").update(
        {"AssumeRolePolicyDocument": service_trust("ecs-tasks.amazonaws.com", source=False)}))
    Q("PV-CHD-002")
    F("PV-CHD-003", "dynamodb", lambda a: find_role(a, "pennsieve-7f3a9c21-processor-ecs")["RolePolicyList"][0]["PolicyDocument"]["Statement"].append(
        {"Sid": "Budget", "Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": f"arn:aws:dynamodb:us-east-1:{ACCT}:table/llm-usage"}))
    F("PV-CHD-003", "any-function", lambda a: find_role(a, "pennsieve-b24e11d0-processor-ecs")["RolePolicyList"][0]["PolicyDocument"]["Statement"][2].update(
        {"Resource": "*"}))
    Q("PV-CHD-003")
    F("PV-CHD-004", "all-buckets", lambda a: find_role(a, "pennsieve-7f3a9c21-processor-ecs")["RolePolicyList"][0]["PolicyDocument"]["Statement"].append(
        {"Sid": "Inputs", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": ["arn:aws:s3:::*", "arn:aws:s3:::*/*"]}))
    Q("PV-CHD-004")
    Q("PV-CHD-004", "one-named-bucket", lambda a: find_role(a, "pennsieve-7f3a9c21-orchestrator")["RolePolicyList"][0]["PolicyDocument"]["Statement"].append(
        {"Sid": "Workflow", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::pennsieve-7f3a9c21-workflow/*"}))
    F("PV-CHD-005", "all-log-groups", lambda a: find_role(a, "pennsieve-7f3a9c21-orchestrator")["RolePolicyList"][0]["PolicyDocument"]["Statement"][0].update(
        {"Resource": f"arn:aws:logs:us-east-1:{ACCT}:log-group:/pennsieve/*"}))
    F("PV-CHD-005", "other-nodes-file-system", lambda a: find_role(a, "pennsieve-7f3a9c21-processor-ecs")["RolePolicyList"][0]["PolicyDocument"]["Statement"][0].update(
        {"Resource": f"arn:aws:elasticfilesystem:us-east-1:{ACCT}:file-system/fs-0*"}))
    Q("PV-CHD-005")

    # PAR.
    def par_F(check, name, fn):
        F(check, name, fn, b=par)

    def par_Q(check, name="as-documented", fn=lambda a: None):
        Q(check, name, fn, b=par)

    def task(a):
        return find_role(a, "pixell-agent-runtime-task-role")

    def execr(a):
        return find_role(a, "pixell-agent-runtime-execution-role")

    par_F("PV-PAR-001", "no-execution-role", lambda a: a["RoleDetailList"].remove(execr(a)))
    par_F("PV-PAR-001", "renamed-task-role", lambda a: task(a).update({"RoleName": "agent-runtime-task", "Arn": "arn:aws:iam::481516234201:role/agent-runtime-task"}))
    par_Q("PV-PAR-001")
    par_F("PV-PAR-002", "ecs-and-dynamodb", lambda a: task(a)["RolePolicyList"][0]["PolicyDocument"]["Statement"].append(
        {"Sid": "Ops", "Effect": "Allow", "Action": ["ecs:ListTasks", "dynamodb:*"], "Resource": "*"}))
    par_F("PV-PAR-002", "iam-read", lambda a: task(a)["RolePolicyList"][0]["PolicyDocument"]["Statement"].append(
        {"Sid": "Whoami", "Effect": "Allow", "Action": "iam:Get*", "Resource": "*"}))
    par_Q("PV-PAR-002")
    par_F("PV-PAR-003", "put-object", lambda a: task(a)["RolePolicyList"][0]["PolicyDocument"]["Statement"][0]["Action"].append("s3:PutObject"))
    par_F("PV-PAR-003", "any-bucket", lambda a: task(a)["RolePolicyList"][0]["PolicyDocument"]["Statement"][0].update(
        {"Resource": ["arn:aws:s3:::*/*"]}))
    par_F("PV-PAR-003", "secrets", lambda a: task(a)["RolePolicyList"][0]["PolicyDocument"]["Statement"].append(
        {"Sid": "Secrets", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}))
    par_Q("PV-PAR-003")
    par_F("PV-PAR-004", "task-role-trusts-account", lambda a: task(a)["AssumeRolePolicyDocument"]["Statement"].append(
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222233334444:root"}, "Action": "sts:AssumeRole"}))
    par_F("PV-PAR-004", "execution-role-trusts-lambda", lambda a: execr(a)["AssumeRolePolicyDocument"]["Statement"][0]["Principal"].update(
        {"Service": ["ecs-tasks.amazonaws.com", "lambda.amazonaws.com"]}))
    par_Q("PV-PAR-004")

    def s3_full(a):
        arn = "arn:aws:iam::aws:policy/AmazonS3FullAccess"
        execr(a)["AttachedManagedPolicies"].append({"PolicyName": "AmazonS3FullAccess", "PolicyArn": arn})
        a["Policies"].append(managed("AmazonS3FullAccess", [("v1", doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}))], arn=arn, usage=0))
    par_F("PV-PAR-005", "extra-managed-policy", s3_full)

    def efs_unscoped(a):
        d = copy.deepcopy(PAR_EFS_POLICY)
        d["Statement"][0].pop("Condition")
        execr(a)["RolePolicyList"] = [{"PolicyName": "EFSAccess", "PolicyDocument": d}]
    par_F("PV-PAR-005", "efs-without-access-point", efs_unscoped)
    par_Q("PV-PAR-005")
    par_Q("PV-PAR-005", "with-documented-efs", lambda a: execr(a).update(
        {"RolePolicyList": [{"PolicyName": "EFSAccess", "PolicyDocument": PAR_EFS_POLICY}]}))
    par_F("PV-PAR-006", "efs-on-execution-role", lambda a: execr(a).update(
        {"RolePolicyList": [{"PolicyName": "EFSAccess", "PolicyDocument": PAR_EFS_POLICY}]}))
    par_Q("PV-PAR-006")

    # Account.
    def provider_user(a):
        a["UserDetailList"].append({"Path": "/", "UserName": "pennsieve-deployer", "UserId": "AIDAPENNSIEVEDEPLOY1",
                                    "Arn": f"arn:aws:iam::{ACCT}:user/pennsieve-deployer", "CreateDate": "2025-06-01T10:00:00Z",
                                    "UserPolicyList": [], "GroupList": [], "AttachedManagedPolicies": [], "Tags": []})
    F("PV-ACC-001", "deployer-user", provider_user)

    def customer_user(a):
        a["UserDetailList"].append({"Path": "/", "UserName": "maria.chen", "UserId": "AIDAXC7Q2LMN6RB3K2F1Q",
                                    "Arn": f"arn:aws:iam::{ACCT}:user/maria.chen", "CreateDate": "2025-11-02T14:21:33Z",
                                    "UserPolicyList": [], "GroupList": [], "AttachedManagedPolicies": [], "Tags": []})
    Q("PV-ACC-001")
    Q("PV-ACC-001", "customer-user", customer_user)

    def legacy(a):
        a["RoleDetailList"].append(role(f"ROLE-{ACCT}", doc(
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{PROV}:root"}, "Action": "sts:AssumeRole"}),
            {"everything": doc({"Effect": "Allow", "Action": "*", "Resource": "*"})}))
    F("PV-ACC-002", "role-account-star", legacy)
    Q("PV-ACC-002")

    for cid in ["PV-PAR-001", "PV-PAR-002", "PV-PAR-003", "PV-PAR-004", "PV-PAR-005", "PV-PAR-006"]:
        with open(os.path.join("testdata", "checks", cid, "contract"), "w") as f:
            f.write("par\n")

    # Accounts.
    write("testdata/accounts/editable-boundary.json", mutate(load("testdata/accounts/compliant.json"), editable_boundary))
    write("testdata/accounts/par-compliant.json", par_full(False))
    write("testdata/accounts/par-sample.json", par_full(True))


def load(p):
    with open(p) as f:
        return json.load(f)


def par_full(planted):
    """A PAR account: the two roles as the document creates them, the ECS
    service-linked role, a CI role; planted=True adds the problems listed in
    README.md."""
    a = par_account(efs=planted)
    a["RoleDetailList"].append(role("AWSServiceRoleForECS", doc(
        {"Effect": "Allow", "Principal": {"Service": "ecs.amazonaws.com"}, "Action": "sts:AssumeRole"}),
        attached=["arn:aws:iam::aws:policy/aws-service-role/AmazonECSServiceRolePolicy"], path="/aws-service-role/ecs.amazonaws.com/"))
    a["Policies"].append(managed("AmazonECSServiceRolePolicy", [("v1", doc({"Effect": "Allow", "Action": ["ec2:Describe*", "elasticloadbalancing:Describe*"], "Resource": "*"}))],
                                 arn="arn:aws:iam::aws:policy/aws-service-role/AmazonECSServiceRolePolicy", usage=0))
    a["RoleDetailList"].append(role("pixell-ci-deploy", doc(
        {"Effect": "Allow", "Principal": {"Federated": f"arn:aws:iam::{ACCT}:oidc-provider/token.actions.githubusercontent.com"},
         "Action": "sts:AssumeRoleWithWebIdentity",
         "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}}),
        {"deploy": doc({"Effect": "Allow", "Action": ["ecs:UpdateService", "ecs:RegisterTaskDefinition"], "Resource": "*"})}))
    if planted:
        t = find_role(a, "pixell-agent-runtime-task-role")
        st = t["RolePolicyList"][0]["PolicyDocument"]["Statement"]
        st[0]["Action"].append("s3:PutObject")
        st.append({"Sid": "ServiceDiscovery", "Effect": "Allow",
                   "Action": ["servicediscovery:RegisterInstance", "servicediscovery:DeregisterInstance", "ecs:DescribeTasks"], "Resource": "*"})
        e = find_role(a, "pixell-agent-runtime-execution-role")
        e["RolePolicyList"][0]["PolicyDocument"]["Statement"][0].pop("Condition")
        arn = "arn:aws:iam::aws:policy/SecretsManagerReadWrite"
        e["AttachedManagedPolicies"].append({"PolicyName": "SecretsManagerReadWrite", "PolicyArn": arn})
        a["Policies"].append(managed("SecretsManagerReadWrite", [("v1", doc({"Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*"}))], arn=arn, usage=0))
        a["RoleDetailList"].append(role(f"ROLE-{ACCT}", doc(
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::730335412345:root"}, "Action": "sts:AssumeRole"}),
            attached=["arn:aws:iam::aws:policy/AdministratorAccess"]))
        a["Policies"].append(managed("AdministratorAccess", [("v1", ADMIN_DOC)], arn=ADMIN_ARN, usage=0))
        a["UserDetailList"].append({"Path": "/", "UserName": "pixell-runtime-bot", "UserId": "AIDAPIXELLRUNTIMEBOT",
                                    "Arn": f"arn:aws:iam::{ACCT}:user/pixell-runtime-bot", "CreateDate": "2025-09-12T08:00:00Z",
                                    "UserPolicyList": [], "GroupList": [], "AttachedManagedPolicies": [], "Tags": []})
    return a


if __name__ == "__main__":
    main()
