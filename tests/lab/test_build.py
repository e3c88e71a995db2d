"""The builder: each knob really shows in the AWS state, read back with boto3 describe calls."""

from __future__ import annotations

import json

import pytest

from fargate_nb.lab.build import (
    ARTIFACTS_ACCOUNT,
    ContainerSecret,
    EnvSpec,
    ProvisionError,
    describe_task,
    provision,
    run_task,
)
from fargate_nb.lab.sandbox import Sandbox, free_port

from ._clients import client as _client

EXEC_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"


def _task_definition(env) -> dict:
    return _client("ecs").describe_task_definition(taskDefinition=env.task_definition_arn)["taskDefinition"]


def _routes(env, table: str) -> list[dict]:
    return _client("ec2").describe_route_tables(RouteTableIds=[env.ids["route_tables"][table]])[
        "RouteTables"][0]["Routes"]


def test_defaults_build_a_healthy_public_service(aws):
    env = provision(aws, EnvSpec())
    ec2, ecs, iam, ecr = (_client(s) for s in ("ec2", "ecs", "iam", "ecr"))

    task = describe_task(aws, env)
    assert task["lastStatus"] == "RUNNING" and not task.get("stoppedReason")
    # Described twice: still RUNNING (moto would otherwise advance it one state per read).
    assert describe_task(aws, env)["lastStatus"] == "RUNNING"
    assert task["launchType"] == "FARGATE" and task["group"] == "service:api"
    eni_id = next(d["value"] for d in task["attachments"][0]["details"] if d["name"] == "networkInterfaceId")
    eni = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni_id])["NetworkInterfaces"][0]
    assert eni["Association"]["PublicIp"] == env.ids["public_ip"]
    assert eni["SubnetId"] in env.ids["subnets"]

    routes = _routes(env, "task")
    assert {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": env.ids["internet_gateway"]}.items() <= next(
        r for r in routes if r.get("DestinationCidrBlock") == "0.0.0.0/0").items()
    for attribute, key in (("enableDnsSupport", "EnableDnsSupport"), ("enableDnsHostnames", "EnableDnsHostnames")):
        assert ec2.describe_vpc_attribute(VpcId=env.ids["vpc"], Attribute=attribute)[key]["Value"] is True

    service = ecs.describe_services(cluster="payments", services=["api"])["services"][0]
    assert service["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] == "ENABLED"

    td = _task_definition(env)
    assert td["requiresCompatibilities"] == ["FARGATE"] and td["networkMode"] == "awsvpc"
    assert td["executionRoleArn"] == env.ids["execution_role_arn"]
    container = td["containerDefinitions"][0]
    assert container["image"] == f"{env.ids['repository_uri']}:1.4.2"
    assert container["logConfiguration"]["options"]["awslogs-group"] == "/ecs/payments-api"
    assert "repositoryCredentials" not in container and "secrets" not in container

    attached = iam.list_attached_role_policies(RoleName="payments-api-execution")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [EXEC_POLICY]
    trust = iam.get_role(RoleName="payments-api-execution")["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}

    image = ecr.batch_get_image(repositoryName="payments-api", imageIds=[{"imageTag": "1.4.2"}])["images"][0]
    manifest = json.loads(image["imageManifest"])
    assert manifest["mediaType"] == "application/vnd.oci.image.index.v1+json"
    assert [m["platform"] for m in manifest["manifests"]] == [{"architecture": "amd64", "os": "linux"}]
    assert image["imageId"]["imageDigest"] == env.ids["image_digest"]
    groups = _client("logs").describe_log_groups(logGroupNamePrefix="/ecs/payments-api")["logGroups"]
    assert [g["logGroupName"] for g in groups] == ["/ecs/payments-api"]


def test_private_endpoints_with_broken_knobs(aws):
    spec = EnvSpec(subnet="private-endpoints", endpoint_private_dns=False, task_sg_egress="443-vpc-only",
                   nacl="block-443-out", endpoint_policies={"s3": {"Version": "2012-10-17", "Statement": [
                       {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                        "Resource": "arn:aws:s3:::prod-${region}-starport-layer-bucket/*"}]}},
                   vpc_dns_support=False)
    env = provision(aws, spec)
    ec2 = _client("ec2")
    assert env.ids["internet_gateway"] is None and env.ids["nat_gateway"] is None
    assert not any(r.get("DestinationCidrBlock") == "0.0.0.0/0" for r in _routes(env, "task"))
    endpoints = {e["ServiceName"].rsplit(".", 2)[-2] if e["ServiceName"].endswith((".api", ".dkr"))
                 else e["ServiceName"].rsplit(".", 1)[-1]: e for e in ec2.describe_vpc_endpoints()["VpcEndpoints"]}
    assert set(endpoints) == {"ecr", "logs", "secretsmanager", "ssm", "s3"}
    interface = [e for e in ec2.describe_vpc_endpoints()["VpcEndpoints"] if e["VpcEndpointType"] == "Interface"]
    assert len(interface) == 5 and all(e["PrivateDnsEnabled"] is False for e in interface)
    assert all(e["Groups"][0]["GroupId"] == env.ids["security_groups"]["endpoints"] for e in interface)
    gateway = endpoints["s3"]
    assert gateway["RouteTableIds"] == [env.ids["route_tables"]["task"]]
    assert json.loads(gateway["PolicyDocument"])["Statement"][0]["Resource"] == (
        "arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*")
    assert any(r.get("GatewayId") == gateway["VpcEndpointId"] and r.get("DestinationPrefixListId") ==
               env.ids["s3_prefix_list"] for r in _routes(env, "task"))

    task_sg = ec2.describe_security_groups(GroupIds=[env.ids["security_groups"]["task"]])["SecurityGroups"][0]
    assert [(p["FromPort"], [r["CidrIp"] for r in p["IpRanges"]], p["PrefixListIds"])
            for p in task_sg["IpPermissionsEgress"]] == [(443, ["10.40.0.0/16"], [])]
    ep_sg = ec2.describe_security_groups(GroupIds=[env.ids["security_groups"]["endpoints"]])["SecurityGroups"][0]
    assert ep_sg["IpPermissions"][0]["UserIdGroupPairs"][0]["GroupId"] == env.ids["security_groups"]["task"]

    acl = ec2.describe_network_acls(NetworkAclIds=[env.ids["network_acl"]])["NetworkAcls"][0]
    assert {a["SubnetId"] for a in acl["Associations"]} == set(env.ids["subnets"])
    deny = [e for e in acl["Entries"] if e["RuleAction"] == "deny" and e["RuleNumber"] == 90]
    assert deny == [{**deny[0], "Egress": True, "PortRange": {"From": 443, "To": 443}}]
    assert ec2.describe_vpc_attribute(VpcId=env.ids["vpc"], Attribute="enableDnsSupport")[
        "EnableDnsSupport"]["Value"] is False
    assert describe_task(aws, env)["lastStatus"] == "RUNNING"
    assert env.ids["public_ip"] is None


def test_nat_subnet_routes_through_a_nat_gateway(aws):
    env = provision(aws, EnvSpec(subnet="private-nat", task_sg_egress="none", nacl="block-ephemeral-in"))
    ec2 = _client("ec2")
    default = next(r for r in _routes(env, "task") if r.get("DestinationCidrBlock") == "0.0.0.0/0")
    assert default["NatGatewayId"] == env.ids["nat_gateway"]
    nat = ec2.describe_nat_gateways(NatGatewayIds=[env.ids["nat_gateway"]])["NatGateways"][0]
    assert nat["SubnetId"] == env.ids["public_subnet"] and nat["SubnetId"] not in env.ids["subnets"]
    task_sg = ec2.describe_security_groups(GroupIds=[env.ids["security_groups"]["task"]])["SecurityGroups"][0]
    assert task_sg["IpPermissionsEgress"] == []
    acl = ec2.describe_network_acls(NetworkAclIds=[env.ids["network_acl"]])["NetworkAcls"][0]
    deny = next(e for e in acl["Entries"] if e["RuleNumber"] == 90)
    assert (deny["Egress"], deny["PortRange"]) == (False, {"From": 1024, "To": 65535})
    assert env.ids["public_ip"] is None


def test_dockerhub_private_with_cmk_secrets_and_stopped_reason(aws):
    spec = EnvSpec(image_source="dockerhub-private", registry_secret_kms=True, awslogs="create-group",
                   container_secrets=(ContainerSecret(), ContainerSecret("API_KEY", "ssm", kms=True),
                                      ContainerSecret("STRIPE_KEY", exists=False)),
                   stopped_reason="unable to read {registry_secret_arn} as {execution_role_name} in {task_id}")
    env = provision(aws, spec)
    sm, iam = _client("secretsmanager"), _client("iam")
    key = env.ids["kms_keys"]["secrets"]
    secret = sm.describe_secret(SecretId=env.ids["registry_secret_arn"])
    assert secret["KmsKeyId"] == key and secret["Name"] == "dockerhub/payments-api"
    td = _task_definition(env)
    container = td["containerDefinitions"][0]
    assert container["image"] == "acme/payments-api:1.4.2"
    assert container["repositoryCredentials"] == {"credentialsParameter": env.ids["registry_secret_arn"]}
    assert container["logConfiguration"]["options"]["awslogs-create-group"] == "true"
    secrets = {s["name"]: s["valueFrom"] for s in container["secrets"]}
    assert secrets["API_KEY"] == "arn:aws:ssm:us-east-1:123456789012:parameter/payments-api/API_KEY"
    parameter = _client("ssm").describe_parameters()["Parameters"][0]
    assert (parameter["Name"], parameter["KeyId"]) == ("/payments-api/API_KEY", key)
    with pytest.raises(sm.exceptions.ResourceNotFoundException):
        sm.describe_secret(SecretId=secrets["STRIPE_KEY"])
    assert _client("logs").describe_log_groups()["logGroups"] == []

    inline = iam.get_role_policy(RoleName="payments-api-execution", PolicyName="payments-api-secrets")
    statements = {s["Sid"]: s for s in inline["PolicyDocument"]["Statement"]}
    assert env.ids["registry_secret_arn"] in statements["ReadSecrets"]["Resource"]
    assert statements["DecryptSecrets"]["Resource"] == key
    assert statements["ReadParameters"]["Resource"] == [secrets["API_KEY"]]
    assert statements["CreateLogGroup"]["Action"] == "logs:CreateLogGroup"

    task = describe_task(aws, env)
    assert task["lastStatus"] == "STOPPED"
    assert task["stoppedReason"] == (f"unable to read {env.ids['registry_secret_arn']} as payments-api-execution "
                                     f"in {env.task_id}")


def test_cross_account_repository_and_multi_arch_index(aws):
    env = provision(aws, EnvSpec(image_source="ecr-cross-account", image_platforms=("linux/amd64", "linux/arm64")))
    ecr = _client("ecr")
    assert env.ids["repository_uri"] == f"{ARTIFACTS_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/payments-api"
    repo = ecr.describe_repositories(registryId=ARTIFACTS_ACCOUNT, repositoryNames=["payments-api"])["repositories"][0]
    assert repo["repositoryArn"] == f"arn:aws:ecr:us-east-1:{ARTIFACTS_ACCOUNT}:repository/payments-api"
    policy = json.loads(ecr.get_repository_policy(registryId=ARTIFACTS_ACCOUNT, repositoryName="payments-api")[
        "policyText"])
    assert policy["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
    index = json.loads(ecr.batch_get_image(registryId=ARTIFACTS_ACCOUNT, repositoryName="payments-api",
                                           imageIds=[{"imageTag": "1.4.2"}])["images"][0]["imageManifest"])
    children = {m["platform"]["architecture"]: m["digest"] for m in index["manifests"]}
    assert set(children) == {"amd64", "arm64"}
    # Every child the index names was pushed, by digest.
    found = ecr.batch_get_image(registryId=ARTIFACTS_ACCOUNT, repositoryName="payments-api",
                                imageIds=[{"imageDigest": d} for d in children.values()])
    assert len(found["images"]) == 2 and not found["failures"]


@pytest.mark.parametrize(("state", "has_arn"), [("not-found", True), ("absent", False)])
def test_execution_role_absent_or_deleted(aws, state, has_arn):
    env = provision(aws, EnvSpec(execution_role=state))
    td = _task_definition(env)
    assert ("executionRoleArn" in td) is has_arn
    roles = [r["RoleName"] for r in _client("iam").list_roles()["Roles"]]
    assert roles == ["payments-api-task"]
    if has_arn:
        assert td["executionRoleArn"].endswith(":role/payments-api-execution-old")


def test_custom_policy_boundary_and_missing_tag(aws):
    boundary = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}]}
    statement = {"Effect": "Allow", "Action": "ecr:BatchGetImage", "Resource": "${repository_arn}"}
    env = provision(aws, EnvSpec(execution_role_policy="custom", execution_role_statements=(statement,),
                                 permissions_boundary=boundary, image_pushed=False, awslogs="none"))
    iam, ecr = _client("iam"), _client("ecr")
    assert iam.list_attached_role_policies(RoleName="payments-api-execution")["AttachedPolicies"] == []
    doc = iam.get_role_policy(RoleName="payments-api-execution", PolicyName="payments-api-pull")["PolicyDocument"]
    assert doc["Statement"][0]["Resource"] == env.ids["repository_arn"]
    role = iam.get_role(RoleName="payments-api-execution")["Role"]
    assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == env.ids["boundary_arn"]
    tags = [i.get("imageTag") for i in ecr.list_images(repositoryName="payments-api")["imageIds"]]
    assert "1.4.2" not in tags and "1.4.1" in tags
    assert "logConfiguration" not in _task_definition(env)["containerDefinitions"][0]


def test_run_task_again_with_dns_hostnames_off(aws):
    env = provision(aws, EnvSpec(subnet="private-endpoints", vpc_dns_hostnames=False, stopped_reason="first"))
    second = run_task(aws, env)
    assert second != env.task_arn
    assert describe_task(aws, env, second)["lastStatus"] == "RUNNING"
    assert describe_task(aws, env)["stoppedReason"] == "first"
    attribute = _client("ec2").describe_vpc_attribute(VpcId=env.ids["vpc"], Attribute="enableDnsHostnames")
    assert attribute["EnableDnsHostnames"]["Value"] is False  # restored after moto's RunTask


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"subnet": "dmz"}, "subnet must be one of"),
    ({"endpoints": ("ecr.api", "sqs")}, "unknown interface endpoints ['sqs']"),
    ({"image_source": "quay"}, "image_source must be one of"),
    ({"execution_role_policy": "none", "execution_role_statements": ({},)}, "cannot carry"),
    ({"image_platforms": ("amd64",)}, "image_platforms"),
])
def test_spec_rejects_nonsense(kwargs, message):
    with pytest.raises(ValueError, match="invalid EnvSpec") as info:
        EnvSpec(**kwargs)
    assert message in str(info.value)


def test_provision_needs_a_running_sandbox():
    with pytest.raises(ProvisionError, match="not started"):
        provision(Sandbox())
    nobody = Sandbox.attach(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(ProvisionError, match="cannot reach the sandbox"):
        provision(nobody)


def test_a_refused_step_names_the_step(aws):
    env = provision(aws, EnvSpec())
    with pytest.raises(ProvisionError, match=r"provisioning failed at create the ECR repository: "
                                             r"RepositoryAlreadyExistsException"):
        provision(aws, EnvSpec(vpc_cidr="10.41.0.0/16"))
    assert describe_task(aws, env)["lastStatus"] == "RUNNING"
