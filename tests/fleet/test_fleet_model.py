"""The audit model: rows from real scenario diagnoses, the summary counts, the exit code."""

from __future__ import annotations

import pytest

from fargate_nb.diagnose import diagnose
from fargate_nb.diagnose.fleet import ERROR, Audit, audit_row, error_row
from fargate_nb.investigation import snapshot_from_scenario


@pytest.fixture(scope="module")
def rows():
    out = []
    for scenario in ("healthy-public", "missing-ecr-auth", "private-no-route"):
        snap = snapshot_from_scenario(scenario)
        out.append(audit_row(snap, diagnose(snap)))
    return out


def test_a_row_carries_the_diagnosis_single_answer(rows):
    healthy, broken, network = rows
    assert healthy.status == "pass" and healthy.failing_step is None and healthy.finding_ids == []
    assert broken.status == "fail" and broken.failing_step == broken.diagnosis.sequence.first_failure.step
    assert set(broken.finding_ids) == {f.id for f in broken.diagnosis.failed}
    # a private subnet whose route table has no default route: every destination has no path
    assert network.path_kind == "none" and network.task_definition.count(":") == 1


def test_summary_and_exit_code(rows):
    audit = Audit(rows=list(rows))
    assert audit.by_verdict() == {"fail": 2, "pass": 1}
    assert audit.exit_code == 1
    assert sum(n for _, n in audit.common_findings()) == sum(len(r.finding_ids) for r in rows if r.status == "fail")
    only_ok = Audit(rows=[rows[0], error_row("1", "us-east-1", "c", "s", "AccessDenied")])
    assert only_ok.by_verdict() == {ERROR: 1, "pass": 1} and only_ok.exit_code == 4
    assert Audit(rows=[rows[0]]).exit_code == 0
    data = audit.to_dict(with_diagnoses=False)
    assert [s["service"] for s in data["services"]] == [r.service for r in rows]
    assert "diagnosis" not in data["services"][0]
