"""The three notebooks, executed by papermill in a real kernel against the sandbox, checked by their outputs.

Each run costs seconds (a kernel, a moto server, a provisioned scenario), so there are few of them.
"""

from __future__ import annotations

import html
import json
import os
import re
import sys
from pathlib import Path

import nbformat
import pytest

from fargate_nb.lab.scenarios import DEFAULT_SCENARIO, get_scenario

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
CHROMIUM = "/usr/bin/chromium"
WIDGET = "application/vnd.jupyter.widget-view+json"

pytestmark = pytest.mark.slow


def run(name: str, tmp_path: Path, **parameters) -> nbformat.NotebookNode:
    import papermill

    out = tmp_path / f"{name}.out.ipynb"
    papermill.execute_notebook(str(NOTEBOOKS / f"{name}.ipynb"), str(out), parameters=parameters,
                               kernel_name="python3", cwd=str(ROOT), progress_bar=False, log_output=False,
                               execution_timeout=300)
    return nbformat.read(out, as_version=4)


def outputs(nb: nbformat.NotebookNode) -> list[dict]:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]


def part(nb: nbformat.NotebookNode, name: str, mime: str = "text/html") -> list[str]:
    """Every output of one kind (``fargate-nb-*`` parts tag their outputs' metadata)."""
    return [o["data"][mime] for o in outputs(nb)
            if o.get("output_type") == "display_data" and o.get("metadata", {}).get("fargate_nb") == name]


def assert_clean(nb: nbformat.NotebookNode) -> None:
    errors = [o for o in outputs(nb) if o["output_type"] == "error"]
    assert not errors, [f"{e['ename']}: {e['evalue']}" for e in errors]
    stderr = [o["text"] for o in outputs(nb) if o["output_type"] == "stream" and o["name"] == "stderr"]
    assert not stderr, stderr
    assert not part(nb, "error"), part(nb, "error")


def expected_ids(scenario_id: str) -> set[str]:
    return {finding for finding, _ in get_scenario(scenario_id).expected}


def test_the_kernel_runs_this_virtualenv(tmp_path):
    import papermill

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import sys; print(sys.executable)")])
    src, out = tmp_path / "probe.ipynb", tmp_path / "probe.out.ipynb"
    nbformat.write(nb, src)
    papermill.execute_notebook(str(src), str(out), kernel_name="python3", progress_bar=False)
    printed = nbformat.read(out, as_version=4).cells[0].outputs[0]["text"].strip()
    assert Path(printed).resolve() == Path(sys.executable).resolve()


def test_diagnose_notebook_with_its_defaults_and_its_html_export(tmp_path):
    nb = run("02_diagnose_task", tmp_path)
    assert_clean(nb)
    wanted = expected_ids(DEFAULT_SCENARIO)
    [verdict] = part(nb, "verdict")
    assert "fargate-nb-verdict" in verdict and "fargate-nb-status-fail" in verdict
    [diagram] = part(nb, "diagram")
    failing = re.search(r'data-first-failure="([^"]+)"', diagram).group(1)
    assert failing in wanted
    assert "✗ " in diagram or "\\u2717" in diagram
    [permissions] = part(nb, "permissions")
    for action in ("ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
                   "logs:PutLogEvents"):
        assert action in permissions
    [findings] = part(nb, "findings")
    assert wanted <= set(re.findall(r">([a-z0-9-]+\.[a-z0-9.-]+)<", findings))
    [fixes] = part(nb, "fixes")
    assert all(f'data-finding="{i}"' in fixes for i in wanted)
    assert any(WIDGET in o.get("data", {}) for o in outputs(nb))  # the what-if panel (interactive default)
    assert "StopButton(session.close" in nb.cells[-1].source  # the sandbox stops when asked (headless: at once)
    check_html_export(nb, tmp_path, failing)


def check_html_export(nb: nbformat.NotebookNode, tmp_path: Path, failing: str) -> None:
    """nbconvert's HTML keeps the figure, with plotly.js embedded once and from no CDN."""
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(nb)
    assert body.count("* plotly.js v") == 1
    sources = re.findall(r"<script[^>]*\ssrc=\"([^\"]+)\"", body)
    assert not [s for s in sources if "plot" in s.lower()], sources
    assert 'class="fargate-nb-diagram"' in body and "Plotly.newPlot" in body
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed: the figure was not drawn")
    from playwright.sync_api import sync_playwright

    page_path = tmp_path / "report.html"
    page_path.write_text(body, encoding="utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        try:
            page = browser.new_page()
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
            page.goto(page_path.as_uri())
            page.wait_for_selector(".fargate-nb-diagram svg.main-svg g.annotation", timeout=60_000)
            texts = page.eval_on_selector_all(".fargate-nb-diagram svg.main-svg text", "e => e.map(x => x.textContent)")
        finally:
            browser.close()
    assert any(t.startswith(f"✗ {failing}") for t in texts), texts


def test_diagnose_notebook_headless_on_another_scenario(tmp_path):
    nb = run("02_diagnose_task", tmp_path, scenario="dockerhub-secret-kms", interactive=False,
             title="KMS report")
    assert_clean(nb)
    assert not any(WIDGET in o.get("data", {}) for o in outputs(nb))  # static output only
    assert "KMS report" in part(nb, "title")[0]
    [diagram] = part(nb, "diagram")
    assert 'data-first-failure="iam.kms-decrypt"' in diagram
    assert "kms:Decrypt" in diagram and "registry-1.docker.io" in diagram
    [stopped] = part(nb, "stopped")
    assert "Stopped reason" in stopped
    [mermaid] = part(nb, "mermaid")
    assert "sequenceDiagram" in mermaid and "-x" in mermaid


def test_diagnose_notebook_offline_from_a_snapshot(aws, tmp_path, monkeypatch):
    from fargate_nb.investigation import open_live

    env = get_scenario("bad-trust").provision(aws)
    found = open_live(cluster=env.cluster, task=env.task_arn, region=aws.region, endpoint_url=aws.endpoint_url)
    diagnosis = found.diagnosis
    path = found.snapshot.save(tmp_path / "snapshot.json")
    # Any AWS call from the kernel would now fail: the diagnosis must come from the file alone.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    nb = run("02_diagnose_task", tmp_path, snapshot_path=str(path), interactive=False)
    assert_clean(nb)
    assert "offline, no AWS call" in part(nb, "title")[0]
    [verdict] = part(nb, "verdict")
    assert html.escape(diagnosis.verdict) in verdict
    assert 'data-first-failure="exec-role.trust"' in part(nb, "diagram")[0]
    assert f'data-status="{diagnosis.status}"' in verdict


#: The primer's sections in order, each shown with live scenarios; the first failing finding of each broken one.
PRIMER_SECTIONS = [("role-confusion", "iam.ecr-auth"), ("dockerhub-secret-denied", "iam.registry-secret"),
                   ("dockerhub-secret-kms", "iam.kms-decrypt"), ("healthy-private-endpoints", None),
                   ("no-s3-gateway", "net.no-route"), ("endpoint-sg-no-443", "net.endpoint-sg"),
                   ("cross-account-repo-policy", "ecr.repo-policy")]


def execute_results(nb: nbformat.NotebookNode, marker: str) -> list[str]:
    """The HTML of every cell result (a DataFrame) that contains ``marker``."""
    return [o["data"]["text/html"] for o in outputs(nb)
            if o["output_type"] == "execute_result" and marker in o.get("data", {}).get("text/html", "")]


def test_primer_walks_from_healthy_to_broken(tmp_path):
    nb = run("01_pull_flow_primer", tmp_path, broken_scenarios=["missing-ecr-auth"], interactive=False)
    assert_clean(nb)
    scenarios = [re.search(r"<code>([a-z0-9-]+)</code>", h).group(1) for h in part(nb, "scenario")]
    assert scenarios == ["healthy-public", "missing-ecr-auth", *(s for s, _ in PRIMER_SECTIONS)]
    healthy, broken, *sections = part(nb, "diagram")
    assert "data-first-failure" not in healthy
    assert 'data-first-failure="iam.ecr-auth"' in broken
    verdicts = part(nb, "verdict")
    assert "fargate-nb-status-pass" in verdicts[0]
    # Each section's scenario, as diagnosed live: the expected failing findings, or a passing verdict.
    fixes = iter(part(nb, "fixes")[1:])
    diagrams = iter(sections)
    for (scenario_id, first), verdict in zip(PRIMER_SECTIONS, verdicts[2:], strict=True):
        if first is None:
            assert 'data-status="pass"' in verdict, scenario_id
            continue
        assert 'data-status="fail"' in verdict, scenario_id
        assert f'data-first-failure="{first}"' in next(diagrams), scenario_id
        shown = next(fixes)
        assert all(f'data-finding="{i}"' in shown for i in expected_ids(scenario_id)), scenario_id
    assert next(diagrams, None) is None

    minimal, managed, dockerhub = (json.loads(text) for text in part(nb, "json", "text/plain"))
    assert any(s["Action"] == "ecr:GetAuthorizationToken" and s["Resource"] == "*" for s in minimal["Statement"])
    assert "ecr:GetAuthorizationToken" in json.dumps(managed)
    assert "secretsmanager:GetSecretValue" not in json.dumps(managed) and "kms:" not in json.dumps(managed)
    needs = {a for s in dockerhub["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert {"secretsmanager:GetSecretValue", "kms:Decrypt"} <= needs and not any(a.startswith("ecr:") for a in needs)
    [compared] = execute_results(nb, "AmazonECSTaskExecutionRolePolicy")
    assert "ecr:BatchGetImage" in compared and "minimal policy (this task)" in compared

    private, dockerhub_table = execute_results(nb, "path now")
    for destination in ("ecr.api", "ecr.dkr", "s3", "logs"):  # the endpoints table, from the diagnosis
        assert f"<td>{destination}</td>" in private, destination
    assert "<td>endpoint</td>" in private and "<td>gateway</td>" in private  # no internet path in private subnets
    assert "com.amazonaws.us-east-1.secretsmanager" in dockerhub_table and "registry-1.docker.io" in dockerhub_table

    lint = "".join(o["text"] for o in outputs(nb) if o["output_type"] == "stream" and "imagePullBehavior" in o["text"])
    assert "✗ containerDefinitions[0].imagePullBehavior" in lint and "ECS_IMAGE_PULL_BEHAVIOR" in lint

    [advice] = execute_results(nb, "ecr.lifecycle-policy")
    for finding_id in ("ecr.lifecycle-policy", "ecr.scan-on-push", "ecr.mutable-tag"):
        assert f"<td>{finding_id}</td>" in advice, finding_id
    assert "StopButton(sandbox.stop, interactive=interactive)" in nb.cells[-1].source
    assert "fargate-nb-stopped-sandbox" in outputs(nb)[-1]["data"]["text/html"]  # headless: stopped at once


def test_workshop_lab_fix_and_check(tmp_path):
    nb = run("03_workshop_labs", tmp_path, scenario="missing-log-group", apply_reference_fix=True,
             interactive=False)
    assert_clean(nb)
    assert "missing-log-group" in part(nb, "scenario")[0]
    assert 'data-first-failure="logs.group-missing"' in part(nb, "diagram")[0]
    assert "def create_log_group" in part(nb, "source")[0]
    checks = [o["data"]["text/html"] for o in outputs(nb) if "fargate-nb-fix-check" in o.get("data", {}).get(
        "text/html", "")]
    assert len(checks) == 1 and 'data-passed="true"' in checks[0], checks


def test_diagnose_notebook_shows_the_saved_diagnosis_instead_of_diagnosing_again(tmp_path):
    """A report gives the notebook its diagnosis (diagnosis_path): the kernel shows it, and does not recompute it."""
    from fargate_nb.diagnose import diagnose
    from tests.support.report_scenarios import snapshot

    evidence = snapshot()
    saved = diagnose(evidence)
    saved.verdict = "The verdict as it was saved next to the evidence."  # no diagnosis would say this
    evidence.save(tmp_path / "evidence.json")
    (tmp_path / "diagnosis.json").write_text(saved.to_json())
    nb = run("02_diagnose_task", tmp_path, snapshot_path=str(tmp_path / "evidence.json"),
             diagnosis_path=str(tmp_path / "diagnosis.json"), interactive=False)
    assert_clean(nb)
    [verdict] = part(nb, "verdict")
    assert "The verdict as it was saved next to the evidence." in verdict
