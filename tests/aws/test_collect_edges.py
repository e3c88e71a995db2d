"""Collections of broken or unusual environments: missing resources, deleted ENIs, hostile strings."""

from __future__ import annotations

import pytest

from fargate_nb.aws import SubjectNotFoundError, collect, make_context
from tests.aws.envs import ACCOUNT, REGION, Env, build_network, client, container, register

PRESIGNED = ("CannotPullContainerError: failed to copy: httpReadSeeker: failed open: unexpected status code "
             "https://prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com/9f/layer?"
             "X-Amz-Security-Token=IQoJb3JpZ2luX2VjE&X-Amz-Signature=0123456789abcdef: 403 Forbidden")


def _run(aws, env: Env, *, group: str | None = None, reason: str = "CannotPullContainerError: test") -> str:
    ecs = client(aws, "ecs")
    ecs.create_cluster(clusterName=env.cluster)
    kwargs = {"group": group} if group else {}
    task = ecs.run_task(cluster=env.cluster, taskDefinition=env.task_definition_arn, launchType="FARGATE",
                        networkConfiguration={"awsvpcConfiguration": {
                            "subnets": env.subnet_ids[:1], "securityGroups": [env.task_sg]}}, **kwargs)["tasks"][0]
    env.task_arn = task["taskArn"]
    ecs.stop_task(cluster=env.cluster, task=env.task_arn, reason=reason)
    return env.task_arn


def _internal_errors(snap):
    return [g for g in snap.gaps if g.api == "fargate-nb:collector"]


def test_missing_resources_are_stored_as_none(aws):
    env = Env()
    build_network(aws, env, endpoints=False)
    client(aws, "ecr").create_repository(repositoryName="present")
    env.exec_role_arn = f"arn:aws:iam::{ACCOUNT}:role/deleted-role"
    env.task_role_arn = None
    env.image = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/gone:v1"
    missing_secret = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:gone-AbCdEf"
    untagged = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/present:nope"
    register(aws, env, [
        container(env, secrets=[{"name": "DB", "valueFrom": missing_secret}]),
        container(env, name="side", image=untagged, secrets=[], logConfiguration={
            "logDriver": "awslogs", "options": {"awslogs-group": "/ecs/missing", "awslogs-region": REGION}}),
    ])
    _run(aws, env, reason=PRESIGNED)
    snap = collect(make_context(), cluster=env.cluster, task=env.task_arn, simulate=False)
    assert snap.gaps == []
    assert "starport-layer-bucket" in snap.task["stoppedReason"]
    assert "IQoJb3JpZ2luX2VjE" not in snap.task["stoppedReason"] and "0123456789abcdef" not in snap.task["stoppedReason"]
    assert snap.roles == {env.exec_role_arn: None}
    gone_arn = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/gone"
    assert snap.repositories[gone_arn] is None
    assert snap.repositories[f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/present"]["Policy"] is None
    assert snap.images[env.image]["found"] is False and snap.images[untagged]["found"] is False
    assert snap.secrets == {missing_secret: None}
    assert snap.log_groups == {"/ecs/app": None, "/ecs/missing": None}


def test_deleted_eni_falls_back_to_the_service_network_configuration(aws):
    env = Env()
    build_network(aws, env, endpoints=False)
    env.exec_role_arn = env.task_role_arn = None
    env.image = "public.ecr.aws/nginx/nginx:stable"
    register(aws, env, [container(env, secrets=[], logConfiguration=None)])
    _run(aws, env, group="service:api")
    client(aws, "ecs").create_service(
        cluster=env.cluster, serviceName="api", taskDefinition=env.task_definition_arn, desiredCount=1,
        launchType="FARGATE", networkConfiguration={"awsvpcConfiguration": {
            "subnets": env.subnet_ids, "securityGroups": [env.task_sg, env.endpoint_sg], "assignPublicIp": "ENABLED"}})
    eni = client(aws, "ecs").describe_tasks(cluster=env.cluster, tasks=[env.task_arn])["tasks"][0]
    eni_id = next(d["value"] for d in eni["attachments"][0]["details"] if d["name"] == "networkInterfaceId")
    client(aws, "ec2").delete_network_interface(NetworkInterfaceId=eni_id)

    ctx = make_context()
    snap = collect(ctx, cluster=env.cluster, task=env.task_arn, simulate=False)
    assert snap.network["source"] == "service" and snap.service["serviceName"] == "api"
    assert snap.network["security_group_ids"] == [env.task_sg, env.endpoint_sg]
    assert snap.network["assign_public_ip"] is True and "eni" not in snap.network
    assert snap.images["public.ecr.aws/nginx/nginx:stable"]["ecr"] is False
    assert snap.roles == {} and snap.gaps == [] and ("ecr", "DescribeImages") not in ctx.calls


def test_deleted_eni_without_a_service_keeps_the_subnet_and_says_groups_are_unknown(aws):
    env = Env()
    build_network(aws, env, endpoints=False)
    env.exec_role_arn = env.task_role_arn = None
    env.image = "nginx"
    register(aws, env, [container(env, secrets=[], logConfiguration=None)])
    _run(aws, env)
    task = client(aws, "ecs").describe_tasks(cluster=env.cluster, tasks=[env.task_arn])["tasks"][0]
    eni_id = next(d["value"] for d in task["attachments"][0]["details"] if d["name"] == "networkInterfaceId")
    client(aws, "ec2").delete_network_interface(NetworkInterfaceId=eni_id)
    snap = collect(make_context(), cluster=env.cluster, task=env.task_arn, simulate=False)
    assert snap.network["source"] == "task-attachment"
    assert snap.network["subnet_ids"] == env.subnet_ids[:1] and snap.network["security_group_ids"] is None
    assert snap.network["assign_public_ip"] is None and snap.network["vpc"]["VpcId"] == env.vpc_id
    assert snap.network["security_groups"] == []


def test_hostile_task_definition_strings_give_gaps_not_crashes(aws):
    env = Env()
    build_network(aws, env, endpoints=False)
    env.exec_role_arn = "arn:aws:iam::123456789012:role/<script>alert(1)</script>"
    env.task_role_arn = "arn:aws:iam::999999999999:role/other-account"
    env.image = "::::not an image::::"
    register(aws, env, [container(env, secrets=[
        {"name": "X", "valueFrom": "arn:aws:s3:::bucket/key"},
        {"name": "Y", "valueFrom": "arn:aws:ssm:us-east-1:999999999999:parameter/shared"}],
        logConfiguration={"logDriver": "awslogs", "options": {"awslogs-group": "bad group\n<name>" * 40}})])
    _run(aws, env)
    snap = collect(make_context(), cluster=env.cluster, task=env.task_arn, simulate=False)
    assert _internal_errors(snap) == []
    by_resource = {g.resource: g for g in snap.gaps}
    assert "malformed role ARN" in by_resource[env.exec_role_arn].error
    assert "account 999999999999" in by_resource[env.task_role_arn].error
    assert "unsupported valueFrom" in by_resource["arn:aws:s3:::bucket/key"].error
    assert "shared from account" in by_resource["arn:aws:ssm:us-east-1:999999999999:parameter/shared"].error
    assert all(by_resource[r].permission == "" for r in (env.exec_role_arn, env.task_role_arn,
                                                             "arn:aws:s3:::bucket/key"))
    assert snap.roles == {} and snap.images[env.image]["ecr"] is False
    assert snap.to_dict()  # still serialisable


def test_unknown_task_says_tasks_vanish_after_an_hour(aws):
    client(aws, "ecs").create_cluster(clusterName="web")
    with pytest.raises(SubjectNotFoundError, match="about an hour") as info:
        collect(make_context(), cluster="web", task="0123456789abcdef0123456789abcdef")
    assert "--service" in str(info.value) and "--snapshot" in str(info.value)


def test_unknown_cluster_and_service_are_subject_errors(aws):
    with pytest.raises(SubjectNotFoundError, match="cluster 'nope' was not found"):
        collect(make_context(), cluster="nope", task="0123456789abcdef0123456789abcdef")
    client(aws, "ecs").create_cluster(clusterName="web")
    with pytest.raises(SubjectNotFoundError, match="service 'ghost' was not found"):
        collect(make_context(), cluster="web", service="ghost")
