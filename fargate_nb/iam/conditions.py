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
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fargate_nb.iam.model import PolicyError, Tri
from fargate_nb.iam.patterns import Pattern, Unresolved, literal_text, parse_template, resolve

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
    text = str(value).strip()
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


def _ip(value: Any) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    try:
        return ipaddress.ip_address(str(value).strip())
    except ValueError as exc:
        raise _Incomparable from exc


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
                 "_values", "_dynamic", "_test")

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
        self._test = self._make_test()

    # compile-time conversion of one policy value
    def _compile_value(self, text: str, use_vars: bool) -> Any:
        fam = self.family
        if fam in ("like", "arn"):
            return Pattern(text, "glob" if fam == "like" else "arn", variables=use_vars)
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
                return ipaddress.ip_network(text.strip(), strict=False)
            if fam == "binary":
                return _binary(text)
            if fam == "null":
                return _bool(text)
        except (_Incomparable, ValueError) as exc:
            raise PolicyError(
                f"condition {self.operator} on {self.key!r}: {text!r} is not a valid "
                f"{ {'bool': 'true/false value', 'null': 'true/false value', 'ip': 'IP address or CIDR', 'binary': 'base64 value'}.get(fam, 'number' if fam.startswith('num') else 'date')}"
            ) from exc
        raise PolicyError(f"unsupported condition operator {self.operator!r}")  # pragma: no cover

    def _make_test(self) -> Callable[[Any, list[Any]], bool]:
        """A function (request value, policy values) -> does the value match any policy value."""
        fam = self.family
        if fam == "string":
            return lambda v, ps: _text(v) in ps
        if fam == "istring":
            return lambda v, ps: _text(v).lower() in ps
        if fam == "like":
            return lambda v, ps: any(p.matches(_text(v)) for p in ps)
        if fam == "arn":
            return lambda v, ps: any(p.matches(_text(v)) for p in ps)
        if fam.startswith("num"):
            cmp = _COMPARE[fam[4:]]
            return lambda v, ps: (lambda x: any(cmp(x, p) for p in ps))(_number(v))
        if fam.startswith("date"):
            cmp = _COMPARE[fam[5:]]
            return lambda v, ps: (lambda x: any(cmp(x, p) for p in ps))(_date(v))
        if fam == "bool":
            return lambda v, ps: _bool(v) in ps
        if fam == "ip":
            return lambda v, ps: (lambda a: any(a.version == n.version and a in n for n in ps))(_ip(v))
        if fam == "binary":
            return lambda v, ps: _binary(v) in ps
        return lambda v, ps: False  # null is handled before

    def _policy_values(self, ctx: dict[str, Any], unknown: frozenset[str]) -> list[Any]:
        if not self._dynamic:
            return self._values
        out = []
        for p in self._values:
            if isinstance(p, tuple):  # a template with variables
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

    def _one(self, value: Any, policy_values: list[Any]) -> bool:
        """The operator applied to one request value (negation included)."""
        try:
            hit = self._test(value, policy_values)
        except _Incomparable:
            return False
        return not hit if self.negated else hit

    def evaluate(self, ctx: dict[str, Any], unknown: frozenset[str]) -> Tri:
        key = self.key
        if self.family == "null":
            present = key in unknown or _present(ctx.get(key))
            return ("false" if present else "true") in self._values
        if key in unknown:
            # variables in the values may still make the statement invalid; unknown either way
            return frozenset((key,))
        try:
            policy_values = self._policy_values(ctx, unknown)
        except Unresolved as exc:
            if exc.unknown:
                return frozenset((exc.key,))
            raise
        raw = ctx.get(key)
        if not _present(raw):
            if self.if_exists:
                return True
            if self.set_op == "forallvalues":
                return True
            if self.set_op == "foranyvalue":
                return False
            return self.negated
        values = raw if isinstance(raw, (list, tuple, set, frozenset)) else (raw,)
        if self.set_op == "forallvalues":
            return all(self._one(v, policy_values) for v in values)
        if self.set_op == "foranyvalue":
            return any(self._one(v, policy_values) for v in values)
        if self.negated:
            # "not equal to any": no request value may match any policy value
            try:
                return not any(self._test(v, policy_values) for v in values)
            except _Incomparable:
                return False
        return any(self._one(v, policy_values) for v in values)

    @property
    def variables_used(self) -> bool:
        return self._dynamic or any(isinstance(p, Pattern) and p.dynamic for p in self._values)


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "eq": lambda a, b: a == b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
}


def _present(value: Any) -> bool:
    if value is None:
        return False
    return not (isinstance(value, (list, tuple, set, frozenset)) and len(value) == 0)


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
