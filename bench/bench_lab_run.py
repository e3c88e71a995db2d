"""How long `fargate-nb lab run SCENARIO` takes, phase by phase, from a cold sandbox.

Usage: .venv/bin/python bench/bench_lab_run.py [scenario ...] (default: the demo scenario and two others)
"""

from __future__ import annotations

import subprocess
import sys
import time

from fargate_nb.diagnose import diagnose
from fargate_nb.investigation import Lab
from fargate_nb.lab.sandbox import Sandbox
from fargate_nb.lab.scenarios import DEFAULT_SCENARIO, get_scenario


def phases(scenario_id: str) -> dict[str, float]:
    scenario = get_scenario(scenario_id)
    t0 = time.perf_counter()
    sandbox = Sandbox().start()
    t1 = time.perf_counter()
    env = scenario.provision(sandbox)
    t2 = time.perf_counter()
    diagnosis = diagnose(Lab(sandbox, scenario, env).collect())
    t3 = time.perf_counter()
    sandbox.stop()
    t4 = time.perf_counter()
    assert diagnosis.exit_code == (1 if scenario.expected else 0)
    return {"start": t1 - t0, "provision": t2 - t1, "collect+diagnose": t3 - t2, "stop": t4 - t3, "total": t4 - t0}


def main(argv: list[str]) -> None:
    wanted = argv or [DEFAULT_SCENARIO, "missing-ecr-auth", "dockerhub-secret-kms"]
    print(f"{'scenario':24} {'start s':>8} {'provision s':>11} {'diagnose s':>10} {'stop s':>7} {'total s':>8}")
    for sid in wanted:
        p = phases(sid)
        print(f"{sid:24} {p['start']:8.2f} {p['provision']:11.2f} {p['collect+diagnose']:10.2f} {p['stop']:7.2f} "
              f"{p['total']:8.2f}")
    # The whole command, as a user runs it (interpreter start and imports included).
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "fargate_nb", "lab", "run", wanted[0], "--format", "json"],
                          capture_output=True, text=True)
    print(f"\n`fargate-nb lab run {wanted[0]}` end to end: {time.perf_counter() - start:.2f} s (exit {proc.returncode})")


if __name__ == "__main__":
    main(sys.argv[1:])
