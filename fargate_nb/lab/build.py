"""Build a (possibly broken) Fargate environment in the sandbox, through boto3, from an `EnvSpec`.

Every knob has a healthy default, so a scenario names only what is broken. `provision` creates the
network, IAM roles, image, secrets, log group, task definition, service and one task, then stops
the task with the `stoppedReason` AWS gives for that failure (or leaves it RUNNING). The kit then
reads it back through the same collector it uses against AWS: the sandbox never feeds the checks
directly. Moto gaps are worked around here, never in the collector (see docs/lab.md).
"""

from __future__ import annotations

import contextlib
import json
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from fargate_nb.lab import _build_parts as parts
from fargate_nb.lab import _build_resources as resources
from fargate_nb.lab.sandbox import Sandbox

Subnet = Literal["public", "private-nat", "private-endpoints", "private-isolated"]
ImageSource = Literal["ecr", "ecr-cross-account", "dockerhub-public", "dockerhub-private"]
TaskSgEgress = Literal["all", "443-anywhere", "443-vpc-only", "none"]
Nacl = Literal["default", "block-443-out", "block-ephemeral-in"]
RoleState = Literal["present", "absent", "not-found"]
RolePolicy = Literal["managed", "custom", "none"]
LogGroup = Literal["exists", "missing", "create-group", "none"]
SecretState = Literal["exists", "missing"]

ALL_INTERFACE_ENDPOINTS: tuple[str, ...] = ("ecr.api", "ecr.dkr", "logs", "secretsmanager", "ssm")
SUBNET_KINDS: tuple[str, ...] = ("public", "private-nat", "private-endpoints", "private-isolated")
IMAGE_SOURCES: tuple[str, ...] = ("ecr", "ecr-cross-account", "dockerhub-public", "dockerhub-private")
#: The shared-artifacts account that owns the repository in "ecr-cross-account" set-ups.
ARTIFACTS_ACCOUNT = "210987654321"


@dataclass(frozen=True)
class ContainerSecret:
    """A container ``secrets`` entry: an environment variable filled from SSM or Secrets Manager."""

    env_name: str = "DATABASE_URL"
    store: Literal["secretsmanager", "ssm"] = "secretsmanager"
    exists: bool = True
    kms: bool = False  # encrypted with the environment's customer-managed key


@dataclass(frozen=True)
class EnvSpec:
    """The knobs of a sandbox environment; the defaults build a healthy public-subnet service.

    Policy documents and ``stopped_reason`` may use placeholders filled in at provisioning time:
    ``${account}``, ``${region}``, ``${repository_arn}``, ``${registry_secret_arn}``,
    ``${kms_key_arn}``, ``${log_group_arn}``, ``${execution_role_arn}`` (policies) and
    ``{task_id}``, ``{account}``, ``{region}``, ``{image}``, ``{execution_role_arn}`` (reason).
    """

    # -- names --------------------------------------------------------------------------
    cluster: str = "payments"
    service: str = "api"
    family: str = "payments-api"
    container: str = "api"
    repository: str = "payments-api"
    image_tag: str = "1.4.2"
    log_group_name: str = "/ecs/payments-api"
    vpc_cidr: str = "10.40.0.0/16"
    # -- network --------------------------------------------------------------------------
    subnet: Subnet = "public"
    assign_public_ip: bool | None = None  # None: on in public subnets, off elsewhere
    endpoints: tuple[str, ...] | None = None  # interface endpoints; None: all five for private-endpoints
    s3_gateway: bool | None = None  # None: on for private-endpoints
    s3_gateway_on_task_route_table: bool = True
    endpoint_private_dns: bool = True
    endpoint_policies: dict[str, dict[str, Any]] = field(default_factory=dict)  # target -> document
    endpoint_sg_allows_task: bool = True  # endpoint SG admits 443 from the task SG
    vpc_dns_support: bool = True
    vpc_dns_hostnames: bool = True
    task_sg_egress: TaskSgEgress = "all"
    nacl: Nacl = "default"
    # -- execution role and task role ------------------------------------------------------
    execution_role: RoleState = "present"
    execution_role_trust: str = "ecs-tasks.amazonaws.com"
    execution_role_policy: RolePolicy = "managed"  # managed AmazonECSTaskExecutionRolePolicy
    execution_role_statements: tuple[dict[str, Any], ...] = ()  # inline, on top of the above
    permissions_boundary: dict[str, Any] | None = None
    grant_registry_secret: bool = True  # inline GetSecretValue on the registry credentials secret
    grant_container_secrets: bool = True  # inline GetSecretValue / GetParameters for secrets
    grant_kms_decrypt: bool = True  # inline kms:Decrypt on the CMK when something uses it
    grant_create_log_group: bool = True  # inline logs:CreateLogGroup when awslogs-create-group
    task_role: bool = True
    task_role_statements: tuple[dict[str, Any], ...] = ()
    # -- image -----------------------------------------------------------------------------
    image_source: ImageSource = "ecr"
    image_pushed: bool = True  # False: the tag the task definition names was never pushed
    image_platforms: tuple[str, ...] = ("linux/amd64",)
    image_index: bool = True  # an OCI image index (as `docker buildx` pushes); False: one Docker manifest
    repository_policy: dict[str, Any] | None = None  # cross-account None: grants the pulling account
    dockerhub_image: str | None = None  # None: nginx:1.27 (public) / acme/payments-api:<tag> (private)
    registry_credentials: bool = True  # dockerhub-private: repositoryCredentials in the task def
    registry_secret: SecretState = "exists"
    registry_secret_kms: bool = False  # the credentials secret is encrypted with a CMK
    registry_secret_policy: dict[str, Any] | None = None
    kms_key_policy: dict[str, Any] | None = None  # None: the default key policy
    # -- container secrets, logs, platform ------------------------------------------------
    container_secrets: tuple[ContainerSecret, ...] = ()
    awslogs: LogGroup = "exists"
    runtime_platform: dict[str, str] | None = None
    platform_version: str = "1.4.0"
    create_service: bool = True
    stopped_reason: str | None = None  # None: the task is left RUNNING

    def __post_init__(self) -> None:
        problems = []
        if self.subnet not in SUBNET_KINDS:
            problems.append(f"subnet must be one of {', '.join(SUBNET_KINDS)}, not {self.subnet!r}")
        if self.image_source not in IMAGE_SOURCES:
            problems.append(f"image_source must be one of {', '.join(IMAGE_SOURCES)}, not {self.image_source!r}")
        unknown = [e for e in self.endpoints or () if e not in ALL_INTERFACE_ENDPOINTS]
        if unknown:
            problems.append(f"unknown interface endpoints {unknown}; known: {', '.join(ALL_INTERFACE_ENDPOINTS)}")
        if self.execution_role_policy == "none" and self.execution_role_statements:
            problems.append("execution_role_policy='none' cannot carry execution_role_statements")
        if not self.image_platforms or any(p.count("/") not in (1, 2) for p in self.image_platforms):
            problems.append("image_platforms must name platforms like 'linux/amd64' or 'linux/arm/v7'")
        if problems:
            raise ValueError("invalid EnvSpec: " + "; ".join(problems))

    # -- derived -----------------------------------------------------------------------------
    @property
    def public_ip(self) -> bool:
        return self.subnet == "public" if self.assign_public_ip is None else self.assign_public_ip

    @property
    def interface_endpoints(self) -> tuple[str, ...]:
        if self.endpoints is not None:
            return self.endpoints
        return ALL_INTERFACE_ENDPOINTS if self.subnet == "private-endpoints" else ()

    @property
    def has_s3_gateway(self) -> bool:
        return self.subnet == "private-endpoints" if self.s3_gateway is None else self.s3_gateway

    @property
    def image_reference(self) -> str:
        """The image for non-ECR sources (ECR references are built from the repository URI)."""
        if self.dockerhub_image:
            return self.dockerhub_image
        if self.image_source == "dockerhub-private":
            return f"acme/{self.repository}:{self.image_tag}"
        return "nginx:1.27"


@dataclass
class Provisioned:
    """What `provision` built: names and ids to describe, break further, or fix.

    ``ids`` keys: ``vpc``, ``vpc_cidr``, ``subnets`` (task subnets), ``public_subnet``,
    ``route_tables`` ({"task", "public"}), ``internet_gateway``, ``nat_gateway``, ``endpoints``
    ({target: vpce id}), ``security_groups`` ({"task", "endpoints"}), ``network_acl``,
    ``s3_prefix_list``, ``execution_role_arn``, ``execution_role_name``, ``task_role_arn``,
    ``task_role_name``, ``boundary_arn``, ``repository_arn``, ``repository_uri``,
    ``registry_id``, ``image``, ``image_digest``, ``registry_secret_arn``, ``secrets``
    ({env name: valueFrom}), ``kms_keys`` ({"secrets": key arn}), ``log_group``,
    ``network_interface``, ``public_ip``. Absent resources map to ``None``.
    """

    spec: EnvSpec
    account: str
    region: str
    cluster: str
    cluster_arn: str
    task_definition_arn: str
    task_arn: str
    service_name: str | None
    ids: dict[str, Any]

    @property
    def task_id(self) -> str:
        return self.task_arn.rsplit("/", 1)[-1]

    @property
    def network_configuration(self) -> dict[str, Any]:
        return {"awsvpcConfiguration": {
            "subnets": list(self.ids["subnets"]),
            "securityGroups": [self.ids["security_groups"]["task"]],
            "assignPublicIp": "ENABLED" if self.spec.public_ip else "DISABLED",
        }}


class ProvisionError(RuntimeError):
    """The sandbox refused a step of the build; the message names the step and the AWS error."""


def provision(sandbox: Sandbox, spec: EnvSpec | None = None) -> Provisioned:
    """Build ``spec`` in ``sandbox`` and run one task of it; see the module docstring."""
    spec = spec or EnvSpec()
    if not sandbox.running:
        raise ProvisionError("the sandbox is not started: use `with Sandbox() as sandbox:` first")
    ctx = parts.BuildContext(sandbox, spec)
    keep_tasks_running(sandbox)
    try:
        parts.build_network(ctx)
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
    except (parts.ClientError, parts.BotoCoreError) as exc:
        raise ProvisionError(f"provisioning failed at {ctx.step}: {parts.describe_error(exc)}") from exc
    return env


def run_task(sandbox: Sandbox, env: Provisioned, stopped_reason: str | None = None) -> str:
    """Run one task of ``env``'s current task definition (as its service would) and return its ARN.

    With ``stopped_reason`` the task is stopped with that text (placeholders filled in); without,
    it stays RUNNING. Fixes call this to "re-run the task definition" after repairing the set-up.
    """
    ecs = parts.lab_client(sandbox, "ecs")
    started_by = f"ecs-svc/{env.service_name}" if env.service_name else "fargate-nb-lab"
    group = f"service:{env.service_name}" if env.service_name else f"family:{env.spec.family}"
    with _dns_hostnames_on(sandbox, env.ids["vpc"]):
        task = ecs.run_task(
            cluster=env.cluster, taskDefinition=env.task_definition_arn, launchType="FARGATE",
            platformVersion=env.spec.platform_version, networkConfiguration=env.network_configuration,
            startedBy=started_by, group=group, count=1,
        )["tasks"][0]
    task_arn = task["taskArn"]
    parts.attach_public_ip(sandbox, env, task)
    if stopped_reason:
        reason = fill_reason(stopped_reason, env, task_arn)
        ecs.stop_task(cluster=env.cluster, task=task_arn, reason=reason)
    return task_arn


@contextlib.contextmanager
def _dns_hostnames_on(sandbox: Sandbox, vpc_id: str) -> Iterator[None]:
    """Moto's RunTask fails (HTTP 500) when the VPC has DNS hostnames off: it reads the ENI's private
    DNS name, which moto only sets with hostnames on. Turn them on for the call, then restore."""
    ec2 = parts.lab_client(sandbox, "ec2")
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
    tasks = parts.lab_client(sandbox, "ecs").describe_tasks(cluster=env.cluster, tasks=[task_arn or env.task_arn])["tasks"]
    if not tasks:
        raise ProvisionError(f"task {task_arn or env.task_arn} not found in cluster {env.cluster}")
    return tasks[0]


def policy_json(document: dict[str, Any]) -> str:
    return json.dumps(document, separators=(",", ":"))
