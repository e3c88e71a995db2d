"""Where a report's evidence comes from when it is not a live task: a workshop scenario.

The sandbox is started, the scenario provisioned and collected through the same collector as
live AWS, then the sandbox is stopped: the report itself runs on the saved snapshot.
"""

from __future__ import annotations

from fargate_nb.model import Snapshot


class ScenarioError(ValueError):
    """An unknown scenario, or one the sandbox could not build."""


def snapshot_from_scenario(scenario_id: str) -> Snapshot:
    """Provision ``scenario_id`` in a fresh sandbox and collect its task's evidence."""
    from fargate_nb.aws import collect, make_context
    from fargate_nb.lab import Sandbox
    from fargate_nb.lab.build import ProvisionError, provision
    from fargate_nb.lab.scenarios import get_scenario

    try:
        scenario = get_scenario(scenario_id)
    except (KeyError, LookupError, ValueError) as exc:
        raise ScenarioError(str(exc.args[0]) if exc.args else f"unknown scenario {scenario_id!r}") from exc
    spec = getattr(scenario, "spec", scenario)
    with Sandbox() as sandbox, sandbox.activated():
        try:
            env = provision(sandbox, spec)
        except ProvisionError as exc:
            raise ScenarioError(f"scenario {scenario_id!r}: {exc}") from exc
        ctx = make_context(region=sandbox.region, endpoint_url=sandbox.endpoint_url)
        return collect(ctx, cluster=env.cluster, task=env.task_arn)
