"""Provisioning steps beyond the network: KMS and secrets, the image, logs, IAM roles, task definition.

Like `fargate_nb.lab.network`, each step reads the `EnvSpec` from the `BuildContext` and records
what it made in ``ctx.ids``. `push_image` is also what the image fixes call.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from fargate_nb.lab.context import BuildContext
from fargate_nb.lab.spec import ARTIFACTS_ACCOUNT, ECR_PULL_ACTIONS, EXECUTION_POLICY_ARN

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
SECRET_SUFFIX = "Xy12Ab"  # Secrets Manager appends six random characters; fixed for secrets that do not exist


def _digest(data: str | bytes) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _trust(principal: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": principal}, "Action": "sts:AssumeRole"}]})


def _uses_cmk(ctx: BuildContext) -> bool:
    spec = ctx.spec
    registry = spec.image_source == "dockerhub-private" and spec.registry_secret_kms
    return registry or any(s.kms for s in spec.container_secrets)


# -- KMS and secrets ---------------------------------------------------------------------------
def build_kms_and_secrets(ctx: BuildContext) -> None:
    spec, ids = ctx.spec, ctx.ids
    kms, sm, ssm = ctx.client("kms"), ctx.client("secretsmanager"), ctx.client("ssm")
    if _uses_cmk(ctx):
        ctx.step = "create the customer-managed KMS key"
        kwargs: dict[str, Any] = {}
        if spec.kms_key_policy is not None:
            kwargs["Policy"] = json.dumps(ctx.fill(spec.kms_key_policy))
        key = kms.create_key(Description=f"{spec.family} secrets", **kwargs)["KeyMetadata"]
        kms.create_alias(AliasName=f"alias/{spec.family}-secrets", TargetKeyId=key["KeyId"])
        ids["kms_keys"]["secrets"] = key["Arn"]
    cmk = ids["kms_keys"].get("secrets")

    ids["registry_secret_arn"] = None
    if spec.image_source == "dockerhub-private":
        name = f"dockerhub/{spec.family}"
        if spec.registry_secret == "exists":
            ctx.step = "create the registry credentials secret"
            kwargs = {"KmsKeyId": cmk} if spec.registry_secret_kms and cmk else {}
            arn = sm.create_secret(Name=name, Description="Docker Hub pull credentials (read-only token)",
                                   SecretString=json.dumps({"username": "acme-ci", "password": "dckr_pat_sandbox"}),
                                   **kwargs)["ARN"]
            if spec.registry_secret_policy is not None:
                ids["registry_secret_arn"] = arn  # the policy may name the secret itself
                sm.put_resource_policy(SecretId=arn, ResourcePolicy=json.dumps(ctx.fill(spec.registry_secret_policy)))
        else:
            arn = f"arn:aws:secretsmanager:{ctx.region}:{ctx.account}:secret:{name}-{SECRET_SUFFIX}"
        ids["registry_secret_arn"] = arn

    for secret in spec.container_secrets:
        ctx.step = f"create the container secret {secret.env_name}"
        if secret.store == "secretsmanager":
            name = f"{spec.family}/{secret.env_name.lower().replace('_', '-')}"
            if secret.exists:
                kwargs = {"KmsKeyId": cmk} if secret.kms and cmk else {}
                value_from = sm.create_secret(Name=name, SecretString="sandbox-value", **kwargs)["ARN"]
            else:
                value_from = f"arn:aws:secretsmanager:{ctx.region}:{ctx.account}:secret:{name}-{SECRET_SUFFIX}"
        else:
            name = f"/{spec.family}/{secret.env_name}"
            if secret.exists:
                kwargs = {"KeyId": cmk} if secret.kms and cmk else {}
                ssm.put_parameter(Name=name, Value="sandbox-value", Type="SecureString", **kwargs)
            value_from = f"arn:aws:ssm:{ctx.region}:{ctx.account}:parameter{name}"
        ids["secrets"][secret.env_name] = value_from


# -- image -------------------------------------------------------------------------------------
def _platform(text: str) -> dict[str, str]:
    os_name, arch, *variant = text.split("/")
    return {"architecture": arch, "os": os_name, **({"variant": variant[0]} if variant else {})}


def _manifest(platform: dict[str, str], oci: bool) -> str:
    config = json.dumps({"architecture": platform["architecture"], "os": platform["os"],
                         "config": {"Cmd": ["gunicorn", "payments.wsgi"]},
                         "rootfs": {"type": "layers", "diff_ids": []}}, sort_keys=True)
    layer = _digest(f"layer-{platform['architecture']}-{platform.get('variant', '')}")
    return json.dumps({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST if oci else DOCKER_MANIFEST,
        "config": {"mediaType": OCI_CONFIG if oci else DOCKER_CONFIG, "size": len(config), "digest": _digest(config)},
        "layers": [{"mediaType": OCI_LAYER if oci else DOCKER_LAYER, "size": 31_457_280, "digest": layer}],
    })


def push_image(ecr: Any, repository: str, registry_id: str, tag: str, platforms: tuple[str, ...],
          index: bool = True) -> str:
    """Push a single-platform manifest, or an OCI index over untagged per-platform manifests.

    A single Docker manifest names its platform only inside the config blob, which the ECR API
    does not serve; an index names it in the clear (what `docker buildx` pushes).
    """
    if not index and len(platforms) == 1:
        body = _manifest(_platform(platforms[0]), oci=False)
        ecr.put_image(repositoryName=repository, registryId=registry_id, imageManifest=body,
                      imageManifestMediaType=DOCKER_MANIFEST, imageTag=tag, imageDigest=_digest(body))
        return _digest(body)
    entries = []
    for text in platforms:
        body = _manifest(_platform(text), oci=True)
        ecr.put_image(repositoryName=repository, registryId=registry_id, imageManifest=body,
                      imageManifestMediaType=OCI_MANIFEST, imageDigest=_digest(body))
        entries.append({"mediaType": OCI_MANIFEST, "size": len(body), "digest": _digest(body),
                        "platform": _platform(text)})
    index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries})
    ecr.put_image(repositoryName=repository, registryId=registry_id, imageManifest=index,
                  imageManifestMediaType=OCI_INDEX, imageTag=tag, imageDigest=_digest(index))
    return _digest(index)


def build_image(ctx: BuildContext) -> None:
    spec, ids, ecr = ctx.spec, ctx.ids, ctx.client("ecr")
    ids.update(repository_arn=None, repository_uri=None, registry_id=None, image_digest=None)
    if spec.image_source not in ("ecr", "ecr-cross-account"):
        ids["image"] = spec.image_reference
        return
    registry_id = ARTIFACTS_ACCOUNT if spec.image_source == "ecr-cross-account" else ctx.account
    ctx.step = "create the ECR repository"
    # Moto keeps one ECR backend per account and does not route registryId to another account's
    # backend, so the other account's repository is created with registryId in this one: the
    # collector then reads it exactly as it would read a cross-account repository on AWS.
    repo = ecr.create_repository(repositoryName=spec.repository, registryId=registry_id,
                                 imageScanningConfiguration={"scanOnPush": True})["repository"]
    ids.update(repository_arn=repo["repositoryArn"], repository_uri=repo["repositoryUri"], registry_id=registry_id)
    ctx.step = "push the image"
    if spec.image_pushed:
        ids["image_digest"] = push_image(ecr, spec.repository, registry_id, spec.image_tag, spec.image_platforms,
                                    spec.image_index)
    else:  # CI pushed the previous release only; the task definition names the one that never arrived
        push_image(ecr, spec.repository, registry_id, "1.4.1", spec.image_platforms, spec.image_index)
    ids["image"] = f"{repo['repositoryUri']}:{spec.image_tag}"
    if spec.image_source == "ecr-cross-account":
        ctx.step = "set the repository policy"
        policy = spec.repository_policy or {"Version": "2012-10-17", "Statement": [{
            "Sid": "AllowPullFromPaymentsAccount", "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::${account}:root"}, "Action": ECR_PULL_ACTIONS}]}
        ecr.set_repository_policy(repositoryName=spec.repository, registryId=registry_id,
                                  policyText=json.dumps(ctx.fill(policy)))
    elif spec.repository_policy is not None:
        ecr.set_repository_policy(repositoryName=spec.repository, registryId=registry_id,
                                  policyText=json.dumps(ctx.fill(spec.repository_policy)))


# -- logs --------------------------------------------------------------------------------------
def build_logs(ctx: BuildContext) -> None:
    spec = ctx.spec
    ctx.ids["log_group"] = None if spec.awslogs == "none" else spec.log_group_name
    if spec.awslogs == "exists":
        ctx.step = "create the log group"
        ctx.client("logs").create_log_group(logGroupName=spec.log_group_name)
        ctx.client("logs").put_retention_policy(logGroupName=spec.log_group_name, retentionInDays=30)


# -- IAM ---------------------------------------------------------------------------------------
def _grant_statements(ctx: BuildContext) -> list[dict[str, Any]]:
    """What a careful engineer adds inline beside the managed policy: secrets, KMS, log group."""
    spec, ids = ctx.spec, ctx.ids
    statements: list[dict[str, Any]] = []
    secret_arns = []
    # Granted even when the task definition forgot repositoryCredentials: the policy was written first.
    if spec.grant_registry_secret and spec.image_source == "dockerhub-private":
        secret_arns.append(ids["registry_secret_arn"])
    if spec.grant_container_secrets:
        secret_arns += [v for v in ids["secrets"].values() if ":secretsmanager:" in v]
        params = [v for v in ids["secrets"].values() if ":ssm:" in v]
        if params:
            statements.append({"Sid": "ReadParameters", "Effect": "Allow", "Action": "ssm:GetParameters",
                               "Resource": params})
    if secret_arns:
        statements.insert(0, {"Sid": "ReadSecrets", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                              "Resource": secret_arns})
    if spec.grant_kms_decrypt and ids["kms_keys"].get("secrets"):
        statements.append({"Sid": "DecryptSecrets", "Effect": "Allow", "Action": "kms:Decrypt",
                           "Resource": ids["kms_keys"]["secrets"]})
    if spec.grant_create_log_group and spec.awslogs == "create-group":
        statements.append({"Sid": "CreateLogGroup", "Effect": "Allow", "Action": "logs:CreateLogGroup",
                           "Resource": f"arn:aws:logs:{ctx.region}:{ctx.account}:log-group:{spec.log_group_name}:*"})
    return statements


def _put_inline(iam: Any, role: str, name: str, statements: list[dict[str, Any]]) -> None:
    iam.put_role_policy(RoleName=role, PolicyName=name,
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}))


def build_roles(ctx: BuildContext) -> None:
    spec, ids, iam = ctx.spec, ctx.ids, ctx.client("iam")
    name = f"{spec.family}-execution"
    ids.update(execution_role_arn=None, execution_role_name=None, boundary_arn=None,
               task_role_arn=None, task_role_name=None)
    if spec.execution_role == "not-found":  # the role was deleted (or renamed) after the deploy
        ids.update(execution_role_name=f"{name}-old",
                   execution_role_arn=f"arn:aws:iam::{ctx.account}:role/{name}-old")
    elif spec.execution_role == "present":
        ctx.step = "create the task execution role"
        role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=_trust(spec.execution_role_trust),
                               Description=f"Task execution role for {spec.family}")["Role"]
        ids.update(execution_role_arn=role["Arn"], execution_role_name=name)
        if spec.execution_role_policy == "managed":
            iam.attach_role_policy(RoleName=name, PolicyArn=EXECUTION_POLICY_ARN)
        if spec.execution_role_statements:
            _put_inline(iam, name, f"{spec.family}-pull", list(ctx.fill(list(spec.execution_role_statements))))
        grants = _grant_statements(ctx) if spec.execution_role_policy != "none" else []
        if grants:
            _put_inline(iam, name, f"{spec.family}-secrets", grants)
        if spec.permissions_boundary is not None:
            ctx.step = "set the permissions boundary"
            boundary = iam.create_policy(PolicyName=f"{spec.family}-boundary",
                                         PolicyDocument=json.dumps(ctx.fill(spec.permissions_boundary)))["Policy"]["Arn"]
            iam.put_role_permissions_boundary(RoleName=name, PermissionsBoundary=boundary)
            ids["boundary_arn"] = boundary
    if spec.task_role:
        ctx.step = "create the task role"
        task_name = f"{spec.family}-task"
        role = iam.create_role(RoleName=task_name, AssumeRolePolicyDocument=_trust("ecs-tasks.amazonaws.com"),
                               Description=f"Application role for {spec.family}")["Role"]
        ids.update(task_role_arn=role["Arn"], task_role_name=task_name)
        if spec.task_role_statements:
            _put_inline(iam, task_name, f"{spec.family}-app", list(ctx.fill(list(spec.task_role_statements))))


# -- task definition ---------------------------------------------------------------------------
def container_definition(ctx: BuildContext) -> dict[str, Any]:
    spec, ids = ctx.spec, ctx.ids
    container: dict[str, Any] = {
        "name": spec.container, "image": ids["image"], "essential": True, "cpu": 256, "memory": 512,
        "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
        "environment": [{"name": "PORT", "value": "8080"}],
    }
    if spec.image_source == "dockerhub-private" and spec.registry_credentials:
        container["repositoryCredentials"] = {"credentialsParameter": ids["registry_secret_arn"]}
    if spec.container_secrets:
        container["secrets"] = [{"name": s.env_name, "valueFrom": ids["secrets"][s.env_name]}
                                for s in spec.container_secrets]
    if spec.awslogs != "none":
        options = {"awslogs-group": spec.log_group_name, "awslogs-region": ctx.region,
                   "awslogs-stream-prefix": spec.family}
        if spec.awslogs == "create-group":
            options["awslogs-create-group"] = "true"
        container["logConfiguration"] = {"logDriver": "awslogs", "options": options}
    return container


def register_task_definition(ctx: BuildContext) -> str:
    spec, ids = ctx.spec, ctx.ids
    ctx.step = "register the task definition"
    kwargs: dict[str, Any] = {}
    if ids.get("execution_role_arn"):
        kwargs["executionRoleArn"] = ids["execution_role_arn"]
    if ids.get("task_role_arn"):
        kwargs["taskRoleArn"] = ids["task_role_arn"]
    if spec.runtime_platform:
        kwargs["runtimePlatform"] = dict(spec.runtime_platform)
    td = ctx.client("ecs").register_task_definition(
        family=spec.family, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=[container_definition(ctx)], **kwargs)
    return td["taskDefinition"]["taskDefinitionArn"]
