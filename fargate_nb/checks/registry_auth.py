"""The registry-auth step: an ECR authorization token, or the private registry's credentials secret.

Also `iam.kms-decrypt`, for every secret the pull needs (registry credentials and container
secrets): a customer managed KMS key must let the execution role decrypt through the service.
"""

from __future__ import annotations

import re
from typing import Any

from fargate_nb.checks.permissions import (
    Ask,
    arn_parts,
    compact,
    describe_ref,
    execution_role,
    gap_for,
    key_for_secret,
    lookup_secret,
    no_role_finding,
    permission_finding,
    policy_name,
    q,
    register_td_cmd,
    secret_kind,
    unread_detail,
)
from fargate_nb.checks.permissions.evaluate import condition_keys
from fargate_nb.checks.registry import check
from fargate_nb.checks.secrets import missing_finding, read_permission
from fargate_nb.model import Finding, Remediation, Snapshot
from fargate_nb.pullflow import DOCKER_HUB, ECR_PUBLIC, PullPlan, SecretRef

# Registry answers that mean "credentials missing or wrong" (Docker Hub, GHCR, Quay, Harbor ...).
AUTH_FAILURE = re.compile(r"pull access denied|no basic auth credentials|401 unauthorized|"
                          r"requested access to the resource is denied|authentication required|"
                          r"unauthorized: |denied: access forbidden", re.IGNORECASE)


@check("iam.ecr-auth")
def ecr_auth_permission(snapshot: Snapshot, plan: PullPlan) -> list[Finding]:
    if not any(n.action == "ecr:GetAuthorizationToken" for n in plan.needs):
        return [Finding("iam.ecr-auth", "skipped", detail="No container image comes from a private ECR repository.")]
    role = execution_role(snapshot)
    what = "call ecr:GetAuthorizationToken"
    if role.state != "ok":
        return [no_role_finding("iam.ecr-auth", "registry-auth", role, snapshot, plan, what)]
    assert role.view is not None
    ask = Ask(target="ecr.api")
    outcome = ask.outcome(snapshot, role.view, "ecr:GetAuthorizationToken", "*")
    finding = permission_finding("iam.ecr-auth", "registry-auth", snapshot, role.view, [outcome], ask,
                                 subject="get an ECR authorization token", policy_name="fargate-nb-ecr-auth",
                                 sid="FargateNbEcrAuth")
    if finding.status != "pass" and any(k in {"aws:sourcevpc", "aws:sourcevpce"} for k in _cond_keys(role.view)):
        finding.detail += (" Note: ecr:GetAuthorizationToken is called through a Fargate-owned interface, so "
                           "aws:SourceVpc / aws:SourceVpce conditions never match it; exempt this action from them.")
    return [finding]


def _cond_keys(view: Any) -> set[str]:
    return condition_keys(*[d for _, d in view.identity_policies], view.boundary)


@check("iam.registry-secret")
def registry_secret_permission(snapshot: Snapshot, plan: PullPlan) -> list[Finding]:
    if not plan.registry_credentials:
        return [Finding("iam.registry-secret", "skipped", detail="No container uses repositoryCredentials.")]
    return read_permission("iam.registry-secret", "registry-auth", snapshot, plan,
                           list(plan.registry_credentials), "fargate-nb-registry-credentials", "FargateNbRegistryCreds")


@check("registry.secret-missing")
def registry_secret_missing(snapshot: Snapshot, plan: PullPlan) -> list[Finding]:
    if not plan.registry_credentials:
        return [Finding("registry.secret-missing", "skipped", detail="No container uses repositoryCredentials.")]
    out = []
    for ref in plan.registry_credentials:
        finding = _registry_secret(snapshot, ref)
        finding.resource = ref.arn  # the subject of the pull's credentials call
        out.append(finding)
    return out


def _registry_secret(snapshot: Snapshot, ref: SecretRef) -> Finding:
    parts = arn_parts(ref.value_from)
    what = f"Registry credentials of {ref.container}"
    if parts and parts["service"] != "secretsmanager":
        placeholder = (f"arn:{snapshot.partition or 'aws'}:secretsmanager:{snapshot.region}:{snapshot.account or ''}"
                       f":secret:{ref.container}-registry-credentials")
        return Finding("registry.secret-missing", "fail", message=f"{what} is not a Secrets Manager secret",
                       detail=f"repositoryCredentials.credentialsParameter of {ref.container} is {ref.value_from}, a "
                       f"{parts['service']} ARN: private registry authentication only reads Secrets Manager secrets.",
                       remediation=_set_credentials(snapshot, ref.container, placeholder,
                                                    "Store the credentials in Secrets Manager and reference that secret."))
    found = lookup_secret(snapshot, ref)
    if found.state == "unread":
        detail, perm = unread_detail(f"Secret {found.key}", gap_for(
            snapshot, ("secretsmanager:DescribeSecret",), found.key), "secretsmanager:DescribeSecret")
        return Finding("registry.secret-missing", "unknown", detail=detail, missing_permission=perm)
    bad = missing_finding("registry.secret-missing", "registry-auth", snapshot, ref, found, what)
    if bad:
        return bad
    arn = (found.entry or {}).get("ARN") or found.arn
    by_name = not ref.value_from.startswith("arn:")
    owner = (arn_parts(arn) or {}).get("account")
    if by_name and (found.region != snapshot.region or (owner and owner != snapshot.account)):
        where = f"region {found.region}" if found.region != snapshot.region else f"account {owner}"
        return Finding("registry.secret-missing", "fail", message=f"{what}: named without its ARN",
                       detail=f"credentialsParameter {ref.value_from!r} is a bare name, which ECS looks up in the task's "
                       f"account and region ({snapshot.account}, {snapshot.region}), but the secret is in {where}: "
                       "a secret in another region or account must be given by its full ARN.",
                       evidence=[f"secret ARN: {arn}"],
                       remediation=_set_credentials(snapshot, ref.container, arn, "Reference the secret by its full ARN."))
    note = f" (in {found.region}, referenced by full ARN: supported)" if found.region != snapshot.region else ""
    return Finding("registry.secret-missing", "pass",
                   detail=f"The registry credentials of {ref.container} are in {arn}{note}.")


def _set_credentials(snapshot: Snapshot, container: str, secret_arn: str, summary: str) -> Remediation:
    edit = (f'(.containerDefinitions[] | select(.name == "{container}") | .repositoryCredentials) = '
            f'{{"credentialsParameter": "{secret_arn}"}}')
    return Remediation(summary, [register_td_cmd(snapshot, edit)],
                       fix={"op": "add_repository_credentials", "container": container, "secret_arn": secret_arn})


def auth_failure(snapshot: Snapshot, container: str) -> str | None:
    """The stopped reason that says the registry refused anonymous or wrong credentials, if any."""
    task = snapshot.task or {}
    texts = [c.get("reason") for c in task.get("containers") or [] if isinstance(c, dict) and c.get("name") == container]
    texts.append(task.get("stoppedReason"))
    for text in texts:
        if not isinstance(text, str) or not text:
            continue
        try:
            from fargate_nb.stopped import explain

            if getattr(explain(text), "cause", None) == "auth-config":
                return text
        except ImportError:
            pass
        if AUTH_FAILURE.search(text):
            return text
    return None


@check("registry.credentials-missing")
def registry_credentials_missing(snapshot: Snapshot, plan: PullPlan) -> list[Finding]:
    out = []
    creds = {r.container for r in plan.registry_credentials}
    for container, image in plan.images.items():
        if image.ecr:
            continue
        if container in creds:
            out.append(Finding("registry.credentials-missing", "pass",
                               detail=f"Container {container} pulls {image.raw} with repositoryCredentials.",
                               resource=image.raw))
            continue
        public = image.registry == ECR_PUBLIC or (image.registry == DOCKER_HUB and image.repository.startswith("library/"))
        failure = auth_failure(snapshot, container)
        placeholder = (f"arn:{snapshot.partition or 'aws'}:secretsmanager:{snapshot.region}:{snapshot.account or ''}"
                       f":secret:{container}-registry-credentials")
        rem = _set_credentials(snapshot, container, placeholder,
                               f"Store the {image.registry} credentials as a secret "
                               '({"username": ..., "password": ...}) and set repositoryCredentials.')
        rem.commands.insert(0, f"aws secretsmanager create-secret --name {q(container + '-registry-credentials')} "
                               f"--region {q(snapshot.region)} --secret-string file://registry-credentials.json")
        if failure and not public:
            out.append(Finding("registry.credentials-missing", "fail",
                               message=f"{image.registry} refused the anonymous pull of {image.raw}",
                               detail=f"Container {container} pulls {image.raw} without repositoryCredentials and the "
                               "registry answered with an authentication error: the repository is private (or the "
                               "name is wrong).", evidence=[f"stopped reason: {failure[:300]}"], remediation=rem,
                               resource=image.raw))
        elif public:
            hint = " (note: the task stopped with an authentication error; check the image name for a typo)" \
                if failure else ""
            out.append(Finding("registry.credentials-missing", "pass",
                               detail=f"{image.raw} is a public image; no credentials are needed{hint}.",
                               resource=image.raw))
        else:
            out.append(Finding("registry.credentials-missing", "warn",
                               message=f"{image.raw} is pulled anonymously",
                               detail=f"Container {container} pulls {image.raw} from {image.registry} without "
                               "repositoryCredentials. If this repository is private the pull fails; anonymous "
                               "Docker Hub pulls are also rate-limited per source IP.", remediation=rem,
                               resource=image.raw))
    return out or [Finding("registry.credentials-missing", "skipped",
                           detail="Every image comes from a private ECR repository.")]


@check("iam.kms-decrypt")
def kms_decrypt(snapshot: Snapshot, plan: PullPlan) -> list[Finding]:
    """One finding per secret with a customer managed key, at the step that reads the secret."""
    out = []
    refs = [("registry-auth", r) for r in plan.registry_credentials] + [("secrets", r) for r in plan.secrets]
    for step, ref in refs:
        finding = _kms_finding(snapshot, plan, step, ref)
        if finding:
            out.append(finding)
    if out:
        return out
    return [Finding("iam.kms-decrypt", "skipped", "registry-auth",
                    detail="No secret the task needs is encrypted with a customer managed KMS key." if refs
                    else "The task uses no secrets.")]


def _kms_finding(snapshot: Snapshot, plan: PullPlan, step: str, ref: SecretRef) -> Finding | None:
    finding = _kms_answer(snapshot, plan, step, ref)
    if finding is not None and finding.resource is None:
        key = key_for_secret(snapshot, ref)
        finding.resource = key.arn or key.ref  # the subject of the pull's kms:Decrypt call
    return finding


def _kms_answer(snapshot: Snapshot, plan: PullPlan, step: str, ref: SecretRef) -> Finding | None:
    found = lookup_secret(snapshot, ref)
    if found.state != "found":
        return None  # missing or unread: secrets.missing / registry.secret-missing say so
    key = key_for_secret(snapshot, ref)
    label = describe_ref(ref)
    if key.state == "none":
        return None
    if key.state == "aws-managed" and (cross := _managed_key_cross_account(snapshot, ref, found, key, step, label)):
        return cross
    if key.state == "aws-managed":
        return Finding("iam.kms-decrypt", "pass", step,
                       detail=f"{label[0].upper()}{label[1:]} uses the AWS managed key {key.ref or 'aws/' + secret_kind(ref)}: no "
                       "kms:Decrypt permission is needed.")
    if key.state == "unread" or (key.entry is not None and key.entry.get("Policy") is None):
        detail, perm = unread_detail(f"KMS key {key.arn or key.ref}", gap_for(
            snapshot, ("kms:DescribeKey", "kms:GetKeyPolicy"), key.arn), "kms:GetKeyPolicy")
        return Finding("iam.kms-decrypt", "unknown", step, detail=detail, missing_permission=perm)
    if key.state == "missing" or key.entry is None:
        return Finding("iam.kms-decrypt", "fail", step, message=f"KMS key {key.ref} does not exist",
                       detail=f"{label[0].upper()}{label[1:]} is encrypted with {key.ref}, which does not exist: it cannot be decrypted.")
    meta = key.entry.get("KeyMetadata") or {}
    if meta.get("KeyState") not in (None, "Enabled"):
        return Finding("iam.kms-decrypt", "fail", step, message=f"KMS key {key.arn} is {meta.get('KeyState')}",
                       detail=f"{label[0].upper()}{label[1:]} is encrypted with {key.arn}, whose state is {meta.get('KeyState')}: "
                       "nothing can decrypt with it.", evidence=[f"KeyState: {meta.get('KeyState')}"],
                       remediation=Remediation("Cancel the key deletion and enable the key.", [
                           f"aws kms cancel-key-deletion --key-id {q(key.arn or '')}",
                           f"aws kms enable-key --key-id {q(key.arn or '')}"],
                           fix={"op": "enable_kms_key", "key_arn": key.arn}))
    role = execution_role(snapshot)
    if role.state != "ok":
        return no_role_finding("iam.kms-decrypt", step, role, snapshot, plan, f"decrypt {label}")
    assert role.view is not None and key.arn
    return _kms_permission(snapshot, role.view, ref, found, key, step, label)


def _managed_key_cross_account(snapshot: Snapshot, ref: SecretRef, found: Any, key: Any, step: str,
                               label: str) -> Finding | None:
    """A secret in another account encrypted with ``aws/secretsmanager`` cannot be read at all.

    "You can't use the AWS managed key (aws/secretsmanager) for cross-account access. Instead, you
    must encrypt your secret with a KMS key that you create, and then attach a key policy to it"
    (Secrets Manager user guide, "Access AWS Secrets Manager secrets from a different account",
    https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples_cross.html).
    """
    if secret_kind(ref) != "secretsmanager":
        return None
    secret_arn = (found.entry or {}).get("ARN") or found.arn
    owner = (arn_parts(secret_arn) or {}).get("account")
    role_arn = (snapshot.task_definition or {}).get("executionRoleArn")
    reader = (arn_parts(role_arn) if isinstance(role_arn, str) else None) or {}
    reader_account = reader.get("account") or snapshot.account
    if not owner or not reader_account or owner == reader_account:
        return None
    region = found.region
    key_alias = f"alias/{(ref.container or 'task').lower()}-secrets-cross-account"
    key_policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "OwnerAccountAdministers", "Effect": "Allow", "Principal": {"AWS": f"arn:{snapshot.partition or 'aws'}:iam::{owner}:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "ExecutionRoleDecryptsViaSecretsManager", "Effect": "Allow",
         "Principal": {"AWS": role_arn or f"arn:{snapshot.partition or 'aws'}:iam::{reader_account}:root"},
         "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*",
         "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}}}]}
    new_key = f"arn:{snapshot.partition or 'aws'}:kms:{region}:{owner}:key/NEW_KEY_ID"
    identity = {"Version": "2012-10-17", "Statement": [{"Sid": "FargateNbKmsDecryptCrossAccount", "Effect": "Allow",
                                                        "Action": "kms:Decrypt", "Resource": new_key}]}
    fixes: list[dict[str, Any]] = [{"op": "reencrypt_secret", "key": found.key, "key_arn": new_key,
                                    "key_policy": key_policy}]
    commands_for_role: list[str] = []
    if isinstance(role_arn, str) and role_arn.startswith("arn:"):
        name = role_arn.rsplit("/", 1)[-1]
        fixes.append({"op": "attach_role_policy", "role_arn": role_arn, "policy_name": "fargate-nb-kms-decrypt-shared",
                      "document": identity})
        commands_for_role.append(f"aws iam put-role-policy --role-name {q(name)} --policy-name "
                                 f"fargate-nb-kms-decrypt-shared --policy-document {q(compact(identity))}")
    return Finding(
        "iam.kms-decrypt", "fail", step,
        message=f"{secret_arn} is in account {owner} and encrypted with the AWS managed key aws/secretsmanager",
        detail=f"{label[0].upper()}{label[1:]} is a secret of account {owner}, read by the execution role of account "
        f"{reader_account}, and it is encrypted with the AWS managed key {key.ref or 'aws/secretsmanager'}. An AWS "
        "managed key's policy cannot be changed, so no other account can decrypt with it: the secret cannot be read "
        "across accounts whatever the IAM and resource policies say. Encrypt it with a customer managed key whose key "
        "policy grants the execution role kms:Decrypt (Secrets Manager user guide, cross-account access).",
        evidence=[f"DescribeSecret: KmsKeyId={key.ref or '(none: aws/secretsmanager)'}", f"secret account: {owner}",
                  f"execution role account: {reader_account}"],
        remediation=Remediation(
            "In the secret's account, create a customer managed key that grants the execution role kms:Decrypt "
            "through Secrets Manager, and re-encrypt the secret with it (update-secret re-encrypts the AWSCURRENT, "
            "AWSPENDING and AWSPREVIOUS versions); the identity policy of the role must allow kms:Decrypt on it too.",
            [f"aws kms create-key --region {q(region)} --description {q('Secrets shared with account ' + reader_account)} "
             f"--policy {q(compact(key_policy))}",
             f"aws kms create-alias --region {q(region)} --alias-name {q(key_alias)} --target-key-id NEW_KEY_ID",
             f"aws secretsmanager update-secret --region {q(region)} --secret-id {q(secret_arn)} "
             f"--kms-key-id {q(key_alias)}", *commands_for_role],
            policy=key_policy, fix={"op": "sequence", "fixes": fixes}))


def _kms_permission(snapshot: Snapshot, role: Any, ref: SecretRef, found: Any, key: Any, step: str,
                    label: str) -> Finding:
    service = secret_kind(ref)
    via = f"{service}.{found.region}.amazonaws.com"
    context: dict[str, Any] = {"kms:ViaService": via, "kms:CallerAccount": role.account,
                               "aws:RequestedRegion": found.region, "aws:ViaAWSService": "true"}
    secret_arn = (found.entry or {}).get("ARN") or found.arn
    if service == "ssm":
        context["kms:EncryptionContext:PARAMETER_ARN"] = secret_arn
    else:
        context["kms:EncryptionContext:SecretARN"] = secret_arn
    condition = {"StringEquals": {"kms:ViaService": via}}
    ask = Ask(resource_policy=key.entry.get("Policy"), resource_account=(arn_parts(key.arn) or {}).get("account"),
              extra_context=context, kms=True, resource_kind="kms", resource_arn=key.arn,
              resource_statement={"Sid": f"AllowExecutionRoleDecryptVia{service.title()}", "Effect": "Allow",
                                  "Principal": {"AWS": role.arn}, "Action": "kms:Decrypt", "Resource": "*",
                                  "Condition": condition})
    outcome = ask.outcome(snapshot, role, "kms:Decrypt", key.arn)
    return permission_finding("iam.kms-decrypt", step, snapshot, role, [outcome], ask,
                              subject=f"decrypt {label} with {key.arn} (via {via})",
                              policy_name=policy_name("fargate-nb-kms-decrypt", key.arn.rsplit("/", 1)[-1], service),
                              sid="FargateNbKmsDecrypt", condition=condition, resource=key.arn)

