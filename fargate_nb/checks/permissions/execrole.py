"""The task's execution role, and a role that would do (for the fixes that create one)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fargate_nb.checks.permissions.evaluate import compact
from fargate_nb.checks.permissions.evidence import RoleView, arn_parts, role_arn_for, role_name, role_view
from fargate_nb.checks.permissions.remedy import policy_doc, put_role_policy_cmd, q
from fargate_nb.model import Remediation, Snapshot

ECS_TASKS = "ecs-tasks.amazonaws.com"
MANAGED_EXEC_POLICY = "arn:{partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"


@dataclass
class ExecRole:
    """The task's execution role: ``state`` is none, invalid, missing, unread or ok."""

    arn: str | None
    state: str
    view: RoleView | None = None
    raw: Any = None  # the executionRoleArn value as written


def execution_role(snapshot: Snapshot) -> ExecRole:
    raw = (snapshot.task_definition or {}).get("executionRoleArn")
    if raw in (None, ""):
        return ExecRole(None, "none", raw=raw)
    arn = role_arn_for(snapshot, raw)
    parts = arn_parts(arn)
    if not parts or parts["service"] != "iam" or not parts["resource"].startswith("role/") or not parts["account"]:
        return ExecRole(arn, "invalid", raw=raw)
    key = arn if arn in snapshot.roles or not isinstance(raw, str) else raw  # keyed as written, or by ARN
    entry = snapshot.roles.get(key, ...)
    if entry is None:
        return ExecRole(arn, "missing", raw=raw)
    view = role_view(snapshot, key, arn) if isinstance(entry, dict) else None
    return ExecRole(arn, "ok" if view else "unread", view, raw)  # absent or unusable evidence: unread


def new_execution_role(snapshot: Snapshot, plan: Any, arn: str | None = None) -> tuple[str, dict[str, Any]]:
    """A role that grants everything this pull needs: the documented trust policy, the AWS managed
    execution policy, and an inline policy for secrets, KMS keys and log-group creation."""
    partition = snapshot.partition or "aws"
    arn = arn or f"arn:{partition}:iam::{snapshot.account or ''}:role/ecsTaskExecutionRole"
    managed = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [
        "ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer",
        "ecr:BatchGetImage", "logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "*"}]}
    in_managed = set(managed["Statement"][0]["Action"])
    extra = [([n.action], [n.resource]) for n in plan.needs if n.action not in in_managed]
    extra += [(["kms:Decrypt"], [k]) for k in customer_keys(snapshot, plan)]
    role = {"Role": {"RoleName": role_name(arn), "Arn": arn, "AssumeRolePolicyDocument": trust_policy()},
            "InlinePolicies": {"fargate-nb-pull": policy_doc(extra, "FargateNbPull")} if extra else {},
            "AttachedPolicies": [{"PolicyArn": MANAGED_EXEC_POLICY.format(partition=partition),
                                  "PolicyName": "AmazonECSTaskExecutionRolePolicy", "Document": managed}],
            "PermissionsBoundary": None}
    return arn, role


def trust_policy() -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{"Sid": "EcsTasksAssumeRole", "Effect": "Allow",
                                                    "Principal": {"Service": ECS_TASKS}, "Action": "sts:AssumeRole"}]}


def customer_keys(snapshot: Snapshot, plan: Any) -> list[str]:
    """ARNs of the customer managed KMS keys protecting the secrets this task needs."""
    from fargate_nb.checks.permissions.secrets import kms_needs

    return list(dict.fromkeys(n.resource for n in kms_needs(snapshot, plan)))


def create_role_remediation(snapshot: Snapshot, plan: Any, arn: str | None = None, *, summary: str) -> Any:
    """Create the execution role (or re-create a deleted one) and point the task definition at it."""

    arn, role = new_execution_role(snapshot, plan, arn)
    name = role_name(arn)
    cmds = [f"aws iam create-role --role-name {q(name)} --assume-role-policy-document {q(compact(trust_policy()))}",
            f"aws iam attach-role-policy --role-name {q(name)} --policy-arn "
            f"{q(role['AttachedPolicies'][0]['PolicyArn'])}"]
    for pname, doc in role["InlinePolicies"].items():
        cmds.append(put_role_policy_cmd(name, pname, doc))
    cmds.append(register_td_cmd(snapshot, f".executionRoleArn = {json.dumps(arn)}"))
    return Remediation(summary, cmds, policy=next(iter(role["InlinePolicies"].values()), None),
                       fix={"op": "set_execution_role", "role_arn": arn, "role": role})


def register_td_cmd(snapshot: Snapshot, jq_edit: str) -> str:
    """Register a new task definition revision with one jq edit (then update the service or run the task)."""
    td = snapshot.task_definition or {}
    ref = td.get("taskDefinitionArn") or td.get("family") or "FAMILY"
    drop = ("del(.taskDefinitionArn, .revision, .status, .requiresAttributes, .compatibilities, "
            ".registeredAt, .registeredBy, .deregisteredAt)")
    return (f"aws ecs describe-task-definition --task-definition {q(ref)} --query taskDefinition "
            f"| jq {q(f'{drop} | {jq_edit}')} > taskdef.json && "
            "aws ecs register-task-definition --cli-input-json file://taskdef.json")
