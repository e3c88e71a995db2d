"""The least the execution role needs for this task's pull, as a policy document to attach."""

from __future__ import annotations

from typing import Any

from fargate_nb.diagnose.parts import pull_needs
from fargate_nb.model import Snapshot
from fargate_nb.pullflow import plan


def minimal_execution_policy(snapshot: Snapshot) -> dict[str, Any]:
    """The least the execution role needs for this task's pull: each action on its exact resources.

    ``ecr:GetAuthorizationToken`` only accepts ``"*"``; kms:Decrypt is added for customer-managed keys.
    """
    grouped: dict[tuple[str, ...], list[str]] = {}
    by_resource: dict[str, list[str]] = {}
    pull_plan = plan(snapshot)
    for need in pull_needs(snapshot, pull_plan):
        resource = need.resource if need.action != "ecr:GetAuthorizationToken" else "*"
        if need.action.startswith("logs:"):
            resource = resource.split(":log-stream:", 1)[0] + ":log-stream:*"
        actions = by_resource.setdefault(resource, [])
        if need.action not in actions:
            actions.append(need.action)
    for resource, actions in by_resource.items():
        grouped.setdefault(tuple(actions), []).append(resource)
    statements = []
    for i, (actions, resources) in enumerate(grouped.items(), start=1):
        sid = "".join(a.split(":", 1)[1] for a in actions[:1]) + f"{i}"
        statements.append({"Sid": sid, "Effect": "Allow", "Action": list(actions) if len(actions) > 1 else actions[0],
                           "Resource": resources if len(resources) > 1 else resources[0]})
    return {"Version": "2012-10-17", "Statement": statements}

