"""The shape of a saved snapshot, checked once when it is loaded (`Snapshot.from_dict`).

A snapshot file may come from anywhere (an old collector, a hand edit, a colleague's laptop), so
its shapes are checked before any check reads them: the top-level field types, and the shapes the
checks and the pull plan rely on. Anything else inside the AWS responses is left as it is (checks
read it defensively). A violation raises `SnapshotError` naming the field, e.g.
``snapshot field 'task_definition.containerDefinitions[0]' must be an object``.
"""

from __future__ import annotations

import reprlib
from typing import Any

#: Deeper than any AWS response (policy documents nest about 8 levels); deeper input is refused
#: rather than risking a RecursionError in the code that copies or renders it.
MAX_DEPTH = 64

#: Resource maps: key -> the resource (an object) or None (looked up, does not exist).
RESOURCE_MAPS = ("roles", "repositories", "images", "secrets", "parameters", "kms_keys", "log_groups")
_OPTIONAL_TEXT = ("region", "account", "partition", "collected_at", "collector", "schema")
_NETWORK_LISTS = ("subnets", "route_tables", "internet_gateways", "nat_gateways", "vpc_endpoints",
                  "security_groups", "network_acls", "prefix_lists")


class SnapshotError(ValueError):
    """A snapshot file that cannot be read: broken JSON, wrong schema, wrong shapes."""


def _must(path: str, what: str) -> SnapshotError:
    return SnapshotError(f"snapshot field {path!r} must be {what}")


def _object(value: Any, path: str, *, null: bool = True) -> dict[str, Any]:
    """The object at ``path`` ({} when absent or null and allowed)."""
    if value is None and null:
        return {}
    if not isinstance(value, dict):
        raise _must(path, "an object" + (" or null" if null else ""))
    return value


def _objects(value: Any, path: str) -> list[dict[str, Any]]:
    """A list of objects at ``path`` ([] when absent or null)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise _must(path, "a list")
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise _must(f"{path}[{i}]", "an object")
    return value


def _texts(value: Any, path: str) -> None:
    """A list of strings at ``path`` (absent or null allowed)."""
    if value is None:
        return
    if not isinstance(value, list):
        raise _must(path, "a list")
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise _must(f"{path}[{i}]", "a string")


def _text(obj: dict[str, Any], key: str, path: str) -> None:
    """``obj[key]`` is a string, or absent, or null."""
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        raise _must(f"{path}.{key}" if path else key, "a string or null")


def check_depth(data: Any, limit: int = MAX_DEPTH) -> None:
    """Refuse nesting deeper than ``limit`` (iteratively: deep input cannot overflow the stack here)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            raise SnapshotError(f"the snapshot is nested more than {limit} levels deep; that is not a snapshot")
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)


def _task_definition(td: dict[str, Any]) -> None:
    p = "task_definition"
    for key in ("family", "executionRoleArn", "taskRoleArn", "networkMode", "taskDefinitionArn"):
        _text(td, key, p)
    _object(td.get("runtimePlatform"), f"{p}.runtimePlatform")
    for i, c in enumerate(_objects(td.get("containerDefinitions"), f"{p}.containerDefinitions")):
        cp = f"{p}.containerDefinitions[{i}]"
        _text(c, "name", cp)
        _text(c, "image", cp)
        for j, s in enumerate(_objects(c.get("secrets"), f"{cp}.secrets")):
            _text(s, "name", f"{cp}.secrets[{j}]")
            _text(s, "valueFrom", f"{cp}.secrets[{j}]")
        creds = _object(c.get("repositoryCredentials"), f"{cp}.repositoryCredentials")
        _text(creds, "credentialsParameter", f"{cp}.repositoryCredentials")
        log = _object(c.get("logConfiguration"), f"{cp}.logConfiguration")
        _text(log, "logDriver", f"{cp}.logConfiguration")
        options = _object(log.get("options"), f"{cp}.logConfiguration.options")
        for key in options:
            _text(options, key, f"{cp}.logConfiguration.options")


def _task(task: dict[str, Any]) -> None:
    p = "task"
    for key in ("taskArn", "clusterArn", "taskDefinitionArn", "lastStatus", "stoppedReason", "stopCode"):
        _text(task, key, p)
    for i, att in enumerate(_objects(task.get("attachments"), f"{p}.attachments")):
        _objects(att.get("details"), f"{p}.attachments[{i}].details")
    for i, c in enumerate(_objects(task.get("containers"), f"{p}.containers")):
        for key in ("name", "image", "reason", "lastStatus"):
            _text(c, key, f"{p}.containers[{i}]")
    overrides = _object(task.get("overrides"), f"{p}.overrides")
    _objects(overrides.get("containerOverrides"), f"{p}.overrides.containerOverrides")


def _network(net: dict[str, Any]) -> None:
    if net.get("assign_public_ip") is not None and not isinstance(net["assign_public_ip"], bool):
        raise _must("network.assign_public_ip", "true, false or null")
    _texts(net.get("subnet_ids"), "network.subnet_ids")
    _texts(net.get("security_group_ids"), "network.security_group_ids")
    _object(net.get("vpc"), "network.vpc")
    for key in _NETWORK_LISTS:
        _objects(net.get(key), f"network.{key}")


def validate(data: dict[str, Any]) -> None:
    """Raise `SnapshotError` naming the first field whose shape a check could not trust."""
    check_depth(data)
    for key in _OPTIONAL_TEXT:
        _text(data, key, "")
    subject = _object(data.get("subject"), "subject")
    for key in ("kind", "cluster", "task", "service"):
        _text(subject, key, "subject")
    for key in ("caller", "service"):
        _object(data.get(key), key)
    _task_definition(_object(data.get("task_definition"), "task_definition"))
    _task(_object(data.get("task"), "task"))
    for name in RESOURCE_MAPS:
        for key, value in _object(data.get(name), name).items():
            if value is not None and not isinstance(value, dict):
                raise _must(f"{name}[{reprlib.repr(key)}]", "an object or null")
    _network(_object(data.get("network"), "network"))
    _objects(data.get("simulations"), "simulations")
    for i, gap in enumerate(_objects(data.get("gaps"), "gaps")):
        for key in ("api", "permission", "error", "resource"):
            _text(gap, key, f"gaps[{i}]")
    _texts(data.get("redacted"), "redacted")
