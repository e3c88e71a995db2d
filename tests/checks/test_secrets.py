"""secrets checks: secrets.missing and iam.secrets (Secrets Manager and Parameter Store)."""

from fargate_nb.checks import secrets
from tests.support.snapshots import (
    ACCT,
    DB_SECRET_ARN,
    EXEC_ROLE,
    OTHER_ACCT,
    after_fix,
    allow,
    healthy,
    only,
    policy,
    run,
)

READ_DB = policy(allow("secretsmanager:GetSecretValue", DB_SECRET_ARN))
PARAM = "/api/flags"
PARAM_ARN = f"arn:aws:ssm:us-east-1:{ACCT}:parameter/api/flags"


def _with_db_secret(**secret_kw):
    return healthy().container_secret("DB_PASSWORD", DB_SECRET_ARN + ":password::").secret(DB_SECRET_ARN, **secret_kw)


# -- secrets.missing ---------------------------------------------------------------------------------
def test_existing_secret_passes():
    f = only(secrets.secrets_missing, _with_db_secret().build(), "pass")
    assert DB_SECRET_ARN in f.detail


def test_missing_secret_fails_and_the_fix_creates_it():
    snap = _with_db_secret(exists=False).build()
    f = only(secrets.secrets_missing, snap, "fail")
    assert "does not exist" in f.message and "ResourceNotFoundException" in f.detail
    assert f.remediation.commands[0].startswith("aws secretsmanager create-secret --name db-password --region us-east-1")
    assert [x.status for x in after_fix(secrets.secrets_missing, snap)] == ["pass"]


def test_secret_scheduled_for_deletion_fails_and_the_fix_restores_it():
    snap = _with_db_secret(deleted="2026-11-20T00:00:00Z").build()
    f = only(secrets.secrets_missing, snap, "fail")
    assert "scheduled for deletion" in f.message
    assert f.remediation.commands == [f"aws secretsmanager restore-secret --secret-id {DB_SECRET_ARN} --region us-east-1"]
    assert [x.status for x in after_fix(secrets.secrets_missing, snap)] == ["pass"]


def test_missing_parameter_by_name_fails_and_the_fix_creates_it():
    snap = healthy().container_secret("FLAGS", PARAM).parameter(PARAM, exists=False).build()
    f = only(secrets.secrets_missing, snap, "fail")
    assert PARAM_ARN in f.detail
    assert f.remediation.commands[0].startswith("aws ssm put-parameter --name /api/flags --type SecureString")
    assert [x.status for x in after_fix(secrets.secrets_missing, snap)] == ["pass"]


def test_parameter_referenced_by_arn_is_found_under_its_name():
    snap = healthy().container_secret("FLAGS", PARAM_ARN).parameter(PARAM).build()
    assert only(secrets.secrets_missing, snap).status == "pass"


def test_unread_secret_is_unknown_and_no_secrets_is_skipped():
    snap = (healthy().container_secret("DB_PASSWORD", DB_SECRET_ARN)
            .gap("secretsmanager:DescribeSecret", resource=DB_SECRET_ARN, error="AccessDeniedException").build())
    f = only(secrets.secrets_missing, snap, "unknown")
    assert f.missing_permission == "secretsmanager:DescribeSecret" and "AccessDeniedException" in f.detail
    assert only(secrets.secrets_missing, healthy().build()).status == "skipped"
    assert only(secrets.secrets_permission, healthy().build()).status == "skipped"


# -- iam.secrets ---------------------------------------------------------------------------------------
def test_managed_policy_alone_cannot_read_secrets_and_the_fix_grants_exactly_the_secret():
    snap = _with_db_secret().build()
    f = only(secrets.secrets_permission, snap, "fail")
    assert "secretsmanager:GetSecretValue" in f.detail
    st = f.remediation.policy["Statement"][0]
    assert st["Action"] == "secretsmanager:GetSecretValue" and st["Resource"] == DB_SECRET_ARN
    assert [x.status for x in after_fix(secrets.secrets_permission, snap)] == ["pass"]


def test_inline_grant_passes_for_secret_and_parameter():
    read_param = policy(allow("ssm:GetParameters", f"arn:aws:ssm:us-east-1:{ACCT}:parameter/api/*"))
    snap = (_with_db_secret().container_secret("FLAGS", PARAM).parameter(PARAM)
            .execution_role(inline={"db": READ_DB, "flags": read_param}).build())
    assert [f.status for f in run(secrets.secrets_permission, snap)] == ["pass", "pass"]


def test_deny_in_the_secret_resource_policy_fails_and_the_fix_removes_it():
    guard = policy({"Sid": "OnlyApp", "Effect": "Deny", "Principal": {"AWS": EXEC_ROLE},
                    "Action": "secretsmanager:GetSecretValue", "Resource": "*"})
    snap = _with_db_secret(resource_policy=guard).execution_role(inline={"db": READ_DB}).build()
    f = only(secrets.secrets_permission, snap, "fail")
    assert "'OnlyApp'" in f.detail
    assert f.remediation.fix["op"] == "set_resource_policy" and f.remediation.fix["kind"] == "secret"
    assert "aws secretsmanager put-resource-policy --secret-id" in f.remediation.commands[0]
    assert [x.status for x in after_fix(secrets.secrets_permission, snap)] == ["pass"]


def test_cross_account_secret_needs_its_resource_policy_too():
    other = f"arn:aws:secretsmanager:us-east-1:{OTHER_ACCT}:secret:shared-db-Zz9yXx"
    snap = (healthy().container_secret("DB", other).secret(other)
            .execution_role(inline={"db": policy(allow("secretsmanager:GetSecretValue", other))}).build())
    f = only(secrets.secrets_permission, snap, "fail")
    assert OTHER_ACCT in " ".join(f.evidence)
    assert any(c.startswith("aws secretsmanager put-resource-policy") for c in f.remediation.commands)
    assert [x.status for x in after_fix(secrets.secrets_permission, snap)] == ["pass"]


def test_unread_resource_policy_is_unknown():
    b = _with_db_secret().execution_role(inline={"db": READ_DB})
    del b.snap.secrets[DB_SECRET_ARN]["ResourcePolicy"]
    b.gap("secretsmanager:GetResourcePolicy", resource=DB_SECRET_ARN)
    f = only(secrets.secrets_permission, b.build(), "unknown")
    assert f.missing_permission == "secretsmanager:GetResourcePolicy"


def test_no_execution_role_fails_and_the_created_role_can_read_the_secret():
    snap = _with_db_secret().execution_role_arn(None).build()
    f = only(secrets.secrets_permission, snap, "fail")
    assert "no executionRoleArn" in f.detail
    assert [x.status for x in after_fix(secrets.secrets_permission, snap)] == ["pass"]


def test_two_secrets_get_two_policies_so_the_commands_do_not_overwrite_each_other():
    other = f"arn:aws:secretsmanager:us-east-1:{ACCT}:secret:api-key-Qq1wEe"
    snap = _with_db_secret().container_secret("API_KEY", other).secret(other).build()
    findings = run(secrets.secrets_permission, snap)
    names = [f.remediation.fix["policy_name"] for f in findings]
    assert names == ["fargate-nb-secrets-api-DB_PASSWORD", "fargate-nb-secrets-api-API_KEY"]
    from tests.support.snapshots import apply
    for f in findings:
        snap = apply(snap, f.remediation.fix)
    assert [f.status for f in run(secrets.secrets_permission, snap)] == ["pass", "pass"]


def test_a_parameter_store_reference_to_a_secret_is_a_secret_read_two_ways():
    """Systems Manager user guide, "Referencing AWS Secrets Manager secrets from Parameter Store
    parameters": GetParameters on /aws/reference/secretsmanager/ID, and the secret's own permissions."""
    from fargate_nb.pullflow import plan

    reference = "/aws/reference/secretsmanager/api/db"
    snap = healthy().container_secret("DB", reference).secret(DB_SECRET_ARN, arn=DB_SECRET_ARN).build()
    needs = {(n.action, n.resource) for n in plan(snap).needs if n.step == "secrets"}
    assert needs == {("ssm:GetParameters", f"arn:aws:ssm:us-east-1:{ACCT}:parameter/aws/reference/secretsmanager/api/db"),
                     ("secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:us-east-1:{ACCT}:secret:api/db")}
    assert [d.target for d in plan(snap).destinations if d.step == "secrets"] == ["ssm"]
    # Not described yet: unknown naming DescribeSecret, not DescribeParameters.
    f = only(secrets.secrets_missing, snap, "unknown")
    assert "secretsmanager:DescribeSecret" in (f.missing_permission or f.detail)
    # Looked up and absent: the fix creates the secret under its own name.
    missing = healthy().container_secret("DB", reference).secret(f"arn:aws:secretsmanager:us-east-1:{ACCT}:secret:api/db",
                                                                 exists=False).build()
    f = only(secrets.secrets_missing, missing, "fail")
    assert "create-secret --name api/db " in f.remediation.commands[0]
    # Found: the managed policy reads neither the reference nor the secret.
    found = healthy().container_secret("DB", reference).secret(
        f"arn:aws:secretsmanager:us-east-1:{ACCT}:secret:api/db", arn=DB_SECRET_ARN.replace("db", "api/db")).build()
    statuses = sorted(f.status for f in run(secrets.secrets_permission, found))
    assert statuses == ["fail", "fail"]
    assert [x.status for x in after_fix(secrets.secrets_permission, found)] == ["pass", "pass"]
