"""Collecting a stopped task from the representative environment, over HTTP against moto."""

from __future__ import annotations

import pytest

from fargate_nb.aws import collect, make_context
from tests.aws.envs import ACCOUNT, INDEX, STOP_REASON, build_private_env


@pytest.fixture
def env(aws):
    return build_private_env(aws)


def test_stopped_task_snapshot_has_every_piece(aws, env):
    ctx = make_context()
    snap = collect(ctx, cluster=env.cluster, task=env.task_arn, simulate=False)
    assert snap.account == ACCOUNT and snap.region == "us-east-1" and snap.partition == "aws"
    assert snap.subject == {"kind": "task", "cluster": "web", "task": env.task_arn, "service": None}
    assert snap.task["stoppedReason"] == STOP_REASON
    assert snap.task_definition["taskDefinitionArn"] == env.task_definition_arn
    exec_role = snap.roles[env.exec_role_arn]
    assert exec_role["Role"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "ecs-tasks.amazonaws.com"}
    assert set(exec_role["InlinePolicies"]) == {"secrets"}
    assert [p["PolicyName"] for p in exec_role["AttachedPolicies"]] == ["AmazonECSTaskExecutionRolePolicy"]
    assert "ecr:BatchGetImage" in str(exec_role["AttachedPolicies"][0]["Document"])
    assert exec_role["PermissionsBoundary"]["PolicyArn"] == env.boundary_arn
    assert exec_role["PermissionsBoundary"]["Document"]["Statement"][0]["Action"] == "*"
    assert snap.roles[env.task_role_arn]["AttachedPolicies"] == []
    repo = snap.repositories[env.repo_arn]
    assert repo["Repository"]["repositoryName"] == "app" and repo["LifecyclePolicy"] is False
    assert repo["Policy"]["Statement"][0]["Sid"] == "pull"
    image = snap.images[env.image]
    assert image["found"] is True and image["tag"] == "v1" and image["media_type"] == INDEX["mediaType"]
    assert image["platforms"] == [{"os": "linux", "architecture": "amd64", "variant": None},
                                  {"os": "linux", "architecture": "arm64", "variant": "v8"}]
    secret = snap.secrets[env.secret_arn]
    assert secret["Name"] == "db" and secret["ResourcePolicy"]["Statement"][0]["Effect"] == "Deny"
    assert "SecretString" not in secret
    assert snap.kms_keys[env.key_arn]["KeyMetadata"]["KeyManager"] == "CUSTOMER"
    assert snap.kms_keys[env.key_arn]["Policy"]["Statement"]
    assert snap.log_groups[env.log_group]["logGroupName"] == env.log_group
    net = snap.network
    assert net["assign_public_ip"] is False and net["subnet_ids"] == env.subnet_ids[:1]
    assert net["security_group_ids"] == [env.task_sg]
    assert net["vpc"]["VpcId"] == env.vpc_id and net["vpc"]["EnableDnsSupport"] is True
    assert net["vpc"]["EnableDnsHostnames"] is True
    assert {e["ServiceName"].rsplit(".", 2)[-2:][-1] for e in net["vpc_endpoints"]} >= {"api", "dkr", "logs", "s3"}
    assert {g["GroupId"] for g in net["security_groups"]} == {env.task_sg, env.endpoint_sg}
    assert [p["PrefixListName"] for p in net["prefix_lists"]] == ["com.amazonaws.us-east-1.s3"]
    assert any(rt["RouteTableId"] == env.route_table_id for rt in net["route_tables"])
    assert net["network_acls"] and net["internet_gateways"] == [] and net["nat_gateways"] == []
    assert snap.gaps == []
    assert snap.collected_at.endswith("+00:00") and snap.collector.startswith("fargate-nb ")
