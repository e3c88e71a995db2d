"""Report file names and timestamps: safe on any file system, whatever the resource names hold.

A task id, service or cluster name comes from AWS and may be hostile (path separators, dots,
control characters, thousands of characters); only ``[A-Za-z0-9_-]`` survive into a file name.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
PART_LIMIT = 48
REPORT_SUFFIXES = (".ipynb", ".html", ".md", ".json", ".snapshot.json")


def safe_part(text: Any, limit: int = PART_LIMIT) -> str:
    """One file-name component: unsafe runs become '-', trimmed, never empty."""
    value = _UNSAFE.sub("-", str(text or "")).strip("-_")
    return value[:limit].rstrip("-_") or "unknown"


def resource_name(value: Any) -> str:
    """The last segment of an ARN or path ('arn:...:task/prod/abc' -> 'abc')."""
    text = str(value or "")
    return re.split(r"[/:]", text.rstrip("/:"))[-1] if text else ""


def parse_time(value: Any) -> datetime | None:
    """A datetime from a botocore datetime, an ISO string (as saved in a snapshot) or epoch seconds."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(float(value), UTC)
        except (OverflowError, OSError, ValueError):
            return None
    try:
        parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def stamp(when: datetime) -> str:
    """Compact UTC time for file names: 20240501T101500Z."""
    return when.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def report_name(subject: dict[str, Any] | None, when: datetime) -> str:
    """'task-prod-0a1b2c-20240501T101500Z': kind, cluster, task/service id, UTC time."""
    subject = subject or {}
    kind = safe_part(subject.get("kind") or "task", 16)
    what = subject.get("task") or subject.get("service") or subject.get("taskdef") or ""
    parts = [kind]
    cluster = resource_name(subject.get("cluster"))
    if cluster:
        parts.append(safe_part(cluster))
    parts.append(safe_part(resource_name(what)))
    parts.append(stamp(when))
    return "-".join(parts)


def unique_name(out_dir: Path, name: str) -> str:
    """``name``, or ``name-2``, ``name-3``... so that no file of an earlier report is replaced."""
    candidate, n = name, 1
    while any((out_dir / f"{candidate}{suffix}").exists() for suffix in REPORT_SUFFIXES):
        n += 1
        candidate = f"{name}-{n}"
    return candidate
