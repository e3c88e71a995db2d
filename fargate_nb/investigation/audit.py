"""What the audit's faces open: AWS (or an endpoint) through `run_audit`, or the sandbox fleet.

``audit_sandbox_fleet`` starts a local sandbox, builds the fleet (`open_fleet`), audits it and stops
it again (the audit keeps every row's snapshot and diagnosis). ``open_audit`` is the notebook's
entry: it never raises, a `Failed` says why nothing could be audited.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fargate_nb.diagnose.fleet import Audit, AuditProgress
from fargate_nb.investigation.core import Failed


def audit_sandbox_fleet(*, regions: list[str] | None = None, clusters: list[str] | None = None,
                        snapshot_dir: Path | None = None, max_workers: int = 8,
                        progress: Callable[[AuditProgress], None] | None = None,
                        say: Callable[[str], None] | None = None) -> Audit:
    """The sandbox fleet built in a sandbox of its own, audited, and the sandbox stopped."""
    import os

    from fargate_nb.investigation.fleet import open_fleet, run_audit
    from fargate_nb.investigation.labs import SANDBOX_ENV, restore_environment

    (say or (lambda _message: None))("starting the local sandbox (moto on 127.0.0.1) and building the fleet")
    saved = {key: os.environ.get(key) for key in SANDBOX_ENV}  # the sandbox's credentials, for this run only
    try:
        sandbox, _expected = open_fleet(activate=True)
        try:
            return run_audit(regions=regions or [sandbox.region], clusters=clusters,
                             endpoint_url=sandbox.endpoint_url, snapshot_dir=snapshot_dir, max_workers=max_workers,
                             progress=progress)
        finally:
            sandbox.stop()
    finally:
        restore_environment(saved)


def open_audit(*, regions: list[str] | None = None, all_regions: bool = False, clusters: list[str] | None = None,
               role_arns: list[str] | None = None, profile: str | None = None, endpoint_url: str | None = None,
               snapshot_dir: str | Path | None = None, sandbox_fleet: bool = True, max_workers: int = 8,
               progress: Callable[[AuditProgress], None] | None = None) -> Audit | Failed:
    """What a notebook's parameters name: with ``sandbox_fleet`` and no ``endpoint_url``, the sandbox
    fleet; otherwise AWS (``profile``, ``role_arns``) or the given endpoint. Never raises."""
    folder = Path(snapshot_dir) if snapshot_dir else None
    try:
        if sandbox_fleet and not endpoint_url:
            return audit_sandbox_fleet(regions=regions, clusters=clusters, snapshot_dir=folder,
                                       max_workers=max_workers, progress=progress)
        from fargate_nb.investigation.fleet import run_audit

        audit = run_audit(regions=regions, all_regions=all_regions, clusters=clusters, role_arns=role_arns,
                          profile=profile, endpoint_url=endpoint_url, snapshot_dir=folder, max_workers=max_workers,
                          progress=progress)
    except Exception as exc:
        where = "the sandbox fleet" if sandbox_fleet and not endpoint_url else f"AWS {endpoint_url or ''}".strip()
        return Failed(where, f"could not audit: {type(exc).__name__}: {exc}"[:800])
    why = nothing_audited(audit)
    return Failed("AWS", why[:800]) if why else audit


def nothing_audited(audit: Audit) -> str | None:
    """Why AWS could not be used at all (no account answered, nothing was listed), else None."""
    if audit.rows or audit.accounts or not audit.problems:
        return None
    return "nothing could be audited: " + "; ".join(audit.problems)

