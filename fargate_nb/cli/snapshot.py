"""`fargate-nb snapshot`: collect the live evidence around a task or service and save it as JSON."""

from __future__ import annotations

import argparse
import sys

from fargate_nb.cli import EXIT_OK, EXIT_UNCHECKED, AwsUnavailable, UsageError
from fargate_nb.cli.diagnose import save_snapshot


def register(sub: argparse._SubParsersAction) -> None:
    from fargate_nb.cli.diagnose import add_target_arguments

    p = sub.add_parser("snapshot", help="save the live evidence around a task or service to a JSON file",
                       description="Read (read-only) everything a Fargate image pull depends on and save it, "
                                   "so it can be diagnosed offline later (postmortems, workshops).")
    add_target_arguments(p, snapshot=False)
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="where to write the snapshot (JSON)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if bool(args.task) == bool(args.service):
        raise UsageError("give --task T or --service S (with --cluster C)")
    if not args.cluster:
        raise UsageError("--cluster is required with --task or --service")
    from fargate_nb.aws import AwsUnavailableError, SubjectNotFoundError, collect, make_context

    try:
        ctx = make_context(region=args.region, profile=args.profile, endpoint_url=args.endpoint_url)
        snapshot = collect(ctx, cluster=args.cluster, task=args.task, service=args.service)
    except AwsUnavailableError as exc:
        raise AwsUnavailable(str(exc)) from exc
    except (SubjectNotFoundError, ValueError) as exc:
        raise UsageError(str(exc)) from exc
    path = save_snapshot(snapshot, args.output)
    gaps = len(snapshot.gaps)
    print(path)
    print(f"{gaps} gap{'s' if gaps != 1 else ''} (evidence that could not be read)"
          + (": " + ", ".join(sorted({g.permission or g.api for g in snapshot.gaps})) if gaps else ""))
    from fargate_nb.diagnose import unread_subject

    unread = unread_subject(snapshot)
    if unread is not None:  # written, but nothing in it can be checked
        print(f"fargate-nb: {unread.sentence}", file=sys.stderr)
        return EXIT_UNCHECKED
    return EXIT_OK
