"""Validate a task definition against botocore's own ECS model: members, types, required, enums, ranges.

The model is botocore's ``RegisterTaskDefinition`` input shape (what ``aws ecs register-task-definition``
sends) and, at the top level only, the read-only members of the ``TaskDefinition`` output shape (what
``describe-task-definition`` returns), so both a hand-written file and a described one lint cleanly.
Type rules follow botocore's parameter validator: an integer is never a bool, a string is never a number.
"""

from __future__ import annotations

import difflib
import json
import re
import shlex
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from fargate_nb.taskdef.placeholders import has_placeholder

REGISTER_DOC = "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html"
PARAMS_DOC = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html"
AGENT_CONFIG_DOC = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-agent-config.html"
#: "Container image pull behavior for the EC2 and external launch types" (ECS_IMAGE_PULL_BEHAVIOR).
PULL_BEHAVIOR_DOC = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/pull-behavior.html"
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_TYPE_WORDS = {"string": "a string", "integer": "an integer", "long": "an integer", "boolean": "true or false",
               "double": "a number", "float": "a number", "structure": "an object", "list": "a list",
               "map": "an object", "timestamp": "a timestamp", "blob": "a string"}


@dataclass
class Problem:
    """One thing wrong (or worth knowing) about a task definition, at a JSON path."""

    path: str
    status: str  # fail | warn | info
    title: str
    detail: str
    fix: str = ""
    commands: list[str] = field(default_factory=list)
    doc_url: str = REGISTER_DOC
    kind: str = ""  # "null": a null member, reported together in one summary finding


NULL_KIND = "null"


@lru_cache(maxsize=1)
def ecs_shapes() -> tuple[Any, Any]:
    """(RegisterTaskDefinition input shape, TaskDefinition output shape) from botocore's bundled model."""
    from fargate_nb.botomodels import service_model

    model = service_model("ecs")  # the collector's clients share the parsed model
    return model.operation_model("RegisterTaskDefinition").input_shape, model.shape_for("TaskDefinition")


@lru_cache(maxsize=1)
def _read_only() -> frozenset[str]:
    inp, out = ecs_shapes()
    return frozenset(set(out.members) - set(inp.members))


def read_only_members() -> set[str]:
    """Top-level members DescribeTaskDefinition returns that RegisterTaskDefinition does not accept."""
    return set(_read_only())


MAX_KEY = 60  # longer keys are cut in paths and titles
MAX_UNKNOWN = 25  # unknown members listed one by one per object; the rest are counted


def join(path: str, key: str | int) -> str:
    """``containerDefinitions[0].name``; odd keys as ``options["awslogs-group"]``, cleaned of control characters."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    if _IDENT.match(key) and len(key) <= MAX_KEY:
        return f"{path}.{key}" if path else key
    shown = _CONTROL.sub("?", key)
    shown = (shown[:MAX_KEY] + "…") if len(shown) > MAX_KEY else shown
    return f"{path}[{json.dumps(shown, ensure_ascii=False)}]"


def shown_exactly(key: str) -> bool:
    """Whether ``join`` keeps ``key`` as it is (so a jq command on the path reaches the real member)."""
    return len(key) <= MAX_KEY and not _CONTROL.search(key)


def leaf(path: str) -> str:
    """The last member name of a path, for short titles: ``containerDefinitions[0].memory`` -> ``memory``."""
    tail = re.split(r"\.(?![^\[]*\])", path)[-1] if path else "the document"
    return tail or path


def jq_path(path: str) -> str:
    """The jq expression for a path (``.containerDefinitions[0].name``, ``.["odd key"]``)."""
    return "." + path


def clean(text: Any, limit: int = 60) -> str:
    """A name from the document (container name, log driver) made safe for a title: no control characters, short."""
    shown = _CONTROL.sub("?", str(text))
    return shown if len(shown) <= limit else shown[:limit] + "…"


def jq_del(path: str) -> str:
    """The jq command that deletes ``path``, quoted for a POSIX shell whatever the key holds."""
    return "jq " + shlex.quote(f"del({jq_path(path)})")


def show(value: Any) -> str:
    """A short, safe rendering of a value for a message (never the whole of a large or nested value)."""
    if isinstance(value, dict):
        return f"an object with {len(value)} member(s)"
    if isinstance(value, list):
        return f"a list of {len(value)} item(s)"
    text = json.dumps(value, ensure_ascii=False, default=str)
    text = _CONTROL.sub("?", text)
    return text if len(text) <= 80 else text[:77] + "…\""


def type_word(shape: Any) -> str:
    return _TYPE_WORDS.get(shape.type_name, shape.type_name)


def _type_ok(value: Any, type_name: str) -> bool:
    if type_name in ("string", "blob"):
        return isinstance(value, str)
    if type_name in ("integer", "long"):
        return isinstance(value, int) and not isinstance(value, bool)
    if type_name == "boolean":
        return isinstance(value, bool)
    if type_name in ("double", "float"):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if type_name == "timestamp":  # JSON text, epoch seconds, or a datetime straight from boto3
        return isinstance(value, (str, int, float, date)) and not isinstance(value, bool)
    if type_name in ("structure", "map"):
        return isinstance(value, dict)
    if type_name == "list":
        return isinstance(value, list)
    return True


def check_value(value: Any, shape: Any, path: str, out: list[Problem]) -> None:
    """Append the problems of ``value`` against ``shape`` (recursing into objects and lists)."""
    if value is None:  # summed up in one finding by the caller (console exports hold dozens)
        out.append(Problem(path, "warn", f"{leaf(path)} is null", "", kind=NULL_KIND))
        return
    if not _type_ok(value, shape.type_name) and has_placeholder(value) and shape.type_name != "string":
        out.append(Problem(path, "warn", f"{leaf(path)} is a quoted placeholder where the ECS API expects "
                           f"{type_word(shape)}",
                           f"{path} is {show(value)}: a template placeholder. Unless the tool that fills it in also "
                           f"drops the quotes, the value stays a string and register-task-definition rejects it "
                           f"(it expects {type_word(shape)}).",
                           fix="Make sure the filled-in value is unquoted in the rendered JSON."))
        return
    if not _type_ok(value, shape.type_name):
        hint = ""
        if shape.type_name == "string" and isinstance(value, (int, float)) and not isinstance(value, bool):
            hint = f' Write it as a string: "{value}".'
        elif shape.type_name in ("integer", "long") and isinstance(value, str) and value.strip().isdigit():
            hint = f" Write it as a number: {value.strip()}."
        elif shape.type_name == "list" and not isinstance(value, list):
            hint = " Wrap it in [ ]."
        out.append(Problem(path, "fail", f"{leaf(path)} must be {type_word(shape)}",
                           f"{path} is {show(value)}, but the ECS API expects {type_word(shape)}.{hint}",
                           fix=f"Give {path} {type_word(shape)}.{hint}"))
        return
    meta = shape.metadata or {}
    if shape.type_name == "structure":
        _check_structure(value, shape, path, out)
    elif shape.type_name == "list":
        _check_length(value, meta, path, out, "item")
        for i, item in enumerate(value):
            check_value(item, shape.member, join(path, i), out)
    elif shape.type_name == "map":
        for key, item in value.items():
            check_value(item, shape.value, join(path, str(key)), out)
    elif shape.type_name == "string":
        enum = getattr(shape, "enum", None) or meta.get("enum")
        if enum and value == "":
            out.append(Problem(path, "warn", f"{leaf(path)} is an empty string",
                               f"{path} is \"\", which is not one of its values ({', '.join(enum)}). Tools built on the "
                               "AWS SDK for Go v2 (such as ecspresso) leave empty strings out of the "
                               "request; the AWS CLI and boto3 send them as they are.",
                               fix=f"Remove {path}, or set one of: {', '.join(enum)}.", commands=[jq_del(path)]))
        elif enum and value not in enum and not has_placeholder(value):
            same = [e for e in enum if e.lower() == value.lower()]
            hint = f' Values are case-sensitive: use "{same[0]}".' if same else ""
            out.append(Problem(path, "fail", f"{leaf(path)} is not one of the allowed values",
                               f"{path} is {show(value)}; allowed: {', '.join(enum)}.{hint}",
                               fix=f"Use one of: {', '.join(enum)}."))
        if not has_placeholder(value):  # "${FAMILY}" is not the family's length
            _check_length(value, meta, path, out, "character")
    elif shape.type_name in ("integer", "long"):
        low, high = meta.get("min"), meta.get("max")
        if (low is not None and value < low) or (high is not None and value > high):
            out.append(Problem(path, "fail", f"{leaf(path)} is out of range",
                               f"{path} is {value}; the ECS API accepts {low if low is not None else '…'} to "
                               f"{high if high is not None else '…'}.", fix="Use a value in range."))


def _check_length(value: Any, meta: dict[str, Any], path: str, out: list[Problem], unit: str) -> None:
    low, high = meta.get("min"), meta.get("max")
    if (low is not None and len(value) < low) or (high is not None and len(value) > high):
        out.append(Problem(path, "fail", f"{leaf(path)} has the wrong length",
                           f"{path} has {len(value)} {unit}(s); the ECS API accepts {low or 0} to "
                           f"{high if high is not None else 'any number'}.", fix="Fix its length."))


def _check_structure(value: dict[str, Any], shape: Any, path: str, out: list[Problem],
                     also_allowed: dict[str, Any] | None = None) -> None:
    """``also_allowed``: extra members (name -> shape) accepted here, type-checked but not required."""
    members = shape.members
    extra = also_allowed or {}
    unknown = 0
    for key, item in value.items():
        key = str(key)
        if key in members:
            check_value(item, members[key], join(path, key), out)
        elif key in extra:
            check_value(item, extra[key], join(path, key), out)
        else:
            unknown += 1
            if unknown <= MAX_UNKNOWN:  # a generated or hostile object can have thousands
                out.append(unknown_member(key, join(path, key), [*members, *extra]))
    if unknown > MAX_UNKNOWN:
        rest = unknown - MAX_UNKNOWN
        out.append(Problem(path or "$", "fail", f"{rest} more unknown member(s) in {leaf(path) if path else 'the document'}",
                           f"{path or 'The document'} has {unknown} members the ECS API does not know; the first "
                           f"{MAX_UNKNOWN} are listed.", fix="Remove the members that are not in the ECS API.",
                           doc_url=PARAMS_DOC))
    for name in shape.required_members:
        if name not in value:
            where = join(path, name)
            out.append(Problem(where, "fail", f"{name} is required",
                               f"{where} is missing; the ECS API requires it ({type_word(members[name])}).",
                               fix=f"Add {where}."))
    if (shape.metadata or {}).get("union") and sum(1 for k in value if k in members) > 1:
        out.append(Problem(path, "fail", f"{leaf(path)} must set exactly one member",
                           f"{path} is a union: set only one of {', '.join(members)}.", fix="Keep one member."))


def check_top_level(doc: dict[str, Any], out: list[Problem], prefix: str = "") -> None:
    """The whole document against the input shape; read-only DescribeTaskDefinition members are accepted."""
    inp, output = ecs_shapes()
    _check_structure(doc, inp, prefix, out,
                     also_allowed={name: output.members[name] for name in read_only_members()})


def _misplaced(key: str, path: str) -> str:
    """A hint when ``key`` is a real member one level up or down (task level vs container definition)."""
    inp, _ = ecs_shapes()
    container = inp.members["containerDefinitions"].member
    bare = re.sub(r"^taskDefinition\.", "", path)
    if re.fullmatch(r"containerDefinitions\[\d+\]\.\w+", bare) and key in inp.members:
        return f"{key} is a task-level member: move it out of the container definition."
    if "." not in bare and "[" not in bare and key in container.members:
        return f"{key} belongs in each container definition (containerDefinitions[])."
    return ""


def unknown_member(key: str, path: str, allowed: list[str]) -> Problem:
    """An unknown member, with the likeliest intended one (or the fact behind a well-known confusion)."""
    commands = [jq_del(path)] if shown_exactly(key) else []  # a cleaned-up key is not the member's real name
    if key.lower().replace("_", "").replace("-", "") == "imagepullbehavior":
        return Problem(
            path, "fail", "imagePullBehavior is not an ECS task definition field",
            "ECS task definitions have no imagePullBehavior (RegisterTaskDefinition has no such member at any "
            "level). ECS_IMAGE_PULL_BEHAVIOR is an ECS container agent setting on EC2 (and external) container "
            "instances, set in /etc/ecs/ecs.config, not in a task. Fargate does not cache images: every task "
            "pulls its whole image when it starts. For a service, ECS resolves each image tag to a digest when a "
            "deployment starts (the container's versionConsistency, enabled by default) and every task of that "
            "deployment pulls that digest: a re-pushed tag is only picked up by a new deployment, and if the "
            "image behind the digest is deleted, later tasks fail with \"failed to resolve ref ... not found\".",
            fix="Remove the member. To run a new image, push a new tag (or use its digest) and register a new "
                "revision; to re-resolve a moved tag, start a new deployment (update-service "
                "--force-new-deployment).",
            commands=commands, doc_url=PULL_BEHAVIOR_DOC)
    same_case = [m for m in allowed if m.lower() == key.lower()]
    if same_case:
        hint = (f'Member names are case-sensitive: use "{same_case[0]}"'
                + (" (CloudFormation and CDK use PascalCase; the ECS API uses camelCase)." if key[:1].isupper() else "."))
    else:
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.75) or \
            [m for m in allowed if len(key) >= 4 and m.lower().startswith(key.lower())][:1]
        hint = (_misplaced(key, path) or (f'Did you mean "{close[0]}"?' if close else
                                          "It is not a member of this object in the ECS API."))
    return Problem(path, "fail", f"{leaf(path)} is not an ECS task definition field",
                   f"{path} is unknown to RegisterTaskDefinition. {hint}",
                   fix=f"Remove it or rename it. {hint}", commands=commands, doc_url=PARAMS_DOC)
