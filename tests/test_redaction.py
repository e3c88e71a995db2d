"""Plaintext secrets in a task definition or run-task overrides never reach a snapshot or a report."""

from __future__ import annotations

import json

from fargate_nb.investigation import investigate
from fargate_nb.model import Snapshot
from fargate_nb.scrub import REDACTED, redact_task, redact_task_definition
from fargate_nb.views.markdown import diagnosis_markdown
from tests.support.snapshots import healthy

SECRETS = ("hunter2-db-password", "AKIAFAKEVALUE0000000", "tok_live_123", "postgres://app:s3cret@db:5432/app")


def leaky() -> Snapshot:
    snap = healthy().build()
    c = snap.task_definition["containerDefinitions"][0]
    c["environment"] = [{"name": "DB_PASSWORD", "value": SECRETS[0]}, {"name": "AWS_SECRET_ACCESS_KEY", "value": SECRETS[1]},
                        {"name": "EMPTY", "value": ""}]
    c["dockerLabels"] = {"api-token": SECRETS[2]}
    c["logConfiguration"]["options"]["splunk-token"] = SECRETS[2]
    snap.task = {**(snap.task or {}), "overrides": {"containerOverrides": [
        {"name": "api", "environment": [{"name": "DATABASE_URL", "value": SECRETS[3]}]}]}}
    return snap


def test_values_go_names_and_awslogs_options_stay() -> None:
    td, said = redact_task_definition(leaky().task_definition)
    c = td["containerDefinitions"][0]
    assert [e["name"] for e in c["environment"]] == ["DB_PASSWORD", "AWS_SECRET_ACCESS_KEY", "EMPTY"]
    assert [e["value"] for e in c["environment"]] == [REDACTED, REDACTED, ""]
    assert c["dockerLabels"] == {"api-token": REDACTED}
    assert c["logConfiguration"]["options"]["awslogs-group"] == "/ecs/api"
    assert c["logConfiguration"]["options"]["splunk-token"] == REDACTED
    assert said == ["2 environment variable value(s)", "1 docker label value(s)",
                    "1 log-driver option value(s) (not awslogs)"]
    task, said_task = redact_task(leaky().task)
    assert task["overrides"]["containerOverrides"][0]["environment"][0]["value"] == REDACTED
    assert said_task == ["1 run-task override environment value(s)"]


def test_a_saved_snapshot_and_its_report_hold_none_of_the_values(tmp_path) -> None:
    snap = leaky()
    path = snap.save(tmp_path / "evidence.json")
    text = path.read_text()
    assert not [s for s in SECRETS if s in text]
    loaded = Snapshot.load(path)
    assert "2 environment variable value(s)" in loaded.redacted
    diagnosis = investigate(loaded).diagnosis
    assert not diagnosis.failed, diagnosis.verdict  # no check needed the values
    rendered = diagnosis.to_json() + diagnosis_markdown(diagnosis, loaded)
    assert not [s for s in SECRETS if s in rendered]
    assert (path.stat().st_mode & 0o777) == 0o600  # private to its user


def test_redaction_is_idempotent() -> None:
    snap = leaky()
    first = json.dumps(snap.to_dict(), sort_keys=True)
    assert json.dumps(snap.to_dict(), sort_keys=True) == first
    assert len(snap.redacted) == 4


def test_the_report_header_and_the_postmortem_say_what_was_redacted() -> None:
    from fargate_nb.report.postmortem import postmortem_markdown, redaction_fact

    snap = leaky()
    snap.redact()
    label, text = redaction_fact(snap)
    assert label == "Values redacted" and "2 environment variable value(s)" in text
    markdown = postmortem_markdown(snap, investigate(snap).diagnosis, title="t")
    assert "Values redacted" in markdown and "environment variable value" in markdown
    assert not [s for s in SECRETS if s in markdown]
    assert "none were present" in redaction_fact(healthy().build())[1]
