"""Read the network evidence of a `Snapshot` safely: lookups by id, the task's own subnets and groups,
what could not be read. Every helper tolerates broken or hostile shapes (it skips them, never raises).
"""

from __future__ import annotations

from typing import Any

from fargate_nb.model import Snapshot
from fargate_nb.pullflow import SERVICE_ENDPOINTS

#: Network evidence keys and the API (and IAM action) that reads each.
EVIDENCE_APIS = {
    "vpc": "ec2:DescribeVpcs",
    "vpc_attributes": "ec2:DescribeVpcAttribute",
    "subnets": "ec2:DescribeSubnets",
    "route_tables": "ec2:DescribeRouteTables",
    "internet_gateways": "ec2:DescribeInternetGateways",
    "nat_gateways": "ec2:DescribeNatGateways",
    "vpc_endpoints": "ec2:DescribeVpcEndpoints",
    "security_groups": "ec2:DescribeSecurityGroups",
    "network_acls": "ec2:DescribeNetworkAcls",
    "prefix_lists": "ec2:DescribePrefixLists",
}


def dicts(value: Any) -> list[dict[str, Any]]:
    """The dict entries of a list; anything else (a hostile or broken snapshot) is ignored."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def network(snapshot: Snapshot) -> dict[str, Any]:
    return snapshot.network if isinstance(snapshot.network, dict) else {}


def missing_evidence(snapshot: Snapshot, *keys: str) -> dict[str, str]:
    """Evidence keys that were not read, each with the permission that would read it.

    The data decides (a key absent, or None, was not read); a recorded gap only names the permission.
    """
    net = network(snapshot)
    out: dict[str, str] = {}
    for key in keys:
        api = EVIDENCE_APIS[key]
        if key == "vpc_attributes":
            vpc = net.get("vpc")
            absent = not isinstance(vpc, dict) or not all(
                isinstance(vpc.get(k), bool) for k in ("EnableDnsSupport", "EnableDnsHostnames"))
        else:
            absent = net.get(key) is None
        if absent:
            gap = next((g for g in snapshot.gaps_for(api) if g.permission), None)
            out[key] = gap.permission if gap else api
    return out


def task_subnet_ids(snapshot: Snapshot) -> list[str]:
    return [s for s in network(snapshot).get("subnet_ids") or [] if isinstance(s, str) and s]


def task_security_group_ids(snapshot: Snapshot) -> list[str]:
    return [s for s in network(snapshot).get("security_group_ids") or [] if isinstance(s, str) and s]


def task_security_groups_known(snapshot: Snapshot) -> bool:
    """False when the task's security groups are not known (its ENI is gone and no service says)."""
    return isinstance(network(snapshot).get("security_group_ids"), list)


def task_private_ip(snapshot: Snapshot) -> str | None:
    """The task ENI's private IPv4 address, from the DescribeTasks attachment (None before it has one)."""
    for att in dicts((snapshot.task or {}).get("attachments")):
        for d in dicts(att.get("details")):
            if d.get("name") == "privateIPv4Address" and isinstance(d.get("value"), str):
                return d["value"]
    eni = network(snapshot).get("eni")
    ip = eni.get("PrivateIpAddress") if isinstance(eni, dict) else None
    return ip if isinstance(ip, str) and ip else None


def vpc_id(snapshot: Snapshot) -> str | None:
    vpc = network(snapshot).get("vpc")
    found = vpc.get("VpcId") if isinstance(vpc, dict) else network(snapshot).get("vpc_id")
    return found if isinstance(found, str) and found else None


def subnet(snapshot: Snapshot, subnet_id: str) -> dict[str, Any] | None:
    return next((s for s in dicts(network(snapshot).get("subnets")) if s.get("SubnetId") == subnet_id), None)


def route_table_for(snapshot: Snapshot, subnet_id: str) -> dict[str, Any] | None:
    """The subnet's explicitly associated route table, else the VPC's main route table."""
    tables = dicts(network(snapshot).get("route_tables"))
    for rt in tables:
        if any(a.get("SubnetId") == subnet_id for a in dicts(rt.get("Associations"))):
            return rt
    return next((rt for rt in tables if any(a.get("Main") is True for a in dicts(rt.get("Associations")))), None)


def security_group(snapshot: Snapshot, group_id: str) -> dict[str, Any] | None:
    return next((g for g in dicts(network(snapshot).get("security_groups")) if g.get("GroupId") == group_id), None)


def network_acl_for(snapshot: Snapshot, subnet_id: str) -> dict[str, Any] | None:
    """The subnet's network ACL (every subnet has exactly one; the VPC default when not associated)."""
    acls = dicts(network(snapshot).get("network_acls"))
    for acl in acls:
        if any(a.get("SubnetId") == subnet_id for a in dicts(acl.get("Associations"))):
            return acl
    return next((a for a in acls if a.get("IsDefault") is True), None)


def s3_prefix_list(snapshot: Snapshot, region: str | None = None) -> dict[str, Any] | None:
    """The AWS-managed prefix list ``com.amazonaws.REGION.s3`` (S3's public address ranges)."""
    name = SERVICE_ENDPOINTS["s3"].format(region=region or snapshot.region)
    return next((p for p in dicts(network(snapshot).get("prefix_lists")) if p.get("PrefixListName") == name), None)


def endpoint_service_name(snapshot: Snapshot, target: str) -> str | None:
    template = SERVICE_ENDPOINTS.get(target)
    return template.format(region=snapshot.region) if template else None


def endpoints_for(snapshot: Snapshot, service_name: str, kind: str | None = None) -> list[dict[str, Any]]:
    """The VPC's endpoints for a service name (optionally of one type), in evidence order."""
    return [e for e in dicts(network(snapshot).get("vpc_endpoints"))
            if e.get("ServiceName") == service_name and (kind is None or e.get("VpcEndpointType") == kind)]


def is_available(endpoint: dict[str, Any]) -> bool:
    return str(endpoint.get("State") or "").lower() == "available"


def vpc_dns(snapshot: Snapshot) -> tuple[bool | None, bool | None]:
    """(enableDnsSupport, enableDnsHostnames); None when the attribute was not read."""
    vpc = network(snapshot).get("vpc")
    if not isinstance(vpc, dict):
        return None, None
    sup, host = vpc.get("EnableDnsSupport"), vpc.get("EnableDnsHostnames")
    return (sup if isinstance(sup, bool) else None, host if isinstance(host, bool) else None)
