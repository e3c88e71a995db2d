"""IPv6: the ::/0 route, egress-only internet gateways, Ipv6Ranges in security groups and Ipv6CidrBlock entries in
network ACLs. Moto cannot express these (no IPv6-only subnets, no egress-only routes on a task), so they are
built here from the EC2 API shapes.

Rules: an egress-only internet gateway lets IPv6 traffic out and its replies in
(https://docs.aws.amazon.com/vpc/latest/userguide/egress-only-internet-gateway.html); IPv6 addresses are public, so
an internet gateway needs no public IPv4 address for them; security groups match IPv6 with ``Ipv6Ranges``
(https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html) and network ACLs with IPv6 entries
(``Ipv6CidrBlock``, https://docs.aws.amazon.com/vpc/latest/userguide/nacl-rules.html).
"""

from ipaddress import IPv4Network as N4
from ipaddress import IPv6Network as N6

from fargate_nb.reach import Network, resolve
from fargate_nb.reach.nacls import decide
from fargate_nb.reach.routes import default_route_v6, hop_kind
from fargate_nb.reach.security_groups import allowed_peers

EIGW = {"DestinationIpv6CidrBlock": "::/0", "EgressOnlyInternetGatewayId": "eigw-1", "State": "active"}
IGW6 = {"DestinationIpv6CidrBlock": "::/0", "GatewayId": "igw-1", "State": "active"}
LOCAL = {"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "State": "active"}


def net(routes, native=False):
    return Network(subnets=[{"SubnetId": "subnet-a", "Ipv6Native": native}],
                   route_tables=[{"RouteTableId": "rtb-a", "Associations": [{"SubnetId": "subnet-a"}],
                                  "Routes": routes}], nat_gateways=[], vpc_endpoints=[],
                   dns_support=True, dns_hostnames=True)


def test_the_ipv6_default_route_and_its_gateways():
    rt = {"Routes": [LOCAL, EIGW]}
    assert default_route_v6(rt) is EIGW and default_route_v6({"Routes": [LOCAL]}) is None
    assert hop_kind(EIGW)[0] == "egress-only" and hop_kind(IGW6)[0] == "internet"


def test_an_ipv6_only_sender_leaves_by_the_egress_only_gateway():
    path = resolve(net([LOCAL, EIGW]), "subnet-a", None, target="registry", family="ipv6", dual_stack_destination=True)
    assert path.kind == "egress-only" and path.works is True and path.ipv6
    internet = resolve(net([LOCAL, IGW6]), "subnet-a", None, family="ipv6", public_ip=False,
                       dual_stack_destination=True)
    assert internet.kind == "internet" and internet.works is True and not internet.needs_public_ip
    nowhere = resolve(net([LOCAL, {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1"}]), "subnet-a", None,
                      family="ipv6", dual_stack_destination=True)
    assert nowhere.kind == "none" and "::/0" in nowhere.detail
    gone = resolve(net([LOCAL, {**EIGW, "State": "blackhole"}]), "subnet-a", None, family="ipv6",
                   dual_stack_destination=True)
    assert gone.works is False


def test_a_dual_stack_sender_uses_ipv6_only_for_a_dual_stack_destination():
    vpc = net([LOCAL, EIGW])
    assert resolve(vpc, "subnet-a", None, family="dual", dual_stack_destination=True).kind == "egress-only"
    assert resolve(vpc, "subnet-a", None, family="dual", dual_stack_destination=False).kind == "none"
    assert resolve(vpc, "subnet-a", None, family="ipv4", dual_stack_destination=True).kind == "none"


def test_security_groups_read_ipv6_ranges():
    group = {"GroupId": "sg-1", "IpPermissionsEgress": [
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "Ipv6Ranges": [{"CidrIpv6": "::/1"}]},
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]}
    half = allowed_peers([group], "egress")
    assert half.all_ipv6() == [] and half.nets() == [N4("0.0.0.0/0")]
    group["IpPermissionsEgress"][0]["Ipv6Ranges"].append({"CidrIpv6": "8000::/1"})
    assert len(allowed_peers([group], "egress").all_ipv6()) == 2


def test_network_acls_decide_ipv6_by_their_ipv6_entries():
    v4_only = {"NetworkAclId": "acl-1", "Entries": [
        {"RuleNumber": 100, "Egress": True, "RuleAction": "allow", "CidrBlock": "0.0.0.0/0", "Protocol": "-1"}]}
    assert decide(v4_only, True, N4("0.0.0.0/0"), (443, 443)).allowed
    assert not decide(v4_only, True, N6("::/0"), (443, 443)).allowed  # no IPv6 entry: the * rule denies
    both = {"NetworkAclId": "acl-1", "Entries": [*v4_only["Entries"],
            {"RuleNumber": 90, "Egress": True, "RuleAction": "deny", "Ipv6CidrBlock": "2600::/16", "Protocol": "6",
             "PortRange": {"From": 443, "To": 443}},
            {"RuleNumber": 101, "Egress": True, "RuleAction": "allow", "Ipv6CidrBlock": "::/0", "Protocol": "-1"}]}
    blocked = decide(both, True, N6("::/0"), (443, 443))
    assert not blocked.allowed and blocked.entry["RuleNumber"] == 90
    assert decide(both, True, N4("54.0.0.0/8"), (443, 443)).allowed  # IPv6 entries do not touch IPv4


def test_an_ipv6_only_sender_reaches_an_ipv4_only_name_only_through_nat64():
    # https://docs.aws.amazon.com/vpc/latest/userguide/nat-gateway-nat64-dns64.html
    no64 = resolve(net([LOCAL, EIGW]), "subnet-a", None, family="ipv6")
    assert no64.kind == "none" and "64:ff9b::/96" in no64.detail
    vpc = net([LOCAL, EIGW, {"DestinationIpv6CidrBlock": "64:ff9b::/96", "NatGatewayId": "nat-1", "State": "active"}])
    vpc = Network(subnets=[*vpc.subnets, {"SubnetId": "subnet-pub"}],
                  route_tables=[*vpc.route_tables, {"RouteTableId": "rtb-pub", "Associations": [{"SubnetId": "subnet-pub"}],
                                                    "Routes": [{"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1",
                                                                "State": "active"}]}],
                  nat_gateways=[{"NatGatewayId": "nat-1", "SubnetId": "subnet-pub", "State": "available"}],
                  vpc_endpoints=[], dns_support=True, dns_hostnames=True)
    nat64 = resolve(vpc, "subnet-a", None, family="ipv6")
    assert nat64.kind == "nat" and nat64.works and nat64.detail.startswith("NAT64")
