"""`fargate-nb explain` prints the step, cause and confirming findings; reads stdin; scrubs URLs."""

import io
import json

from fargate_nb.cli import main

TIMEOUT = ("ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: "
           "unable to retrieve ecr registry auth: service call has been retried 3 time(s): RequestError: send request "
           "failed caused by: Post \"https://api.ecr.us-east-1.amazonaws.com/\": dial tcp 10.0.0.1:443: i/o timeout")


def test_text(capsys):
    assert main(["explain", TIMEOUT]) == 0
    out = capsys.readouterr().out
    assert "registry-auth" in out and "network" in out and "ecr.api" in out and "net.no-route" in out


def test_json_from_stdin_scrubs_signatures(capsys, monkeypatch):
    msg = "CannotPullContainerError: failed open: https://b.s3.amazonaws.com/k?X-Amz-Signature=abcdef123: 403 Forbidden"
    monkeypatch.setattr("sys.stdin", io.StringIO(msg))
    assert main(["explain", "-", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert "abcdef123" not in data["text"]
    assert set(data) >= {"step", "cause", "summary", "finding_ids", "target", "text", "truncated"}


def test_empty_message_is_usage_error(capsys):
    assert main(["explain", "  "]) == 2
    assert "empty" in capsys.readouterr().err
