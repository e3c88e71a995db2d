"""How long one report takes, next to papermill running an empty notebook in the same run.

The difference is what the kit adds (imports, diagnosis, figures, nbconvert export, Markdown):
papermill's own floor (kernel start, one cell) is paid by any headless notebook report.
Evidence comes from a sandbox scenario, collected once before the timings.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from fargate_nb.investigation import snapshot_from_scenario
from fargate_nb.report import generate_report
from fargate_nb.report.export import notebook_to_html
from fargate_nb.report.run import execute_notebook, notebook_path

SCENARIO = "no-s3-gateway"
ROUNDS = 3


def evidence():
    """The scenario's snapshot, collected in a sandbox that is stopped again."""
    return snapshot_from_scenario(SCENARIO)


def empty_notebook(folder: Path) -> Path:
    nb = new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                                "language_info": {"name": "python"}})
    cell = new_code_cell("snapshot_path = None")
    cell.metadata["tags"] = ["parameters"]
    nb.cells.append(cell)
    path = folder / "empty.ipynb"
    nbformat.write(nb, str(path))
    return path


def timed(func):
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


def suffix(path: Path) -> str:
    return "snapshot.json" if path.name.endswith(".snapshot.json") else path.suffix.lstrip(".")


def main() -> int:
    snapshot = evidence()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        empty = empty_notebook(folder)
        floor, full = [], []
        for i in range(ROUNDS):
            seconds, _ = timed(lambda i=i: execute_notebook(empty, folder / f"empty-{i}.ipynb",
                                                            {"snapshot_path": "x"}, cwd=folder))
            floor.append(seconds)
            seconds, paths = timed(lambda: generate_report(snapshot, folder / "reports"))
            full.append(seconds)
        sizes = {suffix(p): p.stat().st_size for p in paths.all()}
        # Where the time goes: the diagnosis notebook alone, then the HTML export alone.
        snapshot.save(folder / "evidence.json")
        run_s, nb = timed(lambda: execute_notebook(notebook_path(), folder / "run.ipynb",
                                                   {"snapshot_path": "evidence.json", "interactive": False},
                                                   cwd=folder))
        export_s, _ = timed(lambda: notebook_to_html(nb, title="bench"))
    f, r = statistics.median(floor), statistics.median(full)
    print(f"papermill, empty notebook   : median {f:6.2f} s  (runs: {', '.join(f'{x:.2f}' for x in floor)})")
    print(f"fargate-nb report ({SCENARIO}): median {r:6.2f} s  (runs: {', '.join(f'{x:.2f}' for x in full)})")
    print(f"report / empty notebook     : {r / f:6.2f}x   (the kit adds {r - f:.2f} s)")
    print(f"  of which the notebook run : {run_s:6.2f} s, the HTML export {export_s:.2f} s")
    print("file sizes (bytes)          : " + ", ".join(f"{k} {v:,}" for k, v in sorted(sizes.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
