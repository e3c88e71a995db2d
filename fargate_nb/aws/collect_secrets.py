"""Secrets, parameters, the KMS keys that encrypt them, and awslogs log groups.

Never reads a value: Secrets Manager is asked DescribeSecret and GetResourcePolicy, Parameter
Store DescribeParameters (with a Name filter), KMS DescribeKey and GetKeyPolicy. Keys managed by
AWS (``alias/aws/secretsmanager``, ``alias/aws/ssm``) need no ``kms:Decrypt`` grant and are not read.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from fargate_nb.aws.arns import parse_arn
from fargate_nb.aws.calls import Job, PolicyDecodeError, decode_policy, jsonable
from fargate_nb.aws.state import Collection
from fargate_nb.pullflow import PullPlan, SecretRef, secretsmanager_reference

SECRET = "sm.secret"
SECRET_POLICY = "sm.policy"
KEY = "kms.key"
KEY_POLICY = "kms.policy"


def secret_jobs(col: Collection, plan: PullPlan) -> list[Job]:
    """Jobs for the registry-credentials secret and every container secret."""
    jobs: list[Job] = []
    for ref in [*plan.registry_credentials, *plan.secrets]:
        if not col.claim(("secret", ref.kind, ref.lookup)):
            continue
        referenced = secretsmanager_reference(ref.value_from, col.ctx.region, col.snap.account or "",
                                              col.snap.partition or "aws") if ref.kind == "ssm" else None
        if referenced is not None:  # Parameter Store passes it through: the secret is described
            secret_id, arn, region = referenced
            secret = SecretRef(ref.container, ref.name, ref.value_from, "secretsmanager", arn, secret_id)
            jobs += [partial(_describe_secret, col, secret, region), partial(_secret_policy, col, secret, region)]
        elif ref.kind == "secretsmanager":
            region = _region_of(ref.arn, col.ctx.region)
            jobs += [partial(_describe_secret, col, ref, region), partial(_secret_policy, col, ref, region)]
        elif ref.kind == "ssm":
            jobs.append(partial(_describe_parameter, col, ref))
        else:
            col.gap("ecs:DescribeTaskDefinition", f"unsupported valueFrom {ref.value_from[:200]!r}: neither a Secrets Manager "
                    "secret nor an SSM parameter", ref.value_from[:200])
    return jobs


def describe_secret_job(col: Collection, arn: str) -> list[Job]:
    """A DescribeSecret of a secret the pull does not name in the task definition (e.g. the upstream
    credentials of an ECR pull-through cache rule), read once like the others."""
    if not col.claim(("secret", "secretsmanager", arn)):
        return []
    ref = SecretRef("", "pullThroughCache", arn, "secretsmanager", arn, arn)
    region = _region_of(arn, col.ctx.region)
    return [partial(_describe_secret, col, ref, region)]


def log_group_jobs(col: Collection, plan: PullPlan) -> list[Job]:
    jobs: list[Job] = []
    for lg in plan.log_groups:
        group, region = lg.get("group") or "", lg.get("region") or col.ctx.region
        if group and col.claim(("log-group", region, group)):
            jobs.append(partial(_describe_log_group, col, group, region))
    return jobs


def _region_of(arn: str, default: str) -> str:
    parsed = parse_arn(arn)
    return parsed.region if parsed and parsed.region else default


def _describe_secret(col: Collection, ref: SecretRef, region: str) -> list[Job]:
    out = col.call("secretsmanager", "DescribeSecret", resource=ref.arn, region=region, SecretId=ref.lookup)
    if out.missing:
        col.put(SECRET, ref.arn, None)
        return []
    if not out.ok:
        return []
    secret = jsonable(out.data)
    col.put(SECRET, ref.arn, secret)
    return _key_jobs(col, secret.get("KmsKeyId"), region)


def _secret_policy(col: Collection, ref: SecretRef, region: str) -> None:
    out = col.call("secretsmanager", "GetResourcePolicy", resource=ref.arn, region=region, SecretId=ref.lookup)
    if out.ok:
        try:
            col.put(SECRET_POLICY, ref.arn, decode_policy(out.data.get("ResourcePolicy")))
        except PolicyDecodeError as exc:
            col.gap("secretsmanager:GetResourcePolicy", f"resource policy unreadable: {exc}", ref.arn)


def _parameter_names(ref: SecretRef) -> list[str]:
    """Names to look for: a parameter ARN ``.../parameter/db`` names ``db``, ``.../parameter/a/b`` names ``/a/b``."""
    names = [ref.lookup]
    if ref.value_from.startswith("arn:"):
        rest = ref.value_from.split(":parameter/", 1)[-1]
        names.append(rest if "/" not in rest else f"/{rest}")
    return [n for i, n in enumerate(names) if n and n not in names[:i]]


def _describe_parameter(col: Collection, ref: SecretRef) -> list[Job]:
    parsed = parse_arn(ref.arn)
    region = parsed.region if parsed and parsed.region else col.ctx.region
    if parsed and parsed.account and col.snap.account and parsed.account != col.snap.account:
        col.gap("ssm:DescribeParameters", f"parameter is shared from account {parsed.account}: "
                "DescribeParameters only lists the caller's own parameters", ref.arn)
        return []
    names = _parameter_names(ref)
    out = col.call("ssm", "DescribeParameters", resource=ref.arn, region=region, paginate=True,
                   ParameterFilters=[{"Key": "Name", "Option": "Equals", "Values": names}])
    if not out.ok:
        if out.missing:
            col.snap.parameters[ref.lookup] = None
        return []
    found = [p for p in out.data.get("Parameters") or [] if p.get("Name") in names]
    if not found:
        col.snap.parameters[ref.lookup] = None
        return []
    parameter = jsonable(found[0])
    col.snap.parameters[ref.lookup] = parameter
    if parameter.get("Type") == "SecureString":
        return _key_jobs(col, parameter.get("KeyId"), region)
    return []


# -- KMS -------------------------------------------------------------------------------------------
def aws_managed_alias(key_ref: str) -> bool:
    """``alias/aws/...`` (or its ARN) names a key AWS manages: no key policy grant is needed."""
    return key_ref.startswith("alias/aws/") or ":alias/aws/" in key_ref


def _key_jobs(col: Collection, key_ref: Any, region: str) -> list[Job]:
    if not isinstance(key_ref, str) or not key_ref or aws_managed_alias(key_ref):
        return []
    region = _region_of(key_ref, region)
    if not col.claim(("kms", region, key_ref)):
        return []
    if "alias/" in key_ref:  # resolve the alias first: GetKeyPolicy wants a key id or ARN
        return [partial(_describe_key, col, key_ref, region, True)]
    return [partial(_describe_key, col, key_ref, region, False), partial(_key_policy, col, key_ref, key_ref, region)]


def _describe_key(col: Collection, key_ref: str, region: str, then_policy: bool) -> list[Job]:
    out = col.call("kms", "DescribeKey", resource=key_ref, region=region, KeyId=key_ref)
    if out.missing:
        col.put(KEY, key_ref, None)
        return []
    if not out.ok:
        return []
    meta = jsonable(out.data.get("KeyMetadata") or {})
    col.put(KEY, key_ref, meta)
    if then_policy and meta.get("Arn") and meta.get("KeyManager") != "AWS":
        return [partial(_key_policy, col, key_ref, meta["Arn"], region)]
    return []


def _key_policy(col: Collection, key_ref: str, key_id: str, region: str) -> None:
    out = col.call("kms", "GetKeyPolicy", resource=key_id, region=region, KeyId=key_id, PolicyName="default")
    if out.ok:
        try:
            col.put(KEY_POLICY, key_ref, decode_policy(out.data.get("Policy")))
        except PolicyDecodeError as exc:
            col.gap("kms:GetKeyPolicy", f"key policy unreadable: {exc}", key_id)


def _describe_log_group(col: Collection, group: str, region: str) -> None:
    # Groups come back sorted by name, so an exact match is the first one with this prefix.
    out = col.call("logs", "DescribeLogGroups", resource=group, region=region, logGroupNamePrefix=group, limit=5)
    if out.missing:
        col.snap.log_groups[group] = None
    elif out.ok:
        match = [g for g in out.data.get("logGroups") or [] if g.get("logGroupName") == group]
        col.snap.log_groups[group] = jsonable(match[0]) if match else None


def assemble_secrets(col: Collection) -> None:
    """Build ``snapshot.secrets`` and ``snapshot.kms_keys`` from the parts read by the jobs."""
    policies = col.bucket(SECRET_POLICY)
    for arn, secret in col.bucket(SECRET).items():
        if secret is not None and arn in policies:
            secret = {**secret, "ResourcePolicy": policies[arn]}
        col.snap.secrets[arn] = secret
    key_policies = col.bucket(KEY_POLICY)
    for key_ref, meta in col.bucket(KEY).items():
        if meta is None:
            col.snap.kms_keys[key_ref] = None
            continue
        entry: dict[str, Any] = {"KeyMetadata": meta}
        if key_ref in key_policies:
            entry["Policy"] = key_policies[key_ref]
        elif meta.get("KeyManager") == "AWS":
            entry["Policy"] = None
        for name in {meta.get("Arn") or key_ref, key_ref}:
            col.snap.kms_keys[name] = entry
