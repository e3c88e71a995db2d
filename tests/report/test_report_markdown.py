"""The Markdown view: escaping of untrusted text, fences, tables, and the diagnosis document."""

from __future__ import annotations

import re

import mistune
import pytest

from fargate_nb.views.markdown import code_span, diagnosis_markdown, fenced, md_escape, safe_link, table
from tests.support.diagnoses import diagnosis_for
from tests.support.report_scenarios import (
    HOSTILE_LOG_GROUP,
    HOSTILE_REASON,
    HOSTILE_ROLE,
    hostile_snapshot,
    snapshot,
)


def render(md: str) -> str:
    """Markdown to HTML with raw HTML *allowed*, as GitHub-like renderers do."""
    return mistune.create_markdown(escape=False, plugins=["table", "strikethrough", "url"])(md)


def text_of(html_text: str) -> str:
    import html

    return html.unescape(re.sub(r"<[^>]+>", "", html_text))


@pytest.mark.parametrize("hostile", [
    "<script>alert(1)</script>", "# heading", "a | b", "`code`", "[x](javascript:alert(1))", "**bold**",
    "1. item", "2) item", "- item", "a\n# b\n<img src=x onerror=alert(1)>", "&amp; &lt;", "x_y_z *a* ~~s~~", "!\\[i](u)",
])
def test_escaped_text_renders_as_exactly_the_same_text(hostile):
    out = render(md_escape(hostile))
    assert "<script" not in out and "<img" not in out and "<a " not in out and "<h1" not in out
    assert "<strong" not in out and "<em" not in out and "<del" not in out and "<li" not in out
    expected = re.sub(r"\s*\n\s*", " ", hostile).strip()  # newlines become spaces: one line of text
    assert text_of(out).strip() == expected


def test_control_characters_and_ansi_escapes_are_dropped():
    assert md_escape("a\x1b[31mred\x1b[0m\x00b") == "aredb"


def test_a_table_keeps_its_columns_whatever_the_cells_hold():
    md = table(("a", "b"), [("x | y", "`|`"), ("line\nbreak", "<td>")])
    out = render(md)
    assert out.count("<tr>") == 3
    rows = re.findall(r"<tr>(.*?)</tr>", out, re.S)
    assert all(r.count("<td") == 2 for r in rows[1:])
    assert "x | y" in text_of(rows[1]) and "<td>" in text_of(rows[2])


def test_fence_is_longer_than_any_backtick_run_in_the_body():
    body = "echo ````` done\n```\n# not a heading"
    block = fenced(body, "sh")
    out = render(block)
    assert "<h1" not in out and text_of(out).strip() == body


def test_code_span_falls_back_to_escaped_text_when_it_could_break_out():
    assert code_span("arn:aws:iam::1:role/x") == "`arn:aws:iam::1:role/x`"
    assert "`" not in code_span("a`b").replace("\\`", "")
    assert "\\|" in code_span("a|b")


def test_only_plain_https_links_become_links():
    assert safe_link("https://docs.aws.amazon.com/x.html#y", "docs").startswith("[docs](<https://")
    for bad in ("javascript:alert(1)", "http://example.com", "https://x.example/<script>", "https://x y"):
        assert "](" not in safe_link(bad)


def test_diagnosis_markdown_has_the_verdict_steps_findings_fixes_and_gaps():
    snap = snapshot()
    md = diagnosis_markdown(diagnosis_for(snap), snap)
    headings = re.findall(r"^#+ .*", md, re.M)
    assert headings[0].startswith("# fargate-nb diagnosis of task")
    for section in ("## Stopped reason", "## Pull steps", "## Findings", "## What could not be read"):
        assert section in headings
    assert "❌ FAIL — The image pull fails." in md
    assert "```sh\naws iam create-role --role-name 'payments-exec'" in md
    assert "iam:SimulatePrincipalPolicy" in md
    out = render(md)
    assert out.count("<table>") >= 3  # steps, passing/advice, gaps


def test_hostile_strings_in_reason_role_and_log_group_stay_text():
    snap = hostile_snapshot()
    md = diagnosis_markdown(diagnosis_for(snap), snap)
    # Outside fenced blocks, no raw HTML and no heading the kit did not write.
    outside = re.sub(r"^(`{3,})[^\n]*\n.*?^\1$", "", md, flags=re.M | re.S)
    assert "<script" not in outside and "<img" not in outside and "<b>" not in outside
    headings = re.findall(r"^#+ .*", outside, re.M)
    assert all(h.split(" ", 1)[1].startswith(("fargate-nb", "Stopped", "Pull", "Findings", "What", "❌", "❔"))
               for h in headings), headings
    out = render(md)
    assert "<script" not in out and "<img" not in out and "<b>" not in out and "javascript:" not in re.sub(
        r">[^<]*<", "><", out)  # 'javascript:' may appear as text, never in an attribute
    visible = text_of(out)
    assert "<script>window.__pwned='reason'</script>" in visible
    assert HOSTILE_ROLE in visible
    assert HOSTILE_LOG_GROUP.split("\n")[0] in visible
    assert HOSTILE_REASON.split("\n")[1] in visible  # the injected heading is a plain sentence
