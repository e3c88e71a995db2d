"""Routes: the subnet's table, longest prefix incl. prefix-list routes, next hops, and the composed path."""

from ipaddress import IPv4Network as N

from fargate_nb.reach import Bypass, Network, resolve
from fargate_nb.reach.routes import default_route, hop_kind, nat_problem, route_for, route_table_for

S3 = "com.amazonaws.us-east-1.s3"
DKR = "com.amazonaws.us-east-1.ecr.dkr"
PL = [{"PrefixListId": "pl-s3", "Cidrs": ["52.216.0.0/15", "3.5.0.0/19"]}]


def table(rtb, routes, subnets=(), main=False):
    assoc = [{"SubnetId": s, "RouteTableId": rtb} for s in subnets] + ([{"Main": True}] if main else [])
    return {"RouteTableId": rtb, "Associations": assoc, "Routes": routes}


LOCAL = {"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "State": "active"}
TO_NAT = {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1", "State": "active"}
TO_TGW = {"DestinationCidrBlock": "52.0.0.0/8", "TransitGatewayId": "tgw-1", "State": "active"}
TO_S3_GW = {"DestinationPrefixListId": "pl-s3", "GatewayId": "vpce-s3", "State": "active"}


def test_subnet_uses_its_table_else_the_main_one():
    tables = [table("rtb-main", [], main=True), table("rtb-a", [], subnets=["subnet-a"])]
    assert route_table_for(tables, "subnet-a")["RouteTableId"] == "rtb-a"
    assert route_table_for(tables, "subnet-b")["RouteTableId"] == "rtb-main"
    assert route_table_for(tables[1:], "subnet-b") is None


def test_longest_prefix_wins():
    rt = table("rtb-a", [TO_NAT, TO_TGW, LOCAL])
    assert route_for(rt, N("52.1.2.3/32")) is TO_TGW
    assert route_for(rt, N("54.1.2.3/32")) is TO_NAT
    assert route_for(rt, N("10.0.3.0/24")) is LOCAL
    assert route_for(rt, N("0.0.0.0/0")) is TO_NAT and default_route(rt) is TO_NAT
    assert route_for(table("rtb-b", [TO_TGW]), N("54.1.2.3/32")) is None


def test_prefix_list_routes_match_by_their_cidrs():
    rt = table("rtb-a", [TO_NAT, TO_S3_GW])
    assert route_for(rt, N("52.217.1.1/32"), PL) is TO_S3_GW  # /15 of the prefix list beats /0
    assert route_for(rt, N("54.1.1.1/32"), PL) is TO_NAT
    assert route_for(rt, N("52.217.1.1/32")) is TO_NAT  # prefix list not read: its route cannot match


def test_on_a_tie_static_beats_prefix_list_beats_propagated():
    static = {"DestinationCidrBlock": "52.216.0.0/15", "TransitGatewayId": "tgw-1", "State": "active"}
    propagated = {"DestinationCidrBlock": "52.216.0.0/15", "GatewayId": "vgw-1", "Origin": "EnableVgwRoutePropagation"}
    assert route_for(table("r", [TO_S3_GW, static]), N("52.216.0.1/32"), PL) is static
    assert route_for(table("r", [propagated, TO_S3_GW]), N("52.216.0.1/32"), PL) is TO_S3_GW


def test_next_hop_kinds():
    assert hop_kind(TO_NAT)[0] == "nat" and hop_kind(TO_TGW) == ("opaque", "transit gateway")
    assert hop_kind({"GatewayId": "igw-1"})[0] == "internet" and hop_kind({"GatewayId": "vgw-1"})[0] == "vgw"
    assert hop_kind(LOCAL)[0] == "local"


def test_a_nat_gateway_must_be_available_public_and_in_a_public_subnet():
    public_rt = table("rtb-pub", [{"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1"}])
    nat = {"NatGatewayId": "nat-1", "SubnetId": "subnet-pub", "State": "available"}
    assert nat_problem(nat, public_rt) is None
    assert "'failed'" in nat_problem({**nat, "State": "failed"}, public_rt)
    assert "private" in nat_problem({**nat, "ConnectivityType": "private"}, public_rt)
    assert "not public" in nat_problem(nat, table("rtb-priv", [TO_NAT]))
    blackholed = table("rtb-pub", [{"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1", "State": "blackhole"}])
    assert "not public" in nat_problem(nat, blackholed)


def _network(**kw):
    subnets = [{"SubnetId": "subnet-a", "AvailabilityZone": "az1"}, {"SubnetId": "subnet-pub", "AvailabilityZone": "az1"}]
    tables = [table("rtb-a", [LOCAL, TO_NAT, TO_S3_GW], subnets=["subnet-a"]),
              table("rtb-pub", [LOCAL, {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1"}],
                    subnets=["subnet-pub"])]
    base = dict(subnets=subnets, route_tables=tables, vpc_endpoints=[],
                nat_gateways=[{"NatGatewayId": "nat-1", "SubnetId": "subnet-pub", "State": "available"}],
                dns_support=True, dns_hostnames=True)
    return Network(**{**base, **kw})


def test_resolve_prefers_an_answering_interface_endpoint_then_falls_back_to_the_route():
    ep = {"VpcEndpointId": "vpce-dkr", "ServiceName": DKR, "VpcEndpointType": "Interface", "State": "available",
          "PrivateDnsEnabled": True, "SubnetIds": ["subnet-a"]}
    assert resolve(_network(vpc_endpoints=[ep]), "subnet-a", DKR).kind == "interface-endpoint"
    off = resolve(_network(vpc_endpoints=[{**ep, "PrivateDnsEnabled": False}]), "subnet-a", DKR)
    assert off.kind == "nat" and [b.reason for b in off.bypassed] == ["private-dns-off"]
    no_dns = resolve(_network(vpc_endpoints=[ep], dns_hostnames=False), "subnet-a", DKR)
    assert no_dns.kind == "nat" and no_dns.bypassed[0].reason == "vpc-dns-off"


def test_resolve_gateway_only_uses_the_gateway_on_the_table_and_keeps_caller_bypasses():
    gw = {"VpcEndpointId": "vpce-s3", "ServiceName": S3, "VpcEndpointType": "Gateway", "State": "available",
          "RouteTableIds": []}
    mine = Bypass({"VpcEndpointId": "vpce-i"}, "s3-interface", "not for layers")
    path = resolve(_network(vpc_endpoints=[gw]), "subnet-a", S3, gateway=True, bypassed=[mine])
    assert path.kind == "gateway-endpoint" and path.route is TO_S3_GW and path.bypassed == (mine,)
    elsewhere = table("rtb-a", [LOCAL, TO_NAT], subnets=["subnet-a"])
    net = _network(vpc_endpoints=[gw], route_tables=[elsewhere, _network().route_tables[1]])
    path = resolve(net, "subnet-a", S3, gateway=True)
    assert path.kind == "nat" and path.bypassed[0].reason == "not-on-route-table"


def test_resolve_never_takes_unread_evidence_as_absent():
    unread = _network(vpc_endpoints=None, nat_gateways=None, unread=("nat_gateways", "vpc_endpoints"))
    path = resolve(unread, "subnet-a", DKR)
    assert path.kind == "unknown" and path.missing == ("vpc_endpoints",)
    assert resolve(_network(unread=("route_tables",)), "subnet-a", DKR).kind == "unknown"
    assert resolve(_network(), "subnet-gone", DKR).kind == "unknown"


def test_resolve_internet_path_depends_on_the_public_ip():
    igw_rt = table("rtb-a", [LOCAL, {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1"}], subnets=["subnet-a"])
    net = _network(route_tables=[igw_rt])
    assert resolve(net, "subnet-a", None, public_ip=True).works is True
    no_ip = resolve(net, "subnet-a", None, public_ip=False, sender="the task")
    assert no_ip.works is False and "the task has no public IP" in no_ip.detail
    assert resolve(net, "subnet-a", None).works is None
