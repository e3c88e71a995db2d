"""`fargate-nb explain MESSAGE`: what a stopped reason means, which step broke, what confirms it."""

from __future__ import annotations

import argparse
import json
import sys

from fargate_nb.cli import EXIT_OK, UsageError

MAX_STDIN = 1_000_000  # characters read from standard input; the classifier reads far less


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("explain", help="explain a task's stoppedReason or a container reason",
                       description="Classify a stoppedReason (or a container reason) into the pull step that "
                                   "broke, its cause, and the findings that can confirm it. Works offline.")
    p.add_argument("message", help="the message, quoted; '-' reads it from standard input")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=run)


def read_message(arg: str) -> str:
    """The message itself, or standard input for '-' (bytes that are not UTF-8 are replaced, not fatal)."""
    if arg != "-":
        return arg
    stream = getattr(sys.stdin, "buffer", None)
    try:
        if stream is not None:
            return stream.read(MAX_STDIN * 4).decode("utf-8", errors="replace")[:MAX_STDIN]
        return sys.stdin.read(MAX_STDIN)
    except OSError as exc:  # standard input is a folder, closed, or not readable
        raise UsageError(f"cannot read standard input: {exc.strerror or exc}") from exc


def render_text(e) -> str:  # e: fargate_nb.stopped.Explanation
    from fargate_nb.pullflow import STEP_TITLES

    step = f"{e.step} ({STEP_TITLES[e.step].lower()})" if e.step else "not an image-pull step"
    lines = [f"step:     {step}",
             f"cause:    {e.cause}" + (f" (reaching {e.target})" if e.target else ""),
             f"means:    {e.summary}"]
    if e.advice:
        lines.append(f"look at:  {e.advice}")
    if e.finding_ids:
        lines.append(f"confirm:  fargate-nb diagnose; these findings can confirm it: {', '.join(e.finding_ids)}")
    if e.truncated:
        lines.append("note:     the message looks cut (ECS keeps 255 characters of stoppedReason); the "
                     "classification uses what is left")
    wording = {"2024+": "current (2024+) wording", "legacy": "pre-2024 wording"}.get(e.wording or "", "not recognised")
    lines.append(f"wording:  {wording}" + (f"; category {e.category}" if e.category else ""))
    lines.append(f"text:     {e.text}")
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    from fargate_nb.stopped import explain

    message = read_message(args.message)
    if not message.strip():
        raise UsageError("the message is empty (give it quoted, or '-' to read standard input)")
    e = explain(message)
    if args.format == "json":
        sys.stdout.write(json.dumps(e.to_dict(), indent=2) + "\n")
    else:
        sys.stdout.write(render_text(e))
    return EXIT_OK
