"""One provisioned environment per module: a healthy task in private subnets with every endpoint,
ECR image index, container secrets in Secrets Manager and Parameter Store under a customer-managed
key, and awslogs, so a diagnosis makes every call of the shipped policy (37 calls)."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import botocore.session
import pytest

from fargate_nb.cli import main
from fargate_nb.lab.build import provision
from fargate_nb.lab.sandbox import Sandbox
from fargate_nb.lab.spec import ContainerSecret, EnvSpec, Provisioned
from tests.aws.inject import Injector

FAULT_SPEC = EnvSpec(subnet="private-endpoints", container_secrets=(
    ContainerSecret("DATABASE_URL", "secretsmanager", kms=True), ContainerSecret("API_KEY", "ssm", kms=True)))


@pytest.fixture(scope="module")
def fault_env(moto_server: Sandbox) -> Iterator[Provisioned]:
    """The environment, provisioned once per module on a reset server; tests only read it."""
    moto_server.reset()
    with pytest.MonkeyPatch.context() as mp:
        for key, value in moto_server.env.items():
            mp.setenv(key, value)
        mp.setenv("AWS_MAX_ATTEMPTS", "2")  # one retry: throttling and 5xx are still retried, quickly
        yield provision(moto_server, FAULT_SPEC)


@dataclass
class Run:
    code: int
    out: str
    err: str
    sent: list[str]

    @property
    def diagnosis(self) -> dict[str, Any]:
        return json.loads(self.out)


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch):
    """``run_cli(args, rules)``: `fargate_nb.cli.main` in-process, with ``rules`` injected into every client."""
    real = botocore.session.get_session

    def run(args: list[str], rules: dict[tuple[str, str], Any] | None = None) -> Run:
        sent: list[str] = []
        injector = Injector(rules or {})

        def session(*a: Any, **kw: Any) -> botocore.session.Session:
            core = real(*a, **kw)
            core.register("before-send", lambda event_name, **_: sent.append(event_name.split(".", 1)[1]))
            core.register("before-send", injector)
            return core

        monkeypatch.setattr(botocore.session, "get_session", session)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(args)
        monkeypatch.setattr(botocore.session, "get_session", real)
        return Run(code, out.getvalue(), err.getvalue(), sent)

    return run
