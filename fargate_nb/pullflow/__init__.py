"""The ordered steps of an image pull and what each needs, derived from the task definition.

This is the single place that says *what the pull requires*: which IAM actions on which
resources the execution role must be allowed, and which AWS service endpoints (or registry
hosts) must be reachable from the task's subnets. The collector uses it to decide what to read,
the checks to decide what to evaluate, and the views to draw the diagram.

The plan is built here from three modules: `places` (hosts, regions, partitions, endpoint names),
`needs` (the plan's parts) and `features` (secrets through Parameter Store, environment files,
pull-through cache). Everything public is importable from ``fargate_nb.pullflow``.
"""

from __future__ import annotations

from fargate_nb.model import STEPS, Snapshot
from fargate_nb.pullflow.features import (
    ENVIRONMENT_FILE_ACTIONS,
    PULL_THROUGH_CACHE_ACTIONS,
    SECRETSMANAGER_REFERENCE,
    add_environment_files,
    add_pull_through_cache,
    add_secretsmanager_reference,
    environment_file_bucket,
    pull_through_cache_rule,
    secretsmanager_reference,
    upstream_host,
)
from fargate_nb.pullflow.needs import (
    ACTION_TARGETS,
    ECR_PULL_ACTIONS,
    Destination,
    Need,
    PullPlan,
    SecretRef,
    action_target,
    add_destination,
    add_host,
    resolve_secret,
)
from fargate_nb.pullflow.places import (
    CN_PREFIXED_SERVICES,
    DOCKER_HUB,
    ECR_DUAL_STACK_HOST,
    ECR_HOST,
    ECR_PUBLIC,
    SERVICE_ENDPOINTS,
    ImageRef,
    arn_region,
    destination_key,
    endpoint_service,
    layer_bucket,
    layer_bucket_arn,
    parse_image,
    partition_of,
    split_key,
)

__all__ = [
    "ACTION_TARGETS", "CN_PREFIXED_SERVICES", "ENVIRONMENT_FILE_ACTIONS", "DOCKER_HUB", "ECR_DUAL_STACK_HOST", "ECR_HOST", "ECR_PUBLIC",
    "ECR_PULL_ACTIONS", "PULL_THROUGH_CACHE_ACTIONS", "SECRETSMANAGER_REFERENCE", "SERVICE_ENDPOINTS", "STEP_TITLES",
    "Destination", "ImageRef", "Need", "PullPlan", "SecretRef", "action_target", "agent_network_platform",
    "arn_region", "destination_key", "endpoint_service", "environment_file_bucket", "layer_bucket",
    "layer_bucket_arn", "parse_image", "partition_of", "plan", "pull_through_cache_rule", "resolve_secret",
    "secretsmanager_reference", "split_key", "upstream_host",
]

STEP_TITLES = {
    "assume-role": "Fargate assumes the task execution role",
    "registry-auth": "Authenticate to the registry",
    "secrets": "Fetch container secrets",
    "manifest": "Resolve the image manifest",
    "layers": "Download the image layers",
    "logs": "Set up the awslogs log stream",
}


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
                add_destination(result, "ecr.api", "registry-auth", "ecr:GetAuthorizationToken", ecr_region)
            if image.dual_stack:
                add_host(result, image.registry, "manifest", f"container {cname} pulls {image.raw} (ECR dual-stack "
                          "host: no PrivateLink)", ecr_region)
            else:
                add_destination(result, "ecr.dkr", "manifest", "image manifest and layer URLs", ecr_region)
            add_destination(result, "s3", "layers", "ECR stores image layers in S3 (starport layer bucket)", ecr_region)
            add_pull_through_cache(result, snapshot, cname, image, repo_arn)
        else:
            host = image.registry
            add_host(result, host, "manifest", f"container {cname} pulls {image.raw}", also=("layers",))
        if creds:
            kind, arn, lookup = resolve_secret(creds, region, account, partition, registry_credentials=True)
            ref = SecretRef(cname, "repositoryCredentials", creds, kind, arn, lookup)
            result.registry_credentials.append(ref)
            result.needed_steps["registry-auth"] = True
            result.needs.append(Need("registry-auth", "secretsmanager:GetSecretValue", arn,
                                     f"registry credentials for {cname}", cname))
            if not result.agent_network:
                add_destination(result, "secretsmanager", "registry-auth", "registry credentials secret",
                          arn_region(arn) or region)

        for s in c.get("secrets") or []:
            kind, arn, lookup = resolve_secret(s.get("valueFrom") or "", region, account, partition)
            result.secrets.append(SecretRef(cname, s.get("name") or "?", s.get("valueFrom") or "", kind, arn, lookup))
            result.needed_steps["secrets"] = True
            if kind == "secretsmanager":
                result.needs.append(Need("secrets", "secretsmanager:GetSecretValue", arn, f"secret {s.get('name')} of {cname}", cname))
                if not result.agent_network:
                    add_destination(result, "secretsmanager", "secrets", "container secrets from Secrets Manager",
                              arn_region(arn) or region)
            else:
                result.needs.append(Need("secrets", "ssm:GetParameters", arn, f"secret {s.get('name')} of {cname}", cname))
                if not result.agent_network:
                    add_destination(result, "ssm", "secrets", "container secrets from Parameter Store",
                              arn_region(arn) or region)
            add_secretsmanager_reference(result, result.secrets[-1], region, account, partition)

        add_environment_files(result, c, cname, region)
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
            add_destination(result, "logs", "logs", "awslogs log driver", lregion)

    _dedupe(result)
    result.execution_role_needed = any(result.needed_steps[s] for s in ("registry-auth", "secrets", "logs")) and bool(
        result.needs
    )
    result.needed_steps["assume-role"] = result.execution_role_needed
    return result


def _dedupe(result: PullPlan) -> None:
    """One entry per distinct need, secret and log group, so a task definition that repeats the
    same container many times (a hostile or broken input) cannot make the checks quadratic."""
    result.needs = list(dict.fromkeys(result.needs))
    result.secrets = list({(r.container, r.name, r.value_from): r for r in result.secrets}.values())
    result.registry_credentials = list({(r.container, r.value_from): r for r in result.registry_credentials}.values())
    result.log_groups = list({(g["container"], g["group"], g["region"]): g for g in result.log_groups}.values())


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
