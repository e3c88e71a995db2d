"""Snapshot and Diagnosis JSON round-trips, schema checks and atomic writes."""

import json

import pytest

from fargate_nb.model import (
    DIAGNOSIS_SCHEMA,
    Diagnosis,
    Finding,
    Gap,
    Remediation,
    Snapshot,
    SnapshotError,
    StepResult,
    write_text_atomic,
)


def _snapshot() -> Snapshot:
    return Snapshot(
        region="eu-west-1", account="111122223333", collected_at="2026-11-28T10:00:00Z",
        subject={"kind": "task", "cluster": "payments", "task": "arn:aws:ecs:eu-west-1:111122223333:task/payments/abc"},
        task={"lastStatus": "STOPPED", "stoppedReason": "x https://b.s3.amazonaws.com/k?X-Amz-Signature=deadbeef"},
        roles={"arn:aws:iam::111122223333:role/exec": {"Role": {"RoleName": "exec"}}, "arn:aws:iam::111122223333:role/gone": None},
        gaps=[Gap(api="iam:GetRole", permission="iam:GetRole", error="AccessDenied", resource="role/x")],
    )


def test_snapshot_round_trip_keeps_evidence_and_scrubs_signatures(tmp_path):
    snap = _snapshot()
    path = snap.save(tmp_path / "s.json")
    loaded = Snapshot.load(path)
    assert loaded.roles["arn:aws:iam::111122223333:role/gone"] is None
    assert loaded.gaps == snap.gaps
    assert "deadbeef" not in loaded.task["stoppedReason"]
    assert loaded.to_dict() == Snapshot.load(loaded.save(tmp_path / "t.json")).to_dict()


@pytest.mark.parametrize("content, message", [
    ("{not json", "not valid JSON"),
    ("[]", "JSON object"),
    ('{"schema": "other/1"}', "unsupported snapshot schema"),
    (json.dumps({"schema": "fargate-nb/snapshot/1", "roles": []}), "'roles' must be an object"),
    (json.dumps({"schema": "fargate-nb/snapshot/1", "gaps": [1]}), "gaps"),
])
def test_broken_snapshot_files_raise_clear_errors(tmp_path, content, message):
    p = tmp_path / "broken.json"
    p.write_text(content)
    with pytest.raises(SnapshotError, match=message):
        Snapshot.load(p)


def test_missing_snapshot_file_is_a_snapshot_error(tmp_path):
    with pytest.raises(SnapshotError, match="cannot read snapshot"):
        Snapshot.load(tmp_path / "nope.json")


def test_copy_is_deep():
    snap = _snapshot()
    twin = snap.copy()
    twin.roles["arn:aws:iam::111122223333:role/exec"]["Role"]["RoleName"] = "changed"
    assert snap.roles["arn:aws:iam::111122223333:role/exec"]["Role"]["RoleName"] == "exec"


def test_finding_rejects_unknown_status_and_step():
    with pytest.raises(ValueError):
        Finding(id="x", status="broken", step=None, title="t")
    with pytest.raises(ValueError):
        Finding(id="x", status="fail", step="pull", title="t")


def test_diagnosis_round_trip_and_exit_code():
    f = Finding(id="iam.ecr-auth", status="fail", step="registry-auth", title="t",
                remediation=Remediation(summary="s", commands=["aws iam ..."], fix={"op": "x"}))
    d = Diagnosis(subject={"kind": "task"}, region="r", account="a", steps=[StepResult("assume-role", "pass")],
                  findings=[f], gaps=[], verdict="v")
    data = json.loads(d.to_json())
    assert data["schema"] == DIAGNOSIS_SCHEMA
    again = Diagnosis.from_dict(data)
    assert again.findings[0].remediation.commands == ["aws iam ..."]
    assert again.exit_code == 1


def test_atomic_write_leaves_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "r.md"
    target.write_text("old")

    with pytest.raises(TypeError):
        write_text_atomic(target, 42)  # type: ignore[arg-type]
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.md"]
