"""The audit report: Markdown summary, JSON, JUnit XML for CI, and an offline HTML page.

``write_audit_report(audit, out_dir)`` writes ``index.html`` (the services × steps heatmap, a
sortable table, each failing service's findings and fixes), ``audit.md``, ``audit.json``
(`Audit.to_dict`) and ``junit.xml`` next to one copy of plotly.js (``plotly.min.js``), so the page
opens with the network off. Per-service snapshots are written by the runner under ``snapshots/``.
"""

from __future__ import annotations

import html
import json
import os
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from fargate_nb.diagnose.fleet import ERROR, Audit, AuditRow
from fargate_nb.files import private_dir, write_text_atomic
from fargate_nb.report.generate import write_plotlyjs
from fargate_nb.views.markdown import Raw, code_span, diagnosis_markdown, md_escape, table
from fargate_nb.views.safe import one_line

#: The formats `fargate-nb audit --format` prints.
SNAPSHOT_DIR = "snapshots"


# -- Markdown ------------------------------------------------------------------------------------
def _demote(markdown: str, levels: int) -> str:
    """Headings moved down ``levels`` (outside fenced blocks), so a diagnosis nests under a section."""
    out, fence = [], ""
    for line in markdown.splitlines():
        marker = re.match(r"^(`{3,}|~{3,})", line)
        if marker and (not fence or marker.group(1).startswith(fence)):
            fence = "" if fence else marker.group(1)
        elif not fence and re.match(r"^#{1,6} ", line):
            line = "#" * levels + line
        out.append(line)
    return "\n".join(out)


def audit_summary_markdown(audit: Audit) -> str:
    """Services by verdict; steps failing most; findings most common; what could not be listed."""
    from fargate_nb.views.fleet import headline

    parts = [md_escape(headline(audit)), "",
             table(("verdict", "services"), audit.by_verdict().items()) if audit.rows else "No service found.", ""]
    if audit.failing_steps():
        parts += [table(("step failing", "services"), ((Raw(code_span(s)), n) for s, n in audit.failing_steps())), ""]
    if audit.common_findings():
        parts += [table(("finding", "services"), ((Raw(code_span(i)), n) for i, n in audit.common_findings())), ""]
    if audit.problems:
        parts += ["Could not be listed:", "", *(f"- {md_escape(p)}" for p in audit.problems), ""]
    return "\n".join(parts)


def audit_markdown(audit: Audit, *, title: str = "fargate-nb audit") -> str:
    """The whole audit: summary, one row per service, then the full diagnosis of each failing service."""
    from fargate_nb.views.fleet import COLUMNS, cell

    rows = [[Raw(code_span(cell(r, a))) if a in ("finding_ids", "failing_step") and cell(r, a) != "-"
             else cell(r, a) for _, a in COLUMNS] for r in audit.rows]
    out = [f"# {md_escape(title)}", "", "## Summary", "", audit_summary_markdown(audit),
           "## Services", "", table([h for h, _ in COLUMNS], rows) if rows else "No service found.", ""]
    errors = [r for r in audit.rows if r.status == ERROR]
    if errors:
        out += ["## Could not be audited", "",
                *(f"- {code_span(r.key)}: {md_escape(r.error)}" for r in errors), ""]
    failing = [r for r in audit.rows if r.status == "fail" and r.diagnosis is not None]
    if failing:
        out += ["## Failing services", ""]
        for row in failing:
            out += [_demote(diagnosis_markdown(row.diagnosis), 2), ""]
    return "\n".join(out).rstrip() + "\n"


def audit_json(audit: Audit) -> str:
    return json.dumps(audit.to_dict(), indent=2, default=str) + "\n"


# -- JUnit XML -------------------------------------------------------------------------------------
def _xml_text(text: object, limit: int = 4000) -> str:
    """Text XML 1.0 can carry (no control characters), cut at ``limit``."""
    return re.sub(r"[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]", "", str(text or ""))[:limit]


def suite_name(row: AuditRow) -> str:
    """One suite per cluster: account/region/cluster."""
    return "/".join((row.account or "-", row.region, row.cluster))


def audit_junit(audit: Audit) -> str:
    """JUnit XML: one testsuite per cluster, one testcase per service.

    A failing service is a ``<failure>`` (type: its first finding id; message: the verdict; body:
    the finding ids and what to fix); a service that could not be checked (``unknown``) or read at
    all (``error``) is an ``<error>``, which CI systems show as red as a failure, never as skipped:
    a service nobody could check is not healthy. Warnings pass, noted in ``<system-out>``.
    """
    suites: dict[str, list[AuditRow]] = defaultdict(list)
    for row in audit.rows:
        suites[suite_name(row)].append(row)
    root = ET.Element("testsuites", name="fargate-nb audit")
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    per_service = audit.seconds / len(audit.rows) if audit.rows else 0.0
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    for name, rows in suites.items():
        failures = sum(r.status == "fail" for r in rows)
        errors = sum(r.status in ("unknown", ERROR) for r in rows)
        suite = ET.SubElement(root, "testsuite", name=_xml_text(name, 500), tests=str(len(rows)),
                              failures=str(failures), errors=str(errors), skipped="0",
                              time=f"{per_service * len(rows):.3f}", timestamp=stamp)
        for row in rows:
            case = ET.SubElement(suite, "testcase", name=_xml_text(row.service, 500),
                                 classname=_xml_text(name.replace("/", "."), 500), time=f"{per_service:.3f}")
            _outcome(case, row)
        for key, value in (("tests", len(rows)), ("failures", failures), ("errors", errors)):
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", f"{audit.seconds:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _outcome(case: ET.Element, row: AuditRow) -> None:
    ids = ", ".join(row.finding_ids)
    details = [f"verdict: {row.verdict}", f"task definition: {row.task_definition or '-'}"]
    if row.status == "fail":
        details.insert(0, f"failing step: {row.failing_step or '-'}; findings: {ids or '-'}")
        if row.diagnosis is not None:
            details += [f"{f.id}: {f.text} -- fix: {f.remediation.summary if f.remediation else '-'}"
                        for f in row.diagnosis.failed]
        element = ET.SubElement(case, "failure", message=_xml_text(one_line(row.verdict), 1000),
                                type=_xml_text(row.finding_ids[0] if row.finding_ids else "fail"))
        element.text = _xml_text("\n".join(details))
    elif row.status in ("unknown", ERROR):
        what = row.error if row.status == ERROR else f"could not check: {row.verdict} ({ids or 'no finding id'})"
        element = ET.SubElement(case, "error", message=_xml_text(one_line(what), 1000), type=row.status)
        element.text = _xml_text("\n".join(details))
    elif row.status == "warn" and row.diagnosis is not None:
        notes = [f"warning {f.id}: {f.text}" for f in row.diagnosis.findings if f.status == "warn"]
        ET.SubElement(case, "system-out").text = _xml_text("\n".join(notes))


# -- HTML -----------------------------------------------------------------------------------------------
PAGE_CSS = """
body { font-family: system-ui, sans-serif; margin: 1.5em auto; max-width: 1400px; padding: 0 1em; color: #212121; }
h1 { font-size: 1.5em; margin: .2em 0; } h2 { font-size: 1.2em; margin-top: 1.6em; }
.fnb-header { border-left: 8px solid #888; background: #f6f6f6; padding: .8em 1.2em; border-radius: 6px; }
.fnb-header.fnb-fail { border-left-color: #c62828; background: #fdecea; }
.fnb-header.fnb-pass { border-left-color: #2e7d32; background: #edf7ed; }
.fnb-header.fnb-warn, .fnb-header.fnb-unknown { border-left-color: #ed6c02; background: #fff4e5; }
.fargate-nb-heatmap { max-width: 100%; overflow: hidden; }
.fargate-nb-audit-service { margin: .4em 0; border: 1px solid #e0e0e0; border-radius: 4px; padding: .3em .6em; }
.fargate-nb-audit-service > summary { cursor: pointer; overflow-wrap: anywhere; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f7f7f7; padding: .5em; }
code { overflow-wrap: anywhere; }
footer { margin-top: 2em; color: #607d8b; font-size: .85em; }
"""


def audit_html(audit: Audit, *, title: str = "fargate-nb audit", plotlyjs_src: str | None = None) -> str:
    """The audit page. ``plotlyjs_src`` names a local plotly.js file to link; without it plotly.js is embedded."""
    from fargate_nb import __version__
    from fargate_nb.views.fleet import TABLE_CSS, audit_table_html, failing_html, heatmap_html, summary_html

    if plotlyjs_src:
        plotly = f'<script src="{html.escape(plotlyjs_src, quote=True)}"></script>'
    else:
        from plotly.offline import get_plotlyjs

        plotly = f"<script>{get_plotlyjs()}</script>"
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{PAGE_CSS}{TABLE_CSS}</style>
{plotly}
</head><body>
<header class="fnb-header fnb-{html.escape(audit.status)}" id="fnb-summary"><h1>{html.escape(title)}</h1>
{summary_html(audit)}</header>
<h2>Services × pull steps</h2>
<p>Each cell is one step of one service's image pull, coloured by what the checks found; hover for the findings.</p>
{heatmap_html(audit)}
<h2>Services</h2>
<p>Click a column's header to sort by it; hover a row for its verdict; a service links its evidence (snapshot JSON) when it was saved.</p>
{audit_table_html(audit, snapshot_links=any(r.snapshot_file for r in audit.rows))}
<h2>Failing services: findings and fixes</h2>
<div class="fargate-nb-audit-failing">{failing_html(audit)}</div>
<footer>Generated {now} with fargate-nb {html.escape(__version__)}. Also in this folder: audit.md, audit.json, junit.xml.</footer>
</body></html>
"""


@dataclass(frozen=True)
class AuditPaths:
    """The files of an audit report."""

    html: Path
    md: Path
    json: Path
    junit: Path
    plotlyjs: Path

    def all(self) -> list[Path]:
        return [self.html, self.md, self.json, self.junit, self.plotlyjs]


def write_audit_report(audit: Audit, out_dir: str | os.PathLike[str], *, title: str = "fargate-nb audit") -> AuditPaths:
    """Write index.html, audit.md, audit.json and junit.xml into ``out_dir``, with one local copy of plotly.js."""
    out = Path(out_dir)
    private_dir(out)
    plotlyjs = write_plotlyjs(out)
    paths = AuditPaths(out / "index.html", out / "audit.md", out / "audit.json", out / "junit.xml", plotlyjs)
    write_text_atomic(paths.html, audit_html(audit, title=title, plotlyjs_src=plotlyjs.name))
    write_text_atomic(paths.md, audit_markdown(audit, title=title))
    write_text_atomic(paths.json, audit_json(audit))
    write_text_atomic(paths.junit, audit_junit(audit))
    return paths
