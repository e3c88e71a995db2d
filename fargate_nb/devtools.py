"""Developer commands. ``python -m fargate_nb.devtools strip-notebooks notebooks``

`strip-notebooks` removes outputs, execution counts and run metadata from notebooks so they are
committed clean, keeping cell tags (the ``parameters`` tag papermill needs) and the kernelspec.
Files are rewritten atomically, and only when something changed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fargate_nb.model import write_text_atomic

# Cell metadata that records a run (papermill, jupyter timing, collapsed/scrolled state).
_RUN_CELL_METADATA = ("execution", "papermill", "collapsed", "scrolled", "ExecuteTime")
_RUN_NOTEBOOK_METADATA = ("papermill", "widgets", "toc-autonumbering")


class NotebookError(ValueError):
    """A file that is not a notebook this command can strip."""


def strip_notebook(data: dict[str, Any]) -> dict[str, Any]:
    """A copy of the notebook JSON without outputs and run metadata (tags and kernelspec kept)."""
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise NotebookError("not a notebook: no 'cells' list")
    out = json.loads(json.dumps(data))
    for cell in out["cells"]:
        if not isinstance(cell, dict):
            raise NotebookError("not a notebook: a cell is not an object")
        meta = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
        for key in _RUN_CELL_METADATA:
            meta.pop(key, None)
        cell["metadata"] = meta
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    meta = out.get("metadata") if isinstance(out.get("metadata"), dict) else {}
    for key in _RUN_NOTEBOOK_METADATA:
        meta.pop(key, None)
    out["metadata"] = meta
    return out


def strip_path(path: Path) -> bool:
    """Strip one notebook file in place; True when it changed."""
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookError(f"{path}: not valid JSON (line {exc.lineno}): {exc.msg}") from exc
    try:
        stripped = strip_notebook(data)
    except NotebookError as exc:
        raise NotebookError(f"{path}: {exc}") from exc
    new_text = json.dumps(stripped, indent=1, ensure_ascii=False) + "\n"
    if new_text == text:
        return False
    write_text_atomic(path, new_text)
    return True


def _notebooks(targets: Sequence[str]) -> list[Path]:
    found: list[Path] = []
    for target in targets:
        p = Path(target)
        if p.is_dir():
            found.extend(sorted(q for q in p.rglob("*.ipynb") if ".ipynb_checkpoints" not in q.parts))
        elif p.suffix == ".ipynb" and p.is_file():
            found.append(p)
        else:
            raise NotebookError(f"{target}: no such notebook or folder")
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fargate_nb.devtools", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    strip = sub.add_parser("strip-notebooks", help="remove outputs and execution counts, keep tags")
    strip.add_argument("paths", nargs="+", help="notebooks or folders of notebooks")
    strip.add_argument("--check", action="store_true", help="change nothing; exit 1 if a notebook has outputs")
    args = parser.parse_args(argv)
    try:
        paths = _notebooks(args.paths)
        changed = []
        for path in paths:
            if args.check:
                data = json.loads(path.read_text(encoding="utf-8"))
                if strip_notebook(data) != data:
                    changed.append(path)
            elif strip_path(path):
                changed.append(path)
    except (NotebookError, OSError, json.JSONDecodeError) as exc:
        print(f"strip-notebooks: {exc}", file=sys.stderr)
        return 2
    verb = "would strip" if args.check else "stripped"
    for path in changed:
        print(f"{verb} {path}")
    if not changed:
        print(f"{len(paths)} notebook(s) already clean")
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
