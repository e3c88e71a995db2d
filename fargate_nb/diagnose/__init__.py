"""Run every check over a snapshot and build the Diagnosis: a pure function of the evidence.

The Diagnosis carries everything a face shows, each computed once here: step statuses and the
verdict, the permission matrix (`permissions`), the network path per destination (`network`) and
the call sequence of the pull (`sequence`). Faces render it; they never evaluate.
"""

from __future__ import annotations

from dataclasses import dataclass

from fargate_nb import __version__
from fargate_nb.checks import load_all
from fargate_nb.checks.permissions.evidence import DENIED_PREFIXES
from fargate_nb.checks.registry import attach_metadata
from fargate_nb.model import (
    SEVERITY_ORDER,
    STEPS,
    Diagnosis,
    Finding,
    Gap,
    Snapshot,
    StepResult,
    worst_status,
)
from fargate_nb.pullflow import STEP_TITLES, PullPlan, plan

_STEP_RANK = {s: i for i, s in enumerate(STEPS)}
_STATUS_RANK = {s: i for i, s in enumerate(SEVERITY_ORDER)}


def run_checks(snapshot: Snapshot, pull_plan: PullPlan | None = None) -> list[Finding]:
    """Every registered check's findings, in a stable order (step, id, target)."""
    pull_plan = pull_plan or plan(snapshot)
    findings: list[Finding] = []
    for check in load_all().values():
        findings.extend(check.run(snapshot, pull_plan))
    findings.sort(key=_finding_order)
    return findings


@dataclass(frozen=True)
class Unread:
    """The subject evidence every check rests on, and why it could not be read."""

    what: str  # "the task", "the service", "the task definition"
    api: str  # the call that failed, e.g. "ecs:DescribeTasks"
    gap: Gap | None  # the recorded gap (None: the evidence is simply absent, e.g. an edited snapshot)

    @property
    def reason(self) -> str:
        if self.gap is None:
            return f"{self.api} was not answered (the evidence is absent)"
        return f"{self.gap.api} failed ({self.gap.error})"

    @property
    def permission(self) -> str | None:
        return (self.gap.permission or None) if self.gap is not None else self.api

    @property
    def sentence(self) -> str:
        return f"{self.what} could not be read: {self.reason}"


def unread_subject(snapshot: Snapshot) -> Unread | None:
    """What of the subject (task or service, then its task definition) could not be read, if anything.

    The first missing piece is named (the call that failed, not a later one it made impossible).
    """
    kind = (snapshot.subject or {}).get("kind")
    if kind == "task" and not snapshot.task:
        what, api = "the task", "ecs:DescribeTasks"
    elif kind == "service" and not snapshot.service:
        what, api = "the service", "ecs:DescribeServices"
    elif kind in ("task", "service", "taskdef") and not snapshot.task_definition:
        what, api = "the task definition", "ecs:DescribeTaskDefinition"
    else:
        return None
    gap = next((g for g in snapshot.gaps if (g.api or "").lower() == api.lower()), None)
    return Unread(what, api, gap)


def unread_findings(findings: list[Finding], unread: Unread) -> list[Finding]:
    """With the subject unread no check could decide anything: each one's answer is `unknown`.

    Every check appears at least once, naming the call that failed and the permission it needs.
    """
    out = [f for f in findings if f.status not in ("skipped", "pass")]
    seen = {f.id for f in out}
    for check in load_all().values():
        if check.id in seen:
            continue
        seen.add(check.id)
        out.append(attach_metadata(Finding(
            check.id, "unknown", detail=f"Not checked: {unread.sentence}.", missing_permission=unread.permission,
            evidence=[unread.reason]), check.spec))
    out.sort(key=_finding_order)
    return out


def _finding_order(f: Finding) -> tuple[int, int, str, str]:
    step_rank = _STEP_RANK.get(f.step, -1) if f.step else -1
    return (step_rank, _STATUS_RANK.get(f.status, 99), f.id, f.target or "")


def _decides_step(f: Finding, step: str, pull_plan: PullPlan) -> bool:
    """A finding decides its own step, and a later step its destination's path also serves (the layer
    blobs of a registry host come over the path its manifest took)."""
    if f.step == step:
        return True
    dest = pull_plan.destination(f.target) if f.target else None
    return dest is not None and f.step == dest.step and step in dest.also


def step_results(findings: list[Finding], pull_plan: PullPlan, unread: Unread | None = None) -> list[StepResult]:
    """A step takes the worst status among its findings; `skipped` when the task does not need it.

    When the subject could not be read (``unread``) nobody knows which steps are needed: every
    step without a failing finding is `unknown`, never `skipped`.
    """
    results = []
    for step in STEPS:
        if unread is not None and not any(f.step == step and f.status == "fail" for f in findings):
            results.append(StepResult(step, "unknown", f"{STEP_TITLES[step]}: not checked: {unread.sentence}"))
            continue
        relevant = [f for f in findings if _decides_step(f, step, pull_plan) and f.status not in ("skipped", "info")]
        if not pull_plan.needed_steps.get(step) and not any(f.status == "fail" for f in relevant):
            results.append(StepResult(step, "skipped", f"{STEP_TITLES[step]}: not needed by this task"))
            continue
        if not relevant:
            results.append(StepResult(step, "unknown", f"{STEP_TITLES[step]}: nothing could be checked"))
            continue
        worst = worst_status(f.status for f in relevant)
        bad = [f for f in relevant if f.status == worst]
        if worst == "pass":
            summary = f"{STEP_TITLES[step]}: all {len(relevant)} checks pass"
        else:
            ids = ", ".join(sorted({f.label for f in bad}))
            summary = f"{STEP_TITLES[step]}: {worst} ({ids})"
        results.append(StepResult(step, worst, summary))
    return results


def verdict(steps: list[StepResult], findings: list[Finding], unread: Unread | None = None) -> str:
    """One line: the first failing step and its cause, or why nothing was found (or nothing was read)."""
    if unread is not None and not any(s.status == "fail" for s in steps):
        denied = unread.gap is not None and (unread.gap.error or "").startswith(DENIED_PREFIXES)
        if denied or (unread.gap is None and unread.permission):
            then = f"Grant the caller {unread.permission} and collect again"
        else:
            then = "Collect again once AWS answers" + (f" (the caller needs {unread.permission})"
                                                       if unread.permission else "")
        return f"Nothing could be checked: {unread.sentence}. {then}; the pull may or may not succeed."
    failing_config = [f for f in findings if f.status == "fail" and f.step is None]
    for s in steps:
        if s.status == "fail":
            first = next(f for f in findings if f.step == s.id and f.status == "fail")
            return f"The pull fails at step '{s.id}' ({STEP_TITLES[s.id].lower()}): {first.text}."
    if failing_config:
        return f"The task definition is invalid: {failing_config[0].text}."
    unknown = [s.id for s in steps if s.status == "unknown"]
    if unknown:
        return ("No failing prerequisite found, but some could not be checked: "
                f"{', '.join(unknown)} (see the gaps).")
    warned = [s.id for s in steps if s.status == "warn"]
    if warned:
        return f"No failing prerequisite found; warnings at {', '.join(warned)}."
    return "No failing prerequisite found: every step of the pull should succeed."


def diagnose(snapshot: Snapshot) -> Diagnosis:
    """Decide every prerequisite of the pull and build what every face shows (pure)."""
    from fargate_nb.diagnose.fusion import fuse
    from fargate_nb.diagnose.parts import network_rows, permission_rows, pull_needs, sequence

    pull_plan = plan(snapshot)
    needs = pull_needs(snapshot, pull_plan)  # the secrets' keys are looked up once for every part
    findings = run_checks(snapshot, pull_plan)
    findings, stopped = fuse(snapshot, pull_plan, findings)  # the stopped reason decides what could not be read
    unread = unread_subject(snapshot)
    if unread is not None:
        findings = unread_findings(findings, unread)
    steps = step_results(findings, pull_plan, unread)
    return Diagnosis(
        subject=dict(snapshot.subject),
        region=snapshot.region,
        account=snapshot.account,
        steps=steps,
        findings=findings,
        gaps=list(snapshot.gaps),
        verdict=verdict(steps, findings, unread),
        stopped=stopped,
        collected_at=snapshot.collected_at,
        kit_version=__version__,
        permissions=permission_rows(snapshot, pull_plan, findings, needs),
        network=network_rows(snapshot, pull_plan, findings),
        sequence=sequence(snapshot, pull_plan, findings, steps, needs),
    )
