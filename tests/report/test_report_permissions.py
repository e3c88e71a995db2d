"""Every file the kit writes is private to its user (0600), and every folder it creates too (0700).

papermill and nbformat write with the process umask; the kit must not leave their modes in place.
The umask is set to 0022 here (the usual default) so a file left as written would be 0644.
"""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from fargate_nb.files import private_dir, write_text_atomic
from fargate_nb.report import generate as gen
from fargate_nb.report import generate_report
from fargate_nb.report.batch import report_stopped
from tests.support.report_scenarios import ACCT, REGION, snapshot


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def modes(folder: Path) -> dict[str, int]:
    """The mode of every file and folder under ``folder``, by relative path."""
    return {str(p.relative_to(folder)): mode(p) for p in sorted(folder.rglob("*"))}


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def fake_papermill(source, output, parameters, *, cwd, kernel_name=None):
    """Writes the executed notebook as papermill does: with the umask's mode (0644 here)."""
    nb = new_notebook(metadata={"papermill": {"output_path": str(output)}})
    cell = new_code_cell("x", execution_count=1)
    cell.outputs = [new_output("display_data", data={"text/html": "<b>ok</b>", "text/plain": "ok"})]
    nb.cells.append(cell)
    nbformat.write(nb, str(output))
    assert mode(Path(output)) == 0o644  # the umask applies: the kit must fix it
    return nb


def test_every_report_file_is_0600_and_the_folders_it_creates_0700(tmp_path, monkeypatch):
    monkeypatch.setattr(gen, "execute_notebook", fake_papermill)
    out = tmp_path / "reports" / "incident"
    paths = generate_report(snapshot(), out, "Title")
    assert modes(tmp_path) == {"reports": 0o700, "reports/incident": 0o700,
                               **{f"reports/incident/{p.name}": 0o600 for p in paths.all()}}


def test_a_report_in_an_existing_folder_leaves_the_folder_as_it_was(tmp_path, monkeypatch):
    monkeypatch.setattr(gen, "execute_notebook", fake_papermill)
    tmp_path.chmod(0o755)
    paths = generate_report(snapshot(), tmp_path)
    assert mode(tmp_path) == 0o755
    assert {p.name: mode(p) for p in tmp_path.iterdir()} == {p.name: 0o600 for p in paths.all()}


def test_the_batch_index_and_its_reports_are_0600(tmp_path, monkeypatch):
    monkeypatch.setattr(gen, "execute_notebook", fake_papermill)
    listed = [{"taskArn": f"arn:aws:ecs:{REGION}:{ACCT}:task/payments/t1",
               "taskDefinitionArn": f"arn:aws:ecs:{REGION}:{ACCT}:task-definition/payments-api:7",
               "stoppedReason": "CannotPullContainerError: pull image manifest has been retried 1 time(s): "
                                "failed to resolve ref x/api:1: not found",
               "stoppedAt": datetime(2026, 3, 1, 12, tzinfo=UTC).isoformat()}]

    def collect(ctx, *, cluster, task):
        snap = snapshot()
        snap.subject["task"] = snap.task["taskArn"] = task
        return snap

    out = tmp_path / "batch"
    result = report_stopped(None, "payments", out, since=datetime(2026, 3, 1, tzinfo=UTC), stream=io.StringIO(),
                            collect=collect, list_tasks=lambda ctx, cluster, since: listed)
    written = modes(out)
    # index.html, one report's five files and the plotly.js they share
    assert result.index.name in written and "plotly.min.js" in written and len(written) == 7
    assert set(written.values()) == {0o600}
    assert mode(out) == 0o700


def test_an_empty_batch_index_is_0600_in_a_new_0700_folder(tmp_path):
    out = tmp_path / "none"
    result = report_stopped(None, "payments", out, since=datetime(2026, 3, 1, tzinfo=UTC), stream=io.StringIO(),
                            collect=lambda *a, **k: pytest.fail("nothing to collect"), list_tasks=lambda *a: [])
    assert mode(result.index) == 0o600 and mode(out) == 0o700


def test_snapshot_files_and_rewrites_are_0600(tmp_path):
    """`snapshot -o`, `diagnose --save-snapshot` and reports all save through write_text_atomic."""
    path = snapshot().save(tmp_path / "new" / "evidence.json")
    assert mode(path) == 0o600 and mode(tmp_path / "new") == 0o700
    shared = tmp_path / "shared.json"
    shared.write_text("{}")
    shared.chmod(0o644)
    write_text_atomic(shared, "{}\n")  # replaced, not rewritten in place: the old mode does not survive
    assert mode(shared) == 0o600


def test_private_dir_refuses_a_file_and_keeps_existing_folders(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(FileExistsError):
        private_dir(tmp_path / "f")
    tmp_path.chmod(0o750)
    assert private_dir(tmp_path) == tmp_path and mode(tmp_path) == 0o750
