"""Synthetic snapshots and diagnoses for the view tests.

`make_diagnosis` takes hand-written findings and lets the engine derive everything a view draws
from them (steps, verdict, permission rows, network rows, the call sequence), exactly as
`fargate_nb.diagnose.diagnose` does with the findings of the real checks.
"""

from __future__ import annotations

from fargate_nb.diagnose import step_results, verdict
from fargate_nb.diagnose.parts import network_rows, permission_rows, sequence
from fargate_nb.model import Diagnosis, Finding, Gap, Remediation, Snapshot
from fargate_nb.pullflow import plan

ACCT = "111122223333"
REGION = "us-east-1"
EXEC_ROLE = f"arn:aws:iam::{ACCT}:role/payments-exec"
TASK_ROLE = f"arn:aws:iam::{ACCT}:role/payments-task"
ECR_IMAGE = f"{ACCT}.dkr.ecr.{REGION}.amazonaws.com/payments-api:1.4.2"
DB_SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCT}:secret:db-AbCdEf"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def make_snapshot(image: str = ECR_IMAGE, *, secrets: bool = True, logs: bool = True, cmk: bool = False,
                  credentials: str | None = None, execution_role: str | None = EXEC_ROLE,
                  container: str = "api") -> Snapshot:
    c: dict = {"name": container, "image": image}
    if secrets:
        c["secrets"] = [{"name": "DB", "valueFrom": DB_SECRET}, {"name": "FLAG", "valueFrom": "/payments/flag"}]
    if logs:
        c["logConfiguration"] = {"logDriver": "awslogs", "options": {
            "awslogs-group": "/ecs/payments-api", "awslogs-region": REGION, "awslogs-stream-prefix": "ecs"}}
    if credentials:
        c["repositoryCredentials"] = {"credentialsParameter": credentials}
    td = {"family": "payments-api", "containerDefinitions": [c], "taskRoleArn": TASK_ROLE}
    if execution_role:
        td["executionRoleArn"] = execution_role
    snap = Snapshot(region=REGION, account=ACCT, task_definition=td,
                    subject={"kind": "task", "cluster": "payments", "task": "0123456789abcdef"},
                    task={"taskArn": f"arn:aws:ecs:{REGION}:{ACCT}:task/payments/0123456789abcdef"})
    if cmk:
        snap.secrets[DB_SECRET] = {"ARN": DB_SECRET, "Name": "db", "KmsKeyId": KEY_ARN}
        snap.kms_keys[KEY_ARN] = {"KeyMetadata": {"Arn": KEY_ARN, "KeyId": KEY_ARN.rsplit("/", 1)[-1],
                                                  "KeyManager": "CUSTOMER"}, "Policy": None}
    return snap


def make_diagnosis(snapshot: Snapshot, findings: list[Finding]) -> Diagnosis:
    pull_plan = plan(snapshot)
    steps = step_results(findings, pull_plan)
    return Diagnosis(subject=dict(snapshot.subject), region=snapshot.region, account=snapshot.account,
                     steps=steps, findings=findings, gaps=list(snapshot.gaps), verdict=verdict(steps, findings),
                     permissions=permission_rows(snapshot, pull_plan, findings),
                     network=network_rows(snapshot, pull_plan, findings),
                     sequence=sequence(snapshot, pull_plan, findings, steps))


def passing(snapshot: Snapshot) -> list[Finding]:
    """One passing finding per call the snapshot's pull makes."""
    return [
        Finding("exec-role.trust", "pass", "assume-role", "the execution role trusts ecs-tasks.amazonaws.com"),
        Finding("iam.ecr-auth", "pass", "registry-auth", "ecr:GetAuthorizationToken allowed"),
        Finding("net.endpoint-sg", "pass", "registry-auth", "endpoint admits 443", target="ecr.api"),
        Finding("iam.secrets", "pass", "secrets", "secrets readable"),
        Finding("iam.ecr-pull", "pass", "manifest", "pull allowed"),
        Finding("net.no-route", "pass", "layers", "S3 reachable", target="s3"),
        Finding("iam.logs", "pass", "logs", "logs allowed"),
    ]


def ecr_auth_denied() -> Finding:
    return Finding("iam.ecr-auth", "fail", "registry-auth",
                   "ecr:GetAuthorizationToken is not allowed for role payments-exec",
                   evidence=["ecr:GetAuthorizationToken on *: implicit_deny — no statement allows it"],
                   remediation=Remediation("Allow ecr:GetAuthorizationToken on * in the execution role",
                                           commands=["aws iam put-role-policy --role-name payments-exec ..."],
                                           policy={"Version": "2012-10-17", "Statement": [
                                               {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken",
                                                "Resource": "*"}]}))


# -- a pull whose execution role has a permissions boundary that could not be read -------------------
MANAGED_EXEC_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
MANAGED_EXEC_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*", "Action": [
    "ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer",
    "ecr:BatchGetImage", "logs:CreateLogStream", "logs:PutLogEvents"]}]}
BOUNDARY_ARN = f"arn:aws:iam::{ACCT}:policy/payments-boundary"
REPO_ARN = f"arn:aws:ecr:{REGION}:{ACCT}:repository/payments-api"
LOG_GROUP = "/ecs/payments-api"


def unread_boundary_snapshot() -> Snapshot:
    """Everything a private-ECR pull with awslogs needs is read and allowed, except the execution
    role's permissions boundary: its ARN is attached but its document could not be read (a gap
    says why). Every allow could be cancelled by it, so nothing it governs may pass."""
    snap = make_snapshot(secrets=False)
    td = snap.task_definition
    td.update({"networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "cpu": "256", "memory": "512"})
    td.pop("taskRoleArn")
    snap.roles[EXEC_ROLE] = {
        "Role": {"RoleName": "payments-exec", "Arn": EXEC_ROLE, "Path": "/", "AssumeRolePolicyDocument": {
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                    "Principal": {"Service": "ecs-tasks.amazonaws.com"}}]}},
        "InlinePolicies": {},
        "AttachedPolicies": [{"PolicyArn": MANAGED_EXEC_POLICY_ARN, "PolicyName": "AmazonECSTaskExecutionRolePolicy",
                              "Document": MANAGED_EXEC_POLICY}],
        "PermissionsBoundary": {"PolicyArn": BOUNDARY_ARN, "Document": None},  # attached, not read
    }
    snap.gaps.append(Gap(api="iam:GetPolicyVersion", permission="iam:GetPolicyVersion", resource=BOUNDARY_ARN,
                         error="AccessDenied: not authorized to perform iam:GetPolicyVersion"))
    snap.repositories[REPO_ARN] = {"Repository": {
        "repositoryArn": REPO_ARN, "registryId": ACCT, "repositoryName": "payments-api",
        "repositoryUri": f"{ACCT}.dkr.ecr.{REGION}.amazonaws.com/payments-api", "imageTagMutability": "IMMUTABLE",
        "imageScanningConfiguration": {"scanOnPush": True}}, "Policy": None, "LifecyclePolicy": True}
    snap.images[ECR_IMAGE] = {
        "registry": f"{ACCT}.dkr.ecr.{REGION}.amazonaws.com", "ecr": True, "region": REGION, "registry_id": ACCT,
        "repository_name": "payments-api", "repository_arn": REPO_ARN, "tag": "1.4.2", "digest": "sha256:" + "c" * 64,
        "found": True, "platforms": [{"os": "linux", "architecture": "amd64", "variant": None}],
        "pushed_at": "2026-11-01T10:00:00Z", "tag_mutability": "IMMUTABLE"}
    snap.log_groups[LOG_GROUP] = {"logGroupName": LOG_GROUP,
                                  "arn": f"arn:aws:logs:{REGION}:{ACCT}:log-group:{LOG_GROUP}:*"}
    return snap
