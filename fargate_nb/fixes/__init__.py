"""What-if fixes: small operations applied to a *copy* of a snapshot, never to AWS.

A finding's ``remediation.fix`` is ``{"op": NAME, ...arguments}``; `apply_fix` dispatches it to
the operation registered under NAME. The what-if panel re-diagnoses the patched copy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fargate_nb.model import Snapshot

FixFunc = Callable[[Snapshot, dict[str, Any]], None]
OPERATIONS: dict[str, FixFunc] = {}


class FixError(ValueError):
    """A what-if operation that cannot be applied to this snapshot."""


def fix_op(name: str) -> Callable[[FixFunc], FixFunc]:
    def decorate(func: FixFunc) -> FixFunc:
        OPERATIONS[name] = func
        return func

    return decorate


def apply_fix(snapshot: Snapshot, fix: dict[str, Any]) -> Snapshot:
    """Return a patched copy of ``snapshot``; the original is left untouched."""
    _load_operations()
    op = fix.get("op")
    if op not in OPERATIONS:
        raise FixError(f"unknown what-if operation {op!r}")
    patched = snapshot.copy()
    OPERATIONS[op](patched, fix)
    return patched


def apply_fixes(snapshot: Snapshot, fixes: list[dict[str, Any]]) -> Snapshot:
    for fix in fixes:
        snapshot = apply_fix(snapshot, fix)
    return snapshot


def _load_operations() -> None:
    # Importing the modules registers their operations.
    from fargate_nb.fixes import iam as _iam  # noqa: F401
    from fargate_nb.fixes import network as _network  # noqa: F401
