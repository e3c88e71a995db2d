"""The permission matrix agrees with the findings, row by row, in the cases that once drifted."""

from __future__ import annotations

from fargate_nb.diagnose import diagnose
from tests.support.snapshots import ACCT, EXEC_ROLE, KEY_ARN, REGION, allow, healthy, policy


def rows(diagnosis, role: str = "execution") -> dict[tuple[str, str], object]:
    return {(r.action, r.resource): r for r in diagnosis.permissions if r.role == role}


def test_a_missing_execution_role_fails_every_row_it_decides_including_the_layer_url() -> None:
    snap = healthy().execution_role(exists=False).build()
    d = diagnose(snap)
    assert {f.id for f in d.failed} >= {"exec-role.not-found", "iam.ecr-pull"}
    matrix = rows(d)
    layer = next(r for (action, _), r in matrix.items() if action == "ecr:GetDownloadUrlForLayer")
    assert layer.status == "fail"  # decided by iam.ecr-pull (manifest step) and exec-role.not-found
    assert any(d.findings[i].id == "iam.ecr-pull" for i in layer.finding_refs)
    assert all(r.status == "fail" for r in matrix.values())


def test_a_secret_named_without_its_suffix_keeps_its_recorded_answer() -> None:
    name = "db-password"  # valueFrom is the partial ARN: IAM sees the full ARN with its random suffix
    partial = f"arn:aws:secretsmanager:{REGION}:{ACCT}:secret:{name}"
    full = f"{partial}-Gh1jKl"
    read = allow("secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:{REGION}:{ACCT}:secret:{name}-*")
    decrypt = allow("kms:Decrypt", KEY_ARN)
    snap = (healthy().container_secret("DB_PASSWORD", partial)
            .execution_role(EXEC_ROLE, inline={"secrets": policy(read, decrypt)})
            .secret(partial, arn=full, kms_key=KEY_ARN).kms_key().build())
    d = diagnose(snap)
    secret_rows = [r for r in d.permissions if r.role == "execution" and r.action == "secretsmanager:GetSecretValue"]
    assert secret_rows and all(r.decision == "allowed" and r.status == "pass" for r in secret_rows), secret_rows
    assert all(d.findings[i].id == "iam.secrets" for r in secret_rows for i in r.finding_refs)
    kms_rows = [r for r in d.permissions if r.role == "execution" and r.action == "kms:Decrypt"]
    assert kms_rows and all(r.status == d.finding("iam.kms-decrypt")[0].status for r in kms_rows)


def test_a_registry_credentials_secret_in_another_region_is_fetched_from_that_region():
    """The plan keys another region's Secrets Manager as secretsmanager@REGION; the call goes there too."""
    arn = f"arn:aws:secretsmanager:us-west-2:{ACCT}:secret:dockerhub-AbCdEf"
    d = diagnose(healthy().image("docker.io/acme/api:1.0").repository_credentials(arn).build())
    [call] = [c for c in d.sequence.calls if c.kind == "creds-secret"]
    assert call.target == "secretsmanager@us-west-2" and call.subjects == [arn]
    assert "secretsmanager@us-west-2" in {lifeline.id for lifeline in d.sequence.lifelines}
