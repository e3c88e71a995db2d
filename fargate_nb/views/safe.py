"""Text from AWS made safe to show: no control characters, ANSI escapes, line breaks or bidi overrides.

A resource name, a tag or a stopped reason is chosen by whoever controls the account (or the
registry). Shown raw, a newline or a carriage return could forge a line of the report ("✓ No failing
prerequisite found"), an ANSI escape could repaint the terminal, and a bidi override (U+202E) could
make one name read as another. Every face passes such text through here; HTML and Markdown then
escape their own syntax on top.
"""

from __future__ import annotations

import re
from typing import Any

_ANSI = r"\x1b\[[0-9;?]*[ -/]*[@-~]"
# C0 and C1 controls, DEL, line/paragraph separators, bidi marks, embeddings, overrides and isolates.
_INVISIBLE = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_UNSAFE_LINE = re.compile(f"(?:{_ANSI}|[{_INVISIBLE}\t\n\r])+")
_UNSAFE_KEEP_LINES = re.compile(f"{_ANSI}|[{_INVISIBLE}]")


def one_line(text: Any, limit: int | None = None) -> str:
    """One line of plain text: every control, escape and bidi character becomes a space; long text is cut."""
    line = _UNSAFE_LINE.sub(" ", str(text if text is not None else "")).strip()
    if limit is not None and len(line) > limit:
        return line[: limit - 1] + "…"
    return line


def keep_lines(text: Any) -> str:
    """Text that may span lines (tabs and newlines kept), with every other control or bidi character dropped."""
    return _UNSAFE_KEEP_LINES.sub("", str(text if text is not None else ""))
