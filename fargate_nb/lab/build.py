"""Orchestration: build a (possibly broken) Fargate environment in the sandbox from an `EnvSpec`,
and run its task.

Every knob has a healthy default, so a scenario names only what is broken. `provision` creates the
network, IAM roles, image, secrets, log group, task definition, service and one task, then stops
the task with the `stoppedReason` AWS gives for that failure (or leaves it RUNNING). The kit then
reads it back through the same collector it uses against AWS: the sandbox never feeds the checks
directly. Moto gaps are worked around here, never in the collector (see docs/lab.md).

Lab modules depend in one direction: `spec` (data and types) <- `context` <- `network`,
`resources` (provisioning steps) <- `build` (this module) <- `fixes` <- `scenarios` <- `state`.
The data types are re-exported here, where most callers have always found them.
"""

from __future__ import annotations

import contextlib
import json
import urllib.request
from collections.abc import Iterator
from typing import Any

from fargate_nb.lab import network, resources
from fargate_nb.lab.context import BotoCoreError, BuildContext, ClientError, describe_error, lab_client
from fargate_nb.lab.sandbox import Sandbox
from fargate_nb.lab.spec import (
    ALL_INTERFACE_ENDPOINTS,
    ARTIFACTS_ACCOUNT,
    ECR_PULL_ACTIONS,
    EXECUTION_POLICY_ARN,
    IMAGE_SOURCES,
    SUBNET_KINDS,
    ContainerSecret,
    EnvSpec,
    Provisioned,
    ProvisionError,
)

__all__ = [
    "ALL_INTERFACE_ENDPOINTS", "ARTIFACTS_ACCOUNT", "ECR_PULL_ACTIONS", "EXECUTION_POLICY_ARN", "IMAGE_SOURCES",
    "SUBNET_KINDS", "ContainerSecret", "EnvSpec", "ProvisionError", "Provisioned", "describe_task", "fill_reason",
    "keep_tasks_running", "policy_json", "provision", "run_task",
]


def provision(sandbox: Sandbox, spec: EnvSpec | None = None) -> Provisioned:
    """Build ``spec`` in ``sandbox`` and run one task of it; see the module docstring."""
    spec = spec or EnvSpec()
    if not sandbox.running:
        raise ProvisionError("the sandbox is not started: use `with Sandbox() as sandbox:` first")
    ctx = BuildContext(sandbox, spec)
    keep_tasks_running(sandbox)
    try:
        network.build_network(ctx)
        resources.build_kms_and_secrets(ctx)
        resources.build_image(ctx)
        resources.build_logs(ctx)
        resources.build_roles(ctx)
        td_arn = resources.register_task_definition(ctx)
        ctx.step = "create the cluster and service"
        cluster_arn = ctx.client("ecs").create_cluster(clusterName=spec.cluster)["cluster"]["clusterArn"]
        env = Provisioned(spec, ctx.account, ctx.region, spec.cluster, cluster_arn, td_arn, "",
                          spec.service if spec.create_service else None, ctx.ids)
        if spec.create_service:
            ctx.client("ecs").create_service(
                cluster=spec.cluster, serviceName=spec.service, taskDefinition=td_arn, desiredCount=1,
                launchType="FARGATE", platformVersion=spec.platform_version,
                networkConfiguration=env.network_configuration,
            )
        ctx.step = "run and stop the task"
        env.task_arn = run_task(sandbox, env, stopped_reason=spec.stopped_reason)
    except (ClientError, BotoCoreError) as exc:
        raise ProvisionError(f"provisioning failed at {ctx.step}: {describe_error(exc)}") from exc
    return env


def run_task(sandbox: Sandbox, env: Provisioned, stopped_reason: str | None = None) -> str:
    """Run one task of ``env``'s current task definition (as its service would) and return its ARN.

    With ``stopped_reason`` the task is stopped with that text (placeholders filled in); without,
    it stays RUNNING. Fixes call this to "re-run the task definition" after repairing the set-up.
    """
    ecs = lab_client(sandbox, "ecs")
    started_by = f"ecs-svc/{env.service_name}" if env.service_name else "fargate-nb-lab"
    group = f"service:{env.service_name}" if env.service_name else f"family:{env.spec.family}"
    with _dns_hostnames_on(sandbox, env.ids["vpc"]):
        task = ecs.run_task(
            cluster=env.cluster, taskDefinition=env.task_definition_arn, launchType="FARGATE",
            platformVersion=env.spec.platform_version, networkConfiguration=env.network_configuration,
            startedBy=started_by, group=group, count=1,
        )["tasks"][0]
    task_arn = task["taskArn"]
    network.attach_public_ip(sandbox, env, task)
    if stopped_reason:
        reason = fill_reason(stopped_reason, env, task_arn)
        ecs.stop_task(cluster=env.cluster, task=task_arn, reason=reason)
    return task_arn


@contextlib.contextmanager
def _dns_hostnames_on(sandbox: Sandbox, vpc_id: str) -> Iterator[None]:
    """Moto's RunTask fails (HTTP 500) when the VPC has DNS hostnames off: it reads the ENI's private
    DNS name, which moto only sets with hostnames on. Turn them on for the call, then restore."""
    ec2 = lab_client(sandbox, "ec2")
    attribute = ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsHostnames")["EnableDnsHostnames"]
    was_on = bool(attribute.get("Value"))
    if not was_on:
        ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
    try:
        yield
    finally:
        if not was_on:
            ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": False})


def keep_tasks_running(sandbox: Sandbox) -> None:
    """Make moto keep a RUNNING task RUNNING, as AWS does.

    Moto advances an ECS task one state (RUNNING -> DEACTIVATING -> ... -> STOPPED) every time it
    is described, so a healthy task would look stopped to the second reader. Its state manager
    takes a per-model transition; "manual" with a huge count pins the state until StopTask.
    """
    body = json.dumps({"model_name": "ecs::task",
                       "transition": {"progression": "manual", "times": 10**9}}).encode()
    req = urllib.request.Request(f"{sandbox.endpoint_url}/moto-api/state-manager/set-transition",
                                 data=body, method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - loopback only
            resp.read()
    except OSError as exc:
        raise ProvisionError(f"cannot configure the sandbox at {sandbox.endpoint_url}: {exc}") from exc


def fill_reason(template: str, env: Provisioned, task_arn: str) -> str:
    """Fill ``{task_id}``-style placeholders (unknown braces are left alone)."""
    values = {
        "task_id": task_arn.rsplit("/", 1)[-1],
        "account": env.account,
        "region": env.region,
        "image": env.ids.get("image") or "",
        "execution_role_arn": env.ids.get("execution_role_arn") or "",
        "execution_role_name": env.ids.get("execution_role_name") or "",
        "registry_secret_arn": env.ids.get("registry_secret_arn") or "",
        "log_group": env.spec.log_group_name,
    }
    for key, value in values.items():
        template = template.replace("{" + key + "}", value)
    return template


def describe_task(sandbox: Sandbox, env: Provisioned, task_arn: str | None = None) -> dict[str, Any]:
    """The DescribeTasks entry of the environment's task (a convenience for tests and notebooks)."""
    tasks = lab_client(sandbox, "ecs").describe_tasks(cluster=env.cluster, tasks=[task_arn or env.task_arn])["tasks"]
    if not tasks:
        raise ProvisionError(f"task {task_arn or env.task_arn} not found in cluster {env.cluster}")
    return tasks[0]


def policy_json(document: dict[str, Any]) -> str:
    return json.dumps(document, separators=(",", ":"))
