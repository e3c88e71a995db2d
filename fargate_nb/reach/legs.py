"""A TCP connection as network-ACL *legs*: one direction at one subnet boundary, judged on its own.

Network ACLs are stateless and sit at subnet boundaries
(https://docs.aws.amazon.com/vpc/latest/userguide/vpc-network-acls.html), so one HTTPS connection is
several independent questions. At the client's subnet: out on 443 to the server, in on the client's
ephemeral ports from it. At the server's subnet (an interface endpoint's, a NAT gateway's): the mirror
image. Traffic between two addresses of one subnet crosses no ACL.

When the far side's exact addresses are not known (a public service behind NAT, a subnet that was not
read) the leg is judged over the space the peer lies in (``exact=False``): all of it allowed passes,
none of it allowed fails, anything in between is ``unknown`` (verify by hand).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fargate_nb.reach.cidrs import Net
from fargate_nb.reach.nacls import NaclVerdict, decide, free_rule_number
from fargate_nb.reach.ports import HTTPS, NAT_EPHEMERAL


@dataclass
class Peer:
    """The far side of a leg, as precisely as the evidence allows."""

    nets: list[Net]
    label: str
    exact: bool = True
    fix_cidrs: tuple[Net, ...] = ()  # what a fix opens when the peer is not exact


@dataclass
class Leg:
    """One direction of the connection at one subnet boundary."""

    subnet_id: str
    egress: bool
    peers: list[Net]
    ports: tuple[int, int]
    why: str
    fix_ports: tuple[int, int] = (HTTPS, HTTPS)
    exact: bool = True  # False: the peer is *somewhere* in ``peers``
    fix_cidrs: tuple[Net, ...] = ()  # what a fix opens when the peer is not exact


def client_legs(subnet_id: str, peer: Peer, eph: tuple[int, int], port: int = HTTPS) -> list[Leg]:
    """At the client's subnet: out on ``port`` to ``peer``, and the replies back in on ``eph``.

    A fix for the replies opens 1024-65535, which also covers a NAT gateway's source ports."""
    extra = {"exact": peer.exact, "fix_cidrs": peer.fix_cidrs}
    return [Leg(subnet_id, True, peer.nets, (port, port), f"{subnet_id} out: tcp {port} to {peer.label}",
                (port, port), **extra),
            Leg(subnet_id, False, peer.nets, eph, f"{subnet_id} in: replies from {peer.label} to ports "
                f"{eph[0]}-{eph[1]}", NAT_EPHEMERAL, **extra)]


def server_legs(subnet_id: str, client: Net, eph: tuple[int, int], role: str, port: int = HTTPS) -> list[Leg]:
    """At the server's subnet (``role``: endpoint, NAT): ``port`` in from the client, replies out to it."""
    return [Leg(subnet_id, False, [client], (port, port), f"{subnet_id} ({role}) in: tcp {port} from {client}",
                (port, port)),
            Leg(subnet_id, True, [client], eph, f"{subnet_id} ({role}) out: replies to {client}", NAT_EPHEMERAL)]


def forward_legs(subnet_id: str, peer: Peer, role: str, port: int = HTTPS) -> list[Leg]:
    """At a forwarder's subnet (a NAT gateway): out to ``peer`` and replies back, from its own ports."""
    extra = {"exact": peer.exact, "fix_cidrs": peer.fix_cidrs}
    return [Leg(subnet_id, True, peer.nets, (port, port), f"{subnet_id} ({role}) out: tcp {port} to {peer.label}",
                (port, port), **extra),
            Leg(subnet_id, False, peer.nets, NAT_EPHEMERAL, f"{subnet_id} ({role}) in: replies from {peer.label} to "
                f"ports {NAT_EPHEMERAL[0]}-{NAT_EPHEMERAL[1]}", NAT_EPHEMERAL, **extra)]


def judge(acl: dict[str, Any] | None, leg: Leg, taken: dict[tuple[str, bool], set[int]]
          ) -> tuple[str, str, list[dict[str, Any]]]:
    """(status, evidence line, allow entries that would fix it) for one leg against its subnet's ACL.

    ``taken`` collects the rule numbers already proposed per (ACL, direction), so the fixes of several
    legs do not collide. Each proposed entry is numbered below the blocking deny, so it is evaluated first.
    """
    if acl is None:
        return "unknown", f"{leg.why}: no network ACL for {leg.subnet_id} is in the evidence", []
    aid = str(acl.get("NetworkAclId") or "ACL_ID")
    verdicts = [(peer, decide(acl, leg.egress, peer, leg.ports)) for peer in leg.peers]
    denied = [(peer, v) for peer, v in verdicts if not v.allowed]
    if not denied:
        return "pass", f"{leg.why}: allowed by {aid}", []
    rules = ", ".join(dict.fromkeys(v.rule for _, v in denied))
    if not leg.exact:
        if any(v.allowed or v.allows for _, v in verdicts):  # part of the space passes, part does not
            return "unknown", f"{leg.why}: {aid} allows only part of the possible addresses ({rules} blocks the rest)", []
        below = min(v.blocking_number for _, v in denied)
        return "fail", f"{leg.why}: blocked by {aid} {rules}", \
            _entries(acl, aid, leg, list(leg.fix_cidrs or leg.peers), below, taken)
    fixes = [e for peer, v in denied for e in _entries(acl, aid, leg, [peer], v.blocking_number, taken)]
    return "fail", f"{leg.why}: blocked by {aid} " + ", ".join(f"{v.rule} for {p}" for p, v in denied), fixes


def _entries(acl: dict[str, Any], aid: str, leg: Leg, nets: list[Net], below: int,
             taken: dict[tuple[str, bool], set[int]]) -> list[dict[str, Any]]:
    used = taken.setdefault((aid, leg.egress), set())
    out = []
    for net in nets:
        number = free_rule_number(acl, leg.egress, below, used)
        if number is None:
            continue
        used.add(number)
        out.append({"nacl_id": aid, "egress": leg.egress, "rule_number": number, "cidr": str(net),
                    "port_from": leg.fix_ports[0], "port_to": leg.fix_ports[1], "action": "allow", "protocol": "6"})
    return out


__all__ = ["Leg", "NaclVerdict", "Peer", "client_legs", "forward_legs", "judge", "server_legs"]
