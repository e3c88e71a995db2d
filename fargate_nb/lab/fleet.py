"""A fleet in the sandbox: clusters of services that share roles, a repository and a VPC, as real
accounts do, some healthy and some broken, for audits (demo, notebook 04, tests, benchmark).

`build_fleet` builds the mixed fleet of `FLEET`: two clusters, eight services, five broken ones
with five different causes, all over one VPC (public subnets), one execution role (one service
uses a legacy role with an EC2 trust policy), one task role, one repository and one log group. `build_scale_fleet` builds ``n`` healthy services that share one
task definition, for the benchmark; services are created with direct calls, no task is run (an
audit reads services, not tasks).

The expected findings are part of the scenario's data (`FleetService.expected`): what the
scenario breaks, not what the kit happens to answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from fargate_nb.lab import network, resources
from fargate_nb.lab.context import BotoCoreError, BuildContext, ClientError, describe_error
from fargate_nb.lab.sandbox import Sandbox
from fargate_nb.lab.spec import EXECUTION_POLICY_ARN, EnvSpec, ProvisionError

#: The shared set-up: names every service of the fleet reuses.
FLEET_SPEC = EnvSpec(cluster="fleet", service="", family="fleet", repository="fleet-app", image_tag="2.0.0",
                     log_group_name="/ecs/fleet", vpc_cidr="10.60.0.0/16")
#: Secrets of the fleet live under this prefix; the execution role may read them all.
SECRET_PREFIX = "fleet/"


@dataclass(frozen=True)
class FleetService:
    """One service of the fleet and what is broken in it (nothing, for a healthy one)."""

    cluster: str
    name: str
    image_tag: str = FLEET_SPEC.image_tag  # a tag never pushed breaks the pull
    log_group: str = FLEET_SPEC.log_group_name  # a group that does not exist breaks logs
    execution_role: str = "shared"  # "shared" | "legacy" (a role copied from EC2: its trust names ec2.amazonaws.com)
    secret: str = ""  # "" none | "exists" | "missing"
    public_ip: bool = True  # off in a public subnet: nothing routes out
    expected: tuple[str, ...] = ()  # the finding ids the broken cause gives (failing)


#: The mixed fleet: two clusters, eight services, five causes.
FLEET: tuple[FleetService, ...] = (
    FleetService("payments", "api"),
    FleetService("payments", "worker", secret="exists"),
    FleetService("payments", "billing", image_tag="2.1.0", expected=("ecr.image-missing",)),
    FleetService("payments", "ledger", log_group="/ecs/fleet-ledger", expected=("logs.group-missing",)),
    FleetService("search", "query"),
    FleetService("search", "indexer", execution_role="legacy", expected=("exec-role.trust",)),
    FleetService("search", "crawler", public_ip=False, expected=("net.public-ip",)),
    FleetService("search", "reports", secret="missing", expected=("secrets.missing",)),
)


@dataclass
class Fleet:
    """What `build_fleet` built: the account, the region, and each service with its expected findings."""

    account: str
    region: str
    services: list[FleetService] = field(default_factory=list)
    ids: dict[str, Any] = field(default_factory=dict)

    def key(self, service: FleetService) -> str:
        """The service's audit row key: account/region/cluster/service."""
        return "/".join((self.account, self.region, service.cluster, service.name))

    @property
    def expected(self) -> dict[str, tuple[str, ...]]:
        """Row key -> the finding ids that fail it (empty for a healthy service)."""
        return {self.key(s): tuple(sorted(s.expected)) for s in self.services}


def _shared(sandbox: Sandbox) -> BuildContext:
    """Network, image, log group, roles and the secrets policy every service of the fleet shares."""
    ctx = BuildContext(sandbox, FLEET_SPEC)
    network.build_network(ctx)
    resources.build_image(ctx)
    resources.build_logs(ctx)
    resources.build_roles(ctx)
    ctx.step = "grant the fleet's secrets"
    policy = {"Version": "2012-10-17", "Statement": [{
        "Sid": "ReadFleetSecrets", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
        "Resource": f"arn:aws:secretsmanager:{ctx.region}:{ctx.account}:secret:{SECRET_PREFIX}*"}]}
    ctx.client("iam").put_role_policy(RoleName=ctx.ids["execution_role_name"], PolicyName="fleet-secrets",
                                      PolicyDocument=json.dumps(policy))
    return ctx


def _legacy_role(ctx: BuildContext) -> str:
    """An execution role with the right policy but a trust policy for EC2 (made once, shared)."""
    if not ctx.ids.get("legacy_role_arn"):
        ctx.step = "create the legacy execution role"
        iam = ctx.client("iam")
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
            "Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
        role = iam.create_role(RoleName="fleet-legacy-execution", AssumeRolePolicyDocument=json.dumps(trust),
                               Description="Copied from the EC2 instance role")["Role"]
        iam.attach_role_policy(RoleName="fleet-legacy-execution", PolicyArn=EXECUTION_POLICY_ARN)
        ctx.ids["legacy_role_arn"] = role["Arn"]
    return ctx.ids["legacy_role_arn"]


def _secret_arn(ctx: BuildContext, service: FleetService) -> str | None:
    if not service.secret:
        return None
    name = f"{SECRET_PREFIX}{service.cluster}-{service.name}"
    if service.secret == "exists":
        return ctx.client("secretsmanager").create_secret(Name=name, SecretString="sandbox-value")["ARN"]
    return f"arn:aws:secretsmanager:{ctx.region}:{ctx.account}:secret:{name}-{resources.SECRET_SUFFIX}"


def _task_definition(ctx: BuildContext, family: str, service: FleetService) -> str:
    container: dict[str, Any] = {
        "name": "app", "image": f"{ctx.ids['repository_uri']}:{service.image_tag}", "essential": True,
        "cpu": 256, "memory": 512, "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
        "logConfiguration": {"logDriver": "awslogs", "options": {
            "awslogs-group": service.log_group, "awslogs-region": ctx.region, "awslogs-stream-prefix": family}},
    }
    secret = _secret_arn(ctx, service)
    if secret:
        container["secrets"] = [{"name": "DATABASE_URL", "valueFrom": secret}]
    role = ctx.ids["execution_role_arn"] if service.execution_role == "shared" else _legacy_role(ctx)
    td = ctx.client("ecs").register_task_definition(
        family=family, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        executionRoleArn=role, taskRoleArn=ctx.ids["task_role_arn"], containerDefinitions=[container])
    return td["taskDefinition"]["taskDefinitionArn"]


def _network_configuration(ctx: BuildContext, public_ip: bool) -> dict[str, Any]:
    return {"awsvpcConfiguration": {"subnets": list(ctx.ids["subnets"]),
                                    "securityGroups": [ctx.ids["security_groups"]["task"]],
                                    "assignPublicIp": "ENABLED" if public_ip else "DISABLED"}}


def _create_service(ctx: BuildContext, cluster: str, name: str, td_arn: str, public_ip: bool) -> None:
    ctx.client("ecs").create_service(
        cluster=cluster, serviceName=name, taskDefinition=td_arn, desiredCount=1, launchType="FARGATE",
        platformVersion="1.4.0", networkConfiguration=_network_configuration(ctx, public_ip))


def build_fleet(sandbox: Sandbox, services: tuple[FleetService, ...] = FLEET) -> Fleet:
    """Build the mixed fleet (default `FLEET`) in ``sandbox``; `ProvisionError` names a refused step."""
    ctx: BuildContext | None = None
    try:
        ctx = _shared(sandbox)
        ecs = ctx.client("ecs")
        for cluster in sorted({s.cluster for s in services}):
            ctx.step = f"create the cluster {cluster}"
            ecs.create_cluster(clusterName=cluster)
        for service in services:
            ctx.step = f"create the service {service.cluster}/{service.name}"
            td_arn = _task_definition(ctx, f"{service.cluster}-{service.name}", service)
            _create_service(ctx, service.cluster, service.name, td_arn, service.public_ip)
    except (ClientError, BotoCoreError) as exc:
        step = ctx.step if ctx is not None else "connect to the sandbox"
        raise ProvisionError(f"building the fleet failed at {step}: {describe_error(exc)}") from exc
    return Fleet(ctx.account, ctx.region, list(services), ids=dict(ctx.ids))


def build_scale_fleet(sandbox: Sandbox, n: int, *, per_cluster: int = 50, distinct: bool = False) -> Fleet:
    """``n`` healthy services sharing one task definition, role, repository and VPC (``per_cluster`` a cluster).

    ``distinct``: each service has its own task definition and its own release (image tag) of the
    shared repository, as services built from one code base usually do.
    """
    ctx: BuildContext | None = None
    made: list[FleetService] = []
    try:
        ctx = _shared(sandbox)
        ecs = ctx.client("ecs")
        shared = FleetService("scale", "shared")
        td_arn = _task_definition(ctx, "scale-app", shared)
        for i in range(n):
            cluster = f"scale-{i // per_cluster:02d}"
            if i % per_cluster == 0:
                ctx.step = f"create the cluster {cluster}"
                ecs.create_cluster(clusterName=cluster)
            ctx.step = f"create service {i}"
            service = FleetService(cluster, f"svc-{i:04d}")
            if distinct:
                service = FleetService(cluster, service.name, image_tag=f"2.{i}.0")
                resources.push_image(ctx.client("ecr"), FLEET_SPEC.repository, ctx.account, service.image_tag,
                                     ("linux/amd64",), index=False)
                td_arn = _task_definition(ctx, f"{cluster}-{service.name}", service)
            _create_service(ctx, cluster, service.name, td_arn, True)
            made.append(service)
    except (ClientError, BotoCoreError) as exc:
        step = ctx.step if ctx is not None else "connect to the sandbox"
        raise ProvisionError(f"building the fleet failed at {step}: {describe_error(exc)}") from exc
    return Fleet(ctx.account, ctx.region, made, ids=dict(ctx.ids))
