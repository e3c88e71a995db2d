"""registry-auth checks: iam.ecr-auth, iam.registry-secret, registry.secret-missing,
registry.credentials-missing, and iam.kms-decrypt (registry credentials and container secrets)."""

import pytest

from fargate_nb.checks import registry_auth as ra
from tests.support.network import endpoint_id, private_vpc
from tests.support.snapshots import (
    ACCT,
    CROSS_IMAGE,
    CROSS_REPO_ARN,
    DB_SECRET_ARN,
    EXEC_ROLE,
    KEY_ARN,
    LINUX_ARM64,
    SECRET_ARN,
    SnapshotBuilder,
    after_fix,
    allow,
    healthy,
    only,
    policy,
    run,
)

PRIVATE_HUB = "acme/private-api:2.0"
READ_CREDS = policy(allow("secretsmanager:GetSecretValue", SECRET_ARN))


def _hub(**secret_kw):
    """A Docker Hub private image with registry credentials in Secrets Manager."""
    b = (SnapshotBuilder().container(image=PRIVATE_HUB).repository_credentials(SECRET_ARN)
         .awslogs().log_group().execution_role())
    return b.secret(SECRET_ARN, **secret_kw)


# -- iam.ecr-auth ----------------------------------------------------------------------------------------
def test_ecr_auth_pass_fail_and_round_trip():
    assert only(ra.ecr_auth_permission, healthy().build()).status == "pass"
    snap = healthy().execution_role(managed=False, inline={"logs": policy(allow("logs:*"))}).build()
    f = only(ra.ecr_auth_permission, snap, "fail")
    assert f.remediation.policy["Statement"][0] == {"Sid": "FargateNbEcrAuth", "Effect": "Allow",
                                                     "Action": "ecr:GetAuthorizationToken", "Resource": "*"}
    assert [x.status for x in after_fix(ra.ecr_auth_permission, snap)] == ["pass"]


def test_auth_token_scoped_to_a_vpc_endpoint_never_matches_even_through_the_endpoint():
    scoped = policy(allow("ecr:GetAuthorizationToken",
                          Condition={"StringEquals": {"aws:SourceVpce": endpoint_id("ecr.api")}}))
    snap = (healthy().execution_role(managed=False, inline={"scoped": scoped})
            .network(private_vpc()).build())
    f = only(ra.ecr_auth_permission, snap, "fail")
    assert "Fargate-owned interface" in f.detail
    assert [x.status for x in after_fix(ra.ecr_auth_permission, snap)] == ["pass"]


def test_ecr_auth_skipped_without_ecr_and_unknown_when_role_unread():
    assert only(ra.ecr_auth_permission, SnapshotBuilder().container(image="nginx").build()).status == "skipped"
    snap = healthy().forget("roles", EXEC_ROLE).gap("iam:GetRole", resource=EXEC_ROLE).build()
    assert only(ra.ecr_auth_permission, snap).missing_permission == "iam:GetRole"


# -- iam.registry-secret -----------------------------------------------------------------------------------
def test_registry_secret_permission():
    snap = _hub().build()
    f = only(ra.registry_secret_permission, snap, "fail")
    assert "secretsmanager:GetSecretValue" in f.detail and SECRET_ARN in f.detail
    assert [x.status for x in after_fix(ra.registry_secret_permission, snap)] == ["pass"]
    assert only(ra.registry_secret_permission, _hub().execution_role(inline={"c": READ_CREDS}).build()).status == "pass"
    assert only(ra.registry_secret_permission, healthy().build()).status == "skipped"


# -- registry.secret-missing ---------------------------------------------------------------------------------
def test_missing_credentials_secret_fails_and_is_created():
    snap = _hub(exists=False).build()
    f = only(ra.registry_secret_missing, snap, "fail")
    assert "does not exist" in f.message
    assert [x.status for x in after_fix(ra.registry_secret_missing, snap)] == ["pass"]


def test_credentials_secret_scheduled_for_deletion_fails_and_is_restored():
    snap = _hub(deleted="2026-11-27T12:00:00Z").build()
    f = only(ra.registry_secret_missing, snap, "fail")
    assert "restore-secret" in f.remediation.commands[0]
    assert [x.status for x in after_fix(ra.registry_secret_missing, snap)] == ["pass"]


def test_credentials_parameter_must_be_a_secrets_manager_secret():
    param = f"arn:aws:ssm:us-east-1:{ACCT}:parameter/hub-creds"
    snap = SnapshotBuilder().container(image=PRIVATE_HUB).repository_credentials(param).execution_role().build()
    f = only(ra.registry_secret_missing, snap, "fail")
    assert "ssm ARN" in f.detail
    assert [x.status for x in after_fix(ra.registry_secret_missing, snap)] == ["pass"]


def test_secret_named_without_arn_in_another_region_fails_and_the_fix_uses_the_full_arn():
    remote = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:dockerhub-creds-AbCdEf"
    snap = (SnapshotBuilder().container(image=PRIVATE_HUB).repository_credentials("dockerhub-creds")
            .execution_role().secret("dockerhub-creds", arn=remote).build())
    f = only(ra.registry_secret_missing, snap, "fail")
    assert "eu-west-1" in f.detail and "full ARN" in f.detail
    assert f.remediation.fix == {"op": "add_repository_credentials", "container": "api", "secret_arn": remote}
    fixed = after_fix(ra.registry_secret_missing, snap)
    assert [x.status for x in fixed] == ["pass"] and "supported" in fixed[0].detail


def test_secret_by_full_arn_in_another_region_is_supported():
    remote = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:dockerhub-creds-AbCdEf"
    snap = SnapshotBuilder().container(image=PRIVATE_HUB).repository_credentials(remote).secret(remote).build()
    assert "supported" in only(ra.registry_secret_missing, snap, "pass").detail


def test_registry_secret_unknown_and_skipped():
    snap = (SnapshotBuilder().container(image=PRIVATE_HUB).repository_credentials(SECRET_ARN)
            .gap("secretsmanager:DescribeSecret", error="AccessDeniedException").build())
    assert only(ra.registry_secret_missing, snap, "unknown").missing_permission == "secretsmanager:DescribeSecret"
    assert only(ra.registry_secret_missing, healthy().build()).status == "skipped"


# -- registry.credentials-missing -----------------------------------------------------------------------------
def test_auth_error_for_a_private_registry_fails_and_the_fix_adds_credentials():
    snap = (SnapshotBuilder().container(image="ghcr.io/acme/api:3")
            .stopped("CannotPullContainerError: pull access denied for ghcr.io/acme/api, repository does not "
                     "exist or may require 'docker login': denied: requested access to the resource is denied",
                     container="api").build())
    f = only(ra.registry_credentials_missing, snap, "fail")
    assert "refused the anonymous pull" in f.message and "pull access denied" in f.evidence[0]
    assert f.remediation.commands[0].startswith("aws secretsmanager create-secret --name api-registry-credentials")
    assert [x.status for x in after_fix(ra.registry_credentials_missing, snap)] == ["pass"]


@pytest.mark.parametrize("image, status", [
    ("acme/api:1", "warn"),
    ("quay.io/acme/api:1", "warn"),
    ("nginx:1.27", "pass"),
    ("public.ecr.aws/nginx/nginx:stable", "pass"),
])
def test_anonymous_pulls(image, status):
    only(ra.registry_credentials_missing, SnapshotBuilder().container(image=image).build(), status)


def test_official_image_with_auth_error_hints_at_a_typo():
    snap = (SnapshotBuilder().container(image="ngnix")
            .stopped("pull access denied for ngnix, repository does not exist or may require 'docker login'").build())
    assert "typo" in only(ra.registry_credentials_missing, snap, "pass").detail


def test_credentials_present_pass_and_ecr_only_is_skipped():
    assert only(ra.registry_credentials_missing, _hub().build()).status == "pass"
    assert only(ra.registry_credentials_missing, healthy().build()).status == "skipped"


# -- iam.kms-decrypt ---------------------------------------------------------------------------------------------
def test_customer_key_with_iam_delegation_needs_an_identity_grant_with_via_service():
    snap = _hub(kms_key=KEY_ARN).kms_key().execution_role(inline={"c": READ_CREDS}).build()
    f = only(ra.kms_decrypt, snap, "fail")
    assert f.step == "registry-auth" and "secretsmanager.us-east-1.amazonaws.com" in f.detail
    st = f.remediation.policy["Statement"][0]
    assert st["Action"] == "kms:Decrypt" and st["Resource"] == KEY_ARN
    assert st["Condition"] == {"StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}}
    assert [x.status for x in after_fix(ra.kms_decrypt, snap)] == ["pass"]


def test_key_policy_without_delegation_must_name_the_role():
    locked = policy({"Sid": "Admins", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:role/admin"},
                     "Action": "kms:*", "Resource": "*"})
    kms_grant = policy(allow("kms:Decrypt", KEY_ARN))
    snap = _hub(kms_key=KEY_ARN).kms_key(key_policy=locked).execution_role(inline={"k": kms_grant}).build()
    f = only(ra.kms_decrypt, snap, "fail")
    assert "neither allows" in " ".join(f.evidence)
    assert f.remediation.fix["op"] == "set_resource_policy" and f.remediation.fix["kind"] == "kms"
    assert f.remediation.commands[0].startswith(f"aws kms put-key-policy --key-id {KEY_ARN} --region us-east-1 "
                                                "--policy-name default --policy '")
    assert [x.status for x in after_fix(ra.kms_decrypt, snap)] == ["pass"]


def test_key_policy_conditions_on_via_service_and_encryption_context():
    conditioned = policy({"Sid": "ExecRole", "Effect": "Allow", "Principal": {"AWS": EXEC_ROLE}, "Action": "kms:Decrypt",
                          "Resource": "*", "Condition": {
                              "StringEquals": {"kms:ViaService": "ssm.us-east-1.amazonaws.com"},
                              "ArnLike": {"kms:EncryptionContext:PARAMETER_ARN": f"arn:aws:ssm:us-east-1:{ACCT}:parameter/api/*"}}})
    snap = (healthy().container_secret("FLAGS", "/api/flags").parameter("/api/flags", key_id=KEY_ARN)
            .kms_key(key_policy=conditioned).build())
    f = only(ra.kms_decrypt, snap, "pass")
    assert f.step == "secrets"


def test_aws_managed_keys_pass_and_string_parameters_need_nothing():
    snap = _hub().build()  # no KmsKeyId: aws/secretsmanager
    assert "AWS managed key" in only(ra.kms_decrypt, snap, "pass").detail
    snap = healthy().container_secret("PLAIN", "/api/plain").parameter("/api/plain", type="String").build()
    assert only(ra.kms_decrypt, snap).status == "skipped"
    assert only(ra.kms_decrypt, healthy().build()).status == "skipped"


def test_unread_key_is_unknown():
    snap = (healthy().container_secret("DB", DB_SECRET_ARN).secret(DB_SECRET_ARN, kms_key=KEY_ARN)
            .gap("kms:DescribeKey", resource=KEY_ARN, error="AccessDeniedException").build())
    f = only(ra.kms_decrypt, snap, "unknown")
    assert f.missing_permission == "kms:DescribeKey" and f.step == "secrets"


def test_key_pending_deletion_fails_and_is_re_enabled():
    snap = _hub(kms_key=KEY_ARN).kms_key(state="PendingDeletion").execution_role(inline={"c": READ_CREDS}).build()
    f = only(ra.kms_decrypt, snap, "fail")
    assert "PendingDeletion" in f.message
    fixed = after_fix(ra.kms_decrypt, snap)
    assert [x.status for x in fixed] == ["fail"] and "kms:Decrypt" in fixed[0].detail  # next: the permission


def test_key_referenced_by_id_is_found():
    key_id = KEY_ARN.rsplit("/", 1)[-1]
    snap = _hub(kms_key=key_id).kms_key().build()
    assert only(ra.kms_decrypt, snap).status == "fail"
    assert [f.status for f in run(ra.kms_decrypt, _hub(kms_key=key_id).build())] == ["unknown"]


# -- every fix together, through the engine ------------------------------------------------------------------
MY_IDS = {"exec-role.missing", "exec-role.not-found", "exec-role.trust", "role.confusion", "iam.ecr-auth",
          "iam.registry-secret", "iam.kms-decrypt", "registry.secret-missing", "registry.credentials-missing",
          "iam.secrets", "secrets.missing", "iam.ecr-pull", "ecr.repo-policy", "ecr.repo-missing",
          "ecr.image-missing", "ecr.platform-mismatch", "iam.logs", "logs.group-missing"}


def test_applying_the_fixes_of_a_badly_broken_task_converges_to_no_failure():
    from fargate_nb.diagnose import run_checks
    from fargate_nb.fixes import apply_fixes

    snap = (_hub(deleted="2026-11-27T00:00:00Z", kms_key=KEY_ARN).kms_key()
            .execution_role(managed=False, trust=policy({"Effect": "Allow", "Principal": {"Service": "ecs.amazonaws.com"},
                                                        "Action": "sts:AssumeRole"}))
            .container("base", CROSS_IMAGE).repository(CROSS_REPO_ARN).image(CROSS_IMAGE, platforms=[LINUX_ARM64])
            .container_secret("DB", DB_SECRET_ARN, container="base").secret(DB_SECRET_ARN, exists=False)
            .log_group(exists=False).build())
    failing = [f for f in run_checks(snap) if f.id in MY_IDS and f.status == "fail"]
    assert {f.id for f in failing} >= {"exec-role.trust", "registry.secret-missing", "iam.ecr-pull", "ecr.repo-policy",
                                       "ecr.platform-mismatch", "secrets.missing", "logs.group-missing", "iam.logs"}
    for _ in range(4):
        fixes = [f.remediation.fix for f in failing if f.remediation and f.remediation.fix]
        snap = apply_fixes(snap, fixes)
        failing = [f for f in run_checks(snap) if f.id in MY_IDS and f.status == "fail"]
        if not failing:
            break
    assert not failing, [(f.id, f.detail) for f in failing]


def test_a_secret_of_another_account_under_the_aws_managed_key_cannot_be_read_at_all():
    """Secrets Manager user guide, "Access AWS Secrets Manager secrets from a different account"
    (https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples_cross.html):
    "you can't use the AWS managed key (aws/secretsmanager) for cross-account access"."""
    other = "arn:aws:secretsmanager:us-east-1:444455556666:secret:shared/registry-AbCdEf"
    grant = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": EXEC_ROLE},
                                                      "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}
    for build in (lambda b: b.container(image=PRIVATE_HUB).repository_credentials(other),
                  lambda b: b.container_secret("SHARED", other)):
        snap = build(healthy()).secret(other, resource_policy=grant).build()  # no KmsKeyId: aws/secretsmanager
        f = only(ra.kms_decrypt, snap, "fail")
        assert "444455556666" in f.message and "aws/secretsmanager" in f.message
        assert any("update-secret" in c and "--kms-key-id" in c for c in f.remediation.commands)
        statement = f.remediation.policy["Statement"][1]
        assert statement["Principal"] == {"AWS": EXEC_ROLE} and "kms:Decrypt" in statement["Action"]
    # The same secret in the task's own account needs no grant at all.
    own = f"arn:aws:secretsmanager:us-east-1:{ACCT}:secret:shared/registry-AbCdEf"
    snap = healthy().container_secret("SHARED", own).secret(own).build()
    assert "no kms:Decrypt permission is needed" in only(ra.kms_decrypt, snap, "pass").detail


def test_re_encrypting_a_shared_secret_with_a_granting_key_lets_the_role_decrypt():
    other = "arn:aws:secretsmanager:us-east-1:444455556666:secret:shared/db-AbCdEf"
    snap = healthy().container_secret("SHARED", other).secret(other).build()
    assert only(ra.kms_decrypt, snap, "fail").remediation.fix["op"] == "sequence"
    assert [x.status for x in after_fix(ra.kms_decrypt, snap)] == ["pass"]
