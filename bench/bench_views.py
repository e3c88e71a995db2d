"""Time to diagnose one task and to render its views (prints figures; asserts nothing).

A synthetic task with 1 and with 6 containers (ECR images, secrets, awslogs) whose execution role
cannot read its secrets. `diagnose` runs every check once and builds what the views draw (the
permission matrix, the network rows, the call sequence); the views then only render that Diagnosis:
the plotly figure and its HTML, the mermaid text and the three tables.

    .venv/bin/python bench/bench_views.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import time

from fargate_nb.diagnose import diagnose
from fargate_nb.model import Diagnosis, Snapshot
from fargate_nb.views.diagram import sequence_figure
from fargate_nb.views.mermaid import to_mermaid
from fargate_nb.views.tables import findings_table, network_table, permissions_table

ACCOUNT = "111122223333"
REGION = "us-east-1"
EXEC = f"arn:aws:iam::{ACCOUNT}:role/exec"
POLICY = {"Version": "2012-10-17", "Statement": [{"Sid": "Pull", "Effect": "Allow", "Resource": "*", "Action": [
    "ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer",
    "logs:CreateLogStream", "logs:PutLogEvents"]}]}


def case(containers: int) -> tuple[Snapshot, Diagnosis]:
    defs = [{"name": f"c{i}", "image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/app{i}:1",
             "secrets": [{"name": "DB", "valueFrom": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:db{i}-AbCdEf"}],
             "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": f"/ecs/app{i}"}}}
            for i in range(containers)]
    snap = Snapshot(region=REGION, account=ACCOUNT, subject={"kind": "task", "task": "t"},
                    task_definition={"containerDefinitions": defs, "executionRoleArn": EXEC})
    snap.roles[EXEC] = {"Role": {"RoleName": "exec", "Arn": EXEC}, "InlinePolicies": {"pull": POLICY},
                        "AttachedPolicies": [], "PermissionsBoundary": None}
    return snap, diagnose(snap)


def best(func, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    for containers in (1, 6):
        report(*case(containers), containers, args.rounds)


def report(snap: Snapshot, diag: Diagnosis, containers: int, rounds: int) -> None:
    seq = diag.sequence
    print(f"{containers} container(s): {len(seq.lifelines)} lifelines, {len(seq.calls)} calls, "
          f"{len(diag.permissions)} permission rows, {len(diag.findings)} findings ({diag.status})")
    for name, func in (
        ("diagnose (checks + parts)", lambda: diagnose(snap)),
        ("sequence_figure", lambda: sequence_figure(diag)),
        ("figure to_html", lambda: sequence_figure(diag).to_html(include_plotlyjs=False)),
        ("to_mermaid", lambda: to_mermaid(diag)),
        ("permissions_table styled", lambda: permissions_table(diag, styled=True).to_html()),
        ("network_table styled", lambda: network_table(diag, styled=True).to_html()),
        ("findings_table styled", lambda: findings_table(diag, styled=True).to_html()),
    ):
        print(f"  {name:<26} {best(func, rounds):8.1f} ms (best of {rounds})")


if __name__ == "__main__":
    main()
