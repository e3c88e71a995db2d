"""`fargate-nb explain` and `fargate-nb lint`: formats, standard input, exit codes, bad input without tracebacks."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fargate_nb.cli import main

ROOT = Path(__file__).resolve().parents[1]
CLI = ROOT / ".venv" / "bin" / "fargate-nb"
ACCT = "111122223333"
TIMEOUT = ("ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: "
           "unable to retrieve ecr registry auth: service call has been retried 3 time(s): RequestError: send request "
           "failed caused by: Post \"https://api.ecr.us-east-1.amazonaws.com/\": dial tcp 10.0.0.1:443: i/o timeout")
SIGNED = ("CannotPullContainerError: ref pull has been retried 1 time(s): failed to copy: httpReadSeeker: failed open: "
          "unexpected status code https://prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com/a/b?"
          "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=deadbeefcafe: 403 Forbidden")
GOOD = {
    "family": "api", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "cpu": "512", "memory": "1GB",
    "executionRoleArn": f"arn:aws:iam::{ACCT}:role/ecsTaskExecutionRole",
    "containerDefinitions": [{"name": "api", "image": f"{ACCT}.dkr.ecr.us-east-1.amazonaws.com/api:1.4.2",
                              "logConfiguration": {"logDriver": "awslogs", "options": {
                                  "awslogs-group": "/ecs/api", "awslogs-region": "us-east-1",
                                  "awslogs-stream-prefix": "api"}}}],
}


def write(tmp_path: Path, doc, name="taskdef.json") -> str:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return str(path)


class _Stdin(io.TextIOWrapper):
    """A text stdin with a binary buffer, like the real one."""


def bytes_stdin(data: bytes) -> _Stdin:
    return _Stdin(io.BytesIO(data), encoding="utf-8", errors="replace")


# -- explain ---------------------------------------------------------------------------------------------------
def test_explain_text(capsys):
    assert main(["explain", TIMEOUT]) == 0
    out = capsys.readouterr().out
    assert "registry-auth" in out and "network" in out and "ecr.api" in out and "net.no-route" in out
    assert "pre-2024 wording" in out and "ResourceInitializationError" in out


def test_explain_json_scrubs_presigned_urls(capsys):
    assert main(["explain", SIGNED, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["step"], data["cause"], data["target"]) == ("layers", "permission", "s3")
    assert "deadbeefcafe" not in data["text"] and "X-Amz" not in data["text"]
    assert "prod-us-east-1-starport-layer-bucket" in data["text"]


def test_explain_reads_stdin_even_when_it_is_not_utf8(capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", bytes_stdin(b"CannotPullContainerError: \xff\xfe no space left on device\n"))
    assert main(["explain", "-", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["cause"] == "resource" and "\ufffd" in data["text"]


def test_explain_truncated_and_unknown_messages(capsys):
    assert main(["explain", TIMEOUT[:255]]) == 0
    assert "looks cut" in capsys.readouterr().out
    assert main(["explain", "Essential container in task exited"]) == 0
    assert "not an image-pull step" in capsys.readouterr().out


@pytest.mark.parametrize("message", ["", "   ", "\n"])
def test_explain_empty_message_is_a_usage_error(capsys, message):
    assert main(["explain", message]) == 2
    err = capsys.readouterr().err
    assert "empty" in err and "Traceback" not in err


def test_explain_hostile_text_prints_one_plain_line(capsys):
    assert main(["explain", "\x1b[2J\x1b[31m<script>x</script>\nsequenceDiagram\n`rm -rf /`"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "<script>x</script> sequenceDiagram `rm -rf /`" in out




















# -- through the installed command ---------------------------------------------------------------------------
@pytest.mark.skipif(not CLI.exists(), reason="the console script is not installed in .venv")
def test_installed_command(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    bad = subprocess.run([str(CLI), "lint", str(tmp_path / "missing.json")], capture_output=True, text=True,
                         env=env, timeout=120)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "cannot read" in bad.stderr
    explain = subprocess.run([str(CLI), "explain", "-"], input=TIMEOUT, capture_output=True, text=True, env=env,
                             timeout=120)
    assert explain.returncode == 0 and "ecr.api" in explain.stdout
    assert sys.executable  # the suite and the command share the virtualenv
