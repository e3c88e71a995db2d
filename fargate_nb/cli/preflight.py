"""`fargate-nb preflight`: would this task definition pull, where it is about to run? Before the deploy."""

from __future__ import annotations

import argparse
import sys

from fargate_nb.cli import AwsUnavailable, UsageError


def _ids(values: list[str] | None) -> list[str]:
    """``--subnets a b`` and ``--subnets a,b`` alike."""
    return [part.strip() for value in values or [] for part in value.split(",") if part.strip()]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "preflight", help="would this task definition pull its image? (before it runs)",
        description="Collect everything a Fargate image pull depends on except the task (read-only) and diagnose "
                    "the pull the task definition would make: the same findings and exit codes as diagnose, with "
                    "the task-definition lint. The network is given (--subnets, --security-groups, "
                    "--assign-public-ip) or is that of the service the task definition is for (--service).")
    p.add_argument("--task-definition", required=True, metavar="FILE|FAMILY:REV",
                   help="a task definition JSON file (register-task-definition input or describe-task-definition "
                        "output), or a registered family:revision or ARN")
    p.add_argument("--cluster", required=True, help="ECS cluster name or ARN the task would run in")
    p.add_argument("--subnets", nargs="+", metavar="SUBNET", help="subnet ids (space or comma separated)")
    p.add_argument("--security-groups", nargs="+", metavar="SG", help="security group ids")
    p.add_argument("--assign-public-ip", action="store_true", help="the task would get a public IP")
    p.add_argument("--service", help="take the network configuration from this service (a deploy to it)")
    p.add_argument("--region", help="AWS region (default: the profile's or AWS_REGION)")
    p.add_argument("--profile", help="AWS named profile")
    p.add_argument("--endpoint-url", help="AWS endpoint URL (default: AWS_ENDPOINT_URL); e.g. the sandbox")
    p.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    p.add_argument("--out", metavar="FILE", help="write the output to FILE (private) instead of standard output")
    p.add_argument("--save-snapshot", metavar="FILE", help="also write the evidence to FILE")
    p.add_argument("--verbose", "-v", action="store_true", help="text: show passing checks and all evidence")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    subnets, groups = _ids(args.subnets), _ids(args.security_groups)
    if args.service and (subnets or groups or args.assign_public_ip):
        raise UsageError("give the network (--subnets, --security-groups, --assign-public-ip) or --service, not both")
    if not args.service and not subnets:
        raise UsageError("say where the task would run: --subnets S [--security-groups G] [--assign-public-ip], "
                         "or --service S")
    from fargate_nb.aws import AwsUnavailableError, SubjectNotFoundError
    from fargate_nb.cli.diagnose import render, save_snapshot
    from fargate_nb.investigation.preflight import open_preflight

    try:
        found = open_preflight(cluster=args.cluster, task_definition=args.task_definition, subnets=subnets,
                               security_groups=groups, assign_public_ip=args.assign_public_ip, service=args.service,
                               region=args.region, profile=args.profile, endpoint_url=args.endpoint_url)
    except AwsUnavailableError as exc:
        raise AwsUnavailable(str(exc)) from exc
    except (SubjectNotFoundError, ValueError) as exc:
        raise UsageError(str(exc)) from exc
    if args.save_snapshot:
        path = save_snapshot(found.snapshot, args.save_snapshot)
        print(f"snapshot written to {path}", file=sys.stderr)
    text = render(found.diagnosis, args.format, snapshot=found.snapshot, verbose=args.verbose)
    if args.out:
        from fargate_nb.files import write_text_atomic

        try:
            print(write_text_atomic(args.out, text))
        except OSError as exc:
            raise UsageError(f"cannot write {args.out}: {exc.strerror or exc}") from exc
    else:
        sys.stdout.write(text)
    return found.diagnosis.exit_code
