"""Network ACLs: stateless, first match per direction, ephemeral ports, fixes numbered first."""

from ipaddress import IPv4Network as N

from fargate_nb.reach.legs import Peer, client_legs, judge
from fargate_nb.reach.nacls import acl_for_subnet, decide, free_rule_number
from fargate_nb.reach.ports import LINUX_EPHEMERAL, WINDOWS_EPHEMERAL, client_ephemeral


def entry(number, egress, action="allow", cidr="0.0.0.0/0", proto="-1", ports=None):
    e = {"RuleNumber": number, "Egress": egress, "RuleAction": action, "CidrBlock": cidr, "Protocol": proto}
    if ports:
        e["PortRange"] = {"From": ports[0], "To": ports[1]}
    return e


def acl(*entries, aid="acl-1"):
    return {"NetworkAclId": aid, "Entries": [*entries, entry(32767, True, "deny"), entry(32767, False, "deny")]}


def test_deny_before_allow_wins_and_allow_before_deny_wins():
    deny_first = acl(entry(90, True, "deny", "10.0.3.0/24", "6", (443, 443)), entry(100, True))
    verdict = decide(deny_first, True, N("10.0.3.0/24"), (443, 443))
    assert not verdict.allowed and verdict.entry["RuleNumber"] == 90 and verdict.rule == "rule 90 (deny)"
    assert decide(deny_first, True, N("10.0.4.0/24"), (443, 443)).allowed  # the deny does not match
    allow_first = acl(entry(80, True, "allow", "10.0.3.0/24", "6", (443, 443)),
                      entry(90, True, "deny", "10.0.3.0/24", "6", (443, 443)))
    assert decide(allow_first, True, N("10.0.3.0/24"), (443, 443)).allowed


def test_entries_are_ordered_by_number_not_by_position():
    shuffled = acl(entry(200, True), entry(100, True, "deny", proto="6", ports=(443, 443)))
    assert not decide(shuffled, True, N("52.0.0.0/8"), (443, 443)).allowed


def test_directions_are_independent():
    out_only = acl(entry(100, True))
    assert decide(out_only, True, N("0.0.0.0/0"), (443, 443)).allowed
    verdict = decide(out_only, False, N("0.0.0.0/0"), LINUX_EPHEMERAL)
    assert not verdict.allowed and verdict.rule == "rule * (deny)"


def test_a_deny_covering_part_of_the_ports_blocks_the_flow():
    a = acl(entry(100, False, proto="6", ports=(32768, 50000)), entry(110, False, "deny"), entry(120, False))
    verdict = decide(a, False, N("0.0.0.0/0"), LINUX_EPHEMERAL)
    assert not verdict.allowed and verdict.entry["RuleNumber"] == 110
    assert [e["RuleNumber"] for e in verdict.allows] == [100]


def test_ephemeral_range_depends_on_the_client_os():
    linux_only = acl(entry(100, False, proto="6", ports=LINUX_EPHEMERAL))
    assert client_ephemeral("LINUX") == LINUX_EPHEMERAL and client_ephemeral(None) == LINUX_EPHEMERAL
    assert client_ephemeral("WINDOWS_SERVER_2022_CORE") == WINDOWS_EPHEMERAL
    assert decide(linux_only, False, N("10.0.3.0/24"), LINUX_EPHEMERAL).allowed
    assert not decide(linux_only, False, N("10.0.3.0/24"), WINDOWS_EPHEMERAL).allowed  # 61001-65535 uncovered


def test_entries_for_other_protocols_are_skipped():
    udp = acl(entry(50, True, "deny", proto="17"), entry(100, True))
    assert decide(udp, True, N("0.0.0.0/0"), (443, 443)).allowed


def test_free_rule_number_goes_below_the_blocker_and_avoids_taken_numbers():
    a = acl(entry(10, True, "deny", proto="6", ports=(443, 443)), entry(5, True))
    assert free_rule_number(a, True, 10, set()) == 9
    assert free_rule_number(a, True, 10, {9, 8, 7, 6, 4, 3, 2, 1}) is None  # 5 is in use
    assert free_rule_number(acl(), True, 100, set()) == 90  # round numbers first


def test_subnet_uses_its_associated_acl_else_the_default():
    acls = [{"NetworkAclId": "acl-default", "IsDefault": True, "Associations": []},
            {"NetworkAclId": "acl-custom", "IsDefault": False, "Associations": [{"SubnetId": "subnet-a"}]}]
    assert acl_for_subnet(acls, "subnet-a")["NetworkAclId"] == "acl-custom"
    assert acl_for_subnet(acls, "subnet-b")["NetworkAclId"] == "acl-default"


def test_a_leg_over_an_inexact_peer_is_unknown_when_only_part_passes():
    public = Peer([N("52.0.0.0/8"), N("3.0.0.0/8")], "the internet", exact=False, fix_cidrs=(N("0.0.0.0/0"),))
    out_leg = client_legs("subnet-a", public, LINUX_EPHEMERAL)[0]
    partial = acl(entry(100, True, cidr="52.0.0.0/8"))
    status, text, fixes = judge(partial, out_leg, {})
    assert status == "unknown" and "only part" in text and fixes == []
    status, _, fixes = judge(acl(), out_leg, {})
    assert status == "fail" and [f["cidr"] for f in fixes] == ["0.0.0.0/0"]
    assert judge(None, out_leg, {})[0] == "unknown"


def test_fixes_of_several_legs_do_not_reuse_a_number():
    peer = Peer([N("10.0.3.0/24"), N("10.0.4.0/24")], "two subnets")
    out_leg = client_legs("subnet-a", peer, LINUX_EPHEMERAL)[0]
    taken: dict = {}
    status, _, fixes = judge(acl(), out_leg, taken)
    numbers = [f["rule_number"] for f in fixes]
    assert status == "fail" and len(set(numbers)) == 2 and all(n < 32767 for n in numbers)
