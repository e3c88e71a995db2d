"""End to end, for every finding id: a broken environment built on the moto server fails it, and the
healthy environments (public subnet, private subnets with every endpoint, NAT) pass it.

Each test provisions the sandbox with `fargate_nb.lab.build.provision` (plus boto3 calls where the
builder has no knob), then opens it with `fargate_nb.investigation.open_live`, so the real collector reads the sandbox over HTTP
exactly as it reads AWS. The table lives in `tests/e2e/cases.py`. Rows that a known library bug
breaks are strict expected failures that raise `KnownBug` from the one assertion the bug breaks:
every other assertion of the row still counts, and the row fails loudly once the bug is fixed.
"""

from __future__ import annotations

import json

import pytest

from fargate_nb.checks import load_all
from fargate_nb.diagnose import diagnose
from fargate_nb.lab.build import provision
from fargate_nb.lab.sandbox import Sandbox
from fargate_nb.model import Diagnosis, Finding, Snapshot

from .cases import CASES, CONTRACT_IDS, HEALTHY, PULL_TARGETS, Case, Healthy, diagnose_live

pytestmark = pytest.mark.xdist_group("e2e")

CLEAN_VERDICT = "No failing prerequisite found: every step of the pull should succeed."
#: Values the builder stores in secrets: the kit never reads a secret's value, so never shows one.
SECRET_VALUES = ("dckr_pat_sandbox", "sandbox-value")


class KnownBug(AssertionError):
    """Raised by the one assertion a documented library bug breaks (see the row's ``bug``)."""


def _expect(condition: bool, message: str, bug: str | None = None) -> None:
    if not condition:
        raise (KnownBug if bug else AssertionError)(message)


def _params(rows: tuple[Case, ...] | tuple[Healthy, ...]) -> list[object]:
    return [pytest.param(row, id=row.id, marks=[pytest.mark.xfail(strict=True, raises=KnownBug, reason=row.bug)]
                         if row.bug else []) for row in rows]


def _labels(findings: list[Finding]) -> list[tuple[str, str | None]]:
    return sorted({(f.id, f.target) for f in findings}, key=lambda pair: (pair[0], pair[1] or ""))


def _text(f: Finding) -> str:
    """Everything a finding tells the user, as one string."""
    rem = f.remediation
    parts = [f.message, f.title, f.detail, *f.evidence]
    if rem:
        parts += [rem.summary, *rem.commands, json.dumps(rem.policy or {})]
    return "\n".join(parts)


def _assert_evidence_travels(snapshot: Snapshot, diagnosis: Diagnosis) -> None:
    """The saved snapshot re-diagnoses to the same failures, and nothing secret is stored or shown."""
    saved = json.dumps(snapshot.to_dict())
    again = diagnose(Snapshot.from_dict(json.loads(saved)))
    assert _labels(again.failed) == _labels(diagnosis.failed), "the saved snapshot diagnoses differently"
    shown = saved + diagnosis.to_json()
    for value in SECRET_VALUES:
        assert value not in shown, f"a secret value ({value}) reached the snapshot or the diagnosis"
    assert "X-Amz-Signature" not in shown and "X-Amz-Security-Token" not in shown, "a presigned URL was kept"


# -- the table itself ---------------------------------------------------------------------------------
def test_every_finding_id_has_a_failing_row_and_a_passing_environment():
    failing = {case.finding for case in CASES}
    assert failing == set(CONTRACT_IDS), f"ids without a failing row: {sorted(set(CONTRACT_IDS) - failing)}"
    passing = set().union(*(h.must_pass for h in HEALTHY))
    assert passing >= set(CONTRACT_IDS), f"ids no healthy set-up passes: {sorted(set(CONTRACT_IDS) - passing)}"
    no_route = {t for case in CASES if case.finding == "net.no-route" for t in case.targets}
    assert no_route >= set(PULL_TARGETS)
    assert len({c.id for c in CASES} | {h.id for h in HEALTHY}) == len(CASES) + len(HEALTHY), "duplicate row ids"
    assert len(CASES) + len(HEALTHY) <= 45, "keep the suite fast: one environment per row"


def test_every_finding_id_is_registered():
    registered = set(load_all())
    assert set(CONTRACT_IDS) <= registered, f"no check registered for {sorted(set(CONTRACT_IDS) - registered)}"


# -- broken environments -----------------------------------------------------------------------------
@pytest.mark.parametrize("case", _params(CASES))
def test_broken_environment_fails_the_finding(aws: Sandbox, case: Case):
    env = provision(aws, case.spec)
    if case.breaks:
        case.breaks(aws, env)
    snapshot, diagnosis = diagnose_live(aws, env, case.subject)

    assert diagnosis.subject.get("kind") == case.subject
    if case.subject == "task":
        assert snapshot.task and snapshot.task["taskArn"] == env.task_arn
    else:
        assert snapshot.service and snapshot.service["serviceName"] == env.service_name
    failed = _labels(diagnosis.failed)

    # The finding fails, for every target the break affects.
    for target in case.targets:
        found = diagnosis.finding(case.finding, target)
        label = f"{case.finding}[{target}]" if target else case.finding
        _expect(any(f.status == "fail" for f in found),
                f"{label} did not fail ({[f.status for f in found] or 'not produced'}); failing: {failed}", case.bug)

    # Nothing else fails but what the break explains.
    allowed = case.allowed_failures()
    surprises = [(i, t) for i, t in failed if (i, t) not in allowed and (i, None) not in allowed]
    assert not surprises, f"unexpected failing findings {surprises}"

    # The verdict names the failing step (or the task definition), and the exit code says "broken".
    if case.step:
        assert f"step '{case.step}'" in diagnosis.verdict, diagnosis.verdict
        assert diagnosis.step(case.step).status == "fail"
    else:
        assert diagnosis.verdict.startswith("The task definition is invalid"), diagnosis.verdict
    assert diagnosis.exit_code == 1

    # Each failure says what to change, naming the real resources.
    for f in diagnosis.failed:
        assert f.detail and f.remediation and f.remediation.summary, f"{f.id}[{f.target}] has no remediation"
    if case.mentions:
        said = "\n".join(_text(f) for f in diagnosis.failed if f.id == case.finding)
        unnamed = [m for m in case.mentions(env) if m not in said]
        assert not unnamed, f"{case.finding} does not name {unnamed}"

    # The stopped reason the task ended with is explained, and the findings confirm it.
    if case.reason and case.subject == "task":
        assert diagnosis.stopped, "the stopped reason was not explained"
        assert diagnosis.stopped.get("confirmed") is True, (
            f"stopped reason classified as {diagnosis.stopped.get('step')}/{diagnosis.stopped.get('cause')} "
            f"(confirmable by {diagnosis.stopped.get('finding_ids')}, target {diagnosis.stopped.get('target')}) "
            f"is not confirmed by {failed}")

    _assert_evidence_travels(snapshot, diagnosis)
    _assert_one_answer(diagnosis)


def _assert_one_answer(diagnosis: Diagnosis) -> None:
    """The parts the faces draw say what the findings say: one overall status, the first failure on a call."""
    assert diagnosis.status == "fail"
    first = diagnosis.sequence.first_failure
    if any(f.step for f in diagnosis.failed):
        assert first is not None, "a failing step drew no failing call"
        assert any(f.status == "fail" for f in diagnosis.findings_at(first.finding_refs)) or \
            diagnosis.step(first.step).status == "fail"
    for row in diagnosis.permissions:
        if row.role == "execution" and row.status == "pass":
            assert row.decision == "allowed", (row.action, row.decision)


# -- healthy environments ----------------------------------------------------------------------------
@pytest.mark.parametrize("healthy", _params(HEALTHY))
def test_healthy_environment_reports_no_failure(aws: Sandbox, healthy: Healthy):
    env = provision(aws, healthy.spec)
    snapshot, diagnosis = diagnose_live(aws, env)
    assert snapshot.task and snapshot.task["lastStatus"] == "RUNNING"
    assert diagnosis.stopped is None, "a running task has no stopped reason to explain"
    failures_bug, steps_bug = healthy.bug_for("failures"), healthy.bug_for("steps")

    _expect(not diagnosis.failed, f"failing findings in a healthy set-up: {_labels(diagnosis.failed)}", failures_bug)
    # exit 0 only when every needed step passed: an unknown step (a known steps bug) makes it 4
    _expect(diagnosis.exit_code == 0, f"exit code is {diagnosis.exit_code}, not 0",
            failures_bug if diagnosis.failed else steps_bug)

    # Every check of the contract ran and answered pass or skipped ...
    produced = {f.id for f in diagnosis.findings}
    _expect(set(CONTRACT_IDS) <= produced, f"not reported: {sorted(set(CONTRACT_IDS) - produced)}",
            healthy.bug_for("reported"))
    undecided = [(f.id, f.target, f.status) for f in diagnosis.findings
                 if f.id in CONTRACT_IDS and f.status not in ("pass", "skipped")]
    _expect(not undecided, f"findings neither pass nor skipped: {undecided}", failures_bug)
    # ... and the ones this set-up exercises really passed (not merely skipped).
    not_passing = sorted(i for i in healthy.must_pass if not any(f.status == "pass" for f in diagnosis.finding(i)))
    _expect(not not_passing, f"expected a passing finding for {not_passing}", failures_bug)

    # Every needed step passes, and the verdict says so.
    open_steps = [(s.id, s.status, s.summary) for s in diagnosis.steps if s.status not in ("pass", "skipped")]
    _expect(not open_steps, f"steps not passing: {open_steps}", steps_bug)
    _expect(diagnosis.verdict == CLEAN_VERDICT, f"verdict: {diagnosis.verdict}", steps_bug)
    _expect(diagnosis.status == "pass", f"overall status {diagnosis.status}", steps_bug)
    _expect(all(c.reached and c.status == "pass" for c in diagnosis.sequence.calls),
            f"calls not passing: {[(c.label, c.status) for c in diagnosis.sequence.calls if c.status != 'pass']}",
            steps_bug)

    _assert_evidence_travels(snapshot, diagnosis)
