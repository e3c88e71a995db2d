"""Condition operators, table-driven from the AWS documentation's examples and rules."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from iam_helpers import ABSENT, condition_outcome

# "IAM JSON policy elements: Condition operators"
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html):
# "If the key that you specify in a policy condition is not present in the request context, the values
# do not match and the condition is false. If the policy condition requires that the key is not matched,
# such as StringNotLike or ArnNotLike, and the right key is not present, the condition is true."
# Each row: operator, key, policy value(s), request value (ABSENT: not in the request), expected.
TEAM = "aws:PrincipalTag/job-category"
OPERATORS = [
    # String
    ("StringEquals", TEAM, "iamuser-admin", "iamuser-admin", True),
    ("StringEquals", TEAM, "iamuser-admin", "IAMUser-Admin", False),
    ("StringEquals", TEAM, "iamuser-admin", ABSENT, False),
    ("StringEquals", TEAM, ["a", "iamuser-admin"], "iamuser-admin", True),  # values OR
    ("StringEquals", "s3:max-keys", "10", 10, True),
    ("StringEquals", "aws:SecureTransport", "true", True, True),
    ("StringNotEquals", TEAM, "blue", "red", True),
    ("StringNotEquals", TEAM, "blue", "blue", False),
    ("StringNotEquals", TEAM, "blue", ABSENT, True),
    ("StringNotEquals", TEAM, ["blue", "red"], "red", False),  # "not equal to any of them"
    ("StringNotEquals", TEAM, ["blue", "red"], "green", True),
    ("StringEqualsIgnoreCase", TEAM, "Blue", "bLUE", True),
    ("StringEqualsIgnoreCase", TEAM, "Blue", "green", False),
    ("StringNotEqualsIgnoreCase", TEAM, "Blue", "BLUE", False),
    ("StringNotEqualsIgnoreCase", TEAM, "Blue", ABSENT, True),
    ("StringLike", "aws:SourceVpce", "vpce-*", "vpce-0abc", True),
    ("StringLike", "aws:SourceVpce", "vpce-*", "VPCE-0abc", False),  # case-sensitive
    ("StringLike", "s3:prefix", ["", "home/", "home/?"], "home/a", True),
    ("StringLike", "s3:prefix", ["", "home/"], "", True),
    ("StringLike", "s3:prefix", "home/?", "home/ab", False),
    ("StringNotLike", "aws:SourceVpce", "vpce-*", "vpce-1", False),
    ("StringNotLike", "aws:SourceVpce", "vpce-*", ABSENT, True),
    # Numeric
    ("NumericLessThanEquals", "s3:max-keys", "10", "10", True),
    ("NumericLessThanEquals", "s3:max-keys", "10", 11, False),
    ("NumericLessThanEquals", "s3:max-keys", "10", "ten", False),
    ("NumericLessThanEquals", "s3:max-keys", "10", ABSENT, False),
    ("NumericLessThan", "s3:max-keys", "10", 9.5, True),
    ("NumericLessThan", "s3:max-keys", "10", 10, False),
    ("NumericGreaterThan", "s3:max-keys", "10", 10.01, True),
    ("NumericGreaterThanEquals", "s3:max-keys", 10, "10.0", True),
    ("NumericEquals", "s3:max-keys", "1.5", 1.5, True),
    ("NumericEquals", "s3:max-keys", ["1", "2"], 2, True),
    ("NumericNotEquals", "s3:max-keys", "5", 5, False),
    ("NumericNotEquals", "s3:max-keys", "5", 6, True),
    ("NumericNotEquals", "s3:max-keys", "5", ABSENT, True),
    # Date: W3C ISO 8601 or epoch seconds
    ("DateGreaterThan", "aws:TokenIssueTime", "2020-01-01T00:00:01Z", "2020-06-01T00:00:00Z", True),
    ("DateGreaterThan", "aws:TokenIssueTime", "2020-01-01T00:00:01Z", "2019-12-31T23:59:59Z", False),
    ("DateGreaterThan", "aws:TokenIssueTime", "2020-01-01T00:00:01Z", ABSENT, False),
    ("DateLessThan", "aws:CurrentTime", "2020-01-01", 1577836799, True),
    ("DateLessThan", "aws:EpochTime", "1577836800", "2020-01-01T00:00:00Z", False),
    ("DateEquals", "aws:CurrentTime", "2020-01-01T00:00:00Z", "2020-01-01T01:00:00+01:00", True),
    ("DateEquals", "aws:CurrentTime", "2020-01-01T00:00:00Z", datetime(2020, 1, 1, tzinfo=UTC), True),
    ("DateNotEquals", "aws:CurrentTime", "2020-01-01T00:00:00Z", ABSENT, True),
    ("DateLessThanEquals", "aws:CurrentTime", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z", True),
    ("DateGreaterThanEquals", "aws:CurrentTime", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z", True),
    ("DateGreaterThan", "aws:CurrentTime", "2020-01-01T00:00:00Z", "not a date", False),
    # Boolean
    ("Bool", "aws:SecureTransport", "false", False, True),
    ("Bool", "aws:SecureTransport", "false", "false", True),
    ("Bool", "aws:SecureTransport", "false", True, False),
    ("Bool", "aws:SecureTransport", "false", ABSENT, False),
    ("Bool", "aws:SecureTransport", True, "TRUE", True),
    ("Bool", "aws:SecureTransport", "true", "yes", False),
    # Binary: "byte for byte against a base-64 encoded representation"
    ("BinaryEquals", "key", "QmluYXJ5VmFsdWVJbkJhc2U2NA==", b"BinaryValueInBase64", True),
    ("BinaryEquals", "key", "QmluYXJ5VmFsdWVJbkJhc2U2NA==", "QmluYXJ5VmFsdWVJbkJhc2U2NA==", True),
    ("BinaryEquals", "key", "QmluYXJ5VmFsdWVJbkJhc2U2NA==", b"other", False),
    ("BinaryEquals", "key", "QmluYXJ5VmFsdWVJbkJhc2U2NA==", ABSENT, False),
    # IP address: CIDR, v4 and v6; an address without prefix is /32
    ("IpAddress", "aws:SourceIp", "203.0.113.0/24", "203.0.113.7", True),
    ("IpAddress", "aws:SourceIp", "203.0.113.0/24", "198.51.100.1", False),
    ("IpAddress", "aws:SourceIp", "203.0.113.0/24", ABSENT, False),
    ("IpAddress", "aws:SourceIp", ["203.0.113.0/24", "2001:DB8:1234:5678::/64"], "2001:db8:1234:5678::1", True),
    ("IpAddress", "aws:SourceIp", "2001:DB8:1234:5678::/64", "203.0.113.7", False),
    ("IpAddress", "aws:SourceIp", "203.0.113.5", "203.0.113.5", True),
    ("IpAddress", "aws:SourceIp", "203.0.113.5", "203.0.113.6", False),
    ("NotIpAddress", "aws:SourceIp", "10.0.0.0/8", "10.1.1.1", False),
    ("NotIpAddress", "aws:SourceIp", "10.0.0.0/8", "8.8.8.8", True),
    ("NotIpAddress", "aws:SourceIp", "10.0.0.0/8", ABSENT, True),
    ("NotIpAddress", "aws:SourceIp", "10.0.0.0/8", "not-an-ip", False),
    # ARN: "each of the six colon-delimited components ... checked separately"; ArnEquals = ArnLike
    ("ArnLike", "aws:SourceArn", "arn:aws:sns:*:123456789012:topic-*", "arn:aws:sns:us-east-1:123456789012:topic-a", True),
    ("ArnLike", "aws:SourceArn", "arn:aws:someservice:*:111122223333:finance/*",
     "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt", False),
    ("StringLike", "aws:SourceArn", "arn:aws:someservice:*:111122223333:finance/*",
     "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt", True),
    ("ArnEquals", "aws:SourceArn", "arn:aws:sns:*:123456789012:*", "arn:aws:sns:eu-west-1:123456789012:t", True),
    ("ArnEquals", "aws:SourceArn", "arn:aws:sns:eu-west-1:123456789012:t", "arn:aws:sns:eu-west-1:123456789012:T", False),
    ("ArnLike", "aws:SourceArn", "arn:aws:sns:*:123456789012:*", "not-an-arn", False),
    ("ArnLike", "aws:SourceArn", "arn:aws:*", "arn:aws:sns:eu-west-1:123456789012:t", False),  # not six parts
    ("ArnNotLike", "aws:SourceArn", "arn:aws:sns:*:123456789012:*", ABSENT, True),
    ("ArnNotLike", "aws:SourceArn", "arn:aws:sns:*:123456789012:*", "arn:aws:sns:eu-west-1:123456789012:t", False),
    ("ArnNotEquals", "aws:SourceArn", "arn:aws:sns:*:123456789012:*", "arn:aws:sns:eu-west-1:999999999999:t", True),
    # ...IfExists: "If the key is not present, evaluate the condition element as true"
    ("StringEqualsIfExists", "ec2:InstanceType", "t2.micro", ABSENT, True),
    ("StringEqualsIfExists", "ec2:InstanceType", "t2.micro", "m5.large", False),
    ("StringLikeIfExists", "ec2:InstanceType", ["t1.*", "t2.*", "m3.*"], "t2.nano", True),
    ("StringNotEqualsIfExists", "ec2:InstanceType", "t2.micro", ABSENT, True),
    ("NumericLessThanIfExists", "s3:max-keys", "10", ABSENT, True),
    ("BoolIfExists", "aws:MultiFactorAuthPresent", "true", ABSENT, True),
    ("BoolIfExists", "aws:MultiFactorAuthPresent", "true", "false", False),
    ("IpAddressIfExists", "aws:SourceIp", "10.0.0.0/8", ABSENT, True),
    ("ArnLikeIfExists", "aws:SourceArn", "arn:aws:sns:*:*:*", ABSENT, True),
    # Null: "true" (the key doesn't exist) or "false" (the key exists)
    ("Null", "aws:TokenIssueTime", "true", ABSENT, True),
    ("Null", "aws:TokenIssueTime", "true", "2020-01-01T00:00:00Z", False),
    ("Null", "aws:TokenIssueTime", "false", "2020-01-01T00:00:00Z", True),
    ("Null", "aws:TokenIssueTime", "false", ABSENT, False),
    ("Null", "aws:TokenIssueTime", True, ABSENT, True),
    ("Null", "aws:TagKeys", "true", [], True),  # an empty set is no value
]


@pytest.mark.parametrize(("operator", "key", "values", "value", "expected"), OPERATORS)
def test_operator(operator, key, values, value, expected) -> None:
    context = {} if value is ABSENT else {key: value}
    assert condition_outcome({operator: {key: values}}, context) is expected


# "Set operators for multivalued context keys": ForAllValues is true when every request value
# matches, and also when the key is absent or empty; ForAnyValue needs one match and is false
# when the key is absent or empty.
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html)
TAGS = ["environment", "cost-center"]
SET_OPERATORS = [
    ("ForAllValues:StringEquals", TAGS, ["environment"], True),
    ("ForAllValues:StringEquals", TAGS, ["environment", "cost-center"], True),
    ("ForAllValues:StringEquals", TAGS, ["environment", "owner"], False),
    ("ForAllValues:StringEquals", TAGS, ABSENT, True),
    ("ForAllValues:StringEquals", TAGS, [], True),
    ("ForAllValues:StringEquals", TAGS, "environment", True),  # a single value is a one-element set
    ("ForAnyValue:StringEquals", TAGS, ["owner", "environment"], True),
    ("ForAnyValue:StringEquals", TAGS, ["owner"], False),
    ("ForAnyValue:StringEquals", TAGS, ABSENT, False),
    ("ForAnyValue:StringEquals", TAGS, [], False),
    ("ForAnyValue:StringNotEquals", ["environment"], ["environment", "owner"], True),
    ("ForAnyValue:StringNotEquals", ["environment"], ["environment"], False),
    ("ForAllValues:StringNotEquals", ["secret"], ["environment", "owner"], True),
    ("ForAllValues:StringNotEquals", ["secret"], ["environment", "secret"], False),
    ("ForAllValues:StringLike", ["env*", "cost-*"], ["env1", "cost-center"], True),
    ("ForAnyValue:StringLike", ["env*"], ["owner", "env9"], True),
    ("ForAnyValue:StringEqualsIfExists", TAGS, ABSENT, True),
    ("ForAllValues:StringEqualsIgnoreCase", TAGS, ["ENVIRONMENT"], True),
    ("ForAnyValue:NumericGreaterThan", ["10"], [3, 11], True),
    ("ForAnyValue:IpAddress", ["10.0.0.0/8"], ["192.0.2.1", "10.2.3.4"], True),
    ("ForAllValues:ArnLike", ["arn:aws:iam::*:role/*"], ["arn:aws:iam::111122223333:role/a"], True),
]


@pytest.mark.parametrize(("operator", "values", "value", "expected"), SET_OPERATORS)
def test_set_operators(operator, values, value, expected) -> None:
    context = {} if value is ABSENT else {"aws:TagKeys": value}
    assert condition_outcome({operator: {"aws:TagKeys": values}}, context) is expected


def test_single_valued_operator_on_several_request_values() -> None:
    # without a set operator a multivalued key matches when any value matches; negated: none may
    assert condition_outcome({"StringEquals": {"k": "a"}}, {"k": ["b", "a"]}) is True
    assert condition_outcome({"StringNotEquals": {"k": "a"}}, {"k": ["b", "a"]}) is False
    assert condition_outcome({"StringNotEquals": {"k": "a"}}, {"k": ["b", "c"]}) is True


# "IAM JSON policy elements: Condition" - several operators AND, several keys AND, values OR;
# "condition key names are not case-sensitive"; values are matched as the operator says.
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html)
def test_blocks_and_keys_and_values_combine() -> None:
    block = {"StringEquals": {"aws:PrincipalTag/team": ["blue", "red"], "aws:RequestedRegion": "us-east-1"},
             "Bool": {"aws:SecureTransport": "true"}}
    full = {"aws:PrincipalTag/team": "red", "aws:RequestedRegion": "us-east-1", "aws:SecureTransport": True}
    assert condition_outcome(block, full) is True
    assert condition_outcome(block, {**full, "aws:PrincipalTag/team": "green"}) is False
    assert condition_outcome(block, {**full, "aws:RequestedRegion": "eu-west-1"}) is False
    assert condition_outcome(block, {**full, "aws:SecureTransport": False}) is False


def test_key_names_are_case_insensitive_values_are_not() -> None:
    assert condition_outcome({"StringEquals": {"AWS:SourceVPCE": "vpce-1"}}, {"aws:sourcevpce": "vpce-1"}) is True
    assert condition_outcome({"StringEquals": {"aws:SourceVpce": "vpce-1"}}, {"aws:SourceVpce": "VPCE-1"}) is False


# Unknown keys: the real request carries the key but we do not know its value.
UNKNOWN = [
    ({"StringEquals": {"aws:SourceVpce": "vpce-1"}}, "unknown"),
    ({"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}, "unknown"),
    ({"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1"}}, "unknown"),  # present: IfExists does not help
    ({"ForAllValues:StringEquals": {"aws:SourceVpce": "vpce-1"}}, "unknown"),
    ({"Null": {"aws:SourceVpce": "false"}}, True),  # present: Null only asks that
    ({"Null": {"aws:SourceVpce": "true"}}, False),
    # another condition that fails decides without the unknown value
    ({"StringEquals": {"aws:SourceVpce": "vpce-1"}, "Bool": {"aws:SecureTransport": "true"}}, False),
]


@pytest.mark.parametrize(("block", "expected"), UNKNOWN)
def test_unknown_keys(block, expected) -> None:
    assert condition_outcome(block, {"aws:SecureTransport": False}, unknown=("aws:SourceVpce",)) == expected


def test_binary_policy_value_round_trip() -> None:
    raw = bytes(range(256))
    encoded = base64.b64encode(raw).decode()
    assert condition_outcome({"BinaryEquals": {"k": encoded}}, {"k": raw}) is True
    assert condition_outcome({"BinaryEquals": {"k": encoded}}, {"k": "%%% not base64"}) is False


def test_bool_condition_takes_a_policy_variable() -> None:
    # "You can use a policy variable with the Boolean condition operator"
    block = {"Bool": {"aws:SecureTransport": "${aws:PrincipalTag/tls}"}}
    assert condition_outcome(block, {"aws:SecureTransport": True, "aws:PrincipalTag/tls": "true"}) is True
    assert condition_outcome(block, {"aws:SecureTransport": True, "aws:PrincipalTag/tls": "false"}) is False
    assert condition_outcome(block, {"aws:SecureTransport": True}) is False  # unresolvable: statement invalid


def test_like_and_arn_conditions_take_policy_variables() -> None:
    like = {"StringLike": {"s3:prefix": "home/${aws:username}/*"}}
    user = "arn:aws:iam::111122223333:user/alice"
    assert condition_outcome(like, {"s3:prefix": "home/alice/x"}, principal=user) is True
    assert condition_outcome(like, {"s3:prefix": "home/bob/x"}, principal=user) is False
    arn = {"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:${aws:PrincipalAccount}:*"}}
    assert condition_outcome(arn, {"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:t"}) is True
    assert condition_outcome(arn, {"aws:SourceArn": "arn:aws:sns:us-east-1:999999999999:t"}) is False
