"""Synthetic networks of a Fargate task, for the network path and `net.*` check tests (and any
`SnapshotBuilder`: ``healthy().network(private_vpc())``).

`private_vpc()` is a healthy private VPC: no NAT, no internet route, interface endpoints for ecr.api,
ecr.dkr, logs and secretsmanager (private DNS on), the S3 gateway endpoint on the task subnet's route
table, security groups and network ACLs that let HTTPS through. `nat_vpc()` and `public_vpc()` are
the healthy NAT and public-IP variants. Each test breaks one thing through the `Net` helpers and
checks what the resolver and the checks say. Shapes are botocore's (DescribeVpcs, DescribeSubnets ...).
"""

from __future__ import annotations

import copy
from typing import Any

from fargate_nb.model import Gap, Snapshot
from tests.support.snapshots import ACCT, DB_SECRET_ARN, EXEC_ROLE, IMAGE, LOG_GROUP, REGION

VPC = "vpc-0a1b2c3d4e5f60718"
VPC_CIDR = "10.0.0.0/16"
TASK_SUBNET = "subnet-0aaa1111111111111"  # 10.0.1.0/24, us-east-1a, private
TASK_SUBNET_B = "subnet-0bbb2222222222222"  # 10.0.2.0/24, us-east-1b, private
ENDPOINT_SUBNET = "subnet-0ccc3333333333333"  # 10.0.3.0/24, us-east-1a, endpoints only
PUBLIC_SUBNET = "subnet-0ddd4444444444444"  # 10.0.0.0/24, us-east-1a, public
TASK_IP = "10.0.1.57"
PRIVATE_RTB = "rtb-0private000000000"
PUBLIC_RTB = "rtb-0public0000000000"
MAIN_RTB = "rtb-0main00000000000"
IGW = "igw-0123456789abcdef0"
NAT = "nat-0123456789abcdef0"
TASK_SG = "sg-0task000000000000"
ENDPOINT_SG = "sg-0endpoint00000000"
NACL = "acl-0default00000000"
S3_PL = "pl-63a5400a"
S3_PL_CIDRS = ["52.216.0.0/15", "3.5.0.0/19", "54.231.0.0/16", "16.182.0.0/16"]
SECRET_ARN = DB_SECRET_ARN  # the container secret `Net.container_secret` adds
SUBNET_CIDRS = {TASK_SUBNET: "10.0.1.0/24", TASK_SUBNET_B: "10.0.2.0/24", ENDPOINT_SUBNET: "10.0.3.0/24",
                PUBLIC_SUBNET: "10.0.0.0/24"}
SUBNET_AZS = {TASK_SUBNET: "us-east-1a", TASK_SUBNET_B: "us-east-1b", ENDPOINT_SUBNET: "us-east-1a",
              PUBLIC_SUBNET: "us-east-1a"}
INTERFACE_SERVICES = ("ecr.api", "ecr.dkr", "logs", "secretsmanager")
FULL_ACCESS = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}


def endpoint_id(service: str) -> str:
    return "vpce-0" + service.replace(".", "").ljust(16, "0")[:16]


def service_name(service: str, region: str = REGION) -> str:
    return f"com.amazonaws.{region}.{service}"


def https(**source: Any) -> dict[str, Any]:
    """A TCP 443 security-group permission; ``source`` is cidr=, group=, or prefix_list=."""
    perm: dict[str, Any] = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [],
                            "UserIdGroupPairs": [], "PrefixListIds": [], "Ipv6Ranges": []}
    if "cidr" in source:
        perm["IpRanges"].append({"CidrIp": source["cidr"]})
    if "group" in source:
        perm["UserIdGroupPairs"].append({"GroupId": source["group"], "UserId": ACCT})
    if "prefix_list" in source:
        perm["PrefixListIds"].append({"PrefixListId": source["prefix_list"]})
    return perm


ALL_TRAFFIC_OUT = {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "UserIdGroupPairs": [],
                   "PrefixListIds": [], "Ipv6Ranges": []}


def nacl_entry(number: int, *, egress: bool, action: str = "allow", cidr: str = "0.0.0.0/0",
               protocol: str = "-1", ports: tuple[int, int] | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"RuleNumber": number, "Egress": egress, "RuleAction": action, "CidrBlock": cidr,
                             "Protocol": protocol}
    if ports:
        entry["PortRange"] = {"From": ports[0], "To": ports[1]}
    return entry


def default_nacl_entries() -> list[dict[str, Any]]:
    return [nacl_entry(100, egress=False), nacl_entry(32767, egress=False, action="deny"),
            nacl_entry(100, egress=True), nacl_entry(32767, egress=True, action="deny")]


class Net:
    """A snapshot under construction; helpers return ``self`` so tests read as one sentence."""

    def __init__(self, *, region: str = REGION) -> None:
        self.snap = Snapshot(region=region, account=ACCT, collected_at="2026-11-28T03:00:00Z", collector="tests",
                             subject={"kind": "task", "cluster": "prod", "task": "t"})
        self.snap.task = {
            "taskArn": f"arn:aws:ecs:{region}:{ACCT}:task/prod/0123456789abcdef0123456789abcdef",
            "lastStatus": "STOPPED", "launchType": "FARGATE", "platformVersion": "1.4.0",
            "attachments": [{"type": "ElasticNetworkInterface", "status": "DELETED", "details": [
                {"name": "subnetId", "value": TASK_SUBNET},
                {"name": "networkInterfaceId", "value": "eni-0123456789abcdef0"},
                {"name": "privateIPv4Address", "value": TASK_IP}]}],
        }
        self.snap.task_definition = {
            "family": "api", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
            "executionRoleArn": EXEC_ROLE,
            "containerDefinitions": [{"name": "api", "image": IMAGE, "essential": True, "logConfiguration": {
                "logDriver": "awslogs", "options": {"awslogs-group": LOG_GROUP, "awslogs-region": region,
                                                    "awslogs-stream-prefix": "ecs"}}}],
        }
        self.snap.network = {
            "assign_public_ip": False, "subnet_ids": [TASK_SUBNET], "security_group_ids": [TASK_SG],
            "vpc": {"VpcId": VPC, "CidrBlock": VPC_CIDR, "State": "available", "EnableDnsSupport": True,
                    "EnableDnsHostnames": True},
            "subnets": [self._subnet(s) for s in SUBNET_CIDRS],
            "route_tables": [
                {"RouteTableId": MAIN_RTB, "VpcId": VPC, "Associations": [
                    {"Main": True, "RouteTableId": MAIN_RTB, "RouteTableAssociationId": "rtbassoc-0main"}],
                 "Routes": [self._local()]},
                {"RouteTableId": PRIVATE_RTB, "VpcId": VPC, "Associations": [
                    {"Main": False, "RouteTableId": PRIVATE_RTB, "SubnetId": s} for s in
                    (TASK_SUBNET, TASK_SUBNET_B, ENDPOINT_SUBNET)], "Routes": [self._local()]},
                {"RouteTableId": PUBLIC_RTB, "VpcId": VPC, "Associations": [
                    {"Main": False, "RouteTableId": PUBLIC_RTB, "SubnetId": PUBLIC_SUBNET}],
                 "Routes": [self._local(), {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": IGW,
                                            "State": "active", "Origin": "CreateRoute"}]},
            ],
            "internet_gateways": [{"InternetGatewayId": IGW, "Attachments": [{"VpcId": VPC, "State": "available"}]}],
            "nat_gateways": [],
            "vpc_endpoints": [],
            "security_groups": [
                {"GroupId": TASK_SG, "GroupName": "api-task", "VpcId": VPC, "IpPermissions": [],
                 "IpPermissionsEgress": [copy.deepcopy(ALL_TRAFFIC_OUT)]},
                {"GroupId": ENDPOINT_SG, "GroupName": "endpoints", "VpcId": VPC,
                 "IpPermissions": [https(group=TASK_SG)], "IpPermissionsEgress": [copy.deepcopy(ALL_TRAFFIC_OUT)]},
            ],
            "network_acls": [{"NetworkAclId": NACL, "VpcId": VPC, "IsDefault": True, "Entries": default_nacl_entries(),
                              "Associations": [{"NetworkAclId": NACL, "SubnetId": s} for s in SUBNET_CIDRS]}],
            "prefix_lists": [{"PrefixListId": S3_PL, "PrefixListName": service_name("s3", region),
                              "Cidrs": list(S3_PL_CIDRS)}],
            "dhcp_options": {"DhcpOptionsId": "dopt-0amazon000000000", "DhcpConfigurations": [
                {"Key": "domain-name-servers", "Values": [{"Value": "AmazonProvidedDNS"}]}]},
        }

    # -- pieces ------------------------------------------------------------------------------
    def _subnet(self, subnet_id: str) -> dict[str, Any]:
        return {"SubnetId": subnet_id, "VpcId": VPC, "CidrBlock": SUBNET_CIDRS[subnet_id],
                "AvailabilityZone": SUBNET_AZS[subnet_id], "State": "available",
                "MapPublicIpOnLaunch": subnet_id == PUBLIC_SUBNET}

    @staticmethod
    def _local() -> dict[str, Any]:
        return {"DestinationCidrBlock": VPC_CIDR, "GatewayId": "local", "State": "active",
                "Origin": "CreateRouteTable"}

    @property
    def net(self) -> dict[str, Any]:
        return self.snap.network

    def route_table(self, rtb: str) -> dict[str, Any]:
        return next(r for r in self.net["route_tables"] if r["RouteTableId"] == rtb)

    def sg(self, group_id: str) -> dict[str, Any]:
        return next(g for g in self.net["security_groups"] if g["GroupId"] == group_id)

    def endpoint(self, service: str, kind: str | None = None) -> dict[str, Any]:
        return next(e for e in self.net["vpc_endpoints"] if e["ServiceName"] == service_name(service, self.snap.region)
                    and (kind is None or e["VpcEndpointType"] == kind))

    def build(self) -> Snapshot:
        return self.snap.copy()

    # -- task definition -----------------------------------------------------------------------
    def container_secret(self, value_from: str = SECRET_ARN) -> Net:
        self.snap.task_definition["containerDefinitions"][0].setdefault("secrets", []).append(
            {"name": "DB_PASSWORD", "valueFrom": value_from})
        return self

    def image(self, image: str) -> Net:
        self.snap.task_definition["containerDefinitions"][0]["image"] = image
        return self

    def no_logs(self) -> Net:
        self.snap.task_definition["containerDefinitions"][0].pop("logConfiguration", None)
        return self

    def windows(self) -> Net:
        self.snap.task_definition["runtimePlatform"] = {"operatingSystemFamily": "WINDOWS_SERVER_2022_CORE",
                                                        "cpuArchitecture": "X86_64"}
        return self

    # -- network -------------------------------------------------------------------------------
    def interface_endpoint(self, service: str, *, private_dns: bool = True, subnets: list[str] | None = None,
                           groups: list[str] | None = None, policy: dict | None = None,
                           state: str = "available") -> Net:
        self.net["vpc_endpoints"].append({
            "VpcEndpointId": endpoint_id(service), "VpcEndpointType": "Interface", "VpcId": VPC,
            "ServiceName": service_name(service, self.snap.region), "State": state,
            "PolicyDocument": copy.deepcopy(policy or FULL_ACCESS), "RouteTableIds": [],
            "SubnetIds": list(subnets if subnets is not None else [ENDPOINT_SUBNET]),
            "Groups": [{"GroupId": g, "GroupName": g} for g in (groups if groups is not None else [ENDPOINT_SG])],
            "PrivateDnsEnabled": private_dns, "OwnerId": ACCT})
        return self

    def s3_gateway(self, *, route_tables: list[str] | None = None, policy: dict | None = None) -> Net:
        eid = endpoint_id("s3gw")
        tables = list(route_tables if route_tables is not None else [PRIVATE_RTB])
        self.net["vpc_endpoints"].append({
            "VpcEndpointId": eid, "VpcEndpointType": "Gateway", "VpcId": VPC,
            "ServiceName": service_name("s3", self.snap.region), "State": "available",
            "PolicyDocument": copy.deepcopy(policy or FULL_ACCESS), "RouteTableIds": tables, "SubnetIds": [],
            "Groups": [], "PrivateDnsEnabled": False, "OwnerId": ACCT})
        for rtb in tables:
            self.route_table(rtb)["Routes"].append({"DestinationPrefixListId": S3_PL, "GatewayId": eid,
                                                    "State": "active", "Origin": "CreateRoute"})
        return self

    def all_endpoints(self) -> Net:
        for service in INTERFACE_SERVICES:
            self.interface_endpoint(service)
        return self.s3_gateway()

    def default_route(self, rtb: str = PRIVATE_RTB, **target: Any) -> Net:
        routes = self.route_table(rtb)["Routes"]
        routes[:] = [r for r in routes if r.get("DestinationCidrBlock") != "0.0.0.0/0"]
        routes.append({"DestinationCidrBlock": "0.0.0.0/0", "State": target.pop("State", "active"),
                       "Origin": "CreateRoute", **target})
        return self

    def nat(self, *, state: str = "available", subnet: str = PUBLIC_SUBNET, connectivity: str = "public") -> Net:
        self.net["nat_gateways"].append({
            "NatGatewayId": NAT, "VpcId": VPC, "SubnetId": subnet, "State": state, "ConnectivityType": connectivity,
            "NatGatewayAddresses": [{"PublicIp": "54.0.0.10", "PrivateIp": "10.0.0.10", "IsPrimary": True}]})
        return self.default_route(NatGatewayId=NAT)

    def public_ip(self, value: bool | None = True) -> Net:
        self.net["assign_public_ip"] = value
        return self

    def igw_route(self, rtb: str = PRIVATE_RTB) -> Net:
        return self.default_route(rtb, GatewayId=IGW)

    def vpc_dns(self, support: bool = True, hostnames: bool = True) -> Net:
        self.net["vpc"].update(EnableDnsSupport=support, EnableDnsHostnames=hostnames)
        return self

    def dhcp_servers(self, *servers: str) -> Net:
        """The VPC's DHCP option set names these ``domain-name-servers`` (as DescribeDhcpOptions shapes it)."""
        self.net["dhcp_options"] = {"DhcpOptionsId": "dopt-0custom00000000", "DhcpConfigurations": [
            {"Key": "domain-name-servers", "Values": [{"Value": v} for v in servers]}]}
        return self

    def task_egress(self, *perms: dict[str, Any]) -> Net:
        self.sg(TASK_SG)["IpPermissionsEgress"] = [copy.deepcopy(p) for p in perms]
        return self

    def endpoint_ingress(self, *perms: dict[str, Any]) -> Net:
        self.sg(ENDPOINT_SG)["IpPermissions"] = [copy.deepcopy(p) for p in perms]
        return self

    def nacl(self, entries: list[dict[str, Any]], *, subnets: list[str] | None = None,
             acl_id: str = "acl-0custom000000000") -> Net:
        """Associate a custom NACL with ``subnets`` (default: the task subnet)."""
        subnets = subnets or [TASK_SUBNET]
        for acl in self.net["network_acls"]:
            acl["Associations"] = [a for a in acl["Associations"] if a["SubnetId"] not in subnets]
        self.net["network_acls"].append({"NetworkAclId": acl_id, "VpcId": VPC, "IsDefault": False,
                                         "Entries": copy.deepcopy(entries),
                                         "Associations": [{"NetworkAclId": acl_id, "SubnetId": s} for s in subnets]})
        return self

    def unreadable(self, key: str, api: str, permission: str | None = None) -> Net:
        """The collector could not read ``key``: drop it and record the gap."""
        self.net.pop(key, None)
        self.snap.gaps.append(Gap(api=api, permission=permission or api,
                                  error="AccessDenied: not authorized", resource=VPC))
        return self


def private_vpc() -> Net:
    """Healthy private VPC: endpoints for everything the default task needs, no NAT, no internet."""
    return Net().all_endpoints()


def nat_vpc() -> Net:
    """Healthy NAT VPC: no endpoints; the task subnet routes 0.0.0.0/0 to a NAT in a public subnet."""
    return Net().nat()


def public_vpc() -> Net:
    """Healthy public subnet: 0.0.0.0/0 to the internet gateway and a public IP on the task."""
    return Net().igw_route().public_ip(True)
