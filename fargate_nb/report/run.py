"""Execute the diagnosis notebook with papermill, offline, from a saved snapshot.

The notebook is given ``snapshot_path`` (relative to the folder it runs in), so it makes no AWS
call and shows exactly the evidence saved next to it; re-running the report notebook from the
report folder reads the same file.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import nbformat

DIAGNOSE_NOTEBOOK = "02_diagnose_task.ipynb"
DEFAULT_TIMEOUT = 300  # seconds per cell; a diagnosis cell takes well under one


class NotebookError(RuntimeError):
    """The notebook could not be found or did not run to the end."""


def notebook_path(name: str = DIAGNOSE_NOTEBOOK) -> Path:
    """The bundled notebook: ``notebooks/`` of the source tree, else the installed package's copy."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package.parent / "notebooks" / name, package / "notebooks" / name):
        if candidate.is_file():
            return candidate
    raise NotebookError(f"notebook {name} not found (looked in {package.parent / 'notebooks'} "
                        f"and {package / 'notebooks'})")


def report_kernel(source: Path) -> str:
    """The notebook's kernel (``fargate-nb``, which `make install` registers in the virtualenv) when it
    is installed, else ``python3`` (the kernel of the interpreter that has fargate_nb installed)."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        wanted = nbformat.read(str(source), as_version=4).metadata.get("kernelspec", {}).get("name") or "python3"
        KernelSpecManager().get_kernel_spec(wanted)
        return wanted
    except (NoSuchKernel, OSError, ValueError):
        return "python3"


def execute_notebook(source: Path, output: Path, parameters: dict[str, Any], *, cwd: Path,
                     kernel_name: str | None = None, timeout: int = DEFAULT_TIMEOUT) -> nbformat.NotebookNode:
    """Run ``source`` with ``parameters`` and write the executed copy to ``output``.

    Raises `NotebookError` naming the failing cell's error; the partial output is left for the
    caller to discard.
    """
    import papermill
    from papermill.exceptions import PapermillException, PapermillExecutionError

    # papermill logs every cell at INFO; the CLI prints its own progress.
    logging.getLogger("papermill").setLevel(logging.WARNING)
    kernel_name = kernel_name or report_kernel(source)
    try:
        return papermill.execute_notebook(
            str(source), str(output), parameters=parameters, cwd=str(cwd),
            kernel_name=kernel_name, progress_bar=False, log_output=False,
            request_save_on_cell_execute=False, execution_timeout=timeout, start_timeout=120,
            # The kernel's startup warnings (e.g. TCP without CurveZMQ on 127.0.0.1) are noise
            # in a headless run; cell errors are still recorded in the notebook.
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
        )
    except PapermillExecutionError as exc:
        raise NotebookError(f"the notebook failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue}") from exc
    except (PapermillException, OSError, RuntimeError, TimeoutError) as exc:
        raise NotebookError(f"the notebook could not run: {type(exc).__name__}: {exc}") from exc
