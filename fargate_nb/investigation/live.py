"""Live AWS beyond one subject: what the task picker lists, and the batch report of stopped tasks."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fargate_nb.investigation.core import LiveTarget, diagnose_target
from fargate_nb.model import Diagnosis, Snapshot


# -- discovery for pickers ---------------------------------------------------------------------
@dataclass
class Discovery:
    """What the task picker may list, bound to a profile and endpoint (region chosen in the widget)."""

    profile: str | None = None
    endpoint_url: str | None = None

    def _ctx(self, region: str | None) -> Any:
        from fargate_nb.aws import make_context

        return make_context(region=region or None, profile=self.profile, endpoint_url=self.endpoint_url)

    def clusters(self, region: str | None) -> list[dict[str, Any]]:
        from fargate_nb.aws.discover import list_clusters

        return list(list_clusters(self._ctx(region)) or [])

    def stopped_tasks(self, region: str | None, cluster: str, since: timedelta) -> list[dict[str, Any]]:
        from fargate_nb.aws.discover import list_stopped_tasks

        return list(list_stopped_tasks(self._ctx(region), cluster, since) or [])

    def services(self, region: str | None, cluster: str) -> list[dict[str, Any]]:
        from fargate_nb.aws.discover import list_services

        return list(list_services(self._ctx(region), cluster) or [])

    def diagnose(self, *, cluster: str, task: str | None = None, service: str | None = None,
                 region: str | None = None) -> tuple[Snapshot, Diagnosis]:
        """Collect and diagnose the task or service picked (the picker's ``diagnose`` callback)."""
        return diagnose_target(cluster=cluster, task=task, service=service, region=region, profile=self.profile,
                               endpoint_url=self.endpoint_url)


DiagnoseTarget = Callable[..., tuple[Snapshot, Diagnosis]]


def report_stopped(target: LiveTarget, out_dir: str | os.PathLike[str], *, since: Any, title: str | None = None,
                   stream: Any = None) -> Any:
    """One report per distinct failure among the cluster's tasks stopped since ``since`` (`report.batch`)."""
    from fargate_nb.aws import collect, make_context
    from fargate_nb.aws.discover import list_stopped_tasks
    from fargate_nb.report.batch import report_stopped as write_reports

    ctx = make_context(region=target.region, profile=target.profile, endpoint_url=target.endpoint_url)
    return write_reports(ctx, target.cluster, out_dir, since=since, title=title, stream=stream,
                         collect=collect, list_tasks=list_stopped_tasks)


