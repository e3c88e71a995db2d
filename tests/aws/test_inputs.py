"""Bad user input and unusable AWS: clear errors before (or instead of) any AWS call."""

from __future__ import annotations

import pytest

from fargate_nb.aws import AwsUnavailableError, InvalidInputError, collect, make_context
from fargate_nb.aws.arns import cluster_name, parse_arn, role_name, service_name, task_ref
from fargate_nb.aws.errors import AwsConfigError
from fargate_nb.lab.sandbox import free_port

TASK_ID = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize("kwargs, message", [
    ({"cluster": "web", "task": "arn:aws:ecs:us-east-1:123456789012:cluster/web"}, "not a valid ECS task ARN"),
    ({"cluster": "web", "task": "arn:aws:ecs:eu-west-1:123456789012:task/web/" + TASK_ID}, "--region eu-west-1"),
    ({"cluster": "web", "task": "arn:aws:ecs:us-east-1:123456789012:task/other/" + TASK_ID}, "names cluster 'other'"),
    ({"cluster": "web", "task": "../../etc/passwd"}, "neither a task ARN nor a task id"),
    ({"cluster": "web", "task": "x" * 5000}, r"\.\.\."),
    ({"cluster": "web\nrm -rf /", "task": TASK_ID}, "not a valid cluster name"),
    ({"cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/", "task": TASK_ID}, "not a valid cluster name"),
    ({"cluster": "arn:aws:s3:::bucket", "task": TASK_ID}, "not a valid ECS cluster ARN"),
    ({"cluster": "", "task": TASK_ID}, "a cluster is required"),
    ({"cluster": "web", "service": "svc name"}, "not a valid service name"),
    ({"cluster": "web", "service": "arn:aws:ecs:us-east-1:123456789012:service/other/api"}, "names cluster 'other'"),
    ({"cluster": "web"}, "exactly one"),
    ({"cluster": "web", "task": TASK_ID, "service": "api"}, "exactly one"),
])
def test_malformed_subjects_are_value_errors_with_the_expected_shape(kwargs, message):
    ctx = make_context(region="us-east-1", endpoint_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(InvalidInputError, match=message) as info:
        collect(ctx, **kwargs)
    assert isinstance(info.value, ValueError) and "\n" not in str(info.value)
    assert ctx.calls == []  # rejected before any AWS call


def test_valid_subject_forms_are_accepted():
    arn = f"arn:aws:ecs:us-east-1:123456789012:task/web/{TASK_ID}"
    assert cluster_name("arn:aws:ecs:us-east-1:123456789012:cluster/web", "us-east-1") == "web"
    assert task_ref(arn, "web", "us-east-1") == arn
    assert task_ref(f"arn:aws:ecs:us-east-1:123456789012:task/{TASK_ID}", "web", "us-east-1")  # old format
    assert service_name("arn:aws:ecs:us-east-1:123456789012:service/web/api", "web", "us-east-1") == "api"
    assert service_name("arn:aws:ecs:us-east-1:123456789012:service/api", "web", "us-east-1") == "api"
    assert role_name("arn:aws:iam::123456789012:role/service-role/exec") == "exec"
    assert role_name("arn:aws:iam::123456789012:user/bob") is None and role_name("") is None
    assert parse_arn("arn:aws-cn:ecs:cn-north-1:123456789012:task/x").partition == "aws-cn"
    assert parse_arn("not an arn") is None and parse_arn(None) is None


@pytest.mark.parametrize("kwargs, message", [
    ({"region": "mars-1"}, "not an AWS region"),
    ({"region": "us-east-1", "endpoint_url": "localhost:4566"}, "not an http"),
    ({"region": "us-east-1", "max_workers": 0}, "at least 1"),
])
def test_bad_context_arguments(kwargs, message):
    with pytest.raises(InvalidInputError, match=message):
        make_context(**kwargs)


def test_unknown_profile_is_a_configuration_problem():
    with pytest.raises(AwsConfigError, match="profile 'no-such-profile' is not configured"):
        make_context(region="us-east-1", profile="no-such-profile")
    assert issubclass(AwsConfigError, AwsUnavailableError)  # CLI exit 3, like missing credentials


def test_no_region_anywhere_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    with pytest.raises(AwsConfigError, match="no AWS region"):
        make_context()


def test_region_comes_from_the_environment_and_partition_from_the_region(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "cn-north-1")
    monkeypatch.delenv("AWS_REGION", raising=False)
    ctx = make_context()
    assert ctx.region == "cn-north-1" and ctx.partition == "aws-cn"


def test_no_credentials_is_aws_unavailable(monkeypatch):
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    ctx = make_context(region="us-east-1", endpoint_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(AwsUnavailableError, match="no AWS credentials"):
        collect(ctx, cluster="web", task=TASK_ID)


def test_unreachable_endpoint_is_aws_unavailable():
    ctx = make_context(region="us-east-1", endpoint_url=f"http://127.0.0.1:{free_port()}", max_attempts=1)
    with pytest.raises(AwsUnavailableError, match="AWS is unreachable or .* is not AWS"):
        collect(ctx, cluster="web", task=TASK_ID)
