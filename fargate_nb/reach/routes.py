"""Route tables: which route a subnet's traffic to a destination takes, and where that route leads.

A subnet uses the route table explicitly associated with it, else the VPC's *main* route table
(https://docs.aws.amazon.com/vpc/latest/userguide/RouteTables.html#subnet-route-tables). Within it,
the most specific matching route wins (longest prefix match); on a tie, a static route beats a route
to a prefix list, which beats a propagated route
(https://docs.aws.amazon.com/vpc/latest/userguide/route-tables-priority.html). A prefix-list route
(``DestinationPrefixListId``, as a gateway endpoint adds for S3) matches as its CIDRs would. A route
whose target was deleted stays as ``blackhole`` and drops the traffic. Shapes are
DescribeRouteTables'.

Where the route leads decides what works (https://docs.aws.amazon.com/vpc/latest/userguide/
route-table-options.html): an internet gateway needs a public IP on the sender; a NAT gateway needs to
be ``available``, *public*, and in a subnet whose own default route goes to an internet gateway
(https://docs.aws.amazon.com/vpc/latest/userguide/vpc-nat-gateway.html); a transit gateway, peering
connection, virtual private gateway, appliance or firewall endpoint leads somewhere we cannot see.
"""

from __future__ import annotations

from typing import Any

from fargate_nb.reach.cidrs import ALL_IPV4, Net, to_net, to_net6, to_nets
from fargate_nb.reach.shapes import dicts

#: Route targets whose far side is not in the evidence, and how to name them.
OPAQUE_TARGETS = (
    ("TransitGatewayId", "transit gateway"), ("VpcPeeringConnectionId", "VPC peering connection"),
    ("NetworkInterfaceId", "network interface (appliance)"), ("InstanceId", "instance (NAT instance or appliance)"),
    ("CoreNetworkArn", "Cloud WAN core network"), ("LocalGatewayId", "local gateway"),
    ("CarrierGatewayId", "carrier gateway"),
)
_PROPAGATED = "EnableVgwRoutePropagation"


def route_table_for(tables: Any, subnet_id: str) -> dict[str, Any] | None:
    """The subnet's explicitly associated route table, else the VPC's main route table."""
    tables = dicts(tables)
    for rt in tables:
        if any(a.get("SubnetId") == subnet_id for a in dicts(rt.get("Associations"))):
            return rt
    return next((rt for rt in tables if any(a.get("Main") is True for a in dicts(rt.get("Associations")))), None)


def route_for(rt: dict[str, Any], destination: Net, prefix_lists: Any = None) -> dict[str, Any] | None:
    """The route ``rt`` uses for every address of ``destination`` (longest prefix, then static >
    prefix list > propagated). ``prefix_lists`` (DescribePrefixLists / managed prefix list entries
    with ``Cidrs``) lets prefix-list routes match; without them those routes are not considered.

    ``destination`` must fall inside one route's range: a route covering only part of it does not
    decide for the whole (pass the narrowest destination you know, 0.0.0.0/0 when nothing is known).
    """
    best: tuple[tuple[int, int], dict[str, Any]] | None = None
    for route in dicts(rt.get("Routes")):
        rank = _match(route, destination, prefix_lists)
        if rank is not None and (best is None or rank > best[0]):
            best = (rank, route)
    return best[1] if best else None


def _match(route: dict[str, Any], destination: Net, prefix_lists: Any) -> tuple[int, int] | None:
    propagated = route.get("Origin") == _PROPAGATED
    if route.get("DestinationCidrBlock"):
        net = to_net(route["DestinationCidrBlock"])
        if net is None or not destination.subnet_of(net):
            return None
        return net.prefixlen, 0 if propagated else 2
    pl_id = route.get("DestinationPrefixListId")
    if pl_id and prefix_lists is not None:
        pl = next((p for p in dicts(prefix_lists) if p.get("PrefixListId") == pl_id), None)
        hits = [n for n in to_nets((pl or {}).get("Cidrs")) if destination.subnet_of(n)]
        if hits:
            return max(n.prefixlen for n in hits), 0 if propagated else 1
    return None


def default_route(rt: dict[str, Any]) -> dict[str, Any] | None:
    """The ``0.0.0.0/0`` route: the way to an address the table has no narrower route for."""
    return route_for(rt, ALL_IPV4)


def default_route_v6(rt: dict[str, Any]) -> dict[str, Any] | None:
    """The ``::/0`` route (IPv6 traffic to an address with no narrower route); None when there is none."""
    best: tuple[int, dict[str, Any]] | None = None
    for route in dicts(rt.get("Routes")):
        net = to_net6(route.get("DestinationIpv6CidrBlock"))
        if net is not None and net.prefixlen == 0:
            rank = 0 if route.get("Origin") == _PROPAGATED else 2
            if best is None or rank > best[0]:
                best = (rank, route)
    return best[1] if best else None


def is_blackhole(route: dict[str, Any]) -> bool:
    """The route's target is gone (deleted NAT gateway, detached gateway ...): traffic is dropped."""
    return str(route.get("State") or "active").lower() == "blackhole"


def next_hop(route: dict[str, Any]) -> str:
    """The id of the route's target ("" when it names none)."""
    for key in ("GatewayId", "NatGatewayId", *(k for k, _ in OPAQUE_TARGETS), "EgressOnlyInternetGatewayId"):
        if route.get(key):
            return str(route[key])
    return ""


def hop_kind(route: dict[str, Any]) -> tuple[str, str]:
    """(kind, label) of where a route leads: ``nat``, ``internet``, ``vgw``, ``endpoint``, ``local``,
    ``opaque`` (label names the target type) or ``unknown``."""
    gateway = str(route.get("GatewayId") or "")
    if route.get("EgressOnlyInternetGatewayId") or gateway.startswith("eigw-"):
        return "egress-only", "egress-only internet gateway"
    if route.get("NatGatewayId"):
        return "nat", "NAT gateway"
    if gateway.startswith("igw-"):
        return "internet", "internet gateway"
    if gateway.startswith("vgw-"):
        return "vgw", "virtual private gateway"
    if gateway.startswith("vpce-"):
        return "endpoint", "endpoint"
    if gateway == "local":
        return "local", "the VPC"
    for key, label in OPAQUE_TARGETS:
        if route.get(key):
            return "opaque", label
    return "unknown", ""


def routes_to_internet(rt: dict[str, Any] | None) -> str | None:
    """The internet gateway id when ``rt`` has an active default route to one (a *public* subnet's table)."""
    route = default_route(rt) if rt else None
    igw = str((route or {}).get("GatewayId") or "")
    return igw if igw.startswith("igw-") and not is_blackhole(route or {}) else None


def nat_problem(nat: dict[str, Any], nat_subnet_table: dict[str, Any] | None) -> str | None:
    """Why a NAT gateway cannot take traffic to the internet (None: it can, or its subnet's table is not
    known: check ``nat_subnet_table`` first). The words follow the route to it: "..., which is 'failed'"."""
    state = str(nat.get("State") or "").lower()
    if state != "available":
        return f"which is {state!r}"
    if str(nat.get("ConnectivityType") or "public").lower() == "private":
        return "a *private* NAT gateway: it cannot reach the internet"
    if nat_subnet_table is not None and routes_to_internet(nat_subnet_table) is None:
        return (f"but its subnet {nat.get('SubnetId')} is not public: {nat_subnet_table.get('RouteTableId')} has no "
                "active 0.0.0.0/0 route to an internet gateway")
    return None
