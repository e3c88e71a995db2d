"""The stopped task the report tests write up: payments-api in eu-west-1, whose execution role and
log group do not exist, and its hostile twin (names that would become markup if not escaped).

Thin functions over `SnapshotBuilder`; `tests.support.diagnoses.diagnosis_for` diagnoses them.
"""

from __future__ import annotations

from fargate_nb.model import Snapshot
from tests.support.snapshots import (
    ACCT,
    HOSTILE_LOG_GROUP,
    HOSTILE_REASON,
    HOSTILE_ROLE,
    HOSTILE_ROLE_ARN,
    SnapshotBuilder,
)

REGION = "eu-west-1"
IMAGE = f"{ACCT}.dkr.ecr.{REGION}.amazonaws.com/payments-api:1.4.2"
EXEC_ROLE = f"arn:aws:iam::{ACCT}:role/payments-exec"
LOG_GROUP = "/ecs/payments-api"
TASK_ID = "0123456789abcdef"
COLLECTED_AT = "2026-03-01T10:05:00+00:00"

__all__ = ["ACCT", "COLLECTED_AT", "EXEC_ROLE", "HOSTILE_LOG_GROUP", "HOSTILE_REASON", "HOSTILE_ROLE",
           "HOSTILE_ROLE_ARN", "IMAGE", "LOG_GROUP", "REGION", "hostile_snapshot", "snapshot"]


def snapshot(*, stopped_reason: str | None = "CannotPullContainerError: pull access denied",
             role_arn: str = EXEC_ROLE, log_group: str = LOG_GROUP, with_task: bool = True) -> Snapshot:
    """Task 0123456789abcdef of the payments cluster stopped (TaskFailedToStart, ``stopped_reason``)
    after a 30 s pull; its execution role ``role_arn`` and log group ``log_group`` do not exist, and
    the caller may not simulate policies. ``with_task=False``: the subject is the service instead.
    The task definition has no ARN, compatibilities or sizes (`diagnose` finds it invalid for
    Fargate), and the task lists no containers, as the report tests have always shown them."""
    b = (SnapshotBuilder(REGION, cluster="payments", task_id=TASK_ID, family="payments-api",
                         collected_at=COLLECTED_AT)
         .caller(f"arn:aws:sts::{ACCT}:assumed-role/oncall/alice")
         .task_definition_fields(taskDefinitionArn=None, requiresCompatibilities=None, cpu=None, memory=None)
         .container("api", IMAGE).awslogs("api", log_group)
         .execution_role(role_arn, exists=False).log_group(log_group, exists=False)
         .gap("iam:SimulatePrincipalPolicy", resource=role_arn, error="AccessDenied: not authorized | <denied>"))
    if not with_task:
        return b.service_subject("api").build()
    b.task_fields(clusterArn=None, containers=None, desiredStatus="STOPPED", createdAt="2026-03-01 10:00:00+00:00",
                  pullStartedAt="2026-03-01 10:00:05+00:00", pullStoppedAt="2026-03-01 10:00:35+00:00",
                  stoppingAt="2026-03-01 10:00:40+00:00", stoppedAt="2026-03-01 10:01:10+00:00",
                  stopCode="TaskFailedToStart",
                  taskDefinitionArn=f"arn:aws:ecs:{REGION}:{ACCT}:task-definition/payments-api:7")
    if stopped_reason is not None:
        b.stopped(stopped_reason)
    return b.build()


def hostile_snapshot() -> Snapshot:
    """`snapshot` with a hostile stopped reason, execution role name and log group name."""
    return snapshot(stopped_reason=HOSTILE_REASON, role_arn=HOSTILE_ROLE_ARN, log_group=HOSTILE_LOG_GROUP)
