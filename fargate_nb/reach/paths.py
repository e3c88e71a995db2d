"""The way out of a subnet to one destination: through an endpoint, a NAT gateway, an internet gateway,
something opaque, or nowhere.

`resolve` follows what the VPC really does, in order:

1. an *interface* endpoint for the service whose private DNS answers (`endpoints.interface_endpoint`);
2. for a service reached through a *gateway* endpoint, the gateway endpoint on the subnet's route table
   (`endpoints.gateway_endpoint`);
3. otherwise the subnet's route table (`routes.route_table_for`) decides by the route for the
   destination's address, ``0.0.0.0/0`` when it is only known to be public (`routes.default_route`);
   for an IPv6 sender, ``::/0`` (`routes.default_route_v6`): an egress-only internet gateway or an
   internet gateway takes outbound IPv6 without a public IPv4 address
   (https://docs.aws.amazon.com/vpc/latest/userguide/egress-only-internet-gateway.html). A dual-stack
   sender reaches a dual-stack destination by either family, an IPv4-only one by IPv4 only.

What could not be read is never taken as absent: a path that depends on unread evidence is
``unknown``, naming the evidence (``subnets``, ``route_tables``, ``nat_gateways``, ``vpc_endpoints``,
``vpc_attributes`` ... the EC2 Describe call that reads it is the caller's business).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from fargate_nb.reach.endpoints import Bypass, gateway_endpoint, interface_endpoint
from fargate_nb.reach.routes import (
    default_route,
    default_route_v6,
    hop_kind,
    is_blackhole,
    nat_problem,
    next_hop,
    route_table_for,
    routes_to_internet,
)
from fargate_nb.reach.shapes import dicts, find, strings

KINDS = ("interface-endpoint", "gateway-endpoint", "nat", "internet", "egress-only", "opaque", "none", "unknown")
FAMILIES = ("ipv4", "ipv6", "dual")  # the sender's addresses: IPv4 only, IPv6 only, dual-stack
NAT64_PREFIX = "64:ff9b::/96"
DEFAULT_ROUTE = "0.0.0.0/0"


@dataclass(frozen=True)
class Network:
    """One VPC's network evidence, in EC2 API shapes. ``None`` for a list means "not read"."""

    subnets: Any = None  # DescribeSubnets entries
    route_tables: Any = None  # DescribeRouteTables entries
    nat_gateways: Any = None  # DescribeNatGateways entries
    vpc_endpoints: Any = None  # DescribeVpcEndpoints entries
    dns_support: bool | None = None  # DescribeVpcAttribute enableDnsSupport
    dns_hostnames: bool | None = None  # DescribeVpcAttribute enableDnsHostnames
    unread: tuple[str, ...] = field(default=())  # evidence not read, by name (shown on the path)

    def subnet(self, subnet_id: str | None) -> dict[str, Any] | None:
        return find(self.subnets, "SubnetId", subnet_id)


@dataclass(frozen=True)
class Path:
    """How one destination is reached from one subnet."""

    target: str  # the caller's name for the destination
    kind: str  # one of KINDS
    endpoint: dict[str, Any] | None = None  # the VPC endpoint that takes the traffic
    route: dict[str, Any] | None = None  # the deciding route (prefix-list route or default route)
    route_table_id: str | None = None
    subnet_id: str | None = None
    detail: str = ""
    needs_public_ip: bool = False
    endpoint_service: str | None = None  # com.amazonaws.REGION.SERVICE, None for a non-AWS host
    nat_gateway: dict[str, Any] | None = None
    bypassed: tuple[Bypass, ...] = ()
    missing: tuple[str, ...] = ()  # evidence that could not be read
    public_ip: bool | None = None  # the sender's public IP, when the path is the internet gateway
    ipv6: bool = False  # the path follows the ::/0 route (IPv6 traffic)

    @property
    def works(self) -> bool | None:
        """True when traffic gets out this way, False when it cannot, None when we cannot tell."""
        if self.kind in ("interface-endpoint", "gateway-endpoint", "nat", "egress-only"):
            return True
        if self.kind == "internet":
            return self.public_ip
        if self.kind == "none":
            return False
        return None

    @property
    def via_endpoint(self) -> bool:
        return self.kind in ("interface-endpoint", "gateway-endpoint")


def rank(path: Path) -> int:
    """Order paths worst first: cannot (0) < cannot tell (1) < works (2)."""
    return {False: 0, None: 1, True: 2}[path.works]


def resolve(net: Network, subnet_id: str, service: str | None, *, target: str = "", gateway: bool = False,
            public_ip: bool | None = None, bypassed: Sequence[Bypass] = (), sender: str = "the sender",
            family: str = "ipv4", dual_stack_destination: bool = False) -> Path:
    """The path from ``subnet_id`` to ``service`` (an endpoint service name; None for a host no endpoint
    serves). ``gateway``: only a gateway endpoint may take the traffic (interface endpoints are not
    looked at; put them in ``bypassed`` with your reason). ``public_ip``: whether the sender has one;
    ``sender`` names it in the path's detail. ``family``: the sender's addresses (`FAMILIES`);
    ``dual_stack_destination``: the destination answers over IPv6 too."""
    missing = net.unread
    base: dict[str, Any] = {"target": target, "subnet_id": subnet_id, "endpoint_service": service}
    unread = tuple(k for k in ("subnets", "route_tables") if k in missing)
    if unread:
        return Path(kind="unknown", detail=f"the route table of {subnet_id} could not be read", missing=unread, **base)
    if net.subnet(subnet_id) is None:
        return Path(kind="unknown", detail=f"subnet {subnet_id} is not in the evidence (deleted, or not readable)",
                    missing=("subnets",), **base)
    rt = route_table_for(net.route_tables, subnet_id)
    if rt is None:
        return Path(kind="unknown", detail=f"no route table found for {subnet_id} (neither associated nor main)",
                    missing=missing, **base)
    rtb = rt.get("RouteTableId")
    base["route_table_id"] = rtb
    passed: list[Bypass] = []
    if service:
        passed.extend(bypassed)
        if gateway:
            label = "S3 gateway endpoint" if service.endswith(".s3") else "gateway endpoint"
            found = gateway_endpoint(net.vpc_endpoints, service, rt, passed, label)
            if found:
                endpoint, route = found
                return Path(kind="gateway-endpoint", endpoint=endpoint, route=route, missing=missing,
                            detail=f"{label} {endpoint.get('VpcEndpointId')} is on {rtb}", bypassed=tuple(passed),
                            **base)
        else:
            endpoint = interface_endpoint(net.vpc_endpoints, service, net.dns_support, net.dns_hostnames, passed)
            if endpoint:
                return Path(kind="interface-endpoint", endpoint=endpoint, missing=missing,
                            detail=_interface_detail(net, endpoint, subnet_id), bypassed=tuple(passed), **base)
    path = _way_out(net, rt, base, missing, tuple(passed), public_ip, sender, family, dual_stack_destination)
    if service and "vpc_endpoints" in missing and path.works is not True:
        return Path(kind="unknown", missing=("vpc_endpoints",), bypassed=tuple(passed),
                    detail=f"{path.detail}; the VPC endpoints could not be read, and one may serve {service}", **base)
    if path.works is not True and any(b.reason == "vpc-dns-unknown" for b in passed):
        return Path(kind="unknown", missing=("vpc_attributes",), bypassed=tuple(passed),
                    detail=f"{path.detail}; interface endpoint for {service} has private DNS on, but the VPC's "
                           "DNS attributes could not be read, so whether it answers is not known", **base)
    return path


def _interface_detail(net: Network, endpoint: dict[str, Any], subnet_id: str) -> str:
    """An interface endpoint serves the whole VPC; say so when it has no interface in the subnet's zone."""
    eid = endpoint.get("VpcEndpointId")
    az = (net.subnet(subnet_id) or {}).get("AvailabilityZone")
    endpoint_azs = {(net.subnet(s) or {}).get("AvailabilityZone") for s in strings(endpoint.get("SubnetIds"))}
    text = f"interface endpoint {eid} (private DNS on) answers for {endpoint.get('ServiceName')} in the whole VPC"
    if az and endpoint_azs and None not in endpoint_azs and az not in endpoint_azs:
        text += (f"; it has no network interface in {az}, so traffic crosses Availability Zones "
                 "(works, but adds a subnet in that zone for resilience)")
    return text


def _way_out(net: Network, rt: dict[str, Any], base: dict[str, Any], missing: tuple[str, ...],
             bypassed: tuple[Bypass, ...], public_ip: bool | None, sender: str, family: str,
             dual_stack_destination: bool) -> Path:
    """The default route of the sender's address family; a dual-stack sender and destination use either."""
    if family == "ipv6":
        if not dual_stack_destination:
            return _nat64(net, rt, base, missing, bypassed, sender)
        return _default_route_v6(rt, base, missing, bypassed, sender)
    v4 = _default_route(net, rt, base, missing, bypassed, public_ip, sender)
    if family != "dual" or not dual_stack_destination or v4.works is True:
        return v4
    v6 = _default_route_v6(rt, base, missing, bypassed, sender)
    return v6 if rank(v6) > rank(v4) else v4


def _nat64(net: Network, rt: dict[str, Any], base: dict[str, Any], missing: tuple[str, ...],
           bypassed: tuple[Bypass, ...], sender: str) -> Path:
    """An IPv6-only sender and an IPv4-only destination: only DNS64 and NAT64 (a ``64:ff9b::/96`` route to a
    NAT gateway) translate (https://docs.aws.amazon.com/vpc/latest/userguide/nat-gateway-nat64-dns64.html)."""
    rtb = base["route_table_id"]
    route = next((r for r in dicts(rt.get("Routes")) if r.get("DestinationIpv6CidrBlock") == NAT64_PREFIX
                  and r.get("NatGatewayId") and not is_blackhole(r)), None)
    if route is None:
        return Path(kind="none", ipv6=True, missing=missing, bypassed=bypassed,
                    detail=f"{sender} has only IPv6 and the destination's name is IPv4-only; {rtb} has no "
                           f"{NAT64_PREFIX} route to a NAT gateway (NAT64, with DNS64 on the subnet)", **base)
    path = _nat_path(net, str(route["NatGatewayId"]), {"route": route, "missing": missing, "bypassed": bypassed,
                                                        **base})
    return replace(path, ipv6=True, detail=f"NAT64: {path.detail} (DNS64 must be on for the subnet)")


def _default_route_v6(rt: dict[str, Any], base: dict[str, Any], missing: tuple[str, ...],
                      bypassed: tuple[Bypass, ...], sender: str) -> Path:
    rtb = base["route_table_id"]
    route = default_route_v6(rt)
    common = {"route": route, "missing": missing, "bypassed": bypassed, "ipv6": True, **base}
    if route is None:
        return Path(kind="none", detail=f"{rtb} has no IPv6 default route (::/0): no egress-only or internet gateway",
                    **common)
    hop = next_hop(route)
    if is_blackhole(route):
        return Path(kind="none", detail=f"the ::/0 route of {rtb} is a blackhole (its target {hop} is gone)", **common)
    kind, label = hop_kind(route)
    if kind == "egress-only":
        return Path(kind="egress-only", detail=f"{rtb} sends ::/0 to egress-only internet gateway {hop} (outbound "
                    f"IPv6 from {sender})", **common)
    if kind == "internet":
        return Path(kind="internet", public_ip=True, detail=f"{rtb} sends ::/0 to internet gateway {hop}; {sender}'s "
                    "IPv6 address is public, so no public IPv4 address is needed", **common)
    return Path(kind="opaque", detail=f"{rtb} sends ::/0 to {label or 'an unknown target'} {hop}: verify that the "
                "network behind it routes IPv6 to the internet", **common)


def _default_route(net: Network, rt: dict[str, Any], base: dict[str, Any], missing: tuple[str, ...],
                   bypassed: tuple[Bypass, ...], public_ip: bool | None, sender: str) -> Path:
    rtb = base["route_table_id"]
    route = default_route(rt)
    common = {"route": route, "missing": missing, "bypassed": bypassed, **base}
    if route is None:
        return Path(kind="none", detail=f"{rtb} has no default route (0.0.0.0/0): no NAT, no internet gateway",
                    **common)
    if is_blackhole(route):
        return Path(kind="none", detail=f"the default route of {rtb} is a blackhole (its target {next_hop(route)} is "
                    "gone)", **common)
    kind, label = hop_kind(route)
    hop = next_hop(route)
    if kind == "nat":
        return _nat_path(net, str(route["NatGatewayId"]), common)
    if kind == "internet":
        ip_text = {True: f"{sender} has a public IP", False: f"{sender} has no public IP",
                   None: f"whether {sender} has a public IP is not known"}[public_ip]
        return Path(kind="internet", needs_public_ip=True, public_ip=public_ip,
                    detail=f"{rtb} sends 0.0.0.0/0 to internet gateway {hop}; {ip_text}", **common)
    if kind == "vgw":
        return Path(kind="opaque", detail=f"{rtb} sends 0.0.0.0/0 to virtual private gateway {hop}: verify that the "
                    "network behind it (on premises) routes to the internet or to AWS endpoints", **common)
    if kind == "endpoint":
        return Path(kind="opaque", detail=f"{rtb} sends 0.0.0.0/0 to endpoint {hop} (firewall or Gateway Load "
                    "Balancer): verify that the inspection VPC lets HTTPS through and routes it out", **common)
    if kind == "opaque":
        return Path(kind="opaque", detail=f"{rtb} sends 0.0.0.0/0 to {label} {hop}: verify that the network behind "
                    "it reaches the internet (or endpoints) and routes replies back", **common)
    return Path(kind="opaque", detail=f"{rtb} sends 0.0.0.0/0 to {hop or 'an unknown target'}", **common)


def _nat_path(net: Network, nat_id: str, common: dict[str, Any]) -> Path:
    rtb = common["route_table_id"]
    said = f"{rtb} sends 0.0.0.0/0 to NAT gateway {nat_id}"
    nat = find(net.nat_gateways, "NatGatewayId", nat_id)
    if nat is None:
        kind = "unknown" if "nat_gateways" in common["missing"] else "none"
        why = "could not be read" if kind == "unknown" else "does not exist (deleted?)"
        return Path(kind=kind, detail=f"{said}, which {why}", **common)
    common = {**common, "nat_gateway": nat}
    nat_subnet = nat.get("SubnetId")
    nat_rt = route_table_for(net.route_tables, nat_subnet) if nat_subnet else None
    problem = nat_problem(nat, nat_rt)
    if problem:
        return Path(kind="none", detail=f"{said}, {problem}", **common)
    if nat_rt is None:
        return Path(kind="unknown", detail=f"{said}; the route table of its subnet {nat_subnet} is not in the "
                    "evidence", **common)
    return Path(kind="nat", detail=f"{said} in public subnet {nat_subnet} (via {routes_to_internet(nat_rt)})",
                **common)
