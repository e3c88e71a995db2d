"""The lab is a layer of its own: it provisions and fixes, it never diagnoses.

Read from the source with `ast` (every import counts, also those inside functions and under
``TYPE_CHECKING``): no lab module imports the diagnosis, the checks, the views or the
investigation layer, and the lab modules import each other in one direction only (no cycle).
Each module is also imported on its own in a fresh interpreter, so none depends on another having
been imported first.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import fargate_nb.lab

LAB_DIR = Path(fargate_nb.lab.__file__).parent
PACKAGE = "fargate_nb.lab"
FORBIDDEN = ("fargate_nb.diagnose", "fargate_nb.checks", "fargate_nb.views", "fargate_nb.investigation")


def _module_name(path: Path) -> str:
    return PACKAGE if path.name == "__init__.py" else f"{PACKAGE}.{path.stem}"


LAB_MODULES = {_module_name(p): p for p in sorted(LAB_DIR.glob("*.py"))}


def imported_modules(path: Path, module: str) -> set[str]:
    """Every module ``path`` imports, by absolute name (``from pkg import sub`` counts ``pkg.sub`` when
    ``sub`` is a lab module; the package's lazy attributes count as imports of their modules)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            submodules = {f"{source}.{a.name}" for a in node.names} & set(LAB_MODULES)
            found |= submodules
            if len(submodules) < len(node.names):  # a name from the module itself
                found.add(source)
    if path.name == "__init__.py":  # the package's lazy names (`_LAZY`: name -> submodule) count too
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "_LAZY" for t in node.targets):
                found |= {f"{module}.{v}" for v in ast.literal_eval(node.value).values()}
    return found


def lab_graph() -> dict[str, set[str]]:
    """Lab module -> the lab modules it imports (itself excluded)."""
    return {name: {m for m in imported_modules(path, name) if m in LAB_MODULES and m != name}
            for name, path in LAB_MODULES.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a path that returns to its start, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_the_lab_modules_are_the_expected_plain_ones():
    assert set(LAB_MODULES) >= {f"{PACKAGE}.{m}" for m in (
        "sandbox", "spec", "context", "network", "resources", "build", "fixes", "scenarios", "state")}
    assert not [m for m in LAB_MODULES if m.rpartition(".")[2].startswith("_") and m != PACKAGE], (
        "lab modules have plain names")


@pytest.mark.parametrize("module", sorted(LAB_MODULES))
def test_no_lab_module_imports_the_analysis_or_the_faces(module: str):
    bad = sorted(m for m in imported_modules(LAB_MODULES[module], module)
                 if any(m == f or m.startswith(f + ".") for f in FORBIDDEN))
    assert not bad, f"{module} imports {bad}: the lab provisions and fixes, it never diagnoses"


def test_lab_imports_go_one_way():
    graph = lab_graph()
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle among lab modules: " + " -> ".join(cycle or [])
    # The data and types sit at the bottom: they import no other lab module.
    assert graph[f"{PACKAGE}.spec"] == set() and graph[f"{PACKAGE}.sandbox"] == set()


def test_the_cycle_finder_finds_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"a"}}) == ["a", "a"]


_ISOLATED = """
import importlib, json, sys
loaded = {}
for name in sys.argv[1:]:
    for key in [k for k in sys.modules if k == "fargate_nb" or k.startswith("fargate_nb.")]:
        del sys.modules[key]
    importlib.import_module(name)
    loaded[name] = sorted(k for k in sys.modules if k.startswith("fargate_nb."))
print(json.dumps(loaded))
"""


def test_each_lab_module_imports_on_its_own_without_the_analysis():
    proc = subprocess.run([sys.executable, "-c", _ISOLATED, *sorted(LAB_MODULES)], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    loaded = json.loads(proc.stdout)
    for module, modules in loaded.items():
        pulled = [m for m in modules if any(m == f or m.startswith(f + ".") for f in FORBIDDEN)]
        assert not pulled, f"importing {module} alone loads {pulled}"
