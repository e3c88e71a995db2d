"""An audit drawn: the services × steps heatmap, the sortable table, the terminal text, notebook outputs.

Everything here renders an `Audit` built by the runner (`fargate_nb.investigation.run_audit`):
each row already carries its diagnosis, so a cell of the heatmap is that diagnosis' step status and
the table shows the row's own answer. Nothing is evaluated again.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from fargate_nb.diagnose.fleet import ERROR, VERDICT_ORDER, Audit, AuditRow
from fargate_nb.model import STEPS
from fargate_nb.pullflow import STEP_TITLES
from fargate_nb.views.diagram import FIGURE_CONFIG, STATUS_COLOURS, STATUS_MARKS
from fargate_nb.views.safe import one_line
from fargate_nb.views.text import _paint, render_text

#: The diagram's palette, plus a colour for a service whose evidence could not be collected.
FLEET_COLOURS = {**STATUS_COLOURS, ERROR: "#37474f"}
FLEET_MARKS = {**STATUS_MARKS, ERROR: "✗"}
#: The statuses a heatmap cell can take, in legend order.
CELL_STATUSES = ("fail", ERROR, "unknown", "warn", "pass", "skipped")
#: The table's columns: (header, AuditRow attribute or computed key).
COLUMNS = (("account", "account"), ("region", "region"), ("cluster", "cluster"), ("service", "service"),
           ("task definition", "task_definition"), ("verdict", "status"), ("failing step", "failing_step"),
           ("findings", "finding_ids"), ("platform", "platform_version"), ("network path", "path_kind"))
#: Columns whose text may wrap (lists and long names); the others stay on one line and the table scrolls.
WRAP_COLUMNS = ("finding_ids", "path_kind", "service", "task_definition", "failing_step", "cluster", "region")
_RANK = {status: i for i, status in enumerate(VERDICT_ORDER)}
ROW_HEIGHT_PX = 26


def cell(row: AuditRow, attribute: str) -> str:
    """One table cell of a row as plain one-line text."""
    value = getattr(row, attribute)
    if isinstance(value, list):
        value = ", ".join(value)
    return one_line(value if value not in (None, "") else "-", 200)


def step_statuses(row: AuditRow) -> dict[str, str]:
    """Each pull step's status for this service (all `ERROR` when nothing could be collected)."""
    if row.diagnosis is None:
        return dict.fromkeys(STEPS, ERROR if row.status == ERROR else "unknown")
    by_step = {s.id: s.status for s in row.diagnosis.steps}
    return {step: by_step.get(step, "skipped") for step in STEPS}


def row_labels(audit: Audit) -> list[str]:
    """Short unique names: cluster/service, prefixed by region and account only when the audit spans several."""
    regions = {r.region for r in audit.rows}
    accounts = {r.account for r in audit.rows}
    labels = []
    for r in audit.rows:
        parts = ([r.account or "-"] if len(accounts) > 1 else []) + ([r.region] if len(regions) > 1 else [])
        labels.append(one_line("/".join([*parts, r.cluster, r.service]), 60))
    seen: dict[str, int] = {}
    unique = []
    for label in labels:  # the heatmap's categorical axis needs distinct names
        seen[label] = seen.get(label, 0) + 1
        unique.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return unique


def _hover(row: AuditRow, step: str, status: str) -> str:
    lines = [f"<b>{html.escape(one_line(row.key, 120))}</b>", f"{step} ({STEP_TITLES[step]}): {status}"]
    if row.diagnosis is not None:
        for f in row.diagnosis.findings:
            if f.step == step and f.status in ("fail", "unknown", "warn"):
                lines.append(f"{FLEET_MARKS.get(f.status, '?')} {html.escape(f.id)}: "
                             f"{html.escape(one_line(f.text, 90))}")
    elif row.error:
        lines.append(html.escape(one_line(row.error, 120)))
    return "<br>".join(lines[:8])


def audit_heatmap(audit: Audit) -> Any:
    """Services (rows) × pull steps (columns), each cell coloured by that step's status."""
    import plotly.graph_objects as go

    index = {status: i for i, status in enumerate(CELL_STATUSES)}
    n = len(CELL_STATUSES)
    scale = []
    for i, status in enumerate(CELL_STATUSES):  # a stepped colour scale: one flat band per status
        scale += [[i / n, FLEET_COLOURS[status]], [(i + 1) / n, FLEET_COLOURS[status]]]
    labels = row_labels(audit)
    z, text, hover = [], [], []
    for row in audit.rows:
        statuses = step_statuses(row)
        z.append([index[statuses[s]] for s in STEPS])
        text.append([FLEET_MARKS.get(statuses[s], "?") for s in STEPS])
        hover.append([_hover(row, s, statuses[s]) for s in STEPS])
    legend = "  ".join(f'<span style="color:{FLEET_COLOURS[s]}">■</span> {s}' for s in CELL_STATUSES)
    fig = go.Figure(go.Heatmap(
        z=z, x=list(STEPS), y=labels, text=text, texttemplate="%{text}", textfont=dict(color="white", size=13),
        customdata=hover, hovertemplate="%{customdata}<extra></extra>", colorscale=scale, zmin=-0.5,
        zmax=n - 0.5, showscale=False, xgap=2, ygap=2))
    fig.update_layout(
        title=dict(text=legend, font=dict(size=13), x=0, xanchor="left"), autosize=True,
        height=140 + ROW_HEIGHT_PX * max(len(labels), 1), margin=dict(l=10, r=10, t=80, b=10),
        plot_bgcolor="white", meta={"services": len(labels), "steps": list(STEPS)})
    fig.update_xaxes(side="top", tickangle=0, fixedrange=True)
    fig.update_yaxes(autorange="reversed", automargin=True, fixedrange=True, tickfont=dict(size=11))
    return fig


def heatmap_html(audit: Audit, div_id: str = "fargate-nb-audit-heatmap") -> str:
    """The heatmap as a div (plotly.js loaded elsewhere, once), inside a ``fargate-nb-heatmap`` box."""
    body = audit_heatmap(audit).to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                                         config=FIGURE_CONFIG)
    return f'<div class="fargate-nb-heatmap" data-services="{len(audit.rows)}">{body}</div>'


# -- the sortable table ------------------------------------------------------------------------------
#: Sorts a table by the clicked header (numbers and ``data-sort`` values first); a second click reverses.
SORT_SCRIPT = """
(function () {
  document.querySelectorAll('table.fnb-sortable').forEach(function (table) {
    if (table.dataset.sortReady) return;
    table.dataset.sortReady = '1';
    table.querySelectorAll('thead th').forEach(function (th, col) {
      th.addEventListener('click', function () {
        var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
        var dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
        table.querySelectorAll('thead th').forEach(function (h) { h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
        var key = function (row) {
          var c = row.cells[col];
          return c.hasAttribute('data-sort') ? c.getAttribute('data-sort') : c.textContent.trim().toLowerCase();
        };
        rows.sort(function (a, b) {
          var x = key(a), y = key(b);
          return (x < y ? -1 : x > y ? 1 : 0) * dir;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
})();
"""

TABLE_CSS = """
.fnb-table-box { max-width: 100%; overflow-x: auto; }
.fnb-table-box table.fnb-sortable { border-collapse: collapse; width: 100%; font-size: .82em; table-layout: auto;
  margin: 0; }
.fnb-table-box table.fnb-sortable th, .fnb-table-box table.fnb-sortable td { border: 1px solid #ddd;
  padding: .25em .4em; text-align: left; vertical-align: top; white-space: nowrap; }
.fnb-table-box table.fnb-sortable td.fnb-wrap { white-space: normal; overflow-wrap: break-word; }
.fnb-table-box table.fnb-sortable th { background: #f3f3f3; cursor: pointer; user-select: none; white-space: normal; }
.fnb-table-box table.fnb-sortable th[aria-sort=ascending]::after { content: " ▲"; }
.fnb-table-box table.fnb-sortable th[aria-sort=descending]::after { content: " ▼"; }
.fnb-table-box table.fnb-sortable td.fnb-status { font-weight: 600; white-space: nowrap; }
"""


def _status_cell(status: str) -> str:
    colour = FLEET_COLOURS.get(status, FLEET_COLOURS["unknown"])
    return (f'<td class="fnb-status" data-sort="{_RANK.get(status, 99)}" style="color:{colour}">'
            f"{FLEET_MARKS.get(status, '?')} {html.escape(status)}</td>")


def _breakable(text: str) -> str:
    """Escaped text that may break after the dots, colons and commas of ids (``secrets.<wbr>missing``)."""
    return re.sub(r"([.:,])", r"\1<wbr>", html.escape(text))


def _snapshot_href(row: AuditRow) -> str | None:
    """The row's snapshot file, relative to the report folder (nothing that climbs out of it), URL-quoted so a
    name can be neither a scheme (``javascript:``) nor cut short by ``#`` or ``?``."""
    path = row.snapshot_file
    if not path or path.startswith(("/", "\\")) or ".." in path.replace("\\", "/").split("/"):
        return None
    return quote(path)


def audit_table_html(audit: Audit, *, snapshot_links: bool = False, table_id: str = "fargate-nb-audit-table") -> str:
    """One row per service, sortable by any column (a click on its header), with the script that sorts it.

    With ``snapshot_links`` each service's name links its snapshot file (the evidence, as JSON).
    """
    heads = "".join(f"<th>{html.escape(h)}</th>" for h, _ in COLUMNS)
    rows = []
    for row in audit.rows:
        cells = []
        for _, attr in COLUMNS:
            if attr == "status":
                cells.append(_status_cell(row.status))
                continue
            text = cell(row, attr)
            sort = (f' data-sort="{STEPS.index(row.failing_step)}"'
                    if attr == "failing_step" and row.failing_step in STEPS else "")
            wrap = ' class="fnb-wrap"' if attr in WRAP_COLUMNS else ""
            body = _breakable(text) if wrap else html.escape(text)
            href = _snapshot_href(row) if snapshot_links and attr == "service" else None
            if href:
                body = (f'<a href="{html.escape(href, quote=True)}" title="the evidence (snapshot JSON)">'
                        f"{body}</a>")
            cells.append(f"<td{wrap}{sort}>{body}</td>")
        title = html.escape(one_line(row.verdict, 300), quote=True)
        rows.append(f'<tr class="fnb-{html.escape(row.status)}" title="{title}">{"".join(cells)}</tr>')
    return (f'<div class="fnb-table-box fargate-nb-audit-table"><table class="fnb-sortable" id="{table_id}">'
            f"<thead><tr>{heads}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
            f"<script>{SORT_SCRIPT}</script>")


# -- text ------------------------------------------------------------------------------------------
def summary_lines(audit: Audit) -> list[str]:
    """Services by verdict; steps failing most; findings most common; what could not be listed."""
    def counts(pairs: Iterable[tuple[str, int]]) -> str:
        return ", ".join(f"{k} {n}" for k, n in pairs) or "none"

    lines = [f"services by verdict:   {counts(audit.by_verdict().items())}",
             f"steps failing most:    {counts(audit.failing_steps())}",
             f"findings most common:  {counts(audit.common_findings())}"]
    lines += [f"could not list:        {one_line(p, 300)}" for p in audit.problems]
    return lines


def headline(audit: Audit) -> str:
    """'fargate-nb audit: 12 services, 1 account, 2 regions; 3 fail (40 AWS calls, 3.1 s)'."""
    return f"fargate-nb audit: {counts(audit)}"


def counts(audit: Audit) -> str:
    """'12 service(s), 1 account(s), 2 region(s); 3 fail (40 AWS calls, 3.1 s)': the headline under a title."""
    accounts = sorted({r.account for r in audit.rows if r.account} | set(audit.accounts))
    regions = sorted({r.region for r in audit.rows} | set(audit.regions))
    failing = audit.by_verdict().get("fail", 0)
    cost = f" ({audit.calls} AWS calls, {audit.seconds:.1f} s)" if audit.calls or audit.seconds else ""
    return (f"{len(audit.rows)} service(s), {len(accounts)} account(s), {len(regions)} region(s); "
            f"{failing} fail{cost}")


def table_text(audit: Audit, *, colour: bool = False, max_width: int = 48) -> str:
    """The rows as aligned columns (long values cut with …)."""
    heads = [h for h, _ in COLUMNS]
    body = [[one_line(cell(r, attr), max_width) for _, attr in COLUMNS] for r in audit.rows]
    widths = [max([len(h)] + [len(b[i]) for b in body]) for i, h in enumerate(heads)]
    verdict = [attr for _, attr in COLUMNS].index("status")
    out = ["  ".join(h.upper().ljust(w) for h, w in zip(heads, widths, strict=True)).rstrip()]
    for row, values in zip(audit.rows, body, strict=True):
        parts = [v.ljust(w) for v, w in zip(values, widths, strict=True)]
        parts[verdict] = _paint(parts[verdict], "fail" if row.status == ERROR else row.status, colour)
        out.append("  ".join(parts).rstrip())
    return "\n".join(out)


def render_audit_text(audit: Audit, *, colour: bool = False, verbose: bool = False) -> str:
    """The terminal answer: the table, the summary, then the full diagnosis of each failing service."""
    out = [headline(audit), ""]
    out.append(table_text(audit, colour=colour) if audit.rows else "No service found.")
    out += ["", "Summary:", *(f"  {line}" for line in summary_lines(audit))]
    errors = [r for r in audit.rows if r.status == ERROR]
    if errors:
        out += ["", "Could not be audited:"]
        out += [f"  ✗ {one_line(r.key, 200)}: {one_line(r.error, 300)}" for r in errors]
    unknown = [r for r in audit.rows if r.status == "unknown"]
    if unknown:
        out += ["", "Not everything could be checked:"]
        out += [f"  ? {one_line(r.key, 200)}: {one_line(r.verdict, 300)}" for r in unknown]
    failing = [r for r in audit.rows if r.status == "fail" and r.diagnosis is not None]
    for row in failing:
        out += ["", "=" * 100, f"Failing service {one_line(row.key, 200)}", "=" * 100,
                render_text(row.diagnosis, colour=colour, verbose=verbose).rstrip("\n")]
    return "\n".join(out) + "\n"


# -- notebook outputs ---------------------------------------------------------------------------------
AUDIT_PARTS = ("summary", "heatmap", "table", "failing")


def _bundle(html_text: str, plain: str, part: str) -> dict[str, Any]:
    return {"output_type": "display_data", "data": {"text/html": html_text, "text/plain": plain},
            "metadata": {"fargate_nb": f"audit-{part}"}}


def summary_html(audit: Audit) -> str:
    """Counts by verdict as coloured badges, then the steps and findings failing most."""
    badges = " ".join(f'<span class="fnb-badge" data-verdict="{html.escape(v)}" style="background:'
                      f'{FLEET_COLOURS.get(v, "#757575")};color:white;padding:.15em .6em;border-radius:1em;'
                      f'margin-right:.3em;white-space:nowrap">{html.escape(v)} {n}</span>'
                      for v, n in audit.by_verdict().items())
    steps = ", ".join(f"<code>{html.escape(s)}</code> {n}" for s, n in audit.failing_steps()) or "none"
    findings = ", ".join(f"<code>{html.escape(i)}</code> {n}" for i, n in audit.common_findings()) or "none"
    problems = "".join(f"<li>{html.escape(one_line(p, 300))}</li>" for p in audit.problems)
    problems = f"<p>Could not be listed:</p><ul>{problems}</ul>" if problems else ""
    return (f'<div class="fargate-nb-audit-summary" data-status="{audit.status}">'
            f"<p><b>{html.escape(counts(audit))}</b></p><p>{badges or 'no service'}</p>"
            f"<p>Steps failing most: {steps}</p><p>Findings most common: {findings}</p>{problems}</div>")


def failing_html(audit: Audit) -> str:
    """Each failing service's verdict and its findings with fixes, folded (one ``<details>`` each)."""
    from fargate_nb.views.notebook import fixes_bundle, verdict_bundle

    blocks = []
    for row in audit.rows:
        if row.status != "fail" or row.diagnosis is None:
            continue
        inner = verdict_bundle(row.diagnosis)["data"]["text/html"] + fixes_bundle(row.diagnosis)["data"]["text/html"]
        blocks.append(f'<details class="fargate-nb-audit-service" data-service="{html.escape(row.key, quote=True)}">'
                      f"<summary><b>{html.escape(one_line(row.key, 200))}</b> — {html.escape(one_line(row.verdict, 300))}"
                      f"</summary>{inner}</details>")
    return "".join(blocks) or "<p>No service fails.</p>"


def audit_bundles(audit: Audit, parts: Iterable[str] = AUDIT_PARTS) -> list[dict[str, Any]]:
    """The audit's notebook outputs (nbformat ``display_data``), one per part."""
    from fargate_nb.views import notebook

    out = []
    for part in parts:
        if part == "summary":
            out.append(_bundle(summary_html(audit), "\n".join([headline(audit), *summary_lines(audit)]), part))
        elif part == "heatmap":
            bundle = _bundle(heatmap_html(audit), f"heatmap: {len(audit.rows)} services x {len(STEPS)} steps", part)
            if notebook._PLOTLY_JSON[0]:  # as the diagram: JupyterLab draws plotly's JSON when plotly.js is not embedded
                bundle["data"][notebook.PLOTLY_MIME] = {**json.loads(audit_heatmap(audit).to_json()),
                                                        "config": FIGURE_CONFIG}
            out.append(bundle)
        elif part == "table":
            out.append(_bundle(f"<style>{TABLE_CSS}</style>{audit_table_html(audit)}", table_text(audit), part))
        elif part == "failing":
            out.append(_bundle(f'<div class="fargate-nb-audit-failing">{failing_html(audit)}</div>',
                               f"{audit.by_verdict().get('fail', 0)} failing service(s)", part))
        else:
            raise ValueError(f"unknown audit part {part!r}; choose from {', '.join(AUDIT_PARTS)}")
    return out


def show_audit(audit: Any, *parts: str) -> None:
    """Display parts of an audit (all of `AUDIT_PARTS` when none is named), or the error that replaced it."""
    from IPython.display import display

    from fargate_nb.views.notebook import error_bundle

    if not isinstance(audit, Audit):
        bundles = [error_bundle(str(getattr(audit, "error", None) or audit or "nothing was audited"))]
    else:
        bundles = audit_bundles(audit, parts or AUDIT_PARTS)
    for bundle in bundles:
        display(bundle["data"], metadata=dict(bundle["metadata"]), raw=True)
