"""Tolerant readers for EC2 API shapes (botocore's dicts and lists).

Evidence may be saved, edited or hostile: every reader skips what is not the documented shape and
never raises, so one broken entry cannot hide the rest of the network.
"""

from __future__ import annotations

from typing import Any


def dicts(value: Any) -> list[dict[str, Any]]:
    """The dict entries of a list; anything else (a hostile or broken snapshot) is ignored."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def strings(value: Any) -> list[str]:
    """The non-empty string entries of a list (ids such as ``SubnetIds``)."""
    return [v for v in value if isinstance(v, str) and v] if isinstance(value, list) else []


def find(items: Any, key: str, value: Any) -> dict[str, Any] | None:
    """The first dict entry of ``items`` whose ``key`` is ``value``."""
    if value is None:
        return None
    return next((d for d in dicts(items) if d.get(key) == value), None)


def is_available(resource: dict[str, Any]) -> bool:
    """``State`` is ``available`` (VPC endpoints, NAT gateways), in any letter case."""
    return str(resource.get("State") or "").lower() == "available"
