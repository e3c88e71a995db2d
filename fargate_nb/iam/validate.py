"""What a user should fix in a policy document (first version: structure only)."""

from __future__ import annotations

from typing import Any

from fargate_nb.iam.compile import compile_policy
from fargate_nb.iam.model import PolicyError, Problem


def validate_policy(doc: Any) -> list[Problem]:
    """List the problems in ``doc``; an empty list means nothing to fix."""
    try:
        compile_policy(doc)
    except PolicyError as exc:
        return [Problem(exc.index, exc.sid, "malformed", exc.detail)]
    return []
