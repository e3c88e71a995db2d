"""The pull the view tests draw: payments-api from private ECR, with secrets and awslogs.

Thin functions over `SnapshotBuilder`; pair them with `tests.support.diagnoses` (`passing`,
`ecr_auth_denied`, `make_diagnosis`).
"""

from __future__ import annotations

from fargate_nb.model import Snapshot
from tests.support.snapshots import ACCT, KEY_ARN, MANAGED_EXEC_POLICY_ARN, REGION, SnapshotBuilder

EXEC_ROLE = f"arn:aws:iam::{ACCT}:role/payments-exec"
TASK_ROLE = f"arn:aws:iam::{ACCT}:role/payments-task"
ECR_IMAGE = f"{ACCT}.dkr.ecr.{REGION}.amazonaws.com/payments-api:1.4.2"
REPO_ARN = f"arn:aws:ecr:{REGION}:{ACCT}:repository/payments-api"
DB_SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCT}:secret:db-AbCdEf"
LOG_GROUP = "/ecs/payments-api"
BOUNDARY_ARN = f"arn:aws:iam::{ACCT}:policy/payments-boundary"

__all__ = ["ACCT", "BOUNDARY_ARN", "DB_SECRET", "ECR_IMAGE", "EXEC_ROLE", "KEY_ARN", "LOG_GROUP", "REGION",
           "MANAGED_EXEC_POLICY_ARN", "REPO_ARN", "TASK_ROLE", "make_snapshot", "payments", "unread_boundary_snapshot"]


def payments(image: str = ECR_IMAGE, *, secrets: bool = True, logs: bool = True, cmk: bool = False,
             credentials: str | None = None, execution_role: str | None = EXEC_ROLE,
             task_role: str | None = TASK_ROLE, container: str = "api") -> SnapshotBuilder:
    """A builder for task 0123456789abcdef of the payments cluster: one container running ``image``,
    the secrets DB (a Secrets Manager secret, on a customer managed key when ``cmk``) and FLAG (an SSM
    parameter), awslogs to /ecs/payments-api. Only ARNs: no role, repository or image evidence.

    The task definition is the bare one the view tests have always drawn (no revision, network mode,
    compatibilities or sizes: `diagnose` finds it invalid for Fargate), and the task only its ARN."""
    b = (SnapshotBuilder(cluster="payments", task_id="0123456789abcdef", family="payments-api",
                         collected_at="", collector="")
         .subject(kind="task", cluster="payments", task="0123456789abcdef")
         .task_fields(clusterArn=None, lastStatus=None)
         .task_definition_fields(taskDefinitionArn=None, revision=None, networkMode=None,
                                 requiresCompatibilities=None, cpu=None, memory=None)
         .container(container, image))
    if secrets:
        b.container_secret("DB", DB_SECRET, container).container_secret("FLAG", "/payments/flag", container)
    if logs:
        b.awslogs(container, LOG_GROUP)
    if credentials:
        b.repository_credentials(credentials, container)
    if task_role:
        b.task_role_arn(task_role)
    b.execution_role_arn(execution_role)
    if cmk:
        b.secret(DB_SECRET, kms_key=KEY_ARN).kms_key(KEY_ARN, policy_read=False)
    b.task_fields(containers=None)
    return b


def make_snapshot(image: str = ECR_IMAGE, *, secrets: bool = True, logs: bool = True, cmk: bool = False,
                  credentials: str | None = None, execution_role: str | None = EXEC_ROLE,
                  container: str = "api") -> Snapshot:
    """`payments` built."""
    return payments(image, secrets=secrets, logs=logs, cmk=cmk, credentials=credentials,
                    execution_role=execution_role, container=container).build()


def unread_boundary_snapshot() -> Snapshot:
    """Everything a private-ECR pull with awslogs needs is read and allowed, except the execution
    role's permissions boundary: its ARN is attached but its document could not be read (a gap
    says why). Every allow could be cancelled by it, so nothing it governs may pass."""
    return (payments(secrets=False, task_role=None)
            .task_definition_fields(networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256",
                                    memory="512")
            .execution_role(EXEC_ROLE).unread_boundary(EXEC_ROLE, BOUNDARY_ARN)
            .repository(REPO_ARN).image(ECR_IMAGE, mutability="IMMUTABLE").log_group(LOG_GROUP)
            .build())
