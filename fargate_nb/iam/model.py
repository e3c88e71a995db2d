"""The evaluator's public value types: the request, the decision, and what went wrong.

A three-valued outcome runs through the evaluator: ``True`` (matches), ``False`` (does not)
and a non-empty ``frozenset`` of lower-cased condition keys (cannot tell: the answer depends on
the values of these keys, which the request carries but we do not know).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: True, False, or the (lower-cased) keys whose unknown values the answer depends on.
Tri = bool | frozenset

DECISIONS = ("allowed", "explicit_deny", "implicit_deny", "unknown")


class PolicyError(ValueError):
    """A policy document that cannot be evaluated as AWS would: the message names the policy and
    the statement (index and Sid) so the user can find and fix it."""

    def __init__(self, message: str, *, label: str | None = None, index: int | None = None,
                 sid: str | None = None) -> None:
        self.label = label
        self.index = index
        self.sid = sid
        self.detail = message
        super().__init__(_where(label, index, sid) + message)

    def relabel(self, label: str) -> PolicyError:
        """The same error, naming the policy as the caller knows it."""
        return PolicyError(self.detail, label=label, index=self.index, sid=self.sid)


def _where(label: str | None, index: int | None, sid: str | None) -> str:
    parts = []
    if label:
        parts.append(f"policy {label!r}")
    if index is not None:
        parts.append(f"statement {index}" + (f" (Sid {sid!r})" if sid else ""))
    return (", ".join(parts) + ": ") if parts else ""


@dataclass(slots=True)
class Request:
    """One API call to authorize.

    ``principal`` is the caller: a role ARN, an assumed-role session ARN
    (``arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION``), a user ARN, an account root ARN, or a
    service principal such as ``ecs-tasks.amazonaws.com``. ``context`` holds the condition keys the
    request carries (names are case-insensitive; values are strings, numbers, booleans, or lists
    for multivalued keys). ``unknown_keys`` names keys the real request carries but whose value we
    do not know: any outcome that depends on them is reported as ``unknown``.
    """

    action: str
    resource: str = "*"
    principal: str = ""
    context: Mapping[str, Any] = field(default_factory=dict)
    unknown_keys: frozenset[str] = frozenset()


@dataclass(slots=True)
class MatchedStatement:
    """A statement that took part in the decision."""

    policy: str  # "identity:NAME", "boundary", "resource", "endpoint", "scp[0]", "trust"
    index: int  # position in the policy's Statement list
    sid: str | None
    effect: str  # "Allow" | "Deny"
    statement: dict[str, Any]
    outcome: str = "match"  # "match", or "unknown" when it depends on unknown keys

    def describe(self) -> str:
        sid = f" (Sid {self.sid!r})" if self.sid else ""
        return f"{self.policy} statement {self.index}{sid}"


@dataclass(slots=True)
class Decision:
    """The answer for one request.

    ``decision`` is ``allowed``, ``explicit_deny``, ``implicit_deny`` or ``unknown``. When it is
    ``unknown``, ``possible`` lists the answers the unknown keys could still lead to (so a caller
    can tell "denied either way" from "might be allowed") and ``missing_context`` names the keys.
    """

    decision: str
    reason: str
    matched: tuple[MatchedStatement, ...] = ()
    missing_context: frozenset[str] = frozenset()
    possible: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.decision not in DECISIONS:
            raise ValueError(f"decision must be one of {DECISIONS}, not {self.decision!r}")
        if not self.possible:  # built by hand: a definite answer is its own only possibility
            self.possible = (frozenset(("allowed", "explicit_deny", "implicit_deny"))
                             if self.decision == "unknown" else frozenset((self.decision,)))

    @property
    def allowed(self) -> bool:
        """True only when the request is known to be allowed."""
        return self.decision == "allowed"

    @property
    def denied(self) -> bool:
        """True when the request is denied whatever the unknown keys hold."""
        return "allowed" not in self.possible

    def __bool__(self) -> bool:  # `if decision:` reads as "is it allowed"
        return self.allowed


@dataclass(frozen=True)
class Problem:
    """One thing a user should fix in a policy (from `validate_policy`)."""

    index: int | None  # statement index, None for the document as a whole
    sid: str | None
    code: str  # e.g. "unknown-action", "resource-not-supported", "condition-never-matches"
    message: str
    severity: str = "error"  # "error" (breaks the pull or the policy) or "warning"

    def __str__(self) -> str:
        where = _where(None, self.index, self.sid)
        return f"{where}{self.message} [{self.code}]"
