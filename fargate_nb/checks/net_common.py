"""Shared pieces of the `net.*` checks: gating on evidence, finding helpers, address arithmetic.

Holds no check of its own. Security groups are stateful and allow-only, so a rule set admits a flow
when the union of its matching rules covers the flow; network ACLs are stateless and ordered, so each
direction is decided by the first matching entry (see `nacl_decide`).
"""

from __future__ import annotations

import ipaddress
import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from fargate_nb import netpath
from fargate_nb.model import Finding, Remediation, Snapshot
from fargate_nb.pullflow import Destination, PullPlan

Net = ipaddress.IPv4Network
HTTPS = 443
ALL_IPV4 = ipaddress.IPv4Network("0.0.0.0/0")
PRIVATE_V4 = tuple(ipaddress.IPv4Network(c) for c in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                                                        "100.64.0.0/10"))
#: The ports a client picks for its side of a connection (AWS VPC guide, "Ephemeral ports").
LINUX_EPHEMERAL = (32768, 61000)
WINDOWS_EPHEMERAL = (49152, 65535)
NAT_EPHEMERAL = (1024, 65535)  # a NAT gateway's source ports; also the range the fixes open


def q(value: Any) -> str:
    """Shell-quote an id taken from the evidence (it is shown as a command the user may paste)."""
    return shlex.quote(str(value))


def network_findings(snapshot: Snapshot, plan: PullPlan, check_id: str, title: str,
                     needs: Iterable[str] = ()) -> tuple[list[Destination], list[Finding]]:
    """Destinations to evaluate, or the findings that replace an evaluation (skipped / unknown)."""
    if not netpath.network(snapshot):
        return [], [Finding(check_id, "skipped", None, title,
                            detail="no awsvpc network evidence: the task uses no VPC network of its own")]
    if not plan.destinations:
        return [], [Finding(check_id, "skipped", None, title, detail="the task needs no network destination")]
    missing = netpath.missing_evidence(snapshot, *needs)
    if missing:
        findings = []
        for dest in plan.destinations:
            key, permission = next(iter(missing.items()))
            findings.append(Finding(
                check_id, "unknown", dest.step, f"{title}: {dest.target} (not readable)", target=dest.target,
                detail=f"could not read {', '.join(missing)} (needs {', '.join(sorted(set(missing.values())))}); "
                       f"cannot tell whether {dest.target} is reachable this way",
                evidence=[f"missing evidence: {k} ({v})" for k, v in missing.items()],
                missing_permission=permission, severity="medium"))
        return [], findings
    return list(plan.destinations), []


def unknown_for_path(check_id: str, title: str, dest: Destination, path: netpath.NetPath) -> Finding:
    """An `unknown` finding when the path itself is unknown (evidence missing or a deleted resource)."""
    permission = next((netpath.EVIDENCE_APIS[k] for k in path.missing), None)
    return Finding(check_id, "unknown", dest.step, f"{title}: {dest.target} (path unknown)", target=dest.target,
                   detail=path.detail, evidence=[f"path: {path.kind}"], missing_permission=permission,
                   severity="medium")


def make(check_id: str, status: str, dest: Destination, title: str, detail: str, *,
         evidence: list[str] | None = None, remediation: Remediation | None = None,
         doc_url: str | None = None, severity: str = "high") -> Finding:
    return Finding(check_id, status, dest.step, title, detail=detail, target=dest.target,
                   evidence=evidence or [], remediation=remediation, doc_url=doc_url, severity=severity)


def worst(statuses: Iterable[str]) -> str:
    order = ("fail", "unknown", "warn", "pass")
    found = set(statuses)
    return next((s for s in order if s in found), "pass")


# -- addresses -----------------------------------------------------------------------------------
def to_net(cidr: Any) -> Net | None:
    """An IPv4 network from a CIDR string; None for IPv6 or garbage (never raises)."""
    try:
        net = ipaddress.ip_network(str(cidr), strict=False)
    except ValueError:
        return None
    return net if isinstance(net, ipaddress.IPv4Network) else None


def uncovered(required: Net, allowed: Iterable[Net]) -> list[Net]:
    """The parts of ``required`` that no network in ``allowed`` covers."""
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


def is_public(net: Net) -> bool:
    return not any(net.subnet_of(p) for p in PRIVATE_V4)


def public_space() -> list[Net]:
    """IPv4 minus the private ranges: where a service behind NAT or the internet gateway may live."""
    return uncovered(ALL_IPV4, PRIVATE_V4)


def subnet_cidr(snapshot: Snapshot, subnet_id: str) -> Net | None:
    return to_net((netpath.subnet(snapshot, subnet_id) or {}).get("CidrBlock"))


def vpc_cidrs(snapshot: Snapshot) -> list[Net]:
    """The VPC's IPv4 CIDR blocks (primary and associated)."""
    vpc = netpath.network(snapshot).get("vpc")
    if not isinstance(vpc, dict):
        return []
    blocks = [vpc.get("CidrBlock")] + [a.get("CidrBlock") for a in netpath.dicts(vpc.get("CidrBlockAssociationSet"))
                                       if str((a.get("CidrBlockState") or {}).get("State") or "associated") == "associated"]
    return list(dict.fromkeys(n for n in (to_net(b) for b in blocks if b) if n))


def task_ephemeral(snapshot: Snapshot) -> tuple[int, int]:
    family = str(((snapshot.task_definition or {}).get("runtimePlatform") or {}).get("operatingSystemFamily") or "")
    return WINDOWS_EPHEMERAL if family.upper().startswith("WINDOWS") else LINUX_EPHEMERAL


def s3_prefix_cidrs(snapshot: Snapshot) -> tuple[str | None, list[Net] | None]:
    """(prefix list id, its CIDRs) for the region's S3 prefix list; None parts when not read."""
    pl = netpath.s3_prefix_list(snapshot)
    if not pl:
        return None, None
    cidrs = [n for n in (to_net(c) for c in pl.get("Cidrs") or []) if n]
    return pl.get("PrefixListId"), cidrs or None


# -- security groups -----------------------------------------------------------------------------------
def perm_covers_port(perm: dict[str, Any], port: int = HTTPS) -> bool:
    proto = str(perm.get("IpProtocol", "")).lower()
    if proto in ("-1", "all"):
        return True
    if proto not in ("tcp", "6"):
        return False
    lo, hi = perm.get("FromPort"), perm.get("ToPort")
    return isinstance(lo, int) and isinstance(hi, int) and (lo == -1 or lo <= port <= hi)


@dataclass
class SgSources:
    """What a set of security-group rules allows for one port: groups, CIDRs, prefix lists."""

    groups: dict[str, str]  # group id -> "sg-…: rule description"
    cidrs: list[tuple[Net, str]]
    prefix_lists: dict[str, str]


def sg_sources(groups: list[dict[str, Any]], direction: str, port: int = HTTPS) -> SgSources:
    key = "IpPermissions" if direction == "ingress" else "IpPermissionsEgress"
    out = SgSources({}, [], {})
    for g in groups:
        gid = g.get("GroupId")
        for perm in netpath.dicts(g.get(key)):
            if not perm_covers_port(perm, port):
                continue
            proto = perm.get("IpProtocol")
            what = "all traffic" if str(proto) == "-1" else f"tcp {perm.get('FromPort')}-{perm.get('ToPort')}"
            for pair in netpath.dicts(perm.get("UserIdGroupPairs")):
                if pair.get("GroupId"):
                    out.groups.setdefault(pair["GroupId"], f"{gid} {direction}: {what} {pair['GroupId']}")
            for rng in netpath.dicts(perm.get("IpRanges")):
                net = to_net(rng.get("CidrIp"))
                if net:
                    out.cidrs.append((net, f"{gid} {direction}: {what} {net}"))
            for pl in netpath.dicts(perm.get("PrefixListIds")):
                if pl.get("PrefixListId"):
                    out.prefix_lists.setdefault(pl["PrefixListId"], f"{gid} {direction}: {what} {pl['PrefixListId']}")
    return out


def cidr_coverage(sources: SgSources, required: list[Net]) -> tuple[list[Net], list[str]]:
    """(the required networks not fully covered, the rules that cover the rest)."""
    nets = [n for n, _ in sources.cidrs]
    missing = [r for r in required if uncovered(r, nets)]
    used = sorted({why for n, why in sources.cidrs if any(r.overlaps(n) for r in required)})
    return missing, used


# -- network ACLs --------------------------------------------------------------------------------------
@dataclass
class NaclVerdict:
    allowed: bool
    entry: dict[str, Any] | None  # the first entry that denies part of the flow (None: all allowed/implicit)
    allows: list[dict[str, Any]]  # allow entries that matched part of the flow, in order

    @property
    def rule(self) -> str:
        if self.entry is None:
            return "the implicit * rule (deny)"
        number = self.entry.get("RuleNumber")
        return "rule * (deny)" if number == 32767 else f"rule {number} (deny)"


def _entry_ports(entry: dict[str, Any]) -> tuple[int, int] | None:
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


def nacl_entries(acl: dict[str, Any], egress: bool) -> list[dict[str, Any]]:
    entries = [e for e in netpath.dicts(acl.get("Entries")) if bool(e.get("Egress")) is egress
               and isinstance(e.get("RuleNumber"), int) and e.get("CidrBlock")]
    return sorted(entries, key=lambda e: e["RuleNumber"])


def nacl_decide(acl: dict[str, Any], egress: bool, peer: Net, ports: tuple[int, int]) -> NaclVerdict:
    """Decide TCP traffic to/from every address of ``peer`` on every port of ``ports``, first match wins.

    The flow is a rectangle (addresses x ports); each entry in rule-number order takes the part it
    matches. An allow removes that part; a deny on any remaining part blocks the flow.
    """
    remaining = [(int(peer.network_address), int(peer.broadcast_address), ports[0], ports[1])]
    allows: list[dict[str, Any]] = []
    for entry in nacl_entries(acl, egress):
        eports, enet = _entry_ports(entry), to_net(entry.get("CidrBlock"))
        if eports is None or enet is None:
            continue
        rect = (int(enet.network_address), int(enet.broadcast_address), eports[0], eports[1])
        hit = [r for r in remaining if _overlap(r, rect)]
        if not hit:
            continue
        if str(entry.get("RuleAction", "")).lower() != "allow":
            return NaclVerdict(False, entry, allows)
        allows.append(entry)
        remaining = [piece for r in remaining for piece in _subtract(r, rect)]
        if not remaining:
            return NaclVerdict(True, None, allows)
    return NaclVerdict(not remaining, None, allows)


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1] and a[2] <= b[3] and b[2] <= a[3]


def _subtract(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> list[tuple[int, int, int, int]]:
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
    """A rule number not in use, lower than the blocking entry (so the new allow is evaluated first)."""
    used = {e.get("RuleNumber") for e in nacl_entries(acl, egress)} | taken
    ceiling = min(below if below is not None else 32767, 32767) - 1
    round_first = [n for n in range(ceiling, 0, -1) if n % 10 == 0]
    return next((n for n in (*round_first, *range(ceiling, 0, -1)) if n not in used), None)
