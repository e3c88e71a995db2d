"""Small AWS environments for the collector tests, built with boto3 against the moto server.

`build_private_env` is the representative single-task case: an ECR image (a multi-platform
index), a Secrets Manager secret under a customer-managed KMS key, awslogs, private subnets
with the ecr.api / ecr.dkr / logs / secretsmanager interface endpoints and the S3 gateway
endpoint, an execution role (managed + inline policy, permissions boundary) and a task role.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

ACCOUNT = "123456789012"
REGION = "us-east-1"
STOP_REASON = ("CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve ref "
               f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/app:v1")
TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
INDEX = {
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.index.v1+json",
    "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "size": 1000,
         "digest": "sha256:" + "1" * 64, "platform": {"os": "linux", "architecture": "amd64"}},
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "size": 1000,
         "digest": "sha256:" + "2" * 64, "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "size": 500,
         "digest": "sha256:" + "3" * 64, "platform": {"os": "unknown", "architecture": "unknown"}},
    ],
}


_CLIENTS: dict[tuple[str, str], Any] = {}


def client(sb: Any, service: str) -> Any:
    """One client per service and server: building clients (loading models) is the slow part."""
    key = (sb.endpoint_url, service)
    if key not in _CLIENTS:
        _CLIENTS[key] = sb.client(service)
    return _CLIENTS[key]


@dataclass
class Env:
    cluster: str = "web"
    vpc_id: str = ""
    subnet_ids: list[str] = field(default_factory=list)
    task_sg: str = ""
    endpoint_sg: str = ""
    route_table_id: str = ""
    exec_role_arn: str = ""
    task_role_arn: str = ""
    boundary_arn: str = ""
    repo_arn: str = ""
    image: str = ""
    secret_arn: str = ""
    key_arn: str = ""
    log_group: str = "/ecs/app"
    task_definition_arn: str = ""
    task_arn: str = ""
    service: str = "api"
    extra: dict[str, Any] = field(default_factory=dict)


def build_network(sb: Any, env: Env, *, endpoints: bool = True) -> None:
    ec2 = client(sb, "ec2")
    env.vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    # moto's RunTask needs DNS hostnames on to name the task ENI.
    ec2.modify_vpc_attribute(VpcId=env.vpc_id, EnableDnsHostnames={"Value": True})
    # As in AWS, the VPC has a DHCP option set (moto leaves it "default", which the collector need not read).
    dopt = ec2.create_dhcp_options(DhcpConfigurations=[{"Key": "domain-name-servers",
                                                        "Values": ["AmazonProvidedDNS"]}])["DhcpOptions"]
    ec2.associate_dhcp_options(DhcpOptionsId=dopt["DhcpOptionsId"], VpcId=env.vpc_id)
    env.subnet_ids = [ec2.create_subnet(VpcId=env.vpc_id, CidrBlock=f"10.0.{i}.0/24",
                                        AvailabilityZone=f"{REGION}{az}")["Subnet"]["SubnetId"]
                      for i, az in ((1, "a"), (2, "b"))]
    env.route_table_id = ec2.create_route_table(VpcId=env.vpc_id)["RouteTable"]["RouteTableId"]
    for subnet in env.subnet_ids:
        ec2.associate_route_table(RouteTableId=env.route_table_id, SubnetId=subnet)
    env.task_sg = ec2.create_security_group(GroupName="task", Description="task", VpcId=env.vpc_id)["GroupId"]
    env.endpoint_sg = ec2.create_security_group(GroupName="endpoints", Description="vpce",
                                                VpcId=env.vpc_id)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=env.endpoint_sg, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "UserIdGroupPairs": [{"GroupId": env.task_sg}]}])
    if not endpoints:
        return
    for service in ("ecr.api", "ecr.dkr", "logs", "secretsmanager"):
        ec2.create_vpc_endpoint(VpcId=env.vpc_id, ServiceName=f"com.amazonaws.{REGION}.{service}",
                                VpcEndpointType="Interface", SubnetIds=env.subnet_ids,
                                SecurityGroupIds=[env.endpoint_sg], PrivateDnsEnabled=True)
    ec2.create_vpc_endpoint(VpcId=env.vpc_id, ServiceName=f"com.amazonaws.{REGION}.s3", VpcEndpointType="Gateway",
                            RouteTableIds=[env.route_table_id], PolicyDocument=json.dumps({
                                "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                               "Resource": f"arn:aws:s3:::prod-{REGION}-starport-layer-bucket/*"}]}))


def build_iam(sb: Any, env: Env) -> None:
    iam = client(sb, "iam")
    env.boundary_arn = iam.create_policy(PolicyName="boundary", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))["Policy"]["Arn"]
    env.exec_role_arn = iam.create_role(RoleName="exec", AssumeRolePolicyDocument=json.dumps(TRUST),
                                        PermissionsBoundary=env.boundary_arn)["Role"]["Arn"]
    iam.attach_role_policy(RoleName="exec",
                           PolicyArn="arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy")
    iam.put_role_policy(RoleName="exec", PolicyName="secrets", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue", "kms:Decrypt"], "Resource": "*"}]}))
    env.task_role_arn = iam.create_role(RoleName="app", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    iam.put_role_policy(RoleName="app", PolicyName="s3", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}))


def build_ecr(sb: Any, env: Env, *, tag: str = "v1") -> None:
    ecr = client(sb, "ecr")
    env.repo_arn = ecr.create_repository(repositoryName="app")["repository"]["repositoryArn"]
    ecr.put_image(repositoryName="app", imageManifest=json.dumps(INDEX), imageTag=tag,
                  imageManifestMediaType=INDEX["mediaType"])
    ecr.set_repository_policy(repositoryName="app", policyText=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Sid": "pull", "Effect": "Allow",
                                                 "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                                                 "Action": ["ecr:BatchGetImage"]}]}))
    env.image = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/app:v1"


def build_secret(sb: Any, env: Env) -> None:
    env.key_arn = client(sb, "kms").create_key(Description="app secrets")["KeyMetadata"]["Arn"]
    sm = client(sb, "secretsmanager")
    env.secret_arn = sm.create_secret(Name="db", SecretString="not-read", KmsKeyId=env.key_arn)["ARN"]
    sm.put_resource_policy(SecretId="db", ResourcePolicy=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "secretsmanager:*",
                                                 "Resource": "*",
                                                 "Condition": {"StringNotEquals": {"aws:PrincipalAccount": ACCOUNT}}}]}))
    client(sb, "logs").create_log_group(logGroupName=env.log_group)


def container(env: Env, **overrides: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": "app", "image": env.image, "memory": 512, "essential": True,
        "secrets": [{"name": "DB_PASSWORD", "valueFrom": f"{env.secret_arn}:password::"}],
        "logConfiguration": {"logDriver": "awslogs", "options": {
            "awslogs-group": env.log_group, "awslogs-region": REGION, "awslogs-stream-prefix": "ecs"}},
    }
    spec.update(overrides)
    return {k: v for k, v in spec.items() if v is not None}


def register(sb: Any, env: Env, containers: list[dict[str, Any]] | None = None, **td: Any) -> str:
    kwargs: dict[str, Any] = {
        "family": "app", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "cpu": "256",
        "memory": "512", "executionRoleArn": env.exec_role_arn, "taskRoleArn": env.task_role_arn,
        "containerDefinitions": containers or [container(env)],
    }
    kwargs.update(td)
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    env.task_definition_arn = client(sb, "ecs").register_task_definition(**kwargs)["taskDefinition"]["taskDefinitionArn"]
    return env.task_definition_arn


def run_and_stop(sb: Any, env: Env, *, public_ip: bool = False, stop: bool = True) -> str:
    ecs = client(sb, "ecs")
    ecs.create_cluster(clusterName=env.cluster)
    task = ecs.run_task(cluster=env.cluster, taskDefinition=env.task_definition_arn, launchType="FARGATE",
                        networkConfiguration={"awsvpcConfiguration": {
                            "subnets": env.subnet_ids[:1], "securityGroups": [env.task_sg],
                            "assignPublicIp": "ENABLED" if public_ip else "DISABLED"}})["tasks"][0]
    env.task_arn = task["taskArn"]
    if stop:
        ecs.stop_task(cluster=env.cluster, task=env.task_arn, reason=STOP_REASON)
    return env.task_arn


def create_service(sb: Any, env: Env, *, public_ip: bool = False) -> None:
    ecs = client(sb, "ecs")
    ecs.create_cluster(clusterName=env.cluster)
    ecs.create_service(cluster=env.cluster, serviceName=env.service, taskDefinition=env.task_definition_arn,
                       desiredCount=1, launchType="FARGATE", networkConfiguration={"awsvpcConfiguration": {
                           "subnets": env.subnet_ids, "securityGroups": [env.task_sg],
                           "assignPublicIp": "ENABLED" if public_ip else "DISABLED"}})


def build_private_env(sb: Any, *, stop: bool = True, service: bool = True) -> Env:
    """The representative environment, with one stopped task that failed to pull (and its service)."""
    env = Env()
    build_network(sb, env)
    build_iam(sb, env)
    build_ecr(sb, env)
    build_secret(sb, env)
    register(sb, env)
    run_and_stop(sb, env, stop=stop)
    if service:
        create_service(sb, env, public_ip=True)
        build_worker(sb, env)
    return env


def build_worker(sb: Any, env: Env) -> None:
    """A second service whose secrets come from Parameter Store (a bare name and an ARN)."""
    ssm = client(sb, "ssm")
    ssm.put_parameter(Name="/app/flag", Value="not-read", Type="SecureString")
    ssm.put_parameter(Name="plain", Value="not-read-either", Type="String")
    worker = container(env, name="worker", secrets=[
        {"name": "FLAG", "valueFrom": "/app/flag"},
        {"name": "PLAIN", "valueFrom": f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/plain"},
        {"name": "GONE", "valueFrom": "/app/gone"}])
    td = client(sb, "ecs").register_task_definition(
        family="worker", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        executionRoleArn=env.exec_role_arn, containerDefinitions=[worker])["taskDefinition"]["taskDefinitionArn"]
    client(sb, "ecs").create_service(
        cluster=env.cluster, serviceName="worker", taskDefinition=td, desiredCount=1, launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": env.subnet_ids[1:], "securityGroups": [env.task_sg]}})
    env.extra["worker_task_definition"] = td
