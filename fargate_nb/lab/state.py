"""A scenario kept up in a sandbox: what `fargate-nb lab up`, `lab check` and `lab fix` share.

`bring_up` stores what was built (a small JSON document) as an SSM parameter inside the sandbox
itself, so `check` and `fix` from another shell or a notebook need only the sandbox's endpoint
URL (`attach`). The kit's collector never reads that parameter (it looks secrets up by name), so
it does not change any diagnosis. Checking a fix is diagnosing, which the lab does not do: see
`fargate_nb.investigation.attach_lab` and `Lab.check_fix`.
"""

from __future__ import annotations

import json
from dataclasses import asdict

from fargate_nb.lab.sandbox import Sandbox
from fargate_nb.lab.scenarios import Scenario, get_scenario
from fargate_nb.lab.spec import Provisioned

STATE_PARAMETER = "/fargate-nb/lab/state"


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
    """What `bring_up` stored; a `LookupError` when the sandbox holds no scenario."""
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
    """The running sandbox at ``endpoint_url`` and the scenario it holds.

    `ValueError` for an endpoint that is not a local sandbox, `ConnectionError` when nothing
    answers there, `LookupError` when it holds no scenario.
    """
    sandbox = Sandbox.attach(endpoint_url)
    if not sandbox.ping():
        raise ConnectionError(f"no sandbox answers at {endpoint_url}: is `fargate-nb lab up` still running?")
    scenario, env = load_state(sandbox)
    return sandbox, scenario, env


def apply_reference_fix(sandbox: Sandbox, scenario: Scenario, env: Provisioned) -> Provisioned:
    """Apply the scenario's reference fix and remember the new state (a fix may register a revision)."""
    scenario.fix(sandbox, env)
    save_state(sandbox, scenario, env)
    return env
