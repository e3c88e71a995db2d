"""End to end: the real notebook run by papermill on sandbox evidence, every file checked, and the
HTML opened in headless Chromium with the network blocked."""

from __future__ import annotations

import json
import re

import nbformat
import pytest
from report_browser import needs_chromium

from fargate_nb.diagnose import diagnose
from fargate_nb.model import DIAGNOSIS_SCHEMA, Snapshot
from fargate_nb.report import generate_report
from tests.support.report_scenarios import HOSTILE_LOG_GROUP, HOSTILE_ROLE, hostile_snapshot

pytestmark = [pytest.mark.slow]

MD_SECTIONS = ("## Summary", "## Timeline", "## Stopped reason", "## Findings and fixes", "## Pull steps",
               "## Sequence diagram", "## Evidence", "## What could not be read")


def check_files(paths, snapshot: Snapshot):
    """Every file of a report is complete and consistent with the evidence."""
    data = json.loads(paths.json.read_text(encoding="utf-8"))
    assert data["schema"] == DIAGNOSIS_SCHEMA
    assert Snapshot.load(paths.snapshot).to_dict() == snapshot.to_dict()
    nb = nbformat.read(paths.ipynb, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert not [o for o in outputs if (o.get("metadata") or {}).get("fargate_nb") == "error"]
    md = paths.md.read_text(encoding="utf-8")
    for section in MD_SECTIONS:
        assert f"\n{section}\n" in md, section
    assert "```mermaid\nsequenceDiagram" in md
    return data, md


@needs_chromium
@pytest.mark.parametrize("scenario_id", ["no-s3-gateway", "bad-trust"])
def test_scenario_report_renders_offline_with_the_failing_call(scenario_snapshot, open_offline, tmp_path,
                                                               scenario_id):
    snapshot, env = scenario_snapshot(scenario_id)
    paths = generate_report(snapshot, tmp_path)
    data, md = check_files(paths, snapshot)
    diagnosis = diagnose(snapshot)
    assert data["sequence"]["calls"] and len(data["permissions"]) == len(diagnosis.permissions)
    failing = {f["id"] for f in data["findings"] if f["status"] == "fail"}
    assert failing and failing == {f.id for f in diagnosis.failed}
    assert md.split("\n")[2].startswith("> **❌ FAIL")
    assert env.task_id in paths.md.name

    view = open_offline(paths.html)
    view.page.wait_for_selector(".fargate-nb-diagram svg.main-svg", timeout=30_000)
    svg = "\n".join(view.svg_text(".fargate-nb-diagram svg.main-svg text"))
    for lifeline in diagnosis.sequence.lifelines:
        assert lifeline.label in svg, lifeline.label
    first = diagnosis.sequence.first_failure
    assert f"✗ {first.label}" in svg
    assert [c["label"] for c in data["sequence"]["calls"] if c["first_failure"]] == [first.label]
    mermaid = md.split("```mermaid\n", 1)[1].split("\n```", 1)[0]
    assert sum("-x" in ln for ln in mermaid.splitlines()) == 1 and "could not be drawn" not in md
    findings = view.page.locator(".fargate-nb-findings table").first
    assert findings.is_visible()
    assert all(fid in findings.inner_text() for fid in failing)
    header = view.page.locator("#fnb-verdict").inner_text()
    assert diagnosis.verdict in header and "fargate-nb" in header and snapshot.region in header
    assert view.requests == [] and view.console_errors == [] and view.dialogs == []


@needs_chromium
def test_hostile_text_is_text_in_the_html_and_markdown_reports(open_offline, tmp_path):
    snapshot = hostile_snapshot()
    paths = generate_report(snapshot, tmp_path, "<script>window.__pwned='title'</script>")
    check_files(paths, snapshot)
    view = open_offline(paths.html)
    page = view.page
    page.wait_for_selector(".fargate-nb-diagram svg.main-svg", timeout=30_000)
    assert page.evaluate("window.__pwned") is None
    assert page.locator("b:text-is('bold')").count() == 0  # the role name's <b> is not an element
    assert page.locator("img[onerror]").count() == 0
    text = page.locator("body").inner_text()
    assert "<script>window.__pwned='reason'</script>" in text
    assert HOSTILE_ROLE in text
    assert HOSTILE_LOG_GROUP.split("\n")[0] in text
    assert page.title() == "<script>window.__pwned='title'</script>"
    assert view.requests == [] and view.console_errors == [] and view.dialogs == []

    md = paths.md.read_text(encoding="utf-8")
    outside_fences = re.sub(r"^(`{3,})[^\n]*\n.*?^\1$", "", md, flags=re.M | re.S)
    assert "<script" not in outside_fences and "<img" not in outside_fences and "<b>" not in outside_fences
    assert not re.search(r"^#+ Injected heading", md, re.M)
