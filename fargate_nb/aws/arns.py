"""ARNs and ids given by the user or found in task definitions: parse, validate, explain.

A malformed ARN from the user is an `InvalidInputError` (CLI exit 2) with a message that shows
the expected shape; one found in AWS data is never fatal, the collector records a gap instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fargate_nb.aws.errors import InvalidInputError

ARN_RE = re.compile(
    r"^arn:(?P<partition>aws(?:-[a-z]+)*):(?P<service>[a-z0-9-]+):(?P<region>[a-z0-9-]*):"
    r"(?P<account>\d{12}|aws)?:(?P<resource>.+)$"
)
NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
TASK_ID_RE = re.compile(r"^[A-Za-z0-9-]{1,64}$")


@dataclass(frozen=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str | None
    resource: str

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account or ''}:{self.resource}"


def parse_arn(text: object) -> Arn | None:
    """The parts of an ARN, or None when ``text`` is not one."""
    if not isinstance(text, str) or len(text) > 2048:
        return None
    m = ARN_RE.match(text)
    if not m:
        return None
    return Arn(m["partition"], m["service"], m["region"], m["account"], m["resource"])


def show(value: object, limit: int = 80) -> str:
    """A safe, short rendering of a user-given value for error messages."""
    text = value if isinstance(value, str) else str(value)
    return repr(text[:limit] + ("..." if len(text) > limit else ""))


def _ecs_arn(value: str, kind: str, region: str, shape: str) -> Arn:
    arn = parse_arn(value)
    if arn is None or arn.service != "ecs" or not arn.resource.startswith(f"{kind}/") or not arn.account:
        raise InvalidInputError(f"{show(value)} is not a valid ECS {kind} ARN (expected {shape})")
    if arn.region != region:
        raise InvalidInputError(f"the {kind} ARN is in region {arn.region or '(none)'} but the session region is "
                                f"{region}: pass --region {arn.region}")
    return arn


def cluster_name(value: str | None, region: str) -> str:
    """The cluster name from a name or a cluster ARN."""
    if not value or not isinstance(value, str):
        raise InvalidInputError("a cluster is required (--cluster NAME or ARN)")
    if value.startswith("arn:"):
        arn = _ecs_arn(value, "cluster", region, "arn:aws:ecs:REGION:ACCOUNT:cluster/NAME")
        name = arn.resource.split("/", 1)[1]
    else:
        name = value
    if not NAME_RE.match(name):
        raise InvalidInputError(f"{show(value)} is not a valid cluster name (letters, digits, - and _, up to 255)")
    return name


def task_ref(value: str | None, cluster: str, region: str) -> str:
    """The task ARN or id to pass to DescribeTasks; checks it belongs to ``cluster``."""
    if not value or not isinstance(value, str):
        raise InvalidInputError("a task is required (--task ARN or ID)")
    if value.startswith("arn:"):
        arn = _ecs_arn(value, "task", region, "arn:aws:ecs:REGION:ACCOUNT:task/CLUSTER/ID")
        parts = arn.resource.split("/")
        if len(parts) == 3 and parts[1] != cluster:
            raise InvalidInputError(f"the task ARN names cluster {parts[1]!r}, not {cluster!r}")
        if len(parts) not in (2, 3) or not TASK_ID_RE.match(parts[-1]):
            raise InvalidInputError(f"{show(value)} is not a valid ECS task ARN "
                                    "(expected arn:aws:ecs:REGION:ACCOUNT:task/CLUSTER/ID)")
        return value
    if not TASK_ID_RE.match(value):
        raise InvalidInputError(f"{show(value)} is neither a task ARN nor a task id (32 hex digits)")
    return value


def service_name(value: str | None, cluster: str, region: str) -> str:
    """The service name from a name or a service ARN; checks it belongs to ``cluster``."""
    if not value or not isinstance(value, str):
        raise InvalidInputError("a service is required (--service NAME or ARN)")
    if value.startswith("arn:"):
        arn = _ecs_arn(value, "service", region, "arn:aws:ecs:REGION:ACCOUNT:service/CLUSTER/NAME")
        parts = arn.resource.split("/")
        if len(parts) == 3 and parts[1] != cluster:
            raise InvalidInputError(f"the service ARN names cluster {parts[1]!r}, not {cluster!r}")
        name = parts[-1]
    else:
        name = value
    if not NAME_RE.match(name):
        raise InvalidInputError(f"{show(value)} is not a valid service name (letters, digits, - and _)")
    return name


def role_name(arn_or_name: str) -> str | None:
    """The IAM role name (without path) from a role ARN, or a bare name; None if malformed."""
    if not isinstance(arn_or_name, str) or not arn_or_name:
        return None
    if not arn_or_name.startswith("arn:"):
        return arn_or_name if re.match(r"^[\w+=,.@-]{1,64}$", arn_or_name) else None
    arn = parse_arn(arn_or_name)
    if arn is None or arn.service != "iam" or not arn.resource.startswith("role/"):
        return None
    name = arn.resource.rsplit("/", 1)[-1]
    return name if re.match(r"^[\w+=,.@-]{1,64}$", name) else None
