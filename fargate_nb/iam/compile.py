"""Parse a policy document once into a fast, checked form (and cache it).

A broken document never evaluates silently: bad JSON, a missing Effect, Action together with
NotAction, an unknown element or condition operator, wrong types ... raise `PolicyError` naming
the statement. Compiled documents are cached: by object identity with a content check (an
equal deep copy is kept, so a dict edited in place is noticed) and by canonical JSON text.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from fargate_nb.iam.conditions import Condition, compile_conditions
from fargate_nb.iam.model import PolicyError
from fargate_nb.iam.patterns import Pattern
from fargate_nb.iam.principals import PrincipalSet

VERSIONS = ("2012-10-17", "2008-10-17")
STATEMENT_ELEMENTS = {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal",
                      "NotPrincipal", "Condition"}
DOCUMENT_ELEMENTS = {"Version", "Id", "Statement"}


@dataclass
class CompiledStatement:
    index: int
    sid: str | None
    effect: str  # "Allow" | "Deny"
    raw: dict[str, Any]
    actions: tuple[Pattern, ...]
    not_action: bool
    resources: tuple[Pattern, ...] | None  # None: no Resource element (resource policies)
    not_resource: bool
    principals: PrincipalSet | None  # None: no Principal element
    not_principal: bool
    conditions: tuple[Condition, ...]
    dynamic_resources: bool = False
    _action_memo: dict[str, bool] = field(default_factory=dict, repr=False)
    _resource_memo: dict[str, bool] = field(default_factory=dict, repr=False)

    @property
    def is_allow(self) -> bool:
        return self.effect == "Allow"

    @property
    def has_principal(self) -> bool:
        return self.principals is not None

    def action_matches(self, action: str) -> bool:
        """Action/NotAction (case-insensitive); memoised per action name."""
        hit = self._action_memo.get(action)
        if hit is None:
            hit = any(p.matches(action) for p in self.actions)
            if self.not_action:
                hit = not hit
            if len(self._action_memo) < 256:
                self._action_memo[action] = hit
        return hit

    def resource_matches(self, resource: str, values: dict[str, Any], unknown: frozenset[str]) -> bool:
        """Resource/NotResource (case-sensitive). Raises `Unresolved` for a missing variable."""
        if self.resources is None:
            return True
        if self.dynamic_resources:
            # resolve every variable first: an unresolvable one invalidates the whole statement
            hits = [p.matches(resource, values, unknown) for p in self.resources]
            hit = any(hits)
            return not hit if self.not_resource else hit
        hit = self._resource_memo.get(resource)
        if hit is None:
            hit = any(p.matches(resource) for p in self.resources)
            if self.not_resource:
                hit = not hit
            if len(self._resource_memo) < 256:
                self._resource_memo[resource] = hit
        return hit


@dataclass
class CompiledPolicy:
    version: str
    statements: tuple[CompiledStatement, ...]
    document: dict[str, Any]
    checked_roles: set[str] = field(default_factory=set, repr=False)
    _by_action: dict[str, tuple[CompiledStatement, ...]] = field(default_factory=dict, repr=False)

    @property
    def variables(self) -> bool:
        return self.version == "2012-10-17"

    def for_action(self, action: str) -> tuple[CompiledStatement, ...]:
        """The statements whose Action/NotAction covers ``action`` (memoised per action)."""
        hit = self._by_action.get(action)
        if hit is None:
            hit = tuple(st for st in self.statements if st.action_matches(action))
            if len(self._by_action) < 512:
                self._by_action[action] = hit
        return hit


# -- parsing --------------------------------------------------------------------------------------
def load_document(doc: Any) -> dict[str, Any]:
    """A policy given as a dict or JSON text, checked to be a JSON object."""
    if isinstance(doc, (bytes, bytearray)):
        doc = doc.decode("utf-8", errors="replace")
    if isinstance(doc, str):
        try:
            doc = json.loads(doc)
        except json.JSONDecodeError as exc:
            raise PolicyError(f"not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}") from exc
    if not isinstance(doc, dict):
        raise PolicyError(f"a policy document must be a JSON object, not {type(doc).__name__}")
    return doc


def _strings(value: Any, element: str, *, allow_empty: bool = True) -> list[str]:
    items = value if isinstance(value, list) else [value]
    for item in items:
        if not isinstance(item, str):
            raise PolicyError(f"{element} values must be strings, got {type(item).__name__}")
    if not items and not allow_empty:
        raise PolicyError(f"{element} must not be empty")
    return items


def _compile_action(text: str) -> Pattern:
    if text != "*" and ":" not in text:
        raise PolicyError(f"action {text!r} is not in the form service:action")
    return Pattern(text, "glob", ignore_case=True)


def compile_statement(index: int, st: Any, version: str) -> CompiledStatement:
    if not isinstance(st, dict):
        raise PolicyError("a statement must be a JSON object", index=index)
    sid = st.get("Sid")
    try:
        if sid is not None and not isinstance(sid, str):
            raise PolicyError("Sid must be a string")
        sid_text = sid if isinstance(sid, str) else None
        unknown = set(st) - STATEMENT_ELEMENTS
        if unknown:
            raise PolicyError(f"unknown element(s) {', '.join(sorted(map(str, unknown)))} "
                              f"(element names are case-sensitive: {', '.join(sorted(STATEMENT_ELEMENTS))})")
        effect = st.get("Effect")
        if effect not in ("Allow", "Deny"):
            raise PolicyError("Effect is missing" if effect is None
                              else f"Effect must be \"Allow\" or \"Deny\", not {effect!r}")
        if ("Action" in st) == ("NotAction" in st):
            raise PolicyError("a statement needs exactly one of Action or NotAction"
                              if "Action" in st else "Action (or NotAction) is missing")
        if "Resource" in st and "NotResource" in st:
            raise PolicyError("a statement cannot have both Resource and NotResource")
        if "Principal" in st and "NotPrincipal" in st:
            raise PolicyError("a statement cannot have both Principal and NotPrincipal")
        not_action = "NotAction" in st
        actions = tuple(_compile_action(a) for a in _strings(st["NotAction" if not_action else "Action"],
                                                               "NotAction" if not_action else "Action"))
        variables = version == "2012-10-17"
        resources = None
        not_resource = "NotResource" in st
        if "Resource" in st or not_resource:
            element = "NotResource" if not_resource else "Resource"
            resources = tuple(Pattern(r, "resource", variables=variables)
                              for r in _strings(st[element], element))
        principals = None
        not_principal = "NotPrincipal" in st
        if "Principal" in st or not_principal:
            principals = PrincipalSet(st["NotPrincipal" if not_principal else "Principal"])
        conditions = compile_conditions(st.get("Condition"), variables=variables)
    except PolicyError as exc:
        raise PolicyError(exc.detail, index=index, sid=sid if isinstance(sid, str) else None) from exc
    return CompiledStatement(
        index=index, sid=sid_text, effect=effect, raw=st, actions=actions, not_action=not_action,
        resources=resources, not_resource=not_resource, principals=principals,
        not_principal=not_principal, conditions=conditions,
        dynamic_resources=bool(resources) and any(p.dynamic for p in resources),
    )


def _compile_uncached(doc: dict[str, Any]) -> CompiledPolicy:
    unknown = set(doc) - DOCUMENT_ELEMENTS
    if unknown:
        raise PolicyError(f"unknown top-level element(s) {', '.join(sorted(map(str, unknown)))}")
    version = doc.get("Version", "2008-10-17")
    if version not in VERSIONS:
        raise PolicyError(f"Version must be \"2012-10-17\" or \"2008-10-17\", not {version!r}")
    if "Statement" not in doc:
        raise PolicyError("the document has no Statement")
    raw = doc["Statement"]
    statements = raw if isinstance(raw, list) else [raw]
    compiled = tuple(compile_statement(i, st, version) for i, st in enumerate(statements))
    return CompiledPolicy(version=version, statements=compiled, document=doc)


# -- caching --------------------------------------------------------------------------------------
_LOCK = threading.Lock()
_BY_ID: OrderedDict[int, tuple[Any, Any, CompiledPolicy]] = OrderedDict()  # id -> (obj, copy, compiled)
_BY_TEXT: OrderedDict[str, CompiledPolicy] = OrderedDict()
_MAX = 512
stats = {"compiles": 0}  # how many documents were actually parsed and compiled


def _remember(cache: OrderedDict, key: Any, value: Any) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > _MAX:
        cache.popitem(last=False)


def compile_policy(doc: Any, label: str | None = None) -> CompiledPolicy:
    """Compile a policy document (dict or JSON text); a document seen before is not parsed again.

    Raises `PolicyError` (naming ``label`` when given) for a malformed document.
    """
    if isinstance(doc, CompiledPolicy):
        return doc
    try:
        # reads need no lock: a dict lookup is atomic, and entries are never mutated
        if doc.__class__ is dict:
            entry = _BY_ID.get(id(doc))
            if entry is not None and entry[0] is doc and entry[1] == doc:
                return entry[2]
        elif doc.__class__ is str:
            hit = _BY_TEXT.get(doc)
            if hit is not None:
                return hit
        loaded = load_document(doc)
        try:
            canonical = json.dumps(loaded, sort_keys=True, separators=(",", ":"))
        except (TypeError, ValueError) as exc:
            raise PolicyError(f"the document is not plain JSON data: {exc}") from exc
        with _LOCK:
            result = _BY_TEXT.get(canonical)
        if result is None:
            stats["compiles"] += 1
            result = _compile_uncached(json.loads(canonical) if isinstance(doc, dict) else loaded)
            with _LOCK:
                _remember(_BY_TEXT, canonical, result)
        with _LOCK:
            if isinstance(doc, str):
                _remember(_BY_TEXT, doc, result)
            elif isinstance(doc, dict):
                _remember(_BY_ID, id(doc), (doc, json.loads(canonical), result))
        return result
    except PolicyError as exc:
        if label is not None:
            raise exc.relabel(label) from exc
        raise
    except RecursionError as exc:
        raise PolicyError("the document is nested too deeply", label=label) from exc


def clear_cache() -> None:
    """Forget every compiled document (for benchmarks and tests)."""
    with _LOCK:
        _BY_ID.clear()
        _BY_TEXT.clear()
        stats["compiles"] = 0
