"""What the pull needs: the execution role's permissions (`Need`), the destinations the task must reach
(`Destination`), the secrets it references (`SecretRef`), and the plan that holds them (`PullPlan`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fargate_nb.pullflow.places import ImageRef, destination_key, endpoint_service

#: What the execution role must be allowed on an ECR repository to pull from it. The ECR user guide
#: ("Using Amazon ECR images with Amazon ECS", https://docs.aws.amazon.com/AmazonECR/latest/userguide/ECR_on_ECS.html)
#: names ecr:BatchGetImage and ecr:GetDownloadUrlForLayer (plus ecr:GetAuthorizationToken, on "*");
#: ecr:BatchCheckLayerAvailability is in AmazonECSTaskExecutionRolePolicy but a pull does not need it.
ECR_PULL_ACTIONS = ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")

#: Which network destination each action of the pull goes through (the endpoint a request uses).
ACTION_TARGETS = {
    "ecr:GetAuthorizationToken": "ecr.api",
    "ecr:BatchGetImage": "ecr.dkr",
    "ecr:BatchCheckLayerAvailability": "ecr.dkr",
    "ecr:GetDownloadUrlForLayer": "ecr.dkr",
    "s3:GetObject": "s3",
}


def action_target(action: str) -> str | None:
    """The destination a call of ``action`` goes to (ecr.api, ecr.dkr, s3, logs, secretsmanager, ssm)."""
    if action in ACTION_TARGETS:
        return ACTION_TARGETS[action]
    service = action.split(":", 1)[0]
    return service if service in ("secretsmanager", "ssm", "logs") else None


@dataclass(frozen=True)
class Need:
    """One permission the execution role must have for the pull to succeed."""

    step: str
    action: str
    resource: str
    why: str
    container: str | None = None
    # Set when the request passes through a service on the caller's behalf (kms:ViaService).
    via_service: str | None = None

    @property
    def target(self) -> str | None:
        """The destination this call goes through (see `action_target`)."""
        return action_target(self.action)


@dataclass(frozen=True)
class Destination:
    """A service (or registry host) the task must reach over the network, and why."""

    target: str  # ecr.api, ecr.dkr, s3, logs, secretsmanager, ssm, or a registry host
    step: str
    why: str
    endpoint_service: str | None = None  # the VPC endpoint service name, when AWS offers one
    region: str | None = None  # the region of the service (None for a registry host)
    key: str = ""  # how findings name it: the target, or target@region outside the task's region
    # Later steps served over the same path: a registry host serves the manifest and the layer blobs
    # (Docker Registry HTTP API V2: GET /v2/<name>/manifests/<ref>, then GET /v2/<name>/blobs/<digest>).
    also: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.key:
            object.__setattr__(self, "key", self.target)

    @property
    def remote(self) -> bool:
        """In another region than the task (reached through that region's public endpoint)."""
        return self.key != self.target and "@" in self.key


@dataclass
class SecretRef:
    """A container secret (or registry credentials secret), resolved to the ARN IAM sees."""

    container: str
    name: str  # environment variable name, or "repositoryCredentials"
    value_from: str
    kind: str  # "secretsmanager" | "ssm"
    arn: str  # the resource ARN for IAM (JSON key / version suffixes stripped)
    lookup: str  # the id the collector uses for the lookup (secret ARN/name, parameter name)


@dataclass
class PullPlan:
    """What this task's pull needs: steps in use, permissions, destinations, secrets, images."""

    needed_steps: dict[str, bool]
    needs: list[Need] = field(default_factory=list)
    destinations: list[Destination] = field(default_factory=list)
    images: dict[str, ImageRef] = field(default_factory=dict)  # container name -> image
    secrets: list[SecretRef] = field(default_factory=list)
    registry_credentials: list[SecretRef] = field(default_factory=list)
    log_groups: list[dict[str, Any]] = field(default_factory=list)  # {"container", "group", "region", "create", "prefix"}
    execution_role_needed: bool = False
    region: str = ""  # the task's region: destinations elsewhere are keyed service@region
    # Linux platform 1.3.0 or earlier: ECR auth and secrets go through Fargate's network, not the task ENI.
    agent_network: bool = False

    def needs_for(self, step: str) -> list[Need]:
        return [n for n in self.needs if n.step == step]

    def targets(self) -> list[str]:
        """The destination keys, in order (`Destination.key`: service, service@region or host)."""
        return list(dict.fromkeys(d.key for d in self.destinations))

    def destination(self, key: str) -> Destination | None:
        """The destination a finding's ``target`` names."""
        return next((d for d in self.destinations if d.key == key), None)


def resolve_secret(value_from: str, region: str, account: str, partition: str = "aws",
                   *, registry_credentials: bool = False) -> tuple[str, str, str]:
    """Return ``(kind, iam_arn, lookup_id)`` for a ``valueFrom``/``credentialsParameter``.

    Secrets Manager references may carry ``:json-key:version-stage:version-id`` after the secret
    ARN; IAM sees the secret ARN alone. SSM parameters may be a bare name (same region/account).
    ``repositoryCredentials.credentialsParameter`` only takes a Secrets Manager secret (ARN or
    name), so a bare name there is a secret's name, not a parameter's.
    """
    if registry_credentials and not value_from.startswith("arn:"):
        return "secretsmanager", f"arn:{partition}:secretsmanager:{region}:{account}:secret:{value_from}", value_from
    if value_from.startswith("arn:"):
        parts = value_from.split(":")
        service = parts[2] if len(parts) > 2 else ""
        if service == "secretsmanager" and len(parts) >= 7:
            arn = ":".join(parts[:7])
            return "secretsmanager", arn, arn
        if service == "ssm":
            name = value_from.split(":parameter", 1)[-1]
            return "ssm", value_from, name if name.startswith("/") else name.lstrip("/")
        return service or "unknown", value_from, value_from
    name = value_from if value_from.startswith("/") else value_from
    arn = f"arn:{partition}:ssm:{region}:{account}:parameter/{name.lstrip('/')}"
    return "ssm", arn, name


def add_destination(result: PullPlan, target: str, step: str, why: str, region: str) -> None:
    """One destination per (service, region): each region has its own endpoint service and public endpoint."""
    if any(d.target == target and d.region == region for d in result.destinations):
        return
    key = destination_key(target, region, result.region)
    if key != target:
        why = f"{why}, in {region} (another region than the task: that region's public endpoint)"
    result.destinations.append(Destination(target, step, why, endpoint_service(target, region), region, key))


def add_host(result: PullPlan, host: str, step: str, why: str, region: str | None = None,
             also: tuple[str, ...] = ()) -> None:
    """A registry host the task must reach (one destination per host)."""
    if not any(d.target == host for d in result.destinations):
        result.destinations.append(Destination(host, step, why, None, region, host, also))

