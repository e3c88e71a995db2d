"""`net.nacl`: do the network ACLs on the path let HTTPS out and the replies back in?

The engine (`fargate_nb.reach.legs`) judges each leg of the connection, one direction at one subnet
boundary, first match wins. This check says which legs the task's path has: out of the task subnet
to the peer and back; for an interface endpoint, the mirror image at each endpoint subnet; for a NAT
gateway, the task on one side of the NAT subnet and the internet on the other. The peer is the
endpoint subnet, the S3 prefix list (for the gateway endpoint), or, when not known exactly, the public
address space.
"""

from __future__ import annotations

from typing import Any

from fargate_nb import netpath
from fargate_nb.checks.net_findings import make, network_findings, q, unknown_for_path, worst
from fargate_nb.checks.registry import check
from fargate_nb.model import Finding, Remediation, Snapshot
from fargate_nb.pullflow import Destination, PullPlan
from fargate_nb.reach.cidrs import ALL_IPV4, ALL_IPV6, public_space
from fargate_nb.reach.legs import Leg, Peer, client_legs, forward_legs, judge, server_legs

EVIDENCE = ("subnets", "route_tables", "network_acls")


@check("net.nacl")
def nacl(snapshot: Snapshot, plan: PullPlan) -> list[Finding]:
    dests, early = network_findings(snapshot, plan, "net.nacl", EVIDENCE)
    return early + [_nacl(snapshot, d) for d in dests]


def legs_for(snapshot: Snapshot, path: netpath.NetPath, target: str) -> list[Leg] | None:
    """The boundary crossings of one path (None when the task subnet's CIDR is not known)."""
    task_subnet = path.subnet_id or ""
    task_net = netpath.subnet_cidr(snapshot, task_subnet)
    if task_net is None:
        return None
    eph = netpath.task_ephemeral(snapshot)
    if path.kind == "interface-endpoint" and path.endpoint:
        legs: list[Leg] = []
        for es in path.endpoint.get("SubnetIds") or []:
            if es == task_subnet:
                continue  # traffic inside one subnet crosses no network ACL
            legs += client_legs(task_subnet, _endpoint_peer(snapshot, es), eph)
            legs += server_legs(es, task_net, eph, "endpoint")
        return legs
    if path.ipv6:  # out ::/0 through an egress-only or internet gateway: the IPv6 entries decide
        return client_legs(task_subnet, Peer([ALL_IPV6], "the IPv6 internet", exact=False, fix_cidrs=(ALL_IPV6,)), eph)
    public = Peer(public_space(), "the internet", exact=False, fix_cidrs=(ALL_IPV4,))
    if target == "s3":
        pl_id, pl_nets = netpath.s3_prefix_cidrs(snapshot)
        if pl_nets:
            public = Peer(pl_nets, f"the S3 prefix list {pl_id}")
        else:
            public = Peer(public.nets, "S3 (its prefix list was not read)", exact=False, fix_cidrs=(ALL_IPV4,))
    legs = client_legs(task_subnet, public, eph)
    nat_subnet = (path.nat_gateway or {}).get("SubnetId") if path.kind == "nat" else None
    if nat_subnet and nat_subnet != task_subnet:
        legs += server_legs(nat_subnet, task_net, eph, "NAT")
        legs += forward_legs(nat_subnet, public, "NAT")
    return legs


def _endpoint_peer(snapshot: Snapshot, subnet_id: str) -> Peer:
    net = netpath.subnet_cidr(snapshot, subnet_id)
    if net is not None:
        return Peer([net], f"endpoint subnet {subnet_id} ({net})")
    vpc = netpath.vpc_cidrs(snapshot)
    return Peer(vpc or [ALL_IPV4], f"endpoint subnet {subnet_id} (CIDR not read; somewhere in the VPC)",
                exact=False, fix_cidrs=tuple(vpc or [ALL_IPV4]))


def _nacl(snapshot: Snapshot, dest: Destination) -> Finding:
    paths = netpath.resolve_all(snapshot, dest)
    unknown = next((p for p in paths if p.kind == "unknown"), None)
    if unknown:
        return unknown_for_path("net.nacl", dest, unknown)
    live = [p for p in paths if p.kind != "none"]
    if not live:
        return make("net.nacl", "skipped", dest, f"No path to {dest.key} to check",
                    f"{paths[0].detail} (see net.no-route)")
    statuses, evidence, entries = [], [], []
    taken: dict[tuple[str, bool], set[int]] = {}
    for path in live:
        legs = legs_for(snapshot, path, dest.key)  # S3 in another region is not this region's prefix list
        if legs is None:
            statuses.append("unknown")
            evidence.append(f"the CIDR of task subnet {path.subnet_id} is not in the evidence")
            continue
        for leg in legs:
            status, text, fixes = judge(netpath.network_acl_for(snapshot, leg.subnet_id), leg, taken)
            statuses.append(status)
            evidence.append(text)
            entries.extend(fixes)
    status = worst(statuses)
    if status == "pass":
        return make("net.nacl", "pass", dest, f"Network ACLs allow HTTPS to {dest.key} and back",
                    f"{len(evidence)} boundary crossings allowed", evidence=evidence)
    if status == "unknown":
        return make("net.nacl", "unknown", dest, f"Network ACLs on the way to {dest.key} undecided",
                    "; ".join(e for e in evidence if "only part" in e or "not in the evidence" in e)
                    or "some peer addresses are not known here; verify the rules by hand", evidence=evidence)
    return make("net.nacl", "fail", dest, f"A network ACL blocks HTTPS to {dest.key} or its replies",
                "; ".join(e for e in evidence if ": blocked by " in e), evidence=evidence,
                remediation=_remediation(entries))


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
