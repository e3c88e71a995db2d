"""The image pull as a plotly sequence diagram, drawn from the Diagnosis' call sequence.

The sequence (lifelines, calls, each call's status, the findings that decide it, whether it is
reached) is computed once by `fargate_nb.diagnose.sequence`; this module and its mermaid twin
(`fargate_nb.views.mermaid`) only draw it, so they always agree with the verdict. Calls after the
first failure are drawn grey and dashed: the pull never gets there.
"""

from __future__ import annotations

import html
import textwrap
from typing import Any

from fargate_nb.model import SEVERITY_ORDER, STEPS, Call, Diagnosis, Finding
from fargate_nb.pullflow import STEP_TITLES
from fargate_nb.views.safe import one_line

STATUS_COLOURS = {"pass": "#2e7d32", "fail": "#c62828", "warn": "#ef8f00", "unknown": "#757575",
                  "skipped": "#c8c8c8", "info": "#0277bd"}
STATUS_MARKS = {"pass": "✓", "fail": "✗", "warn": "!", "unknown": "?", "skipped": "–", "info": "i"}
NOT_REACHED_COLOUR = "#b0bec5"
_RANK = {s: i for i, s in enumerate(SEVERITY_ORDER)}


def clean(text: Any, limit: int = 300) -> str:
    """One line of plain text (see `fargate_nb.views.safe.one_line`), cut at ``limit``."""
    return one_line(text, limit)


def call_findings(diagnosis: Diagnosis, call: Call) -> list[Finding]:
    """The findings that decide a call, worst first."""
    return sorted(diagnosis.findings_at(call.finding_refs), key=lambda f: _RANK.get(f.status, 99))


def call_failure(diagnosis: Diagnosis, call: Call) -> Finding | None:
    """The first failing finding about a call, if any."""
    return next((f for f in call_findings(diagnosis, call) if f.status == "fail"), None)


def hover_lines(diagnosis: Diagnosis, call: Call) -> list[str]:
    lines = [f"step {STEPS.index(call.step) + 1} · {call.step}: {STEP_TITLES[call.step]}",
             f"{call.label} — {call.status}" + ("" if call.reached else " (not reached: an earlier call fails)")]
    lines += [f"on {s}" for s in call.subjects[:4]]
    found = call_findings(diagnosis, call)
    for f in found[:4]:
        target = f" [{f.target}]" if f.target else ""
        lines.append(f"{STATUS_MARKS.get(f.status, '?')} {f.id}{target}: {f.text}")
        lines += [f"   {ev}" for ev in f.evidence[:3]]
    if not found:
        lines.append("no check covers this call directly; colour taken from its step")
    return [clean(line) for line in lines]


def short_label(call: Call) -> str:
    return clean(call.label, 48)


# -- the plotly figure ---------------------------------------------------------------------------
COLUMN_PX = 155  # horizontal space per lifeline
ROW_PX = 48  # vertical space per call
NOTE_COLUMNS = 1.6  # room (in lifeline columns) on the right for the failure note
STEP_COLUMN = 0.9  # room on the left for the step names


def _html(text: str) -> str:
    """Text for plotly labels: plotly reads a small HTML subset, so escape everything."""
    return html.escape(clean(text), quote=False)


def _wrap(text: str, width: int) -> str:
    return "<br>".join(_html(line) for line in textwrap.wrap(clean(text, 400), width)[:6])


def sequence_figure(diagnosis: Diagnosis) -> Any:
    """The pull as a plotly sequence diagram: lifelines, calls coloured by status, the first failure marked."""
    import plotly.graph_objects as go

    seq = diagnosis.sequence
    lifelines = seq.lifelines or []
    calls = seq.calls
    n, m = len(lifelines), len(calls)
    xpos = {lf.id: float(i) for i, lf in enumerate(lifelines)}
    columns = max(n, 3)
    x_min, x_max = -0.5 - STEP_COLUMN, columns - 0.5 + NOTE_COLUMNS
    y_min, y_max = -(m + 0.9), 0.75
    step_status = {s.id: s.status for s in diagnosis.steps}
    fig = go.Figure()
    shapes: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    for lf in lifelines:
        x = xpos[lf.id]
        shapes.append(dict(type="rect", x0=x - 0.44, x1=x + 0.44, y0=-0.32, y1=0.52, line=dict(color="#37474f"),
                           fillcolor="#eceff1", layer="below"))
        shapes.append(dict(type="line", x0=x, x1=x, y0=-0.32, y1=y_min + 0.3,
                           line=dict(color="#90a4ae", dash="dot", width=1.5), layer="below"))
        label = f"<b>{_html(lf.label)}</b>" + (f"<br><span style='font-size:10px'>{_html(lf.detail[:32])}</span>"
                                                if lf.detail else "")
        notes.append(dict(x=x, y=0.1, text=label, showarrow=False, font=dict(size=12, color="#263238")))
    previous_step = None
    for row, call in enumerate(calls, start=1):
        y = -float(row)
        colour = STATUS_COLOURS.get(call.status, STATUS_COLOURS["unknown"]) if call.reached else NOT_REACHED_COLOUR
        x0, x1 = xpos.get(call.source, 0.0), xpos.get(call.target, 0.0)
        width = 3.5 if call.status == "fail" and call.reached else 2
        if call.reached:
            notes.append(dict(x=x1, y=y, ax=x0, ay=y, xref="x", yref="y", axref="x", ayref="y", text="",
                              showarrow=True, arrowhead=2, arrowsize=1.1, arrowwidth=width, arrowcolor=colour,
                              standoff=2))
        else:  # not reached: a dashed line without an arrowhead
            shapes.append(dict(type="line", x0=x0, x1=x1, y0=y, y1=y, line=dict(color=colour, dash="dash", width=2)))
        mid = (x0 + x1) / 2
        mark = STATUS_MARKS.get(call.status, "?") if call.reached else "·"
        suffix = "" if call.reached else " (not reached)"
        notes.append(dict(x=mid, y=y + 0.3, text=f"{mark} {_html(short_label(call))}{suffix}",
                          showarrow=False, font=dict(size=11, color=colour)))
        if call.step != previous_step:
            notes.append(dict(x=x_min + 0.05, y=y, xanchor="left", showarrow=False,
                              text=f"{STEPS.index(call.step) + 1}. {_html(call.step)}",
                              font=dict(size=11, color=STATUS_COLOURS.get(step_status.get(call.step, "unknown")))))
            previous_step = call.step
        failure = call_failure(diagnosis, call) if call.first_failure else None
        if failure is not None:
            notes.append(dict(x=x1, y=y, text="<b>✗</b>", showarrow=False, font=dict(size=22, color=STATUS_COLOURS["fail"]),
                              xshift=14 if x1 >= x0 else -14))
            shapes.append(dict(type="line", x0=x1, x1=columns - 0.5 + 0.08, y0=y, y1=y, layer="below",
                               line=dict(color=STATUS_COLOURS["fail"], dash="dot", width=1)))
            notes.append(dict(x=columns - 0.5 + 0.08, y=y, xanchor="left", yanchor="middle", align="left",
                              showarrow=False, bgcolor="#ffebee", bordercolor=STATUS_COLOURS["fail"],
                              text=f"<b>✗ {_html(failure.id)}</b><br>{_wrap(failure.text, 30)}",
                              font=dict(size=11, color=STATUS_COLOURS["fail"])))
        # Invisible points along the arrow carry the hover text (annotations cannot hover well).
        points = 7
        fig.add_trace(go.Scatter(
            x=[x0 + (x1 - x0) * k / (points - 1) for k in range(points)], y=[y] * points, mode="markers",
            marker=dict(size=14, color=colour, opacity=0.01), showlegend=False, name=_html(call.label),
            hovertext=["<br>".join(_html(line) for line in hover_lines(diagnosis, call))] * points,
            hoverinfo="text", hoverlabel=dict(bordercolor=colour)))
    if not calls:
        notes.append(dict(x=(columns - 1) / 2, y=-0.9, showarrow=False, font=dict(size=12, color="#757575"),
                          text="no calls to draw: the snapshot has no task definition"))
    for status in ("pass", "fail", "warn", "unknown", "skipped"):
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines+markers", name=status,
                                 line=dict(color=STATUS_COLOURS[status], width=3),
                                 marker=dict(symbol="triangle-right", size=9, color=STATUS_COLOURS[status])))
    if any(not c.reached for c in calls):
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name="not reached",
                                 line=dict(color=NOT_REACHED_COLOUR, width=3, dash="dash")))
    width_px = int(COLUMN_PX * (columns + NOTE_COLUMNS + STEP_COLUMN)) + 40
    height_px = int(ROW_PX * (m + 1.65)) + 170
    title = clean(seq.title or "Image pull", 120)
    fig.update_layout(
        title=dict(text=f"{_html(title)}<br><span style='font-size:12px'>{_wrap(diagnosis.verdict, 110)}</span>",
                   x=0.01, xanchor="left", font=dict(size=16)),
        shapes=shapes, annotations=notes, width=width_px, height=height_px, plot_bgcolor="white",
        paper_bgcolor="white", margin=dict(l=10, r=10, t=90, b=60), hovermode="closest",
        legend=dict(orientation="h", x=0, y=-0.01, yanchor="top", title=dict(text="status ")),
        xaxis=dict(visible=False, range=[x_min, x_max], fixedrange=True),
        yaxis=dict(visible=False, range=[y_min, y_max], fixedrange=True),
        meta={"fargate_nb": "sequence", "first_failure": failure_meta(diagnosis)},
    )
    return fig


def failure_meta(diagnosis: Diagnosis) -> dict[str, str] | None:
    call = diagnosis.sequence.first_failure
    failure = call_failure(diagnosis, call) if call is not None else None
    if call is None or failure is None:
        return None
    return {"step": call.step, "call": clean(call.label), "finding": clean(failure.id)}
