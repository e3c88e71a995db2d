"""Command-line crashers found by the probe: each is a clear error (exit 2) or a quiet end, never a traceback."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fargate_nb.cli import EXIT_BROKEN_PIPE, EXIT_USAGE
from fargate_nb.lab.sandbox import HOST, Sandbox
from fargate_nb.report.batch import parse_since
from tests.fuzz.test_cli_fuzz import run
from tests.support.snapshots import healthy

CLI = Path(sys.executable).parent / "fargate-nb"


@pytest.fixture
def snapshot_file(tmp_path: Path) -> str:
    return str(healthy().build().save(tmp_path / "good.json"))


def test_save_snapshot_to_a_directory_is_a_usage_error(snapshot_file, tmp_path):
    code, err = run(["diagnose", "--snapshot", snapshot_file, "--save-snapshot", str(tmp_path)])
    assert code == EXIT_USAGE
    assert "is a directory" in err and "Traceback" not in err


def test_save_snapshot_to_an_unwritable_path_is_a_usage_error(snapshot_file, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    code, err = run(["diagnose", "--snapshot", snapshot_file, "--save-snapshot", str(blocker / "out.json")])
    assert code == EXIT_USAGE
    assert "cannot write the snapshot" in err


@pytest.mark.parametrize("since", ["9" * 30 + "h", "99999999d", "9999999999999w", "9" * 5000 + "s"])
def test_since_beyond_year_one_is_a_clear_error(since):
    with pytest.raises(ValueError, match="before the year 1"):
        parse_since(since)
    code, err = run(["report", "--stopped", "--cluster", "prod", "--since", since])  # fails before any AWS call
    assert code == EXIT_USAGE
    assert "--since" in err and len(err) < 300


@pytest.mark.parametrize("port", ["0", "-1", "65536", "99999999999"])
def test_lab_up_port_out_of_range_is_a_usage_error(port):
    code, err = run(["lab", "up", "no-s3-gateway", "--port", port])
    assert code == EXIT_USAGE
    assert "out of range" in err


@pytest.fixture
def busy_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        s.listen()
        yield s.getsockname()[1]


def test_sandbox_on_a_port_in_use_raises_instead_of_hanging(busy_port):
    with pytest.raises(OSError, match="in use"):
        Sandbox(port=busy_port).start()


def test_lab_up_on_a_port_in_use_exits_2_promptly(busy_port):
    result = subprocess.run([str(CLI), "lab", "up", "no-s3-gateway", "--port", str(busy_port)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == EXIT_USAGE, result.stderr
    assert "already in use" in result.stderr and "Traceback" not in result.stderr


def test_lab_up_stops_on_sigterm_while_starting(tmp_path):
    proc = subprocess.Popen([str(CLI), "lab", "up", "no-s3-gateway"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)  # importing and starting: before "Press Ctrl-C"
    proc.send_signal(signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:  # pragma: no cover - the bug this guards against
        proc.kill()
        raise
    assert proc.returncode in (0, 130, -signal.SIGTERM), err
    assert "Traceback" not in err


def test_output_into_a_closed_pipe_ends_quietly():
    proc = subprocess.Popen([str(CLI), "checks"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONUNBUFFERED": "0"})
    proc.stdout.close()  # the reader (say, `head`) is gone before the first write
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert proc.returncode == EXIT_BROKEN_PIPE
    assert "Traceback" not in err and "BrokenPipe" not in err
