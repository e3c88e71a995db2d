"""How long the sandbox takes to reset and to provision each workshop scenario.

Prints, per scenario: the reset (moto forgets everything and rebuilds its IAM backends), the
provisioning itself, and the first IAM call after a reset separately, since moto loads every AWS
managed policy lazily there. Usage: .venv/bin/python bench/bench_lab.py [scenario ...]
"""

from __future__ import annotations

import statistics
import sys
import time

from fargate_nb.lab.build import provision
from fargate_nb.lab.sandbox import Sandbox
from fargate_nb.lab.scenarios import SCENARIOS


def _timed(func) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def run(sandbox: Sandbox, wanted: list[str]) -> None:
    print(f"{'scenario':32} {'reset s':>8} {'1st IAM s':>9} {'provision s':>11}")
    provisions = []
    for scenario in SCENARIOS:
        if wanted and scenario.id not in wanted:
            continue
        reset = _timed(sandbox.reset)
        first_iam = _timed(lambda: sandbox.client("iam").list_roles())
        took = _timed(lambda s=scenario: provision(sandbox, s.spec))
        provisions.append(took)
        print(f"{scenario.id:32} {reset:8.2f} {first_iam:9.2f} {took:11.2f}")
    if provisions:
        print(f"provision: median {statistics.median(provisions):.2f} s, max {max(provisions):.2f} s "
              f"over {len(provisions)} scenarios")


def main(argv: list[str]) -> int:
    with Sandbox() as sandbox:
        provision(sandbox, SCENARIOS[0].spec)  # warm up: imports, botocore models, clients
        run(sandbox, argv)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
