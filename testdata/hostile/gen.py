#!/usr/bin/env python3
"""Writes the small committed hostile inputs under testdata/hostile/.

Each file is one well-formed input with one hostile change. JSON that
json.dumps cannot express (duplicate keys, invalid UTF-8, truncation) is
made by editing the text. Big and special files (FIFOs, sparse files, deep
nesting, a million statements) are not here: cmd/pvaudit/hostile_test.go
makes them, as cases.yaml says. Run from this folder: python3 gen.py

Baselines carry a content hash and a signature that only pvaudit makes, so
baseline/ok.json, baseline/signed.json and the two public keys come from
pvaudit itself (after gen.py has written baseline/account.json; the private
keys are not kept):

    pvaudit baseline keygen --private-key /tmp/signer.key --public-key baseline/signer.pub
    pvaudit baseline keygen --private-key /tmp/other.key --public-key baseline/other.pub
    pvaudit baseline save --from baseline/account.json --baseline baseline/ok.json
    pvaudit baseline save --from baseline/account.json --baseline baseline/signed.json --sign-key /tmp/signer.key

and gen.py, run again, derives the hostile baselines from them.
"""
import hashlib
import json
import os
import urllib.parse

ACCT = "111122223333"
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::941377122013:root"},
                                                 "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "x"}}}]}
INLINE = {"Version": "2012-10-17", "Statement": [{"Sid": "Read", "Effect": "Deny", "Action": "iam:*", "Resource": "*"}]}


def role(name="app", **extra):
    r = {"Path": "/", "RoleName": name, "RoleId": "AROAEXAMPLEAPP000001", "Arn": f"arn:aws:iam::{ACCT}:role/{name}",
         "CreateDate": "2026-01-01T00:00:00Z", "AssumeRolePolicyDocument": TRUST,
         "RolePolicyList": [{"PolicyName": "inline", "PolicyDocument": INLINE}], "AttachedManagedPolicies": [], "Tags": []}
    r.update(extra)
    return r


def cli(*roles, **top):
    d = {"RoleDetailList": list(roles) or [role()], "UserDetailList": [], "GroupDetailList": [], "Policies": []}
    d.update(top)
    return d


def dump(obj):
    return json.dumps(obj, indent=2) + "\n"


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    mode = "wb" if isinstance(text, bytes) else "w"
    with open(path, mode) as f:
        f.write(text)


def sub(text, old, new, count=1):
    assert old in text, (old, text[:200])
    return text.replace(old, new, count)


base = dump(cli())
S = "snapshot/"
write(S + "cli-ok.json", base)
write(S + "cli-dup-effect-nested.json", sub(base, '"Effect": "Deny",', '"Effect": "Deny",\n              "Effect": "Allow",'))
write(S + "cli-dup-role-key.json", sub(base, '"RoleName": "app",', '"RoleName": "app",\n      "RoleName": "admin",'))
write(S + "cli-case-variant-arn.json", sub(base, '"Path": "/",', '"Path": "/",\n      "ARN": "arn:aws:iam::111122223333:role/other",'))
write(S + "cli-action-number.json", sub(base, '"Action": "iam:*"', '"Action": 7'))
write(S + "cli-action-bool.json", sub(base, '"Action": "iam:*"', '"Action": true'))
write(S + "cli-resource-object.json", sub(base, '"Resource": "*"', '"Resource": {"Ref": "*"}'))
write(S + "cli-effect-lowercase.json", sub(base, '"Effect": "Deny"', '"Effect": "deny"'))
write(S + "cli-version-unknown.json", dump(cli(role(RolePolicyList=[{"PolicyName": "inline", "PolicyDocument": dict(INLINE, Version="2012-10-18")}]))))
write(S + "cli-condition-null.json", sub(base, '"sts:ExternalId": "x"', '"sts:ExternalId": null'))
write(S + "cli-condition-object.json", sub(base, '"sts:ExternalId": "x"', '"sts:ExternalId": {"any": "x"}'))
write(S + "cli-maxsession-negative.json", dump(cli(role(MaxSessionDuration=-1))))
write(S + "cli-maxsession-huge.json", dump(cli(role(MaxSessionDuration=99999999))))
write(S + "cli-maxsession-string.json", dump(cli(role(MaxSessionDuration="3600"))))
write(S + "cli-listroles-negative.json", dump(cli(Roles=[{"RoleName": "app", "MaxSessionDuration": -1}])))
write(S + "cli-listroles-twice.json", dump(cli(Roles=[{"RoleName": "app", "MaxSessionDuration": 3600}, {"RoleName": "app", "MaxSessionDuration": 43200}])))
write(S + "cli-arn-user-for-role.json", dump(cli(role(Arn=f"arn:aws:iam::{ACCT}:user/app"))))
write(S + "cli-arn-other-name.json", dump(cli(role(Arn=f"arn:aws:iam::{ACCT}:role/admin"))))
write(S + "cli-two-accounts.json", dump(cli(role(), role("ops", RoleId="AROAEXAMPLEOPS000001", Arn="arn:aws:iam::444455556666:role/ops"))))
write(S + "cli-roleid-user-prefix.json", dump(cli(role(RoleId="AIDAEXAMPLEAPP000001"))))
write(S + "cli-roleid-number.json", dump(cli(role(RoleId=12345))))
write(S + "cli-dup-role-name-case.json", dump(cli(role(), role("APP", RoleId="AROAEXAMPLEAPP000002"))))
write(S + "cli-dup-inline-name.json", dump(cli(role(RolePolicyList=[{"PolicyName": "inline", "PolicyDocument": INLINE}, {"PolicyName": "Inline", "PolicyDocument": INLINE}]))))
write(S + "cli-dup-tag.json", dump(cli(role(Tags=[{"Key": "owner", "Value": "a"}, {"Key": "owner", "Value": "b"}]))))
write(S + "cli-truncated.json", base[: len(base) // 2])
write(S + "cli-trailing-garbage.json", base + '{"RoleDetailList": []}\n')
write(S + "cli-invalid-utf8.json", sub(base, '"RoleName": "app"', '"RoleName": "app\xff"').encode("latin-1"))
write(S + "cli-lone-surrogate.json", sub(base, '"RoleName": "app"', '"RoleName": "app\\ud800"'))
write(S + "cli-bom.json", "\ufeff" + base)
enc_dup = urllib.parse.quote('{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Effect":"Allow","Action":"*","Resource":"*"}]}', safe="")
write(S + "cli-urlencoded-dup-effect.json", dump(cli(role(RolePolicyList=[{"PolicyName": "inline", "PolicyDocument": enc_dup}]))))
write(S + "cli-urlencoded-bad-escape.json", dump(cli(role(RolePolicyList=[{"PolicyName": "inline", "PolicyDocument": "%7B%22Statement%ZZ"}]))))
write(S + "cli-document-number.json", dump(cli(role(AssumeRolePolicyDocument=7))))
write(S + "cli-is-truncated.json", dump(cli(IsTruncated=True, Marker="abc")))
write(S + "cli-unknown-top-key.json", dump(cli(Extra=1)))
write(S + "cli-attached-not-policy.json", dump(cli(role(AttachedManagedPolicies=[{"PolicyName": "x", "PolicyArn": f"arn:aws:iam::{ACCT}:role/x"}]))))
pol = {"PolicyName": "p", "PolicyId": "ANPAEXAMPLEP00000001", "Arn": f"arn:aws:iam::{ACCT}:policy/p", "Path": "/", "DefaultVersionId": "v1",
       "AttachmentCount": 0, "PermissionsBoundaryUsageCount": 0, "IsAttachable": True, "CreateDate": "2026-01-01T00:00:00Z", "UpdateDate": "2026-01-01T00:00:00Z",
       "PolicyVersionList": [{"Document": INLINE, "VersionId": "v1", "IsDefaultVersion": True, "CreateDate": "2026-01-01T00:00:00Z"},
                             {"Document": INLINE, "VersionId": "v1", "IsDefaultVersion": False, "CreateDate": "2026-01-01T00:00:00Z"}]}
write(S + "cli-policy-version-twice.json", dump(cli(Policies=[pol])))
write(S + "cli-empty.json", "")
write(S + "cli-top-array.json", "[]\n")

own = {"schema": "pvaudit.snapshot/v1", "account_id": ACCT, "source": "snapshot",
       "roles": [{"name": "app", "arn": f"arn:aws:iam::{ACCT}:role/app", "path": "/", "id": "AROAEXAMPLEAPP000001",
                  "create_date": "2026-01-01T00:00:00Z", "trust_policy": TRUST}],
       "policies": [], "users": [], "groups": []}
obase = dump(own)
write(S + "own-ok.json", obase)
write(S + "own-dup-effect-nested.json", sub(obase, '"Effect": "Allow",', '"Effect": "Deny",\n            "Effect": "Allow",'))
o = json.loads(obase); o["roles"][0]["max_session_duration"] = -1
write(S + "own-maxsession-negative.json", dump(o))
write(S + "own-case-variant-name.json", sub(obase, '"name": "app",', '"name": "app",\n      "Name": "Pennsieve-Compute-prod-a3f1b20c",'))
o = json.loads(obase); o["account_id"] = "12345"
write(S + "own-bad-account-id.json", dump(o))
o = json.loads(obase); o["roles"][0]["arn"] = "arn:aws:iam::444455556666:role/app"
write(S + "own-other-account.json", dump(o))
o = json.loads(obase); o["schema"] = "pvaudit.snapshot/v2"
write(S + "own-schema-unknown.json", dump(o))
write(S + "own-dup-account-id.json", sub(obase, '"account_id": "111122223333",', '"account_id": "111122223333",\n  "account_id": "444455556666",'))

P = "policy/"
pbase = dump({"Version": "2012-10-17", "Statement": [{"Sid": "S3", "Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"}]})
write(P + "ok.json", pbase)
write(P + "dup-effect.json", sub(pbase, '"Effect": "Deny",', '"Effect": "Deny",\n      "Effect": "Allow",'))
write(P + "dup-statement.json", sub(pbase, '"Statement": [', '"Statement": [],\n  "Statement": ['))
write(P + "action-number.json", sub(pbase, '"Action": "s3:GetObject"', '"Action": 7'))
write(P + "action-true.json", sub(pbase, '"Action": "s3:GetObject"', '"Action": true'))
write(P + "notresource-number.json", sub(pbase, '"Resource": "*"', '"NotResource": ["arn:aws:s3:::a", 42]'))
write(P + "sid-number.json", sub(pbase, '"Sid": "S3"', '"Sid": 3'))
write(P + "version-number.json", sub(pbase, '"Version": "2012-10-17"', '"Version": 2012'))
write(P + "effect-number.json", sub(pbase, '"Effect": "Deny"', '"Effect": 0'))
write(P + "condition-list-of-objects.json", sub(pbase, '"Resource": "*"', '"Resource": "*",\n      "Condition": {"StringEquals": {"aws:username": [{"a": 1}]}}'))
write(P + "urlencoded-dup.json", urllib.parse.quote('{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Effect":"Allow"}]}', safe="") + "\n")
write(P + "trailing-garbage.json", pbase + "]\n")
write(P + "null.json", "null\n")

B = "batch/"
line = {"identity_policies": [json.loads(pbase)], "boundary": None, "request": {"action": "s3:GetObject", "resource": "*"}}
bl = json.dumps(line)
write(B + "ok.jsonl", bl + "\n")
write(B + "dup-effect.jsonl", sub(bl, '"Effect": "Deny",', '"Effect": "Deny", "Effect": "Allow",') + "\n")
write(B + "action-number.jsonl", sub(bl, '"Action": "s3:GetObject"', '"Action": 7') + "\n")
write(B + "urlencoded-dup.jsonl", json.dumps({"identity_policies": [urllib.parse.quote('{"Statement":[{"Effect":"Deny","Effect":"Allow","Action":"*","Resource":"*"}]}', safe="")],
                                              "request": {"action": "s3:GetObject"}}) + "\n")
write(B + "dup-request.jsonl", sub(bl, '"request": {"action": "s3:GetObject", "resource": "*"}', '"request": {"action": "s3:GetObject"}, "request": {"action": "iam:PassRole"}') + "\n")
write(B + "too-many-statements.jsonl", json.dumps({"identity_policies": [{"Statement": [{"Effect": "Deny", "Action": "*"}] * 4097}], "request": {"action": "s3:GetObject"}}) + "\n")

C = "contract/"
write(C + "second-document.yaml", "name: mine\ntitle: Mine\ndocument: ours\n---\nname: other\nforbidden: {}\n")
write(C + "dup-key.yaml", "name: mine\ntitle: Mine\nname: theirs\n")
write(C + "typo.yaml", "name: mine\ncross_acount_role:\n  name_pattern: ^x$\n")
write(C + "nested-typo.yaml", "name: mine\ncross_account_role:\n  name_pattern: ^x$\n  max_sesion_duration: 3600\n")
write(C + "wrong-type.yaml", "name: mine\ncross_account_role:\n  max_session_duration: an hour\n")
write(C + "alias-bomb.yaml", "name: mine\nservice_probes: &a [x, x, x, x, x, x, x, x, x, x]\n"
      + "".join(f"x{i}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(7)))
write(C + "tab-indent.yaml", "name: mine\ncross_account_role:\n\tname_pattern: ^x$\n")

K = "baseline/"
acct = json.loads(obase); acct["roles"][0]["max_session_duration"] = 3600
write(K + "account.json", dump(acct))


def rehash(text, old, new):
    """Edits the content of a baseline file and recomputes content_sha256."""
    head, content = text.split(',"content":', 1)
    content = sub(content[:-2], old, new)
    digest = hashlib.sha256(content.encode()).hexdigest()
    head = head[: head.index('"content_sha256":"') + len('"content_sha256":"')] + digest + head[head.index('"content_sha256":"') + 82:]
    return head + ',"content":' + content + "}\n"


if os.path.exists(K + "ok.json") and os.path.exists(K + "signed.json"):
    with open(K + "ok.json") as f:
        bok = f.read()
    with open(K + "signed.json") as f:
        bsigned = f.read()
    write(K + "not-json.json", "<html>not a baseline</html>\n")
    write(K + "truncated.json", bok[: len(bok) // 2])
    write(K + "dup-schema.json", sub(bok, '{"schema":"pvaudit.baseline/v1",', '{"schema":"pvaudit.baseline/v1","schema":"pvaudit.baseline/v1",'))
    write(K + "dup-nested-rehashed.json", rehash(bok, '"Effect":"Allow"', '"Effect":"Allow","Effect":"Deny"'))
    write(K + "wrong-schema.json", sub(bok, '"schema":"pvaudit.baseline/v1"', '"schema":"pvaudit.baseline/v0"'))
    write(K + "edited.json", sub(bok, "941377122013", "444455556666"))
    write(K + "noncanonical-rehashed.json", rehash(bok, '{"name":"app"', '{ "name":"app"'))
    write(K + "wrong-type-rehashed.json", rehash(bok, '"max_session_duration":3600', '"max_session_duration":"3600"'))
    write(K + "case-variant-rehashed.json", rehash(bok, '"tool":"pvaudit"', '"tool":"pvaudit","TOOL":"x"'))
    write(K + "unknown-top-key.json", sub(bok, '{"schema"', '{"comment":"approved by me","schema"'))
    write(K + "signed-rehashed.json", rehash(bsigned, "941377122013", "444455556666"))
    sig = json.loads(bsigned)["signature"]["value"]
    flipped = ("B" if sig[0] != "B" else "C") + sig[1:]
    write(K + "signature-tampered.json", sub(bsigned, sig, flipped))
    write(K + "signature-wrong-type.json", sub(bsigned, '"value":"' + sig + '"', '"value":7'))

U = "suppress/"
write(U + "second-document.yaml", "suppressions:\n  - {check: PV-XAR-001, resource: r, reason: ok, expires: 2027-01-01}\n---\nsuppressions:\n  - {check: PV-BND-001, resource: '*', reason: all of it, expires: 2099-01-01}\n")
write(U + "dup-key.yaml", "suppressions:\n  - check: PV-XAR-001\n    resource: r\n    reason: ok\n    expires: 2027-01-01\n    expires: 2099-12-31\n")
write(U + "typo.yaml", "supressions:\n  - {check: PV-XAR-001, resource: r, reason: ok, expires: 2027-01-01}\n")

G = "config/"
write(G + "second-document.yaml", "contract: pennsieve\n---\ncontract: par\n")
write(G + "typo.yaml", "contract: pennsieve\n\nparamters:\n  env: prod\n")
write(G + "dup-key.yaml", "contract: pennsieve\nsuppress: s.yaml\ncontract: par\n")
