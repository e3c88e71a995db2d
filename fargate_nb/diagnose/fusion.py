"""Evidence fusion: the stopped reason decides what the kit could not read, and disagreements are said.

A task's stopped reason is evidence from AWS itself. When a check could not read what it needed
(access denied, or a repository in another account this account cannot see) and the stopped reason
states the cause, the reason decides that finding: it fails, labelled as coming from the stopped
reason, instead of the kit concluding something it cannot know (say, that the repository is
missing). Example (IAM user guide, "Troubleshoot access denied error messages"): a cross-account
pull refused "because no resource-based policy allows the ecr:BatchGetImage action" is the
repository policy (`ecr.repo-policy`), whatever the kit could read of that policy.

When the stopped reason and the checks still point at different steps, the stopped explanation says
so in its ``detail`` (the checks read the current state; the reason describes the failed launch).
A pure function of the snapshot and the findings, like the rest of the diagnosis.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from fargate_nb.model import Finding, Remediation, Snapshot
from fargate_nb.pullflow import PullPlan, split_key

FROM_STOPPED = "from the stopped reason"
DECISIVE_CAUSES = ("permission", "not-found")


def fuse(snapshot: Snapshot, plan: PullPlan, findings: list[Finding]) -> tuple[list[Finding], dict[str, Any] | None]:
    """The findings with what the stopped reason decides, and the stopped explanation (or None)."""
    stopped = explanation(snapshot, plan)
    if stopped is None:
        return findings, None
    findings = decide_unread(stopped, findings)
    confirm(stopped, findings)
    note_disagreement(stopped, findings)
    return findings, stopped


def explanation(snapshot: Snapshot, plan: PullPlan) -> dict[str, Any] | None:
    """The classified stopped reason; the task's registry-credentials secrets make their failures registry-auth."""
    if not snapshot.task:
        return None
    from fargate_nb.stopped import classify_task

    registry_secrets = [ref for r in plan.registry_credentials for ref in (r.value_from, r.arn) if ref]
    data = classify_task(snapshot.task, registry_secrets).to_dict()
    return data if data.get("text") else None


def decide_unread(stopped: dict[str, Any], findings: list[Finding]) -> list[Finding]:
    """An `unknown` finding the stopped reason names first becomes `fail`, labelled as coming from it."""
    ids = stopped.get("finding_ids") or []
    if not ids or stopped.get("cause") not in DECISIVE_CAUSES or stopped.get("truncated"):
        return findings
    if stopped.get("cause") == "permission" and not (stopped.get("denial") or _names_action(stopped)):
        return findings  # a bare "403 Forbidden" says too little to decide a policy finding
    first = ids[0]
    candidates = [f for f in findings if f.id == first and f.status == "unknown"]
    if any(f.id == first and f.status == "fail" for f in findings) or not candidates:
        return findings
    text = str(stopped.get("text") or "")
    named = [f for f in candidates if f.resource and _mentions(text, f.resource)]
    chosen = named or (candidates if len(candidates) == 1 else [])
    return [_decided(f, stopped) if f in chosen else f for f in findings]


def confirm(stopped: dict[str, Any], findings: list[Finding]) -> None:
    """``confirmed`` / ``confirmed_by``: a failing finding among the reason's ids (same target when both have one).

    The reason names a service; a network finding in another region is keyed ``service@region``."""
    wanted = set(stopped.get("finding_ids") or [])
    target = stopped.get("target")
    confirming = [f for f in findings if f.status == "fail" and f.id in wanted
                  and (not target or not f.target or split_key(f.target)[0] == split_key(target)[0])]
    stopped["confirmed"] = bool(confirming) if wanted else None
    stopped["confirmed_by"] = sorted({f.label for f in confirming})


def note_disagreement(stopped: dict[str, Any], findings: list[Finding]) -> None:
    """Say so when the checks fail at another step than the stopped reason names, and none confirms it."""
    step = stopped.get("step")
    failing = [f for f in findings if f.status == "fail" and f.step]
    if stopped.get("confirmed") or not step or not failing or any(f.step == step for f in failing):
        return
    first = failing[0]
    stopped["agrees"] = False
    stopped["detail"] = (
        f"The stopped reason and the checks disagree: the reason points at step '{step}' ({stopped.get('cause')}), "
        f"while the checks find the failure at step '{first.step}' ({first.label}). The checks read the current "
        "state; the reason describes the launch that failed, so something may have changed since, or the reason's "
        "cause lies outside what the kit reads.")


def _decided(finding: Finding, stopped: dict[str, Any]) -> Finding:
    denial = stopped.get("denial") or {}
    what = stopped.get("summary") or "The stopped reason states the cause."
    detail = (f"Decided {FROM_STOPPED}, because the kit could not read the evidence itself "
              f"({finding.detail.rstrip('.') or 'unread'}). {what}")
    first_sentence = what.split(". ", 1)[0].rstrip(".")
    message = f"{first_sentence} ({FROM_STOPPED})"
    if denial:
        message = (f"{denial.get('action') or 'The call'} is denied by {denial.get('policy')} "
                   f"({FROM_STOPPED}){' for ' + finding.resource if finding.resource else ''}")
    remediation = finding.remediation or (Remediation(str(stopped.get("advice"))) if stopped.get("advice") else None)
    return dataclasses.replace(
        finding, status="fail", message=message, detail=detail, remediation=remediation,
        evidence=[*finding.evidence, f"stopped reason: {str(stopped.get('text') or '')[:400]}"])


def _names_action(stopped: dict[str, Any]) -> bool:
    return "not authorized to perform" in str(stopped.get("text") or "").lower()


def _mentions(text: str, resource: str) -> bool:
    """The reason names the resource: its ARN, an image reference, or a repository's name and account."""
    if resource in text:
        return True
    if ":repository/" in resource:
        parts = resource.split(":")
        account, name = (parts[4] if len(parts) > 4 else ""), resource.split(":repository/", 1)[1]
        return f"{account}.dkr.ecr." in text and f"/{name}" in text or f"repository/{name}" in text
    return False
