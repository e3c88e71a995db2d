"""Compare the IAM policy simulator's answers (when the collector could ask it) with the local evaluator.

The simulator sees identity policies and the permissions boundary, but not resource policies,
endpoint policies, SCP conditions or cross-account access, so a disagreement is usually the
simulator missing context; still, it is worth showing, because people trust the simulator.
"""

from __future__ import annotations

from fargate_nb.checks.permissions.evidence import role_view
from fargate_nb.checks.registry import check
from fargate_nb.iam import PolicyError, Request, evaluate
from fargate_nb.model import Finding, Snapshot
from fargate_nb.pullflow import PullPlan

_SIMULATOR_WORDS = {"allowed": "allowed", "explicitdeny": "explicit_deny", "implicitdeny": "implicit_deny"}


@check("iam.simulator-agreement")
def simulator_agreement(snapshot: Snapshot, plan: PullPlan) -> list[Finding]:
    if not snapshot.simulations:
        return [Finding("iam.simulator-agreement", "skipped",
                        detail="The simulator was not asked (not permitted, or not available).")]
    steps = {(n.action, n.resource): n.step for n in plan.needs}
    agree, differ = [], []
    for sim in snapshot.simulations:
        principal, action, resource = sim.get("principal"), sim.get("action"), sim.get("resource")
        view = role_view(snapshot, principal) if principal else None
        theirs = _SIMULATOR_WORDS.get(str(sim.get("decision", "")).lower())
        if view is None or theirs is None or not action:
            continue
        try:
            ours = evaluate(Request(action=action, resource=resource or "*", principal=principal),
                            identity_policies=view.identity_policies,
                            permissions_boundary=view.boundary).decision
        except PolicyError as exc:
            ours = f"error ({exc})"
        line = f"{action} on {resource}: simulator {theirs}, local evaluator {ours}"
        (agree if ours == theirs else differ).append((steps.get((action, resource)), line))
    if not agree and not differ:
        return [Finding("iam.simulator-agreement", "skipped",
                        detail="No simulator answer concerned a need of this pull.")]
    if differ:
        return [Finding(
            "iam.simulator-agreement", "info",
            message="The IAM policy simulator and the local evaluator disagree",
            detail=(f"{len(differ)} of {len(differ) + len(agree)} answers differ (identity policies and boundary "
                    "only). The simulator does not apply resource policies, endpoint policies, SCP conditions or "
                    "cross-account rules; the pull's verdict uses the local evaluator with all of them."),
            evidence=[line for _, line in differ],
        )]
    return [Finding("iam.simulator-agreement", "pass",
                    detail=f"All {len(agree)} simulator answers match the local evaluator (identity policies and boundary).",
                    evidence=[line for _, line in agree])]
