"""logs checks: logs.group-missing and iam.logs."""

from fargate_nb.checks import logs
from tests.support.snapshots import (
    LOG_GROUP,
    SnapshotBuilder,
    after_fix,
    allow,
    deny,
    healthy,
    only,
    policy,
    run,
)

ECR_ONLY = policy(allow(["ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:BatchCheckLayerAvailability",
                         "ecr:GetDownloadUrlForLayer"]))


def test_missing_log_group_fails_and_the_fix_creates_it():
    snap = healthy().log_group(exists=False).build()
    f = only(logs.log_group_missing, snap, "fail")
    assert f.message == f"Log group {LOG_GROUP} does not exist"
    assert "ResourceNotFoundException" in f.detail
    assert f.remediation.commands == ["aws logs create-log-group --log-group-name /ecs/api --region us-east-1"]
    assert [x.status for x in after_fix(logs.log_group_missing, snap)] == ["pass"]


def test_missing_group_with_create_group_passes_but_needs_create_permission():
    snap = healthy().awslogs(create=True).log_group(exists=False).build()
    assert only(logs.log_group_missing, snap).status == "pass"
    f = only(logs.logs_permission, snap, "fail")  # the managed policy lacks logs:CreateLogGroup
    assert "logs:CreateLogGroup" in f.detail
    assert f.remediation.policy["Statement"][0]["Action"] == "logs:CreateLogGroup"
    assert f.remediation.policy["Statement"][0]["Resource"] == "arn:aws:logs:us-east-1:111122223333:log-group:/ecs/api:*"
    assert [x.status for x in after_fix(logs.logs_permission, snap)] == ["pass"]


def test_log_group_in_another_region_is_looked_up_there():
    snap = healthy().awslogs(region="eu-west-1").log_group(exists=False).build()
    f = only(logs.log_group_missing, snap, "fail")
    assert "--region eu-west-1" in f.remediation.commands[0]


def test_unread_log_group_is_unknown_and_no_awslogs_is_skipped():
    snap = healthy().forget("log_groups", LOG_GROUP).gap("logs:DescribeLogGroups", error="AccessDeniedException").build()
    f = only(logs.log_group_missing, snap, "unknown")
    assert f.missing_permission == "logs:DescribeLogGroups"
    assert only(logs.log_group_missing, SnapshotBuilder().container().build()).status == "skipped"
    assert only(logs.logs_permission, SnapshotBuilder().container().build()).status == "skipped"


def test_awslogs_without_group_option_fails():
    b = healthy()
    del b.td["containerDefinitions"][0]["logConfiguration"]["options"]["awslogs-group"]
    f = only(logs.log_group_missing, b.build(), "fail")
    assert "awslogs-group" in f.detail


def test_logs_permission_pass_fail_and_round_trip():
    assert only(logs.logs_permission, healthy().build()).status == "pass"
    snap = healthy().execution_role(managed=False, inline={"ecr": ECR_ONLY}).build()
    f = only(logs.logs_permission, snap, "fail")
    assert "logs:CreateLogStream, logs:PutLogEvents" in f.detail
    assert "log-stream:ecs/api/0123456789abcdef0123456789abcdef" in f.remediation.policy["Statement"][0]["Resource"]
    assert [x.status for x in after_fix(logs.logs_permission, snap)] == ["pass"]


def test_explicit_deny_on_the_group_is_reported_and_removed():
    guard = policy(deny("logs:*", "arn:aws:logs:us-east-1:111122223333:log-group:/ecs/*", sid="NoLogs"))
    snap = healthy().execution_role(inline={"guard": guard}).build()
    f = only(logs.logs_permission, snap, "fail")
    assert "'NoLogs'" in f.detail
    assert [x.status for x in after_fix(logs.logs_permission, snap)] == ["pass"]


def test_logs_permission_unknown_when_role_unread():
    snap = healthy().forget("roles", "arn:aws:iam::111122223333:role/ecsTaskExecutionRole").gap("iam:GetRole").build()
    assert [f.status for f in run(logs.logs_permission, snap)] == ["unknown"]


def test_unusable_log_group_evidence_is_unknown_not_missing():
    snap = healthy().build()
    snap.log_groups[LOG_GROUP] = 42  # a loaded snapshot cannot hold this (SnapshotError); one built in code can
    assert only(logs.log_group_missing, snap).status == "unknown"


def test_a_collector_failure_is_not_reported_as_a_missing_permission():
    snap = (healthy().forget("log_groups", LOG_GROUP)
            .gap("fargate-nb:collector", permission="", error="internal error in _describe_log_group: TypeError").build())
    f = only(logs.log_group_missing, snap, "unknown")
    assert "collector failed" in f.detail and "TypeError" in f.detail and f.missing_permission is None
