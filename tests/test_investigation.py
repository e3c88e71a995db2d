"""The investigation layer: sources yield a Snapshot, what-if patches a copy, one "check my fix"."""

from __future__ import annotations

import json
import os

import pytest

from fargate_nb.investigation import (
    Failed,
    FixCheck,
    Investigation,
    ScenarioError,
    investigate,
    open_scenario,
    open_snapshot,
    open_target,
)
from fargate_nb.model import Snapshot

pytestmark = pytest.mark.xdist_group("investigation")


@pytest.fixture(scope="module")
def broken(moto_server) -> Investigation:
    """`no-s3-gateway` provisioned in the shared sandbox (not owned: closing leaves it running)."""
    return open_scenario("no-s3-gateway", sandbox=moto_server)


def failing(inv: Investigation) -> set[str]:
    return {f.label for f in inv.diagnosis.failed}


def test_a_scenario_is_collected_over_http_and_diagnosed(broken: Investigation) -> None:
    assert failing(broken) == {"net.no-route[s3]"}
    assert broken.source == "sandbox scenario no-s3-gateway"
    assert broken.snapshot.collector  # read by the collector, not handed over by the sandbox
    assert broken.lab is not None and not broken.lab.owns_sandbox
    assert broken.diagnosis.status == "fail"


def test_what_if_diagnoses_a_patched_copy_and_leaves_the_evidence_alone(broken: Investigation) -> None:
    before = json.dumps(broken.snapshot.to_dict(), sort_keys=True)
    finding = broken.diagnosis.finding("net.no-route", "s3")[0]
    assert finding.remediation and finding.remediation.fix
    fixed = broken.what_if([finding.remediation.fix])
    assert fixed is not broken
    assert not fixed.diagnosis.failed, fixed.diagnosis.verdict
    assert fixed.fixes == [finding.remediation.fix]
    assert json.dumps(broken.snapshot.to_dict(), sort_keys=True) == before
    assert failing(broken) == {"net.no-route[s3]"}
    assert broken.what_if([]) is broken
    assert broken.what_if_diagnosis([finding.remediation.fix]).status == "pass"


def test_check_fix_means_the_service_as_it_is_now(moto_server) -> None:
    inv = open_scenario("missing-ecr-auth", sandbox=moto_server)
    assert failing(inv) == {"iam.ecr-auth"}
    first = inv.check_fix()
    assert isinstance(first, FixCheck) and not first.fixed
    assert first.still_failing == ["iam.ecr-auth"]
    assert inv.lab is not None
    inv.lab.scenario.fix(inv.lab.sandbox, inv.lab.env)
    after = inv.check_fix()
    assert after.fixed, after.verdict
    assert after.to_dict() == {"fixed": True, "still_failing": [], "in_doubt": [], "verdict": after.verdict}
    again = inv.rediagnose()  # the same task collected again: its role is read as it is now
    assert again.lab is inv.lab and again.source == inv.source
    assert "iam.ecr-auth" not in failing(again)
    inv.close()
    assert moto_server.ping()  # a sandbox the investigation did not start keeps running


def test_a_snapshot_file_is_diagnosed_offline_and_read_again_on_rediagnose(broken: Investigation, tmp_path) -> None:
    path = broken.snapshot.save(tmp_path / "evidence.json")
    offline = open_snapshot(path)
    assert failing(offline) == failing(broken)
    assert "offline" in offline.source and offline.live is None and offline.lab is None
    data = json.loads(path.read_text())
    data["network"] = {}  # no awsvpc evidence: the network checks have nothing to fail
    path.write_text(json.dumps(data))
    assert "net.no-route[s3]" not in failing(offline.rediagnose())
    with pytest.raises(ScenarioError):
        offline.check_fix()


def test_investigate_wraps_evidence_in_hand() -> None:
    inv = investigate(Snapshot(region="eu-west-1"), source="test")
    assert inv.ok and inv.source == "test" and inv.diagnosis.region == "eu-west-1"
    assert inv.rediagnose().diagnosis.region == "eu-west-1"


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"snapshot_path": "/nonexistent/evidence.json"}, "cannot read snapshot"),
    ({"task": "abc"}, "needs its cluster"),
    ({"scenario": "no-such-scenario"}, "unknown scenario"),
])
def test_open_target_never_raises(kwargs: dict, words: str) -> None:
    result = open_target(**kwargs)
    assert isinstance(result, Failed) and not result.ok
    assert words in result.error
    assert result.diagnosis is None
    result.close()
    with pytest.raises(ScenarioError):
        result.check_fix()


def test_a_broken_snapshot_file_is_a_clear_failure(tmp_path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    result = open_target(snapshot_path=str(path))
    assert isinstance(result, Failed) and "not valid JSON" in result.error


def test_an_owned_sandbox_is_stopped_and_the_environment_restored_on_close(monkeypatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9/before")
    inv = open_target(scenario="healthy-public")
    try:
        assert inv.ok, getattr(inv, "error", "")
        assert not inv.diagnosis.failed, inv.diagnosis.verdict
        assert inv.lab.owns_sandbox
        assert os.environ["AWS_ENDPOINT_URL"] == inv.lab.sandbox.endpoint_url  # fix cells reach the sandbox
    finally:
        sandbox = inv.lab.sandbox
        inv.close()
    assert os.environ["AWS_ENDPOINT_URL"] == "http://127.0.0.1:9/before"
    assert not sandbox.ping(timeout=1)
