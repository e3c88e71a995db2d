"""Golden diagnoses: every lab scenario's diagnosis, as a whole, is what `tests/golden/<id>.json` says.

The scenario tests check the failing findings; these files pin everything else a face shows
(every finding's message, evidence and remediation, the steps, the permission matrix, the network
rows, the call sequence), so any change of behaviour shows up as a reviewable diff. What the
sandbox randomises is normalised (`fargate_nb.devtools.normalise_diagnosis`). After an intended
change: `make golden`, then review `git diff tests/golden` and commit it with the change.

The same files also hold the check catalogue to account: every finding emitted across all
scenarios carries its catalogue entry's title, severity and documentation URL, at a step the
entry allows.
"""

from __future__ import annotations

import contextlib
import difflib
import io
import json
from pathlib import Path

import pytest

from fargate_nb.cli import main
from fargate_nb.devtools import golden_diagnosis, golden_text
from fargate_nb.lab.scenarios import scenario_ids
from fargate_nb.model import STEPS

GOLDEN_DIR = Path(__file__).parent
SCENARIO_IDS = scenario_ids()
MAX_DIFF_LINES = 150
REGENERATE = ("If this change is intended, run `make golden` (or `python -m fargate_nb.devtools golden "
              "--scenario {id} tests/golden`), review `git diff tests/golden`, and commit the files with the change.")

pytestmark = pytest.mark.xdist_group("golden")  # one worker, one sandbox, reset between scenarios


def _golden_path(scenario_id: str) -> Path:
    return GOLDEN_DIR / f"{scenario_id}.json"


def _load(scenario_id: str) -> dict:
    path = _golden_path(scenario_id)
    if not path.exists():
        pytest.fail(f"no golden diagnosis for scenario {scenario_id} ({path}). " + REGENERATE.format(id=scenario_id))
    return json.loads(path.read_text(encoding="utf-8"))


def readable_diff(expected: dict, actual: dict, name: str) -> str:
    lines = list(difflib.unified_diff(golden_text(expected).splitlines(), golden_text(actual).splitlines(),
                                      f"tests/golden/{name}.json (expected)", f"{name} (diagnosed now)",
                                      lineterm="", n=3))
    if len(lines) > MAX_DIFF_LINES:
        lines = [*lines[:MAX_DIFF_LINES], f"... and {len(lines) - MAX_DIFF_LINES} more diff lines"]
    return "\n".join(lines)


def test_there_is_one_golden_file_per_scenario():
    files = {p.stem for p in GOLDEN_DIR.glob("*.json")}
    assert not set(SCENARIO_IDS) - files, f"missing golden files: {sorted(set(SCENARIO_IDS) - files)}; run `make golden`"
    assert not files - set(SCENARIO_IDS), f"golden files of no scenario: {sorted(files - set(SCENARIO_IDS))}"


@pytest.mark.parametrize("scenario_id", SCENARIO_IDS)
def test_diagnosis_matches_the_golden_file(moto_server, scenario_id: str):
    expected = _load(scenario_id)
    actual = golden_diagnosis(scenario_id, moto_server)  # resets the sandbox first
    if actual != expected:
        pytest.fail(f"The diagnosis of scenario {scenario_id} changed:\n\n"
                    f"{readable_diff(expected, actual, scenario_id)}\n\n" + REGENERATE.format(id=scenario_id),
                    pytrace=False)


@pytest.fixture(scope="module")
def published() -> dict[str, dict]:
    """The catalogue as users see it: `fargate-nb checks --format json`."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["checks", "--format", "json"]) == 0
    return {entry["id"]: entry for entry in json.loads(out.getvalue())}


@pytest.mark.parametrize("scenario_id", SCENARIO_IDS)
def test_the_catalogue_agrees_with_every_finding(scenario_id: str, published: dict[str, dict]):
    problems = []
    for finding in _load(scenario_id)["findings"]:
        label = f"{finding['id']}[{finding['target']}]" if finding.get("target") else finding["id"]
        spec = published.get(finding["id"])
        if spec is None:
            problems.append(f"{label}: not listed by `fargate-nb checks`")
            continue
        for key in ("title", "severity", "doc_url"):
            if finding.get(key) != spec[key]:
                problems.append(f"{label}: {key} {finding.get(key)!r} != catalogue {spec[key]!r}")
        step = finding.get("step")
        if spec["per_target"]:
            allowed = step is None or step in STEPS
        else:
            allowed = step in spec["steps"] or (not spec["steps"] and step is None)
        if not allowed:
            problems.append(f"{label}: step {step!r} is not one of the catalogue's {spec['steps'] or '(none)'}")
    assert not problems, f"scenario {scenario_id}: findings disagree with the check catalogue:\n  " + "\n  ".join(
        problems)


def test_a_changed_diagnosis_reads_as_a_diff():
    expected = {"verdict": "ok", "findings": [{"id": "a", "status": "pass"}]}
    actual = {"verdict": "ok", "findings": [{"id": "a", "status": "fail"}]}
    diff = readable_diff(expected, actual, "x")
    assert '-      "status": "pass"' in diff and '+      "status": "fail"' in diff


def test_normalising_keeps_equal_ids_equal_and_different_ids_apart():
    from fargate_nb.devtools import normalise_diagnosis

    task = "arn:aws:ecs:us-east-1:123456789012:task/payments/f4f34464-68ed-427d-9e7f-0233f2831a9a"
    data = {
        "subject": {"task": task, "vpc": "vpc-0a1b2c3d4e5f67890"},
        "collected_at": "2026-03-01T03:15:22+00:00", "kit_version": "9.9.9",
        "findings": [{"detail": "sg-1111111111111111a admits vpc-0a1b2c3d4e5f67890 but not sg-2222222222222222b",
                      "evidence": ["pushed at 2026-02-27 10:00:01+00:00", "task f4f34464-68ed-427d-9e7f-0233f2831a9a",
                                   "arn:aws:secretsmanager:us-east-1:123456789012:secret:dockerhub/api-qocrET.",
                                   "key/a0efe127-720e-4a9f-a75a-026ff0da02ca"]}],
    }
    out = normalise_diagnosis(data)
    assert out["subject"] == {"task": "arn:aws:ecs:us-east-1:123456789012:task/payments/<task-1>", "vpc": "<vpc-1>"}
    assert out["collected_at"] == "<collected_at>" and out["kit_version"] == "<kit_version>"
    assert out["findings"][0]["detail"] == "<sg-1> admits <vpc-1> but not <sg-2>"
    assert out["findings"][0]["evidence"] == [
        "pushed at <time-1>", "task <task-1>",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:dockerhub/api-<secret-1>.", "key/<uuid-1>"]
    assert normalise_diagnosis(out) == out
