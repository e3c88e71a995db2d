"""Small builders shared by the IAM evaluator tests."""

from __future__ import annotations

from typing import Any

from fargate_nb.iam import Request, evaluate
from tests.support.snapshots import ACCT as ACCOUNT
from tests.support.snapshots import KEY_ARN as KEY
from tests.support.snapshots import OTHER_ACCT as OTHER
from tests.support.snapshots import allow, deny, policy

ROLE = f"arn:aws:iam::{ACCOUNT}:role/exec"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/exec/task-1"
USER = f"arn:aws:iam::{ACCOUNT}:user/alice"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
REPO = f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/app"
OTHER_REPO = f"arn:aws:ecr:us-east-1:{OTHER}:repository/shared"
ABSENT = object()

__all__ = ["ABSENT", "ACCOUNT", "KEY", "OTHER", "OTHER_REPO", "REPO", "ROLE", "ROOT", "SESSION", "USER",
           "allow", "condition_outcome", "deny", "grant", "policy"]


def grant(principal: Any, action: Any = "*", effect: str = "Allow", **extra: Any) -> dict[str, Any]:
    """A resource-policy statement (no Resource element, as in ECR repository policies)."""
    return {"Effect": effect, "Principal": principal, "Action": action, **extra}


def condition_outcome(block: dict[str, Any], context: dict[str, Any] | None = None,
                      unknown: tuple[str, ...] = (), principal: str = ROLE) -> bool | str:
    """Whether an Allow statement with this Condition block applies: True, False or "unknown"."""
    doc = policy(allow("ecr:BatchGetImage", REPO, Condition=block))
    d = evaluate(Request("ecr:BatchGetImage", REPO, principal, context or {}, frozenset(unknown)), [doc])
    return {"allowed": True, "implicit_deny": False}.get(d.decision, d.decision)
