"""How long `fargate-nb diagnose` takes to give up on an endpoint that never answers.

Starts a TCP server on 127.0.0.1 that accepts connections and never sends a byte (a black-holed
endpoint, a stuck proxy), and one that refuses connections (nothing listening), then runs the CLI
in-process against each with fake credentials. Prints the wall time and the exit code; asserts
nothing (the tests assert the configured timeouts and attempts instead).

    .venv/bin/python bench/bench_silent_endpoint.py [--attempts N]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import socket
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fargate_nb.aws.session import CONNECT_TIMEOUT, DEFAULT_MAX_ATTEMPTS, READ_TIMEOUT  # noqa: E402
from fargate_nb.cli import main  # noqa: E402
from fargate_nb.lab.sandbox import free_port  # noqa: E402

TASK = "0123456789abcdef0123456789abcdef"


def silent_server() -> tuple[str, socket.socket]:
    """A listening socket on 127.0.0.1 that accepts and then says nothing."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            held.append(conn)  # keep it open, never answer

    threading.Thread(target=accept, daemon=True).start()
    return f"http://127.0.0.1:{server.getsockname()[1]}", server


def run(endpoint: str) -> tuple[float, int, str]:
    err = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main(["diagnose", "--cluster", "web", "--task", TASK, "--region", "us-east-1",
                     "--endpoint-url", endpoint])
    return time.perf_counter() - start, code, err.getvalue().strip()


def main_bench() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=None, help="AWS_MAX_ATTEMPTS (default: the kit's)")
    args = parser.parse_args()
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(key, None)
    os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                       "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull})
    if args.attempts:
        os.environ["AWS_MAX_ATTEMPTS"] = str(args.attempts)
    print(f"configured: connect {CONNECT_TIMEOUT} s, read {READ_TIMEOUT} s, "
          f"{os.environ.get('AWS_MAX_ATTEMPTS') or DEFAULT_MAX_ATTEMPTS} attempts per call")
    url, server = silent_server()
    try:
        seconds, code, err = run(url)
        print(f"silent endpoint (accepts, never answers): {seconds:.1f} s, exit {code}: {err[:160]}")
    finally:
        server.close()
    seconds, code, err = run(f"http://127.0.0.1:{free_port()}")
    print(f"refused endpoint (nothing listening):     {seconds:.1f} s, exit {code}: {err[:160]}")


if __name__ == "__main__":
    main_bench()
