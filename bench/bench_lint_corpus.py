"""The task-definition lint's score on the corpus of real task definitions (prints figures; asserts nothing).

tests/taskdefs/corpus/SOURCES.json names each file's repository, path and commit and says whether ECS accepts
it (and, when not, the finding expected). Printed: files, accepted files with a false error, invalid files
caught with their expected finding, the documented mutations (tests/taskdefs/MUTATIONS.json) likewise, and
the time per file (best of three rounds; the ECS model is loaded once, before timing).

    .venv/bin/python bench/bench_lint_corpus.py [--rounds 3] [--verbose]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fargate_nb.taskdef import lint_task_definition  # noqa: E402
from fargate_nb.taskdef.shape import ecs_shapes  # noqa: E402
from tests.taskdefs.corpus_files import MANIFEST, MUTATIONS, has_finding, load, mutate  # noqa: E402


def _fails(findings: list[Any]) -> list[str]:
    return [f"{', '.join(f.evidence)}: {f.message}" for f in findings if f.status == "fail"]


def _caught(findings: list[Any], expected: list[dict[str, str]]) -> bool:
    return all(has_finding(findings, e) for e in expected)


def score(cases: list[tuple[str, Any, str, bool, list[dict[str, str]]]], verbose: bool) -> tuple[int, int, int, int]:
    """(accepted, accepted with a false error, invalid, invalid caught) over (name, doc, lint_for, ok, expected)."""
    accepted = false_errors = invalid = caught = 0
    for name, doc, lint_for, ok, expected in cases:
        findings = lint_task_definition(doc, fargate=lint_for == "fargate")
        if ok:
            accepted += 1
            if _fails(findings):
                false_errors += 1
                if verbose:
                    print(f"  false error on {name}: {_fails(findings)}")
        else:
            invalid += 1
            if _caught(findings, expected):
                caught += 1
            elif verbose:
                print(f"  missed {name}: expected {expected}, got {_fails(findings)}")
    return accepted, false_errors, invalid, caught


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--verbose", action="store_true", help="name each false error or missed file")
    args = parser.parse_args()
    real = [(e["file"], load(e), e["lint_for"], e["accepted_by_ecs"], e.get("expected", [])) for e in MANIFEST]
    lint_for = {e["file"]: e["lint_for"] for e in MANIFEST}
    mutations = [(m["id"], mutate(m), lint_for[m["base"]], m["accepted_by_ecs"], m.get("expected", []))
                 for m in MUTATIONS]
    ecs_shapes()  # the model is loaded once per process; keep it out of the timing
    accepted, false_errors, invalid, caught = score(real, args.verbose)
    print(f"lint corpus: {len(real)} real task definitions from public repositories")
    print(f"  accepted by ECS: {accepted}, with a false error: {false_errors}")
    print(f"  invalid: {invalid}, caught with the expected finding: {caught}")
    m_accepted, m_false, m_invalid, m_caught = score(mutations, args.verbose)
    print(f"documented mutations: {len(mutations)} (accepted {m_accepted}, false errors {m_false}; "
          f"invalid {m_invalid}, caught {m_caught})")
    best = float("inf")
    for _ in range(max(1, args.rounds)):
        start = time.perf_counter()
        for _name, doc, how, _ok, _expected in real:
            lint_task_definition(doc, fargate=how == "fargate")
        best = min(best, time.perf_counter() - start)
    print(f"time per file: {best / len(real) * 1000:.2f} ms (best of {max(1, args.rounds)} rounds)")
    total = accepted + invalid
    print(f"score: {total - false_errors - (invalid - caught)}/{total} files judged as ECS judges them")


if __name__ == "__main__":
    main()
