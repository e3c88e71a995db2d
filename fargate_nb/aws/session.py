"""The AWS context: one boto3 session, its clients (created once, shared by threads), the call log.

boto3 clients are thread-safe but sessions are not, so every client is created under a lock and
cached; collector threads only ever use clients. Every API call made through a client is logged
in ``ctx.calls`` as ``(service, operation)`` by a botocore ``before-call`` hook (retries are not
separate calls), which the tests and the benchmark read.
"""

from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse
from xml.etree import ElementTree

import boto3
import botocore.session
from botocore import exceptions as bce
from botocore.config import Config

from fargate_nb import __version__, botomodels
from fargate_nb.aws.cache import RunCache
from fargate_nb.aws.errors import (
    AwsConfigError,
    AwsUnavailableError,
    InvalidInputError,
    UnexpectedResponseError,
    unavailable_message,
)

REGION_RE = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$")
#: Attempts per call (adaptive mode: the first try plus two retries for throttling, 5xx, timeouts).
#: ``AWS_MAX_ATTEMPTS`` in the environment overrides it. With the timeouts below, an endpoint that
#: accepts connections and never answers costs at most 3 x 5 s plus backoff per call.
DEFAULT_MAX_ATTEMPTS = 3
CONNECT_TIMEOUT = 3  # seconds
READ_TIMEOUT = 5  # seconds; every read the collector makes answers in well under a second
DEFAULT_MAX_WORKERS = 8
#: Protocols whose answers are checked before botocore parses them (the collector's services).
_CHECKED_PROTOCOLS = ("json", "query", "ec2")


@dataclass(eq=False)
class AwsContext:
    """Where and how to talk to AWS. Build it with `make_context`."""

    session: boto3.session.Session
    region: str
    endpoint_url: str | None = None
    max_workers: int = DEFAULT_MAX_WORKERS
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    calls: list[tuple[str, str]] = field(default_factory=list)
    #: Every request with its parameters: (service, operation, region, parameters as sorted JSON).
    requests: list[tuple[str, str, str, str]] = field(default_factory=list)
    #: The run cache shared by the subjects of one audit; ``None`` (one diagnosis) reads everything afresh.
    cache: RunCache | None = None
    #: HTTP connections kept per client; default twice ``max_workers`` (an audit runs services side by side).
    pool_size: int | None = None
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def config(self) -> Config:
        return Config(
            retries={"mode": "adaptive", "total_max_attempts": self.max_attempts},
            connect_timeout=CONNECT_TIMEOUT,
            read_timeout=READ_TIMEOUT,
            max_pool_connections=self.pool_size or max(10, 2 * self.max_workers),
            user_agent_extra=f"fargate-nb/{__version__}",
        )

    @property
    def partition(self) -> str:
        """The partition of the session's region (aws, aws-cn, aws-us-gov ...)."""
        try:
            return self.session.get_partition_for_region(self.region) or "aws"
        except Exception:  # unknown region pattern: the commercial partition is the safe guess
            return "aws"

    def client(self, service: str, region: str | None = None) -> Any:
        """The cached client for ``service`` in ``region`` (default: the context's region)."""
        key = (service, region or self.region)
        with self._lock:
            existing = self._clients.get(key)
            if existing is not None:
                return existing
            try:
                client = self.session.client(service, region_name=key[1], endpoint_url=self.endpoint_url,
                                             config=self.config)
            except bce.UnknownEndpointError as exc:
                raise InvalidInputError(f"no {service} endpoint for region {key[1]!r}") from exc
            except (bce.NoRegionError, bce.ProfileNotFound) as exc:
                raise AwsConfigError(unavailable_message(exc)) from exc
            except bce.NoCredentialsError as exc:
                raise AwsUnavailableError(unavailable_message(exc)) from exc
            client.meta.events.register("before-call", self._recorder(service))
            client.meta.events.register("before-parameter-build", self._request_recorder(service, key[1]))
            client.meta.events.register("before-parse", check_response)
            self._clients[key] = client
            return client

    def _recorder(self, service: str):
        def record(model: Any = None, **_: Any) -> None:
            operation = getattr(model, "name", "?")
            with self._lock:
                self.calls.append((service, operation))

        return record

    def _request_recorder(self, service: str, region: str):
        def record(params: Any = None, model: Any = None, **_: Any) -> None:
            text = json.dumps(params or {}, sort_keys=True, default=str, separators=(",", ":"))
            with self._lock:
                self.requests.append((service, getattr(model, "name", "?"), region, text))

        return record


def check_response(operation_model: Any = None, response_dict: dict[str, Any] | None = None, **_: Any) -> None:
    """``before-parse`` hook: refuse an answer that is not in the service's own format.

    botocore turns an empty or non-JSON 200 answer of a JSON service into an empty result, which a
    check would read as "nothing exists". Here such an answer (empty, truncated, not UTF-8, not
    JSON/XML, another operation's XML, an HTML page) raises `UnexpectedResponseError` instead,
    so the call becomes a gap naming the API. 5xx answers are left to botocore (retried, then a gap).
    """
    if not response_dict or operation_model is None:
        return
    status = int(response_dict.get("status_code") or 0)
    protocol = getattr(operation_model.service_model, "protocol", "")
    if status >= 500 or protocol not in _CHECKED_PROTOCOLS or operation_model.has_streaming_output:
        return
    body = response_dict.get("body") or b""
    content_type = str((response_dict.get("headers") or {}).get("content-type") or "?")
    where = f"HTTP {status}, {content_type}, {len(body)} bytes"
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else str(body)
    except UnicodeDecodeError as exc:
        raise UnexpectedResponseError(f"the answer is not UTF-8 ({where})") from exc
    if not text.strip():
        raise UnexpectedResponseError(f"the answer is empty ({where})")
    if protocol == "json":
        try:
            doc = json.loads(text)
        except ValueError as exc:
            raise UnexpectedResponseError(f"the answer is not JSON ({where}): {text[:80]!r}") from exc
        if not isinstance(doc, dict):
            raise UnexpectedResponseError(f"the answer is not a JSON object ({where})")
        return
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        raise UnexpectedResponseError(f"the answer is not XML ({where}): {text[:80]!r}") from exc
    tag = root.tag.rsplit("}", 1)[-1]
    if status < 300 and tag != f"{operation_model.name}Response":
        raise UnexpectedResponseError(f"the answer is not a {operation_model.name} response ({where}, <{tag}>)")


def resolve_max_attempts(max_attempts: int | None = None) -> int:
    """The argument, else ``AWS_MAX_ATTEMPTS`` from the environment, else `DEFAULT_MAX_ATTEMPTS`."""
    if max_attempts is not None:
        value: Any = max_attempts
    else:
        value = os.environ.get("AWS_MAX_ATTEMPTS") or DEFAULT_MAX_ATTEMPTS
    try:
        attempts = int(value)
    except (TypeError, ValueError):
        raise InvalidInputError(f"AWS_MAX_ATTEMPTS={value!r} is not a whole number") from None
    if not 1 <= attempts <= 10:
        raise InvalidInputError(f"max attempts must be between 1 and 10 (got {attempts})")
    return attempts


def make_context(region: str | None = None, profile: str | None = None, endpoint_url: str | None = None,
                 *, max_workers: int = DEFAULT_MAX_WORKERS,
                 max_attempts: int | None = None) -> AwsContext:
    """A context for ``profile`` in ``region``, optionally against ``endpoint_url`` (e.g. the sandbox).

    Without ``endpoint_url`` boto3 itself honours ``AWS_ENDPOINT_URL``. The region comes from the
    argument, else from the profile / ``AWS_REGION`` / ``AWS_DEFAULT_REGION``; none is an
    `AwsConfigError`, and so is an unknown profile (CLI exit 3). ``max_attempts`` defaults to
    ``AWS_MAX_ATTEMPTS`` or `DEFAULT_MAX_ATTEMPTS`.
    """
    attempts = resolve_max_attempts(max_attempts)
    if region is not None and not REGION_RE.match(region):
        raise InvalidInputError(f"{region!r} is not an AWS region name (expected something like us-east-1)")
    if endpoint_url is not None:
        parsed = urlparse(endpoint_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise InvalidInputError(f"--endpoint-url {endpoint_url!r} is not an http(s) URL")
    if max_workers < 1:
        raise InvalidInputError("max_workers must be at least 1")
    try:
        core = botocore.session.get_session()
        if profile and profile not in core.available_profiles:
            raise bce.ProfileNotFound(profile=profile)
        core.register_component("data_loader", botomodels.shared_loader())
        session = boto3.session.Session(botocore_session=core, profile_name=profile or None, region_name=region)
    except bce.ProfileNotFound as exc:
        raise AwsConfigError(f"AWS profile {profile!r} is not configured (see ~/.aws/config)") from exc
    except bce.BotoCoreError as exc:
        raise AwsUnavailableError(unavailable_message(exc)) from exc
    resolved = session.region_name
    if not resolved:
        raise AwsConfigError("no AWS region: pass --region, set AWS_REGION, or give the profile a region")
    if not REGION_RE.match(resolved):
        raise InvalidInputError(f"the configured region {resolved!r} is not an AWS region name")
    return AwsContext(session=session, region=resolved, endpoint_url=endpoint_url,
                      max_workers=max_workers, max_attempts=attempts)
