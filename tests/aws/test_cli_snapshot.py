"""`fargate-nb snapshot`: writes the evidence atomically; exit codes 0 / 2 / 3."""

from __future__ import annotations

import pytest

from fargate_nb.cli import main
from fargate_nb.lab.sandbox import free_port
from fargate_nb.model import Snapshot
from tests.aws.envs import Env, build_network, container, register, run_and_stop


@pytest.fixture
def small_env(aws):
    env = Env(image="nginx:1.27")
    build_network(aws, env, endpoints=False)
    register(aws, env, [container(env, secrets=[], logConfiguration=None)], executionRoleArn=None,
             taskRoleArn=None)
    run_and_stop(aws, env)
    return env


def test_snapshot_writes_the_file_and_reports_gaps(small_env, tmp_path, capsys):
    out = tmp_path / "deep" / "snap.json"
    code = main(["snapshot", "--task", small_env.task_arn, "--cluster", small_env.cluster, "-o", str(out)])
    stdout = capsys.readouterr().out.splitlines()
    assert code == 0
    assert stdout[0] == str(out)
    snap = Snapshot.load(out)
    assert snap.task["taskArn"] == small_env.task_arn and snap.images["nginx:1.27"]["ecr"] is False
    assert stdout[1].startswith(f"{len(snap.gaps)} gap")
    assert not list(out.parent.glob(".snap.json.*"))  # no temporary file left behind


def test_snapshot_of_a_service_with_an_explicit_endpoint(small_env, aws, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    from tests.aws.envs import create_service

    create_service(aws, small_env)
    out = tmp_path / "svc.json"
    code = main(["snapshot", "--service", small_env.service, "--cluster", small_env.cluster,
                 "--endpoint-url", aws.endpoint_url, "--region", "us-east-1", "-o", str(out)])
    assert code == 0 and Snapshot.load(out).subject["kind"] == "service"


@pytest.mark.parametrize("argv, message", [
    (["--task", "t"], "--cluster is required"),
    (["--cluster", "c"], "give --task"),
    (["--cluster", "c", "--task", "arn:aws:ecs:us-east-1:1:task/x"], "not a valid ECS task ARN"),
    (["--cluster", "c", "--task", "0123", "--region", "atlantis"], "not an AWS region"),
])
def test_bad_input_exits_2(argv, message, tmp_path, capsys):
    assert main(["snapshot", *argv, "-o", str(tmp_path / "x.json")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x.json").exists()


def test_missing_task_exits_2_with_advice(aws, tmp_path, capsys):
    from tests.aws.envs import client

    client(aws, "ecs").create_cluster(clusterName="web")
    assert main(["snapshot", "--cluster", "web", "--task", "0" * 32, "-o", str(tmp_path / "x.json")]) == 2
    assert "about an hour" in capsys.readouterr().err


def test_no_credentials_exits_3(tmp_path, capsys, monkeypatch):
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    code = main(["snapshot", "--cluster", "web", "--task", "0" * 32, "--region", "us-east-1",
                 "--endpoint-url", f"http://127.0.0.1:{free_port()}", "-o", str(tmp_path / "x.json")])
    assert code == 3 and "no AWS credentials" in capsys.readouterr().err


def test_output_is_required():
    with pytest.raises(SystemExit) as info:
        main(["snapshot", "--cluster", "web", "--task", "0" * 32])
    assert info.value.code == 2
