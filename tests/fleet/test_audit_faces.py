"""The audit's faces on a known Audit (lab scenarios diagnosed for real, plus a service that could not be read):
text, Markdown, JSON, JUnit XML, the heatmap, and the offline HTML report opened in headless Chromium."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from fargate_nb.diagnose.fleet import ERROR, Audit
from fargate_nb.lab.scenarios import get_scenario
from fargate_nb.model import STEPS
from tests.fleet.known_audit import FLEET_SCENARIOS, UNREADABLE, known_audit

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def audit() -> Audit:
    return known_audit()


def broken(audit: Audit) -> dict[str, set[str]]:
    """service -> the failing ids its scenario expects (only the broken scenarios)."""
    expected = {s: {i for i, _ in get_scenario(s).expected} for s in FLEET_SCENARIOS}
    return {s: ids for s, ids in expected.items() if ids}


def test_the_known_audit_is_what_the_scenarios_expect(audit):
    for row in audit.rows[:-1]:
        wanted = broken(audit).get(row.service)
        assert (row.status == "fail") == bool(wanted), row.key
        if wanted:
            assert set(row.finding_ids) == wanted, row.key
    assert audit.rows[-1].status == ERROR


def test_text_has_a_row_per_service_the_summary_and_each_failing_diagnosis(audit):
    from fargate_nb.views.fleet import render_audit_text

    text = render_audit_text(audit)
    lines = text.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("ACCOUNT"))
    for column in ("REGION", "CLUSTER", "SERVICE", "TASK DEFINITION", "VERDICT", "FAILING STEP", "FINDINGS",
                   "PLATFORM", "NETWORK PATH"):
        assert column in lines[header]
    table = lines[header + 1: header + 1 + len(audit.rows)]
    for row, line in zip(audit.rows, table, strict=True):
        assert row.service in line and row.status in line
        assert all(i in line for i in row.finding_ids)
    assert "services by verdict:   fail 3, error 1, pass 2" in text
    for service, ids in broken(audit).items():
        assert f"Failing service 123456789012/us-east-1/payments/{service}" in text
        assert all(f"✗ {i}" in text for i in ids)
    assert f"ghost: {UNREADABLE[-1]}" in text
    assert "Failing service 123456789012/us-east-1/payments/healthy-public" not in text
    assert "\x1b[" not in text and "\x1b[31m" in render_audit_text(audit, colour=True)


def test_markdown_summary_table_and_failing_sections(audit):
    from fargate_nb.report.audit import audit_markdown

    md = audit_markdown(audit, title="Fleet")
    assert md.startswith("# Fleet\n")
    assert "| fail | 3 |" in md and "| error | 1 |" in md and "| pass | 2 |" in md
    assert md.count("\n### fargate-nb diagnosis of task") == len(broken(audit))  # headings nested under a section
    assert "\n# fargate-nb diagnosis" not in md
    for ids in broken(audit).values():
        assert all(f"`{i}`" in md for i in ids)
    assert "## Could not be audited" in md and "ghost" in md


def test_json_is_the_audit_model(audit):
    from fargate_nb.report.audit import audit_json

    data = json.loads(audit_json(audit))
    assert [s["service"] for s in data["services"]] == [r.service for r in audit.rows]
    assert data["summary"]["by_verdict"] == {"fail": 3, "error": 1, "pass": 2}


def test_junit_parses_with_one_failure_per_failing_service(audit):
    from fargate_nb.report.audit import audit_junit

    root = ET.fromstring(audit_junit(audit))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["123456789012/us-east-1/payments"]  # one suite per cluster
    cases = [c for s in suites for c in s.findall("testcase")]
    assert [c.get("name") for c in cases] == [r.service for r in audit.rows]
    for element in (root, *suites):  # the counts JUnit readers rely on, consistent with the cases
        assert int(element.get("tests")) == len(cases)
        assert int(element.get("failures")) == sum(c.find("failure") is not None for c in cases)
        assert int(element.get("errors")) == sum(c.find("error") is not None for c in cases)
        float(element.get("time"))
    failures = {c.get("name"): c.find("failure") for c in cases if c.find("failure") is not None}
    assert set(failures) == set(broken(audit))
    for service, failure in failures.items():
        assert failure.get("type") in broken(audit)[service]
        assert failure.get("message").startswith("The pull fails at step")
        assert all(i in failure.text for i in broken(audit)[service])
    [error] = [c for c in cases if c.find("error") is not None]
    assert error.get("name") == "ghost" and "AccessDenied" in error.find("error").get("message")
    for case in cases:  # each case has at most one outcome, and only the elements JUnit knows
        assert {child.tag for child in case} <= {"failure", "error", "skipped", "system-out"}
        assert len([c for c in case if c.tag in ("failure", "error", "skipped")]) <= 1
        assert case.get("classname") and float(case.get("time")) >= 0


def test_junit_keeps_hostile_text_well_formed(audit):
    from fargate_nb.diagnose.fleet import error_row
    from fargate_nb.report.audit import audit_junit

    hostile = Audit(rows=[error_row("1", "us-east-1", "c<&>\"", "s\x00\x1b]", "denied ]]> <x/> \x07")])
    case = ET.fromstring(audit_junit(hostile)).find("testsuite/testcase")
    assert case.get("name") == "s]" and "<x/>" in case.find("error").get("message")


def test_heatmap_cells_are_the_step_statuses(audit):
    from fargate_nb.views.fleet import CELL_STATUSES, audit_heatmap

    fig = audit_heatmap(audit)
    [trace] = fig.data
    assert list(trace.x) == list(STEPS) and len(trace.y) == len(audit.rows)
    for row, z in zip(audit.rows, trace.z, strict=True):
        statuses = [CELL_STATUSES[int(v)] for v in z]
        if row.diagnosis is None:
            assert set(statuses) == {ERROR}
        else:
            assert statuses == [s.status for s in sorted(row.diagnosis.steps, key=lambda s: STEPS.index(s.id))]
    assert len(set(trace.y)) == len(trace.y)


@pytest.fixture(scope="module")
def report(audit, tmp_path_factory) -> Path:
    from fargate_nb.report.audit import write_audit_report

    out = tmp_path_factory.mktemp("audit")
    paths = write_audit_report(audit, out)
    assert {p.name for p in paths.all()} == {"index.html", "audit.md", "audit.json", "junit.xml", "plotly.min.js"}
    return paths.html


def test_the_html_has_no_remote_reference_and_links_plotly_once(report):
    from fargate_nb.report.export import PLOTLY_MARKER, remote_references

    page = report.read_text()
    assert remote_references(page) == []
    assert PLOTLY_MARKER not in page and page.count('<script src="plotly.min.js">') == 1
    assert PLOTLY_MARKER in (report.parent / "plotly.min.js").read_text()


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is not installed")
@pytest.mark.parametrize("width", [800, 1280])
def test_the_html_opens_offline_draws_the_heatmap_and_sorts_the_table(audit, report, width):
    from playwright.sync_api import sync_playwright

    blocked, errors = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:")
                       else (blocked.append(r.request.url), r.abort()))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(report.resolve().as_uri(), wait_until="load")
            page.wait_for_selector(".fargate-nb-heatmap svg.main-svg", timeout=60_000)
            cells = page.eval_on_selector_all(".fargate-nb-heatmap svg .heatmaplayer image, "
                                              ".fargate-nb-heatmap svg .heatmaplayer text", "e => e.length")
            ticks = page.eval_on_selector_all(".fargate-nb-heatmap svg .xtick text", "e => e.map(x => x.textContent)")
            assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing widens the page
            box = page.eval_on_selector(".fargate-nb-heatmap svg.main-svg", "e => e.getBoundingClientRect().right")
            assert box <= width
            table_box = page.eval_on_selector(".fargate-nb-audit-table", "e => [e.scrollWidth, e.clientWidth]")
            assert table_box[0] <= table_box[1], table_box  # the table fits: no column hidden behind a scroll

            def column(name):
                return page.eval_on_selector_all(
                    "#fargate-nb-audit-table tbody tr",
                    f"rows => rows.map(r => r.cells[{name}].textContent.trim())")

            services_before = column(3)
            page.click("#fargate-nb-audit-table thead th:nth-child(4)")  # service
            ascending = column(3)
            page.click("#fargate-nb-audit-table thead th:nth-child(4)")
            descending = column(3)
            page.click("#fargate-nb-audit-table thead th:nth-child(6)")  # verdict: worst first
            verdicts = column(5)
        finally:
            browser.close()
    assert blocked == [] and errors == []
    assert cells >= 1 and ticks == list(STEPS)
    assert services_before == [r.service for r in audit.rows]
    assert ascending == sorted(services_before) and descending == ascending[::-1]
    assert [v.split()[-1] for v in verdicts] == ["fail"] * 3 + [ERROR] + ["pass"] * 2


def test_a_snapshot_link_is_quoted_and_never_a_scheme():
    from fargate_nb.diagnose.fleet import Audit, AuditRow
    from fargate_nb.views.fleet import audit_table_html

    rows = [AuditRow("1", "us-east-1", "c", "a", status="pass", snapshot_file="javascript:alert(1)"),
            AuditRow("1", "us-east-1", "c", "b", status="pass", snapshot_file="snapshots/us-east-1/c/b#1.json")]
    page = audit_table_html(Audit(rows=rows), snapshot_links=True)
    assert 'href="javascript:' not in page and 'href="javascript%3Aalert%281%29"' in page
    assert 'href="snapshots/us-east-1/c/b%231.json"' in page
