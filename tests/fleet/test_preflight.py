"""`fargate-nb preflight` on the sandbox fleet: a task definition that would not pull fails with the right ids."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fargate_nb.aws import make_context
from fargate_nb.aws.calls import READ_ONLY_PREFIXES
from fargate_nb.aws.preflight import collect_preflight
from fargate_nb.cli import main
from fargate_nb.diagnose import diagnose
from fargate_nb.lab.fleet import Fleet, build_fleet


@pytest.fixture
def fleet(aws: Any) -> Fleet:
    return build_fleet(aws)


def task_definition(fleet: Fleet, *, tag: str = "2.0.0", log_group: str = "/ecs/fleet", **extra: Any) -> dict[str, Any]:
    """What a pipeline would pass to register-task-definition for a new release."""
    return {
        "family": "payments-api", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
        "cpu": "256", "memory": "512", "executionRoleArn": fleet.ids["execution_role_arn"],
        "taskRoleArn": fleet.ids["task_role_arn"],
        "containerDefinitions": [{
            "name": "app", "image": f"{fleet.ids['repository_uri']}:{tag}", "essential": True,
            "environment": [{"name": "API_TOKEN", "value": "not-for-the-evidence"}],
            "logConfiguration": {"logDriver": "awslogs", "options": {
                "awslogs-group": log_group, "awslogs-region": fleet.region, "awslogs-stream-prefix": "api"}},
        }],
        **extra,
    }


def write(tmp_path: Path, doc: dict[str, Any], name: str = "taskdef.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return str(path)


def network_args(fleet: Fleet, *, public_ip: bool = True) -> list[str]:
    args = ["--subnets", *fleet.ids["subnets"], "--security-groups", fleet.ids["security_groups"]["task"]]
    return args + (["--assign-public-ip"] if public_ip else [])


def run_json(capsys: Any, argv: list[str]) -> tuple[int, dict[str, Any]]:
    code = main(["preflight", *argv, "--format", "json"])
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip() else {}


def failing(diagnosis: dict[str, Any]) -> set[str]:
    return {f["id"] for f in diagnosis["findings"] if f["status"] == "fail"}


def test_a_healthy_task_definition_passes(fleet: Fleet, tmp_path: Path, capsys: Any) -> None:
    code, diagnosis = run_json(capsys, ["--task-definition", write(tmp_path, task_definition(fleet)),
                                        "--cluster", "payments", *network_args(fleet)])
    assert code == 0, failing(diagnosis)
    assert not failing(diagnosis) and all(s["status"] != "unknown" for s in diagnosis["steps"])
    assert diagnosis["subject"]["kind"] == "taskdef" and diagnosis["subject"]["preflight"] is True


def test_a_broken_task_definition_fails_with_the_right_ids(fleet: Fleet, tmp_path: Path, capsys: Any) -> None:
    doc = task_definition(fleet, tag="9.9.9", log_group="/ecs/not-created", imagePullBehavior="always")
    code, diagnosis = run_json(capsys, ["--task-definition", write(tmp_path, doc), "--cluster", "payments",
                                        *network_args(fleet)])
    assert code == 1
    assert failing(diagnosis) == {"ecr.image-missing", "logs.group-missing", "taskdef.invalid"}


def test_the_network_the_task_would_get_decides_too(fleet: Fleet, tmp_path: Path, capsys: Any) -> None:
    path = write(tmp_path, task_definition(fleet))
    code, diagnosis = run_json(capsys, ["--task-definition", path, "--cluster", "payments",
                                        *network_args(fleet, public_ip=False)])
    assert code == 1 and failing(diagnosis) == {"net.public-ip"}
    # --service: the network of the service the task definition is deployed to
    code, diagnosis = run_json(capsys, ["--task-definition", path, "--cluster", "search", "--service", "crawler"])
    assert code == 1 and failing(diagnosis) == {"net.public-ip"}
    code, diagnosis = run_json(capsys, ["--task-definition", path, "--cluster", "search", "--service", "query"])
    assert code == 0, failing(diagnosis)


def test_a_registered_revision_is_read_by_family_and_revision(fleet: Fleet, capsys: Any) -> None:
    code, diagnosis = run_json(capsys, ["--task-definition", "payments-billing:1", "--cluster", "payments",
                                        *network_args(fleet)])
    assert code == 1 and failing(diagnosis) == {"ecr.image-missing"}


def test_bad_input_is_exit_2(fleet: Fleet, tmp_path: Path, capsys: Any) -> None:
    path = write(tmp_path, task_definition(fleet))
    assert main(["preflight", "--task-definition", path, "--cluster", "nope", *network_args(fleet)]) == 2
    assert main(["preflight", "--task-definition", "no-such-family:7", "--cluster", "payments",
                 *network_args(fleet)]) == 2
    assert main(["preflight", "--task-definition", path, "--cluster", "payments", "--subnets", "not-a-subnet"]) == 2
    assert main(["preflight", "--task-definition", path, "--cluster", "payments"]) == 2  # where would it run?
    assert main(["preflight", "--task-definition", write(tmp_path, [1], "list.json"),  # type: ignore[arg-type]
                 "--cluster", "payments", *network_args(fleet)]) == 2
    assert "nope" in capsys.readouterr().err


def test_preflight_reads_only_and_keeps_no_secret_values(fleet: Fleet, tmp_path: Path, capsys: Any) -> None:
    ctx = make_context()
    snapshot = collect_preflight(ctx, "payments", task_definition=task_definition(fleet, tag="9.9.9"),
                                 subnets=fleet.ids["subnets"], security_groups=[fleet.ids["security_groups"]["task"]],
                                 assign_public_ip=True)
    assert ctx.calls and all(op.startswith(READ_ONLY_PREFIXES) for _, op in ctx.calls)
    assert ("ecs", "DescribeTasks") not in ctx.calls and ("ecs", "RegisterTaskDefinition") not in ctx.calls
    assert "not-for-the-evidence" not in json.dumps(snapshot.to_dict())
    assert {f.id for f in diagnose(snapshot).failed} == {"ecr.image-missing"}
    out = tmp_path / "preflight.md"
    code = main(["preflight", "--task-definition", write(tmp_path, task_definition(fleet)), "--cluster", "payments",
                 *network_args(fleet), "--format", "markdown", "--out", str(out)])
    assert code == 0 and out.read_text().startswith("#") and (out.stat().st_mode & 0o077) == 0
