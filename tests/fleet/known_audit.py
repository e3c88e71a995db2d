"""A known Audit for the faces' tests: lab scenarios diagnosed for real, plus one service that could not be read.

The rows come from the real collector and diagnosis (one sandbox, one scenario after another), so
what the faces show can be checked against each scenario's expected findings.
"""

from __future__ import annotations

from fargate_nb.diagnose.fleet import Audit, audit_row, error_row

#: Healthy and broken services, as a fleet would mix them.
FLEET_SCENARIOS = ("healthy-public", "missing-ecr-auth", "no-s3-gateway", "healthy-private-endpoints",
                   "missing-log-group")
UNREADABLE = ("123456789012", "us-east-1", "payments", "ghost",
              "AccessDenied: ecs:DescribeServices is not allowed")


def known_audit(scenarios: tuple[str, ...] = FLEET_SCENARIOS) -> Audit:
    """Each scenario diagnosed in one sandbox, one row each (its service named after the scenario), and an error row."""
    from fargate_nb.investigation import open_scenario, start_sandbox

    sandbox = start_sandbox(activate=False)
    rows = []
    try:
        for scenario in scenarios:
            found = open_scenario(scenario, sandbox=sandbox, activate=False)
            row = audit_row(found.snapshot, found.diagnosis)
            row.service = scenario  # scenarios share names; the fleet's services do not
            rows.append(row)
    finally:
        sandbox.stop()
    rows.append(error_row(*UNREADABLE))
    return Audit(rows=rows, calls=123, seconds=4.5, regions=["us-east-1"], accounts=["123456789012"])
