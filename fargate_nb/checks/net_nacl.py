"""Network check, part 4: do the network ACLs on the path let HTTPS out and the replies back in?

Network ACLs are stateless and apply at subnet boundaries, so a connection is checked as *legs*: one
direction at one boundary. For the task subnet: out on 443 to the peer, in on the client's ephemeral
ports from it. An interface endpoint's subnets see the mirror image; a NAT gateway's subnet sees the
task on one side and the internet on the other (the NAT's own source ports are 1024-65535). Traffic
inside one subnet crosses no ACL. Each direction is decided by the first matching entry in rule-number
order (`net_common.nacl_decide`).

When the exact peer addresses are not known (a public service behind NAT, an endpoint subnet that is
not in the evidence), the leg is judged over the space the peer lies in: all allowed passes, nothing
allowed fails, anything in between is `unknown` (verify by hand).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fargate_nb import netpath
from fargate_nb.checks.net_common import (
    ALL_IPV4,
    HTTPS,
    NAT_EPHEMERAL,
    Net,
    free_rule_number,
    make,
    nacl_decide,
    network_findings,
    public_space,
    q,
    s3_prefix_cidrs,
    subnet_cidr,
    task_ephemeral,
    unknown_for_path,
    vpc_cidrs,
    worst,
)
from fargate_nb.checks.registry import check
from fargate_nb.model import Finding, Remediation, Snapshot
from fargate_nb.pullflow import Destination, PullPlan

NACL_DOC = "https://docs.aws.amazon.com/vpc/latest/userguide/vpc-network-acls.html"
TITLE = "Network ACLs let HTTPS out and the replies back in"
EVIDENCE = ("subnets", "route_tables", "network_acls")


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


@dataclass
class Peer:
    """The far side of a leg, as precisely as the evidence allows."""

    nets: list[Net]
    label: str
    exact: bool = True
    fix_cidrs: tuple[Net, ...] = ()


@check("net.nacl", None, TITLE, doc_url=NACL_DOC)
def nacl(snapshot: Snapshot, plan: PullPlan) -> list[Finding]:
    dests, early = network_findings(snapshot, plan, "net.nacl", TITLE, EVIDENCE)
    return early + [_nacl(snapshot, d) for d in dests]


def _pair(subnet_id: str, peer: Peer, eph: tuple[int, int], reply_to: str = "") -> list[Leg]:
    """Out on 443 to ``peer`` and the replies back in, at ``subnet_id`` (the client side)."""
    extra = {"exact": peer.exact, "fix_cidrs": peer.fix_cidrs}
    return [Leg(subnet_id, True, peer.nets, (HTTPS, HTTPS), f"{subnet_id} out: tcp 443 to {peer.label}", **extra),
            Leg(subnet_id, False, peer.nets, eph, f"{subnet_id} in: replies from {peer.label} to ports "
                f"{eph[0]}-{eph[1]}{reply_to}", NAT_EPHEMERAL, **extra)]


def _mirror(subnet_id: str, client: Net, eph: tuple[int, int], role: str) -> list[Leg]:
    """The server side (endpoint or NAT subnet): 443 in from the task subnet, replies out to it."""
    return [Leg(subnet_id, False, [client], (HTTPS, HTTPS), f"{subnet_id} ({role}) in: tcp 443 from {client}"),
            Leg(subnet_id, True, [client], eph, f"{subnet_id} ({role}) out: replies to {client}", NAT_EPHEMERAL)]


def legs_for(snapshot: Snapshot, path: netpath.NetPath, target: str) -> list[Leg] | None:
    """The boundary crossings of one path (None when the task subnet's CIDR is not known)."""
    task_subnet = path.subnet_id or ""
    task_net = subnet_cidr(snapshot, task_subnet)
    if task_net is None:
        return None
    eph = task_ephemeral(snapshot)
    if path.kind == "interface-endpoint" and path.endpoint:
        legs: list[Leg] = []
        for es in path.endpoint.get("SubnetIds") or []:
            if es == task_subnet:
                continue  # traffic inside one subnet crosses no network ACL
            legs += _pair(task_subnet, _endpoint_peer(snapshot, es), eph)
            legs += _mirror(es, task_net, eph, "endpoint")
        return legs
    public = Peer(public_space(), "the internet", exact=False, fix_cidrs=(ALL_IPV4,))
    if target == "s3":
        pl_id, pl_nets = s3_prefix_cidrs(snapshot)
        if pl_nets:
            public = Peer(pl_nets, f"the S3 prefix list {pl_id}")
        else:
            public = Peer(public.nets, "S3 (its prefix list was not read)", exact=False, fix_cidrs=(ALL_IPV4,))
    legs = _pair(task_subnet, public, eph)
    nat_subnet = (path.nat_gateway or {}).get("SubnetId") if path.kind == "nat" else None
    if nat_subnet and nat_subnet != task_subnet:
        legs += _mirror(nat_subnet, task_net, eph, "NAT")
        legs += [Leg(nat_subnet, True, public.nets, (HTTPS, HTTPS), f"{nat_subnet} (NAT) out: tcp 443 to {public.label}",
                     exact=public.exact, fix_cidrs=public.fix_cidrs),
                 Leg(nat_subnet, False, public.nets, NAT_EPHEMERAL, f"{nat_subnet} (NAT) in: replies from "
                     f"{public.label} to ports 1024-65535", NAT_EPHEMERAL, exact=public.exact,
                     fix_cidrs=public.fix_cidrs)]
    return legs


def _endpoint_peer(snapshot: Snapshot, subnet_id: str) -> Peer:
    net = subnet_cidr(snapshot, subnet_id)
    if net is not None:
        return Peer([net], f"endpoint subnet {subnet_id} ({net})")
    vpc = vpc_cidrs(snapshot)
    return Peer(vpc or [ALL_IPV4], f"endpoint subnet {subnet_id} (CIDR not read; somewhere in the VPC)",
                exact=False, fix_cidrs=tuple(vpc or [ALL_IPV4]))


def _nacl(snapshot: Snapshot, dest: Destination) -> Finding:
    paths = netpath.resolve_all(snapshot, dest)
    unknown = next((p for p in paths if p.kind == "unknown"), None)
    if unknown:
        return unknown_for_path("net.nacl", TITLE, dest, unknown)
    live = [p for p in paths if p.kind != "none"]
    if not live:
        return make("net.nacl", "skipped", dest, f"No path to {dest.target} to check",
                    f"{paths[0].detail} (see net.no-route)")
    statuses, evidence, entries = [], [], []
    taken: dict[tuple[str, bool], set[int]] = {}
    for path in live:
        legs = legs_for(snapshot, path, dest.target)
        if legs is None:
            statuses.append("unknown")
            evidence.append(f"the CIDR of task subnet {path.subnet_id} is not in the evidence")
            continue
        for leg in legs:
            status, text, fixes = decide_leg(snapshot, leg, taken)
            statuses.append(status)
            evidence.append(text)
            entries.extend(fixes)
    status = worst(statuses)
    if status == "pass":
        return make("net.nacl", "pass", dest, f"Network ACLs allow HTTPS to {dest.target} and back",
                    f"{len(evidence)} boundary crossings allowed", evidence=evidence)
    if status == "unknown":
        return make("net.nacl", "unknown", dest, f"Network ACLs on the way to {dest.target} undecided",
                    "; ".join(e for e in evidence if "only part" in e or "not in the evidence" in e)
                    or "some peer addresses are not known here; verify the rules by hand",
                    evidence=evidence, severity="medium")
    return make("net.nacl", "fail", dest, f"A network ACL blocks HTTPS to {dest.target} or its replies",
                "; ".join(e for e in evidence if ": blocked by " in e), evidence=evidence, doc_url=NACL_DOC,
                remediation=_remediation(entries))


def decide_leg(snapshot: Snapshot, leg: Leg, taken: dict[tuple[str, bool], set[int]]
               ) -> tuple[str, str, list[dict[str, Any]]]:
    """(status, evidence line, fix entries) for one leg."""
    acl = netpath.network_acl_for(snapshot, leg.subnet_id)
    if acl is None:
        return "unknown", f"{leg.why}: no network ACL for {leg.subnet_id} is in the evidence", []
    aid = str(acl.get("NetworkAclId") or "ACL_ID")
    verdicts = [(peer, nacl_decide(acl, leg.egress, peer, leg.ports)) for peer in leg.peers]
    denied = [(peer, v) for peer, v in verdicts if not v.allowed]
    if not denied:
        return "pass", f"{leg.why}: allowed by {aid}", []
    rules = ", ".join(dict.fromkeys(v.rule for _, v in denied))
    if not leg.exact:
        if any(v.allowed or v.allows for _, v in verdicts):  # part of the space passes, part does not
            return "unknown", f"{leg.why}: {aid} allows only part of the possible addresses ({rules} blocks the rest)", []
        below = min(_below(v) for _, v in denied)
        return "fail", f"{leg.why}: blocked by {aid} {rules}", \
            _entries(acl, aid, leg, list(leg.fix_cidrs or leg.peers), below, taken)
    fixes = [e for peer, v in denied for e in _entries(acl, aid, leg, [peer], _below(v), taken)]
    return "fail", f"{leg.why}: blocked by {aid} " + ", ".join(f"{v.rule} for {p}" for p, v in denied), fixes


def _below(verdict: Any) -> int:
    number = verdict.entry.get("RuleNumber") if verdict.entry else None
    return number if isinstance(number, int) else 32767


def _entries(acl: dict[str, Any], aid: str, leg: Leg, nets: list[Net], below: int,
             taken: dict[tuple[str, bool], set[int]]) -> list[dict[str, Any]]:
    """Allow entries numbered before the blocking rule, so they are evaluated first."""
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


def _remediation(entries: list[dict[str, Any]]) -> Remediation:
    commands = [
        f"aws ec2 create-network-acl-entry --network-acl-id {q(e['nacl_id'])} "
        f"{'--egress' if e['egress'] else '--ingress'} --rule-number {e['rule_number']} --protocol tcp "
        f"--port-range From={e['port_from']},To={e['port_to']} --cidr-block {q(e['cidr'])} --rule-action allow"
        for e in entries]
    fix = ({"op": "add_nacl_entry", **entries[0]} if len(entries) == 1 else
           {"op": "add_nacl_entries", "entries": entries} if entries else None)
    return Remediation(summary="Add network ACL entries, numbered before the blocking rule: HTTPS out, and the "
                               "ephemeral return ports 1024-65535 in (1024-65535 also covers a NAT gateway)",
                       commands=commands or ["no free rule number is left below the blocking rule: replace it with "
                                             "aws ec2 replace-network-acl-entry"], fix=fix)
