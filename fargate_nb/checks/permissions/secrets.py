"""Looking up the secrets and parameters a task names, and the KMS keys that protect them.

Secrets Manager encrypts with the AWS managed key ``aws/secretsmanager`` unless ``KmsKeyId`` names
another key; Parameter Store ``SecureString`` parameters use ``aws/ssm`` unless ``KeyId`` says
otherwise. Only customer managed keys need ``kms:Decrypt`` for the execution role (ECS developer
guide, private-auth and specifying-sensitive-data). The decryption is made by the service on the
role's behalf, so the request carries ``kms:ViaService`` and the service's encryption context.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fargate_nb.checks.permissions.evidence import arn_parts
from fargate_nb.model import Snapshot
from fargate_nb.pullflow import Need, PullPlan, secretsmanager_reference

AWS_MANAGED_ALIASES = ("alias/aws/secretsmanager", "alias/aws/ssm")


@dataclass
class SecretLookup:
    """What the snapshot says about one referenced secret or parameter."""

    state: str  # "found", "missing" (looked up, does not exist), "unread"
    entry: dict[str, Any] | None
    key: str  # the snapshot key it was found under (or the lookup id)
    arn: str  # the ARN IAM sees
    region: str


def lookup_secret(snapshot: Snapshot, ref: Any) -> SecretLookup:
    """Find a SecretRef (`pullflow.SecretRef`) in ``snapshot.secrets`` or ``snapshot.parameters``."""
    kind = secret_kind(ref)
    table = snapshot.secrets if kind == "secretsmanager" else snapshot.parameters
    candidates = [ref.lookup, ref.value_from, ref.arn]
    referenced = referenced_secret(snapshot, ref)
    if referenced is not None:  # a Parameter Store reference: the secret is what exists (or not)
        candidates = [referenced[1], referenced[0]]
    if kind == "ssm" and ref.lookup:
        candidates += ["/" + ref.lookup.lstrip("/"), ref.lookup.lstrip("/")]
    for key in candidates:
        if key and key in table:
            entry = table[key]
            if entry is None:
                return SecretLookup("missing", None, key, _iam_arn(snapshot, ref, None), _region(snapshot, ref, None))
            if isinstance(entry, dict):
                return SecretLookup("found", entry, key, _iam_arn(snapshot, ref, entry), _region(snapshot, ref, entry))
    for key, entry in table.items():  # stored under another id (ARN vs name)
        if isinstance(entry, dict) and entry.get("ARN") in candidates:
            return SecretLookup("found", entry, key, _iam_arn(snapshot, ref, entry), _region(snapshot, ref, entry))
    return SecretLookup("unread", None, ref.lookup or ref.value_from, _iam_arn(snapshot, ref, None),
                        _region(snapshot, ref, None))


def describe_ref(ref: Any) -> str:
    """How a finding names a referenced secret: env var and container, or the registry credentials."""
    if getattr(ref, "name", "") == "repositoryCredentials":
        return f"the registry credentials of container {ref.container} ({ref.value_from})"
    return f"secret {ref.name} of container {ref.container} ({ref.value_from})"


def secret_kind(ref: Any) -> str:
    """secretsmanager or ssm. Registry credentials are always Secrets Manager secrets, even by name,
    and so is a Parameter Store reference (``/aws/reference/secretsmanager/...``): it reads a secret."""
    if getattr(ref, "name", "") == "repositoryCredentials":
        return "secretsmanager"
    if ref.kind == "ssm" and secretsmanager_reference(ref.value_from, "", "") is not None:
        return "secretsmanager"
    return "secretsmanager" if ref.kind == "secretsmanager" else "ssm"


def referenced_secret(snapshot: Snapshot, ref: Any) -> tuple[str, str, str] | None:
    """(secret id, ARN, region) of the secret a Parameter Store reference names (None otherwise)."""
    if getattr(ref, "kind", "") != "ssm":
        return None
    return secretsmanager_reference(ref.value_from, snapshot.region, snapshot.account or "", snapshot.partition or "aws")


def _iam_arn(snapshot: Snapshot, ref: Any, entry: dict[str, Any] | None) -> str:
    if entry and isinstance(entry.get("ARN"), str):
        arn = entry["ARN"]
        return ":".join(arn.split(":")[:7]) if ":secretsmanager:" in arn else arn
    referenced = referenced_secret(snapshot, ref)
    if referenced is not None:  # named by its id: IAM sees the full ARN, which ends in a random suffix
        return referenced[1] if referenced[0].startswith("arn:") else f"{referenced[1]}-??????"
    if secret_kind(ref) == "secretsmanager" and not ref.value_from.startswith("arn:"):
        # A secret named without its ARN: IAM sees the full ARN, which ends in a random suffix.
        return (f"arn:{snapshot.partition or 'aws'}:secretsmanager:{snapshot.region}:{snapshot.account or ''}"
                f":secret:{ref.value_from}-??????")
    return ref.arn


def _region(snapshot: Snapshot, ref: Any, entry: dict[str, Any] | None) -> str:
    referenced = referenced_secret(snapshot, ref)
    if referenced is not None and not (entry or {}).get("ARN"):
        return referenced[2]
    for arn in ((entry or {}).get("ARN"), ref.value_from, ref.arn):
        parts = arn_parts(arn)
        if parts and parts["region"]:
            return parts["region"]
    return snapshot.region


@dataclass
class KeyLookup:
    """The KMS key protecting a secret: ``state`` is none (no KMS), aws-managed, found, missing, unread."""

    state: str
    ref: str | None = None  # as written in the secret/parameter (id, ARN or alias)
    arn: str | None = None
    entry: dict[str, Any] | None = None

    @property
    def customer(self) -> bool:
        return self.state == "found" and ((self.entry or {}).get("KeyMetadata") or {}).get("KeyManager") != "AWS"


def key_for_secret(snapshot: Snapshot, ref: Any) -> KeyLookup:
    secret = lookup_secret(snapshot, ref)
    if secret.state != "found" or secret.entry is None:
        return KeyLookup("unread" if secret.state == "unread" else "none")
    if secret_kind(ref) == "ssm":
        if secret.entry.get("Type") != "SecureString":
            return KeyLookup("none")
        key_ref = secret.entry.get("KeyId")
    else:
        key_ref = secret.entry.get("KmsKeyId")
    return find_key(snapshot, key_ref, secret.region)


def find_key(snapshot: Snapshot, key_ref: Any, region: str) -> KeyLookup:
    if not key_ref or not isinstance(key_ref, str):
        return KeyLookup("aws-managed", None)
    if any(key_ref == a or key_ref.endswith(":" + a) for a in AWS_MANAGED_ALIASES):
        return KeyLookup("aws-managed", key_ref)
    for arn, entry in snapshot.kms_keys.items():
        meta = (entry or {}).get("KeyMetadata") or {} if isinstance(entry, dict) else {}
        names = {arn, meta.get("KeyId"), meta.get("Arn"), *((entry or {}).get("Aliases") or [])
                 } if isinstance(entry, dict) else {arn}
        if key_ref in names or arn.endswith("/" + key_ref):
            if entry is None:
                return KeyLookup("missing", key_ref, arn)
            state = "aws-managed" if meta.get("KeyManager") == "AWS" else "found"
            return KeyLookup(state, key_ref, meta.get("Arn") or arn, entry)
    arn = key_ref
    if not key_ref.startswith("arn:") and not key_ref.startswith("alias/"):
        arn = f"arn:{snapshot.partition or 'aws'}:kms:{region}:{snapshot.account or ''}:key/{key_ref}"
    return KeyLookup("unread", key_ref, arn)


def kms_needs(snapshot: Snapshot, plan: PullPlan) -> list[Need]:
    """kms:Decrypt on each customer managed key that protects a secret the pull reads."""
    needs: list[Need] = []
    for step, refs in (("registry-auth", plan.registry_credentials), ("secrets", plan.secrets)):
        seen: set[str] = set()
        for ref in refs:
            try:
                key = key_for_secret(snapshot, ref)
            except Exception:  # odd evidence: the secret checks report it; the matrix skips the row
                continue
            if key.customer and key.arn and key.arn not in seen:
                seen.add(key.arn)
                needs.append(Need(step, "kms:Decrypt", key.arn, f"{ref.kind} secret {ref.name} uses this key",
                                  ref.container, via_service=ref.kind))
    return needs
