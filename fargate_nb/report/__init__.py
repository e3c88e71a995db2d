"""Headless incident reports: papermill runs the diagnosis notebook on saved evidence, nbconvert
turns it into offline HTML, and a postmortem draft, the Diagnosis and the evidence go alongside.

``generate_report(snapshot, out_dir, title=None) -> ReportPaths(ipynb, html, md, json, snapshot)``;
``report_stopped(ctx, cluster, out_dir, since=..., collect=..., list_tasks=...)`` writes one report
per distinct failure among a cluster's recently stopped tasks, with an ``index.html`` (the
investigation layer gives it the readers of AWS: `fargate_nb.investigation.report_stopped`).
"""

from __future__ import annotations

from typing import Any

from fargate_nb.report.generate import ReportError, ReportPaths, default_title, generate_report

__all__ = ["ReportError", "ReportPaths", "default_title", "generate_report", "report_stopped"]


def __getattr__(name: str) -> Any:
    if name == "report_stopped":  # loaded on demand: a single report does not need it
        from fargate_nb.report.batch import report_stopped

        return report_stopped
    raise AttributeError(f"module 'fargate_nb.report' has no attribute {name!r}")
