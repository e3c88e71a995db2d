"""An audit of many services: one row per service, and the summary a team reads first. Pure.

The audit runner (``fargate_nb.investigation``) collects and diagnoses each service, then turns
each (snapshot, diagnosis) pair into an `AuditRow` here; faces (CLI table, Markdown, JUnit, the
HTML heatmap, notebook 04) render an `Audit` and never evaluate.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from fargate_nb.model import EXIT_FAIL, EXIT_OK, EXIT_UNCHECKED, STEPS, Diagnosis, Snapshot, worst_status

#: A service whose evidence could not be collected at all (its row carries ``error``).
ERROR = "error"
#: The order verdict counts are shown in, worst first.
VERDICT_ORDER = ("fail", ERROR, "unknown", "warn", "pass")


@dataclass
class AuditRow:
    """One service of the fleet: where it is, what it runs, and its single answer."""

    account: str | None
    region: str
    cluster: str
    service: str
    task_definition: str = ""  # family:revision
    status: str = "unknown"  # the diagnosis's status (pass, warn, fail, unknown), or "error"
    failing_step: str | None = None  # the first failing step, else the first unknown one
    finding_ids: list[str] = field(default_factory=list)  # ids of failing (else unknown) findings
    platform_version: str = ""
    path_kind: str = ""  # interface-endpoint, nat, internet, ... or "mixed (a, b)"
    verdict: str = ""  # the diagnosis's one line, or the error
    error: str = ""  # why this service could not be collected
    snapshot_file: str = ""  # relative to the audit's output folder, when written
    diagnosis: Diagnosis | None = None

    @property
    def key(self) -> str:
        """A stable, unique name: account/region/cluster/service."""
        return "/".join((self.account or "-", self.region, self.cluster, self.service))

    def to_dict(self, *, with_diagnosis: bool = False) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "diagnosis"}
        if with_diagnosis and self.diagnosis is not None:
            out["diagnosis"] = self.diagnosis.to_dict()
        return out


def _family_revision(arn: str) -> str:
    return arn.rsplit("/", 1)[-1] if arn else ""


def path_kind(diagnosis: Diagnosis) -> str:
    """How the task reaches its destinations: the one path kind they share, else ``mixed (...)``."""
    kinds = list(dict.fromkeys(row.path for row in diagnosis.network if row.path))
    if not kinds:
        return ""
    return kinds[0] if len(kinds) == 1 else f"mixed ({', '.join(kinds)})"


def audit_row(snapshot: Snapshot, diagnosis: Diagnosis) -> AuditRow:
    """The row of one diagnosed service (or task)."""
    subject = snapshot.subject or {}
    service = snapshot.service or {}
    task = snapshot.task or {}
    td_arn = (snapshot.task_definition or {}).get("taskDefinitionArn") or service.get("taskDefinition") or ""
    status = diagnosis.status
    wanted = "fail" if status == "fail" else "unknown"
    step = next((s.id for s in diagnosis.steps if s.status == wanted), None) if status in ("fail", "unknown") else None
    ids = list(dict.fromkeys(f.id for f in diagnosis.findings if f.status == wanted)) if step or status == "fail" else []
    platform = task.get("platformVersion") or service.get("platformVersion") or ""
    return AuditRow(
        account=snapshot.account, region=snapshot.region, cluster=str(subject.get("cluster") or ""),
        service=str(subject.get("service") or service.get("serviceName") or subject.get("task") or ""),
        task_definition=_family_revision(td_arn), status=status, failing_step=step, finding_ids=ids,
        platform_version=str(platform), path_kind=path_kind(diagnosis), verdict=diagnosis.verdict,
        diagnosis=diagnosis)


def error_row(account: str | None, region: str, cluster: str, service: str, error: str) -> AuditRow:
    """The row of a service whose evidence could not be collected (not found, AWS unavailable ...)."""
    return AuditRow(account, region, cluster, service, status=ERROR, verdict=error, error=error)


@dataclass(frozen=True)
class AuditProgress:
    """Where a running audit is, for a progress bar: services done of total, and how many fail or are unknown."""

    total: int
    done: int
    failing: int
    unknown: int
    current: str = ""  # the service just finished (its row key)


@dataclass
class Audit:
    """Every audited service, and what the run cost."""

    rows: list[AuditRow] = field(default_factory=list)
    calls: int = 0  # AWS calls made by the whole run
    seconds: float = 0.0
    regions: list[str] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # clusters/regions/accounts that could not be listed

    def by_verdict(self) -> dict[str, int]:
        counts = Counter(r.status for r in self.rows)
        return {v: counts[v] for v in VERDICT_ORDER if counts[v]}

    def failing_steps(self) -> list[tuple[str, int]]:
        """Steps that fail most, most first (ties in pull order)."""
        counts = Counter(r.failing_step for r in self.rows if r.status == "fail" and r.failing_step)
        return sorted(counts.items(), key=lambda kv: (-kv[1], STEPS.index(kv[0]) if kv[0] in STEPS else 99))

    def common_findings(self) -> list[tuple[str, int]]:
        """Finding ids by how many services they fail, most first."""
        counts = Counter(i for r in self.rows if r.status == "fail" for i in r.finding_ids)
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))

    @property
    def status(self) -> str:
        statuses = ["unknown" if r.status == ERROR else r.status for r in self.rows]
        if self.problems:
            statuses.append("unknown")
        return worst_status(statuses, default="pass")

    @property
    def exit_code(self) -> int:
        """As for ``diagnose``: 1 a service fails, 4 something could not be checked, else 0."""
        status = self.status
        return EXIT_FAIL if status == "fail" else EXIT_UNCHECKED if status == "unknown" else EXIT_OK

    def to_dict(self, *, with_diagnoses: bool = True) -> dict[str, Any]:
        return {"schema": "fargate-nb/audit/1", "calls": self.calls, "seconds": round(self.seconds, 3),
                "regions": self.regions, "accounts": self.accounts, "problems": self.problems,
                "summary": {"by_verdict": self.by_verdict(), "failing_steps": dict(self.failing_steps()),
                            "common_findings": dict(self.common_findings())},
                "services": [r.to_dict(with_diagnosis=with_diagnoses) for r in self.rows]}
