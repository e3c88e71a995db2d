"""The task definition itself matches the ECS API and Fargate's rules (the linter, run on the evidence)."""

from __future__ import annotations

from typing import Any

from fargate_nb.checks.registry import check
from fargate_nb.model import Finding, Snapshot
from fargate_nb.pullflow import PullPlan
from fargate_nb.taskdef import FINDING_ID, READ_ONLY_MESSAGE, lint_task_definition


def runs_on_fargate(snapshot: Snapshot) -> bool:
    """Fargate unless the task or service says otherwise (launch type EC2/EXTERNAL, or an EC2 capacity provider).

    The kit is about Fargate pulls, so a snapshot that does not say (a task definition alone) is linted for it.
    """
    for source in (snapshot.task, snapshot.service):
        if not isinstance(source, dict):
            continue
        launch = source.get("launchType")
        if isinstance(launch, str) and launch:
            return launch.upper() == "FARGATE"
        provider = source.get("capacityProviderName")
        if isinstance(provider, str) and provider:
            return provider.upper() in ("FARGATE", "FARGATE_SPOT")
        strategy: Any = source.get("capacityProviderStrategy")
        names = [s.get("capacityProvider") for s in strategy if isinstance(s, dict)] if isinstance(strategy, list) else []
        if names and all(isinstance(n, str) for n in names):
            return any(n.upper() in ("FARGATE", "FARGATE_SPOT") for n in names)
    return True


@check(FINDING_ID)
def task_definition_invalid(snapshot: Snapshot, plan: PullPlan) -> list[Finding]:
    """Lint ``snapshot.task_definition``; skipped when the snapshot has none."""
    td = snapshot.task_definition
    if not td:
        return [Finding(FINDING_ID, "skipped", detail="The snapshot holds no task definition to check.")]
    # A registered task definition is no template: "<IMAGE1_NAME>" there is the image reference ECS pulls.
    findings = lint_task_definition(td, fargate=runs_on_fargate(snapshot), template=False)
    # The evidence comes from describe-task-definition: its read-only members are expected, not advice.
    return [f for f in findings if f.message != READ_ONLY_MESSAGE]
