"""`fargate-nb report`: usage errors exit 2 with a message; real runs print the paths and exit
with the diagnosis's code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fargate_nb.cli import main
from fargate_nb.model import Snapshot
from fargate_nb.report import generate as gen
from fargate_nb.report.run import NotebookError
from tests.support.report_scenarios import snapshot


@pytest.mark.parametrize("argv, message", [
    ([], "say what to diagnose"),
    (["--task", "t"], "--cluster is required"),
    (["--task", "t", "--service", "s", "--cluster", "c"], "not both"),
    (["--stopped"], "--stopped needs --cluster"),
    (["--stopped", "--cluster", "c", "--task", "t"], "give --cluster only"),
    (["--stopped", "--cluster", "c", "--since", "yesterday"], "--since 'yesterday'"),
    (["--scenario", "no-s3-gateway", "--snapshot", "x.json"], "give --scenario alone"),
    (["--scenario", "no-such-lab"], "unknown scenario 'no-such-lab'; valid ids:"),
    (["--snapshot", "/nonexistent/evidence.json"], "cannot read snapshot"),
])
def test_bad_usage_exits_2_with_a_message_and_writes_nothing(argv, message, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["report", *argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not out.exists() or list(out.iterdir()) == []


@pytest.mark.parametrize("content", ["{not json", json.dumps({"schema": "other/1"}), json.dumps([1, 2])])
def test_a_broken_snapshot_file_exits_2(content, tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    assert main(["report", "--snapshot", str(bad), "--out", str(tmp_path / "out")]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_a_notebook_failure_exits_2_and_leaves_no_report(tmp_path, capsys, monkeypatch):
    def failing(*a, **k):
        raise NotebookError("the notebook failed in cell 4: RuntimeError: boom")

    monkeypatch.setattr(gen, "execute_notebook", failing)
    evidence = snapshot().save(tmp_path / "evidence.json")
    out = tmp_path / "out"
    assert main(["report", "--snapshot", str(evidence), "--out", str(out)]) == 2
    assert "no report written: the notebook failed in cell 4" in capsys.readouterr().err
    assert list(out.iterdir()) == []


def test_aws_unreachable_exits_3(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    code = main(["report", "--task", "t", "--cluster", "c", "--region", "us-east-1",
                 "--endpoint-url", "http://127.0.0.1:9", "--out", str(tmp_path)])
    assert code == 3, capsys.readouterr().err


@pytest.mark.slow
def test_report_from_a_saved_snapshot_prints_the_paths_and_exits_1(scenario_snapshot, tmp_path, capsys):
    snap, _ = scenario_snapshot("missing-log-group")
    evidence = snap.save(tmp_path / "evidence.json")
    out = tmp_path / "reports"
    assert main(["report", "--snapshot", str(evidence), "--out", str(out), "--title", "INC-7"]) == 1
    printed = [Path(line) for line in capsys.readouterr().out.splitlines()]
    assert sorted(printed) == sorted(out.iterdir()) and len(printed) == 5
    assert {p.stat().st_mode & 0o777 for p in printed} == {0o600} and out.stat().st_mode & 0o777 == 0o700
    md = next(p for p in printed if p.suffix == ".md").read_text()
    assert md.startswith("# INC-7\n") and "logs.group-missing" in md
    saved = next(p for p in printed if p.name.endswith(".snapshot.json"))
    assert Snapshot.load(saved).to_dict() == Snapshot.load(evidence).to_dict()


@pytest.mark.slow
def test_the_installed_command_reports_a_healthy_scenario_and_exits_0(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT")}
    proc = subprocess.run([sys.executable, "-m", "fargate_nb", "report", "--scenario", "healthy-public",
                           "--out", str(tmp_path)], capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    paths = [Path(line) for line in proc.stdout.splitlines()]
    assert len(paths) == 5 and all(p.is_file() and p.parent == tmp_path for p in paths)
    data = json.loads(next(p for p in paths if p.suffix == ".json" and ".snapshot" not in p.name).read_text())
    assert not [f for f in data["findings"] if f["status"] == "fail"]
    assert "Traceback" not in proc.stderr


def test_stopped_for_a_missing_cluster_exits_2(aws, tmp_path, capsys):
    assert main(["report", "--stopped", "--cluster", "nope", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "cluster 'nope': it does not exist" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_diagnose_format_markdown_prints_the_markdown_view(tmp_path, capsys):
    evidence = snapshot().save(tmp_path / "evidence.json")
    code = main(["diagnose", "--snapshot", str(evidence), "--format", "markdown"])
    out = capsys.readouterr().out
    assert out.startswith("# fargate-nb diagnosis of task `arn:aws:ecs:")
    assert "## Pull steps" in out and "| step | status | summary |" in out
    assert code in (0, 1) and code == (1 if "❌ FAIL" in out.split("## Pull steps")[0] else 0)
