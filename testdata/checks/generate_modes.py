#!/usr/bin/env python3
"""Writes the runtime (network, logging, compute) parts of the fixtures: the
per-check fixtures of the MODE-*, PV-LOG-* and PV-NET-* checks under
testdata/checks/<ID>/, the deployment-mode sample accounts
(testdata/accounts/modes-*.json), the PAR runtime accounts, and the runtime
sections of compliant.json, sample.json, par-compliant.json and
par-sample.json.

Each fire-*.json is a clean account with one planted change; each
quiet-*.json is the clean account or a variant the check must accept.
Run from the repository root after generate.py:
    python3 testdata/checks/generate_modes.py
"""
import copy
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate as g  # noqa: E402

ACCT = g.ACCT
REGION = "us-east-1"
OTHER = "730335412345"
S3_PL = "pl-63a5400a"  # com.amazonaws.us-east-1.s3


def key_arn(node):
    return f"arn:aws:kms:{REGION}:{ACCT}:key/{node}-4e1b-4a7c-9d0e-6f2a8b3c5d71"


def rid(prefix, node, suffix=""):
    return f"{prefix}-0{node}{suffix}"


def pinned_policy(extra=None):
    st = [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
           "Condition": {"StringEquals": {"aws:ResourceAccount": ACCT}}}]
    if extra:
        st += extra
    return {"Version": "2012-10-17", "Statement": st}


def s3_endpoint_policy():
    return pinned_policy([{"Sid": "EcrLayers", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                           "Resource": f"arn:aws:s3:::prod-{REGION}-starport-layer-bucket/*"}])


def sg(id_, name, vpc, ingress=(), egress=None, tags=None):
    s = {"id": id_, "name": name, "vpc_id": vpc, "ingress": list(ingress),
         "egress": list(egress) if egress is not None else [{"protocol": "-1", "from_port": 0, "to_port": 0, "cidr": "0.0.0.0/0"}]}
    if tags:
        s["tags"] = tags
    return s


def rule(proto="tcp", port=443, **peer):
    r = {"protocol": proto, "from_port": port if proto != "-1" else 0, "to_port": port if proto != "-1" else 0}
    r.update(peer)
    return r


def node_roles(acct, node):
    """The node's child roles by the service they trust."""
    out = {}
    for r in acct["RoleDetailList"]:
        if not r["RoleName"].startswith(f"pennsieve-{node}-"):
            continue
        for st in r["AssumeRolePolicyDocument"]["Statement"]:
            svc = st.get("Principal", {}).get("Service")
            for s in (svc if isinstance(svc, list) else [svc]):
                if s:
                    out.setdefault(s, []).append(r)
    return out


def empty_region(region=REGION):
    return {"region": region,
            "ec2": {k: [] for k in ["vpcs", "subnets", "route_tables", "internet_gateways", "egress_only_internet_gateways",
                                    "nat_gateways", "peering_connections", "transit_gateway_attachments",
                                    "transit_gateway_route_tables", "vpc_endpoints", "flow_logs", "security_groups",
                                    "network_acls"]},
            "logs": {"log_groups": [], "metric_filters": []},
            "cloudwatch": {"alarms": []},
            "step_functions": {"state_machines": []},
            "efs": {"file_systems": [], "mount_targets": [], "access_points": []},
            "lambda": {"functions": []},
            "ecs": {"clusters": [], "services": [], "task_definitions": []},
            "elb": {"load_balancers": [], "target_groups": []}}


def empty_runtime():
    return {"regions": [empty_region()], "s3": {"buckets": []}}


def default_vpc(reg):
    """The account's default VPC: public subnets, an internet gateway."""
    e = reg["ec2"]
    vpc, igw = "vpc-0d3fa17a5", "igw-0d3fa17a5"
    e["vpcs"].append({"id": vpc, "owner_id": ACCT, "cidrs": ["172.31.0.0/16"], "is_default": True})
    for i, az in enumerate(["a", "b"]):
        e["subnets"].append({"id": f"subnet-0d3fa17a5{i}", "vpc_id": vpc, "cidrs": [f"172.31.{16 * i}.0/20"],
                             "availability_zone": REGION + az, "map_public_ip_on_launch": True})
    e["route_tables"].append({"id": "rtb-0d3fa17a5", "vpc_id": vpc, "main": True,
                              "routes": [{"destination": "172.31.0.0/16", "target": "local", "state": "active"},
                                         {"destination": "0.0.0.0/0", "target": igw, "state": "active"}]})
    e["internet_gateways"].append({"id": igw, "vpcs": [vpc]})
    e["security_groups"].append(sg("sg-0d3fa17a50", "default", vpc, [rule("-1", group="sg-0d3fa17a50")]))
    e["network_acls"].append({"id": "acl-0d3fa17a5", "vpc_id": vpc, "is_default": True,
                              "subnets": ["subnet-0d3fa17a50", "subnet-0d3fa17a51"], "entries": acl_all()})
    return vpc


def acl_all():
    return [{"rule_number": 100, "egress": e, "protocol": "-1", "action": "allow", "cidr": "0.0.0.0/0"} for e in (False, True)] + \
           [{"rule_number": 32767, "egress": e, "protocol": "-1", "action": "deny", "cidr": "0.0.0.0/0"} for e in (False, True)]


def add_node(rt, acct, node, mode, declare="tag"):
    """Adds one compute node's runtime in mode (basic, secure, compliant) to
    the runtime section rt, from the node's roles in acct."""
    reg = rt["regions"][0]
    e = reg["ec2"]
    roles = node_roles(acct, node)
    tags = {"pennsieve:compute-node": node}
    if declare == "tag":
        tags["pennsieve:deployment-mode"] = mode
    if mode == "basic":
        vpc = next((v["id"] for v in e["vpcs"] if v["is_default"]), None) or default_vpc(reg)
        subnets = ["subnet-0d3fa17a50", "subnet-0d3fa17a51"]
        proc_sg = rid("sg", node, "1")
        e["security_groups"].append(sg(proc_sg, f"pennsieve-{node}-processors", vpc, tags=tags))
        efs_sg = rid("sg", node, "3")
        e["security_groups"].append(sg(efs_sg, f"pennsieve-{node}-efs", vpc, [rule("tcp", 2049, group=proc_sg)], tags=tags))
    else:
        vpc = rid("vpc", node)
        cidr = "10.%d.0.0/16" % (int(node[:2], 16) % 200 + 20)
        base = cidr.split(".")[1]
        e["vpcs"].append({"id": vpc, "owner_id": ACCT, "cidrs": [cidr], "is_default": False, "tags": dict(tags, Name=f"pennsieve-{node}")})
        subnets = [rid("subnet", node, "1"), rid("subnet", node, "2")]
        for i, s in enumerate(subnets):
            e["subnets"].append({"id": s, "vpc_id": vpc, "cidrs": [f"10.{base}.{i + 1}.0/24"], "availability_zone": REGION + "ab"[i],
                                 "tags": {"pennsieve:compute-node": node, "Name": f"pennsieve-{node}-private-{i + 1}"}})
        private = {"id": rid("rtb", node, "1"), "vpc_id": vpc, "main": True, "subnets": list(subnets),
                   "routes": [{"destination": cidr, "target": "local", "state": "active"}], "tags": {"pennsieve:compute-node": node}}
        e["route_tables"].append(private)
        e["network_acls"].append({"id": rid("acl", node), "vpc_id": vpc, "is_default": True, "subnets": list(subnets), "entries": acl_all()})
        e["flow_logs"].append({"id": rid("fl", node), "resource_id": vpc, "traffic_type": "ALL", "status": "ACTIVE",
                               "deliver_logs_status": "SUCCESS", "log_destination_type": "cloud-watch-logs",
                               "log_destination": f"arn:aws:logs:{REGION}:{ACCT}:log-group:/pennsieve/{node}/flow-logs"})
        default_sg = rid("sg", node, "0")
        proc_sg, ep_sg, efs_sg = rid("sg", node, "1"), rid("sg", node, "2"), rid("sg", node, "3")
        e["security_groups"].append(sg(default_sg, "default", vpc, [rule("-1", group=default_sg)], [rule("-1", group=default_sg)]))
        if mode == "secure":
            pub = rid("subnet", node, "f")
            e["subnets"].append({"id": pub, "vpc_id": vpc, "cidrs": [f"10.{base}.250.0/24"], "availability_zone": REGION + "a",
                                 "map_public_ip_on_launch": True, "tags": {"pennsieve:compute-node": node, "Name": f"pennsieve-{node}-public"}})
            igw, nat = rid("igw", node), rid("nat", node)
            e["internet_gateways"].append({"id": igw, "vpcs": [vpc], "tags": tags})
            e["nat_gateways"].append({"id": nat, "vpc_id": vpc, "subnet_id": pub, "connectivity_type": "public", "state": "available", "tags": tags})
            e["route_tables"].append({"id": rid("rtb", node, "f"), "vpc_id": vpc, "subnets": [pub],
                                      "routes": [{"destination": cidr, "target": "local", "state": "active"},
                                                 {"destination": "0.0.0.0/0", "target": igw, "state": "active"}]})
            private["routes"].append({"destination": "0.0.0.0/0", "target": nat, "state": "active"})
            e["network_acls"][-1]["subnets"].append(pub)
            e["security_groups"].append(sg(proc_sg, f"pennsieve-{node}-processors", vpc, tags=tags))
        else:
            e["security_groups"].append(sg(proc_sg, f"pennsieve-{node}-processors", vpc, [],
                                           [rule("tcp", 443, group=ep_sg), rule("tcp", 443, prefix_list=S3_PL), rule("tcp", 2049, group=efs_sg)], tags=tags))
            e["security_groups"].append(sg(ep_sg, f"pennsieve-{node}-endpoints", vpc, [rule("tcp", 443, group=proc_sg)], [], tags=tags))
            for i, svc in enumerate(["s3", "logs", "states", "lambda", "ecr.api", "ecr.dkr", "sts", "kms", "secretsmanager"]):
                ep = {"id": rid("vpce", node, "%02x" % i), "vpc_id": vpc, "service_name": f"com.amazonaws.{REGION}.{svc}",
                      "state": "available", "tags": tags}
                if svc == "s3":
                    ep.update({"type": "Gateway", "policy": s3_endpoint_policy(), "route_tables": [private["id"]]})
                    private["routes"].append({"destination": S3_PL, "target": ep["id"], "state": "active"})
                else:
                    ep.update({"type": "Interface", "policy": pinned_policy(), "subnets": list(subnets),
                               "security_groups": [ep_sg], "private_dns_enabled": True})
                e["vpc_endpoints"].append(ep)
        e["security_groups"].append(sg(efs_sg, f"pennsieve-{node}-efs", vpc, [rule("tcp", 2049, group=proc_sg)], [], tags=tags))

    kms = mode != "basic"
    # Compute: a function per Lambda role, a service per ECS task role.
    fns = reg["lambda"]["functions"]
    for r in roles.get("lambda.amazonaws.com", []):
        name = r["RoleName"]
        fn = {"name": name, "arn": f"arn:aws:lambda:{REGION}:{ACCT}:function:{name}", "role": r["Arn"],
              "vpc": {"vpc_id": vpc, "subnets": list(subnets), "security_groups": [proc_sg]}, "tags": dict(tags)}
        if name.endswith("-processor-lambda"):
            fn["file_systems"] = [f"arn:aws:elasticfilesystem:{REGION}:{ACCT}:access-point/{rid('fsap', node)}"]
        fns.append(fn)
    ecs = reg["ecs"]
    cluster = f"arn:aws:ecs:{REGION}:{ACCT}:cluster/pennsieve-{node}"
    task_roles = [r for r in roles.get("ecs-tasks.amazonaws.com", []) if not r["RoleName"].endswith("-task-execution")]
    exec_roles = [r for r in roles.get("ecs-tasks.amazonaws.com", []) if r["RoleName"].endswith("-task-execution")]
    if task_roles:
        ecs["clusters"].append({"arn": cluster, "name": f"pennsieve-{node}", "tags": dict(tags)})
    for r in task_roles:
        family = f"pennsieve-{node}-processor"
        td_arn = f"arn:aws:ecs:{REGION}:{ACCT}:task-definition/{family}:3"
        td = {"arn": td_arn, "family": family, "task_role_arn": r["Arn"], "network_mode": "awsvpc",
              "containers": [{"name": "processor", "image": f"{ACCT}.dkr.ecr.{REGION}.amazonaws.com/pennsieve-{node}-processor:1.4.2",
                              "log_driver": "awslogs", "log_options": {"awslogs-group": f"/pennsieve/{node}/processor",
                                                                       "awslogs-region": REGION, "awslogs-stream-prefix": "processor"}}],
              "efs_volumes": [{"name": "workflow", "file_system_id": rid("fs", node), "access_point_id": rid("fsap", node),
                               "transit_encryption": "ENABLED", "iam": "ENABLED"}]}
        if exec_roles:
            td["execution_role_arn"] = exec_roles[0]["Arn"]
        ecs["task_definitions"].append(td)
        ecs["services"].append({"arn": f"arn:aws:ecs:{REGION}:{ACCT}:service/pennsieve-{node}/{family}", "name": family,
                                "cluster": cluster, "task_definition": td_arn, "launch_type": "FARGATE",
                                "subnets": list(subnets), "security_groups": [proc_sg], "tags": dict(tags)})
    # A workflow state machine.
    sm = {"arn": f"arn:aws:states:{REGION}:{ACCT}:stateMachine:pennsieve-{node}-workflow", "name": f"pennsieve-{node}-workflow",
          "encryption_type": "CUSTOMER_MANAGED_KMS_KEY" if kms else "AWS_OWNED_KEY", "tags": dict(tags)}
    if kms:
        sm["kms_key_id"] = key_arn(node)
    if roles.get("states.amazonaws.com"):
        sm["role_arn"] = roles["states.amazonaws.com"][0]["Arn"]
    reg["step_functions"]["state_machines"].append(sm)
    # EFS.
    fs_id = rid("fs", node)
    fs = {"id": fs_id, "arn": f"arn:aws:elasticfilesystem:{REGION}:{ACCT}:file-system/{fs_id}", "name": f"pennsieve-{node}-workflow",
          "encrypted": mode == "compliant", "tags": dict(tags)}
    if mode == "compliant":
        fs["kms_key_id"] = key_arn(node)
        fs["policy"] = {"Version": "2012-10-17", "Statement": [
            {"Sid": "DenyWithoutTLS", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "*", "Resource": fs["arn"],
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
            {"Sid": "NodeRoles", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"},
             "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"], "Resource": fs["arn"],
             "Condition": {"Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"}}}]}
    reg["efs"]["file_systems"].append(fs)
    reg["efs"]["access_points"].append({"id": rid("fsap", node), "arn": f"arn:aws:elasticfilesystem:{REGION}:{ACCT}:access-point/{rid('fsap', node)}",
                                        "file_system_id": fs_id})
    for i, s in enumerate(subnets):
        reg["efs"]["mount_targets"].append({"id": rid("fsmt", node, str(i + 1)), "file_system_id": fs_id, "subnet_id": s,
                                            "vpc_id": vpc, "security_groups": [efs_sg]})
    # Log groups.
    groups = [f"/pennsieve/{node}/processor", f"/aws/vendedlogs/states/pennsieve-{node}-workflow"]
    if mode != "basic":
        groups.append(f"/pennsieve/{node}/flow-logs")
    groups += ["/aws/lambda/" + r["RoleName"] for r in roles.get("lambda.amazonaws.com", [])]
    for name in groups:
        lg = {"name": name, "arn": f"arn:aws:logs:{REGION}:{ACCT}:log-group:{name}:*", "retention_days": 365}
        if kms:
            lg["kms_key_id"] = key_arn(node)
        reg["logs"]["log_groups"].append(lg)
    rt["s3"]["buckets"] += [f"pennsieve-{node}-workflow", f"pennsieve-{node}-artifacts"]
    return rt


def with_runtime(acct, modes, declare="tag"):
    a = copy.deepcopy(acct)
    rt = empty_runtime()
    for node, mode in modes.items():
        add_node(rt, a, node, mode, declare)
    a["runtime"] = rt
    return a


# ---- helpers to reach into a runtime ----

def R(a):
    return a["runtime"]["regions"][0]


def find(lst, **kv):
    for x in lst:
        if all(x.get(k) == v for k, v in kv.items()):
            return x
    raise KeyError(kv)


N1, N2 = g.NODES


def main():
    base = g.mini_account()
    compliant = with_runtime(base, {N1: "compliant", N2: "compliant"})
    secure = with_runtime(base, {N1: "secure", N2: "secure"})
    basic = with_runtime(base, {N1: "basic", N2: "basic"})

    def F(check, name, fn, b=compliant):
        g.fixture(check, "fire-" + name, g.mutate(b, fn))

    def Q(check, name="compliant", fn=lambda a: None, b=compliant):
        g.fixture(check, "quiet-" + name, g.mutate(b, fn))

    ec2 = lambda a: R(a)["ec2"]  # noqa: E731

    # MODE-001: the mode is declared and consistent.
    F("MODE-001", "tags-disagree", lambda a: find(ec2(a)["vpcs"], id=rid("vpc", N1))["tags"].update({"pennsieve:deployment-mode": "secure"})
      or find(R(a)["lambda"]["functions"], name=f"pennsieve-{N1}-orchestrator")["tags"].update({"pennsieve:deployment-mode": "compliant"}))
    F("MODE-001", "inferred", lambda a: None, b=with_runtime(base, {N1: "compliant", N2: "compliant"}, declare=None))
    F("MODE-001", "bad-tag-value", lambda a: find(ec2(a)["vpcs"], id=rid("vpc", N1))["tags"].update({"pennsieve:deployment-mode": "hipaa"}))
    Q("MODE-001")
    Q("MODE-001", "secure", b=secure)
    Q("MODE-001", "basic", b=basic)

    # MODE-002: dedicated VPC.
    def to_default(a):
        # node 1 declared secure, but its functions run in the default VPC.
        d = default_vpc(R(a))
        for fn in R(a)["lambda"]["functions"]:
            if N1 in fn["name"]:
                fn["vpc"] = {"vpc_id": d, "subnets": ["subnet-0d3fa17a50"], "security_groups": ["sg-0d3fa17a50"]}
        for s in R(a)["ecs"]["services"]:
            if N1 in s["name"]:
                s["subnets"] = ["subnet-0d3fa17a50"]
    F("MODE-002", "default-vpc", to_default, b=secure)

    def shared(a):
        for fn in R(a)["lambda"]["functions"]:
            if N2 in fn["name"]:
                fn["vpc"] = {"vpc_id": rid("vpc", N1), "subnets": [rid("subnet", N1, "1")], "security_groups": [rid("sg", N1, "1")]}
    F("MODE-002", "shared-with-other-node", shared)
    F("MODE-002", "function-outside-vpc", lambda a: R(a)["lambda"]["functions"][0].pop("vpc"))
    Q("MODE-002")
    Q("MODE-002", "secure", b=secure)

    # MODE-003: secure nodes run in private subnets.
    def public_compute(a):
        t = find(ec2(a)["route_tables"], id=rid("rtb", N1, "1"))
        t["routes"] = [r for r in t["routes"] if r["destination"] != "0.0.0.0/0"] + \
                      [{"destination": "0.0.0.0/0", "target": rid("igw", N1), "state": "active"}]
    F("MODE-003", "igw-route", public_compute, b=secure)
    F("MODE-003", "public-ip", lambda a: R(a)["ecs"]["services"][0].update({"assign_public_ip": True}), b=secure)

    def ipv6_out(a):
        e = ec2(a)
        e["egress_only_internet_gateways"].append({"id": rid("eigw", N1), "vpcs": [rid("vpc", N1)]})
        find(e["route_tables"], id=rid("rtb", N1, "1"))["routes"].append({"destination": "::/0", "target": rid("igw", N1), "state": "active"})
    F("MODE-003", "ipv6-default-route-to-igw", ipv6_out, b=secure)
    Q("MODE-003", "secure", b=secure)
    Q("MODE-003", "compliant")

    def blackhole(a):
        find(ec2(a)["route_tables"], id=rid("rtb", N1, "1"))["routes"].append(
            {"destination": "198.51.100.0/24", "target": "igw-0deadbeef", "state": "blackhole"})
    Q("MODE-003", "blackhole-route", blackhole, b=secure)

    # MODE-004: flow logs.
    F("MODE-004", "no-flow-log", lambda a: ec2(a)["flow_logs"].remove(find(ec2(a)["flow_logs"], id=rid("fl", N1))))
    F("MODE-004", "accept-only", lambda a: find(ec2(a)["flow_logs"], id=rid("fl", N1)).update({"traffic_type": "ACCEPT"}), b=secure)
    F("MODE-004", "delivery-failed", lambda a: find(ec2(a)["flow_logs"], id=rid("fl", N1)).update({"deliver_logs_status": "FAILED"}))

    def one_subnet_only(a):
        fl = find(ec2(a)["flow_logs"], id=rid("fl", N1))
        fl["resource_id"] = rid("subnet", N1, "1")
    F("MODE-004", "one-subnet-of-two", one_subnet_only)
    Q("MODE-004")
    Q("MODE-004", "secure", b=secure)

    def per_subnet(a):
        e = ec2(a)
        e["flow_logs"].remove(find(e["flow_logs"], id=rid("fl", N1)))
        for i, s in enumerate([rid("subnet", N1, "1"), rid("subnet", N1, "2")]):
            e["flow_logs"].append({"id": rid("fl", N1, str(i + 1)), "resource_id": s, "traffic_type": "ALL", "status": "ACTIVE", "deliver_logs_status": "SUCCESS"})
    Q("MODE-004", "every-subnet", per_subnet)

    # MODE-005: no internet in compliant mode.
    def nat(a):
        e = ec2(a)
        pub = rid("subnet", N1, "f")
        e["subnets"].append({"id": pub, "vpc_id": rid("vpc", N1), "cidrs": ["10.147.250.0/24"]})
        e["nat_gateways"].append({"id": rid("nat", N1), "vpc_id": rid("vpc", N1), "subnet_id": pub, "connectivity_type": "public", "state": "available"})
        find(e["route_tables"], id=rid("rtb", N1, "1"))["routes"].append({"destination": "0.0.0.0/0", "target": rid("nat", N1), "state": "active"})
    F("MODE-005", "nat-route", nat)

    def igw_public_subnet(a):
        # a public subnet in the compliant VPC, even if no code runs there
        e = ec2(a)
        pub = rid("subnet", N1, "f")
        e["subnets"].append({"id": pub, "vpc_id": rid("vpc", N1), "cidrs": ["10.147.250.0/24"]})
        e["internet_gateways"].append({"id": rid("igw", N1), "vpcs": [rid("vpc", N1)]})
        e["route_tables"].append({"id": rid("rtb", N1, "f"), "vpc_id": rid("vpc", N1), "subnets": [pub],
                                  "routes": [{"destination": "0.0.0.0/0", "target": rid("igw", N1), "state": "active"}]})
    F("MODE-005", "public-subnet", igw_public_subnet)

    def egress_vpc(e):
        """A central egress VPC: a transit gateway attachment subnet that
        sends 0.0.0.0/0 to a NAT gateway."""
        v, s, t = "vpc-0e9e55ed0", "subnet-0e9e55ed01", "rtb-0e9e55ed01"
        e["vpcs"].append({"id": v, "owner_id": ACCT, "cidrs": ["10.250.0.0/16"], "is_default": False})
        e["subnets"].append({"id": s, "vpc_id": v, "cidrs": ["10.250.1.0/24"]})
        e["nat_gateways"].append({"id": "nat-0e9e55ed0", "vpc_id": v, "subnet_id": s, "connectivity_type": "public", "state": "available"})
        e["route_tables"].append({"id": t, "vpc_id": v, "main": True, "routes": [
            {"destination": "10.250.0.0/16", "target": "local", "state": "active"},
            {"destination": "0.0.0.0/0", "target": "nat-0e9e55ed0", "state": "active"}]})
        # EC2 gives every VPC a default security group (AWS's default rules).
        e["security_groups"].append(sg("sg-0e9e55ed00", "default", v, [rule("-1", group="sg-0e9e55ed00")], [rule("-1", cidr="0.0.0.0/0")]))
        return v, s

    def via_tgw(a):
        e = ec2(a)
        ev, es = egress_vpc(e)
        tgw = "tgw-0c0ffee00"
        e["transit_gateway_attachments"] += [
            {"id": "tgw-attach-0a7f3a9c21", "transit_gateway_id": tgw, "resource_type": "vpc", "resource_id": rid("vpc", N1),
             "resource_owner": ACCT, "state": "available", "route_table_id": "tgw-rtb-0c0ffee00", "subnets": [rid("subnet", N1, "1")]},
            {"id": "tgw-attach-0e9e55ed00", "transit_gateway_id": tgw, "resource_type": "vpc", "resource_id": ev,
             "resource_owner": ACCT, "state": "available", "route_table_id": "tgw-rtb-0c0ffee00", "subnets": [es]}]
        e["transit_gateway_route_tables"].append({"id": "tgw-rtb-0c0ffee00", "transit_gateway_id": tgw, "routes": [
            {"destination": "0.0.0.0/0", "attachments": ["tgw-attach-0e9e55ed00"], "type": "static", "state": "active"}]})
        find(e["route_tables"], id=rid("rtb", N1, "1"))["routes"].append({"destination": "0.0.0.0/0", "target": tgw, "state": "active"})
    F("MODE-005", "nat-through-transit-gateway", via_tgw)

    def via_peering(a):
        e = ec2(a)
        ev, _ = egress_vpc(e)
        e["peering_connections"].append({"id": "pcx-0fee1900d", "requester": {"vpc_id": rid("vpc", N1), "owner_id": ACCT, "region": REGION},
                                         "accepter": {"vpc_id": ev, "owner_id": ACCT, "region": REGION}, "status": "active"})
        find(e["route_tables"], id=rid("rtb", N1, "1"))["routes"].append({"destination": "10.250.0.0/16", "target": "pcx-0fee1900d", "state": "active"})
    F("MODE-005", "peered-with-egress-vpc", via_peering)
    F("MODE-005", "function-outside-vpc", lambda a: find(R(a)["lambda"]["functions"], name=f"pennsieve-{N1}-orchestrator").pop("vpc"))

    def ipv6(a):
        e = ec2(a)
        e["egress_only_internet_gateways"].append({"id": rid("eigw", N1), "vpcs": [rid("vpc", N1)]})
        find(e["route_tables"], id=rid("rtb", N1, "1"))["routes"].append({"destination": "::/0", "target": rid("eigw", N1), "state": "active"})
    F("MODE-005", "ipv6-egress-only", ipv6)

    def nat_instance(a):
        find(ec2(a)["route_tables"], id=rid("rtb", N1, "1"))["routes"].append({"destination": "0.0.0.0/0", "target": "eni-0a1b2c3d4e5f60718", "state": "active"})
    F("MODE-005", "route-to-instance", nat_instance)  # NOT_EVALUATED: an instance may forward
    Q("MODE-005")

    def tgw_private_only(a):
        # a transit gateway route for a private range to a VPC without internet
        e = ec2(a)
        tgw = "tgw-0c0ffee00"
        e["transit_gateway_attachments"] += [
            {"id": "tgw-attach-0a7f3a9c21", "transit_gateway_id": tgw, "resource_type": "vpc", "resource_id": rid("vpc", N1),
             "resource_owner": ACCT, "state": "available", "route_table_id": "tgw-rtb-0c0ffee00", "subnets": [rid("subnet", N1, "1")]},
            {"id": "tgw-attach-0b24e11d00", "transit_gateway_id": tgw, "resource_type": "vpc", "resource_id": rid("vpc", N2),
             "resource_owner": ACCT, "state": "available", "route_table_id": "tgw-rtb-0c0ffee00", "subnets": [rid("subnet", N2, "1")]}]
        e["transit_gateway_route_tables"].append({"id": "tgw-rtb-0c0ffee00", "transit_gateway_id": tgw, "routes": [
            {"destination": "10.0.0.0/8", "attachments": ["tgw-attach-0a7f3a9c21", "tgw-attach-0b24e11d00"], "type": "propagated", "state": "active"},
            {"destination": "0.0.0.0/0", "attachments": ["tgw-attach-0e9e55ed00"], "type": "static", "state": "blackhole"}]})
        find(e["route_tables"], id=rid("rtb", N1, "1"))["routes"].append({"destination": "10.0.0.0/8", "target": tgw, "state": "active"})
    Q("MODE-005", "transit-gateway-to-isolated-vpc", tgw_private_only)
    Q("MODE-005", "blackhole-nat-route", lambda a: find(ec2(a)["route_tables"], id=rid("rtb", N1, "1"))["routes"].append(
        {"destination": "0.0.0.0/0", "target": "nat-0deadbeef0", "state": "blackhole"}))

    # MODE-006: endpoints for every service used.
    F("MODE-006", "no-logs-endpoint", lambda a: ec2(a)["vpc_endpoints"].remove(find(ec2(a)["vpc_endpoints"], vpc_id=rid("vpc", N1), service_name=f"com.amazonaws.{REGION}.logs")))
    F("MODE-006", "s3-gateway-not-on-route-table", lambda a: find(ec2(a)["vpc_endpoints"], vpc_id=rid("vpc", N1), service_name=f"com.amazonaws.{REGION}.s3").update({"route_tables": []}))
    F("MODE-006", "endpoint-pending", lambda a: find(ec2(a)["vpc_endpoints"], vpc_id=rid("vpc", N1), service_name=f"com.amazonaws.{REGION}.ecr.dkr").update({"state": "pendingAcceptance"}))
    F("MODE-006", "new-service-granted", lambda a: g.find_role(a, f"pennsieve-{N1}-orchestrator")["RolePolicyList"][0]["PolicyDocument"]["Statement"].append(
        {"Sid": "Queue", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": f"arn:aws:sqs:{REGION}:{ACCT}:pennsieve-{N1}-jobs"}))
    Q("MODE-006")

    # MODE-007: endpoint policies.
    def open_policy(a):
        find(ec2(a)["vpc_endpoints"], vpc_id=rid("vpc", N1), service_name=f"com.amazonaws.{REGION}.s3")["policy"] = {
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}
    F("MODE-007", "principal-star-no-resource-account", open_policy)
    F("MODE-007", "no-policy", lambda a: find(ec2(a)["vpc_endpoints"], vpc_id=rid("vpc", N1), service_name=f"com.amazonaws.{REGION}.logs").pop("policy"))

    def principal_account_only(a):
        find(ec2(a)["vpc_endpoints"], vpc_id=rid("vpc", N1), service_name=f"com.amazonaws.{REGION}.s3")["policy"] = {
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*",
                                                    "Condition": {"StringEquals": {"aws:PrincipalAccount": ACCT}}}]}
    F("MODE-007", "pins-principal-not-resource", principal_account_only)

    def wildcard_bucket(a):
        find(ec2(a)["vpc_endpoints"], vpc_id=rid("vpc", N1), service_name=f"com.amazonaws.{REGION}.s3")["policy"] = {
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject", "s3:PutObject"],
                                                    "Resource": "arn:aws:s3:::pennsieve-*/*"}]}
    F("MODE-007", "bucket-name-pattern", wildcard_bucket)

    def foreign_bucket(a):
        find(ec2(a)["vpc_endpoints"], vpc_id=rid("vpc", N1), service_name=f"com.amazonaws.{REGION}.s3")["policy"] = {
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:PutObject",
                                                    "Resource": ["arn:aws:s3:::pennsieve-7f3a9c21-workflow/*", "arn:aws:s3:::research-dropbox-2026/*"]}]}
    F("MODE-007", "named-foreign-bucket", foreign_bucket)

    def other_account_arn(a):
        find(ec2(a)["vpc_endpoints"], vpc_id=rid("vpc", N1), service_name=f"com.amazonaws.{REGION}.secretsmanager")["policy"] = {
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
                                                    "Resource": f"arn:aws:secretsmanager:{REGION}:*:secret:pennsieve/*"}]}
    F("MODE-007", "any-account-secret", other_account_arn)
    F("MODE-007", "basic-mode-too", open_policy_basic := (lambda a: ec2(a)["vpc_endpoints"].append(
        {"id": "vpce-0d3fa17a501", "vpc_id": "vpc-0d3fa17a5", "service_name": f"com.amazonaws.{REGION}.s3", "type": "Gateway",
         "state": "available", "route_tables": ["rtb-0d3fa17a5"],
         "policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}})), b=basic)
    Q("MODE-007")

    def deny_other_accounts(a):
        find(ec2(a)["vpc_endpoints"], vpc_id=rid("vpc", N1), service_name=f"com.amazonaws.{REGION}.s3")["policy"] = {
            "Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
                {"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*",
                 "Condition": {"StringNotEquals": {"aws:ResourceAccount": ACCT}}}]}
    Q("MODE-007", "deny-other-accounts", deny_other_accounts)

    def own_buckets(a):
        find(ec2(a)["vpc_endpoints"], vpc_id=rid("vpc", N1), service_name=f"com.amazonaws.{REGION}.s3")["policy"] = {
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject", "s3:PutObject"],
                                                    "Resource": [f"arn:aws:s3:::pennsieve-{N1}-workflow/*", f"arn:aws:s3:::prod-{REGION}-starport-layer-bucket/*"]}]}
    Q("MODE-007", "named-own-buckets", own_buckets)
    Q("MODE-007", "basic-no-endpoints", b=basic)

    # MODE-008: KMS on log groups.
    F("MODE-008", "log-group-without-kms", lambda a: find(R(a)["logs"]["log_groups"], name=f"/pennsieve/{N1}/processor").pop("kms_key_id"))
    F("MODE-008", "secure-lambda-log-group", lambda a: find(R(a)["logs"]["log_groups"], name=f"/aws/lambda/pennsieve-{N1}-orchestrator").pop("kms_key_id"), b=secure)
    Q("MODE-008")
    Q("MODE-008", "secure", b=secure)

    # MODE-009: KMS on Step Functions.
    F("MODE-009", "aws-owned-key", lambda a: find(R(a)["step_functions"]["state_machines"], name=f"pennsieve-{N1}-workflow").update(
        {"encryption_type": "AWS_OWNED_KEY", "kms_key_id": ""}) or find(R(a)["step_functions"]["state_machines"], name=f"pennsieve-{N1}-workflow").pop("kms_key_id"))
    F("MODE-009", "no-encryption-configuration", lambda a: [find(R(a)["step_functions"]["state_machines"], name=f"pennsieve-{N2}-workflow").pop(k) for k in ("encryption_type", "kms_key_id")], b=secure)
    Q("MODE-009")
    Q("MODE-009", "secure", b=secure)

    # MODE-010: EFS encrypted.
    F("MODE-010", "unencrypted", lambda a: [find(R(a)["efs"]["file_systems"], id=rid("fs", N1)).update({"encrypted": False}),
                                            find(R(a)["efs"]["file_systems"], id=rid("fs", N1)).pop("kms_key_id")])
    Q("MODE-010")

    # MODE-011: EFS in transit.
    F("MODE-011", "task-without-tls", lambda a: R(a)["ecs"]["task_definitions"][0]["efs_volumes"][0].update({"transit_encryption": "DISABLED"}))
    F("MODE-011", "no-file-system-policy", lambda a: find(R(a)["efs"]["file_systems"], id=rid("fs", N1)).pop("policy"))

    def allow_without_tls(a):
        find(R(a)["efs"]["file_systems"], id=rid("fs", N1))["policy"]["Statement"].pop(0)
    F("MODE-011", "policy-without-tls-deny", allow_without_tls)
    Q("MODE-011")

    # MODE-012: no inbound from the internet.
    F("MODE-012", "ssh-from-anywhere", lambda a: find(ec2(a)["security_groups"], id=rid("sg", N1, "1"))["ingress"].append(rule("tcp", 22, cidr="0.0.0.0/0")))
    F("MODE-012", "ipv6-anywhere", lambda a: find(ec2(a)["security_groups"], id=rid("sg", N1, "3"))["ingress"].append(rule("tcp", 2049, cidr="::/0")))
    F("MODE-012", "split-internet", lambda a: find(ec2(a)["security_groups"], id=rid("sg", N1, "1"))["ingress"].extend(
        [rule("tcp", 443, cidr="0.0.0.0/1"), rule("tcp", 443, cidr="128.0.0.0/1")]))
    F("MODE-012", "basic-default-vpc", lambda a: find(ec2(a)["security_groups"], id=rid("sg", N1, "1"))["ingress"].append(rule("-1", cidr="0.0.0.0/0")), b=basic)
    Q("MODE-012")
    Q("MODE-012", "private-range", lambda a: find(ec2(a)["security_groups"], id=rid("sg", N1, "1"))["ingress"].append(rule("tcp", 443, cidr="10.0.0.0/8")))
    Q("MODE-012", "basic", b=basic)

    # ---- PAR ----
    par = with_par_runtime(g.par_account())

    def pF(check, name, fn):
        F(check, name, fn, b=par)

    def pQ(check, name="as-documented", fn=lambda a: None):
        Q(check, name, fn, b=par)

    logs = lambda a: R(a)["logs"]  # noqa: E731
    pF("PV-LOG-001", "no-log-group", lambda a: logs(a)["log_groups"].remove(find(logs(a)["log_groups"], name=PAR_GROUP)))
    pF("PV-LOG-001", "retention-29-days", lambda a: find(logs(a)["log_groups"], name=PAR_GROUP).update({"retention_days": 29}))
    pF("PV-LOG-001", "other-name", lambda a: find(logs(a)["log_groups"], name=PAR_GROUP).update({"name": "/ecs/pixell-agent-runtime-v2"}))
    pQ("PV-LOG-001")
    pQ("PV-LOG-001", "never-expire", lambda a: find(logs(a)["log_groups"], name=PAR_GROUP).pop("retention_days"))
    pF("PV-LOG-002", "json-file-driver", lambda a: R(a)["ecs"]["task_definitions"][0]["containers"][0].update({"log_driver": "json-file", "log_options": {}}))
    pF("PV-LOG-002", "other-group", lambda a: R(a)["ecs"]["task_definitions"][0]["containers"][0]["log_options"].update({"awslogs-group": "/ecs/default"}))
    pQ("PV-LOG-002")
    alarms = lambda a: R(a)["cloudwatch"]["alarms"]  # noqa: E731
    pF("PV-LOG-003", "no-alarms", lambda a: alarms(a).clear())
    pF("PV-LOG-003", "cpu-alarm-on-wrong-metric", lambda a: find(alarms(a), name="par-cpu-high").update({"metric_name": "CPUReservation"}))
    pF("PV-LOG-003", "cpu-alarm-on-other-service", lambda a: find(alarms(a), name="par-cpu-high")["dimensions"].update({"ServiceName": "billing-api"}))
    pF("PV-LOG-003", "threshold-90", lambda a: find(alarms(a), name="par-memory-high").update({"threshold": 90}))
    pF("PV-LOG-003", "boot-failures-per-minute", lambda a: find(alarms(a), name="par-boot-failures").update({"period": 60}))
    pF("PV-LOG-003", "alarm-notifies-no-one", lambda a: find(alarms(a), name="par-health-checks").update({"alarm_actions": []}))
    pF("PV-LOG-003", "filter-on-other-log-group", lambda a: find(logs(a)["metric_filters"], name="par-boot-failures").update({"log_group": "/ecs/other"}))
    pF("PV-LOG-003", "404-not-watched", lambda a: find(logs(a)["metric_filters"], name="par-s3-errors").update({"pattern": '{ $.status = 403 }'}))
    pQ("PV-LOG-003")
    pQ("PV-LOG-003", "greater-or-equal-6", lambda a: find(alarms(a), name="par-boot-failures").update({"comparison_operator": "GreaterThanOrEqualToThreshold", "threshold": 6}))
    pF("PV-NET-001", "inbound-from-anywhere", lambda a: find(R(a)["ec2"]["security_groups"], id=PAR_SG)["ingress"].append(rule("tcp", 8080, cidr="0.0.0.0/0")))
    pF("PV-NET-001", "inbound-from-vpc-range", lambda a: find(R(a)["ec2"]["security_groups"], id=PAR_SG)["ingress"].append(rule("tcp", 8080, cidr="10.60.0.0/16")))
    pF("PV-NET-001", "inbound-from-self", lambda a: find(R(a)["ec2"]["security_groups"], id=PAR_SG)["ingress"].append(rule("-1", group=PAR_SG)))
    pQ("PV-NET-001")
    pF("PV-NET-002", "no-s3-endpoint", lambda a: R(a)["ec2"]["vpc_endpoints"].remove(find(R(a)["ec2"]["vpc_endpoints"], id=PAR_S3_EP)))
    pF("PV-NET-002", "endpoint-on-other-route-table", lambda a: find(R(a)["ec2"]["vpc_endpoints"], id=PAR_S3_EP).update({"route_tables": ["rtb-0a1b2c3d9"]}))
    pQ("PV-NET-002")
    pF("PV-NET-003", "default-egress", lambda a: find(R(a)["ec2"]["security_groups"], id=PAR_SG)["egress"].append(rule("-1", cidr="0.0.0.0/0")))
    pF("PV-NET-003", "egress-to-public-range", lambda a: find(R(a)["ec2"]["security_groups"], id=PAR_SG)["egress"].append(rule("tcp", 443, cidr="52.0.0.0/8")))
    pF("PV-NET-003", "ipv6-egress", lambda a: find(R(a)["ec2"]["security_groups"], id=PAR_SG)["egress"].append(rule("tcp", 443, cidr="::/0")))
    pQ("PV-NET-003")
    for cid in ["PV-LOG-001", "PV-LOG-002", "PV-LOG-003", "PV-NET-001", "PV-NET-002", "PV-NET-003"]:
        with open(os.path.join("testdata", "checks", cid, "contract"), "w") as f:
            f.write("par\n")

    # ---- sample accounts ----
    w = g.write
    w("testdata/accounts/modes-compliant.json", compliant)
    w("testdata/accounts/modes-compliant-broken.json", g.mutate(compliant, lambda a: [
        via_tgw(a), open_policy(a),
        find(R(a)["logs"]["log_groups"], name=f"/pennsieve/{N2}/processor").pop("kms_key_id"),
        find(R(a)["efs"]["file_systems"], id=rid("fs", N2)).update({"encrypted": False}),
        find(ec2(a)["security_groups"], id=rid("sg", N2, "3"))["ingress"].append(rule("tcp", 2049, cidr="::/0"))]))
    w("testdata/accounts/modes-secure.json", secure)
    w("testdata/accounts/modes-secure-broken.json", g.mutate(secure, lambda a: [
        public_compute(a), ec2(a)["flow_logs"].remove(find(ec2(a)["flow_logs"], id=rid("fl", N2))),
        find(R(a)["step_functions"]["state_machines"], name=f"pennsieve-{N2}-workflow").update({"encryption_type": "AWS_OWNED_KEY"})]))
    w("testdata/accounts/modes-basic.json", basic)
    w("testdata/accounts/modes-basic-broken.json", g.mutate(basic, lambda a: [
        find(ec2(a)["security_groups"], id=rid("sg", N1, "1"))["ingress"].append(rule("tcp", 22, cidr="0.0.0.0/0")),
        open_policy_basic(a)]))
    full_par = with_par_runtime(g.load("testdata/accounts/par-compliant.json"))
    w("testdata/accounts/par-compliant.json", full_par)
    w("testdata/accounts/par-no-alarms.json", g.mutate(full_par, lambda a: [alarms(a).clear(), logs(a)["metric_filters"].clear()]))
    w("testdata/accounts/par-sample.json", g.mutate(with_par_runtime(g.load("testdata/accounts/par-sample.json")), lambda a: [
        alarms(a).remove(find(alarms(a), name="par-health-checks")),
        find(logs(a)["log_groups"], name=PAR_GROUP).update({"retention_days": 14}),
        find(R(a)["ec2"]["security_groups"], id=PAR_SG)["egress"].append(rule("-1", cidr="0.0.0.0/0"))]))

    # compliant.json: the same account, compliant mode; sample.json: its
    # nodes with planted problems (see README).
    for name, fn in [("compliant", lambda a: None), ("sample", plant_sample)]:
        path = f"testdata/accounts/{name}.json"
        a = g.load(path)
        a.pop("runtime", None)
        a = with_runtime(a, {N1: "compliant", N2: "secure"})
        fn(a)
        with open(path, "w") as f:
            f.write(json.dumps(a, indent=4) + "\n")
        if name == "compliant":
            # editable-boundary.json is compliant.json with editable
            # boundaries (generate.py): the same runtime.
            eb = g.load("testdata/accounts/editable-boundary.json")
            eb["runtime"] = copy.deepcopy(a["runtime"])
            w("testdata/accounts/editable-boundary.json", eb)


def plant_sample(a):
    e = R(a)["ec2"]
    # node 7f3a9c21 (compliant): a NAT gateway route, added by hand.
    pub = rid("subnet", N1, "f")
    e["subnets"].append({"id": pub, "vpc_id": rid("vpc", N1), "cidrs": ["10.147.250.0/24"]})
    e["nat_gateways"].append({"id": rid("nat", N1), "vpc_id": rid("vpc", N1), "subnet_id": pub, "connectivity_type": "public", "state": "available"})
    find(e["route_tables"], id=rid("rtb", N1, "1"))["routes"].append({"destination": "0.0.0.0/0", "target": rid("nat", N1), "state": "active"})
    # node b24e11d0 (secure): SSH open to the internet, and no flow log.
    find(e["security_groups"], id=rid("sg", N2, "1"))["ingress"].append(rule("tcp", 22, cidr="0.0.0.0/0"))
    e["flow_logs"].remove(find(e["flow_logs"], id=rid("fl", N2)))


# ---- PAR runtime ----

PAR_GROUP = "/ecs/pixell-agent-runtime"
PAR_VPC = "vpc-0a1b2c3d4"
PAR_SG, PAR_LB_SG = "sg-0a1b2c3d41", "sg-0a1b2c3d42"
PAR_S3_EP = "vpce-0a1b2c3d41"


def with_par_runtime(acct):
    a = copy.deepcopy(acct)
    task = g.find_role(a, "pixell-agent-runtime-task-role")
    execr = g.find_role(a, "pixell-agent-runtime-execution-role")
    rt = empty_runtime()
    reg = R({"runtime": rt})
    e = reg["ec2"]
    e["vpcs"].append({"id": PAR_VPC, "owner_id": ACCT, "cidrs": ["10.60.0.0/16"], "is_default": False, "tags": {"Name": "pixell"}})
    subnets = ["subnet-0a1b2c3d41", "subnet-0a1b2c3d42"]
    pub = "subnet-0a1b2c3d4f"
    for i, s in enumerate(subnets):
        e["subnets"].append({"id": s, "vpc_id": PAR_VPC, "cidrs": [f"10.60.{i + 1}.0/24"]})
    e["subnets"].append({"id": pub, "vpc_id": PAR_VPC, "cidrs": ["10.60.250.0/24"], "map_public_ip_on_launch": True})
    e["internet_gateways"].append({"id": "igw-0a1b2c3d4", "vpcs": [PAR_VPC]})
    e["route_tables"] += [
        {"id": "rtb-0a1b2c3d41", "vpc_id": PAR_VPC, "main": True, "subnets": list(subnets),
         "routes": [{"destination": "10.60.0.0/16", "target": "local", "state": "active"},
                    {"destination": S3_PL, "target": PAR_S3_EP, "state": "active"}]},
        {"id": "rtb-0a1b2c3d4f", "vpc_id": PAR_VPC, "subnets": [pub],
         "routes": [{"destination": "10.60.0.0/16", "target": "local", "state": "active"},
                    {"destination": "0.0.0.0/0", "target": "igw-0a1b2c3d4", "state": "active"}]}]
    ep_sg = "sg-0a1b2c3d43"
    e["vpc_endpoints"] += [
        {"id": PAR_S3_EP, "vpc_id": PAR_VPC, "service_name": f"com.amazonaws.{REGION}.s3", "type": "Gateway", "state": "available",
         "route_tables": ["rtb-0a1b2c3d41"], "policy": {"Version": "2012-10-17", "Statement": [
             {"Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject", "s3:ListBucket"],
              "Resource": ["arn:aws:s3:::pixell-agent-packages", "arn:aws:s3:::pixell-agent-packages/*", f"arn:aws:s3:::prod-{REGION}-starport-layer-bucket/*"]}]}}]
    for i, svc in enumerate(["ecr.api", "ecr.dkr", "logs"]):
        e["vpc_endpoints"].append({"id": "vpce-0a1b2c3d4%d" % (i + 2), "vpc_id": PAR_VPC, "service_name": f"com.amazonaws.{REGION}.{svc}",
                                   "type": "Interface", "state": "available", "subnets": list(subnets), "security_groups": [ep_sg],
                                   "private_dns_enabled": True, "policy": pinned_policy()})
    e["security_groups"] += [
        sg(PAR_SG, "pixell-agent-runtime", PAR_VPC, [rule("tcp", 8080, group=PAR_LB_SG)],
           [rule("tcp", 443, prefix_list=S3_PL), rule("tcp", 443, group=ep_sg)]),
        sg(PAR_LB_SG, "pixell-agent-runtime-alb", PAR_VPC, [rule("tcp", 443, cidr="0.0.0.0/0")], [rule("tcp", 8080, group=PAR_SG)]),
        sg(ep_sg, "pixell-endpoints", PAR_VPC, [rule("tcp", 443, group=PAR_SG)], []),
        sg("sg-0a1b2c3d40", "default", PAR_VPC, [rule("-1", group="sg-0a1b2c3d40")], [rule("-1", cidr="0.0.0.0/0")])]
    e["flow_logs"].append({"id": "fl-0a1b2c3d4", "resource_id": PAR_VPC, "traffic_type": "ALL", "status": "ACTIVE", "deliver_logs_status": "SUCCESS"})
    e["network_acls"].append({"id": "acl-0a1b2c3d4", "vpc_id": PAR_VPC, "is_default": True, "subnets": subnets + [pub], "entries": acl_all()})
    cluster = f"arn:aws:ecs:{REGION}:{ACCT}:cluster/pixell"
    td_arn = f"arn:aws:ecs:{REGION}:{ACCT}:task-definition/pixell-agent-runtime:12"
    tg = f"arn:aws:elasticloadbalancing:{REGION}:{ACCT}:targetgroup/pixell-agent-runtime/6d0ecf831eec9f09"
    lb = f"arn:aws:elasticloadbalancing:{REGION}:{ACCT}:loadbalancer/app/pixell-agent-runtime/50dc6c495c0c9188"
    reg["ecs"] = {
        "clusters": [{"arn": cluster, "name": "pixell"}],
        "services": [{"arn": f"arn:aws:ecs:{REGION}:{ACCT}:service/pixell/pixell-agent-runtime", "name": "pixell-agent-runtime",
                      "cluster": cluster, "task_definition": td_arn, "launch_type": "FARGATE", "subnets": list(subnets),
                      "security_groups": [PAR_SG], "target_groups": [tg]}],
        "task_definitions": [{"arn": td_arn, "family": "pixell-agent-runtime", "task_role_arn": task["Arn"], "execution_role_arn": execr["Arn"],
                              "network_mode": "awsvpc",
                              "containers": [{"name": "par", "image": f"{ACCT}.dkr.ecr.{REGION}.amazonaws.com/pixell-agent-runtime:0.9.1",
                                              "log_driver": "awslogs", "log_options": {"awslogs-group": PAR_GROUP, "awslogs-region": REGION,
                                                                                       "awslogs-stream-prefix": "par"}}]}]}
    reg["elb"] = {"load_balancers": [{"arn": lb, "name": "pixell-agent-runtime", "type": "application", "scheme": "internet-facing",
                                      "vpc_id": PAR_VPC, "security_groups": [PAR_LB_SG]}],
                  "target_groups": [{"arn": tg, "name": "pixell-agent-runtime", "vpc_id": PAR_VPC, "load_balancers": [lb]}]}
    reg["logs"] = {"log_groups": [{"name": PAR_GROUP, "arn": f"arn:aws:logs:{REGION}:{ACCT}:log-group:{PAR_GROUP}:*", "retention_days": 30}],
                   "metric_filters": [
                       {"name": "par-boot-failures", "log_group": PAR_GROUP, "pattern": '{ $.level = "error" && $.event = "Runtime failed" }',
                        "transformations": [{"metric_name": "BootFailures", "metric_namespace": "PixellAgentRuntime", "metric_value": "1"}]},
                       {"name": "par-s3-errors", "log_group": PAR_GROUP, "pattern": '{ $.status = 403 || $.status = 404 }',
                        "transformations": [{"metric_name": "PackageDownloadErrors", "metric_namespace": "PixellAgentRuntime", "metric_value": "1"}]}]}
    topic = f"arn:aws:sns:{REGION}:{ACCT}:pixell-oncall"
    svc_dims = {"ClusterName": "pixell", "ServiceName": "pixell-agent-runtime"}

    def alarm(name, ns, metric, stat, period, threshold, dims=None, evals=1):
        x = {"name": name, "arn": f"arn:aws:cloudwatch:{REGION}:{ACCT}:alarm:{name}", "namespace": ns, "metric_name": metric,
             "statistic": stat, "period": period, "evaluation_periods": evals, "threshold": threshold,
             "comparison_operator": "GreaterThanThreshold", "actions_enabled": True, "alarm_actions": [topic]}
        if dims:
            x["dimensions"] = dims
        return x
    reg["cloudwatch"] = {"alarms": [
        alarm("par-boot-failures", "PixellAgentRuntime", "BootFailures", "Sum", 300, 5),
        alarm("par-package-download-errors", "PixellAgentRuntime", "PackageDownloadErrors", "Sum", 300, 0),
        alarm("par-cpu-high", "AWS/ECS", "CPUUtilization", "Average", 60, 80, dict(svc_dims), 3),
        alarm("par-memory-high", "AWS/ECS", "MemoryUtilization", "Average", 60, 80, dict(svc_dims), 3),
        alarm("par-health-checks", "AWS/ApplicationELB", "UnHealthyHostCount", "Maximum", 60, 3,
              {"TargetGroup": "targetgroup/pixell-agent-runtime/6d0ecf831eec9f09", "LoadBalancer": "app/pixell-agent-runtime/50dc6c495c0c9188"})]}
    rt["s3"]["buckets"] = ["pixell-agent-packages"]
    a["runtime"] = rt
    return a


if __name__ == "__main__":
    main()
