"""A local AWS: moto's threaded server on 127.0.0.1, on a free port, with fake credentials.

The kit's live-state code runs against it exactly as against AWS (botocore serializes and parses
real HTTP), and so do papermill kernels and shells given `Sandbox.env`.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import socket
import urllib.request
from collections.abc import Iterator
from typing import Any

SANDBOX_ACCOUNT = "123456789012"  # moto's default account
SANDBOX_REGION = "us-east-1"
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
HOST = "127.0.0.1"  # never anything else: the sandbox must not talk to the network


def _speed_up_managed_policies() -> None:
    """Load AWS managed policies once, and only for the ``aws`` partition.

    moto builds an IAM backend for each of the seven partitions on the first request after a
    reset, each parsing ~1,300 managed policies from JSON again (about 4 s per reset). The sandbox
    lives in the ``aws`` partition only, so the others get none, and the JSON is parsed once.
    If moto's internals change, this quietly does nothing and the sandbox is only slower.
    """
    try:
        from moto.iam import models
    except ImportError:  # pragma: no cover
        return
    backend = getattr(models, "IAMBackend", None)
    if backend is None or getattr(backend, "_fargate_nb_fast_policies", False):
        return
    if not all(hasattr(models, name) for name in ("aws_managed_policies_data", "AWSManagedPolicy")):
        return
    parsed: dict[str, Any] = {}

    def init_aws_policies(self: Any) -> list[Any]:
        from moto.settings import load_iam_aws_managed_policies

        if not load_iam_aws_managed_policies() or getattr(self, "partition", "aws") != "aws":
            return []
        if not parsed:
            parsed.update(json.loads(models.aws_managed_policies_data))
        return [models.AWSManagedPolicy.from_data(name, self.account_id, self.region_name, data)
                for name, data in parsed.items()]

    backend._init_aws_policies = init_aws_policies
    backend._fargate_nb_fast_policies = True


def _roll_deployments_on_update() -> None:
    """Make moto's UpdateService roll the service onto a new task definition, as ECS does.

    On AWS, UpdateService with a new task definition starts a new PRIMARY deployment of it; the
    kit reads a service's task definition from its PRIMARY deployment. Moto changes only the
    service's ``taskDefinition`` and leaves the deployment on the old revision, so a fix that
    registers a revision (or a learner's ``aws ecs update-service``) would never show. Here the
    deployment is replaced by a completed PRIMARY deployment of the new revision. Patched in the
    server's process, so it holds for every client; if moto's internals change, it does nothing.
    """
    try:
        from moto.ecs import models
    except ImportError:  # pragma: no cover
        return
    backend = getattr(models, "EC2ContainerServiceBackend", None)
    original = getattr(backend, "update_service", None)
    if original is None or getattr(original, "_fargate_nb_rolls", False):
        return

    def update_service(self: Any, service_properties: dict[str, Any]) -> Any:
        wanted = service_properties.get("task_definition")
        service = original(self, service_properties)
        deployments = getattr(service, "deployments", None)
        if not (wanted and deployments and isinstance(deployments[0], dict)):
            return service
        arn = self.describe_task_definition(wanted).arn
        service.task_definition = arn
        if deployments[0].get("taskDefinition") != arn:
            from moto.core.utils import utcnow
            from moto.moto_api._internal import mock_random

            now = utcnow()
            service.deployments = [{**deployments[0], "id": f"ecs-svc/{mock_random.randint(0, 32**12)}",
                                    "taskDefinition": arn, "createdAt": now, "updatedAt": now,
                                    "status": "PRIMARY", "rolloutState": "COMPLETED"}]
        return service

    update_service._fargate_nb_rolls = True  # type: ignore[attr-defined]
    backend.update_service = update_service


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def port_available(port: int) -> bool:
    """True when ``port`` can be bound on 127.0.0.1 now (as the server will: address reuse allowed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            return False
        return True


class Sandbox:
    """Start and stop a moto server; use as a context manager.

    >>> with Sandbox() as sb:
    ...     boto3.client("ecs", endpoint_url=sb.endpoint_url, **sb.client_kwargs())
    """

    def __init__(self, region: str = SANDBOX_REGION, port: int | None = None) -> None:
        self.region = region
        self.port = port
        self._server: Any = None
        self._attached = False

    @classmethod
    def attach(cls, endpoint_url: str, region: str = SANDBOX_REGION) -> Sandbox:
        """A handle on a sandbox already running (e.g. `fargate-nb lab up` in another shell).

        Only loopback endpoints are accepted: the lab never talks to anything else.
        """
        from urllib.parse import urlparse

        parsed = urlparse(endpoint_url)
        if parsed.scheme != "http" or parsed.hostname not in (HOST, "localhost") or not parsed.port:
            raise ValueError(f"not a local sandbox endpoint: {endpoint_url!r} (expected http://{HOST}:PORT)")
        sandbox = cls(region=region, port=parsed.port)
        sandbox._attached = True
        return sandbox

    # -- life cycle ------------------------------------------------------------------------
    def start(self) -> Sandbox:
        if self._server is not None:
            return self
        # Managed policies (AmazonECSTaskExecutionRolePolicy ...) must be loaded when IAM starts.
        os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
        # Fargate needs no AMIs; loading moto's catalogue of them costs about a second per reset.
        os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
        logging.getLogger("werkzeug").setLevel(logging.CRITICAL)  # no request logs or tracebacks on the terminal
        from moto.server import ThreadedMotoServer

        _speed_up_managed_policies()
        _roll_deployments_on_update()

        last_error: Exception | None = None
        for _ in range(5):
            port = self.port or free_port()
            if not 0 < port < 65536:
                raise ValueError(f"port {port} is out of range (1-65535)")
            # moto's server binds in its own thread and waits for ever if that fails: probe first.
            if not port_available(port):
                last_error = OSError(errno.EADDRINUSE, f"port {port} on {HOST} is already in use")
                if self.port:
                    raise last_error
                continue
            server = ThreadedMotoServer(ip_address=HOST, port=port, verbose=False)
            try:
                server.start()
            except OSError as exc:  # port taken between probe and bind: try another
                last_error = exc
                if self.port:
                    raise
                continue
            self.port, self._server = port, server
            # moto keeps its state in this process: a new sandbox must not see an earlier one's resources.
            self.reset()
            return self
        raise RuntimeError(f"could not start the sandbox: {last_error}")

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None or self._attached

    def ping(self, timeout: float = 5.0) -> bool:
        """True when a moto server answers at the endpoint (one cheap STS call)."""
        import botocore.config
        import botocore.exceptions

        try:
            self.client("sts", config=botocore.config.Config(
                connect_timeout=timeout, read_timeout=timeout, retries={"max_attempts": 1})).get_caller_identity()
            return True
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError, OSError):
            return False

    # -- what clients need -------------------------------------------------------------------
    @property
    def endpoint_url(self) -> str:
        if self.port is None:
            raise RuntimeError("the sandbox is not started")
        return f"http://{HOST}:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        """Environment variables for boto3, shells and papermill kernels."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            **FAKE_CREDENTIALS,
        }

    def client_kwargs(self) -> dict[str, str]:
        return {
            "endpoint_url": self.endpoint_url,
            "region_name": self.region,
            "aws_access_key_id": FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            "aws_secret_access_key": FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        }

    def client(self, service: str, region: str | None = None, config: Any = None) -> Any:
        import boto3

        kwargs: dict[str, Any] = dict(self.client_kwargs())
        if region:
            kwargs["region_name"] = region
        if config is not None:
            kwargs["config"] = config
        return boto3.session.Session().client(service, **kwargs)

    def reset(self) -> None:
        """Forget every resource (moto's reset API), keeping the server up."""
        req = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST", data=b"")
        with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - loopback only
            resp.read()

    @contextlib.contextmanager
    def activated(self) -> Iterator[Sandbox]:
        """Point this process's boto3 at the sandbox for the duration (restores the environment)."""
        saved = {k: os.environ.get(k) for k in (*self.env, "AWS_PROFILE", "AWS_SESSION_TOKEN")}
        os.environ.update(self.env)
        os.environ.pop("AWS_PROFILE", None)
        os.environ.pop("AWS_SESSION_TOKEN", None)
        try:
            yield self
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
