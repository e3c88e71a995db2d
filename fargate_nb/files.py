"""Files the kit writes: private to their user (0600 files, 0700 folders, DESIGN.md) and replaced atomically,
so an interrupted write never leaves a half-written snapshot or report."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import tempfile
from pathlib import Path
from typing import Any


def write_json_atomic(path: str | os.PathLike[str], data: Any) -> Path:
    """Write JSON to a temporary file in the same folder, then rename it into place."""
    return write_text_atomic(path, json.dumps(data, indent=2, default=str) + "\n")


#: Every file the kit writes is private to its user, and so is every folder it creates (DESIGN.md).
PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700


def private_dir(path: str | os.PathLike[str]) -> Path:
    """Create the folder ``path`` and its missing parents with mode 0700; existing folders are left alone.

    Raises `FileExistsError` when ``path`` exists and is not a folder (as ``mkdir(exist_ok=True)``).
    """
    p = Path(path)
    missing: list[Path] = []
    q = p
    while not q.exists() and q != q.parent:
        missing.append(q)
        q = q.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # created meanwhile by someone else: left as it is
            folder.mkdir(mode=PRIVATE_DIR_MODE)
    if not p.is_dir():
        raise FileExistsError(errno.EEXIST, "exists and is not a folder", str(p))
    return p


def private_file(path: str | os.PathLike[str]) -> Path:
    """Make a file the kit wrote (or a library wrote for it, e.g. papermill) readable by its user only."""
    p = Path(path)
    p.chmod(PRIVATE_FILE_MODE)
    return p


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to a private (0600) temporary file in the same folder, then rename it into place.

    The folder is created (0700) if missing. An existing file at ``path`` is replaced, not reused, so
    the result is 0600 whatever the previous file's mode was.
    """
    p = Path(path)
    private_dir(p.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return p


def parse_json(text: str, shown: str, what: str, error: type[Exception]) -> Any:
    """``json.loads`` whose failures are one clear ``error`` naming the file (``shown``) and what it should be."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise error(f"{shown} is not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}") from exc
    except RecursionError as exc:
        raise error(f"{shown} is nested too deeply to be {what}") from exc
    except ValueError as exc:  # an integer longer than Python converts (4300 digits)
        raise error(f"{shown} holds a number too long to read; that is not {what}") from exc
