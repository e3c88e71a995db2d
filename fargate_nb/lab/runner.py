"""Run, keep up, check and fix workshop scenarios: what the `fargate-nb lab` commands do.

A scenario brought up with `up` stores what was built (a small JSON document) as an SSM parameter
inside the sandbox itself, so `check` and `fix` from another shell or a notebook need only the
sandbox's endpoint URL. The kit's collector never reads that parameter (it looks secrets up by
name), so it does not change any diagnosis.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from fargate_nb.diagnose import diagnose_live
from fargate_nb.lab.build import Provisioned
from fargate_nb.lab.sandbox import Sandbox
from fargate_nb.lab.scenarios import Scenario, get_scenario
from fargate_nb.model import Diagnosis, Snapshot

STATE_PARAMETER = "/fargate-nb/lab/state"


@dataclass
class LabResult:
    """One scenario diagnosed: what was built, the evidence and the answer."""

    scenario: Scenario
    env: Provisioned
    snapshot: Snapshot
    diagnosis: Diagnosis

    @property
    def failing(self) -> set[tuple[str, str | None]]:
        return {(f.id, f.target) for f in self.diagnosis.findings if f.status == "fail"}


@dataclass
class CheckResult:
    """The verdict of `lab check`: fixed or not, and what still fails."""

    scenario_id: str
    fixed: bool
    still_failing: list[dict[str, Any]] = field(default_factory=list)
    verdict: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def diagnose_env(sandbox: Sandbox, env: Provisioned, *, task: str | None = None,
                 use_service: bool = False) -> tuple[Snapshot, Diagnosis]:
    """Diagnose the scenario's task (or its service) through the live collector, as against AWS."""
    with sandbox.activated():
        if use_service and env.service_name:
            return diagnose_live(cluster=env.cluster, service=env.service_name,
                                 endpoint_url=sandbox.endpoint_url, region=sandbox.region)
        return diagnose_live(cluster=env.cluster, task=task or env.task_arn,
                             endpoint_url=sandbox.endpoint_url, region=sandbox.region)


def run_scenario(scenario_id: str, sandbox: Sandbox | None = None) -> LabResult:
    """Provision a scenario and diagnose its stopped task. Starts (and stops) a sandbox if none is given."""
    scenario = get_scenario(scenario_id)
    if sandbox is None:
        with Sandbox() as own:
            return run_scenario(scenario_id, own)
    env = scenario.provision(sandbox)
    snapshot, diagnosis = diagnose_env(sandbox, env)
    return LabResult(scenario, env, snapshot, diagnosis)


def bring_up(scenario_id: str, sandbox: Sandbox) -> Provisioned:
    """Provision a scenario and remember it inside the sandbox for later `check`/`fix` calls."""
    scenario = get_scenario(scenario_id)
    env = scenario.provision(sandbox)
    save_state(sandbox, scenario, env)
    return env


def save_state(sandbox: Sandbox, scenario: Scenario, env: Provisioned) -> None:
    state = {"scenario": scenario.id, **{k: v for k, v in asdict(env).items() if k != "spec"}}
    sandbox.client("ssm").put_parameter(Name=STATE_PARAMETER, Value=json.dumps(state), Type="String",
                                        Overwrite=True)


def load_state(sandbox: Sandbox) -> tuple[Scenario, Provisioned]:
    """What `bring_up` stored; a clear error when the sandbox holds no scenario."""
    ssm = sandbox.client("ssm")
    try:
        raw = ssm.get_parameter(Name=STATE_PARAMETER)["Parameter"]["Value"]
    except ssm.exceptions.ParameterNotFound:
        raise LookupError(f"the sandbox at {sandbox.endpoint_url} holds no scenario: "
                          "start one with `fargate-nb lab up SCENARIO`") from None
    state = json.loads(raw)
    scenario = get_scenario(state.pop("scenario"))
    return scenario, Provisioned(spec=scenario.spec, **state)


def attach(endpoint_url: str) -> tuple[Sandbox, Scenario, Provisioned]:
    """The running sandbox at ``endpoint_url`` and the scenario it holds."""
    sandbox = Sandbox.attach(endpoint_url)
    if not sandbox.ping():
        raise ConnectionError(f"no sandbox answers at {endpoint_url}: is `fargate-nb lab up` still running?")
    scenario, env = load_state(sandbox)
    return sandbox, scenario, env


def check_fix(sandbox: Sandbox, scenario: Scenario, env: Provisioned) -> CheckResult:
    """Re-diagnose after a learner's change, from the service (its current task definition and network)."""
    _snapshot, diagnosis = diagnose_env(sandbox, env, use_service=True)
    failing = [{"id": f.id, "target": f.target, "title": f.text} for f in diagnosis.findings if f.status == "fail"]
    return CheckResult(scenario.id, fixed=not failing, still_failing=failing, verdict=diagnosis.verdict)


def apply_reference_fix(sandbox: Sandbox, scenario: Scenario, env: Provisioned) -> Provisioned:
    """Apply the scenario's reference fix and remember the new state (a fix may register a revision)."""
    scenario.fix(sandbox, env)
    save_state(sandbox, scenario, env)
    return env
