"""The lab's data and types: the knobs of an environment (`EnvSpec`), what was built (`Provisioned`)
and the constants the provisioning steps, the fixes and the scenarios share.

This module imports nothing else from the lab: every other lab module builds on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

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
#: The managed policy a healthy execution role carries.
EXECUTION_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
#: What a repository policy grants a pulling account (BatchCheckLayerAvailability is not needed, but common).
ECR_PULL_ACTIONS = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
OLD_VPC_CIDR = "172.31.0.0/16"  # where a copied endpoint security group still points


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
