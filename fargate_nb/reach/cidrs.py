"""IPv4 CIDR arithmetic for reachability: parse, cover, subtract, public versus private space.

Security-group rules, network-ACL entries, routes and prefix lists all name address ranges; whether a
flow is allowed or routed comes down to whether one set of ranges covers another. Only IPv4 is
modelled by `to_net` (Fargate tasks reach ECR, S3 and CloudWatch Logs over IPv4 unless dual-stack endpoints
are configured); IPv6 ranges are read separately (`to_net6`: ``Ipv6Ranges`` of security groups,
``Ipv6CidrBlock`` of network-ACL entries, ``DestinationIpv6CidrBlock`` of routes) for IPv6 paths. A
malformed CIDR is ignored, never guessed.

Private ranges are RFC 1918 plus the shared address space 100.64.0.0/10 (RFC 6598), which AWS also
allows as a VPC CIDR (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html): a
service reached through NAT or an internet gateway lives somewhere outside them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from fargate_nb.reach.shapes import dicts

Net = ipaddress.IPv4Network
Net6 = ipaddress.IPv6Network
ALL_IPV4 = ipaddress.IPv4Network("0.0.0.0/0")
ALL_IPV6 = ipaddress.IPv6Network("::/0")
PRIVATE_V4 = tuple(ipaddress.IPv4Network(c) for c in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                                                        "100.64.0.0/10"))


def to_net(cidr: Any) -> Net | None:
    """An IPv4 network from a CIDR string (host bits allowed); None for IPv6 or garbage (never raises)."""
    try:
        net = ipaddress.ip_network(str(cidr), strict=False)
    except ValueError:
        return None
    return net if isinstance(net, ipaddress.IPv4Network) else None


def to_net6(cidr: Any) -> Net6 | None:
    """An IPv6 network from a CIDR string (host bits allowed); None for IPv4 or garbage (never raises)."""
    try:
        net = ipaddress.ip_network(str(cidr), strict=False)
    except ValueError:
        return None
    return net if isinstance(net, ipaddress.IPv6Network) else None


def to_nets(cidrs: Any) -> list[Net]:
    """The IPv4 networks of a list of CIDR strings, skipping what does not parse."""
    if not isinstance(cidrs, (list, tuple)):
        return []
    return [n for n in (to_net(c) for c in cidrs if c) if n]


def uncovered(required: Net, allowed: Iterable[Net]) -> list[Net]:
    """The parts of ``required`` that no network in ``allowed`` covers (empty: fully covered).

    Holes are exact: 10.0.0.0/16 minus 10.0.1.0/24 leaves the eight CIDRs around the hole.
    """
    remaining = [required]
    for a in allowed:
        nxt: list[Net] = []
        for r in remaining:
            if r.subnet_of(a):
                continue
            if a.subnet_of(r):
                nxt.extend(r.address_exclude(a))
            else:
                nxt.append(r)
        remaining = nxt
        if not remaining:
            break
    return remaining


def covers(allowed: Iterable[Net], required: Iterable[Net]) -> bool:
    """Every address of every ``required`` network is in some ``allowed`` network (a union may cover)."""
    allowed = list(allowed)
    return all(not uncovered(r, allowed) for r in required)


def is_public(net: Net) -> bool:
    """Not inside a private range (see the module docstring)."""
    return not any(net.subnet_of(p) for p in PRIVATE_V4)


def public_space() -> list[Net]:
    """IPv4 minus the private ranges: where a service behind NAT or the internet gateway may live."""
    return uncovered(ALL_IPV4, PRIVATE_V4)


def vpc_cidrs(vpc: Any) -> list[Net]:
    """A DescribeVpcs entry's IPv4 CIDR blocks: the primary and every *associated* secondary block."""
    if not isinstance(vpc, dict):
        return []
    blocks = [vpc.get("CidrBlock")] + [a.get("CidrBlock") for a in dicts(vpc.get("CidrBlockAssociationSet"))
                                       if str((a.get("CidrBlockState") or {}).get("State") or "associated")
                                       == "associated"]
    return list(dict.fromkeys(to_nets([b for b in blocks if b])))


def prefix_list_cidrs(prefix_lists: Any, prefix_list_id: str) -> list[Net] | None:
    """The CIDRs of one prefix list (DescribePrefixLists / managed prefix list shape, ``Cidrs``).

    None when the list is not in ``prefix_lists`` or carries no readable CIDR: not read is not empty.
    """
    for pl in dicts(prefix_lists):
        if pl.get("PrefixListId") == prefix_list_id:
            nets = to_nets(pl.get("Cidrs"))
            return nets or None
    return None
