"""The ordered steps of an image pull and what each needs, derived from the task definition.

This is the single place that says *what the pull requires*: which IAM actions on which
resources the execution role must be allowed, and which AWS service endpoints (or registry
hosts) must be reachable from the task's subnets. The collector uses it to decide what to read,
the checks to decide what to evaluate, and the views to draw the diagram.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from fargate_nb.model import STEPS, Snapshot

ECR_HOST = re.compile(
    r"^(?P<account>\d{12})\.dkr(?:-fips)?\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.(?:amazonaws\.com(?:\.cn)?|sc2s\.sgov\.gov|c2s\.ic\.gov)$"
)
#: ECR's dual-stack (IPv4 and IPv6) registry host, ``<registry-id>.dkr-ecr.<region>.on.aws`` ("Making requests to
#: Amazon ECR registries", https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-requests.html). The same page:
#: "Amazon ECR does not support AWS PrivateLink traffic over dual-stack endpoints", so no VPC endpoint serves it.
ECR_DUAL_STACK_HOST = re.compile(r"^(?P<account>\d{12})\.dkr-ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.on\.aws$")
DOCKER_HUB = "registry-1.docker.io"
ECR_PUBLIC = "public.ecr.aws"

STEP_TITLES = {
    "assume-role": "Fargate assumes the task execution role",
    "registry-auth": "Authenticate to the registry",
    "secrets": "Fetch container secrets",
    "manifest": "Resolve the image manifest",
    "layers": "Download the image layers",
    "logs": "Set up the awslogs log stream",
}

#: Network services a pull can need, as VPC endpoint service names (commercial and GovCloud partitions).
SERVICE_ENDPOINTS = {
    "ecr.api": "com.amazonaws.{region}.ecr.api",
    "ecr.dkr": "com.amazonaws.{region}.ecr.dkr",
    "s3": "com.amazonaws.{region}.s3",
    "logs": "com.amazonaws.{region}.logs",
    "secretsmanager": "com.amazonaws.{region}.secretsmanager",
    "ssm": "com.amazonaws.{region}.ssm",
}
#: In the China regions some endpoint services carry a ``cn.`` prefix, ECR's among them
#: ("cn.com.amazonaws.region.ecr.api" / ".ecr.dkr", https://docs.amazonaws.cn/en_us/vpc/latest/privatelink/aws-services-cross-region-privatelink-support.html);
#: others do not, and the prefix is not consistent across services. Matching therefore prefers each endpoint's own
#: ``ServiceName`` (DescribeVpcEndpoints) and accepts either form (`fargate_nb.reach.endpoints.same_service`).
CN_PREFIXED_SERVICES = frozenset({"ecr.api", "ecr.dkr"})


def partition_of(region: str | None) -> str:
    """The partition a region belongs to (``aws-cn`` for cn-*, ``aws-us-gov`` for us-gov-*, else ``aws``)."""
    region = region or ""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def endpoint_service(target: str, region: str) -> str | None:
    """The VPC endpoint service name of ``target`` in ``region`` (None for a host no endpoint serves).

    Interface endpoints, their private DNS and the S3 gateway endpoint serve only their own region
    (https://docs.aws.amazon.com/vpc/latest/privatelink/privatelink-access-aws-services.html): a
    resource in another region needs *that* region's service, hence the region in the name.
    """
    template = SERVICE_ENDPOINTS.get(target)
    if template is None:
        return None
    name = template.format(region=region)
    return f"cn.{name}" if partition_of(region) == "aws-cn" and target in CN_PREFIXED_SERVICES else name


def destination_key(target: str, region: str | None, home_region: str | None) -> str:
    """How findings and the sequence name a destination: the service alone in the task's own region,
    ``service@region`` in another region (a different endpoint, a different path)."""
    if region and home_region and region != home_region and target in SERVICE_ENDPOINTS:
        return f"{target}@{region}"
    return target


def split_key(key: str) -> tuple[str, str | None]:
    """(service, region or None) of a destination key (`destination_key`)."""
    target, _, region = key.partition("@")
    return target, region or None


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


def layer_bucket(region: str) -> str:
    """The S3 bucket ECR serves image layers from in a region (ECR user guide, VPC endpoints): the
    *repository's* region, so a cross-region pull downloads from that region's bucket."""
    return f"prod-{region}-starport-layer-bucket"


def layer_bucket_arn(region: str, partition: str | None = None) -> str:
    """The objects of the layer bucket, as an S3 gateway endpoint policy must allow them (``s3:GetObject``);
    the partition follows the region unless given."""
    return f"arn:{partition or partition_of(region)}:s3:::{layer_bucket(region)}/*"


@dataclass(frozen=True)
class ImageRef:
    """A container image reference, split the way a registry client would split it."""

    raw: str
    registry: str  # host, e.g. 111122223333.dkr.ecr.us-east-1.amazonaws.com or registry-1.docker.io
    repository: str  # e.g. "app" or "library/nginx"
    tag: str | None
    digest: str | None
    ecr: bool = False
    registry_id: str | None = None  # ECR: the account that owns the repository
    region: str | None = None  # ECR: the repository's region
    dual_stack: bool = False  # ECR: the dual-stack host (*.dkr-ecr.REGION.on.aws), which PrivateLink does not serve

    @property
    def public(self) -> bool:
        """Docker Hub and ECR Public images can be pulled anonymously (rate limits aside)."""
        return self.registry in (DOCKER_HUB, ECR_PUBLIC)

    def repository_arn(self, partition: str | None = None) -> str | None:
        """The repository's ARN, in the partition of its region unless given."""
        if not self.ecr:
            return None
        return f"arn:{partition or partition_of(self.region)}:ecr:{self.region}:{self.registry_id}:repository/{self.repository}"


def parse_image(image: str) -> ImageRef:
    """Split an image reference (``[host[:port]/]path[:tag][@digest]``) following Docker's rules."""
    raw = image.strip()
    rest, digest = (raw.split("@", 1) + [None])[:2] if "@" in raw else (raw, None)
    first, _, remainder = rest.partition("/")
    if remainder and ("." in first or ":" in first or first == "localhost"):
        host, path = first, remainder
    else:
        host, path = DOCKER_HUB, rest
    tag = None
    last = path.rsplit("/", 1)[-1]
    if ":" in last:
        path, tag = path.rsplit(":", 1)
    if host in ("docker.io", "index.docker.io"):
        host = DOCKER_HUB
    if host == DOCKER_HUB and "/" not in path:
        path = f"library/{path}"
    if tag is None and digest is None:
        tag = "latest"
    m = ECR_HOST.match(host)
    if m:
        return ImageRef(raw, host, path, tag, digest, ecr=True, registry_id=m["account"], region=m["region"])
    m = ECR_DUAL_STACK_HOST.match(host)
    if m:
        return ImageRef(raw, host, path, tag, digest, ecr=True, registry_id=m["account"], region=m["region"],
                        dual_stack=True)
    return ImageRef(raw, host, path, tag, digest)


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


#: The reserved Parameter Store path that passes a GetParameters call through to a Secrets Manager
#: secret (Systems Manager user guide, "Referencing AWS Secrets Manager secrets from Parameter Store
#: parameters", https://docs.aws.amazon.com/systems-manager/latest/userguide/integration-ps-secretsmanager.html).
SECRETSMANAGER_REFERENCE = "/aws/reference/secretsmanager/"


def secretsmanager_reference(value_from: str, region: str, account: str,
                             partition: str = "aws") -> tuple[str, str, str] | None:
    """``(secret id, secret ARN as IAM sees it, secret region)`` for a Parameter Store reference to a
    Secrets Manager secret (``/aws/reference/secretsmanager/ID``, by name or parameter ARN), else None."""
    name = value_from.split(":parameter", 1)[-1] if value_from.startswith("arn:") else value_from
    name = "/" + name.lstrip("/")
    if not name.startswith(SECRETSMANAGER_REFERENCE) or len(name) == len(SECRETSMANAGER_REFERENCE):
        return None
    secret_id = name[len(SECRETSMANAGER_REFERENCE):]
    parts = value_from.split(":")
    if value_from.startswith("arn:") and len(parts) > 4:
        region, account = parts[3] or region, parts[4] or account
    if secret_id.startswith("arn:"):
        arn = ":".join(secret_id.split(":")[:7])
        return secret_id, arn, arn.split(":")[3] or region
    return secret_id, f"arn:{partition}:secretsmanager:{region}:{account}:secret:{secret_id}", region


def _add_secretsmanager_reference(result: PullPlan, ref: SecretRef, region: str, account: str,
                                  partition: str) -> None:
    """A Parameter Store reference to a Secrets Manager secret needs ssm:GetParameters on the reference
    (added with every parameter) and secretsmanager:GetSecretValue on the secret: "Parameter Store
    honors IAM policies attached to Secrets Manager secrets" (integration-ps-secretsmanager.html).
    The task calls Parameter Store only, which passes the request through: no secretsmanager endpoint."""
    found = secretsmanager_reference(ref.value_from, region, account, partition) if ref.kind == "ssm" else None
    if found is not None:
        result.needs.append(Need("secrets", "secretsmanager:GetSecretValue", found[1],
                                 f"secret {ref.name} of {ref.container} (through Parameter Store)", ref.container))


def environment_file_bucket(object_arn: str) -> str | None:
    """The bucket ARN of an ``environmentFiles`` object ARN (``arn:aws:s3:::bucket/key.env``)."""
    head, sep, path = object_arn.partition(":::")
    bucket = path.split("/", 1)[0]
    return f"{head}:::{bucket}" if sep and head.startswith("arn:") and ":s3" in head and bucket and "/" in path else None


def _add_environment_files(result: PullPlan, container: dict[str, Any], cname: str, region: str) -> None:
    """``environmentFiles`` in S3 are downloaded with the execution role before the container starts:
    ``s3:GetObject`` on the object and ``s3:GetBucketLocation`` on the bucket (ECS developer guide,
    "Pass environment variables to an Amazon ECS container", Required IAM permissions,
    https://docs.aws.amazon.com/AmazonECS/latest/developerguide/taskdef-envfiles.html), over a path to
    S3 (the S3 gateway endpoint, whose policy must allow that bucket, or NAT / internet)."""
    for env_file in container.get("environmentFiles") or []:
        value = env_file.get("value") if isinstance(env_file, dict) else None
        bucket = environment_file_bucket(value) if isinstance(value, str) and env_file.get("type") == "s3" else None
        if value is None or bucket is None:
            continue  # not an S3 object ARN: taskdef lint's business
        result.needed_steps["secrets"] = True
        result.needs.append(Need("secrets", "s3:GetObject", value, f"environment file {value} of {cname}", cname))
        result.needs.append(Need("secrets", "s3:GetBucketLocation", bucket,
                                 f"environment file {value} of {cname} (its bucket's region)", cname))
        _add_dest(result, "s3", "secrets", "environment files in S3", region)


def _task_id(snapshot: Snapshot) -> str:
    arn = (snapshot.task or {}).get("taskArn") or ""
    return arn.rsplit("/", 1)[-1] or "TASK_ID"


def plan(snapshot: Snapshot) -> PullPlan:
    """Derive the pull plan from the snapshot's task definition (empty plan without one)."""
    td = snapshot.task_definition or {}
    region = snapshot.region
    account = snapshot.account or ""
    partition = snapshot.partition or "aws"
    result = PullPlan(needed_steps={s: False for s in STEPS}, region=region,
                      agent_network=agent_network_platform(snapshot))
    containers = td.get("containerDefinitions") or []
    if not td:
        return result
    result.needed_steps["manifest"] = bool(containers)
    result.needed_steps["layers"] = bool(containers)

    for c in containers:
        cname = c.get("name") or "?"
        image = parse_image(c.get("image") or "")
        result.images[cname] = image
        creds = (c.get("repositoryCredentials") or {}).get("credentialsParameter")
        if image.ecr:
            repo_arn = image.repository_arn(partition)
            result.needed_steps["registry-auth"] = True
            result.needs.append(Need("registry-auth", "ecr:GetAuthorizationToken", "*",
                                     f"container {cname} pulls from ECR ({image.registry})", cname))
            result.needs.append(Need("manifest", "ecr:BatchGetImage", repo_arn, f"resolve {image.raw}", cname))
            result.needs.append(Need("layers", "ecr:GetDownloadUrlForLayer", repo_arn,
                                     f"download the layers of {image.raw}", cname))
            ecr_region = image.region or region
            if not result.agent_network:
                _add_dest(result, "ecr.api", "registry-auth", "ecr:GetAuthorizationToken", ecr_region)
            if image.dual_stack:
                _add_host(result, image.registry, "manifest", f"container {cname} pulls {image.raw} (ECR dual-stack "
                          "host: no PrivateLink)", ecr_region)
            else:
                _add_dest(result, "ecr.dkr", "manifest", "image manifest and layer URLs", ecr_region)
            _add_dest(result, "s3", "layers", "ECR stores image layers in S3 (starport layer bucket)", ecr_region)
            _add_pull_through_cache(result, snapshot, cname, image, repo_arn)
        else:
            host = image.registry
            result.destinations.append(Destination(host, "manifest", f"container {cname} pulls {image.raw}"))
        if creds:
            kind, arn, lookup = resolve_secret(creds, region, account, partition, registry_credentials=True)
            ref = SecretRef(cname, "repositoryCredentials", creds, kind, arn, lookup)
            result.registry_credentials.append(ref)
            result.needed_steps["registry-auth"] = True
            result.needs.append(Need("registry-auth", "secretsmanager:GetSecretValue", arn,
                                     f"registry credentials for {cname}", cname))
            if not result.agent_network:
                _add_dest(result, "secretsmanager", "registry-auth", "registry credentials secret",
                          arn_region(arn) or region)

        for s in c.get("secrets") or []:
            kind, arn, lookup = resolve_secret(s.get("valueFrom") or "", region, account, partition)
            result.secrets.append(SecretRef(cname, s.get("name") or "?", s.get("valueFrom") or "", kind, arn, lookup))
            result.needed_steps["secrets"] = True
            if kind == "secretsmanager":
                result.needs.append(Need("secrets", "secretsmanager:GetSecretValue", arn, f"secret {s.get('name')} of {cname}", cname))
                if not result.agent_network:
                    _add_dest(result, "secretsmanager", "secrets", "container secrets from Secrets Manager",
                              arn_region(arn) or region)
            else:
                result.needs.append(Need("secrets", "ssm:GetParameters", arn, f"secret {s.get('name')} of {cname}", cname))
                if not result.agent_network:
                    _add_dest(result, "ssm", "secrets", "container secrets from Parameter Store",
                              arn_region(arn) or region)
            _add_secretsmanager_reference(result, result.secrets[-1], region, account, partition)

        _add_environment_files(result, c, cname, region)
        log = c.get("logConfiguration") or {}
        if log.get("logDriver") == "awslogs":
            opts = log.get("options") or {}
            group = opts.get("awslogs-group") or ""
            lregion = opts.get("awslogs-region") or region
            create = str(opts.get("awslogs-create-group", "false")).lower() == "true"
            prefix = opts.get("awslogs-stream-prefix") or ""
            result.log_groups.append({"container": cname, "group": group, "region": lregion,
                                      "create": create, "prefix": prefix})
            result.needed_steps["logs"] = True
            group_arn = f"arn:{partition}:logs:{lregion}:{account}:log-group:{group}"
            stream = f"{prefix}/{cname}/{_task_id(snapshot)}" if prefix else _task_id(snapshot)
            stream_arn = f"{group_arn}:log-stream:{stream}"
            if create:
                # IAM sees a log group as "...:log-group:NAME:*" for all but the tagging actions
                # (CloudWatch Logs API reference, LogGroup.arn).
                result.needs.append(Need("logs", "logs:CreateLogGroup", f"{group_arn}:*",
                                         f"awslogs-create-group for {cname}", cname))
            result.needs.append(Need("logs", "logs:CreateLogStream", stream_arn, f"awslogs stream for {cname}", cname))
            result.needs.append(Need("logs", "logs:PutLogEvents", stream_arn, f"awslogs events for {cname}", cname))
            _add_dest(result, "logs", "logs", "awslogs log driver", lregion)

    _dedupe(result)
    result.execution_role_needed = any(result.needed_steps[s] for s in ("registry-auth", "secrets", "logs")) and bool(
        result.needs
    )
    result.needed_steps["assume-role"] = result.execution_role_needed
    return result


#: What the execution role needs when a pull-through cache rule creates the repository on the first
#: pull (ECR user guide, "IAM permissions required to sync an upstream registry with an Amazon ECR
#: private registry", https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-iam.html).
PULL_THROUGH_CACHE_ACTIONS = ("ecr:BatchImportUpstreamImage", "ecr:CreateRepository")


def pull_through_cache_rule(snapshot: Snapshot, image: ImageRef) -> dict[str, Any] | None:
    """The pull-through cache rule covering ``image`` (recorded by the collector on its image entry)."""
    entry = snapshot.images.get(image.raw)
    rule = entry.get("pull_through_cache") if isinstance(entry, dict) else None
    return rule if isinstance(rule, dict) else None


def upstream_host(rule: dict[str, Any]) -> str | None:
    """The upstream registry's host name, from the rule's ``upstreamRegistryUrl``."""
    url = str(rule.get("upstreamRegistryUrl") or "").strip()
    host = url.split("://", 1)[-1].split("/", 1)[0]
    return host or None


def _add_pull_through_cache(result: PullPlan, snapshot: Snapshot, cname: str, image: ImageRef,
                            repo_arn: str | None) -> None:
    """A repository that does not exist yet but falls under a pull-through cache rule is created on
    the first pull: the role needs the cache actions, and the task a path to the upstream registry.

    PrivateLink does not reach the upstream registry: with ECR interface endpoints, the first pull
    needs a NAT gateway (ECR user guide, "Amazon ECR interface VPC endpoints (AWS PrivateLink)",
    https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html).
    """
    if not repo_arn or snapshot.repositories.get(repo_arn, ...) is not None:
        return  # the repository exists (or was not read): nothing is created
    rule = pull_through_cache_rule(snapshot, image)
    if rule is None:
        return
    prefix = rule.get("ecrRepositoryPrefix")
    for action in PULL_THROUGH_CACHE_ACTIONS:
        result.needs.append(Need("manifest", action, repo_arn,
                                 f"pull-through cache rule {prefix} creates {image.repository} on the first pull", cname))
    host = upstream_host(rule)
    if host and not any(d.target == host for d in result.destinations):
        result.destinations.append(Destination(host, "manifest", f"the first pull of {image.raw} fetches it from the "
                                               f"upstream registry {host} (not reachable through PrivateLink)"))


def _dedupe(result: PullPlan) -> None:
    """One entry per distinct need, secret and log group, so a task definition that repeats the
    same container many times (a hostile or broken input) cannot make the checks quadratic."""
    result.needs = list(dict.fromkeys(result.needs))
    result.secrets = list({(r.container, r.name, r.value_from): r for r in result.secrets}.values())
    result.registry_credentials = list({(r.container, r.value_from): r for r in result.registry_credentials}.values())
    result.log_groups = list({(g["container"], g["group"], g["region"]): g for g in result.log_groups}.values())


def _add_dest(result: PullPlan, target: str, step: str, why: str, region: str) -> None:
    """One destination per (service, region): each region has its own endpoint service and public endpoint."""
    if any(d.target == target and d.region == region for d in result.destinations):
        return
    key = destination_key(target, region, result.region)
    if key != target:
        why = f"{why}, in {region} (another region than the task: that region's public endpoint)"
    result.destinations.append(Destination(target, step, why, endpoint_service(target, region), region, key))


def _add_host(result: PullPlan, host: str, step: str, why: str, region: str | None = None) -> None:
    if not any(d.target == host for d in result.destinations):
        result.destinations.append(Destination(host, step, why, None, region, host))


def arn_region(arn: str) -> str | None:
    """The region field of an ARN (None when it has none, or it is not an ARN)."""
    parts = arn.split(":") if isinstance(arn, str) and arn.startswith("arn:") else []
    return parts[3] or None if len(parts) > 3 else None


def agent_network_platform(snapshot: Snapshot) -> bool:
    """A Linux Fargate task on platform version 1.3.0 or earlier.

    The ECR user guide ("Amazon ECR interface VPC endpoints",
    https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html): tasks "using Linux platform
    version 1.3.0 or earlier only require the com.amazonaws.region.ecr.dkr Amazon ECR VPC endpoint and the
    Amazon S3 gateway endpoint"; from 1.4.0 "all network traffic flows through" the task ENI ("Migrating to
    Linux platform version 1.4.0", https://docs.aws.amazon.com/AmazonECS/latest/developerguide/platform-version-migration.html).
    Before 1.4.0 the ECR token and secrets are fetched over Fargate's own network. Windows and LATEST: no.
    """
    td = snapshot.task_definition if isinstance(snapshot.task_definition, dict) else {}
    platform = td.get("runtimePlatform") if isinstance(td.get("runtimePlatform"), dict) else {}
    family = str(platform.get("operatingSystemFamily") or "LINUX").upper()
    if family.startswith("WINDOWS"):
        return False
    owners = [o for o in (snapshot.task, snapshot.service) if isinstance(o, dict)]
    version = next((v for v in (o.get("platformVersion") for o in owners) if isinstance(v, str) and v), "")
    parts = version.split(".")
    if len(parts) < 2 or not all(p.isdigit() for p in parts):
        return False  # LATEST (1.4.0 today) or unknown: the task ENI carries everything
    return (int(parts[0]), int(parts[1])) < (1, 4)
