"""Shared fixtures. Live-state code is tested over HTTP against a moto server on 127.0.0.1."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from fargate_nb.lab.sandbox import Sandbox

# Never let a test reach a real AWS account or the user's profile.
for _var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
    os.environ.pop(_var, None)
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture(scope="session")
def moto_server() -> Iterator[Sandbox]:
    """One moto server per test process (started once, reset between tests by `aws`)."""
    with Sandbox() as sandbox:
        yield sandbox


@pytest.fixture
def aws(moto_server: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """A clean moto server for this test, with AWS_ENDPOINT_URL and fake credentials set."""
    moto_server.reset()
    for key, value in moto_server.env.items():
        monkeypatch.setenv(key, value)
    yield moto_server
