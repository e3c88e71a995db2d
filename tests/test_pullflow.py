"""The pull plan: what a task definition makes the execution role and the network need."""

import pytest

from fargate_nb.model import Snapshot
from fargate_nb.pullflow import DOCKER_HUB, parse_image, plan, resolve_secret

ACCT = "111122223333"


@pytest.mark.parametrize("image, registry, repo, tag, digest, ecr", [
    ("nginx", DOCKER_HUB, "library/nginx", "latest", None, False),
    ("nginx:1.27", DOCKER_HUB, "library/nginx", "1.27", None, False),
    ("docker.io/acme/api:v1", DOCKER_HUB, "acme/api", "v1", None, False),
    ("acme/api@sha256:" + "a" * 64, DOCKER_HUB, "acme/api", None, "sha256:" + "a" * 64, False),
    ("localhost:5000/app", "localhost:5000", "app", "latest", None, False),
    ("ghcr.io/org/team/app:2", "ghcr.io", "org/team/app", "2", None, False),
    ("public.ecr.aws/nginx/nginx:stable", "public.ecr.aws", "nginx/nginx", "stable", None, False),
    (f"{ACCT}.dkr.ecr.eu-west-1.amazonaws.com/team/app:prod", f"{ACCT}.dkr.ecr.eu-west-1.amazonaws.com",
     "team/app", "prod", None, True),
    (f"{ACCT}.dkr.ecr.us-east-1.amazonaws.com/app:v1@sha256:" + "b" * 64, f"{ACCT}.dkr.ecr.us-east-1.amazonaws.com",
     "app", "v1", "sha256:" + "b" * 64, True),
])
def test_parse_image(image, registry, repo, tag, digest, ecr):
    ref = parse_image(image)
    assert (ref.registry, ref.repository, ref.tag, ref.digest, ref.ecr) == (registry, repo, tag, digest, ecr)


def test_ecr_image_arn_uses_the_registry_account_and_region():
    ref = parse_image("444455556666.dkr.ecr.ap-south-1.amazonaws.com/shared/base:1")
    assert ref.repository_arn() == "arn:aws:ecr:ap-south-1:444455556666:repository/shared/base"


@pytest.mark.parametrize("value_from, kind, arn, lookup", [
    ("arn:aws:secretsmanager:us-east-1:1:secret:db-AbCdEf", "secretsmanager",
     "arn:aws:secretsmanager:us-east-1:1:secret:db-AbCdEf", "arn:aws:secretsmanager:us-east-1:1:secret:db-AbCdEf"),
    ("arn:aws:secretsmanager:us-east-1:1:secret:db-AbCdEf:password::", "secretsmanager",
     "arn:aws:secretsmanager:us-east-1:1:secret:db-AbCdEf", "arn:aws:secretsmanager:us-east-1:1:secret:db-AbCdEf"),
    ("arn:aws:ssm:us-east-1:1:parameter/app/db", "ssm", "arn:aws:ssm:us-east-1:1:parameter/app/db", "/app/db"),
    ("db_url", "ssm", f"arn:aws:ssm:us-east-1:{ACCT}:parameter/db_url", "db_url"),
    ("/app/db", "ssm", f"arn:aws:ssm:us-east-1:{ACCT}:parameter/app/db", "/app/db"),
])
def test_resolve_secret(value_from, kind, arn, lookup):
    assert resolve_secret(value_from, "us-east-1", ACCT) == (kind, arn, lookup)


def _snap(containers, **td):
    return Snapshot(region="us-east-1", account=ACCT,
                    task={"taskArn": f"arn:aws:ecs:us-east-1:{ACCT}:task/c/0123abcd"},
                    task_definition={"containerDefinitions": containers, **td})


def test_ecr_image_with_secrets_and_awslogs_needs_everything():
    p = plan(_snap([{
        "name": "api", "image": f"{ACCT}.dkr.ecr.us-east-1.amazonaws.com/api:1",
        "secrets": [{"name": "DB", "valueFrom": "arn:aws:secretsmanager:us-east-1:1:secret:db-x:pw::"},
                    {"name": "FLAG", "valueFrom": "/flags/x"}],
        "logConfiguration": {"logDriver": "awslogs", "options": {
            "awslogs-group": "/ecs/api", "awslogs-stream-prefix": "ecs", "awslogs-create-group": "true"}},
    }]))
    assert all(p.needed_steps.values())
    assert p.execution_role_needed
    assert p.targets() == ["ecr.api", "ecr.dkr", "s3", "secretsmanager", "ssm", "logs"]
    actions = {(n.step, n.action) for n in p.needs}
    assert ("registry-auth", "ecr:GetAuthorizationToken") in actions
    assert ("logs", "logs:CreateLogGroup") in actions
    stream = next(n for n in p.needs if n.action == "logs:PutLogEvents").resource
    assert stream == f"arn:aws:logs:us-east-1:{ACCT}:log-group:/ecs/api:log-stream:ecs/api/0123abcd"


def test_public_docker_hub_image_without_logs_needs_no_execution_role():
    p = plan(_snap([{"name": "web", "image": "nginx:1.27"}]))
    assert not p.execution_role_needed
    assert not p.needed_steps["assume-role"] and not p.needed_steps["registry-auth"]
    assert p.targets() == [DOCKER_HUB]


def test_private_registry_credentials_are_a_registry_auth_need():
    p = plan(_snap([{"name": "web", "image": "acme/private:1",
                     "repositoryCredentials": {"credentialsParameter": "arn:aws:secretsmanager:us-east-1:1:secret:hub-AbC"}}]))
    assert p.execution_role_needed
    assert [n.action for n in p.needs_for("registry-auth")] == ["secretsmanager:GetSecretValue"]
    assert "secretsmanager" in p.targets()


def test_no_task_definition_means_an_empty_plan():
    p = plan(Snapshot(region="us-east-1"))
    assert not any(p.needed_steps.values()) and not p.needs


def test_registry_credentials_by_name_are_a_secrets_manager_secret():
    kind, arn, lookup = resolve_secret("dockerhub-creds", "us-east-1", ACCT, registry_credentials=True)
    assert (kind, lookup) == ("secretsmanager", "dockerhub-creds")
    assert arn == f"arn:aws:secretsmanager:us-east-1:{ACCT}:secret:dockerhub-creds"
    p = plan(_snap([{"name": "web", "image": "acme/private:1",
                     "repositoryCredentials": {"credentialsParameter": "dockerhub-creds"}}]))
    assert p.registry_credentials[0].kind == "secretsmanager"
    assert p.targets() == ["registry-1.docker.io", "secretsmanager"]


def test_a_repeated_container_is_planned_once_so_the_checks_stay_linear():
    container = {"name": "api", "image": "111122223333.dkr.ecr.us-east-1.amazonaws.com/api:1",
                 "secrets": [{"name": "DB", "valueFrom": "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf"}],
                 "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/api"}}}

    def planned(count: int):
        td = {"family": "api", "executionRoleArn": "arn:aws:iam::111122223333:role/exec",
              "containerDefinitions": [dict(container) for _ in range(count)]}
        return plan(Snapshot(region="us-east-1", account="111122223333", task_definition=td))

    one, many = planned(1), planned(300)
    assert many.needs == one.needs and len(many.needs) == len(set(many.needs))
    assert len(many.secrets) == len(one.secrets) == 1
    assert len(many.log_groups) == len(one.log_groups) == 1
