"""Preflight: "would this task pull?" before it runs, as an `Investigation` like any other.

The task definition (a file's JSON, or ``family:revision`` / its ARN) and where it would run (subnets,
security groups, public IP; or the service it is deployed to) are collected by
`fargate_nb.aws.preflight.collect_preflight`, then diagnosed: the same findings, verdict and exit
codes as a task that ran, with the task-definition lint (``taskdef.invalid``) among the checks.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from fargate_nb.diagnose import diagnose
from fargate_nb.investigation.core import Investigation
from fargate_nb.model import Snapshot


def task_definition_input(value: dict[str, Any] | str | os.PathLike[str]) -> tuple[dict[str, Any] | None, str | None]:
    """(document, None) for a dict or a JSON file; (None, reference) for ``family:revision`` or an ARN.

    A describe-task-definition answer (``{"taskDefinition": {...}}``) is unwrapped. Raises
    `ValueError` for a file that cannot be read (`fargate_nb.taskdef.document`) or is not a JSON object.
    """
    from fargate_nb.taskdef import unwrap
    from fargate_nb.taskdef.document import load_document, safe_text

    if isinstance(value, dict):
        return unwrap(value)[0], None
    path = Path(value)
    if isinstance(value, os.PathLike) or path.suffix.lower() == ".json" or path.is_file():
        doc = unwrap(load_document(str(path), stdin=False))[0]
        if not isinstance(doc, dict):
            raise ValueError(f"{safe_text(str(path))} is not a task definition (a JSON object)")
        return doc, None
    return None, str(value)


def collect_preflight_snapshot(*, cluster: str, task_definition: dict[str, Any] | str | os.PathLike[str],
                               subnets: list[str] | None = None, security_groups: list[str] | None = None,
                               assign_public_ip: bool = False, service: str | None = None,
                               region: str | None = None, profile: str | None = None,
                               endpoint_url: str | None = None) -> Snapshot:
    """The evidence a pull of ``task_definition`` would rest on (read-only)."""
    from fargate_nb.aws import make_context
    from fargate_nb.aws.preflight import collect_preflight

    document, reference = task_definition_input(task_definition)
    ctx = make_context(region=region, profile=profile, endpoint_url=endpoint_url)
    return collect_preflight(ctx, cluster, task_definition=document, task_definition_ref=reference,
                             subnets=subnets, security_groups=security_groups,
                             assign_public_ip=assign_public_ip, service=service)


def open_preflight(*, cluster: str, task_definition: dict[str, Any] | str | os.PathLike[str],
                   subnets: list[str] | None = None, security_groups: list[str] | None = None,
                   assign_public_ip: bool = False, service: str | None = None, region: str | None = None,
                   profile: str | None = None, endpoint_url: str | None = None) -> Investigation:
    """Would ``task_definition`` pull in ``cluster`` with this network (or ``service``'s)? Collected, then diagnosed.

    Raises `ValueError` (incl. `fargate_nb.aws.InvalidInputError`) for bad input,
    `SubjectNotFoundError` for an unknown cluster, service or task definition, and
    `AwsUnavailableError` when AWS cannot be used.
    """
    snapshot = collect_preflight_snapshot(cluster=cluster, task_definition=task_definition, subnets=subnets,
                                          security_groups=security_groups, assign_public_ip=assign_public_ip,
                                          service=service, region=region, profile=profile, endpoint_url=endpoint_url)
    label = (snapshot.subject or {}).get("taskdef") or "task definition"
    return Investigation(snapshot, diagnose(snapshot), source=f"preflight of {label} in cluster {cluster}")
