"""`fargate-nb diagnose`, `lab` and `demo` through the real entry point: formats and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from fargate_nb.cli import main
from fargate_nb.investigation import open_scenario

pytestmark = pytest.mark.xdist_group("cli")


@pytest.fixture(scope="module")
def broken_snapshot(tmp_path_factory, moto_server):
    """One provisioned broken scenario, saved as a snapshot file (module-wide: it costs seconds)."""
    found = open_scenario("missing-ecr-auth", sandbox=moto_server, activate=False)  # resets the sandbox first
    path = tmp_path_factory.mktemp("snap") / "missing-ecr-auth.json"
    found.snapshot.save(path)
    return path


def test_json_format_is_the_diagnosis_contract(broken_snapshot, capsys):
    code = main(["diagnose", "--snapshot", str(broken_snapshot), "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1
    assert data["schema"] == "fargate-nb/diagnosis/1"
    failing = [f for f in data["findings"] if f["status"] == "fail"]
    assert [f["id"] for f in failing] == ["iam.ecr-auth"]
    f = failing[0]
    for key in ("id", "status", "step", "target", "message", "title", "severity", "detail", "evidence",
                "remediation", "doc_url", "resource", "decisions"):
        assert key in f
    assert f["message"] and f["title"] and f["severity"] and f["doc_url"].startswith("https://")
    assert any("put-role-policy" in c for c in f["remediation"]["commands"])
    assert [s["id"] for s in data["steps"]] == ["assume-role", "registry-auth", "secrets", "manifest", "layers", "logs"]
    # what the faces draw travels with it: the permission matrix, the network rows and the call sequence
    auth = [r for r in data["permissions"] if r["action"] == "ecr:GetAuthorizationToken" and r["role"] == "execution"]
    assert [(r["decision"], r["status"]) for r in auth] == [("denied", "fail")]
    assert data["network"] and all(r["target"] and r["status"] for r in data["network"])
    [first] = [c for c in data["sequence"]["calls"] if c["first_failure"]]
    assert first["label"] == "ecr:GetAuthorizationToken" and first["status"] == "fail"
    assert "iam.ecr-auth" in {data["findings"][i]["id"] for i in first["finding_refs"]}


def test_text_format_shows_the_verdict_and_the_fix(broken_snapshot, capsys):
    code = main(["diagnose", "--snapshot", str(broken_snapshot)])
    out = capsys.readouterr().out
    assert code == 1
    assert "✗ The pull fails at step 'registry-auth'" in out
    assert "✗ iam.ecr-auth" in out
    assert "$ aws iam put-role-policy" in out
    assert "\x1b[" not in out  # no colour when not a TTY


def test_markdown_format(broken_snapshot, capsys):
    assert main(["diagnose", "--snapshot", str(broken_snapshot), "--format", "markdown"]) == 1
    out = capsys.readouterr().out
    assert "iam.ecr-auth" in out and out.lstrip().startswith("#")
    assert "> **❌ FAIL — The image pull fails.**" in out


def test_fixed_snapshot_exits_zero(broken_snapshot, tmp_path, capsys):
    from fargate_nb.diagnose import diagnose
    from fargate_nb.model import Snapshot

    snap = Snapshot.load(broken_snapshot)
    fix = diagnose(snap).finding("iam.ecr-auth")[0].remediation.fix
    from fargate_nb.fixes import apply_fix

    fixed = apply_fix(snap, fix).save(tmp_path / "fixed.json")
    assert main(["diagnose", "--snapshot", str(fixed), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert not [f for f in data["findings"] if f["status"] == "fail"]


@pytest.mark.parametrize("argv, message", [
    (["diagnose"], "say what to diagnose"),
    (["diagnose", "--task", "abc"], "--cluster is required"),
    (["diagnose", "--task", "a", "--service", "b", "--cluster", "c"], "not both"),
    (["diagnose", "--snapshot", "/nonexistent/file.json"], "cannot read snapshot"),
])
def test_bad_usage_exits_2_with_a_message(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_broken_snapshot_file_exits_2(tmp_path, capsys):
    p = tmp_path / "broken.json"
    p.write_text('{"schema": "fargate-nb/snapshot/1", "roles": [')
    assert main(["diagnose", "--snapshot", str(p)]) == 2
    assert "not valid JSON" in capsys.readouterr().err


def test_no_credentials_exits_3(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
               AWS_EC2_METADATA_DISABLED="true", AWS_DEFAULT_REGION="us-east-1",
               AWS_ENDPOINT_URL="http://127.0.0.1:9")  # never reaches AWS, even if credentials appeared
    proc = subprocess.run([sys.executable, "-m", "fargate_nb", "diagnose", "--cluster", "c", "--task", "t"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 3, proc.stderr
    assert "credentials" in proc.stderr.lower()
    assert "Traceback" not in proc.stderr


def test_unreachable_endpoint_exits_3(tmp_path):
    env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_DEFAULT_REGION="us-east-1", AWS_MAX_ATTEMPTS="1")
    proc = subprocess.run([sys.executable, "-m", "fargate_nb", "diagnose", "--cluster", "c", "--task", "t",
                           "--endpoint-url", "http://127.0.0.1:9"], env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr


def test_lab_list_json_lists_ids_titles_and_expected(capsys):
    assert main(["lab", "list", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    ids = {r["id"] for r in rows}
    assert {"healthy-public", "missing-ecr-auth", "no-s3-gateway", "bad-trust"} <= ids
    by_id = {r["id"]: r for r in rows}
    assert by_id["healthy-public"]["expected"] == []
    assert {"id": "iam.ecr-auth", "target": None} in by_id["missing-ecr-auth"]["expected"]


def test_the_diagnosis_on_the_command_line_is_the_one_the_investigation_gives(broken_snapshot, capsys):
    from fargate_nb.investigation import open_snapshot

    assert main(["diagnose", "--snapshot", str(broken_snapshot), "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    expected = json.loads(open_snapshot(broken_snapshot).diagnosis.to_json())
    assert {k: v for k, v in data.items() if k != "kit_version"} == \
        {k: v for k, v in expected.items() if k != "kit_version"}


def test_lab_run_unknown_scenario_is_usage_error(capsys):
    assert main(["lab", "run", "no-such-scenario"]) == 2
    assert "valid ids" in capsys.readouterr().err
