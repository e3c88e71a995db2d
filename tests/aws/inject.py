"""Make chosen AWS operations answer with real error (or success) responses over botocore's pipeline.

A ``before-send`` handler returns an `AWSResponse` whose body is in the service's own protocol
(JSON 1.1, query XML, EC2 XML), so botocore parses, classifies and retries it exactly as it would
a response from AWS. Nothing is mocked above the HTTP layer.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

from botocore.awsrequest import AWSResponse

JSON_SERVICES = {"ecs", "ecr", "secrets-manager", "ssm", "kms", "cloudwatch-logs"}
QUERY_SERVICES = {"iam", "sts"}


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.body


def error_response(service_id: str, status: int, code: str, message: str) -> AWSResponse:
    """An error response for ``service_id`` (botocore's hyphenated service id) in its protocol."""
    if service_id in JSON_SERVICES:
        body = json.dumps({"__type": code, "message": message}).encode()
        headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": "injected"}
    elif service_id in QUERY_SERVICES:
        body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message>"
                "</Error><RequestId>injected</RequestId></ErrorResponse>").encode()
        headers = {"Content-Type": "text/xml"}
    elif service_id == "ec2":
        body = (f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors>"
                "<RequestID>injected</RequestID></Response>").encode()
        headers = {"Content-Type": "text/xml"}
    else:
        raise ValueError(f"no error format for {service_id}")
    return AWSResponse("https://injected.invalid/", status, headers, _Raw(body))


def ok_response(body: str, content_type: str = "text/xml") -> AWSResponse:
    return AWSResponse("https://injected.invalid/", 200, {"Content-Type": content_type}, _Raw(body.encode()))


class Injector:
    """``before-send`` handler: answers ``(service_id, operation)`` from ``rules``; counts HTTP attempts.

    A rule is ``(status, code, message)`` for an error, or a callable ``request -> AWSResponse``.
    """

    def __init__(self, rules: dict[tuple[str, str], Any]) -> None:
        self.rules = rules
        self.attempts: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def __call__(self, request: Any = None, event_name: str = "", **_: Any) -> AWSResponse | None:
        _, service_id, operation = event_name.split(".", 2)
        key = (service_id, operation)
        rule = self.rules.get(key)
        if rule is None:
            return None
        with self._lock:
            self.attempts[key] = self.attempts.get(key, 0) + 1
        if callable(rule):
            return rule(request)
        status, code, message = rule
        return error_response(service_id, status, code, message)


def _members(form: dict[str, list[str]], name: str) -> list[str]:
    keys = sorted((k for k in form if k.startswith(f"{name}.member.")), key=lambda k: int(k.rsplit(".", 1)[1]))
    return [form[k][0] for k in keys]


def simulator(decide: Any) -> Any:
    """A SimulatePrincipalPolicy responder: ``decide(action, resource) -> "allowed" | "implicitDeny" ...``.

    Answers every action x resource pair of the request; several resources come back as
    ``ResourceSpecificResults`` as the IAM API documents.
    """

    def respond(request: Any, **_: Any) -> AWSResponse:
        body = request.body.decode() if isinstance(request.body, bytes) else str(request.body or "")
        form = parse_qs(body)
        actions, resources = _members(form, "ActionNames"), _members(form, "ResourceArns") or ["*"]
        members = []
        for action in actions:
            if len(resources) == 1:
                decision = decide(action, resources[0])
                members.append(f"<member><EvalActionName>{action}</EvalActionName><EvalResourceName>"
                               f"{resources[0]}</EvalResourceName><EvalDecision>{decision}</EvalDecision>"
                               f"{_matched(decision)}</member>")
                continue
            specific = "".join(f"<member><EvalResourceName>{r}</EvalResourceName><EvalResourceDecision>"
                               f"{decide(action, r)}</EvalResourceDecision>{_matched(decide(action, r))}</member>"
                               for r in resources)
            members.append(f"<member><EvalActionName>{action}</EvalActionName><EvalResourceName>*"
                           f"</EvalResourceName><EvalDecision>{decide(action, resources[0])}</EvalDecision>"
                           f"<ResourceSpecificResults>{specific}</ResourceSpecificResults></member>")
        return ok_response(
            "<SimulatePrincipalPolicyResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">"
            f"<SimulatePrincipalPolicyResult><IsTruncated>false</IsTruncated><EvaluationResults>{''.join(members)}"
            "</EvaluationResults></SimulatePrincipalPolicyResult>"
            "<ResponseMetadata><RequestId>injected</RequestId></ResponseMetadata></SimulatePrincipalPolicyResponse>")

    return respond


def _matched(decision: str) -> str:
    if decision != "allowed":
        return "<MatchedStatements/>"
    return "<MatchedStatements><member><SourcePolicyId>exec-policy</SourcePolicyId></member></MatchedStatements>"
