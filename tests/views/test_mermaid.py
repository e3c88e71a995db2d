"""The mermaid twin draws the same model as the figure, and nothing from AWS can become mermaid syntax."""

from __future__ import annotations

import re

import pytest
from view_factories import ACCT, make_diagnosis, make_snapshot, passing

from fargate_nb.model import Finding
from fargate_nb.views.diagram import sequence_model
from fargate_nb.views.mermaid import escape_mermaid, to_mermaid

# Every line to_mermaid may write; anything else would be injected syntax.
_ALLOWED = [
    re.compile(r"^sequenceDiagram$"),
    re.compile(r"^    title [^\n;#<>]*(?:#\w+;[^\n;#<>]*)*$"),
    re.compile(r"^    participant p\d+ as [^\n;#<>:,+-]*(?:#\w+;[^\n;#<>:,+-]*)*$"),
    re.compile(r"^    p\d+(?:->>|-x)p\d+: [✓✗!?–] [^\n;#<>]*(?:#\w+;[^\n;#<>]*)* \((?:pass|fail|warn|unknown|skipped)\)$"),
    re.compile(r"^    Note over p\d+(?:,p\d+)?: [^\n;#<>]*(?:#\w+;[^\n;#<>]*)*$"),
]


def _check_grammar(text: str) -> list[str]:
    lines = text.rstrip("\n").split("\n")
    for line in lines:
        assert any(p.match(line) for p in _ALLOWED), f"unexpected mermaid line: {line!r}"
    return lines


def test_arrows_and_participants_match_the_model(auth_broken):
    snap, diag = auth_broken
    model = sequence_model(snap, diag)
    text = to_mermaid(model)
    lines = _check_grammar(text)
    participants = [ln for ln in lines if ln.startswith("    participant ")]
    assert len(participants) == len(model.lifelines)
    arrows = [ln for ln in lines if re.match(r"^    p\d+(->>|-x)p\d+:", ln)]
    assert len(arrows) == len(model.messages)
    index = {lf.id: i for i, lf in enumerate(model.lifelines)}
    for line, msg in zip(arrows, model.messages, strict=True):
        arrow = "-x" if msg.status == "fail" else "->>"
        assert line.startswith(f"    p{index[msg.source]}{arrow}p{index[msg.target]}: ")
        assert line.endswith(f"({msg.status})")
    failure_notes = [ln for ln in lines if "Note over" in ln and "✗" in ln]
    assert len(failure_notes) == 1 and "iam.ecr-auth" in failure_notes[0]
    assert to_mermaid(snap, diag) == text


def test_no_failure_note_when_nothing_fails(healthy):
    text = to_mermaid(*healthy)
    _check_grammar(text)
    assert "-x" not in text and "✗" not in text


HOSTILE = [
    "evil\n    participant x as Injected",
    "a;b#c<script>alert(1)</script>",
    "%%{init: {'theme':'dark'}}%%",
    "role -->> p0: forged message",
    "x\r\nNote over p0: forged",
    "#59; already an entity",
    "tab\there and \x1b[31mansi",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_cannot_inject_mermaid(name):
    snap = make_snapshot(secrets=False, execution_role=f"arn:aws:iam::{ACCT}:role/{name}")
    snap.subject["task"] = name
    findings = passing(snap) + [Finding("exec-role.trust", "fail", "assume-role", f"trust of {name} is wrong")]
    model = sequence_model(snap, make_diagnosis(snap, findings))
    text = to_mermaid(model)
    lines = _check_grammar(text)
    expected = 1 + 1 + len(model.lifelines) + len(model.messages) + len({m.step for m in model.messages}) + 1
    assert len(lines) == expected
    assert all(not ln.split(" as ", 1)[1].startswith("Injected") for ln in lines if ln.startswith("    participant"))
    texts = [re.split(r": | as | title ", ln, maxsplit=1)[-1] for ln in lines[1:]]
    stripped = re.sub(r"#\w+;", "", "\n".join(texts))
    for ch in ";<>{}%`#\r\x1b":
        assert ch not in stripped


def test_escape_round_trips_through_mermaid_entities():
    assert escape_mermaid("a;b") == "a#59;b"
    assert escape_mermaid("#59;") == "#35;59#59;"
    assert escape_mermaid("<x>") == "#lt;x#gt;"
    assert escape_mermaid("line\nbreak") == "line break"
    assert escape_mermaid("a:b,c-d", label=True) == "a#58;b#44;c#45;d"
    assert len(escape_mermaid("x" * 1000, limit=50)) == 50


def test_to_mermaid_rejects_other_inputs(healthy):
    with pytest.raises(TypeError):
        to_mermaid("sequenceDiagram")
    with pytest.raises(TypeError):
        to_mermaid(healthy[0])
