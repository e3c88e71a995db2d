"""The task definition itself matches the ECS API and Fargate's rules (the linter, run on the evidence)."""

from __future__ import annotations

from fargate_nb.checks.registry import check
from fargate_nb.model import Finding, Snapshot
from fargate_nb.pullflow import PullPlan
from fargate_nb.taskdef import FINDING_ID, READ_ONLY_TITLE, TITLE, lint_task_definition
from fargate_nb.taskdef.shape import REGISTER_DOC


@check(FINDING_ID, None, TITLE, severity="high", doc_url=REGISTER_DOC)
def task_definition_invalid(snapshot: Snapshot, plan: PullPlan) -> list[Finding]:
    """Lint ``snapshot.task_definition``; skipped when the snapshot has none.

    Fargate's rules apply unless the task or service says it runs on another launch type (EC2, EXTERNAL).
    """
    td = snapshot.task_definition
    if not td:
        return [Finding(FINDING_ID, "skipped", None, TITLE, "The snapshot holds no task definition to check.")]
    launch = str((snapshot.task or {}).get("launchType") or (snapshot.service or {}).get("launchType") or "FARGATE")
    findings = lint_task_definition(td, fargate=launch.upper() == "FARGATE")
    # The evidence comes from describe-task-definition: its read-only members are expected, not advice.
    return [f for f in findings if f.title != READ_ONLY_TITLE]
