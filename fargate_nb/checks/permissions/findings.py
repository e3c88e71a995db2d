"""Findings from evaluator outcomes: status, a sentence with the real ids, evidence, remediation."""

from __future__ import annotations

import copy
from typing import Any

from fargate_nb.checks.permissions.evaluate import (
    Outcome,
    deciding_statements,
    decision_word,
    matched_statements,
    outcome_evidence,
    statement_line,
)
from fargate_nb.checks.permissions.evidence import ROLE_APIS, RoleView, gap_for, statements, unread_detail
from fargate_nb.checks.permissions.execrole import ExecRole, create_role_remediation
from fargate_nb.checks.permissions.remedy import Ask, remediate, resource_policy_cmd, with_statements, without
from fargate_nb.model import Finding, PermissionDecision, Remediation, Snapshot


def outcome_status(outcome: Outcome) -> str:
    """pass, fail (denied, whatever unknown keys hold) or unknown."""
    d = outcome.decision
    if outcome.allowed:
        return "pass"
    if outcome.verdict in ("explicit_deny", "implicit_deny") or (outcome.verdict == "unknown" and getattr(d, "denied", False)):
        return "fail"
    return "unknown"


def permission_finding(check_id: str, step: str, snapshot: Snapshot, role: RoleView,
                       outcomes: list[Outcome], ask: Ask, *, subject: str, policy_name: str, sid: str,
                       resource_only: bool = False, condition: dict | None = None,
                       resource: str | None = None) -> Finding:
    """One finding for a set of (action, resource) questions about the same subject.

    The finding records each question's answer (`Finding.decisions`), read with the same rules as
    its status, so the permissions table can never say "allowed" where the finding says "unknown".
    ``resource`` is what the finding is about (`Finding.resource`), e.g. the repository or secret ARN.
    """
    finding = _permission_finding(check_id, step, snapshot, role, outcomes, ask, subject=subject,
                                  policy_name=policy_name, sid=sid, resource_only=resource_only,
                                  condition=condition)
    if not resource_only:  # a resource-policy-only question is not the role's whole answer
        finding.decisions = [decision_of(role, o) for o in outcomes]
    finding.resource = resource
    return finding


def decision_of(role: RoleView, outcome: Outcome, kind: str = "execution") -> PermissionDecision:
    """One answer as the permission checks read it (unread policies make pass and plain deny unknown)."""
    status = outcome_status(outcome)
    if status == "fail" and outcome.verdict != "explicit_deny" and role.unread:
        status = "unknown"  # an unread policy might hold the missing Allow
    if status == "pass" and any(u.startswith("permissions boundary") for u in role.unread):
        status = "unknown"  # the boundary might not allow it
    word = decision_word(outcome)
    if status == "unknown" and word != "explicit deny":
        word = "unknown"
    by = deciding_statements(outcome)
    if role.unread and status == "unknown":
        by = f"{by}; not read: {', '.join(role.unread)}" if by else f"not read: {', '.join(role.unread)}"
    return PermissionDecision(kind, role.arn, outcome.action, outcome.resource, word, by, status)


def _permission_finding(check_id: str, step: str, snapshot: Snapshot, role: RoleView,
                        outcomes: list[Outcome], ask: Ask, *, subject: str, policy_name: str, sid: str,
                        resource_only: bool = False, condition: dict | None = None) -> Finding:
    statuses = [outcome_status(o) for o in outcomes]
    bad = [o for o, s in zip(outcomes, statuses, strict=True) if s != "pass"]
    status = "fail" if "fail" in statuses else ("unknown" if "unknown" in statuses else "pass")
    explicit = [o for o in bad if o.verdict == "explicit_deny"]
    actions = ", ".join(dict.fromkeys(o.action for o in (bad or outcomes)))
    if status == "fail" and not explicit and role.unread and not resource_only:
        status = "unknown"  # an unread policy might hold the missing Allow
    boundary_unread = any(u.startswith("permissions boundary") for u in role.unread)
    if status == "pass" and boundary_unread and not resource_only:
        status, bad = "unknown", list(outcomes)  # the boundary might not allow it
    if status == "pass":
        detail = f"{role.arn} may {subject}: {actions} allowed."
        evidence = _dedupe(line for o in outcomes for line in outcome_evidence(o)[1:]) or \
            [f"{o.action} on {o.resource}: allowed" for o in outcomes]
        return Finding(check_id, "pass", step, detail=detail, evidence=evidence[:6])
    evidence = _dedupe(line for o in bad for line in outcome_evidence(o))
    if status == "unknown":
        missing = sorted({k for o in bad for k in getattr(o.decision, "missing_context", ()) or ()})
        perm = None
        broken = [getattr(o.decision, "reason", "") for o in bad
                  if (getattr(o.decision, "reason", "") or "").startswith("a policy cannot be evaluated")]
        if broken:
            detail = f"Whether {role.arn} may {subject} cannot be decided: {broken[0]}."
        elif role.unread and not missing:
            detail = (f"Whether {role.arn} may {subject} depends on policies that could not be read: "
                      f"{', '.join(role.unread)}.")
            arns = [role.arn, role.boundary_arn, *role.managed_arns.values()]
            gap = next((g for a in arns if a for g in [gap_for(snapshot, ROLE_APIS, a)] if g), None)
            perm = gap.permission if gap else "iam:GetRolePolicy"
        else:
            detail = (f"Whether {role.arn} may {subject} depends on request values the kit cannot know: "
                      f"{', '.join(missing) or 'see evidence'}.")
        return Finding(check_id, "unknown", step, detail=detail, evidence=evidence, missing_permission=perm)
    if explicit:
        label, st = next(((lbl, s) for o in explicit for lbl, s in matched_statements(o.decision)
                          if s.get("Effect") == "Deny"), ("a policy", {}))
        why = f"{', '.join(dict.fromkeys(o.action for o in explicit))} is explicitly denied by {_where(label, st)}"
    elif resource_only:
        why = f"the resource policy does not grant {role.arn} {actions}"
    else:
        why = _reasons(bad, actions)
    detail = f"{role.arn} cannot {subject}: {why}.{_network_hint(role, bad)}"
    if resource_only:
        rem = resource_remedy(ask, bad, summary=f"Let {role.arn} {subject}.")
    else:
        rem = remediate(snapshot, role, [(o.action, o.resource) for o in bad], ask, policy_name=policy_name, sid=sid,
                        summary=f"Allow {role.name} to {subject}.", condition=condition)
    return Finding(check_id, "fail", step, message=f"{role.name} cannot {subject}", detail=detail,
                   evidence=evidence, remediation=rem)


def _reasons(bad: list[Outcome], actions: str) -> str:
    """The evaluator's reasons, one per kind (the same reason for several actions said once)."""
    reasons = []
    for o in bad:
        reason = getattr(o.decision, "reason", "") or f"{o.action} is not allowed"
        reason = reason.replace(o.action, actions) if o.action in reason else reason
        if reason not in reasons:
            reasons.append(reason)
    return "; ".join(reasons)


def _network_hint(role: RoleView, bad: list[Outcome]) -> str:
    """Say so when an Allow is conditioned on the VPC endpoint but the request does not use one."""
    from fargate_nb.checks.permissions.evaluate import ABSENT_FOR, condition_keys

    if all(o.action.lower() in ABSENT_FOR for o in bad):
        return ""  # the check itself explains why these keys never match
    keys = condition_keys(*[d for _, d in role.identity_policies], role.boundary)
    vpc_keys = [name for low, name in keys.items() if low in ("aws:sourcevpc", "aws:sourcevpce")]
    carried = {k.lower() for o in bad for k in o.context}
    if vpc_keys and not carried & {"aws:sourcevpc", "aws:sourcevpce"}:
        return (f" Statements conditioned on {', '.join(sorted(vpc_keys))} cannot match: this request does not "
                "go through a VPC endpoint (see the net.* findings for its path).")
    return ""


def _where(label: str, st: dict[str, Any]) -> str:
    label = label.split(":", 1)[1] if label.startswith("identity:") else label
    return f"{label}" + (f" (Sid {st['Sid']!r})" if st.get("Sid") else "")


def _dedupe(lines: Any) -> list[str]:
    return list(dict.fromkeys(lines))


def resource_remedy(ask: Ask, bad: list[Outcome], *, summary: str) -> Remediation:
    """Drop the resource policy's denies and add the granting statement."""
    doc = copy.deepcopy(ask.resource_policy)
    denies = [st for o in bad for _, st in matched_statements(o.decision) if st.get("Effect") == "Deny"
              and st in statements(doc)]
    if doc is not None and denies:
        doc = without(doc, denies)
    if any(o.verdict != "explicit_deny" for o in bad) and ask.resource_statement:
        doc = with_statements(doc, [ask.resource_statement])
    doc = doc or {"Version": "2012-10-17", "Statement": []}
    return Remediation(summary, [resource_policy_cmd(ask.resource_kind or "", ask.resource_arn or "", doc)],
                       policy=doc, fix={"op": "set_resource_policy", "kind": ask.resource_kind,
                                        "arn": ask.resource_arn, "document": doc})


def no_role_finding(check_id: str, step: str, role: ExecRole, snapshot: Snapshot, plan: Any,
                    what: str, *, resource: str | None = None) -> Finding:
    """The finding when there is no usable execution role to evaluate (about ``resource``, when one)."""
    finding = _no_role_finding(check_id, step, role, snapshot, plan, what)
    finding.resource = resource
    return finding


def _no_role_finding(check_id: str, step: str, role: ExecRole, snapshot: Snapshot, plan: Any,
                     what: str) -> Finding:
    if role.state == "unread":
        detail, perm = unread_detail(f"Execution role {role.arn}", gap_for(snapshot, ROLE_APIS, role.arn), "iam:GetRole")
        return Finding(check_id, "unknown", step, detail=detail, missing_permission=perm)
    if role.state == "none":
        what_is_wrong = "No execution role"
        detail = f"The task definition has no executionRoleArn, so nothing can {what}."
        rem = create_role_remediation(snapshot, plan, summary="Create an execution role and set executionRoleArn.")
    elif role.state == "invalid":
        what_is_wrong = "executionRoleArn is not a role ARN"
        detail = f"executionRoleArn {role.raw!r} is not an IAM role ARN, so nothing can {what}."
        rem = create_role_remediation(snapshot, plan, summary="Set executionRoleArn to an existing role's ARN.")
    else:
        what_is_wrong = f"Execution role {role.arn} does not exist"
        detail = f"Execution role {role.arn} does not exist, so nothing can {what}."
        rem = create_role_remediation(snapshot, plan, role.arn, summary=f"Create the role {role.arn}.")
    return Finding(check_id, "fail", step, message=f"{what_is_wrong}: nothing can {what}", detail=detail,
                   remediation=rem)


__all__ = ["decision_of", "no_role_finding", "outcome_status", "permission_finding", "resource_remedy", "statement_line"]
