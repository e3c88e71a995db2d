"""Lab fixtures: the `aws` sandbox with only the AWS managed policies the lab attaches.

Moto loads ~1,600 AWS managed policies into every IAM backend it creates, and a reset recreates
six of them (one per partition): about 2.5 s per test, then ~1.5 s more on the first IAM call.
The scenarios attach only the policies below, so the lab tests load just those (the server runs
in this process, so the module attribute moto reads is the one patched). Restored after each test.
"""

from __future__ import annotations

import json
from functools import cache

import pytest

from fargate_nb.lab.sandbox import Sandbox

LAB_MANAGED_POLICIES = (
    "AmazonECSTaskExecutionRolePolicy",
    "AmazonEC2ContainerRegistryReadOnly",
    "CloudWatchLogsFullAccess",
    "SecretsManagerReadWrite",
)


@cache
def _lab_policy_data() -> str:
    import moto.iam.models as iam_models

    everything = json.loads(iam_models.aws_managed_policies_data)
    return json.dumps({name: everything[name] for name in LAB_MANAGED_POLICIES if name in everything})


@pytest.fixture
def lab(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    """A clean sandbox (the `aws` fixture), reset with the lab's managed policies only."""
    import moto.iam.models as iam_models

    monkeypatch.setattr(iam_models, "aws_managed_policies_data", _lab_policy_data())
    sandbox: Sandbox = request.getfixturevalue("aws")
    return sandbox

