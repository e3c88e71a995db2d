"""The audit runner: every service of the fleet collected, diagnosed and turned into one row.

``run_audit`` walks accounts (``role_arns``) x regions x clusters, lists each cluster's services in
batches, then collects and diagnoses the services concurrently (``max_workers`` at a time) over one
context per account and region. Each context carries a run cache, so roles, repositories, secrets
and network shared by many services are read once (`fargate_nb.aws.cache`); the cache is dropped
with the audit. A service that cannot be collected is an error row; a cluster, region or account
that cannot be listed is a problem of the audit. Nothing here decides: rows come from
`fargate_nb.diagnose.fleet`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fargate_nb.diagnose import diagnose
from fargate_nb.diagnose.fleet import Audit, AuditProgress, AuditRow, audit_row, error_row
from fargate_nb.model import Snapshot

#: Threads each service's collection may use on top of the services running side by side.
JOBS_PER_SERVICE = 4


@dataclass(frozen=True)
class _Work:
    ctx: Any  # fargate_nb.aws.AwsContext
    account: str | None
    cluster: str
    service: str


def _why(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


def _contexts(audit: Audit, *, regions: list[str] | None, all_regions: bool, role_arns: list[str] | None,
              profile: str | None, endpoint_url: str | None, max_workers: int,
              on_context: Callable[[Any], None] | None) -> tuple[Any, list[tuple[Any, str | None]]]:
    """The caller's own context, and one (context, account) per account and region.

    What cannot be reached becomes a problem of the audit.
    """
    from fargate_nb.aws import make_context
    from fargate_nb.aws.errors import CredentialsRejectedError
    from fargate_nb.aws.fleet import account_of, audit_context, ecs_regions

    base = make_context(region=(regions or [None])[0], profile=profile, endpoint_url=endpoint_url,
                        max_workers=JOBS_PER_SERVICE)
    if on_context is not None:
        on_context(base)
    if regions:
        wanted = list(dict.fromkeys(regions))
    elif all_regions and not (endpoint_url or os.environ.get("AWS_ENDPOINT_URL")):
        wanted = ecs_regions(base)
    else:  # the default region (against an endpoint such as the sandbox, only its region exists)
        wanted = [base.region]
    audit.regions = wanted
    out: list[tuple[Any, str | None]] = []
    audited: set[str] = set()
    for role_arn in role_arns or [None]:
        rejected: list[str] = []
        worked = 0
        for region in wanted:
            where = f"{region}" + (f" as {role_arn}" if role_arn else "")
            try:
                ctx = audit_context(region=region, profile=profile, endpoint_url=endpoint_url,
                                    max_workers=JOBS_PER_SERVICE, role_arn=role_arn, base=base)
                ctx.pool_size = 2 * max_workers * max(JOBS_PER_SERVICE, max_workers)
                if on_context is not None:
                    on_context(ctx)
                account = account_of(ctx)
            except CredentialsRejectedError as exc:
                if all_regions and not regions:
                    rejected.append(f"{where}: {_why(exc)}")  # an opt-in region the account has not enabled
                else:
                    audit.problems.append(f"{where}: {_why(exc)}")
                continue
            except Exception as exc:  # an account or region that cannot be used: say so, go on
                audit.problems.append(f"{where}: {_why(exc)}")
                continue
            worked += 1
            audited.add(region)
            if account and account not in audit.accounts:
                audit.accounts.append(account)
            out.append((ctx, account))
        if rejected and not worked:  # not opt-in regions: the credentials themselves are refused
            audit.problems.extend(rejected)
    if all_regions and not regions:
        audit.regions = [r for r in wanted if r in audited] or wanted
    return base, out


def _work(audit: Audit, ctx: Any, account: str | None, clusters: list[str] | None, max_workers: int) -> list[_Work]:
    from fargate_nb.aws.fleet import cluster_names, list_fleet_services
    from fargate_nb.aws.prefetch import prefetch

    try:
        names = cluster_names(ctx, clusters)
    except Exception as exc:
        audit.problems.append(f"{account or '-'}/{ctx.region}: cannot list clusters: {_why(exc)}")
        return []
    work: list[_Work] = []
    described: list[dict[str, Any]] = []

    def listing(name: str) -> Any:
        try:
            return list_fleet_services(ctx, name)
        except Exception as exc:  # this cluster only
            return exc

    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(names) or 1))) as pool:
        for name, listed in zip(names, pool.map(listing, names), strict=True):
            if isinstance(listed, Exception):
                audit.problems.append(f"{account or '-'}/{ctx.region}/{name}: {_why(listed)}")
                continue
            work += [_Work(ctx, account, name, service) for service in listed.services]
            described += listed.described
    prefetch(ctx, described, max_workers=max_workers)  # subnets, task definitions, images: in batches
    return work


def _audit_one(item: _Work, snapshot_dir: Path | None, several_accounts: bool) -> AuditRow:
    from fargate_nb.aws import collect

    try:
        snapshot = collect(item.ctx, cluster=item.cluster, service=item.service)
    except Exception as exc:  # not found (deleted meanwhile), AWS unavailable, a bug: this service only
        return error_row(item.account, item.ctx.region, item.cluster, item.service, _why(exc))
    row = audit_row(snapshot, diagnose(snapshot))
    if snapshot_dir is not None:
        row.snapshot_file = _write_snapshot(snapshot, snapshot_dir, item, several_accounts)
    return row


def snapshot_path(snapshot_dir: Path, region: str, cluster: str, service: str, account: str | None = None) -> Path:
    """``<snapshot_dir>/[<account>/]<region>/<cluster>/<service>.snapshot.json`` (account only when several)."""
    base = snapshot_dir / account if account else snapshot_dir
    return base / region / cluster / f"{service}.snapshot.json"


def _write_snapshot(snapshot: Snapshot, snapshot_dir: Path, item: _Work, several_accounts: bool) -> str:
    path = snapshot_path(snapshot_dir, item.ctx.region, item.cluster, item.service,
                         (item.account or "unknown-account") if several_accounts else None)
    snapshot.save(path)  # atomic and private (0600), folders 0700
    return str(path.relative_to(snapshot_dir.parent))


def run_audit(*, regions: list[str] | None = None, all_regions: bool = False, clusters: list[str] | None = None,
              role_arns: list[str] | None = None, profile: str | None = None, endpoint_url: str | None = None,
              snapshot_dir: Path | None = None, max_workers: int = 8,
              progress: Callable[[AuditProgress], None] | None = None,
              on_context: Callable[[Any], None] | None = None) -> Audit:
    """Audit every service of ``clusters`` (default: all) in each region and account; see the module docstring.

    ``all_regions``: every region ECS offers in the partition (against ``endpoint_url`` or
    ``AWS_ENDPOINT_URL``, only the given or default region); a region that rejects the credentials while others accept them is
    an opt-in region the account has not enabled, and is left out of ``audit.regions`` silently. ``role_arns``: assume each (read-only, docs/audit.md "Accounts").
    ``snapshot_dir``: write each service's snapshot there (`snapshot_path`); ``row.snapshot_file``
    is relative to its parent. ``progress`` is called after each service (from this thread).
    ``on_context`` is given every `AwsContext` the audit makes, before its first call (its
    ``calls`` and ``requests`` log the run; a benchmark adds latency through its session's events).
    Raises `AwsUnavailableError`/`InvalidInputError` only when nothing at all can be used (no
    credentials, no region, bad input); everything narrower is a problem or an error row.
    """
    if max_workers < 1:
        raise ValueError("max_workers must be at least 1")
    start = time.perf_counter()
    audit = Audit()
    snapshot_dir = Path(snapshot_dir) if snapshot_dir is not None else None
    base, contexts = _contexts(audit, regions=regions, all_regions=all_regions, role_arns=role_arns, profile=profile,
                                  endpoint_url=endpoint_url, max_workers=max_workers, on_context=on_context)
    work = [w for ctx, account in contexts for w in _work(audit, ctx, account, clusters, max_workers)]
    several_accounts = len({a for _, a in contexts}) > 1
    for ctx, _ in contexts:  # a few services get more threads each; many share the pool
        ctx.max_workers = max(JOBS_PER_SERVICE, max_workers // max(1, min(len(work), max_workers)))
    rows: dict[int, AuditRow] = {}
    failing = unknown = 0
    with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="fargate-nb-audit") as pool:
        pending: dict[Future[AuditRow], int] = {
            pool.submit(_audit_one, item, snapshot_dir, several_accounts): i for i, item in enumerate(work)}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                index = pending.pop(future)
                row = future.result()
                rows[index] = row
                failing += row.status == "fail"
                unknown += row.status in ("unknown", "error")
                if progress is not None:
                    progress(AuditProgress(total=len(work), done=len(rows), failing=failing, unknown=unknown,
                                           current=row.key))
    audit.rows = [rows[i] for i in range(len(work))]
    audit.calls = len(base.calls) + sum(len(ctx.calls) for ctx, _ in contexts)
    audit.seconds = time.perf_counter() - start
    return audit


def open_fleet(sandbox: Any = None, *, activate: bool = True) -> tuple[Any, dict[str, tuple[str, ...]]]:
    """The sandbox fleet (`fargate_nb.lab.fleet.FLEET`), built in ``sandbox`` (reset first) or a new one.

    Returns ``(sandbox, expected)``: ``expected`` maps each service's audit row key
    (account/region/cluster/service) to the finding ids that fail it (empty: healthy). Audit it with
    ``run_audit(endpoint_url=sandbox.endpoint_url)``. A sandbox started here is the caller's to
    ``stop()``; with ``activate`` this process's AWS environment points at it (as `open_scenario`).
    """
    from fargate_nb.investigation.core import ScenarioError
    from fargate_nb.investigation.labs import start_sandbox
    from fargate_nb.lab.fleet import build_fleet
    from fargate_nb.lab.spec import ProvisionError

    owns = sandbox is None
    if sandbox is None:
        sandbox = start_sandbox(activate=activate)
    else:
        sandbox.reset()
    try:
        fleet = build_fleet(sandbox)
    except BaseException as exc:
        if owns:
            sandbox.stop()
        if isinstance(exc, ProvisionError):
            raise ScenarioError(f"sandbox fleet: {exc}") from exc
        raise
    return sandbox, fleet.expected
