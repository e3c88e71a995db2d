"""The moto fixture really serves AWS APIs over HTTP and forgets state between tests."""

import boto3


def test_fixture_serves_http_with_managed_policies(aws):
    iam = boto3.client("iam")  # picks AWS_ENDPOINT_URL up from the environment
    assert iam.meta.endpoint_url == aws.endpoint_url
    arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
    policy = iam.get_policy(PolicyArn=arn)["Policy"]
    version = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])
    actions = version["PolicyVersion"]["Document"]["Statement"][0]["Action"]
    assert "ecr:GetAuthorizationToken" in actions
    iam.create_role(RoleName="left-over", AssumeRolePolicyDocument="{}")


def test_state_is_reset_between_tests(aws):
    iam = boto3.client("iam")
    names = [r["RoleName"] for r in iam.list_roles()["Roles"]]
    assert "left-over" not in names
