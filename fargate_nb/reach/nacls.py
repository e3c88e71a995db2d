"""Network ACLs: does one direction of a TCP flow cross a subnet boundary?

Network ACLs are *stateless* and *ordered*
(https://docs.aws.amazon.com/vpc/latest/userguide/vpc-network-acls.html): inbound and outbound are
decided separately (a reply needs its own rule, on the client's ephemeral ports), and within one
direction the entries are evaluated in rule-number order, lowest first; the first entry that matches
decides, and the ``*`` rule (32767) denies what nothing matched. Every subnet is associated with
exactly one ACL, the VPC's default one unless another is associated
(https://docs.aws.amazon.com/vpc/latest/userguide/network-acls.html).

A flow here is a *rectangle*: every address of a peer CIDR times every port of a range. An entry
takes the part of the rectangle it matches; an allow removes that part, a deny on any part that is
still undecided blocks the flow (a deny that covers only some addresses or ports still blocks).
Shapes are DescribeNetworkAcls entries.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from fargate_nb.reach.cidrs import Net, Net6, to_net, to_net6
from fargate_nb.reach.shapes import dicts

IMPLICIT_DENY = 32767  # the "*" rule number AWS reports for the catch-all deny
MAX_RULE = 32766  # the highest number a user entry may have

Rect = tuple[int, int, int, int]  # first address, last address, first port, last port


@dataclass
class NaclVerdict:
    """How one direction of a flow fares against one ACL."""

    allowed: bool
    entry: dict[str, Any] | None  # the first entry that denies part of the flow (None: all allowed/implicit)
    allows: list[dict[str, Any]]  # allow entries that matched part of the flow, in order

    @property
    def rule(self) -> str:
        """The deciding deny, as people name it: ``rule 90 (deny)``, ``rule * (deny)``."""
        if self.entry is None:
            return "the implicit * rule (deny)"
        number = self.entry.get("RuleNumber")
        return "rule * (deny)" if number == IMPLICIT_DENY else f"rule {number} (deny)"

    @property
    def blocking_number(self) -> int:
        """The rule number a new allow must go below to be evaluated first."""
        number = self.entry.get("RuleNumber") if self.entry else None
        return number if isinstance(number, int) else IMPLICIT_DENY


def acl_for_subnet(acls: Any, subnet_id: str) -> dict[str, Any] | None:
    """The subnet's network ACL: the one associated with it, else the VPC's default ACL."""
    acls = dicts(acls)
    for acl in acls:
        if any(a.get("SubnetId") == subnet_id for a in dicts(acl.get("Associations"))):
            return acl
    return next((a for a in acls if a.get("IsDefault") is True), None)


def entry_ports(entry: dict[str, Any]) -> tuple[int, int] | None:
    """The TCP ports an entry matches (all for protocol -1); None when it matches no TCP at all."""
    proto = str(entry.get("Protocol", "")).lower()
    if proto in ("-1", "all"):
        return 0, 65535
    if proto not in ("6", "tcp"):
        return None
    pr = entry.get("PortRange")
    if not isinstance(pr, dict):
        return 0, 65535
    lo, hi = pr.get("From"), pr.get("To")
    return (lo, hi) if isinstance(lo, int) and isinstance(hi, int) else None


def entries(acl: dict[str, Any], egress: bool, ipv6: bool | None = False) -> list[dict[str, Any]]:
    """One direction's entries in evaluation order (rule number, lowest first): the IPv4 ones
    (``CidrBlock``), the IPv6 ones (``Ipv6CidrBlock``, ``ipv6=True``) or both (``ipv6=None``)."""
    keys = {False: ("CidrBlock",), True: ("Ipv6CidrBlock",), None: ("CidrBlock", "Ipv6CidrBlock")}[ipv6]
    found = [e for e in dicts(acl.get("Entries")) if bool(e.get("Egress")) is egress
             and isinstance(e.get("RuleNumber"), int) and any(e.get(k) for k in keys)]
    return sorted(found, key=lambda e: e["RuleNumber"])


def decide(acl: dict[str, Any], egress: bool, peer: Net | Net6, ports: tuple[int, int]) -> NaclVerdict:
    """Decide TCP traffic to (egress) or from (ingress) every address of ``peer`` on every port of
    ``ports``, first match wins (see the module docstring). An IPv6 peer is decided by the IPv6 entries
    (``Ipv6CidrBlock``), an IPv4 peer by the IPv4 ones; the catch-all ``*`` rule exists for each."""
    v6 = isinstance(peer, ipaddress.IPv6Network)
    remaining: list[Rect] = [(int(peer.network_address), int(peer.broadcast_address), ports[0], ports[1])]
    allows: list[dict[str, Any]] = []
    for entry in entries(acl, egress, v6):
        eports = entry_ports(entry)
        enet = to_net6(entry.get("Ipv6CidrBlock")) if v6 else to_net(entry.get("CidrBlock"))
        if eports is None or enet is None:
            continue
        rect = (int(enet.network_address), int(enet.broadcast_address), eports[0], eports[1])
        if not any(_overlap(r, rect) for r in remaining):
            continue
        if str(entry.get("RuleAction", "")).lower() != "allow":
            return NaclVerdict(False, entry, allows)
        allows.append(entry)
        remaining = [piece for r in remaining for piece in _subtract(r, rect)]
        if not remaining:
            return NaclVerdict(True, None, allows)
    return NaclVerdict(not remaining, None, allows)


def _overlap(a: Rect, b: Rect) -> bool:
    return a[0] <= b[1] and b[0] <= a[1] and a[2] <= b[3] and b[2] <= a[3]


def _subtract(a: Rect, b: Rect) -> list[Rect]:
    if not _overlap(a, b):
        return [a]
    a0, a1, p0, p1 = a
    i0, i1 = max(a0, b[0]), min(a1, b[1])
    j0, j1 = max(p0, b[2]), min(p1, b[3])
    pieces = []
    if a0 < i0:
        pieces.append((a0, i0 - 1, p0, p1))
    if i1 < a1:
        pieces.append((i1 + 1, a1, p0, p1))
    if p0 < j0:
        pieces.append((i0, i1, p0, j0 - 1))
    if j1 < p1:
        pieces.append((i0, i1, j1 + 1, p1))
    return pieces


def free_rule_number(acl: dict[str, Any], egress: bool, below: int | None, taken: set[int]) -> int | None:
    """A rule number not in use (nor in ``taken``), lower than ``below`` (the blocking entry), so a new
    allow is evaluated first. Round numbers (multiples of 10) are preferred, nearest the blocker first."""
    used = {e.get("RuleNumber") for e in entries(acl, egress, None)} | taken
    ceiling = min(below if below is not None else IMPLICIT_DENY, IMPLICIT_DENY) - 1
    round_first = [n for n in range(ceiling, 0, -1) if n % 10 == 0]
    return next((n for n in (*round_first, *range(ceiling, 0, -1)) if n not in used), None)
