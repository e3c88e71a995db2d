"""Regions, partitions, dual-stack ECR, old platform versions and DNS, on built snapshots.

The AWS rules each test relies on:
- interface endpoints, their private DNS and the S3 gateway endpoint serve the region in their service name
  (https://docs.aws.amazon.com/vpc/latest/privatelink/privatelink-access-aws-services.html,
  https://docs.aws.amazon.com/vpc/latest/privatelink/aws-services-cross-region-privatelink-support.html);
- China regions name ECR's endpoint services ``cn.com.amazonaws.REGION.ecr.*`` (same cross-region page, China
  edition: https://docs.amazonaws.cn/en_us/vpc/latest/privatelink/aws-services-cross-region-privatelink-support.html);
- ECR's dual-stack host is ``<registry-id>.dkr-ecr.<region>.on.aws`` and "Amazon ECR does not support AWS PrivateLink
  traffic over dual-stack endpoints" (https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-requests.html);
- Linux platform 1.3.0 or earlier only needs the ecr.dkr endpoint and the S3 gateway endpoint
  (https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html);
- enableDnsSupport off: the Amazon DNS server does not resolve public names
  (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyVpcAttribute.html).
"""

from __future__ import annotations

from fargate_nb import netpath
from fargate_nb.checks import network  # noqa: F401  (registers the net.* checks)
from fargate_nb.checks.permissions.evaluate import evaluate_role
from fargate_nb.checks.permissions.evidence import RoleView
from fargate_nb.checks.registry import REGISTRY
from fargate_nb.diagnose import diagnose
from fargate_nb.fixes import apply_fix
from fargate_nb.pullflow import endpoint_service, layer_bucket_arn, parse_image, plan
from tests.support.network import ACCT, EXEC_ROLE, PRIVATE_RTB, VPC, Net, nat_vpc, private_vpc

NET_IDS = ("net.no-route", "net.public-ip", "net.vpc-dns", "net.endpoint-private-dns", "net.s3-gateway-route",
           "net.endpoint-policy", "net.endpoint-sg", "net.task-sg-egress", "net.nacl")
WEST_IMAGE = f"{ACCT}.dkr.ecr.us-west-2.amazonaws.com/api:1.0"
REMOTE = ("ecr.api@us-west-2", "ecr.dkr@us-west-2", "s3@us-west-2")


def run(snap):
    p = plan(snap)
    return [f for cid in NET_IDS for f in REGISTRY[cid].run(snap, p)]


def status(snap, cid, target):
    found = [f for f in run(snap) if f.id == cid and f.target == target]
    assert len(found) == 1, [(f.id, f.target, f.status) for f in run(snap) if f.id == cid]
    return found[0]


# -- regions -------------------------------------------------------------------------------------------
def test_destinations_are_keyed_by_service_and_region():
    p = plan(private_vpc().image(WEST_IMAGE).build())
    keys = {d.key: d for d in p.destinations}
    assert set(keys) == {*REMOTE, "logs"}
    assert keys["ecr.dkr@us-west-2"].endpoint_service == "com.amazonaws.us-west-2.ecr.dkr"
    assert keys["s3@us-west-2"].region == "us-west-2" and keys["logs"].region == "us-east-1"
    assert not keys["logs"].remote and keys["ecr.api@us-west-2"].remote


def test_another_regions_image_fails_in_a_private_subnet_with_only_this_regions_endpoints():
    snap = private_vpc().image(WEST_IMAGE).build()
    for target in REMOTE:
        finding = status(snap, "net.no-route", target)
        assert finding.status == "fail", (target, finding.status, finding.detail)
        assert "serves us-east-1 only" in "\n".join(finding.evidence)
        assert finding.remediation.fix == {"op": "add_nat_route"}
        assert "replicate the image into us-east-1" in finding.remediation.summary
        assert any("put-replication-configuration" in c for c in finding.remediation.commands)
    assert status(snap, "net.no-route", "logs").status == "pass"
    fixed = apply_fix(snap, status(snap, "net.no-route", "ecr.dkr@us-west-2").remediation.fix)
    assert all(status(fixed, "net.no-route", t).status == "pass" for t in REMOTE)


def test_another_regions_image_passes_through_nat():
    snap = nat_vpc().image(WEST_IMAGE).build()
    assert {status(snap, "net.no-route", t).status for t in REMOTE} == {"pass"}


def test_an_endpoint_for_the_other_regions_service_serves_it():
    net = private_vpc().image(WEST_IMAGE)
    net.interface_endpoint("ecr.dkr")
    net.net["vpc_endpoints"][-1].update(ServiceName="com.amazonaws.us-west-2.ecr.dkr", VpcEndpointId="vpce-0west",
                                        ServiceRegion="us-west-2")
    path = netpath.resolve(net.build(), "ecr.dkr@us-west-2")
    assert path.kind == "interface-endpoint" and path.endpoint["VpcEndpointId"] == "vpce-0west"


def test_the_endpoint_policy_of_the_s3_gateway_is_asked_for_its_own_region_only():
    from fargate_nb.checks.net_policy import requests_through

    snap = private_vpc().image(WEST_IMAGE).build()
    p = plan(snap)
    west = p.destination("s3@us-west-2")
    assert [r for _, r, _ in requests_through(snap, p, west)] == [layer_bucket_arn("us-west-2")]


def test_requested_region_follows_the_resource():
    snap = private_vpc().image(WEST_IMAGE).build()
    role = RoleView(arn=EXEC_ROLE, name="exec", account=ACCT, identity_policies=[("p", {
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecr:*", "Resource": "*",
                                                "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}}]})])
    repo = parse_image(WEST_IMAGE).repository_arn()
    outcome = evaluate_role(snap, role, "ecr:BatchGetImage", repo, target="ecr.dkr")
    assert outcome.context["aws:RequestedRegion"] == "us-west-2"
    assert outcome.verdict != "allowed"
    home = evaluate_role(snap, role, "ecr:BatchGetImage", repo.replace("us-west-2", "us-east-1"), target="ecr.dkr")
    assert home.allowed


def test_the_diagnosis_rows_and_sequence_name_the_other_region():
    d = diagnose(private_vpc().image(WEST_IMAGE).build())
    rows = {r.target: r for r in d.network}
    assert rows["ecr.dkr@us-west-2"].path == "none" and rows["ecr.dkr@us-west-2"].status == "fail"
    labels = {life.id: life.label for life in d.sequence.lifelines}
    assert labels["ecr.dkr@us-west-2"] == "ecr.dkr (us-west-2)"
    manifest = next(c for c in d.sequence.calls if c.kind == "ecr-manifest")
    assert manifest.target == "ecr.dkr@us-west-2" and manifest.status == "fail"


# -- partitions ------------------------------------------------------------------------------------------
def test_china_regions_use_their_partition_and_the_endpoints_own_service_name():
    image = parse_image(f"{ACCT}.dkr.ecr.cn-north-1.amazonaws.com.cn/api:1")
    assert image.ecr and image.region == "cn-north-1"
    assert image.repository_arn() == f"arn:aws-cn:ecr:cn-north-1:{ACCT}:repository/api"
    assert layer_bucket_arn("cn-north-1") == "arn:aws-cn:s3:::prod-cn-north-1-starport-layer-bucket/*"
    assert endpoint_service("ecr.dkr", "cn-north-1") == "cn.com.amazonaws.cn-north-1.ecr.dkr"
    assert layer_bucket_arn("us-gov-west-1").startswith("arn:aws-us-gov:s3:::")
    net = Net(region="cn-north-1").image(image.raw).all_endpoints()
    net.snap.partition = "aws-cn"
    for ep in net.net["vpc_endpoints"]:  # as DescribeVpcEndpoints names them in China
        if ep["ServiceName"].endswith((".ecr.api", ".ecr.dkr")):
            ep["ServiceName"] = "cn." + ep["ServiceName"]
    snap = net.build()
    assert netpath.resolve(snap, "ecr.dkr").kind == "interface-endpoint"
    assert {f.status for f in run(snap) if f.id == "net.no-route"} == {"pass"}
    bare = Net(region="cn-north-1").image(image.raw).build()
    assert status(bare, "net.no-route", "ecr.dkr").status == "fail"
    created = apply_fix(bare, status(bare, "net.no-route", "ecr.dkr").remediation.fix)
    assert "cn.com.amazonaws.cn-north-1.ecr.dkr" in [e["ServiceName"] for e in created.network["vpc_endpoints"]]
    assert status(created, "net.no-route", "ecr.dkr").status == "pass"


# -- dual-stack ECR -------------------------------------------------------------------------------------
def test_dual_stack_ecr_images_are_ecr_and_never_use_privatelink():
    raw = f"{ACCT}.dkr-ecr.us-east-1.on.aws/api:1.0"
    image = parse_image(raw)
    assert image.ecr and image.dual_stack and image.region == "us-east-1" and image.registry_id == ACCT
    host = f"{ACCT}.dkr-ecr.us-east-1.on.aws"
    p = plan(private_vpc().image(raw).build())
    assert next(d for d in p.destinations if d.key == host).endpoint_service is None
    assert any(n.action == "ecr:BatchGetImage" for n in p.needs)
    assert status(private_vpc().image(raw).build(), "net.no-route", host).status == "fail"
    assert status(nat_vpc().image(raw).build(), "net.no-route", host).status == "pass"


# -- platform versions ------------------------------------------------------------------------------------
def _platform(version: str) -> Net:
    net = Net().interface_endpoint("ecr.dkr").interface_endpoint("logs").s3_gateway()
    net.snap.task["platformVersion"] = version
    return net.container_secret("/prod/db-password")


def test_platform_1_3_0_needs_no_ecr_api_or_secrets_endpoint():
    old = _platform("1.3.0").build()
    assert {d.key for d in plan(old).destinations} == {"ecr.dkr", "s3", "logs"}
    assert not [f for f in run(old) if f.status == "fail"]
    new = _platform("1.4.0").build()
    assert status(new, "net.no-route", "ecr.api").status == "fail"
    assert status(new, "net.no-route", "ssm").status == "fail"
    windows = _platform("1.3.0").windows().build()
    assert "ecr.api" in {d.key for d in plan(windows).destinations}


# -- DNS --------------------------------------------------------------------------------------------------
def test_dns_support_off_fails_every_destination_even_through_nat():
    snap = nat_vpc().vpc_dns(False, False).build()
    findings = [f for f in run(snap) if f.id == "net.vpc-dns"]
    assert {(f.target, f.status) for f in findings} == {(t, "fail") for t in ("ecr.api", "ecr.dkr", "s3", "logs")}
    assert VPC in findings[0].message
    fixed = apply_fix(snap, findings[0].remediation.fix)
    assert {f.status for f in run(fixed) if f.id == "net.vpc-dns"} == {"pass"}


def test_custom_dns_servers_are_never_a_pass_for_endpoints():
    snap = private_vpc().dhcp_servers("10.0.0.53").build()
    assert status(snap, "net.vpc-dns", "ecr.dkr").status == "warn"
    assert "10.0.0.53" in status(snap, "net.vpc-dns", "ecr.dkr").detail
    assert status(snap, "net.vpc-dns", "s3").status == "pass"  # the gateway endpoint needs S3's public name only
    amazon = private_vpc().dhcp_servers("AmazonProvidedDNS").build()
    assert {f.status for f in run(amazon) if f.id == "net.vpc-dns"} == {"pass"}


def test_custom_dns_servers_with_dns_support_off_are_a_warning_not_a_pass():
    snap = nat_vpc().vpc_dns(False, False).dhcp_servers("10.0.0.53").build()
    assert {f.status for f in run(snap) if f.id == "net.vpc-dns"} == {"warn"}


def test_an_unreadable_dhcp_option_set_is_unknown_for_endpoints():
    snap = private_vpc().unreadable("dhcp_options", "ec2:DescribeDhcpOptions").build()
    finding = status(snap, "net.vpc-dns", "ecr.api")
    assert finding.status == "unknown" and finding.missing_permission == "ec2:DescribeDhcpOptions"



def test_a_dhcp_option_set_absent_from_the_evidence_is_unknown_not_a_pass():
    """A snapshot saved before the option set was read cannot show which servers the task asks."""
    snap = private_vpc().build()
    del snap.network["dhcp_options"]
    finding = status(snap, "net.vpc-dns", "ecr.api")
    assert finding.status == "unknown" and finding.missing_permission == "ec2:DescribeDhcpOptions"
    assert status(snap, "net.vpc-dns", "s3").status == "pass"  # S3's public name: any resolver answers it

# -- IPv6 ---------------------------------------------------------------------------------------------------
def _ipv6_only() -> Net:
    """An IPv6-only task subnet (Ipv6Native) whose table sends ::/0 to an egress-only internet gateway."""
    net = private_vpc().image(f"{ACCT}.dkr-ecr.us-east-1.on.aws/api:1.0")
    for s in net.net["subnets"]:
        s["Ipv6Native"] = True
    net.route_table(PRIVATE_RTB)["Routes"].append(
        {"DestinationIpv6CidrBlock": "::/0", "EgressOnlyInternetGatewayId": "eigw-0abc", "State": "active"})
    return net


def test_an_ipv6_only_task_needs_ipv6_egress_rules_and_acl_entries():
    host = f"{ACCT}.dkr-ecr.us-east-1.on.aws"
    snap = _ipv6_only().build()
    assert status(snap, "net.no-route", host).status == "pass"
    egress = status(snap, "net.task-sg-egress", host)
    assert egress.status == "fail" and egress.remediation.fix["cidr"] == "::/0"
    assert "Ipv6Ranges" in egress.remediation.commands[0]
    snap = apply_fix(snap, egress.remediation.fix)
    assert status(snap, "net.task-sg-egress", host).status == "pass"
    acl = status(snap, "net.nacl", host)  # the default entries are IPv4 only: IPv6 hits the * rule
    assert acl.status == "fail"
    snap = apply_fix(snap, acl.remediation.fix)
    assert status(snap, "net.nacl", host).status == "pass"
    assert status(snap, "net.public-ip", host).status == "pass"


def test_a_stopped_reason_naming_the_service_is_confirmed_by_its_other_region_finding():
    net = private_vpc().image(WEST_IMAGE)
    net.snap.task["stoppedReason"] = (
        "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: "
        "unable to retrieve ecr registry auth: service call has been retried 3 time(s): RequestError: send request "
        'failed caused by: Post "https://api.ecr.us-west-2.amazonaws.com/": dial tcp 52.94.1.10:443: i/o timeout')
    d = diagnose(net.build())
    assert d.stopped["confirmed"] is True
    assert "net.no-route[ecr.api@us-west-2]" in d.stopped["confirmed_by"]


def test_an_ipv6_only_task_cannot_pull_an_ipv4_ecr_uri_without_nat64():
    # "In an IPv6-only configuration, Amazon ECS workloads must use Amazon ECR dual-stack image URI endpoints"
    # (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/managed-instance-networking.html)
    net = _ipv6_only().image(f"{ACCT}.dkr.ecr.us-east-1.amazonaws.com/api:1.0")
    net.net["vpc_endpoints"] = [e for e in net.net["vpc_endpoints"] if not e["ServiceName"].endswith(".ecr.dkr")]
    finding = status(net.build(), "net.no-route", "ecr.dkr")
    assert finding.status == "fail" and "64:ff9b::/96" in finding.detail


def test_pull_plan_helpers_tolerate_odd_input():
    from fargate_nb.model import Snapshot
    from fargate_nb.pullflow import (
        agent_network_platform,
        arn_region,
        destination_key,
        partition_of,
        split_key,
    )

    assert arn_region("arn:aws:ssm:eu-west-1:111122223333:parameter/x") == "eu-west-1"
    assert arn_region("*") is None and arn_region("arn:aws:s3:::bucket/*") is None
    assert partition_of("us-gov-west-1") == "aws-us-gov" and partition_of(None) == "aws"
    assert destination_key("logs", "eu-west-1", "us-east-1") == "logs@eu-west-1"
    assert destination_key("registry-1.docker.io", "eu-west-1", "us-east-1") == "registry-1.docker.io"
    assert split_key("s3@us-west-2") == ("s3", "us-west-2") and split_key("s3") == ("s3", None)
    for task, td in (({"platformVersion": "LATEST"}, {}), ({"platformVersion": "1.4.0"}, {}),
                     ({"platformVersion": 3}, {"runtimePlatform": "LINUX"}), ("nonsense", None)):
        snap = Snapshot(region="us-east-1", task=task, task_definition=td)
        assert agent_network_platform(snap) is False
    assert agent_network_platform(Snapshot(region="us-east-1", task={"platformVersion": "1.3.0"})) is True


def test_s3_in_another_region_is_not_judged_by_this_regions_prefix_list():
    from tests.support.network import S3_PL, https

    snap = nat_vpc().image(WEST_IMAGE).task_egress(https(prefix_list=S3_PL)).build()
    # only this region's S3 prefix list is allowed out: us-west-2's S3 addresses are not known, so undecided
    f = status(snap, "net.task-sg-egress", "s3@us-west-2")
    assert f.status == "unknown" and "addresses are not known" in f.detail
    assert status(nat_vpc().image(WEST_IMAGE).build(), "net.task-sg-egress", "s3@us-west-2").status == "pass"
