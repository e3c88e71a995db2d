"""Fuzzing snapshot loading: any document loads or is a SnapshotError naming why; what loads diagnoses."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fargate_nb.cli.diagnose import render
from fargate_nb.diagnose import diagnose
from fargate_nb.model import SNAPSHOT_SCHEMA, Snapshot, SnapshotError
from tests.fuzz.strategies import FUZZ, JSON, TEXT, mutated
from tests.support.network import Net
from tests.support.snapshots import healthy

HEALTHY = healthy().stopped("CannotPullContainerError: pull image manifest has been retried 5 time(s)") \
    .build().to_dict()
NETWORKED = Net().container_secret().build().to_dict()
FIELDS = sorted(HEALTHY)


def load_and_diagnose(doc) -> Snapshot | None:
    """The property: from_dict returns a Snapshot or raises SnapshotError; a Snapshot diagnoses."""
    try:
        snapshot = Snapshot.from_dict(doc)
    except SnapshotError as exc:
        assert str(exc) and len(str(exc)) < 1000, "a SnapshotError says why, briefly"
        return None
    diagnosis = diagnose(snapshot)
    assert diagnosis.status in ("pass", "fail", "warn", "unknown", "skipped")
    return snapshot


#: Snapshot-shaped documents: the snapshot's field names (and others) with random values.
SNAPSHOT_LIKE = st.dictionaries(st.one_of(st.sampled_from(FIELDS), TEXT), JSON, max_size=8).map(
    lambda d: {**d, "schema": SNAPSHOT_SCHEMA})


@FUZZ
@given(st.one_of(JSON, SNAPSHOT_LIKE))
def test_random_documents_load_or_say_why(doc):
    load_and_diagnose(doc)


@FUZZ
@given(st.one_of(mutated(HEALTHY), mutated(NETWORKED)))
def test_mutated_snapshots_load_or_say_why(doc):
    snapshot = load_and_diagnose(doc)
    if snapshot is not None:  # and what `fargate-nb diagnose --snapshot` prints renders too
        render(diagnose(snapshot), "text", snapshot=snapshot, stream=io.StringIO())


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("snapshots")


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


FILES = st.one_of(
    st.binary(max_size=200),
    mutated(HEALTHY).map(lambda d: json.dumps(d).encode()),
    st.tuples(mutated(HEALTHY), st.binary(min_size=1, max_size=8)).map(  # valid JSON, then stray bytes
        lambda t: json.dumps(t[0]).encode() + t[1]),
    st.integers(1, 200_000).map(lambda n: json.dumps({**HEALTHY, "task": None}).replace(
        '"task": null', f'"task": {_nested(n)}').encode()),
    st.integers(4000, 6000).map(lambda n: json.dumps({**HEALTHY, "region": 0}).replace(
        '"region": 0', '"region": ' + "9" * n).encode()),
)


@FUZZ
@given(FILES)
def test_snapshot_files_load_or_say_why(folder, data):
    path = folder / "snapshot.json"
    path.write_bytes(data)
    try:
        snapshot = Snapshot.load(path)
    except SnapshotError as exc:
        assert str(exc)
        return
    diagnose(snapshot)
