"""The mermaid twin draws the same call sequence as the figure, and nothing from AWS can become mermaid syntax."""

from __future__ import annotations

import re

import pytest

from fargate_nb.model import Finding
from fargate_nb.views.diagram import sequence_figure
from fargate_nb.views.mermaid import escape_mermaid, to_mermaid
from tests.support.diagnoses import make_diagnosis, passing
from tests.support.view_scenarios import ACCT, make_snapshot

# Every line to_mermaid may write; anything else would be injected syntax.
_ALLOWED = [
    re.compile(r"^sequenceDiagram$"),
    re.compile(r"^    title [^\n;#<>]*(?:#\w+;[^\n;#<>]*)*$"),
    re.compile(r"^    participant p\d+ as [^\n;#<>:,+-]*(?:#\w+;[^\n;#<>:,+-]*)*$"),
    re.compile(r"^    p\d+(?:->>|-x)p\d+: [✓✗!?–] [^\n;#<>]*(?:#\w+;[^\n;#<>]*)* \((?:pass|fail|warn|unknown|skipped)\)$"),
    re.compile(r"^    p\d+-->>p\d+: · [^\n;#<>]*(?:#\w+;[^\n;#<>]*)* \(not reached\)$"),
    re.compile(r"^    Note over p\d+(?:,p\d+)?: [^\n;#<>]*(?:#\w+;[^\n;#<>]*)*$"),
]


def _check_grammar(text: str) -> list[str]:
    lines = text.rstrip("\n").split("\n")
    for line in lines:
        assert any(p.match(line) for p in _ALLOWED), f"unexpected mermaid line: {line!r}"
    return lines


def test_arrows_and_participants_match_the_sequence(auth_broken):
    _, diag = auth_broken
    seq = diag.sequence
    text = to_mermaid(diag)
    lines = _check_grammar(text)
    participants = [ln for ln in lines if ln.startswith("    participant ")]
    assert len(participants) == len(seq.lifelines)
    arrows = [ln for ln in lines if re.match(r"^    p\d+(->>|-x|-->>)p\d+:", ln)]
    assert len(arrows) == len(seq.calls)
    index = {lf.id: i for i, lf in enumerate(seq.lifelines)}
    for line, call in zip(arrows, seq.calls, strict=True):
        arrow = "-->>" if not call.reached else ("-x" if call.status == "fail" else "->>")
        assert line.startswith(f"    p{index[call.source]}{arrow}p{index[call.target]}: ")
        assert line.endswith(f"({call.status})" if call.reached else "(not reached)")
    assert sum("-x" in ln for ln in arrows) == 1
    assert any("-->>" in ln for ln in arrows)  # the calls after the failure are dashed
    failure_notes = [ln for ln in lines if "Note over" in ln and "✗" in ln]
    assert len(failure_notes) == 1 and "iam.ecr-auth" in failure_notes[0]
    assert to_mermaid(diag) == text


def test_mermaid_and_the_figure_agree_on_the_failure(auth_broken):
    _, diag = auth_broken
    meta = sequence_figure(diag).layout.meta["first_failure"]
    failing = [ln for ln in to_mermaid(diag).splitlines() if "-x" in ln]
    assert len(failing) == 1 and escape_mermaid(meta["call"], 120) in failing[0]


def test_no_failure_note_when_nothing_fails(healthy):
    text = to_mermaid(healthy[1])
    _check_grammar(text)
    assert "-x" not in text and "✗" not in text and "not reached" not in text
    assert text.count("->>") == len(healthy[1].sequence.calls)


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
    diag = make_diagnosis(snap, findings)
    seq = diag.sequence
    text = to_mermaid(diag)
    lines = _check_grammar(text)
    expected = 1 + 1 + len(seq.lifelines) + len(seq.calls) + len({c.step for c in seq.calls}) + 1
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
        to_mermaid(healthy[0])  # a Snapshot: views render a Diagnosis only
    with pytest.raises(TypeError):
        to_mermaid(healthy[1].sequence)


def test_an_empty_sequence_still_gives_valid_mermaid():
    from fargate_nb.model import Snapshot

    text = to_mermaid(make_diagnosis(Snapshot(region="us-east-1"), []))
    lines = _check_grammar(text)
    assert lines[-1] == "    Note over p0: no calls to draw"
