"""`fargate-nb diagnose`: collect (or load) the evidence, run the checks, print the Diagnosis."""

from __future__ import annotations

import argparse
import sys

from fargate_nb.cli import AwsUnavailable, UsageError


def add_target_arguments(parser: argparse.ArgumentParser, *, snapshot: bool = True) -> None:
    """The subject and AWS options shared by diagnose, snapshot and report."""
    parser.add_argument("--cluster", help="ECS cluster name or ARN")
    parser.add_argument("--task", help="task ARN or id (running, or stopped within about an hour)")
    parser.add_argument("--service", help="service name: its current task definition and network configuration")
    if snapshot:
        parser.add_argument("--snapshot", metavar="FILE", help="a saved snapshot: diagnose offline")
    parser.add_argument("--region", help="AWS region (default: the profile's or AWS_REGION)")
    parser.add_argument("--profile", help="AWS named profile")
    parser.add_argument("--endpoint-url", help="AWS endpoint URL (default: AWS_ENDPOINT_URL); e.g. the sandbox")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("diagnose", help="diagnose why a task cannot pull its image",
                       description="Diagnose why a Fargate task cannot pull its image, and say what to change.")
    add_target_arguments(p)
    p.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    p.add_argument("--save-snapshot", metavar="FILE", help="also write the evidence to FILE")
    p.add_argument("--verbose", "-v", action="store_true", help="text: show passing checks and all evidence")
    p.set_defaults(func=run)


def load_or_collect(args: argparse.Namespace):  # -> Snapshot
    """The snapshot named by the arguments: loaded from a file, or collected live."""
    from fargate_nb.model import Snapshot, SnapshotError

    live = bool(args.task or args.service)
    snapshot_path = getattr(args, "snapshot", None)
    if snapshot_path:
        if live:
            raise UsageError("give either --snapshot or --task/--service, not both")
        try:
            return Snapshot.load(snapshot_path)
        except SnapshotError as exc:
            raise UsageError(str(exc)) from exc
    if not live:
        raise UsageError("say what to diagnose: --task T --cluster C, --service S --cluster C, or --snapshot FILE")
    if args.task and args.service:
        raise UsageError("give --task or --service, not both")
    if not args.cluster:
        raise UsageError("--cluster is required with --task or --service")
    from fargate_nb.aws import AwsUnavailableError, SubjectNotFoundError
    from fargate_nb.investigation import LiveTarget, collect_target

    try:
        return collect_target(LiveTarget(args.cluster, args.task, args.service, args.region, args.profile,
                                         args.endpoint_url))
    except AwsUnavailableError as exc:
        raise AwsUnavailable(str(exc)) from exc
    except (SubjectNotFoundError, ValueError) as exc:
        raise UsageError(str(exc)) from exc


def save_snapshot(snapshot, name: str):  # -> Path
    """Write the evidence to ``name``; UsageError (exit 2) when that is a folder or cannot be written."""
    from pathlib import Path

    if Path(name).is_dir():
        raise UsageError(f"cannot write the snapshot to {name}: it is a directory; give a file name")
    try:
        return snapshot.save(name)
    except OSError as exc:
        raise UsageError(f"cannot write the snapshot to {name}: {exc.strerror or exc}") from exc


def render(diagnosis, fmt: str, *, snapshot=None, verbose: bool = False, stream=None) -> str:
    if fmt == "json":
        return diagnosis.to_json() + "\n"
    if fmt == "markdown":
        from fargate_nb.views.markdown import diagnosis_markdown

        return diagnosis_markdown(diagnosis, snapshot)
    from fargate_nb.views.text import render_text

    stream = stream or sys.stdout
    return render_text(diagnosis, colour=stream.isatty(), verbose=verbose)


def run(args: argparse.Namespace) -> int:
    from fargate_nb.investigation import investigate

    snapshot = load_or_collect(args)
    if args.save_snapshot:
        path = save_snapshot(snapshot, args.save_snapshot)
        print(f"snapshot written to {path}", file=sys.stderr)
    diagnosis = investigate(snapshot).diagnosis
    sys.stdout.write(render(diagnosis, args.format, snapshot=snapshot, verbose=args.verbose))
    return diagnosis.exit_code
