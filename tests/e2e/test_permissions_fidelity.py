"""Permission and image verdicts that must match what AWS documents, each a moto environment that
fails first and passes once the documented fix is applied (diagnosed over HTTP by the real collector).

Calls moto does not implement (ECR pull-through cache rules) are answered by injected HTTP
responses in the service's own protocol, as `tests/aws/inject.py` does for the policy simulator.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import botocore.session
import pytest

from fargate_nb.lab.build import provision
from fargate_nb.lab.spec import EnvSpec
from fargate_nb.model import Diagnosis
from tests.aws.inject import Injector, ok_response

from .cases import client, delete_repository, diagnose_live, register_revision

pytestmark = pytest.mark.xdist_group("e2e")


@pytest.fixture
def inject(monkeypatch: pytest.MonkeyPatch) -> Callable[[dict[tuple[str, str], Any]], None]:
    """``inject(rules)``: every botocore session created afterwards answers ``rules`` (see `Injector`)."""
    real = botocore.session.get_session

    def install(rules: dict[tuple[str, str], Any]) -> None:
        injector = Injector(rules)

        def session(*a: Any, **kw: Any) -> botocore.session.Session:
            core = real(*a, **kw)
            core.register("before-send", injector)
            return core

        monkeypatch.setattr(botocore.session, "get_session", session)

    return install


def _statuses(diagnosis: Diagnosis, finding_id: str) -> list[str]:
    return [f.status for f in diagnosis.finding(finding_id)]


# -- ECR pull-through cache -----------------------------------------------------------------------
def _cache_rules(*rules: dict[str, Any]) -> Callable[[Any], Any]:
    body = json.dumps({"pullThroughCacheRules": list(rules)})
    return lambda request: ok_response(body, "application/x-amz-json-1.1")


def test_a_missing_repository_under_a_pull_through_cache_rule_is_created_by_the_first_pull(aws, inject):
    """ECR user guide: pull-through-cache.html, pull-through-cache-iam.html, vpc-endpoints.html."""
    env = provision(aws, EnvSpec(repository="docker-hub/library/nginx", image_tag="1.27"))
    delete_repository(aws, env)  # never pulled through the cache yet: the first pull creates it
    account, region = env.account, aws.region
    rule = {"ecrRepositoryPrefix": "docker-hub", "upstreamRegistryUrl": "registry-1.docker.io",
            "registryId": account, "upstreamRegistry": "docker-hub", "createdAt": 1767225600,
            "credentialArn": f"arn:aws:secretsmanager:{region}:{account}:secret:ecr-pullthroughcache/docker-hub-AbCdEf"}

    # Without the rules (moto does not implement the call): the repository is simply missing.
    _, before = diagnose_live(aws, env)
    assert _statuses(before, "ecr.repo-missing") == ["fail"]

    # The rule covers the repository, but its upstream credentials secret does not exist.
    inject({("ecr", "DescribePullThroughCacheRules"): _cache_rules(rule)})
    snapshot, broken = diagnose_live(aws, env)
    assert _statuses(broken, "ecr.repo-missing") == ["pass"]
    cache = broken.finding("ecr.pull-through-cache")
    assert sorted(f.status for f in cache) == ["fail", "unknown"], [(f.status, f.detail) for f in cache]
    failing = next(f for f in cache if f.status == "fail")
    assert rule["credentialArn"] in failing.detail and failing.remediation
    # The managed execution policy lacks both cache actions; the registry policy (unread) might grant them.
    permission = next(f for f in cache if f.status == "unknown")
    assert {d.action for d in permission.decisions} == {"ecr:BatchImportUpstreamImage", "ecr:CreateRepository"}
    assert "registry-1.docker.io" in {d.target for d in broken.network}
    assert broken.status == "fail"

    # The documented fix: the credentials secret exists, and the role may import and create.
    secret_arn = client(aws, "secretsmanager").create_secret(
        Name="ecr-pullthroughcache/docker-hub", SecretString=json.dumps({"username": "u", "accessToken": "t"}))["ARN"]
    client(aws, "iam").put_role_policy(
        RoleName=env.ids["execution_role_name"], PolicyName="pull-through-cache",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": ["ecr:BatchImportUpstreamImage", "ecr:CreateRepository"],
            "Resource": f"arn:aws:ecr:{region}:{account}:repository/docker-hub/*"}]}))
    inject({("ecr", "DescribePullThroughCacheRules"): _cache_rules({**rule, "credentialArn": secret_arn})})
    _, fixed = diagnose_live(aws, env)
    assert _statuses(fixed, "ecr.pull-through-cache") == ["pass", "pass"]
    assert not fixed.failed, [(f.id, f.target, f.detail) for f in fixed.failed]
    assert snapshot.images[next(iter(snapshot.images))].get("pull_through_cache", {}).get("ecrRepositoryPrefix") \
        == "docker-hub"


# -- Secrets Manager secrets referenced through Parameter Store -------------------------------------
def test_a_secret_referenced_through_parameter_store_needs_both_reads(aws):
    """Systems Manager user guide, integration-ps-secretsmanager.html: GetParameters on the reserved
    /aws/reference/secretsmanager/ path, and Parameter Store honors the secret's own permissions."""
    env = provision(aws, EnvSpec())
    account, region = env.account, aws.region
    secret_arn = client(aws, "secretsmanager").create_secret(
        Name="payments-api/db", SecretString="sandbox-value")["ARN"]
    reference = f"arn:aws:ssm:{region}:{account}:parameter/aws/reference/secretsmanager/payments-api/db"

    def reference_the_secret(request: dict[str, Any]) -> None:
        request["containerDefinitions"][0]["secrets"] = [{"name": "DB", "valueFrom": reference}]

    register_revision(aws, env, reference_the_secret)
    client(aws, "iam").put_role_policy(  # the secret alone, as if it were named directly
        RoleName=env.ids["execution_role_name"], PolicyName="read-db",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": secret_arn}]}))

    snapshot, broken = diagnose_live(aws, env)
    # Described as a secret (DescribeSecret), not looked for as a parameter.
    assert [e["ARN"] for e in snapshot.secrets.values()] == [secret_arn] and not snapshot.parameters
    assert _statuses(broken, "secrets.missing") == ["pass"]
    by_resource = {f.resource: f.status for f in broken.finding("iam.secrets")}
    named = f"arn:aws:secretsmanager:{region}:{account}:secret:payments-api/db"
    assert by_resource == {named: "pass", reference: "fail"}, by_resource
    assert {d.target for d in broken.network} >= {"ssm"}
    assert "secretsmanager" not in {d.target for d in broken.network}  # Parameter Store passes it through

    client(aws, "iam").put_role_policy(
        RoleName=env.ids["execution_role_name"], PolicyName="read-reference",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "ssm:GetParameters", "Resource": reference}]}))
    _, fixed = diagnose_live(aws, env)
    assert _statuses(fixed, "iam.secrets") == ["pass", "pass"]
    assert not fixed.failed, [(f.id, f.target, f.detail) for f in fixed.failed]
    rows = {(r.action, r.resource): r.status for r in fixed.permissions if r.role == "execution"}
    assert rows[("ssm:GetParameters", reference)] == "pass"


# -- environment files in S3 -------------------------------------------------------------------------
def test_environment_files_in_s3_need_the_execution_role_to_read_them(aws):
    """ECS developer guide, taskdef-envfiles.html (Required IAM permissions): s3:GetObject on the
    object and s3:GetBucketLocation on the bucket, for the task execution role."""
    env = provision(aws, EnvSpec())
    env_file, bucket = "arn:aws:s3:::payments-config/api/prod.env", "arn:aws:s3:::payments-config"

    def add_environment_file(request: dict[str, Any]) -> None:
        request["containerDefinitions"][0]["environmentFiles"] = [{"value": env_file, "type": "s3"}]

    register_revision(aws, env, add_environment_file)
    iam = client(aws, "iam")
    role = env.ids["execution_role_name"]

    # The managed policy grants neither action; a bucket policy (not read) might: not a pass.
    _, unproven = diagnose_live(aws, env)
    assert _statuses(unproven, "iam.environment-files") == ["unknown"]
    assert unproven.status == "unknown" and "s3" in {d.target for d in unproven.network}

    # An explicit deny in the role's own policy decides it.
    iam.put_role_policy(RoleName=role, PolicyName="no-config-bucket", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": [bucket, f"{bucket}/*"]}]}))
    _, broken = diagnose_live(aws, env)
    [failing] = broken.finding("iam.environment-files")
    assert failing.status == "fail" and env_file in failing.detail and failing.remediation
    assert broken.step("secrets").status == "fail"

    iam.delete_role_policy(RoleName=role, PolicyName="no-config-bucket")
    iam.put_role_policy(RoleName=role, PolicyName="read-env-file", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": env_file},
            {"Effect": "Allow", "Action": "s3:GetBucketLocation", "Resource": bucket}]}))
    _, fixed = diagnose_live(aws, env)
    assert _statuses(fixed, "iam.environment-files") == ["pass"]
    assert not fixed.failed and fixed.step("secrets").status == "pass"
    rows = {(r.action, r.resource): r.status for r in fixed.permissions if r.role == "execution"}
    assert rows[("s3:GetObject", env_file)] == rows[("s3:GetBucketLocation", bucket)] == "pass"


# -- the digest a deployment resolved its tag to ----------------------------------------------------
@pytest.fixture
def recorded_digest(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """``recorded_digest(digest)``: DescribeTasks answers carry ``containers[].imageDigest`` as ECS
    records it (moto leaves it out), set on the parsed answer of the real call."""
    real = botocore.session.get_session
    wanted: dict[str, str] = {}

    def add_digest(parsed: Any = None, **_: Any) -> None:
        for task in (parsed or {}).get("tasks") or []:
            for container in task.get("containers") or []:
                container["imageDigest"] = wanted["digest"]

    def session(*a: Any, **kw: Any) -> botocore.session.Session:
        core = real(*a, **kw)
        core.register("after-call.ecs.DescribeTasks", add_digest)
        return core

    monkeypatch.setattr(botocore.session, "get_session", session)
    return lambda digest: wanted.__setitem__("digest", digest)


def test_a_tag_re_pushed_with_the_deployed_digest_deleted_fails_later_tasks(aws, recorded_digest):
    """ECS developer guide, "Container image resolution" (deployment-type-ecs.html): the tag is resolved
    to a digest per deployment; DescribeTasks reports it as containers[].imageDigest."""
    from fargate_nb.lab.resources import push_image

    spec = EnvSpec()
    env = provision(aws, spec)
    ecr = client(aws, "ecr")
    deployed = ecr.describe_images(repositoryName=spec.repository, imageIds=[{"imageTag": spec.image_tag}])[
        "imageDetails"][0]["imageDigest"]
    recorded_digest(deployed)
    _, healthy = diagnose_live(aws, env)
    [image] = healthy.finding("ecr.image-missing")
    assert image.status == "pass" and deployed in image.detail

    # Someone re-pushes the tag (a new digest) and deletes the old image: the tag still resolves.
    pushed = push_image(ecr, spec.repository, env.account, spec.image_tag, ("linux/amd64", "linux/arm64"))
    assert pushed != deployed
    ecr.batch_delete_image(repositoryName=spec.repository, imageIds=[{"imageDigest": deployed}])
    snapshot, broken = diagnose_live(aws, env)
    [image] = broken.finding("ecr.image-missing")
    assert image.status == "fail" and deployed in image.detail and "force-new-deployment" in image.remediation.commands[0]
    assert snapshot.images[next(iter(snapshot.images))]["recorded_digest"] == {"digest": deployed, "found": False}

    # A new deployment resolves the tag again: its tasks record the digest that exists.
    recorded_digest(pushed)
    _, fixed = diagnose_live(aws, env)
    assert _statuses(fixed, "ecr.image-missing") == ["pass"] and not fixed.failed
