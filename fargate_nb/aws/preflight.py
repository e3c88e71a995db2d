"""Collect for a pull that has not happened yet: everything but the task. Read-only.

"Would this task pull?" before a deploy: the task definition comes from a file (the
``register-task-definition`` input a pipeline is about to send) or is read by ``family:revision``;
the network comes from the command line (subnets, security groups, public IP) or from the service
the task definition is for (its awsvpc configuration). Then the same jobs as `collect` read what
the pull needs. The snapshot's subject has kind ``taskdef`` (``"preflight": true``), so the
diagnosis and every face treat it like any other subject.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from fargate_nb import __version__
from fargate_nb.aws import arns
from fargate_nb.aws.calls import Job
from fargate_nb.aws.collect import (
    caller_identity,
    describe_service,
    describe_task_definition,
    run_collection,
    task_definition_jobs,
)
from fargate_nb.aws.collect_network import network_jobs
from fargate_nb.aws.errors import InvalidInputError, SubjectNotFoundError
from fargate_nb.aws.session import AwsContext
from fargate_nb.aws.state import Collection
from fargate_nb.model import Snapshot


def collect_preflight(ctx: AwsContext, cluster: str, *, task_definition: dict[str, Any] | None = None,
                      task_definition_ref: str | None = None, subnets: list[str] | None = None,
                      security_groups: list[str] | None = None, assign_public_ip: bool = False,
                      service: str | None = None, simulate: bool = True) -> Snapshot:
    """Read what the pull of ``task_definition`` (a dict) or ``task_definition_ref`` would depend on.

    The network is ``subnets`` + ``security_groups`` + ``assign_public_ip``, else the awsvpc
    configuration of ``service``. Raises `InvalidInputError` for missing or malformed input and
    `SubjectNotFoundError` when the cluster, service or task definition does not exist; the
    rest is as `collect` (gaps for what could not be read).
    """
    if (task_definition is None) == (task_definition_ref is None):
        raise InvalidInputError("give a task definition: a file or family:revision (exactly one)")
    if task_definition is not None and not isinstance(task_definition, dict):
        raise InvalidInputError("the task definition must be a JSON object")
    subnet_ids = [s for s in subnets or [] if s]
    if not subnet_ids and not service:
        raise InvalidInputError("say where the task would run: --subnets (and --security-groups), or --service")
    for value, kind in [*((s, "subnet") for s in subnet_ids), *((g, "sg") for g in security_groups or [])]:
        if not re.fullmatch(rf"{kind}-[0-9a-f]{{8,17}}", value or ""):
            raise InvalidInputError(f"{str(value)[:80]!r} is not a {'subnet' if kind == 'subnet' else 'security group'} "
                                    f"id ({kind}-...)")
    cluster_name = arns.cluster_name(cluster, ctx.region)
    service_name = arns.service_name(service, cluster_name, ctx.region) if service else None
    label = task_definition_ref or _label(task_definition or {})
    subject: dict[str, Any] = {"kind": "taskdef", "cluster": cluster_name, "task": None, "service": service_name,
                               "taskdef": label, "preflight": True}
    snap = Snapshot(region=ctx.region, partition=ctx.partition, subject=subject,
                    collector=f"fargate-nb {__version__}")
    col = Collection(ctx, snap)
    col.parts["simulate"] = simulate
    caller_identity(col)  # first: roles in another account are told apart from the caller's
    if snap.caller:
        snap.account = snap.caller.get("Account")
    first: list[Job] = [partial(_cluster, col, cluster_name)]
    if task_definition is not None:
        first.append(partial(task_definition_jobs, col, task_definition))
    else:
        first.append(partial(describe_task_definition, col, str(task_definition_ref), required=True))
    if subnet_ids:
        first.append(partial(network_jobs, col, subnet_ids=subnet_ids, security_group_ids=list(security_groups or []),
                             assign_public_ip=assign_public_ip, source="preflight"))
    else:
        first.append(partial(describe_service, col, cluster_name, str(service_name), network_only=True))
    run_collection(col, first)
    return snap


def _label(td: dict[str, Any]) -> str:
    family = td.get("family") if isinstance(td.get("family"), str) else "task-definition"
    return f"{family} (file)"


def _cluster(col: Collection, cluster: str) -> None:
    """The cluster must exist (and be active): a deploy to a cluster that is not there fails for other reasons."""
    out = col.call("ecs", "DescribeClusters", resource=cluster, clusters=[cluster])
    if not out.ok:
        return
    found = [c for c in out.data.get("clusters") or [] if c.get("status") != "INACTIVE"]
    if not found:
        raise SubjectNotFoundError(f"cluster {cluster!r} was not found in {col.ctx.region}: check --cluster and --region")
