"""strip-notebooks: outputs and counts go, the parameters tag stays, bad files give a clear message."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook, new_output

from fargate_nb.devtools import main, strip_notebook

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def _executed(path: Path) -> Path:
    params = new_code_cell("x = 1", execution_count=1, outputs=[new_output("stream", name="stdout", text="hi\n")])
    params.metadata["tags"] = ["parameters"]
    params.metadata["papermill"] = {"duration": 1.0}
    params.metadata["execution"] = {"iopub.status.busy": "2024-01-01"}
    nb = new_notebook(cells=[params, new_code_cell("x", execution_count=2)])
    nb.metadata["papermill"] = {"parameters": {}}
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def test_strip_removes_outputs_and_keeps_tags(tmp_path, capsys):
    path = _executed(tmp_path / "a.ipynb")
    assert main(["strip-notebooks", "--check", str(tmp_path)]) == 1
    assert main(["strip-notebooks", str(tmp_path)]) == 0
    assert "stripped" in capsys.readouterr().out
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert all(c.outputs == [] and c.execution_count is None for c in nb.cells)
    assert nb.cells[0].metadata == {"tags": ["parameters"]}
    assert "papermill" not in nb.metadata and nb.metadata["kernelspec"]["name"] == "python3"
    before = path.read_text()
    assert main(["strip-notebooks", str(path)]) == 0  # idempotent: nothing to do
    assert path.read_text() == before
    assert main(["strip-notebooks", "--check", str(tmp_path)]) == 0


def test_bad_input_is_a_message_not_a_traceback(tmp_path, capsys):
    (tmp_path / "broken.ipynb").write_text("{not json")
    assert main(["strip-notebooks", str(tmp_path / "broken.ipynb")]) == 2
    assert "not valid JSON" in capsys.readouterr().err
    (tmp_path / "broken.ipynb").write_text(json.dumps({"cells": "nope"}))
    assert main(["strip-notebooks", str(tmp_path)]) == 2
    assert "not a notebook" in capsys.readouterr().err
    assert main(["strip-notebooks", str(tmp_path / "missing.ipynb")]) == 2
    assert "no such notebook" in capsys.readouterr().err


def test_committed_notebooks_are_clean_and_start_with_parameters():
    paths = sorted(NOTEBOOKS.glob("*.ipynb"))
    assert [p.name for p in paths] == ["01_pull_flow_primer.ipynb", "02_diagnose_task.ipynb",
                                       "03_workshop_labs.ipynb", "04_fleet_audit.ipynb"]
    for path in paths:
        data = json.loads(path.read_text())
        assert strip_notebook(data) == data, f"{path.name} has outputs: run `make strip`"
        code = [c for c in data["cells"] if c["cell_type"] == "code"]
        assert code[0]["metadata"].get("tags") == ["parameters"], path.name
        assert data["metadata"]["kernelspec"]["name"] == "fargate-nb"  # registered by `make install`
        ids = [c.get("id") for c in data["cells"]]
        assert all(ids) and len(set(ids)) == len(ids), f"{path.name}: every cell needs a unique id (nbformat 4.5)"
