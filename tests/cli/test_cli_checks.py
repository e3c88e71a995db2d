"""`fargate-nb checks`: the check catalogue listed like a linter's rules (text and JSON)."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import fields
from pathlib import Path

import pytest

from fargate_nb.checks.catalogue import CATALOGUE, CheckSpec
from fargate_nb.cli import main

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / ".venv" / "bin" / "fargate-nb"


def test_text_lists_one_line_per_check_with_steps_severity_title_and_url(capsys):
    assert main(["checks"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(CATALOGUE)
    by_id = {line.split()[0]: line for line in lines}
    assert set(by_id) == set(CATALOGUE)
    for cid, line in by_id.items():
        spec = CATALOGUE[cid]
        assert spec.title in line and line.endswith(spec.doc_url), line
        assert line.split()[2] == spec.severity, line
    assert by_id["iam.kms-decrypt"].split()[1] == "registry-auth,secrets"
    assert by_id["net.nacl"].split()[1] == "per-destination"
    assert by_id["taskdef.invalid"].split()[1] == "-"
    assert by_id["role.confusion"].split()[1] == "any"
    assert lines.index(by_id["exec-role.missing"]) < lines.index(by_id["iam.ecr-pull"]) < lines.index(by_id["iam.logs"])


def test_json_is_every_catalogue_field_of_every_check(capsys):
    assert main(["checks", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in rows] and {r["id"] for r in rows} == set(CATALOGUE) and len(rows) == len(CATALOGUE)
    names = {f.name for f in fields(CheckSpec)}
    for row in rows:
        assert set(row) == names, row["id"]
        spec = CATALOGUE[row["id"]]
        rebuilt = CheckSpec(**{**row, "steps": tuple(row["steps"]), "evidence": tuple(row["evidence"]),
                               "calls": tuple(row["calls"])})
        assert rebuilt == spec


def test_a_bad_format_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["checks", "--format", "yaml"])
    assert exc.value.code == 2 and "invalid choice" in capsys.readouterr().err


@pytest.mark.skipif(not CLI.exists(), reason="the console script is not installed in .venv")
def test_through_the_installed_command():
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    text = subprocess.run([str(CLI), "checks"], capture_output=True, text=True, env=env, timeout=120)
    assert text.returncode == 0, text.stderr
    assert any(line.startswith("ecr.platform-mismatch ") for line in text.stdout.splitlines())
    as_json = subprocess.run([str(CLI), "checks", "--format", "json"], capture_output=True, text=True, env=env,
                             timeout=120)
    assert as_json.returncode == 0, as_json.stderr
    assert {r["id"]: r["severity"] for r in json.loads(as_json.stdout)} == {c.id: c.severity for c in CATALOGUE.values()}
    helped = subprocess.run([str(CLI), "--help"], capture_output=True, text=True, env=env, timeout=120)
    assert "checks" in helped.stdout
