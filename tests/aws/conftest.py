"""Fixtures for the collector tests: a representative environment built once per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fargate_nb.lab.sandbox import Sandbox
from tests.aws.envs import Env, build_private_env


@pytest.fixture(scope="module")
def private_env(moto_server: Sandbox) -> Iterator[Env]:
    """The representative environment on a freshly reset server, shared by one module's read-only tests.

    Tests using it must not change AWS state (the per-test `aws` fixture would reset it anyway).
    """
    moto_server.reset()
    with pytest.MonkeyPatch.context() as mp:
        for key, value in moto_server.env.items():
            mp.setenv(key, value)
        yield build_private_env(moto_server)
