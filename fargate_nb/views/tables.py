"""The diagnosis as pandas tables: permissions per role, network path per destination, findings.

Each table has a plain form (a DataFrame, for code and tests) and a styled form (a Styler with the
status cells coloured, HTML escaped, and hover tooltips saying which policy statement decided).
Every value comes from the Diagnosis (`permissions`, `network`, `findings`): nothing is evaluated
here, so the tables always say what the verdict says.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd
from pandas.io.formats.style import Styler

from fargate_nb.model import Diagnosis, Finding
from fargate_nb.views.diagram import STATUS_COLOURS, clean

_CELL_COLOURS = {**STATUS_COLOURS, "—": "#9e9e9e"}
#: Columns holding ARNs, names and policy references: they wrap anywhere (``word-break: break-all``).
WRAP_COLUMNS = frozenset({"resource", "container", "execution role by", "task role by", "destination", "endpoint",
                          "target", "endpoint service", "why"})
CELL_MAX_WIDTH = "28em"  # no cell is wider; long text wraps
PROBLEM_STATUSES = ("fail", "unknown", "warn", "info")
FOLDED_STATUSES = ("pass", "skipped")  # shown folded away in notebooks and reports
ROLE_COLUMNS = (("execution role", "execution"), ("task role", "task"))


# -- permissions -----------------------------------------------------------------------------------
def permissions_table(diagnosis: Diagnosis, *, styled: bool = False) -> pd.DataFrame | Styler:
    """Every action the pull needs, as decided for the execution role and for the task role.

    The task role is shown because people often grant the pull's permissions there, where Fargate
    never looks; its column is neutral (``info``) unless it hides a missing execution-role
    permission (finding ``role.confusion``). ``<role> by`` names the deciding policy and Sid, and
    ``<role> status`` is the status the checks gave that answer.
    """
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    for r in diagnosis.permissions:
        key = (r.step, r.action, r.resource)
        row = rows.setdefault(key, {"step": r.step, "action": r.action, "resource": clean(r.resource),
                                    "container": clean(r.container or ""), "why": clean(r.why)})
        column = next(c for c, kind in ROLE_COLUMNS if kind == r.role)
        row[column] = r.decision
        row[f"{column} status"] = r.status
        row[f"{column} by"] = clean(r.by, 600)
    columns = ["step", "action", "resource", "container", "execution role", "execution role by",
               "task role", "task role by", "why"]
    df = pd.DataFrame(list(rows.values()), columns=[*columns, "execution role status", "task role status"])
    statuses = {c: list(df.pop(f"{c} status")) for c, _ in ROLE_COLUMNS}
    df.attrs["statuses"] = statuses
    return style_permissions(df) if styled else df


def style_permissions(df: pd.DataFrame) -> Styler:
    """Colour the decisions; hovering a decision shows the deciding policy and statement."""
    tips = pd.DataFrame("", index=df.index, columns=df.columns)
    for column, _ in ROLE_COLUMNS:
        if column in df:
            tips[column] = df[f"{column} by"]
    tips["action"] = df.get("why", "")
    return _style(df, [c for c, _ in ROLE_COLUMNS if c in df], tips, "fargate-nb-permissions",
                  statuses=df.attrs.get("statuses"))


# -- network -------------------------------------------------------------------------------------
_PATH_WORDS = {"interface-endpoint": "endpoint", "gateway-endpoint": "gateway", "nat": "NAT",
               "internet": "internet", "opaque": "opaque", "none": "none", "unknown": "unknown",
               "not-awsvpc": "no VPC"}


def network_table(diagnosis: Diagnosis, *, styled: bool = False) -> pd.DataFrame | Styler:
    """Per destination the pull must reach: the path taken and each network check's status."""
    rows = []
    check_columns: list[str] = []
    for r in diagnosis.network:
        about = diagnosis.findings_at(r.finding_refs)
        row: dict[str, Any] = {"destination": clean(r.target), "step": r.step,
                               "path": _PATH_WORDS.get(r.path, clean(r.path, 40)), "endpoint": clean(r.endpoint, 40)}
        for column, status in r.checks.items():
            row[column] = status
            if column not in check_columns:
                check_columns.append(column)
        row["status"] = r.status
        row["findings"] = ", ".join(sorted({f.id for f in about if f.status in ("fail", "warn", "unknown")}))
        row["why"] = clean(r.why)
        row["_tips"] = _network_tips(about, r.detail)
        rows.append(row)
    columns = ["destination", "step", "path", "endpoint", *check_columns, "status", "findings", "why"]
    df = pd.DataFrame(rows, columns=[*columns, "_tips"])
    tips = df.pop("_tips")
    df.attrs["tips"] = list(tips)
    df.attrs["status_columns"] = [*check_columns, "status"]
    return style_network(df) if styled else df


def _network_tips(findings: list[Finding], path_detail: str) -> dict[str, str]:
    tips: dict[str, list[str]] = {"path": [path_detail]} if path_detail else {}
    for f in findings:
        if f.text:
            tips.setdefault("status", []).append(f"{f.id} {f.status}: {f.text}")
    for f in findings:
        tips.setdefault(f"_{f.id}", []).append(f"{f.status}: {f.text}")
    return {k: "\n".join(v[:6]) for k, v in tips.items()}


def style_network(df: pd.DataFrame) -> Styler:
    tips = pd.DataFrame("", index=df.index, columns=df.columns)
    for i, row_tips in enumerate(df.attrs.get("tips") or []):
        for column, text in (row_tips or {}).items():
            if column in tips.columns:
                tips.iloc[i, tips.columns.get_loc(column)] = text
    status_columns = df.attrs.get("status_columns") or ["status"]
    return _style(df, [c for c in status_columns if c in df], tips, "fargate-nb-network")


def endpoints_table(diagnosis: Diagnosis) -> pd.DataFrame:
    """What a private subnet without NAT needs for this pull: the VPC endpoint for each destination
    (S3 is a gateway endpoint on the route table; a registry host has none), and the path taken now."""
    rows = [{"destination": clean(r.target),
             "endpoint service": r.endpoint_service or "(none: needs NAT or internet)",
             "type": {"gateway": "gateway (on the task subnets' route tables)",
                      "interface": "interface, private DNS on"}.get(r.endpoint_type, "—"),
             "path now": _PATH_WORDS.get(r.path, clean(r.path, 40)), "step": r.step, "why": clean(r.why)}
            for r in diagnosis.network]
    return pd.DataFrame(rows, columns=["destination", "endpoint service", "type", "path now", "step", "why"])


# -- findings ------------------------------------------------------------------------------------
_PROBLEMS_FIRST = {s: i for i, s in enumerate(("fail", "unknown", "warn", "info", "pass", "skipped"))}


def findings_table(diagnosis: Diagnosis, *, statuses: Iterable[str] | None = None, problems_first: bool = True,
                   styled: bool = False) -> pd.DataFrame | Styler:
    """Findings with the fix summary: problems first (then by step), optionally only some statuses."""
    wanted = set(statuses) if statuses is not None else None
    ordered = list(diagnosis.findings)
    if problems_first:
        ordered.sort(key=lambda f: _PROBLEMS_FIRST.get(f.status, 99))  # stable: step order kept within
    rows = []
    for f in ordered:
        if wanted is not None and f.status not in wanted:
            continue
        rows.append({"status": f.status, "id": f.id, "step": f.step or "task definition",
                     "target": clean(f.target or ""), "title": clean(f.text),
                     "fix": clean(f.remediation.summary if f.remediation and f.status != "pass" else ""),
                     "_tip": _finding_tip(f)})
    df = pd.DataFrame(rows, columns=["status", "id", "step", "target", "title", "fix", "_tip"])
    df.attrs["tips"] = list(df.pop("_tip"))
    return style_findings(df) if styled else df


def _finding_tip(f: Finding) -> str:
    lines = [f.detail] if f.detail else []
    lines += [f"evidence: {ev}" for ev in f.evidence[:5]]
    if f.missing_permission:
        lines.append(f"needs: {f.missing_permission}")
    return "\n".join(clean(line) for line in lines)


def style_findings(df: pd.DataFrame) -> Styler:
    tips = pd.DataFrame("", index=df.index, columns=df.columns)
    notes = list(df.attrs.get("tips") or [])
    if "title" in tips and len(notes) == len(df):
        tips["title"] = notes
    return _style(df, ["status"], tips, "fargate-nb-findings")


# -- shared --------------------------------------------------------------------------------------
def css_string(text: Any) -> str:
    """Text as the inside of a CSS string: no quote, backslash or '<' can end it or the <style>."""
    lines = [clean(line, 300) for line in str(text if text is not None else "").splitlines()][:12]
    out = []
    for ch in "\n".join(lines):
        if ch == "\n":
            out.append("\\a ")
        elif ch in "\\\"'<>&" or ord(ch) < 0x20 or ch in "\u2028\u2029":
            out.append(f"\\{ord(ch):x} ")
        else:
            out.append(ch)
    return "".join(out)


def _cell_css(value: Any) -> str:
    colour = _CELL_COLOURS.get(str(value))
    if colour is None:
        return ""
    if value == "info":  # neutral: e.g. the task role, which is not meant to hold the pull's permissions
        return "color: #607d8b"
    return f"color: {colour}; font-weight: bold" if value not in ("—", "no role") else f"color: {colour}"


def _style(df: pd.DataFrame, status_columns: list[str], tips: pd.DataFrame, css_class: str,
           statuses: dict[str, list[str]] | None = None) -> Styler:
    """Escape every cell, colour the status columns (by ``statuses`` when given), add CSS tooltips."""
    styler = (df.style.format(escape="html").hide(axis="index")
              .set_properties(**{"text-align": "left", "vertical-align": "top", "max-width": CELL_MAX_WIDTH,
                                 "overflow-wrap": "break-word"})
              .set_table_styles([{"selector": "th", "props": [("text-align", "left")]}], overwrite=False))
    wrapped = [c for c in df.columns if c in WRAP_COLUMNS]
    if wrapped and len(df):  # ARNs have no spaces: let them break anywhere rather than widen the page
        styler = styler.set_properties(subset=wrapped, **{"word-break": "break-all", "overflow-wrap": "anywhere",
                                                          "min-width": "8em"})
    if statuses and len(df):
        colours = pd.DataFrame("", index=df.index, columns=df.columns)
        for column, values in statuses.items():
            if column in colours and len(values) == len(df):
                colours[column] = [_cell_css(v) for v in values]
        styler = styler.apply(lambda _: colours, axis=None)
    elif status_columns and len(df):
        styler = styler.map(_cell_css, subset=status_columns)
    safe_tips = tips.map(lambda t: css_string(t) if t else "")
    if len(df) and (safe_tips != "").any().any():
        styler = styler.set_tooltips(safe_tips, props="visibility: hidden; position: absolute; z-index: 1; "
                                     "background-color: #263238; color: white; padding: 4px 6px; "
                                     "white-space: pre-wrap; max-width: 420px; font-size: 11px",
                                     css_class="fargate-nb-tip")
    return styler.set_table_attributes(f'class="{css_class}"')
