"""Run every check over a snapshot and build the Diagnosis: a pure function of the evidence.

The Diagnosis carries everything a face shows, each computed once here: step statuses and the
verdict, the permission matrix (`permissions`), the network path per destination (`network`) and
the call sequence of the pull (`sequence`). Faces render it; they never evaluate.
"""

from __future__ import annotations

from typing import Any

from fargate_nb import __version__
from fargate_nb.checks import load_all
from fargate_nb.model import SEVERITY_ORDER, STEPS, Diagnosis, Finding, Snapshot, StepResult, worst_status
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


def _finding_order(f: Finding) -> tuple[int, int, str, str]:
    step_rank = _STEP_RANK.get(f.step, -1) if f.step else -1
    return (step_rank, _STATUS_RANK.get(f.status, 99), f.id, f.target or "")


def step_results(findings: list[Finding], pull_plan: PullPlan) -> list[StepResult]:
    """A step takes the worst status among its findings; `skipped` when the task does not need it."""
    results = []
    for step in STEPS:
        relevant = [f for f in findings if f.step == step and f.status not in ("skipped", "info")]
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


def verdict(steps: list[StepResult], findings: list[Finding]) -> str:
    """One line: the first failing step and its cause, or why nothing was found."""
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
    from fargate_nb.diagnose.parts import network_rows, permission_rows, sequence

    pull_plan = plan(snapshot)
    findings = run_checks(snapshot, pull_plan)
    steps = step_results(findings, pull_plan)
    return Diagnosis(
        subject=dict(snapshot.subject),
        region=snapshot.region,
        account=snapshot.account,
        steps=steps,
        findings=findings,
        gaps=list(snapshot.gaps),
        verdict=verdict(steps, findings),
        stopped=stopped_explanation(snapshot, findings),
        collected_at=snapshot.collected_at,
        kit_version=__version__,
        permissions=permission_rows(snapshot, pull_plan, findings),
        network=network_rows(snapshot, pull_plan, findings),
        sequence=sequence(snapshot, pull_plan, findings, steps),
    )


def stopped_explanation(snapshot: Snapshot, findings: list[Finding]) -> dict[str, Any] | None:
    """The classified stopped reason, and whether the checks confirm it."""
    if not snapshot.task:
        return None
    from fargate_nb.stopped import classify_task

    explanation = classify_task(snapshot.task)
    data = explanation.to_dict()
    if not data.get("text"):
        return None
    failing = [f for f in findings if f.status == "fail"]
    wanted = set(data.get("finding_ids") or [])
    target = data.get("target")
    confirming = [f for f in failing if f.id in wanted and (not target or not f.target or f.target == target)]
    data["confirmed"] = bool(confirming) if wanted else None
    data["confirmed_by"] = sorted({f.label for f in confirming})
    return data
