"""Network checks, part 2: do security groups let HTTPS through on the resolved path?

`net.endpoint-sg` (the interface endpoint admits 443 from the task) and `net.task-sg-egress` (the
task lets 443 out to the endpoint, to the S3 prefix list, or to the internet). The coverage rules
(stateful, allow-only, by group, CIDR or prefix list) are the engine's
(`fargate_nb.reach.security_groups`); these checks say which peers the task's path needs.
"""

from __future__ import annotations

from typing import Any

from fargate_nb import netpath
from fargate_nb.checks.net_findings import make, network_findings, q, unknown_for_path
from fargate_nb.checks.registry import check
from fargate_nb.model import Finding, Remediation, Snapshot
from fargate_nb.pullflow import Destination, PullPlan
from fargate_nb.reach.cidrs import ALL_IPV4, Net, is_public, to_net
from fargate_nb.reach.ports import HTTPS
from fargate_nb.reach.security_groups import (
    Allowed,
    admits_groups,
    allowed_peers,
    cidr_coverage,
    group_ids,
    groups_by_id,
    referenced_prefix_list_cidrs,
    rules_text,
)

PATH_EVIDENCE = ("subnets", "route_tables")


def _sg_rule_cmd(direction: str, group: str, *, source_group: str | None = None, cidr: str | None = None,
                 prefix_list_id: str | None = None) -> str:
    if direction == "ingress" and (source_group or cidr):
        src = f"--source-group {q(source_group)}" if source_group else f"--cidr {q(cidr)}"
        return f"aws ec2 authorize-security-group-ingress --group-id {q(group)} --protocol tcp --port 443 {src}"
    if source_group:
        peer = f"UserIdGroupPairs=[{{GroupId={source_group}}}]"
    elif prefix_list_id:
        peer = f"PrefixListIds=[{{PrefixListId={prefix_list_id}}}]"
    elif cidr and ":" in cidr:
        peer = f"Ipv6Ranges=[{{CidrIpv6={cidr}}}]"
    else:
        peer = f"IpRanges=[{{CidrIp={cidr}}}]"
    verb = "ingress" if direction == "ingress" else "egress"
    return (f"aws ec2 authorize-security-group-{verb} --group-id {q(group)} "
            f"--ip-permissions {q(f'IpProtocol=tcp,FromPort=443,ToPort=443,{peer}')}")


def _groups(snapshot: Snapshot, ids: list[str]) -> tuple[list[dict[str, Any]], list[str]]:
    return groups_by_id(netpath.network(snapshot).get("security_groups"), ids)


# -- net.endpoint-sg -----------------------------------------------------------------------------------
@check("net.endpoint-sg")
def endpoint_sg(snapshot: Snapshot, plan: PullPlan) -> list[Finding]:
    dests, early = network_findings(snapshot, plan, "net.endpoint-sg", (*PATH_EVIDENCE, "security_groups"))
    return early + [_endpoint_sg(snapshot, d) for d in dests]


def _endpoint_sg(snapshot: Snapshot, dest: Destination) -> Finding:
    paths = netpath.resolve_all(snapshot, dest)
    via = [p for p in paths if p.kind == "interface-endpoint" and p.endpoint]
    if not via:
        unknown = next((p for p in paths if p.kind == "unknown"), None)
        if unknown:
            return unknown_for_path("net.endpoint-sg", dest, unknown)
        return make("net.endpoint-sg", "skipped", dest, f"{dest.key} is not reached through an interface endpoint",
                    paths[0].detail)
    ep = via[0].endpoint or {}
    eid = ep.get("VpcEndpointId") or "VPCE_ID"
    ep_groups = group_ids(ep)
    groups, unread = _groups(snapshot, ep_groups)
    task_sgs = netpath.task_security_group_ids(snapshot)
    src = allowed_peers(groups, "ingress")
    ev = [f"{eid} security groups: {', '.join(ep_groups) or 'none'}"]
    by_group = admits_groups(src, task_sgs)
    if by_group:
        return make("net.endpoint-sg", "pass", dest, f"{eid} admits HTTPS from the task's security group",
                    by_group[0], evidence=ev + by_group)
    subnets = [p.subnet_id for p in via if p.subnet_id]
    required = [n for n in (netpath.subnet_cidr(snapshot, s) for s in subnets) if n]
    pl_nets = referenced_prefix_list_cidrs(src, netpath.network(snapshot).get("prefix_lists"))
    missing, used = cidr_coverage(src, required)
    if pl_nets:
        missing = [m for m in missing if not any(m.subnet_of(n) for n in pl_nets)]
    if required and not missing:
        return make("net.endpoint-sg", "pass", dest, f"{eid} admits HTTPS from the task subnet",
                    f"{', '.join(map(str, required))} is covered", evidence=ev + used)
    ip = netpath.task_private_ip(snapshot)
    ip_net = to_net(f"{ip}/32") if ip else None
    if ip_net and not uncovered_any(ip_net, src, pl_nets):
        return make("net.endpoint-sg", "warn", dest, f"{eid} admits this task's IP only",
                    f"the rules cover {ip} but not all of {', '.join(map(str, required))}: replacement tasks may get "
                    "addresses the endpoint refuses", evidence=ev + used,
                    remediation=_endpoint_sg_fix(eid, ep_groups, task_sgs, required))
    if not netpath.task_security_groups_known(snapshot) and src.groups:
        return make("net.endpoint-sg", "unknown", dest, f"Task security groups unknown ({dest.key})",
                    f"{eid} admits tcp 443 from security groups {', '.join(sorted(src.groups))}; the task's own "
                    "groups are not in the evidence (its network interface is gone), so whether it is one of them "
                    "cannot be told", evidence=ev + list(src.groups.values()))
    if unread or (src.prefix_lists and not pl_nets):
        return make("net.endpoint-sg", "unknown", dest, f"{eid}'s security groups not fully readable",
                    f"could not read {', '.join(unread) or 'the prefix lists its rules use'}", evidence=ev,
                    missing_permission="ec2:DescribeSecurityGroups" if unread else "ec2:GetManagedPrefixListEntries")
    return make("net.endpoint-sg", "fail", dest, f"Endpoint {eid} refuses HTTPS from the task",
                f"no inbound rule of {', '.join(ep_groups) or '(no group)'} admits tcp 443 from the task's security "
                f"groups ({', '.join(task_sgs) or 'none'}) or subnet {', '.join(map(str, required))}; connections to "
                f"{dest.key} time out", evidence=ev + rules_text(groups, "ingress"),
                remediation=_endpoint_sg_fix(eid, ep_groups, task_sgs, required))


def uncovered_any(net: Net, src: Allowed, extra: list[Net]) -> bool:
    missing, _ = cidr_coverage(src, [net])
    return bool(missing) and not any(net.subnet_of(n) for n in extra)


def _endpoint_sg_fix(eid: str, group_ids: list[str], task_sgs: list[str], required: list[Net]) -> Remediation | None:
    if not group_ids:
        return Remediation(summary=f"Attach a security group admitting tcp 443 from the task to {eid}",
                           commands=[f"aws ec2 modify-vpc-endpoint --vpc-endpoint-id {q(eid)} "
                                     "--add-security-group-ids ENDPOINT_SG_ID"])
    group = group_ids[0]
    if task_sgs:
        fix = {"op": "authorize_sg_rule", "group_id": group, "direction": "ingress", "port": HTTPS,
               "source_group": task_sgs[0]}
        cmd = _sg_rule_cmd("ingress", group, source_group=task_sgs[0])
    elif required:
        fix = {"op": "authorize_sg_rule", "group_id": group, "direction": "ingress", "port": HTTPS,
               "cidr": str(required[0])}
        cmd = _sg_rule_cmd("ingress", group, cidr=str(required[0]))
    else:
        return None
    return Remediation(summary=f"Allow tcp 443 into {group} (on {eid}) from the task", commands=[cmd], fix=fix)


# -- net.task-sg-egress --------------------------------------------------------------------------------
@check("net.task-sg-egress")
def task_sg_egress(snapshot: Snapshot, plan: PullPlan) -> list[Finding]:
    dests, early = network_findings(snapshot, plan, "net.task-sg-egress", (*PATH_EVIDENCE, "security_groups"))
    return early + [_task_egress(snapshot, d) for d in dests]


def _task_egress(snapshot: Snapshot, dest: Destination) -> Finding:
    path = netpath.resolve(snapshot, dest)
    if path.kind == "unknown":
        return unknown_for_path("net.task-sg-egress", dest, path)
    if path.kind == "none":
        return make("net.task-sg-egress", "skipped", dest, f"No path to {dest.key} to check",
                    f"{path.detail} (see net.no-route)")
    if not netpath.task_security_groups_known(snapshot):
        return make("net.task-sg-egress", "unknown", dest, f"Task security groups unknown ({dest.key})",
                    "the task's security groups are not in the evidence (its network interface is gone and no "
                    "service names them)", evidence=[f"path: {path.kind} — {path.detail}"])
    task_sgs = netpath.task_security_group_ids(snapshot)
    groups, unread = _groups(snapshot, task_sgs)
    src = allowed_peers(groups, "egress")
    ev = [f"path: {path.kind} — {path.detail}", *rules_text(groups, "egress")]
    first = task_sgs[0] if task_sgs else "TASK_SG_ID"
    status, detail, fix_kw = _egress_verdict(snapshot, dest, path, src)
    if status == "fail" and unread:
        status, detail = "unknown", f"{detail}; security groups {', '.join(unread)} could not be read"
    if status == "pass":
        return make("net.task-sg-egress", "pass", dest, f"The task may send HTTPS to {dest.key}", detail,
                    evidence=ev)
    if status == "unknown":
        return make("net.task-sg-egress", "unknown", dest, f"Task egress to {dest.key} undecided", detail,
                    evidence=ev, missing_permission="ec2:DescribeSecurityGroups" if unread else None)
    remediation = Remediation(
        summary=f"Allow tcp 443 out of {first} to {next(iter(fix_kw.values()))}",
        commands=[_sg_rule_cmd("egress", first, **fix_kw)],
        fix={"op": "authorize_sg_rule", "group_id": first, "direction": "egress", "port": HTTPS, **fix_kw})
    return make("net.task-sg-egress", "fail", dest, f"The task's security groups block HTTPS to {dest.key}",
                detail, evidence=ev, remediation=remediation)


def _egress_verdict(snapshot: Snapshot, dest: Destination, path: netpath.NetPath,
                    src: Allowed) -> tuple[str, str, dict[str, str]]:
    """(status, detail, arguments of the rule that would fix it)."""
    if path.ipv6:  # ::/0 to an egress-only or internet gateway: the IPv6 rules (Ipv6Ranges) decide
        covering = src.all_ipv6()
        if covering:
            return "pass", f"outbound tcp 443 to ::/0 is allowed ({'; '.join(covering)})", {}
        return "fail", (f"no outbound rule allows tcp 443 to ::/0 (IPv6), which {path.kind} traffic to {dest.key} "
                        "needs"), {"cidr": "::/0"}
    if path.kind == "interface-endpoint" and path.endpoint:
        eid = path.endpoint.get("VpcEndpointId")
        ep_groups = group_ids(path.endpoint)
        hit = admits_groups(src, ep_groups)
        if hit:
            return "pass", f"{hit[0]} (the security group of {eid})", {}
        subnets = [s for s in path.endpoint.get("SubnetIds") or [] if isinstance(s, str)]
        nets = [n for n in (netpath.subnet_cidr(snapshot, s) for s in subnets) if n]
        if len(nets) < len(subnets):  # endpoint subnets not in the evidence: judge by the VPC's space
            vpc = netpath.vpc_cidrs(snapshot)
            missing, used = cidr_coverage(src, vpc)
            if vpc and not missing:
                return "pass", f"{'; '.join(used)} cover the whole VPC, where {eid} lives", {}
            if used:
                return "unknown", (f"outbound 443 is allowed to part of the VPC ({'; '.join(used)}); the subnets of "
                                   f"{eid} are not in the evidence, so whether they are covered cannot be told"), {}
            nets = vpc
        missing, used = cidr_coverage(src, nets)
        if nets and not missing:
            return "pass", f"{'; '.join(used)} cover {eid}'s subnets", {}
        part = f" (only part: {', '.join(map(str, missing))} uncovered)" if used else ""
        fix = {"source_group": ep_groups[0]} if ep_groups else {"cidr": str(nets[0]) if nets else "0.0.0.0/0"}
        return "fail", (f"no outbound rule allows tcp 443 to {eid} (its security groups {', '.join(ep_groups)} or "
                        f"its subnets {', '.join(map(str, nets))}){part}"), fix
    if dest.target == "s3" and not dest.remote:  # the prefix list read is this region's S3
        pl_id, pl_nets = netpath.s3_prefix_cidrs(snapshot)
        pl_id = pl_id or (path.route or {}).get("DestinationPrefixListId")
        if pl_id and pl_id in src.prefix_lists:
            return "pass", f"{src.prefix_lists[pl_id]} (the S3 prefix list)", {}
        if not cidr_coverage(src, [ALL_IPV4])[0]:
            return "pass", "outbound tcp 443 to 0.0.0.0/0 is allowed", {}
        if pl_nets:
            missing, used = cidr_coverage(src, pl_nets)
            if not missing:
                return "pass", f"{'; '.join(used)} cover every CIDR of {pl_id}", {}
            fix = {"prefix_list_id": pl_id} if pl_id else {"cidr": "0.0.0.0/0"}
            return "fail", (f"no outbound rule allows tcp 443 to the S3 prefix list {pl_id} (the gateway endpoint's "
                            f"destination); {len(missing)} of its {len(pl_nets)} CIDRs are not covered"), fix
        if pl_id and (src.cidrs or src.prefix_lists):
            return "unknown", f"the CIDRs of {pl_id} were not read; cannot tell whether the rules cover them", {}
        fix = {"prefix_list_id": pl_id} if pl_id else {"cidr": "0.0.0.0/0"}
        return "fail", "no outbound rule allows tcp 443 to the S3 prefix list or to 0.0.0.0/0", fix
    if not cidr_coverage(src, [ALL_IPV4])[0]:
        return "pass", "outbound tcp 443 to 0.0.0.0/0 is allowed", {}
    public = [why for n, why in src.cidrs if is_public(n)]
    if public or src.prefix_lists or path.kind == "opaque":
        return "unknown", (f"outbound 443 is allowed only to some addresses ({'; '.join(public) or 'prefix lists'}); "
                           f"{dest.key}'s addresses are not known here: verify they are covered"), {}
    return "fail", f"no outbound rule allows tcp 443 to 0.0.0.0/0, which {path.kind} traffic to {dest.key} needs", \
        {"cidr": "0.0.0.0/0"}
