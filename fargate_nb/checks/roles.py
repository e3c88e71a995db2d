"""The assume-role step: the execution role is named, exists and trusts ``ecs-tasks.amazonaws.com``.

Also `role.confusion`: the permissions the pull needs were put on the task role (which only the
application in the container uses) instead of the execution role (which Fargate uses to pull the
image, fetch secrets and write logs).
"""

from __future__ import annotations

from typing import Any

from fargate_nb.checks.permissions import (
    ECS_TASKS,
    Ask,
    compact,
    create_role_remediation,
    decision_of,
    execution_role,
    gap_for,
    q,
    remediate,
    role_arn_for,
    role_view,
    statement_line,
    statements,
    trust_policy,
    unread_detail,
)
from fargate_nb.checks.permissions.evaluate import condition_keys, matched_statements
from fargate_nb.checks.permissions.evidence import ROLE_APIS, account_of
from fargate_nb.checks.registry import check
from fargate_nb.iam import Decision, PolicyError, evaluate_trust
from fargate_nb.model import STEPS, Finding, Remediation, Snapshot
from fargate_nb.pullflow import PullPlan

# Keys an ecs-tasks.amazonaws.com AssumeRole request does not carry.
TRUST_ABSENT = {"sts:externalid", "aws:multifactorauthpresent", "aws:multifactorauthage", "sts:sourceidentity"}


def _why_needed(plan: PullPlan) -> str:
    reasons = []
    if any(i.ecr for i in plan.images.values()):
        reasons.append("pulls from private ECR")
    if plan.registry_credentials:
        reasons.append("reads registry credentials from Secrets Manager")
    if plan.secrets:
        reasons.append("injects secrets")
    if plan.log_groups:
        reasons.append("sends logs with awslogs")
    return ", ".join(reasons) or "needs AWS calls at start-up"


@check("exec-role.missing")
def execution_role_missing(snapshot: Snapshot, plan: PullPlan) -> list[Finding]:
    if not isinstance(snapshot.task_definition, dict):
        detail, perm = unread_detail("The task definition", gap_for(snapshot, ("ecs:DescribeTaskDefinition",)),
                                     "ecs:DescribeTaskDefinition")
        return [Finding("exec-role.missing", "unknown", detail=detail, missing_permission=perm)]
    role = execution_role(snapshot)
    if role.state != "none":
        return [Finding("exec-role.missing", "pass", detail=f"The task definition names execution role {role.raw}.",
                        resource=role.arn)]
    if not plan.execution_role_needed:
        return [Finding("exec-role.missing", "skipped",
                        detail="The task needs no execution role (public images, no secrets, no awslogs).")]
    return [Finding("exec-role.missing", "fail", message="The task definition has no execution role",
                    detail=f"The task {_why_needed(plan)}, which Fargate does with the task execution role, but the "
                           "task definition has no executionRoleArn.",
                    evidence=["taskDefinition.executionRoleArn: (not set)"],
                    remediation=create_role_remediation(
                        snapshot, plan, summary="Create ecsTaskExecutionRole and set executionRoleArn."))]


@check("exec-role.not-found")
def execution_role_not_found(snapshot: Snapshot, plan: PullPlan) -> list[Finding]:
    role = execution_role(snapshot)
    if role.state == "none":
        return [Finding("exec-role.not-found", "skipped", detail="No executionRoleArn is set.")]
    if role.state == "unread":
        detail, perm = unread_detail(f"Role {role.arn}", gap_for(snapshot, ROLE_APIS, role.arn), "iam:GetRole")
        return [Finding("exec-role.not-found", "unknown", detail=detail, missing_permission=perm, resource=role.arn)]
    if role.state == "invalid":
        return [Finding("exec-role.not-found", "fail", message="executionRoleArn is not a role ARN",
                        detail=f"executionRoleArn {str(role.raw)[:200]!r} is not an IAM role ARN "
                               "(arn:aws:iam::ACCOUNT:role/NAME): ECS cannot assume it.",
                        remediation=create_role_remediation(snapshot, plan, summary="Point executionRoleArn at a role."))]
    if role.state == "missing":
        return [Finding("exec-role.not-found", "fail", message=f"Execution role {role.arn} does not exist",
                        detail=f"executionRoleArn names {role.arn}, which does not exist (deleted, renamed, or in "
                               "another account): the task fails with 'ECS was unable to assume the role'.",
                        evidence=[f"GetRole({role.arn.rsplit('/', 1)[-1]}): NoSuchEntity"],
                        remediation=create_role_remediation(snapshot, plan, role.arn,
                                                            summary=f"Re-create {role.arn}."),
                        resource=role.arn)]
    return [Finding("exec-role.not-found", "pass", detail=f"Role {role.arn} exists.", resource=role.arn)]


def trust_decision(snapshot: Snapshot, trust: Any, role_arn: str) -> tuple[Decision, str]:
    """The trust policy's answer for ecs-tasks.amazonaws.com, and a note about aws:SourceArn."""
    keys = condition_keys(trust)
    ctx: dict[str, Any] = {}
    if snapshot.account:
        ctx["aws:SourceAccount"] = snapshot.account
    task_arn = (snapshot.task or {}).get("taskArn")
    if "aws:sourcearn" in keys and task_arn:
        ctx["aws:SourceArn"] = task_arn
    unknown = {k for k in keys if k not in {c.lower() for c in ctx} and k not in TRUST_ABSENT}
    decision = evaluate_trust(trust, ECS_TASKS, context=ctx, unknown_keys=unknown, role_arn=role_arn)
    if decision.allowed or "aws:sourcearn" not in keys or not task_arn:
        return decision, ""
    # The value ECS passes as aws:SourceArn for the execution role is not documented exactly.
    ctx.pop("aws:SourceArn")
    again = evaluate_trust(trust, ECS_TASKS, context=ctx, unknown_keys=unknown | {"aws:SourceArn"}, role_arn=role_arn)
    if again.decision == "unknown" and "allowed" in again.possible:
        return again, (f"the trust policy's aws:SourceArn condition does not match the task ARN {task_arn}; ECS "
                       "documents aws:SourceArn patterns of the form arn:aws:ecs:REGION:ACCOUNT:*")
    return decision, ""


@check("exec-role.trust")
def execution_role_trust(snapshot: Snapshot, plan: PullPlan) -> list[Finding]:
    role = execution_role(snapshot)
    if role.state in ("none", "invalid", "missing"):
        return [Finding("exec-role.trust", "skipped",
                        detail="There is no existing execution role to check (see exec-role.missing / "
                               "exec-role.not-found).")]
    if role.state == "unread" or role.view is None or role.view.trust is None:
        detail, perm = unread_detail(f"The trust policy of {role.arn}", gap_for(snapshot, ("iam:GetRole",), role.arn),
                                     "iam:GetRole")
        return [Finding("exec-role.trust", "unknown", detail=detail, missing_permission=perm, resource=role.arn)]
    view = role.view
    try:
        decision, note = trust_decision(snapshot, view.trust, view.arn)
    except (PolicyError, ValueError) as exc:
        return [Finding("exec-role.trust", "fail", message=f"The trust policy of {view.name} is invalid",
                        detail=f"The trust policy of {view.arn} cannot be evaluated: {exc}.",
                        remediation=_trust_fix(view, None, []), resource=view.arn)]
    evidence = [statement_line(_label(m), st) for m, st in _hits(decision)] or [f"trust policy: {compact(view.trust)}"]
    if decision.allowed:
        return [Finding("exec-role.trust", "pass", detail=f"{view.arn} lets {ECS_TASKS} call sts:AssumeRole.",
                        evidence=evidence, resource=view.arn)]
    if decision.decision == "unknown":
        status = "warn" if "allowed" in decision.possible else "fail"
        rem = _source_arn_fix(snapshot, view) if note else _trust_fix(view, view.trust, _denies(decision))
        return [Finding("exec-role.trust", status,
                        message=f"Whether {ECS_TASKS} may assume {view.name} is uncertain",
                        detail=f"Whether {ECS_TASKS} may assume {view.arn} is uncertain: {note or decision.reason}.",
                        evidence=evidence + [decision.reason], remediation=rem, resource=view.arn)]
    return [Finding("exec-role.trust", "fail", message=f"{view.name} does not trust {ECS_TASKS}",
                    detail=f"ECS cannot assume {view.arn}: {decision.reason}. The task fails with 'ECS was unable to "
                           "assume the role ... verify that the role being passed has the proper trust relationship'.",
                    evidence=evidence, remediation=_trust_fix(view, view.trust, _denies(decision)), resource=view.arn)]


def _hits(decision: Decision) -> list[tuple[Any, dict[str, Any]]]:
    return [(m, m.statement) for m in decision.matched]


def _label(m: Any) -> str:
    return "trust policy" if getattr(m, "policy", "") == "trust" else str(getattr(m, "policy", "?"))


def _denies(decision: Decision) -> list[dict[str, Any]]:
    return [st for _, st in matched_statements(decision) if st.get("Effect") == "Deny"]


def _trust_fix(view: Any, current: dict[str, Any] | None, denies: list[dict[str, Any]]) -> Remediation:
    """Keep the other statements, drop the denies that block ECS, add the documented trust statement."""
    kept = [s for s in statements(current) if s not in denies] if isinstance(current, dict) else []
    doc = {"Version": "2012-10-17", "Statement": kept + trust_policy()["Statement"]}
    return Remediation(f"Let {ECS_TASKS} assume {view.name}.",
                       [f"aws iam update-assume-role-policy --role-name {q(view.name)} "
                        f"--policy-document {q(compact(doc, 10**6))}"],
                       policy=doc, fix={"op": "set_trust_policy", "role_arn": view.arn, "document": doc})


def _source_arn_fix(snapshot: Snapshot, view: Any) -> Remediation:
    """Keep the confused-deputy protection, with the aws:SourceArn pattern ECS documents."""
    pattern = f"arn:{snapshot.partition or 'aws'}:ecs:{snapshot.region}:{snapshot.account}:*"
    out = []
    for st in statements(view.trust):
        cond = st.get("Condition")
        if isinstance(cond, dict) and any(isinstance(b, dict) and any(k.lower() == "aws:sourcearn" for k in b)
                                          for b in cond.values()):
            blocks = {op: {k: v for k, v in b.items() if k.lower() != "aws:sourcearn"}
                      for op, b in cond.items() if isinstance(b, dict)}
            blocks = {op: b for op, b in blocks.items() if b}
            blocks.setdefault("ArnLike", {})["aws:SourceArn"] = pattern
            st = {**st, "Condition": blocks}
        out.append(st)
    doc = {**view.trust, "Statement": out}
    return Remediation(f"Match aws:SourceArn against {pattern}, the pattern ECS documents.",
                       [f"aws iam update-assume-role-policy --role-name {q(view.name)} "
                        f"--policy-document {q(compact(doc, 10**6))}"],
                       policy=doc, fix={"op": "set_trust_policy", "role_arn": view.arn, "document": doc})


#: Where role.confusion's answers other than `fail` sit: the step that resolves the task's roles.
CONFUSION_HOME = "assume-role"


@check("role.confusion")
def role_confusion(snapshot: Snapshot, plan: PullPlan) -> list[Finding]:
    """Permissions the execution role lacks but the task role has.

    A `fail` takes the earliest pull step whose permission only the task role grants (where the pull
    breaks); every other answer (pass, skipped, unknown) sits on `assume-role` (``CONFUSION_HOME``).
    """
    home = CONFUSION_HOME
    raw = (snapshot.task_definition or {}).get("taskRoleArn")
    task_arn = role_arn_for(snapshot, raw)
    if not task_arn or not plan.needs:
        return [Finding("role.confusion", "skipped", home,
                        detail="No task role is set." if not task_arn else "The pull needs no IAM permission.")]
    key = task_arn if task_arn in snapshot.roles else raw
    if key not in snapshot.roles:
        detail, perm = unread_detail(f"Task role {task_arn}", gap_for(snapshot, ROLE_APIS, task_arn), "iam:GetRole")
        return [Finding("role.confusion", "unknown", home, detail=detail, missing_permission=perm, resource=task_arn)]
    task_role = role_view(snapshot, key, task_arn)
    if task_role is None:
        return [Finding("role.confusion", "skipped", home, detail=f"Task role {task_arn} does not exist.",
                        resource=task_arn)]
    exec_role = execution_role(snapshot)
    if exec_role.state == "unread":
        return [Finding("role.confusion", "skipped", home,
                        detail="The execution role could not be read (see exec-role.not-found).", resource=task_arn)]
    needs = list(dict.fromkeys((n.step, n.action, n.resource) for n in plan.needs))
    confused = []
    decisions = []  # the task role's answers: neutral (info) unless they hide a missing execution permission
    for step, action, resource in needs:
        task_outcome = Ask().outcome(snapshot, task_role, action, resource)
        decision = decision_of(task_role, task_outcome, "task")
        decision.status = "info"
        decisions.append(decision)
        if exec_role.view is not None and Ask().outcome(snapshot, exec_role.view, action, resource).allowed:
            continue
        if task_outcome.allowed:
            confused.append((step, action, resource))
            decision.status = "fail"
    if not confused:
        return [Finding("role.confusion", "pass", home,
                        detail="The task role grants nothing the execution role lacks for the pull.",
                        resource=task_arn, decisions=decisions)]
    step = min((s for s, _, _ in confused), key=STEPS.index)
    actions = ", ".join(dict.fromkeys(a for _, a, _ in confused))
    who = exec_role.arn or "(no execution role)"
    detail = (f"The pull needs {actions}, which the task role {task_arn} allows but the execution role {who} "
              "does not. Fargate pulls the image, fetches secrets and writes logs with the execution role; the "
              "task role is only for the application inside the container.")
    if exec_role.view is None:
        rem = create_role_remediation(snapshot, plan, exec_role.arn if exec_role.state == "missing" else None,
                                      summary="Give the task an execution role with these permissions.")
    else:
        rem = remediate(snapshot, exec_role.view, [(a, r) for _, a, r in confused], Ask(),
                        policy_name="fargate-nb-from-task-role", sid="FargateNbPull",
                        summary=f"Grant {actions} to the execution role {exec_role.view.name}.")
    return [Finding("role.confusion", "fail", step, message=f"{actions} sit on the task role, not the execution role",
                    detail=detail, evidence=[f"{a} on {r}: allowed for {task_arn}, not for {who}" for _, a, r in confused],
                    remediation=rem, resource=task_arn, decisions=decisions)]


@check("iam.org-policies")
def organisation_policies(snapshot: Snapshot, plan: PullPlan) -> list[Finding]:
    """Said once per diagnosis, not on every permission finding: the kit does not read service control
    policies (SCPs) or resource control policies (RCPs), so its permission passes assume none denies.

    An SCP limits the execution role's account, an RCP the resource's account; either can deny what
    every policy the kit read allows (IAM user guide, "Policy evaluation logic").
    """
    role = execution_role(snapshot)
    if not plan.needs or role.state != "ok" or role.view is None:
        return [Finding("iam.org-policies", "skipped",
                        detail="No permission of an execution role was evaluated.")]
    accounts = sorted({role.view.account, *(a for a in (account_of(n.resource) for n in plan.needs) if a)})
    return [Finding(
        "iam.org-policies", "info", message="Organisation policies (SCPs and RCPs) were not evaluated",
        detail="The permission checks read the execution role's policies, its permissions boundary and the "
        "resource policies, but not AWS Organizations policies: a service control policy on the role's account, or "
        "a resource control policy on a resource's account, can still deny a call they pass. If the task is denied "
        "although the checks pass, the denial message names the policy type; ask the organisation's administrators "
        f"which SCPs and RCPs apply to account(s) {', '.join(accounts)}.",
        evidence=[f"accounts involved: {', '.join(accounts)}", "organizations:* not called (read-only policy)"],
        resource=role.view.arn)]
