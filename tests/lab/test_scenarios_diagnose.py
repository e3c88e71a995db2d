"""End to end: each scenario, diagnosed through the live-state collector over HTTP, fails exactly
where its story says (and its stopped reason is confirmed); healthy ones pass; after the
reference fix the re-run task diagnoses clean, and "check my fix" (`Investigation.check_fix`,
the scenario's service as it is now) says fixed.

The lab only provisions and fixes; the diagnosis comes from `fargate_nb.investigation`.
"""

from __future__ import annotations

import pytest

from fargate_nb.investigation import open_scenario
from fargate_nb.lab.scenarios import SCENARIOS, Scenario

pytestmark = pytest.mark.xdist_group("lab")


def _label(findings) -> list[tuple[str, str | None]]:
    return sorted({(f.id, f.target) for f in findings}, key=lambda pair: (pair[0], pair[1] or ""))


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
def test_diagnosis_matches_the_scenario_and_the_fix_makes_it_clean(aws, scenario: Scenario):
    found = open_scenario(scenario.id, aws)
    snapshot, diagnosis, lab = found.snapshot, found.diagnosis, found.lab
    assert lab is not None and not lab.owns_sandbox
    assert snapshot.task and snapshot.task["taskArn"] == lab.env.task_arn
    failed = _label(diagnosis.failed)
    for finding_id, target in scenario.expected:
        assert diagnosis.finding(finding_id, target), f"{finding_id}[{target}] was not produced; failed: {failed}"
        assert any(f.status == "fail" for f in diagnosis.finding(finding_id, target)), (
            f"{finding_id}[{target}] did not fail; failed: {failed}")
    # (id, None) in ``expected`` accepts the finding for any target.
    surprises = [(i, t) for i, t in failed if (i, t) not in scenario.expected and (i, None) not in scenario.expected]
    assert not surprises, f"{scenario.id}: unexpected failing findings {surprises}"
    assert diagnosis.exit_code == (1 if scenario.expected else 0)
    if scenario.healthy:
        assert found.check_fix().fixed
        return
    # The reason text the builder stopped the task with reads like AWS's: the kit classifies it
    # to a cause that the failing findings confirm.
    assert diagnosis.stopped and diagnosis.stopped.get("confirmed") is True, (
        f"{scenario.id}: stopped reason classified as {diagnosis.stopped} is not confirmed by {failed}")
    # "Check my fix" before any fix: never a false "fixed" (it reads the service, not the stopped task).
    unfixed = found.check_fix()
    assert not unfixed.fixed, f"{scenario.id}: check_fix says fixed before the fix"

    scenario.repair(lab.sandbox, lab.env)
    again = found.rediagnose()
    assert again.snapshot.task["lastStatus"] == "RUNNING"
    assert _label(again.diagnosis.failed) == [], f"{scenario.id}: still failing after the reference fix"
    check = found.check_fix()
    assert check.fixed and check.still_failing == [], f"{scenario.id}: check_fix says {check.still_failing}"
