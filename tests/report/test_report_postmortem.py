"""The postmortem draft: sections in order, timeline, provenance, shared failures, hostile text."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import mistune

from fargate_nb import __version__
from fargate_nb.report.postmortem import Provenance, mermaid_section, postmortem_markdown, timeline_section
from fargate_nb.views.mermaid import to_mermaid
from tests.support.diagnoses import diagnosis_for
from tests.support.report_scenarios import ACCT, HOSTILE_LOG_GROUP, HOSTILE_ROLE, hostile_snapshot, snapshot

SECTIONS = ["## Summary", "## Timeline", "## Stopped reason", "## Findings and fixes", "## Pull steps",
            "## Sequence diagram", "## Evidence", "## What could not be read", "## Follow-ups"]
WHEN = datetime(2026, 3, 1, 11, 0, tzinfo=UTC)


def _md(snap, **kw):
    prov = Provenance.of(snap, when=WHEN, shared_by=kw.pop("shared_by", None))
    return postmortem_markdown(snap, diagnosis_for(snap), title=kw.pop("title", "Incident 42"), provenance=prov,
                               snapshot_file="r.snapshot.json", diagnosis_file="r.json")


def test_sections_come_in_order_after_a_verdict_first():
    md = _md(snapshot())
    lines = md.splitlines()
    assert lines[0] == "# Incident 42"
    assert lines[2].startswith("> **❌ FAIL — The image pull fails.**")  # the ten-second read
    positions = [md.index(s + "\n") for s in SECTIONS]
    assert positions == sorted(positions)
    assert "```mermaid\nsequenceDiagram" in md
    assert "The diagram could not be drawn" not in md
    assert "assume-role" in md.split("```mermaid\n", 1)[1].split("\n```", 1)[0]
    assert "```sh\naws logs create-log-group --log-group-name '/ecs/payments-api'" in md


def test_provenance_names_the_caller_the_time_the_kit_the_account_and_region():
    md = _md(snapshot())
    assert f"arn:aws:sts::{ACCT}:assumed-role/oncall/alice" in md
    assert "2026-03-01 11:00:00 UTC" in md
    assert f"fargate-nb {__version__}" in md
    assert f"{ACCT} / eu-west-1" in md


def test_without_a_caller_the_os_user_is_named(monkeypatch):
    monkeypatch.setattr("getpass.getuser", lambda: "bob")
    snap = snapshot()
    snap.caller = None
    assert Provenance.of(snap).generated_by == "local user bob"

    def no_user():
        raise KeyError("no passwd entry")

    monkeypatch.setattr("getpass.getuser", no_user)
    assert Provenance.of(snap).generated_by == "an unknown local user"


def test_timeline_lists_each_event_with_the_time_since_creation():
    tl = timeline_section(snapshot())
    assert re.search(r"Task created \| `createdAt` \| 2026-03-01 10:00:00 UTC \| 0 s", tl)
    assert re.search(r"Image pull started \| `pullStartedAt` \| 2026-03-01 10:00:05 UTC \| 5 s", tl)
    assert re.search(r"Task stopped \| `stoppedAt` \| 2026-03-01 10:01:10 UTC \| 70 s", tl)
    assert "The image pull took 30 s." in tl


def test_timeline_omits_what_was_not_recorded():
    snap = snapshot()
    for key in ("pullStartedAt", "pullStoppedAt", "stoppingAt"):
        del snap.task[key]
    tl = timeline_section(snap)
    assert "not recorded" not in tl and "unknown" not in tl  # what was not recorded is left out
    assert "`pullStartedAt`" not in tl and "`stoppingAt`" not in tl and "`stoppedAt`" in tl
    assert "No pull start was recorded" in tl
    bare = snapshot()
    bare.task = {"taskArn": bare.task["taskArn"]}
    assert "carries no timestamps" in timeline_section(bare)
    service = timeline_section(snapshot(with_task=False))
    assert service.startswith("Unknown: the service was diagnosed without a task")


def test_a_shared_failure_says_how_many_tasks_had_it():
    arns = [f"arn:aws:ecs:eu-west-1:{ACCT}:task/payments/t{i}" for i in range(12)]
    md = _md(snapshot(), shared_by=arns)
    assert "**Tasks that failed this way:** 12 (`t0`" in md and "and 2 more" in md
    assert "| Tasks with this failure | 12 |" in md


def test_hostile_strings_never_become_markup_in_the_postmortem():
    md = _md(hostile_snapshot(), title="<script>x</script> # title")
    html_out = mistune.create_markdown(escape=False, plugins=["table", "strikethrough", "url"])(md)
    assert "<script" not in html_out and "<img" not in html_out and "<b>" not in html_out
    assert len(re.findall(r"<h1", html_out)) == 1 and "&lt;script&gt;x&lt;/script&gt; # title" in html_out
    rendered = [set(re.findall(r"<h2>([^<]*)</h2>", html_out))]
    assert rendered[0] == {s[3:] for s in SECTIONS}
    # Each table row has as many cells as its header.
    for tbl in re.findall(r"<table>.*?</table>", html_out, re.S):
        head = len(re.findall(r"<th[ >]", tbl.split("</thead>")[0]))
        for row in re.findall(r"<tr>(.*?)</tr>", tbl.split("</thead>")[-1], re.S):
            assert len(re.findall(r"<td", row)) == head
    # the mermaid block carries entities, never raw syntax from the reason
    block = md.split("```mermaid\n", 1)[1].split("\n```", 1)[0]
    assert "<script" not in block and "participant Evil" not in block
    assert HOSTILE_ROLE.replace("|", "\\|").replace("`", "\\`").replace("<", "&lt;").replace(">", "&gt;") in md
    assert HOSTILE_LOG_GROUP.split("\n")[0][:8] in md  # '/ecs/<sc' only inside fenced commands


def test_the_sequence_diagram_is_the_diagnosis_sequence_as_mermaid():
    snap = snapshot()
    diagnosis = diagnosis_for(snap)
    section = mermaid_section(snap, diagnosis)
    assert section == f"```mermaid\n{to_mermaid(diagnosis).rstrip()}\n```"
    # the first failure (the execution role does not exist) is the crossed arrow; the rest is not reached
    failing = [ln for ln in section.splitlines() if "-x" in ln]
    assert len(failing) == 1 and "sts:AssumeRole" in failing[0]
    assert "exec-role.not-found" in section and "(not reached)" in section
