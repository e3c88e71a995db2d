"""Listings for pickers and cluster reports: clusters, recently stopped tasks, services. Read-only.

Unlike `collect`, these answer a question the user is waiting on, so a denied or failed call is
raised as `DiscoveryError` with the permission to ask for, instead of being recorded as a gap.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fargate_nb.aws import arns
from fargate_nb.aws.calls import Caller, Outcome, jsonable
from fargate_nb.aws.errors import AwsUnavailableError, SubjectNotFoundError
from fargate_nb.aws.session import AwsContext

DESCRIBE_TASKS_BATCH = 100  # DescribeTasks takes at most 100 tasks
DESCRIBE_SERVICES_BATCH = 10  # DescribeServices takes at most 10 services
DESCRIBE_CLUSTERS_BATCH = 100
STOPPED_TASK_FIELDS = ("taskArn", "taskDefinitionArn", "stoppedAt", "stoppedReason", "stopCode", "group")


class DiscoveryError(RuntimeError):
    """A listing could not be read (denied, throttled, failed); names the permission involved."""


def _check(out: Outcome, what: str, caller: Caller | None = None) -> dict[str, Any]:
    if out.gap is not None and caller is not None and caller.reached_nothing:
        raise AwsUnavailableError(f"AWS is unreachable or the endpoint is not AWS: {caller.unreached[0]}")
    if out.gap is not None:
        raise DiscoveryError(f"cannot list {what}: {out.gap.error} (needs {out.gap.permission})")
    if out.missing:
        raise SubjectNotFoundError(f"cannot list {what}: it does not exist")
    return out.data or {}


def list_clusters(ctx: AwsContext) -> list[dict[str, Any]]:
    """Clusters of the region, by name: clusterName, clusterArn, status and task/service counts."""
    caller = Caller(ctx)
    arns_ = _check(caller.call("ecs", "ListClusters", paginate=True), "clusters", caller).get("clusterArns") or []
    clusters: list[dict[str, Any]] = []
    for i in range(0, len(arns_), DESCRIBE_CLUSTERS_BATCH):
        batch = arns_[i:i + DESCRIBE_CLUSTERS_BATCH]
        data = _check(caller.call("ecs", "DescribeClusters", clusters=batch), "clusters", caller)
        for c in data.get("clusters") or []:
            clusters.append({k: c.get(k) for k in ("clusterName", "clusterArn", "status", "runningTasksCount",
                                                    "pendingTasksCount", "activeServicesCount")})
    return sorted(jsonable(clusters), key=lambda c: c.get("clusterName") or "")


def list_stopped_tasks(ctx: AwsContext, cluster: str,
                       since: timedelta | datetime = timedelta(hours=24)) -> list[dict[str, Any]]:
    """Tasks of ``cluster`` stopped within ``since`` (a duration, or a moment), newest first.

    ECS keeps stopped tasks visible for about an hour, so older ones are rarely listed.
    Each item: taskArn, taskDefinitionArn, stoppedAt (UTC ISO 8601), stoppedReason (scrubbed),
    stopCode, group. Tasks without a stop time yet are kept and listed last.
    """
    name = arns.cluster_name(cluster, ctx.region)
    caller = Caller(ctx)
    listed = _check(caller.call("ecs", "ListTasks", paginate=True, cluster=name, desiredStatus="STOPPED"),
                    f"stopped tasks of cluster {name!r}", caller).get("taskArns") or []
    if isinstance(since, datetime):
        cutoff = since if since.tzinfo else since.replace(tzinfo=UTC)
    else:
        cutoff = datetime.now(UTC) - since
    found: list[tuple[datetime | None, dict[str, Any]]] = []
    for i in range(0, len(listed), DESCRIBE_TASKS_BATCH):
        data = _check(caller.call("ecs", "DescribeTasks", cluster=name, tasks=listed[i:i + DESCRIBE_TASKS_BATCH]),
                      f"tasks of cluster {name!r}", caller)
        for task in data.get("tasks") or []:
            stopped = task.get("stoppedAt")
            if isinstance(stopped, datetime):
                stopped = stopped if stopped.tzinfo else stopped.replace(tzinfo=UTC)
                if stopped < cutoff:
                    continue
            else:
                stopped = None
            found.append((stopped, {k: task.get(k) for k in STOPPED_TASK_FIELDS}))
    oldest = datetime.min.replace(tzinfo=UTC)
    found.sort(key=lambda item: item[0] or oldest, reverse=True)
    return [jsonable(item) for _, item in found]


def list_services(ctx: AwsContext, cluster: str) -> list[dict[str, Any]]:
    """Services of ``cluster`` by name: serviceName, serviceArn, status, taskDefinition, counts, launchType."""
    name = arns.cluster_name(cluster, ctx.region)
    caller = Caller(ctx)
    listed = _check(caller.call("ecs", "ListServices", paginate=True, cluster=name),
                    f"services of cluster {name!r}", caller).get("serviceArns") or []
    services: list[dict[str, Any]] = []
    for i in range(0, len(listed), DESCRIBE_SERVICES_BATCH):
        data = _check(caller.call("ecs", "DescribeServices", cluster=name,
                                  services=listed[i:i + DESCRIBE_SERVICES_BATCH]), f"services of cluster {name!r}", caller)
        for s in data.get("services") or []:
            services.append({k: s.get(k) for k in ("serviceName", "serviceArn", "status", "taskDefinition",
                                                    "desiredCount", "runningCount", "pendingCount", "launchType")})
    return sorted(jsonable(services), key=lambda s: s.get("serviceName") or "")
