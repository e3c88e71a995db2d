"""Widgets driven without a browser: set `.value`, call `.click()`, check what they show.

The widgets take callbacks (what to list, how to diagnose, what-if, check my fix), so most tests
give them plain functions and check how they are called and what is drawn from their answers. The
last tests wire the real callbacks of the investigation layer to the sandbox.
"""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from types import SimpleNamespace

import pytest

from fargate_nb.model import Finding, Remediation
from fargate_nb.views.widgets import FixChecker, TaskPicker, WhatIfPanel
from tests.support.diagnoses import ecr_auth_denied, make_diagnosis, passing
from tests.support.view_scenarios import make_snapshot

FIX = {"op": "put_role_policy", "role_arn": "arn:aws:iam::111122223333:role/payments-exec"}


def _first_failure(figure):
    meta = figure.layout.meta or {}
    return (meta.get("first_failure") or {}).get("finding")


def _html(outputs):
    return "\n".join(o["data"].get("text/html", "") for o in outputs)


@pytest.fixture
def broken_and_fixed():
    """A diagnosis whose registry auth is denied (with a what-if fix), and the one with that fix applied."""
    snap = make_snapshot()
    denied = ecr_auth_denied()
    denied.remediation.fix = dict(FIX)
    broken = make_diagnosis(snap, [f for f in passing(snap) if f.id != "iam.ecr-auth"] + [denied])
    return broken, make_diagnosis(snap, passing(snap))


# -- what-if, with a plain function ---------------------------------------------------------------------
def test_ticking_a_fix_asks_the_callback_and_redraws(broken_and_fixed):
    broken, fixed = broken_and_fixed
    asked = []

    def what_if(fixes):
        asked.append(copy.deepcopy(fixes))
        return fixed

    panel = WhatIfPanel(broken, what_if)
    assert asked == []  # nothing ticked: the diagnosis given is shown as it is
    assert [f.id for f in panel.findings] == ["iam.ecr-auth"]
    box = panel.checkboxes[0]
    assert box.description.startswith("iam.ecr-auth: Allow ecr:GetAuthorizationToken")
    assert panel.current_diagnosis is broken
    assert _first_failure(panel.figure) == "iam.ecr-auth"
    assert 'data-status="fail"' in panel.status.value
    assert [o["metadata"]["fargate_nb"] for o in panel.output.outputs] == ["verdict", "diagram", "findings"]

    box.value = True
    assert asked == [[FIX]]
    assert panel.error is None and panel.current_diagnosis is fixed
    assert _first_failure(panel.figure) is None
    assert "1 fix(es) applied" in panel.status.value and 'data-status="pass"' in panel.status.value
    assert "fargate-nb-status-pass" in _html(panel.output.outputs)

    box.value = False
    assert asked == [[FIX]]  # unticking everything shows the original again, without a call
    assert panel.current_diagnosis is broken
    assert _first_failure(panel.figure) == "iam.ecr-auth"


def test_select_ticks_by_finding_id_and_several_fixes_go_together(broken_and_fixed):
    broken, fixed = broken_and_fixed
    logs = Finding("logs.group-missing", "fail", "logs", "log group /ecs/payments-api does not exist",
                   remediation=Remediation("Create the log group", fix={"op": "create_log_group"}))
    broken.findings.append(logs)
    asked = []
    panel = WhatIfPanel(broken, lambda fixes: asked.append(list(fixes)) or fixed, render=False)
    panel.select("logs.group-missing")
    panel.select("iam.ecr-auth")
    assert asked == [[{"op": "create_log_group"}], [FIX, {"op": "create_log_group"}]]
    assert panel.selected_fixes == [FIX, {"op": "create_log_group"}]
    assert panel.output.outputs == ()  # render=False: only the figure and the status are kept
    assert _first_failure(panel.figure) is None
    with pytest.raises(KeyError):
        panel.select("no.such-finding")


def test_a_fix_that_cannot_apply_is_reported_in_the_panel(broken_and_fixed):
    broken, _ = broken_and_fixed

    def what_if(fixes):
        raise ValueError("unknown what-if operation 'put_role_policy'")

    panel = WhatIfPanel(broken, what_if)
    panel.select("iam.ecr-auth")
    assert "ValueError: unknown what-if operation" in panel.error
    assert "could not apply" in panel.status.value
    assert panel.current_diagnosis is broken  # what is on screen did not change
    assert _first_failure(panel.figure) == "iam.ecr-auth"


def test_a_diagnosis_without_fixes_shows_a_panel_that_says_so(healthy):
    _, diag = healthy
    panel = WhatIfPanel(diag, lambda fixes: pytest.fail("nothing to apply"))
    assert panel.findings == [] and panel.checkboxes == []
    assert "No finding proposes a fix" in panel.box.children[0].value
    assert panel.current_diagnosis is diag


# -- the task picker, with plain functions ----------------------------------------------------------------
class FakeDiscovery:
    def __init__(self, clusters=("payments", "batch"), tasks=None, services=None, fail=None):
        self._clusters, self.fail = list(clusters), fail
        self._tasks = tasks if tasks is not None else {}
        self._services = services if services is not None else {}
        self.calls = []

    def clusters(self, region):
        self.calls.append(("clusters", region))
        if self.fail == "clusters":
            raise ConnectionError("endpoint http://127.0.0.1:9 unreachable")
        return [{"clusterName": c, "clusterArn": f"arn:aws:ecs:us-east-1:111122223333:cluster/{c}"}
                for c in self._clusters]

    def stopped_tasks(self, region, cluster, since):
        self.calls.append(("stopped_tasks", region, cluster, since))
        if self.fail == "tasks":
            raise PermissionError("ecs:ListTasks denied")
        return list(self._tasks.get(cluster, []))

    def services(self, region, cluster):
        self.calls.append(("services", region, cluster))
        return list(self._services.get(cluster, []))


def _task(n, when, reason="CannotPullContainerError: pull access denied"):
    return {"taskArn": f"arn:aws:ecs:us-east-1:111122223333:task/payments/{n:032x}", "stoppedAt": when,
            "stoppedReason": reason}


def test_the_picker_lists_newest_stopped_tasks_first_then_services(auth_broken):
    snap, diag = auth_broken
    older, newer = _task(1, "2026-03-01T10:00:00Z"), _task(2, "2026-03-01T11:00:00Z", "ResourceInitializationError: x")
    discovery = FakeDiscovery(tasks={"payments": [older, newer]}, services={"payments": [{"serviceName": "api"}]})
    asked, results = [], []

    def diagnose(**kwargs):
        asked.append(kwargs)
        return snap, diag

    picker = TaskPicker(discovery, diagnose, region="eu-west-1", cluster="payments", since_hours=2,
                        on_result=lambda s, d: results.append((s, d)))
    assert picker.error is None, picker.status.value
    assert discovery.calls[0] == ("clusters", "eu-west-1")
    assert ("stopped_tasks", "eu-west-1", "payments", timedelta(hours=2)) in discovery.calls
    assert picker.cluster.options == (("payments", "payments"), ("batch", "batch"))
    values = [v for _, v in picker.target.options]
    assert values == [("task", newer["taskArn"]), ("task", older["taskArn"]), ("service", "api")]
    assert "ResourceInitializationError" in picker.target.options[0][0]
    assert picker.target.value == ("task", newer["taskArn"])  # newest first, selected
    assert "2 stopped task(s) in the last 2 h, 1 service(s)" in picker.status.value

    picker.diagnose_button.click()
    assert asked == [{"cluster": "payments", "task": newer["taskArn"], "service": None, "region": "eu-west-1"}]
    assert results == [(snap, diag)] and picker.diagnosis is diag and picker.snapshot is snap
    assert picker.output.outputs == ()  # on_result draws, the picker does not
    picker.target.value = ("service", "api")
    assert picker.run() is diag
    assert asked[-1] == {"cluster": "payments", "task": None, "service": "api", "region": "eu-west-1"}


def test_the_picker_selects_the_wanted_task_and_draws_without_on_result(auth_broken):
    snap, diag = auth_broken
    tasks = [_task(1, "2026-03-01T10:00:00Z"), _task(2, "2026-03-01T11:00:00Z")]
    wanted = tasks[0]["taskArn"].rsplit("/", 1)[-1]  # an id, not an ARN
    picker = TaskPicker(FakeDiscovery(clusters=["batch", "payments"], tasks={"payments": tasks}),
                        lambda **kw: (snap, diag), cluster="arn:aws:ecs:us-east-1:111122223333:cluster/payments",
                        task=wanted)
    assert picker.cluster.value == "payments"
    assert picker.target.value == ("task", tasks[0]["taskArn"])
    assert picker.run() is diag
    parts = [o["metadata"]["fargate_nb"] for o in picker.output.outputs]
    assert parts[0] == "verdict" and "diagram" in parts
    assert 'data-first-failure="iam.ecr-auth"' in _html(picker.output.outputs)


def test_the_picker_reports_errors_from_its_callbacks(auth_broken):
    picker = TaskPicker(FakeDiscovery(fail="clusters"), lambda **kw: pytest.fail("nothing to diagnose"))
    assert "could not list clusters: ConnectionError" in picker.error and "127.0.0.1:9" in picker.error
    assert picker.cluster.options == ()
    assert picker.run() is None and "pick a cluster" in picker.status.value

    picker = TaskPicker(FakeDiscovery(fail="tasks"), lambda **kw: pytest.fail("nothing to diagnose"))
    assert "could not list tasks of payments: PermissionError" in picker.error

    def diagnose(**kwargs):
        raise RuntimeError("collector broke <b>badly</b>")

    picker = TaskPicker(FakeDiscovery(services={"payments": ["api"]}), diagnose)
    assert picker.target.value == ("service", "api")
    assert picker.run() is None
    assert "could not diagnose service api: RuntimeError" in picker.error
    assert "<b>badly" not in picker.status.value and "&lt;b&gt;badly" in picker.status.value
    assert picker.diagnosis is None


def test_the_picker_waits_when_autoload_is_off():
    discovery = FakeDiscovery()
    picker = TaskPicker(discovery, lambda **kw: None, autoload=False)
    assert discovery.calls == [] and picker.cluster.options == ()
    picker.load_button.click()
    assert discovery.calls[0] == ("clusters", None) and picker.cluster.value == "payments"


# -- check my fix, with a plain function ----------------------------------------------------------------
def test_the_fix_checker_shows_what_the_callback_answers():
    answers = [SimpleNamespace(fixed=False, still_failing=["iam.ecr-auth"], verdict="fails <at> auth"),
               SimpleNamespace(fixed=True, still_failing=[], verdict="every step should succeed")]
    checker = FixChecker(lambda: answers.pop(0), interactive=False)
    assert checker.passed is False
    assert "still failing iam.ecr-auth" in checker.result.value and "fails &lt;at&gt; auth" in checker.result.value
    assert 'data-passed="false"' in checker.result.value
    assert checker.check() is True
    assert 'data-passed="true"' in checker.result.value and "every step should succeed" in checker.result.value
    assert checker.box.children == (checker.result,)  # headless: no button


def test_the_fix_checker_is_a_button_when_interactive_and_reports_errors():
    calls = []

    def check_fix():
        calls.append(1)
        raise ConnectionError("sandbox gone")

    checker = FixChecker(check_fix)
    assert calls == [] and checker.passed is None  # nothing happens until the click
    checker.button.click()
    assert calls == [1] and checker.passed is None
    assert "could not be checked: ConnectionError: sandbox gone" in checker.result.value
    assert 'data-passed="none"' in checker.result.value


# -- the real callbacks, on the sandbox --------------------------------------------------------------------
@pytest.fixture(scope="module")
def ecr_auth_case(moto_server):
    """The missing-ecr-auth scenario, collected once (the tests then only use the evidence in memory)."""
    from fargate_nb.investigation import open_scenario

    found = open_scenario("missing-ecr-auth", sandbox=moto_server, activate=False)
    assert [f.id for f in found.diagnosis.failed] == ["iam.ecr-auth"]
    return found


@pytest.mark.slow
@pytest.mark.xdist_group("views-lab")
def test_the_investigation_what_if_drives_the_panel(ecr_auth_case):
    found = ecr_auth_case
    evidence = json.dumps(found.snapshot.to_dict(), sort_keys=True)
    panel = WhatIfPanel(found.diagnosis, found.what_if_diagnosis)
    box = panel.checkboxes[[f.id for f in panel.findings].index("iam.ecr-auth")]
    assert found.diagnosis.finding("iam.ecr-auth")[0].remediation.summary[:40] in box.description
    box.value = True
    assert panel.error is None
    assert panel.current_diagnosis.finding("iam.ecr-auth")[0].status == "pass"
    assert not panel.current_diagnosis.failed and _first_failure(panel.figure) is None
    assert json.dumps(found.snapshot.to_dict(), sort_keys=True) == evidence  # the evidence is untouched

    broken = copy.deepcopy(found.diagnosis)
    broken.finding("iam.ecr-auth")[0].remediation = Remediation("a fix from a newer kit",
                                                                fix={"op": "no-such-operation"})
    panel = WhatIfPanel(broken, found.what_if_diagnosis)
    panel.select("iam.ecr-auth")
    assert "unknown what-if operation" in panel.error and panel.current_diagnosis is broken


@pytest.mark.slow
@pytest.mark.xdist_group("views-lab")
def test_task_picker_and_fix_check_against_the_sandbox(aws):
    from fargate_nb.investigation import Discovery, open_scenario

    found = open_scenario("missing-log-group", sandbox=aws, activate=False)
    env = found.lab.env
    discovery = Discovery(endpoint_url=aws.endpoint_url)
    picker = TaskPicker(discovery, discovery.diagnose, region=aws.region, cluster="payments")
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

    checker = FixChecker(found.check_fix, interactive=False)
    assert checker.passed is False and "logs.group-missing" in checker.result.value
    found.lab.scenario.fix(aws, env)
    checker.button.click()
    assert checker.passed is True, checker.result.value
    assert 'data-passed="true"' in checker.result.value


def test_task_picker_reports_an_unreachable_endpoint(monkeypatch):
    from fargate_nb.investigation import Discovery

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    discovery = Discovery(endpoint_url="http://127.0.0.1:9")
    picker = TaskPicker(discovery, discovery.diagnose, region="us-east-1")
    assert "could not list clusters" in picker.error and "127.0.0.1:9" in picker.error
    assert picker.cluster.options == ()
    assert picker.run() is None
    assert "pick a cluster" in picker.status.value
