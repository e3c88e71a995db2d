"""assume-role checks: exec-role.missing, exec-role.not-found, exec-role.trust, and role.confusion;
and the IAM what-if operations their fixes use."""

import re

import pytest

from fargate_nb.checks import roles
from fargate_nb.pullflow import plan
from tests.support.snapshots import (
    ACCT,
    EXEC_ROLE,
    MANAGED_EXEC_POLICY,
    MANAGED_EXEC_POLICY_ARN,
    TASK_ARN,
    TASK_ROLE,
    TRUST,
    SnapshotBuilder,
    after_fix,
    allow,
    deny,
    healthy,
    only,
    policy,
)


# -- exec-role.missing --------------------------------------------------------------------------------
def test_missing_execution_role_fails_and_the_fix_creates_one():
    snap = healthy().execution_role_arn(None).build()
    f = only(roles.execution_role_missing, snap, "fail")
    assert "pulls from private ECR" in f.detail and "sends logs with awslogs" in f.detail
    cmds = "\n".join(f.remediation.commands)
    assert "aws iam create-role --role-name ecsTaskExecutionRole" in cmds
    assert "AmazonECSTaskExecutionRolePolicy" in cmds and "register-task-definition" in cmds
    assert f.remediation.fix["op"] == "set_execution_role"
    assert [x.status for x in after_fix(roles.execution_role_missing, snap)] == ["pass"]


def test_created_role_also_passes_the_trust_check():
    snap = healthy().execution_role_arn(None).build()
    from tests.support.snapshots import apply
    fixed = apply(snap, only(roles.execution_role_missing, snap).remediation.fix)
    assert only(roles.execution_role_trust, fixed).status == "pass"
    assert only(roles.execution_role_not_found, fixed).status == "pass"


def test_execution_role_present_passes():
    assert only(roles.execution_role_missing, healthy().build()).status == "pass"


def test_public_image_without_secrets_or_logs_needs_no_execution_role():
    snap = SnapshotBuilder().container(image="nginx:1.27").build()
    f = only(roles.execution_role_missing, snap, "skipped")
    assert "no execution role" in f.detail


def test_unread_task_definition_is_unknown_and_names_the_permission():
    b = healthy().gap("ecs:DescribeTaskDefinition", error="AccessDeniedException: no")
    b.snap.task_definition = None
    f = only(roles.execution_role_missing, b.build(), "unknown")
    assert f.missing_permission == "ecs:DescribeTaskDefinition" and "AccessDeniedException" in f.detail


# -- exec-role.not-found ----------------------------------------------------------------------------------
def test_deleted_role_fails_and_the_fix_recreates_it_under_the_same_arn():
    snap = healthy().execution_role(exists=False).build()
    f = only(roles.execution_role_not_found, snap, "fail")
    assert EXEC_ROLE in f.detail and "unable to assume" in f.detail
    assert f.remediation.fix["role_arn"] == EXEC_ROLE
    assert [x.status for x in after_fix(roles.execution_role_not_found, snap)] == ["pass"]


def test_role_arn_that_is_not_a_role_fails_clearly():
    hostile = "arn:aws:s3:::bucket'; rm -rf / #"
    snap = healthy().execution_role_arn(hostile).build()
    f = only(roles.execution_role_not_found, snap, "fail")
    assert "is not an IAM role ARN" in f.detail
    assert [x.status for x in after_fix(roles.execution_role_not_found, snap)] == ["pass"]
    assert all("rm -rf" not in c for c in f.remediation.commands)


def test_role_named_without_arn_resolves_in_the_task_account():
    snap = healthy().execution_role_arn("ecsTaskExecutionRole").build()
    assert only(roles.execution_role_not_found, snap).status == "pass"


def test_unread_role_is_unknown_with_the_gap():
    snap = (healthy().forget("roles", EXEC_ROLE)
            .gap("iam:GetRole", resource="ecsTaskExecutionRole", error="AccessDenied: iam:GetRole").build())
    f = only(roles.execution_role_not_found, snap, "unknown")
    assert f.missing_permission == "iam:GetRole" and "AccessDenied" in f.detail


def test_not_found_is_skipped_without_execution_role():
    snap = healthy().execution_role_arn(None).build()
    assert only(roles.execution_role_not_found, snap).status == "skipped"


# -- exec-role.trust -------------------------------------------------------------------------------------
def _trust(*statements):
    return policy(*statements)


def test_documented_trust_policy_passes_with_its_statement_as_evidence():
    f = only(roles.execution_role_trust, healthy().build(), "pass")
    assert any("ecs-tasks.amazonaws.com" in e for e in f.evidence)


def test_wrong_service_principal_fails_and_the_fix_keeps_other_statements():
    wrong = _trust({"Effect": "Allow", "Principal": {"Service": "ecs.amazonaws.com"}, "Action": "sts:AssumeRole"})
    snap = healthy().execution_role(trust=wrong).build()
    f = only(roles.execution_role_trust, snap, "fail")
    assert "does not trust ecs-tasks.amazonaws.com" in f.message
    assert "update-assume-role-policy --role-name ecsTaskExecutionRole" in f.remediation.commands[0]
    assert wrong["Statement"][0] in f.remediation.policy["Statement"]
    assert [x.status for x in after_fix(roles.execution_role_trust, snap)] == ["pass"]


def test_explicit_deny_in_trust_fails_and_the_fix_removes_it():
    trust = _trust(TRUST["Statement"][0], {"Sid": "NoEcs", "Effect": "Deny", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                                           "Action": "sts:AssumeRole"})
    snap = healthy().execution_role(trust=trust).build()
    f = only(roles.execution_role_trust, snap, "fail")
    assert any("NoEcs" in e for e in f.evidence)
    assert [x.status for x in after_fix(roles.execution_role_trust, snap)] == ["pass"]


def test_source_account_condition_uses_the_task_account():
    def with_account(acct):
        st = {**TRUST["Statement"][0], "Condition": {"StringEquals": {"aws:SourceAccount": acct}}}
        return healthy().execution_role(trust=_trust(st)).build()

    assert only(roles.execution_role_trust, with_account(ACCT)).status == "pass"
    assert only(roles.execution_role_trust, with_account("999999999999")).status == "fail"


def test_source_arn_condition_matching_the_account_passes_and_a_cluster_pattern_warns():
    def with_arn(pattern):
        st = {**TRUST["Statement"][0], "Condition": {"ArnLike": {"aws:SourceArn": pattern}}}
        return healthy().execution_role(trust=_trust(st)).build()

    assert only(roles.execution_role_trust, with_arn(f"arn:aws:ecs:us-east-1:{ACCT}:*")).status == "pass"
    f = only(roles.execution_role_trust, with_arn(f"arn:aws:ecs:us-east-1:{ACCT}:cluster/other"), "warn")
    assert TASK_ARN in f.detail
    fixed = after_fix(roles.execution_role_trust, with_arn(f"arn:aws:ecs:us-east-1:{ACCT}:cluster/other"),
                      ("warn",))
    assert [x.status for x in fixed] == ["pass"]
    cond = f.remediation.policy["Statement"][0]["Condition"]
    assert cond == {"ArnLike": {"aws:SourceArn": f"arn:aws:ecs:us-east-1:{ACCT}:*"}}


def test_malformed_trust_policy_fails_with_a_clear_message():
    broken = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}
    snap = healthy().execution_role(trust=broken).build()
    f = only(roles.execution_role_trust, snap, "fail")
    assert "cannot be evaluated" in f.detail and "Principal" in f.detail
    assert [x.status for x in after_fix(roles.execution_role_trust, snap)] == ["pass"]


def test_trust_unknown_when_role_unread_and_skipped_without_role():
    snap = healthy().forget("roles", EXEC_ROLE).gap("iam:GetRole", resource=EXEC_ROLE).build()
    assert only(roles.execution_role_trust, snap).status == "unknown"
    assert only(roles.execution_role_trust, healthy().execution_role_arn(None).build()).status == "skipped"


# -- role.confusion ----------------------------------------------------------------------------------------
ECR_READ = allow(["ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:BatchCheckLayerAvailability",
                  "ecr:GetDownloadUrlForLayer"])
LOGS_ONLY = policy(allow(["logs:CreateLogStream", "logs:PutLogEvents"]))


def _confused():
    return (healthy().execution_role(managed=False, inline={"logs": LOGS_ONLY})
            .task_role_arn(TASK_ROLE).role(TASK_ROLE, inline={"ecr": policy(ECR_READ)}))


def test_permissions_on_the_task_role_fail_and_the_fix_moves_them():
    snap = _confused().build()
    f = only(roles.role_confusion, snap, "fail")
    assert f.step == "registry-auth"
    assert "ecr:GetAuthorizationToken" in f.detail and TASK_ROLE in f.detail
    assert f.remediation.fix["op"] == "attach_role_policy" and f.remediation.fix["role_arn"] == EXEC_ROLE
    assert "put-role-policy --role-name ecsTaskExecutionRole" in f.remediation.commands[0]
    assert [x.status for x in after_fix(roles.role_confusion, snap)] == ["pass"]


def test_confusion_without_any_execution_role():
    snap = (healthy().execution_role_arn(None).task_role_arn(TASK_ROLE)
            .role(TASK_ROLE, attached=[(MANAGED_EXEC_POLICY_ARN, MANAGED_EXEC_POLICY)]).build())
    f = only(roles.role_confusion, snap, "fail")
    assert "(no execution role)" in f.detail
    assert [x.status for x in after_fix(roles.role_confusion, snap)] == ["pass"]


def test_task_role_for_the_application_only_passes():
    snap = healthy().task_role_arn(TASK_ROLE).role(TASK_ROLE, inline={"s3": policy(allow("s3:GetObject"))}).build()
    assert only(roles.role_confusion, snap).status == "pass"


def test_confusion_skipped_without_task_role_and_unknown_when_unread():
    assert only(roles.role_confusion, healthy().build()).status == "skipped"
    snap = healthy().task_role_arn(TASK_ROLE).gap("iam:GetRole", resource=TASK_ROLE).build()
    f = only(roles.role_confusion, snap, "unknown")
    assert f.missing_permission == "iam:GetRole"


def test_deny_on_the_execution_role_is_not_confusion():
    # The task role allows ECR but the execution role is explicitly denied: that is an IAM problem
    # of the execution role (iam.ecr-pull), and moving the allow would not help; still confusion lists it.
    snap = (healthy().execution_role(inline={"no-ecr": policy(deny("ecr:BatchGetImage"))})
            .task_role_arn(TASK_ROLE).role(TASK_ROLE, inline={"ecr": policy(ECR_READ)}).build())
    f = only(roles.role_confusion, snap, "fail")
    assert "ecr:BatchGetImage" in f.detail
    assert [x.status for x in after_fix(roles.role_confusion, snap)] == ["pass"]


# -- what-if operations (fargate_nb.fixes.iam) ----------------------------------------------------------
@pytest.mark.parametrize("fix, message", [
    ({"op": "attach_role_policy", "role_arn": TASK_ROLE, "policy_name": "p", "document": {}}, "was not read"),
    ({"op": "attach_role_policy", "role_arn": EXEC_ROLE, "policy_name": "p"}, "'document' is missing"),
    ({"op": "set_trust_policy", "document": {}}, "'role_arn' is missing"),
    ({"op": "set_resource_policy", "kind": "bucket", "arn": "x", "document": {}}, "unknown kind 'bucket'"),
    ({"op": "set_resource_policy", "kind": "secret", "arn": "arn:aws:secretsmanager:us-east-1:1:secret:x",
      "document": {}}, "not in this snapshot"),
    ({"op": "add_repository_credentials", "container": "nope", "secret_arn": "arn:x"}, "no container named 'nope'"),
    ({"op": "remove_policy_statement", "role_arn": EXEC_ROLE, "policy_name": "ghost", "statement": {"Effect": "Deny"}},
     "inline policy 'ghost' is not on role"),
    ({"op": "detach_role_policy", "role_arn": EXEC_ROLE, "policy_arn": "arn:aws:iam::aws:policy/Nope"}, "is not attached"),
    ({"op": "create_repository", "arn": "arn:aws:s3:::bucket"}, "not an ECR repository ARN"),
    ({"op": "sequence", "fixes": [{"op": "sequence", "fixes": []}]}, "bad step"),
    ({"op": "enable_kms_key", "key_arn": "arn:aws:kms:us-east-1:1:key/x"}, "not in this snapshot"),
])
def test_what_if_operations_refuse_missing_targets_with_clear_messages(fix, message):
    from fargate_nb.fixes import FixError, apply_fix
    snap = healthy().build()
    with pytest.raises(FixError, match=re.escape(message)):
        apply_fix(snap, fix)


def test_what_if_patches_a_copy_and_the_whole_diagnosis_follows():
    from fargate_nb.fixes import apply_fix
    snap = healthy().execution_role(exists=False).build()
    fix = only(roles.execution_role_not_found, snap).remediation.fix
    patched = apply_fix(snap, fix)
    assert snap.roles[EXEC_ROLE] is None and isinstance(patched.roles[EXEC_ROLE], dict)
    assert patched.to_dict()["roles"][EXEC_ROLE]["Role"]["Arn"] == EXEC_ROLE  # JSON-safe


def test_sequence_applies_every_step_in_order():
    from fargate_nb.fixes import apply_fix
    snap = healthy().execution_role(boundary=policy(allow("logs:*"))).build()
    patched = apply_fix(snap, {"op": "sequence", "fixes": [
        {"op": "set_permissions_boundary", "role_arn": EXEC_ROLE, "document": None},
        {"op": "attach_role_policy", "role_arn": EXEC_ROLE, "policy_name": "x", "document": policy(allow("s3:*"))}]})
    assert patched.roles[EXEC_ROLE]["PermissionsBoundary"] is None
    assert "x" in patched.roles[EXEC_ROLE]["InlinePolicies"]


def test_role_evidence_keyed_by_the_name_written_in_the_task_definition():
    b = healthy().execution_role_arn("ecsTaskExecutionRole")
    b.snap.roles["ecsTaskExecutionRole"] = b.snap.roles.pop(EXEC_ROLE)
    snap = b.task_role_arn("api-task-role").role(TASK_ROLE, inline={"s3": policy(allow("s3:GetObject"))}).build()
    assert only(roles.execution_role_not_found, snap).status == "pass"
    assert only(roles.execution_role_trust, snap).status == "pass"
    assert only(roles.role_confusion, snap).status == "pass"


def test_organisation_policies_are_said_once_not_evaluated():
    """IAM user guide, "Policy evaluation logic": SCPs and RCPs can deny what identity and resource
    policies allow; the kit reads neither, so a pass says so once (info), never as a failure."""
    from fargate_nb.checks.roles import organisation_policies
    from fargate_nb.diagnose import diagnose

    snap = healthy().build()
    [f] = organisation_policies(snap, plan(snap))
    assert f.status == "info" and "SCP" in f.message and "RCP" in f.message and ACCT in f.detail
    d = diagnose(snap)
    assert [x.status for x in d.finding("iam.org-policies")] == ["info"]
    assert d.finding("iam.org-policies")[0].step is None and not d.failed  # advice: no step, no failure
    assert "organisation" not in d.verdict.lower() and all(c.finding_refs == [] or all(d.findings[i].id != "iam.org-policies" for i in c.finding_refs) for c in d.sequence.calls)
    no_role = healthy().execution_role_arn(None).build()
    assert [x.status for x in organisation_policies(no_role, plan(no_role))] == ["skipped"]
