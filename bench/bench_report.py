"""How long one report takes, next to papermill running an empty notebook in the same run; then a batch.

The difference is what the kit adds (imports, diagnosis, figures, nbconvert export, Markdown):
papermill's own floor (kernel start, one cell) is paid by any headless notebook report.
Evidence comes from sandbox scenarios, collected once before the timings.

The batch (what ``report --stopped`` does with its distinct failures) is timed both ways in the
same run: one self-contained report after another (plotly.js embedded in each HTML), and the
batch path (reports written two at a time in spawned processes, each HTML linking one shared
``plotly.min.js``), with the folder's size for each.
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
BATCH_SCENARIOS = ("no-s3-gateway", "missing-ecr-auth", "missing-log-group", "bad-trust")


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


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def batch_entries(snapshots):
    from fargate_nb.diagnose import diagnose
    from fargate_nb.report.batch import BatchEntry, FailureGroup

    return [BatchEntry(FailureGroup((f"family-{i}", "step", "cause"), tasks=[{"taskArn": f"t{i}"}], snapshot=s),
                       diagnosis=diagnose(s)) for i, s in enumerate(snapshots)]


def batch(folder: Path) -> None:
    """N reports one after another, self-contained, against the batch path (parallel, plotly.js linked)."""
    from fargate_nb.report.batch import REPORT_WORKERS, _write_reports
    from fargate_nb.report.generate import write_plotlyjs

    snapshots = [snapshot_from_scenario(s) for s in BATCH_SCENARIOS]
    serial_dir, batch_dir = folder / "serial", folder / "batch"
    serial_s, _ = timed(lambda: [generate_report(s, serial_dir) for s in snapshots])

    def batched():
        write_plotlyjs(batch_dir)
        return list(_write_reports(batch_entries(snapshots), batch_dir, None, REPORT_WORKERS))

    batch_s, entries = timed(batched)
    assert all(e.paths for e in entries), [e.error for e in entries]
    n = len(snapshots)
    print(f"batch of {n} reports, one after another, self-contained: {serial_s:6.2f} s, "
          f"{folder_size(serial_dir) / 1e6:5.1f} MB ({folder_size(serial_dir) / n / 1e6:.2f} MB a report)")
    print(f"batch of {n} reports, {REPORT_WORKERS} at a time, plotly.js linked once: {batch_s:6.2f} s, "
          f"{folder_size(batch_dir) / 1e6:5.1f} MB (of which plotly.min.js "
          f"{(batch_dir / 'plotly.min.js').stat().st_size / 1e6:.1f} MB)")
    print(f"batch speed-up                 : {serial_s / batch_s:6.2f}x, size "
          f"{folder_size(serial_dir) / folder_size(batch_dir):.1f}x smaller")


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
        # As a report runs it: the diagnosis made in this process is shown, not made again in the kernel.
        snapshot.save(folder / "evidence.json")
        (folder / "diagnosis.json").write_text(paths.json.read_text())
        run_s, nb = timed(lambda: execute_notebook(notebook_path(), folder / "run.ipynb",
                                                   {"snapshot_path": "evidence.json", "diagnosis_path": "diagnosis.json",
                                                    "interactive": False, "embed_plotlyjs": False}, cwd=folder))
        export_s, _ = timed(lambda: notebook_to_html(nb, title="bench"))
    f, r = statistics.median(floor), statistics.median(full)
    print(f"papermill, empty notebook   : median {f:6.2f} s  (runs: {', '.join(f'{x:.2f}' for x in floor)})")
    print(f"fargate-nb report ({SCENARIO}): median {r:6.2f} s  (runs: {', '.join(f'{x:.2f}' for x in full)})")
    print(f"report / empty notebook     : {r / f:6.2f}x   (the kit adds {r - f:.2f} s)")
    print(f"  of which the notebook run : {run_s:6.2f} s, the HTML export {export_s:.2f} s")
    print("file sizes (bytes)          : " + ", ".join(f"{k} {v:,}" for k, v in sorted(sizes.items())))
    if "--no-batch" not in sys.argv:
        with tempfile.TemporaryDirectory() as tmp:
            batch(Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
