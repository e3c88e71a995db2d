"""The lint corpus as data: real task definitions (corpus/SOURCES.json) and documented mutations of them
(MUTATIONS.json), with the two questions asked of each: a false error, or the expected finding caught.
Shared by the corpus tests and bench/bench_lint_corpus.py."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
CORPUS = HERE / "corpus"
MANIFEST: list[dict[str, Any]] = json.loads((CORPUS / "SOURCES.json").read_text())["files"]
MUTATIONS: list[dict[str, Any]] = json.loads((HERE / "MUTATIONS.json").read_text())["mutations"]


def load(entry: dict[str, Any]) -> Any:
    """The stored file of a manifest entry (or the base of a mutation, given as ``{"file": base}``)."""
    return json.loads((CORPUS / entry["file"]).read_text())


def mutate(entry: dict[str, Any]) -> Any:
    """A mutation's base file with its dotted paths set (``None`` removes the member)."""
    doc = copy.deepcopy(load({"file": entry["base"]}))
    for dotted, value in entry["set"].items():
        *parents, last = [int(p) if p.isdigit() else p for p in dotted.split(".")]
        target = doc
        for part in parents:
            target = target[part]
        if value is None:
            target.pop(last, None)
        else:
            target[last] = value
    return doc


def failures(findings: list[Any]) -> list[str]:
    return [f"{f.evidence} {f.message}" for f in findings if f.status == "fail"]


def has_finding(findings: list[Any], expected: dict[str, str]) -> bool:
    """A failing finding at the expected JSON path whose message contains the expected words."""
    return any(f.status == "fail" and expected["path"] in f.evidence and expected["message"] in f.message
               for f in findings)
