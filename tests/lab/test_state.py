"""A scenario kept up in a sandbox (`fargate-nb lab up`), then checked and fixed from elsewhere
with only the endpoint URL: `fargate_nb.lab.state` remembers it, `investigation.attach_lab` finds
it again, and `lab check` is `Lab.check_fix`, the same "check my fix" as `Investigation.check_fix`."""

from __future__ import annotations

import json

import pytest

from fargate_nb.cli import main
from fargate_nb.investigation import ScenarioError, attach_lab
from fargate_nb.lab.sandbox import free_port
from fargate_nb.lab.state import bring_up, load_state

pytestmark = pytest.mark.xdist_group("lab")


def test_state_round_trips_what_was_built(aws):
    env = bring_up("missing-log-group", aws)
    scenario, loaded = load_state(aws)
    assert scenario.id == "missing-log-group"
    assert loaded == env


def test_check_then_fix_then_check_through_the_cli(aws, capsys):
    bring_up("dockerhub-no-credentials", aws)
    url = aws.endpoint_url

    assert main(["lab", "check", "--endpoint-url", url, "--format", "json"]) == 1
    before = json.loads(capsys.readouterr().out)
    # From the service alone the kit cannot tell the image is private: the finding only warns,
    # and a warning on what the scenario is about is not a fix.
    assert before["scenario"] == "dockerhub-no-credentials" and before["fixed"] is False
    assert "registry.credentials-missing" in before["still_failing"] + before["in_doubt"]

    assert main(["lab", "check", "--endpoint-url", url]) == 1
    text = capsys.readouterr().out
    assert "Not fixed yet" in text and ": registry.credentials-missing" in text

    assert main(["lab", "fix", "dockerhub-no-credentials", "--endpoint-url", url]) == 0
    capsys.readouterr()
    # The fix registered a new revision; the stored state follows it.
    assert load_state(aws)[1].task_definition_arn.endswith(":2")

    assert main(["lab", "check", "--endpoint-url", url, "--format", "json"]) == 0
    after = json.loads(capsys.readouterr().out)
    assert after == {"scenario": "dockerhub-no-credentials", "fixed": True, "still_failing": [], "in_doubt": [],
                     "verdict": after["verdict"]}


def test_attach_lab_check_fix_is_the_investigation_check(aws):
    bring_up("missing-log-group", aws)
    lab = attach_lab(aws.endpoint_url, "missing-log-group")
    check = lab.check_fix()
    assert not check.fixed and check.still_failing == ["logs.group-missing"]
    assert check.diagnosis is not None and check.verdict == check.diagnosis.verdict
    lab.apply_reference_fix()
    assert lab.check_fix().fixed


def test_attach_lab_refuses_another_scenario_an_empty_sandbox_and_a_dead_endpoint(aws, capsys):
    with pytest.raises(ScenarioError, match="holds no scenario"):
        attach_lab(aws.endpoint_url)
    bring_up("missing-log-group", aws)
    with pytest.raises(ScenarioError, match="holds scenario 'missing-log-group', not 'bad-trust'"):
        attach_lab(aws.endpoint_url, "bad-trust")
    assert main(["lab", "check", "bad-trust", "--endpoint-url", aws.endpoint_url]) == 2
    with pytest.raises(ScenarioError, match="no sandbox answers"):
        attach_lab(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(ScenarioError, match="not a local sandbox"):
        attach_lab("https://ecs.us-east-1.amazonaws.com")
