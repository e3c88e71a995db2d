"""The faults the suite injects, and the operations it injects them into.

Every fault goes through botocore's whole pipeline (a ``before-send`` hook answers the request or
raises what urllib3 would raise), so classification, retries and parsing are real.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError

from tests.aws.inject import JSON_SERVICES, QUERY_SERVICES, _Raw

#: Listings used by discovery (the task picker), never by a diagnosis.
DISCOVERY_ONLY = frozenset({"ecs:ListClusters", "ecs:ListTasks", "ecs:ListServices", "ecs:DescribeClusters"})
#: IAM prefix -> botocore service id (as in ``before-send.<service id>.<operation>``).
SERVICE_IDS = {"secretsmanager": "secrets-manager", "logs": "cloudwatch-logs"}
#: Evidence that is optional: the policy simulator (identity policies only; the local evaluator decides)
#: and the pull-through cache rules (only a denial is a gap: the sandbox does not implement the call).
OPTIONAL = frozenset({"iam:SimulatePrincipalPolicy", "ecr:DescribePullThroughCacheRules"})
#: The subject: when it cannot be read nothing can be checked.
SUBJECT = frozenset({"ecs:DescribeTasks", "ecs:DescribeTaskDefinition", "ecs:DescribeServices"})

KINDS = ("denied", "throttled", "5xx", "read-timeout", "connection-error", "malformed")


def diagnosis_actions() -> list[str]:
    """Every action of the shipped least-privilege policy that a diagnosis calls."""
    text = resources.files("fargate_nb").joinpath("data/diagnose-policy.json").read_text()
    actions = {a for st in json.loads(text)["Statement"] for a in _listed(st["Action"])}
    return sorted(actions - DISCOVERY_ONLY)


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def service_id(action: str) -> tuple[str, str]:
    prefix, operation = action.split(":", 1)
    return SERVICE_IDS.get(prefix, prefix), operation


def _protocol(sid: str) -> str:
    return "json" if sid in JSON_SERVICES else "query" if sid in QUERY_SERVICES else "ec2"


_CODES = {
    "denied": {"json": (400, "AccessDeniedException"), "query": (403, "AccessDenied"),
               "ec2": (403, "UnauthorizedOperation")},
    "throttled": {"json": (400, "ThrottlingException"), "query": (400, "Throttling"),
                  "ec2": (503, "RequestLimitExceeded")},
    "5xx": {"json": (500, "InternalFailure"), "query": (503, "ServiceUnavailable"), "ec2": (500, "InternalError")},
}
_MALFORMED = (b"", b'{"tasks": [{"taskArn": "arn:aws:ecs:us-', b"\xff\xfe\x00<\x00?\x00x\x00m")


def rule(kind: str, action: str, variant: int = 0) -> Any:
    """An `Injector` rule making ``action`` fail with ``kind`` on every attempt."""
    sid, _ = service_id(action)
    proto = _protocol(sid)
    if kind in _CODES:
        status, code = _CODES[kind][proto]
        return (status, code, f"injected {kind} for {action}")
    if kind == "read-timeout":
        def timeout(request: Any) -> AWSResponse:
            raise ReadTimeoutError(endpoint_url=request.url)
        return timeout
    if kind == "connection-error":
        def refused(request: Any) -> AWSResponse:
            raise EndpointConnectionError(endpoint_url=request.url)
        return refused
    if kind == "malformed":
        body = _MALFORMED[variant % len(_MALFORMED)]
        if proto != "json" and body.startswith(b"{"):
            body = f"<{service_id(action)[1]}Response><Result><member>".encode()  # truncated XML
        content_type = "application/x-amz-json-1.1" if proto == "json" else "text/xml"

        def malformed(request: Any) -> AWSResponse:
            return AWSResponse(request.url, 200, {"Content-Type": content_type}, _Raw(body))
        return malformed
    raise ValueError(kind)
