"""Task-definition features that add to the pull's needs: Secrets Manager secrets referenced through
Parameter Store, environment files in S3, and ECR pull-through cache rules."""

from __future__ import annotations

from typing import Any

from fargate_nb.model import Snapshot
from fargate_nb.pullflow.needs import Destination, Need, PullPlan, SecretRef, add_destination
from fargate_nb.pullflow.places import ImageRef

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


def add_secretsmanager_reference(result: PullPlan, ref: SecretRef, region: str, account: str,
                                  partition: str) -> None:
    """A Parameter Store reference to a Secrets Manager secret needs ssm:GetParameters on the reference
    (added with every parameter) and secretsmanager:GetSecretValue on the secret: "Parameter Store
    honors IAM policies attached to Secrets Manager secrets" (integration-ps-secretsmanager.html).
    The task calls Parameter Store only, which passes the request through: no secretsmanager endpoint."""
    found = secretsmanager_reference(ref.value_from, region, account, partition) if ref.kind == "ssm" else None
    if found is not None:
        result.needs.append(Need("secrets", "secretsmanager:GetSecretValue", found[1],
                                 f"secret {ref.name} of {ref.container} (through Parameter Store)", ref.container))


#: What the execution role needs for each environment file in S3: the object, then its bucket's location
#: (ECS developer guide, taskdef-envfiles.html, Required IAM permissions).
ENVIRONMENT_FILE_ACTIONS = ("s3:GetObject", "s3:GetBucketLocation")


def environment_file_bucket(object_arn: str) -> str | None:
    """The bucket ARN of an ``environmentFiles`` object ARN (``arn:aws:s3:::bucket/key.env``)."""
    head, sep, path = object_arn.partition(":::")
    bucket = path.split("/", 1)[0]
    return f"{head}:::{bucket}" if sep and head.startswith("arn:") and ":s3" in head and bucket and "/" in path else None


def add_environment_files(result: PullPlan, container: dict[str, Any], cname: str, region: str) -> None:
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
        get_object, bucket_location = ENVIRONMENT_FILE_ACTIONS
        result.needs.append(Need("secrets", get_object, value, f"environment file {value} of {cname}", cname))
        result.needs.append(Need("secrets", bucket_location, bucket,
                                 f"environment file {value} of {cname} (its bucket's region)", cname))
        add_destination(result, "s3", "secrets", "environment files in S3", region)


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


def add_pull_through_cache(result: PullPlan, snapshot: Snapshot, cname: str, image: ImageRef,
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

