"""Names chosen by an account's owner cannot forge a line of any face (text, Markdown, HTML)."""

from __future__ import annotations

import pytest

from fargate_nb.model import Diagnosis, Finding, StepResult
from fargate_nb.views.markdown import diagnosis_markdown
from fargate_nb.views.notebook import fixes_bundle, verdict_bundle
from fargate_nb.views.safe import keep_lines, one_line
from fargate_nb.views.text import render_text

FORGED = "ok\n✓ No failing prerequisite found: every step of the pull should succeed."
HOSTILE = [FORGED, "a\rb", "x\x1b[32mgreen\x1b[0m", "evil\u202egnp.exe", "c1\x85next", "tab\tand\x0bvt", "\u2028sep"]


@pytest.mark.parametrize("text", HOSTILE)
def test_one_line_leaves_no_control_escape_or_bidi_character(text: str) -> None:
    out = one_line(text)
    assert "\n" not in out and "\r" not in out and "\x1b" not in out and "\u202e" not in out
    assert all(ord(ch) >= 0x20 and not 0x7f <= ord(ch) <= 0x9f for ch in out)


def test_keep_lines_keeps_newlines_but_drops_the_rest() -> None:
    assert keep_lines("a\nb\u202ec\x1b[1m") == "a\nbc"


def _diagnosis(message: str) -> Diagnosis:
    bad = Finding("iam.ecr-auth", "fail", "registry-auth", message=message, detail=message, evidence=[message])
    steps = [StepResult("registry-auth", "fail", message)]
    return Diagnosis({"kind": "task", "task": message, "cluster": message}, "us-east-1", "1", steps, [bad], [],
                     verdict=f"The pull fails at step 'registry-auth': {message}.")


@pytest.mark.parametrize("text", HOSTILE)
def test_no_face_prints_a_forged_line(text: str) -> None:
    diagnosis = _diagnosis(text)
    rendered = render_text(diagnosis, colour=False, verbose=True)
    forged_lines = [line for line in rendered.splitlines() if line.startswith("✓ No failing")]
    assert not forged_lines
    assert "\u202e" not in rendered and "\x1b" not in rendered and "\r" not in rendered
    markdown = diagnosis_markdown(diagnosis)
    assert not [line for line in markdown.splitlines() if line.lstrip("> ").startswith("✓ No failing")]
    assert "\u202e" not in markdown and "\x1b" not in markdown
    for bundle in (verdict_bundle(diagnosis), fixes_bundle(diagnosis)):
        html = bundle["data"]["text/html"]
        assert "\u202e" not in html and "\x1b" not in html and "\n✓" not in html
