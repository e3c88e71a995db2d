"""Reference fixes for the workshop scenarios: the boto3 calls an engineer would make on AWS.

Each fix is ``(sandbox, provisioned) -> None`` and repairs the environment in place; re-running
the task definition afterwards (`fargate_nb.lab.scenarios.Scenario.repair`) should diagnose
clean. Fixes that change the task definition register a new revision, point the service at it
and record it in ``provisioned.task_definition_arn``, exactly as a deploy would.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fargate_nb.lab.context import lab_client
from fargate_nb.lab.resources import push_image
from fargate_nb.lab.sandbox import Sandbox
from fargate_nb.lab.spec import ECR_PULL_ACTIONS, EXECUTION_POLICY_ARN, Provisioned

Fix = Callable[[Sandbox, Provisioned], None]

#: Fields of DescribeTaskDefinition that RegisterTaskDefinition accepts back.
_REGISTER_FIELDS = ("family", "taskRoleArn", "executionRoleArn", "networkMode", "containerDefinitions",
                    "volumes", "placementConstraints", "requiresCompatibilities", "cpu", "memory",
                    "runtimePlatform", "ephemeralStorage", "pidMode", "ipcMode", "proxyConfiguration")


def _document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _execution_role(env: Provisioned) -> str:
    name = env.ids.get("execution_role_name")
    if not name:
        raise ValueError("this environment has no execution role to fix")
    return str(name)


def _rebind_task_definition(sandbox: Sandbox, env: Provisioned, change: Callable[[dict[str, Any]], None]) -> None:
    """Register a new revision with ``change`` applied, and roll the service onto it."""
    ecs = lab_client(sandbox, "ecs")
    current = ecs.describe_task_definition(taskDefinition=env.task_definition_arn)["taskDefinition"]
    request = {k: current[k] for k in _REGISTER_FIELDS if current.get(k) not in (None, [], {})}
    change(request)
    arn = ecs.register_task_definition(**request)["taskDefinition"]["taskDefinitionArn"]
    if env.service_name:
        ecs.update_service(cluster=env.cluster, service=env.service_name, taskDefinition=arn)
    env.task_definition_arn = arn


def no_fix(sandbox: Sandbox, env: Provisioned) -> None:
    """Healthy scenarios: nothing to repair."""


# -- IAM ----------------------------------------------------------------------------------------
def allow_ecr_auth(sandbox: Sandbox, env: Provisioned) -> None:
    """Add ``ecr:GetAuthorizationToken`` (it only ever takes Resource "*") to the execution role."""
    lab_client(sandbox, "iam").put_role_policy(
        RoleName=_execution_role(env), PolicyName="allow-ecr-auth-token",
        PolicyDocument=_document({"Sid": "EcrAuthToken", "Effect": "Allow",
                                  "Action": "ecr:GetAuthorizationToken", "Resource": "*"}))


def move_pull_permissions_to_execution_role(sandbox: Sandbox, env: Provisioned) -> None:
    """Attach the managed execution policy to the execution role; drop the pull grant from the task role."""
    iam = lab_client(sandbox, "iam")
    iam.attach_role_policy(RoleName=_execution_role(env), PolicyArn=EXECUTION_POLICY_ARN)
    task_role = env.ids.get("task_role_name")
    if task_role:
        for name in iam.list_role_policies(RoleName=task_role)["PolicyNames"]:
            iam.delete_role_policy(RoleName=task_role, PolicyName=name)


def allow_registry_secret(sandbox: Sandbox, env: Provisioned) -> None:
    """Let the execution role read the registry credentials secret."""
    lab_client(sandbox, "iam").put_role_policy(
        RoleName=_execution_role(env), PolicyName="read-registry-credentials",
        PolicyDocument=_document({"Sid": "ReadRegistryCredentials", "Effect": "Allow",
                                  "Action": "secretsmanager:GetSecretValue",
                                  "Resource": env.ids["registry_secret_arn"]}))


def allow_kms_decrypt(sandbox: Sandbox, env: Provisioned) -> None:
    """Let the execution role decrypt with the secrets' customer-managed key, via Secrets Manager only."""
    key_arn = env.ids["kms_keys"]["secrets"]
    lab_client(sandbox, "iam").put_role_policy(
        RoleName=_execution_role(env), PolicyName="decrypt-secrets-key",
        PolicyDocument=_document({
            "Sid": "DecryptSecretsKey", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": key_arn,
            "Condition": {"StringEquals": {"kms:ViaService": [f"secretsmanager.{env.region}.amazonaws.com",
                                                              f"ssm.{env.region}.amazonaws.com"]}},
        }))


def trust_ecs_tasks(sandbox: Sandbox, env: Provisioned) -> None:
    """Replace the trust policy so that ``ecs-tasks.amazonaws.com`` may assume the execution role."""
    lab_client(sandbox, "iam").update_assume_role_policy(
        RoleName=_execution_role(env),
        PolicyDocument=_document({"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                                  "Action": "sts:AssumeRole"}))


# -- registry and image -------------------------------------------------------------------------
def add_repository_credentials(sandbox: Sandbox, env: Provisioned) -> None:
    """Point the container at the registry credentials secret (a new task definition revision)."""
    secret = env.ids["registry_secret_arn"]

    def change(request: dict[str, Any]) -> None:
        for container in request["containerDefinitions"]:
            if container.get("name") == env.spec.container:
                container["repositoryCredentials"] = {"credentialsParameter": secret}

    _rebind_task_definition(sandbox, env, change)


def grant_pulling_account(sandbox: Sandbox, env: Provisioned) -> None:
    """Rewrite the cross-account repository policy so the pulling account may pull."""
    policy = {"Version": "2012-10-17", "Statement": [{
        "Sid": "AllowPullFromPaymentsAccount", "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{env.account}:root"}, "Action": ECR_PULL_ACTIONS}]}
    lab_client(sandbox, "ecr").set_repository_policy(
        repositoryName=env.spec.repository, registryId=env.ids["registry_id"], policyText=json.dumps(policy))


def push_missing_tag(sandbox: Sandbox, env: Provisioned) -> None:
    """Re-run the CI push: the release tag the task definition names now exists."""
    env.ids["image_digest"] = push_image(lab_client(sandbox, "ecr"), env.spec.repository, env.ids["registry_id"],
                                    env.spec.image_tag, env.spec.image_platforms, env.spec.image_index)


def push_multi_arch_image(sandbox: Sandbox, env: Provisioned) -> None:
    """Re-push the tag as a multi-arch index that also carries linux/arm64."""
    platforms = tuple(dict.fromkeys((*env.spec.image_platforms, "linux/amd64", "linux/arm64")))
    env.ids["image_digest"] = push_image(lab_client(sandbox, "ecr"), env.spec.repository, env.ids["registry_id"],
                                    env.spec.image_tag, platforms, index=True)


# -- logs ---------------------------------------------------------------------------------------
def create_log_group(sandbox: Sandbox, env: Provisioned) -> None:
    """Create the awslogs log group the task definition names."""
    logs = lab_client(sandbox, "logs")
    logs.create_log_group(logGroupName=env.spec.log_group_name)
    logs.put_retention_policy(logGroupName=env.spec.log_group_name, retentionInDays=30)
    env.ids["log_group"] = env.spec.log_group_name


# -- network ------------------------------------------------------------------------------------
def _endpoint_security_group(sandbox: Sandbox, env: Provisioned) -> str:
    ec2 = lab_client(sandbox, "ec2")
    existing = env.ids["security_groups"].get("endpoints")
    if existing:
        return str(existing)
    group = ec2.create_security_group(GroupName=f"{env.cluster}-vpc-endpoints", VpcId=env.ids["vpc"],
                                      Description="Interface endpoints")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
        "UserIdGroupPairs": [{"GroupId": env.ids["security_groups"]["task"], "Description": "HTTPS from the tasks"}]}])
    env.ids["security_groups"]["endpoints"] = group
    return str(group)


def create_s3_gateway(sandbox: Sandbox, env: Provisioned) -> None:
    """Create the S3 gateway endpoint on the task subnets' route table (ECR layers live in S3)."""
    ep = lab_client(sandbox, "ec2").create_vpc_endpoint(
        VpcId=env.ids["vpc"], ServiceName=f"com.amazonaws.{env.region}.s3", VpcEndpointType="Gateway",
        RouteTableIds=[env.ids["route_tables"]["task"]])
    env.ids["endpoints"]["s3"] = ep["VpcEndpoint"]["VpcEndpointId"]


def create_private_endpoints(sandbox: Sandbox, env: Provisioned) -> None:
    """Give an isolated subnet its PrivateLink path: ecr.api, ecr.dkr, logs and the S3 gateway."""
    ec2 = lab_client(sandbox, "ec2")
    group = _endpoint_security_group(sandbox, env)
    for target in ("ecr.api", "ecr.dkr", "logs"):
        if target in env.ids["endpoints"]:
            continue
        ep = ec2.create_vpc_endpoint(
            VpcId=env.ids["vpc"], ServiceName=f"com.amazonaws.{env.region}.{target}", VpcEndpointType="Interface",
            SubnetIds=env.ids["subnets"], SecurityGroupIds=[group], PrivateDnsEnabled=True)
        env.ids["endpoints"][target] = ep["VpcEndpoint"]["VpcEndpointId"]
    if "s3" not in env.ids["endpoints"]:
        create_s3_gateway(sandbox, env)


def admit_https_from_tasks(sandbox: Sandbox, env: Provisioned) -> None:
    """Let the endpoint security group admit 443 from the task security group."""
    lab_client(sandbox, "ec2").authorize_security_group_ingress(
        GroupId=env.ids["security_groups"]["endpoints"], IpPermissions=[{
            "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
            "UserIdGroupPairs": [{"GroupId": env.ids["security_groups"]["task"],
                                  "Description": "HTTPS from the tasks"}]}])


def route_s3_gateway_to_task_subnets(sandbox: Sandbox, env: Provisioned) -> None:
    """Associate the S3 gateway endpoint with the task subnets' route table.

    On AWS, ModifyVpcEndpoint adds the prefix-list route itself; moto only records the
    association, so the route is added here as AWS would have added it.
    """
    ec2 = lab_client(sandbox, "ec2")
    endpoint, table = env.ids["endpoints"]["s3"], env.ids["route_tables"]["task"]
    ec2.modify_vpc_endpoint(VpcEndpointId=endpoint, AddRouteTableIds=[table])
    routes = ec2.describe_route_tables(RouteTableIds=[table])["RouteTables"][0]["Routes"]
    if not any(r.get("GatewayId") == endpoint for r in routes):
        ec2.create_route(RouteTableId=table, DestinationPrefixListId=env.ids["s3_prefix_list"], GatewayId=endpoint)


def enable_vpc_dns(sandbox: Sandbox, env: Provisioned) -> None:
    """Turn both VPC DNS attributes on (private DNS of interface endpoints needs them)."""
    ec2 = lab_client(sandbox, "ec2")
    ec2.modify_vpc_attribute(VpcId=env.ids["vpc"], EnableDnsSupport={"Value": True})
    ec2.modify_vpc_attribute(VpcId=env.ids["vpc"], EnableDnsHostnames={"Value": True})
