"""The Condition element: every operator AWS documents, compiled once, evaluated per request.

Semantics follow "IAM JSON policy elements: Condition operators" and "Single-valued vs.
multivalued context keys":
- several operators in a block AND; several keys under one operator AND; several values for one
  key OR - for negated operators (``StringNotEquals`` ...) that means "matches none of them";
- a key absent from the request fails every operator except the negated ones, ``...IfExists``
  (true when absent) and ``Null``;
- ``ForAllValues:`` is true when every request value matches (and when the key is absent or
  empty); ``ForAnyValue:`` needs at least one matching value (false when absent or empty);
- a key declared unknown (present, value not known) makes the condition's outcome unknown,
  except for ``Null``, which only asks whether the key is present.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import operator as op
import re
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from fargate_nb.iam.model import PolicyError, Tri
from fargate_nb.iam.patterns import Pattern, literal_text, parse_template, resolve

# base operator (lower case) -> (family, negated)
OPERATORS: dict[str, tuple[str, bool]] = {
    "stringequals": ("string", False),
    "stringnotequals": ("string", True),
    "stringequalsignorecase": ("istring", False),
    "stringnotequalsignorecase": ("istring", True),
    "stringlike": ("like", False),
    "stringnotlike": ("like", True),
    "numericequals": ("num_eq", False),
    "numericnotequals": ("num_eq", True),
    "numericlessthan": ("num_lt", False),
    "numericlessthanequals": ("num_le", False),
    "numericgreaterthan": ("num_gt", False),
    "numericgreaterthanequals": ("num_ge", False),
    "dateequals": ("date_eq", False),
    "datenotequals": ("date_eq", True),
    "datelessthan": ("date_lt", False),
    "datelessthanequals": ("date_le", False),
    "dategreaterthan": ("date_gt", False),
    "dategreaterthanequals": ("date_ge", False),
    "bool": ("bool", False),
    "binaryequals": ("binary", False),
    "ipaddress": ("ip", False),
    "notipaddress": ("ip", True),
    "arnequals": ("arn", False),
    "arnlike": ("arn", False),
    "arnnotequals": ("arn", True),
    "arnnotlike": ("arn", True),
    "null": ("null", False),
}
#: Canonical spelling of each operator, for messages and the catalogue.
OPERATOR_NAMES = {
    name.lower(): name
    for name in (
        "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
        "StringLike", "StringNotLike", "NumericEquals", "NumericNotEquals", "NumericLessThan",
        "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals", "DateEquals",
        "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan",
        "DateGreaterThanEquals", "Bool", "BinaryEquals", "IpAddress", "NotIpAddress", "ArnEquals",
        "ArnLike", "ArnNotEquals", "ArnNotLike", "Null",
    )
}
#: "You can use a policy variable with the String / Boolean / ARN condition operator(s)".
_VARIABLE_FAMILIES = {"string", "istring", "like", "arn", "bool"}
_SEQUENCES = (list, tuple, set, frozenset)
_EXPECTED = {"bool": "true/false value", "null": "true/false value", "ip": "IP address or CIDR",
             "binary": "base64 value"}
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


class _Incomparable(Exception):
    """The request value has the wrong type for the operator: the comparison fails."""


# -- value parsers --------------------------------------------------------------------------------
def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise _Incomparable
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip()
    if not _NUMBER.match(text):
        raise _Incomparable
    return float(text)


def _date(value: Any) -> float:
    """Seconds since the epoch, from ISO 8601 text or epoch seconds (``aws:EpochTime``)."""
    if isinstance(value, datetime):
        dt = value if value.tzinfo else value.replace(tzinfo=UTC)
        return dt.timestamp()
    if isinstance(value, bool):
        raise _Incomparable
    if isinstance(value, (int, float)):
        return float(value)
    return _date_text(str(value))


@lru_cache(maxsize=4096)
def _date_text(value: str) -> float:
    text = value.strip()
    if _NUMBER.match(text):
        return float(text)
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(text)
    except ValueError as exc:
        raise _Incomparable from exc
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


@lru_cache(maxsize=4096)
def _ip(value: Any) -> tuple[int, int]:
    """(IP version, address as an integer)."""
    try:
        address = ipaddress.ip_address(str(value).strip())
    except ValueError as exc:
        raise _Incomparable from exc
    return address.version, int(address)


def _bool(value: Any) -> str:
    text = _text(value).lower()
    if text not in ("true", "false"):
        raise _Incomparable
    return text


def _binary(value: Any) -> bytes:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    try:
        return base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _Incomparable from exc


# -- one compiled condition -------------------------------------------------------------------------
class Condition:
    """One (operator, key, values) triple from a Condition block."""

    __slots__ = ("operator", "key", "name", "raw_values", "family", "negated", "if_exists", "set_op",
                 "_values", "_dynamic", "_test", "_absent_result", "_null_present", "_unknown_result")

    def __init__(self, operator: str, key: str, values: list[Any], *, variables: bool) -> None:
        self.operator = operator
        self.key = key.lower()
        self.name = key  # as written in the policy
        self.raw_values = values
        set_op, base, if_exists = parse_operator(operator)
        self.set_op = set_op
        self.if_exists = if_exists
        self.family, self.negated = OPERATORS[base]
        texts = [_text(v) for v in values]
        self._dynamic = False
        self._values: list[Any] = []
        use_vars = variables and self.family in _VARIABLE_FAMILIES
        for text in texts:
            self._values.append(self._compile_value(text, use_vars))
        if self.family in ("string", "istring", "bool") and not self._dynamic:
            self._values = frozenset(self._values)  # type: ignore[assignment]
        self._test = self._make_test()
        if self.family == "null":
            self._absent_result: Tri = "true" in self._values
            self._null_present: Tri = "false" in self._values
        else:
            self._absent_result = (True if if_exists or set_op == "forallvalues"
                                   else False if set_op == "foranyvalue" else self.negated)
            self._null_present = False
        self._unknown_result: Tri = frozenset((self.key,))

    # compile-time conversion of one policy value
    def _compile_value(self, text: str, use_vars: bool) -> Any:
        fam = self.family
        if fam in ("like", "arn"):
            pattern = Pattern(text, "glob" if fam == "like" else "arn", variables=use_vars)
            self._dynamic = self._dynamic or pattern.dynamic
            return pattern
        if fam in ("string", "istring", "bool"):
            template = parse_template(text, use_vars)
            if any(not isinstance(p, tuple) for p in template):
                self._dynamic = True
                return template
            text = literal_text(template)
            if fam != "bool":
                return text.lower() if fam == "istring" else text
        try:
            if fam.startswith("num"):
                return _number(text)
            if fam.startswith("date"):
                return _date(text)
            if fam == "bool":
                return _bool(text)
            if fam == "ip":
                net = ipaddress.ip_network(text.strip(), strict=False)
                return (net.version, int(net.netmask), int(net.network_address))
            if fam == "binary":
                return _binary(text)
            if fam == "null":
                return _bool(text)
        except (_Incomparable, ValueError) as exc:
            expected = _EXPECTED.get(fam) or ("number" if fam.startswith("num") else "date (ISO 8601 or epoch seconds)")
            raise PolicyError(f"condition {self.operator} on {self.name!r}: {text!r} is not a valid {expected}") from exc
        raise PolicyError(f"unsupported condition operator {self.operator!r}")  # pragma: no cover

    def _make_test(self) -> Callable[[Any, Any], bool]:
        """A function (request value, policy values) -> does the value match any policy value."""
        fam = self.family
        if fam == "string":
            return lambda v, ps: (v if v.__class__ is str else _text(v)) in ps
        if fam == "istring":
            return lambda v, ps: (v if v.__class__ is str else _text(v)).lower() in ps
        if fam in ("like", "arn"):
            def match_pattern(v: Any, ps: Any) -> bool:
                text = v if v.__class__ is str else _text(v)
                for p in ps:  # noqa: SIM110 - a plain loop beats any() on this hot path
                    if p.matches(text):
                        return True
                return False
            return match_pattern
        if fam.startswith(("num", "date")):
            cmp = _COMPARE[fam.partition("_")[2]]
            parse = _number if fam.startswith("num") else _date

            def compare(v: Any, ps: Any) -> bool:
                x = parse(v)
                for p in ps:  # noqa: SIM110
                    if cmp(x, p):
                        return True
                return False
            return compare
        if fam == "bool":
            return lambda v, ps: _bool(v) in ps
        if fam == "ip":
            def in_networks(v: Any, ps: Any) -> bool:
                version, value = _ip(v)
                for net_version, mask, network in ps:
                    if net_version == version and value & mask == network:
                        return True
                return False
            return in_networks
        if fam == "binary":
            return lambda v, ps: _binary(v) in ps
        return lambda v, ps: False  # null is handled before

    def _policy_values(self, ctx: dict[str, Any], unknown: frozenset[str]) -> list[Any]:
        if not self._dynamic:
            return self._values
        out = []
        for p in self._values:
            if isinstance(p, Pattern):
                out.append(p.resolved(ctx, unknown) if p.dynamic else p)
            elif isinstance(p, tuple):  # a template with variables
                lit = literal_text(resolve(p, ctx, unknown))
                if self.family == "bool":
                    try:
                        lit = _bool(lit)
                    except _Incomparable:
                        lit = None  # a variable that is not true/false: never equal
                out.append(lit.lower() if self.family == "istring" else lit)
            else:
                out.append(p)
        return out

    def _one(self, value: Any, policy_values: Any) -> bool:
        """The operator applied to one request value (negation included)."""
        try:
            hit = self._test(value, policy_values)
        except _Incomparable:
            return False
        return not hit if self.negated else hit

    def evaluate(self, ctx: dict[str, Any], unknown: frozenset[str]) -> Tri:
        """True/False, or frozenset({key}) when the outcome depends on an unknown value."""
        key = self.key
        if unknown and key in unknown:  # carried by the request, value not known
            return self._null_present if self.family == "null" else self._unknown_result
        raw = ctx.get(key)
        if raw is None or (raw.__class__ in _SEQUENCES and not raw):
            if self._dynamic:
                self._resolve_or_raise(ctx, unknown)
            return self._absent_result
        if self.family == "null":
            return self._null_present
        policy_values = self._values if not self._dynamic else self._resolve_or_raise(ctx, unknown)
        if raw.__class__ not in _SEQUENCES:
            if self.set_op == "foranyvalue" or self.set_op == "forallvalues" or not self.negated:
                return self._one(raw, policy_values)
            try:
                return not self._test(raw, policy_values)
            except _Incomparable:
                return False
        if self.set_op == "forallvalues":
            return all(self._one(v, policy_values) for v in raw)
        if self.set_op == "foranyvalue" or not self.negated:
            return any(self._one(v, policy_values) for v in raw)
        # negated, several request values: "not equal to any" - no value may match any policy value
        try:
            return not any(self._test(v, policy_values) for v in raw)
        except _Incomparable:
            return False

    def _resolve_or_raise(self, ctx: dict[str, Any], unknown: frozenset[str]) -> Any:
        values = self._policy_values(ctx, unknown)
        return frozenset(values) if self.family in ("string", "istring", "bool") else values

    @property
    def variables_used(self) -> bool:
        return self._dynamic or any(isinstance(p, Pattern) and p.dynamic for p in self._values)


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "eq": op.eq, "lt": op.lt, "le": op.le, "gt": op.gt, "ge": op.ge,
}


def parse_operator(operator: str) -> tuple[str | None, str, bool]:
    """``ForAllValues:StringLikeIfExists`` -> ("forallvalues", "stringlike", True)."""
    text = operator
    set_op = None
    if ":" in text:
        prefix, _, text = text.partition(":")
        set_op = prefix.lower()
        if set_op not in ("forallvalues", "foranyvalue"):
            raise PolicyError(f"unknown condition set operator {prefix!r} in {operator!r}")
    base = text.lower()
    if_exists = False
    if base.endswith("ifexists") and base != "ifexists":
        base, if_exists = base[: -len("ifexists")], True
    if base not in OPERATORS:
        raise PolicyError(f"unknown condition operator {operator!r}")
    if base == "null" and (if_exists or set_op):
        raise PolicyError(f"the Null operator takes no IfExists suffix or set prefix ({operator!r})")
    return set_op, base, if_exists


def compile_conditions(block: Any, *, variables: bool) -> tuple[Condition, ...]:
    """Compile a statement's Condition block (raises `PolicyError` on a malformed one)."""
    if block is None:
        return ()
    if not isinstance(block, dict):
        raise PolicyError("Condition must be an object of operator -> {key: value(s)}")
    out = []
    for operator, keys in block.items():
        if not isinstance(operator, str):
            raise PolicyError("condition operator names must be strings")
        if not isinstance(keys, dict) or not keys:
            raise PolicyError(f"condition {operator!r} must map condition keys to values")
        for key, values in keys.items():
            if not isinstance(key, str) or not key:
                raise PolicyError(f"condition {operator!r} has an empty or non-string key")
            if not isinstance(values, list):
                values = [values]
            for v in values:
                if v is None or isinstance(v, (dict, list)):
                    raise PolicyError(
                        f"condition {operator!r} on {key!r}: values must be strings, numbers or booleans"
                    )
            out.append(Condition(operator, key, values, variables=variables))
    return tuple(out)
