"""Replays the crashers the fuzzers and the probe found (tests/fuzz/corpus/): each is a clear exit 2 now.

``snapshot-*`` files go through ``fargate-nb diagnose --snapshot``, ``lint-*`` through ``fargate-nb lint``,
``explain-*`` through ``fargate-nb explain`` (its text as the message).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fargate_nb.cli import EXIT_FAIL, EXIT_OK, EXIT_USAGE
from fargate_nb.model import Snapshot, SnapshotError
from tests.fuzz.test_cli_fuzz import run

CORPUS = Path(__file__).parent / "corpus"
FILES = sorted(CORPUS.iterdir())

#: What the message must say for a file (the field it names, or the kind of problem).
SAYS = {
    "snapshot-not-utf8.json": "not UTF-8",
    "snapshot-deep-json.json": "nested too deeply",
    "snapshot-deep-object.json": "nested more than",
    "snapshot-huge-integer.json": "number too long",
    "snapshot-taskdef-not-object.json": "'task_definition' must be an object",
    "snapshot-containers-not-list.json": "'task_definition.containerDefinitions' must be a list",
    "snapshot-container-not-object.json": "'task_definition.containerDefinitions[0]' must be an object",
    "snapshot-container-image-number.json": "'task_definition.containerDefinitions[0].image' must be a string",
    "snapshot-secrets-not-objects.json": "'task_definition.containerDefinitions[0].secrets' must be a list",
    "snapshot-log-options-list.json": "logConfiguration.options' must be an object",
    "snapshot-task-not-object.json": "'task' must be an object",
    "snapshot-task-containers-not-objects.json": "'task.containers[0]' must be an object",
    "snapshot-task-arn-number.json": "'task.taskArn' must be a string",
    "snapshot-subject-cluster-number.json": "'subject.cluster' must be a string",
    "snapshot-subject-list.json": "'subject' must be an object",
    "snapshot-role-not-object.json": "must be an object or null",
    "snapshot-network-subnets-strings.json": "'network.subnets[0]' must be an object",
    "snapshot-gap-api-number.json": "'gaps[0].api' must be a string",
    "lint-not-utf8.json": "not UTF-8",
    "lint-deep-json.json": "nested too deeply",
    "lint-huge-integer.json": "number too long",
    "lint-huge-cpu-string.json": "",  # read as a number, not an OverflowError: an ordinary lint result
}


def test_every_corpus_file_is_replayed():
    assert {f.name for f in FILES if not f.name.startswith("explain-")} == set(SAYS)


@pytest.mark.parametrize("path", [f for f in FILES if f.name.startswith("snapshot-")], ids=lambda p: p.name)
def test_snapshot_crashers_are_snapshot_errors(path):
    with pytest.raises(SnapshotError, match=None) as caught:
        Snapshot.load(path)
    assert SAYS[path.name] in str(caught.value)
    code, err = run(["diagnose", "--snapshot", str(path)])
    assert code == EXIT_USAGE
    assert err.startswith("fargate-nb: ") and SAYS[path.name] in err and "Traceback" not in err


@pytest.mark.parametrize("path", [f for f in FILES if f.name.startswith("lint-")], ids=lambda p: p.name)
def test_lint_crashers_are_clear(path):
    code, err = run(["lint", str(path)])
    assert code == (EXIT_USAGE if SAYS[path.name] else EXIT_FAIL), err
    assert SAYS[path.name] in err and "Traceback" not in err


@pytest.mark.parametrize("path", [f for f in FILES if f.name.startswith("explain-")], ids=lambda p: p.name)
def test_explain_crashers_explain(path):
    code, err = run(["explain", path.read_text(encoding="utf-8")])
    assert code == EXIT_OK, err
