"""The linter on real task definitions from public repositories (tests/taskdefs/corpus, SOURCES.json).

No accepted file gets a failure; every invalid one gets the finding its manifest entry names; documented
mutations of real files (MUTATIONS.json) cover task sizes written in vCPU/GB and network-mode rules.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from typing import Any

import pytest

from fargate_nb.taskdef import lint_task_definition, unwrap
from fargate_nb.taskdef.placeholders import find_placeholders
from fargate_nb.taskdef.shape import read_only_members
from tests.taskdefs.corpus_files import CORPUS, MANIFEST, MUTATIONS, failures, has_finding, load, mutate

ACCEPTED = [e for e in MANIFEST if e["accepted_by_ecs"]]
INVALID = [e for e in MANIFEST if not e["accepted_by_ecs"]]
TEMPLATES = [e for e in MANIFEST if "template" in e["kinds"]]


def lint(doc: Any, lint_for: str):
    return lint_task_definition(doc, fargate=lint_for == "fargate")


# -- the manifest ------------------------------------------------------------------------------------------------
def test_manifest_names_every_file_with_its_source():
    files = {p.name for p in CORPUS.glob("*.json")} - {"SOURCES.json"}
    assert files == {e["file"] for e in MANIFEST}
    assert len(MANIFEST) >= 40
    for e in MANIFEST:
        assert re.fullmatch(r"[0-9a-f]{40}", e["commit"]), e["file"]
        assert e["url"] == f"https://github.com/{e['repo']}/blob/{e['commit']}/{e['path']}"
        assert e["why"] and e["lint_for"] in ("fargate", "register")
        assert e["accepted_by_ecs"] or e["expected"], e["file"]


def test_corpus_mixes_templates_launch_types_exports_and_invalid_files():
    kinds = [k for e in MANIFEST for k in e["kinds"]]
    assert kinds.count("template") >= 10 and kinds.count("ec2") >= 8 and kinds.count("fargate") >= 25
    assert kinds.count("null-members") >= 5 and kinds.count("describe-output") >= 10
    assert len(INVALID) >= 5


# -- the score ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("entry", ACCEPTED, ids=lambda e: e["file"])
def test_no_false_error_on_a_file_ecs_accepts(entry):
    findings = lint(load(entry), entry["lint_for"])
    assert failures(findings) == []
    assert findings[0].status == "pass"


@pytest.mark.parametrize("entry", INVALID, ids=lambda e: e["file"])
def test_every_invalid_file_is_caught_with_the_expected_finding(entry):
    findings = lint(load(entry), entry["lint_for"])
    for expected in entry["expected"]:
        assert has_finding(findings, expected), (expected, failures(findings))


@pytest.mark.parametrize("entry", MUTATIONS, ids=lambda e: e["id"])
def test_documented_mutations_of_real_files(entry):
    base = next(e for e in MANIFEST if e["file"] == entry["base"])
    findings = lint(mutate(entry), base["lint_for"])
    if entry["accepted_by_ecs"]:
        assert failures(findings) == []
    for expected in entry.get("expected", []):
        assert has_finding(findings, expected), (expected, failures(findings))


# -- templates ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("entry", TEMPLATES, ids=lambda e: e["file"])
def test_a_template_gets_one_info_line_listing_its_placeholders_and_no_problem_on_them(entry):
    doc = load(entry)
    td, prefix = unwrap(doc)
    findings = lint(doc, entry["lint_for"])
    listed = [f for f in findings if f.message.startswith("The task definition is a template")]
    assert len(listed) == 1 and listed[0].status == "info"
    templated_paths = {path for path, _ in find_placeholders(td)}
    for f in findings:
        if f.status in ("fail", "warn") and not f.message.startswith("Null members"):
            assert not set(f.evidence) & templated_paths, f.message  # a placeholder is never the problem


def placeholders_kept(doc: Any) -> set[tuple[str, str]]:
    """Placeholders outside read-only describe members (those go when a fix drops the member)."""
    td, _ = unwrap(doc)
    return {(p, t) for p, t in find_placeholders(td) if p.split(".")[0].split("[")[0] not in read_only_members()}


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq is not installed")
@pytest.mark.parametrize("entry", TEMPLATES, ids=lambda e: e["file"])
def test_following_every_suggested_fix_keeps_the_placeholders(entry, tmp_path):
    source = tmp_path / "taskdef.json"
    source.write_text((CORPUS / entry["file"]).read_text())
    before = placeholders_kept(load(entry))
    doc = load(entry)
    for f in lint(doc, entry["lint_for"]):
        for command in f.remediation.commands if f.remediation else []:
            argv = shlex.split(command.split(" > ")[0])
            assert argv[0] == "jq" and argv[-1] == "taskdef.json", command
            out = subprocess.run([*argv[:-1], str(source)], capture_output=True, text=True, check=True, timeout=30)
            assert placeholders_kept(json.loads(out.stdout)) == before, command
        text = f"{f.message} {f.detail} {f.remediation.summary if f.remediation else ''}"
        assert "<image1_name>" not in text  # never told to rewrite CodePipeline's placeholder
    if any(t == "<IMAGE1_NAME>" for _, t in before):
        assert all(f.status != "fail" for f in lint(doc, entry["lint_for"]))
