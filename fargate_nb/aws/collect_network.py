"""The network around the task: VPC (its DNS attributes and DHCP option set), subnets, route tables, gateways,
VPC endpoints, security groups, network ACLs and the S3 prefix list.

Everything is read with ``Filters`` rather than ids, so a deleted subnet or group is simply
absent from the answer (checks compare ``subnet_ids`` with ``subnets``) instead of failing the
whole call. Security groups are read once the endpoints are known: the task's and the
endpoints' in one call.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from fargate_nb.aws.calls import Job, PolicyDecodeError, decode_policy, jsonable
from fargate_nb.aws.state import Collection

NET = "net"  # parts["net"][name] -> value
LISTS = ("subnets", "route_tables", "internet_gateways", "nat_gateways", "vpc_endpoints",
         "security_groups", "network_acls", "prefix_lists")


def network_jobs(col: Collection, *, subnet_ids: list[str], security_group_ids: list[str] | None,
                 assign_public_ip: bool | None, vpc_id: str | None = None,
                 eni: dict[str, Any] | None = None, source: str = "") -> list[Job]:
    """Start reading the network given the task's (or service's) awsvpc configuration."""
    if not col.claim("network"):
        return []
    subnet_ids = [s for s in subnet_ids if isinstance(s, str) and s]
    sgs = None if security_group_ids is None else [g for g in security_group_ids if isinstance(g, str) and g]
    col.put(NET, "config", {"assign_public_ip": assign_public_ip, "subnet_ids": subnet_ids,
                            "security_group_ids": sgs, "source": source, "eni": eni})
    jobs: list[Job] = [partial(_prefix_lists, col)]
    if subnet_ids:
        jobs.append(partial(_subnets, col, subnet_ids, vpc_id is None))
    if vpc_id:
        jobs.extend(_vpc_jobs(col, vpc_id))
    elif not subnet_ids and sgs:
        jobs.append(partial(_security_groups, col))
    return jobs


def _put_list(col: Collection, name: str, items: Any) -> None:
    col.put(NET, name, jsonable(items or []))


def _prefix_lists(col: Collection) -> None:
    name = f"com.amazonaws.{col.ctx.region}.s3"
    out = col.call("ec2", "DescribePrefixLists", resource=name, paginate=True,
                   Filters=[{"Name": "prefix-list-name", "Values": [name]}])
    if not out.ok:
        return
    lists = out.data.get("PrefixLists") or []
    for pl in lists:
        # DescribePrefixLists normally carries the CIDRs; when an endpoint leaves them out, read the entries.
        if not pl.get("Cidrs") and pl.get("PrefixListId"):
            entries = col.call("ec2", "GetManagedPrefixListEntries", resource=pl["PrefixListId"], paginate=True,
                               PrefixListId=pl["PrefixListId"])
            if entries.ok:
                pl["Cidrs"] = [e["Cidr"] for e in entries.data.get("Entries") or [] if e.get("Cidr")]
    _put_list(col, "prefix_lists", lists)


def _subnets(col: Collection, subnet_ids: list[str], find_vpc: bool) -> list[Job]:
    out = col.call("ec2", "DescribeSubnets", resource=",".join(subnet_ids), paginate=True,
                   Filters=[{"Name": "subnet-id", "Values": subnet_ids}])
    if not out.ok:
        return []
    subnets = out.data.get("Subnets") or []
    _put_list(col, "subnets", subnets)
    if not find_vpc:
        return []
    vpcs = sorted({s.get("VpcId") for s in subnets if s.get("VpcId")})
    if not vpcs:
        return [partial(_security_groups, col)]  # no subnet left: still read the task's groups
    if len(vpcs) > 1:
        col.gap("ec2:DescribeSubnets", f"the task's subnets are in several VPCs ({', '.join(vpcs)}); "
                f"only {vpcs[0]} is read", ",".join(subnet_ids))
    return _vpc_jobs(col, vpcs[0])


def _vpc_jobs(col: Collection, vpc_id: str) -> list[Job]:
    if not col.claim(("vpc", vpc_id)):
        return []
    col.put(NET, "vpc_id", vpc_id)
    vpc_filter = [{"Name": "vpc-id", "Values": [vpc_id]}]
    simple = [
        ("route_tables", "DescribeRouteTables", "RouteTables", {"Filters": vpc_filter}),
        ("internet_gateways", "DescribeInternetGateways", "InternetGateways",
         {"Filters": [{"Name": "attachment.vpc-id", "Values": [vpc_id]}]}),
        ("nat_gateways", "DescribeNatGateways", "NatGateways", {"Filter": vpc_filter}),
        ("network_acls", "DescribeNetworkAcls", "NetworkAcls", {"Filters": vpc_filter}),
    ]
    jobs: list[Job] = [partial(_list_call, col, vpc_id, *spec) for spec in simple]
    jobs += [partial(_vpc, col, vpc_id), partial(_vpc_endpoints, col, vpc_id)]
    jobs += [partial(_vpc_attribute, col, vpc_id, attr) for attr in ("enableDnsSupport", "enableDnsHostnames")]
    return jobs


def _list_call(col: Collection, vpc_id: str, name: str, operation: str, key: str, params: dict[str, Any]) -> None:
    out = col.call("ec2", operation, resource=vpc_id, paginate=True, **params)
    if out.ok:
        _put_list(col, name, out.data.get(key))


def _vpc(col: Collection, vpc_id: str) -> list[Job]:
    out = col.call("ec2", "DescribeVpcs", resource=vpc_id, paginate=True,
                   Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])
    if not out.ok:
        return []
    vpcs = out.data.get("Vpcs") or []
    col.put(NET, "vpc", jsonable(vpcs[0]) if vpcs else None)
    dopt = (vpcs[0].get("DhcpOptionsId") if vpcs else None) or ""
    if dopt == "default":  # no DHCP option set: the Amazon DNS server (AmazonProvidedDNS)
        col.put(NET, "dhcp_options", {"DhcpOptionsId": "default", "DhcpConfigurations": []})
        return []
    return [partial(_dhcp_options, col, dopt)] if dopt else []


def _dhcp_options(col: Collection, dhcp_options_id: str) -> None:
    """The VPC's DHCP option set: which DNS servers the task's resolver asks (``domain-name-servers``)."""
    out = col.call("ec2", "DescribeDhcpOptions", resource=dhcp_options_id, paginate=True,
                   Filters=[{"Name": "dhcp-options-id", "Values": [dhcp_options_id]}])
    if out.ok:
        found = out.data.get("DhcpOptions") or []
        col.put(NET, "dhcp_options", jsonable(found[0]) if found else None)


def _vpc_attribute(col: Collection, vpc_id: str, attribute: str) -> None:
    out = col.call("ec2", "DescribeVpcAttribute", resource=vpc_id, VpcId=vpc_id, Attribute=attribute)
    if out.ok:
        key = attribute[0].upper() + attribute[1:]  # enableDnsSupport -> EnableDnsSupport
        value = (out.data.get(key) or {}).get("Value")
        col.put(NET, key, bool(value) if value is not None else None)


def _vpc_endpoints(col: Collection, vpc_id: str) -> list[Job]:
    out = col.call("ec2", "DescribeVpcEndpoints", resource=vpc_id, paginate=True,
                   Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])
    if not out.ok:
        return [partial(_security_groups, col)]
    endpoints = jsonable(out.data.get("VpcEndpoints") or [])
    for endpoint in endpoints:
        try:
            endpoint["PolicyDocument"] = decode_policy(endpoint.get("PolicyDocument"))
        except PolicyDecodeError as exc:
            col.gap("ec2:DescribeVpcEndpoints", f"endpoint policy unreadable: {exc}", endpoint.get("VpcEndpointId"))
            endpoint["PolicyDocument"] = None
    col.put(NET, "vpc_endpoints", endpoints)
    return [partial(_security_groups, col)]


def _security_groups(col: Collection) -> None:
    config = col.bucket(NET).get("config") or {}
    ids = set(config.get("security_group_ids") or [])
    for endpoint in col.bucket(NET).get("vpc_endpoints") or []:
        ids.update(g.get("GroupId") for g in endpoint.get("Groups") or [] if g.get("GroupId"))
    if not ids:
        _put_list(col, "security_groups", [])
        return
    out = col.call("ec2", "DescribeSecurityGroups", resource=",".join(sorted(ids)), paginate=True,
                   Filters=[{"Name": "group-id", "Values": sorted(ids)}])
    if out.ok:
        _put_list(col, "security_groups", out.data.get("SecurityGroups"))


def assemble_network(col: Collection) -> None:
    """Build ``snapshot.network``; lists that could not be read are absent (see ``gaps``)."""
    parts = col.bucket(NET)
    config = parts.get("config")
    if config is None:
        return
    network: dict[str, Any] = {
        "assign_public_ip": config["assign_public_ip"],
        "subnet_ids": config["subnet_ids"],
        "security_group_ids": config["security_group_ids"],
        "source": config["source"],
        "vpc_id": parts.get("vpc_id"),
    }
    if config.get("eni") is not None:
        network["eni"] = config["eni"]
    if "vpc" in parts:
        vpc = parts["vpc"]
        if vpc is not None:
            vpc = {**vpc, "EnableDnsSupport": parts.get("EnableDnsSupport"),
                   "EnableDnsHostnames": parts.get("EnableDnsHostnames")}
        network["vpc"] = vpc
    for name in LISTS:
        if name in parts:
            network[name] = parts[name]
    if "dhcp_options" in parts:
        network["dhcp_options"] = parts["dhcp_options"]
    col.snap.network = network
