"""Security groups: does a set of groups let one TCP flow through?

Security groups are *stateful* and *allow-only*
(https://docs.aws.amazon.com/vpc/latest/userguide/vpc-security-groups.html): there is no deny and no
order, a flow is allowed when any rule of any group attached to the network interface matches it, and
the reply of an allowed connection is let back whatever the rules say. So coverage is a union: rules
for 10.0.1.0/25 and 10.0.1.128/25 together admit 10.0.1.0/24.

A rule names its peer by CIDR (``IpRanges``), by another security group (``UserIdGroupPairs``: the
peer's network interface must carry that group; its address does not matter), or by a prefix list
(``PrefixListIds``: the CIDRs in that list)
(https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html). Shapes are
DescribeSecurityGroups' ``IpPermissions`` / ``IpPermissionsEgress``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from fargate_nb.reach.cidrs import ALL_IPV6, Net, Net6, prefix_list_cidrs, to_net, to_net6, uncovered
from fargate_nb.reach.ports import HTTPS
from fargate_nb.reach.shapes import dicts


def perm_covers_port(perm: dict[str, Any], port: int = HTTPS) -> bool:
    """The permission matches TCP traffic to ``port`` (``-1`` is every protocol and port)."""
    proto = str(perm.get("IpProtocol", "")).lower()
    if proto in ("-1", "all"):
        return True
    if proto not in ("tcp", "6"):
        return False
    lo, hi = perm.get("FromPort"), perm.get("ToPort")
    return isinstance(lo, int) and isinstance(hi, int) and (lo == -1 or lo <= port <= hi)


@dataclass
class Allowed:
    """The peers a set of security-group rules allows for one port and direction, each with the rule
    that allows it (as a readable "sg-… ingress: tcp 443-443 peer" line)."""

    groups: dict[str, str] = field(default_factory=dict)  # peer group id -> rule
    cidrs: list[tuple[Net, str]] = field(default_factory=list)
    prefix_lists: dict[str, str] = field(default_factory=dict)  # prefix list id -> rule
    cidrs6: list[tuple[Net6, str]] = field(default_factory=list)  # Ipv6Ranges (CidrIpv6)

    def nets(self) -> list[Net]:
        return [n for n, _ in self.cidrs]

    def all_ipv6(self) -> list[str]:
        """The rules whose IPv6 ranges together cover ``::/0`` (empty: they do not)."""
        nets6 = [n for n, _ in self.cidrs6]
        return [why for _, why in self.cidrs6] if nets6 and not uncovered(ALL_IPV6, nets6) else []


def allowed_peers(groups: Iterable[dict[str, Any]], direction: str, port: int = HTTPS) -> Allowed:
    """What the ``ingress`` or ``egress`` rules of ``groups`` allow for TCP ``port``."""
    key = "IpPermissions" if direction == "ingress" else "IpPermissionsEgress"
    out = Allowed()
    for g in groups:
        gid = g.get("GroupId")
        for perm in dicts(g.get(key)):
            if not perm_covers_port(perm, port):
                continue
            proto = perm.get("IpProtocol")
            what = "all traffic" if str(proto) == "-1" else f"tcp {perm.get('FromPort')}-{perm.get('ToPort')}"
            for pair in dicts(perm.get("UserIdGroupPairs")):
                if pair.get("GroupId"):
                    out.groups.setdefault(pair["GroupId"], f"{gid} {direction}: {what} {pair['GroupId']}")
            for rng in dicts(perm.get("IpRanges")):
                net = to_net(rng.get("CidrIp"))
                if net:
                    out.cidrs.append((net, f"{gid} {direction}: {what} {net}"))
            for rng in dicts(perm.get("Ipv6Ranges")):
                net6 = to_net6(rng.get("CidrIpv6"))
                if net6:
                    out.cidrs6.append((net6, f"{gid} {direction}: {what} {net6}"))
            for pl in dicts(perm.get("PrefixListIds")):
                if pl.get("PrefixListId"):
                    out.prefix_lists.setdefault(pl["PrefixListId"], f"{gid} {direction}: {what} {pl['PrefixListId']}")
    return out


def cidr_coverage(allowed: Allowed, required: list[Net]) -> tuple[list[Net], list[str]]:
    """(the required networks the CIDR rules do not fully cover, the rules that cover any of them)."""
    nets = allowed.nets()
    missing = [r for r in required if uncovered(r, nets)]
    used = sorted({why for n, why in allowed.cidrs if any(r.overlaps(n) for r in required)})
    return missing, used


def referenced_prefix_list_cidrs(allowed: Allowed, prefix_lists: Any) -> list[Net]:
    """The CIDRs of the prefix lists the rules reference, as far as ``prefix_lists`` has them."""
    out: list[Net] = []
    for pl_id in allowed.prefix_lists:
        out.extend(prefix_list_cidrs(prefix_lists, pl_id) or [])
    return out


def admits_groups(allowed: Allowed, group_ids: Iterable[str]) -> list[str]:
    """The rules that admit a peer carrying any of ``group_ids`` (empty: none does)."""
    return [allowed.groups[g] for g in group_ids if g in allowed.groups]


def group_ids(resource: dict[str, Any]) -> list[str]:
    """The security-group ids of a resource with ``Groups`` (a VPC endpoint, a network interface)."""
    return [g["GroupId"] for g in dicts(resource.get("Groups")) if isinstance(g.get("GroupId"), str)]


def groups_by_id(groups: Any, ids: Iterable[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """(the DescribeSecurityGroups entries for ``ids``, the ids not among them)."""
    index = {g.get("GroupId"): g for g in dicts(groups)}
    found, missing = [], []
    for gid in ids:
        (found.append(index[gid]) if gid in index else missing.append(gid))
    return found, missing


def rules_text(groups: Iterable[dict[str, Any]], direction: str) -> list[str]:
    """One line per group listing its inbound or outbound rules, for evidence."""
    key = "IpPermissions" if direction == "ingress" else "IpPermissionsEgress"
    out = []
    for g in groups:
        perms = dicts(g.get(key))
        out.append(f"{g.get('GroupId')} {'inbound' if key == 'IpPermissions' else 'outbound'} rules: "
                   + (", ".join(perm_text(p) for p in perms) or "none"))
    return out


def perm_text(p: dict[str, Any]) -> str:
    proto = "all" if str(p.get("IpProtocol")) == "-1" else f"{p.get('IpProtocol')} {p.get('FromPort')}-{p.get('ToPort')}"
    peers = [r.get("CidrIp") for r in dicts(p.get("IpRanges"))]
    peers += [r.get("CidrIpv6") for r in dicts(p.get("Ipv6Ranges"))]
    peers += [g.get("GroupId") for g in dicts(p.get("UserIdGroupPairs"))]
    peers += [x.get("PrefixListId") for x in dicts(p.get("PrefixListIds"))]
    return f"{proto} {'/'.join(str(x) for x in peers if x) or '-'}"
