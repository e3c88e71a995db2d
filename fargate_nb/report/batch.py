"""`report --stopped`: one report per distinct failure among a cluster's recently stopped tasks.

Tasks with the same task definition (family:revision) and the same classified stopped reason
(step, cause) are one failure: it is collected and reported once, from its most recent task, and
the report says how many tasks shared it. An ``index.html`` links the reports.
"""

from __future__ import annotations

import html
import re
import reprlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

from fargate_nb.files import write_text_atomic
from fargate_nb.model import Diagnosis, Snapshot
from fargate_nb.report.generate import (
    PLOTLYJS_NAME,
    ReportError,
    ReportPaths,
    generate_report,
    write_plotlyjs,
)
from fargate_nb.report.names import parse_time, resource_name
from fargate_nb.views.markdown import overall_status
from fargate_nb.views.progress import Progress

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """'24h', '90m', '7d', '2w' (ago) or an ISO time; raises ValueError with a clear message."""
    now = now or datetime.now(UTC)
    shown = reprlib.repr(text)
    m = _DURATION.match(text or "")
    if m:
        try:
            return now - timedelta(**{_UNITS[m.group(2).lower()]: float(m.group(1))})
        except (OverflowError, ValueError) as exc:  # longer ago than datetime can count (year 1)
            raise ValueError(f"--since {shown} reaches back before the year 1; give a shorter duration") from exc
    when = parse_time(text)
    if when is None:
        raise ValueError(f"--since {shown}: expected a duration such as 24h, 90m, 7d, or an ISO time")
    if when > now:
        raise ValueError(f"--since {shown} is in the future")
    return when


def failure_key(task: dict[str, Any]) -> tuple[str, str, str]:
    """(family:revision, step, cause): what makes two stopped tasks the same failure."""
    from fargate_nb.stopped import classify_task

    td_arn = str(task.get("taskDefinitionArn") or "")
    family = td_arn.rsplit("/", 1)[-1] or "unknown-task-definition"  # family:revision
    explained = classify_task(task).to_dict()
    return family, str(explained.get("step") or "-"), str(explained.get("cause") or "unknown")


@dataclass
class FailureGroup:
    key: tuple[str, str, str]
    tasks: list[dict[str, Any]] = field(default_factory=list)  # most recently stopped first
    snapshot: Snapshot | None = None

    @property
    def task_arns(self) -> list[str]:
        return [str(t.get("taskArn")) for t in self.tasks]


@dataclass
class BatchEntry:
    group: FailureGroup
    paths: ReportPaths | None = None
    verdict: str = ""
    status: str = "unknown"
    exit_code: int = 0
    error: str | None = None
    diagnosis: Diagnosis | None = None


@dataclass
class BatchResult:
    index: Path
    entries: list[BatchEntry]
    skipped: list[str]  # tasks that could not be read, with why

    @property
    def exit_code(self) -> int:
        """By the contract's precedence: bad input (2) or a failure (1) before "could not check" (4)."""
        codes = {e.exit_code for e in self.entries}
        return next((code for code in (2, 1, 4) if code in codes), 0)


def group_failures(tasks: Iterable[dict[str, Any]]) -> list[FailureGroup]:
    """Group stopped tasks by `failure_key`, newest first inside and across groups."""
    groups: dict[tuple[str, str, str], FailureGroup] = {}
    newest = datetime.min.replace(tzinfo=UTC)
    ordered = sorted(tasks, key=lambda t: parse_time(t.get("stoppedAt")) or newest, reverse=True)
    for task in ordered:
        key = failure_key(task)
        groups.setdefault(key, FailureGroup(key)).tasks.append(task)
    return list(groups.values())


#: Reports of a batch written side by side, each in a process (and a kernel) of its own.
REPORT_WORKERS = 2


def report_stopped(ctx: Any, cluster: str, out_dir: str | Path, *, since: datetime,
                   collect: Callable[..., Snapshot], list_tasks: Callable[..., list[Any]],
                   title: str | None = None, stream: TextIO | None = None,
                   workers: int = REPORT_WORKERS) -> BatchResult:
    """List the cluster's tasks stopped since ``since``, group them, write one report per group.

    ``list_tasks(ctx, cluster, since)`` and ``collect(ctx, cluster=, task=)`` read AWS; they are
    given by the investigation layer (`fargate_nb.investigation.report_stopped`), so this module never
    calls AWS itself. Evidence is collected and diagnosed here, one group after another; the reports
    (a notebook run each) are then written ``workers`` at a time, and link one copy of plotly.js
    (``plotly.min.js`` next to ``index.html``) instead of embedding one each.
    """
    out = Path(out_dir)
    listed = list(list_tasks(ctx, cluster, since))
    tasks, skipped, snapshots = _task_dicts(ctx, cluster, listed, collect, stream)
    groups = group_failures(tasks)
    entries = [_diagnose_group(ctx, cluster, group, snapshots, collect) for group in groups]
    if any(e.error is None for e in entries):
        write_plotlyjs(out)
    progress = Progress(len(groups), "reports", stream)
    try:
        for entry in (e for e in entries if e.error is not None):  # not collected: nothing to write
            progress.step(" ".join(entry.group.key))
        for entry in _write_reports(entries, out, title, workers):
            progress.step(" ".join(entry.group.key))
    finally:
        progress.close()
    index = write_index(out, cluster, since, entries, skipped)
    return BatchResult(index, entries, skipped)


def _task_dicts(ctx: Any, cluster: str, listed: list[Any], collect: Callable[..., Snapshot],
                stream: TextIO | None) -> tuple[list[dict[str, Any]], list[str], dict[str, Snapshot]]:
    """DescribeTasks entries for grouping; ARNs alone are collected (and the snapshot kept)."""
    tasks: list[dict[str, Any]] = []
    skipped: list[str] = []
    snapshots: dict[str, Snapshot] = {}
    bare = [item for item in listed if not isinstance(item, dict)]
    tasks += [item for item in listed if isinstance(item, dict)]
    progress = Progress(len(bare), "collect", stream)
    try:
        for arn in bare:
            try:
                snap = collect(ctx, cluster=cluster, task=str(arn))
            except Exception as exc:  # one unreadable task must not stop the batch
                skipped.append(f"{arn}: {type(exc).__name__}: {exc}")
            else:
                if snap.task:
                    tasks.append(snap.task)
                    snapshots[str(snap.task.get("taskArn"))] = snap
            progress.step(resource_name(arn))
    finally:
        progress.close()
    return tasks, skipped, snapshots


def _diagnose_group(ctx: Any, cluster: str, group: FailureGroup, snapshots: dict[str, Snapshot],
                    collect: Callable[..., Snapshot]) -> BatchEntry:
    """The group's newest task collected (unless listed with its snapshot) and diagnosed, once."""
    from fargate_nb.diagnose import diagnose

    entry = BatchEntry(group)
    newest = group.task_arns[0]
    try:
        group.snapshot = snapshots.get(newest) or collect(ctx, cluster=cluster, task=newest)
        entry.diagnosis = diagnose(group.snapshot)
        entry.verdict, entry.status = entry.diagnosis.verdict, overall_status(entry.diagnosis)
        entry.exit_code = entry.diagnosis.exit_code
    except Exception as exc:  # collection failures: recorded in the index, the batch goes on
        entry.error, entry.exit_code = f"{type(exc).__name__}: {exc}", 2
    return entry


def _report_arguments(entry: BatchEntry, out: Path, title: str | None) -> tuple[tuple[Any, ...], dict[str, Any]]:
    family, step, cause = entry.group.key
    group_title = title or f"{family}: {cause} at {step} ({len(entry.group.tasks)} stopped task(s))"
    return ((entry.group.snapshot, out, group_title),
            {"diagnosis": entry.diagnosis, "shared_by": entry.group.task_arns, "plotlyjs_src": PLOTLYJS_NAME})


def _generate(arguments: tuple[tuple[Any, ...], dict[str, Any]]) -> ReportPaths:
    args, kwargs = arguments
    return generate_report(*args, **kwargs)


def _write_reports(entries: list[BatchEntry], out: Path, title: str | None, workers: int) -> Iterator[BatchEntry]:
    """Write the report of each diagnosed entry, ``workers`` at a time (in spawned processes), yielding each when done.

    One worker (or one report) runs in this process. A report that cannot be written is an entry
    error (exit code 2); the others go on.
    """
    todo = [e for e in entries if e.error is None]
    if workers <= 1 or len(todo) <= 1:
        for entry in todo:
            _settle(entry, lambda entry=entry: _generate(_report_arguments(entry, out, title)))
            yield entry
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no inherited threads or sockets
    with ProcessPoolExecutor(max_workers=min(workers, len(todo)), mp_context=context) as pool:
        futures = {pool.submit(_generate, _report_arguments(e, out, title)): e for e in todo}
        for future in as_completed(futures):
            entry = futures[future]
            _settle(entry, future.result)
            yield entry


def _settle(entry: BatchEntry, result: Callable[[], ReportPaths]) -> None:
    try:
        entry.paths = result()
    except ReportError as exc:
        entry.error, entry.exit_code = str(exc), 2
    except Exception as exc:  # a worker that died, a file system error: this report only
        entry.error, entry.exit_code = f"{type(exc).__name__}: {exc}", 2


def write_index(out: Path, cluster: str, since: datetime, entries: list[BatchEntry], skipped: list[str]) -> Path:
    """``index.html``: one row per distinct failure, linking its report. All text escaped."""
    from fargate_nb import __version__

    rows = []
    for e in entries:
        family, step, cause = e.group.key
        if e.paths:
            link = (f'<a href="{html.escape(quote(e.paths.html.name))}">report</a> · '
                    f'<a href="{html.escape(quote(e.paths.md.name))}">postmortem</a>')
        else:
            link = f"not written: {html.escape(e.error or 'unknown error')}"
        rows.append(f'<tr class="fnb-{html.escape(e.status)}"><td>{html.escape(family)}</td>'
                    f"<td>{html.escape(step)} / {html.escape(cause)}</td><td>{len(e.group.tasks)}</td>"
                    f"<td>{html.escape(e.verdict or '-')}</td><td>{link}</td></tr>")
    body = "\n".join(rows) or '<tr><td colspan="5">No task stopped in this period.</td></tr>'
    skipped_html = ""
    if skipped:
        items = "".join(f"<li>{html.escape(s)}</li>" for s in skipped)
        skipped_html = f"<h2>Tasks that could not be read</h2><ul>{items}</ul>"
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Stopped tasks of {html.escape(cluster)}</title>
<style>
body {{ font-family: sans-serif; margin: 2em auto; max-width: 1100px; }}
table {{ border-collapse: collapse; width: 100%; }} th, td {{ border: 1px solid #ccc; padding: .4em .6em; text-align: left; }}
tr.fnb-fail td:first-child {{ border-left: 6px solid #c62828; }} tr.fnb-pass td:first-child {{ border-left: 6px solid #2e7d32; }}
tr.fnb-unknown td:first-child, tr.fnb-warn td:first-child {{ border-left: 6px solid #ed6c02; }}
</style></head><body>
<h1>Stopped tasks of cluster {html.escape(cluster)}</h1>
<p>{len(entries)} distinct failure(s) among tasks stopped since {html.escape(since.strftime("%Y-%m-%d %H:%M:%S UTC"))}.
Generated {now} with fargate-nb {html.escape(__version__)}.</p>
<table><thead><tr><th>task definition</th><th>step / cause</th><th>tasks</th><th>verdict</th><th>files</th></tr></thead>
<tbody>
{body}
</tbody></table>
{skipped_html}
</body></html>
"""
    return write_text_atomic(out / "index.html", page)
