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

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fargate_nb.diagnose import diagnose
from fargate_nb.fixes import apply_fixes
from fargate_nb.model import Diagnosis, Snapshot

if TYPE_CHECKING:  # the lab is imported only when a scenario is opened
    from fargate_nb.lab.sandbox import Sandbox
    from fargate_nb.lab.scenarios import Scenario
    from fargate_nb.lab.spec import Provisioned

#: Environment variables a sandbox sets for this process (so boto3 in a notebook's fix cell reaches it).
SANDBOX_ENV = ("AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_ACCESS_KEY_ID",
               "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_SESSION_TOKEN")


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
class Lab:
    """A lab scenario provisioned in a sandbox: the sandbox, the scenario and what was built."""

    sandbox: Sandbox
    scenario: Scenario
    env: Provisioned
    owns_sandbox: bool = False
    saved_env: dict[str, str | None] = field(default_factory=dict)

    @property
    def target(self) -> LiveTarget:
        return LiveTarget(cluster=self.env.cluster, task=self.env.task_arn, region=self.sandbox.region,
                          endpoint_url=self.sandbox.endpoint_url)

    def collect(self, target: LiveTarget | None = None) -> Snapshot:
        """Collect from the sandbox (its credentials and endpoint, whatever this process's environment)."""
        with self.sandbox.activated():
            return collect_target(target or self.target)

    @property
    def service_target(self) -> LiveTarget:
        """The scenario's service (its current task definition and network); its task when it has none."""
        if self.env.service_name:
            return LiveTarget(cluster=self.env.cluster, service=self.env.service_name, region=self.sandbox.region,
                              endpoint_url=self.sandbox.endpoint_url)
        return self.target

    def check_fix(self) -> FixCheck:
        """Would the pull work now? The scenario's service, as it is now, collected and diagnosed.

        The one meaning of "check my fix" (`Investigation.check_fix`, `fargate-nb lab check`).
        """
        diagnosis = diagnose(self.collect(self.service_target))
        failing = sorted({f.label for f in diagnosis.failed})
        # A finding the scenario is about that the service alone cannot settle (warn or unknown,
        # e.g. whether a Docker Hub image is private) is not a fix: never a false "fixed".
        in_doubt = sorted({f.label for f in diagnosis.findings if f.status in ("warn", "unknown")
                           and any(f.id == i and t in (None, f.target) for i, t in self.scenario.expected)})
        return FixCheck(fixed=not failing and not in_doubt, still_failing=failing, verdict=diagnosis.verdict,
                        diagnosis=diagnosis, in_doubt=in_doubt)

    def apply_reference_fix(self) -> None:
        """Apply the scenario's reference fix (and remember the new state in the sandbox)."""
        from fargate_nb.lab.state import apply_reference_fix

        apply_reference_fix(self.sandbox, self.scenario, self.env)

    def close(self) -> None:
        """Stop the sandbox if this lab started it, and restore the environment it changed."""
        if self.owns_sandbox and self.sandbox is not None:
            self.sandbox.stop()
        restore_environment(self.saved_env)
        self.saved_env = {}


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


def open_snapshot(path: str | os.PathLike[str]) -> Investigation:
    """A saved snapshot, diagnosed offline (raises `SnapshotError` for a broken file)."""
    snapshot = Snapshot.load(path)
    return Investigation(snapshot, diagnose(snapshot), source=f"snapshot file {Path(path)} (offline, no AWS call)",
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


def get_scenario(scenario_id: str | None) -> Any:
    """A lab scenario by id (the lab's default when None); `ScenarioError` naming the known ones."""
    from fargate_nb.lab.scenarios import DEFAULT_SCENARIO
    from fargate_nb.lab.scenarios import get_scenario as lookup

    try:
        return lookup(scenario_id or DEFAULT_SCENARIO)
    except (KeyError, LookupError, ValueError) as exc:
        raise ScenarioError(str(exc.args[0]) if exc.args else f"unknown scenario {scenario_id!r}") from exc


def start_sandbox(*, activate: bool = True) -> Any:
    """A started sandbox; with ``activate`` this process's boto3 (a notebook's fix cells) reaches it."""
    from fargate_nb.lab import Sandbox

    sandbox = Sandbox().start()
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)  # moto's "not implemented" noise is not the user's
    if activate:
        os.environ.update(sandbox.env)
        os.environ.pop("AWS_PROFILE", None)
        os.environ.pop("AWS_SESSION_TOKEN", None)
    return sandbox


def restore_environment(saved: dict[str, str | None]) -> None:
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def open_scenario(scenario_id: str | None = None, sandbox: Sandbox | None = None, *,
                  activate: bool = True) -> Investigation:
    """Provision a lab scenario in a sandbox (started here unless given) and diagnose its task.

    A sandbox started here belongs to the investigation: `close()` stops it. With ``activate``,
    this process's AWS environment points at the sandbox until `close()`. A sandbox that is given
    is reset first (every resource of an earlier scenario is forgotten).
    """
    from fargate_nb.lab.build import ProvisionError

    scenario = get_scenario(scenario_id)
    owns = sandbox is None
    saved = {k: os.environ.get(k) for k in SANDBOX_ENV} if owns and activate else {}
    if sandbox is None:
        sandbox = start_sandbox(activate=activate)
    else:
        sandbox.reset()
    try:
        env = scenario.provision(sandbox)
        lab = Lab(sandbox, scenario, env, owns_sandbox=owns, saved_env=saved)
        snapshot = lab.collect()
        found = Investigation(snapshot, diagnose(snapshot), source=f"sandbox scenario {scenario.id}", lab=lab)
    except BaseException as exc:
        # Whatever failed (a refused build step, a collector error, Ctrl-C), a sandbox started here stops.
        if owns:
            sandbox.stop()
        restore_environment(saved)
        if isinstance(exc, ProvisionError):
            raise ScenarioError(f"scenario {scenario.id!r}: {exc}") from exc
        raise
    return found


#: The AWS managed policy ECS documents for the task execution role.
EXECUTION_ROLE_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"


def managed_policy(sandbox: Sandbox, arn: str = EXECUTION_ROLE_POLICY_ARN) -> dict[str, Any]:
    """The default version of an AWS managed policy, read from the sandbox's IAM (moto carries AWS's managed policies)."""
    from fargate_nb.aws.calls import decode_policy

    iam = sandbox.client("iam")
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
    return decode_policy(document) or {}


def attach_lab(endpoint_url: str, scenario_id: str | None = None) -> Lab:
    """The scenario a running sandbox holds (`fargate-nb lab up` in another shell), to check or fix.

    `ScenarioError` when nothing answers at ``endpoint_url``, it is not a local sandbox, it holds
    no scenario, or it holds another scenario than ``scenario_id``.
    """
    from fargate_nb.lab.state import attach

    try:
        sandbox, scenario, env = attach(endpoint_url)
    except (ValueError, ConnectionError, LookupError) as exc:
        raise ScenarioError(str(exc.args[0]) if exc.args else str(exc)) from exc
    if scenario_id and scenario_id != scenario.id:
        raise ScenarioError(f"the sandbox holds scenario {scenario.id!r}, not {scenario_id!r}")
    return Lab(sandbox, scenario, env, owns_sandbox=False)


def snapshot_from_scenario(scenario_id: str) -> Snapshot:
    """A scenario's evidence, collected in a sandbox that is stopped again (reports run on the snapshot)."""
    found = open_scenario(scenario_id, activate=False)
    try:
        return found.snapshot
    finally:
        found.close()


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


def _why(prefix: str, exc: BaseException) -> str:
    return f"{prefix}: {type(exc).__name__}: {exc}"[:800]


def open_target(*, region: str | None = None, profile: str | None = None, endpoint_url: str | None = None,
                cluster: str | None = None, task: str | None = None, service: str | None = None,
                snapshot_path: str | None = None, scenario: str | None = None) -> Investigation | Failed:
    """What a notebook's parameters name: a snapshot file (offline), a live task or service, or a lab.

    With none of ``snapshot_path``/``cluster``/``task``/``service``, a sandbox is started and the
    scenario (default: the lab's default scenario) is provisioned and diagnosed. Never raises:
    a `Failed` carries the reason, and the notebook shows it instead of a traceback.
    """
    from fargate_nb.model import SnapshotError

    if snapshot_path:
        try:
            return open_snapshot(snapshot_path)
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


def report_stopped(target: LiveTarget, out_dir: str | os.PathLike[str], *, since: Any, title: str | None = None,
                   stream: Any = None) -> Any:
    """One report per distinct failure among the cluster's tasks stopped since ``since`` (`report.batch`)."""
    from fargate_nb.aws import collect, make_context
    from fargate_nb.aws.discover import list_stopped_tasks
    from fargate_nb.report.batch import report_stopped as write_reports

    ctx = make_context(region=target.region, profile=target.profile, endpoint_url=target.endpoint_url)
    return write_reports(ctx, target.cluster, out_dir, since=since, title=title, stream=stream,
                         collect=collect, list_tasks=list_stopped_tasks)


# -- the demo ----------------------------------------------------------------------------------
#: The stem of the files `write_demo` owns in its folder: NAME.snapshot.json, .json, .html, .md, .ipynb.
DEMO_STEM = "report"


@dataclass(frozen=True)
class Demo:
    """What `write_demo` did: the scenario, its diagnosis, and the report's files in their final place."""

    scenario: Any
    diagnosis: Diagnosis
    paths: Any  # fargate_nb.report.ReportPaths


def write_demo(scenario_id: str | None, out_dir: str | os.PathLike[str], *,
               progress: Callable[[str], None] | None = None) -> Demo:
    """Diagnose a lab scenario in a sandbox of its own and write its report into ``out_dir`` under fixed names.

    Each run replaces the files of the previous one (`DEMO_STEM`), nothing else in the folder: the
    report is produced in a hidden folder inside ``out_dir`` and each file is then renamed over its
    predecessor, so a failed run leaves the previous demo as it was. ``progress`` is told each phase.
    Raises `ScenarioError` (unknown scenario), `fargate_nb.report.ReportError` or `OSError`.
    """
    import shutil
    import tempfile

    import nbformat

    from fargate_nb.report import ReportPaths, generate_report

    say = progress or (lambda _message: None)
    scenario = get_scenario(scenario_id)
    out = Path(out_dir)
    say("starting the local sandbox (moto on 127.0.0.1)")
    sandbox = start_sandbox(activate=False)
    try:
        say(f"provisioning scenario {scenario.id}, collecting its evidence (read-only calls) and diagnosing it")
        found = open_scenario(scenario.id, sandbox=sandbox, activate=False)
    finally:
        say("stopping the sandbox (the report runs on the collected snapshot)")
        sandbox.stop()
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".fargate-nb-demo-", dir=out))
    try:
        say("running the report notebook (papermill) and exporting it to HTML and Markdown")
        staged = generate_report(found.snapshot, staging, title=f"Demo: {scenario.title}",
                                 diagnosis=found.diagnosis, name=DEMO_STEM)
        final = ReportPaths(*(out / p.name for p in staged.all()))
        nb = nbformat.read(staged.ipynb, as_version=4)
        nb.metadata.setdefault("papermill", {})["output_path"] = str(final.ipynb)  # not the staging folder
        nbformat.write(nb, staged.ipynb)
        say(f"replacing the previous demo's files in {out}")
        for src, dst in zip(staged.all(), final.all(), strict=True):
            os.replace(src, dst)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Demo(scenario, found.diagnosis, final)
