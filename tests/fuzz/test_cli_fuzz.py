"""Fuzzing `fargate-nb lint` and `fargate-nb explain`: only documented exit codes, never a traceback."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fargate_nb.cli import EXIT_FAIL, EXIT_OK, EXIT_USAGE, main
from tests.fuzz.strategies import FUZZ, JSON, TEXT, WORDS, mutated

TASKDEF = {
    "family": "api", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "cpu": "512", "memory": "1GB",
    "executionRoleArn": "arn:aws:iam::111122223333:role/ecsTaskExecutionRole",
    "runtimePlatform": {"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"},
    "containerDefinitions": [{
        "name": "api", "image": "111122223333.dkr.ecr.us-east-1.amazonaws.com/api:1.4.2", "essential": True,
        "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
        "secrets": [{"name": "DB", "valueFrom": "arn:aws:ssm:us-east-1:111122223333:parameter/db"}],
        "repositoryCredentials": {"credentialsParameter": "arn:aws:secretsmanager:us-east-1:111122223333:secret:x"},
        "dependsOn": [{"containerName": "sidecar", "condition": "START"}],
        "logConfiguration": {"logDriver": "awslogs", "options": {
            "awslogs-group": "/ecs/api", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "api"}}}],
    "volumes": [{"name": "data", "efsVolumeConfiguration": {"fileSystemId": "fs-1"}}],
}
TASKDEF_KEYS = st.sampled_from(sorted({*TASKDEF, "taskRoleArn", "pidMode", "ipcMode", "ephemeralStorage",
                                       "proxyConfiguration", "placementConstraints", "inferenceAccelerators"}))
CONTAINER_KEYS = st.sampled_from(sorted({*TASKDEF["containerDefinitions"][0], "cpu", "memory",
                                         "memoryReservation", "environment", "healthCheck", "command", "links",
                                         "linuxParameters", "ulimits", "user", "privileged", "firelensConfiguration"}))
CONTAINER = st.dictionaries(st.one_of(CONTAINER_KEYS, TEXT), JSON, max_size=6)
TASKDEF_LIKE = st.dictionaries(st.one_of(TASKDEF_KEYS, TEXT), JSON, max_size=6).flatmap(
    lambda d: st.lists(CONTAINER, max_size=3).map(lambda cs: {**d, "containerDefinitions": cs}))
LINT_INPUT = st.one_of(
    mutated(TASKDEF).map(json.dumps),
    TASKDEF_LIKE.map(json.dumps),
    JSON.map(json.dumps),
    st.binary(max_size=100),
    st.integers(4000, 6000).map(lambda n: json.dumps({**TASKDEF, "cpu": 0}).replace('"cpu": 0', '"cpu": ' + "9" * n)),
    st.integers(1, 5000).map(lambda n: "[" * n + "]" * n),
)


def run(argv: list[str]) -> tuple[int, str]:
    """main(argv) -> (exit code, stderr); argparse's own usage errors count as exit 2."""
    out, err = io.StringIO(), io.StringIO()
    stdin = io.TextIOWrapper(io.BytesIO(b""))  # '-' reads standard input: an empty one here
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), mock.patch("sys.stdin", stdin):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
            code = exc.code
    return code, err.getvalue()


def assert_clean(code: int, err: str) -> None:
    assert code in (EXIT_OK, EXIT_FAIL, EXIT_USAGE), (code, err)
    assert "Traceback" not in err
    if code == EXIT_USAGE:
        assert err.strip(), "a usage error says why"


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("lint")


@FUZZ
@given(LINT_INPUT, st.sampled_from([[], ["--format", "json"], ["--no-fargate"]]))
def test_lint_never_crashes(folder, doc, options):
    path = folder / "taskdef.json"
    if isinstance(doc, bytes):
        path.write_bytes(doc)
    else:
        path.write_text(doc, encoding="utf-8")
    assert_clean(*run(["lint", str(path), *options]))


REASONS = st.sampled_from([
    "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref ",
    "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: ",
    "CannotPullContainerError: Error response from daemon: ",
    "ResourceInitializationError: failed to validate logger args: ",
    "Essential container in task exited", "Task failed ELB health checks", "Scaling activity initiated by ",
    "dial tcp 52.94.1.1:443: i/o timeout", "AccessDeniedException", "toomanyrequests: ",
])
CONTROL = st.characters(codec="utf-8", categories=["Cc", "Cf", "Zl", "Zp", "Cs", "Co"], exclude_characters="\x00")
MESSAGES = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=CONTROL, max_size=50),
    st.tuples(REASONS, st.one_of(st.text(max_size=300), WORDS)).map("".join),
    st.tuples(st.text(min_size=1, max_size=20), st.integers(1, 60_000)).map(lambda t: t[0] * t[1]),  # huge
    st.tuples(REASONS, st.integers(1, 20_000)).map(lambda t: t[0] * t[1]),
)


@FUZZ
@given(MESSAGES, st.sampled_from([[], ["--format", "json"]]))
def test_explain_never_crashes(message, options):
    code, err = run(["explain", *options, message])
    assert_clean(code, err)
    assert code != EXIT_FAIL
