"""Security-group coverage: stateful, allow-only, by CIDR, by group reference, by prefix list."""

from ipaddress import IPv4Network as N

from fargate_nb.reach.security_groups import (
    admits_groups,
    allowed_peers,
    cidr_coverage,
    group_ids,
    groups_by_id,
    perm_covers_port,
    referenced_prefix_list_cidrs,
)

PL = "pl-63a5400a"
PREFIX_LISTS = [{"PrefixListId": PL, "Cidrs": ["52.216.0.0/15", "3.5.0.0/19"]}]


def perm(proto="tcp", ports=(443, 443), cidr=None, group=None, prefix_list=None):
    p = {"IpProtocol": proto, "IpRanges": [], "UserIdGroupPairs": [], "PrefixListIds": []}
    if proto != "-1":
        p.update(FromPort=ports[0], ToPort=ports[1])
    if cidr:
        p["IpRanges"].append({"CidrIp": cidr})
    if group:
        p["UserIdGroupPairs"].append({"GroupId": group})
    if prefix_list:
        p["PrefixListIds"].append({"PrefixListId": prefix_list})
    return p


def sg(gid, ingress=(), egress=()):
    return {"GroupId": gid, "IpPermissions": list(ingress), "IpPermissionsEgress": list(egress)}


def test_port_matching_by_protocol_and_range():
    assert perm_covers_port(perm("-1"))
    assert perm_covers_port(perm("tcp", (0, 65535))) and perm_covers_port(perm("6", (400, 500)))
    assert not perm_covers_port(perm("tcp", (80, 80))) and not perm_covers_port(perm("udp", (443, 443)))
    assert not perm_covers_port({"IpProtocol": "tcp"})  # no ports: matches nothing, never raises


def test_union_of_rules_across_groups_covers_a_subnet():
    groups = [sg("sg-a", ingress=[perm(cidr="10.0.1.0/25")]), sg("sg-b", ingress=[perm(cidr="10.0.1.128/25")])]
    missing, used = cidr_coverage(allowed_peers(groups, "ingress"), [N("10.0.1.0/24")])
    assert missing == [] and len(used) == 2
    only_a = allowed_peers(groups[:1], "ingress")
    assert cidr_coverage(only_a, [N("10.0.1.0/24")])[0] == [N("10.0.1.0/24")]


def test_rules_on_another_port_or_direction_do_not_count():
    groups = [sg("sg-a", ingress=[perm(ports=(80, 80), cidr="0.0.0.0/0")], egress=[perm(cidr="0.0.0.0/0")])]
    assert allowed_peers(groups, "ingress").cidrs == []
    assert [str(n) for n in allowed_peers(groups, "egress").nets()] == ["0.0.0.0/0"]


def test_group_references_admit_by_membership_not_address():
    allowed = allowed_peers([sg("sg-endpoint", ingress=[perm(group="sg-task")])], "ingress")
    assert admits_groups(allowed, ["sg-other", "sg-task"]) == ["sg-endpoint ingress: tcp 443-443 sg-task"]
    assert admits_groups(allowed, ["sg-other"]) == []
    assert cidr_coverage(allowed, [N("10.0.1.0/24")])[0] == [N("10.0.1.0/24")]  # a group rule is no CIDR rule


def test_prefix_list_rules_resolve_to_their_cidrs_when_read():
    allowed = allowed_peers([sg("sg-task", egress=[perm(prefix_list=PL)])], "egress")
    assert set(allowed.prefix_lists) == {PL}
    assert referenced_prefix_list_cidrs(allowed, PREFIX_LISTS) == [N("52.216.0.0/15"), N("3.5.0.0/19")]
    assert referenced_prefix_list_cidrs(allowed, []) == []  # not read: nothing is known to be covered


def test_lookups_report_what_is_missing():
    found, missing = groups_by_id([sg("sg-a"), "junk", sg("sg-b")], ["sg-b", "sg-gone"])
    assert [g["GroupId"] for g in found] == ["sg-b"] and missing == ["sg-gone"]
    assert group_ids({"Groups": [{"GroupId": "sg-1"}, {"GroupName": "x"}, None]}) == ["sg-1"]
