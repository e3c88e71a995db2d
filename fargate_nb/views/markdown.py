"""A Diagnosis as Markdown: `diagnose --format markdown` and the parts of a postmortem draft.

Everything that comes from AWS (stopped reasons, resource names, policy text) is untrusted: it is
escaped so that it shows as text in any Markdown renderer and never becomes a heading, a link, a
table cell boundary, raw HTML or a code span. Commands and documents go in fenced blocks whose
fence is longer than any backtick run they contain.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from fargate_nb.model import Diagnosis, Finding, Gap, Snapshot
from fargate_nb.views.safe import keep_lines

STATUS_WORDS = {"pass": "✅ pass", "fail": "❌ FAIL", "warn": "⚠️ warn", "unknown": "❔ unknown",
                "skipped": "➖ skipped", "info": "ℹ️ info"}
PROBLEM_STATUSES = ("fail", "warn", "unknown")

_NEWLINES = re.compile(r"\s*[\r\n]+\s*")
# Characters with a meaning in Markdown inline text (CommonMark, GFM tables/strikethrough, and
# Jupyter's $math$). Parentheses only matter after ']', which is escaped.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]#+!|~$])")
_HTML_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_SAFE_URL = re.compile(r"^https://[A-Za-z0-9.-]+(?:/[A-Za-z0-9._~:/?#@!$&'()*+,;=%-]*)?$")


# -- escaping ---------------------------------------------------------------------------------
def clean(text: Any) -> str:
    """Drop control characters, ANSI escapes and bidi overrides (newlines stay: `md_escape` folds them)."""
    return keep_lines(text)


def md_escape(text: Any) -> str:
    """Inline Markdown text that renders exactly as written: one line, no markup, no raw HTML.

    Safe in paragraphs, list items, headings and table cells (pipes are escaped too).
    """
    one_line = _NEWLINES.sub(" ", clean(text)).strip()
    escaped = "".join(_HTML_ENTITIES.get(ch, ch) for ch in one_line)
    escaped = _MD_SPECIAL.sub(r"\\\1", escaped)
    # A leading '-', '=', 'N.' or 'N)' could still start a list or a setext heading when the
    # text begins a line: escape it.
    escaped = re.sub(r"^(\d+)([.)])(?=\s|$)", r"\1\\\2", escaped)
    return re.sub(r"^([-=])(?=[\s=-]|$)", r"\\\1", escaped)


def code_span(text: Any) -> str:
    """An inline code span for an id or ARN; falls back to escaped text for unsafe content."""
    value = _NEWLINES.sub(" ", clean(text)).strip()
    if not value:
        return ""
    if "`" in value or "|" in value:
        return md_escape(value)  # pipes end table cells even inside code spans in GFM
    return f"`{value}`"


def fenced(body: str, lang: str = "") -> str:
    """A fenced code block whose fence cannot be closed by the body (hostile backtick runs)."""
    body = clean(body).rstrip("\n")
    longest = max((len(m) for m in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{body}\n{fence}"


def safe_link(url: str | None, label: str = "docs") -> str:
    """A Markdown link only for plain https URLs; anything else is shown as escaped text."""
    if not url:
        return ""
    if _SAFE_URL.match(url) and not re.search(r"[<>\s\"`\\]", url):
        return f"[{md_escape(label)}](<{url}>)"
    return md_escape(url)


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A GFM table; every cell is escaped (cells may already be formatted with `cell`)."""
    lines = ["| " + " | ".join(md_escape(h) for h in headers) + " |",
             "|" + "|".join("---" for _ in headers) + "|"]
    for row in rows:
        cells = [c.text if isinstance(c, Raw) else md_escape(c) for c in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


class Raw:
    """A table cell that is already safe Markdown (e.g. built with `code_span`)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text.replace("\n", " ")


# -- parts ------------------------------------------------------------------------------------
def subject_line(diagnosis: Diagnosis) -> str:
    """'task abc in cluster prod' — which thing this diagnosis is about."""
    subject = diagnosis.subject or {}
    kind = clean(subject.get("kind") or "task")
    what = subject.get("task") or subject.get("service") or subject.get("taskdef") or "?"
    cluster = subject.get("cluster")
    where = f" in cluster {code_span(cluster)}" if cluster else ""
    return f"{md_escape(kind)} {code_span(what)}{where}"


def overall_status(diagnosis: Diagnosis) -> str:
    """The diagnosis' overall status (`Diagnosis.status`)."""
    return diagnosis.status


def verdict_block(diagnosis: Diagnosis) -> str:
    """The ten-second read: overall status and the verdict sentence, as a quote."""
    status = overall_status(diagnosis)
    headline = {"fail": "The image pull fails.", "unknown": "No failure found, but not everything could be checked.",
                "warn": "No failure found; there are warnings.", "pass": "No failing prerequisite found."}[status]
    return f"> **{STATUS_WORDS[status]} — {headline}**\n>\n> {md_escape(diagnosis.verdict)}"


def stopped_section(diagnosis: Diagnosis) -> str:
    """The task's stopped reason, what it means, and whether the checks confirm it."""
    st = diagnosis.stopped
    if not st:
        return "No stopped reason was recorded (the subject is not a stopped task, or it did not say why)."
    lines = [f"- **Reason (as AWS reported it):** {md_escape(st.get('text'))}"]
    if st.get("summary"):
        lines.append(f"- **What it means:** {md_escape(st.get('summary'))}")
    lines.append(f"- **Step / cause:** {code_span(st.get('step') or '-')} / {code_span(st.get('cause') or 'unknown')}")
    for key, label in (("advice", "What to look at"), ("detail", "Detail")):
        if st.get(key):
            lines.append(f"- **{label}:** {md_escape(st.get(key))}")
    confirmed = st.get("confirmed")
    if confirmed is True:
        by = ", ".join(code_span(x) for x in st.get("confirmed_by") or [])
        lines.append(f"- **Confirmed by the checks:** yes ({by})")
    elif confirmed is False:
        lines.append("- **Confirmed by the checks:** no — the cause may have been fixed since, "
                     "or lie outside what was read")
    else:
        lines.append("- **Confirmed by the checks:** no check can confirm this kind of reason")
    return "\n".join(lines)


def steps_table(diagnosis: Diagnosis) -> str:
    """One row per pull step: status and summary."""
    rows = [(Raw(code_span(s.id)), Raw(STATUS_WORDS.get(s.status, md_escape(s.status))), s.summary)
            for s in diagnosis.steps]
    return table(("step", "status", "summary"), rows)


def finding_label(f: Finding) -> str:
    return f"{f.id}[{f.target}]" if f.target else f.id


def finding_block(f: Finding, *, heading: str = "###", evidence_limit: int = 8) -> str:
    """A failing/warning/unknown finding with its evidence and the fix (commands fenced)."""
    step = f.step or "task-definition"
    parts = [f"{heading} {STATUS_WORDS.get(f.status, md_escape(f.status))} {md_escape(finding_label(f))}: "
             f"{md_escape(f.text)}", "",
             f"Step {code_span(step)}" + (f", target {code_span(f.target)}" if f.target else "")
             + f", severity {md_escape(f.severity)}."]
    if f.detail:
        parts += ["", md_escape(f.detail)]
    if f.missing_permission:
        parts += ["", f"Could not be decided: the identity running fargate-nb lacks {code_span(f.missing_permission)}."]
    if f.evidence:
        parts += ["", "Evidence:", ""]
        parts += [f"- {md_escape(ev)}" for ev in f.evidence[:evidence_limit]]
        if len(f.evidence) > evidence_limit:
            parts.append(f"- … {len(f.evidence) - evidence_limit} more in the diagnosis JSON")
    rem = f.remediation
    if rem:
        parts += ["", f"**Fix:** {md_escape(rem.summary)}"]
        if rem.commands:
            parts += ["", fenced("\n".join(clean(c) for c in rem.commands), "sh")]
        if rem.policy:
            parts += ["", "Policy to attach or merge:", "", fenced(json.dumps(rem.policy, indent=2), "json")]
    if f.doc_url:
        parts += ["", f"Documentation: {safe_link(f.doc_url, f.doc_url)}"]
    return "\n".join(parts)


def findings_section(diagnosis: Diagnosis, *, heading: str = "###") -> str:
    """Problems first (fail, unknown, warn) with fixes, then passing checks and advice in a table."""
    order = {"fail": 0, "unknown": 1, "warn": 2}
    problems = sorted((f for f in diagnosis.findings if f.status in PROBLEM_STATUSES),
                      key=lambda f: order[f.status])
    out: list[str] = []
    if problems:
        out += [finding_block(f, heading=heading) + "\n" for f in problems]
    else:
        out.append("No finding fails, warns or is undecided.\n")
    rest = [f for f in diagnosis.findings if f.status not in PROBLEM_STATUSES]
    if rest:
        out.append("Passing checks and advice:\n")
        out.append(table(("status", "finding", "step", "title"),
                         ((Raw(STATUS_WORDS.get(f.status, md_escape(f.status))), Raw(code_span(finding_label(f))),
                           f.step or "task-definition", f.text) for f in rest)))
    return "\n".join(out).rstrip() + "\n"


def gaps_section(gaps: Sequence[Gap]) -> str:
    """What could not be read, and the permission to grant to read it."""
    if not gaps:
        return "Everything the diagnosis needed could be read."
    intro = "Grant these to the identity running fargate-nb to let it decide the steps marked unknown:\n\n"
    return intro + table(("API", "resource", "needs", "error"),
                         ((Raw(code_span(g.api)), g.resource or "-", Raw(code_span(g.permission)), g.error)
                          for g in gaps))


def diagnosis_markdown(diagnosis: Diagnosis, snapshot: Snapshot | None = None) -> str:
    """The whole diagnosis as Markdown: verdict, stopped reason, steps, findings with fixes, gaps."""
    acct = diagnosis.account or "?"
    out = [f"# fargate-nb diagnosis of {subject_line(diagnosis)}", "",
           verdict_block(diagnosis), "",
           f"Account {code_span(acct)}, region {code_span(diagnosis.region or '?')}, evidence collected "
           f"{md_escape(diagnosis.collected_at or 'at an unknown time')}, fargate-nb {md_escape(diagnosis.kit_version or '?')}.",
           ""]
    if diagnosis.stopped or (snapshot is not None and snapshot.task):
        out += ["## Stopped reason", "", stopped_section(diagnosis), ""]
    out += ["## Pull steps", "", steps_table(diagnosis), "",
            "## Findings", "", findings_section(diagnosis),
            "## What could not be read", "", gaps_section(diagnosis.gaps), ""]
    return "\n".join(out)
