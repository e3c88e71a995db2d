"""VPC endpoints: which endpoint, if any, takes a subnet's traffic to an AWS service, and why not.

* An *interface* endpoint (PrivateLink) takes the traffic for the service's *public* name only when
  its private DNS is on and the VPC has both ``enableDnsSupport`` and ``enableDnsHostnames`` on; the
  private hosted zone then answers the name with the endpoint's addresses in the whole VPC, whatever
  the Availability Zone (https://docs.aws.amazon.com/vpc/latest/privatelink/privatelink-access-aws-services.html,
  https://docs.aws.amazon.com/vpc/latest/userguide/vpc-dns.html). An endpoint that is not ``available``
  takes nothing.
* A *gateway* endpoint (S3, DynamoDB) takes the traffic of the subnets whose route table it is
  associated with, through a route to the service's prefix list; it needs no DNS
  (https://docs.aws.amazon.com/vpc/latest/privatelink/gateway-endpoints.html).

An endpoint that exists but does not take the traffic is reported as a `Bypass` with its reason, so a
caller can say "turn on private DNS" instead of "create an endpoint". Shapes are DescribeVpcEndpoints'.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fargate_nb.reach.shapes import dicts, find, is_available, strings


@dataclass(frozen=True)
class Bypass:
    """An endpoint for the destination that exists but does not take the traffic, and why."""

    endpoint: dict[str, Any]
    reason: str  # private-dns-off | vpc-dns-off | vpc-dns-unknown | not-available | not-on-route-table
    #              | a caller's own reason (the ECS adapter adds s3-interface)
    detail: str


def same_service(endpoint_service_name: Any, service: str) -> bool:
    """An endpoint's own ``ServiceName`` names ``service``. In the China regions some services carry a ``cn.``
    prefix and others do not (``cn.com.amazonaws.cn-north-1.ecr.dkr``,
    https://docs.amazonaws.cn/en_us/vpc/latest/privatelink/aws-services-cross-region-privatelink-support.html),
    so the two spellings of one service match; the region in the name must match exactly (an endpoint serves
    the region its name says, https://docs.aws.amazon.com/vpc/latest/privatelink/aws-services-cross-region-privatelink-support.html)."""
    if not isinstance(endpoint_service_name, str):
        return False
    return _bare(endpoint_service_name) == _bare(service)


def _bare(name: str) -> str:
    return name[3:] if name.startswith("cn.com.amazonaws.") else name


def endpoints_for(endpoints: Any, service_name: str, kind: str | None = None) -> list[dict[str, Any]]:
    """The endpoints for a service name (optionally of one ``VpcEndpointType``), in evidence order."""
    return [e for e in dicts(endpoints)
            if same_service(e.get("ServiceName"), service_name) and (kind is None or e.get("VpcEndpointType") == kind)]


def interface_endpoint(endpoints: Any, service: str, dns_support: bool | None, dns_hostnames: bool | None,
                       bypassed: list[Bypass]) -> dict[str, Any] | None:
    """The interface endpoint whose private DNS answers for ``service``; the others go to ``bypassed``."""
    for ep in endpoints_for(endpoints, service, "Interface"):
        eid = ep.get("VpcEndpointId")
        if not is_available(ep):
            bypassed.append(Bypass(ep, "not-available", f"interface endpoint {eid} is {ep.get('State')!r}"))
        elif ep.get("PrivateDnsEnabled") is not True:
            bypassed.append(Bypass(ep, "private-dns-off",
                                   f"interface endpoint {eid} has private DNS off, so {service}'s public name "
                                   "does not resolve to it"))
        elif dns_support is None or dns_hostnames is None:
            bypassed.append(Bypass(ep, "vpc-dns-unknown", f"the VPC DNS attributes were not read, so whether {eid}'s "
                                   "private DNS answers is not known"))
        elif dns_support is False or dns_hostnames is False:
            off = " and ".join(n for n, v in (("enableDnsSupport", dns_support), ("enableDnsHostnames", dns_hostnames))
                               if v is False)
            bypassed.append(Bypass(ep, "vpc-dns-off",
                                   f"the VPC has {off} off, so the private hosted zone of {eid} does not answer"))
        else:
            return ep
    return None


def gateway_endpoint(endpoints: Any, service: str, rt: dict[str, Any], bypassed: list[Bypass],
                     label: str = "gateway endpoint") -> tuple[dict[str, Any], dict[str, Any] | None] | None:
    """(the gateway endpoint on route table ``rt``, its route there) for ``service``; others to ``bypassed``.

    An endpoint counts as on the table when the table is among its ``RouteTableIds`` or the table has a
    route targeting it (either side of the association may be the one that was read).
    """
    rtb = rt.get("RouteTableId")
    for ep in endpoints_for(endpoints, service, "Gateway"):
        eid = ep.get("VpcEndpointId")
        route = find(rt.get("Routes"), "GatewayId", eid)
        on_table = rtb in strings(ep.get("RouteTableIds")) or route is not None
        if not is_available(ep):
            bypassed.append(Bypass(ep, "not-available", f"{label} {eid} is {ep.get('State')!r}"))
        elif not on_table:
            bypassed.append(Bypass(ep, "not-on-route-table",
                                   f"{label} {eid} is not associated with {rtb}, the subnet's route table"))
        else:
            return ep, route
    return None
