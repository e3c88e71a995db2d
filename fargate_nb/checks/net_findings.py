"""Finding helpers shared by the `net.*` checks: gating on evidence and per-destination findings.

Holds no check and no network rule of its own: the rules (CIDRs, security groups, network ACLs,
routes, endpoints) are the reachability engine's (`fargate_nb.reach`), reached through the ECS
adapter `fargate_nb.netpath`. Titles, severities and documentation links come from the check
catalogue; these helpers only write the specific sentence (``message``), the detail, the target and
its step.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from typing import Any

from fargate_nb import netpath
from fargate_nb.model import Finding, Remediation, Snapshot, worst_status
from fargate_nb.pullflow import Destination, PullPlan


def q(value: Any) -> str:
    """Shell-quote an id taken from the evidence (it is shown as a command the user may paste)."""
    return shlex.quote(str(value))


def network_findings(snapshot: Snapshot, plan: PullPlan, check_id: str,
                     needs: Iterable[str] = ()) -> tuple[list[Destination], list[Finding]]:
    """Destinations to evaluate, or the findings that replace an evaluation (skipped / unknown)."""
    if not netpath.network(snapshot):
        return [], [Finding(check_id, "skipped", None, message="No awsvpc network evidence",
                            detail="no awsvpc network evidence: the task uses no VPC network of its own")]
    if not plan.destinations:
        return [], [Finding(check_id, "skipped", None, message="No network destination",
                            detail="the task needs no network destination")]
    missing = netpath.missing_evidence(snapshot, *needs)
    if missing:
        findings = []
        for dest in plan.destinations:
            _, permission = next(iter(missing.items()))
            findings.append(Finding(
                check_id, "unknown", dest.step, message=f"{dest.key}: network evidence not readable",
                target=dest.key,
                detail=f"could not read {', '.join(missing)} (needs {', '.join(sorted(set(missing.values())))}); "
                       f"cannot tell whether {dest.key} is reachable this way",
                evidence=[f"missing evidence: {k} ({v})" for k, v in missing.items()],
                missing_permission=permission))
        return [], findings
    return list(plan.destinations), []


def unknown_for_path(check_id: str, dest: Destination, path: netpath.NetPath) -> Finding:
    """An `unknown` finding when the path itself is unknown (evidence missing or a deleted resource)."""
    permission = next((netpath.EVIDENCE_APIS[k] for k in path.missing), None)
    return Finding(check_id, "unknown", dest.step, message=f"{dest.key}: network path unknown",
                   target=dest.key, detail=path.detail, evidence=[f"path: {path.kind}"],
                   missing_permission=permission)


def make(check_id: str, status: str, dest: Destination, message: str, detail: str, *,
         evidence: list[str] | None = None, remediation: Remediation | None = None,
         missing_permission: str | None = None) -> Finding:
    """A finding about one destination: its target and the step that needs it."""
    return Finding(check_id, status, dest.step, message=message, detail=detail, target=dest.key,
                   evidence=evidence or [], remediation=remediation, missing_permission=missing_permission)


def worst(statuses: Iterable[str]) -> str:
    """The worst of the legs' statuses (`model.worst_status`); no leg at all is a pass."""
    return worst_status(statuses, default="pass")


def interface_endpoints(snapshot: Snapshot, dest: Destination) -> list[dict[str, Any]]:
    """The available interface endpoints for ``dest``'s service (never for S3: layers need the gateway)."""
    if not dest.endpoint_service or dest.target == "s3":
        return []
    return [e for e in netpath.endpoints_for(snapshot, dest.endpoint_service, "Interface") if netpath.is_available(e)]
