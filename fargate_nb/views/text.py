"""A readable terminal report of a Diagnosis: status marks, colour on a TTY, the fix under each failure."""

from __future__ import annotations

import json

from fargate_nb.model import Diagnosis, Finding
from fargate_nb.views.safe import one_line

MARKS = {"pass": "✓", "fail": "✗", "warn": "!", "unknown": "?", "skipped": "-", "info": "i"}
COLOURS = {"pass": "32", "fail": "31", "warn": "33", "unknown": "35", "skipped": "90", "info": "36"}


def _clean(text: str | None) -> str:
    """One line: control characters, ANSI escapes, line breaks and bidi overrides cannot forge output."""
    return one_line(text)


def _paint(text: str, status: str, colour: bool) -> str:
    return f"\x1b[{COLOURS[status]}m{text}\x1b[0m" if colour and status in COLOURS else text


def render_text(diagnosis: Diagnosis, *, colour: bool = False, verbose: bool = False) -> str:
    """The whole report. ``verbose`` adds passing findings and evidence for every finding."""
    out: list[str] = []
    subject = diagnosis.subject or {}
    what = subject.get("task") or subject.get("service") or subject.get("taskdef") or "?"
    out.append(f"fargate-nb diagnosis of {subject.get('kind', 'task')} {_clean(what)}")
    out.append(f"  cluster {_clean(subject.get('cluster') or '-')}, account {diagnosis.account or '?'}, "
               f"region {diagnosis.region or '?'}, evidence from {diagnosis.collected_at or '?'}")
    out.append("")
    worst = diagnosis.status
    out.append(_paint(f"{MARKS[worst]} {_clean(diagnosis.verdict)}", worst, colour))
    if diagnosis.stopped:
        st = diagnosis.stopped
        out.append("")
        out.append(f"Stopped reason: {_clean(st.get('text'))}")
        conf = st.get("confirmed")
        conf_text = {True: "confirmed by " + ", ".join(st.get("confirmed_by") or []),
                     False: "NOT confirmed by the checks (the cause may have been fixed since, or be outside what was read)",
                     None: "no check can confirm it"}[conf]
        out.append(f"  means: {_clean(st.get('summary'))} [{st.get('step') or '-'} / {st.get('cause')}] — {conf_text}")
        if st.get("agrees") is False and st.get("detail"):
            out.append(f"  {_clean(st.get('detail'))}")
    out.append("")
    out.append("Pull steps:")
    for s in diagnosis.steps:
        out.append("  " + _paint(f"{MARKS[s.status]} {s.id:<14}", s.status, colour) + f" {_clean(s.summary)}")
    problems = [f for f in diagnosis.findings if f.status in ("fail", "warn", "unknown")]
    if problems:
        out.append("")
        out.append("Findings:")
        for f in problems:
            out.extend(_finding_lines(f, colour, verbose))
    if verbose:
        rest = [f for f in diagnosis.findings if f.status in ("pass", "info")]
        if rest:
            out.append("")
            out.append("Passing checks and advice:")
            for f in rest:
                out.extend(_finding_lines(f, colour, True))
    else:
        info = [f for f in diagnosis.findings if f.status == "info"]
        if info:
            out.append("")
            out.append("Advice: " + "; ".join(_clean(f.text) for f in info))
    if diagnosis.gaps:
        out.append("")
        out.append("Could not read (grant these to the identity running fargate-nb):")
        for g in diagnosis.gaps:
            res = f" on {_clean(g.resource)}" if g.resource else ""
            needs = f"needs {g.permission} — " if g.permission else ""
            out.append(f"  ? {g.api}{res}: {needs}{_clean(g.error)}")
    return "\n".join(out) + "\n"


def _finding_lines(f: Finding, colour: bool, verbose: bool) -> list[str]:
    target = f" [{f.target}]" if f.target else ""
    step = f.step or "task-definition"
    lines = ["  " + _paint(f"{MARKS[f.status]} {f.id}{target}", f.status, colour) + f"  ({step}) {_clean(f.text)}"]
    if f.detail:
        lines.append(f"      {_clean(f.detail)}")
    if verbose or f.status != "pass":
        for ev in f.evidence[:6] if not verbose else f.evidence:
            lines.append(f"      evidence: {_clean(ev)}")
    if f.remediation and f.status in ("fail", "warn", "unknown"):
        lines.append(f"      fix: {_clean(f.remediation.summary)}")
        for cmd in f.remediation.commands:
            lines.append(f"        $ {_clean(cmd)}")
        if f.remediation.policy:
            policy = json.dumps(f.remediation.policy, indent=2)
            lines.extend(f"        {line}" for line in policy.splitlines())
    if f.doc_url and f.status in ("fail", "warn", "unknown"):
        lines.append(f"      docs: {f.doc_url}")
    return lines
