"""An `Investigation`: the snapshot, its diagnosis, and how to look again; the sources that open one."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fargate_nb.diagnose import diagnose
from fargate_nb.fixes import apply_fixes
from fargate_nb.model import Diagnosis, Snapshot

if TYPE_CHECKING:
    from fargate_nb.investigation.labs import Lab


class ScenarioError(ValueError):
    """An unknown scenario, or one the sandbox could not build."""


@dataclass
class LiveTarget:
    """Where a live subject is: enough to collect it again."""

    cluster: str
    task: str | None = None
    service: str | None = None
    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None

    def describe(self) -> str:
        what = f"service {self.service}" if self.service and not self.task else f"task {self.task or '(latest)'}"
        return f"cluster {self.cluster}, {what}"


@dataclass
class FixCheck:
    """The answer of `check_fix`: fixed or not, what still fails (or is in doubt), and the new diagnosis."""

    fixed: bool
    still_failing: list[str]  # labels (``id[target]``) of the failing findings
    verdict: str
    diagnosis: Diagnosis | None = None
    in_doubt: list[str] = field(default_factory=list)  # the scenario's findings that only warn or are unknown

    def to_dict(self) -> dict[str, Any]:
        return {"fixed": self.fixed, "still_failing": self.still_failing, "in_doubt": self.in_doubt,
                "verdict": self.verdict}


@dataclass
class Investigation:
    """One diagnosed subject, where its evidence came from, and how to look again."""

    snapshot: Snapshot
    diagnosis: Diagnosis
    source: str = ""  # "snapshot file …", "AWS cluster …", "sandbox scenario …"
    fixes: list[dict[str, Any]] = field(default_factory=list)  # what-if fixes applied to this copy
    live: LiveTarget | None = None
    snapshot_path: str | None = None
    lab: Lab | None = None

    ok = True
    error: str | None = None

    # -- looking again -------------------------------------------------------------------------
    def what_if(self, fixes: list[dict[str, Any]]) -> Investigation:
        """The diagnosis of a patched copy of the evidence (the evidence itself never changes)."""
        if not fixes:
            return self
        patched = apply_fixes(self.snapshot, fixes)
        return Investigation(patched, diagnose(patched), source=self.source, fixes=list(fixes), live=self.live,
                             snapshot_path=self.snapshot_path, lab=self.lab)

    def what_if_diagnosis(self, fixes: list[dict[str, Any]]) -> Diagnosis:
        """`what_if` as the callback the what-if panel is given."""
        return self.what_if(fixes).diagnosis

    def minimal_policy(self) -> dict[str, Any]:
        """The least the execution role needs for this pull, as a policy document."""
        from fargate_nb.diagnose.policy import minimal_execution_policy

        return minimal_execution_policy(self.snapshot)

    def rediagnose(self) -> Investigation:
        """Collect the same subject again (live or lab) and diagnose it; a snapshot file is read again."""
        if self.lab is not None:
            return self._with(self.lab.collect())
        if self.live is not None:
            return self._with(collect_target(self.live))
        if self.snapshot_path:
            return self._with(Snapshot.load(self.snapshot_path))
        return self._with(self.snapshot)

    def check_fix(self) -> FixCheck:
        """Would the pull work now? For a lab: diagnose the scenario's service as it is now."""
        if self.lab is None:
            raise ScenarioError("checking a fix needs a lab scenario running in the sandbox")
        return self.lab.check_fix()

    def close(self) -> None:
        """Stop the sandbox this investigation started (if any) and restore the environment."""
        if self.lab is not None:
            self.lab.close()

    def _with(self, snapshot: Snapshot) -> Investigation:
        return Investigation(snapshot, diagnose(snapshot), source=self.source, live=self.live,
                             snapshot_path=self.snapshot_path, lab=self.lab)


@dataclass
class Failed:
    """What `open_target` returns when nothing could be diagnosed: where it tried, and why it failed."""

    source: str
    error: str
    ok = False
    snapshot = None
    diagnosis = None
    lab = None

    def close(self) -> None:
        """Nothing to stop."""

    def check_fix(self) -> FixCheck:
        raise ScenarioError(f"nothing to check: {self.error}")


# -- sources -----------------------------------------------------------------------------------
def investigate(snapshot: Snapshot, source: str = "") -> Investigation:
    """Diagnose evidence already in hand."""
    return Investigation(snapshot, diagnose(snapshot), source=source)


def open_snapshot(path: str | os.PathLike[str], *, diagnosis_path: str | os.PathLike[str] | None = None) -> Investigation:
    """A saved snapshot, diagnosed offline (raises `SnapshotError` for a broken file).

    ``diagnosis_path``: the diagnosis already made of this snapshot (a report's NAME.json, written
    by the same run), loaded instead of diagnosing again.
    """
    snapshot = Snapshot.load(path)
    if diagnosis_path:
        from fargate_nb.report.generate import load_report_json

        diagnosis = load_report_json(diagnosis_path)
    else:
        diagnosis = diagnose(snapshot)
    return Investigation(snapshot, diagnosis, source=f"snapshot file {Path(path)} (offline, no AWS call)",
                         snapshot_path=str(path))


def collect_target(target: LiveTarget) -> Snapshot:
    """Read the live state around a task or service (read-only)."""
    from fargate_nb.aws import collect, make_context

    ctx = make_context(region=target.region, profile=target.profile, endpoint_url=target.endpoint_url)
    return collect(ctx, cluster=target.cluster, task=target.task, service=target.service)


def open_live(*, cluster: str, task: str | None = None, service: str | None = None, region: str | None = None,
              profile: str | None = None, endpoint_url: str | None = None) -> Investigation:
    """A live task or service: collect, then diagnose."""
    target = LiveTarget(cluster, task, service, region, profile, endpoint_url)
    snapshot = collect_target(target)
    return Investigation(snapshot, diagnose(snapshot), source=f"AWS {target.describe()}", live=target)


def diagnose_target(*, cluster: str, task: str | None = None, service: str | None = None,
                    region: str | None = None, profile: str | None = None,
                    endpoint_url: str | None = None) -> tuple[Snapshot, Diagnosis]:
    """`open_live` as a (snapshot, diagnosis) pair: the callback the task picker is given."""
    found = open_live(cluster=cluster, task=task, service=service, region=region, profile=profile,
                      endpoint_url=endpoint_url)
    return found.snapshot, found.diagnosis


