"""Small builders shared by the IAM evaluator tests."""

from __future__ import annotations

from typing import Any

from fargate_nb.iam import Request, evaluate

ACCOUNT = "111122223333"
OTHER = "444455556666"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/exec"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/exec/task-1"
USER = f"arn:aws:iam::{ACCOUNT}:user/alice"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
REPO = f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/app"
OTHER_REPO = f"arn:aws:ecr:us-east-1:{OTHER}:repository/shared"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ABSENT = object()


def policy(*statements: dict[str, Any], version: str | None = "2012-10-17") -> dict[str, Any]:
    doc: dict[str, Any] = {"Statement": list(statements)}
    if version is not None:
        doc["Version"] = version
    return doc


def allow(action: Any = "*", resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any = "*", resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def grant(principal: Any, action: Any = "*", effect: str = "Allow", **extra: Any) -> dict[str, Any]:
    """A resource-policy statement (no Resource element, as in ECR repository policies)."""
    return {"Effect": effect, "Principal": principal, "Action": action, **extra}


def condition_outcome(block: dict[str, Any], context: dict[str, Any] | None = None,
                      unknown: tuple[str, ...] = (), principal: str = ROLE) -> bool | str:
    """Whether an Allow statement with this Condition block applies: True, False or "unknown"."""
    doc = policy(allow("ecr:BatchGetImage", REPO, Condition=block))
    d = evaluate(Request("ecr:BatchGetImage", REPO, principal, context or {}, frozenset(unknown)), [doc])
    return {"allowed": True, "implicit_deny": False}.get(d.decision, d.decision)
