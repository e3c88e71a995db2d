"""`fargate-nb audit`: every service of the named clusters, regions and accounts, one row each.

The runner (`fargate_nb.investigation.run_audit`) collects and diagnoses; this module parses the
arguments, draws the progress bar, prints the chosen format and writes the report folder.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fargate_nb.cli import AwsUnavailable, UsageError

FORMATS = ("text", "json", "markdown", "junit")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "audit", help="audit every service: one row each, a summary, and what fails (text, JSON, Markdown, JUnit)",
        description="Collect and diagnose every service of the clusters (all by default) in each region and "
                    "account, read-only. Prints one row per service, a summary and the full diagnosis of each "
                    "failing service; --out also writes an offline HTML report, Markdown, JSON, JUnit XML "
                    "and each service's snapshot. Exit code as for `diagnose`.")
    p.add_argument("--cluster", action="append", metavar="C", help="a cluster name or ARN (repeat; default: all)")
    p.add_argument("--region", action="append", metavar="R", help="a region (repeat; default: the profile's)")
    p.add_argument("--all-regions", action="store_true", help="every region where ECS is offered")
    p.add_argument("--role-arn", action="append", metavar="ARN",
                   help="audit the account of this read-only role (repeat; see docs/audit.md, Accounts)")
    p.add_argument("--profile", help="AWS named profile")
    p.add_argument("--endpoint-url", help="AWS endpoint URL (default: AWS_ENDPOINT_URL); e.g. the sandbox")
    p.add_argument("--out", metavar="DIR", help="also write the report: index.html, audit.md, audit.json, "
                                                "junit.xml, snapshots/")
    p.add_argument("--format", choices=FORMATS, default="text", help="what to print (default: text)")
    p.add_argument("--workers", type=int, default=8, help="services collected side by side (default: 8)")
    p.add_argument("--verbose", "-v", action="store_true", help="text: passing checks and all evidence too")
    p.add_argument("--sandbox-fleet", action="store_true",
                   help="no AWS account needed: start the local sandbox with a fleet of healthy and broken "
                        "services and audit it")
    p.set_defaults(func=run)


def render_audit(audit, fmt: str, *, colour: bool = False, verbose: bool = False) -> str:  # audit: Audit
    """The audit in one of `FORMATS`."""
    if fmt == "json":
        from fargate_nb.report.audit import audit_json

        return audit_json(audit)
    if fmt == "markdown":
        from fargate_nb.report.audit import audit_markdown

        return audit_markdown(audit)
    if fmt == "junit":
        from fargate_nb.report.audit import audit_junit

        return audit_junit(audit)
    from fargate_nb.views.fleet import render_audit_text

    return render_audit_text(audit, colour=colour, verbose=verbose)


def _check(args: argparse.Namespace) -> None:
    if args.workers < 1:
        raise UsageError(f"--workers {args.workers}: give at least 1")
    if args.sandbox_fleet and (args.endpoint_url or args.profile or args.role_arn or args.all_regions):
        raise UsageError("--sandbox-fleet audits the local sandbox: give no --endpoint-url, --profile, "
                         "--role-arn or --all-regions with it")
    if args.out and Path(args.out).exists() and not Path(args.out).is_dir():
        raise UsageError(f"--out {args.out} is a file; give a folder")


def run(args: argparse.Namespace) -> int:
    from fargate_nb.views.progress import AuditBar

    _check(args)
    out = Path(args.out) if args.out else None
    snapshot_dir = None
    if out:
        from fargate_nb.report.audit import SNAPSHOT_DIR

        snapshot_dir = out / SNAPSHOT_DIR
    bar = AuditBar(sys.stderr)
    try:
        audit = _audit(args, snapshot_dir, bar)
    finally:
        bar.close()
    from fargate_nb.investigation.audit import nothing_audited

    why = nothing_audited(audit)
    if why:
        raise AwsUnavailable(why)
    if out is not None:
        from fargate_nb.report.audit import write_audit_report

        try:
            paths = write_audit_report(audit, out)
        except OSError as exc:
            raise UsageError(f"cannot write the audit report in {out}: {exc.strerror or exc}") from exc
        print(f"audit report written to {paths.html} (also audit.md, audit.json, junit.xml)", file=sys.stderr)
    sys.stdout.write(render_audit(audit, args.format, colour=sys.stdout.isatty(), verbose=args.verbose))
    return audit.exit_code


def _audit(args: argparse.Namespace, snapshot_dir: Path | None, progress):  # -> Audit
    from fargate_nb.aws import AwsUnavailableError, InvalidInputError, SubjectNotFoundError
    from fargate_nb.investigation import ScenarioError, run_audit
    from fargate_nb.investigation.audit import audit_sandbox_fleet

    options = dict(regions=args.region, clusters=args.cluster, snapshot_dir=snapshot_dir, max_workers=args.workers,
                   progress=progress)
    try:
        if args.sandbox_fleet:
            return audit_sandbox_fleet(say=lambda m: print(f"fargate-nb audit: {m}", file=sys.stderr, flush=True),
                                       **options)
        return run_audit(all_regions=args.all_regions, role_arns=args.role_arn, profile=args.profile,
                         endpoint_url=args.endpoint_url, **options)
    except AwsUnavailableError as exc:
        raise AwsUnavailable(str(exc)) from exc
    except ScenarioError as exc:  # the sandbox fleet could not be built
        raise AwsUnavailable(f"the sandbox fleet could not be built: {exc}") from exc
    except (InvalidInputError, SubjectNotFoundError, ValueError) as exc:
        raise UsageError(str(exc)) from exc
