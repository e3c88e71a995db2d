"""The check registry: one pure function per finding id, its metadata taken from the catalogue.

A check is a pure function of a `Snapshot` (plus the derived `PullPlan`) that returns the
findings it evaluated, passing ones included. It never calls AWS and never prints, and it does
not write a finding's title, severity, documentation URL or (for single-step checks) step:
`Check.run` attaches them from `fargate_nb.checks.catalogue`, so findings cannot drift from it.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from fargate_nb.checks.catalogue import CATALOGUE, CheckSpec
from fargate_nb.model import Finding, Snapshot
from fargate_nb.pullflow import PullPlan

CheckFunc = Callable[[Snapshot, PullPlan], Iterable[Finding]]


@dataclass(frozen=True)
class Check:
    spec: CheckSpec
    func: CheckFunc

    @property
    def id(self) -> str:
        return self.spec.id

    def run(self, snapshot: Snapshot, plan: PullPlan) -> list[Finding]:
        """The check's findings with the catalogue's metadata; a check that raises becomes one `unknown`."""
        try:
            produced = list(self.func(snapshot, plan))
        except Exception as exc:  # a broken check must not hide the others
            last = traceback.extract_tb(exc.__traceback__)[-1]
            produced = [Finding(self.id, "unknown", self.spec.step,
                                detail=f"the check could not run: {type(exc).__name__}: {exc} "
                                       f"({last.filename.rsplit('/', 1)[-1]}:{last.lineno}); please report it")]
        return [attach_metadata(f, self.spec) for f in produced]


def attach_metadata(finding: Finding, spec: CheckSpec) -> Finding:
    """Give a finding its catalogue metadata (title, severity, doc URL, and the step of a one-step check)."""
    if finding.id != spec.id:
        raise ValueError(f"check {spec.id!r} returned a finding with id {finding.id!r}")
    finding.title = spec.title
    finding.severity = spec.severity
    finding.doc_url = spec.doc_url
    if spec.step is not None:
        finding.step = spec.step
    return finding


REGISTRY: dict[str, Check] = {}


def check(id: str) -> Callable[[CheckFunc], CheckFunc]:
    """Register a check under its finding id (which must be in the catalogue). One id, one check."""
    spec = CATALOGUE.get(id)
    if spec is None:
        raise ValueError(f"check {id!r} is not in the check catalogue (fargate_nb/checks/catalogue.py)")

    def decorate(func: CheckFunc) -> CheckFunc:
        if id in REGISTRY and REGISTRY[id].func is not func:
            raise ValueError(f"check {id!r} registered twice")
        REGISTRY[id] = Check(spec, func)
        return func

    return decorate
