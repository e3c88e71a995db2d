"""Wildcards and policy variables, compiled once (to regular expressions, or a linear-time matcher).

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
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def literal_text(template: Template) -> str:
    """The text a resolved template stands for, wildcards kept as written."""
    return "".join(p[1] for p in template)


# -- wildcard tokens, regular expressions and a linear-time matcher ------------------------------
#: A token is (kind, value): ("c", character) a literal; ("?", crosses_colon) one character;
#: ("*", crosses_colon) any run of characters. ``crosses_colon`` False means ":" is excluded.
Token = tuple[str, Any]
#: Patterns with more stars than this are matched by `nfa_match`, never by a backtracking regex
#: (a hostile "*a*a*a*a*b" would otherwise take exponential time).
MAX_REGEX_STARS = 2


def glob_tokens(template: Template) -> list[Token]:
    """``*`` and ``?`` anywhere; escaped parts literal."""
    out: list[Token] = []
    for kind, text in template:
        for ch in text:
            if kind == "lit" and ch == "*":
                if not out or out[-1] != ("*", True):  # "**" means "*"
                    out.append(("*", True))
            elif kind == "lit" and ch == "?":
                out.append(("?", True))
            else:
                out.append(("c", ch))
    return out


def resource_tokens(template: Template) -> list[Token]:
    """The Resource-element dialect (see the module docstring)."""
    flat: list[tuple[str, bool]] = []  # (character, is it a live wildcard)
    for kind, text in template:
        for ch in text:
            flat.append((ch, kind == "lit" and ch in "*?"))
    out: list[Token] = []
    colons = 0
    for i, (ch, live) in enumerate(flat):
        if not live:
            out.append(("c", ch))
            if ch == ":" and colons < 5:
                colons += 1
        elif ch == "?":
            out.append(("?", colons >= 5))
        else:
            ends_segment = i + 1 == len(flat) or flat[i + 1] == (":", False)
            token = ("*", colons >= 5 or ends_segment)
            if not out or out[-1][0] != "*":
                out.append(token)
            elif token[1]:
                out[-1] = token  # "**": the wider of the two
    return out


def tokens_regex(tokens: list[Token]) -> str:
    parts = []
    for kind, value in tokens:
        if kind == "c":
            parts.append(re.escape(value))
        elif kind == "?":
            parts.append("." if value else "[^:]")
        else:
            parts.append(".*" if value else "[^:]*")
    return "".join(parts)


def nfa_match(tokens: list[Token], text: str) -> bool:
    """Wildcard matching in O(len(tokens) * len(text)), whatever the pattern."""
    n = len(tokens)

    def closure(states: set[int]) -> set[int]:
        stack = list(states)
        while stack:
            i = stack.pop()
            if i < n and tokens[i][0] == "*" and i + 1 not in states:
                states.add(i + 1)
                stack.append(i + 1)
        return states

    states = closure({0})
    for ch in text:
        following: set[int] = set()
        for i in states:
            if i == n:
                continue
            kind, value = tokens[i]
            if kind == "c":
                if value == ch:
                    following.add(i + 1)
            elif value or ch != ":":
                following.add(i + 1 if kind == "?" else i)
        if not following:
            return False
        states = closure(following)
    return n in states


def glob_regex(template: Template) -> str:
    return tokens_regex(glob_tokens(template))


def resource_regex(template: Template) -> str:
    return tokens_regex(resource_tokens(template))


def make_matcher(tokens: list[Token], ignore_case: bool = False) -> Any:
    """A function text -> bool for these tokens: a compiled regex when that is safe, else the NFA."""
    if sum(1 for kind, _ in tokens if kind == "*") <= MAX_REGEX_STARS:
        regex = compiled(tokens_regex(tokens), ignore_case)
        return lambda text: regex.fullmatch(text) is not None
    if ignore_case:
        lowered = [("c", v.lower()) if k == "c" else (k, v) for k, v in tokens]
        return lambda text: nfa_match(lowered, text.lower())
    return lambda text: nfa_match(tokens, text)


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


def arn_segment_tokens(template: Template) -> list[list[Token]] | None:
    """Glob tokens per ARN component, or None when the pattern is not a six-part ARN."""
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
    return [glob_tokens(tuple(seg)) for seg in segments]


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
            segments = arn_segment_tokens(template)
            self._regex = None if segments is None else [make_matcher(t) for t in segments]
            return
        has_wild = any(kind == "lit" and ("*" in text or "?" in text) for kind, text in template)
        if not has_wild:
            lit = literal_text(template)
            self._literal = lit.lower() if self.ignore_case else lit
            return
        tokens = glob_tokens(template) if self.dialect == "glob" else resource_tokens(template)
        self._regex = make_matcher(tokens, self.ignore_case)

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
            return all(match(p) for match, p in zip(self._regex, parts, strict=True))
        return self._regex(value)

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
