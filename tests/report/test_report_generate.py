"""generate_report's file handling, with the notebook run replaced by a recorder (no kernel).

The real notebook is run by the slow tests; here the pipeline around it is checked: names,
parameters, the five files, and that a failure leaves nothing behind.
"""

from __future__ import annotations

import json
import stat

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from fargate_nb.model import DIAGNOSIS_SCHEMA, Snapshot
from fargate_nb.report import ReportError, generate_report
from fargate_nb.report import generate as gen
from fargate_nb.report.run import NotebookError
from tests.support.diagnoses import diagnosis_for
from tests.support.report_scenarios import snapshot


class Recorder:
    """Stands in for papermill: records the call and writes a notebook with the given outputs."""

    def __init__(self, outputs=(), raises: Exception | None = None):
        self.outputs, self.raises, self.calls = list(outputs), raises, []

    def __call__(self, source, output, parameters, *, cwd, kernel_name=None):
        self.calls.append({"source": source, "output": output, "parameters": parameters, "cwd": cwd,
                           "snapshot_readable": (cwd / parameters["snapshot_path"]).is_file()})
        if self.raises:
            output.write_text("partial", encoding="utf-8")
            raise self.raises
        nb = new_notebook(metadata={"papermill": {"output_path": str(output)}})
        cell = new_code_cell("x", execution_count=1)
        cell.outputs = self.outputs or [new_output("display_data", data={"text/html": "<b>ok</b>",
                                                                         "text/plain": "ok"})]
        nb.cells.append(cell)
        nbformat.write(nb, str(output))
        return nb


@pytest.fixture
def recorder(monkeypatch):
    def install(**kw):
        rec = Recorder(**kw)
        monkeypatch.setattr(gen, "execute_notebook", rec)
        return rec

    return install


def test_five_files_with_one_safe_name_and_the_notebook_reads_the_saved_evidence(tmp_path, recorder):
    rec = recorder()
    snap = snapshot()
    snap.subject["task"] = "arn:aws:ecs:eu-west-1:1:task/payments/../../evil<x>"
    paths = generate_report(snap, tmp_path / "out", "My title", diagnosis=diagnosis_for(snap))
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == sorted(p.name for p in paths.all())  # nothing else: no temporary folder left
    stem = paths.md.name[:-3]
    assert all(p.name.startswith(stem) for p in paths.all()) and "/" not in stem and "<" not in stem
    call = rec.calls[0]
    # The notebook shows the diagnosis saved next to the evidence: diagnosed once, in this process.
    assert call["parameters"] == {"snapshot_path": paths.snapshot.name, "diagnosis_path": paths.json.name,
                                  "interactive": False, "title": "My title", "embed_plotlyjs": False}
    assert call["snapshot_readable"] and call["source"].name == "02_diagnose_task.ipynb"
    assert json.loads(paths.json.read_text())["schema"] == DIAGNOSIS_SCHEMA
    assert Snapshot.load(paths.snapshot).to_dict() == snap.to_dict()
    assert nbformat.read(paths.ipynb, as_version=4).metadata["papermill"]["output_path"] == str(paths.ipynb)
    assert paths.md.read_text().startswith("# My title\n")
    assert "<b>ok</b>" in paths.html.read_text()
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in paths.all())  # private to its user


def test_a_second_report_of_the_same_evidence_gets_its_own_name(tmp_path, recorder):
    recorder()
    snap = snapshot()
    first = generate_report(snap, tmp_path)
    second = generate_report(snap, tmp_path)
    assert first.md != second.md and second.md.name.endswith("-2.md")
    assert len(list(tmp_path.iterdir())) == 10


@pytest.mark.parametrize("failure", [
    {"raises": NotebookError("the notebook failed in cell 3: KeyError: 'x'")},
    {"outputs": [new_output("error", ename="ValueError", evalue="bad", traceback=[])]},
    {"outputs": [new_output("display_data", data={"text/plain": "error: cannot read"},
                            metadata={"fargate_nb": "error"})]},
])
def test_a_failing_notebook_leaves_no_file_behind(tmp_path, recorder, failure):
    recorder(**failure)
    (tmp_path / "keep.txt").write_text("unrelated")
    with pytest.raises(ReportError) as info:
        generate_report(snapshot(), tmp_path)
    assert any(word in str(info.value) for word in ("KeyError", "ValueError: bad", "cannot read"))
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_a_failure_while_moving_into_place_takes_back_what_was_moved(tmp_path, recorder, monkeypatch):
    recorder()
    real_replace = gen.os.replace
    moved = []

    def flaky_replace(src, dst):
        if len(moved) == 3:
            raise OSError(28, "No space left on device")
        moved.append(dst)
        real_replace(src, dst)

    monkeypatch.setattr(gen.os, "replace", flaky_replace)
    with pytest.raises(ReportError, match="No space left"):
        generate_report(snapshot(), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_folder_is_a_clear_error(tmp_path, recorder):
    recorder()
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ReportError, match="cannot create the report folder"):
        generate_report(snapshot(), blocker / "sub")


def test_a_missing_notebook_is_a_report_error(tmp_path, monkeypatch):
    def nowhere(name="02_diagnose_task.ipynb"):
        raise NotebookError(f"notebook {name} not found")

    monkeypatch.setattr(gen, "notebook_path", nowhere)
    with pytest.raises(ReportError, match="not found"):
        generate_report(snapshot(), tmp_path)
    assert list(tmp_path.iterdir()) == []
