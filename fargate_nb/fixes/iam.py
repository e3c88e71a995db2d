"""What-if operations for IAM and resource changes, applied to a snapshot *copy*.

Each operation does to the evidence what the matching AWS CLI command would do to the account, so
re-running the checks on the patched copy shows whether the change is enough (and what breaks next).
A target that is missing from the snapshot raises `FixError` with a message naming it.
"""

from __future__ import annotations

import copy
from typing import Any

from fargate_nb.fixes import OPERATIONS, FixError, fix_op
from fargate_nb.model import Snapshot


def _arg(fix: dict[str, Any], name: str, kind: type | tuple[type, ...] = str) -> Any:
    value = fix.get(name)
    if value is None or not isinstance(value, kind) or (isinstance(value, str) and not value):
        raise FixError(f"what-if {fix.get('op')!r}: argument {name!r} is missing or not a {_kind(kind)}")
    return value


def _kind(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join({"str": "string", "dict": "JSON object", "list": "list"}.get(k.__name__, k.__name__)
                       for k in kinds)


def _role(snapshot: Snapshot, role_arn: str) -> dict[str, Any]:
    role = snapshot.roles.get(role_arn)
    if not isinstance(role, dict):
        state = "does not exist" if role_arn in snapshot.roles else "was not read"
        raise FixError(f"role {role_arn} {state} in this snapshot; create it first (set_execution_role)")
    return role


def _container(snapshot: Snapshot, name: str) -> dict[str, Any]:
    td = snapshot.task_definition
    if not isinstance(td, dict):
        raise FixError("this snapshot has no task definition to change")
    for c in td.get("containerDefinitions") or []:
        if isinstance(c, dict) and c.get("name") == name:
            return c
    raise FixError(f"the task definition has no container named {name!r}")


def _statements(document: Any) -> list[Any]:
    st = (document or {}).get("Statement") if isinstance(document, dict) else None
    return st if isinstance(st, list) else ([st] if st else [])


@fix_op("attach_role_policy")
def attach_role_policy(snapshot: Snapshot, fix: dict[str, Any]) -> None:
    """Add (or replace) an inline policy, as ``aws iam put-role-policy`` does."""
    role = _role(snapshot, _arg(fix, "role_arn"))
    role.setdefault("InlinePolicies", {})
    if not isinstance(role["InlinePolicies"], dict):
        role["InlinePolicies"] = {}
    role["InlinePolicies"][_arg(fix, "policy_name")] = copy.deepcopy(_arg(fix, "document", dict))


@fix_op("detach_role_policy")
def detach_role_policy(snapshot: Snapshot, fix: dict[str, Any]) -> None:
    """Remove a managed policy from the role (``aws iam detach-role-policy``)."""
    role = _role(snapshot, _arg(fix, "role_arn"))
    policy_arn = _arg(fix, "policy_arn")
    attached = role.get("AttachedPolicies") or []
    kept = [p for p in attached if not (isinstance(p, dict) and p.get("PolicyArn") == policy_arn)]
    if len(kept) == len(attached):
        raise FixError(f"policy {policy_arn} is not attached to {fix['role_arn']}")
    role["AttachedPolicies"] = kept


@fix_op("remove_policy_statement")
def remove_policy_statement(snapshot: Snapshot, fix: dict[str, Any]) -> None:
    """Drop one statement from an inline policy (``policy_name``) or a managed one (``policy_arn``)."""
    role = _role(snapshot, _arg(fix, "role_arn"))
    statement = _arg(fix, "statement", dict)
    if fix.get("policy_name"):
        doc = (role.get("InlinePolicies") or {}).get(fix["policy_name"])
        where = f"inline policy {fix['policy_name']!r}"
    else:
        policy_arn = _arg(fix, "policy_arn")
        entry = next((p for p in role.get("AttachedPolicies") or []
                      if isinstance(p, dict) and p.get("PolicyArn") == policy_arn), None)
        doc = entry.get("Document") if entry else None
        where = f"managed policy {policy_arn}"
    if not isinstance(doc, dict):
        raise FixError(f"{where} is not on role {fix['role_arn']} (or its document was not read)")
    statements = _statements(doc)
    kept = [s for s in statements if s != statement]
    if len(kept) == len(statements):
        raise FixError(f"{where} has no such statement (Sid {statement.get('Sid', '')!r})")
    doc["Statement"] = kept


@fix_op("set_permissions_boundary")
def set_permissions_boundary(snapshot: Snapshot, fix: dict[str, Any]) -> None:
    """Replace the role's permissions boundary document, or remove the boundary (document None)."""
    role = _role(snapshot, _arg(fix, "role_arn"))
    document = fix.get("document")
    if document is None:
        role["PermissionsBoundary"] = None
        return
    if not isinstance(document, dict):
        raise FixError("what-if 'set_permissions_boundary': 'document' must be a JSON object or null")
    current = role.get("PermissionsBoundary") or {}
    role["PermissionsBoundary"] = {"PolicyArn": fix.get("policy_arn") or current.get("PolicyArn"),
                                   "Document": copy.deepcopy(document)}


@fix_op("set_trust_policy")
def set_trust_policy(snapshot: Snapshot, fix: dict[str, Any]) -> None:
    """Replace the role's trust policy (``aws iam update-assume-role-policy``)."""
    role = _role(snapshot, _arg(fix, "role_arn"))
    role.setdefault("Role", {})["AssumeRolePolicyDocument"] = copy.deepcopy(_arg(fix, "document", dict))


@fix_op("set_resource_policy")
def set_resource_policy(snapshot: Snapshot, fix: dict[str, Any]) -> None:
    """Replace a repository policy, a secret's resource policy or a KMS key policy."""
    kind, arn = _arg(fix, "kind"), _arg(fix, "arn")
    document = copy.deepcopy(_arg(fix, "document", dict))
    if kind == "repository":
        entry, field = snapshot.repositories.get(arn), "Policy"
    elif kind == "secret":
        entry, field = _find_secret(snapshot, arn), "ResourcePolicy"
    elif kind == "kms":
        entry, field = snapshot.kms_keys.get(arn), "Policy"
    else:
        raise FixError(f"what-if 'set_resource_policy': unknown kind {kind!r} (repository, secret or kms)")
    if not isinstance(entry, dict):
        raise FixError(f"{kind} {arn} is not in this snapshot (missing or not read)")
    entry[field] = document


def _find_secret(snapshot: Snapshot, arn_or_key: str) -> dict[str, Any] | None:
    entry = snapshot.secrets.get(arn_or_key)
    if isinstance(entry, dict):
        return entry
    return next((s for s in snapshot.secrets.values() if isinstance(s, dict) and s.get("ARN") == arn_or_key), None)


@fix_op("create_log_group")
def create_log_group(snapshot: Snapshot, fix: dict[str, Any]) -> None:
    name = _arg(fix, "name")
    region = fix.get("region") or snapshot.region
    arn = f"arn:{snapshot.partition or 'aws'}:logs:{region}:{snapshot.account or ''}:log-group:{name}"
    snapshot.log_groups[name] = {"logGroupName": name, "arn": f"{arn}:*", "logGroupArn": arn}


@fix_op("set_execution_role")
def set_execution_role(snapshot: Snapshot, fix: dict[str, Any]) -> None:
    """Point the task definition at a role (created with the given evidence if it is not there)."""
    td = snapshot.task_definition
    if not isinstance(td, dict):
        raise FixError("this snapshot has no task definition to change")
    role_arn = _arg(fix, "role_arn")
    role = fix.get("role")
    if role is not None:
        if not isinstance(role, dict) or not isinstance(role.get("Role"), dict):
            raise FixError("what-if 'set_execution_role': 'role' must be a roles[arn] evidence dict")
        snapshot.roles[role_arn] = copy.deepcopy(role)
    elif not isinstance(snapshot.roles.get(role_arn), dict):
        raise FixError(f"role {role_arn} is not in this snapshot; pass its evidence as 'role'")
    td["executionRoleArn"] = role_arn


@fix_op("add_repository_credentials")
def add_repository_credentials(snapshot: Snapshot, fix: dict[str, Any]) -> None:
    """Set ``repositoryCredentials.credentialsParameter``; a secret not in the snapshot is assumed created."""
    container = _container(snapshot, _arg(fix, "container"))
    secret_arn = _arg(fix, "secret_arn")
    container["repositoryCredentials"] = {"credentialsParameter": secret_arn}
    if not isinstance(snapshot.secrets.get(secret_arn), dict):
        existing = _find_secret(snapshot, secret_arn)
        snapshot.secrets[secret_arn] = copy.deepcopy(existing) if existing else _new_secret(secret_arn)


def _new_secret(arn: str) -> dict[str, Any]:
    name = arn.split(":secret:", 1)[-1] if ":secret:" in arn else arn
    return {"ARN": arn, "Name": name, "VersionIdsToStages": {"what-if": ["AWSCURRENT"]}, "ResourcePolicy": None}


@fix_op("create_secret")
def create_secret(snapshot: Snapshot, fix: dict[str, Any]) -> None:
    """A secret that exists (AWS-managed key, no resource policy) under the key the plan looks up."""
    key = _arg(fix, "key")
    snapshot.secrets[key] = _new_secret(fix.get("arn") or key)


@fix_op("restore_secret")
def restore_secret(snapshot: Snapshot, fix: dict[str, Any]) -> None:
    """Cancel a scheduled deletion (``aws secretsmanager restore-secret``)."""
    entry = _find_secret(snapshot, _arg(fix, "key"))
    if entry is None:
        raise FixError(f"secret {fix['key']} is not in this snapshot")
    entry.pop("DeletedDate", None)


@fix_op("create_parameter")
def create_parameter(snapshot: Snapshot, fix: dict[str, Any]) -> None:
    name = _arg(fix, "name")
    arn = fix.get("arn") or (f"arn:{snapshot.partition or 'aws'}:ssm:{snapshot.region}:{snapshot.account or ''}"
                             f":parameter/{name.lstrip('/')}")
    snapshot.parameters[name] = {"Name": name, "ARN": arn, "Type": "SecureString", "KeyId": "alias/aws/ssm",
                                 "Tier": "Standard", "Version": 1}


@fix_op("create_repository")
def create_repository(snapshot: Snapshot, fix: dict[str, Any]) -> None:
    arn = _arg(fix, "arn")
    parts = arn.split(":", 5)
    if len(parts) != 6 or not parts[5].startswith("repository/"):
        raise FixError(f"{arn!r} is not an ECR repository ARN")
    region, account, name = parts[3], parts[4], parts[5].split("/", 1)[1]
    snapshot.repositories[arn] = {
        "Repository": {"repositoryArn": arn, "registryId": account, "repositoryName": name,
                       "repositoryUri": f"{account}.dkr.ecr.{region}.amazonaws.com/{name}",
                       "imageTagMutability": "IMMUTABLE", "imageScanningConfiguration": {"scanOnPush": True}},
        "Policy": None, "LifecyclePolicy": False,
    }


@fix_op("push_image")
def push_image(snapshot: Snapshot, fix: dict[str, Any]) -> None:
    """The image (re)pushed, for the given platforms (default: keep what it had, else linux/amd64)."""
    from fargate_nb.pullflow import parse_image

    reference = _arg(fix, "reference")
    entry = snapshot.images.get(reference)
    if not isinstance(entry, dict):
        p = parse_image(reference)
        entry = {"registry": p.registry, "ecr": p.ecr, "region": p.region, "registry_id": p.registry_id,
                 "repository_name": p.repository, "repository_arn": p.repository_arn(snapshot.partition or "aws"),
                 "tag": p.tag, "digest": p.digest, "pushed_at": None, "tag_mutability": None}
        snapshot.images[reference] = entry
    platforms = fix.get("platforms")
    if platforms is not None and not isinstance(platforms, list):
        raise FixError("what-if 'push_image': 'platforms' must be a list of {os, architecture}")
    entry["found"] = True
    entry["platforms"] = copy.deepcopy(platforms) if platforms is not None else (
        entry.get("platforms") or [{"os": "linux", "architecture": "amd64", "variant": None}])


@fix_op("set_runtime_platform")
def set_runtime_platform(snapshot: Snapshot, fix: dict[str, Any]) -> None:
    td = snapshot.task_definition
    if not isinstance(td, dict):
        raise FixError("this snapshot has no task definition to change")
    td["runtimePlatform"] = {"cpuArchitecture": _arg(fix, "cpuArchitecture"),
                             "operatingSystemFamily": fix.get("operatingSystemFamily") or "LINUX"}


@fix_op("reencrypt_secret")
def reencrypt_secret(snapshot: Snapshot, fix: dict[str, Any]) -> None:
    """Re-encrypt a secret with a new customer managed key (``update-secret --kms-key-id``), the key
    created with the given ``key_policy``."""
    entry = _find_secret(snapshot, _arg(fix, "key"))
    if entry is None:
        raise FixError(f"secret {fix['key']} is not in this snapshot")
    key_arn = _arg(fix, "key_arn")
    policy = _arg(fix, "key_policy", dict)
    entry["KmsKeyId"] = key_arn
    snapshot.kms_keys[key_arn] = {"KeyMetadata": {"Arn": key_arn, "KeyId": key_arn.rsplit("/", 1)[-1],
                                                  "KeyManager": "CUSTOMER", "KeyState": "Enabled", "Enabled": True},
                                  "Policy": copy.deepcopy(policy)}


@fix_op("enable_kms_key")
def enable_kms_key(snapshot: Snapshot, fix: dict[str, Any]) -> None:
    """Cancel a scheduled key deletion and enable the key."""
    entry = snapshot.kms_keys.get(_arg(fix, "key_arn"))
    if not isinstance(entry, dict) or not isinstance(entry.get("KeyMetadata"), dict):
        raise FixError(f"KMS key {fix['key_arn']} is not in this snapshot")
    meta = entry["KeyMetadata"]
    meta.update({"KeyState": "Enabled", "Enabled": True})
    meta.pop("DeletionDate", None)


@fix_op("sequence")
def sequence(snapshot: Snapshot, fix: dict[str, Any]) -> None:
    """Several operations, in order (e.g. lift a boundary and attach a policy)."""
    for step in _arg(fix, "fixes", list):
        if not isinstance(step, dict) or step.get("op") not in OPERATIONS or step.get("op") == "sequence":
            raise FixError(f"what-if 'sequence': bad step {step!r}")
        OPERATIONS[step["op"]](snapshot, step)
