"""Access-denied messages name the policy type that denied; the explanation says it and routes it.

The wordings are the IAM user guide's ("Troubleshoot access denied error messages",
https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html): implicit denials
read "because no <type> allows the <action> action", explicit ones "with an explicit deny in a <type>",
optionally followed by ": <policy ARN>".
"""

from __future__ import annotations

import pytest

from fargate_nb.stopped import explain
from fargate_nb.stopped.denial import parse_denial

USER = "User: arn:aws:sts::111122223333:assumed-role/ecsTaskExecutionRole/8f2a1c is not authorized to perform: "
ECR_PULL = ("CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref "
            "210987654321.dkr.ecr.us-east-1.amazonaws.com/api:1: pull access denied for "
            "210987654321.dkr.ecr.us-east-1.amazonaws.com/api, repository does not exist or may require 'docker "
            "login': denied: " + USER + "ecr:BatchGetImage on resource: "
            "arn:aws:ecr:us-east-1:210987654321:repository/api ")
ECR_AUTH = ("ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval "
            "failed: unable to retrieve ecr registry auth: service call has been retried 1 time(s): "
            "AccessDeniedException: " + USER + "ecr:GetAuthorizationToken on resource: * ")
SECRET = ("ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: "
          "unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret "
          "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf from secrets manager: "
          "AccessDeniedException: " + USER + "secretsmanager:GetSecretValue on resource: "
          "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf ")


@pytest.mark.parametrize("clause, kind, explicit", [
    ("because no identity-based policy allows the codecommit:ListRepositories action", "identity", False),
    ("with an explicit deny in an identity-based policy", "identity", True),
    ("because no resource-based policy allows the codecommit:ListRepositories action", "resource", False),
    ("with an explicit deny in a resource-based policy", "resource", True),
    ("because no permissions boundary allows the codecommit:ListRepositories action", "boundary", False),
    ("with an explicit deny in a permissions boundary", "boundary", True),
    ("because no session policy allows the codecommit:ListRepositories action", "session", False),
    ("with an explicit deny in a sessions policy", "session", True),  # the guide's own spelling, once
    ("with an explicit deny in a session policy", "session", True),
    ("with an explicit deny in a service control policy", "scp", True),
    ("because no service control policy allows the codecommit:ListRepositories action", "scp", False),
    ("with an explicit deny in a resource control policy", "rcp", True),
    ("because no VPC endpoint policy allows the codecommit:ListRepositories action", "vpc-endpoint", False),
    ("with an explicit deny in a VPC endpoint policy", "vpc-endpoint", True),
    ("with an explicit deny in the role trust policy", "trust", True),
])
def test_every_documented_policy_type_is_read(clause, kind, explicit):
    d = parse_denial(USER + "codecommit:ListRepositories on resource: * " + clause)
    assert d is not None and (d.kind, d.explicit, d.action) == (kind, explicit, "codecommit:ListRepositories")


def test_a_named_policy_and_a_transitive_denial_are_kept():
    d = parse_denial(USER + "s3:GetObject with an explicit deny in a resource control policy: "
                     "arn:aws:organizations::123456789012:policy/o-a1b2c3/resource_control_policy/p-x1y2z3")
    assert d is not None and d.policy_arn and d.policy_arn.endswith("p-x1y2z3") and d.organisation
    d = parse_denial(USER + "SNS:Publish on resource: arn:aws:sns:us-east-1:444455556666:t with an explicit deny in "
                     "a VPC endpoint policy transitively through a service control policy")
    assert d is not None and (d.kind, d.through, d.organisation) == ("vpc-endpoint", "scp", True)
    assert parse_denial(USER + "ecr:BatchGetImage on resource: *") is None  # no policy type named


@pytest.mark.parametrize("message, first, words", [
    (ECR_PULL + "because no resource-based policy allows the ecr:BatchGetImage action", "ecr.repo-policy",
     "no statement in a resource-based policy allows it"),
    (ECR_PULL + "with an explicit deny in a VPC endpoint policy", "net.endpoint-policy",
     "explicit Deny in a VPC endpoint policy"),
    (ECR_PULL + "because no identity-based policy allows the ecr:BatchGetImage action", "iam.ecr-pull",
     "identity-based policy"),
    (ECR_AUTH + "because no permissions boundary allows the ecr:GetAuthorizationToken action", "iam.ecr-auth",
     "permissions boundary"),
    (ECR_AUTH + "with an explicit deny in a session policy", "iam.ecr-auth", "session policy"),
    (SECRET + "because no resource-based policy allows the secretsmanager:GetSecretValue action", "iam.secrets",
     "resource-based policy"),
])
def test_the_policy_type_routes_to_the_finding_that_can_confirm_it(message, first, words):
    e = explain(message)
    assert e.cause == "permission" and e.finding_ids[0] == first
    assert words in e.summary and e.denial is not None and e.to_dict()["denial"]["kind"] == e.denial["kind"]
    if first == "ecr.repo-policy":
        assert "iam.ecr-pull" not in e.finding_ids and "repository policy" in e.advice


@pytest.mark.parametrize("clause, which", [
    ("with an explicit deny in a service control policy", "service control policies (SCPs)"),
    ("with an explicit deny in a resource control policy", "resource control policies (RCPs)"),
])
def test_an_organisation_policy_denial_is_said_plainly(clause, which):
    e = explain(ECR_AUTH + clause)
    assert e.step == "registry-auth" and e.cause == "permission"
    assert e.finding_ids == []  # no check reads organisation policies: nothing here can confirm it
    assert which in e.summary and "cannot read" in e.summary
    assert "organisation's administrators" in e.advice and "ecr:GetAuthorizationToken" in e.advice
    assert e.denial and e.denial["organisation"] is True


def test_a_message_without_a_policy_type_has_no_denial_field():
    e = explain(ECR_PULL.rstrip())
    assert e.denial is None and "denial" not in e.to_dict()


def test_a_refused_environment_file_routes_to_the_environment_files_check():
    """ECS developer guide, taskdef-envfiles.html: the execution role needs s3:GetObject on the file; a
    layer download refused on S3 (presigned URLs) stays with the endpoint policy."""
    env_file = explain(
        "ResourceInitializationError: failed to download env files: file download command: non empty error stream: "
        "operation error S3: GetObject, https response error StatusCode: 403, api error AccessDenied: User: "
        "arn:aws:sts::123456789012:assumed-role/exec/abc is not authorized to perform: s3:GetObject on resource: "
        '"arn:aws:s3:::acme/prod.env" because no identity-based policy allows the s3:GetObject action')
    assert (env_file.step, env_file.cause) == ("secrets", "permission")
    assert env_file.finding_ids[0] == "iam.environment-files"
    layers = explain("CannotPullContainerError: ref pull has been retried 1 time(s): failed to copy: httpReadSeeker: "
                     "failed open: unexpected status code https://prod-us-east-1-starport-layer-bucket.s3.us-east-1"
                     ".amazonaws.com/a/b?X-Amz-Signature=x: 403 Forbidden")
    assert (layers.step, layers.finding_ids) == ("layers", ["net.endpoint-policy"])
