"""Compiled documents are cached: the same content is parsed once, an edited dict is re-read."""

from __future__ import annotations

import copy
import json

from iam_helpers import REPO, ROLE, allow, policy

from fargate_nb.iam import Request, clear_cache, compile_policy, evaluate
from fargate_nb.iam.compile import stats

PULL = Request("ecr:BatchGetImage", REPO, ROLE)


def test_same_content_is_compiled_once_whatever_its_form() -> None:
    clear_cache()
    doc = policy(allow("ecr:BatchGetImage", REPO))
    for _ in range(5):
        assert evaluate(PULL, [doc]).allowed
    assert stats["compiles"] == 1
    evaluate(PULL, [copy.deepcopy(doc)])  # an equal dict, another object
    evaluate(PULL, [json.dumps(doc)])  # the same content as JSON text
    evaluate(PULL, [json.dumps(doc, indent=2, sort_keys=True)])
    assert stats["compiles"] == 1
    assert compile_policy(doc) is compile_policy(json.dumps(doc))


def test_a_dict_edited_in_place_is_noticed() -> None:
    clear_cache()
    doc = policy(allow("ecr:BatchGetImage", REPO))
    assert evaluate(PULL, [doc]).allowed
    doc["Statement"][0]["Effect"] = "Deny"
    assert evaluate(PULL, [doc]).decision == "explicit_deny"
    doc["Statement"][0]["Action"] = "ecr:PutImage"
    assert evaluate(PULL, [doc]).decision == "implicit_deny"
    assert stats["compiles"] == 3


def test_cache_is_bounded() -> None:
    clear_cache()
    from fargate_nb.iam import compile as compile_module

    for i in range(compile_module._MAX + 50):
        compile_policy(policy(allow(f"ecr:Action{i}", REPO)))
    assert len(compile_module._BY_ID) <= compile_module._MAX
    assert len(compile_module._BY_TEXT) <= compile_module._MAX


def test_compiled_policy_is_not_affected_by_later_edits() -> None:
    doc = policy(allow("ecr:BatchGetImage", REPO))
    compiled = compile_policy(doc)
    doc["Statement"][0]["Effect"] = "Deny"
    assert compiled.statements[0].effect == "Allow"
    assert compiled.statements[0].raw["Effect"] == "Allow"
