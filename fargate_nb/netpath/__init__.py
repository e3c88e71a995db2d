"""Which way traffic from the task's subnet goes to each destination of the pull.

Pure functions of a `Snapshot`. The path follows what the VPC really does:

1. an *interface* endpoint for the service takes the traffic when its private DNS is on and the VPC
   has both DNS attributes on (the private hosted zone then answers the service's public name with
   the endpoint's addresses in the whole VPC, in any Availability Zone);
2. for S3, the *gateway* endpoint takes it when it is on the subnet's route table (a prefix-list
   route). S3 interface endpoints do not serve ECR layers (AWS documents this), so they are ignored;
3. otherwise the subnet's route table (explicit association, else the VPC's main table) decides by its
   default route ``0.0.0.0/0``: a NAT gateway (available, public, itself in a public subnet), an
   internet gateway (works only with a public IP), something we cannot see through (transit gateway,
   peering, virtual private gateway, appliance or firewall endpoint) or nothing at all.

The evidence helpers (`fargate_nb.netpath.evidence`) are re-exported here for the checks and views.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fargate_nb.model import Snapshot
from fargate_nb.netpath.evidence import (
    EVIDENCE_APIS,
    dicts,
    endpoint_service_name,
    endpoints_for,
    is_available,
    missing_evidence,
    network,
    network_acl_for,
    route_table_for,
    s3_prefix_list,
    security_group,
    subnet,
    task_private_ip,
    task_security_group_ids,
    task_security_groups_known,
    task_subnet_ids,
    vpc_dns,
    vpc_id,
)
from fargate_nb.pullflow import Destination

KINDS = ("interface-endpoint", "gateway-endpoint", "nat", "internet", "opaque", "none", "unknown")
DEFAULT_ROUTE = "0.0.0.0/0"

PATH_EVIDENCE = ("vpc", "subnets", "route_tables", "internet_gateways", "nat_gateways", "vpc_endpoints")
# A Fargate-owned interface calls GetAuthorizationToken: the task's VPC and endpoint never show.
_NO_VPC_CONTEXT_ACTIONS = frozenset({"ecr:getauthorizationtoken"})
_OPAQUE_TARGETS = (
    ("TransitGatewayId", "transit gateway"), ("VpcPeeringConnectionId", "VPC peering connection"),
    ("NetworkInterfaceId", "network interface (appliance)"), ("InstanceId", "instance (NAT instance or appliance)"),
    ("CoreNetworkArn", "Cloud WAN core network"), ("LocalGatewayId", "local gateway"),
    ("CarrierGatewayId", "carrier gateway"),
)


@dataclass(frozen=True)
class Bypass:
    """An endpoint for the destination that exists but does not take the traffic, and why."""

    endpoint: dict[str, Any]
    reason: str  # private-dns-off | vpc-dns-off | vpc-dns-unknown | not-available | s3-interface
    #              | not-on-route-table
    detail: str


@dataclass(frozen=True)
class NetPath:
    """How one destination is reached from one of the task's subnets."""

    target: str
    kind: str  # one of KINDS
    endpoint: dict[str, Any] | None = None  # the VPC endpoint that takes the traffic
    route: dict[str, Any] | None = None  # the deciding route (prefix-list route or default route)
    route_table_id: str | None = None
    subnet_id: str | None = None
    detail: str = ""
    needs_public_ip: bool = False
    endpoint_service: str | None = None  # com.amazonaws.REGION.SERVICE, None for registry hosts
    nat_gateway: dict[str, Any] | None = None
    bypassed: tuple[Bypass, ...] = ()
    missing: tuple[str, ...] = ()  # evidence keys (EVIDENCE_APIS) that could not be read
    public_ip: bool | None = None  # the task's assignPublicIp, when the path is the internet gateway

    @property
    def works(self) -> bool | None:
        """True when traffic gets out this way, False when it cannot, None when we cannot tell."""
        if self.kind in ("interface-endpoint", "gateway-endpoint", "nat"):
            return True
        if self.kind == "internet":
            return self.public_ip
        if self.kind == "none":
            return False
        return None

    @property
    def via_endpoint(self) -> bool:
        return self.kind in ("interface-endpoint", "gateway-endpoint")


# -- evidence helpers (shared with the checks and the views) --------------------------------------
# -- the resolver -------------------------------------------------------------------------------------
def resolve(snapshot: Snapshot, target: str | Destination, subnet_id: str | None = None) -> NetPath:
    """The path to ``target`` from the task's subnet (the worst one when the task may use several)."""
    paths = resolve_all(snapshot, target) if subnet_id is None else [_resolve(snapshot, target, subnet_id)]
    return min(paths, key=_path_rank)


def resolve_all(snapshot: Snapshot, target: str | Destination) -> list[NetPath]:
    """One path per task subnet (a service may place tasks in any of its subnets)."""
    subnets = task_subnet_ids(snapshot)
    if not subnets:
        name = target.target if isinstance(target, Destination) else target
        return [NetPath(name, "unknown", detail="the task's subnet is not known (no awsvpc network evidence)",
                        endpoint_service=_service_name(snapshot, target), missing=("subnets",))]
    return [_resolve(snapshot, target, s) for s in subnets]


def _path_rank(path: NetPath) -> int:
    return {False: 0, None: 1, True: 2}[path.works]


def _service_name(snapshot: Snapshot, target: str | Destination) -> str | None:
    if isinstance(target, Destination):
        return target.endpoint_service
    return endpoint_service_name(snapshot, target)


def _resolve(snapshot: Snapshot, target: str | Destination, subnet_id: str) -> NetPath:
    name = target.target if isinstance(target, Destination) else target
    service = _service_name(snapshot, target)
    missing = tuple(missing_evidence(snapshot, *PATH_EVIDENCE, "vpc_attributes"))
    base = {"target": name, "subnet_id": subnet_id, "endpoint_service": service}
    unread = tuple(k for k in ("subnets", "route_tables") if k in missing)
    if unread:
        return NetPath(kind="unknown", detail=f"the route table of {subnet_id} could not be read",
                       missing=unread, **base)
    if subnet(snapshot, subnet_id) is None:
        return NetPath(kind="unknown", detail=f"subnet {subnet_id} is not in the evidence (deleted, or not readable)",
                       missing=("subnets",), **base)
    rt = route_table_for(snapshot, subnet_id)
    if rt is None:
        return NetPath(kind="unknown", detail=f"no route table found for {subnet_id} (neither associated nor main)",
                       missing=missing, **base)
    rtb = rt.get("RouteTableId")
    base["route_table_id"] = rtb
    bypassed: list[Bypass] = []
    if service:
        if name == "s3":
            found = _s3_gateway(snapshot, service, rt, bypassed)
            if found:
                endpoint, route = found
                return NetPath(kind="gateway-endpoint", endpoint=endpoint, route=route, missing=missing,
                               detail=f"S3 gateway endpoint {endpoint.get('VpcEndpointId')} is on {rtb}",
                               bypassed=tuple(bypassed), **base)
        else:
            endpoint = _interface_endpoint(snapshot, service, subnet_id, bypassed)
            if endpoint:
                return NetPath(kind="interface-endpoint", endpoint=endpoint, missing=missing,
                               detail=_interface_detail(snapshot, endpoint, subnet_id),
                               bypassed=tuple(bypassed), **base)
    path = _default_route(snapshot, rt, base, missing, tuple(bypassed))
    if service and "vpc_endpoints" in missing and path.works is not True:
        return NetPath(kind="unknown", missing=("vpc_endpoints",), bypassed=tuple(bypassed),
                       detail=f"{path.detail}; the VPC endpoints could not be read, and one may serve {service}",
                       **base)
    if path.works is not True and any(b.reason == "vpc-dns-unknown" for b in bypassed):
        return NetPath(kind="unknown", missing=("vpc_attributes",), bypassed=tuple(bypassed),
                       detail=f"{path.detail}; interface endpoint for {service} has private DNS on, but the VPC's "
                              "DNS attributes could not be read, so whether it answers is not known", **base)
    return path


def _interface_endpoint(snapshot: Snapshot, service: str, subnet_id: str,
                        bypassed: list[Bypass]) -> dict[str, Any] | None:
    support, hostnames = vpc_dns(snapshot)
    for ep in endpoints_for(snapshot, service, "Interface"):
        eid = ep.get("VpcEndpointId")
        if not is_available(ep):
            bypassed.append(Bypass(ep, "not-available", f"interface endpoint {eid} is {ep.get('State')!r}"))
        elif ep.get("PrivateDnsEnabled") is not True:
            bypassed.append(Bypass(ep, "private-dns-off",
                                   f"interface endpoint {eid} has private DNS off, so {service}'s public name "
                                   "does not resolve to it"))
        elif support is None or hostnames is None:
            bypassed.append(Bypass(ep, "vpc-dns-unknown", f"the VPC DNS attributes were not read, so whether {eid}'s "
                                   "private DNS answers is not known"))
        elif support is False or hostnames is False:
            off = " and ".join(n for n, v in (("enableDnsSupport", support), ("enableDnsHostnames", hostnames))
                               if v is False)
            bypassed.append(Bypass(ep, "vpc-dns-off",
                                   f"the VPC has {off} off, so the private hosted zone of {eid} does not answer"))
        else:
            return ep
    return None


def _interface_detail(snapshot: Snapshot, endpoint: dict[str, Any], subnet_id: str) -> str:
    eid = endpoint.get("VpcEndpointId")
    sub = subnet(snapshot, subnet_id) or {}
    az = sub.get("AvailabilityZone")
    endpoint_azs = {(subnet(snapshot, s) or {}).get("AvailabilityZone") for s in endpoint.get("SubnetIds") or []}
    text = f"interface endpoint {eid} (private DNS on) answers for {endpoint.get('ServiceName')} in the whole VPC"
    if az and endpoint_azs and None not in endpoint_azs and az not in endpoint_azs:
        text += (f"; it has no network interface in {az}, so traffic crosses Availability Zones "
                 "(works, but adds a subnet in that zone for resilience)")
    return text


def _s3_gateway(snapshot: Snapshot, service: str, rt: dict[str, Any],
                bypassed: list[Bypass]) -> tuple[dict[str, Any], dict[str, Any] | None] | None:
    rtb = rt.get("RouteTableId")
    for ep in endpoints_for(snapshot, service, "Interface"):
        bypassed.append(Bypass(ep, "s3-interface",
                               f"S3 interface endpoint {ep.get('VpcEndpointId')} does not serve ECR image layers "
                               "(only the S3 gateway endpoint does)"))
    for ep in endpoints_for(snapshot, service, "Gateway"):
        eid = ep.get("VpcEndpointId")
        route = next((r for r in dicts(rt.get("Routes")) if r.get("GatewayId") == eid), None)
        on_table = rtb in (ep.get("RouteTableIds") or []) or route is not None
        if not is_available(ep):
            bypassed.append(Bypass(ep, "not-available", f"S3 gateway endpoint {eid} is {ep.get('State')!r}"))
        elif not on_table:
            bypassed.append(Bypass(ep, "not-on-route-table",
                                   f"S3 gateway endpoint {eid} is not associated with {rtb}, the task subnet's "
                                   "route table"))
        else:
            return ep, route
    return None


def _default_route(snapshot: Snapshot, rt: dict[str, Any], base: dict[str, Any], missing: tuple[str, ...],
                   bypassed: tuple[Bypass, ...]) -> NetPath:
    rtb = base["route_table_id"]
    route = next((r for r in dicts(rt.get("Routes")) if r.get("DestinationCidrBlock") == DEFAULT_ROUTE), None)
    common = {"route": route, "missing": missing, "bypassed": bypassed, **base}
    if route is None:
        return NetPath(kind="none", detail=f"{rtb} has no default route (0.0.0.0/0): no NAT, no internet gateway",
                       **common)
    if str(route.get("State") or "active").lower() == "blackhole":
        hop = _next_hop(route)
        return NetPath(kind="none", detail=f"the default route of {rtb} is a blackhole (its target {hop} is gone)",
                       **common)
    gateway = str(route.get("GatewayId") or "")
    if route.get("NatGatewayId"):
        return _nat_path(snapshot, route["NatGatewayId"], common)
    if gateway.startswith("igw-"):
        public_ip = network(snapshot).get("assign_public_ip")
        public_ip = public_ip if isinstance(public_ip, bool) else None
        ip_text = {True: "the task has a public IP", False: "the task has no public IP",
                   None: "whether the task has a public IP is not known"}[public_ip]
        return NetPath(kind="internet", needs_public_ip=True, public_ip=public_ip,
                       detail=f"{rtb} sends 0.0.0.0/0 to internet gateway {gateway}; {ip_text}", **common)
    if gateway.startswith("vgw-"):
        return NetPath(kind="opaque", detail=f"{rtb} sends 0.0.0.0/0 to virtual private gateway {gateway}: verify "
                       "that the network behind it (on premises) routes to the internet or to AWS endpoints",
                       **common)
    if gateway.startswith("vpce-"):
        return NetPath(kind="opaque", detail=f"{rtb} sends 0.0.0.0/0 to endpoint {gateway} (firewall or Gateway Load "
                       "Balancer): verify that the inspection VPC lets HTTPS through and routes it out", **common)
    for key, label in _OPAQUE_TARGETS:
        if route.get(key):
            return NetPath(kind="opaque", detail=f"{rtb} sends 0.0.0.0/0 to {label} {route[key]}: verify that the "
                           "network behind it reaches the internet (or endpoints) and routes replies back",
                           **common)
    return NetPath(kind="opaque", detail=f"{rtb} sends 0.0.0.0/0 to {_next_hop(route) or 'an unknown target'}",
                   **common)


def _nat_path(snapshot: Snapshot, nat_id: str, common: dict[str, Any]) -> NetPath:
    rtb = common["route_table_id"]
    nat = next((n for n in dicts(network(snapshot).get("nat_gateways")) if n.get("NatGatewayId") == nat_id), None)
    if nat is None:
        kind = "unknown" if "nat_gateways" in common["missing"] else "none"
        why = "could not be read" if kind == "unknown" else "does not exist (deleted?)"
        return NetPath(kind=kind, detail=f"{rtb} sends 0.0.0.0/0 to NAT gateway {nat_id}, which {why}", **common)
    common = {**common, "nat_gateway": nat}
    state = str(nat.get("State") or "").lower()
    if state != "available":
        return NetPath(kind="none", detail=f"{rtb} sends 0.0.0.0/0 to NAT gateway {nat_id}, which is {state!r}",
                       **common)
    if str(nat.get("ConnectivityType") or "public").lower() == "private":
        return NetPath(kind="none", detail=f"{rtb} sends 0.0.0.0/0 to NAT gateway {nat_id}, a *private* NAT "
                       "gateway: it cannot reach the internet", **common)
    nat_subnet = nat.get("SubnetId")
    nat_rt = route_table_for(snapshot, nat_subnet) if nat_subnet else None
    if nat_rt is None:
        return NetPath(kind="unknown", detail=f"{rtb} sends 0.0.0.0/0 to NAT gateway {nat_id}; the route table of "
                       f"its subnet {nat_subnet} is not in the evidence", **common)
    nat_default = next((r for r in dicts(nat_rt.get("Routes")) if r.get("DestinationCidrBlock") == DEFAULT_ROUTE), None)
    igw = str((nat_default or {}).get("GatewayId") or "")
    if not igw.startswith("igw-") or str(nat_default.get("State") or "active").lower() == "blackhole":
        return NetPath(kind="none", detail=f"{rtb} sends 0.0.0.0/0 to NAT gateway {nat_id}, but its subnet "
                       f"{nat_subnet} is not public: {nat_rt.get('RouteTableId')} has no active 0.0.0.0/0 route to "
                       "an internet gateway", **common)
    return NetPath(kind="nat", detail=f"{rtb} sends 0.0.0.0/0 to NAT gateway {nat_id} in public subnet {nat_subnet} "
                   f"(via {igw})", **common)


def _next_hop(route: dict[str, Any]) -> str:
    for key in ("GatewayId", "NatGatewayId", *(k for k, _ in _OPAQUE_TARGETS), "EgressOnlyInternetGatewayId"):
        if route.get(key):
            return str(route[key])
    return ""


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
    elif path.kind in ("nat", "internet"):
        unknown.add("aws:SourceIp")
    else:  # opaque, unknown, none: the request may leave by an endpoint or an address we cannot see
        unknown.update({"aws:SourceIp", "aws:SourceVpc", "aws:SourceVpce"})
    return {k: v for k, v in values.items() if v}, frozenset(unknown)


__all__ = [
    "DEFAULT_ROUTE", "EVIDENCE_APIS", "KINDS", "PATH_EVIDENCE", "Bypass", "NetPath", "dicts", "endpoint_service_name",
    "endpoints_for", "is_available", "missing_evidence", "network", "network_acl_for", "request_context", "resolve",
    "resolve_all", "route_table_for", "s3_prefix_list", "security_group", "subnet", "task_private_ip",
    "task_security_group_ids", "task_security_groups_known", "task_subnet_ids", "vpc_dns", "vpc_id",
]
