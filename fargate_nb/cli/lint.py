"""`fargate-nb lint TASKDEF.json`: check a task definition file against the ECS API and Fargate's rules.

Exit 0 when valid (warnings allowed), 1 when a problem is found, 2 when the input is unreadable, not JSON or
not a JSON object. Text: one line per problem (✗ fail, ! warning, i advice); JSON: a list of findings.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import sys
import textwrap
from dataclasses import asdict
from typing import Any

from fargate_nb.cli import EXIT_FAIL, EXIT_OK, UsageError
from fargate_nb.model import Finding
from fargate_nb.taskdef.document import DocumentError
from fargate_nb.taskdef.document import load_document as _load_document
from fargate_nb.taskdef.document import safe_text as _safe


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("lint", help="check a task definition JSON file against the ECS API and Fargate's rules",
                       description="Validate a task definition (register-task-definition input, or "
                                   "describe-task-definition output) against botocore's ECS model and Fargate's "
                                   "documented rules. Exit 0 when valid (warnings allowed), 1 when a problem is "
                                   "found, 2 when the file cannot be read or is not a JSON object.")
    p.add_argument("taskdef", metavar="TASKDEF.json", help="the task definition file; '-' reads standard input")
    p.add_argument("--format", choices=("text", "json"), default="text",
                   help="text: one line per problem; json: a list of finding objects")
    p.add_argument("--no-fargate", action="store_true",
                   help="do not apply Fargate's rules (they still apply when requiresCompatibilities has FARGATE)")
    p.add_argument("--rendered", action="store_true",
                   help="the file is rendered, not a CI template: judge <IMAGE1_NAME>, ${VAR} and other placeholders "
                        "as the literal values ECS would get")
    p.set_defaults(func=run)


def load_document(name: str) -> Any:
    """The parsed JSON of a file (or stdin for '-'); UsageError with a clear message otherwise."""
    try:
        return _load_document(name)
    except DocumentError as exc:
        raise UsageError(str(exc)) from exc


MARKS = {"fail": "✗", "warn": "!", "info": "i"}
INDENT = "    "
MAX_EVIDENCE = 3  # paths on a finding's first line; a summary finding lists the rest in its detail


def text_width() -> int:
    """The terminal's width (COLUMNS when set), kept between 60 and 120 so lines stay readable."""
    return max(60, min(120, shutil.get_terminal_size((100, 24)).columns))


def render_text(name: str, findings: list[Finding], fargate: bool, width: int | None = None) -> str:
    """A summary line, then one block per problem: a line with mark, JSON path and message, the detail and the
    fix wrapped to ``width`` under it, and each fix command on a line of its own (never wrapped: it is copied)."""
    width = width or text_width()
    shown = "standard input" if name == "-" else _safe(name)
    fails = sum(f.status == "fail" for f in findings)
    warns = sum(f.status == "warn" for f in findings)
    mode = "Fargate" if fargate else "its launch type"
    head = f"{shown}: valid for {mode}" if not fails else f"{shown}: {fails} problem(s) for {mode}"
    lines = [head + (f", {warns} warning(s)" if warns else "")]
    for f in findings:
        mark = MARKS.get(f.status)
        if not mark:
            continue
        paths = [_safe(e) for e in f.evidence] or ["$"]
        where = ", ".join(paths[:MAX_EVIDENCE]) + (f" (+{len(paths) - MAX_EVIDENCE})" if len(paths) > MAX_EVIDENCE else "")
        lines += _wrap(f"{mark} {where}: {_safe(f.text)}", width, first="")
        if f.detail:
            lines += _wrap(_safe(f.detail, 2000), width)
        if f.remediation and f.remediation.summary:
            lines += _wrap(f"Fix: {_safe(f.remediation.summary, 1000)}", width)
        if f.remediation and f.remediation.commands:
            lines += [f"{INDENT}$ {_command(c, name)}" for c in f.remediation.commands]
    return "\n".join(lines) + "\n"


def _wrap(text: str, width: int, first: str = INDENT) -> list[str]:
    """``text`` wrapped at word boundaries (long words such as paths are not broken), continuation indented."""
    return textwrap.wrap(text, width=width, initial_indent=first, subsequent_indent=INDENT,
                         break_long_words=False, break_on_hyphens=False) or [first.rstrip()]


def _command(command: str, name: str) -> str:
    """The fix command on the linted file itself (standard input keeps the placeholder taskdef.json)."""
    if name == "-":
        return _safe(command, 1000)
    return _safe(command.replace(" taskdef.json >", f" {shlex.quote(name)} >"), 1000)


def lint_findings(doc: dict[str, Any], *, fargate: bool = True, template: bool = True) -> list[Finding]:
    """The findings `fargate-nb lint` reports for a task definition object (catalogue metadata attached)."""
    from fargate_nb.checks.catalogue import spec
    from fargate_nb.checks.registry import attach_metadata
    from fargate_nb.taskdef import FINDING_ID, lint_task_definition

    entry = spec(FINDING_ID)
    return [attach_metadata(f, entry) for f in lint_task_definition(doc, fargate=fargate, template=template)]


def lint_text(doc: dict[str, Any], name: str = "taskdef.json", *, fargate: bool = True) -> str:
    """What `fargate-nb lint NAME` prints for ``doc`` (a notebook shows it without writing a file)."""
    return render_text(name, lint_findings(doc, fargate=fargate), fargate)


def run(args: argparse.Namespace) -> int:
    from fargate_nb.scrub import scrub_obj

    doc = load_document(args.taskdef)
    if not isinstance(doc, dict):
        what = {list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(type(doc), "a number")
        shown = "standard input" if args.taskdef == "-" else _safe(args.taskdef)
        raise UsageError(f"{shown} holds {what}, not a JSON object; a task definition is an object with family "
                         "and containerDefinitions")
    fargate = not args.no_fargate
    findings = lint_findings(doc, fargate=fargate, template=not args.rendered)
    if args.format == "json":
        sys.stdout.write(json.dumps(scrub_obj([asdict(f) for f in findings]), indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(render_text(args.taskdef, findings, fargate))
    return EXIT_FAIL if any(f.status == "fail" for f in findings) else EXIT_OK
