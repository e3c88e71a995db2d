"""Network checks, part 1: is there a way out to each destination of the pull, and does DNS find it?

`net.no-route`, `net.public-ip`, `net.endpoint-private-dns`, `net.s3-gateway-route`:
one finding per destination the task needs (``target`` set), decided on the path that
`fargate_nb.netpath` resolves. Importing this module also registers the security-group checks
(`net_traffic`), the network-ACL check (`net_nacl`), the endpoint-policy check (`net_policy`) and the
DNS check `net.vpc-dns` (`net_dns`).
"""

from __future__ import annotations

from fargate_nb import netpath
from fargate_nb.checks import net_dns, net_nacl, net_policy, net_traffic  # noqa: F401  (register their checks)
from fargate_nb.checks.net_findings import interface_endpoints, make, network_findings, q, unknown_for_path
from fargate_nb.checks.registry import check
from fargate_nb.model import Finding, Remediation, Snapshot
from fargate_nb.pullflow import Destination, PullPlan
from fargate_nb.reach.security_groups import admits_groups, allowed_peers

PATH_EVIDENCE = ("subnets", "route_tables")
# Bypassed endpoints that a configuration change would put back on the path (other checks own them).
_FIXABLE_BYPASS = {"private-dns-off": "net.endpoint-private-dns", "vpc-dns-off": "net.vpc-dns",
                   "not-on-route-table": "net.s3-gateway-route"}


def _paths(snapshot: Snapshot, dest: Destination) -> netpath.NetPath:
    return netpath.resolve(snapshot, dest)


# -- net.no-route -----------------------------------------------------------------------------------
@check("net.no-route")
def no_route(snapshot: Snapshot, plan: PullPlan) -> list[Finding]:
    dests, early = network_findings(snapshot, plan, "net.no-route", PATH_EVIDENCE)
    return early + [_no_route(snapshot, d) for d in dests]


def _no_route(snapshot: Snapshot, dest: Destination) -> Finding:
    path = _paths(snapshot, dest)
    ev = [f"path from {path.subnet_id}: {path.kind} — {path.detail}"]
    ev += [f"bypassed: {b.detail}" for b in path.bypassed]
    if path.kind == "unknown":
        return unknown_for_path("net.no-route", dest, path)
    if path.kind == "opaque":
        return make("net.no-route", "unknown", dest, f"Cannot see past the default route to {dest.key}",
                    path.detail, evidence=ev)
    if path.works is not False or path.kind == "internet":
        via = path.detail if path.kind != "internet" else f"{path.detail} (see net.public-ip)"
        return make("net.no-route", "pass", dest, f"{dest.key} has a way out", via, evidence=ev)
    fixable = [b for b in path.bypassed if b.reason in _FIXABLE_BYPASS]
    if fixable:
        b = fixable[0]
        return make("net.no-route", "pass", dest, f"{dest.key} has an endpoint, blocked by its configuration",
                    f"{b.detail}; {_FIXABLE_BYPASS[b.reason]} says what to change", evidence=ev)
    return make("net.no-route", "fail", dest, f"No network path to {dest.key}",
                f"from {path.subnet_id}: {path.detail}, and no usable VPC endpoint serves {dest.key}",
                evidence=ev, remediation=_way_out(snapshot, dest, path))


def _way_out(snapshot: Snapshot, dest: Destination, path: netpath.NetPath) -> Remediation:
    vpc = netpath.vpc_id(snapshot) or "VPC_ID"
    subnets = netpath.task_subnet_ids(snapshot)
    tables = sorted({p.route_table_id for p in netpath.resolve_all(snapshot, dest) if p.route_table_id})
    if dest.remote:
        return _remote_way_out(snapshot, dest, tables)
    if dest.endpoint_service and dest.target == "s3":
        return Remediation(
            summary=f"Create the S3 gateway endpoint on {', '.join(tables)} (ECR layers are only served by the "
                    "gateway endpoint in private subnets)",
            commands=[f"aws ec2 create-vpc-endpoint --vpc-id {q(vpc)} --vpc-endpoint-type Gateway "
                      f"--service-name {q(dest.endpoint_service)} --route-table-ids {' '.join(map(q, tables))}"],
            fix={"op": "add_vpc_endpoint", "service": "s3", "type": "Gateway"})
    if dest.endpoint_service:
        sg, prep = _endpoint_sg(snapshot)
        return Remediation(
            summary=f"Create an interface endpoint for {dest.key} with private DNS on in the task subnets "
                    "(or route 0.0.0.0/0 to a NAT gateway)",
            commands=[*prep, f"aws ec2 create-vpc-endpoint --vpc-id {q(vpc)} --vpc-endpoint-type Interface "
                             f"--service-name {q(dest.endpoint_service)} --subnet-ids {' '.join(map(q, subnets))} "
                             f"--security-group-ids {sg} --private-dns-enabled"],
            fix={"op": "add_vpc_endpoint", "service": dest.target, "type": "Interface"})
    return Remediation(
        summary=f"{dest.key} is on the internet: route 0.0.0.0/0 from {', '.join(tables)} to a NAT gateway in a "
                "public subnet (or mirror the image into ECR, e.g. with a pull-through cache rule)",
        commands=["aws ec2 allocate-address --domain vpc",
                  "aws ec2 create-nat-gateway --subnet-id PUBLIC_SUBNET_ID --allocation-id ALLOCATION_ID",
                  *[f"aws ec2 {'replace-route' if path.route else 'create-route'} --route-table-id {q(t)} "
                    "--destination-cidr-block 0.0.0.0/0 --nat-gateway-id NAT_GATEWAY_ID" for t in tables]],
        fix={"op": "add_nat_route"})


def _nat_commands(tables: list[str], replace: bool) -> list[str]:
    return ["aws ec2 allocate-address --domain vpc",
            "aws ec2 create-nat-gateway --subnet-id PUBLIC_SUBNET_ID --allocation-id ALLOCATION_ID",
            *[f"aws ec2 {'replace-route' if replace else 'create-route'} --route-table-id {q(t)} "
              "--destination-cidr-block 0.0.0.0/0 --nat-gateway-id NAT_GATEWAY_ID" for t in tables]]


def _remote_way_out(snapshot: Snapshot, dest: Destination, tables: list[str]) -> Remediation:
    """A service in another region: this VPC's endpoints do not serve it. A NAT gateway reaches its public
    endpoint; for an image, ECR replication puts a copy in the task's region, where the endpoints serve it
    (https://docs.aws.amazon.com/AmazonECR/latest/userguide/replication.html)."""
    home = snapshot.region
    commands = _nat_commands(tables, False)
    summary = (f"{dest.target} in {dest.region} is not served by this VPC's {home} endpoints: route 0.0.0.0/0 from "
               f"{', '.join(tables) or 'the task route table'} to a NAT gateway")
    if dest.target in ("ecr.api", "ecr.dkr", "s3"):
        summary += (f", or replicate the image into {home} with ECR replication and point the task definition at "
                    f"the {home} repository")
        rule = ('{"rules":[{"destinations":[{"region":"' + home + '","registryId":"' + (snapshot.account or "ACCOUNT_ID")
                + '"}]}]}')
        commands.append(f"aws ecr put-replication-configuration --region {q(dest.region)} "
                        f"--replication-configuration {q(rule)}")
    else:
        summary += f", or move the resource to {home}"
    return Remediation(summary=summary, commands=commands, fix={"op": "add_nat_route"})


def _endpoint_sg(snapshot: Snapshot) -> tuple[str, list[str]]:
    """A security group for a new interface endpoint: one already admitting the task on 443, else a new one."""
    task_sgs = set(netpath.task_security_group_ids(snapshot))
    for ep in netpath.dicts(netpath.network(snapshot).get("vpc_endpoints")):
        for g in netpath.dicts(ep.get("Groups")):
            group = netpath.security_group(snapshot, g.get("GroupId") or "")
            if group and admits_groups(allowed_peers([group], "ingress"), sorted(task_sgs)):
                return q(g["GroupId"]), []
    vpc = netpath.vpc_id(snapshot) or "VPC_ID"
    source = next(iter(sorted(task_sgs)), "TASK_SG_ID")
    return "ENDPOINT_SG_ID", [
        f"aws ec2 create-security-group --group-name fargate-endpoints --description 'HTTPS from Fargate tasks' "
        f"--vpc-id {q(vpc)}  # note the GroupId it prints: ENDPOINT_SG_ID",
        f"aws ec2 authorize-security-group-ingress --group-id ENDPOINT_SG_ID --protocol tcp --port 443 "
        f"--source-group {q(source)}"]


# -- net.public-ip ----------------------------------------------------------------------------------
@check("net.public-ip")
def public_ip(snapshot: Snapshot, plan: PullPlan) -> list[Finding]:
    dests, early = network_findings(snapshot, plan, "net.public-ip", PATH_EVIDENCE)
    out = list(early)
    for dest in dests:
        path = _paths(snapshot, dest)
        ev = [f"path from {path.subnet_id}: {path.kind} — {path.detail}"]
        if path.kind == "unknown":
            out.append(unknown_for_path("net.public-ip", dest, path))
        elif path.kind != "internet" or path.ipv6:
            out.append(make("net.public-ip", "pass", dest, f"{dest.key} needs no public IP",
                            f"traffic to {dest.key} does not need a public IPv4 address: {path.detail}", evidence=ev))
        elif path.public_ip is True:
            out.append(make("net.public-ip", "pass", dest, f"{dest.key} is reached with the task's public IP",
                            path.detail, evidence=ev))
        elif path.public_ip is None:
            out.append(make("net.public-ip", "unknown", dest, f"Public IP of the task unknown ({dest.key})",
                            f"{path.detail}; the task's assignPublicIp setting was not found in the evidence",
                            evidence=ev))
        else:
            out.append(make("net.public-ip", "fail", dest, f"No public IP to reach {dest.key} through the "
                            "internet gateway", f"{path.detail}. Without a public IP the internet gateway drops the "
                            "task's traffic.", evidence=ev + ["networkConfiguration.assignPublicIp: DISABLED"],
                            remediation=_public_ip_fix(snapshot)))
    return out


def _public_ip_fix(snapshot: Snapshot) -> Remediation:
    subnets = ",".join(netpath.task_subnet_ids(snapshot))
    sgs = ",".join(netpath.task_security_group_ids(snapshot))
    config = f"awsvpcConfiguration={{subnets=[{subnets}],securityGroups=[{sgs}],assignPublicIp=ENABLED}}"
    subject = snapshot.subject or {}
    cluster = q(subject.get("cluster") or "CLUSTER")
    if subject.get("service"):
        cmd = f"aws ecs update-service --cluster {cluster} --service {q(subject['service'])} --network-configuration {q(config)}"
    else:
        family = (snapshot.task_definition or {}).get("family") or "TASK_DEFINITION"
        cmd = (f"aws ecs run-task --cluster {cluster} --launch-type FARGATE --task-definition {q(family)} "
               f"--network-configuration {q(config)}")
    return Remediation(summary="Give the task a public IP (assignPublicIp ENABLED), or keep it private and add a NAT "
                               "gateway or VPC endpoints", commands=[cmd],
                       fix={"op": "set_assign_public_ip", "value": True})


# -- net.endpoint-private-dns -----------------------------------------------------------------------
@check("net.endpoint-private-dns")
def endpoint_private_dns(snapshot: Snapshot, plan: PullPlan) -> list[Finding]:
    dests, early = network_findings(snapshot, plan, "net.endpoint-private-dns", ("vpc_endpoints",))
    out = list(early)
    for dest in dests:
        endpoints = interface_endpoints(snapshot, dest)
        if not endpoints:
            out.append(make("net.endpoint-private-dns", "skipped", dest, f"No interface endpoint for {dest.key}",
                            f"no available interface endpoint for {dest.endpoint_service or dest.target} in the VPC"))
            continue
        on = [e for e in endpoints if e.get("PrivateDnsEnabled") is True]
        ev = [f"{e.get('VpcEndpointId')}: PrivateDnsEnabled={e.get('PrivateDnsEnabled')}" for e in endpoints]
        if on:
            out.append(make("net.endpoint-private-dns", "pass", dest, f"{dest.key} endpoint has private DNS on",
                            f"{on[0].get('VpcEndpointId')} answers for {dest.endpoint_service}", evidence=ev))
            continue
        ep = endpoints[0]
        eid = ep.get("VpcEndpointId") or "VPCE_ID"
        path = _paths(snapshot, dest)
        status = "warn" if path.works else "fail"
        tail = (f"so traffic bypasses it: {path.detail}" if path.works else
                f"so the task resolves the public name and finds no way out ({path.detail})")
        out.append(make(
            "net.endpoint-private-dns", status, dest, f"Endpoint {eid} for {dest.key} has private DNS off",
            f"{dest.endpoint_service}'s public DNS name does not resolve to {eid}, {tail}", evidence=ev,
            remediation=Remediation(
                summary=f"Turn on private DNS for {eid}",
                commands=[f"aws ec2 modify-vpc-endpoint --vpc-endpoint-id {q(eid)} --private-dns-enabled"],
                fix={"op": "modify_vpc_endpoint", "endpoint_id": eid, "private_dns": True})))
    return out


# -- net.s3-gateway-route ---------------------------------------------------------------------------
@check("net.s3-gateway-route")
def s3_gateway_route(snapshot: Snapshot, plan: PullPlan) -> list[Finding]:
    dests, early = network_findings(snapshot, plan, "net.s3-gateway-route",
                                    (*PATH_EVIDENCE, "vpc_endpoints"))
    out = list(early)
    if dests and not any(d.target == "s3" for d in dests):
        out.append(Finding("net.s3-gateway-route", "skipped", None, message="No ECR image: no S3 layer download",
                           detail="the layers come from the registry host itself; only ECR serves them from S3"))
    for dest in (d for d in dests if d.target == "s3" and d.endpoint_service):
        gateways = [e for e in netpath.endpoints_for(snapshot, dest.endpoint_service, "Gateway")
                    if netpath.is_available(e)]
        if not gateways:
            out.append(make("net.s3-gateway-route", "skipped", dest, "No S3 gateway endpoint in the VPC",
                            "nothing to associate (when S3 has no other way out, net.no-route says so)"))
            continue
        paths = netpath.resolve_all(snapshot, dest)
        if any(p.kind == "unknown" for p in paths):
            out.append(unknown_for_path("net.s3-gateway-route", dest,
                                        next(p for p in paths if p.kind == "unknown")))
            continue
        off = sorted({p.route_table_id for p in paths if p.kind != "gateway-endpoint" and p.route_table_id})
        ev = [f"{e.get('VpcEndpointId')}: route tables {e.get('RouteTableIds') or []}" for e in gateways]
        if not off:
            out.append(make("net.s3-gateway-route", "pass", dest, "S3 gateway endpoint is on the task route table",
                            "; ".join(p.detail for p in paths), evidence=ev))
            continue
        eid = gateways[0].get("VpcEndpointId") or "VPCE_ID"
        works = all(p.works for p in paths)
        status = "warn" if works else "fail"
        tail = ("layers go out the default route instead (NAT data charges; the endpoint policy is bypassed)"
                if works else "and S3 has no other way out, so layer downloads time out")
        out.append(make(
            "net.s3-gateway-route", status, dest, f"S3 gateway endpoint {eid} is not on {', '.join(off)}",
            f"the task subnet's route table {', '.join(off)} has no route to {eid}; {tail}",
            evidence=ev + [f"{p.route_table_id}: {p.detail}" for p in paths if p.route_table_id in off],
            remediation=Remediation(
                summary=f"Associate {eid} with {', '.join(off)}",
                commands=[f"aws ec2 modify-vpc-endpoint --vpc-endpoint-id {q(eid)} "
                          f"--add-route-table-ids {' '.join(map(q, off))}"],
                fix={"op": "modify_vpc_endpoint", "endpoint_id": eid, "add_route_table_ids": off})))
    return out
