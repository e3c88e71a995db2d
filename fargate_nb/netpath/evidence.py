"""Read the network evidence of a `Snapshot` safely: lookups by id, the task's own subnets and groups,
what could not be read. Every helper tolerates broken or hostile shapes (it skips them, never raises).

The VPC rules themselves (which route table, which ACL, which prefix list CIDRs) are the reachability
engine's (`fargate_nb.reach`); these helpers only find the evidence in the snapshot and hand it over.
"""

from __future__ import annotations

from typing import Any

from fargate_nb.model import Snapshot
from fargate_nb.pullflow import SERVICE_ENDPOINTS, endpoint_service, split_key
from fargate_nb.reach import cidrs, nacls, routes
from fargate_nb.reach.endpoints import endpoints_for as _endpoints_for
from fargate_nb.reach.ports import client_ephemeral
from fargate_nb.reach.shapes import dicts, find, is_available

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
    "dhcp_options": "ec2:DescribeDhcpOptions",
}
#: The Amazon DNS server as a DHCP option set names it (``domain-name-servers``).
AMAZON_DNS = "AmazonProvidedDNS"


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
    return find(network(snapshot).get("subnets"), "SubnetId", subnet_id)


def subnet_cidr(snapshot: Snapshot, subnet_id: str) -> cidrs.Net | None:
    return cidrs.to_net((subnet(snapshot, subnet_id) or {}).get("CidrBlock"))


def vpc_cidrs(snapshot: Snapshot) -> list[cidrs.Net]:
    """The VPC's IPv4 CIDR blocks (primary and associated)."""
    return cidrs.vpc_cidrs(network(snapshot).get("vpc"))


def route_table_for(snapshot: Snapshot, subnet_id: str) -> dict[str, Any] | None:
    """The subnet's explicitly associated route table, else the VPC's main route table."""
    return routes.route_table_for(network(snapshot).get("route_tables"), subnet_id)


def security_group(snapshot: Snapshot, group_id: str) -> dict[str, Any] | None:
    return find(network(snapshot).get("security_groups"), "GroupId", group_id)


def network_acl_for(snapshot: Snapshot, subnet_id: str) -> dict[str, Any] | None:
    """The subnet's network ACL (every subnet has exactly one; the VPC default when not associated)."""
    return nacls.acl_for_subnet(network(snapshot).get("network_acls"), subnet_id)


def s3_prefix_list(snapshot: Snapshot, region: str | None = None) -> dict[str, Any] | None:
    """The AWS-managed prefix list ``com.amazonaws.REGION.s3`` (S3's public address ranges)."""
    name = SERVICE_ENDPOINTS["s3"].format(region=region or snapshot.region)
    return find(network(snapshot).get("prefix_lists"), "PrefixListName", name)


def s3_prefix_cidrs(snapshot: Snapshot) -> tuple[str | None, list[cidrs.Net] | None]:
    """(prefix list id, its CIDRs) for the region's S3 prefix list; None parts when not read."""
    pl = s3_prefix_list(snapshot)
    if not pl:
        return None, None
    return pl.get("PrefixListId"), cidrs.to_nets(pl.get("Cidrs")) or None


def endpoint_service_name(snapshot: Snapshot, target: str) -> str | None:
    """The endpoint service of a destination key (``ecr.dkr``, ``ecr.dkr@us-west-2``) in its region."""
    service, region = split_key(target)
    return endpoint_service(service, region or snapshot.region)


def endpoints_for(snapshot: Snapshot, service_name: str, kind: str | None = None) -> list[dict[str, Any]]:
    """The VPC's endpoints for a service name (optionally of one type), in evidence order."""
    return _endpoints_for(network(snapshot).get("vpc_endpoints"), service_name, kind)


def vpc_dns(snapshot: Snapshot) -> tuple[bool | None, bool | None]:
    """(enableDnsSupport, enableDnsHostnames); None when the attribute was not read."""
    vpc = network(snapshot).get("vpc")
    if not isinstance(vpc, dict):
        return None, None
    sup, host = vpc.get("EnableDnsSupport"), vpc.get("EnableDnsHostnames")
    return (sup if isinstance(sup, bool) else None, host if isinstance(host, bool) else None)


def dns_servers(snapshot: Snapshot) -> list[str] | None:
    """The ``domain-name-servers`` of the VPC's DHCP option set (``[AmazonProvidedDNS]`` when the set names
    none, as AWS does then); None when the option set was not read.

    https://docs.aws.amazon.com/vpc/latest/userguide/DHCPOptionSetConcepts.html
    """
    dopt = network(snapshot).get("dhcp_options")
    if not isinstance(dopt, dict):
        return None
    for conf in dicts(dopt.get("DhcpConfigurations")):
        if conf.get("Key") == "domain-name-servers":
            values = [v.get("Value") if isinstance(v, dict) else v for v in conf.get("Values") or []]
            return [v for v in values if isinstance(v, str) and v] or [AMAZON_DNS]
    return [AMAZON_DNS]


def task_family(snapshot: Snapshot, subnet_id: str) -> str:
    """The task's address family in ``subnet_id``: ``ipv6`` (an IPv6-only subnet, ``Ipv6Native``), ``dual`` (an
    IPv6 address on the task's ENI, from DescribeTasks or the ENI), else ``ipv4``."""
    found = subnet(snapshot, subnet_id) or {}
    if found.get("Ipv6Native") is True:
        return "ipv6"
    return "dual" if task_ipv6(snapshot) else "ipv4"


def task_ipv6(snapshot: Snapshot) -> str | None:
    """The task ENI's IPv6 address, when it has one."""
    for att in dicts((snapshot.task or {}).get("attachments")):
        for d in dicts(att.get("details")):
            if d.get("name") == "ipv6Address" and isinstance(d.get("value"), str) and d["value"]:
                return d["value"]
    eni = network(snapshot).get("eni")
    for addr in dicts(eni.get("Ipv6Addresses") if isinstance(eni, dict) else None):
        if isinstance(addr.get("Ipv6Address"), str) and addr["Ipv6Address"]:
            return addr["Ipv6Address"]
    return None


def task_ephemeral(snapshot: Snapshot) -> tuple[int, int]:
    """The task's ephemeral port range, by its runtime platform's OS family."""
    return client_ephemeral(((snapshot.task_definition or {}).get("runtimePlatform") or {}).get("operatingSystemFamily"))


__all__ = ["AMAZON_DNS", "EVIDENCE_APIS", "dicts", "dns_servers", "endpoint_service_name", "endpoints_for", "is_available", "missing_evidence",
           "network", "network_acl_for", "route_table_for", "s3_prefix_cidrs", "s3_prefix_list", "security_group",
           "subnet", "subnet_cidr", "task_ephemeral", "task_private_ip", "task_security_group_ids",
           "task_family", "task_ipv6", "task_security_groups_known", "task_subnet_ids", "vpc_cidrs", "vpc_dns", "vpc_id"]
