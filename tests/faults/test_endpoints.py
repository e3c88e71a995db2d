"""Endpoints that are not AWS, do not answer, or cannot be used at all: exit 3, never a traceback."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest

from fargate_nb.aws import make_context
from fargate_nb.aws.session import CONNECT_TIMEOUT, DEFAULT_MAX_ATTEMPTS, READ_TIMEOUT
from fargate_nb.lab.sandbox import free_port

TASK = "0123456789abcdef0123456789abcdef"


def _args(endpoint: str, *extra: str) -> list[str]:
    return ["diagnose", "--cluster", "web", "--task", TASK, "--region", "us-east-1", "--endpoint-url", endpoint,
            *extra]


class _NotAws(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_POST(self) -> None:  # noqa: N802 (http.server's spelling)
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b"<!doctype html><html><body><h1>Welcome to nginx!</h1></body></html>"
        self.send_response(self.status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST  # noqa: N815

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture(params=[200, 404, 403])
def not_aws(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An HTTP server on 127.0.0.1 that answers every request with an HTML page and this status."""
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    handler = type("Handler", (_NotAws,), {"status": request.param})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_an_endpoint_that_is_not_aws_is_exit_3(run_cli, not_aws):
    run = run_cli(_args(not_aws, "--format", "json"))
    assert run.code == 3 and run.out == ""
    assert "unreachable or" in run.err and "is not AWS" in run.err and "Traceback" not in run.err


def test_a_refused_endpoint_is_exit_3(run_cli, monkeypatch):
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    run = run_cli(_args(f"http://127.0.0.1:{free_port()}"))
    assert run.code == 3 and "cannot connect" in run.err and "Traceback" not in run.err


def test_timeouts_and_attempts_are_short_and_bounded(monkeypatch):
    """A silent endpoint ends in attempts x (read timeout) plus backoff; bench/bench_silent_endpoint.py times it."""
    monkeypatch.delenv("AWS_MAX_ATTEMPTS", raising=False)
    config = make_context(region="us-east-1").config
    assert (config.connect_timeout, config.read_timeout) == (CONNECT_TIMEOUT, READ_TIMEOUT) == (3, 5)
    assert config.retries == {"mode": "adaptive", "total_max_attempts": DEFAULT_MAX_ATTEMPTS}
    assert DEFAULT_MAX_ATTEMPTS * READ_TIMEOUT + 3 < 30  # backoff before the 2nd and 3rd try is at most 1 + 2 s
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    assert make_context(region="us-east-1").config.retries["total_max_attempts"] == 1


def test_an_unknown_profile_or_no_region_is_exit_3(run_cli, monkeypatch):
    run = run_cli(["diagnose", "--cluster", "web", "--task", TASK, "--region", "us-east-1", "--profile", "nope"])
    assert run.code == 3 and "profile 'nope' is not configured" in run.err
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    run = run_cli(["diagnose", "--cluster", "web", "--task", TASK])
    assert run.code == 3 and "no AWS region" in run.err
