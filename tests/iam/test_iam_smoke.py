"""First checks of the evaluator's public API: identity allows, wildcards, explicit deny, unknown keys."""

from __future__ import annotations

import pytest
from iam_helpers import REPO, ROLE

from fargate_nb.iam import PolicyError, Request, evaluate, evaluate_trust

PULL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["ecr:BatchGetImage", "ecr:Get*"],
                   "Resource": "arn:aws:ecr:*:111122223333:repository/*"}],
}
DENY_OUTSIDE_VPCE = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "OnlyVpce", "Effect": "Deny", "Action": "*", "Resource": "*",
                   "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}}],
}


def test_identity_allow_with_wildcards() -> None:
    d = evaluate(Request("ecr:BatchGetImage", REPO, ROLE), [PULL])
    assert d.decision == "allowed" and d.allowed
    assert d.matched[0].policy == "identity:0" and d.matched[0].index == 0


def test_action_not_listed_is_implicitly_denied() -> None:
    d = evaluate(Request("ecr:PutImage", REPO, ROLE), [("exec-policy", PULL)])
    assert d.decision == "implicit_deny" and not d.allowed
    assert "ecr:PutImage" in d.reason


def test_explicit_deny_wins_and_unknown_key_propagates() -> None:
    base = Request("ecr:BatchGetImage", REPO, ROLE)
    assert evaluate(base, [PULL, DENY_OUTSIDE_VPCE]).decision == "explicit_deny"
    inside = Request("ecr:BatchGetImage", REPO, ROLE, {"AWS:SourceVpce": "vpce-1"})
    assert evaluate(inside, [PULL, DENY_OUTSIDE_VPCE]).decision == "allowed"
    unknown = Request("ecr:BatchGetImage", REPO, ROLE, unknown_keys=frozenset({"aws:SourceVpce"}))
    d = evaluate(unknown, [PULL, DENY_OUTSIDE_VPCE])
    assert d.decision == "unknown"
    assert d.missing_context == {"aws:SourceVpce"}
    assert d.possible == {"allowed", "explicit_deny"}


def test_trust_policy() -> None:
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    assert evaluate_trust(trust).allowed
    assert not evaluate_trust(trust, service="ec2.amazonaws.com").allowed


def test_malformed_policy_names_label_and_statement() -> None:
    bad = {"Statement": [{"Sid": "x", "Action": "*", "Resource": "*"}]}
    with pytest.raises(PolicyError, match=r"identity:bad.*statement 0 \(Sid 'x'\).*Effect is missing"):
        evaluate(Request("ecr:BatchGetImage", REPO, ROLE), [("bad", bad)])


def test_hand_built_decisions_get_consistent_possibilities() -> None:
    from fargate_nb.iam import Decision

    assert Decision("allowed", "ok").possible == {"allowed"} and not Decision("allowed", "ok").denied
    assert Decision("implicit_deny", "no").denied
    unknown = Decision("unknown", "?")
    assert unknown.possible == {"allowed", "explicit_deny", "implicit_deny"} and not unknown.denied
    with pytest.raises(ValueError, match="decision must be one of"):
        Decision("maybe", "?")
