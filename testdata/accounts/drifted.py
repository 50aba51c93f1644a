#!/usr/bin/env python3
"""Writes compliant-drifted.json (compliant.json after six changes) and
drift-trail.ndjson (the CloudTrail records of five of them), the sample
pair of the README's "Drift" section and of the drift tests.

    python3 testdata/accounts/drifted.py

The changes: the boundary removed from pennsieve-7f3a9c21-processor-ecs
(by maria.chen in the console), AdministratorAccess attached to the
cross-account role (under the provider's session), a new default version
of pennsieve-boundary-b24e11d0 allowing IAM mutations (by a GitHub Actions
session), OrganizationAccountAccessRole trusting 444455556666 (no record:
unexplained), a tag changed on github-actions-deploy and a new IAM user
ci-bot (by maria.chen).
"""
import copy
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
ACCT = "481516234201"
PROVIDER = "941377122013"
XAR = "Pennsieve-Compute-prod-a3f1b20c"

with open(os.path.join(HERE, "compliant.json")) as f:
    d = json.load(f)

roles = {r["RoleName"]: r for r in d["RoleDetailList"]}
roles["pennsieve-7f3a9c21-processor-ecs"].pop("PermissionsBoundary")
roles[XAR]["AttachedManagedPolicies"].append(
    {"PolicyName": "AdministratorAccess", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"})
trust = roles["OrganizationAccountAccessRole"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
trust["AWS"] = [trust["AWS"], "arn:aws:iam::444455556666:root"]
roles["github-actions-deploy"]["Tags"] = [{"Key": "team", "Value": "release-eng"}]

for p in d["Policies"]:
    if p["PolicyName"] == "pennsieve-boundary-b24e11d0":
        v1 = p["PolicyVersionList"][0]
        v1["IsDefaultVersion"] = False
        doc = copy.deepcopy(v1["Document"])
        doc["Statement"] = [s for s in doc["Statement"] if s.get("Sid") != "DenyIAMMutation"]
        doc["Statement"].append({"Sid": "TemporaryIAM", "Effect": "Allow", "Action": "iam:*", "Resource": "*"})
        p["PolicyVersionList"].append({"Document": doc, "VersionId": "v2", "IsDefaultVersion": True, "CreateDate": "2026-11-22T11:30:00Z"})
        p["DefaultVersionId"] = "v2"

d["UserDetailList"].append({
    "Path": "/", "UserName": "ci-bot", "UserId": "AIDAXC7Q2LMNCIBOT0001", "Arn": "arn:aws:iam::%s:user/ci-bot" % ACCT,
    "CreateDate": "2026-11-22T12:00:00Z", "UserPolicyList": [], "GroupList": [], "AttachedManagedPolicies": [], "Tags": []})

with open(os.path.join(HERE, "compliant-drifted.json"), "w") as f:
    f.write(json.dumps(d, indent=4) + "\n")

maria = {"type": "IAMUser", "principalId": "AIDAXC7Q2LMN6RB3K2F1Q", "arn": "arn:aws:iam::%s:user/maria.chen" % ACCT,
         "accountId": ACCT, "accessKeyId": "ASIACONSOLEMARIA0001", "userName": "maria.chen"}
provider_session = {"type": "AssumedRole", "principalId": "AROASAMPLEXAR:pennsieve-provisioner",
                    "arn": "arn:aws:sts::%s:assumed-role/%s/pennsieve-provisioner" % (ACCT, XAR), "accountId": ACCT,
                    "accessKeyId": "ASIADRIFTPROV0000001",
                    "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROASAMPLEXAR", "arn": "arn:aws:iam::%s:role/%s" % (ACCT, XAR),
                                                         "accountId": ACCT, "userName": XAR},
                                       "attributes": {"creationDate": "2026-11-22T09:00:00Z", "mfaAuthenticated": "false"}}}
gha = {"type": "AssumedRole", "principalId": "AROAGHADEPLOY:gha-run-4411",
       "arn": "arn:aws:sts::%s:assumed-role/github-actions-deploy/gha-run-4411" % ACCT, "accountId": ACCT,
       "accessKeyId": "ASIAGHARUN000000001",
       "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROAGHADEPLOY", "arn": "arn:aws:iam::%s:role/github-actions-deploy" % ACCT,
                                            "accountId": ACCT, "userName": "github-actions-deploy"},
                          "attributes": {"creationDate": "2026-11-22T11:25:00Z", "mfaAuthenticated": "false"}}}


def record(n, when, ident, source, name, ip, agent, params, response=None, error=None):
    r = {"eventVersion": "1.10", "userIdentity": ident, "eventTime": when, "eventSource": source, "eventName": name,
         "awsRegion": "us-east-1", "sourceIPAddress": ip, "userAgent": agent, "readOnly": name.startswith(("Get", "List")),
         "eventType": "AwsApiCall", "managementEvent": True, "recipientAccountId": ACCT, "eventCategory": "Management",
         "requestParameters": params, "responseElements": response, "requestID": "req-d%07d" % n,
         "eventID": "d1000000-0000-4000-8000-%012d" % n}
    if error:
        r["errorCode"], r["errorMessage"] = error
    return r


console = "AWS Internal"
tf = "APN/1.0 HashiCorp/1.0 Terraform/1.9.8"
records = [
    record(1, "2026-11-22T09:00:00Z", {"type": "AWSAccount", "principalId": "AROAPROVISIONER:pennsieve-provisioner", "accountId": PROVIDER},
           "sts.amazonaws.com", "AssumeRole", "3.215.40.17", tf,
           {"roleArn": "arn:aws:iam::%s:role/%s" % (ACCT, XAR), "roleSessionName": "pennsieve-provisioner", "externalId": "pn-ext-4c1d9e7a52", "durationSeconds": 3600},
           {"credentials": {"accessKeyId": "ASIADRIFTPROV0000001", "sessionToken": "IQoJsample", "expiration": "Nov 22, 2026, 10:00:00 AM"},
            "assumedRoleUser": {"assumedRoleId": "AROASAMPLEXAR:pennsieve-provisioner", "arn": provider_session["arn"]}}),
    record(2, "2026-11-22T09:01:00Z", provider_session, "iam.amazonaws.com", "GetRole", "3.215.40.17", tf, {"roleName": XAR}),
    record(3, "2026-11-22T09:03:00Z", provider_session, "iam.amazonaws.com", "AttachRolePolicy", "3.215.40.17", tf,
           {"roleName": XAR, "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
    record(4, "2026-11-22T10:15:00Z", maria, "iam.amazonaws.com", "DeleteRolePermissionsBoundary", "198.51.100.23", console,
           {"roleName": "pennsieve-7f3a9c21-processor-ecs"}),
    record(5, "2026-11-22T11:29:00Z", gha, "iam.amazonaws.com", "UpdateAssumeRolePolicy", "192.0.2.44", "aws-sdk-go-v2/1.30.0",
           {"roleName": "OrganizationAccountAccessRole", "policyDocument": "{}"}, None,
           ("AccessDenied", "User: %s is not authorized to perform: iam:UpdateAssumeRolePolicy" % gha["arn"])),
    record(6, "2026-11-22T11:30:00Z", gha, "iam.amazonaws.com", "CreatePolicyVersion", "192.0.2.44", "aws-sdk-go-v2/1.30.0",
           {"policyArn": "arn:aws:iam::%s:policy/pennsieve-boundary-b24e11d0" % ACCT, "policyDocument": "{}", "setAsDefault": True},
           {"policyVersion": {"versionId": "v2", "isDefaultVersion": True}}),
    record(7, "2026-11-22T11:45:00Z", maria, "iam.amazonaws.com", "TagRole", "198.51.100.23", console,
           {"roleName": "github-actions-deploy", "tags": [{"key": "team", "value": "release-eng"}]}),
    record(8, "2026-11-22T12:00:00Z", maria, "iam.amazonaws.com", "CreateUser", "198.51.100.23", console, {"userName": "ci-bot", "path": "/"},
           {"user": {"userName": "ci-bot", "arn": "arn:aws:iam::%s:user/ci-bot" % ACCT}}),
]
with open(os.path.join(HERE, "drift-trail.ndjson"), "w") as f:
    for r in records:
        f.write(json.dumps(r, separators=(",", ":")) + "\n")
