"""Synthetic evidence and diagnoses for the report tests, including hostile strings from 'AWS'."""

from __future__ import annotations

from fargate_nb.diagnose import step_results, verdict
from fargate_nb.diagnose.parts import network_rows, permission_rows, sequence
from fargate_nb.model import Diagnosis, Finding, Gap, Remediation, Snapshot
from fargate_nb.pullflow import plan

ACCT = "111122223333"
REGION = "eu-west-1"
IMAGE = f"{ACCT}.dkr.ecr.{REGION}.amazonaws.com/payments-api:1.4.2"

# Each payload would become markup if it were not escaped: HTML, a script, an image whose onerror
# runs, a Markdown heading, link, table cell break and code fence, mermaid statements.
HOSTILE_REASON = ("CannotPullContainerError: <script>window.__pwned='reason'</script> "
                  "<img src=x onerror=\"window.__pwned='img'\"> | pipe | `tick` ```fence\n"
                  "# Injected heading\n[click](javascript:alert(1)) end; participant Evil as X\n-->> p0: boom")
HOSTILE_ROLE = "exec-<b>bold</b>|`x`"
HOSTILE_ROLE_ARN = f"arn:aws:iam::{ACCT}:role/{HOSTILE_ROLE}"
HOSTILE_LOG_GROUP = "/ecs/<script>window.__pwned='log'</script>|#x\n## Heading [a](b) &amp;"


def snapshot(*, stopped_reason: str | None = "CannotPullContainerError: pull access denied",
             role_arn: str = f"arn:aws:iam::{ACCT}:role/payments-exec",
             log_group: str = "/ecs/payments-api", with_task: bool = True) -> Snapshot:
    td = {"family": "payments-api", "revision": 7, "executionRoleArn": role_arn, "networkMode": "awsvpc",
          "containerDefinitions": [{"name": "api", "image": IMAGE, "logConfiguration": {
              "logDriver": "awslogs", "options": {"awslogs-group": log_group, "awslogs-region": REGION,
                                                  "awslogs-stream-prefix": "ecs"}}}]}
    task_arn = f"arn:aws:ecs:{REGION}:{ACCT}:task/payments/0123456789abcdef"
    snap = Snapshot(region=REGION, account=ACCT, collected_at="2026-03-01T10:05:00+00:00", collector="tests",
                    caller={"Arn": f"arn:aws:sts::{ACCT}:assumed-role/oncall/alice", "Account": ACCT},
                    task_definition=td, roles={role_arn: None}, log_groups={log_group: None})
    if with_task:
        snap.subject = {"kind": "task", "cluster": "payments", "task": task_arn}
        snap.task = {"taskArn": task_arn, "lastStatus": "STOPPED", "desiredStatus": "STOPPED",
                     "taskDefinitionArn": f"arn:aws:ecs:{REGION}:{ACCT}:task-definition/payments-api:7",
                     "createdAt": "2026-03-01 10:00:00+00:00", "pullStartedAt": "2026-03-01 10:00:05+00:00",
                     "pullStoppedAt": "2026-03-01 10:00:35+00:00", "stoppingAt": "2026-03-01 10:00:40+00:00",
                     "stoppedAt": "2026-03-01 10:01:10+00:00", "stopCode": "TaskFailedToStart"}
        if stopped_reason is not None:
            snap.task["stoppedReason"] = stopped_reason
    else:
        snap.subject = {"kind": "service", "cluster": "payments", "service": "api"}
    snap.gaps.append(Gap("iam:SimulatePrincipalPolicy", "iam:SimulatePrincipalPolicy",
                         "AccessDenied: not authorized | <denied>", resource=role_arn))
    return snap


def failing_findings(role_arn: str, log_group: str) -> list[Finding]:
    role_name = role_arn.rsplit("/", 1)[-1]
    return [
        Finding("exec-role.not-found", "fail", "assume-role", f"the execution role {role_name} does not exist",
                detail=f"GetRole said NoSuchEntity for {role_arn}", evidence=[f"roles[{role_arn}] = None"],
                remediation=Remediation(f"Create the role {role_name} or point the task definition at one",
                                        commands=[f"aws iam create-role --role-name '{role_name}' "
                                                  "--assume-role-policy-document file://trust.json"],
                                        policy={"Version": "2012-10-17", "Statement": []}),
                doc_url="https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html"),
        Finding("logs.group-missing", "fail", "logs", f"log group {log_group} does not exist",
                remediation=Remediation("Create the log group",
                                        commands=[f"aws logs create-log-group --log-group-name '{log_group}'"])),
        Finding("iam.ecr-auth", "unknown", "registry-auth", "cannot decide ecr:GetAuthorizationToken",
                missing_permission="iam:GetRole"),
        Finding("ecr.lifecycle-policy", "info", "manifest", "no lifecycle policy | consider one"),
        Finding("iam.ecr-pull", "pass", "manifest", "pull allowed"),
    ]


def diagnosis_for(snap: Snapshot, findings: list[Finding] | None = None,
                  stopped: dict | None = None) -> Diagnosis:
    role_arn = snap.task_definition["executionRoleArn"]
    log_group = snap.task_definition["containerDefinitions"][0]["logConfiguration"]["options"]["awslogs-group"]
    findings = failing_findings(role_arn, log_group) if findings is None else findings
    pull_plan = plan(snap)
    steps = step_results(findings, pull_plan)
    reason = (snap.task or {}).get("stoppedReason")
    if stopped is None and reason:
        stopped = {"text": reason, "summary": "the image could not be pulled", "step": "manifest",
                   "cause": "permission", "confirmed": False, "confirmed_by": []}
    return Diagnosis(subject=dict(snap.subject), region=snap.region, account=snap.account, steps=steps,
                     findings=findings, gaps=list(snap.gaps), verdict=verdict(steps, findings), stopped=stopped,
                     collected_at=snap.collected_at, kit_version="9.9.9",
                     permissions=permission_rows(snap, pull_plan, findings),
                     network=network_rows(snap, pull_plan, findings),
                     sequence=sequence(snap, pull_plan, findings, steps))


def hostile_snapshot() -> Snapshot:
    return snapshot(stopped_reason=HOSTILE_REASON, role_arn=HOSTILE_ROLE_ARN, log_group=HOSTILE_LOG_GROUP)
