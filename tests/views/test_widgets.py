"""Widgets driven without a browser: set `.value`, call `.click()`, check the diagnosis and figure change.

They run against the sandbox: a lab scenario is provisioned through boto3 and read back by the real
collector, checks and what-if fixes.
"""

from __future__ import annotations

import copy
import json

import pytest

from fargate_nb.diagnose import diagnose_live
from fargate_nb.lab.scenarios import get_scenario
from fargate_nb.model import Remediation
from fargate_nb.views.notebook import Session
from fargate_nb.views.widgets import FixChecker, TaskPicker, WhatIfPanel

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("views-lab")]


@pytest.fixture(scope="module")
def ecr_auth_case(moto_server):
    """The missing-ecr-auth scenario, collected once (the tests then only use the evidence in memory)."""
    moto_server.reset()
    env = get_scenario("missing-ecr-auth").provision(moto_server)
    with moto_server.activated():
        snapshot, diagnosis = diagnose_live(cluster=env.cluster, task=env.task_arn, region=moto_server.region,
                                            endpoint_url=moto_server.endpoint_url)
    assert [f.id for f in diagnosis.failed] == ["iam.ecr-auth"]
    return snapshot, diagnosis


def _first_failure(figure):
    meta = figure.layout.meta or {}
    return (meta.get("first_failure") or {}).get("finding")


def _html(outputs):
    return "\n".join(o["data"].get("text/html", "") for o in outputs)


def test_ticking_a_fix_rediagnoses_a_copy_and_redraws(ecr_auth_case):
    snapshot, diagnosis = ecr_auth_case
    evidence = json.dumps(snapshot.to_dict(), sort_keys=True)
    panel = WhatIfPanel(snapshot, diagnosis)
    assert "iam.ecr-auth" in [f.id for f in panel.findings]
    box = panel.checkboxes[[f.id for f in panel.findings].index("iam.ecr-auth")]
    assert diagnosis.finding("iam.ecr-auth")[0].remediation.summary[:40] in box.description
    assert _first_failure(panel.figure) == "iam.ecr-auth"
    assert "fargate-nb-verdict" in _html(panel.output.outputs)

    box.value = True
    assert panel.error is None
    assert panel.current_diagnosis.finding("iam.ecr-auth")[0].status == "pass"
    assert not panel.current_diagnosis.failed
    assert _first_failure(panel.figure) is None
    assert "1 fix(es) applied" in panel.status.value
    assert "fargate-nb-status-fail" not in _html(panel.output.outputs)
    assert json.dumps(snapshot.to_dict(), sort_keys=True) == evidence  # the evidence is untouched

    box.value = False
    assert panel.current_diagnosis.verdict == diagnosis.verdict
    assert _first_failure(panel.figure) == "iam.ecr-auth"


def test_a_fix_that_cannot_apply_is_reported_in_the_panel(ecr_auth_case):
    snapshot, diagnosis = ecr_auth_case
    broken = copy.deepcopy(diagnosis)
    finding = broken.finding("iam.ecr-auth")[0]
    finding.remediation = Remediation("a fix from a newer kit", fix={"op": "no-such-operation"})
    panel = WhatIfPanel(snapshot, broken)
    panel.select("iam.ecr-auth")
    assert "unknown what-if operation" in panel.error
    assert "could not apply" in panel.status.value
    assert panel.current_diagnosis is broken  # what is on screen did not change
    with pytest.raises(KeyError):
        panel.select("no.such-finding")


def test_a_diagnosis_without_fixes_shows_a_panel_that_says_so(ecr_auth_case):
    snapshot, diagnosis = ecr_auth_case
    clean = copy.deepcopy(diagnosis)
    clean.findings = [f for f in clean.findings if f.status == "pass"]
    panel = WhatIfPanel(snapshot, clean)
    assert panel.findings == [] and panel.checkboxes == []
    assert "No finding proposes a fix" in panel.box.children[0].value


def test_task_picker_and_fix_check_against_the_sandbox(aws):
    scenario = get_scenario("missing-log-group")
    env = scenario.provision(aws)
    picker = TaskPicker(region=aws.region, endpoint_url=aws.endpoint_url, cluster="payments")
    assert picker.error is None, picker.status.value
    assert picker.cluster.value == "payments"
    labels = [label for label, _ in picker.target.options]
    values = [value for _, value in picker.target.options]
    assert values[0] == ("task", env.task_arn)  # the stopped task first, with its reason
    assert "ResourceInitializationError" in labels[0] or "log" in labels[0].lower()
    assert ("service", env.service_name) in values

    picker.diagnose_button.click()
    assert picker.error is None, picker.status.value
    assert [f.id for f in picker.diagnosis.failed] == ["logs.group-missing"]
    assert "fargate-nb-verdict" in _html(picker.output.outputs)
    assert picker.snapshot.subject["kind"] == "task"

    picker.target.value = ("service", env.service_name)
    picker.diagnose_button.click()
    assert picker.snapshot.subject["kind"] == "service"
    assert "logs.group-missing" in [f.id for f in picker.diagnosis.failed]

    session = Session(picker.snapshot, picker.diagnosis, sandbox=aws, provisioned=env)
    checker = FixChecker(session, interactive=False)
    assert checker.passed is False and "logs.group-missing" in checker.result.value
    scenario.fix(aws, env)
    checker.button.click()
    assert checker.passed is True, checker.result.value
    assert 'data-passed="true"' in checker.result.value


def test_task_picker_reports_an_unreachable_endpoint(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    picker = TaskPicker(region="us-east-1", endpoint_url="http://127.0.0.1:9")
    assert "could not list clusters" in picker.error and "127.0.0.1:9" in picker.error
    assert picker.cluster.options == ()
    assert picker.run() is None
    assert "pick a cluster" in picker.status.value
