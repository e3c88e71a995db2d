"""Provisioning steps for the network: VPC, subnets, gateways and route tables, security groups,
VPC endpoints, network ACLs, and the task's public IP.

Each step reads the `EnvSpec` from the shared `BuildContext`, makes its boto3 calls against the
sandbox and records what it made in ``ctx.ids``. ``ctx.step`` names the step in progress so a
refused call becomes a clear `ProvisionError`.
"""

from __future__ import annotations

import ipaddress
import json
from typing import TYPE_CHECKING, Any

from fargate_nb.lab.context import BuildContext, lab_client
from fargate_nb.lab.context import tags as _tags
from fargate_nb.lab.spec import OLD_VPC_CIDR, Provisioned

if TYPE_CHECKING:
    from fargate_nb.lab.sandbox import Sandbox


# -- network ------------------------------------------------------------------------------------
def build_network(ctx: BuildContext) -> None:
    spec, ec2, ids = ctx.spec, ctx.client("ec2"), ctx.ids
    ctx.step = "create the VPC"
    vpc = ec2.create_vpc(CidrBlock=spec.vpc_cidr, TagSpecifications=_tags("vpc", f"{spec.cluster}-vpc"))["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsSupport={"Value": spec.vpc_dns_support})
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": spec.vpc_dns_hostnames})
    # As in AWS, the VPC uses a DHCP option set naming AmazonProvidedDNS (moto leaves it "default").
    dopt = ec2.create_dhcp_options(DhcpConfigurations=[{"Key": "domain-name-servers",
                                                        "Values": ["AmazonProvidedDNS"]}])["DhcpOptions"]
    ec2.associate_dhcp_options(DhcpOptionsId=dopt["DhcpOptionsId"], VpcId=vpc)
    ids.update(vpc=vpc, vpc_cidr=spec.vpc_cidr, dhcp_options=dopt["DhcpOptionsId"])
    blocks = list(ipaddress.ip_network(spec.vpc_cidr).subnets(new_prefix=24))
    ctx.step = "create the subnets"
    zones = [f"{ctx.region}a", f"{ctx.region}b"]
    kind = "public" if spec.subnet == "public" else "private"
    task_subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=str(blocks[10 + i]), AvailabilityZone=zone,
                          TagSpecifications=_tags("subnet", f"{spec.cluster}-{kind}-{zone[-1]}"))["Subnet"]["SubnetId"]
        for i, zone in enumerate(zones)
    ]
    ids.update(subnets=task_subnets, public_subnet=None, internet_gateway=None, nat_gateway=None)
    main_rt = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                                 {"Name": "association.main", "Values": ["true"]}])["RouteTables"][0]
    route_tables: dict[str, str | None] = {"main": main_rt["RouteTableId"], "public": None}

    if spec.subnet in ("public", "private-nat"):
        ctx.step = "create the internet gateway"
        igw = ec2.create_internet_gateway(TagSpecifications=_tags("internet-gateway", f"{spec.cluster}-igw"))
        igw_id = igw["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc)
        public_rt = ec2.create_route_table(VpcId=vpc, TagSpecifications=_tags("route-table", f"{spec.cluster}-public"))
        public_rt_id = public_rt["RouteTable"]["RouteTableId"]
        ec2.create_route(RouteTableId=public_rt_id, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw_id)
        ids["internet_gateway"], route_tables["public"] = igw_id, public_rt_id
    if spec.subnet == "public":
        task_rt = route_tables["public"]
    else:
        ctx.step = "create the private route table"
        task_rt = ec2.create_route_table(VpcId=vpc, TagSpecifications=_tags("route-table", f"{spec.cluster}-private"))[
            "RouteTable"]["RouteTableId"]
    if spec.subnet == "private-nat":
        ctx.step = "create the NAT gateway"
        public_subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=str(blocks[0]), AvailabilityZone=zones[0],
                                          TagSpecifications=_tags("subnet", f"{spec.cluster}-public-a"))["Subnet"]["SubnetId"]
        ec2.associate_route_table(RouteTableId=route_tables["public"], SubnetId=public_subnet)
        allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
        nat = ec2.create_nat_gateway(SubnetId=public_subnet, AllocationId=allocation,
                                     TagSpecifications=_tags("natgateway", f"{spec.cluster}-nat"))["NatGateway"]["NatGatewayId"]
        ec2.create_route(RouteTableId=task_rt, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
        ids.update(public_subnet=public_subnet, nat_gateway=nat)
    for subnet_id in task_subnets:
        ec2.associate_route_table(RouteTableId=task_rt, SubnetId=subnet_id)
    route_tables["task"] = task_rt
    ids["route_tables"] = route_tables

    ctx.step = "look up the S3 prefix list"
    s3_name = f"com.amazonaws.{ctx.region}.s3"
    lists = ec2.describe_prefix_lists(Filters=[{"Name": "prefix-list-name", "Values": [s3_name]}])["PrefixLists"]
    ids["s3_prefix_list"] = lists[0]["PrefixListId"] if lists else None
    _build_security_groups(ctx)
    _build_endpoints(ctx)
    _build_nacl(ctx)


def _build_security_groups(ctx: BuildContext) -> None:
    spec, ec2, ids = ctx.spec, ctx.client("ec2"), ctx.ids
    ctx.step = "create the task security group"
    task_sg = ec2.create_security_group(GroupName=f"{spec.family}-task", VpcId=ids["vpc"],
                                        Description=f"{spec.family} Fargate tasks")["GroupId"]
    if spec.task_sg_egress != "all":
        ec2.revoke_security_group_egress(GroupId=task_sg, IpPermissions=[
            {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        https = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443}
        if spec.task_sg_egress == "443-anywhere":
            ec2.authorize_security_group_egress(GroupId=task_sg, IpPermissions=[
                {**https, "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "HTTPS out"}]}])
        elif spec.task_sg_egress == "443-vpc-only":
            ec2.authorize_security_group_egress(GroupId=task_sg, IpPermissions=[
                {**https, "IpRanges": [{"CidrIp": spec.vpc_cidr, "Description": "HTTPS to the VPC endpoints"}]}])
    groups: dict[str, str | None] = {"task": task_sg, "endpoints": None}
    if spec.interface_endpoints:
        ctx.step = "create the endpoint security group"
        ep_sg = ec2.create_security_group(GroupName=f"{spec.cluster}-vpc-endpoints", VpcId=ids["vpc"],
                                          Description="Interface endpoints")["GroupId"]
        source: dict[str, Any] = (
            {"UserIdGroupPairs": [{"GroupId": task_sg, "Description": "HTTPS from the tasks"}]}
            if spec.endpoint_sg_allows_task
            else {"IpRanges": [{"CidrIp": OLD_VPC_CIDR, "Description": "HTTPS from the old VPC"}]}
        )
        ec2.authorize_security_group_ingress(GroupId=ep_sg, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, **source}])
        groups["endpoints"] = ep_sg
    ids["security_groups"] = groups


def _build_endpoints(ctx: BuildContext) -> None:
    spec, ec2, ids = ctx.spec, ctx.client("ec2"), ctx.ids
    for target in spec.interface_endpoints:
        ctx.step = f"create the {target} interface endpoint"
        kwargs: dict[str, Any] = {}
        if target in spec.endpoint_policies:
            kwargs["PolicyDocument"] = json.dumps(ctx.fill(spec.endpoint_policies[target]))
        ep = ec2.create_vpc_endpoint(
            VpcId=ids["vpc"], ServiceName=f"com.amazonaws.{ctx.region}.{target}", VpcEndpointType="Interface",
            SubnetIds=ids["subnets"], SecurityGroupIds=[ids["security_groups"]["endpoints"]],
            PrivateDnsEnabled=spec.endpoint_private_dns, **kwargs)
        ids["endpoints"][target] = ep["VpcEndpoint"]["VpcEndpointId"]
    if spec.has_s3_gateway:
        ctx.step = "create the S3 gateway endpoint"
        # Off the task route table, it sits on the VPC's main table, which the task subnets left.
        route_table = ids["route_tables"]["task" if spec.s3_gateway_on_task_route_table else "main"]
        kwargs = {}
        if "s3" in spec.endpoint_policies:
            kwargs["PolicyDocument"] = json.dumps(ctx.fill(spec.endpoint_policies["s3"]))
        ep = ec2.create_vpc_endpoint(VpcId=ids["vpc"], ServiceName=f"com.amazonaws.{ctx.region}.s3",
                                     VpcEndpointType="Gateway", RouteTableIds=[route_table], **kwargs)
        ids["endpoints"]["s3"] = ep["VpcEndpoint"]["VpcEndpointId"]


def _build_nacl(ctx: BuildContext) -> None:
    spec, ec2, ids = ctx.spec, ctx.client("ec2"), ctx.ids
    ids["network_acl"] = None
    if spec.nacl == "default":
        return
    ctx.step = "create the network ACL"
    acl = ec2.create_network_acl(VpcId=ids["vpc"], TagSpecifications=_tags("network-acl", f"{spec.cluster}-tasks"))
    acl_id = acl["NetworkAcl"]["NetworkAclId"]
    if spec.nacl == "block-443-out":
        ec2.create_network_acl_entry(NetworkAclId=acl_id, RuleNumber=90, Protocol="6", RuleAction="deny",
                                     Egress=True, CidrBlock="0.0.0.0/0", PortRange={"From": 443, "To": 443})
    else:  # block-ephemeral-in: the replies to the task's HTTPS calls never come back
        ec2.create_network_acl_entry(NetworkAclId=acl_id, RuleNumber=90, Protocol="6", RuleAction="deny",
                                     Egress=False, CidrBlock="0.0.0.0/0", PortRange={"From": 1024, "To": 65535})
    for egress in (True, False):
        ec2.create_network_acl_entry(NetworkAclId=acl_id, RuleNumber=100, Protocol="-1", RuleAction="allow",
                                     Egress=egress, CidrBlock="0.0.0.0/0")
    current = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": ids["subnets"]}])
    for entry in current["NetworkAcls"]:
        for assoc in entry.get("Associations", []):
            if assoc.get("SubnetId") in ids["subnets"]:
                ec2.replace_network_acl_association(AssociationId=assoc["NetworkAclAssociationId"], NetworkAclId=acl_id)
    ids["network_acl"] = acl_id


def attach_public_ip(sandbox: Sandbox, env: Provisioned, task: dict[str, Any]) -> None:
    """Give the task's ENI a public IP when ``assignPublicIp`` is on (moto's ENI never gets one)."""
    details = {d.get("name"): d.get("value") for a in task.get("attachments") or [] for d in a.get("details") or []}
    eni = details.get("networkInterfaceId")
    env.ids["network_interface"] = eni
    env.ids["public_ip"] = None
    if not (eni and env.spec.public_ip):
        return
    ec2 = lab_client(sandbox, "ec2")
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ec2.associate_address(AllocationId=allocation, NetworkInterfaceId=eni)
    address = ec2.describe_addresses(AllocationIds=[allocation])["Addresses"][0]
    env.ids["public_ip"] = address.get("PublicIp")
