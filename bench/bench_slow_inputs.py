"""The input families that once made the kit slow, timed as they grow: the time per unit must stay flat.

- scrubbing: many unsigned URLs without a space (the worst case of a lazy regex), and a long stopped
  reason full of presigned layer URLs (µs per KB);
- a task definition repeating the same container N times, diagnosed (ms per container).
"""

from __future__ import annotations

import copy
import time

from fargate_nb.diagnose import diagnose
from fargate_nb.model import Snapshot
from fargate_nb.scrub import scrub_text

SHAPES = {
    "http://a? repeated": lambda n: "http://a?" * (n // 9),
    "presigned layer URLs": lambda n: ('Get "https://prod-us-east-1-starport-layer-bucket.s3.amazonaws.com/x?'
                                       'X-Amz-Algorithm=AWS4&X-Amz-Signature=0123456789abcdef": timeout. ') * (n // 130),
}


def main() -> None:
    print(f"{'shape':<24} {'size':>9} {'seconds':>9} {'µs per KB':>10}")
    for name, make in SHAPES.items():
        for size in (3_000, 30_000, 300_000):
            text = make(size)
            start = time.perf_counter()
            scrub_text(text)
            took = time.perf_counter() - start
            print(f"{name:<24} {len(text):>9} {took:>9.4f} {took / (len(text) / 1000) * 1e6:>10.1f}")


def repeated_containers() -> None:
    base = {"name": "api", "image": "111122223333.dkr.ecr.us-east-1.amazonaws.com/api:1",
            "secrets": [{"name": "DB", "valueFrom": "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf"}],
            "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/api",
                                                                     "awslogs-region": "us-east-1"}}}
    print(f"\n{'repeated containers':<24} {'count':>9} {'seconds':>9} {'ms each':>10}")
    for count in (10, 300, 2000):
        td = {"family": "api", "executionRoleArn": "arn:aws:iam::111122223333:role/exec",
              "containerDefinitions": [copy.deepcopy(base) for _ in range(count)]}
        snap = Snapshot(region="us-east-1", account="111122223333", task_definition=td)
        start = time.perf_counter()
        diagnose(snap)
        took = time.perf_counter() - start
        print(f"{'same container':<24} {count:>9} {took:>9.3f} {took / count * 1000:>10.3f}")


if __name__ == "__main__":
    main()
    repeated_containers()
