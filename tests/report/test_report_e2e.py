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
from fargate_nb.report.export import PLOTLY_MARKER
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
    svg = "\n".join(view.svg_text(".fargate-nb-diagram svg.main-svg text")).replace(" ", "")
    for lifeline in diagnosis.sequence.lifelines:  # wrapped to their column: lines join without spaces
        assert lifeline.label.replace(" ", "") in svg, lifeline.label
    first = diagnosis.sequence.first_failure
    assert f"✗{first.label}".replace(" ", "") in svg
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


#: Notebook chrome that has no place in a report.
CHROME = ("Run the cells from the top", "What if", "Tick a proposed fix", "Pick another task", "Interactive only",
          "stop the local sandbox", "Stop the sandbox", "sandbox stopped")

LAYOUT = """() => {
  const box = e => { const r = e.getBoundingClientRect(); return {x0: r.left, x1: r.right, y0: r.top, y1: r.bottom}; };
  const fig = document.querySelector('.fargate-nb-diagram');
  const svg = fig.querySelector('svg.main-svg');
  const note = [...fig.querySelectorAll('g.annotation')].find(g => g.textContent.startsWith('✗ net.'));
  return {scroll: document.documentElement.scrollWidth, inner: window.innerWidth, figure: box(fig),
          svg: box(svg), note: note && box(note.querySelector('text'))};
}"""


def _inside(inner, outer):
    return (outer["x0"] - 0.5 <= inner["x0"] and inner["x1"] <= outer["x1"] + 0.5
            and outer["y0"] - 0.5 <= inner["y0"] and inner["y1"] <= outer["y1"] + 0.5)


@needs_chromium
def test_the_report_fits_the_page_without_notebook_chrome_and_with_plotly_once(scenario_snapshot, browser, tmp_path):
    snapshot, _ = scenario_snapshot("no-s3-gateway")
    paths = generate_report(snapshot, tmp_path, "Payments pull report")
    page_html = paths.html.read_text(encoding="utf-8")
    md = paths.md.read_text(encoding="utf-8")
    ipynb = paths.ipynb.read_text(encoding="utf-8")

    # plotly.js: exactly once in the HTML, not again in the executed notebook
    from plotly.offline import get_plotlyjs

    banner = get_plotlyjs()[:200]
    assert page_html.count(PLOTLY_MARKER) == 1 and page_html.count(banner) == 1
    assert ipynb.count(PLOTLY_MARKER) == 0 and ipynb.count(banner) == 0
    assert paths.ipynb.stat().st_size < len(get_plotlyjs()) / 4
    nb = nbformat.read(paths.ipynb, as_version=4)
    diagram = next(o for c in nb.cells if c.cell_type == "code" for o in c.outputs
                   if (o.get("metadata") or {}).get("fargate_nb") == "diagram")
    assert "application/vnd.plotly.v1+json" in diagram["data"]  # JupyterLab draws the notebook's copy

    # no notebook chrome; the title once
    for text in CHROME:
        assert text.lower() not in page_html.lower(), text
        assert text.lower() not in md.lower(), text
    assert md.count("Payments pull report") == 1

    for width, height in ((1280, 800), (800, 900)):
        page = browser.new_page(viewport={"width": width, "height": height})
        try:
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
            page.goto(paths.html.resolve().as_uri())
            page.wait_for_selector(".fargate-nb-diagram svg.main-svg g.annotation", timeout=30_000)
            body = page.locator("body").inner_text()
            got = page.evaluate(LAYOUT)
            page.screenshot(path=str(tmp_path / f"report-{width}.png"), full_page=True)
        finally:
            page.close()
        assert body.count("Payments pull report") == 1
        assert "sequenceDiagram" in body  # the mermaid twin, as text
        assert got["scroll"] <= got["inner"], (width, got)  # no horizontal scroll
        assert got["svg"]["x1"] - got["svg"]["x0"] <= got["figure"]["x1"] - got["figure"]["x0"] + 0.5
        assert got["note"] is not None and _inside(got["note"], got["svg"]), (width, got)
