"""The one composition root: a source yields a Snapshot, the Snapshot a Diagnosis.

Every face goes through here: the CLI, the headless report, the notebooks and the widgets. A
source is a saved snapshot file, a live task or service, or a lab scenario provisioned in the local
sandbox. An `Investigation` holds the snapshot and its diagnosis and offers the three things the
faces need beyond a first answer:

- `what_if(fixes)`: the diagnosis of a patched copy of the evidence (no AWS call);
- `rediagnose()`: collect the same subject again and diagnose it (a snapshot file is re-read);
- `check_fix()`: "would the pull work now?" for a lab: the scenario's service (its current task
  definition and network configuration) is collected and diagnosed; fixed when no check fails.
  A scenario kept up by `fargate-nb lab up` is reached with `attach_lab(endpoint_url)`, whose
  `Lab.check_fix()` is the same check.

Widgets receive these as callbacks (`discovery`, `diagnose_target`), so they never import the
collector or the sandbox themselves.
"""

from __future__ import annotations

from fargate_nb.investigation.core import (
    Failed,
    FixCheck,
    Investigation,
    LiveTarget,
    ScenarioError,
    collect_target,
    diagnose_target,
    investigate,
    open_live,
    open_snapshot,
)
from fargate_nb.investigation.demo import DEMO_STEM, Demo, write_demo
from fargate_nb.investigation.fleet import open_fleet, run_audit
from fargate_nb.investigation.labs import (
    EXECUTION_ROLE_POLICY_ARN,
    SANDBOX_ENV,
    Lab,
    attach_lab,
    get_scenario,
    managed_policy,
    open_scenario,
    restore_environment,
    snapshot_from_scenario,
    start_sandbox,
)
from fargate_nb.investigation.live import DiagnoseTarget, Discovery, report_stopped


def _why(prefix: str, exc: BaseException) -> str:
    return f"{prefix}: {type(exc).__name__}: {exc}"[:800]


def open_target(*, region: str | None = None, profile: str | None = None, endpoint_url: str | None = None,
                cluster: str | None = None, task: str | None = None, service: str | None = None,
                snapshot_path: str | None = None, scenario: str | None = None,
                diagnosis_path: str | None = None) -> Investigation | Failed:
    """What a notebook's parameters name: a snapshot file (offline), a live task or service, or a lab.

    With none of ``snapshot_path``/``cluster``/``task``/``service``, a sandbox is started and the
    scenario (default: the lab's default scenario) is provisioned and diagnosed. ``diagnosis_path``
    (a report's saved diagnosis of that snapshot) is shown as it is, not computed again. Never raises:
    a `Failed` carries the reason, and the notebook shows it instead of a traceback.
    """
    from fargate_nb.model import SnapshotError

    if snapshot_path:
        try:
            return open_snapshot(snapshot_path, diagnosis_path=diagnosis_path)
        except SnapshotError as exc:
            return Failed(f"snapshot file {snapshot_path}", str(exc)[:800])
        except Exception as exc:
            return Failed(f"snapshot file {snapshot_path}", _why("could not diagnose the snapshot", exc))
    if cluster or task or service:
        if not cluster:
            return Failed("AWS", "a task or service needs its cluster: set the `cluster` parameter")
        target = LiveTarget(cluster, task, service, region, profile, endpoint_url)
        try:
            return open_live(cluster=cluster, task=task, service=service, region=region, profile=profile,
                             endpoint_url=endpoint_url)
        except Exception as exc:
            return Failed(f"AWS {target.describe()}", _why("could not diagnose", exc))
    try:
        return open_scenario(scenario)
    except ScenarioError as exc:
        return Failed(f"sandbox scenario {scenario}", _why("unknown scenario" if "nknown" in str(exc)
                                                            else "the lab could not be set up", exc))
    except Exception as exc:
        return Failed(f"sandbox scenario {scenario}", _why("the lab could not be set up", exc))



__all__ = [
    "DEMO_STEM", "EXECUTION_ROLE_POLICY_ARN", "SANDBOX_ENV", "Demo", "DiagnoseTarget", "Discovery", "Failed", "FixCheck",
    "Investigation", "Lab", "LiveTarget", "ScenarioError", "attach_lab", "collect_target", "diagnose_target",
    "get_scenario", "investigate", "managed_policy", "open_fleet", "open_live", "open_scenario", "open_snapshot", "open_target",
    "report_stopped", "restore_environment", "run_audit", "snapshot_from_scenario", "start_sandbox", "write_demo",
]
