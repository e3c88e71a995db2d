"""Diagnoses from hand-written findings, for the view and report tests.

`make_diagnosis` lets the engine derive everything a face draws from the findings (steps, verdict,
permission rows, network rows, the call sequence), exactly as `fargate_nb.diagnose.diagnose` does
with the findings of the real checks. The findings below are the scenarios the faces are shown.
"""

from __future__ import annotations

from typing import Any

from fargate_nb.diagnose import step_results, verdict
from fargate_nb.diagnose.parts import network_rows, permission_rows, sequence
from fargate_nb.model import Diagnosis, Finding, Remediation, Snapshot
from fargate_nb.pullflow import plan


def make_diagnosis(snapshot: Snapshot, findings: list[Finding], **extra: Any) -> Diagnosis:
    """The diagnosis of ``snapshot`` had the checks found ``findings``; ``extra`` sets other fields
    (``stopped``, ``collected_at``, ``kit_version``)."""
    pull_plan = plan(snapshot)
    steps = step_results(findings, pull_plan)
    return Diagnosis(subject=dict(snapshot.subject), region=snapshot.region, account=snapshot.account,
                     steps=steps, findings=findings, gaps=list(snapshot.gaps), verdict=verdict(steps, findings),
                     permissions=permission_rows(snapshot, pull_plan, findings),
                     network=network_rows(snapshot, pull_plan, findings),
                     sequence=sequence(snapshot, pull_plan, findings, steps), **extra)


# -- the view tests' pull (`view_scenarios.make_snapshot`) ----------------------------------------------
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
    """The execution role payments-exec may not call ecr:GetAuthorizationToken."""
    return Finding("iam.ecr-auth", "fail", "registry-auth",
                   "ecr:GetAuthorizationToken is not allowed for role payments-exec",
                   evidence=["ecr:GetAuthorizationToken on *: implicit_deny — no statement allows it"],
                   remediation=Remediation("Allow ecr:GetAuthorizationToken on * in the execution role",
                                           commands=["aws iam put-role-policy --role-name payments-exec ..."],
                                           policy={"Version": "2012-10-17", "Statement": [
                                               {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken",
                                                "Resource": "*"}]}))


# -- the report tests' stopped task (`report_scenarios.snapshot`) ---------------------------------------
def failing_findings(role_arn: str, log_group: str) -> list[Finding]:
    """The execution role and the log group are missing; one unknown, one info, one pass besides."""
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
    """The diagnosis a report shows: ``failing_findings`` of the snapshot's execution role and log
    group unless ``findings`` are given, its stopped reason classified as a pull denied unless
    ``stopped`` is given, stamped with the evidence's time and kit version 9.9.9."""
    role_arn = snap.task_definition["executionRoleArn"]
    log_group = snap.task_definition["containerDefinitions"][0]["logConfiguration"]["options"]["awslogs-group"]
    findings = failing_findings(role_arn, log_group) if findings is None else findings
    reason = (snap.task or {}).get("stoppedReason")
    if stopped is None and reason:
        stopped = {"text": reason, "summary": "the image could not be pulled", "step": "manifest",
                   "cause": "permission", "confirmed": False, "confirmed_by": []}
    return make_diagnosis(snap, findings, stopped=stopped, collected_at=snap.collected_at, kit_version="9.9.9")
