"""What the notebooks display: renderer set-up and ``show_*`` functions, one part of the diagnosis each.

The notebooks open what they diagnose through `fargate_nb.investigation.open_target`; this module
only renders what it is given (an `Investigation`, or the `Failed` that says why there is none).

Every HTML output carries a ``fargate-nb-*`` CSS class (``fargate-nb-verdict``, ``-stopped``,
``-diagram``, ``-permissions``, ``-network``, ``-findings``, ``-fixes``, ``-gaps``, ``-mermaid``,
``-error``) so a report can find its parts. Bad input never raises here: the session carries the
error, and every ``show_*`` then displays it as a message instead of a traceback.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from typing import Any

from fargate_nb.model import Diagnosis
from fargate_nb.views.diagram import (
    FIGURE_CONFIG,
    STATUS_COLOURS,
    STATUS_MARKS,
    clean,
    failure_meta,
    sequence_figure,
)
from fargate_nb.views.mermaid import to_mermaid

Bundle = dict[str, Any]  # an nbformat display_data output
_DIAGRAM_COUNTER = [0]
_PLOTLY_JSON = [False]  # set by setup_notebook(embed_plotlyjs=False): the diagram carries plotly's JSON too
PLOTLY_MIME = "application/vnd.plotly.v1+json"


def setup_notebook(embed_plotlyjs: bool = True) -> None:
    """Make executed notebooks self-contained: plotly.js embedded once (offline), figures as HTML.

    Plotly 6+ defaults to a mimetype that nbconvert's HTML exporter drops, and plotly's own
    ``notebook`` renderer adds a MathJax CDN script to every figure. Here plotly.js (from the
    package, no CDN) is displayed once, and figures render as ``text/html`` that uses it.

    ``embed_plotlyjs=False`` (the headless report) leaves plotly.js out of the outputs: the report's
    HTML embeds it once (`fargate_nb.report.export.make_offline`), and the diagram also carries
    plotly's own JSON mimetype, which JupyterLab draws with its plotly extension.
    """
    import plotly.io as pio
    from IPython.display import HTML, display
    from plotly.io.base_renderers import MimetypeRenderer
    from plotly.offline import get_plotlyjs

    class OfflineHtmlRenderer(MimetypeRenderer):
        """``text/html`` without plotly.js (loaded once by setup_notebook) and without MathJax."""

        def to_mimebundle(self, fig_dict: Any) -> dict[str, str]:
            return {"text/html": pio.to_html(fig_dict, full_html=False, include_plotlyjs=False,
                                              include_mathjax=False, validate=False)}

    pio.renderers["fargate_nb"] = OfflineHtmlRenderer()
    pio.renderers.default = "fargate_nb"
    _DIAGRAM_COUNTER[0] = 0
    _PLOTLY_JSON[0] = not embed_plotlyjs
    if not embed_plotlyjs:
        return
    display(HTML('<script type="text/javascript">window.PlotlyConfig = {MathJaxConfig: "local"};</script>'
                 f'<script type="text/javascript">{get_plotlyjs()}</script>'
                 '<div class="fargate-nb-setup" style="display:none">plotly.js loaded</div>'))


def _message(prefix: str, exc: BaseException) -> str:
    return clean(f"{prefix}: {type(exc).__name__}: {exc}", 800)


# -- HTML parts ----------------------------------------------------------------------------------
def _e(text: Any, limit: int = 2000) -> str:
    return html.escape(clean(text, limit))


def _bundle(html_text: str, plain: str, part: str) -> Bundle:
    return {"output_type": "display_data", "data": {"text/html": html_text, "text/plain": plain},
            "metadata": {"fargate_nb": part}}


def error_bundle(message: str) -> Bundle:
    return _bundle(f'<div class="fargate-nb-error" style="color:{STATUS_COLOURS["fail"]};border:1px solid;'
                   f'padding:6px 10px">✗ {_e(message)}</div>', f"error: {clean(message, 2000)}", "error")


def verdict_bundle(diagnosis: Diagnosis, source: str = "") -> Bundle:
    status = diagnosis.status
    colour = STATUS_COLOURS[status]
    steps = " ".join(f'<span title="{_e(s.summary)}" style="color:{STATUS_COLOURS.get(s.status, "#757575")}">'
                     f"{STATUS_MARKS.get(s.status, '?')} {_e(s.id)}</span>" for s in diagnosis.steps)
    origin = f'<div style="color:#607d8b;font-size:smaller">evidence: {_e(source)}</div>' if source else ""
    text = (f'<div class="fargate-nb-verdict fargate-nb-status-{status}" data-status="{status}" '
            f'style="border-left:6px solid {colour};padding:6px 12px;margin:6px 0">'
            f'<div style="font-size:1.15em;color:{colour}"><b>{STATUS_MARKS[status]} {_e(diagnosis.verdict)}</b></div>'
            f"<div>{steps}</div>{origin}</div>")
    return _bundle(text, f"verdict ({status}): {clean(diagnosis.verdict, 2000)}", "verdict")


def stopped_bundle(diagnosis: Diagnosis) -> Bundle:
    st = diagnosis.stopped
    if not st:
        return _bundle('<div class="fargate-nb-stopped">The task has no stopped reason '
                       "(it is running, or a service or task definition was diagnosed).</div>",
                       "no stopped reason", "stopped")
    confirmed = {True: "confirmed by " + ", ".join(st.get("confirmed_by") or []),
                 False: "not confirmed by the checks (fixed since, or outside what was read)",
                 None: "no check can confirm it"}.get(st.get("confirmed"), "")
    cut = " <i>(cut by ECS at 255 characters)</i>" if st.get("truncated") else ""
    text = (f'<div class="fargate-nb-stopped"><div><b>Stopped reason:</b> <code>{_e(st.get("text"))}</code>{cut}</div>'
            f'<div><b>Means:</b> {_e(st.get("summary"))} — step <code>{_e(st.get("step") or "-")}</code>, '
            f'cause <code>{_e(st.get("cause"))}</code></div><div><i>{_e(confirmed)}</i></div></div>')
    return _bundle(text, f"stopped: {clean(st.get('text'), 1000)} -> {st.get('step')}/{st.get('cause')}", "stopped")


def diagram_bundle(diagnosis: Diagnosis, figure: Any = None) -> Bundle:
    """The figure as HTML (plotly.js is loaded once by `setup_notebook`), inside a marked div."""
    figure = figure or sequence_figure(diagnosis)
    _DIAGRAM_COUNTER[0] += 1
    div_id = f"fargate-nb-diagram-{_DIAGRAM_COUNTER[0]}"
    body = figure.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                          config=FIGURE_CONFIG)
    failure = failure_meta(diagnosis)
    marker = f' data-first-failure="{_e(failure["finding"])}" data-step="{_e(failure["step"])}"' if failure else ""
    plain = (f"sequence diagram: first failure {failure['finding']} at {failure['step']} ({failure['call']})"
             if failure else "sequence diagram: no failing call")
    bundle = _bundle(f'<div class="fargate-nb-diagram"{marker}>{body}</div>', plain, "diagram")
    if _PLOTLY_JSON[0]:  # no plotly.js in the outputs: JupyterLab draws this one, nbconvert the HTML
        bundle["data"][PLOTLY_MIME] = {**json.loads(figure.to_json()), "config": FIGURE_CONFIG}
    return bundle


def mermaid_bundle(diagnosis: Diagnosis) -> Bundle:
    text = to_mermaid(diagnosis)
    return {"output_type": "display_data",
            "data": {"text/vnd.mermaid": text, "text/markdown": f"```mermaid\n{text}```\n",
                     "text/html": f'<pre class="fargate-nb-mermaid">{html.escape(text)}</pre>', "text/plain": text},
            "metadata": {"fargate_nb": "mermaid"}}


_TABLE_BOX = "max-width:100%;overflow-x:auto;position:relative"  # neither a table nor its tooltips widen the page


def table_bundle(styler: Any, part: str, plain: str) -> Bundle:
    return _bundle(f'<div class="fargate-nb-{part}" style="{_TABLE_BOX}">{styler.to_html()}</div>', plain, part)


def findings_bundle(diagnosis: Diagnosis) -> Bundle:
    """Failures, unknowns, warnings and advice in a table; passing and skipped checks folded away."""
    from fargate_nb.views import tables

    problems = [f for f in diagnosis.findings if f.status not in tables.FOLDED_STATUSES]
    folded = len(diagnosis.findings) - len(problems)
    body = (tables.findings_table(diagnosis, statuses=tables.PROBLEM_STATUSES, styled=True).to_html() if problems
            else "<p>No check fails, warns or is unknown.</p>")
    if folded:
        rest = tables.findings_table(diagnosis, statuses=tables.FOLDED_STATUSES, styled=True).to_html()
        word = "check" if folded == 1 else "checks"
        body += (f'<details class="fargate-nb-passing"><summary>{folded} passing or skipped {word}</summary>'
                 f"{rest}</details>")
    return _bundle(f'<div class="fargate-nb-findings" style="{_TABLE_BOX}">{body}</div>',
                   f"findings table: {len(problems)} problem(s), {folded} passing or skipped", "findings")


def fixes_bundle(diagnosis: Diagnosis) -> Bundle:
    """Each problem with its fix: summary, CLI commands with the real ids, and the policy JSON."""
    blocks = []
    for f in diagnosis.findings:
        if f.status not in ("fail", "warn", "unknown"):
            continue
        colour = STATUS_COLOURS.get(f.status, "#757575")
        target = f" [{_e(f.target)}]" if f.target else ""
        parts = [f'<div class="fargate-nb-fix" data-finding="{_e(f.id)}" style="border-left:4px solid {colour};'
                 f'padding:4px 10px;margin:8px 0"><div style="color:{colour}"><b>{STATUS_MARKS.get(f.status, "?")} '
                 f"{_e(f.id)}{target}</b> — {_e(f.text)}</div>"]
        if f.detail:
            parts.append(f"<div>{_e(f.detail)}</div>")
        if f.missing_permission:
            parts.append(f"<div>grant <code>{_e(f.missing_permission)}</code> to the identity running fargate-nb</div>")
        rem = f.remediation
        if rem:
            parts.append(f"<div><b>Fix:</b> {_e(rem.summary)}</div>")
            if rem.commands:
                parts.append("<pre>" + "\n".join(html.escape(c) for c in rem.commands) + "</pre>")
            if rem.policy:
                parts.append("<pre>" + html.escape(json.dumps(rem.policy, indent=2)) + "</pre>")
        if f.doc_url and f.doc_url.startswith("https://"):
            parts.append(f'<div><a href="{html.escape(f.doc_url, quote=True)}" target="_blank">AWS documentation</a></div>')
        blocks.append("".join(parts) + "</div>")
    body = "".join(blocks) or "<div>Nothing to fix: no check fails, warns or is unknown.</div>"
    return _bundle(f'<div class="fargate-nb-fixes">{body}</div>', f"{len(blocks)} finding(s) with fixes", "fixes")


def gaps_bundle(diagnosis: Diagnosis) -> Bundle:
    if not diagnosis.gaps:
        return _bundle('<div class="fargate-nb-gaps">Everything needed could be read.</div>', "no gaps", "gaps")
    rows = "".join(f"<tr><td><code>{_e(g.api)}</code></td><td>{_e(g.resource or '')}</td>"
                   f"<td><code>{_e(g.permission)}</code></td><td>{_e(g.error)}</td></tr>" for g in diagnosis.gaps)
    text = (f'<div class="fargate-nb-gaps"><p>Could not read (grant these to the identity running fargate-nb):</p>'
            f"<table><tr><th>API</th><th>resource</th><th>needs</th><th>error</th></tr>{rows}</table></div>")
    return _bundle(text, f"{len(diagnosis.gaps)} gap(s)", "gaps")


PARTS = ("verdict", "stopped", "diagram", "permissions", "network", "findings", "fixes", "gaps")


def report_bundles(diagnosis: Diagnosis, parts: Iterable[str] = PARTS, *,
                   figure: Any = None, source: str = "") -> list[Bundle]:
    """The views of one diagnosis as display outputs, in the given order (used by the widgets)."""
    from fargate_nb.views import tables

    makers = {
        "verdict": lambda: verdict_bundle(diagnosis, source),
        "stopped": lambda: stopped_bundle(diagnosis),
        "diagram": lambda: diagram_bundle(diagnosis, figure),
        "permissions": lambda: table_bundle(tables.permissions_table(diagnosis, styled=True),
                                            "permissions", "permissions table"),
        "network": lambda: table_bundle(tables.network_table(diagnosis, styled=True),
                                        "network", "network table"),
        "findings": lambda: findings_bundle(diagnosis),
        "fixes": lambda: fixes_bundle(diagnosis),
        "gaps": lambda: gaps_bundle(diagnosis),
        "mermaid": lambda: mermaid_bundle(diagnosis),
    }
    out = []
    for part in parts:
        try:
            out.append(makers[part]())
        except Exception as exc:  # one broken view must not hide the others
            out.append(error_bundle(_message(f"the {part} view failed", exc)))
    return out


# -- show_* (what notebook cells call) -------------------------------------------------------------
def _display(bundle: Bundle) -> None:
    from IPython.display import display

    display(bundle["data"], metadata=dict(bundle["metadata"]), raw=True)


def show(session: Any, *parts: str) -> None:
    """Display parts of an investigation's diagnosis (all of `PARTS` when none is named), or its error."""
    diagnosis = getattr(session, "diagnosis", None)
    if not getattr(session, "ok", False) or diagnosis is None:
        _display(error_bundle(getattr(session, "error", None) or "nothing was diagnosed"))
        return
    for bundle in report_bundles(diagnosis, parts or PARTS, source=getattr(session, "source", "")):
        _display(bundle)


def show_title(title: str, session: Any) -> None:
    """The report's heading and where its evidence comes from."""
    source = f'<div style="color:#607d8b">{_e(session.source)}</div>' if session.source else ""
    _display(_bundle(f'<div class="fargate-nb-title"><h1>{_e(title, 200)}</h1>{source}</div>',
                     f"{clean(title, 200)} — {clean(session.source)}", "title"))


def _scenario_id(scenario: Any) -> str:
    return str(getattr(scenario, "id", None) or getattr(scenario, "name", None) or scenario)


def scenario_bundle(scenario: Any, *, hint: bool = True) -> Bundle:
    """A lab scenario's title, story and what it teaches (and its hint, unless it is kept for later)."""
    hint_html = f'<p><b>Hint:</b> <i>{_e(getattr(scenario, "hint", ""))}</i></p>' if hint else ""
    text = (f'<div class="fargate-nb-scenario"><h3>{_e(getattr(scenario, "title", ""))} '
            f'<code>{_e(_scenario_id(scenario))}</code></h3><p>{_e(getattr(scenario, "story", ""))}</p>'
            f'<p><b>Teaches:</b> {_e(getattr(scenario, "teaches", ""))}</p>{hint_html}</div>')
    return _bundle(text, f"scenario {_scenario_id(scenario)}: {clean(getattr(scenario, 'title', ''))}", "scenario")


def show_scenario(session: Any, *, hint: bool = True) -> None:
    """The lab scenario's title, story and hint (what the on-call engineer saw)."""
    sc = getattr(getattr(session, "lab", None), "scenario", None)
    if sc is not None:
        _display(scenario_bundle(sc, hint=hint))


def hint_bundles(session: Any) -> list[Bundle]:
    """What points the learner the right way without giving the fix: the hint and what fails."""
    diagnosis = getattr(session, "diagnosis", None)
    scenario = getattr(getattr(session, "lab", None), "scenario", None)
    lines = [f"<p><i>{_e(getattr(scenario, 'hint', ''))}</i></p>"] if scenario is not None else []
    for f in (diagnosis.failed if diagnosis is not None else []):
        lines.append(f"<li><code>{_e(f.label)}</code> — {_e(f.text)}</li>")
    body = "".join(lines[:1]) + (f"<ul>{''.join(lines[1:])}</ul>" if len(lines) > 1 else "")
    return [_bundle(f'<div class="fargate-nb-hint">{body or "No hint for this lab."}</div>', "hint", "hint")]


def solution_bundles(session: Any) -> list[Bundle]:
    """The fixes the findings propose, and the scenario's reference fix as code."""
    diagnosis = getattr(session, "diagnosis", None)
    out = [fixes_bundle(diagnosis)] if diagnosis is not None else []
    scenario = getattr(getattr(session, "lab", None), "scenario", None)
    if scenario is not None and getattr(scenario, "fix", None) is not None:
        out.append(source_bundle(scenario.fix, "Reference fix"))
    return out


def show_json(document: Any, caption: str = "") -> None:
    """A policy or other document as indented JSON (escaped)."""
    body = html.escape(json.dumps(document, indent=2, default=str))
    head = f"<div><b>{_e(caption)}</b></div>" if caption else ""
    _display(_bundle(f'<div class="fargate-nb-json">{head}<pre>{body}</pre></div>',
                     json.dumps(document, indent=2, default=str), "json"))


def source_bundle(func: Any, caption: str = "") -> Bundle:
    """The source of a function (the scenario's reference fix), for learners to read and adapt."""
    import inspect

    try:
        source = inspect.getsource(func)
    except (OSError, TypeError):
        source = f"# source of {getattr(func, '__name__', func)!s} is not available"
    head = f"<div><b>{_e(caption)}</b></div>" if caption else ""
    return _bundle(f'<div class="fargate-nb-source">{head}<pre>{html.escape(source)}</pre></div>', source, "source")


def show_source(func: Any, caption: str = "") -> None:
    _display(source_bundle(func, caption))


# -- primer helpers ------------------------------------------------------------------------------
#: The advice findings of an ECR repository: they never decide the pull, they say what to do next.
ADVICE_IDS = ("ecr.lifecycle-policy", "ecr.scan-on-push", "ecr.mutable-tag")


def advice_table(diagnosis: Diagnosis, ids: Iterable[str] = ADVICE_IDS, *, styled: bool = False) -> Any:
    """`findings_table` restricted to the findings ``ids`` (whatever their status), in the same columns."""
    from fargate_nb.views.tables import findings_table, style_findings

    wanted = set(ids)
    df = findings_table(diagnosis)
    tips = list(df.attrs.get("tips") or [""] * len(df))
    keep = [i for i, finding_id in enumerate(df["id"]) if finding_id in wanted]
    out = df.iloc[keep].reset_index(drop=True)
    out.attrs["tips"] = [tips[i] for i in keep]
    return style_findings(out) if styled else out


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]


def compare_policies(policies: dict[str, Any]) -> Any:
    """One row per action an ``Allow`` statement names, one column per policy: the resources it grants.

    ``policies`` maps a caption to a policy document (a dict, or its JSON text). An action a policy
    does not name shows ``—``. Only what the documents say is listed; nothing is evaluated.
    """
    import pandas as pd

    grants: dict[str, dict[str, list[str]]] = {}
    for caption, document in policies.items():
        doc = json.loads(document) if isinstance(document, str) else (document or {})
        statements = doc.get("Statement") or []
        for statement in statements if isinstance(statements, list) else [statements]:
            if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
                continue
            for action in _as_list(statement.get("Action")):
                resources = grants.setdefault(action, {}).setdefault(caption, [])
                resources.extend(r for r in _as_list(statement.get("Resource")) if r not in resources)
    rows = [{"action": action, **{caption: ", ".join(by.get(caption, [])) or "—" for caption in policies}}
            for action, by in sorted(grants.items())]
    return pd.DataFrame(rows, columns=["action", *policies])
