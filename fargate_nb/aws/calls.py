"""One read-only AWS call, turned into a fact: a response, "does not exist", or a recorded `Gap`.

Also the job runner: collection is a set of small jobs (one or a few calls each) that return the
follow-up jobs their answers make possible. Jobs never wait for each other, so the same code runs
concurrently on a thread pool or one call at a time with ``max_workers=1`` without deadlocks.
"""

from __future__ import annotations

import base64
import copy
import json
import threading
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import unquote

from botocore import exceptions as bce
from botocore import xform_name
from botocore.parsers import ResponseParserError

from fargate_nb.aws.cache import Cached, RequestKey, request_key
from fargate_nb.aws.errors import (
    CONNECTION_EXCEPTIONS,
    UNAVAILABLE_EXCEPTIONS,
    AwsUnavailableError,
    CredentialsRejectedError,
    InvalidInputError,
    SubjectNotFoundError,
    UnexpectedResponseError,
    classify_code,
    unavailable_message,
)
from fargate_nb.aws.session import AwsContext
from fargate_nb.model import Gap
from fargate_nb.scrub import scrub_obj, scrub_text

#: Operations whose IAM action is not ``service:Operation``.
IAM_ACTION_OVERRIDES: dict[tuple[str, str], str] = {}
#: Only these verbs may ever be sent: the kit is read-only.
READ_ONLY_PREFIXES = ("Describe", "Get", "List", "BatchGet", "Simulate")
#: Reads that return secrets or credentials: the kit never makes them.
NEVER = frozenset({("secretsmanager", "GetSecretValue"), ("secretsmanager", "BatchGetSecretValue"),
                   ("ssm", "GetParameter"), ("ssm", "GetParameters"), ("ssm", "GetParametersByPath"),
                   ("ecr", "GetAuthorizationToken"), ("ecr", "GetDownloadUrlForLayer")})

Job = Callable[[], "Iterable[Job] | None"]


def iam_action(service: str, operation: str) -> str:
    """The IAM action a call needs, e.g. ``("ec2", "DescribeVpcAttribute") -> "ec2:DescribeVpcAttribute"``."""
    return IAM_ACTION_OVERRIDES.get((service, operation), f"{service}:{operation}")


def cache_key(ctx: AwsContext, service: str, operation: str, region: str | None, params: dict[str, Any], *,
              paginate: bool = False, optional: bool = False) -> RequestKey:
    """The run-cache key of a `Caller.call` (the request as the collector makes it)."""
    return request_key(service, operation, region or ctx.region,
                       {**params, "(paginate)": paginate, "(optional)": optional})


@dataclass(frozen=True)
class Outcome:
    """What one call produced: ``data`` (the response), or ``missing``, or a ``gap``."""

    data: dict[str, Any] | None = None
    missing: bool = False
    gap: Gap | None = None
    code: str | None = None  # the error code, when the call failed
    unreached: str | None = None  # "service:Operation: why" when AWS never answered (with the gap)

    @property
    def ok(self) -> bool:
        return self.data is not None


class Caller:
    """Makes calls through an `AwsContext` and keeps the gaps they leave, thread-safely."""

    def __init__(self, ctx: AwsContext) -> None:
        self.ctx = ctx
        self.gaps: list[Gap] = []
        self.answered = 0  # calls AWS answered in its own format (data, not found, denied, errors)
        self.unreached: list[str] = []  # "service:Operation: why" for calls that never got an AWS answer
        self._lock = threading.Lock()

    @property
    def reached_nothing(self) -> bool:
        """True when calls were made and none was answered as AWS answers: unreachable or not AWS."""
        with self._lock:
            return self.answered == 0 and bool(self.unreached)

    def _answered(self) -> None:
        with self._lock:
            self.answered += 1

    def add_gap(self, gap: Gap) -> None:
        with self._lock:
            self.gaps.append(gap)

    def call(self, service: str, operation: str, *, resource: str | None = None, region: str | None = None,
             paginate: bool = False, optional: bool = False, **params: Any) -> Outcome:
        """Call ``service.operation(**params)``; never raises for denied, throttled or missing resources.

        ``optional`` evidence (the policy simulator) records a gap only when the call is denied:
        an endpoint that does not implement it (the sandbox) is not something the user can fix.
        With a run cache on the context (an audit), a read already made in this run is answered
        from it; a gap it left is recorded here again (see `fargate_nb.aws.cache`).
        """
        if not operation.startswith(READ_ONLY_PREFIXES):
            raise RuntimeError(f"refusing to call {service}:{operation}: the collector is read-only")
        if (service, operation) in NEVER:
            raise RuntimeError(f"refusing to call {service}:{operation}: the kit never reads secret values")
        cache = self.ctx.cache
        if cache is None:
            return self._call(service, operation, resource, region, paginate, optional, params)
        key = cache_key(self.ctx, service, operation, region, params, paginate=paginate, optional=optional)
        hit = cache.claim(key)
        if hit is not None:
            return self._replay(hit)
        try:
            out = self._call(service, operation, resource, region, paginate, optional, params)
        except BaseException:
            cache.release(key)
            raise
        cache.store(key, Cached(data=copy.deepcopy(out.data), missing=out.missing, gap=out.gap, code=out.code,
                                unreached=out.unreached))
        return out

    def _replay(self, hit: Cached) -> Outcome:
        """A cached result, accounted for as if the call had been made: its gap joins this caller's gaps."""
        if hit.unreached is not None:
            with self._lock:
                self.unreached.append(hit.unreached)
        else:
            self._answered()
        if hit.gap is not None:
            self.add_gap(hit.gap)
        return Outcome(data=hit.data, missing=hit.missing, gap=hit.gap, code=hit.code, unreached=hit.unreached)

    def _call(self, service: str, operation: str, resource: str | None, region: str | None, paginate: bool,
              optional: bool, params: dict[str, Any]) -> Outcome:
        action = iam_action(service, operation)
        try:
            client = self.ctx.client(service, region)
            method = xform_name(operation)
            if paginate and client.can_paginate(method):
                data = client.get_paginator(method).paginate(**params).build_full_result()
            else:
                data = getattr(client, method)(**params)
        except bce.ClientError as exc:
            error = exc.response.get("Error") or {}
            code = str(error.get("Code") or "Unknown")
            message = str(error.get("Message") or "")
            if code.isdigit():  # botocore's code for an error body it could not read: not an AWS answer
                if optional:
                    return Outcome(code=code)
                status = (exc.response.get("ResponseMetadata") or {}).get("HTTPStatusCode") or code
                return self._unreached(action, f"HTTP {status} {message}".strip() + " (the answer is not in "
                                       "AWS's format: a proxy or an endpoint that is not AWS?)", resource, code)
            self._answered()
            kind = classify_code(code)
            if kind == "not-found":
                return Outcome(missing=True, code=code)
            if kind == "credentials":
                raise CredentialsRejectedError(scrub_text(f"AWS rejected the credentials ({code}): {message}")) from exc
            detail = f"{code}: {message}" if message else code
            if kind == "throttled":
                detail = f"{detail} (still throttled after {self.ctx.max_attempts} attempts)"
            if optional and kind != "denied":
                return Outcome(code=code)
            return self._gap(action, detail, resource, code)
        except UNAVAILABLE_EXCEPTIONS as exc:
            raise AwsUnavailableError(unavailable_message(exc)) from exc
        except CONNECTION_EXCEPTIONS as exc:  # after the retries: this call's evidence is a gap
            return self._unreached(action, f"{_exc_kind(exc)} after {self.ctx.max_attempts} attempts: "
                                   f"{_first_line(exc)}", resource, type(exc).__name__)
        except bce.ParamValidationError as exc:
            return self._gap(action, f"invalid request: {exc}", resource, "ParamValidationError")
        except UnexpectedResponseError as exc:
            if optional:
                return Outcome(code="UnexpectedResponseError")
            return self._unreached(action, f"malformed answer: {_first_line(exc)}", resource,
                                   "UnexpectedResponseError")
        except ResponseParserError:
            if optional:
                return Outcome(code="ResponseParserError")
            return self._gap(action, "the answer could not be parsed (not the service's format: an endpoint "
                             "that does not implement this operation answers so)", resource, "ResponseParserError")
        except bce.BotoCoreError as exc:  # anything else botocore could not complete
            return self._gap(action, f"{type(exc).__name__}: {_first_line(exc)}", resource, type(exc).__name__)
        self._answered()
        return Outcome(data=data)

    def _unreached(self, action: str, detail: str, resource: str | None, code: str) -> Outcome:
        why = f"{action}: {scrub_text(detail)[:200]}"
        with self._lock:
            self.unreached.append(why)
        out = self._gap(action, detail, resource, code)
        return Outcome(gap=out.gap, code=code, unreached=why)

    def _gap(self, action: str, detail: str, resource: str | None, code: str) -> Outcome:
        gap = Gap(api=action, permission=action, error=scrub_text(detail)[:500], resource=resource)
        self.add_gap(gap)
        return Outcome(gap=gap, code=code)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def _exc_kind(exc: Exception) -> str:
    if isinstance(exc, bce.ReadTimeoutError):
        return "no answer (read timeout)"
    if isinstance(exc, bce.ConnectTimeoutError):
        return "cannot connect (connect timeout)"
    return "cannot connect"


# -- turning responses into stored evidence ------------------------------------------------------
def jsonable(value: Any) -> Any:
    """A JSON-ready, scrubbed copy: datetimes as UTC ISO 8601, bytes as base64, no metadata."""
    return scrub_obj(_plain(value))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


class PolicyDecodeError(Exception):
    """A policy document that is neither a JSON object nor URL-encoded JSON."""


def decode_policy(value: Any) -> dict[str, Any] | None:
    """A policy document as a dict: IAM returns URL-encoded JSON, other services plain JSON strings."""
    if value is None or value == "":
        return None
    if isinstance(value, dict):
        return value
    if not isinstance(value, str):
        raise PolicyDecodeError(f"policy document of type {type(value).__name__}")
    text = value.strip()
    if not text.startswith("{"):
        text = unquote(text).strip()
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PolicyDecodeError(f"policy document is not valid JSON: {exc.msg} at {exc.pos}") from exc
    if not isinstance(doc, dict):
        raise PolicyDecodeError("policy document is not a JSON object")
    return doc


# -- the job runner --------------------------------------------------------------------------------
FATAL = (AwsUnavailableError, SubjectNotFoundError, InvalidInputError)


def run_jobs(jobs: Iterable[Job], *, max_workers: int, on_error: Callable[[Job, Exception], None]) -> None:
    """Run ``jobs`` and every follow-up job they return; fatal errors stop everything and propagate.

    Anything else a job raises (a bug, an unexpected response shape) is handed to ``on_error``
    so one surprise costs one piece of evidence, not the whole collection.
    """
    if max_workers <= 1:
        queue: deque[Job] = deque(jobs)
        while queue:
            job = queue.popleft()
            queue.extend(_run_one(job, on_error))
        return
    with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="fargate-nb") as pool:
        pending: dict[Future[Any], Job] = {pool.submit(_run_one, job, on_error): job for job in jobs}
        try:
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    pending.pop(future)
                    for follow in future.result():
                        pending[pool.submit(_run_one, follow, on_error)] = follow
        except BaseException:
            for future in pending:
                future.cancel()
            raise


def _run_one(job: Job, on_error: Callable[[Job, Exception], None]) -> list[Job]:
    try:
        return list(job() or ())
    except FATAL:
        raise
    except Exception as exc:
        on_error(job, exc)
        return []


def job_name(job: Job) -> str:
    func = getattr(job, "func", job)  # functools.partial
    return getattr(func, "__qualname__", None) or getattr(func, "__name__", None) or repr(func)
