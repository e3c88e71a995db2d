"""Notebook 04 (the fleet audit), executed headless by papermill as `fargate-nb report` runs notebook 02."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

from fargate_nb.report.run import execute_notebook, notebook_path

pytestmark = pytest.mark.slow
NAME = "04_fleet_audit.ipynb"


def run(tmp_path: Path, **parameters) -> nbformat.NotebookNode:
    return execute_notebook(notebook_path(NAME), tmp_path / "out.ipynb", {"interactive": False, **parameters},
                            cwd=tmp_path, kernel_name="python3")


def parts(nb: nbformat.NotebookNode, name: str) -> list[str]:
    return [o["data"]["text/html"] for c in nb.cells if c.cell_type == "code" for o in c.outputs
            if o.get("output_type") == "display_data" and o.get("metadata", {}).get("fargate_nb") == name]


def assert_clean(nb: nbformat.NotebookNode) -> None:
    from fargate_nb.report.export import error_outputs

    assert error_outputs(nb) == []
    streams = [o["text"] for c in nb.cells if c.cell_type == "code" for o in c.outputs
               if o["output_type"] == "stream" and o["name"] == "stderr"]
    assert streams == []


def failing_services(nb: nbformat.NotebookNode) -> dict[str, set[str]]:
    """Row key -> failing finding ids, as the notebook's failing part shows them."""
    [failing] = parts(nb, "audit-failing")
    found = {}
    for block in re.findall(r'<details class="fargate-nb-audit-service" data-service="([^"]+)">(.*?)</details>',
                            failing, re.S):
        key, body = block
        found[key] = set(re.findall(r'data-finding="([^"]+)"', body))
    return found


def test_the_notebook_audits_the_sandbox_fleet_by_default(tmp_path):
    from fargate_nb.lab.fleet import FLEET

    nb = run(tmp_path)
    assert_clean(nb)
    [summary] = parts(nb, "audit-summary")
    assert f"{len(FLEET)} service(s)" in summary
    [heatmap] = parts(nb, "audit-heatmap")
    assert f'data-services="{len(FLEET)}"' in heatmap and "Plotly.newPlot" in heatmap
    [table] = parts(nb, "audit-table")
    assert table.count("<tr class=") == len(FLEET)
    shown = failing_services(nb)
    wanted = {s.name: set(s.expected) for s in FLEET if s.expected}
    assert {key.rsplit("/", 1)[-1] for key in shown} == set(wanted)
    for key, ids in shown.items():
        assert wanted[key.rsplit("/", 1)[-1]] <= ids, key


def test_the_notebook_on_an_endpoint_writes_the_report_and_snapshots(aws, tmp_path):
    from fargate_nb.lab.scenarios import get_scenario

    scenario = get_scenario("missing-ecr-auth")
    scenario.provision(aws)
    nb = run(tmp_path, endpoint_url=aws.endpoint_url, sandbox_fleet=False, regions=[aws.region],
             snapshot_dir="evidence", out_dir="report", embed_plotlyjs=False)
    assert_clean(nb)
    shown = failing_services(nb)
    assert [set(ids) >= {i for i, _ in scenario.expected} for ids in shown.values()] == [True]
    data = json.loads((tmp_path / "report" / "audit.json").read_text())
    [service] = data["services"]
    assert (tmp_path / service["snapshot_file"]).is_file()
    assert (tmp_path / "report" / "index.html").is_file() and (tmp_path / "report" / "junit.xml").is_file()
    assert not any("plotly.js v" in json.dumps(c.outputs) for c in nb.cells if c.cell_type == "code")


def test_a_failed_audit_shows_why_instead_of_raising(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    nb = execute_notebook(notebook_path(NAME), tmp_path / "out.ipynb",
                          {"interactive": False, "endpoint_url": "http://127.0.0.1:9", "regions": ["us-east-1"]},
                          cwd=tmp_path, kernel_name="python3")
    errors = parts(nb, "error")
    assert len(errors) == 4 and "nothing could be audited" in errors[0]  # each part says so; nothing raised
