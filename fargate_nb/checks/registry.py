"""The check registry: every check has an id, a step, a title, a severity and a docs link.

A check is a pure function of a `Snapshot` (plus the derived `PullPlan`) that returns the
findings it evaluated, passing ones included. It never calls AWS and never prints.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from fargate_nb.model import Finding, Snapshot
from fargate_nb.pullflow import PullPlan

CheckFunc = Callable[[Snapshot, PullPlan], Iterable[Finding]]


@dataclass(frozen=True)
class Check:
    id: str  # the finding id it produces (public contract, see DESIGN.md)
    step: str | None
    title: str
    func: CheckFunc
    severity: str = "high"
    doc_url: str | None = None


REGISTRY: dict[str, Check] = {}


def check(id: str, step: str | None, title: str, *, severity: str = "high",
          doc_url: str | None = None) -> Callable[[CheckFunc], CheckFunc]:
    """Register a check under its finding id. One id, one check."""

    def decorate(func: CheckFunc) -> CheckFunc:
        if id in REGISTRY and REGISTRY[id].func is not func:
            raise ValueError(f"check {id!r} registered twice")
        REGISTRY[id] = Check(id, step, title, func, severity, doc_url)
        return func

    return decorate
