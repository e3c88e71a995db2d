"""What an audit costs as the fleet grows, against the one-at-a-time loop, with AWS-like latency.

For each N, builds N healthy services in a local moto sandbox that share one task definition,
execution role, repository, log group and VPC (as real accounts do; ``--distinct``: each service
its own task definition and image tag), adds a fixed latency to every
HTTP request (a botocore ``before-send`` hook, as bench_collect.py), and measures in the same run:

- the audit (`run_audit`: services listed and described in batches, one run cache, services
  collected side by side);
- the one-at-a-time loop: each service collected (fresh context, no shared cache) and diagnosed
  after the other, as a script calling ``fargate-nb diagnose`` per service would. For large N the
  loop is timed on a sample and extrapolated linearly (marked ``~``).

Prints calls and wall time; asserts nothing. The target of issue 12: calls <= 40 + 5 x N, and 200
services in under 60 s.

    .venv/bin/python bench/bench_fleet.py [--quick] [--distinct] [--sizes 1,10,50,200] [--latency-ms 100]
                                          [--workers 8] [--loop-sample 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fargate_nb.aws import collect, make_context  # noqa: E402
from fargate_nb.diagnose import diagnose  # noqa: E402
from fargate_nb.investigation import run_audit  # noqa: E402
from fargate_nb.lab.fleet import Fleet, build_scale_fleet  # noqa: E402
from fargate_nb.lab.sandbox import Sandbox  # noqa: E402
from tests.aws.inject import simulator  # noqa: E402


def slowed(latency: float) -> Any:
    """An ``on_context`` hook: ``latency`` seconds per HTTP request, and IAM's simulator answered."""

    def slow(**_: Any) -> None:
        time.sleep(latency)

    def hook(ctx: Any) -> None:
        ctx.session.events.register("before-send", slow)
        # moto has no policy simulator: answer it as IAM would, so every run is a complete one.
        ctx.session.events.register("before-send.iam.SimulatePrincipalPolicy", simulator(lambda a, r: "allowed"))

    return hook


def audit_once(sandbox: Sandbox, n: int, latency: float, workers: int) -> tuple[int, float, int]:
    """(calls, seconds, services failing or unknown) of one audit."""
    audit = run_audit(endpoint_url=sandbox.endpoint_url, max_workers=workers, on_context=slowed(latency))
    if len(audit.rows) != n:
        raise SystemExit(f"expected {n} rows, got {len(audit.rows)}: {audit.problems}")
    return audit.calls, audit.seconds, sum(r.status != "pass" for r in audit.rows)


def loop_once(sandbox: Sandbox, fleet: Fleet, latency: float, workers: int, sample: int | None) -> tuple[int, float, bool]:
    """(calls, seconds, extrapolated) of collecting and diagnosing each service separately."""
    services = fleet.services if sample is None or sample >= len(fleet.services) else fleet.services[:sample]
    hook = slowed(latency)
    calls = 0
    start = time.perf_counter()
    for service in services:
        ctx = make_context(endpoint_url=sandbox.endpoint_url, max_workers=workers)
        hook(ctx)
        diagnose(collect(ctx, cluster=service.cluster, service=service.name))
        calls += len(ctx.calls)
    seconds = time.perf_counter() - start
    if len(services) < len(fleet.services):
        scale = len(fleet.services) / len(services)
        return round(calls * scale), seconds * scale, True
    return calls, seconds, False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N = 1 and 10 only")
    parser.add_argument("--sizes", default="1,10,50,200", help="comma-separated fleet sizes")
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--distinct", action="store_true",
                        help="each service has its own task definition and image tag (still one role, repository, VPC)")
    parser.add_argument("--loop-sample", type=int, default=5,
                        help="above 10 services, time the loop on this many and extrapolate")
    args = parser.parse_args()
    sizes = [1, 10] if args.quick else [int(s) for s in args.sizes.split(",") if s.strip()]
    latency = args.latency_ms / 1000
    shared = "role, repository, log group and VPC" if args.distinct else \
        "task definition, role, repository, log group and VPC"
    print(f"latency per request: {args.latency_ms:.0f} ms; audit max_workers={args.workers}; services share one "
          f"{shared}" + ("; each has its own task definition and image tag" if args.distinct else ""))
    header = (f"{'N':>5} {'audit calls':>11} {'40+5N':>6} {'audit s':>8} {'loop calls':>11} {'loop s':>8} "
              f"{'calls ratio':>11} {'time ratio':>10} {'build s':>8}")
    print(header)
    print("-" * len(header))
    with Sandbox() as sandbox, sandbox.activated():
        for n in sizes:
            sandbox.reset()
            start = time.perf_counter()
            fleet = build_scale_fleet(sandbox, n, distinct=args.distinct)
            built = time.perf_counter() - start
            audit_once(sandbox, n, 0, args.workers) if n == sizes[0] else None  # warm models and the sandbox
            calls, seconds, not_passing = audit_once(sandbox, n, latency, args.workers)
            sample = None if n <= 10 else args.loop_sample
            loop_calls, loop_seconds, guessed = loop_once(sandbox, fleet, latency, args.workers, sample)
            mark = "~" if guessed else ""
            print(f"{n:>5} {calls:>11} {40 + 5 * n:>6} {seconds:>8.2f} {mark + str(loop_calls):>11} "
                  f"{mark + format(loop_seconds, '.2f'):>8} {loop_calls / calls:>10.1f}x "
                  f"{loop_seconds / seconds:>9.1f}x {built:>8.2f}"
                  + (f"  ({not_passing} services not passing!)" if not_passing else ""))
    print("~ : the loop timed on a sample of services and extrapolated linearly")
    return 0


if __name__ == "__main__":
    sys.exit(main())
