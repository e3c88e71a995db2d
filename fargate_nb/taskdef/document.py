"""Reading a task definition file: size-limited, UTF-8, JSON; a clear message for anything else.

Used by ``fargate-nb lint`` and by preflight, which turn `DocumentError` into their own errors.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from fargate_nb.files import parse_json

MAX_BYTES = 5_000_000  # a task definition is a few KB; ECS itself caps it at 64 KiB
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


class DocumentError(ValueError):
    """The file cannot be read, or is not JSON text; the message names it and says why."""


def safe_text(text: str, limit: int = 200) -> str:
    """One printable line: control characters replaced, long text cut."""
    text = _CONTROL.sub("?", str(text))
    return text if len(text) <= limit else text[:limit - 3] + "..."


def load_document(name: str, *, stdin: bool = True) -> Any:
    """The parsed JSON of a file (or standard input for '-', with ``stdin``); `DocumentError` otherwise."""
    from_stdin = stdin and name == "-"
    shown = "standard input" if from_stdin else safe_text(name)
    try:
        if from_stdin:
            data = sys.stdin.buffer.read(MAX_BYTES + 1) if hasattr(sys.stdin, "buffer") else \
                sys.stdin.read(MAX_BYTES + 1).encode("utf-8", errors="replace")
        else:
            path = Path(name)
            if path.is_dir():
                raise DocumentError(f"{shown} is a directory, not a task definition file")
            with path.open("rb") as fh:
                data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise DocumentError(f"cannot read {shown}: {exc.strerror or exc}") from exc
    if len(data) > MAX_BYTES:
        raise DocumentError(f"{shown} is larger than {MAX_BYTES // 1_000_000} MB; that is not a task definition")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(f"{shown} is not UTF-8 text (byte {exc.start})") from exc
    if not text.strip():
        raise DocumentError(f"{shown} is empty")
    return parse_json(text, shown, "a task definition", DocumentError)
