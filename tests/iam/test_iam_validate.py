"""validate_policy: what a user should fix, with the codes checks and reports rely on."""

from __future__ import annotations

import pytest
from iam_helpers import REPO, allow, deny, grant, policy

from fargate_nb.iam import Problem, validate_policy


def codes(doc, **kw) -> list[tuple[int | None, str]]:
    return [(p.index, p.code) for p in validate_policy(doc, **kw)]


def test_a_clean_execution_role_policy_has_no_problems() -> None:
    # AmazonECSTaskExecutionRolePolicy
    doc = policy(allow(["ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer",
                        "ecr:BatchGetImage", "logs:CreateLogStream", "logs:PutLogEvents"], "*"))
    assert validate_policy(doc) == []


def test_misspelt_action_suggests_the_real_one() -> None:
    [problem] = validate_policy(policy(allow("ecr:GetAuthorisationToken", "*")))
    assert problem.code == "unknown-action" and problem.index == 0
    assert "did you mean 'ecr:GetAuthorizationToken'" in problem.message


def test_unknown_service_and_wildcard_matching_nothing() -> None:
    doc = policy({"Sid": "A", **allow(["ecrr:BatchGetImage", "ecr:Zz*", "ecr:Batch*", "*"], "*")})
    problems = validate_policy(doc)
    assert [(p.sid, p.code) for p in problems] == [("A", "unknown-service"), ("A", "wildcard-matches-nothing")]
    assert "did you mean 'ecr'" in problems[0].message


@pytest.mark.parametrize(("statement", "expected"), [
    (allow("ecr:GetAuthorizationToken", REPO), [(0, "resource-not-supported")]),
    (allow("ecr:GetAuthorizationToken", "arn:aws:ecr:*"), [(0, "resource-not-supported")]),
    (deny("ecr:GetAuthorizationToken", REPO), [(0, "resource-not-supported")]),
    (allow("ecr:GetAuthorizationToken", "*"), []),
    (allow("ecr:BatchGetImage", REPO), []),
    (allow("ecr:*", REPO), [(0, "resource-not-supported")]),  # warns: the token action is not covered
    ({"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "NotResource": REPO}, []),
])
def test_resources_given_for_actions_without_resource_level_permissions(statement, expected) -> None:
    assert codes(policy(statement)) == expected


def test_wildcard_over_star_only_actions_is_a_warning_naming_the_token_action() -> None:
    [problem] = validate_policy(policy(allow("ecr:*", REPO)))
    assert problem.severity == "warning"
    assert "ecr:GetAuthorizationToken" in problem.message


VPC_ON_TOKEN = [
    (allow("ecr:GetAuthorizationToken", "*", Condition={"StringEquals": {"aws:SourceVpce": "vpce-1"}}),
     "condition-never-matches"),
    (allow("ecr:*", "*", Condition={"StringLike": {"aws:SourceVpc": "vpc-*"}}), "condition-never-matches"),
    (allow("*", "*", Condition={"Null": {"aws:SourceVpce": "false"}}), "condition-never-matches"),
    (deny("*", "*", Condition={"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}), "deny-always-matches"),
    (deny("*", "*", Condition={"StringNotEqualsIfExists": {"aws:SourceVpc": "vpc-1"}}), "deny-always-matches"),
    (deny("ecr:*", "*", Condition={"Null": {"aws:SourceVpc": "true"}}), "deny-always-matches"),
    # fine: the statement does not cover the token call, or the condition holds when the key is absent
    (allow("ecr:BatchGetImage", REPO, Condition={"StringEquals": {"aws:SourceVpce": "vpce-1"}}), None),
    (allow("ecr:*", "*", Condition={"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1"}}), None),
    (deny("*", "*", Condition={"StringEquals": {"aws:SourceVpce": "vpce-bad"}}), None),
    (deny("ecr:BatchGetImage", "*", Condition={"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}), None),
]


@pytest.mark.parametrize(("statement", "expected"), VPC_ON_TOKEN)
def test_vpc_conditions_on_the_ecr_token_call(statement, expected) -> None:
    found = [c for _, c in codes(policy(statement)) if c in ("condition-never-matches", "deny-always-matches")]
    assert found == ([expected] if expected else [])


def test_deny_message_says_how_to_fix() -> None:
    [problem] = validate_policy(policy(deny("*", "*", Condition={"StringNotEquals": {"aws:SourceVpce": "vpce-1"}})))
    assert "exclude ecr:GetAuthorizationToken" in problem.message and "aws:SourceVpce" in problem.message


def test_malformed_and_placement_problems() -> None:
    [bad] = validate_policy('{"Statement": ')
    assert bad.code == "malformed" and bad.index is None
    [missing] = validate_policy(policy({"Action": "*", "Resource": "*"}))
    assert (missing.code, missing.index) == ("malformed", 0)
    assert codes(policy(grant("*", "ecr:BatchGetImage")), kind="identity") == [(0, "malformed")]
    assert codes(policy(grant("*", "ecr:BatchGetImage")), kind="resource") == []
    with pytest.raises(ValueError, match="kind"):
        validate_policy(policy(allow()), kind="bucket")


def test_warnings_for_empty_elements_and_not_principal_allow() -> None:
    doc = policy({"Effect": "Allow", "Action": [], "Resource": []},
                 {"Effect": "Allow", "NotPrincipal": {"AWS": "111122223333"}, "Action": "ecr:BatchGetImage"})
    problems = validate_policy(doc)
    assert [(p.index, p.code, p.severity) for p in problems] == [
        (0, "empty-element", "warning"), (0, "empty-element", "warning"), (1, "notprincipal-allow", "warning")]
    assert all(isinstance(p, Problem) and str(p).startswith("statement ") for p in problems)


def test_variables_do_not_break_validation() -> None:
    doc = policy(allow("ecr:*", "arn:aws:ecr:us-east-1:111122223333:repository/${aws:PrincipalTag/team}"),
                 deny("ecr:*", "*", Condition={"StringNotEquals": {"aws:SourceVpce": "${aws:PrincipalTag/vpce}"}}))
    found = codes(doc)
    assert (0, "resource-not-supported") in found
    assert not any(c == "deny-always-matches" for _, c in found)  # unresolvable: the statement never applies
