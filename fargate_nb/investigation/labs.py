"""Lab scenarios in the local sandbox, as investigations: open, attach, check a fix, stop."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fargate_nb.diagnose import diagnose
from fargate_nb.investigation.core import FixCheck, Investigation, LiveTarget, ScenarioError, collect_target
from fargate_nb.model import Snapshot

if TYPE_CHECKING:  # the lab is imported only when a scenario is opened
    from fargate_nb.lab.sandbox import Sandbox
    from fargate_nb.lab.scenarios import Scenario
    from fargate_nb.lab.spec import Provisioned


#: Environment variables a sandbox sets for this process (so boto3 in a notebook's fix cell reaches it).
SANDBOX_ENV = ("AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_ACCESS_KEY_ID",
               "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_SESSION_TOKEN")


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


