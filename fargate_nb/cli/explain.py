"""`fargate-nb explain MESSAGE`: what a stopped reason means, which step broke, what confirms it."""

from __future__ import annotations

import argparse
import json
import sys

from fargate_nb.cli import EXIT_OK, UsageError

MAX_STDIN = 1_000_000


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("explain", help="explain a task's stoppedReason or a container reason",
                       description="Classify a stoppedReason into the pull step that broke and its cause.")
    p.add_argument("message", help="the message, quoted; '-' reads it from standard input")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from fargate_nb.pullflow import STEP_TITLES
    from fargate_nb.stopped import explain

    message = args.message
    if message == "-":
        message = sys.stdin.read(MAX_STDIN)
    if not message.strip():
        raise UsageError("the message is empty")
    e = explain(message)
    if args.format == "json":
        print(json.dumps(e.to_dict(), indent=2))
        return EXIT_OK
    step = f"{e.step} ({STEP_TITLES[e.step].lower()})" if e.step else "not an image-pull step"
    print(f"step:    {step}")
    print(f"cause:   {e.cause}" + (f" — reaching {e.target}" if e.target else ""))
    print(f"means:   {e.summary}")
    if e.finding_ids:
        print(f"confirm: run `fargate-nb diagnose`; these findings can confirm it: {', '.join(e.finding_ids)}")
    if e.truncated:
        print("note:    the message looks truncated (ECS keeps 255 characters); the classification uses what is left")
    print(f"text:    {e.text}")
    return EXIT_OK
