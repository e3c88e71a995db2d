"""Developer commands. ``python -m fargate_nb.devtools strip-notebooks notebooks``

`strip-notebooks` removes outputs, execution counts and run metadata from notebooks so they are
committed clean, keeping cell tags (the ``parameters`` tag papermill needs) and the kernelspec.
Files are rewritten atomically, and only when something changed.

`golden [--scenario ID ...] DIR` writes the expected diagnosis of every lab scenario to
``DIR/<scenario>.json`` (`make golden`): `Diagnosis.to_dict()` of the scenario's task, with what
the sandbox randomises (resource ids, task ids, key ids, secret suffixes, timestamps, the kit
version) replaced by stable placeholders (`normalise_diagnosis`). `tests/golden` compares.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fargate_nb.files import write_text_atomic

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


# -- golden diagnoses of the lab scenarios ------------------------------------------------------
#: What the sandbox randomises, as (placeholder kind, pattern); the kind of an AWS id is its prefix.
_RANDOM: tuple[tuple[str | None, re.Pattern[str]], ...] = (
    ("time", re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?")),
    ("uuid", re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")),
    (None, re.compile(r"\b(?:vpc|subnet|sg|rtb|acl|vpce|eni|igw|nat|pl|eipalloc|eipassoc|rtbassoc|aclassoc)"
                      r"-[0-9a-f]{8,17}\b")),
    ("secret", re.compile(r"(?<=:secret:)[A-Za-z0-9/_+=.@-]+?-[A-Za-z0-9]{6}(?![A-Za-z0-9/_+=@-])")),
    ("deployment", re.compile(r"\becs-svc/\d{6,}\b")),
)
#: A task ARN (``…:task/CLUSTER/ID`` or the old ``…:task/ID``): its id is a ``<task-N>`` wherever it appears.
_TASK_ARN = re.compile(r":task/(?:[A-Za-z0-9_-]+/)?([0-9a-f]{32}|[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12})\b")


def normalise_diagnosis(data: dict[str, Any]) -> dict[str, Any]:
    """``Diagnosis.to_dict()`` with every randomised value replaced by a stable placeholder.

    Each distinct value gets ``<kind-N>``, numbered per kind in order of first appearance
    (``vpc-0a1b…`` -> ``<vpc-1>``, a task id -> ``<task-1>``), so equal ids stay equal and
    different ones stay different. A secret ARN keeps its name and loses only the random suffix
    (``…:secret:db-<secret-1>``).
    """
    data = dict(data)
    for key in ("collected_at", "kit_version"):
        if data.get(key):
            data[key] = f"<{key}>"
    text = json.dumps(data, ensure_ascii=False)
    seen: dict[str, str] = {}
    counts: dict[str, int] = {}

    def stable(kind: str, value: str) -> str:
        if value not in seen:
            counts[kind] = counts.get(kind, 0) + 1
            seen[value] = f"<{kind}-{counts[kind]}>"
        return seen[value]

    def replace(kind: str | None, match: re.Match[str]) -> str:
        value = match.group(0)
        if kind == "secret":  # keep the secret's name: only the six random characters vary
            name, _, suffix = value.rpartition("-")
            return f"{name}-{stable('secret', suffix)}"
        return stable(kind or value.split("-", 1)[0], value)

    task_ids = list(dict.fromkeys(m.group(1) for m in _TASK_ARN.finditer(text)))
    for task_id in task_ids:
        text = re.sub(rf"\b{re.escape(task_id)}\b", stable("task", task_id), text)
    for kind, pattern in _RANDOM:
        text = pattern.sub(lambda m, k=kind: replace(k, m), text)
    return json.loads(text)


def golden_diagnosis(scenario_id: str, sandbox: Any) -> dict[str, Any]:
    """The normalised diagnosis of a lab scenario's task, provisioned in ``sandbox`` (reset first)."""
    from fargate_nb.investigation import open_scenario

    found = open_scenario(scenario_id, sandbox, activate=False)
    return normalise_diagnosis(found.diagnosis.to_dict())


def golden_text(data: dict[str, Any]) -> str:
    """How a golden file is written (and compared in a diff)."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def write_goldens(folder: Path, scenario_ids: Sequence[str] | None = None) -> list[tuple[str, str]]:
    """Diagnose the scenarios in one sandbox and (re)write ``folder/<id>.json``; (id, what happened)."""
    from fargate_nb.investigation import get_scenario, start_sandbox
    from fargate_nb.lab.scenarios import SCENARIOS

    ids = [get_scenario(i).id for i in scenario_ids] if scenario_ids else [s.id for s in SCENARIOS]
    done: list[tuple[str, str]] = []
    sandbox = start_sandbox(activate=False)
    try:
        for scenario_id in ids:
            path = folder / f"{scenario_id}.json"
            new = golden_text(golden_diagnosis(scenario_id, sandbox))
            old = path.read_text(encoding="utf-8") if path.exists() else None
            if new != old:
                write_text_atomic(path, new)
            done.append((scenario_id, "unchanged" if new == old else "written" if old is None else "changed"))
    finally:
        sandbox.stop()
    return done


def _cmd_golden(args: argparse.Namespace) -> int:
    from fargate_nb.investigation import ScenarioError

    try:
        done = write_goldens(Path(args.folder), args.scenario)
    except (ScenarioError, OSError) as exc:
        print(f"golden: {exc}", file=sys.stderr)
        return 2
    for scenario_id, what in done:
        print(f"{what:9} {Path(args.folder) / (scenario_id + '.json')}")
    if any(what != "unchanged" for _, what in done):
        print("review the change with `git diff` before committing it")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fargate_nb.devtools", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    strip = sub.add_parser("strip-notebooks", help="remove outputs and execution counts, keep tags")
    strip.add_argument("paths", nargs="+", help="notebooks or folders of notebooks")
    strip.add_argument("--check", action="store_true", help="change nothing; exit 1 if a notebook has outputs")
    golden = sub.add_parser("golden", help="write the normalised diagnosis of every lab scenario (tests/golden)")
    golden.add_argument("folder", help="where to write <scenario>.json (tests/golden)")
    golden.add_argument("--scenario", action="append", metavar="ID", help="only this scenario (repeatable)")
    args = parser.parse_args(argv)
    if args.command == "golden":
        return _cmd_golden(args)
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
