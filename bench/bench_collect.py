"""How many calls one collection makes and how long it takes with AWS-like latency.

Builds the representative environment (ECR image, secret under a customer-managed key, awslogs,
private subnets with endpoints) in a local moto sandbox, adds a fixed latency to every HTTP
request with a botocore ``before-send`` hook, and collects the stopped task sequentially
(max_workers=1) and concurrently. Prints figures; asserts nothing.

    .venv/bin/python bench/bench_collect.py [--latency-ms 100] [--workers 8] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fargate_nb.aws import collect, make_context  # noqa: E402
from fargate_nb.lab.sandbox import Sandbox  # noqa: E402
from tests.aws.envs import build_private_env  # noqa: E402
from tests.aws.inject import simulator  # noqa: E402


def timed_collection(env: Any, workers: int, latency: float) -> tuple[float, int, int]:
    """(seconds, API calls, gaps) for one collection with ``latency`` seconds added per request."""
    ctx = make_context(max_workers=workers)

    def slow(**_: Any) -> None:
        time.sleep(latency)

    ctx.session.events.register("before-send", slow)
    # moto has no policy simulator: answer it like IAM would, so the run is a complete one.
    ctx.session.events.register("before-send.iam.SimulatePrincipalPolicy", simulator(lambda a, r: "allowed"))
    start = time.perf_counter()
    snap = collect(ctx, cluster=env.cluster, task=env.task_arn)
    return time.perf_counter() - start, len(ctx.calls), len(snap.gaps)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    latency = args.latency_ms / 1000
    with Sandbox() as sandbox, sandbox.activated():
        env = build_private_env(sandbox)
        timed_collection(env, args.workers, 0)  # warm the model cache and the sandbox
        print(f"latency per request: {args.latency_ms:.0f} ms, repeats: {args.repeat}")
        results = {}
        for label, workers in (("sequential", 1), ("concurrent", args.workers)):
            runs = [timed_collection(env, workers, latency) for _ in range(args.repeat)]
            seconds = statistics.median(r[0] for r in runs)
            results[label] = seconds
            print(f"{label:>10} (max_workers={workers}): {runs[0][1]} calls, {runs[0][2]} gaps, "
                  f"median {seconds:.2f} s (min {min(r[0] for r in runs):.2f} s)")
        print(f"speed-up: {results['sequential'] / results['concurrent']:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
