"""Hypothesis strategies and settings shared by the fuzz tests: JSON-ish values, snapshot mutations."""

from __future__ import annotations

import copy
import os
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

#: Examples per fuzz target in the suite's run (FARGATE_NB_FUZZ_EXAMPLES raises it for a longer hunt).
EXAMPLES = int(os.environ.get("FARGATE_NB_FUZZ_EXAMPLES", "1000"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much, HealthCheck.large_base_example])

#: Strings that look like the real thing often enough to get past the first checks.
WORDS = st.sampled_from(["", "api", "awslogs", "FARGATE", "awsvpc", "ecs", "arn:aws:iam::123456789012:role/r",
                         "123456789012.dkr.ecr.us-east-1.amazonaws.com/api:1", "docker.io/library/nginx",
                         "arn:aws:secretsmanager:us-east-1:123456789012:secret:s-AbCdEf",
                         "arn:aws:ssm:us-east-1:123456789012:parameter/p", "/p", "true", "LINUX", "WINDOWS_SERVER",
                         "subnet-1", "sg-1", "vpc-1", "0.0.0.0/0", "*", "Allow", "Deny", "ecr:BatchGetImage"])
TEXT = st.one_of(WORDS, st.text(max_size=30))
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TEXT)
#: Any JSON value (small).
JSON = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                     st.dictionaries(TEXT, inner, max_size=4)), max_leaves=12)


def paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path (keys and indexes) into a JSON document, the root included."""
    found = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            found += paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            found += paths(v, (*prefix, i))
    return found


def _parent(doc: Any, path: tuple) -> Any:
    for key in path[:-1]:
        doc = doc[key]
    return doc


@st.composite
def mutated(draw: st.DrawFn, base: dict[str, Any], max_mutations: int = 3) -> dict[str, Any]:
    """A copy of ``base`` with a few values replaced by random JSON, deleted, or wrapped in a list."""
    doc = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, max_mutations))):
        candidates = [p for p in paths(doc) if p]
        if not candidates:
            break
        path = draw(st.sampled_from(candidates))
        parent = _parent(doc, path)
        op = draw(st.sampled_from(["replace", "replace", "delete", "wrap", "null"]))
        if op == "delete":
            del parent[path[-1]]
        elif op == "wrap":
            parent[path[-1]] = [parent[path[-1]]]
        elif op == "null":
            parent[path[-1]] = None
        else:
            parent[path[-1]] = draw(JSON)
    return doc
