"""`fargate-nb report`: collect or load the evidence, then write the notebook, HTML, Markdown and JSON."""

from __future__ import annotations

import argparse
import sys

from fargate_nb.cli import AwsUnavailable, UsageError
from fargate_nb.cli.diagnose import add_target_arguments, load_or_collect


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report", help="write an incident report (notebook, offline HTML, postmortem Markdown, JSON)",
        description="Collect (or load) the evidence, run the diagnosis notebook on it headless, and write "
                    "NAME.ipynb, NAME.html (offline), NAME.md (postmortem draft), NAME.json (the diagnosis) "
                    "and NAME.snapshot.json (the evidence) into --out.")
    add_target_arguments(p)
    p.add_argument("--scenario", help="a workshop scenario: built in a local sandbox, then reported")
    p.add_argument("--stopped", action="store_true",
                   help="with --cluster: one report per distinct failure among recently stopped tasks")
    p.add_argument("--since", default="24h", help="with --stopped: how far back (24h, 90m, 7d or an ISO time)")
    p.add_argument("--out", default="reports", metavar="DIR", help="output folder (default: reports/)")
    p.add_argument("--title", help="report title (default: derived from the subject)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.stopped:
        return _run_stopped(args)
    if args.scenario:
        if args.task or args.service or args.snapshot:
            raise UsageError("give --scenario alone, not with --task, --service or --snapshot")
        snapshot = _scenario_snapshot(args.scenario)
    else:
        snapshot = load_or_collect(args)  # collected first, in this process; the notebook reads the file

    from fargate_nb.investigation import investigate
    from fargate_nb.report import ReportError, generate_report

    diagnosis = investigate(snapshot).diagnosis
    print(f"diagnosis: {diagnosis.verdict}", file=sys.stderr)
    print("running the report notebook...", file=sys.stderr)
    try:
        paths = generate_report(snapshot, args.out, args.title, diagnosis=diagnosis)
    except ReportError as exc:
        raise UsageError(f"no report written: {exc}") from exc
    for path in paths.all():
        print(path)
    return diagnosis.exit_code


def _scenario_snapshot(scenario: str):  # -> Snapshot
    from fargate_nb.aws import AwsUnavailableError
    from fargate_nb.investigation import ScenarioError, snapshot_from_scenario

    try:
        return snapshot_from_scenario(scenario)
    except ScenarioError as exc:
        raise UsageError(str(exc)) from exc
    except AwsUnavailableError as exc:
        raise AwsUnavailable(f"the sandbox could not be reached: {exc}") from exc


def _run_stopped(args: argparse.Namespace) -> int:
    if args.task or args.service or args.snapshot or args.scenario:
        raise UsageError("--stopped reports a whole cluster: give --cluster only (with --since)")
    if not args.cluster:
        raise UsageError("--stopped needs --cluster")
    from fargate_nb.aws import AwsUnavailableError, SubjectNotFoundError
    from fargate_nb.aws.discover import DiscoveryError
    from fargate_nb.investigation import LiveTarget, report_stopped
    from fargate_nb.report.batch import parse_since

    try:
        since = parse_since(args.since)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    try:
        target = LiveTarget(args.cluster, region=args.region, profile=args.profile, endpoint_url=args.endpoint_url)
        result = report_stopped(target, args.out, since=since, title=args.title)
    except (AwsUnavailableError, DiscoveryError) as exc:  # unreachable, or the listing was denied
        raise AwsUnavailable(str(exc)) from exc
    except (SubjectNotFoundError, ValueError) as exc:  # no such cluster; invalid region or name
        raise UsageError(str(exc)) from exc
    for entry in result.entries:
        if entry.paths:
            print(entry.paths.html)
        else:
            print(f"fargate-nb: no report for {' '.join(entry.group.key)}: {entry.error}", file=sys.stderr)
    for line in result.skipped:
        print(f"fargate-nb: skipped {line}", file=sys.stderr)
    print(result.index)
    return result.exit_code
