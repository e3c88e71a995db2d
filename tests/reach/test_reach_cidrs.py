"""CIDR arithmetic of the reachability engine: coverage by unions, holes, public space."""

from ipaddress import IPv4Network as N

from fargate_nb.reach.cidrs import (
    ALL_IPV4,
    covers,
    is_public,
    prefix_list_cidrs,
    public_space,
    to_net,
    to_nets,
    uncovered,
    vpc_cidrs,
)


def test_to_net_accepts_host_bits_and_rejects_ipv6_and_garbage():
    assert to_net("10.0.1.57/24") == N("10.0.1.0/24")
    assert to_net("2001:db8::/32") is None and to_net("10.0.0.300/8") is None and to_net(None) is None
    assert to_nets(["10.0.0.0/8", "nope", None, "::/0"]) == [N("10.0.0.0/8")]
    assert to_nets("10.0.0.0/8") == []  # a string is not a list of CIDRs


def test_a_union_covers_what_no_single_range_does():
    halves = [N("10.0.1.0/25"), N("10.0.1.128/25")]
    assert uncovered(N("10.0.1.0/24"), halves) == []
    assert covers(halves, [N("10.0.1.0/24")])
    assert not covers(halves[:1], [N("10.0.1.0/24")])


def test_a_hole_leaves_exactly_the_uncovered_part():
    # 10.0.0.0/16 allowed except what a /24 carve-out would need: the hole is exactly 10.0.5.0/24
    around = [n for n in N("10.0.0.0/16").address_exclude(N("10.0.5.0/24"))]
    assert uncovered(N("10.0.0.0/16"), around) == [N("10.0.5.0/24")]
    left = uncovered(N("10.0.0.0/16"), [N("10.0.5.0/24")])
    assert N("10.0.5.0/24") not in left and sum(n.num_addresses for n in left) == 65536 - 256
    assert uncovered(N("10.0.1.0/24"), [N("192.168.0.0/16")]) == [N("10.0.1.0/24")]  # disjoint


def test_public_space_excludes_every_private_range():
    space = public_space()
    assert sum(n.num_addresses for n in space) == ALL_IPV4.num_addresses - sum(
        N(c).num_addresses for c in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"))
    assert not any(n.overlaps(N("100.64.0.0/10")) for n in space)
    assert is_public(N("52.216.0.0/15")) and not is_public(N("172.20.0.0/16")) and not is_public(N("100.64.1.0/24"))


def test_vpc_cidrs_keep_only_associated_secondary_blocks():
    vpc = {"CidrBlock": "10.0.0.0/16", "CidrBlockAssociationSet": [
        {"CidrBlock": "10.0.0.0/16", "CidrBlockState": {"State": "associated"}},
        {"CidrBlock": "10.1.0.0/16", "CidrBlockState": {"State": "associated"}},
        {"CidrBlock": "10.2.0.0/16", "CidrBlockState": {"State": "disassociated"}}]}
    assert vpc_cidrs(vpc) == [N("10.0.0.0/16"), N("10.1.0.0/16")]
    assert vpc_cidrs(None) == []


def test_prefix_list_not_read_is_none_not_empty():
    lists = [{"PrefixListId": "pl-1", "Cidrs": ["3.5.0.0/19"]}, {"PrefixListId": "pl-2", "Cidrs": []}]
    assert prefix_list_cidrs(lists, "pl-1") == [N("3.5.0.0/19")]
    assert prefix_list_cidrs(lists, "pl-2") is None and prefix_list_cidrs(lists, "pl-9") is None
