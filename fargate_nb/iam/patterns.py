"""Wildcards and policy variables, compiled once to regular expressions.

Three dialects, as AWS documents them:
- *glob* (Action, StringLike): ``*`` any run of characters, ``?`` any one character, anywhere.
- *resource* (the Resource element): wildcards work within each colon-separated ARN segment;
  a ``*`` that ends one of the first five segments may run past the colons that follow
  ("IAM JSON policy elements: Resource", Using wildcards in resource ARNs); in the resource
  part (after the fifth colon) ``*`` and ``?`` match any character, ``/`` and ``:`` included.
- *arn* (ArnLike/ArnEquals conditions): "each of the six colon-delimited components of the ARN is
  checked separately", so wildcards never cross a segment colon.

Policy variables (``${aws:username}``, ``${aws:PrincipalTag/team, 'none'}``, and the escapes
``${*}``, ``${?}``, ``${$}``) exist only in policies whose Version is 2012-10-17; in older
documents the text is literal. A variable's value is always matched literally.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_ESCAPES = {"*": "*", "?": "?", "$": "$"}


class Unresolved(Exception):
    """A policy variable whose key the request does not carry (and that has no default)."""

    def __init__(self, key: str, unknown: bool) -> None:
        super().__init__(key)
        self.key = key
        self.unknown = unknown  # the key is carried by the request but its value is unknown


@dataclass(frozen=True)
class Var:
    key: str  # lower-cased condition key
    default: str | None


#: A template is a tuple of parts: ("lit", text-with-wildcards), ("esc", literal text), Var.
Template = tuple[Any, ...]


def parse_template(text: str, variables: bool) -> Template:
    """Split a policy string into literal text and variables (only when ``variables`` is on)."""
    if not variables or "${" not in text:
        return (("lit", text),)
    parts: list[Any] = []
    pos = 0
    for m in _VARIABLE.finditer(text):
        if m.start() > pos:
            parts.append(("lit", text[pos:m.start()]))
        inner = m.group(1).strip()
        if inner in _ESCAPES:
            parts.append(("esc", _ESCAPES[inner]))
        else:
            key, _, default = inner.partition(",")
            default = default.strip()
            if default:
                if len(default) >= 2 and default[0] == default[-1] == "'":
                    default = default[1:-1]
                parts.append(Var(key.strip().lower(), default))
            else:
                parts.append(Var(key.strip().lower(), None))
        pos = m.end()
    if pos < len(text):
        parts.append(("lit", text[pos:]))
    return tuple(parts)


def has_variables(template: Template) -> bool:
    return any(isinstance(p, Var) or p[0] == "esc" for p in template)


def resolve(template: Template, values: dict[str, Any], unknown: frozenset[str]) -> Template:
    """Replace each variable by its value from the request (as literal text)."""
    out: list[Any] = []
    for part in template:
        if isinstance(part, Var):
            if part.key in unknown:
                raise Unresolved(part.key, True)
            value = values.get(part.key)
            if isinstance(value, (list, tuple)) and len(value) == 1:
                value = value[0]
            if value is None or isinstance(value, (list, tuple, dict)):
                if part.default is None:
                    raise Unresolved(part.key, False)
                value = part.default
            out.append(("esc", _as_text(value)))
        else:
            out.append(part)
    return tuple(out)


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def literal_text(template: Template) -> str:
    """The text a resolved template stands for, wildcards kept as written."""
    return "".join(p[1] for p in template)


# -- regular expressions ------------------------------------------------------------------------
def glob_regex(template: Template) -> str:
    """``*`` and ``?`` anywhere; escaped parts literal."""
    out = []
    for kind, text in template:
        if kind == "esc":
            out.append(re.escape(text))
            continue
        for ch in text:
            out.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
    return "".join(out)


def resource_regex(template: Template) -> str:
    """The Resource-element dialect (see the module docstring)."""
    flat: list[tuple[str, bool]] = []  # (character, is_wildcard_capable)
    for kind, text in template:
        for ch in text:
            flat.append((ch, kind == "lit"))
    out = []
    colons = 0
    for i, (ch, live) in enumerate(flat):
        if ch == ":" and colons < 5:
            colons += 1
            out.append(":")
        elif live and ch == "*":
            if colons >= 5:
                out.append(".*")
            else:
                ends_segment = i + 1 == len(flat) or flat[i + 1][0] == ":"
                out.append(".*" if ends_segment else "[^:]*")
        elif live and ch == "?":
            out.append("." if colons >= 5 else "[^:]")
        else:
            out.append(re.escape(ch))
    return "".join(out)


@lru_cache(maxsize=4096)
def compiled(regex: str, ignore_case: bool = False) -> re.Pattern[str]:
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile(regex, flags)


def split_arn(value: str) -> list[str] | None:
    """The six ARN components, or None when ``value`` is not shaped like an ARN."""
    parts = value.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    return parts


def arn_segment_regexes(template: Template) -> list[str] | None:
    """One glob regex per ARN component, or None when the pattern is not a six-part ARN."""
    segments: list[list[Any]] = [[]]
    for kind, text in template:
        if kind == "esc" or len(segments) == 6:
            segments[-1].append((kind, text))
            continue
        pieces = text.split(":")
        for j, piece in enumerate(pieces):
            if j:
                if len(segments) == 6:  # colons in the resource part are ordinary characters
                    segments[-1].append(("lit", ":" + piece))
                    continue
                segments.append([])
            if piece:
                segments[-1].append((kind, piece))
    if len(segments) != 6:
        return None
    return [glob_regex(tuple(seg)) for seg in segments]


class Pattern:
    """A precompiled wildcard pattern: fast path for plain text and for a lone ``*``."""

    __slots__ = ("text", "template", "dialect", "ignore_case", "_regex", "_literal", "_all", "dynamic")

    def __init__(self, text: str, dialect: str, *, variables: bool = False, ignore_case: bool = False):
        self.text = text
        self.dialect = dialect  # "glob" | "resource" | "arn"
        self.ignore_case = ignore_case
        self.template = parse_template(text, variables)
        self.dynamic = any(isinstance(p, Var) for p in self.template)
        self._all = text == "*" and dialect != "arn"
        self._literal: str | None = None
        self._regex: Any = None
        if not self.dynamic:
            self._prepare(self.template)

    def _prepare(self, template: Template) -> None:
        if self.dialect == "arn":
            regexes = arn_segment_regexes(template)
            self._regex = None if regexes is None else [compiled(r) for r in regexes]
            return
        has_wild = any(kind == "lit" and ("*" in text or "?" in text) for kind, text in template)
        if not has_wild:
            lit = literal_text(template)
            self._literal = lit.lower() if self.ignore_case else lit
            return
        regex = glob_regex(template) if self.dialect == "glob" else resource_regex(template)
        self._regex = compiled(regex, self.ignore_case)

    def matches(self, value: str, values: dict[str, Any] | None = None,
                unknown: frozenset[str] = frozenset()) -> bool:
        """Whether ``value`` matches; raises `Unresolved` for a variable the request lacks."""
        if self._all:
            return True
        if self.dynamic:
            return self.resolved(values or {}, unknown).matches(value)
        if self._literal is not None:
            return (value.lower() if self.ignore_case else value) == self._literal
        if self.dialect == "arn":
            if self._regex is None:
                return False
            parts = split_arn(value)
            if parts is None:
                return False
            return all(r.fullmatch(p) is not None for r, p in zip(self._regex, parts, strict=True))
        return self._regex.fullmatch(value) is not None

    def resolved(self, values: dict[str, Any], unknown: frozenset[str]) -> Pattern:
        """This pattern with its variables replaced by the request's values (raises `Unresolved`)."""
        if not self.dynamic:
            return self
        return Pattern._from_template(resolve(self.template, values, unknown), self.dialect, self.ignore_case)

    @staticmethod
    @lru_cache(maxsize=4096)
    def _from_template(template: Template, dialect: str, ignore_case: bool) -> Pattern:
        p = Pattern.__new__(Pattern)
        p.text = literal_text(template)
        p.dialect = dialect
        p.ignore_case = ignore_case
        p.template = template
        p.dynamic = False
        p._all = False
        p._literal = None
        p._regex = None
        p._prepare(template)
        return p

    def __repr__(self) -> str:
        return f"Pattern({self.text!r}, {self.dialect})"
