"""Action/NotAction, Resource/NotResource and policy variables, table-driven from AWS examples."""

from __future__ import annotations

import pytest
from iam_helpers import ACCOUNT, REPO, ROLE, SESSION, USER, allow, deny, policy

from fargate_nb.iam import Request, evaluate


def _allowed(statement: dict, action: str, resource: str, principal: str = ROLE, **kw) -> str:
    return evaluate(Request(action, resource, principal, **kw), [policy(statement)]).decision


# "IAM JSON policy elements: Action" - action names are case-insensitive; * and ? wildcards
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html)
ACTIONS = [
    ("ecr:BatchGetImage", "ecr:BatchGetImage", True),
    ("ECR:batchgetimage", "ecr:BatchGetImage", True),
    ("ecr:BatchGetImage", "ECR:BATCHGETIMAGE", True),
    ("ecr:*", "ecr:GetAuthorizationToken", True),
    ("ecr:Get*", "ecr:GetDownloadUrlForLayer", True),
    ("ecr:Get*", "ecr:BatchGetImage", False),
    ("ecr:*Image", "ecr:BatchGetImage", True),
    ("ecr:?atchGetImage", "ecr:BatchGetImage", True),
    ("ecr:BatchGet?", "ecr:BatchGetImage", False),
    ("*", "kms:Decrypt", True),
    ("s3:*", "ecr:GetAuthorizationToken", False),
    ("ecr:Batch.*", "ecr:BatchGetImage", False),  # regex characters are literal
    (["s3:GetObject", "ecr:BatchGetImage"], "ecr:BatchGetImage", True),
    ([], "ecr:BatchGetImage", False),  # an empty list matches nothing
]


@pytest.mark.parametrize(("action", "requested", "expected"), ACTIONS)
def test_action_element(action, requested, expected) -> None:
    assert (_allowed(allow(action, "*"), requested, "*") == "allowed") is expected


@pytest.mark.parametrize(("not_action", "requested", "expected"), [
    ("ecr:*", "logs:PutLogEvents", True),
    ("ecr:*", "ecr:BatchGetImage", False),
    (["iam:*", "organizations:*"], "ecr:BatchGetImage", True),
    ([], "ecr:BatchGetImage", True),  # NotAction [] excludes nothing
])
def test_not_action(not_action, requested, expected) -> None:
    statement = {"Effect": "Allow", "NotAction": not_action, "Resource": "*"}
    assert (_allowed(statement, requested, "*") == "allowed") is expected


# "IAM JSON policy elements: Resource" - wildcards within ARN segments; "If the * wildcard is the
# last character of a resource ARN segment, it can expand to match beyond the colon boundaries";
# within the resource part * matches "/" too; matching is case-sensitive.
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html)
RESOURCES = [
    ("*", REPO, True),
    ("*", "*", True),
    (REPO, REPO, True),
    (REPO, REPO.replace("/app", "/App"), False),
    (f"arn:aws:ecr:*:{ACCOUNT}:repository/*", REPO, True),
    (f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/*", f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/team/app", True),
    ("arn:aws:s3:::amzn-s3-demo-bucket/*", "arn:aws:s3:::amzn-s3-demo-bucket/a/b/c.txt", True),
    ("arn:aws:s3:::amzn-s3-demo-bucket/*", "arn:aws:s3:::amzn-s3-demo-bucket", False),
    ("arn:aws:ecr:*", REPO, True),  # * ends a segment: runs past the colons that follow
    (f"arn:aws:ecr:us-*-1:{ACCOUNT}:repository/app", REPO, True),
    (f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/ap?", REPO, True),
    (f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/ap?", REPO + "s", False),
    (f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/ecs/app:*",
     f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/ecs/app:log-stream:ecs/web/1", True),
    (REPO, "*", False),  # a specific ARN never matches a "*" request (no resource-level support)
    # a * inside a segment stays inside it; one that ends a segment may cross colons
    (f"arn:aws:ecr:u*1:{ACCOUNT}:repository/app", f"arn:aws:ecr:us:east-1:{ACCOUNT}:repository/app", False),
    (f"arn:aws:ecr:us*:{ACCOUNT}:repository/app", f"arn:aws:ecr:us:east-1:{ACCOUNT}:repository/app", True),
    ("arn:aws:s3:::bucket", "arn:aws:s3:::bucket2", False),
    ([], REPO, False),
]


@pytest.mark.parametrize(("resource", "requested", "expected"), RESOURCES)
def test_resource_element(resource, requested, expected) -> None:
    assert (_allowed(allow("ecr:*", resource), "ecr:BatchGetImage", requested) == "allowed") is expected


def test_not_resource_with_deny_denies_everything_else() -> None:
    # "IAM JSON policy elements: NotResource" - Deny with NotResource denies all but the listed ones
    doc = policy(allow("s3:*", "*"),
                 {"Effect": "Deny", "Action": "s3:*", "NotResource": ["arn:aws:s3:::hr", "arn:aws:s3:::hr/*"]})
    ask = lambda r: evaluate(Request("s3:GetObject", r, ROLE), [doc]).decision  # noqa: E731
    assert ask("arn:aws:s3:::hr/payroll.csv") == "allowed"
    assert ask("arn:aws:s3:::finance/q1.csv") == "explicit_deny"
    empty = policy(allow("s3:*", "*"), {"Effect": "Deny", "Action": "s3:*", "NotResource": []})
    assert evaluate(Request("s3:GetObject", "arn:aws:s3:::hr/x", ROLE), [empty]).decision == "explicit_deny"


# "IAM policy elements: Variables and tags" - variables only with Version 2012-10-17; without it
# "${aws:username}" is literal text; a variable AWS cannot resolve invalidates the statement;
# default values "${key, 'default'}"; ${*} ${?} ${$} stand for the literal characters.
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html)
HOME = "arn:aws:s3:::amzn-s3-demo-bucket/home/${aws:username}/*"
VARIABLES = [
    ("2012-10-17", HOME, USER, "arn:aws:s3:::amzn-s3-demo-bucket/home/alice/notes.txt", "allowed"),
    ("2012-10-17", HOME, USER, "arn:aws:s3:::amzn-s3-demo-bucket/home/bob/notes.txt", "implicit_deny"),
    ("2008-10-17", HOME, USER, "arn:aws:s3:::amzn-s3-demo-bucket/home/alice/notes.txt", "implicit_deny"),
    ("2008-10-17", HOME, USER, "arn:aws:s3:::amzn-s3-demo-bucket/home/${aws:username}/x", "allowed"),
    (None, HOME, USER, "arn:aws:s3:::amzn-s3-demo-bucket/home/${aws:username}/x", "allowed"),
    # a role has no aws:username: the statement cannot match
    ("2012-10-17", HOME, ROLE, "arn:aws:s3:::amzn-s3-demo-bucket/home/exec/x", "implicit_deny"),
    ("2012-10-17", "arn:aws:s3:::amzn-s3-demo-bucket/home/${aws:username, 'anonymous'}/*", ROLE,
     "arn:aws:s3:::amzn-s3-demo-bucket/home/anonymous/x", "allowed"),
    ("2012-10-17", "arn:aws:s3:::amzn-s3-demo-bucket/${*}", USER, "arn:aws:s3:::amzn-s3-demo-bucket/*", "allowed"),
    ("2012-10-17", "arn:aws:s3:::amzn-s3-demo-bucket/${*}", USER, "arn:aws:s3:::amzn-s3-demo-bucket/x", "implicit_deny"),
    ("2012-10-17", "arn:aws:s3:::amzn-s3-demo-bucket/${?}${$}", USER, "arn:aws:s3:::amzn-s3-demo-bucket/?$", "allowed"),
]


@pytest.mark.parametrize(("version", "resource", "principal", "requested", "expected"), VARIABLES)
def test_policy_variables_in_resource(version, resource, principal, requested, expected) -> None:
    doc = policy(allow("s3:GetObject", resource), version=version)
    assert evaluate(Request("s3:GetObject", requested, principal), [doc]).decision == expected


def test_variable_value_is_literal_not_a_wildcard() -> None:
    doc = policy(allow("s3:GetObject", "arn:aws:s3:::b/${aws:PrincipalTag/team}/*"))
    ask = lambda team, key: evaluate(  # noqa: E731
        Request("s3:GetObject", f"arn:aws:s3:::b/{key}/x", ROLE, {"aws:PrincipalTag/team": team}), [doc]).decision
    assert ask("blue", "blue") == "allowed"
    assert ask("*", "blue") == "implicit_deny"  # a "*" in the value is not a wildcard
    assert ask("*", "*") == "allowed"


def test_variables_in_conditions_and_derived_principal_keys() -> None:
    # aws:PrincipalAccount is in every request signed by an IAM principal
    same_account = policy(allow("ecr:BatchGetImage", "*",
                                Condition={"StringEquals": {"aws:ResourceAccount": "${aws:PrincipalAccount}"}}))
    ask = lambda ctx, principal=ROLE: evaluate(  # noqa: E731
        Request("ecr:BatchGetImage", REPO, principal, ctx), [same_account]).decision
    assert ask({"aws:ResourceAccount": ACCOUNT}) == "allowed"
    assert ask({"aws:ResourceAccount": "999999999999"}) == "implicit_deny"
    assert ask({"aws:ResourceAccount": ACCOUNT}, SESSION) == "allowed"
    literal = policy(allow("ecr:BatchGetImage", "*",
                           Condition={"StringEquals": {"aws:ResourceAccount": "${aws:PrincipalAccount}"}}),
                     version="2008-10-17")
    d = evaluate(Request("ecr:BatchGetImage", REPO, ROLE, {"aws:ResourceAccount": "${aws:PrincipalAccount}"}),
                 [literal])
    assert d.decision == "allowed"


def test_unknown_variable_value_gives_unknown() -> None:
    doc = policy(allow("s3:GetObject", "arn:aws:s3:::b/${aws:PrincipalTag/team}/*"))
    d = evaluate(Request("s3:GetObject", "arn:aws:s3:::b/blue/x", ROLE,
                         unknown_keys=frozenset({"aws:PrincipalTag/team"})), [doc])
    assert d.decision == "unknown"
    assert d.missing_context == {"aws:PrincipalTag/team"}
    assert d.possible == {"allowed", "implicit_deny"}


def test_deny_with_unresolvable_variable_does_not_apply() -> None:
    doc = policy(allow("s3:*", "*"), deny("s3:*", "arn:aws:s3:::b/${aws:username}/*"))
    assert evaluate(Request("s3:GetObject", "arn:aws:s3:::b/exec/x", ROLE), [doc]).decision == "allowed"
    assert evaluate(Request("s3:GetObject", "arn:aws:s3:::b/alice/x", USER), [doc]).decision == "explicit_deny"


def test_single_statement_object_and_list_are_equivalent() -> None:
    as_object = {"Version": "2012-10-17", "Statement": allow("ecr:BatchGetImage", REPO)}
    as_list = policy(allow("ecr:BatchGetImage", REPO))
    r = Request("ecr:BatchGetImage", REPO, ROLE)
    assert evaluate(r, [as_object]).decision == evaluate(r, [as_list]).decision == "allowed"


def test_principal_arn_is_derived_for_roles_and_unknown_for_sessions() -> None:
    # "aws:PrincipalArn ... For IAM roles, the request context returns the ARN of the role, not the ARN
    # of the user that assumed the role" - a session ARN does not say the role's path, so it is unknown
    doc = policy(allow("ecr:BatchGetImage", "*", Condition={"ArnEquals": {"aws:PrincipalArn": ROLE}}))
    assert evaluate(Request("ecr:BatchGetImage", REPO, ROLE), [doc]).decision == "allowed"
    d = evaluate(Request("ecr:BatchGetImage", REPO, SESSION), [doc])
    assert d.decision == "unknown" and d.missing_context == {"aws:PrincipalArn"}
    given = Request("ecr:BatchGetImage", REPO, SESSION, {"aws:PrincipalArn": ROLE})
    assert evaluate(given, [doc]).decision == "allowed"
    null = policy(allow("ecr:BatchGetImage", "*", Condition={"Null": {"aws:PrincipalArn": "false"}}))
    assert evaluate(Request("ecr:BatchGetImage", REPO, SESSION), [null]).decision == "allowed"
