"""End to end on the moto server: regions, dual-stack ECR hosts, old platform versions and DNS.

Each row builds a sandbox environment with `fargate_nb.lab.build.provision`, breaks it (boto3 calls
against the sandbox), diagnoses it over HTTP with the real collector and expects the finding to fail
(or, for what cannot be proven, to warn: never pass) for its targets; then it applies the fix AWS
documents (again boto3 calls) and expects the same finding to pass and nothing to fail. What moto cannot
express (China regions, IPv6 routes and rules) is covered on built snapshots in
``tests/checks/test_net_regions_dns.py`` and ``tests/reach``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from fargate_nb.lab.build import EnvSpec, Provisioned, provision, run_task
from fargate_nb.lab.resources import push_image
from fargate_nb.lab.sandbox import Sandbox
from fargate_nb.model import Diagnosis

from .cases import client, diagnose_live, register_revision

pytestmark = pytest.mark.xdist_group("e2e")

OTHER_REGION = "us-west-2"
Change = Callable[[Sandbox, Provisioned], Provisioned | None]


def _use_image(image: Callable[[Provisioned], str]) -> Change:
    def change(sandbox: Sandbox, env: Provisioned) -> None:
        def set_image(request: dict[str, Any]) -> None:
            request["containerDefinitions"][0]["image"] = image(env)

        register_revision(sandbox, env, set_image)
    return change


def _image_in_other_region(sandbox: Sandbox, env: Provisioned) -> None:
    """The image lives in us-west-2 only (pushed there by CI); the task runs in us-east-1."""
    ecr = client(sandbox, "ecr", region=OTHER_REGION)
    repo = ecr.create_repository(repositoryName=env.spec.repository)["repository"]
    push_image(ecr, env.spec.repository, env.account, env.spec.image_tag, env.spec.image_platforms)
    _use_image(lambda _: f"{repo['repositoryUri']}:{env.spec.image_tag}")(sandbox, env)


def _home_image(env: Provisioned) -> str:
    return env.ids["image"]


def _dual_stack_image(env: Provisioned) -> str:
    """The same repository through ECR's dual-stack host (ECR user guide, "Making requests")."""
    return f"{env.account}.dkr-ecr.{env.region}.on.aws/{env.spec.repository}:{env.spec.image_tag}"


def _dhcp(*servers: str) -> Change:
    def change(sandbox: Sandbox, env: Provisioned) -> None:
        ec2 = client(sandbox, "ec2")
        dopt = ec2.create_dhcp_options(DhcpConfigurations=[{"Key": "domain-name-servers", "Values": list(servers)}])
        ec2.associate_dhcp_options(DhcpOptionsId=dopt["DhcpOptions"]["DhcpOptionsId"], VpcId=env.ids["vpc"])
    return change


def _dns_support_on(sandbox: Sandbox, env: Provisioned) -> None:
    ec2 = client(sandbox, "ec2")
    ec2.modify_vpc_attribute(VpcId=env.ids["vpc"], EnableDnsSupport={"Value": True})
    ec2.modify_vpc_attribute(VpcId=env.ids["vpc"], EnableDnsHostnames={"Value": True})


def _platform(version: str) -> Change:
    def change(sandbox: Sandbox, env: Provisioned) -> Provisioned:
        moved = dataclasses.replace(env, spec=dataclasses.replace(env.spec, platform_version=version))
        moved.task_arn = run_task(sandbox, moved)
        return moved
    return change


@dataclass(frozen=True)
class Row:
    id: str
    spec: EnvSpec
    breaks: Change | None
    finding: str
    targets: Callable[[Provisioned], tuple[str, ...]]
    status: str  # what the broken environment gives: fail, or warn when it cannot be proven
    fix: Change


_PRIVATE = EnvSpec(subnet="private-endpoints")
ROWS = (
    Row("image-in-another-region", _PRIVATE, _image_in_other_region, "net.no-route",
        lambda env: (f"ecr.api@{OTHER_REGION}", f"ecr.dkr@{OTHER_REGION}", f"s3@{OTHER_REGION}"), "fail",
        _use_image(_home_image)),  # the fix ECR documents: replicate the image into the task's region
    Row("dual-stack-image-private-subnet", _PRIVATE, _use_image(_dual_stack_image), "net.no-route",
        lambda env: (f"{env.account}.dkr-ecr.{env.region}.on.aws",), "fail", _use_image(_home_image)),
    Row("platform-1.4.0-without-ecr-api-endpoint", EnvSpec(subnet="private-endpoints", endpoints=("ecr.dkr", "logs")),
        None, "net.no-route", lambda env: ("ecr.api",), "fail", _platform("1.3.0")),
    Row("dns-support-off-behind-nat", EnvSpec(subnet="private-nat", vpc_dns_support=False, vpc_dns_hostnames=False),
        None, "net.vpc-dns", lambda env: ("ecr.api", "ecr.dkr", "s3", "logs"), "fail", _dns_support_on),
    Row("custom-dns-servers-with-endpoints", _PRIVATE, _dhcp("10.40.0.53"), "net.vpc-dns",
        lambda env: ("ecr.api", "ecr.dkr", "logs"), "warn", _dhcp("AmazonProvidedDNS")),
)


def _statuses(diagnosis: Diagnosis, finding: str) -> dict[str | None, str]:
    return {f.target: f.status for f in diagnosis.finding(finding)}


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_broken_then_fixed(aws: Sandbox, row: Row):
    env = provision(aws, row.spec)
    env = (row.breaks(aws, env) or env) if row.breaks else env
    _, broken = diagnose_live(aws, env)
    statuses = _statuses(broken, row.finding)
    for target in row.targets(env):
        assert statuses.get(target) == row.status, (target, statuses)
    if row.status == "fail":
        failing = broken.finding(row.finding, row.targets(env)[0])[0]
        assert failing.remediation and failing.remediation.summary
        assert broken.exit_code == 1
    else:
        assert broken.status != "pass", "what cannot be proven must not pass"

    env = row.fix(aws, env) or env
    _, fixed = diagnose_live(aws, env)
    statuses = _statuses(fixed, row.finding)
    assert all(s in ("pass", "skipped") for s in statuses.values()), statuses
    assert not fixed.failed, [(f.id, f.target, f.status) for f in fixed.failed]
    assert not [f for f in fixed.findings if f.status == "warn" and f.id.startswith("net.")], \
        [(f.id, f.target, f.detail) for f in fixed.findings if f.status == "warn"]
    json.loads(fixed.to_json())


def test_an_image_in_another_region_passes_through_nat(aws: Sandbox):
    env = provision(aws, EnvSpec(subnet="private-nat"))
    _image_in_other_region(aws, env)
    _, diagnosis = diagnose_live(aws, env)
    statuses = _statuses(diagnosis, "net.no-route")
    assert statuses[f"ecr.dkr@{OTHER_REGION}"] == "pass", statuses
    assert not diagnosis.failed, [(f.id, f.target, f.detail) for f in diagnosis.failed]
    rows = {r.target: r for r in diagnosis.network}
    assert rows[f"ecr.dkr@{OTHER_REGION}"].path == "nat"
