"""Broken documents and bad requests give clear errors naming the policy and statement."""

from __future__ import annotations

import json

import pytest
from iam_helpers import REPO, ROLE, allow, grant, policy

from fargate_nb.iam import PolicyError, Request, compile_policy, evaluate

GOOD = allow("ecr:BatchGetImage", REPO)
MALFORMED = [
    ("bad json", '{"Version": "2012-10-17", "Statement": [', r"not valid JSON \(line 1"),
    ("not an object", "[1, 2]", "must be a JSON object"),
    ("no statement", {"Version": "2012-10-17"}, "no Statement"),
    ("unknown top-level element", {"Statement": [GOOD], "Statment": []}, "unknown top-level element"),
    ("bad version", {"Version": "2020-01-01", "Statement": [GOOD]}, "Version must be"),
    ("statement not an object", policy("Allow"), r"statement 0: a statement must be a JSON object"),
    ("missing effect", policy({"Sid": "S1", "Action": "*", "Resource": "*"}), r"statement 0 \(Sid 'S1'\): Effect is missing"),
    ("lower-case effect", policy({**GOOD, "Effect": "allow"}), 'Effect must be "Allow" or "Deny"'),
    ("action and notaction", policy({**GOOD, "NotAction": "s3:*"}), "exactly one of Action or NotAction"),
    ("no action", policy({"Effect": "Allow", "Resource": "*"}), "Action .or NotAction. is missing"),
    ("resource and notresource", policy({**GOOD, "NotResource": "*"}), "both Resource and NotResource"),
    ("action not a string", policy({**GOOD, "Action": ["ecr:BatchGetImage", 7]}), "Action values must be strings"),
    ("action without service", policy({**GOOD, "Action": "BatchGetImage"}), "service:action"),
    ("unknown element", policy({**GOOD, "condition": {}}), "unknown element.*condition"),
    ("unknown operator", policy({**GOOD, "Condition": {"StringEqualz": {"k": "v"}}}), "unknown condition operator 'StringEqualz'"),
    ("unknown set operator", policy({**GOOD, "Condition": {"ForSomeValues:StringEquals": {"k": "v"}}}), "set operator"),
    ("null ifexists", policy({**GOOD, "Condition": {"NullIfExists": {"k": "true"}}}), "Null operator"),
    ("condition not an object", policy({**GOOD, "Condition": ["StringEquals"]}), "Condition must be an object"),
    ("condition value object", policy({**GOOD, "Condition": {"StringEquals": {"k": {"a": 1}}}}), "values must be strings"),
    ("condition without keys", policy({**GOOD, "Condition": {"StringEquals": "v"}}), "must map condition keys"),
    ("bad number", policy({**GOOD, "Condition": {"NumericEquals": {"k": "ten"}}}), "'ten' is not a valid number"),
    ("bad date", policy({**GOOD, "Condition": {"DateLessThan": {"k": "yesterday"}}}), "not a valid date"),
    ("bad cidr", policy({**GOOD, "Condition": {"IpAddress": {"k": "10.0.0.0/33"}}}), "IP address or CIDR"),
    ("bad bool", policy({**GOOD, "Condition": {"Bool": {"k": "yes"}}}), "true/false"),
    ("bad base64", policy({**GOOD, "Condition": {"BinaryEquals": {"k": "%%%"}}}), "base64"),
    ("sid not a string", policy({**GOOD, "Sid": 5}), "Sid must be a string"),
]


@pytest.mark.parametrize(("case", "doc", "message"), MALFORMED, ids=[c[0] for c in MALFORMED])
def test_malformed_documents_raise_policy_error(case, doc, message) -> None:
    with pytest.raises(PolicyError, match=message) as info:
        evaluate(Request("ecr:BatchGetImage", REPO, ROLE), [("broken", doc)])
    assert "policy 'identity:broken'" in str(info.value)
    with pytest.raises(PolicyError):
        compile_policy(doc)


PLACEMENT = [
    ("principal in identity policy", dict(identity_policies=[policy({**GOOD, "Principal": "*"})]),
     "identity:0.*not allowed in an identity-based policy"),
    ("principal in boundary", dict(permissions_boundary=policy({**GOOD, "Principal": "*"})), "'boundary'"),
    ("principal in scp", dict(scps=[policy({**GOOD, "Principal": "*"})]), r"'scp\[0\]'"),
    ("resource policy without principal", dict(resource_policy=policy(GOOD)), "'resource'.*needs a Principal"),
    ("identity policy without resource", dict(identity_policies=[policy({"Effect": "Allow", "Action": "*"})]),
     "Resource .or NotResource. is missing"),
    ("principal and notprincipal", dict(resource_policy=policy({**grant("*"), "NotPrincipal": {"AWS": "1"}})),
     "both Principal and NotPrincipal"),
    ("partial wildcard principal", dict(resource_policy=policy(grant({"AWS": "arn:aws:iam::111122223333:role/*"}))),
     "wildcards are not allowed in a principal"),
    ("unknown principal type", dict(resource_policy=policy(grant({"Aws": ROLE}))), "unknown principal type 'Aws'"),
    ("principal not an arn", dict(resource_policy=policy(grant({"AWS": "exec"}))), "not an account id or an ARN"),
    ("principal string", dict(resource_policy=policy(grant("everyone"))), 'Principal must be "\\*"'),
]


@pytest.mark.parametrize(("case", "policies", "message"), PLACEMENT, ids=[c[0] for c in PLACEMENT])
def test_element_rules_depend_on_where_the_policy_is_attached(case, policies, message) -> None:
    with pytest.raises(PolicyError, match=message):
        evaluate(Request("ecr:BatchGetImage", REPO, ROLE), **policies)


def test_trust_policy_with_a_resource_is_malformed() -> None:
    from fargate_nb.iam import evaluate_trust

    trust = policy({"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                    "Action": "sts:AssumeRole", "Resource": "*"})
    with pytest.raises(PolicyError, match="'trust'.*cannot have a Resource"):
        evaluate_trust(trust)


def test_policy_error_carries_location() -> None:
    with pytest.raises(PolicyError) as info:
        compile_policy(policy(GOOD, {"Sid": "Second", "Effect": "Maybe", "Action": "*", "Resource": "*"}), "identity:x")
    err = info.value
    assert (err.label, err.index, err.sid) == ("identity:x", 1, "Second")


BAD_REQUESTS = [
    (Request("BatchGetImage", REPO, ROLE), ValueError, "service:Action"),
    (Request("ecr:BatchGetImage", "", ROLE), ValueError, "resource"),
    (Request("ecr:BatchGetImage", REPO, ROLE, context=["aws:SourceVpce"]), ValueError, "context"),  # type: ignore[arg-type]
    ("ecr:BatchGetImage", TypeError, "Request"),
]


@pytest.mark.parametrize(("request_", "error", "message"), BAD_REQUESTS)
def test_bad_requests(request_, error, message) -> None:
    with pytest.raises(error, match=message):
        evaluate(request_, [policy(GOOD)])


def test_bad_arguments() -> None:
    r = Request("ecr:BatchGetImage", REPO, ROLE)
    with pytest.raises(ValueError, match="resource_kind"):
        evaluate(r, [policy(GOOD)], resource_kind="s3")
    with pytest.raises(TypeError, match="identity_policies must be a list"):
        evaluate(r, 5)  # type: ignore[arg-type]
    # one document where a list was expected is accepted
    assert evaluate(r, policy(GOOD)).allowed  # type: ignore[arg-type]
    assert evaluate(r, json.dumps(policy(GOOD))).allowed  # type: ignore[arg-type]


def test_hostile_strings_are_data_not_code() -> None:
    sid = "Sid with \n newline, 'quotes' and ünïcödé ${aws:username} %s {0}"
    doc = policy({"Sid": sid, **allow("ecr:(.*)", "arn:aws:ecr:us-east-1:111122223333:repository/[a-z]+")})
    r = Request("ecr:BatchGetImage", REPO, ROLE, {"aws:SourceVpce": "x" * 100_000, "\u202e": "\x00"})
    assert evaluate(r, [doc]).decision == "implicit_deny"
    literal = Request("ecr:(.*)", "arn:aws:ecr:us-east-1:111122223333:repository/[a-z]+", ROLE)
    assert evaluate(literal, [doc]).decision == "allowed"
    with pytest.raises(PolicyError, match=r"Sid .Sid with \\n newline"):
        compile_policy(policy({"Sid": sid, "Effect": "Perhaps", "Action": "*", "Resource": "*"}))


def test_pathological_wildcards_and_huge_values_finish() -> None:
    # many stars would make a backtracking regex explode; the matcher stays linear
    doc = policy(allow("ecr:*", "arn:aws:s3:::" + "*a" * 40 + "*b"),
                 allow("ecr:*", "*", Condition={"StringLike": {"k": "*a" * 40 + "*b"}}))
    r = Request("ecr:BatchGetImage", "arn:aws:s3:::" + "a" * 5000, ROLE, {"k": "a" * 5000})
    assert evaluate(r, [doc]).decision == "implicit_deny"


def test_non_json_data_and_deep_nesting() -> None:
    with pytest.raises(PolicyError, match="not plain JSON"):
        compile_policy({"Version": "2012-10-17", "Statement": [{**GOOD, "Action": {"ecr:*"}}]})
    deep: object = "x"
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(PolicyError):
        compile_policy({"Version": "2012-10-17", "Statement": [{**GOOD, "Condition": {"StringEquals": {"k": deep}}}]})
