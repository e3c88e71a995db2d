"""How long a live ``fargate-nb diagnose`` takes as a fresh process, and how much of it is start-up.

Provisions the lab's default scenario in a local moto sandbox, then runs ``python -m fargate_nb
diagnose --task ... --format json`` as a new process several times and reports the median wall
time, next to ``python -m fargate_nb --version`` (imports only). With ``--baseline DIR`` the same
commands also run against another source tree (e.g. the main checkout) in the same run, for a
before/after. Prints figures; asserts nothing.

    .venv/bin/python bench/bench_startup.py [--repeat 5] [--baseline /work/main]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fargate_nb.lab.build import provision  # noqa: E402
from fargate_nb.lab.sandbox import Sandbox  # noqa: E402


def run_once(argv: list[str], env: dict[str, str], tree: Path) -> tuple[float, int]:
    """Seconds and return code of one run of ``argv`` with ``tree`` first on the path (``-m`` puts the
    working folder first)."""
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=tree, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          check=False)
    return time.perf_counter() - start, done.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--baseline", metavar="DIR", help="another source tree to time the same way")
    args = parser.parse_args()
    with Sandbox() as sandbox:
        env_built = provision(sandbox)
        trees = [("this tree", ROOT)] + ([("baseline", Path(args.baseline).resolve())] if args.baseline else [])
        diagnose = [sys.executable, "-m", "fargate_nb", "diagnose", "--cluster", env_built.cluster,
                    "--task", env_built.task_arn, "--format", "json"]
        version = [sys.executable, "-m", "fargate_nb", "--version"]
        print(f"median (min) of {args.repeat} runs, fresh process each, against the local sandbox; the trees "
              "alternate run by run so a busy machine weighs on both alike")
        times: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.repeat):
            for label, tree in trees:
                env = {**os.environ, **sandbox.env, "PYTHONPATH": str(tree)}
                for what, argv in (("--version", version), ("diagnose", diagnose)):
                    seconds, code = run_once(argv, env, tree)
                    if what == "diagnose" and code not in (0, 1):  # 2-4: it stopped early, the time is not a diagnosis
                        raise SystemExit(f"{label}: diagnose exited {code} (expected 0 or 1); not timing it")
                    times.setdefault((label, what), []).append(seconds)
        for (label, what), runs in times.items():
            tree = dict(trees)[label]
            print(f"{label:>10} {what:>10}: {statistics.median(runs):.2f} s ({min(runs):.2f} s)  [{tree}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
