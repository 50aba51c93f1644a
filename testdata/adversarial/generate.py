#!/usr/bin/env python3
"""Adversarial one-change accounts for pvaudit (issue 11, point 7).

Reads the base accounts testdata/accounts/compliant.json (contract
pennsieve) and testdata/accounts/par-compliant.json (contract par), applies
one change per case and writes

  testdata/adversarial/must-fail/<id>.json   a change that breaks a written promise
  testdata/adversarial/must-pass/<id>.json   an equivalent (or provably compliant) rewrite
  testdata/adversarial/cases.yaml            one entry per case (read by the Go table test)
  testdata/adversarial/proofs.json           the simulate requests that prove each must-fail case

Every case is a small function below; its docstring says what the attacker
(or the auditor) did and why the answer is what it is. Python 3 standard
library only; deterministic (same bases, same bytes).

Run from anywhere: python3 testdata/adversarial/generate.py
"""
import copy
import fnmatch
import json
import os
import shutil
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
ACCOUNTS = os.path.join(ROOT, "testdata", "accounts")
REL = "testdata/adversarial"

ACCT = "481516234201"
PROV = "941377122013"
EXT = "pn-ext-4c1d9e7a52"
OUTSIDE = "999988887777"  # an account that is neither the customer's nor the provisioner's
XA = "Pennsieve-Compute-prod-a3f1b20c"
XA_ROLE_ID = "AROAXC7Q2LMN00000000017"
N1, N2 = "7f3a9c21", "b24e11d0"
WORKFLOW_BUCKET = "pennsieve-7f3a9c21-workflow"
TASK = "pixell-agent-runtime-task-role"
EXEC = "pixell-agent-runtime-execution-role"
NOW = "2026-03-02T12:00:00Z"  # any time after the snapshot's roles were created
NOW_EPOCH = "1772452800"

# Parameters the bases need to scan clean (see README.md "Contracts, parameters").
PARAMS = {
    "compliant": {"provisioner_account_id": PROV, "external_id": EXT, "workflow_bucket": WORKFLOW_BUCKET},
    "par-compliant": {},
}
CONTRACT = {"compliant": "pennsieve", "par-compliant": "par"}

CLASSES = ["current-time", "identity-keys", "wildcards-notaction", "fixed-names", "escalation",
           "inconsistent-input", "false-fail", "severity", "rewrite", "other"]

# ---- the document's sentences -------------------------------------------------

S_SERVICES = "Access services not listed above (e.g., RDS, SQS, SNS, Route 53, CloudFront)"
S_USERS = "Create IAM users or access keys"
S_PERSIST = "Persist access beyond the temporary credential window"
S_BILLING = "Modify billing or account settings"
S_OTHER_ACCOUNTS = "Access resources in other AWS accounts"
S_MODIFY_OWN = "Modify its own permissions to gain broader access"
S_MUST_ATTACH = ("The role cannot create any IAM role in your account unless it attaches the Pennsieve "
                 "permissions boundary. This prevents creating an unrestricted role.")
S_NO_REMOVE = "The role is denied the ability to strip the permissions boundary from any existing role."
S_SELF = "The cross-account role cannot change its own policy. This prevents a compromised process from removing the restrictions above."
S_BOUNDARY = "Our boundary allows only the services listed above. Critically, it **does not allow IAM mutation actions**"
S_EVERY_ROLE = "Every IAM role that Pennsieve creates in your account has a **permissions boundary** attached."
S_TRUSTS = "This role trusts the Pennsieve provisioner account, allowing it to temporarily \"assume\" the role."
S_ONE_HOUR = "This gives it temporary credentials (valid for up to 1 hour) that are scoped to the permissions defined on the role."
S_REVOKE = ("You can also manually delete the `Pennsieve-Compute-{env}-{id}` role in the IAM console at any time "
            "for an immediate revocation.")
S_NO_KEYS = "Pennsieve does not store long-lived keys for your account."
S_VIA_XA = "Pennsieve needs temporary, scoped access to your AWS account through a **cross-account IAM role**."
S_ROLE_NAME = "a role named `Pennsieve-Compute-{env}-{id}` (e.g., `Pennsieve-Compute-dev-a3f1b20c`) is created in your AWS account"
S_CHILD_SERVICES = "Creates roles for the services above (e.g., a role that lets a Lambda function write logs)"
S_EXTERNAL_ID = ("contract pennsieve: cross_account_role.require_external_id (pvaudit's hardening; the document "
                 "says only: \"This role trusts the Pennsieve provisioner account\")")
S_PROC_S3 = "Processor roles ... cannot: Access S3 buckets other than the workflow bucket"
S_PROC_NODES = "Processor roles ... cannot: Access resources belonging to other compute nodes"
S_PROC_THATS_IT = ("That's it. Your containers cannot access other AWS services, create resources, or reach "
                   "anything outside of what's listed above.")
S_PROC_EFS = "Containers running your code can: **Read and write files on shared storage (EFS)**"
S_PROC_LOGS = "Containers running your code can: **Write logs** — container output is captured in CloudWatch Logs"
S_CREATES_ROLE = "Pennsieve creates a role for a Lambda function | Allowed, but the role is capped by the permissions boundary"
S_PAR_ONLY = "It should have **minimal permissions** - only S3 GetObject access to download agent packages."
S_PAR_BUCKET = "Restrict S3 access to specific bucket (`pixell-agent-packages`)"
S_PAR_NEVER = "PAR Task Role should **NEVER** have: "
S_PAR_TRUST = "Task Role Trust Policy: \"Principal\": {\"Service\": \"ecs-tasks.amazonaws.com\"}"
S_PAR_EXEC = "Use the AWS managed policy `AmazonECSTaskExecutionRolePolicy` plus custom EFS permissions"
S_PAR_EFS = ("\"Condition\": {\"StringEquals\": {\"elasticfilesystem:AccessPointArn\": "
             "\"arn:aws:elasticfilesystem:us-east-2:ACCOUNT_ID:access-point/ACCESS_POINT_ID\"}}")
S_PAR_SUCCEED = "# Should succeed: aws s3 cp s3://pixell-agent-packages/test.apkg /tmp/test.apkg --profile par-task-role"
S_PAR_NAMES = "aws iam create-role --role-name pixell-agent-runtime-task-role"


# ---- case registry -----------------------------------------------------------

CASES = []


def case(cid, *, expect, cls, spec, change, checks=(), base="compliant", resource=None, proofs=()):
    """Registers a case. proofs are simulate requests (see prove) or strings
    for promises that are not a single identity-policy request."""
    assert cls in CLASSES, cls
    assert expect in ("fail", "pass", "not_evaluated"), expect
    assert (expect == "pass") == (not checks), cid

    def deco(fn):
        assert fn.__doc__, cid
        CASES.append({"id": cid, "expect": expect, "class": cls, "spec": spec, "change": change,
                      "checks": list(checks), "base": base, "resource": resource, "proofs": list(proofs),
                      "fn": fn})
        return fn
    return deco


def prove(role, action, resource="*", ctx=None, want="Allow", base_want="deny", version=None):
    """A simulate request on the case file: want is the decision the broken
    promise implies (Allow for "cannot …" promises); base_want is the base
    account's decision class for the same request ("deny", "allow" or None
    when the request means nothing on the base). version=(policy, id) asks a
    stored policy version instead of a role."""
    return {"role": role, "action": action, "resource": resource, "context": ctx or {}, "want": want,
            "base_want": base_want, "version": version}


def fail(cid, checks, **kw):
    return case(cid, expect="fail", checks=checks, **kw)


def passes(cid, **kw):
    return case(cid, expect="pass", **kw)


def undecidable(cid, checks, **kw):
    return case(cid, expect="not_evaluated", checks=checks, **kw)


# ---- account helpers ---------------------------------------------------------

def role_arn(name, path="/"):
    return f"arn:aws:iam::{ACCT}:role{path}{name}"


def pb_arn(node):
    return f"arn:aws:iam::{ACCT}:policy/pennsieve-boundary-{node}"


def role(a, name):
    for r in a["RoleDetailList"]:
        if r["RoleName"] == name:
            return r
    raise KeyError(name)


def policy(a, name):
    for p in a["Policies"]:
        if p["PolicyName"] == name:
            return p
    raise KeyError(name)


def xa(a):
    return role(a, XA)


def xa_doc(a):
    return xa(a)["RolePolicyList"][0]["PolicyDocument"]


def stmts(doc):
    return doc["Statement"]


def st(a, sid):
    """The cross-account policy's statement with this Sid."""
    for s in stmts(xa_doc(a)):
        if s.get("Sid") == sid:
            return s
    raise KeyError(sid)


def add_xa(a, stmt, after=None):
    """Adds a statement to the cross-account policy (after the Sid, or at the end)."""
    ss = stmts(xa_doc(a))
    i = len(ss) if after is None else next(i for i, s in enumerate(ss) if s.get("Sid") == after) + 1
    ss.insert(i, stmt)


def drop_xa(a, sid):
    ss = stmts(xa_doc(a))
    ss[:] = [s for s in ss if s.get("Sid") != sid]


def inline(a, role_name, idx=0):
    return a["RoleDetailList"][a["RoleDetailList"].index(role(a, role_name))]["RolePolicyList"][idx]["PolicyDocument"]


def default_version(p):
    return next(v for v in p["PolicyVersionList"] if v["VersionId"] == p["DefaultVersionId"])


def bdoc(a, node):
    """The default version document of a node's boundary policy."""
    return default_version(policy(a, f"pennsieve-boundary-{node}"))["Document"]


def bst(a, node, sid):
    return next(s for s in stmts(bdoc(a, node)) if s.get("Sid") == sid)


def trust(a, name):
    return role(a, name)["AssumeRolePolicyDocument"]


def doc(*ss):
    return {"Version": "2012-10-17", "Statement": list(ss)}


def cond_add(s, op, key, value):
    s.setdefault("Condition", {}).setdefault(op, {})[key] = value


def managed(name, versions, default="v1", arn=None, path="/", usage=0, attach=1):
    """A managed policy entry as get-account-authorization-details prints it."""
    arn = arn or f"arn:aws:iam::{ACCT}:policy{path}{name}"
    return {
        "PolicyName": name, "PolicyId": "ANPA" + (name.upper().replace("-", "") + "X" * 17)[:17], "Arn": arn,
        "Path": path, "DefaultVersionId": default, "AttachmentCount": attach,
        "PermissionsBoundaryUsageCount": usage, "IsAttachable": True,
        "CreateDate": "2026-03-02T17:05:30Z", "UpdateDate": "2026-03-02T17:05:30Z",
        "PolicyVersionList": [{"Document": copy.deepcopy(d), "VersionId": v, "IsDefaultVersion": v == default,
                               "CreateDate": "2026-03-02T17:05:30Z"} for v, d in versions],
    }


def attach(a, role_name, p):
    role(a, role_name)["AttachedManagedPolicies"].append({"PolicyName": p["PolicyName"], "PolicyArn": p["Arn"]})
    a["Policies"].append(p)


def new_role(name, trust_doc, inline_policies=None, attached=(), boundary=None, tags=None, path="/",
             max_session=3600, role_id=None, profiles=()):
    r = {
        "Path": path, "RoleName": name,
        "RoleId": role_id or "AROA" + (name.upper().replace("-", "").replace("_", "") + "Q" * 19)[:19],
        "Arn": role_arn(name, path), "CreateDate": "2026-04-10T09:00:00Z",
        "AssumeRolePolicyDocument": copy.deepcopy(trust_doc),
        "InstanceProfileList": [{"Path": "/", "InstanceProfileName": p, "InstanceProfileId": "AIPA" + (p.upper().replace("-", "") + "Q" * 17)[:17],
                                 "Arn": f"arn:aws:iam::{ACCT}:instance-profile/{p}", "CreateDate": "2026-04-10T09:00:00Z",
                                 "Roles": []} for p in profiles],
        "RolePolicyList": [{"PolicyName": k, "PolicyDocument": copy.deepcopy(v)} for k, v in (inline_policies or {}).items()],
        "AttachedManagedPolicies": [{"PolicyName": x.rsplit("/", 1)[1], "PolicyArn": x} for x in attached],
        "Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()], "RoleLastUsed": {},
        "MaxSessionDuration": max_session,
    }
    if boundary:
        r["PermissionsBoundary"] = {"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": boundary}
    return r


def set_tag(r, key, value):
    r["Tags"] = [t for t in r["Tags"] if t["Key"] != key] + [{"Key": key, "Value": value}]


def new_user(name, path="/", tags=None, keys=()):
    u = {"Path": path, "UserName": name, "UserId": "AIDA" + (name.upper().replace("-", "").replace(".", "") + "Q" * 17)[:17],
         "Arn": f"arn:aws:iam::{ACCT}:user{path}{name}", "CreateDate": "2026-04-10T09:00:00Z",
         "UserPolicyList": [], "GroupList": [], "AttachedManagedPolicies": [],
         "Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()]}
    if keys:
        u["AccessKeyMetadata"] = [{"UserName": name, "AccessKeyId": k, "Status": "Active",
                                   "CreateDate": "2026-04-10T09:05:00Z"} for k in keys]
    return u


def service_trust(svc, source=True):
    s = {"Effect": "Allow", "Principal": {"Service": svc}, "Action": "sts:AssumeRole"}
    if source:
        s["Condition"] = {"StringEquals": {"aws:SourceAccount": ACCT}}
    return doc(s)


def url_encode(d):
    """A document as the IAM API returns it: URL-encoded JSON text."""
    return urllib.parse.quote(json.dumps(d, separators=(",", ":")), safe="")


def all_documents(a):
    """Yields (holder, key) for every policy document in the account."""
    for r in a["RoleDetailList"]:
        yield r, "AssumeRolePolicyDocument"
        for p in r["RolePolicyList"]:
            yield p, "PolicyDocument"
    for u in a.get("UserDetailList", []):
        for p in u["UserPolicyList"]:
            yield p, "PolicyDocument"
    for p in a["Policies"]:
        for v in p["PolicyVersionList"]:
            yield v, "Document"


def processor_doc(a, node, kind="ecs"):
    return inline(a, f"pennsieve-{node}-processor-{kind}")


def pst(a, node, sid, kind="ecs"):
    return next(s for s in stmts(processor_doc(a, node, kind)) if s.get("Sid") == sid)


def task_doc(a):
    return inline(a, TASK)


def tst(a, sid):
    return next(s for s in stmts(task_doc(a)) if s.get("Sid") == sid)


def C(*pairs):
    """Context from (key, value) pairs."""
    out = {}
    for k, v in pairs:
        out.setdefault(k, []).extend(v if isinstance(v, list) else [v])
    return out


def undocumented_probe_prefixes():
    """The service prefixes of the pennsieve contract's service probes that
    are not documented services (read from the contract, so the case tracks
    the probe list it is written against)."""
    path = os.path.join(ROOT, "contract", "builtin", "pennsieve.yaml")
    documented = {"ecs", "lambda", "states", "elasticfilesystem", "s3", "ec2", "logs", "iam", "kms",
                  "secretsmanager", "dynamodb", "ssm", "autoscaling", "application-autoscaling"}
    out, in_probes = [], False
    with open(path) as f:
        for line in f:
            if line.startswith("service_probes:"):
                in_probes = True
                continue
            if in_probes:
                if not line.startswith("  - "):
                    break
                svc = line.strip()[2:].split(":", 1)[0]
                if svc not in documented and svc not in out:
                    out.append(svc)
    return out


def service_probe_actions():
    path = os.path.join(ROOT, "contract", "builtin", "pennsieve.yaml")
    out, in_probes = [], False
    with open(path) as f:
        for line in f:
            if line.startswith("service_probes:"):
                in_probes = True
                continue
            if in_probes:
                if not line.startswith("  - "):
                    break
                out.append(line.strip()[2:])
    return out


XA_ARN = role_arn(XA)
PROC1 = f"pennsieve-{N1}-processor-ecs"
PROC1L = f"pennsieve-{N1}-processor-lambda"
CUSTOMER_FN = f"arn:aws:lambda:us-east-1:{ACCT}:function:lab-ingest"
CUSTOMER_INSTANCE = f"arn:aws:ec2:us-east-1:{ACCT}:instance/i-0a1b2c3d4e5f60718"
FOREIGN_OBJECT = "arn:aws:s3:::partner-research-exports/cohort.parquet"

# ==============================================================================
# MUST-FAIL — class current-time: keys every real request carries, treated as absent
# ==============================================================================


@fail("xar006-rds-after-date", ["PV-XAR-006"], cls="current-time", spec=S_SERVICES, resource=XA_ARN,
      change="cross-account policy gains Allow rds:* on arn:aws:rds:*:ACCOUNT:* when DateGreaterThan aws:CurrentTime 2024-01-01T00:00:00Z (every request made since 2024 satisfies it)",
      proofs=[prove(XA, "rds:ModifyDBInstance", f"arn:aws:rds:us-east-1:{ACCT}:db:lab-postgres", C(("aws:CurrentTime", NOW)))])
def _(a):
    """A "maintenance window" that opened in 2024 and never closes. The
    service probes carry no aws:CurrentTime, so the window looks shut."""
    add_xa(a, {"Sid": "RdsMaintenanceWindow", "Effect": "Allow", "Action": "rds:*", "Resource": f"arn:aws:rds:*:{ACCT}:*",
               "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2024-01-01T00:00:00Z"}}}, after="NodeParameters")


@fail("xar006-sqs-epoch-time", ["PV-XAR-006"], cls="current-time", spec=S_SERVICES, resource=XA_ARN,
      change="cross-account policy gains Allow sqs:* on arn:aws:sqs:*:ACCOUNT:* when NumericGreaterThan aws:EpochTime 1704067200 (2024-01-01)",
      proofs=[prove(XA, "sqs:ReceiveMessage", f"arn:aws:sqs:us-east-1:{ACCT}:lab-jobs", C(("aws:EpochTime", NOW_EPOCH)))])
def _(a):
    """The same window written with aws:EpochTime, a key every request carries."""
    add_xa(a, {"Sid": "QueueWindow", "Effect": "Allow", "Action": "sqs:*", "Resource": f"arn:aws:sqs:*:{ACCT}:*",
               "Condition": {"NumericGreaterThan": {"aws:EpochTime": "1704067200"}}})


@fail("xar006-sns-token-issue-time", ["PV-XAR-006"], cls="current-time", spec=S_SERVICES, resource=XA_ARN,
      change="cross-account policy gains Allow sns:* on arn:aws:sns:*:ACCOUNT:* when DateGreaterThan aws:TokenIssueTime 2024-01-01T00:00:00Z (every session issued since 2024)",
      proofs=[prove(XA, "sns:Publish", f"arn:aws:sns:us-east-1:{ACCT}:lab-alerts", C(("aws:TokenIssueTime", "2026-03-02T11:55:00Z")))])
def _(a):
    """aws:TokenIssueTime is present in every request signed with temporary
    credentials — and the cross-account role only ever has those."""
    add_xa(a, {"Sid": "Notifications", "Effect": "Allow", "Action": "sns:*", "Resource": f"arn:aws:sns:*:{ACCT}:*",
               "Condition": {"DateGreaterThan": {"aws:TokenIssueTime": "2024-01-01T00:00:00Z"}}})


@fail("xar006-cloudfront-until-2099", ["PV-XAR-006"], cls="current-time", spec=S_SERVICES, resource=XA_ARN,
      change="cross-account policy gains Allow cloudfront:* on * when DateLessThan aws:CurrentTime 2099-12-31T23:59:59Z",
      proofs=[prove(XA, "cloudfront:CreateDistribution", "*", C(("aws:CurrentTime", NOW)))])
def _(a):
    """An "expiry" far in the future: true for every request today. The
    statement probe fills in the policy's own date, which is not before itself."""
    add_xa(a, {"Sid": "CdnUntil2099", "Effect": "Allow", "Action": "cloudfront:*", "Resource": "*",
               "Condition": {"DateLessThan": {"aws:CurrentTime": "2099-12-31T23:59:59Z"}}})


@fail("xar006-rds-source-ip", ["PV-XAR-006"], cls="current-time", spec=S_SERVICES, resource=XA_ARN,
      change="cross-account policy gains Allow rds:* on arn:aws:rds:*:ACCOUNT:* when IpAddress aws:SourceIp 198.51.100.0/24 (the provider's egress range)",
      proofs=[prove(XA, "rds:CreateDBSnapshot", f"arn:aws:rds:us-east-1:{ACCT}:db:lab-postgres", C(("aws:SourceIp", "198.51.100.17")))])
def _(a):
    """The caller decides where it calls from; aws:SourceIp is in every
    direct request. An IP condition limits who, not what."""
    add_xa(a, {"Sid": "RdsFromProvider", "Effect": "Allow", "Action": "rds:*", "Resource": f"arn:aws:rds:*:{ACCT}:*",
               "Condition": {"IpAddress": {"aws:SourceIp": "198.51.100.0/24"}}})


@fail("grd004-access-key-time-window", ["PV-GRD-004"], cls="current-time", spec=S_USERS, resource=XA_ARN,
      change="iam:CreateAccessKey leaves DenyUsersKeysAndAccount and is allowed on user/* when DateGreaterThan aws:CurrentTime 2025-06-01T00:00:00Z (a break-glass window left open)",
      proofs=[prove(XA, "iam:CreateAccessKey", f"arn:aws:iam::{ACCT}:user/maria.chen", C(("aws:CurrentTime", NOW)))])
def _(a):
    """Access keys for any user (maria.chen is an administrator) since mid-2025."""
    unlist(a, "iam:CreateAccessKey")
    add_xa(a, {"Sid": "BreakGlassKeys", "Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": f"arn:aws:iam::{ACCT}:user/*",
               "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2025-06-01T00:00:00Z"}}})


@fail("grd004-service-credential-region", ["PV-GRD-004"], cls="current-time", spec=S_USERS, resource=XA_ARN,
      change="cross-account policy gains Allow iam:CreateServiceSpecificCredential on user/* when StringEquals aws:RequestedRegion us-east-1 (IAM requests are signed for us-east-1)",
      proofs=[prove(XA, "iam:CreateServiceSpecificCredential", f"arn:aws:iam::{ACCT}:user/backup-exporter", C(("aws:RequestedRegion", "us-east-1")))])
def _(a):
    """aws:RequestedRegion is in every request and chosen by the caller; IAM
    is a global service whose requests go to us-east-1."""
    unlist(a, "iam:CreateServiceSpecificCredential")
    add_xa(a, {"Sid": "GitCredentials", "Effect": "Allow", "Action": "iam:CreateServiceSpecificCredential",
               "Resource": f"arn:aws:iam::{ACCT}:user/*", "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}})


@fail("esc001-boundary-edit-window", ["PV-ESC-001", "PV-PRB-002"], cls="current-time", spec=S_BOUNDARY,
      resource=XA_ARN,
      change="DenyBoundaryPolicyEdits becomes Allow iam:CreatePolicyVersion/SetDefaultPolicyVersion/DeletePolicyVersion on policy/pennsieve-boundary-* when DateGreaterThan aws:CurrentTime 2025-06-01T00:00:00Z",
      proofs=[prove(XA, "iam:CreatePolicyVersion", pb_arn(N1), C(("aws:CurrentTime", NOW))),
              prove(XA, "iam:SetDefaultPolicyVersion", pb_arn(N2), C(("aws:CurrentTime", NOW)))])
def _(a):
    """The boundary's ceiling is editable by the role it caps, in a window
    that opened in 2025 and never closed."""
    s = st(a, "DenyBoundaryPolicyEdits")
    s["Sid"] = "BoundaryMaintenance"
    s["Effect"] = "Allow"
    s["Condition"] = {"DateGreaterThan": {"aws:CurrentTime": "2025-06-01T00:00:00Z"}}


@fail("xar007-deny-lapsed-ifexists", ["PV-XAR-007"], cls="current-time", spec=S_OTHER_ACCOUNTS, resource=XA_ARN,
      change="DenyOtherAccounts gains DateLessThanIfExists aws:CurrentTime 2025-01-01T00:00:00Z: the deny lapsed on 1 January 2025",
      proofs=[prove(XA, "s3:GetObject", FOREIGN_OBJECT, C(("aws:ResourceAccount", OUTSIDE), ("aws:CurrentTime", NOW)))])
def _(a):
    """...IfExists makes an absent key true, so an evaluator that leaves
    aws:CurrentTime out keeps the lapsed deny in force."""
    cond_add(st(a, "DenyOtherAccounts"), "DateLessThanIfExists", "aws:CurrentTime", "2025-01-01T00:00:00Z")


@fail("esc008-deny-region-ifexists", ["PV-ESC-008"], cls="current-time", spec=S_MODIFY_OWN, resource=XA_ARN,
      change="DenyForeignFunctionChanges gains StringEqualsIfExists aws:RequestedRegion us-east-1: customer functions in every other region are open",
      proofs=[prove(XA, "lambda:UpdateFunctionCode", f"arn:aws:lambda:eu-west-1:{ACCT}:function:lab-ingest", C(("aws:RequestedRegion", "eu-west-1")))])
def _(a):
    """Running its code as a customer function's role (outside the boundary)
    is one UpdateFunctionCode away in eu-west-1."""
    cond_add(st(a, "DenyForeignFunctionChanges"), "StringEqualsIfExists", "aws:RequestedRegion", "us-east-1")


@fail("xar007-deny-source-ip", ["PV-XAR-007"], cls="current-time", spec=S_OTHER_ACCOUNTS, resource=XA_ARN,
      change="DenyOtherAccounts gains NotIpAddress aws:SourceIp 198.51.100.0/24: requests from the provider's own range are exempt",
      proofs=[prove(XA, "s3:PutObject", FOREIGN_OBJECT, C(("aws:ResourceAccount", OUTSIDE), ("aws:SourceIp", "198.51.100.17")))])
def _(a):
    """The provider chooses where its Terraform runs."""
    cond_add(st(a, "DenyOtherAccounts"), "NotIpAddress", "aws:SourceIp", "198.51.100.0/24")


@fail("bnd004-stored-version-time-window", ["PV-BND-004"], cls="current-time", spec=S_BOUNDARY,
      resource=pb_arn(N1),
      change="pennsieve-boundary-7f3a9c21 gains a stored non-default v1 (the default becomes v2, unchanged) whose extra statement allows sqs:* when DateGreaterThan aws:CurrentTime 2024-01-01T00:00:00Z",
      proofs=[prove(None, "sqs:SendMessage", f"arn:aws:sqs:us-east-1:{ACCT}:lab-jobs", C(("aws:CurrentTime", NOW)),
                    version=(f"pennsieve-boundary-{N1}", "v1"), base_want=None)])
def _(a):
    """One SetDefaultPolicyVersion away from an SQS-capable boundary."""
    p = policy(a, f"pennsieve-boundary-{N1}")
    cur = p["PolicyVersionList"][0]
    cur["VersionId"] = "v2"
    old = copy.deepcopy(cur)
    old.update({"VersionId": "v1", "IsDefaultVersion": False, "CreateDate": "2026-02-01T10:00:00Z"})
    old["Document"]["Statement"].insert(1, {"Sid": "Queues", "Effect": "Allow", "Action": "sqs:*", "Resource": "*",
                                            "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2024-01-01T00:00:00Z"}}})
    p["PolicyVersionList"].insert(0, old)
    p["DefaultVersionId"] = "v2"


@fail("bnd003-boundary-sqs-after-date", ["PV-BND-003"], cls="current-time", spec=S_BOUNDARY, resource=pb_arn(N2),
      change="pennsieve-boundary-b24e11d0 (default version) gains Allow sqs:* when DateGreaterThan aws:CurrentTime 2024-01-01T00:00:00Z",
      proofs=[prove(None, "sqs:SendMessage", f"arn:aws:sqs:us-east-1:{ACCT}:lab-jobs", C(("aws:CurrentTime", NOW)),
                    version=(f"pennsieve-boundary-{N2}", "v1"))])
def _(a):
    """The ceiling of every node b24e11d0 role now includes SQS."""
    stmts(bdoc(a, N2)).insert(1, {"Sid": "Queues", "Effect": "Allow", "Action": "sqs:*", "Resource": "*",
                                  "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2024-01-01T00:00:00Z"}}})


@fail("xar005-managed-policy-time-window", ["PV-XAR-005", "PV-XAR-006"], cls="current-time", spec=S_SERVICES,
      resource=XA_ARN,
      change="a customer managed policy pennsieve-compute-queues (Allow sqs:* on arn:aws:sqs:*:ACCOUNT:* when DateGreaterThan aws:CurrentTime 2024-01-01T00:00:00Z) is attached to the cross-account role",
      proofs=[prove(XA, "sqs:SendMessage", f"arn:aws:sqs:us-east-1:{ACCT}:lab-jobs", C(("aws:CurrentTime", NOW)))])
def _(a):
    """The same time window, in a managed policy beside the inline one."""
    attach(a, XA, managed("pennsieve-compute-queues", [("v1", doc({"Effect": "Allow", "Action": "sqs:*", "Resource": f"arn:aws:sqs:*:{ACCT}:*",
                                                                     "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2024-01-01T00:00:00Z"}}}))]))


@fail("par002-ecs-after-date", ["PV-PAR-002", "PV-PAR-003"], base="par-compliant", cls="current-time",
      spec=S_PAR_NEVER + "`ecs:*` - No ECS control plane access", resource=role_arn(TASK),
      change="task role policy gains Allow ecs:ListTasks, ecs:DescribeTasks, ecs:StopTask on * when DateGreaterThan aws:CurrentTime 2024-01-01T00:00:00Z",
      proofs=[prove(TASK, "ecs:StopTask", "*", C(("aws:CurrentTime", NOW)))])
def _(a):
    """The document's own `aws ecs list-tasks` succeeds today."""
    stmts(task_doc(a)).append({"Sid": "Ops", "Effect": "Allow", "Action": ["ecs:ListTasks", "ecs:DescribeTasks", "ecs:StopTask"],
                               "Resource": "*", "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2024-01-01T00:00:00Z"}}})


@fail("par003-kms-after-date", ["PV-PAR-003"], base="par-compliant", cls="current-time", spec=S_PAR_ONLY,
      resource=role_arn(TASK),
      change="task role policy gains Allow kms:Decrypt on * when NumericGreaterThan aws:EpochTime 1704067200 (2024-01-01)",
      proofs=[prove(TASK, "kms:Decrypt", f"arn:aws:kms:us-east-2:{ACCT}:key/0b6d3c1e-2f4a-4c7b-9d8e-1a2b3c4d5e6f", C(("aws:EpochTime", NOW_EPOCH)))])
def _(a):
    """Decrypting with any key in the account is beyond "only S3 GetObject"."""
    stmts(task_doc(a)).append({"Sid": "Decrypt", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*",
                               "Condition": {"NumericGreaterThan": {"aws:EpochTime": "1704067200"}}})


# ==============================================================================
# MUST-FAIL — class identity-keys: keys that come from the principal, not the request
# ==============================================================================

TAG = "aws:PrincipalTag/pennsieve:account"


@fail("esc008-deny-exempts-principal-tag", ["PV-ESC-008"], cls="identity-keys", spec=S_MODIFY_OWN, resource=XA_ARN,
      change="DenyForeignFunctionChanges gains StringNotEquals aws:PrincipalTag/pennsieve:account a3f1b20c — the tag the cross-account role itself carries",
      proofs=[prove(XA, "lambda:UpdateFunctionCode", CUSTOMER_FN, C((TAG, "a3f1b20c")))])
def _(a):
    """The exemption names the role's own tag (snapshot: Tags), so the deny
    never applies to it; an evaluator without principal tags sees it intact."""
    cond_add(st(a, "DenyForeignFunctionChanges"), "StringNotEquals", TAG, "a3f1b20c")


@fail("xar007-deny-exempts-principal-tag", ["PV-XAR-007"], cls="identity-keys", spec=S_OTHER_ACCOUNTS, resource=XA_ARN,
      change="DenyOtherAccounts gains StringNotEquals aws:PrincipalTag/pennsieve:account a3f1b20c (the role's own tag)",
      proofs=[prove(XA, "s3:GetObject", FOREIGN_OBJECT, C(("aws:ResourceAccount", OUTSIDE), (TAG, "a3f1b20c")))])
def _(a):
    """Same trick on the other-accounts deny."""
    cond_add(st(a, "DenyOtherAccounts"), "StringNotEquals", TAG, "a3f1b20c")


@fail("grd001-createrole-exempts-session-name", ["PV-GRD-001"], cls="identity-keys", spec=S_MUST_ATTACH, resource=XA_ARN,
      change="the CreateRole part of DenyCreateRoleWithoutBoundary gains StringNotLike aws:userid *:terraform-* (PutRolePermissionsBoundary keeps its deny); the provisioner names its session",
      proofs=[prove(XA, "iam:CreateRole", role_arn(f"pennsieve-{N1}-scratch"), C(("aws:userid", f"{XA_ROLE_ID}:terraform-apply")))])
def _(a):
    """aws:userid of a role session is ROLEID:SESSIONNAME, and the session
    name is whatever the AssumeRole caller passes."""
    s = st(a, "DenyCreateRoleWithoutBoundary")
    s["Action"] = ["iam:PutRolePermissionsBoundary"]
    c = copy.deepcopy(s)
    c["Sid"] = "DenyCreateRoleWithoutBoundaryExceptTerraform"
    c["Action"] = ["iam:CreateRole"]
    c["Condition"]["StringNotLike"] = {"aws:userid": "*:terraform-*"}
    add_xa(a, c, after="DenyCreateRoleWithoutBoundary")


@fail("esc008-instance-deny-exempts-userid", ["PV-ESC-008"], cls="identity-keys", spec=S_MODIFY_OWN, resource=XA_ARN,
      change=f"DenyForeignInstanceChanges gains StringNotLike aws:userid {XA_ROLE_ID}:terraform-* (the role's ID from the snapshot, a session name the caller picks)",
      proofs=[prove(XA, "ec2:ModifyInstanceAttribute", CUSTOMER_INSTANCE, C(("aws:userid", f"{XA_ROLE_ID}:terraform-gpu")))])
def _(a):
    """User data of any customer instance, from a session named terraform-*."""
    cond_add(st(a, "DenyForeignInstanceChanges"), "StringNotLike", "aws:userid", f"{XA_ROLE_ID}:terraform-*")


@fail("xar007-deny-exempts-assumed-roles", ["PV-XAR-007"], cls="identity-keys", spec=S_OTHER_ACCOUNTS, resource=XA_ARN,
      change="DenyOtherAccounts gains StringNotEquals aws:PrincipalType AssumedRole — it now binds only callers that are not role sessions, which the cross-account role never is",
      proofs=[prove(XA, "lambda:InvokeFunction", f"arn:aws:lambda:us-east-1:{OUTSIDE}:function:collector",
                    C(("aws:ResourceAccount", OUTSIDE), ("aws:PrincipalType", "AssumedRole")))])
def _(a):
    """aws:PrincipalType is AssumedRole for every request of the role."""
    cond_add(st(a, "DenyOtherAccounts"), "StringNotEquals", "aws:PrincipalType", "AssumedRole")


@fail("xar007-partner-account-tag-variable", ["PV-XAR-007"], cls="identity-keys", spec=S_OTHER_ACCOUNTS, resource=XA_ARN,
      change="the cross-account role is tagged pennsieve:partner-account=730335412345 and DenyOtherAccounts exempts [ACCOUNT, ${aws:PrincipalTag/pennsieve:partner-account}]",
      proofs=[prove(XA, "s3:PutObject", "arn:aws:s3:::partner-drop/export.csv",
                    C(("aws:ResourceAccount", "730335412345"), ("aws:PrincipalTag/pennsieve:partner-account", "730335412345")))])
def _(a):
    """A policy variable resolved from the role's own tag: a second account
    the probes (999999999999) never ask about."""
    set_tag(xa(a), "pennsieve:partner-account", "730335412345")
    st(a, "DenyOtherAccounts")["Condition"]["StringNotEquals"]["aws:ResourceAccount"] = [
        ACCT, "${aws:PrincipalTag/pennsieve:partner-account}"]


@undecidable("xar007-deny-exempts-principal-org", ["PV-XAR-007"], cls="identity-keys", spec=S_OTHER_ACCOUNTS,
             resource=XA_ARN,
             change="DenyOtherAccounts gains StringNotEquals aws:PrincipalOrgID o-7ks2x9q1ab: the deny binds only if this account is NOT in that organization, which an IAM snapshot does not say (NOT_EVALUATED, not PASS)",
             proofs=[prove(XA, "s3:GetObject", FOREIGN_OBJECT, C(("aws:ResourceAccount", OUTSIDE), ("aws:PrincipalOrgID", "o-7ks2x9q1ab")))])
def _(a):
    """Undecidable from IAM alone: aws:PrincipalOrgID is the scanned account's
    organization. If it is o-7ks2x9q1ab the deny is dead."""
    cond_add(st(a, "DenyOtherAccounts"), "StringNotEquals", "aws:PrincipalOrgID", "o-7ks2x9q1ab")


@fail("esc007-update-trust-session-name", ["PV-ESC-007"], cls="identity-keys", spec=S_PERSIST, resource=XA_ARN,
      change="cross-account policy gains Allow iam:UpdateAssumeRolePolicy on role/pennsieve-* when StringLike aws:userid *:terraform-* (the caller names its session)",
      proofs=[prove(XA, "iam:UpdateAssumeRolePolicy", role_arn(f"pennsieve-{N1}-orchestrator"), C(("aws:userid", f"{XA_ROLE_ID}:terraform-apply")))])
def _(a):
    """A child role made assumable from the provider's account survives
    deleting the cross-account role."""
    add_xa(a, {"Sid": "TerraformTrustUpdates", "Effect": "Allow", "Action": "iam:UpdateAssumeRolePolicy",
               "Resource": f"arn:aws:iam::{ACCT}:role/pennsieve-*", "Condition": {"StringLike": {"aws:userid": "*:terraform-*"}}},
           after="ManageNodeRoles")


@fail("grd003-self-update-session-name", ["PV-GRD-003"], cls="identity-keys", spec=S_SELF, resource=XA_ARN,
      change="ManageNodeRoles also covers role/Pennsieve-Compute-* and DenySelfModification gains StringNotLike aws:userid *:terraform-* (Terraform maintains the role itself)",
      proofs=[prove(XA, "iam:DeleteRolePolicy", XA_ARN, C(("aws:userid", f"{XA_ROLE_ID}:terraform-apply")))])
def _(a):
    """DeleteRolePolicy on itself removes every deny rule in one call."""
    st(a, "ManageNodeRoles")["Resource"].append(f"arn:aws:iam::{ACCT}:role/Pennsieve-Compute-*")
    cond_add(st(a, "DenySelfModification"), "StringNotLike", "aws:userid", "*:terraform-*")


@fail("grd003-self-update-principal-tag", ["PV-GRD-003"], cls="identity-keys", spec=S_SELF, resource=XA_ARN,
      change="ManageNodeRoles also covers role/Pennsieve-Compute-* and DenySelfModification gains StringNotEquals aws:PrincipalTag/pennsieve:account a3f1b20c (the role's own tag)",
      proofs=[prove(XA, "iam:DeleteRolePolicy", XA_ARN, C((TAG, "a3f1b20c")))])
def _(a):
    """The self-modification deny exempts exactly the principal it guards."""
    st(a, "ManageNodeRoles")["Resource"].append(f"arn:aws:iam::{ACCT}:role/Pennsieve-Compute-*")
    cond_add(st(a, "DenySelfModification"), "StringNotEquals", TAG, "a3f1b20c")


@fail("grd002-remove-boundary-session-name", ["PV-GRD-002"], cls="identity-keys", spec=S_NO_REMOVE, resource=XA_ARN,
      change="ManageNodeRoles gains iam:DeleteRolePermissionsBoundary and DenyBoundaryRemoval gains StringNotLike aws:userid *:terraform-destroy-*",
      proofs=[prove(XA, "iam:DeleteRolePermissionsBoundary", role_arn(f"pennsieve-{N1}-orchestrator"),
                    C(("aws:userid", f"{XA_ROLE_ID}:terraform-destroy-7f3a9c21")))])
def _(a):
    """"terraform destroy needs it" — and the session name is the caller's."""
    st(a, "ManageNodeRoles")["Action"].append("iam:DeleteRolePermissionsBoundary")
    cond_add(st(a, "DenyBoundaryRemoval"), "StringNotLike", "aws:userid", "*:terraform-destroy-*")


@fail("chd004-bucket-from-principal-tag", ["PV-CHD-003", "PV-CHD-004"], cls="identity-keys", spec=S_PROC_S3,
      resource=role_arn(PROC1L),
      change="processor role pennsieve-7f3a9c21-processor-lambda is tagged pennsieve:data-bucket=example-lab-data and gains Allow s3:GetObject on arn:aws:s3:::${aws:PrincipalTag/pennsieve:data-bucket}/*",
      proofs=[prove(PROC1L, "s3:GetObject", "arn:aws:s3:::example-lab-data/cohort.csv", C(("aws:PrincipalTag/pennsieve:data-bucket", "example-lab-data")))])
def _(a):
    """The bucket name comes from the role's own tag: the customer's data bucket."""
    set_tag(role(a, PROC1L), "pennsieve:data-bucket", "example-lab-data")
    stmts(processor_doc(a, N1, "lambda")).append({"Sid": "Inputs", "Effect": "Allow", "Action": "s3:GetObject",
                                                  "Resource": "arn:aws:s3:::${aws:PrincipalTag/pennsieve:data-bucket}/*"})


@fail("par002-servicediscovery-principal-tag", ["PV-PAR-002", "PV-PAR-003"], base="par-compliant", cls="identity-keys",
      spec=S_PAR_NEVER + "`servicediscovery:*` - No Cloud Map registration", resource=role_arn(TASK),
      change="task role is tagged team=par and gains Allow servicediscovery:RegisterInstance/DeregisterInstance on * when StringEquals aws:PrincipalTag/team par",
      proofs=[prove(TASK, "servicediscovery:RegisterInstance", "*", C(("aws:PrincipalTag/team", "par")))])
def _(a):
    """The condition is always met by the role's own tag."""
    set_tag(role(a, TASK), "team", "par")
    stmts(task_doc(a)).append({"Sid": "Registration", "Effect": "Allow",
                               "Action": ["servicediscovery:RegisterInstance", "servicediscovery:DeregisterInstance"],
                               "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalTag/team": "par"}}})


@fail("par003-bucket-from-principal-tag", ["PV-PAR-003"], base="par-compliant", cls="identity-keys", spec=S_PAR_BUCKET,
      resource=role_arn(TASK),
      change="task role is tagged cache-bucket=pixell-customer-uploads and gains Allow s3:GetObject on arn:aws:s3:::${aws:PrincipalTag/cache-bucket}/*",
      proofs=[prove(TASK, "s3:GetObject", "arn:aws:s3:::pixell-customer-uploads/invoice.pdf", C(("aws:PrincipalTag/cache-bucket", "pixell-customer-uploads")))])
def _(a):
    """A second bucket, named only in a tag."""
    set_tag(role(a, TASK), "cache-bucket", "pixell-customer-uploads")
    stmts(task_doc(a)).append({"Sid": "Cache", "Effect": "Allow", "Action": "s3:GetObject",
                               "Resource": "arn:aws:s3:::${aws:PrincipalTag/cache-bucket}/*"})


XA_TRUST_NOTE = "trust policy (not an identity-policy request; pvaudit simulate does not evaluate trust documents): "


@fail("xar003-second-statement-mfa", ["PV-XAR-003"], cls="identity-keys", spec=S_EXTERNAL_ID, resource=XA_ARN,
      change="the trust gains a second statement: the provisioner may assume the role without an external ID when Bool aws:MultiFactorAuthPresent true",
      proofs=[XA_TRUST_NOTE + f"AssumeRole by arn:aws:iam::{PROV}:root with aws:MultiFactorAuthPresent=true and no sts:ExternalId matches statement 2 → Allow"])
def _(a):
    """The external ID protects against the confused deputy; an MFA'd
    provisioner session does not need it any more."""
    stmts(trust(a, XA)).append({"Sid": "BreakGlass", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{PROV}:root"},
                                "Action": "sts:AssumeRole", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}})


@fail("xar003-second-statement-source-ip", ["PV-XAR-003"], cls="identity-keys", spec=S_EXTERNAL_ID, resource=XA_ARN,
      change="the trust gains a second statement: the provisioner may assume the role without an external ID from 198.51.100.0/24",
      proofs=[XA_TRUST_NOTE + f"AssumeRole by arn:aws:iam::{PROV}:root from 198.51.100.17 without sts:ExternalId matches statement 2 → Allow"])
def _(a):
    """Anything running in the provider's network skips the external ID."""
    stmts(trust(a, XA)).append({"Sid": "ProvisionerNetwork", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{PROV}:root"},
                                "Action": "sts:AssumeRole", "Condition": {"IpAddress": {"aws:SourceIp": "198.51.100.0/24"}}})


@fail("xar003-second-statement-session-name", ["PV-XAR-003"], cls="identity-keys", spec=S_EXTERNAL_ID, resource=XA_ARN,
      change="the trust gains a second statement: the provisioner may assume the role without an external ID when StringLike sts:RoleSessionName break-glass-*",
      proofs=[XA_TRUST_NOTE + f"AssumeRole by arn:aws:iam::{PROV}:root with --role-session-name break-glass-1 and no external ID → Allow"])
def _(a):
    """sts:RoleSessionName is whatever the caller passes."""
    stmts(trust(a, XA)).append({"Sid": "BreakGlass", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{PROV}:root"},
                                "Action": "sts:AssumeRole", "Condition": {"StringLike": {"sts:RoleSessionName": "break-glass-*"}}})


@fail("esc008-deny-exempts-principal-arn", ["PV-ESC-008"], cls="identity-keys", spec=S_MODIFY_OWN, resource=XA_ARN,
      change="DenyForeignFunctionChanges gains ArnNotLike aws:PrincipalArn arn:aws:iam::*:role/Pennsieve-Compute-* — the deny now spares the role it was written for",
      proofs=[prove(XA, "lambda:UpdateFunctionConfiguration", CUSTOMER_FN)])
def _(a):
    """aws:PrincipalArn is derived from the snapshot (control case: caught)."""
    cond_add(st(a, "DenyForeignFunctionChanges"), "ArnNotLike", "aws:PrincipalArn", "arn:aws:iam::*:role/Pennsieve-Compute-*")


# ==============================================================================
# MUST-FAIL — class wildcards-notaction: a handful of probe actions stand for a whole family
# ==============================================================================

def probe_verb_exclusions():
    """NotAction entries that exclude, for every undocumented service the
    contract probes, the verb family of its probe (rds:Create*, sqs:Send*,
    route53:Change*, …) plus Create*/Delete*/Put* of the five the document
    names. IAM rejects wildcards in the service prefix ("*:Create*"), so an
    attacker spells them out per service."""
    out = []
    for a in service_probe_actions():
        svc, name = a.split(":", 1)
        if svc not in undocumented_probe_prefixes():
            continue
        verb = name if name.isupper() else next((name[:i] for i in range(1, len(name)) if name[i].isupper()), name)
        out.append(f"{svc}:{verb}*")
    for svc in ("rds", "sqs", "sns", "route53", "cloudfront"):
        out += [f"{svc}:Create*", f"{svc}:Delete*", f"{svc}:Put*"]
    out += ["iam:*", "sts:*", "ssm:*", "organizations:*", "account:*", "aws-portal:*", "billing:*", "payments:*"]
    whole = {x.split(":")[0] for x in out if x.endswith(":*")}
    return sorted({x for x in out if x.endswith(":*") or x.split(":")[0] not in whole})


# Every resource of this account (and Route 53, whose ARNs name no account):
# the grant stays inside the account, so only the services promise breaks.
IN_ACCOUNT = [f"arn:aws:*:*:{ACCT}:*", "arn:aws:route53:::*"]


@fail("xar006-notaction-create-delete-put", ["PV-XAR-006"], cls="wildcards-notaction", spec=S_SERVICES, resource=XA_ARN,
      change="cross-account policy gains Allow NotAction [rds:Create*, rds:Delete*, rds:Put*, sqs:Send*, sqs:Create*, …, sns:Publish*, route53:Change*, cloudfront:Create*, one verb family per probed service, iam:*, sts:*, ssm:*, organizations:*, account:*, …] on the account's resources (\"no writes to undocumented services\")",
      proofs=[prove(XA, "sqs:ReceiveMessage", f"arn:aws:sqs:us-east-1:{ACCT}:lab-jobs"),
              prove(XA, "rds:RestoreDBInstanceFromDBSnapshot", f"arn:aws:rds:us-east-1:{ACCT}:db:lab-copy"),
              prove(XA, "route53:AssociateVPCWithHostedZone", "arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ")])
def _(a):
    """Every service probe is a Create/Put/Send/Start/… action, so each one
    is excluded; RDS restores, SQS reads, Route 53 associations are not."""
    add_xa(a, {"Sid": "NoUndocumentedWrites", "Effect": "Allow", "NotAction": probe_verb_exclusions(), "Resource": IN_ACCOUNT})


@fail("xar006-notaction-exactly-the-probes", ["PV-XAR-006"], cls="wildcards-notaction", spec=S_SERVICES, resource=XA_ARN,
      change="cross-account policy gains Allow NotAction [every action of the contract's service_probes list, iam:*, sts:*, organizations:*, account:*, aws-portal:*, billing:*, payments:*] on the account's resources",
      proofs=[prove(XA, "rds:DeleteDBInstance", f"arn:aws:rds:us-east-1:{ACCT}:db:lab-postgres"),
              prove(XA, "sqs:DeleteQueue", f"arn:aws:sqs:us-east-1:{ACCT}:lab-jobs")])
def _(a):
    """An attacker who read contract/builtin/pennsieve.yaml: the statement
    excludes exactly the actions pvaudit asks about."""
    add_xa(a, {"Sid": "Everything", "Effect": "Allow",
               "NotAction": service_probe_actions() + ["iam:*", "sts:*", "organizations:*", "account:*", "aws-portal:*", "billing:*", "payments:*"],
               "Resource": IN_ACCOUNT})


@fail("xar006-rds-star-minus-probe", ["PV-XAR-006"], cls="wildcards-notaction", spec=S_SERVICES, resource=XA_ARN,
      change="cross-account policy gains Allow rds:* on arn:aws:rds:*:ACCOUNT:* and Deny rds:CreateDBInstance, rds:DeleteDBInstance",
      proofs=[prove(XA, "rds:ModifyDBInstance", f"arn:aws:rds:us-east-1:{ACCT}:db:lab-postgres"),
              prove(XA, "rds:CreateDBSnapshot", f"arn:aws:rds:us-east-1:{ACCT}:db:lab-postgres")])
def _(a):
    """Looks restricted; the one action pvaudit probes for RDS is the one denied."""
    add_xa(a, {"Sid": "Rds", "Effect": "Allow", "Action": "rds:*", "Resource": f"arn:aws:rds:*:{ACCT}:*"})
    add_xa(a, {"Sid": "NoRdsLifecycle", "Effect": "Deny", "Action": ["rds:CreateDBInstance", "rds:DeleteDBInstance"], "Resource": "*"})


@fail("xar006-mixed-case-service", ["PV-XAR-006"], cls="wildcards-notaction", spec=S_SERVICES, resource=XA_ARN,
      change="cross-account policy gains Allow \"SQS:*\" on arn:aws:sqs:*:ACCOUNT:* (IAM matches action names case-insensitively)",
      proofs=[prove(XA, "sqs:SendMessage", f"arn:aws:sqs:us-east-1:{ACCT}:lab-jobs")])
def _(a):
    """Control case for case-insensitive matching."""
    add_xa(a, {"Sid": "Queues", "Effect": "Allow", "Action": "SQS:*", "Resource": f"arn:aws:sqs:*:{ACCT}:*"})


@fail("xar006-question-mark-action", ["PV-XAR-006"], cls="wildcards-notaction", spec=S_SERVICES, resource=XA_ARN,
      change="cross-account policy gains Allow [\"sqs:?*\", \"sns:?*\"] (every action: one character, then anything) on the account's resources",
      proofs=[prove(XA, "sns:Publish", f"arn:aws:sns:us-east-1:{ACCT}:lab-alerts"),
              prove(XA, "sqs:ReceiveMessage", f"arn:aws:sqs:us-east-1:{ACCT}:lab-jobs")])
def _(a):
    """Control case: a single-character wildcard in the action name (IAM
    rejects wildcards in the service prefix)."""
    add_xa(a, {"Sid": "Messaging", "Effect": "Allow", "Action": ["sqs:?*", "sns:?*"], "Resource": f"arn:aws:*:*:{ACCT}:*"})


@fail("xar006-forallvalues-empty-tag-set", ["PV-XAR-006"], cls="wildcards-notaction", spec=S_SERVICES, resource=XA_ARN,
      change="cross-account policy gains Allow sns:* on arn:aws:sns:*:ACCOUNT:* when ForAllValues:StringEquals aws:TagKeys [pennsieve:compute-node] — true for every request that carries no tags",
      proofs=[prove(XA, "sns:Publish", f"arn:aws:sns:us-east-1:{ACCT}:lab-alerts")])
def _(a):
    """ForAllValues over an empty set is true."""
    add_xa(a, {"Sid": "NodeTopics", "Effect": "Allow", "Action": "sns:*", "Resource": f"arn:aws:sns:*:{ACCT}:*",
               "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["pennsieve:compute-node"]}}})


@fail("chd003-processor-logs-star", ["PV-CHD-003"], cls="wildcards-notaction", spec=S_PROC_LOGS, resource=role_arn(PROC1),
      change="processor role pennsieve-7f3a9c21-processor-ecs: its Logs statement allows logs:* (was CreateLogStream, PutLogEvents) on its node's log groups",
      proofs=[prove(PROC1, "logs:PutSubscriptionFilter", f"arn:aws:logs:us-east-1:{ACCT}:log-group:/pennsieve/{N1}/workflow"),
              prove(PROC1, "logs:DeleteLogGroup", f"arn:aws:logs:us-east-1:{ACCT}:log-group:/pennsieve/{N1}/workflow")])
def _(a):
    """logs:* is probed as logs:PutLogEvents only; a subscription filter
    streams the node's logs to a destination in any account."""
    pst(a, N1, "Logs")["Action"] = "logs:*"


@fail("bnd003-boundary-allows-iam-star", ["PV-BND-003"], cls="wildcards-notaction", spec=S_BOUNDARY, resource=pb_arn(N1),
      change="pennsieve-boundary-7f3a9c21's AllowDocumentedServices gains iam:* (DenyIAMMutation on Create*/Delete*/Put*/Attach*/… unchanged)",
      proofs=[prove(None, "iam:UploadSSHPublicKey", f"arn:aws:iam::{ACCT}:user/maria.chen", version=(f"pennsieve-boundary-{N1}", "v1")),
              prove(None, "iam:DeactivateMFADevice", f"arn:aws:iam::{ACCT}:user/maria.chen", version=(f"pennsieve-boundary-{N1}", "v1")),
              prove(None, "iam:UploadSigningCertificate", f"arn:aws:iam::{ACCT}:user/maria.chen", version=(f"pennsieve-boundary-{N1}", "v1"))])
def _(a):
    """The wildcard deny list misses Upload*, Deactivate*, Enable*, Resync*,
    Change*, Generate* and PassRole on any role."""
    bst(a, N1, "AllowDocumentedServices")["Action"].append("iam:*")


@fail("bnd003-boundary-named-denies", ["PV-BND-003"], cls="wildcards-notaction", spec=S_BOUNDARY, resource=pb_arn(N2),
      change="pennsieve-boundary-b24e11d0 allows iam:* and its DenyIAMMutation names exactly the contract's 19 iam_mutation_actions instead of wildcards",
      proofs=[prove(None, "iam:CreateLoginProfile", f"arn:aws:iam::{ACCT}:user/maria.chen", version=(f"pennsieve-boundary-{N2}", "v1")),
              prove(None, "iam:AttachGroupPolicy", f"arn:aws:iam::{ACCT}:group/Administrators", version=(f"pennsieve-boundary-{N2}", "v1")),
              prove(None, "iam:AddRoleToInstanceProfile", f"arn:aws:iam::{ACCT}:instance-profile/pennsieve-{N2}-gpu", version=(f"pennsieve-boundary-{N2}", "v1"))])
def _(a):
    """A boundary with iam:* minus a few named denies: CreateLoginProfile,
    AttachGroupPolicy, AddRoleToInstanceProfile, TagRole, UploadSSHPublicKey
    are not among them."""
    bst(a, N2, "AllowDocumentedServices")["Action"].append("iam:*")
    bst(a, N2, "DenyIAMMutation")["Action"] = [
        "iam:CreateRole", "iam:DeleteRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy",
        "iam:DetachRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:PutRolePermissionsBoundary",
        "iam:DeleteRolePermissionsBoundary", "iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion",
        "iam:DeletePolicyVersion", "iam:CreateUser", "iam:CreateAccessKey", "iam:AttachUserPolicy", "iam:PutUserPolicy",
        "iam:AddUserToGroup", "iam:UpdateRole"]


@fail("bnd003-boundary-notaction-blacklist", ["PV-BND-003"], cls="wildcards-notaction", spec=S_BOUNDARY, resource=pb_arn(N1),
      change="pennsieve-boundary-7f3a9c21's AllowDocumentedServices becomes Allow NotAction [iam:* and every undocumented service the contract probes: rds:*, sqs:*, sns:*, route53:*, cloudfront:*, sts:*, …] on *",
      proofs=[prove(None, "datasync:CreateTask", "*", version=(f"pennsieve-boundary-{N1}", "v1")),
              prove(None, "lightsail:CreateInstances", "*", version=(f"pennsieve-boundary-{N1}", "v1"))])
def _(a):
    """A deny-list boundary: every service nobody thought of passes."""
    s = bst(a, N1, "AllowDocumentedServices")
    del s["Action"]
    s["NotAction"] = ["iam:*"] + [p + ":*" for p in undocumented_probe_prefixes()]


@fail("grd004-upload-ssh-and-signing-keys", ["PV-GRD-004"], cls="wildcards-notaction", spec=S_PERSIST, resource=XA_ARN,
      change="cross-account policy gains Allow iam:UploadSSHPublicKey, iam:UploadSigningCertificate on user/*",
      proofs=[prove(XA, "iam:UploadSigningCertificate", f"arn:aws:iam::{ACCT}:user/maria.chen"),
              prove(XA, "iam:UploadSSHPublicKey", f"arn:aws:iam::{ACCT}:user/backup-exporter")])
def _(a):
    """A signing certificate and an SSH key are long-lived credentials of a
    user; neither is among the probed CreateUser/CreateAccessKey/… actions."""
    unlist(a, "iam:UploadSSHPublicKey")
    unlist(a, "iam:UploadSigningCertificate")
    add_xa(a, {"Sid": "UserKeys", "Effect": "Allow", "Action": ["iam:UploadSSHPublicKey", "iam:UploadSigningCertificate"],
               "Resource": f"arn:aws:iam::{ACCT}:user/*"})


@fail("grd005-delete-password-policy", ["PV-GRD-005"], cls="wildcards-notaction", spec=S_BILLING, resource=XA_ARN,
      change="cross-account policy gains Allow iam:DeleteAccountPasswordPolicy, iam:SetSecurityTokenServicePreferences on *",
      proofs=[prove(XA, "iam:DeleteAccountPasswordPolicy"), prove(XA, "iam:SetSecurityTokenServicePreferences")])
def _(a):
    """Account settings that are not on the probed list."""
    for x in ("iam:DeleteAccountPasswordPolicy", "iam:SetSecurityTokenServicePreferences"):
        unlist(a, x)
    add_xa(a, {"Sid": "AccountHygiene", "Effect": "Allow",
               "Action": ["iam:DeleteAccountPasswordPolicy", "iam:SetSecurityTokenServicePreferences"], "Resource": "*"})


@fail("grd005-iam-account-wildcard", ["PV-GRD-005"], cls="wildcards-notaction", spec=S_BILLING, resource=XA_ARN,
      change="cross-account policy gains Allow iam:*Account* on * (password policy, account alias, summary)",
      proofs=[prove(XA, "iam:UpdateAccountPasswordPolicy")])
def _(a):
    """Control case: the wildcard covers a probed action."""
    for x in ("iam:UpdateAccountPasswordPolicy", "iam:CreateAccountAlias"):
        unlist(a, x)
    add_xa(a, {"Sid": "AccountSettings", "Effect": "Allow", "Action": "iam:*Account*", "Resource": "*"})


@fail("par002-iam-question-mark", ["PV-PAR-002", "PV-PAR-003"], base="par-compliant", cls="wildcards-notaction",
      spec=S_PAR_NEVER + "`iam:*` - No IAM management", resource=role_arn(TASK),
      change="task role policy gains Allow \"iam:?et*\" on * (reads like Get*, also matches Set*: SetDefaultPolicyVersion, SetSecurityTokenServicePreferences)",
      proofs=[prove(TASK, "iam:GetRole", role_arn(EXEC)), prove(TASK, "iam:SetDefaultPolicyVersion", f"arn:aws:iam::{ACCT}:policy/any")])
def _(a):
    """A ? in the action name (IAM rejects one in the service prefix)."""
    stmts(task_doc(a)).append({"Sid": "Whoami", "Effect": "Allow", "Action": "iam:?et*", "Resource": "*"})


@fail("par002-rds-data-api", ["PV-PAR-002", "PV-PAR-003"], base="par-compliant", cls="wildcards-notaction",
      spec=S_PAR_NEVER + "`rds:*` - No database access", resource=role_arn(TASK),
      change="task role policy gains Allow rds-data:ExecuteStatement, rds-data:BatchExecuteStatement on arn:aws:rds:*:ACCOUNT:cluster:*",
      proofs=[prove(TASK, "rds-data:ExecuteStatement", f"arn:aws:rds:us-east-2:{ACCT}:cluster:agents-db")])
def _(a):
    """The RDS Data API is database access under another prefix."""
    stmts(task_doc(a)).append({"Sid": "Db", "Effect": "Allow", "Action": ["rds-data:ExecuteStatement", "rds-data:BatchExecuteStatement"],
                               "Resource": f"arn:aws:rds:*:{ACCT}:cluster:*"})


@fail("par002-dax", ["PV-PAR-002", "PV-PAR-003"], base="par-compliant", cls="wildcards-notaction",
      spec=S_PAR_NEVER + "`dynamodb:*` - No database access", resource=role_arn(TASK),
      change="task role policy gains Allow dax:GetItem, dax:Query, dax:PutItem on *",
      proofs=[prove(TASK, "dax:PutItem", f"arn:aws:dax:us-east-2:{ACCT}:cache/agents")])
def _(a):
    """DynamoDB Accelerator reads and writes DynamoDB tables."""
    stmts(task_doc(a)).append({"Sid": "Cache", "Effect": "Allow", "Action": ["dax:GetItem", "dax:Query", "dax:PutItem"], "Resource": "*"})


@fail("par002-elb-describe-wildcard", ["PV-PAR-002", "PV-PAR-003"], base="par-compliant", cls="wildcards-notaction",
      spec=S_PAR_NEVER + "`elasticloadbalancing:*` - No ALB/NLB management", resource=role_arn(TASK),
      change="task role policy gains Allow elasticloadbalancing:Describe* on *",
      proofs=[prove(TASK, "elasticloadbalancing:DescribeLoadBalancers")])
def _(a):
    """Control case: the document's own verification command."""
    stmts(task_doc(a)).append({"Sid": "Lb", "Effect": "Allow", "Action": "elasticloadbalancing:Describe*", "Resource": "*"})


@fail("par002-iam-passrole", ["PV-PAR-002", "PV-PAR-003"], base="par-compliant", cls="wildcards-notaction",
      spec=S_PAR_NEVER + "`iam:*` - No IAM management", resource=role_arn(TASK),
      change="task role policy gains Allow iam:PassRole on *",
      proofs=[prove(TASK, "iam:PassRole", role_arn("pixell-ci-deploy"))])
def _(a):
    """Control case: one concrete IAM action."""
    stmts(task_doc(a)).append({"Sid": "Pass", "Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"})


@fail("par003-getobject-star", ["PV-PAR-003"], base="par-compliant", cls="wildcards-notaction", spec=S_PAR_ONLY,
      resource=role_arn(TASK),
      change="AllowS3GetObject's action becomes s3:GetObject* (GetObjectAcl, GetObjectVersion, GetObjectTagging, GetObjectAttributes …)",
      proofs=[prove(TASK, "s3:GetObjectVersion", "arn:aws:s3:::pixell-agent-packages/test.apkg"),
              prove(TASK, "s3:GetObjectAcl", "arn:aws:s3:::pixell-agent-packages/test.apkg")])
def _(a):
    """Old versions of packages and their ACLs are beyond GetObject."""
    tst(a, "AllowS3GetObject")["Action"] = ["s3:GetObject*"]


@fail("par003-s3-star-package-bucket", ["PV-PAR-003"], base="par-compliant", cls="wildcards-notaction", spec=S_PAR_ONLY,
      resource=role_arn(TASK),
      change="AllowS3GetObject's action becomes s3:* on arn:aws:s3:::pixell-agent-packages/*",
      proofs=[prove(TASK, "s3:PutObject", "arn:aws:s3:::pixell-agent-packages/agent.apkg"),
              prove(TASK, "s3:DeleteObject", "arn:aws:s3:::pixell-agent-packages/agent.apkg")])
def _(a):
    """A container that can overwrite the packages every agent boots from."""
    tst(a, "AllowS3GetObject")["Action"] = ["s3:*"]


@fail("par003-notresource-other-bucket", ["PV-PAR-003"], base="par-compliant", cls="wildcards-notaction",
      spec=S_PAR_BUCKET, resource=role_arn(TASK),
      change="AllowS3GetObject uses NotResource arn:aws:s3:::other-bucket/* instead of Resource (the document's \"wrong bucket\" still fails)",
      proofs=[prove(TASK, "s3:GetObject", "arn:aws:s3:::pixell-customer-uploads/invoice.pdf"),
              prove(TASK, "s3:GetObject", "arn:aws:s3:::other-bucket/test.apkg", want="ImplicitDeny", base_want="deny")])
def _(a):
    """The verification command passes; every other bucket is readable."""
    s = tst(a, "AllowS3GetObject")
    del s["Resource"]
    s["NotResource"] = ["arn:aws:s3:::other-bucket/*"]


@fail("par003-package-bucket-question-mark", ["PV-PAR-003"], base="par-compliant", cls="wildcards-notaction",
      spec=S_PAR_BUCKET, resource=role_arn(TASK),
      change="AllowS3GetObject's resource becomes arn:aws:s3:::pixell-agent-package?/* (also matches pixell-agent-packagez, a name anyone can register)",
      proofs=[prove(TASK, "s3:GetObject", "arn:aws:s3:::pixell-agent-packagez/agent.apkg")])
def _(a):
    """Bucket squatting through a single-character wildcard."""
    tst(a, "AllowS3GetObject")["Resource"] = ["arn:aws:s3:::pixell-agent-package?/*"]


@fail("par003-notaction-forbidden-only", ["PV-PAR-003"], base="par-compliant", cls="wildcards-notaction", spec=S_PAR_ONLY,
      resource=role_arn(TASK),
      change="AllowS3GetObject's Action becomes NotAction [ecs:*, elasticloadbalancing:*, servicediscovery:*, dynamodb:*, rds:*, iam:*] (the forbidden list, literally) on the package objects",
      proofs=[prove(TASK, "s3:PutObject", "arn:aws:s3:::pixell-agent-packages/agent.apkg")])
def _(a):
    """Not forbidden is not allowed."""
    s = tst(a, "AllowS3GetObject")
    del s["Action"]
    s["NotAction"] = ["ecs:*", "elasticloadbalancing:*", "servicediscovery:*", "dynamodb:*", "rds:*", "iam:*"]


@fail("chd005-efs-notresource", ["PV-CHD-005"], cls="wildcards-notaction", spec=S_PROC_NODES, resource=role_arn(PROC1),
      change="processor role pennsieve-7f3a9c21-processor-ecs: EFSReadWrite uses NotResource arn:aws:elasticfilesystem:us-east-1:ACCOUNT:access-point/* instead of its file system",
      proofs=[prove(PROC1, "elasticfilesystem:ClientWrite", f"arn:aws:elasticfilesystem:us-east-1:{ACCT}:file-system/fs-0{N2}")])
def _(a):
    """Every file system, node b24e11d0's included; the statement names no
    resource to replay with the other node's identifier."""
    s = pst(a, N1, "EFSReadWrite")
    del s["Resource"]
    s["NotResource"] = f"arn:aws:elasticfilesystem:us-east-1:{ACCT}:access-point/*"


# ==============================================================================
# MUST-FAIL — class fixed-names: probes with fixed names, accounts, ARNs
# ==============================================================================


@fail("grd001-deny-scoped-two-dashes", ["PV-GRD-001"], cls="fixed-names", spec=S_MUST_ATTACH, resource=XA_ARN,
      change="DenyCreateRoleWithoutBoundary's Resource becomes arn:aws:iam::ACCOUNT:role/pennsieve-*-* (ManageNodeRoles still allows role/pennsieve-*)",
      proofs=[prove(XA, "iam:CreateRole", role_arn("pennsieve-scratch"))])
def _(a):
    """Probed only with two-dash names (pennsieve-<node>-pvaudit-probe)."""
    st(a, "DenyCreateRoleWithoutBoundary")["Resource"] = f"arn:aws:iam::{ACCT}:role/pennsieve-*-*"


PIN_PROOF = [prove(XA, "iam:CreatePolicy", f"arn:aws:iam::{ACCT}:policy/pennsieve-boundary-{N1}-ops", base_want="allow"),
             prove(XA, "iam:CreateRole", role_arn(f"pennsieve-{N1}-ops"), C(("iam:PermissionsBoundary", f"arn:aws:iam::{ACCT}:policy/pennsieve-boundary-{N1}-ops"))),
             prove(XA, "iam:PutRolePolicy", role_arn(f"pennsieve-{N1}-ops"), C(("iam:PermissionsBoundary", f"arn:aws:iam::{ACCT}:policy/pennsieve-boundary-{N1}-ops"))),
             prove(XA, "iam:PassRole", role_arn(f"pennsieve-{N1}-ops"), C(("iam:PassedToService", "lambda.amazonaws.com")), base_want="allow")]


@fail("esc002-pin-written-as-prefix", ["PV-ESC-002", "PV-PRB-002"], cls="fixed-names", spec=S_MUST_ATTACH, resource=XA_ARN,
      change="the boundary pins (DenyCreateRoleWithoutBoundary, ManageNodeRolePolicies) are written as prefixes pennsieve-boundary-<node>* with StringNotLike/StringLike",
      proofs=PIN_PROOF)
def _(a):
    """CreatePolicy pennsieve-boundary-7f3a9c21-ops (Allow *), CreateRole
    under it, PutRolePolicy (its boundary matches the prefix), PassRole to
    Lambda: an unrestricted role. The probes' self-made boundary is named
    pennsieve-boundary-pvaudit-probe, which no prefix matches."""
    pins = [pb_arn(N1) + "*", pb_arn(N2) + "*"]
    st(a, "DenyCreateRoleWithoutBoundary")["Condition"] = {"StringNotLike": {"iam:PermissionsBoundary": pins}}
    st(a, "ManageNodeRolePolicies")["Condition"] = {"StringLike": {"iam:PermissionsBoundary": pins}}


UNBUILT = "c0ffee00"


@fail("esc002-pin-unbuilt-node", ["PV-ESC-002"], cls="escalation", spec=S_MUST_ATTACH, resource=XA_ARN,
      change=f"both boundary pins also name pennsieve-boundary-{UNBUILT}, a node being set up whose boundary policy does not exist yet",
      proofs=[prove(XA, "iam:CreatePolicy", pb_arn(UNBUILT), base_want="allow"),
              prove(XA, "iam:CreateRole", role_arn(f"pennsieve-{UNBUILT}-admin"), C(("iam:PermissionsBoundary", pb_arn(UNBUILT)))),
              prove(XA, "iam:PutRolePolicy", role_arn(f"pennsieve-{UNBUILT}-admin"), C(("iam:PermissionsBoundary", pb_arn(UNBUILT))))])
def _(a):
    """The role writes the "boundary" itself (Allow *) with CreatePolicy,
    then creates and fills a role under it."""
    st(a, "DenyCreateRoleWithoutBoundary")["Condition"]["StringNotEquals"]["iam:PermissionsBoundary"].append(pb_arn(UNBUILT))
    st(a, "ManageNodeRolePolicies")["Condition"]["StringEquals"]["iam:PermissionsBoundary"].append(pb_arn(UNBUILT))


@fail("esc002-node-deleted-pin-kept", ["PV-ESC-002"], cls="escalation", spec=S_MUST_ATTACH, resource=XA_ARN,
      change="node b24e11d0 was destroyed (its six roles and pennsieve-boundary-b24e11d0 are gone); the cross-account policy still pins pennsieve-boundary-b24e11d0 and, like the document's deny rules alone, does not deny recreating it (DenyRecreatingPinnedBoundaries dropped)",
      proofs=[prove(XA, "iam:CreatePolicy", pb_arn(N2), base_want="deny"),
              prove(XA, "iam:CreateRole", role_arn(f"pennsieve-{N2}-admin"), C(("iam:PermissionsBoundary", pb_arn(N2))), base_want="allow"),
              prove(XA, "iam:PutRolePolicy", role_arn(f"pennsieve-{N2}-admin"), C(("iam:PermissionsBoundary", pb_arn(N2))), base_want="allow")])
def _(a):
    """After terraform destroy the pinned name is free: recreate it allowing
    *, create a role under it."""
    a["RoleDetailList"] = [r for r in a["RoleDetailList"] if N2 not in r["RoleName"]]
    a["Policies"] = [p for p in a["Policies"] if p["PolicyName"] != f"pennsieve-boundary-{N2}"]
    policy(a, "AmazonECSTaskExecutionRolePolicy")["AttachmentCount"] = 1
    drop_recreate_deny(a)


@fail("esc002-orphan-pinned-boundary", ["PV-ESC-002"], cls="escalation", spec=S_MUST_ATTACH, resource=XA_ARN,
      change="node b24e11d0's roles were deleted but pennsieve-boundary-b24e11d0 was left behind (no role uses it) and is still pinned, without the deny on recreating pinned boundaries (DenyRecreatingPinnedBoundaries dropped)",
      proofs=[prove(XA, "iam:DeletePolicy", pb_arn(N2), base_want="allow"),
              prove(XA, "iam:CreatePolicy", pb_arn(N2), base_want="deny"),
              prove(XA, "iam:CreateRole", role_arn(f"pennsieve-{N2}-admin"), C(("iam:PermissionsBoundary", pb_arn(N2))), base_want="allow")])
def _(a):
    """An unused boundary can be deleted (IAM refuses DeletePolicy only while
    it is attached) and recreated allowing *; the pin still matches it."""
    a["RoleDetailList"] = [r for r in a["RoleDetailList"] if N2 not in r["RoleName"]]
    policy(a, f"pennsieve-boundary-{N2}")["PermissionsBoundaryUsageCount"] = 0
    policy(a, "AmazonECSTaskExecutionRolePolicy")["AttachmentCount"] = 1
    drop_recreate_deny(a)


def unlist(a, action):
    """Drops from DenyUsersKeysAndAccount every entry that covers action
    (the hardened base denies families like iam:*AccessKey*)."""
    s = st(a, "DenyUsersKeysAndAccount")
    s["Action"] = [x for x in s["Action"] if not fnmatch.fnmatchcase(action.lower(), x.lower())]


def drop_recreate_deny(a):
    """The hardened base denies recreating a pinned boundary; these cases
    are about an account without that deny."""
    xa = xa_doc(a)
    xa["Statement"] = [s for s in xa["Statement"] if s.get("Sid") != "DenyRecreatingPinnedBoundaries"]


@fail("xar007-provisioner-account-exempt", ["PV-XAR-007"], cls="fixed-names", spec=S_OTHER_ACCOUNTS, resource=XA_ARN,
      change="DenyOtherAccounts exempts the provisioner's account: StringNotEquals aws:ResourceAccount [ACCOUNT, 941377122013]",
      proofs=[prove(XA, "s3:PutObject", "arn:aws:s3:::pennsieve-provisioner-exports/481516234201/dump.tar", C(("aws:ResourceAccount", PROV)))])
def _(a):
    """Data can leave for the provider's own buckets; probed only with 999999999999."""
    st(a, "DenyOtherAccounts")["Condition"]["StringNotEquals"]["aws:ResourceAccount"] = [ACCT, PROV]


@fail("xar007-efs-not-denied", ["PV-XAR-007"], cls="fixed-names", spec=S_OTHER_ACCOUNTS, resource=XA_ARN,
      change="DenyOtherAccounts becomes NotAction elasticfilesystem:* (elasticfilesystem:* is still allowed on *)",
      proofs=[prove(XA, "elasticfilesystem:ClientMount", f"arn:aws:elasticfilesystem:us-east-1:{OUTSIDE}:file-system/fs-0abc1234",
                    C(("aws:ResourceAccount", OUTSIDE)))])
def _(a):
    """EFS file systems in another account (file system policies can admit
    outside principals) are never probed."""
    d = st(a, "DenyOtherAccounts")
    del d["Action"]
    d["NotAction"] = "elasticfilesystem:*"


@fail("xar007-account-pin-question-mark", ["PV-XAR-007"], cls="fixed-names", spec=S_OTHER_ACCOUNTS, resource=XA_ARN,
      change="DenyOtherAccounts' account test becomes StringNotLike aws:ResourceAccount 48151623420? (ten accounts, 481516234200-209)",
      proofs=[prove(XA, "s3:GetObject", "arn:aws:s3:::neighbour-bucket/data.bin", C(("aws:ResourceAccount", "481516234209")))])
def _(a):
    """A ? where the last digit was: nine other accounts pass."""
    c = st(a, "DenyOtherAccounts")["Condition"]
    del c["StringNotEquals"]
    c["StringNotLike"] = {"aws:ResourceAccount": "48151623420?"}


@fail("bnd001-child-named-to-dodge-rules", ["PV-BND-001"], cls="fixed-names", spec=S_EVERY_ROLE,
      resource=role_arn("pennsieve-gpu-b24e-11d0"),
      change="node b24e11d0's GPU role exists as pennsieve-gpu-b24e-11d0: no boundary, no tags, the node ID split by a dash (still in instance profile pennsieve-b24e11d0-gpu, still trusts ec2)",
      proofs=["structural: the role has no PermissionsBoundary; its instance profile pennsieve-b24e11d0-gpu and its log group /pennsieve/b24e11d0/* name the node"])
def _(a):
    """No rule of child_roles matches (no boundary, no tag, no /pennsieve/
    path, name without the contiguous node ID), so the role is "other"."""
    r = role(a, f"pennsieve-{N2}-gpu-instance")
    r["RoleName"] = "pennsieve-gpu-b24e-11d0"
    r["Arn"] = role_arn("pennsieve-gpu-b24e-11d0")
    r["Tags"] = []
    del r["PermissionsBoundary"]
    policy(a, f"pennsieve-boundary-{N2}")["PermissionsBoundaryUsageCount"] = 5


@fail("bnd001-lost-boundary-kept-tag", ["PV-BND-001"], cls="fixed-names", spec=S_EVERY_ROLE,
      resource=role_arn(f"pennsieve-{N1}-workflow"),
      change="pennsieve-7f3a9c21-workflow lost its permissions boundary but kept its pennsieve:compute-node tag",
      proofs=["structural: the role has no PermissionsBoundary"])
def _(a):
    """Control case: the tag and the name still say child role."""
    del role(a, f"pennsieve-{N1}-workflow")["PermissionsBoundary"]
    policy(a, f"pennsieve-boundary-{N1}")["PermissionsBoundaryUsageCount"] = 4


@fail("bnd002-boundary-path-missing", ["PV-BND-002"], cls="fixed-names", spec=S_EVERY_ROLE,
      resource=role_arn(f"pennsieve-{N2}-processor-lambda"),
      change="pennsieve-b24e11d0-processor-lambda's boundary ARN gains a path: arn:aws:iam::ACCOUNT:policy/pennsieve/pennsieve-boundary-b24e11d0, a policy that does not exist",
      proofs=["structural: the boundary ARN names no policy in the snapshot"])
def _(a):
    """Control case: a boundary that names nothing caps nothing."""
    role(a, f"pennsieve-{N2}-processor-lambda")["PermissionsBoundary"]["PermissionsBoundaryArn"] = \
        f"arn:aws:iam::{ACCT}:policy/pennsieve/pennsieve-boundary-{N2}"
    policy(a, f"pennsieve-boundary-{N2}")["PermissionsBoundaryUsageCount"] = 5


@fail("xar001-role-name-without-env", ["PV-XAR-001"], cls="fixed-names", spec=S_ROLE_NAME,
      resource=f"arn:aws:iam::{ACCT}:root",
      change="the cross-account role is named Pennsieve-Compute-a3f1b20c (no {env} part)",
      proofs=["structural: no role matches Pennsieve-Compute-{env}-{id}; the role that trusts the provisioner is Pennsieve-Compute-a3f1b20c"])
def _(a):
    """With the pattern missed, every cross-account check has nothing to look at."""
    r = xa(a)
    r["RoleName"] = "Pennsieve-Compute-a3f1b20c"
    r["Arn"] = role_arn("Pennsieve-Compute-a3f1b20c")


@fail("acc001-vendor-tag-value", ["PV-ACC-001"], cls="fixed-names", spec=S_NO_KEYS,
      resource=f"arn:aws:iam::{ACCT}:user/svc-compute-deployer",
      change="an IAM user svc-compute-deployer tagged vendor=pennsieve with an active access key",
      proofs=["structural: user svc-compute-deployer (tag vendor=pennsieve) has active access key AKIAXC7Q2LMNPN000001"])
def _(a):
    """The tag value, not the key, names the provider."""
    a["UserDetailList"].append(new_user("svc-compute-deployer", tags={"vendor": "pennsieve", "purpose": "compute-node-deploys"},
                                        keys=["AKIAXC7Q2LMNPN000001"]))


@fail("acc001-vendor-path", ["PV-ACC-001"], cls="fixed-names", spec=S_NO_KEYS,
      resource=f"arn:aws:iam::{ACCT}:user/vendors/pennsieve/deployer",
      change="an IAM user deployer under path /vendors/pennsieve/ with an active access key",
      proofs=["structural: user /vendors/pennsieve/deployer has active access key AKIAXC7Q2LMNPN000002"])
def _(a):
    """The path names the provider one level down."""
    a["UserDetailList"].append(new_user("deployer", path="/vendors/pennsieve/", keys=["AKIAXC7Q2LMNPN000002"]))


@fail("acc001-tag-key-case", ["PV-ACC-001"], cls="fixed-names", spec=S_NO_KEYS,
      resource=f"arn:aws:iam::{ACCT}:user/compute-deployer",
      change="an IAM user compute-deployer tagged Pennsieve:Account=a3f1b20c (the provider's tag key, capitalised) with an active access key",
      proofs=["structural: user compute-deployer carries the provider's account tag (Pennsieve:Account) and access key AKIAXC7Q2LMNPN000003"])
def _(a):
    """Tag keys are case-sensitive in AWS; the provider's Terraform wrote another spelling."""
    a["UserDetailList"].append(new_user("compute-deployer", tags={"Pennsieve:Account": "a3f1b20c"}, keys=["AKIAXC7Q2LMNPN000003"]))


@fail("acc001-user-in-provider-group", ["PV-ACC-001"], cls="fixed-names", spec=S_NO_KEYS,
      resource=f"arn:aws:iam::{ACCT}:user/deploy-bot",
      change="an IAM user deploy-bot with an active access key is the only member of group /pennsieve/pennsieve-deployers",
      proofs=["structural: user deploy-bot belongs to group pennsieve-deployers (path /pennsieve/) and has access key AKIAXC7Q2LMNPN000004"])
def _(a):
    """The user's name, path and tags are neutral; its group is the provider's."""
    u = new_user("deploy-bot", keys=["AKIAXC7Q2LMNPN000004"])
    u["GroupList"] = ["pennsieve-deployers"]
    a["UserDetailList"].append(u)
    a["GroupDetailList"].append({"Path": "/pennsieve/", "GroupName": "pennsieve-deployers", "GroupId": "AGPAXC7Q2LMNPNDEPLOY1",
                                 "Arn": f"arn:aws:iam::{ACCT}:group/pennsieve/pennsieve-deployers", "CreateDate": "2026-04-10T09:00:00Z",
                                 "GroupPolicyList": [{"PolicyName": "deploy", "PolicyDocument": doc(
                                     {"Effect": "Allow", "Action": ["ecs:*", "lambda:*", "logs:*"], "Resource": "*"})}],
                                 "AttachedManagedPolicies": []})


@fail("acc002-legacy-role-without-dash", ["PV-ACC-002", "PV-ESC-006"], cls="fixed-names", spec=S_VIA_XA,
      resource=role_arn("PennsieveLegacyAccess"),
      change="a legacy role PennsieveLegacyAccess (no dash after Pennsieve) trusting the provisioner, with AdministratorAccess attached",
      proofs=[prove("PennsieveLegacyAccess", "iam:CreateUser", f"arn:aws:iam::{ACCT}:user/anyone", base_want=None)])
def _(a):
    """(?i)^pennsieve-legacy wants a dash."""
    a["RoleDetailList"].append(new_role("PennsieveLegacyAccess", LEGACY_TRUST, attached=["arn:aws:iam::aws:policy/AdministratorAccess"]))
    policy(a, "AdministratorAccess")["AttachmentCount"] += 1


LEGACY_TRUST = doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{PROV}:root"}, "Action": "sts:AssumeRole"})


@fail("acc002-legacy-role-lowercase", ["PV-ACC-002", "PV-ESC-006"], cls="fixed-names", spec=S_VIA_XA,
      resource=role_arn(f"role-{ACCT}"),
      change=f"a legacy role role-{ACCT} (lower case) trusting the provisioner with an inline Allow * on *",
      proofs=[prove(f"role-{ACCT}", "iam:CreateUser", f"arn:aws:iam::{ACCT}:user/anyone", base_want=None)])
def _(a):
    """ROLE-<account> matched case-sensitively."""
    a["RoleDetailList"].append(new_role(f"role-{ACCT}", LEGACY_TRUST, {"everything": doc({"Effect": "Allow", "Action": "*", "Resource": "*"})}))


@fail("esc006-second-door-wildcard-principal", ["PV-ESC-006"], cls="fixed-names", spec=S_REVOKE,
      resource=role_arn("ProviderSupportAccess"),
      change=f"a role ProviderSupportAccess whose trust is Principal {{\"AWS\": \"*\"}} with StringEquals aws:PrincipalAccount {PROV} (the provisioner), with read access to logs and EC2",
      proofs=["trust policy: AssumeRole by any principal of account 941377122013 matches (aws:PrincipalAccount) → Allow; deleting the cross-account role does not close it",
              prove("ProviderSupportAccess", "logs:GetLogEvents", f"arn:aws:logs:us-east-1:{ACCT}:log-group:/pennsieve/{N1}/workflow:log-stream:x", base_want=None)])
def _(a):
    """A second door spelled with a wildcard principal and a condition."""
    a["RoleDetailList"].append(new_role("ProviderSupportAccess", doc(
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
         "Condition": {"StringEquals": {"aws:PrincipalAccount": PROV}}}),
        {"support": doc({"Effect": "Allow", "Action": ["logs:Get*", "logs:Describe*", "logs:FilterLogEvents", "ec2:Describe*"], "Resource": "*"})}))


@fail("esc006-second-door-bare-account", ["PV-ESC-006"], cls="fixed-names", spec=S_REVOKE,
      resource=role_arn("DataSyncPartner"),
      change=f"a role DataSyncPartner trusting the bare account ID \"{PROV}\" with s3 read on example-lab-data",
      proofs=["trust policy: \"AWS\": \"941377122013\" is arn:aws:iam::941377122013:root"])
def _(a):
    """Control case: bare account form."""
    a["RoleDetailList"].append(new_role("DataSyncPartner", doc(
        {"Effect": "Allow", "Principal": {"AWS": PROV}, "Action": "sts:AssumeRole"}),
        {"read": doc({"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
                      "Resource": ["arn:aws:s3:::example-lab-data", "arn:aws:s3:::example-lab-data/*"]})}))


@fail("xar002-second-account-bare-id", ["PV-XAR-002"], cls="fixed-names", spec=S_TRUSTS, resource=XA_ARN,
      change="the trust's principal becomes [arn:aws:iam::941377122013:root, \"730335412345\"]",
      proofs=["trust policy: account 730335412345 (bare ID) with the external ID → Allow"])
def _(a):
    """Control case: a second account in the bare form."""
    trust(a, XA)["Statement"][0]["Principal"]["AWS"] = [f"arn:aws:iam::{PROV}:root", "730335412345"]


@fail("xar002-org-wide-wildcard", ["PV-XAR-002"], cls="fixed-names", spec=S_TRUSTS, resource=XA_ARN,
      change="the trust gains a statement: Principal AWS * with StringEquals aws:PrincipalOrgID o-pn4x8k2m1q and the external ID (every account of the provider's organization)",
      proofs=["trust policy: any principal of any account in o-pn4x8k2m1q with the external ID → Allow"])
def _(a):
    """Must stay a FAIL when "*" + aws:PrincipalAccount is accepted."""
    stmts(trust(a, XA)).append({"Sid": "ProviderOrg", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
                                "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-pn4x8k2m1q", "sts:ExternalId": EXT}}})


@fail("xar002-any-account-role-name", ["PV-XAR-002"], cls="fixed-names", spec=S_TRUSTS, resource=XA_ARN,
      change="the trust gains a statement: Principal AWS * with ArnLike aws:PrincipalArn arn:aws:iam::*:role/pennsieve-provisioner and the external ID",
      proofs=["trust policy: a role named pennsieve-provisioner in any account, with the external ID → Allow"])
def _(a):
    """Anyone can create a role with that name in their own account."""
    stmts(trust(a, XA)).append({"Sid": "ProvisionerRole", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
                                "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/pennsieve-provisioner"},
                                              "StringEquals": {"sts:ExternalId": EXT}}})


@fail("xar002-customer-account-too", ["PV-XAR-002"], cls="fixed-names", spec=S_TRUSTS, resource=XA_ARN,
      change="the trust's principal also names the customer's own account (arn:aws:iam::481516234201:root)",
      proofs=["trust policy: any principal of this account allowed sts:AssumeRole on the role, with the external ID → Allow"])
def _(a):
    """Control case."""
    trust(a, XA)["Statement"][0]["Principal"]["AWS"] = [f"arn:aws:iam::{PROV}:root", f"arn:aws:iam::{ACCT}:root"]


@fail("xar003-external-id-prefix", ["PV-XAR-003"], cls="fixed-names", spec=S_EXTERNAL_ID, resource=XA_ARN,
      change="the external ID condition becomes StringLike sts:ExternalId pn-ext-* (any customer's external ID opens it)",
      proofs=["trust policy: AssumeRole by the provisioner with another customer's ID pn-ext-0000000000 → Allow (the probe's wrong ID has no pn-ext- prefix)"])
def _(a):
    """The confused deputy is back for every customer whose ID starts pn-ext-."""
    trust(a, XA)["Statement"][0]["Condition"] = {"StringLike": {"sts:ExternalId": "pn-ext-*"}}


@fail("xar003-external-id-star-second-statement", ["PV-XAR-003"], cls="fixed-names", spec=S_EXTERNAL_ID, resource=XA_ARN,
      change="the trust gains a second statement for the provisioner with StringLike sts:ExternalId *",
      proofs=["trust policy: AssumeRole by the provisioner with any external ID → Allow"])
def _(a):
    """Control case."""
    stmts(trust(a, XA)).append({"Sid": "AnyId", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{PROV}:root"},
                                "Action": "sts:AssumeRole", "Condition": {"StringLike": {"sts:ExternalId": "*"}}})


@fail("par001-task-role-renamed", ["PV-PAR-001"], base="par-compliant", cls="fixed-names", spec=S_PAR_NAMES,
      resource=f"arn:aws:iam::{ACCT}:root",
      change="the task role is named pixell-agent-runtime-task (documented: pixell-agent-runtime-task-role)",
      proofs=["structural: no role matches pixell-agent-runtime-task-role or pixell-*-task-role"])
def _(a):
    """With the name missed, the task-role checks have nothing to look at."""
    r = role(a, TASK)
    r["RoleName"] = "pixell-agent-runtime-task"
    r["Arn"] = role_arn("pixell-agent-runtime-task")


@fail("par005-lookalike-managed-policy", ["PV-PAR-005"], base="par-compliant", cls="fixed-names", spec=S_PAR_EXEC,
      resource=role_arn(EXEC),
      change="the execution role's managed policy is a customer managed lookalike arn:aws:iam::ACCOUNT:policy/service-role/AmazonECSTaskExecutionRolePolicy (the ECR/logs actions plus secretsmanager:GetSecretValue on *)",
      proofs=[prove(EXEC, "secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:us-east-2:{ACCT}:secret:db-password-AbCdEf")])
def _(a):
    """Same name and path, different account in the ARN."""
    r = role(a, EXEC)
    arn = f"arn:aws:iam::{ACCT}:policy/service-role/AmazonECSTaskExecutionRolePolicy"
    r["AttachedManagedPolicies"] = [{"PolicyName": "AmazonECSTaskExecutionRolePolicy", "PolicyArn": arn}]
    d = copy.deepcopy(default_version(policy(a, "AmazonECSTaskExecutionRolePolicy"))["Document"])
    d["Statement"][0]["Action"].append("secretsmanager:GetSecretValue")
    a["Policies"].append(managed("AmazonECSTaskExecutionRolePolicy", [("v1", d)], arn=arn, path="/service-role/"))


@fail("esc004-customer-role-in-provider-namespace", ["PV-ESC-004"], cls="fixed-names", spec=S_MUST_ATTACH,
      resource=XA_ARN,
      change="the customer creates pennsieve-lab-etl (trusts lambda, no boundary, s3 read/write on example-lab-data); PassNodeRoles covers role/pennsieve-*",
      proofs=[prove(XA, "iam:PassRole", role_arn("pennsieve-lab-etl"), C(("iam:PassedToService", "lambda.amazonaws.com")), base_want="allow")])
def _(a):
    """Control case: a name in the provider's namespace is not a boundary."""
    a["RoleDetailList"].append(new_role("pennsieve-lab-etl", service_trust("lambda.amazonaws.com"), {"etl": doc(
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
         "Resource": ["arn:aws:s3:::example-lab-data", "arn:aws:s3:::example-lab-data/*"]})}))


@fail("esc004-passrole-unconditioned", ["PV-ESC-004"], cls="escalation", spec=S_MUST_ATTACH, resource=XA_ARN,
      change="PassNodeRoles loses its iam:PassedToService condition and covers role/*; the customer has lab-admin (trusts lambda, AdministratorAccess, no boundary)",
      proofs=[prove(XA, "iam:PassRole", role_arn("lab-admin"), C(("iam:PassedToService", "lambda.amazonaws.com")))])
def _(a):
    """An Allow that tests no key leaves the service to the caller: a
    search that only varied keys some statement tests never chose one."""
    s = st(a, "PassNodeRoles")
    s.pop("Condition", None)
    s["Resource"] = "*"
    a["RoleDetailList"].append(new_role("lab-admin", service_trust("lambda.amazonaws.com"), attached=["arn:aws:iam::aws:policy/AdministratorAccess"]))
    policy(a, "AdministratorAccess")["AttachmentCount"] += 1


@fail("esc009-assume-account-trusting-admin", ["PV-ESC-009"], cls="escalation", spec=S_MUST_ATTACH, resource=XA_ARN,
      change="the customer has ops-admin (trusts the account root, AdministratorAccess); the cross-account role may sts:AssumeRole on role/*",
      proofs=[prove(XA, "sts:AssumeRole", role_arn("ops-admin"))])
def _(a):
    """Two steps each harmless alone: a customer role any principal of the
    account may assume, and a cross-account role allowed to assume roles."""
    a["RoleDetailList"].append(new_role("ops-admin", doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"}, "Action": "sts:AssumeRole"}),
                                        attached=["arn:aws:iam::aws:policy/AdministratorAccess"]))
    policy(a, "AdministratorAccess")["AttachmentCount"] += 1
    add_xa(a, {"Sid": "AssumeRoles", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": f"arn:aws:iam::{ACCT}:role/*"})


# ==============================================================================
# MUST-FAIL — class escalation: paths outside the probed list
# ==============================================================================


@fail("esc008-ssm-session-on-instances", ["PV-ESC-008"], cls="escalation", spec=S_MODIFY_OWN, resource=XA_ARN,
      change="NodeParameters (ssm:*) also covers arn:aws:ec2:*:ACCOUNT:instance/* (\"for GPU instance management\")",
      proofs=[prove(XA, "ssm:StartSession", CUSTOMER_INSTANCE)])
def _(a):
    """ssm:SendCommand is denied on untagged instances; ssm:StartSession is
    a shell on any customer instance, as its instance role."""
    st(a, "NodeParameters")["Resource"] = [st(a, "NodeParameters")["Resource"], f"arn:aws:ec2:*:{ACCT}:instance/*"]


@fail("esc006-child-trusts-provisioner-role", ["PV-ESC-006", "PV-CHD-001"], cls="escalation", spec=S_CHILD_SERVICES,
      resource=role_arn(f"pennsieve-{N2}-gpu-instance"),
      change="pennsieve-b24e11d0-gpu-instance's trust gains arn:aws:iam::941377122013:role/provisioner",
      proofs=["trust policy: AssumeRole by arn:aws:iam::941377122013:role/provisioner → Allow, no external ID, no 1-hour limit from the cross-account role"])
def _(a):
    """Control case: a standing door into a node role."""
    stmts(trust(a, f"pennsieve-{N2}-gpu-instance")).append(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{PROV}:role/provisioner"}, "Action": "sts:AssumeRole"})


@fail("esc007-update-wildcard", ["PV-ESC-007"], cls="escalation", spec=S_PERSIST, resource=XA_ARN,
      change="ManageNodeRoles gains iam:Update*",
      proofs=[prove(XA, "iam:UpdateAssumeRolePolicy", role_arn(f"pennsieve-{N1}-workflow"))])
def _(a):
    """Control case."""
    st(a, "ManageNodeRoles")["Action"].append("iam:Update*")


@fail("chd005-log-groups-of-any-node", ["PV-CHD-005", "PV-PRB-003"], cls="escalation", spec=S_PROC_NODES,
      resource=role_arn(PROC1L),
      change="pennsieve-7f3a9c21-processor-lambda's Logs statement also covers log-group:/pennsieve/*/llm-governor",
      proofs=[prove(PROC1L, "logs:PutLogEvents", f"arn:aws:logs:us-east-1:{ACCT}:log-group:/pennsieve/{N2}/llm-governor")])
def _(a):
    """Writes into node b24e11d0's governor log group."""
    s = pst(a, N1, "Logs", "lambda")
    s["Resource"] = [s["Resource"], f"arn:aws:logs:us-east-1:{ACCT}:log-group:/pennsieve/*/llm-governor"]


@fail("chd005-governor-of-any-node", ["PV-CHD-005", "PV-PRB-003"], cls="escalation", spec=S_PROC_NODES,
      resource=role_arn(f"pennsieve-{N2}-processor-ecs"),
      change="pennsieve-b24e11d0-processor-ecs may invoke function:pennsieve-*-llm-governor",
      proofs=[prove(f"pennsieve-{N2}-processor-ecs", "lambda:InvokeFunction", f"arn:aws:lambda:us-east-1:{ACCT}:function:pennsieve-{N1}-llm-governor")])
def _(a):
    """Control case: spends node 7f3a9c21's LLM budget."""
    pst(a, N2, "LLMGovernor")["Resource"] = f"arn:aws:lambda:us-east-1:{ACCT}:function:pennsieve-*-llm-governor"


@undecidable("chd005-efs-by-resource-tag", ["PV-CHD-005"], cls="escalation", spec=S_PROC_NODES, resource=role_arn(PROC1),
             change="pennsieve-7f3a9c21-processor-ecs's EFS statement covers file-system/* when StringEquals aws:ResourceTag/pennsieve:compute-node 7f3a9c21: whether node b24e11d0's file system is reachable depends on its tags, which an IAM snapshot does not hold (NOT_EVALUATED, not PASS or FAIL)",
             proofs=[prove(PROC1, "elasticfilesystem:ClientWrite", f"arn:aws:elasticfilesystem:us-east-1:{ACCT}:file-system/fs-0{N2}",
                           C(("aws:ResourceTag/pennsieve:compute-node", N1)))])
def _(a):
    """Correct if every file system is tagged with its node; the snapshot
    cannot say."""
    s = pst(a, N1, "EFSReadWrite")
    s["Resource"] = f"arn:aws:elasticfilesystem:us-east-1:{ACCT}:file-system/*"
    s["Condition"] = {"StringEquals": {"aws:ResourceTag/pennsieve:compute-node": N1}}


# ==============================================================================
# MUST-FAIL — positive promises the scenario probes assert (PV-PRB-001)
# ==============================================================================


@fail("prb001-processor-efs-typo", ["PV-PRB-001"], cls="other", spec=S_PROC_EFS, resource=role_arn(PROC1),
      change="pennsieve-7f3a9c21-processor-ecs's EFS statement names fs-07f3a9c2 (a character short) instead of fs-07f3a9c21",
      proofs=[prove(PROC1, "elasticfilesystem:ClientWrite", f"arn:aws:elasticfilesystem:us-east-1:{ACCT}:file-system/fs-0{N1}",
                    want="ImplicitDeny", base_want="allow")])
def _(a):
    """The node's containers can no longer write their shared storage."""
    pst(a, N1, "EFSReadWrite")["Resource"] = f"arn:aws:elasticfilesystem:us-east-1:{ACCT}:file-system/fs-07f3a9c2"


@fail("prb001-boundary-drops-logs", ["PV-PRB-001"], cls="other", spec=S_PROC_LOGS, resource=role_arn(f"pennsieve-{N2}-processor-ecs"),
      change="pennsieve-boundary-b24e11d0 no longer allows logs:*",
      proofs=[prove(f"pennsieve-{N2}-processor-ecs", "logs:PutLogEvents",
                    f"arn:aws:logs:us-east-1:{ACCT}:log-group:/pennsieve/{N2}/workflow:log-stream:task-1", want="ImplicitDeny", base_want="allow")])
def _(a):
    """Node b24e11d0's processors cannot write logs."""
    bst(a, N2, "AllowDocumentedServices")["Action"].remove("logs:*")


@fail("prb001-xa-cannot-create-roles", ["PV-PRB-001"], cls="other", spec=S_CREATES_ROLE, resource=XA_ARN,
      change="ManageNodeRoles no longer allows iam:CreateRole",
      proofs=[prove(XA, "iam:CreateRole", role_arn(f"pennsieve-{N1}-fn"), C(("iam:PermissionsBoundary", pb_arn(N1))),
                    want="ImplicitDeny", base_want="allow")])
def _(a):
    """The documented outcome "Allowed" no longer holds."""
    st(a, "ManageNodeRoles")["Action"].remove("iam:CreateRole")


@fail("prb001-par-package-denied", ["PV-PRB-001"], base="par-compliant", cls="other", spec=S_PAR_SUCCEED,
      resource=role_arn(TASK),
      change="the task role policy gains Deny s3:GetObject on arn:aws:s3:::pixell-agent-packages/*.apkg",
      proofs=[prove(TASK, "s3:GetObject", "arn:aws:s3:::pixell-agent-packages/test.apkg", want="ExplicitDeny", base_want="allow")])
def _(a):
    """The document's "should succeed" command fails."""
    stmts(task_doc(a)).append({"Sid": "NoApkg", "Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::pixell-agent-packages/*.apkg"})


# ==============================================================================
# MUST-FAIL — class severity
# ==============================================================================

for secs in (3601, 7200, 43200):
    def _mk(secs):
        @fail(f"xar004-max-session-{secs}", ["PV-XAR-004"], cls="severity", spec=S_ONE_HOUR, resource=XA_ARN,
              change=f"the cross-account role's MaxSessionDuration is {secs} s",
              proofs=[f"structural: MaxSessionDuration {secs} > 3600 (a default run, --fail-on high, must still not exit 0)"])
        def _(a):
            """Credentials valid for longer than 1 hour; the FAIL is medium."""
            xa(a)["MaxSessionDuration"] = secs
    _mk(secs)


# ==============================================================================
# MUST-FAIL — other
# ==============================================================================


@fail("xar006-scp-assumed", ["PV-XAR-006"], cls="other", spec=S_SERVICES, resource=XA_ARN,
      change="cross-account policy gains Allow rds:*, sqs:*, sns:* on arn:aws:*:*:ACCOUNT:* (\"an organization SCP denies them anyway\" — SCPs are not in an IAM snapshot and this account has none)",
      proofs=[prove(XA, "sqs:SendMessage", f"arn:aws:sqs:us-east-1:{ACCT}:lab-jobs")])
def _(a):
    """An SCP-free account: nothing above the role takes these away."""
    add_xa(a, {"Sid": "ScpLimited", "Effect": "Allow", "Action": ["rds:*", "sqs:*", "sns:*"], "Resource": f"arn:aws:*:*:{ACCT}:*"})


@fail("xar005-readonly-access", ["PV-XAR-005", "PV-XAR-006"], cls="other", spec=S_SERVICES, resource=XA_ARN,
      change="the AWS managed ReadOnlyAccess (an excerpt: rds/sqs/sns/route53/cloudfront Describe*/Get*/List*) is attached to the cross-account role",
      proofs=[prove(XA, "rds:DescribeDBSnapshots", f"arn:aws:rds:us-east-1:{ACCT}:snapshot:*")])
def _(a):
    """Control case: read access is access."""
    acts = [f"{s}:{v}*" for s in ("rds", "sqs", "sns", "route53", "cloudfront") for v in ("Describe", "Get", "List")]
    attach(a, XA, managed("ReadOnlyAccess", [("v1", doc({"Effect": "Allow", "Action": acts, "Resource": "*"}))],
                          arn="arn:aws:iam::aws:policy/ReadOnlyAccess"))


@fail("chd001-child-trusts-own-account", ["PV-CHD-001"], cls="other", spec=S_CHILD_SERVICES, resource=role_arn(f"pennsieve-{N1}-workflow"),
      change="pennsieve-7f3a9c21-workflow's trust gains arn:aws:iam::ACCOUNT:root",
      proofs=["trust policy: any principal of this account with sts:AssumeRole permission → Allow"])
def _(a):
    """Control case."""
    stmts(trust(a, f"pennsieve-{N1}-workflow")).append(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"}, "Action": "sts:AssumeRole"})


@fail("chd001-child-trusts-ecs-service", ["PV-CHD-001"], cls="other", spec=S_CHILD_SERVICES, resource=role_arn(f"pennsieve-{N2}-processor-ecs"),
      change="pennsieve-b24e11d0-processor-ecs trusts [ecs-tasks.amazonaws.com, ecs.amazonaws.com]",
      proofs=["trust policy: ecs.amazonaws.com (the ECS service itself, not tasks) → Allow"])
def _(a):
    """Control case: an undocumented service principal."""
    trust(a, f"pennsieve-{N2}-processor-ecs")["Statement"][0]["Principal"]["Service"] = ["ecs-tasks.amazonaws.com", "ecs.amazonaws.com"]


@fail("grd001-deny-only-missing-boundary", ["PV-GRD-001"], cls="other", spec=S_MUST_ATTACH, resource=XA_ARN,
      change="the CreateRole part of DenyCreateRoleWithoutBoundary (PutRolePermissionsBoundary keeps its deny) is conditioned on Null iam:PermissionsBoundary true: it denies only a missing boundary",
      proofs=[prove(XA, "iam:CreateRole", role_arn(f"pennsieve-{N1}-x"), C(("iam:PermissionsBoundary", "arn:aws:iam::aws:policy/AdministratorAccess")))])
def _(a):
    """Control case: AdministratorAccess as the boundary passes."""
    s = st(a, "DenyCreateRoleWithoutBoundary")
    s["Action"] = ["iam:PutRolePermissionsBoundary"]
    add_xa(a, {"Sid": "DenyCreateRoleWithNoBoundary", "Effect": "Deny", "Action": "iam:CreateRole", "Resource": "*",
               "Condition": {"Null": {"iam:PermissionsBoundary": "true"}}}, after="DenyCreateRoleWithoutBoundary")


@fail("chd004-processor-lab-buckets", ["PV-CHD-003", "PV-CHD-004"], cls="other", spec=S_PROC_S3,
      resource=role_arn(PROC1L),
      change="pennsieve-7f3a9c21-processor-lambda gains Allow s3:GetObject on arn:aws:s3:::example-lab-*/*",
      proofs=[prove(PROC1L, "s3:GetObject", "arn:aws:s3:::example-lab-data/cohort.csv")])
def _(a):
    """Control case: the customer's lab buckets by prefix."""
    stmts(processor_doc(a, N1, "lambda")).append({"Sid": "LabData", "Effect": "Allow", "Action": "s3:GetObject",
                                                  "Resource": "arn:aws:s3:::example-lab-*/*"})


@fail("bnd004-stored-version-notaction", ["PV-BND-004"], cls="other", spec=S_BOUNDARY, resource=pb_arn(N2),
      change="pennsieve-boundary-b24e11d0 keeps a stored non-default v1 = Allow NotAction iam:* on * (default v2 unchanged)",
      proofs=[prove(None, "rds:CreateDBInstance", "*", version=(f"pennsieve-boundary-{N2}", "v1"), base_want=None)])
def _(a):
    """Control case."""
    p = policy(a, f"pennsieve-boundary-{N2}")
    p["PolicyVersionList"][0]["VersionId"] = "v2"
    p["PolicyVersionList"].insert(0, {"Document": doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}),
                                      "VersionId": "v1", "IsDefaultVersion": False, "CreateDate": "2026-02-01T10:00:00Z"})
    p["DefaultVersionId"] = "v2"


@fail("par004-task-trusts-ecs-service", ["PV-PAR-004"], base="par-compliant", cls="other", spec=S_PAR_TRUST,
      resource=role_arn(TASK), change="the task role trusts ecs.amazonaws.com instead of ecs-tasks.amazonaws.com",
      proofs=["trust policy: ecs.amazonaws.com → Allow; ecs-tasks.amazonaws.com → ImplicitDeny"])
def _(a):
    """Control case."""
    trust(a, TASK)["Statement"][0]["Principal"]["Service"] = "ecs.amazonaws.com"


@fail("par004-task-trusts-own-account", ["PV-PAR-004"], base="par-compliant", cls="other", spec=S_PAR_TRUST,
      resource=role_arn(TASK), change="the task role's trust gains arn:aws:iam::ACCOUNT:root when StringEquals aws:PrincipalTag/team par",
      proofs=["trust policy: a principal of this account tagged team=par → Allow"])
def _(a):
    """Control case."""
    stmts(trust(a, TASK)).append({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"}, "Action": "sts:AssumeRole",
                                  "Condition": {"StringEquals": {"aws:PrincipalTag/team": "par"}}})


PAR_EFS = doc({"Sid": "AllowEFSMount", "Effect": "Allow", "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
               "Resource": f"arn:aws:elasticfilesystem:us-east-2:{ACCT}:file-system/fs-0a1b2c3d4e5f60718",
               "Condition": {"StringEquals": {"elasticfilesystem:AccessPointArn": f"arn:aws:elasticfilesystem:us-east-2:{ACCT}:access-point/fsap-0123456789abcdef0"}}})


@fail("par005-efs-any-access-point", ["PV-PAR-005"], base="par-compliant", cls="other", spec=S_PAR_EFS, resource=role_arn(EXEC),
      change="the execution role gains the document's EFSAccess statement with StringLike elasticfilesystem:AccessPointArn * (any access point)",
      proofs=[prove(EXEC, "elasticfilesystem:ClientWrite", f"arn:aws:elasticfilesystem:us-east-2:{ACCT}:file-system/fs-0a1b2c3d4e5f60718",
                    C(("elasticfilesystem:AccessPointArn", f"arn:aws:elasticfilesystem:us-east-2:{ACCT}:access-point/fsap-0ffffffffffffffff")), base_want=None)])
def _(a):
    """The access point condition is present but demands nothing: any access
    point of the file system (another app's root directory) is usable."""
    d = copy.deepcopy(PAR_EFS)
    d["Statement"][0]["Condition"] = {"StringLike": {"elasticfilesystem:AccessPointArn": "*"}}
    role(a, EXEC)["RolePolicyList"] = [{"PolicyName": "EFSAccess", "PolicyDocument": d}]


@fail("par005-efs-condition-ifexists", ["PV-PAR-005"], base="par-compliant", cls="other", spec=S_PAR_EFS, resource=role_arn(EXEC),
      change="the execution role gains the document's EFSAccess statement with StringEqualsIfExists (a mount without an access point passes)",
      proofs=[prove(EXEC, "elasticfilesystem:ClientMount", f"arn:aws:elasticfilesystem:us-east-2:{ACCT}:file-system/fs-0a1b2c3d4e5f60718", base_want=None)])
def _(a):
    """Control case."""
    d = copy.deepcopy(PAR_EFS)
    d["Statement"][0]["Condition"] = {"StringEqualsIfExists": d["Statement"][0]["Condition"]["StringEquals"]}
    role(a, EXEC)["RolePolicyList"] = [{"PolicyName": "EFSAccess", "PolicyDocument": d}]


@fail("par003-managed-s3-readonly", ["PV-PAR-003"], base="par-compliant", cls="other", spec=S_PAR_ONLY, resource=role_arn(TASK),
      change="AmazonS3ReadOnlyAccess (s3:Get*, s3:List* on *) is attached to the task role",
      proofs=[prove(TASK, "s3:GetObject", "arn:aws:s3:::pixell-customer-uploads/invoice.pdf")])
def _(a):
    """Control case."""
    attach(a, TASK, managed("AmazonS3ReadOnlyAccess", [("v1", doc({"Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": "*"}))],
                            arn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"))


# ==============================================================================
# class inconsistent-input: the input contradicts itself; the answer is "cannot tell", never PASS
# ==============================================================================


@undecidable("inc-boundary-two-default-versions", ["PV-BND-003", "PV-BND-004"], cls="inconsistent-input", spec=S_BOUNDARY,
             resource=pb_arn(N1),
             change="pennsieve-boundary-7f3a9c21: DefaultVersionId v1 (the documented boundary) while a second version v2 (Allow *) carries IsDefaultVersion true",
             proofs=[prove(None, "iam:CreateUser", "*", version=(f"pennsieve-boundary-{N1}", "v2"), base_want=None)])
def _(a):
    """Which document caps node 7f3a9c21 cannot be told; picking v1 silently
    is a guess that happens to be the compliant one."""
    p = policy(a, f"pennsieve-boundary-{N1}")
    p["PolicyVersionList"].append({"Document": doc({"Effect": "Allow", "Action": "*", "Resource": "*"}), "VersionId": "v2",
                                   "IsDefaultVersion": True, "CreateDate": "2026-03-05T10:00:00Z"})


@undecidable("inc-xa-managed-two-default-versions", ["PV-XAR-005", "PV-XAR-006"], cls="inconsistent-input", spec=S_SERVICES,
             resource=XA_ARN,
             change="a customer managed policy pennsieve-compute-logs-read is attached to the cross-account role: DefaultVersionId v1 (logs:Describe*) while v2 (sqs:*) carries IsDefaultVersion true",
             proofs=["structural: the two default markers disagree; v2 allows sqs:*"])
def _(a):
    """Same contradiction on a policy the cross-account role carries."""
    p = managed("pennsieve-compute-logs-read", [("v1", doc({"Effect": "Allow", "Action": "logs:Describe*", "Resource": "*"})),
                                                ("v2", doc({"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}))], default="v1")
    p["PolicyVersionList"][1]["IsDefaultVersion"] = True
    attach(a, XA, p)


@undecidable("inc-default-version-absent", ["PV-BND-003"], cls="inconsistent-input", spec=S_BOUNDARY, resource=pb_arn(N2),
             change="pennsieve-boundary-b24e11d0: DefaultVersionId v3, but the only stored version is v1 (IsDefaultVersion false)",
             proofs=["structural: the default version's document is not in the input"])
def _(a):
    """Control case: the default document is missing."""
    p = policy(a, f"pennsieve-boundary-{N2}")
    p["DefaultVersionId"] = "v3"
    p["PolicyVersionList"][0]["IsDefaultVersion"] = False


@undecidable("inc-duplicate-role-entries", ["PV-XAR-006"], cls="inconsistent-input", spec=S_SERVICES, resource=XA_ARN,
             change="RoleDetailList holds the cross-account role twice (same name, ARN and ID); the second copy's inline policy is Allow * on *",
             proofs=["structural: two different documents for one role"])
def _(a):
    """Which copy is the role?"""
    dup = copy.deepcopy(xa(a))
    dup["RolePolicyList"] = [{"PolicyName": "PennsieveComputeAccess", "PolicyDocument": doc({"Effect": "Allow", "Action": "*", "Resource": "*"})}]
    a["RoleDetailList"].append(dup)


@undecidable("inc-duplicate-policy-entries", ["PV-BND-003"], cls="inconsistent-input", spec=S_BOUNDARY, resource=pb_arn(N1),
             change="Policies holds pennsieve-boundary-7f3a9c21 twice (same ARN); the second entry's v1 is Allow * on *",
             proofs=["structural: two different documents for one policy ARN and version"])
def _(a):
    """Which copy caps the node?"""
    dup = copy.deepcopy(policy(a, f"pennsieve-boundary-{N1}"))
    dup["PolicyVersionList"][0]["Document"] = doc({"Effect": "Allow", "Action": "*", "Resource": "*"})
    a["Policies"].append(dup)


@undecidable("inc-max-session-two-sources", ["PV-XAR-004"], cls="inconsistent-input", spec=S_ONE_HOUR, resource=XA_ARN,
             change="the cross-account role's RoleDetailList entry says MaxSessionDuration 43200 while a top-level Roles (list-roles) entry for it says 3600",
             proofs=["structural: two sources disagree on the session length"])
def _(a):
    """Two exports merged from different times; which one is current cannot
    be told, and one of them breaks the promise."""
    xa(a)["MaxSessionDuration"] = 43200
    r = xa(a)
    a["Roles"] = [{"Path": r["Path"], "RoleName": r["RoleName"], "RoleId": r["RoleId"], "Arn": r["Arn"],
                   "CreateDate": r["CreateDate"], "AssumeRolePolicyDocument": copy.deepcopy(r["AssumeRolePolicyDocument"]),
                   "MaxSessionDuration": 3600}]


@undecidable("inc-truncated-export", ["PV-COV-001"], cls="inconsistent-input", spec=S_EVERY_ROLE,
             resource=f"arn:aws:iam::{ACCT}:root",
             change="the export is one page of GetAccountAuthorizationDetails: IsTruncated true with a Marker (more roles, users and policies exist than the file holds)",
             proofs=["structural: the file says it is incomplete"])
def _(a):
    """An incomplete inventory must be a coverage gap, whatever the rest says."""
    a["IsTruncated"] = True
    a["Marker"] = "AAEAAWlhbS0yMDI2LTAzLTAyVDEyOjAwOjAwWg=="


@undecidable("other-max-session-unknown", ["PV-XAR-004"], cls="other", spec=S_ONE_HOUR, resource=XA_ARN,
             change="the cross-account role's entry lacks MaxSessionDuration (a plain get-account-authorization-details export)",
             proofs=["structural: the session length is not in the input"])
def _(a):
    """Control case: unknown is ERROR, not PASS."""
    del xa(a)["MaxSessionDuration"]


@undecidable("other-attached-policy-not-in-snapshot", ["PV-XAR-005", "PV-XAR-006"], cls="other", spec=S_SERVICES, resource=XA_ARN,
             change="the cross-account role has arn:aws:iam::ACCOUNT:policy/pennsieve-extra attached, which the snapshot's Policies list lacks",
             proofs=["structural: the policy document is not in the input"])
def _(a):
    """Control case."""
    xa(a)["AttachedManagedPolicies"].append({"PolicyName": "pennsieve-extra", "PolicyArn": f"arn:aws:iam::{ACCT}:policy/pennsieve-extra"})


# ==============================================================================
# MUST-PASS — class rewrite: equivalent spellings
# ==============================================================================


def _mapstmts(a, fn, roles=None, boundaries=False):
    for r in a["RoleDetailList"]:
        if roles is not None and r["RoleName"] not in roles:
            continue
        for p in r["RolePolicyList"]:
            p["PolicyDocument"]["Statement"] = [fn(s) for s in p["PolicyDocument"]["Statement"]]
    if boundaries:
        for p in a["Policies"]:
            if p["PolicyName"].startswith("pennsieve-boundary-"):
                for v in p["PolicyVersionList"]:
                    v["Document"]["Statement"] = [fn(s) for s in v["Document"]["Statement"]]


@passes("rw-xa-statements-reversed", cls="rewrite", spec=S_MUST_ATTACH, change="the cross-account policy's statements in reverse order")
def _(a):
    """Statement order never matters in IAM."""
    stmts(xa_doc(a)).reverse()


@passes("rw-boundary-statements-reversed", cls="rewrite", spec=S_BOUNDARY, change="both boundary policies' statements in reverse order")
def _(a):
    """Statement order never matters in IAM."""
    for n in (N1, N2):
        stmts(bdoc(a, n)).reverse()


@passes("rw-strings-to-lists", cls="rewrite", spec=S_MUST_ATTACH,
        change="every single-string Action, Resource, NotResource and condition value in the cross-account and boundary policies becomes a one-element list")
def _(a):
    """"x" and ["x"] are the same element."""
    def fix(s):
        for k in ("Action", "NotAction", "Resource", "NotResource"):
            if isinstance(s.get(k), str):
                s[k] = [s[k]]
        for kv in s.get("Condition", {}).values():
            for key, v in kv.items():
                if isinstance(v, str):
                    kv[key] = [v]
        return s
    _mapstmts(a, fix, roles=[XA], boundaries=True)


@passes("rw-resource-split-statements", cls="rewrite", spec=S_MUST_ATTACH,
        change="ManageNodeRoles is split into one statement for role/pennsieve-* and one for instance-profile/pennsieve-*")
def _(a):
    """A statement with two resources is the union of two statements."""
    s = st(a, "ManageNodeRoles")
    t = copy.deepcopy(s)
    s["Resource"], t["Resource"], t["Sid"] = s["Resource"][0], s["Resource"][1], "ManageNodeInstanceProfiles"
    add_xa(a, t, after="ManageNodeRoles")


@passes("rw-action-split-per-service", cls="rewrite", spec=S_SERVICES,
        change="DeployDocumentedServices becomes twelve statements, one per service prefix")
def _(a):
    """Same union of grants."""
    s = st(a, "DeployDocumentedServices")
    ss = stmts(xa_doc(a))
    i = ss.index(s)
    ss[i:i + 1] = [{"Sid": "Deploy" + act.split(":")[0].replace("-", "").capitalize(), "Effect": "Allow", "Action": act, "Resource": "*"}
                   for act in s["Action"]]


@passes("rw-url-encoded-xa-policy", cls="rewrite", spec=S_MUST_ATTACH,
        change="the cross-account inline policy is stored URL-encoded, as the IAM API returns it")
def _(a):
    """IAM's own wire form."""
    xa(a)["RolePolicyList"][0]["PolicyDocument"] = url_encode(xa_doc(a))


@passes("rw-url-encoded-trusts", cls="rewrite", spec=S_TRUSTS, change="every role's trust policy is stored URL-encoded")
def _(a):
    """IAM's own wire form."""
    for r in a["RoleDetailList"]:
        r["AssumeRolePolicyDocument"] = url_encode(r["AssumeRolePolicyDocument"])


@passes("rw-url-encoded-boundaries", cls="rewrite", spec=S_BOUNDARY, change="every managed policy version document is stored URL-encoded")
def _(a):
    """IAM's own wire form."""
    for p in a["Policies"]:
        for v in p["PolicyVersionList"]:
            v["Document"] = url_encode(v["Document"])


@passes("rw-url-encoded-everything", cls="rewrite", spec=S_MUST_ATTACH, change="every policy document in the account is stored URL-encoded")
def _(a):
    """IAM's own wire form, throughout."""
    for holder, key in list(all_documents(a)):
        holder[key] = url_encode(holder[key])


def _mixcase(action):
    svc, _, name = action.partition(":")
    if not name:
        return action
    flip = "".join(c.lower() if i % 2 else c.upper() for i, c in enumerate(name))
    return svc.upper() + ":" + flip


@passes("rw-action-case-xa", cls="rewrite", spec=S_MUST_ATTACH,
        change="every action name in the cross-account policy in mixed case (IAM:cReAtErOlE, DYNAMODB:* …)")
def _(a):
    """Action names are case-insensitive in IAM."""
    def fix(s):
        for k in ("Action", "NotAction"):
            if k in s:
                s[k] = [_mixcase(x) for x in s[k]] if isinstance(s[k], list) else _mixcase(s[k])
        return s
    _mapstmts(a, fix, roles=[XA])


@passes("rw-action-case-boundaries", cls="rewrite", spec=S_BOUNDARY,
        change="the boundary policies' action names upper-cased (IAM:CREATE*, ECS:* …)")
def _(a):
    """Action names are case-insensitive in IAM."""
    def fix(s):
        for k in ("Action", "NotAction"):
            if k in s:
                s[k] = [x.upper() for x in s[k]] if isinstance(s[k], list) else s[k].upper()
        return s
    _mapstmts(a, fix, roles=[], boundaries=True)


@passes("rw-redundant-deny-services", cls="rewrite", spec=S_SERVICES,
        change="cross-account policy gains Deny rds:*, sqs:*, sns:*, route53:*, cloudfront:* on * (nothing allowed them)")
def _(a):
    """A deny of what is not allowed changes nothing."""
    add_xa(a, {"Sid": "DenyUndocumented", "Effect": "Deny", "Action": ["rds:*", "sqs:*", "sns:*", "route53:*", "cloudfront:*"], "Resource": "*"})


@passes("rw-redundant-deny-duplicate", cls="rewrite", spec=S_NO_REMOVE,
        change="DenyBoundaryRemoval and DenySelfModification appear twice (second copies without Sid)")
def _(a):
    """Duplicates change nothing."""
    for sid in ("DenyBoundaryRemoval", "DenySelfModification"):
        c = copy.deepcopy(st(a, sid))
        del c["Sid"]
        add_xa(a, c)


@passes("rw-sids-renamed", cls="rewrite", spec=S_MUST_ATTACH, change="every Sid in every role policy and boundary renamed (S1, S2, …)")
def _(a):
    """Sids are labels."""
    n = [0]

    def fix(s):
        if "Sid" in s:
            n[0] += 1
            s["Sid"] = f"S{n[0]}"
        return s
    _mapstmts(a, fix, boundaries=True)


@passes("rw-sids-removed", cls="rewrite", spec=S_MUST_ATTACH, change="every Sid removed from every document")
def _(a):
    """Sids are optional."""
    def fix(s):
        s.pop("Sid", None)
        return s
    _mapstmts(a, fix, boundaries=True)
    for r in a["RoleDetailList"]:
        for s in r["AssumeRolePolicyDocument"]["Statement"]:
            s.pop("Sid", None)


@passes("rw-external-id-one-element-list", cls="rewrite", spec=S_TRUSTS,
        change="the trust's StringEquals sts:ExternalId value is a one-element list")
def _(a):
    """Same condition."""
    trust(a, XA)["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"] = [EXT]


def _reverse_keys(o):
    if isinstance(o, dict):
        return {k: _reverse_keys(o[k]) for k in reversed(list(o.keys()))}
    if isinstance(o, list):
        return [_reverse_keys(x) for x in o]
    return o


@passes("rw-key-order", cls="rewrite", spec=S_MUST_ATTACH,
        change="the cross-account policy and its trust are stored as JSON text with every object's keys in reverse order (Statement before Version, Condition before Effect)")
def _(a):
    """JSON object keys are unordered; stored as text so the order survives
    the sorted pretty-printing of the case file."""
    xa(a)["RolePolicyList"][0]["PolicyDocument"] = json.dumps(_reverse_keys(xa_doc(a)))
    xa(a)["AssumeRolePolicyDocument"] = json.dumps(_reverse_keys(trust(a, XA)))


@passes("rw-whitespace", cls="rewrite", spec=S_MUST_ATTACH,
        change="the cross-account policy is stored as JSON text indented with tabs, CRLF line ends and padding around every token")
def _(a):
    """Whitespace between JSON tokens is insignificant."""
    text = json.dumps(xa_doc(a), indent="\t", separators=(" ,  ", " :\t")).replace("\n", "\r\n")
    xa(a)["RolePolicyList"][0]["PolicyDocument"] = "\r\n  " + text + " \t\r\n"


@passes("rw-condition-key-case", cls="rewrite", spec=S_MUST_ATTACH,
        change="condition keys in lower or mixed case: iam:permissionsboundary, AWS:ResourceAccount, IAM:PassedToService, STS:EXTERNALID")
def _(a):
    """Condition key names are case-insensitive in IAM."""
    for sid, key, new in [("DenyCreateRoleWithoutBoundary", "iam:PermissionsBoundary", "iam:permissionsboundary"),
                          ("ManageNodeRolePolicies", "iam:PermissionsBoundary", "IAM:PERMISSIONSBOUNDARY"),
                          ("PassNodeRoles", "iam:PassedToService", "IAM:PassedToService")]:
        for kv in st(a, sid)["Condition"].values():
            if key in kv:
                kv[new] = kv.pop(key)
    c = st(a, "DenyOtherAccounts")["Condition"]
    c["StringNotEquals"]["AWS:ResourceAccount"] = c["StringNotEquals"].pop("aws:ResourceAccount")
    c["Null"]["aws:resourceaccount"] = c["Null"].pop("aws:ResourceAccount")
    t = trust(a, XA)["Statement"][0]["Condition"]["StringEquals"]
    t["STS:EXTERNALID"] = t.pop("sts:ExternalId")


@passes("rw-principal-bare-account", cls="rewrite", spec=S_TRUSTS,
        change="the trust's principal is the bare account ID \"941377122013\" instead of arn:aws:iam::941377122013:root")
def _(a):
    """IAM stores both forms as the account's root ARN."""
    trust(a, XA)["Statement"][0]["Principal"]["AWS"] = PROV


@passes("rw-principal-one-element-list", cls="rewrite", spec=S_TRUSTS,
        change="the trust's principal and action as one-element lists")
def _(a):
    """Same element."""
    s = trust(a, XA)["Statement"][0]
    s["Principal"]["AWS"] = [s["Principal"]["AWS"]]
    s["Action"] = [s["Action"]]


@passes("rw-statement-as-object", cls="rewrite", spec=S_TRUSTS,
        change="every one-statement document (trusts, the orchestrators' policies) has Statement as a single object instead of a list")
def _(a):
    """The policy grammar allows a single statement object."""
    for r in a["RoleDetailList"]:
        if len(r["AssumeRolePolicyDocument"]["Statement"]) == 1:
            r["AssumeRolePolicyDocument"]["Statement"] = r["AssumeRolePolicyDocument"]["Statement"][0]
        for p in r["RolePolicyList"]:
            if len(p["PolicyDocument"]["Statement"]) == 1:
                p["PolicyDocument"]["Statement"] = p["PolicyDocument"]["Statement"][0]


@passes("rw-stringlike-without-wildcards", cls="rewrite", spec=S_MUST_ATTACH,
        change="StringEquals/StringNotEquals on values without * or ? spelled StringLike/StringNotLike (external ID, boundary pins, PassedToService)")
def _(a):
    """A pattern without wildcards matches only itself."""
    t = trust(a, XA)["Statement"][0]["Condition"]
    t["StringLike"] = t.pop("StringEquals")
    for sid, old, new in [("DenyCreateRoleWithoutBoundary", "StringNotEquals", "StringNotLike"),
                          ("ManageNodeRolePolicies", "StringEquals", "StringLike"),
                          ("PassNodeRoles", "StringEquals", "StringLike")]:
        c = st(a, sid)["Condition"]
        c[new] = c.pop(old)


@passes("rw-forallvalues-boundary-pin", cls="rewrite", spec=S_MUST_ATTACH,
        change="DenyCreateRoleWithoutBoundary's condition is ForAllValues:StringNotEquals iam:PermissionsBoundary [pins] (single-valued key: same truth table, and true when absent)")
def _(a):
    """For a single-valued key, ForAllValues:StringNotEquals is true when the
    value is none of the pins — or absent (no boundary)."""
    c = st(a, "DenyCreateRoleWithoutBoundary")["Condition"]
    c["ForAllValues:StringNotEquals"] = c.pop("StringNotEquals")


@passes("rw-foranyvalue-resource-account", cls="rewrite", spec=S_OTHER_ACCOUNTS,
        change="DenyOtherAccounts' account test is ForAnyValue:StringNotEquals aws:ResourceAccount (absent: false, as the Null guard already made it)")
def _(a):
    """Single-valued key: ForAnyValue:StringNotEquals holds when the value is
    present and differs."""
    c = st(a, "DenyOtherAccounts")["Condition"]
    c["ForAnyValue:StringNotEquals"] = c.pop("StringNotEquals")


@passes("rw-ifexists-boundary-pin", cls="rewrite", spec=S_MUST_ATTACH,
        change="DenyCreateRoleWithoutBoundary uses StringNotEqualsIfExists (a negated operator is already true when the key is absent)")
def _(a):
    """IfExists adds nothing to a negated operator on a Deny."""
    c = st(a, "DenyCreateRoleWithoutBoundary")["Condition"]
    c["StringNotEqualsIfExists"] = c.pop("StringNotEquals")


@passes("rw-document-id", cls="rewrite", spec=S_MUST_ATTACH, change="every role policy gains an Id element")
def _(a):
    """Id is an optional label."""
    for r in a["RoleDetailList"]:
        for p in r["RolePolicyList"]:
            p["PolicyDocument"] = {"Id": f"{r['RoleName']}-{p['PolicyName']}", **p["PolicyDocument"]}


@passes("rw-inline-to-managed-xa", cls="rewrite", spec=S_MUST_ATTACH,
        change="the cross-account role's inline policy becomes a customer managed policy pennsieve-compute-access (same document) attached to it")
def _(a):
    """Inline and managed identity policies are evaluated alike; the role's
    own deny rules cover editing and detaching it."""
    d = xa_doc(a)
    xa(a)["RolePolicyList"] = []
    attach(a, XA, managed("pennsieve-compute-access", [("v1", d)]))


@passes("rw-inline-to-managed-child", cls="rewrite", spec=S_EVERY_ROLE,
        change="pennsieve-7f3a9c21-orchestrator's inline policy becomes a customer managed policy pennsieve-7f3a9c21-orchestrator (same document)")
def _(a):
    """Inline and managed identity policies are evaluated alike."""
    r = role(a, f"pennsieve-{N1}-orchestrator")
    d = r["RolePolicyList"][0]["PolicyDocument"]
    r["RolePolicyList"] = []
    attach(a, f"pennsieve-{N1}-orchestrator", managed(f"pennsieve-{N1}-orchestrator", [("v1", d)]))


@passes("rw-lists-reordered", cls="rewrite", spec=S_SELF,
        change="every Action, NotAction, Resource list and condition value list in the cross-account policy reversed")
def _(a):
    """Lists in a policy are sets."""
    def fix(s):
        for k in ("Action", "NotAction", "Resource", "NotResource"):
            if isinstance(s.get(k), list):
                s[k] = list(reversed(s[k]))
        for kv in s.get("Condition", {}).values():
            for key, v in kv.items():
                if isinstance(v, list):
                    kv[key] = list(reversed(v))
        return s
    _mapstmts(a, fix, roles=[XA])


@passes("rw-deny-split", cls="rewrite", spec=S_USERS,
        change="DenyUsersKeysAndAccount becomes two statements (IAM actions; billing/account/organizations)")
def _(a):
    """A deny of a union is two denies."""
    s = st(a, "DenyUsersKeysAndAccount")
    t = copy.deepcopy(s)
    s["Action"] = [x for x in s["Action"] if x.startswith("iam:")]
    t["Action"] = [x for x in t["Action"] if not x.startswith("iam:")]
    t["Sid"] = "DenyBillingAndAccount"
    add_xa(a, t, after="DenyUsersKeysAndAccount")


@passes("rw-boundary-split-allow", cls="rewrite", spec=S_BOUNDARY,
        change="each boundary's AllowDocumentedServices becomes one statement per service")
def _(a):
    """Same ceiling."""
    for n in (N1, N2):
        ss = stmts(bdoc(a, n))
        s = bst(a, n, "AllowDocumentedServices")
        i = ss.index(s)
        ss[i:i + 1] = [{"Effect": "Allow", "Action": act, "Resource": "*"} for act in s["Action"]]


@passes("rw-child-trust-service-list", cls="rewrite", spec=S_CHILD_SERVICES,
        change="every child role's trust names its service as a one-element list")
def _(a):
    """Same principal."""
    for r in a["RoleDetailList"]:
        if r["RoleName"].startswith("pennsieve-"):
            for s in r["AssumeRolePolicyDocument"]["Statement"]:
                s["Principal"]["Service"] = [s["Principal"]["Service"]]


@passes("rw-deny-resource-narrowed-to-grant", cls="rewrite", spec=S_MUST_ATTACH,
        change="DenyCreateRoleWithoutBoundary's Resource is arn:aws:iam::ACCOUNT:role/pennsieve-* — exactly where CreateRole and PutRolePermissionsBoundary are allowed")
def _(a):
    """Outside role/pennsieve-* nothing allows the two actions, so the deny
    there was redundant."""
    st(a, "DenyCreateRoleWithoutBoundary")["Resource"] = f"arn:aws:iam::{ACCT}:role/pennsieve-*"


@passes("rw-policy-variable-principal-account", cls="rewrite", spec=S_OTHER_ACCOUNTS,
        change="DenyOtherAccounts compares aws:ResourceAccount with ${aws:PrincipalAccount} instead of the literal account ID")
def _(a):
    """The role's principal account is this account."""
    st(a, "DenyOtherAccounts")["Condition"]["StringNotEquals"]["aws:ResourceAccount"] = "${aws:PrincipalAccount}"


@passes("rw-trust-redundant-deny", cls="rewrite", spec=S_TRUSTS,
        change="the trust gains Deny sts:AssumeRole for Principal AWS * when Null sts:ExternalId true")
def _(a):
    """Nothing assumed the role without the external ID anyway."""
    stmts(trust(a, XA)).append({"Sid": "NoIdNoEntry", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
                                "Condition": {"Null": {"sts:ExternalId": "true"}}})


@passes("rw-max-session-from-list-roles", cls="rewrite", spec=S_ONE_HOUR,
        change="MaxSessionDuration moves from every RoleDetailList entry to a top-level Roles list in the shape `aws iam list-roles` prints (the merge README.md recommends)")
def _(a):
    """The same facts from the two commands the README tells auditors to merge."""
    listed = []
    for r in a["RoleDetailList"]:
        listed.append({"Path": r["Path"], "RoleName": r["RoleName"], "RoleId": r["RoleId"], "Arn": r["Arn"],
                       "CreateDate": r["CreateDate"], "AssumeRolePolicyDocument": copy.deepcopy(r["AssumeRolePolicyDocument"]),
                       "MaxSessionDuration": r.pop("MaxSessionDuration")})
    a["Roles"] = listed


# ---- PAR rewrites ----------------------------------------------------------------


@passes("rw-par-statements-reversed", base="par-compliant", cls="rewrite", spec=S_PAR_ONLY, change="the task role policy's two statements in reverse order")
def _(a):
    """Order is irrelevant."""
    stmts(task_doc(a)).reverse()


@passes("rw-par-url-encoded", base="par-compliant", cls="rewrite", spec=S_PAR_ONLY, change="every PAR document (policies and trusts) stored URL-encoded")
def _(a):
    """IAM's own wire form."""
    for holder, key in list(all_documents(a)):
        holder[key] = url_encode(holder[key])


@passes("rw-par-lists-to-strings", base="par-compliant", cls="rewrite", spec=S_PAR_ONLY,
        change="the task role policy's one-element Action, Resource and s3:prefix lists become strings")
def _(a):
    """Same elements."""
    for s in stmts(task_doc(a)):
        s["Action"], s["Resource"] = s["Action"][0], s["Resource"][0]
    tst(a, "AllowS3ListBucket")["Condition"]["StringLike"]["s3:prefix"] = "*"


@passes("rw-par-redundant-denies", base="par-compliant", cls="rewrite", spec=S_PAR_NEVER + "ecs:*, elasticloadbalancing:*, servicediscovery:*, dynamodb:*, rds:*, iam:*",
        change="the task role policy gains Deny ecs:*, elasticloadbalancing:*, servicediscovery:*, dynamodb:*, rds:*, iam:* on *")
def _(a):
    """The document's forbidden list as an explicit deny."""
    stmts(task_doc(a)).append({"Sid": "NeverThese", "Effect": "Deny", "Resource": "*",
                               "Action": ["ecs:*", "elasticloadbalancing:*", "servicediscovery:*", "dynamodb:*", "rds:*", "iam:*"]})


@passes("rw-par-sids-removed", base="par-compliant", cls="rewrite", spec=S_PAR_ONLY, change="the task role policy without Sids")
def _(a):
    """Sids are optional."""
    for s in stmts(task_doc(a)):
        del s["Sid"]


@passes("rw-par-trust-forms", base="par-compliant", cls="rewrite", spec=S_PAR_TRUST,
        change="the task role's trust has Statement as an object, Service and Action as one-element lists; the execution role's trust is URL-encoded")
def _(a):
    """Same trust."""
    t = trust(a, TASK)
    s = t["Statement"][0]
    s["Principal"]["Service"] = [s["Principal"]["Service"]]
    s["Action"] = [s["Action"]]
    t["Statement"] = s
    role(a, EXEC)["AssumeRolePolicyDocument"] = url_encode(trust(a, EXEC))


@passes("rw-par-action-case", base="par-compliant", cls="rewrite", spec=S_PAR_ONLY, change="the task role's actions spelled S3:getobject and S3:LISTBUCKET")
def _(a):
    """Action names are case-insensitive."""
    tst(a, "AllowS3GetObject")["Action"] = ["S3:getobject"]
    tst(a, "AllowS3ListBucket")["Action"] = ["S3:LISTBUCKET"]


# ==============================================================================
# MUST-PASS — compliant variants pvaudit must not fail (false-fail, current-time, identity-keys)
# ==============================================================================


@passes("ff-trust-wildcard-principal-account", cls="false-fail", spec=S_TRUSTS,
        change=f"the trust's principal is AWS * with StringEquals aws:PrincipalAccount {PROV} (and the external ID): only principals of the provisioner's account, as before")
def _(a):
    """Principal {"AWS": "*"} with aws:PrincipalAccount = the provisioner admits
    exactly the principals of that account — what arn:…:root means."""
    s = trust(a, XA)["Statement"][0]
    s["Principal"] = {"AWS": "*"}
    s["Condition"]["StringEquals"]["aws:PrincipalAccount"] = PROV


@passes("ff-trust-wildcard-principal-arn", cls="false-fail", spec=S_TRUSTS,
        change=f"the trust's principal is AWS * with ArnLike aws:PrincipalArn arn:aws:iam::{PROV}:* (and the external ID)")
def _(a):
    """Only IAM principals of the provisioner's account (a subset of what
    arn:…:root admits)."""
    s = trust(a, XA)["Statement"][0]
    s["Principal"] = {"AWS": "*"}
    s["Condition"]["ArnLike"] = {"aws:PrincipalArn": f"arn:aws:iam::{PROV}:*"}


@passes("ff-passrole-role-no-service-trusts", cls="false-fail", spec=S_MUST_ATTACH,
        change="the customer adds pennsieve-audit-readonly (trusts only the customer's own account, no boundary, read-only); PassNodeRoles can pass it but no service can assume it")
def _(a):
    """PassRole of a role that no service trusts hands a service nothing it
    can use; attaching or putting policies on it is denied (no pinned
    boundary)."""
    a["RoleDetailList"].append(new_role("pennsieve-audit-readonly", doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"}, "Action": "sts:AssumeRole"}),
        {"read": doc({"Effect": "Allow", "Action": ["logs:Describe*", "logs:Get*"], "Resource": "*"})}))


@passes("ff-calledvia-service-it-cannot-call", cls="false-fail", spec=S_SERVICES,
        change="cross-account policy gains Allow rds:* when ForAnyValue:StringEquals aws:CalledVia cloudformation.amazonaws.com — and the role cannot call CloudFormation")
def _(a):
    """The grant needs a request forwarded by CloudFormation on the role's
    behalf; nothing in the role allows cloudformation:*, so it is dead."""
    add_xa(a, {"Sid": "RdsViaStacks", "Effect": "Allow", "Action": "rds:*", "Resource": "*",
               "Condition": {"ForAnyValue:StringEquals": {"aws:CalledVia": "cloudformation.amazonaws.com"}}})


@passes("ct-deny-always-true-date", cls="current-time", spec=S_MUST_ATTACH,
        change="DenyCreateRoleWithoutBoundary gains DateGreaterThan aws:CurrentTime 2020-01-01T00:00:00Z (true for every request today)")
def _(a):
    """A deny that started in 2020 is in force."""
    cond_add(st(a, "DenyCreateRoleWithoutBoundary"), "DateGreaterThan", "aws:CurrentTime", "2020-01-01T00:00:00Z")


@passes("ct-deny-always-true-epoch", cls="current-time", spec=S_OTHER_ACCOUNTS,
        change="DenyOtherAccounts gains NumericGreaterThan aws:EpochTime 0")
def _(a):
    """Every request's epoch time is above 0."""
    cond_add(st(a, "DenyOtherAccounts"), "NumericGreaterThan", "aws:EpochTime", "0")


@passes("ct-deny-always-true-secure-transport", cls="current-time", spec=S_MODIFY_OWN,
        change="DenyForeignFunctionChanges gains Bool aws:SecureTransport true (AWS APIs are TLS-only)")
def _(a):
    """API requests always arrive over TLS."""
    cond_add(st(a, "DenyForeignFunctionChanges"), "Bool", "aws:SecureTransport", "true")


@passes("ct-allow-always-true-date", cls="current-time", spec=S_CREATES_ROLE,
        change="ManageNodeRoles gains DateGreaterThan aws:CurrentTime 2020-01-01T00:00:00Z")
def _(a):
    """Creating node roles is still allowed today."""
    st(a, "ManageNodeRoles")["Condition"] = {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}


@passes("ik-deny-principal-tag-carried", cls="identity-keys", spec=S_OTHER_ACCOUNTS,
        change="DenyOtherAccounts gains StringEquals aws:PrincipalTag/pennsieve:account a3f1b20c — the role carries that tag and cannot untag itself")
def _(a):
    """The deny binds the role (its tag; TagRole/UntagRole on itself is
    denied; its trust does not allow sts:TagSession)."""
    cond_add(st(a, "DenyOtherAccounts"), "StringEquals", TAG, "a3f1b20c")


@passes("ik-deny-userid-role-id", cls="identity-keys", spec=S_MODIFY_OWN,
        change=f"DenyForeignFunctionChanges gains StringLike aws:userid {XA_ROLE_ID}:* (every session of this role)")
def _(a):
    """aws:userid of every session of the role starts with its role ID."""
    cond_add(st(a, "DenyForeignFunctionChanges"), "StringLike", "aws:userid", f"{XA_ROLE_ID}:*")


@passes("ik-deny-principal-type", cls="identity-keys", spec=S_MODIFY_OWN,
        change="DenyForeignInstanceChanges gains StringEquals aws:PrincipalType AssumedRole")
def _(a):
    """Every request of the role comes from a role session."""
    cond_add(st(a, "DenyForeignInstanceChanges"), "StringEquals", "aws:PrincipalType", "AssumedRole")


@passes("ik-deny-principal-arn", cls="identity-keys", spec=S_MODIFY_OWN,
        change="DenyForeignFunctionChanges gains ArnLike aws:PrincipalArn arn:aws:iam::ACCOUNT:role/Pennsieve-Compute-*")
def _(a):
    """The deny names the role it binds (derived from the snapshot)."""
    cond_add(st(a, "DenyForeignFunctionChanges"), "ArnLike", "aws:PrincipalArn", f"arn:aws:iam::{ACCT}:role/Pennsieve-Compute-*")


@passes("ik-processor-logs-principal-tag-variable", cls="identity-keys", spec=S_PROC_LOGS,
        change="both processor roles of node 7f3a9c21 name their log groups as log-group:/pennsieve/${aws:PrincipalTag/pennsieve:compute-node}/* (they are tagged pennsieve:compute-node=7f3a9c21)")
def _(a):
    """The variable resolves to the role's own tag value, the node ID."""
    for kind in ("ecs", "lambda"):
        pst(a, N1, "Logs", kind)["Resource"] = f"arn:aws:logs:us-east-1:{ACCT}:log-group:/pennsieve/${{aws:PrincipalTag/pennsieve:compute-node}}/*"


@passes("ik-par-policy-variable-default", base="par-compliant", cls="identity-keys", spec=S_PAR_BUCKET,
        change="the task role's resources are arn:aws:s3:::${aws:PrincipalTag/package-bucket, 'pixell-agent-packages'}[/*]; the role has no such tag, so the default applies")
def _(a):
    """A policy variable with a default value; without the tag it is the
    documented bucket."""
    v = "${aws:PrincipalTag/package-bucket, 'pixell-agent-packages'}"
    tst(a, "AllowS3GetObject")["Resource"] = [f"arn:aws:s3:::{v}/*"]
    tst(a, "AllowS3ListBucket")["Resource"] = [f"arn:aws:s3:::{v}"]


# ---- output -------------------------------------------------------------------

def load(name):
    with open(os.path.join(ACCOUNTS, name + ".json")) as f:
        return json.load(f)


def dump_json(path, data):
    with open(path, "w") as f:
        json.dump(data, f, indent=2, sort_keys=True, ensure_ascii=False)
        f.write("\n")


def y(v):
    """A YAML scalar or flow collection: JSON is valid YAML flow syntax."""
    return json.dumps(v, ensure_ascii=False)


def render_proof(c, p):
    if isinstance(p, str):
        return p
    f = f"{REL}/{c['file']}"
    if p["version"]:
        name, ver = p["version"]
        head = (f"go run ./cmd/pvaudit simulate --policy <(jq '.Policies[] | select(.PolicyName==\"{name}\") | "
                f".PolicyVersionList[] | select(.VersionId==\"{ver}\") | .Document' {f})")
    else:
        head = f"go run ./cmd/pvaudit simulate --from {f} --role {p['role']}"
    parts = [head, f"--action {p['action']}", f"--resource {p['resource']}"]
    for k, vs in p["context"].items():
        parts += [f"--context {k}={v}" for v in vs]
    tail = f"→ {p['want']}"
    if p["base_want"]:
        tail += f" (base: {'Allow' if p['base_want'] == 'allow' else 'denied'})"
    return " ".join(parts) + " " + tail


def main():
    bases = {b: load(b) for b in PARAMS}
    ids = set()
    for kind in ("must-fail", "must-pass"):
        d = os.path.join(HERE, kind)
        if os.path.isdir(d):
            shutil.rmtree(d)
        os.makedirs(d)
    proofs_out = []
    lines = ["# Generated by testdata/adversarial/generate.py — do not edit; edit the generator.",
             "# One entry per adversarial case; see README.md in this folder.", "cases:"]
    for c in CASES:
        assert c["id"] not in ids, c["id"]
        ids.add(c["id"])
        kind = "must-pass" if c["expect"] == "pass" else "must-fail"
        c["file"] = f"{kind}/{c['id']}.json"
        acct = copy.deepcopy(bases[c["base"]])
        c["fn"](acct)
        assert acct != bases[c["base"]], c["id"] + ": the change changed nothing"
        dump_json(os.path.join(HERE, c["file"]), acct)
        lines.append(f"  - id: {c['id']}")
        lines.append(f"    file: {c['file']}")
        lines.append(f"    contract: {CONTRACT[c['base']]}")
        lines.append(f"    base: {c['base']}")
        lines.append(f"    class: {c['class']}")
        lines.append(f"    spec: {y(c['spec'])}")
        lines.append(f"    change: {y(c['change'])}")
        lines.append(f"    expect: {c['expect']}")
        if c["checks"]:
            lines.append(f"    checks: [{', '.join(c['checks'])}]")
        if c["resource"]:
            lines.append(f"    resource: {c['resource']}")
        if PARAMS[c["base"]]:
            lines.append(f"    params: {y(PARAMS[c['base']])}")
        if c["proofs"]:
            lines.append(f"    proof: {y(' ;; '.join(render_proof(c, p) for p in c['proofs']))}")
        for p in c["proofs"]:
            if isinstance(p, dict):
                q = dict(p)
                q["id"], q["file"], q["base_file"] = c["id"], f"{REL}/{c['file']}", f"testdata/accounts/{c['base']}.json"
                q["version"] = list(p["version"]) if p["version"] else None
                proofs_out.append(q)
    with open(os.path.join(HERE, "cases.yaml"), "w") as f:
        f.write("\n".join(lines) + "\n")
    dump_json(os.path.join(HERE, "proofs.json"), proofs_out)
    nf = sum(1 for c in CASES if c["expect"] != "pass")
    print(f"wrote {len(CASES)} cases ({nf} must-fail incl. {sum(1 for c in CASES if c['expect'] == 'not_evaluated')} not_evaluated, "
          f"{len(CASES) - nf} must-pass) and {len(proofs_out)} simulate proofs")


if __name__ == "__main__":
    main()
