"""Snapshot and Diagnosis JSON round-trips, schema checks and atomic writes."""

import json

import pytest

from fargate_nb.files import write_text_atomic
from fargate_nb.model import (
    DIAGNOSIS_SCHEMA,
    Call,
    Diagnosis,
    Finding,
    Gap,
    Lifeline,
    NetworkRow,
    PermissionDecision,
    PermissionRow,
    Remediation,
    Sequence,
    Snapshot,
    SnapshotError,
    StepResult,
    worst_status,
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
        Finding(id="x", status="broken", step=None, message="t")
    with pytest.raises(ValueError):
        Finding(id="x", status="fail", step="pull", message="t")


def test_a_finding_speaks_with_its_message_else_its_catalogue_title():
    f = Finding("iam.ecr-auth", "fail", "registry-auth", "payments-exec cannot get a token")
    assert f.message == "payments-exec cannot get a token" and f.title == ""  # positional: the message
    assert f.text == f.message and f.label == "iam.ecr-auth"
    f.title = "The execution role may get an ECR authorization token"
    assert f.text == "payments-exec cannot get a token"
    bare = Finding("net.no-route", "pass", "layers", target="s3", title="The task has a way out")
    assert bare.text == "The task has a way out" and bare.label == "net.no-route[s3]"


def test_a_diagnosis_written_before_findings_had_a_message_still_loads():
    old = {"id": "iam.logs", "status": "fail", "step": "logs", "title": "exec cannot write logs", "evidence": []}
    f = Finding.from_dict(old)
    assert f.message == "exec cannot write logs" and f.text == "exec cannot write logs"
    assert f.decisions == [] and f.resource is None


def test_worst_status_is_the_one_reducer():
    assert worst_status(["pass", "warn", "unknown"]) == "unknown"
    assert worst_status(["pass", "fail", "unknown"]) == "fail"
    assert worst_status(["info", "skipped", "pass"]) == "pass"
    assert worst_status([]) == "pass" and worst_status([], default="unknown") == "unknown"
    assert worst_status(["not-a-status"], default="skipped") == "skipped"


@pytest.mark.parametrize("steps, findings, expected", [
    (["pass", "skipped"], [], "pass"),
    (["pass", "warn"], [], "warn"),
    (["warn", "unknown"], [], "unknown"),
    (["unknown"], ["fail"], "fail"),  # a failing task-definition finding fails the diagnosis with passing steps
])
def test_the_overall_status(steps, findings, expected):
    d = Diagnosis(subject={}, region="r", account=None,
                  steps=[StepResult(s, status) for s, status in zip(("assume-role", "logs")[: len(steps)], steps, strict=True)],
                  findings=[Finding("taskdef.invalid", status) for status in findings], gaps=[], verdict="v")
    assert d.status == expected
    assert d.exit_code == {"fail": 1, "unknown": 4}.get(expected, 0)


def _full_diagnosis() -> Diagnosis:
    decision = PermissionDecision("execution", "arn:aws:iam::1:role/exec", "ecr:GetAuthorizationToken", "*",
                                  "denied", by="no statement allows it", status="fail")
    f = Finding(id="iam.ecr-auth", status="fail", step="registry-auth", message="exec cannot get a token",
                resource="*", decisions=[decision], title="t", severity="high", doc_url="https://docs.aws.amazon.com/x",
                remediation=Remediation(summary="s", commands=["aws iam ..."], fix={"op": "x"}))
    ok = Finding(id="exec-role.trust", status="pass", step="assume-role", message="trusted")
    calls = [Call("assume-role", "assume", "fargate", "sts", "sts:AssumeRole", ["arn:aws:iam::1:role/exec"], "pass",
                  finding_refs=[1]),
             Call("registry-auth", "ecr-auth", "fargate", "ecr.api", "ecr:GetAuthorizationToken", [], "fail",
                  first_failure=True, finding_refs=[0]),
             Call("manifest", "ecr-manifest", "fargate", "ecr.dkr", "ecr:BatchGetImage api:1", [], "pass",
                  reached=False)]
    return Diagnosis(
        subject={"kind": "task"}, region="r", account="a", steps=[StepResult("assume-role", "pass")],
        findings=[f, ok], gaps=[], verdict="v",
        permissions=[PermissionRow("registry-auth", "ecr:GetAuthorizationToken", "*", "execution",
                                   "arn:aws:iam::1:role/exec", "denied", "no statement allows it", "fail",
                                   finding_refs=[0])],
        network=[NetworkRow("ecr.api", "registry-auth", "token", "nat", checks={"route": "pass"}, status="pass")],
        sequence=Sequence("Image pull of task t", [Lifeline("fargate", "Fargate"), Lifeline("sts", "STS", "exec")],
                          calls))


def test_diagnosis_round_trip_and_exit_code():
    d = _full_diagnosis()
    data = json.loads(d.to_json())
    assert data["schema"] == DIAGNOSIS_SCHEMA
    again = Diagnosis.from_dict(data)
    assert again.findings[0].remediation.commands == ["aws iam ..."]
    assert again.exit_code == 1 and again.status == "fail"
    assert again.to_dict() == d.to_dict()
    assert again.findings[0].decisions == d.findings[0].decisions
    assert again.permissions == d.permissions and again.network == d.network and again.sequence == d.sequence


def test_the_links_between_parts_and_findings():
    d = _full_diagnosis()
    assert d.sequence.first_failure is d.sequence.calls[1]
    assert [f.id for f in d.findings_at(d.sequence.first_failure.finding_refs)] == ["iam.ecr-auth"]
    assert [f.id for f in d.findings_at(d.permissions[0].finding_refs)] == ["iam.ecr-auth"]
    assert d.findings_at([5, -1]) == []
    assert Sequence().first_failure is None


def test_a_diagnosis_without_the_parts_loads_with_empty_ones():
    data = json.loads(_full_diagnosis().to_json())
    for key in ("permissions", "network", "sequence"):
        del data[key]
    d = Diagnosis.from_dict(data)
    assert d.permissions == [] and d.network == [] and d.sequence == Sequence()
    with pytest.raises(ValueError, match="unsupported diagnosis schema"):
        Diagnosis.from_dict({**data, "schema": "fargate-nb/diagnosis/0"})


def test_atomic_write_leaves_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "r.md"
    target.write_text("old")

    with pytest.raises(TypeError):
        write_text_atomic(target, 42)  # type: ignore[arg-type]
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.md"]
