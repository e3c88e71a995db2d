"""The secrets step: container ``secrets`` exist and the execution role may read them.

Secrets Manager secrets need ``secretsmanager:GetSecretValue`` (and the secret's resource policy
must not deny it; another account's secret must grant it); Parameter Store parameters need
``ssm:GetParameters``. The KMS side (``kms:Decrypt`` on a customer managed key) is `iam.kms-decrypt`.
A secret scheduled for deletion cannot be read, so it counts as missing.
"""

from __future__ import annotations

from typing import Any

from fargate_nb.checks.permissions import (
    Ask,
    SecretLookup,
    account_of,
    describe_ref,
    execution_role,
    gap_for,
    lookup_secret,
    no_role_finding,
    permission_finding,
    policy_name,
    q,
    referenced_secret,
    secret_kind,
    unread_detail,
)
from fargate_nb.checks.registry import check
from fargate_nb.model import Finding, Remediation, Snapshot
from fargate_nb.pullflow import ENVIRONMENT_FILE_ACTIONS, Need, PullPlan, SecretRef

LOOKUP_APIS = {"secretsmanager": ("secretsmanager:DescribeSecret",), "ssm": ("ssm:DescribeParameters",)}


def _label(ref: SecretRef) -> str:
    return describe_ref(ref)


def _unread(check_id: str, step: str, snapshot: Snapshot, ref: SecretRef, found: SecretLookup) -> Finding:
    kind = secret_kind(ref)
    detail, perm = unread_detail(("Secret " if kind == "secretsmanager" else "Parameter ") + found.key,
                                 gap_for(snapshot, LOOKUP_APIS[kind], found.key), LOOKUP_APIS[kind][0])
    return Finding(check_id, "unknown", step, detail=detail, missing_permission=perm, resource=ref.arn)


def missing_finding(check_id: str, step: str, snapshot: Snapshot, ref: SecretRef,
                    found: SecretLookup, what: str) -> Finding | None:
    """fail for a secret that does not exist or is scheduled for deletion; None when it is fine."""
    kind = secret_kind(ref)
    if found.state == "missing":
        if kind == "secretsmanager":
            name = found.arn.split(":secret:", 1)[-1].removesuffix("-??????")
            by_arn = found.arn.startswith("arn:") and ":secretsmanager:" in ref.value_from and \
                not found.arn.endswith("-??????")
            name = name.rsplit("-", 1)[0] if by_arn else name
            cmd = (f"aws secretsmanager create-secret --name {q(name)} --region {q(found.region)} "
                   "--secret-string file://secret.json")
            summary = (f"Create the secret {name} (then, if the task definition names it by full ARN, update it: "
                       "a new secret gets a new ARN suffix).")
        else:
            name = found.key
            cmd = (f"aws ssm put-parameter --name {q(name)} --type SecureString --value file://value.txt "
                   f"--region {q(found.region)}")
            summary = f"Create the parameter {name}, or fix valueFrom."
        return Finding(check_id, "fail", step, message=f"{what} does not exist",
                       detail=f"{_label(ref)} names {found.arn}, which does not exist in {found.region}: the task stops "
                       "with a ResourceNotFoundException / ResourceInitializationError before the container starts.",
                       evidence=[f"lookup {found.key}: not found"],
                       remediation=Remediation(summary, [cmd], fix=(
                           {"op": "create_secret", "key": found.key, "arn": found.arn.removesuffix("-??????")}
                           if kind == "secretsmanager" else {"op": "create_parameter", "name": found.key})),
                       resource=ref.arn)
    if found.entry and found.entry.get("DeletedDate"):
        arn = found.entry.get("ARN") or found.arn
        return Finding(check_id, "fail", step, message=f"{what} is scheduled for deletion",
                       detail=f"{_label(ref)} names {arn}, which is scheduled for deletion (DeletedDate "
                       f"{found.entry['DeletedDate']}): Secrets Manager refuses to return its value.",
                       evidence=[f"DescribeSecret: DeletedDate={found.entry['DeletedDate']}"],
                       remediation=Remediation("Restore the secret (cancel its deletion).",
                                               [f"aws secretsmanager restore-secret --secret-id {q(arn)} "
                                                f"--region {q(found.region)}"],
                                               fix={"op": "restore_secret", "key": found.key}),
                       resource=ref.arn)
    return None


@check("secrets.missing")
def secrets_missing(snapshot: Snapshot, plan: PullPlan) -> list[Finding]:
    if not plan.secrets:
        return [Finding("secrets.missing", "skipped", detail="No container has secrets.")]
    out = []
    for ref in plan.secrets:
        found = lookup_secret(snapshot, ref)
        what = f"Secret {ref.name} of {ref.container}"
        if found.state == "unread":
            out.append(_unread("secrets.missing", "secrets", snapshot, ref, found))
            continue
        bad = missing_finding("secrets.missing", "secrets", snapshot, ref, found, what)
        out.append(bad or Finding("secrets.missing", "pass", "secrets", detail=f"{_label(ref)} exists ({found.arn}).",
                                  evidence=_exists_evidence(found), resource=ref.arn))
    return out


def _exists_evidence(found: SecretLookup) -> list[str]:
    e = found.entry or {}
    keys = ("ARN", "Type", "KmsKeyId", "KeyId", "LastChangedDate", "LastModifiedDate")
    return [", ".join(f"{k}={e[k]}" for k in keys if e.get(k))] if e else []


def secret_ask(snapshot: Snapshot, ref: SecretRef, found: SecretLookup, role_arn: str) -> tuple[str, str, Ask]:
    """(action, resource, how to evaluate) for reading a secret or parameter."""
    if secret_kind(ref) == "ssm":
        return "ssm:GetParameters", found.arn, Ask(target="ssm")
    entry = found.entry or {}
    owner = account_of(found.arn, snapshot.account)
    ask = Ask(target="secretsmanager", resource_policy=entry.get("ResourcePolicy"), resource_account=owner,
              extra_context={"aws:RequestedRegion": found.region, **_resource_tags(entry)},
              resource_kind="secret", resource_arn=entry.get("ARN") or found.arn,
              resource_statement={"Sid": "AllowExecutionRoleRead", "Effect": "Allow",
                                  "Principal": {"AWS": role_arn},
                                  "Action": "secretsmanager:GetSecretValue", "Resource": "*"})
    return "secretsmanager:GetSecretValue", found.arn, ask


def _resource_tags(entry: dict[str, Any]) -> dict[str, Any]:
    return {f"aws:ResourceTag/{t['Key']}": t.get("Value") for t in entry.get("Tags") or []
            if isinstance(t, dict) and t.get("Key")}


def read_permission(check_id: str, step: str, snapshot: Snapshot, plan: PullPlan,
                    refs: list[SecretRef], base_name: str, sid: str) -> list[Finding]:
    """One finding per secret: may the execution role read it (identity, boundary, resource policy)?"""
    role = execution_role(snapshot)
    out = []
    for ref in refs:
        found = lookup_secret(snapshot, ref)
        if role.state != "ok":
            out.append(no_role_finding(check_id, step, role, snapshot, plan, f"read {_label(ref)}", resource=ref.arn))
            continue
        assert role.view is not None
        if found.state == "found" and found.entry and secret_kind(ref) == "secretsmanager" \
                and "ResourcePolicy" not in found.entry:
            detail, perm = unread_detail(f"The resource policy of {found.arn}", gap_for(
                snapshot, ("secretsmanager:GetResourcePolicy",), found.arn), "secretsmanager:GetResourcePolicy")
            out.append(Finding(check_id, "unknown", step, detail=detail, missing_permission=perm, resource=ref.arn))
            continue
        action, resource, ask = secret_ask(snapshot, ref, found, role.view.arn)
        outcome = ask.outcome(snapshot, role.view, action, resource)
        referenced = referenced_secret(snapshot, ref)
        out.append(permission_finding(check_id, step, snapshot, role.view, [outcome], ask,
                                      subject=f"read {_label(ref)}", sid=sid,
                                      policy_name=policy_name(base_name, ref.container, ref.name),
                                      resource=referenced[1] if referenced else ref.arn))
        if referenced is not None:
            out.append(_through_parameter_store(check_id, step, snapshot, role.view, ref, found, base_name, sid))
    return out


def _through_parameter_store(check_id: str, step: str, snapshot: Snapshot, role: Any, ref: SecretRef,
                             found: SecretLookup, base_name: str, sid: str) -> Finding:
    """A ``/aws/reference/secretsmanager/...`` reference is read with ssm:GetParameters on the reference
    as well as secretsmanager:GetSecretValue on the secret (Systems Manager user guide,
    https://docs.aws.amazon.com/systems-manager/latest/userguide/integration-ps-secretsmanager.html)."""
    ask = Ask(target="ssm")
    outcome = ask.outcome(snapshot, role, "ssm:GetParameters", ref.arn)
    return permission_finding(check_id, step, snapshot, role, [outcome], ask,
                              subject=f"read {_label(ref)} through Parameter Store (ssm:GetParameters on the reference)",
                              sid=sid + "Reference",
                              policy_name=policy_name(base_name + "-reference", ref.container, ref.name),
                              resource=ref.arn)


@check("iam.secrets")
def secrets_permission(snapshot: Snapshot, plan: PullPlan) -> list[Finding]:
    if not plan.secrets:
        return [Finding("iam.secrets", "skipped", detail="No container has secrets.")]
    return read_permission("iam.secrets", "secrets", snapshot, plan, list(plan.secrets),
                           "fargate-nb-secrets", "FargateNbSecrets")




@check("iam.environment-files")
def environment_files_permission(snapshot: Snapshot, plan: PullPlan) -> list[Finding]:
    """The execution role downloads ``environmentFiles`` from S3: s3:GetObject on the object and
    s3:GetBucketLocation on its bucket (ECS developer guide, taskdef-envfiles.html, Required IAM
    permissions). The bucket policy can also grant them and is not read, so an implicit deny is
    `unknown`; an explicit deny fails."""
    files: dict[str, list[Need]] = {}
    for need in plan.needs:
        if need.action in ENVIRONMENT_FILE_ACTIONS:
            files.setdefault(need.container or "?", []).append(need)
    if not files:
        return [Finding("iam.environment-files", "skipped", detail="No container has environmentFiles in S3.")]
    role = execution_role(snapshot)
    out = []
    for container, needs in files.items():
        objects = [n.resource for n in needs if n.action == ENVIRONMENT_FILE_ACTIONS[0]]
        what = f"download the environment files of container {container} ({', '.join(objects)})"
        if role.state != "ok":
            out.append(no_role_finding("iam.environment-files", "secrets", role, snapshot, plan, what,
                                       resource=objects[0]))
            continue
        assert role.view is not None
        ask = Ask(target="s3", resource_account=role.view.account)
        outcomes = [ask.outcome(snapshot, role.view, n.action, n.resource) for n in needs]
        finding = permission_finding("iam.environment-files", "secrets", snapshot, role.view, outcomes, ask,
                                     subject=what, sid="FargateNbEnvironmentFiles",
                                     policy_name=policy_name("fargate-nb-environment-files", container),
                                     resource=objects[0])
        if finding.status == "fail" and not any(o.verdict == "explicit_deny" for o in outcomes):
            finding.status = "unknown"
            finding.missing_permission = "s3:GetBucketPolicy"
            finding.detail += (" A bucket policy can also grant these actions, and the kit does not read bucket "
                               "policies: unless it does, grant them as proposed.")
        out.append(finding)
    return out
