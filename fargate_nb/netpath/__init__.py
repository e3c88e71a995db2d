"""Which way traffic from the task's subnets goes to each destination of the pull: the ECS side of the
reachability engine (`fargate_nb.reach`).

The engine knows VPCs; this adapter knows the task. It reads the snapshot's ``network`` evidence and
the task's subnets, takes the destinations from the pull plan (`fargate_nb.pullflow`), and adds the
facts that are about ECR rather than VPCs:

* ECR image layers are downloaded from S3 through the *gateway* endpoint only: S3 interface endpoints
  do not serve them (ECR user guide, https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html);
* ``ecr:GetAuthorizationToken`` is called through a Fargate-owned interface, so the task's VPC and
  endpoint never appear in its request context (`request_context`).

The evidence helpers (`fargate_nb.netpath.evidence`) are re-exported here for the checks and views.
"""

from __future__ import annotations

from fargate_nb.model import Snapshot
from fargate_nb.netpath.evidence import (
    AMAZON_DNS,
    EVIDENCE_APIS,
    dicts,
    dns_servers,
    endpoint_service_name,
    endpoints_for,
    is_available,
    missing_evidence,
    network,
    network_acl_for,
    route_table_for,
    s3_prefix_cidrs,
    s3_prefix_list,
    security_group,
    subnet,
    subnet_cidr,
    task_ephemeral,
    task_family,
    task_ipv6,
    task_private_ip,
    task_security_group_ids,
    task_security_groups_known,
    task_subnet_ids,
    vpc_cidrs,
    vpc_dns,
    vpc_id,
)
from fargate_nb.pullflow import ECR_DUAL_STACK_HOST, Destination, endpoint_service, split_key
from fargate_nb.reach import DEFAULT_ROUTE, KINDS, Bypass, Network, rank
from fargate_nb.reach import Path as NetPath
from fargate_nb.reach import resolve as reach_resolve

PATH_EVIDENCE = ("vpc", "subnets", "route_tables", "internet_gateways", "nat_gateways", "vpc_endpoints")
# A Fargate-owned interface calls GetAuthorizationToken: the task's VPC and endpoint never show.
_NO_VPC_CONTEXT_ACTIONS = frozenset({"ecr:getauthorizationtoken"})
_GATEWAY_ONLY = frozenset({"s3"})  # targets served by the gateway endpoint only (ECR layers)


def vpc_network(snapshot: Snapshot) -> Network:
    """The engine's view of the snapshot's VPC evidence (what was not read stays None / unread)."""
    net = network(snapshot)
    support, hostnames = vpc_dns(snapshot)
    return Network(subnets=net.get("subnets"), route_tables=net.get("route_tables"),
                   nat_gateways=net.get("nat_gateways"), vpc_endpoints=net.get("vpc_endpoints"),
                   dns_support=support, dns_hostnames=hostnames,
                   unread=tuple(missing_evidence(snapshot, *PATH_EVIDENCE, "vpc_attributes")))


def resolve(snapshot: Snapshot, target: str | Destination, subnet_id: str | None = None) -> NetPath:
    """The path to ``target`` from the task's subnet (the worst one when the task may use several)."""
    paths = resolve_all(snapshot, target) if subnet_id is None else [_resolve(snapshot, target, subnet_id)]
    return min(paths, key=rank)


def resolve_all(snapshot: Snapshot, target: str | Destination) -> list[NetPath]:
    """One path per task subnet (a service may place tasks in any of its subnets)."""
    subnets = task_subnet_ids(snapshot)
    if not subnets:
        name = _key(target)
        return [NetPath(name, "unknown", detail="the task's subnet is not known (no awsvpc network evidence)",
                        endpoint_service=_service_name(snapshot, target), missing=("subnets",))]
    return [_resolve(snapshot, target, s) for s in subnets]


def _key(target: str | Destination) -> str:
    return target.key if isinstance(target, Destination) else target


def _service_name(snapshot: Snapshot, target: str | Destination) -> str | None:
    if isinstance(target, Destination):
        return target.endpoint_service
    return endpoint_service_name(snapshot, target)


def _resolve(snapshot: Snapshot, target: str | Destination, subnet_id: str) -> NetPath:
    name = _key(target)
    service_id, region = split_key(name)
    service = _service_name(snapshot, target)
    gateway = service_id in _GATEWAY_ONLY
    refused = [Bypass(ep, "s3-interface", f"S3 interface endpoint {ep.get('VpcEndpointId')} does not serve ECR image "
                      "layers (only the S3 gateway endpoint does)")
               for ep in (endpoints_for(snapshot, service, "Interface") if gateway and service else [])]
    if region and region != snapshot.region:
        refused += _other_region(snapshot, service_id, region)
    public_ip = network(snapshot).get("assign_public_ip")
    family = task_family(snapshot, subnet_id)
    return reach_resolve(vpc_network(snapshot), subnet_id, service, target=name, gateway=gateway,
                         public_ip=public_ip if isinstance(public_ip, bool) else None, bypassed=refused,
                         sender="the task", family=family, dual_stack_destination=_dual_stack(service_id, family))


def _dual_stack(service_id: str, family: str) -> bool:
    """Whether the destination answers over IPv6. An ECR dual-stack host does; an image URI on the IPv4 ECR
    host does not, and an IPv6-only task "must use Amazon ECR dual-stack image URI endpoints" (ECS developer
    guide, task networking in IPv6-only mode, https://docs.aws.amazon.com/AmazonECS/latest/developerguide/managed-instance-networking.html).
    For an IPv6-only task the other AWS services are taken as reached over their dual-stack endpoints; a
    dual-stack task reaches them over IPv4."""
    if ECR_DUAL_STACK_HOST.match(service_id):
        return True
    return family == "ipv6" and service_id != "ecr.dkr"


def _other_region(snapshot: Snapshot, service_id: str, region: str) -> list[Bypass]:
    """The VPC's endpoints for the service in the task's own region: they do not serve ``region``.

    Interface endpoints, their private DNS and gateway endpoints serve the region in their service name
    (https://docs.aws.amazon.com/vpc/latest/privatelink/privatelink-access-aws-services.html,
    https://docs.aws.amazon.com/vpc/latest/privatelink/gateway-endpoints.html); a resource in another region
    is reached through that region's public endpoint unless an endpoint names that region's service.
    """
    home = endpoint_service(service_id, snapshot.region)
    if not home:
        return []
    return [Bypass(ep, "other-region", f"{ep.get('VpcEndpointType', 'VPC').lower()} endpoint {ep.get('VpcEndpointId')} "
                   f"serves {snapshot.region} only ({ep.get('ServiceName')}); {service_id} in {region} is reached "
                   f"through {region}'s public endpoint")
            for ep in endpoints_for(snapshot, home) if is_available(ep)]


# -- IAM request context ------------------------------------------------------------------------------
def request_context(snapshot: Snapshot, target: str | Destination, action: str | None = None,
                    path: NetPath | None = None) -> tuple[dict[str, str], frozenset[str]]:
    """IAM condition keys for a request the task makes to ``target``, and the keys we cannot know.

    Through a VPC endpoint the request carries ``aws:SourceVpce`` and ``aws:SourceVpc`` (and no
    ``aws:SourceIp``); over NAT or the internet it carries neither, and ``aws:SourceIp`` is the NAT's or
    the task's public address. ``ecr:GetAuthorizationToken`` goes through a Fargate-owned interface,
    so the task's VPC and endpoint never appear for it.
    """
    path = path or resolve(snapshot, target)
    values: dict[str, str] = {}
    unknown: set[str] = set()
    fargate_owned = (action or "").lower() in _NO_VPC_CONTEXT_ACTIONS
    if fargate_owned:
        unknown.add("aws:SourceIp")
    elif path.via_endpoint and path.endpoint:
        values["aws:SourceVpce"] = str(path.endpoint.get("VpcEndpointId") or "")
        vpc = path.endpoint.get("VpcId") or vpc_id(snapshot)
        if vpc:
            values["aws:SourceVpc"] = str(vpc)
        else:
            unknown.add("aws:SourceVpc")
        ip = task_private_ip(snapshot)
        if ip:
            values["aws:VpcSourceIp"] = ip
        else:
            unknown.add("aws:VpcSourceIp")
    elif path.kind in ("nat", "internet", "egress-only"):
        unknown.add("aws:SourceIp")
    else:  # opaque, unknown, none: the request may leave by an endpoint or an address we cannot see
        unknown.update({"aws:SourceIp", "aws:SourceVpc", "aws:SourceVpce"})
    return {k: v for k, v in values.items() if v}, frozenset(unknown)


__all__ = [
    "AMAZON_DNS", "DEFAULT_ROUTE", "EVIDENCE_APIS", "KINDS", "PATH_EVIDENCE", "Bypass", "NetPath", "dicts",
    "dns_servers", "endpoint_service_name", "endpoints_for", "is_available", "missing_evidence", "network",
    "network_acl_for", "request_context", "resolve", "resolve_all", "route_table_for", "s3_prefix_cidrs",
    "s3_prefix_list", "security_group", "subnet", "subnet_cidr", "task_ephemeral", "task_family", "task_ipv6",
    "task_private_ip", "task_security_group_ids", "task_security_groups_known", "task_subnet_ids", "vpc_cidrs",
    "vpc_dns", "vpc_id", "vpc_network",
]
