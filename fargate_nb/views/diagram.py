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


# -- the plotly figure ---------------------------------------------------------------------------
# The figure follows the width of its container (plotly autosize): x is in lifeline columns, y in
# pixels. Text cannot shrink with the page, so every label is wrapped for the narrowest container
# it is meant for (MIN_WIDTH_PX); wider pages only give it more room.
MIN_WIDTH_PX = 720  # the narrowest container the text is fitted to (an 800 px window, less padding)
MARGIN_LEFT_PX = 100  # the step names, in the left margin
MARGIN_RIGHT_PX = 16
FONT = "Arial, 'Liberation Sans', Helvetica, sans-serif"
CHAR_PX = {10: 5.6, 11: 6.3, 12: 7.2, 16: 9.2}  # generous average glyph widths (bold, wider fallbacks)
HALF_BOX = 0.44  # half the width of a lifeline's header box, in columns
MAX_LABEL_LINES = 5


def _html(text: str) -> str:
    """Text for plotly labels: plotly reads a small HTML subset, so escape everything."""
    return html.escape(clean(text), quote=False)


def _wrap(text: str, width: int, lines: int = 6) -> str:
    """Wrapped to ``lines`` lines; a cut ends with "…", so the reader knows there is more (hover, table)."""
    wrapped = textwrap.wrap(clean(text, 400), max(width, 8))
    if len(wrapped) > lines:
        wrapped = wrapped[:lines]
        wrapped[-1] = wrapped[-1][: max(width, 8) - 1].rstrip() + "…"
    return "<br>".join(_html(line) for line in wrapped)


def _pieces(text: str) -> list[str]:
    """Where a label may break: after spaces, colons, slashes and dashes, and before capitals."""
    out, cur = [], ""
    for i, ch in enumerate(text):
        if cur and ((ch.isupper() and text[i - 1].islower()) or ch == "("):
            out.append(cur)
            cur = ""
        cur += ch
        if ch in " :/-_.,":
            out.append(cur)
            cur = ""
    return [*out, cur] if cur else out


def fit_lines(text: str, chars: int, max_lines: int = MAX_LABEL_LINES) -> list[str]:
    """``text`` in lines of at most ``chars`` characters, broken at natural places, cut with … if too long."""
    chars = max(chars, 4)
    lines: list[str] = []
    cur = ""
    for piece in _pieces(clean(text)):
        while len(piece) > chars:  # a piece longer than a line: split it hard
            if cur:
                lines.append(cur)
                cur = ""
            lines.append(piece[:chars])
            piece = piece[chars:]
        if len((cur + piece).rstrip()) > chars:
            lines.append(cur)
            cur = piece
        else:
            cur += piece
    if cur.strip():
        lines.append(cur)
    lines = [line.strip() for line in lines if line.strip()]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: chars - 1].rstrip() + "…"
    return lines or [""]


def _chars(px: float, size: int) -> int:
    return max(int(px // CHAR_PX[size]), 4)


def sequence_figure(diagnosis: Diagnosis) -> Any:
    """The pull as a plotly sequence diagram: lifelines, calls coloured by status, the first failure marked.

    The figure is as wide as its container (``autosize``; give plotly ``responsive: True``) and as
    tall as its calls need. Lifeline names and call labels are wrapped to fit one column at
    `MIN_WIDTH_PX`; a call's label sits above its arrow in the column next to its target, so no
    label crosses a lifeline. The first failure's note sits under its arrow, inside the figure.
    """
    import plotly.graph_objects as go

    seq = diagnosis.sequence
    lifelines = seq.lifelines or []
    calls = seq.calls
    n = len(lifelines)
    xpos = {lf.id: float(i) for i, lf in enumerate(lifelines)}
    columns = max(n, 3)
    x_min, x_max = -0.5, columns - 0.5
    column_px = (MIN_WIDTH_PX - MARGIN_LEFT_PX - MARGIN_RIGHT_PX) / columns  # at the narrowest
    step_status = {s.id: s.status for s in diagnosis.steps}
    fig = go.Figure()
    shapes: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []

    # Lifeline headers: name (bold) and detail, wrapped to the box.
    box_px = column_px * 2 * HALF_BOX - 6
    heads = [(fit_lines(lf.label, _chars(box_px, 12), 3), fit_lines(lf.detail, _chars(box_px, 10), 2) if lf.detail else [])
             for lf in lifelines]
    head_px = 10 + max((15 * len(a) + 12 * len(b) for a, b in heads), default=15)
    # Rows: as tall as the longest label needs.
    label_chars = _chars(column_px * 0.92 - 4, 11)
    labels = []
    for call in calls:
        mark = STATUS_MARKS.get(call.status, "?") if call.reached else "·"
        lines = fit_lines(f"{mark} {call.label}", label_chars)
        if not call.reached:
            lines.append("(not reached)")
        labels.append(lines)
    failure_row = next((i for i, c in enumerate(calls) if c.first_failure and call_failure(diagnosis, c)), None)
    note_lines: list[str] = []
    if failure_row is not None:
        call = calls[failure_row]
        failure = call_failure(diagnosis, call)
        assert failure is not None
        left = min(xpos.get(call.source, 0.0), xpos.get(call.target, 0.0))
        note_chars = _chars((x_max - left) * column_px - 12, 11)
        wrapped = textwrap.wrap(clean(failure.text, 400), note_chars)
        if len(wrapped) > 6:
            wrapped = [*wrapped[:5], wrapped[5][: note_chars - 1] + "…"]
        note_lines = [f"<b>✗ {_html(failure.id)}</b>", *(_html(line) for line in wrapped)]
    note_px = 14 * len(note_lines) + 18 if note_lines else 0

    top = 6.0
    y_of: list[float] = []
    y = -(head_px + 6)
    for i in range(len(calls)):
        y -= 18 + 14 * len(labels[i])  # each row as tall as its label
        y_of.append(y)
        if i == failure_row:
            y -= note_px
    bottom = y - 18 if calls else y - 40
    for lf, (name, detail) in zip(lifelines, heads, strict=True):
        x = xpos[lf.id]
        shapes.append(dict(type="rect", x0=x - HALF_BOX, x1=x + HALF_BOX, y0=-head_px, y1=0,
                           line=dict(color="#37474f"), fillcolor="#eceff1", layer="below"))
        shapes.append(dict(type="line", x0=x, x1=x, y0=-head_px, y1=bottom + 6,
                           line=dict(color="#90a4ae", dash="dot", width=1.5), layer="below"))
        text = "<br>".join(f"<b>{_html(line)}</b>" for line in name)
        text += "".join(f"<br><span style='font-size:10px'>{_html(line)}</span>" for line in detail)
        notes.append(dict(x=x, y=-head_px / 2, text=text, showarrow=False, font=dict(size=12, color="#263238")))
    previous_step = None
    for row, call in enumerate(calls):
        y = y_of[row]
        colour = STATUS_COLOURS.get(call.status, STATUS_COLOURS["unknown"]) if call.reached else NOT_REACHED_COLOUR
        x0, x1 = xpos.get(call.source, 0.0), xpos.get(call.target, 0.0)
        width = 3.5 if call.status == "fail" and call.reached else 2
        if call.reached:
            notes.append(dict(x=x1, y=y, ax=x0, ay=y, xref="x", yref="y", axref="x", ayref="y", text="",
                              showarrow=True, arrowhead=2, arrowsize=1.1, arrowwidth=width, arrowcolor=colour,
                              standoff=2))
        else:  # not reached: a dashed line without an arrowhead
            shapes.append(dict(type="line", x0=x0, x1=x1, y0=y, y1=y, line=dict(color=colour, dash="dash", width=2)))
        # The label sits above the arrow, in the column next to its target: it never crosses a lifeline.
        gap = x1 - 0.5 if x1 >= x0 else x1 + 0.5
        if x0 == x1:
            gap = x1 + 0.5
        notes.append(dict(x=gap, y=y + 3, yanchor="bottom", showarrow=False, align="center",
                          text="<br>".join(_html(line) for line in labels[row]),
                          font=dict(size=11, color=colour)))
        if call.step != previous_step:
            notes.append(dict(x=0, xref="paper", xshift=-MARGIN_LEFT_PX + 4, y=y, xanchor="left", showarrow=False,
                              text=f"{STEPS.index(call.step) + 1}. {_html(call.step)}",
                              font=dict(size=11, color=STATUS_COLOURS.get(step_status.get(call.step, "unknown")))))
            previous_step = call.step
        if row == failure_row:
            notes.append(dict(x=x1, y=y, text="<b>✗</b>", showarrow=False, font=dict(size=22, color=STATUS_COLOURS["fail"]),
                              xshift=14 if x1 >= x0 else -14))
            notes.append(dict(x=min(x0, x1), y=y - 8, xanchor="left", yanchor="top", align="left", xshift=4,
                              showarrow=False, bgcolor="#ffebee", bordercolor=STATUS_COLOURS["fail"], borderpad=3,
                              text="<br>".join(note_lines), font=dict(size=11, color=STATUS_COLOURS["fail"])))
        # Invisible points along the arrow carry the hover text (annotations cannot hover well).
        points = 7
        fig.add_trace(go.Scatter(
            x=[x0 + (x1 - x0) * k / (points - 1) for k in range(points)], y=[y] * points, mode="markers",
            marker=dict(size=14, color=colour, opacity=0.01), showlegend=False, name=_html(call.label),
            hovertext=["<br>".join(_html(line) for line in hover_lines(diagnosis, call))] * points,
            hoverinfo="text", hoverlabel=dict(bordercolor=colour)))
    if not calls:
        notes.append(dict(x=(columns - 1) / 2, y=-(head_px + 30), showarrow=False, font=dict(size=12, color="#757575"),
                          text="no calls to draw: the snapshot has no task definition"))
    for status in ("pass", "fail", "warn", "unknown", "skipped"):
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines+markers", name=status,
                                 line=dict(color=STATUS_COLOURS[status], width=3),
                                 marker=dict(symbol="triangle-right", size=9, color=STATUS_COLOURS[status])))
    if any(not c.reached for c in calls):
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name="not reached",
                                 line=dict(color=NOT_REACHED_COLOUR, width=3, dash="dash")))
    title = _wrap(seq.title or "Image pull", _chars(MIN_WIDTH_PX - 20, 16), 3)
    verdict = _wrap(diagnosis.verdict, _chars(MIN_WIDTH_PX - 20, 12), 4)
    heading_px = 20 * (title.count("<br>") + 1) + 16 * (verdict.count("<br>") + 1)
    margin_top = heading_px + 24
    notes.append(dict(x=0, xref="paper", xshift=-MARGIN_LEFT_PX + 6, xanchor="left", y=1, yref="paper",
                      yanchor="bottom", yshift=10, align="left", showarrow=False,
                      text=f"<span style='font-size:16px'>{title}</span><br>{verdict}",
                      font=dict(size=12, color="#263238")))
    margin_bottom = 70  # the legend (it wraps on narrow pages)
    plot_px = int(top - bottom)
    fig.update_layout(
        font=dict(family=FONT), shapes=shapes, annotations=notes, autosize=True,
        height=plot_px + margin_top + margin_bottom, plot_bgcolor="white", paper_bgcolor="white",
        margin=dict(l=MARGIN_LEFT_PX, r=MARGIN_RIGHT_PX, t=margin_top, b=margin_bottom, autoexpand=False),
        hovermode="closest",
        legend=dict(orientation="h", x=0, xanchor="left", y=-0.01, yanchor="top", title=dict(text="status ")),
        xaxis=dict(visible=False, range=[x_min, x_max], fixedrange=True),
        yaxis=dict(visible=False, range=[bottom, top], fixedrange=True),
        meta={"fargate_nb": "sequence", "first_failure": failure_meta(diagnosis)},
    )
    return fig


#: plotly config for the figure: it follows its container's width.
FIGURE_CONFIG = {"displaylogo": False, "responsive": True}


def failure_meta(diagnosis: Diagnosis) -> dict[str, str] | None:
    call = diagnosis.sequence.first_failure
    failure = call_failure(diagnosis, call) if call is not None else None
    if call is None or failure is None:
        return None
    return {"step": call.step, "call": clean(call.label), "finding": clean(failure.id)}
