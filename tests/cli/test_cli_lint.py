"""`fargate-nb lint`: exit codes (0 valid, 1 a problem, 2 unreadable input), text and JSON output, standard input."""

from __future__ import annotations

import copy
import io
import json
import os
import shlex
import subprocess
from pathlib import Path

import pytest

from fargate_nb.cli import main

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / ".venv" / "bin" / "fargate-nb"
ACCT = "111122223333"
GOOD = {
    "family": "api", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "cpu": "512", "memory": "1GB",
    "executionRoleArn": f"arn:aws:iam::{ACCT}:role/ecsTaskExecutionRole",
    "containerDefinitions": [{"name": "api", "image": f"{ACCT}.dkr.ecr.us-east-1.amazonaws.com/api:1.4.2",
                              "portMappings": [{"containerPort": 8080}],
                              "logConfiguration": {"logDriver": "awslogs", "options": {
                                  "awslogs-group": "/ecs/api", "awslogs-region": "us-east-1",
                                  "awslogs-stream-prefix": "api"}}}],
}


def write(tmp_path: Path, doc, name: str = "taskdef.json") -> str:
    path = tmp_path / name
    if isinstance(doc, bytes):
        path.write_bytes(doc)
    else:
        path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return str(path)


def broken() -> dict:
    """Two failures (an unknown member, a wrong type) and one warning (a :latest image)."""
    doc = copy.deepcopy(GOOD)
    c = doc["containerDefinitions"][0]
    c["imagePullBehavior"] = "always"
    c["portMappings"][0]["hostPort"] = "8080"
    c["image"] = f"{ACCT}.dkr.ecr.us-east-1.amazonaws.com/api:latest"
    return doc


class FakeStdin:
    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)


def test_valid_file_exits_0_with_one_summary_line(tmp_path, capsys):
    path = write(tmp_path, GOOD)
    assert main(["lint", path]) == 0
    assert capsys.readouterr().out == f"{path}: valid for Fargate\n"


def blocks(out: str) -> list[str]:
    """The problem blocks of `fargate-nb lint` text: a marked line and its indented continuation lines."""
    found: list[str] = []
    for line in out.splitlines()[1:]:
        if line.startswith(" ") and found:
            found[-1] += "\n" + line
        else:
            found.append(line)
    return found


def test_problems_exit_1_one_block_each_with_mark_path_message_and_fix(tmp_path, capsys):
    path = write(tmp_path, broken(), "my task.json")
    assert main(["lint", path]) == 1
    out = capsys.readouterr().out
    head = out.splitlines()[0]
    assert head == f"{path}: 2 problem(s) for Fargate, 1 warning(s)"
    found = blocks(out)
    assert [block[:2] for block in found] == ["✗ ", "✗ ", "! "]
    by_path = {block.split(": ", 1)[0][2:]: " ".join(part.strip() for part in block.splitlines()) for block in found}
    pull = by_path["containerDefinitions[0].imagePullBehavior"]
    assert "ECS_IMAGE_PULL_BEHAVIOR" in pull and "Fargate does not cache images" in pull and " Fix: Remove" in pull
    # long text wraps; the fix command runs on the linted file itself, quoted for the shell, on a line of its own
    pull_block = next(b for b in found if "imagePullBehavior" in b.splitlines()[0])
    assert all(len(line) <= 120 for line in pull_block.splitlines() if not line.lstrip().startswith("$"))
    command = next(line for line in pull_block.splitlines() if line.startswith("    $ "))[6:]
    assert shlex.split(command) == ["jq", "del(.containerDefinitions[0].imagePullBehavior)", path, ">",
                                    "taskdef.fixed.json"]
    assert "Write it as a number: 8080" in by_path["containerDefinitions[0].portMappings[0].hostPort"]
    assert "mutable tag latest" in by_path["containerDefinitions[0].image"]


def test_warnings_alone_exit_0(tmp_path, capsys):
    doc = copy.deepcopy(GOOD)
    del doc["containerDefinitions"][0]["logConfiguration"]["options"]["awslogs-stream-prefix"]
    assert main(["lint", write(tmp_path, doc)]) == 0
    out = capsys.readouterr().out
    assert "valid for Fargate, 1 warning(s)" in out and "\n! " in out and "✗" not in out


def test_json_is_a_list_of_findings(tmp_path, capsys):
    assert main(["lint", write(tmp_path, broken()), "--format", "json"]) == 1
    findings = json.loads(capsys.readouterr().out)
    assert isinstance(findings, list) and len(findings) == 3
    assert {f["id"] for f in findings} == {"taskdef.invalid"} and {f["step"] for f in findings} == {None}
    assert [f["status"] for f in findings] == ["fail", "fail", "warn"]
    first = findings[0]
    assert set(first) >= {"title", "detail", "evidence", "remediation", "doc_url", "severity"}
    assert first["remediation"]["summary"] and first["doc_url"].startswith("https://docs.aws.amazon.com/")
    assert main(["lint", write(tmp_path, GOOD), "--format", "json"]) == 0
    assert [f["status"] for f in json.loads(capsys.readouterr().out)] == ["pass"]


def test_described_output_and_its_wrapper_are_accepted(tmp_path, capsys):
    described = {**copy.deepcopy(GOOD), "revision": 3, "status": "ACTIVE", "compatibilities": ["EC2", "FARGATE"],
                 "taskDefinitionArn": f"arn:aws:ecs:us-east-1:{ACCT}:task-definition/api:3",
                 "registeredAt": "2024-06-01T10:00:00+00:00", "requiresAttributes": [{"name": "ecs.capability.secrets"}]}
    for doc in (described, {"taskDefinition": described, "tags": [{"key": "team", "value": "x"}]}):
        assert main(["lint", write(tmp_path, doc)]) == 0
        out = capsys.readouterr().out
        assert "valid for Fargate" in out and "\ni " in out and "register-task-definition rejects them" in out
    wrapped = {"taskDefinition": {**described, "cpu": 512}}
    assert main(["lint", write(tmp_path, wrapped), "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)[0]["evidence"] == ["taskDefinition.cpu"]


def test_no_fargate(tmp_path, capsys):
    ec2 = {"family": "api", "containerDefinitions": [{"name": "api", "image": "nginx:1.27", "memory": 256,
                                                      "portMappings": [{"containerPort": 80, "hostPort": 8080}]}]}
    path = write(tmp_path, ec2)
    assert main(["lint", path]) == 1  # for Fargate: not awsvpc, no task size
    assert "networkMode" in capsys.readouterr().out
    assert main(["lint", path, "--no-fargate"]) == 0
    assert "valid for its launch type" in capsys.readouterr().out


def test_reads_standard_input(capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", FakeStdin(json.dumps(GOOD).encode()))
    assert main(["lint", "-"]) == 0
    assert capsys.readouterr().out == "standard input: valid for Fargate\n"
    monkeypatch.setattr("sys.stdin", FakeStdin(json.dumps(broken()).encode()))
    assert main(["lint", "-", "--format", "json"]) == 1
    assert len(json.loads(capsys.readouterr().out)) == 3
    monkeypatch.setattr("sys.stdin", FakeStdin(b"{nope"))
    assert main(["lint", "-"]) == 2
    assert "standard input is not valid JSON" in capsys.readouterr().err


@pytest.mark.parametrize("content, words", [
    ('{"family": ', "not valid JSON (line 1, column 12)"),
    ("", "is empty"),
    ("   \n", "is empty"),
    (b"\xff\xfe\x00{", "not UTF-8"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ("[1, 2]", "holds a list, not a JSON object"),
    ('"taskdef"', "holds a string, not a JSON object"),
    ("null", "holds null, not a JSON object"),
    ("42", "holds a number, not a JSON object"),
])
def test_unusable_input_exits_2_with_a_clear_message(tmp_path, capsys, content, words):
    assert main(["lint", write(tmp_path, content, "bad.json")]) == 2
    captured = capsys.readouterr()
    assert words in captured.err and "Traceback" not in captured.err and captured.out == ""


def test_missing_file_directory_and_huge_file_exit_2(tmp_path, capsys):
    assert main(["lint", str(tmp_path / "nope.json")]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert main(["lint", str(tmp_path)]) == 2
    assert "directory" in capsys.readouterr().err
    huge = tmp_path / "huge.json"
    huge.write_bytes(b" " * 5_000_001)
    assert main(["lint", str(huge)]) == 2
    assert "larger than" in capsys.readouterr().err


def test_hostile_file_name_keys_and_values_print_plain_lines(tmp_path, capsys):
    doc = copy.deepcopy(GOOD)
    doc["\x1b[31mred\nkey"] = 1
    doc["containerDefinitions"][0]["name"] = "api\x1b]0;pwned\x07\u202e"
    doc["containerDefinitions"][0]["privileged"] = True
    path = write(tmp_path, doc, "evil\x1b[2J.json")
    assert main(["lint", path]) == 1
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert len(blocks(out)) == 2  # two problems, each its own block of plain lines
    assert main(["lint", path, "--format", "json"]) == 1
    json.loads(capsys.readouterr().out)


def test_bad_usage_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["lint", "x.json", "--format", "yaml"])
    assert exc.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


@pytest.mark.skipif(not CLI.exists(), reason="the console script is not installed in .venv")
def test_through_the_installed_command(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    bad = subprocess.run([str(CLI), "lint", write(tmp_path, broken()), "--format", "json"], capture_output=True,
                         text=True, env=env, timeout=120)
    assert bad.returncode == 1, bad.stderr
    assert ["containerDefinitions[0].imagePullBehavior"] in [f["evidence"] for f in json.loads(bad.stdout)]
    good = subprocess.run([str(CLI), "lint", "-"], input=json.dumps(GOOD), capture_output=True, text=True, env=env,
                          timeout=120)
    assert good.returncode == 0 and good.stdout == "standard input: valid for Fargate\n"
    missing = subprocess.run([str(CLI), "lint", str(tmp_path / "missing.json")], capture_output=True, text=True,
                             env=env, timeout=120)
    assert missing.returncode == 2 and "cannot read" in missing.stderr and "Traceback" not in missing.stderr
