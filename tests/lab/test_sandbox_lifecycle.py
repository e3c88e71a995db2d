"""Starting and stopping the sandbox many times leaves nothing behind: no port, thread or process."""

from __future__ import annotations

import os
import socket
import threading
import time
import urllib.request

from fargate_nb.lab.sandbox import HOST, Sandbox


def _children() -> set[int]:
    """This process's child processes (Linux /proc), e.g. a server that was forked."""
    found: set[int] = set()
    for task in os.listdir(f"/proc/{os.getpid()}/task"):
        try:
            with open(f"/proc/{os.getpid()}/task/{task}/children") as fh:
                found.update(int(pid) for pid in fh.read().split())
        except OSError:
            continue  # the thread ended while we looked
    return found


def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1)
        return probe.connect_ex((HOST, port)) == 0


def _answers(sandbox: Sandbox) -> bool:
    url = f"{sandbox.endpoint_url}/moto-api/state-manager/get-transition?model_name=ecs::task"
    with urllib.request.urlopen(url, timeout=10) as resp:  # noqa: S310 - loopback only
        return resp.status == 200 and b"progression" in resp.read()


def _settled(baseline: set[threading.Thread], timeout: float = 5.0) -> set[threading.Thread]:
    """Threads beyond the baseline, after giving finished ones a moment to exit."""
    deadline = time.monotonic() + timeout
    while True:
        extra = {t for t in threading.enumerate() if t.is_alive()} - baseline
        if not extra or time.monotonic() > deadline:
            return extra
        time.sleep(0.05)


def test_ten_start_stop_cycles_leave_no_port_thread_or_process():
    threads_before = set(threading.enumerate())
    children_before = _children()
    ports = []
    for _ in range(10):
        sandbox = Sandbox().start()
        port = sandbox.port
        assert port is not None and _listening(port)
        # A real request, so that a request-handling thread existed too.
        assert _answers(sandbox)
        sandbox.stop()
        assert not sandbox.running
        assert not _listening(port), f"port {port} still accepts connections after stop()"
        ports.append(port)
    assert not _settled(threads_before), "threads left behind after stopping the sandbox"
    assert _children() == children_before, "child processes left behind"
    assert all(not _listening(p) for p in ports)


def test_stop_is_idempotent_and_context_manager_stops_on_error():
    sandbox = Sandbox()
    sandbox.stop()  # never started: nothing to do
    try:
        with sandbox:
            port = sandbox.port
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert not sandbox.running and not _listening(port)
    sandbox.stop()
