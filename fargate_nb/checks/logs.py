"""The logs step: the awslogs log group exists (or will be created) and the execution role may write to it.

The awslogs driver creates the stream (``logs:CreateLogStream``) and sends events
(``logs:PutLogEvents``) with the execution role; with ``awslogs-create-group=true`` it also calls
``logs:CreateLogGroup``, which the AWS managed execution policy does not grant.
"""

from __future__ import annotations

from typing import Any

from fargate_nb.checks.permissions import (
    Ask,
    execution_role,
    gap_for,
    no_role_finding,
    permission_finding,
    policy_name,
    q,
    register_td_cmd,
    unread_detail,
)
from fargate_nb.checks.registry import check
from fargate_nb.model import Finding, Remediation, Snapshot
from fargate_nb.pullflow import PullPlan


def _groups(plan: PullPlan) -> list[dict[str, Any]]:
    return [g for g in plan.log_groups if isinstance(g, dict)]


@check("logs.group-missing")
def log_group_missing(snapshot: Snapshot, plan: PullPlan) -> list[Finding]:
    groups = _groups(plan)
    if not groups:
        return [Finding("logs.group-missing", "skipped", detail="No container uses the awslogs log driver.")]
    out = []
    for g in groups:
        name, container, region = g.get("group") or "", g.get("container"), g.get("region") or snapshot.region
        if not name:
            out.append(Finding(
                "logs.group-missing", "fail", message=f"Container {container} has no awslogs-group",
                detail=f"Container {container} uses the awslogs driver without the required awslogs-group option.",
                remediation=Remediation("Set awslogs-group (and awslogs-create-group=true to let ECS create it).",
                                        [register_td_cmd(snapshot, _set_option(container, "awslogs-group",
                                                                               f"/ecs/{container}"))])))
            continue
        entry = snapshot.log_groups.get(name, ...)
        if entry is ... or not (entry is None or isinstance(entry, dict)):
            detail, perm = unread_detail(f"Log group {name}", gap_for(snapshot, ("logs:DescribeLogGroups",), name),
                                         "logs:DescribeLogGroups")
            out.append(Finding("logs.group-missing", "unknown", detail=detail, missing_permission=perm, resource=name))
        elif isinstance(entry, dict):
            out.append(Finding("logs.group-missing", "pass",
                               detail=f"Log group {name} exists in {region} (container {container}).",
                               evidence=[f"arn: {entry.get('logGroupArn') or entry.get('arn') or '?'}"], resource=name))
        elif g.get("create"):
            out.append(Finding("logs.group-missing", "pass",
                               detail=f"Log group {name} does not exist yet; awslogs-create-group=true lets the "
                                      "driver create it (the execution role needs logs:CreateLogGroup, see iam.logs).",
                               evidence=["awslogs-create-group: true"], resource=name))
        else:
            out.append(Finding(
                "logs.group-missing", "fail", message=f"Log group {name} does not exist",
                detail=f"Container {container} sends logs to {name} in {region}, which does not exist, and "
                "awslogs-create-group is not true: the container fails to start with "
                "'ResourceNotFoundException: The specified log group does not exist'.",
                evidence=[f"DescribeLogGroups(logGroupNamePrefix={name}) in {region}: no such group"],
                remediation=Remediation(
                    f"Create the log group {name} (or set awslogs-create-group=true and allow logs:CreateLogGroup).",
                    [f"aws logs create-log-group --log-group-name {q(name)} --region {q(region)}"],
                    fix={"op": "create_log_group", "name": name, "region": region}), resource=name))
    return out


def _set_option(container: Any, option: str, value: str) -> str:
    return (f'(.containerDefinitions[] | select(.name == "{container}") | '
            f'.logConfiguration.options["{option}"]) = "{value}"')


@check("iam.logs")
def logs_permission(snapshot: Snapshot, plan: PullPlan) -> list[Finding]:
    groups = _groups(plan)
    if not groups:
        return [Finding("iam.logs", "skipped", detail="No container uses the awslogs log driver.")]
    role = execution_role(snapshot)
    out = []
    for g in groups:
        container, name = g.get("container"), g.get("group") or ""
        needs = [n for n in plan.needs_for("logs") if n.container == container]
        if not name or not needs:
            continue
        if role.state != "ok":
            out.append(no_role_finding("iam.logs", "logs", role, snapshot, plan,
                                       f"write container {container}'s logs to {name}", resource=name))
            continue
        assert role.view is not None
        region = g.get("region") or snapshot.region
        ask = Ask(target="logs", extra_context={"aws:RequestedRegion": region})
        outcomes = [ask.outcome(snapshot, role.view, n.action, n.resource) for n in needs]
        out.append(permission_finding("iam.logs", "logs", snapshot, role.view, outcomes, ask,
                                      subject=f"write container {container}'s logs to {name}",
                                      policy_name=policy_name("fargate-nb-logs", str(container)), sid="FargateNbLogs",
                                      resource=name))
    return out or [Finding("iam.logs", "skipped", detail="No awslogs group is configured.")]
