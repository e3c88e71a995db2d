"""Three-valued logic: True, False, or the frozenset of keys the answer depends on (unknown)."""

from __future__ import annotations

from collections.abc import Iterable

from fargate_nb.iam.model import Tri


def tri_and(values: Iterable[Tri]) -> Tri:
    """False wins; otherwise unknown if any part is unknown; True when every part is True."""
    keys: frozenset[str] = frozenset()
    for v in values:
        if v is False:
            return False
        if v is not True:
            keys = keys | v
    return keys if keys else True


def tri_or(values: Iterable[Tri]) -> Tri:
    """True wins; otherwise unknown if any part is unknown; False when every part is False."""
    keys: frozenset[str] = frozenset()
    for v in values:
        if v is True:
            return True
        if v is not False:
            keys = keys | v
    return keys if keys else False


def is_unknown(value: Tri) -> bool:
    return value is not True and value is not False
