"""The `net.*` checks on synthetic snapshots, and the what-if fixes that make each failure pass."""

import copy

import pytest

from fargate_nb.checks import network  # noqa: F401  (registers the net.* checks)
from fargate_nb.checks.registry import REGISTRY
from fargate_nb.fixes import FixError, apply_fix
from fargate_nb.pullflow import plan
from fargate_nb.reach.cidrs import to_net
from fargate_nb.reach.nacls import decide as nacl_decide
from tests.support.network import (
    ACCT,
    ENDPOINT_SG,
    ENDPOINT_SUBNET,
    MAIN_RTB,
    NACL,
    NAT,
    PRIVATE_RTB,
    PUBLIC_SUBNET,
    S3_PL,
    S3_PL_CIDRS,
    TASK_IP,
    TASK_SG,
    TASK_SUBNET,
    VPC,
    Net,
    default_nacl_entries,
    endpoint_id,
    https,
    nacl_entry,
    nat_vpc,
    private_vpc,
    public_vpc,
)

NET_IDS = ("net.no-route", "net.public-ip", "net.vpc-dns", "net.endpoint-private-dns", "net.s3-gateway-route",
           "net.endpoint-policy", "net.endpoint-sg", "net.task-sg-egress", "net.nacl")


def run(snap):
    p = plan(snap)
    return [f for cid in NET_IDS for f in REGISTRY[cid].run(snap, p)]


def one(snap, cid, target):
    found = [f for f in run(snap) if f.id == cid and f.target == target]
    assert len(found) == 1, found
    return found[0]


def bad(snap):
    return sorted((f.id, f.target, f.status) for f in run(snap) if f.status in ("fail", "unknown", "warn"))


def test_every_check_is_registered_with_a_doc_link():
    for cid in NET_IDS:
        assert REGISTRY[cid].spec.doc_url.startswith("https://docs.aws.amazon.com/")


@pytest.mark.parametrize("vpc", [private_vpc, nat_vpc, public_vpc], ids=["private-endpoints", "nat", "public"])
def test_healthy_vpcs_report_no_problem(vpc):
    snap = vpc().container_secret().build()
    assert bad(snap) == []
    targets = {f.target for f in run(snap) if f.id == "net.no-route" and f.status == "pass"}
    assert targets == {"ecr.api", "ecr.dkr", "s3", "logs", "secretsmanager"}


def test_private_vpc_passes_the_endpoint_checks_on_evidence():
    findings = {(f.id, f.target): f for f in run(private_vpc().build())}
    assert findings[("net.endpoint-sg", "ecr.dkr")].status == "pass"
    assert ENDPOINT_SG in findings[("net.endpoint-sg", "ecr.dkr")].detail
    assert findings[("net.endpoint-policy", "s3")].status == "pass"
    assert findings[("net.s3-gateway-route", "s3")].status == "pass"
    assert findings[("net.task-sg-egress", "s3")].status == "pass"


def test_no_awsvpc_evidence_skips_every_check():
    snap = private_vpc().build()
    snap.network = {}
    findings = run(snap)
    assert len(findings) == len(NET_IDS)
    assert {f.status for f in findings} == {"skipped"} and {f.target for f in findings} == {None}


def test_findings_carry_the_step_of_their_target():
    steps = {f.target: f.step for f in run(Net().container_secret().build()) if f.id == "net.no-route"}
    assert steps == {"ecr.api": "registry-auth", "ecr.dkr": "manifest", "s3": "layers", "logs": "logs",
                     "secretsmanager": "secrets"}


# -- one case per failing id: the failure, its evidence, and the what-if fix that clears it ---------------
def _restricted_s3():
    policy = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*",
                             "Condition": {"StringEquals": {"aws:PrincipalAccount": ACCT}}}]}
    n = Net()
    for s in ("ecr.api", "ecr.dkr", "logs"):
        n.interface_endpoint(s)
    return n.s3_gateway(policy=policy)


def _deny_batch_get_image():
    n = Net()
    deny = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
                          {"Effect": "Deny", "Principal": "*", "Action": "ecr:BatchGetImage", "Resource": "*"}]}
    for s in ("ecr.api", "logs"):
        n.interface_endpoint(s)
    return n.interface_endpoint("ecr.dkr", policy=deny).s3_gateway()


def _private_dns_off():
    n = Net().interface_endpoint("ecr.api").interface_endpoint("ecr.dkr", private_dns=False)
    return n.interface_endpoint("logs").s3_gateway()


def _nacl_blocks_replies():
    entries = [nacl_entry(100, egress=True), nacl_entry(100, egress=False, protocol="6", ports=(443, 443)),
               nacl_entry(32767, egress=False, action="deny"), nacl_entry(32767, egress=True, action="deny")]
    return private_vpc().nacl(entries)


def _nat_subnet_nacl_blocks_the_task():
    entries = [nacl_entry(50, egress=False, action="deny", cidr="10.0.1.0/24"), *default_nacl_entries()]
    return nat_vpc().nacl(entries, subnets=[PUBLIC_SUBNET], acl_id="acl-0natsubnet0000000")


FAILURES = {
    "no-route-interface": (lambda: Net(), "net.no-route", "ecr.dkr", ["vpc-0a1b2c3d4e5f60718", "--subnet-ids"]),
    "no-route-gateway": (lambda: Net(), "net.no-route", "s3", ["--vpc-endpoint-type Gateway", PRIVATE_RTB]),
    "no-route-docker-hub": (lambda: private_vpc().image("nginx:1.27"), "net.no-route", "registry-1.docker.io",
                            ["create-nat-gateway", PRIVATE_RTB]),
    "public-ip": (lambda: Net().igw_route().public_ip(False), "net.public-ip", "ecr.api", ["assignPublicIp=ENABLED"]),
    "vpc-dns": (lambda: private_vpc().vpc_dns(True, False), "net.vpc-dns", "ecr.dkr",
                [f"--vpc-id {VPC} --enable-dns-hostnames"]),
    "private-dns": (_private_dns_off, "net.endpoint-private-dns", "ecr.dkr",
                    [f"--vpc-endpoint-id {endpoint_id('ecr.dkr')} --private-dns-enabled"]),
    "s3-gateway-route": (lambda: Net().interface_endpoint("ecr.api").interface_endpoint("ecr.dkr")
                         .interface_endpoint("logs").s3_gateway(route_tables=[MAIN_RTB]),
                         "net.s3-gateway-route", "s3", [f"--add-route-table-ids {PRIVATE_RTB}"]),
    "endpoint-policy-s3": (_restricted_s3, "net.endpoint-policy", "s3", ["prod-us-east-1-starport-layer-bucket"]),
    "endpoint-policy-deny": (_deny_batch_get_image, "net.endpoint-policy", "ecr.dkr", [endpoint_id("ecr.dkr")]),
    "endpoint-sg": (lambda: private_vpc().endpoint_ingress(), "net.endpoint-sg", "ecr.api",
                    [f"--group-id {ENDPOINT_SG} --protocol tcp --port 443 --source-group {TASK_SG}"]),
    "task-egress-s3-prefix-list": (lambda: private_vpc().task_egress(https(group=ENDPOINT_SG)),
                                   "net.task-sg-egress", "s3", [f"PrefixListId={S3_PL}", TASK_SG]),
    "task-egress-endpoint": (lambda: private_vpc().task_egress(https(prefix_list=S3_PL)), "net.task-sg-egress",
                             "ecr.api", [f"GroupId={ENDPOINT_SG}"]),
    "task-egress-nat": (lambda: nat_vpc().task_egress(https(cidr="10.0.0.0/8")), "net.task-sg-egress", "logs",
                        ["CidrIp=0.0.0.0/0"]),
    "nacl-replies": (_nacl_blocks_replies, "net.nacl", "ecr.dkr", ["--ingress", "From=1024,To=65535"]),
    "nacl-s3-prefix-list": (_nacl_blocks_replies, "net.nacl", "s3", [S3_PL_CIDRS[0], S3_PL_CIDRS[-1]]),
    "nacl-nat-subnet": (_nat_subnet_nacl_blocks_the_task, "net.nacl", "ecr.api",
                        ["acl-0natsubnet0000000", "--cidr-block 10.0.1.0/24"]),
}


@pytest.mark.parametrize("name", list(FAILURES))
def test_failure_has_real_ids_and_a_fix_that_clears_it(name):
    build, cid, target, words = FAILURES[name]
    snap = build().build()
    finding = one(snap, cid, target)
    assert finding.status == "fail", finding
    assert finding.detail and finding.evidence and finding.doc_url
    commands = " ".join(finding.remediation.commands)
    for word in words:
        assert word in commands, (word, commands)
    before = copy.deepcopy(snap.to_dict())
    patched = apply_fix(snap, finding.remediation.fix)
    assert snap.to_dict() == before  # the evidence itself is never touched
    assert one(patched, cid, target).status == "pass"


def test_a_fix_does_not_break_the_other_targets():
    snap = Net().build()
    for target in ("ecr.api", "ecr.dkr", "logs", "s3"):
        snap = apply_fix(snap, one(snap, "net.no-route", target).remediation.fix)
    assert bad(snap) == []  # the synthesized endpoints come with a working security group


# -- details of each check --------------------------------------------------------------------------
def test_internet_route_without_public_ip_is_public_ip_not_no_route():
    snap = Net().igw_route().public_ip(False).build()
    assert one(snap, "net.no-route", "ecr.dkr").status == "pass"
    assert one(snap, "net.public-ip", "ecr.dkr").status == "fail"
    assert one(Net().igw_route().public_ip(None).build(), "net.public-ip", "s3").status == "unknown"


def test_opaque_transit_gateway_is_unknown_not_a_failure():
    snap = Net().default_route(TransitGatewayId="tgw-0abc").build()
    finding = one(snap, "net.no-route", "ecr.api")
    assert finding.status == "unknown" and "tgw-0abc" in finding.detail and "verify" in finding.detail
    assert one(snap, "net.task-sg-egress", "ecr.api").status == "pass"  # 0.0.0.0/0 egress


def test_misconfigured_endpoint_fails_its_own_check_not_no_route():
    snap = _private_dns_off().build()
    assert one(snap, "net.no-route", "ecr.dkr").status == "pass"
    assert "net.endpoint-private-dns" in one(snap, "net.no-route", "ecr.dkr").detail


def test_endpoint_problems_only_warn_when_nat_still_works():
    snap = _private_dns_off().nat().build()
    assert one(snap, "net.endpoint-private-dns", "ecr.dkr").status == "warn"
    assert one(nat_vpc().all_endpoints().vpc_dns(True, False).build(), "net.vpc-dns", "logs").status == "warn"
    gw_elsewhere = nat_vpc().s3_gateway(route_tables=[MAIN_RTB]).build()
    assert one(gw_elsewhere, "net.s3-gateway-route", "s3").status == "warn"


def test_several_targets_each_get_their_own_finding():
    snap = private_vpc().container_secret("/prod/db-password").build()  # an SSM parameter: no ssm endpoint
    results = {f.target: f.status for f in run(snap) if f.id == "net.no-route"}
    assert results == {"ecr.api": "pass", "ecr.dkr": "pass", "s3": "pass", "logs": "pass", "ssm": "fail"}
    fix = one(snap, "net.no-route", "ssm").remediation.fix
    assert fix == {"op": "add_vpc_endpoint", "service": "ssm", "type": "Interface"}


@pytest.mark.parametrize("key, api, cid", [
    ("route_tables", "ec2:DescribeRouteTables", "net.no-route"),
    ("security_groups", "ec2:DescribeSecurityGroups", "net.endpoint-sg"),
    ("security_groups", "ec2:DescribeSecurityGroups", "net.task-sg-egress"),
    ("network_acls", "ec2:DescribeNetworkAcls", "net.nacl"),
    ("vpc_endpoints", "ec2:DescribeVpcEndpoints", "net.endpoint-policy"),
])
def test_unreadable_evidence_is_unknown_naming_the_permission(key, api, cid):
    snap = private_vpc().unreadable(key, api).build()
    finding = one(snap, cid, "ecr.dkr")
    assert finding.status == "unknown" and finding.missing_permission == api


def test_unreadable_vpc_attributes_make_vpc_dns_unknown():
    n = private_vpc()
    del n.net["vpc"]["EnableDnsHostnames"]
    n.snap.gaps.append(__import__("fargate_nb.model", fromlist=["Gap"]).Gap(
        api="ec2:DescribeVpcAttribute", permission="ec2:DescribeVpcAttribute", error="AccessDenied"))
    finding = one(n.build(), "net.vpc-dns", "ecr.api")
    assert finding.status == "unknown" and finding.missing_permission == "ec2:DescribeVpcAttribute"


# -- security groups -------------------------------------------------------------------------------------
def test_endpoint_sg_by_cidr_and_by_task_ip():
    assert one(private_vpc().endpoint_ingress(https(cidr="10.0.0.0/16")).build(),
               "net.endpoint-sg", "logs").status == "pass"
    split = private_vpc().endpoint_ingress(https(cidr="10.0.1.0/25"), https(cidr="10.0.1.128/25")).build()
    assert one(split, "net.endpoint-sg", "logs").status == "pass"
    only_ip = one(private_vpc().endpoint_ingress(https(cidr=f"{TASK_IP}/32")).build(), "net.endpoint-sg", "logs")
    assert only_ip.status == "warn" and TASK_IP in only_ip.detail
    wrong_port = private_vpc().endpoint_ingress({**https(group=TASK_SG), "FromPort": 80, "ToPort": 80}).build()
    assert one(wrong_port, "net.endpoint-sg", "logs").status == "fail"


def test_s3_prefix_list_egress_is_what_the_gateway_needs():
    by_pl = private_vpc().task_egress(https(group=ENDPOINT_SG), https(prefix_list=S3_PL)).build()
    assert bad(by_pl) == []
    by_cidrs = private_vpc().task_egress(https(group=ENDPOINT_SG), *[https(cidr=c) for c in S3_PL_CIDRS]).build()
    assert one(by_cidrs, "net.task-sg-egress", "s3").status == "pass"
    partial = private_vpc().task_egress(https(group=ENDPOINT_SG), https(cidr=S3_PL_CIDRS[0])).build()
    finding = one(partial, "net.task-sg-egress", "s3")
    assert finding.status == "fail" and S3_PL in finding.detail


def test_egress_to_some_public_addresses_is_unknown():
    snap = nat_vpc().task_egress(https(cidr="52.0.0.0/8")).build()
    assert one(snap, "net.task-sg-egress", "ecr.api").status == "unknown"


# -- network ACLs ----------------------------------------------------------------------------------------
def test_nacl_first_match_wins():
    acl = {"Entries": [nacl_entry(90, egress=True, action="deny", cidr="10.0.3.0/24", protocol="6", ports=(443, 443)),
                       nacl_entry(100, egress=True)]}
    assert not nacl_decide(acl, True, to_net("10.0.3.0/24"), (443, 443)).allowed
    assert nacl_decide(acl, True, to_net("10.0.4.0/24"), (443, 443)).allowed
    acl["Entries"].append(nacl_entry(80, egress=True, cidr="10.0.3.0/24"))
    assert nacl_decide(acl, True, to_net("10.0.3.0/24"), (443, 443)).allowed
    # a deny that covers only part of the flow still blocks it
    acl = {"Entries": [nacl_entry(100, egress=False, protocol="6", ports=(32768, 50000)),
                       nacl_entry(110, egress=False, action="deny", protocol="-1"), nacl_entry(120, egress=False)]}
    verdict = nacl_decide(acl, False, to_net("0.0.0.0/0"), (32768, 61000))
    assert not verdict.allowed and verdict.entry["RuleNumber"] == 110


def test_nacl_ordering_decides_the_check():
    deny_first = [nacl_entry(90, egress=True, action="deny", cidr="10.0.3.0/24", protocol="6", ports=(443, 443)),
                  *default_nacl_entries()]
    finding = one(private_vpc().nacl(deny_first).build(), "net.nacl", "ecr.dkr")
    assert finding.status == "fail" and "rule 90" in finding.detail
    allow_first = [nacl_entry(80, egress=True, cidr="10.0.3.0/24", protocol="6", ports=(443, 443)), *deny_first]
    assert one(private_vpc().nacl(allow_first).build(), "net.nacl", "ecr.dkr").status == "pass"


def test_nacl_fix_goes_before_the_blocking_deny():
    entries = [nacl_entry(10, egress=True, action="deny", protocol="6", ports=(443, 443)), *default_nacl_entries()]
    finding = one(private_vpc().nacl(entries).build(), "net.nacl", "logs")
    fix = finding.remediation.fix
    numbers = [e["rule_number"] for e in fix.get("entries", [fix])]
    assert numbers and all(n < 10 for n in numbers)


def test_nacl_ephemeral_range_depends_on_the_client():
    linux = [nacl_entry(100, egress=True), nacl_entry(100, egress=False, protocol="6", ports=(443, 443)),
             nacl_entry(110, egress=False, protocol="6", ports=(32768, 61000))]
    assert one(private_vpc().nacl(linux).build(), "net.nacl", "ecr.api").status == "pass"
    windows = one(private_vpc().windows().nacl(linux).build(), "net.nacl", "ecr.api")
    assert windows.status == "fail" and "49152-65535" in windows.detail


def test_nacl_on_the_endpoint_subnet_counts_too():
    entries = [nacl_entry(100, egress=True), nacl_entry(100, egress=False, protocol="6", ports=(1024, 65535))]
    finding = one(private_vpc().nacl(entries, subnets=[ENDPOINT_SUBNET]).build(), "net.nacl", "ecr.dkr")
    assert finding.status == "fail" and ENDPOINT_SUBNET in finding.detail
    assert one(apply_fix(private_vpc().nacl(entries, subnets=[ENDPOINT_SUBNET]).build(), finding.remediation.fix),
               "net.nacl", "ecr.dkr").status == "pass"


def test_nacl_restricting_public_addresses_is_unknown_over_nat():
    entries = [nacl_entry(100, egress=True, cidr="52.0.0.0/8"), nacl_entry(110, egress=True, cidr="10.0.0.0/8"),
               nacl_entry(100, egress=False)]
    assert one(nat_vpc().nacl(entries).build(), "net.nacl", "ecr.api").status == "unknown"


# -- endpoint policies -------------------------------------------------------------------------------------
def test_layer_policy_must_allow_any_principal():
    finding = one(_restricted_s3().build(), "net.endpoint-policy", "s3")
    assert "Principal" in finding.detail and finding.remediation.policy["Statement"][-1]["Principal"] == "*"
    ok = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                         "Resource": "arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*"}]}
    n = Net().interface_endpoint("ecr.api").interface_endpoint("ecr.dkr").interface_endpoint("logs")
    assert one(n.s3_gateway(policy=ok).build(), "net.endpoint-policy", "s3").status == "pass"


def test_endpoint_policy_conditions_on_the_path():
    by_vpce = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
                              "Condition": {"StringEquals": {"aws:SourceVpce": endpoint_id("logs")}}}]}
    snap = Net().interface_endpoint("ecr.api").interface_endpoint("ecr.dkr").s3_gateway()
    assert one(snap.interface_endpoint("logs", policy=by_vpce).build(), "net.endpoint-policy", "logs").status == "pass"
    by_ip = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
                            "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}]}
    snap = Net().interface_endpoint("ecr.api", policy=by_ip).interface_endpoint("ecr.dkr").s3_gateway()
    # ecr:GetAuthorizationToken leaves through a Fargate-owned interface: its source address is unknown
    assert one(snap.interface_endpoint("logs").build(), "net.endpoint-policy", "ecr.api").status == "unknown"


def test_broken_endpoint_policy_is_unknown_not_a_crash():
    snap = private_vpc().build()
    next(e for e in snap.network["vpc_endpoints"] if e["VpcEndpointId"] == endpoint_id("logs"))["PolicyDocument"] = \
        {"Statement": [{"Effect": "Allow", "Principal": {"Bogus": "x"}, "Action": "*", "Resource": "*"}]}
    finding = one(snap, "net.endpoint-policy", "logs")
    assert finding.status == "unknown" and "Bogus" in finding.detail


# -- what-if operations --------------------------------------------------------------------------------------
@pytest.mark.parametrize("fix, words", [
    ({"op": "modify_vpc_endpoint", "endpoint_id": "vpce-0missing", "private_dns": True}, "vpce-0missing"),
    ({"op": "authorize_sg_rule", "group_id": "sg-0nope", "direction": "egress", "cidr": "0.0.0.0/0"}, "sg-0nope"),
    ({"op": "authorize_sg_rule", "group_id": TASK_SG, "direction": "sideways", "cidr": "0.0.0.0/0"}, "direction"),
    ({"op": "authorize_sg_rule", "group_id": TASK_SG, "direction": "egress", "cidr": "10.0.0.300/8"}, "CIDR"),
    ({"op": "add_nacl_entry", "nacl_id": NACL, "egress": True, "rule_number": 100, "cidr": "0.0.0.0/0",
      "port_from": 443, "port_to": 443}, "already has"),
    ({"op": "add_nacl_entry", "nacl_id": NACL, "egress": True, "rule_number": 40000, "cidr": "0.0.0.0/0",
      "port_from": 443, "port_to": 443}, "1-32766"),
    ({"op": "add_vpc_endpoint", "service": "registry-1.docker.io"}, "not an AWS service"),
    ({"op": "add_vpc_endpoint", "service": "ecr.dkr", "type": "Gateway"}, "no gateway endpoint"),
    ({"op": "set_assign_public_ip", "value": "yes"}, "true or false"),
    ({"op": "modify_vpc_endpoint", "endpoint_id": endpoint_id("s3gw"), "policy": "{not json"}, "JSON"),
])
def test_bad_what_if_arguments_are_clear_errors(fix, words):
    with pytest.raises(FixError, match=words):
        apply_fix(private_vpc().build(), fix)


def test_add_nat_route_builds_a_public_subnet_when_there_is_none():
    n = Net()
    n.net["route_tables"] = [rt for rt in n.net["route_tables"] if rt["RouteTableId"] != "rtb-0public0000000000"]
    n.net["internet_gateways"] = []
    patched = apply_fix(n.build(), {"op": "add_nat_route"})
    assert bad(patched) == []
    nat = patched.network["nat_gateways"][0]
    assert nat["NatGatewayId"].startswith("nat-whatif-") and nat["SubnetId"].startswith("subnet-whatif-")
    assert NAT not in str(patched.network["route_tables"])


# -- evidence as the collector writes it -------------------------------------------------------------------
def _collector_shaped(n):
    """Only the task's subnets are read; the task ENI is gone, so its security groups are unknown."""
    n.net["subnets"] = [s for s in n.net["subnets"] if s["SubnetId"] == TASK_SUBNET]
    return n


def test_unknown_task_security_groups_are_unknown_not_failures():
    n = private_vpc()
    n.net["security_group_ids"] = None
    snap = n.build()
    assert one(snap, "net.task-sg-egress", "ecr.dkr").status == "unknown"
    assert one(snap, "net.endpoint-sg", "ecr.dkr").status == "unknown"  # its rule names a group we cannot match
    n.endpoint_ingress(https(cidr="10.0.0.0/16"))
    assert one(n.build(), "net.endpoint-sg", "ecr.dkr").status == "pass"  # the CIDR decides without the groups


def test_endpoint_subnets_not_read_are_judged_by_the_vpc_cidr():
    whole_vpc = _collector_shaped(private_vpc().task_egress(https(cidr="10.0.0.0/16"), https(prefix_list=S3_PL)))
    assert bad(whole_vpc.build()) == []
    part = _collector_shaped(private_vpc().task_egress(https(cidr="10.0.1.0/24"), https(prefix_list=S3_PL)))
    assert one(part.build(), "net.task-sg-egress", "ecr.api").status == "unknown"
    none = _collector_shaped(private_vpc().task_egress(https(prefix_list=S3_PL))).build()
    finding = one(none, "net.task-sg-egress", "ecr.api")
    assert finding.status == "fail" and finding.remediation.fix["source_group"] == ENDPOINT_SG


def test_nacl_with_endpoint_subnets_not_read():
    assert one(_collector_shaped(private_vpc()).build(), "net.nacl", "ecr.dkr").status == "pass"
    outside_only = [nacl_entry(100, egress=True, cidr="0.0.0.0/5"), nacl_entry(100, egress=False),
                    nacl_entry(32767, egress=True, action="deny")]
    snap = _collector_shaped(private_vpc().nacl(outside_only)).build()
    finding = one(snap, "net.nacl", "ecr.dkr")
    assert finding.status == "fail" and "somewhere in the VPC" in finding.detail
    assert one(apply_fix(snap, finding.remediation.fix), "net.nacl", "ecr.dkr").status == "pass"
    partly = [nacl_entry(90, egress=True, cidr="10.0.1.0/24"), *outside_only]
    assert one(_collector_shaped(private_vpc().nacl(partly)).build(), "net.nacl", "ecr.dkr").status == "unknown"


def test_unreadable_endpoint_policy_is_unknown():
    snap = private_vpc().build()
    for ep in snap.network["vpc_endpoints"]:
        ep["PolicyDocument"] = None
    finding = one(snap, "net.endpoint-policy", "logs")
    assert finding.status == "unknown" and "not readable" in finding.message


def test_collector_fallbacks_for_vpc_id_and_private_ip():
    from fargate_nb import netpath

    n = private_vpc()
    n.snap.task["attachments"] = []
    n.net["eni"] = {"PrivateIpAddress": "10.0.1.99"}
    vpc = n.net.pop("vpc")
    n.net["vpc_id"] = vpc["VpcId"]
    snap = n.build()
    assert netpath.task_private_ip(snap) == "10.0.1.99" and netpath.vpc_id(snap) == VPC
    assert one(snap, "net.no-route", "ecr.api").status == "unknown"  # DNS attributes unread: path unknown


def test_an_informational_gap_does_not_hide_evidence():
    from fargate_nb.model import Gap

    snap = private_vpc().build()
    snap.gaps.append(Gap(api="ec2:DescribeSubnets", permission="", error="subnets in several VPCs"))
    assert bad(snap) == []


def _env_file_task(image: str | None = None) -> Net:
    """A private task with an environment file in S3 behind an S3 gateway allowing only the layer bucket."""
    layers_only = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                  "Resource": "arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*"}]}
    n = Net().interface_endpoint("ecr.api").interface_endpoint("ecr.dkr").interface_endpoint("logs")
    n.s3_gateway(policy=layers_only)
    n.snap.task_definition["containerDefinitions"][0]["environmentFiles"] = [
        {"value": "arn:aws:s3:::acme-config/api/prod.env", "type": "s3"}]
    return n.image(image) if image else n


def test_the_s3_gateway_policy_must_allow_the_environment_files():
    """ECS developer guide, taskdef-envfiles.html: the execution role reads the file (s3:GetObject) and its
    bucket's location (s3:GetBucketLocation); through an S3 gateway endpoint its policy must allow both."""
    finding = one(_env_file_task().build(), "net.endpoint-policy", "s3")
    assert finding.status == "fail"
    assert "s3:GetBucketLocation" in finding.message and "acme-config" in " ".join(finding.evidence)
    fixed = finding.remediation.policy["Statement"][-1]
    assert set(fixed["Resource"]) == {"arn:aws:s3:::acme-config/api/prod.env", "arn:aws:s3:::acme-config"}
    assert "Principal" not in finding.detail  # not the layer download's presigned-URL advice
    snap = apply_fix(_env_file_task().build(), finding.remediation.fix)
    assert one(snap, "net.endpoint-policy", "s3").status == "pass"


def test_no_layer_bucket_is_demanded_without_an_ecr_image():
    finding = one(_env_file_task("docker.io/library/nginx:1.27").build(), "net.endpoint-policy", "s3")
    assert not any("starport" in line for line in finding.evidence)
    assert any("acme-config" in line for line in finding.evidence)
