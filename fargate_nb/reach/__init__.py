"""A reachability engine for one VPC: routes, CIDRs, prefix lists, security groups, network ACLs.

    from fargate_nb.reach import Network, resolve
    path = resolve(Network(subnets=..., route_tables=..., vpc_endpoints=..., nat_gateways=...,
                           dns_support=True, dns_hostnames=True),
                   "subnet-0abc", "com.amazonaws.us-east-1.ecr.dkr")
    path.kind  # interface-endpoint | gateway-endpoint | nat | internet | egress-only | opaque | none | unknown

It works on EC2 API shapes (DescribeRouteTables, DescribeSecurityGroups, DescribeNetworkAcls,
DescribePrefixLists, DescribeVpcEndpoints ... entries, as plain dicts) and plain values (subnet ids,
CIDRs, ports, endpoint service names), uses only the standard library, and knows nothing of ECS: the
adapter `fargate_nb.netpath` says which destinations a task needs and reads them from a snapshot.

Modules: `cidrs` (CIDR arithmetic), `ports` (HTTPS and ephemeral ranges), `security_groups`
(stateful, allow-only coverage), `nacls` (stateless first match per direction), `routes` (route table
of a subnet, longest prefix, next hops, NAT gateways), `endpoints` (interface and gateway endpoints
and why one is bypassed), `paths` (the way out, composed), `shapes` (tolerant readers).
"""

from fargate_nb.reach.endpoints import Bypass
from fargate_nb.reach.paths import DEFAULT_ROUTE, FAMILIES, KINDS, Network, Path, rank, resolve

__all__ = ["DEFAULT_ROUTE", "FAMILIES", "KINDS", "Bypass", "Network", "Path", "rank", "resolve"]
