"""One report from one snapshot: executed notebook, offline HTML, postmortem Markdown, JSON.

Everything is produced in a hidden temporary folder inside the output folder and moved into
place only when all five files exist, so a failure (notebook error, full disk, Ctrl-C) leaves no
half-written report behind.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import nbformat

from fargate_nb.files import private_dir, private_file, write_text_atomic
from fargate_nb.model import Diagnosis, Snapshot
from fargate_nb.report.export import error_outputs, header_html, notebook_to_html, remote_references
from fargate_nb.report.names import parse_time, report_name, resource_name, unique_name
from fargate_nb.report.postmortem import Provenance, format_time, postmortem_markdown, redaction_fact
from fargate_nb.report.run import NotebookError, execute_notebook, notebook_path
from fargate_nb.views.markdown import overall_status

#: The one copy of plotly.js a batch of reports (``report --stopped``, an audit) links from its folder.
PLOTLYJS_NAME = "plotly.min.js"


def write_plotlyjs(folder: str | os.PathLike[str]) -> Path:
    """``folder/plotly.min.js`` (written unless an identical copy is there): pages next to it link it."""
    from plotly.offline import get_plotlyjs

    path = Path(folder) / PLOTLYJS_NAME
    bundle = get_plotlyjs()
    if not (path.is_file() and path.stat().st_size == len(bundle.encode("utf-8"))):
        write_text_atomic(path, bundle)
    return path


class ReportError(RuntimeError):
    """The report could not be produced; nothing was left in the output folder."""


@dataclass(frozen=True)
class ReportPaths:
    """The five files of one report."""

    ipynb: Path
    html: Path
    md: Path
    json: Path
    snapshot: Path

    def all(self) -> list[Path]:
        return [self.ipynb, self.html, self.md, self.json, self.snapshot]


def default_title(snapshot: Snapshot) -> str:
    subject = snapshot.subject or {}
    kind = subject.get("kind") or "task"
    what = resource_name(subject.get("task") or subject.get("service") or subject.get("taskdef")) or "?"
    cluster = resource_name(subject.get("cluster"))
    return f"Image pull report: {kind} {what}" + (f" (cluster {cluster})" if cluster else "")


def generate_report(snapshot: Snapshot, out_dir: str | os.PathLike[str], title: str | None = None, *,
                    diagnosis: Diagnosis | None = None, shared_by: Sequence[str] | None = None,
                    notebook: str | os.PathLike[str] | None = None, kernel_name: str | None = None,
                    name: str | None = None, plotlyjs_src: str | None = None) -> ReportPaths:
    """Write the report of ``snapshot`` into ``out_dir`` and return the paths.

    ``shared_by`` lists the tasks that failed the same way (``report --stopped``); ``notebook``
    and ``kernel_name`` override the bundled notebook and the default kernel; ``name`` the file
    stem (otherwise derived from the subject and the evidence time). A single report is self-contained
    (plotly.js embedded once); a batch gives ``plotlyjs_src``, a copy next to the reports that each
    HTML links (`write_plotlyjs`). Raises `ReportError`.
    """
    from fargate_nb.diagnose import diagnose

    out = Path(out_dir)
    try:
        private_dir(out)
    except OSError as exc:
        raise ReportError(f"cannot create the report folder {out}: {exc.strerror or exc}") from exc
    diagnosis = diagnosis or diagnose(snapshot)
    now = datetime.now(UTC)
    title = " ".join((title or default_title(snapshot)).split())[:300] or default_title(snapshot)
    stem = unique_name(out, name or report_name(snapshot.subject, parse_time(snapshot.collected_at) or now))
    final = ReportPaths(*(out / f"{stem}{suffix}" for suffix in (".ipynb", ".html", ".md", ".json", ".snapshot.json")))
    try:
        source = Path(notebook) if notebook else notebook_path()
    except NotebookError as exc:
        raise ReportError(str(exc)) from exc
    provenance = Provenance.of(snapshot, when=now, shared_by=shared_by)

    try:
        work = Path(tempfile.mkdtemp(prefix=".fargate-nb-report-", dir=out))
    except OSError as exc:
        raise ReportError(f"cannot write in {out}: {exc.strerror or exc}") from exc
    try:
        staged = ReportPaths(*(work / p.name for p in final.all()))
        snapshot.save(staged.snapshot)
        write_text_atomic(staged.json, diagnosis.to_json() + "\n")
        # The notebook shows the diagnosis made here (diagnosis_path), rather than diagnosing again;
        # the HTML embeds (or links) plotly.js once, so the notebook's outputs need not carry it.
        parameters = {"snapshot_path": staged.snapshot.name, "diagnosis_path": staged.json.name,
                      "interactive": False, "title": title, "embed_plotlyjs": False}
        nb = execute_notebook(source, staged.ipynb, parameters, cwd=work, kernel_name=kernel_name)
        errors = error_outputs(nb)
        if errors:
            raise ReportError(f"the notebook reported errors: {'; '.join(errors)[:500]}")
        nb.metadata.setdefault("papermill", {})["output_path"] = str(final.ipynb)
        write_text_atomic(staged.ipynb, nbformat.writes(nb))
        page = notebook_to_html(nb, title=title, header=_header(title, snapshot, diagnosis, provenance),
                                plotlyjs_src=plotlyjs_src)
        left = remote_references(page)
        if left:
            raise ReportError(f"the HTML still references the network: {left[0]}")
        write_text_atomic(staged.html, page)
        write_text_atomic(staged.md, postmortem_markdown(
            snapshot, diagnosis, title=title, provenance=provenance,
            snapshot_file=final.snapshot.name, diagnosis_file=final.json.name))
        _move_into_place(staged, final)
    except NotebookError as exc:
        raise ReportError(str(exc)) from exc
    except OSError as exc:
        raise ReportError(f"cannot write the report in {out}: {exc.strerror or exc}") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return final


def _header(title: str, snapshot: Snapshot, diagnosis: Diagnosis, provenance: Provenance) -> str:
    subject = snapshot.subject or {}
    what = subject.get("task") or subject.get("service") or subject.get("taskdef") or "?"
    facts = [("Subject", f"{subject.get('kind') or 'task'} {what}"
              + (f" in cluster {subject['cluster']}" if subject.get("cluster") else "")),
             *provenance.facts(),
             ("Evidence collected", format_time(parse_time(snapshot.collected_at)))]
    if diagnosis.stopped and diagnosis.stopped.get("text"):
        facts.append(("Stopped reason", str(diagnosis.stopped["text"])))
    facts.append(redaction_fact(snapshot))
    return header_html(title, overall_status(diagnosis), diagnosis.verdict, facts)


def _move_into_place(staged: ReportPaths, final: ReportPaths) -> None:
    """Rename each staged file into place; if one rename fails, take back the ones already moved."""
    moved: list[Path] = []
    try:
        for src, dst in zip(staged.all(), final.all(), strict=True):
            if dst.exists():
                raise ReportError(f"{dst} appeared while the report was being written; not replacing it")
            private_file(src)  # every written file is private to its user (DESIGN.md)
            os.replace(src, dst)
            moved.append(dst)
    except BaseException:
        for path in moved:
            path.unlink(missing_ok=True)
        raise


def load_report_json(path: str | os.PathLike[str]) -> Diagnosis:
    """Read a report's NAME.json back into a Diagnosis."""
    return Diagnosis.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
