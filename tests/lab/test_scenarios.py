"""The catalogue: every scenario's AWS state is what its story says, and its fix really repairs it.

State is read back with plain boto3 describe calls (not through the kit), so these tests hold
the builder to the story independently of the checks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest

from fargate_nb.lab import fixes
from fargate_nb.lab.build import ARTIFACTS_ACCOUNT, Provisioned, describe_task
from fargate_nb.lab.scenarios import DEFAULT_SCENARIO, SCENARIOS, Scenario, get_scenario, scenario_ids

from ._clients import client as _client

#: Finding ids of the public contract (DESIGN.md); scenarios may only expect these.
CONTRACT_IDS = {
    "exec-role.missing", "exec-role.not-found", "exec-role.trust", "iam.ecr-auth", "iam.registry-secret",
    "iam.kms-decrypt", "registry.secret-missing", "registry.credentials-missing", "iam.secrets", "secrets.missing",
    "iam.ecr-pull", "ecr.repo-policy", "ecr.repo-missing", "ecr.image-missing", "ecr.platform-mismatch", "iam.logs",
    "logs.group-missing", "net.no-route", "net.public-ip", "net.vpc-dns", "net.endpoint-private-dns",
    "net.s3-gateway-route", "net.endpoint-policy", "net.endpoint-sg", "net.task-sg-egress", "net.nacl",
    "role.confusion", "taskdef.invalid",
}
TARGETS = {"ecr.api", "ecr.dkr", "s3", "logs", "secretsmanager", "ssm"}
REQUIRED = {
    "healthy-public", "healthy-private-endpoints", "healthy-nat", "missing-ecr-auth", "role-confusion",
    "private-no-route", "no-s3-gateway", "endpoint-sg-no-443", "dockerhub-secret-denied", "dockerhub-secret-kms",
    "dockerhub-no-credentials", "cross-account-repo-policy", "missing-log-group", "bad-trust",
}


# -- the catalogue itself --------------------------------------------------------------------------
def test_catalogue_has_the_required_scenarios_with_unique_kebab_ids():
    ids = scenario_ids()
    assert len(ids) == len(set(ids)) == len(SCENARIOS)
    assert set(ids) >= REQUIRED
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", i) for i in ids)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
def test_scenario_is_complete(scenario: Scenario):
    for text in (scenario.title, scenario.story, scenario.teaches, scenario.hint):
        assert text.strip() and text == text.strip()
    for finding_id, target in scenario.expected:
        assert finding_id in CONTRACT_IDS
        assert target is None or target in TARGETS
    assert len(set(scenario.expected)) == len(scenario.expected)
    if scenario.healthy:
        assert scenario.fix is fixes.no_fix and scenario.spec.stopped_reason is None
    else:
        assert scenario.fix is not fixes.no_fix, "a broken scenario needs a reference fix"
        assert scenario.spec.stopped_reason, "a broken scenario's task stops with AWS's reason"


def test_default_scenario_is_a_broken_one():
    default = get_scenario(DEFAULT_SCENARIO)
    assert not default.healthy and default.id in ("no-s3-gateway", "missing-ecr-auth")


@pytest.mark.parametrize("bad", ["no-such-scenario", "", None, 42])
def test_unknown_scenario_lists_the_valid_ids(bad):
    with pytest.raises(KeyError) as info:
        get_scenario(bad)
    message = str(info.value)
    assert repr(bad) in message and "healthy-public" in message and DEFAULT_SCENARIO in message


# -- state before and after the fix ----------------------------------------------------------------
def _role_allows(role: str, action: str) -> bool:
    """Whether any policy on ``role`` names ``action`` (plain reading, no wildcards beyond service:*)."""
    iam = _client("iam")
    documents = [iam.get_role_policy(RoleName=role, PolicyName=n)["PolicyDocument"]
                 for n in iam.list_role_policies(RoleName=role)["PolicyNames"]]
    for attached in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]:
        version = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]["DefaultVersionId"]
        documents.append(iam.get_policy_version(PolicyArn=attached["PolicyArn"], VersionId=version)[
            "PolicyVersion"]["Document"])
    service = action.split(":")[0]
    for doc in documents:
        for statement in doc["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if statement["Effect"] == "Allow" and (action in actions or f"{service}:*" in actions):
                return True
    return False


def _endpoint_services(env: Provisioned) -> dict[str, dict]:
    found = _client("ec2").describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [env.ids["vpc"]]}])
    return {e["ServiceName"].removeprefix("com.amazonaws.us-east-1."): e for e in found["VpcEndpoints"]}


def _task_routes(env: Provisioned) -> list[dict]:
    return _client("ec2").describe_route_tables(RouteTableIds=[env.ids["route_tables"]["task"]])[
        "RouteTables"][0]["Routes"]


def _container(env: Provisioned) -> dict:
    td = _client("ecs").describe_task_definition(taskDefinition=env.task_definition_arn)["taskDefinition"]
    return td["containerDefinitions"][0]


def _has_tag(env: Provisioned, tag: str) -> bool:
    images = _client("ecr").batch_get_image(repositoryName="payments-api", registryId=env.ids["registry_id"],
                                                 imageIds=[{"imageTag": tag}])["images"]
    return bool(images)


def _platforms(env: Provisioned) -> set[str]:
    image = _client("ecr").batch_get_image(repositoryName="payments-api", registryId=env.ids["registry_id"],
                                                imageIds=[{"imageTag": "1.4.2"}])["images"][0]
    return {m["platform"]["architecture"] for m in json.loads(image["imageManifest"])["manifests"]}


def _endpoint_sg_admits_tasks(env: Provisioned) -> bool:
    group = _client("ec2").describe_security_groups(GroupIds=[env.ids["security_groups"]["endpoints"]])[
        "SecurityGroups"][0]
    return any(p.get("FromPort") == 443 and any(g["GroupId"] == env.ids["security_groups"]["task"]
                                                 for g in p["UserIdGroupPairs"]) for p in group["IpPermissions"])


def _trusted(env: Provisioned) -> str:
    role = _client("iam").get_role(RoleName="payments-api-execution")["Role"]
    return role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"]


def _repo_principals(env: Provisioned) -> list:
    text = _client("ecr").get_repository_policy(registryId=ARTIFACTS_ACCOUNT, repositoryName="payments-api")[
        "policyText"]
    return [s["Principal"]["AWS"] for s in json.loads(text)["Statement"]]


def _log_groups() -> list[str]:
    return [g["logGroupName"] for g in _client("logs").describe_log_groups()["logGroups"]]


def _vpc_hostnames(env: Provisioned) -> bool:
    return _client("ec2").describe_vpc_attribute(VpcId=env.ids["vpc"], Attribute="enableDnsHostnames")[
        "EnableDnsHostnames"]["Value"]


def _s3_gateway_on_task_table(env: Provisioned) -> bool:
    gateway = _endpoint_services(env)["s3"]
    routed = any(r.get("GatewayId") == gateway["VpcEndpointId"] for r in _task_routes(env))
    return env.ids["route_tables"]["task"] in gateway["RouteTableIds"] and routed


#: A predicate on the environment's AWS state.
Check = Callable[[Provisioned], bool]


def _expect(before: Check, after: Check) -> tuple[Check, Check]:
    return before, after


def _no_route(env: Provisioned) -> bool:
    return (env.ids["nat_gateway"] is None and env.ids["internet_gateway"] is None
            and not any(r.get("DestinationCidrBlock") == "0.0.0.0/0" for r in _task_routes(env))
            and _endpoint_services(env) == {})


def _routed_privately(env: Provisioned) -> bool:
    services = _endpoint_services(env)
    return ({"ecr.api", "ecr.dkr", "logs", "s3"} <= set(services) and services["ecr.dkr"]["PrivateDnsEnabled"] is True
            and _s3_gateway_on_task_table(env) and _endpoint_sg_admits_tasks(env))


STORY: dict[str, tuple[Check, Check]] = {
    "missing-ecr-auth": _expect(
        lambda env: (_role_allows("payments-api-execution", "ecr:BatchGetImage")
                     and not _role_allows("payments-api-execution", "ecr:GetAuthorizationToken")),
        lambda env: _role_allows("payments-api-execution", "ecr:GetAuthorizationToken")),
    "role-confusion": _expect(
        lambda env: (_role_allows("payments-api-task", "ecr:GetAuthorizationToken")
                     and not _role_allows("payments-api-execution", "ecr:GetAuthorizationToken")
                     and not _role_allows("payments-api-execution", "ecr:BatchGetImage")),
        lambda env: (_role_allows("payments-api-execution", "ecr:GetAuthorizationToken")
                     and _role_allows("payments-api-execution", "ecr:BatchGetImage")
                     and not _role_allows("payments-api-task", "ecr:BatchGetImage"))),
    "private-no-route": _expect(_no_route, _routed_privately),
    "no-s3-gateway": _expect(
        lambda env: (set(_endpoint_services(env)) == {"ecr.api", "ecr.dkr", "logs"}),
        lambda env: _s3_gateway_on_task_table(env)),
    "endpoint-sg-no-443": _expect(
        lambda env: (not _endpoint_sg_admits_tasks(env)),
        lambda env: _endpoint_sg_admits_tasks(env)),
    "dockerhub-secret-denied": _expect(
        lambda env: (not _role_allows("payments-api-execution", "secretsmanager:GetSecretValue")
                     and _container(env)["repositoryCredentials"]["credentialsParameter"]
                     == env.ids["registry_secret_arn"]),
        lambda env: _role_allows("payments-api-execution", "secretsmanager:GetSecretValue")),
    "dockerhub-secret-kms": _expect(
        lambda env: (_client("secretsmanager").describe_secret(SecretId=env.ids["registry_secret_arn"])[
            "KmsKeyId"] == env.ids["kms_keys"]["secrets"]
            and _role_allows("payments-api-execution", "secretsmanager:GetSecretValue")
            and not _role_allows("payments-api-execution", "kms:Decrypt")),
        lambda env: _role_allows("payments-api-execution", "kms:Decrypt")),
    "dockerhub-no-credentials": _expect(
        lambda env: ("repositoryCredentials" not in _container(env)
                     and _client("secretsmanager").describe_secret(SecretId=env.ids["registry_secret_arn"])
                     and env.task_definition_arn.endswith(":1")),
        lambda env: (_container(env)["repositoryCredentials"]["credentialsParameter"] == env.ids["registry_secret_arn"]
                     and env.task_definition_arn.endswith(":2")
                     and _client("ecs").describe_services(cluster="payments", services=["api"])["services"][0][
                         "taskDefinition"] == env.task_definition_arn)),
    "cross-account-repo-policy": _expect(
        lambda env: (_repo_principals(env) == ["arn:aws:iam::444455556666:root"]),
        lambda env: (_repo_principals(env) == [f"arn:aws:iam::{env.account}:root"])),
    "missing-log-group": _expect(
        lambda env: (_log_groups() == [] and _container(env)["logConfiguration"]["options"][
            "awslogs-group"] == "/ecs/payments-api"),
        lambda env: (_log_groups() == ["/ecs/payments-api"])),
    "bad-trust": _expect(
        lambda env: (_trusted(env) == "ecs.amazonaws.com"),
        lambda env: (_trusted(env) == "ecs-tasks.amazonaws.com")),
    "s3-gateway-not-on-route-table": _expect(
        lambda env: (not _s3_gateway_on_task_table(env)
                     and _endpoint_services(env)["s3"]["RouteTableIds"] == [env.ids["route_tables"]["main"]])
       ,
        lambda env: _s3_gateway_on_task_table(env)),
    "vpc-dns-off": _expect(
        lambda env: (not _vpc_hostnames(env)),
        lambda env: _vpc_hostnames(env)),
    "image-tag-missing": _expect(
        lambda env: (not _has_tag(env, "1.4.2") and _has_tag(env, "1.4.1")),
        lambda env: _has_tag(env, "1.4.2")),
    "platform-mismatch": _expect(
        lambda env: (_platforms(env) == {"amd64"}),
        lambda env: (_platforms(env) == {"amd64", "arm64"})),
}
HEALTHY_STATE: dict[str, Check] = {
    "healthy-public": lambda env: (env.ids["public_ip"] and env.ids["internet_gateway"]),
    "healthy-private-endpoints": _routed_privately,
    "healthy-nat": lambda env: any(r.get("NatGatewayId") == env.ids["nat_gateway"] for r in _task_routes(env))
   ,
}


def test_every_scenario_has_a_story_check():
    assert set(STORY) | set(HEALTHY_STATE) == set(scenario_ids())


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
def test_state_matches_the_story_and_the_fix_repairs_it(aws, scenario: Scenario):
    env = scenario.provision(aws)
    task = describe_task(aws, env)
    if scenario.healthy:
        assert task["lastStatus"] == "RUNNING" and not task.get("stoppedReason")
        assert HEALTHY_STATE[scenario.id](env), f"{scenario.id}: the healthy set-up is not as described"
        return
    assert task["lastStatus"] == "STOPPED"
    reason = task["stoppedReason"]
    assert "{" not in reason, f"unfilled placeholder in {reason!r}"
    assert reason.startswith(("ResourceInitializationError", "CannotPullContainerError", "ECS was unable"))
    before, after = STORY[scenario.id]
    assert before(env), f"{scenario.id}: the AWS state does not match the story"

    stopped_arn = env.task_arn
    new_arn = scenario.repair(aws, env)
    assert after(env), f"{scenario.id}: the reference fix did not change the state as intended"
    assert new_arn == env.task_arn != stopped_arn
    assert describe_task(aws, env)["lastStatus"] == "RUNNING"
    assert describe_task(aws, env, stopped_arn)["stoppedReason"] == reason  # the incident stays on record
