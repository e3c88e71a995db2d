"""The `fargate-nb` command. Each sub-command lives in its own module and holds no logic of its own.

A module registers itself with ``register(subparsers)``, which adds its parsers and sets
``func`` on each to a callable ``(args) -> int`` (the exit code).

Exit codes (README "Exit codes"): 0 every needed step was checked and passes; 1 something fails;
2 bad usage or input; 3 AWS unreachable, not AWS, no credentials, unknown profile or no region;
4 nothing fails but something needed could not be checked (the verdict names the call and permission).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from fargate_nb import __version__
from fargate_nb.model import EXIT_FAIL as EXIT_FAIL  # the diagnosis's codes, re-exported for the sub-commands
from fargate_nb.model import EXIT_OK as EXIT_OK
from fargate_nb.model import EXIT_UNCHECKED as EXIT_UNCHECKED

EXIT_USAGE, EXIT_AWS = 2, 3  # the command's own: bad usage or input; AWS unreachable or no credentials
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports a command whose reader closed the pipe
#: The sub-commands, one module each (``register(sub)``); ``preflight`` answers before a deploy.
COMMAND_MODULES = ("diagnose", "snapshot", "explain", "lint", "checks", "lab", "report", "audit", "preflight")


class UsageError(Exception):
    """Bad usage or input: exit 2 with the message."""


class AwsUnavailable(Exception):
    """AWS unreachable or no credentials: exit 3 with the message."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fargate-nb",
        description="Find out why an AWS Fargate task cannot pull its container image, and what to change.",
    )
    parser.add_argument("--version", action="version", version=f"fargate-nb {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"fargate_nb.cli.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; output cut short by a closed pipe (``| head``) ends quietly, without a traceback."""
    try:
        code = _main(argv)
        sys.stdout.flush()  # a reader gone away shows here, not as a traceback at interpreter exit
    except BrokenPipeError:
        # The standard recipe: send what is left of stdout to devnull so the final flush cannot fail.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):  # stdout is not a real file (captured, closed)
            pass
        return EXIT_BROKEN_PIPE
    return code


def _main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.func(args))
    except UsageError as exc:
        print(f"fargate-nb: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except AwsUnavailable as exc:
        print(f"fargate-nb: {exc}", file=sys.stderr)
        return EXIT_AWS
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
