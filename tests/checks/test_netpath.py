"""The network path resolver: which way each destination leaves the task subnet, and the IAM context."""

import pytest

from fargate_nb import netpath
from fargate_nb.pullflow import Destination, plan
from tests.support.network import (
    ENDPOINT_SUBNET,
    IGW,
    MAIN_RTB,
    NAT,
    PRIVATE_RTB,
    S3_PL,
    TASK_IP,
    TASK_SUBNET,
    TASK_SUBNET_B,
    VPC,
    Net,
    endpoint_id,
    nat_vpc,
    private_vpc,
    public_vpc,
)


def kinds(snap):
    return {d.target: netpath.resolve(snap, d).kind for d in plan(snap).destinations}


def test_private_vpc_uses_the_endpoints():
    snap = private_vpc().build()
    assert kinds(snap) == {"ecr.api": "interface-endpoint", "ecr.dkr": "interface-endpoint",
                           "s3": "gateway-endpoint", "logs": "interface-endpoint"}
    s3 = netpath.resolve(snap, "s3")
    assert s3.endpoint["VpcEndpointId"] == endpoint_id("s3gw")
    assert s3.route["DestinationPrefixListId"] == S3_PL and s3.route_table_id == PRIVATE_RTB
    assert s3.works is True and not s3.needs_public_ip


def test_nat_and_internet_paths():
    assert set(kinds(nat_vpc().build()).values()) == {"nat"}
    path = netpath.resolve(nat_vpc().build(), "ecr.dkr")
    assert path.nat_gateway["NatGatewayId"] == NAT and path.route["NatGatewayId"] == NAT
    assert set(kinds(public_vpc().build()).values()) == {"internet"}
    no_ip = netpath.resolve(Net().igw_route().public_ip(False).build(), "ecr.api")
    assert (no_ip.kind, no_ip.needs_public_ip, no_ip.works) == ("internet", True, False)
    unknown_ip = netpath.resolve(Net().igw_route().public_ip(None).build(), "ecr.api")
    assert unknown_ip.works is None and "not known" in unknown_ip.detail


@pytest.mark.parametrize("breakage, words", [
    (lambda n: n.nat(state="deleted"), "'deleted'"),
    (lambda n: n.nat(connectivity="private"), "private"),
    (lambda n: n.nat(subnet=ENDPOINT_SUBNET), "not public"),
    (lambda n: n.default_route(NatGatewayId="nat-0gone"), "does not exist"),
    (lambda n: n.default_route(GatewayId=IGW, State="blackhole"), "blackhole"),
    (lambda n: n, "no default route"),
])
def test_broken_ways_out_resolve_to_none(breakage, words):
    path = netpath.resolve(breakage(Net()).build(), "ecr.api")
    assert path.kind == "none" and path.works is False
    assert words in path.detail


@pytest.mark.parametrize("target, words", [
    ({"TransitGatewayId": "tgw-0123"}, "transit gateway tgw-0123"),
    ({"VpcPeeringConnectionId": "pcx-0123"}, "peering"),
    ({"GatewayId": "vgw-0123"}, "virtual private gateway"),
    ({"GatewayId": "vpce-0fw"}, "firewall"),
    ({"NetworkInterfaceId": "eni-0123"}, "appliance"),
])
def test_opaque_next_hops_say_what_to_verify(target, words):
    path = netpath.resolve(Net().default_route(**target).build(), "ecr.dkr")
    assert path.kind == "opaque" and path.works is None
    assert words in path.detail and "verify" in path.detail


def test_endpoint_with_private_dns_off_is_bypassed():
    snap = Net().interface_endpoint("ecr.api", private_dns=False).nat().build()
    path = netpath.resolve(snap, "ecr.api")
    assert path.kind == "nat"
    assert [b.reason for b in path.bypassed] == ["private-dns-off"]


@pytest.mark.parametrize("support, hostnames", [(False, True), (True, False)])
def test_vpc_dns_off_bypasses_every_interface_endpoint(support, hostnames):
    snap = private_vpc().vpc_dns(support, hostnames).build()
    path = netpath.resolve(snap, "ecr.dkr")
    assert path.kind == "none" and path.bypassed[0].reason == "vpc-dns-off"
    assert netpath.resolve(snap, "s3").kind == "gateway-endpoint"  # gateway endpoints need no DNS


def test_s3_interface_endpoint_does_not_serve_layers():
    snap = Net().interface_endpoint("s3").build()
    path = netpath.resolve(snap, "s3")
    assert path.kind == "none" and path.bypassed[0].reason == "s3-interface"


def test_s3_gateway_on_another_route_table_is_bypassed():
    snap = Net().s3_gateway(route_tables=[MAIN_RTB]).build()
    path = netpath.resolve(snap, "s3")
    assert path.kind == "none"
    assert path.bypassed[0].reason == "not-on-route-table" and PRIVATE_RTB in path.bypassed[0].detail


def test_subnet_without_association_uses_the_main_route_table():
    n = Net().all_endpoints()
    n.route_table(PRIVATE_RTB)["Associations"] = []
    path = netpath.resolve(n.build(), "s3")
    assert path.route_table_id == MAIN_RTB and path.kind == "none"  # the gateway is on the private table only


def test_interface_endpoint_in_another_zone_still_serves():
    snap = Net().all_endpoints().build()
    snap.network["subnet_ids"] = [TASK_SUBNET_B]  # us-east-1b; the endpoint lives in us-east-1a
    path = netpath.resolve(snap, "ecr.dkr")
    assert path.kind == "interface-endpoint" and "us-east-1b" in path.detail and "crosses" in path.detail


def test_several_subnets_report_the_worst_path():
    n = Net().all_endpoints()
    n.net["subnet_ids"] = [TASK_SUBNET, TASK_SUBNET_B]
    n.net["route_tables"][0]["Associations"] = [{"Main": True, "RouteTableId": MAIN_RTB}]
    n.route_table(PRIVATE_RTB)["Associations"] = [
        a for a in n.route_table(PRIVATE_RTB)["Associations"] if a["SubnetId"] != TASK_SUBNET_B]
    snap = n.build()
    paths = netpath.resolve_all(snap, "s3")
    assert [(p.subnet_id, p.kind) for p in paths] == [(TASK_SUBNET, "gateway-endpoint"), (TASK_SUBNET_B, "none")]
    assert netpath.resolve(snap, "s3").subnet_id == TASK_SUBNET_B


def test_registry_hosts_never_use_endpoints():
    snap = private_vpc().image("nginx:1.27").nat().build()
    assert kinds(snap) == {"registry-1.docker.io": "nat", "logs": "interface-endpoint"}


def test_logs_in_another_region_ignore_this_regions_endpoint():
    snap = private_vpc().build()
    dest = Destination("logs", "logs", "awslogs", "com.amazonaws.eu-west-1.logs")
    assert netpath.resolve(snap, dest).kind == "none"


def test_missing_evidence_makes_the_path_unknown():
    snap = private_vpc().unreadable("route_tables", "ec2:DescribeRouteTables").build()
    path = netpath.resolve(snap, "ecr.api")
    assert path.kind == "unknown" and "route_tables" in path.missing
    no_endpoints = Net().unreadable("vpc_endpoints", "ec2:DescribeVpcEndpoints").build()
    assert netpath.resolve(no_endpoints, "ecr.api").kind == "unknown"  # an endpoint might exist
    with_nat = Net().nat().unreadable("vpc_endpoints", "ec2:DescribeVpcEndpoints").build()
    path = netpath.resolve(with_nat, "ecr.api")
    assert path.kind == "nat" and "vpc_endpoints" in path.missing  # reachable either way
    assert netpath.missing_evidence(with_nat, "vpc_endpoints") == {"vpc_endpoints": "ec2:DescribeVpcEndpoints"}


@pytest.mark.parametrize("garbage", [
    {"subnet_ids": [TASK_SUBNET], "subnets": "oops", "route_tables": [1, None]},
    {"subnet_ids": [None, 7], "route_tables": {}},
    {"subnet_ids": [TASK_SUBNET], "subnets": [{"SubnetId": TASK_SUBNET}],
     "route_tables": [{"Associations": "x", "Routes": [None, {"DestinationCidrBlock": "0.0.0.0/0"}]}]},
])
def test_broken_evidence_never_crashes(garbage):
    snap = Net().build()
    snap.network = garbage
    path = netpath.resolve(snap, "ecr.api")
    assert path.kind in ("unknown", "none", "opaque")
    netpath.request_context(snap, "ecr.api", "ecr:BatchGetImage")


def test_request_context_through_an_endpoint():
    snap = private_vpc().build()
    values, unknown = netpath.request_context(snap, "ecr.dkr", "ecr:BatchGetImage")
    assert values == {"aws:SourceVpce": endpoint_id("ecr.dkr"), "aws:SourceVpc": VPC, "aws:VpcSourceIp": TASK_IP}
    assert "aws:SourceIp" not in values and not unknown


def test_get_authorization_token_never_carries_the_vpc():
    values, unknown = netpath.request_context(private_vpc().build(), "ecr.api", "ecr:GetAuthorizationToken")
    assert "aws:SourceVpce" not in values and "aws:SourceVpc" not in values
    assert "aws:SourceIp" in unknown


def test_request_context_over_nat_and_opaque_paths():
    values, unknown = netpath.request_context(nat_vpc().build(), "ecr.dkr", "ecr:BatchGetImage")
    assert values == {} and unknown == {"aws:SourceIp"}
    values, unknown = netpath.request_context(Net().default_route(TransitGatewayId="tgw-1").build(), "logs")
    assert values == {} and {"aws:SourceIp", "aws:SourceVpce", "aws:SourceVpc"} <= unknown


def test_no_network_evidence():
    snap = Net().build()
    snap.network = {}
    path = netpath.resolve(snap, "ecr.api")
    assert path.kind == "unknown" and "subnet" in path.detail


def test_unread_vpc_dns_attributes_leave_an_endpoint_undecided():
    n = private_vpc()
    n.net["vpc"].update(EnableDnsSupport=None, EnableDnsHostnames=None)
    path = netpath.resolve(n.build(), "ecr.api")
    assert path.kind == "unknown" and path.missing == ("vpc_attributes",)
    assert netpath.resolve(n.nat().build(), "ecr.api").kind == "nat"  # reachable whichever way DNS answers
    assert netpath.resolve(n.build(), "s3").kind == "gateway-endpoint"
