"""What-if operations for the task's network, applied to a snapshot *copy* (never to AWS).

Each operation edits the evidence the way the matching AWS CLI command would edit the VPC, so
re-running the checks on the copy shows whether the change is enough. New resources get readable
``...-whatif-...`` ids. Arguments and targets are validated; a bad one raises `FixError` naming it.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from fargate_nb import netpath
from fargate_nb.fixes import FixError, fix_op
from fargate_nb.model import Snapshot
from fargate_nb.pullflow import SERVICE_ENDPOINTS, endpoint_service, split_key
from fargate_nb.reach.cidrs import to_net, to_net6
from fargate_nb.reach.routes import routes_to_internet

FULL_ACCESS = {"Version": "2012-10-17",
               "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}


def _net(snapshot: Snapshot) -> dict[str, Any]:
    net = snapshot.network
    if not isinstance(net, dict) or not net:
        raise FixError("this snapshot has no awsvpc network evidence to change")
    return net


def _list(net: dict[str, Any], key: str) -> list[Any]:
    if not isinstance(net.get(key), list):
        net[key] = []
    return net[key]


def _bool(fix: dict[str, Any], name: str, default: bool | None = None) -> bool:
    value = fix.get(name, default)
    if not isinstance(value, bool):
        raise FixError(f"what-if {fix.get('op')!r}: argument {name!r} must be true or false")
    return value


def _str(fix: dict[str, Any], name: str) -> str:
    value = fix.get(name)
    if not isinstance(value, str) or not value:
        raise FixError(f"what-if {fix.get('op')!r}: argument {name!r} is missing or not a string")
    return value


def _port(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535:
        raise FixError(f"{name} must be a port number (0-65535), not {value!r}")
    return value


def _cidr(value: Any) -> str:
    net = to_net(value) or to_net6(value)
    if net is None:
        raise FixError(f"{value!r} is not an IPv4 or IPv6 CIDR block")
    return str(net)


def _new_id(net: dict[str, Any], prefix: str, key: str, field: str) -> str:
    used = {e.get(field) for e in netpath.dicts(net.get(key))}
    n = 1
    while f"{prefix}{n}" in used:
        n += 1
    return f"{prefix}{n}"


def _endpoint(snapshot: Snapshot, endpoint_id: str) -> dict[str, Any]:
    for ep in netpath.dicts(_net(snapshot).get("vpc_endpoints")):
        if ep.get("VpcEndpointId") == endpoint_id:
            return ep
    raise FixError(f"VPC endpoint {endpoint_id} is not in this snapshot")


def _route_table(snapshot: Snapshot, rtb: str) -> dict[str, Any]:
    for rt in netpath.dicts(_net(snapshot).get("route_tables")):
        if rt.get("RouteTableId") == rtb:
            return rt
    raise FixError(f"route table {rtb} is not in this snapshot")


def _task_route_tables(snapshot: Snapshot) -> list[dict[str, Any]]:
    tables = []
    for subnet in netpath.task_subnet_ids(snapshot):
        rt = netpath.route_table_for(snapshot, subnet)
        if rt is None:
            raise FixError(f"the route table of task subnet {subnet} is not in this snapshot")
        if rt not in tables:
            tables.append(rt)
    if not tables:
        raise FixError("the task's subnets are not known in this snapshot")
    return tables


def _s3_prefix_list_id(snapshot: Snapshot) -> str:
    pl = netpath.s3_prefix_list(snapshot)
    return str(pl.get("PrefixListId")) if pl and pl.get("PrefixListId") else "pl-whatif-s3"


def _add_gateway_route(rt: dict[str, Any], endpoint_id: str, prefix_list_id: str) -> None:
    routes = rt.setdefault("Routes", [])
    if not any(isinstance(r, dict) and r.get("GatewayId") == endpoint_id for r in routes):
        routes.append({"DestinationPrefixListId": prefix_list_id, "GatewayId": endpoint_id, "State": "active",
                       "Origin": "CreateRoute"})


def _policy(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise FixError(f"the endpoint policy is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise FixError("the endpoint policy must be a JSON object")
    return copy.deepcopy(value)


# -- endpoints ---------------------------------------------------------------------------------------
@fix_op("add_vpc_endpoint")
def add_vpc_endpoint(snapshot: Snapshot, fix: dict[str, Any]) -> None:
    """``aws ec2 create-vpc-endpoint``: an interface endpoint in the task subnets (private DNS on, with a
    security group admitting 443 from the task's groups), or a gateway endpoint on their route tables."""
    net = _net(snapshot)
    service = _str(fix, "service")
    kind = fix.get("type") or ("Gateway" if service == "s3" else "Interface")
    if kind not in ("Interface", "Gateway"):
        raise FixError(f"add_vpc_endpoint: type must be Interface or Gateway, not {kind!r}")
    base, region = split_key(service)  # a target (ecr.dkr), a target in another region (ecr.dkr@us-west-2)
    name = service if service.startswith(("com.amazonaws.", "cn.com.amazonaws.")) else (
        endpoint_service(base, region or snapshot.region) if base in SERVICE_ENDPOINTS else None)
    if name is None:
        raise FixError(f"add_vpc_endpoint: {service!r} is not an AWS service with a VPC endpoint "
                       f"(one of {', '.join(SERVICE_ENDPOINTS)})")
    if kind == "Gateway" and not name.endswith(".s3") and not name.endswith(".dynamodb"):
        raise FixError(f"add_vpc_endpoint: {name} has no gateway endpoint (only S3 and DynamoDB do)")
    endpoints = _list(net, "vpc_endpoints")
    eid = _new_id(net, f"vpce-whatif-{name.rsplit('.', 1)[-1] if name.endswith('.s3') else service.replace('.', '-')}-",
                  "vpc_endpoints", "VpcEndpointId")
    entry: dict[str, Any] = {"VpcEndpointId": eid, "VpcEndpointType": kind, "VpcId": netpath.vpc_id(snapshot),
                             "ServiceName": name, "State": "available", "PolicyDocument": copy.deepcopy(FULL_ACCESS),
                             "RouteTableIds": [], "SubnetIds": [], "Groups": [], "PrivateDnsEnabled": False}
    if kind == "Gateway":
        tables = _task_route_tables(snapshot)
        pl = _s3_prefix_list_id(snapshot)
        entry["RouteTableIds"] = [rt.get("RouteTableId") for rt in tables]
        for rt in tables:
            _add_gateway_route(rt, eid, pl)
    else:
        subnets = netpath.task_subnet_ids(snapshot)
        if not subnets:
            raise FixError("add_vpc_endpoint: the task's subnets are not known in this snapshot")
        group_id = _endpoint_security_group(snapshot, net)
        entry.update(SubnetIds=list(subnets), Groups=[{"GroupId": group_id, "GroupName": group_id}],
                     PrivateDnsEnabled=bool(fix.get("private_dns", True)))
    endpoints.append(entry)


def _endpoint_security_group(snapshot: Snapshot, net: dict[str, Any]) -> str:
    groups = _list(net, "security_groups")
    gid = _new_id(net, "sg-whatif-endpoints-", "security_groups", "GroupId")
    sources = netpath.task_security_group_ids(snapshot)
    ingress = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [], "PrefixListIds": [],
               "Ipv6Ranges": [], "UserIdGroupPairs": [{"GroupId": g} for g in sources]}
    if not sources:  # no task group known: admit the task subnets instead
        ingress["IpRanges"] = [{"CidrIp": (netpath.subnet(snapshot, s) or {}).get("CidrBlock")}
                               for s in netpath.task_subnet_ids(snapshot)
                               if (netpath.subnet(snapshot, s) or {}).get("CidrBlock")]
    groups.append({"GroupId": gid, "GroupName": gid, "VpcId": netpath.vpc_id(snapshot),
                   "Description": "what-if: HTTPS from the Fargate task", "IpPermissions": [ingress],
                   "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                                            "UserIdGroupPairs": [], "PrefixListIds": [], "Ipv6Ranges": []}]})
    return gid


@fix_op("modify_vpc_endpoint")
def modify_vpc_endpoint(snapshot: Snapshot, fix: dict[str, Any]) -> None:
    """``aws ec2 modify-vpc-endpoint``: private DNS, route tables, security groups, policy."""
    ep = _endpoint(snapshot, _str(fix, "endpoint_id"))
    changed = False
    if "private_dns" in fix:
        if ep.get("VpcEndpointType") != "Interface":
            raise FixError(f"{ep.get('VpcEndpointId')} is a {ep.get('VpcEndpointType')} endpoint: no private DNS")
        ep["PrivateDnsEnabled"] = _bool(fix, "private_dns")
        changed = True
    tables = fix.get("add_route_table_ids")
    if tables is not None:
        if ep.get("VpcEndpointType") != "Gateway" or not isinstance(tables, list):
            raise FixError("add_route_table_ids needs a list of route table ids and a gateway endpoint")
        pl = _s3_prefix_list_id(snapshot)
        current = ep.setdefault("RouteTableIds", [])
        for rtb in tables:
            rt = _route_table(snapshot, str(rtb))
            if rtb not in current:
                current.append(rtb)
            _add_gateway_route(rt, ep["VpcEndpointId"], pl)
        changed = True
    groups = fix.get("add_security_group_ids")
    if groups is not None:
        if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
            raise FixError("add_security_group_ids needs a list of security group ids")
        have = {g.get("GroupId") for g in netpath.dicts(ep.get("Groups"))}
        ep.setdefault("Groups", []).extend({"GroupId": g, "GroupName": g} for g in groups if g not in have)
        changed = True
    if "policy" in fix:
        ep["PolicyDocument"] = _policy(fix["policy"])
        changed = True
    if not changed:
        raise FixError("modify_vpc_endpoint: nothing to change (give private_dns, add_route_table_ids, "
                       "add_security_group_ids or policy)")


# -- security groups, VPC attributes, public IP --------------------------------------------------------
@fix_op("authorize_sg_rule")
def authorize_sg_rule(snapshot: Snapshot, fix: dict[str, Any]) -> None:
    """``aws ec2 authorize-security-group-ingress|egress`` for one TCP port (443 by default)."""
    group_id = _str(fix, "group_id")
    group = netpath.security_group(snapshot, group_id)
    if group is None:
        raise FixError(f"security group {group_id} is not in this snapshot")
    direction = fix.get("direction", "ingress")
    if direction not in ("ingress", "egress"):
        raise FixError(f"authorize_sg_rule: direction must be ingress or egress, not {direction!r}")
    port = _port(fix.get("port", 443), "port")
    perm: dict[str, Any] = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [],
                            "UserIdGroupPairs": [], "PrefixListIds": [], "Ipv6Ranges": []}
    if fix.get("source_group"):
        perm["UserIdGroupPairs"].append({"GroupId": _str(fix, "source_group")})
    elif fix.get("prefix_list_id"):
        perm["PrefixListIds"].append({"PrefixListId": _str(fix, "prefix_list_id")})
    elif fix.get("cidr"):
        cidr = _cidr(fix["cidr"])
        if ":" in cidr:
            perm["Ipv6Ranges"].append({"CidrIpv6": cidr})
        else:
            perm["IpRanges"].append({"CidrIp": cidr})
    else:
        raise FixError("authorize_sg_rule: give source_group, prefix_list_id or cidr")
    key = "IpPermissions" if direction == "ingress" else "IpPermissionsEgress"
    if not isinstance(group.get(key), list):
        group[key] = []
    group[key].append(perm)


@fix_op("set_vpc_dns")
def set_vpc_dns(snapshot: Snapshot, fix: dict[str, Any]) -> None:
    """``aws ec2 modify-vpc-attribute --enable-dns-support/--enable-dns-hostnames``."""
    vpc = _net(snapshot).get("vpc")
    if not isinstance(vpc, dict):
        raise FixError("the VPC is not in this snapshot")
    vpc["EnableDnsSupport"] = _bool(fix, "support", True)
    vpc["EnableDnsHostnames"] = _bool(fix, "hostnames", True)


@fix_op("set_assign_public_ip")
def set_assign_public_ip(snapshot: Snapshot, fix: dict[str, Any]) -> None:
    """The service's (or run-task's) ``assignPublicIp`` setting."""
    _net(snapshot)["assign_public_ip"] = _bool(fix, "value", True)


# -- network ACLs ------------------------------------------------------------------------------------
@fix_op("add_nacl_entry")
def add_nacl_entry(snapshot: Snapshot, fix: dict[str, Any]) -> None:
    """``aws ec2 create-network-acl-entry`` (TCP by default)."""
    nacl_id = _str(fix, "nacl_id")
    acl = next((a for a in netpath.dicts(_net(snapshot).get("network_acls")) if a.get("NetworkAclId") == nacl_id),
               None)
    if acl is None:
        raise FixError(f"network ACL {nacl_id} is not in this snapshot")
    egress = _bool(fix, "egress")
    number = fix.get("rule_number")
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 32766:
        raise FixError(f"rule_number must be 1-32766, not {number!r}")
    entries = acl.setdefault("Entries", [])
    if any(isinstance(e, dict) and e.get("RuleNumber") == number and bool(e.get("Egress")) is egress for e in entries):
        raise FixError(f"{nacl_id} already has {'an outbound' if egress else 'an inbound'} rule {number}")
    action = fix.get("action", "allow")
    if action not in ("allow", "deny"):
        raise FixError(f"action must be allow or deny, not {action!r}")
    protocol = str(fix.get("protocol", "6"))
    cidr = _cidr(fix.get("cidr", "0.0.0.0/0"))
    entry: dict[str, Any] = {"RuleNumber": number, "Egress": egress, "RuleAction": action,
                             "Ipv6CidrBlock" if ":" in cidr else "CidrBlock": cidr, "Protocol": protocol}
    if protocol != "-1":
        lo, hi = _port(fix.get("port_from"), "port_from"), _port(fix.get("port_to"), "port_to")
        if lo > hi:
            raise FixError(f"port_from {lo} is above port_to {hi}")
        entry["PortRange"] = {"From": lo, "To": hi}
    entries.append(entry)


@fix_op("add_nacl_entries")
def add_nacl_entries(snapshot: Snapshot, fix: dict[str, Any]) -> None:
    """Several `add_nacl_entry` at once (out on 443 and back on the ephemeral ports, on several ACLs)."""
    entries = fix.get("entries")
    if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
        raise FixError("add_nacl_entries needs a non-empty list of entries")
    for e in entries:
        add_nacl_entry(snapshot, {"op": "add_nacl_entry", **e})


# -- NAT ---------------------------------------------------------------------------------------------
@fix_op("add_nat_route")
def add_nat_route(snapshot: Snapshot, fix: dict[str, Any]) -> None:
    """A NAT gateway in a public subnet, and 0.0.0.0/0 to it from the task subnets' route tables.

    Uses an existing public subnet (one whose route table sends 0.0.0.0/0 to an internet gateway);
    without one, also adds an internet gateway and a public subnet, as a VPC with NAT would have.
    """
    net = _net(snapshot)
    wanted = fix.get("route_table_ids")
    if wanted is not None and (not isinstance(wanted, list) or not all(isinstance(t, str) for t in wanted)):
        raise FixError("add_nat_route: route_table_ids must be a list of route table ids")
    tables = [_route_table(snapshot, t) for t in wanted] if wanted else _task_route_tables(snapshot)
    public = fix.get("subnet_id") or _public_subnet(snapshot, net)
    nat_id = _new_id(net, "nat-whatif-", "nat_gateways", "NatGatewayId")
    _list(net, "nat_gateways").append({
        "NatGatewayId": nat_id, "VpcId": netpath.vpc_id(snapshot), "SubnetId": public, "State": "available",
        "ConnectivityType": "public", "NatGatewayAddresses": [{"PublicIp": None, "PrivateIp": None}]})
    for rt in tables:
        routes = rt.setdefault("Routes", [])
        routes[:] = [r for r in routes if not (isinstance(r, dict) and r.get("DestinationCidrBlock") == "0.0.0.0/0")]
        routes.append({"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": nat_id, "State": "active",
                       "Origin": "CreateRoute"})


def _public_subnet(snapshot: Snapshot, net: dict[str, Any]) -> str:
    task_subnets = set(netpath.task_subnet_ids(snapshot))
    for sub in netpath.dicts(net.get("subnets")):
        sid = sub.get("SubnetId")
        rt = netpath.route_table_for(snapshot, sid) if sid and sid not in task_subnets else None
        if routes_to_internet(rt):  # a public subnet: an active default route to an internet gateway
            return str(sid)
    vpc = netpath.vpc_id(snapshot)
    igw = next((g.get("InternetGatewayId") for g in netpath.dicts(net.get("internet_gateways"))
                if any(a.get("VpcId") == vpc for a in netpath.dicts(g.get("Attachments")))), None)
    if not igw:
        igw = "igw-whatif-1"
        _list(net, "internet_gateways").append({"InternetGatewayId": igw,
                                                "Attachments": [{"VpcId": vpc, "State": "available"}]})
    sid, rtb = "subnet-whatif-public-1", "rtb-whatif-public-1"
    az = (netpath.subnet(snapshot, next(iter(sorted(task_subnets)), "")) or {}).get("AvailabilityZone")
    _list(net, "subnets").append({"SubnetId": sid, "VpcId": vpc, "AvailabilityZone": az, "State": "available"})
    _list(net, "route_tables").append({
        "RouteTableId": rtb, "VpcId": vpc, "Associations": [{"Main": False, "RouteTableId": rtb, "SubnetId": sid}],
        "Routes": [{"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": igw, "State": "active",
                    "Origin": "CreateRoute"}]})
    return sid
