"""The reachability engine knows nothing of ECS: standard library and its own modules only."""

import ast
import sys
from pathlib import Path

import fargate_nb.reach

PACKAGE = Path(fargate_nb.reach.__file__).parent


def test_reach_imports_only_the_standard_library_and_itself():
    offenders = []
    for module in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(module.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            for name in names:
                top = name.split(".")[0]
                if name.startswith("fargate_nb.reach") or top == "__future__" or top in sys.stdlib_module_names:
                    continue
                offenders.append(f"{module.name}: {name}")
    assert offenders == []
