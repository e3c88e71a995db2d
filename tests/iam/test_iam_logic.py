"""Evaluation logic across policy types, table-driven from the AWS policy evaluation pages."""

from __future__ import annotations

import pytest
from iam_helpers import (
    ACCOUNT,
    KEY,
    OTHER,
    OTHER_REPO,
    REPO,
    ROLE,
    ROOT,
    SESSION,
    USER,
    allow,
    deny,
    grant,
    policy,
)

from fargate_nb.iam import Request, evaluate, evaluate_trust

PULL = "ecr:BatchGetImage"
ID_ALLOW = policy(allow(PULL, REPO))
BOUNDARY_ECR = policy(allow("ecr:*", "*"))
BOUNDARY_S3 = policy(allow("s3:*", "*"))
SESSION_OF_OTHER_ROLE = f"arn:aws:sts::{ACCOUNT}:assumed-role/other/x"


def run(principal=ROLE, resource=REPO, action=PULL, **kw):
    return evaluate(Request(action, resource, principal), **kw).decision


# "Policy evaluation for requests within a single account" - resource-based policies table:
# role ARN grants are limited by a boundary (not by identity policies); role-session and user ARN
# grants are limited by neither; an account (root) grant needs the identity-based policy.
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html)
SAME_ACCOUNT = [
    ("identity allow only", ROLE, dict(identity_policies=[ID_ALLOW]), "allowed"),
    ("nothing at all", ROLE, dict(), "implicit_deny"),
    ("identity allow, resource deny", ROLE,
     dict(identity_policies=[ID_ALLOW], resource_policy=policy(grant({"AWS": ROLE}, PULL, "Deny"))), "explicit_deny"),
    ("resource policy names the role", ROLE, dict(resource_policy=policy(grant({"AWS": ROLE}, PULL))), "allowed"),
    ("resource policy names the role of the session", SESSION,
     dict(resource_policy=policy(grant({"AWS": ROLE}, PULL))), "allowed"),
    ("role grant limited by the boundary", ROLE,
     dict(resource_policy=policy(grant({"AWS": ROLE}, PULL)), permissions_boundary=BOUNDARY_S3), "implicit_deny"),
    ("role grant to a session, limited by the boundary", SESSION,
     dict(resource_policy=policy(grant({"AWS": ROLE}, PULL)), permissions_boundary=BOUNDARY_S3), "implicit_deny"),
    ("role grant within the boundary", ROLE,
     dict(resource_policy=policy(grant({"AWS": ROLE}, PULL)), permissions_boundary=BOUNDARY_ECR), "allowed"),
    ("session grant is not limited by the boundary", SESSION,
     dict(resource_policy=policy(grant({"AWS": SESSION}, PULL)), permissions_boundary=BOUNDARY_S3), "allowed"),
    ("user grant is not limited by the boundary", USER,
     dict(resource_policy=policy(grant({"AWS": USER}, PULL)), permissions_boundary=BOUNDARY_S3), "allowed"),
    ("another session of the role is not this session", SESSION,
     dict(resource_policy=policy(grant({"AWS": SESSION_OF_OTHER_ROLE}, PULL))), "implicit_deny"),
    ("account grant needs the identity policy", ROLE, dict(resource_policy=policy(grant({"AWS": ACCOUNT}, PULL))),
     "implicit_deny"),
    ("account grant (root ARN) plus identity allow", ROLE,
     dict(resource_policy=policy(grant({"AWS": ROOT}, PULL)), identity_policies=[ID_ALLOW]), "allowed"),
    ("wildcard principal grants the role", ROLE, dict(resource_policy=policy(grant("*", PULL))), "allowed"),
    ("wildcard principal for a role is limited by the boundary", ROLE,
     dict(resource_policy=policy(grant({"AWS": "*"}, PULL)), permissions_boundary=BOUNDARY_S3), "implicit_deny"),
    ("resource policy for another action", ROLE, dict(resource_policy=policy(grant({"AWS": ROLE}, "ecr:PutImage"))),
     "implicit_deny"),
    ("resource deny naming the account applies to its roles", ROLE,
     dict(identity_policies=[ID_ALLOW], resource_policy=policy(grant({"AWS": ACCOUNT}, "*", "Deny"))), "explicit_deny"),
    # "Evaluating identity-based policies with permissions boundaries": the intersection
    ("identity allow within the boundary", ROLE,
     dict(identity_policies=[ID_ALLOW], permissions_boundary=BOUNDARY_ECR), "allowed"),
    ("identity allow outside the boundary", ROLE,
     dict(identity_policies=[ID_ALLOW], permissions_boundary=BOUNDARY_S3), "implicit_deny"),
    ("boundary alone grants nothing", ROLE, dict(permissions_boundary=BOUNDARY_ECR), "implicit_deny"),
    ("explicit deny in the boundary", ROLE,
     dict(identity_policies=[ID_ALLOW], permissions_boundary=policy(allow("*", "*"), deny(PULL, "*"))), "explicit_deny"),
    # the root user has full access to its own account's resources unless explicitly denied
    ("root user", ROOT, dict(), "allowed"),
    ("root user, explicit deny", ROOT, dict(resource_policy=policy(grant({"AWS": ACCOUNT}, "*", "Deny"))),
     "explicit_deny"),
]


@pytest.mark.parametrize(("case", "principal", "policies", "expected"), SAME_ACCOUNT, ids=[c[0] for c in SAME_ACCOUNT])
def test_same_account(case, principal, policies, expected) -> None:
    assert run(principal, **policies) == expected


# "Cross-account policy evaluation logic": the identity-based policy in the trusted account AND
# the resource-based policy in the trusting account must both allow.
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html)
CROSS_ACCOUNT = [
    ("both allow (account principal)", dict(identity_policies=[policy(allow(PULL, OTHER_REPO))],
                                            resource_policy=policy(grant({"AWS": ACCOUNT}, PULL))), "allowed"),
    ("both allow (role principal)", dict(identity_policies=[policy(allow(PULL, "*"))],
                                         resource_policy=policy(grant({"AWS": [ROLE]}, PULL))), "allowed"),
    ("identity only", dict(identity_policies=[policy(allow(PULL, "*"))]), "implicit_deny"),
    ("resource policy only", dict(resource_policy=policy(grant({"AWS": ROLE}, PULL))), "implicit_deny"),
    ("resource policy names a different account", dict(identity_policies=[policy(allow(PULL, "*"))],
                                                       resource_policy=policy(grant({"AWS": OTHER}, PULL))),
     "implicit_deny"),
    ("both allow, boundary does not", dict(identity_policies=[policy(allow(PULL, "*"))],
                                           resource_policy=policy(grant({"AWS": ROLE}, PULL)),
                                           permissions_boundary=BOUNDARY_S3), "implicit_deny"),
    ("session grant still needs the identity policy", dict(resource_policy=policy(grant({"AWS": SESSION}, PULL))),
     "implicit_deny"),
]


@pytest.mark.parametrize(("case", "policies", "expected"), CROSS_ACCOUNT, ids=[c[0] for c in CROSS_ACCOUNT])
def test_cross_account(case, policies, expected) -> None:
    principal = SESSION if "session" in case else ROLE
    assert run(principal, OTHER_REPO, **policies) == expected


def test_resource_account_argument_overrides_the_arn() -> None:
    # an S3 ARN carries no account: resource_account says who owns the bucket
    bucket = "arn:aws:s3:::shared-bucket/x"
    identity = [policy(allow("s3:GetObject", "*"))]
    assert run(ROLE, bucket, "s3:GetObject", identity_policies=identity) == "allowed"
    assert run(ROLE, bucket, "s3:GetObject", identity_policies=identity, resource_account=OTHER) == "implicit_deny"
    d = evaluate(Request("s3:GetObject", bucket, ROLE), identity, resource_account=OTHER)
    assert "cross-account" in d.reason


# AWS KMS "Key policies": "Unless the key policy explicitly allows it, you cannot use IAM policies
# to allow access to a KMS key"; the default statement allowing the account root "enables IAM
# policies". (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html)
ENABLE_IAM = grant({"AWS": ROOT}, "kms:*", Resource="*", Sid="Enable IAM User Permissions")
DECRYPT = policy(allow("kms:Decrypt", "*"))
KMS = [
    ("delegates to IAM, identity allows", dict(resource_policy=policy(ENABLE_IAM), identity_policies=[DECRYPT]),
     "allowed"),
    ("delegates to IAM by account id", dict(resource_policy=policy(grant({"AWS": ACCOUNT}, "kms:Decrypt", Resource="*")),
                                           identity_policies=[DECRYPT]), "allowed"),
    ("delegates to IAM, identity silent", dict(resource_policy=policy(ENABLE_IAM)), "implicit_deny"),
    ("key policy names the role", dict(resource_policy=policy(grant({"AWS": ROLE}, "kms:Decrypt", Resource="*"))),
     "allowed"),
    ("no delegation: IAM alone is not enough",
     dict(resource_policy=policy(grant({"AWS": f"arn:aws:iam::{ACCOUNT}:role/admin"}, "kms:*", Resource="*")),
          identity_policies=[DECRYPT]), "implicit_deny"),
    ("delegation for other actions only",
     dict(resource_policy=policy(grant({"AWS": ROOT}, "kms:Describe*", Resource="*")), identity_policies=[DECRYPT]),
     "implicit_deny"),
    ("delegation, boundary does not allow", dict(resource_policy=policy(ENABLE_IAM), identity_policies=[DECRYPT],
                                                 permissions_boundary=BOUNDARY_S3), "implicit_deny"),
    ("key policy unknown", dict(identity_policies=[DECRYPT]), "unknown"),
    ("key policy unknown, identity denies", dict(identity_policies=[policy(deny("kms:*", "*"))]), "explicit_deny"),
    ("key policy denies", dict(resource_policy=policy(ENABLE_IAM, grant("*", "kms:Decrypt", "Deny", Resource="*")),
                               identity_policies=[DECRYPT]), "explicit_deny"),
]


@pytest.mark.parametrize(("case", "policies", "expected"), KMS, ids=[c[0] for c in KMS])
def test_kms_key_policy(case, policies, expected) -> None:
    assert run(ROLE, KEY, "kms:Decrypt", resource_kind="kms", **policies) == expected


def test_kms_reason_and_cross_account_key() -> None:
    d = evaluate(Request("kms:Decrypt", KEY, ROLE), [DECRYPT], resource_kind="kms",
                 resource_policy=policy(grant({"AWS": f"arn:aws:iam::{ACCOUNT}:role/admin"}, "kms:*", Resource="*")))
    assert "key policy" in d.reason
    other_key = KEY.replace(ACCOUNT, OTHER)
    external = policy(grant({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "kms:Decrypt", Resource="*"))
    assert run(ROLE, other_key, "kms:Decrypt", resource_kind="kms", resource_policy=external,
               identity_policies=[DECRYPT]) == "allowed"
    assert run(ROLE, other_key, "kms:Decrypt", resource_kind="kms", resource_policy=external) == "implicit_deny"
    missing = evaluate(Request("kms:Decrypt", KEY, ROLE), [DECRYPT], resource_kind="kms")
    assert missing.decision == "unknown" and "key policy" in missing.reason and not missing.missing_context


# "Service control policies" evaluation: every level from the root to the account must allow;
# a deny at any level wins. (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html)
FULL = policy(allow("*", "*"))
SCPS = [
    ([FULL, FULL], "allowed"),
    ([FULL, policy(deny("ecr:*", "*"))], "explicit_deny"),
    ([FULL, policy(allow("s3:*", "*"))], "implicit_deny"),
    ([policy(allow("ecr:*", "*")), FULL], "allowed"),
    ([], "allowed"),  # no levels: nothing restricts
    (None, "allowed"),  # not known / not applied
]


@pytest.mark.parametrize(("scps", "expected"), SCPS)
def test_scp_levels(scps, expected) -> None:
    assert run(identity_policies=[ID_ALLOW], scps=scps) == expected


def test_scp_reason_and_matched_labels() -> None:
    d = evaluate(Request(PULL, REPO, ROLE), [ID_ALLOW], scps=[FULL, policy(allow("s3:*", "*"))])
    assert "SCP level 1" in d.reason
    d = evaluate(Request(PULL, REPO, ROLE), [("exec", ID_ALLOW)], scps=[FULL],
                 endpoint_policy=policy(grant("*", "ecr:*", Resource="*")))
    assert d.allowed
    assert {m.policy for m in d.matched} == {"identity:exec", "scp[0]", "endpoint"}


# VPC endpoint policies: "An endpoint policy does not override or replace identity-based policies or
# resource-based policies" - the request needs an allow from it as well; a deny in it wins.
# (https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html)
ENDPOINTS = [
    (policy(grant("*", "*", Resource="*")), "allowed"),
    (policy(grant("*", "s3:GetObject", Resource="arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*")), "implicit_deny"),
    (policy(grant("*", "*", Resource="*"), grant("*", PULL, "Deny", Resource="*")), "explicit_deny"),
    (policy(grant({"AWS": ROLE}, "*", Resource="*")), "allowed"),
    (policy(grant({"AWS": f"arn:aws:iam::{ACCOUNT}:role/other"}, "*", Resource="*")), "implicit_deny"),
]


@pytest.mark.parametrize(("endpoint", "expected"), ENDPOINTS)
def test_endpoint_policy(endpoint, expected) -> None:
    assert run(identity_policies=[ID_ALLOW], endpoint_policy=endpoint) == expected


# "AWS JSON policy elements: NotPrincipal": with Deny, every principal except those listed is denied;
# a role session is the session, its role and its account - all three must be listed to be spared.
# "The NotPrincipal element with a Deny effect will always deny any IAM principal that has a
# permissions boundary policy attached". (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html)
SPARE_ALL = {"AWS": [SESSION, ROLE, ROOT]}
NOT_PRINCIPAL = [
    ("session, role and account listed", SESSION, SPARE_ALL, None, "allowed"),
    ("session not listed", SESSION, {"AWS": [ROLE, ROOT]}, None, "explicit_deny"),
    ("account not listed", SESSION, {"AWS": [SESSION, ROLE]}, None, "explicit_deny"),
    ("role and account listed, caller is the role", ROLE, {"AWS": [ROLE, ROOT]}, None, "allowed"),
    ("user and account listed", USER, {"AWS": [USER, ACCOUNT]}, None, "allowed"),
    ("another user", f"arn:aws:iam::{ACCOUNT}:user/bob", {"AWS": [USER, ACCOUNT]}, None, "explicit_deny"),
    ("with a permissions boundary: always denied", SESSION, SPARE_ALL, policy(allow("*", "*")), "explicit_deny"),
]


@pytest.mark.parametrize(("case", "principal", "not_principal", "boundary", "expected"), NOT_PRINCIPAL,
                         ids=[c[0] for c in NOT_PRINCIPAL])
def test_not_principal_deny(case, principal, not_principal, boundary, expected) -> None:
    repo_policy = policy({"Effect": "Deny", "NotPrincipal": not_principal, "Action": "ecr:*"})
    assert run(principal, identity_policies=[policy(allow("*", "*"))], resource_policy=repo_policy,
               permissions_boundary=boundary) == expected


def test_not_principal_allow_grants_everyone_else() -> None:
    repo_policy = policy({"Effect": "Allow", "NotPrincipal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/blocked"},
                          "Action": PULL})
    assert run(ROLE, resource_policy=repo_policy) == "allowed"
    assert run(f"arn:aws:iam::{ACCOUNT}:role/blocked", resource_policy=repo_policy) == "implicit_deny"


# Role trust policies: "IAM role trust policies ... must explicitly allow access for principals";
# Fargate assumes the execution role as ecs-tasks.amazonaws.com.
# (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html)
ECS_TRUST = {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}
TRUST = [
    (policy(ECS_TRUST), {}, "allowed"),
    (policy({**ECS_TRUST, "Principal": {"Service": ["ec2.amazonaws.com", "ecs-tasks.amazonaws.com"]}}), {}, "allowed"),
    (policy({**ECS_TRUST, "Principal": {"Service": "ec2.amazonaws.com"}}), {}, "implicit_deny"),
    (policy({**ECS_TRUST, "Principal": {"AWS": ACCOUNT}}), {}, "implicit_deny"),
    (policy({**ECS_TRUST, "Action": "sts:TagSession"}), {}, "implicit_deny"),
    (policy({**ECS_TRUST, "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}}),
     {"aws:SourceAccount": ACCOUNT}, "allowed"),
    (policy({**ECS_TRUST, "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}}),
     {"aws:SourceAccount": OTHER}, "implicit_deny"),
    (policy({**ECS_TRUST, "Condition": {"ArnLike": {"aws:SourceArn": f"arn:aws:ecs:us-east-1:{ACCOUNT}:*"}}}),
     {}, "implicit_deny"),
    (policy(ECS_TRUST, {**ECS_TRUST, "Effect": "Deny"}), {}, "explicit_deny"),
    (policy({**ECS_TRUST, "Principal": "*"}), {}, "allowed"),
]


@pytest.mark.parametrize(("trust", "context", "expected"), TRUST)
def test_trust_policy(trust, context, expected) -> None:
    assert evaluate_trust(trust, context=context).decision == expected


def test_trust_unknown_source_account_and_missing_trust() -> None:
    trust = policy({**ECS_TRUST, "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}})
    d = evaluate_trust(trust, unknown_keys=["aws:SourceAccount"])
    assert d.decision == "unknown" and d.missing_context == {"aws:SourceAccount"}
    assert evaluate_trust(None).decision == "implicit_deny"


def test_service_principal_on_a_resource_policy() -> None:
    key_policy = policy(ENABLE_IAM, grant({"Service": "logs.us-east-1.amazonaws.com"}, "kms:Encrypt*", Resource="*"))
    assert run("logs.us-east-1.amazonaws.com", KEY, "kms:Encrypt", resource_kind="kms",
               resource_policy=key_policy) == "allowed"
    assert run("logs.us-east-1.amazonaws.com", KEY, "kms:Decrypt", resource_kind="kms",
               resource_policy=key_policy) == "implicit_deny"


# Decisions that depend on unknown keys are "unknown", never a guess - but say what is still possible.
def test_unknown_propagation_and_possible_outcomes() -> None:
    vpce_deny = policy(deny("*", "*", Condition={"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}))
    r = Request(PULL, REPO, ROLE, unknown_keys=frozenset({"aws:SourceVpce"}))
    with_allow = evaluate(r, [ID_ALLOW, vpce_deny])
    assert with_allow.decision == "unknown" and with_allow.possible == {"allowed", "explicit_deny"}
    assert not with_allow.allowed and not with_allow.denied
    without_allow = evaluate(r, [vpce_deny])
    assert without_allow.decision == "unknown" and without_allow.denied
    assert without_allow.possible == {"explicit_deny", "implicit_deny"}
    assert "denied either way" in without_allow.reason
    # a definite explicit deny elsewhere decides without the unknown value
    assert evaluate(r, [ID_ALLOW, vpce_deny, policy(deny(PULL, "*"))]).decision == "explicit_deny"
    # an unknown allow next to a definite allow does not matter
    vpce_allow = policy(allow(PULL, "*", Condition={"StringEquals": {"aws:SourceVpce": "vpce-1"}}))
    assert evaluate(r, [ID_ALLOW, vpce_allow]).decision == "allowed"
    only_unknown_allow = evaluate(r, [vpce_allow])
    assert only_unknown_allow.decision == "unknown" and only_unknown_allow.possible == {"allowed", "implicit_deny"}
    assert only_unknown_allow.matched[0].outcome == "unknown"


def test_matched_statements_and_reasons() -> None:
    doc = policy({"Sid": "Pull", **allow(PULL, REPO)}, {"Sid": "NoPush", **deny("ecr:PutImage", "*")})
    allowed = evaluate(Request(PULL, REPO, ROLE), [("exec-policy", doc)])
    assert [(m.policy, m.index, m.sid, m.effect) for m in allowed.matched] == [("identity:exec-policy", 0, "Pull", "Allow")]
    assert allowed.matched[0].statement["Action"] == PULL
    denied = evaluate(Request("ecr:PutImage", REPO, ROLE), [("exec-policy", doc)])
    assert denied.decision == "explicit_deny"
    assert "identity:exec-policy statement 1 (Sid 'NoPush')" in denied.reason
    token = evaluate(Request("ecr:GetAuthorizationToken", "*", ROLE), [("exec-policy", doc)])
    assert token.reason == "no identity-based policy allows ecr:GetAuthorizationToken on *"
    assert token.matched == ()
    boundary = evaluate(Request(PULL, REPO, ROLE), [doc], permissions_boundary=BOUNDARY_S3)
    assert "permissions boundary" in boundary.reason
    assert [m.policy for m in evaluate(Request(PULL, REPO, ROLE), [doc], permissions_boundary=policy(
        deny("*", "*"))).matched] == ["boundary"]


def test_policies_with_the_same_label_are_all_evaluated() -> None:
    d = evaluate(Request(PULL, REPO, ROLE), [("inline", ID_ALLOW), ("inline", policy(deny(PULL, "*"))),
                                             ("inline", ID_ALLOW)])
    assert d.decision == "explicit_deny"
    assert [m.policy for m in d.matched] == ["identity:inline"]
