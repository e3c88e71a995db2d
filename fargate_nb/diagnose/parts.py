"""The parts of a Diagnosis that faces draw: the permission matrix and the network path per destination.

Each is assembled from what the checks decided (their findings, and the permission answers the
permission checks recorded), never re-evaluated, so a table cannot contradict the verdict. The call
sequence of the pull lives in `fargate_nb.diagnose.sequence`.
"""

from __future__ import annotations

from typing import Any

from fargate_nb.checks.catalogue import CATALOGUE
from fargate_nb.checks.permissions.secrets import kms_needs
from fargate_nb.diagnose.sequence import call_kinds, sequence
from fargate_nb.model import Finding, NetworkRow, PermissionRow, Snapshot, worst_status
from fargate_nb.pullflow import Destination, Need, PullPlan

__all__ = ["network_rows", "pull_needs", "permission_rows", "sequence"]

ROLE_KEYS = (("execution", "executionRoleArn"), ("task", "taskRoleArn"))


# -- permissions ---------------------------------------------------------------------------------
def pull_needs(snapshot: Snapshot, plan: PullPlan) -> list[Need]:
    """Every permission the pull needs: the plan's, plus kms:Decrypt on customer managed keys."""
    return [*plan.needs, *kms_needs(snapshot, plan)]


def permission_rows(snapshot: Snapshot, plan: PullPlan, findings: list[Finding],
                    needs: list[Need] | None = None) -> list[PermissionRow]:
    """Each needed action × the execution role and the task role, with the answer the checks recorded."""
    td = snapshot.task_definition or {}
    recorded: dict[tuple[str, str, str], tuple[Any, list[int]]] = {}
    for index, f in enumerate(findings):
        for d in f.decisions:
            # A check may ask IAM about the resource as AWS names it (a secret's full ARN) while the
            # plan names it as the task definition does: the finding's resource links the two.
            for resource in dict.fromkeys(r for r in (d.resource, f.resource) if r):
                key = (d.role, d.action, resource)
                previous = recorded.get(key)
                if previous is None:
                    recorded[key] = (d, [index])
                elif index not in previous[1]:
                    previous[1].append(index)
    rows: list[PermissionRow] = []
    seen: set[tuple[str, str, str]] = set()
    for need in needs if needs is not None else pull_needs(snapshot, plan):
        for role, key in ROLE_KEYS:
            if (role, need.action, need.resource) in seen:
                continue
            seen.add((role, need.action, need.resource))
            role_arn = td.get(key) if isinstance(td.get(key), str) else None
            hit = recorded.get((role, need.action, need.resource))
            if hit is not None:
                d, refs = hit
                rows.append(PermissionRow(need.step, need.action, need.resource, role, d.role_arn, d.decision, d.by,
                                          d.status, need.container, need.why, refs))
            else:
                rows.append(_undecided(need, role, role_arn, findings))
    return rows


def _undecided(need: Need, role: str, role_arn: str | None, findings: list[Finding]) -> PermissionRow:
    """A row no check answered: there is no such role, or the check could not evaluate it (and says why)."""
    if role == "task":
        decision, by = ("no role", "the task definition names no task role") if not role_arn else \
            ("not evaluated", "the task role was not evaluated (see role.confusion)")
        refs = [i for i, f in enumerate(findings) if f.id == "role.confusion"]
        return PermissionRow(need.step, need.action, need.resource, role, role_arn, decision, by, "info",
                             need.container, need.why, refs)
    kinds = call_kinds(need)
    deciders = [i for i, f in enumerate(findings)
                if f.status != "skipped" and _decides_need(f, need, kinds)]
    deciding = [findings[i] for i in deciders]
    status = worst_status((f.status for f in deciding), default="unknown")
    if status == "pass":
        status = "unknown"  # a pass that recorded no answer for this action does not cover it
    if not role_arn:
        decision, by = "no role", "the task definition names no execution role"
    else:
        first = next((f for f in deciding if f.status == status), None)
        decision = "unknown" if status == "unknown" else "not evaluated"
        by = first.text if first is not None else "no check could decide it (see the gaps)"
    return PermissionRow(need.step, need.action, need.resource, role, role_arn, decision, by, status,
                         need.container, need.why, deciders)


def _decides_need(f: Finding, need: Need, kinds: set[str]) -> bool:
    """Is ``f`` an execution-role finding about this need (its role, or the permission itself)?"""
    if f.id.startswith("exec-role."):
        return True  # no usable execution role: nothing it needs can be granted
    spec = CATALOGUE.get(f.id)
    if spec is None or not f.id.startswith("iam.") or spec.per_target:
        return False
    if spec.calls and not kinds & set(spec.calls):
        return False
    if not spec.calls and f.step != need.step:
        return False
    return f.resource in (None, need.resource)


# -- network -------------------------------------------------------------------------------------
#: The network table's check columns, in order (each check's column is declared in the catalogue).
NETWORK_COLUMNS = tuple(dict.fromkeys(spec.network_column for spec in CATALOGUE.values() if spec.network_column))


def network_rows(snapshot: Snapshot, plan: PullPlan, findings: list[Finding]) -> list[NetworkRow]:
    """Per destination the pull must reach: the path taken and each network check's status."""
    rows = []
    for dest in plan.destinations:
        # A destination in another region is its own row (key service@region): another endpoint, another path.
        refs = [i for i, f in enumerate(findings) if f.target == dest.key and f.status != "skipped"]
        about = [findings[i] for i in refs]
        path, endpoint, detail = _path(snapshot, dest)
        checks = {}
        for column in NETWORK_COLUMNS:
            statuses = [f.status for f in about if getattr(CATALOGUE.get(f.id), "network_column", None) == column]
            checks[column] = worst_status(statuses) if statuses else "—"
        statuses = [f.status for f in about if f.status != "info"]
        status = worst_status(statuses) if statuses else ("unknown" if snapshot.network else "skipped")
        kind = "gateway" if dest.target == "s3" else ("interface" if dest.endpoint_service else "")
        rows.append(NetworkRow(dest.key, dest.step, dest.why, path, endpoint, detail, checks, status, refs,
                               endpoint_service=dest.endpoint_service or "", endpoint_type=kind))
    return rows


def _path(snapshot: Snapshot, target: Destination) -> tuple[str, str, str]:
    """(path kind, endpoint id, detail) from the route resolver; 'unknown' when it cannot say."""
    if not snapshot.network:
        return "not-awsvpc", "", "no awsvpc network evidence"
    from fargate_nb.netpath import resolve

    try:
        path = resolve(snapshot, target)
    except Exception as exc:  # one unresolvable path must not hide the others
        return "unknown", "", f"could not resolve: {type(exc).__name__}: {exc}"
    endpoint = getattr(path, "endpoint", None)
    if isinstance(endpoint, dict):
        endpoint = endpoint.get("VpcEndpointId")
    return str(getattr(path, "kind", "unknown")), str(endpoint or ""), str(getattr(path, "detail", "") or "")
