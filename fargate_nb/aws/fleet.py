"""The source side of an audit: contexts per account and region, and the fleet's services in batches.

An audit reads many services that share roles, repositories and network, so each context it
makes carries a `RunCache` (one per account and region, dropped with the audit). Services are
listed and described in batches (``DescribeServices`` takes up to 10 services per call,
https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeServices.html); each
answer seeds the cache under the exact request the per-service collection makes, so that
collection does not describe the service again.

Other accounts are reached with ``sts:AssumeRole`` into a read-only role (docs/audit.md,
"Accounts"): the one call the kit makes that is not a read, made with the caller's own
credentials and never through the collector's read-only wrapper.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.session
from botocore import exceptions as bce

from fargate_nb.aws import arns
from fargate_nb.aws.cache import RunCache
from fargate_nb.aws.calls import Caller, cache_key
from fargate_nb.aws.collect import describe_service_params
from fargate_nb.aws.discover import (
    DESCRIBE_SERVICES_BATCH,
    DiscoveryError,
    _check,
    list_clusters,
)
from fargate_nb.aws.errors import AwsUnavailableError, InvalidInputError, unavailable_message
from fargate_nb.aws.session import AwsContext, make_context
from fargate_nb.botomodels import shared_loader

ROLE_ARN_RE = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
ROLE_SESSION_NAME = "fargate-nb-audit"
#: One hour: the shortest maximum session any role has; an audit of thousands of services fits.
SESSION_SECONDS = 3600


@dataclass
class FleetCluster:
    """One cluster's services as the batched listing found them (``described``: their DescribeServices entries)."""

    name: str
    services: list[str] = field(default_factory=list)
    described: list[dict[str, Any]] = field(default_factory=list)


def audit_context(*, region: str | None, profile: str | None, endpoint_url: str | None, max_workers: int,
                  role_arn: str | None = None, base: AwsContext | None = None) -> AwsContext:
    """A context with a fresh run cache; with ``role_arn``, in the account that role belongs to."""
    ctx = make_context(region=region, profile=profile, endpoint_url=endpoint_url, max_workers=max_workers)
    if role_arn:
        ctx = assume_role(base or ctx, role_arn, ctx.region)
    ctx.cache = RunCache()
    return ctx


def assume_role(base: AwsContext, role_arn: str, region: str) -> AwsContext:
    """A context with the credentials of ``role_arn`` (``sts:AssumeRole``, one hour), logged in ``base.calls``."""
    if not ROLE_ARN_RE.match(role_arn or ""):
        raise InvalidInputError(f"{role_arn!r} is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)")
    sts = base.client("sts")
    try:
        creds = sts.assume_role(RoleArn=role_arn, RoleSessionName=ROLE_SESSION_NAME,
                                DurationSeconds=SESSION_SECONDS)["Credentials"]
    except bce.ClientError as exc:
        error = exc.response.get("Error") or {}
        raise AwsUnavailableError(f"cannot assume {role_arn}: {error.get('Code')}: {error.get('Message')} "
                                  "(the caller needs sts:AssumeRole on it, and its trust policy must name the "
                                  "caller: docs/audit.md, \"Accounts\")") from exc
    except bce.BotoCoreError as exc:
        raise AwsUnavailableError(unavailable_message(exc)) from exc
    core = botocore.session.get_session()
    core.register_component("data_loader", shared_loader())
    session = boto3.session.Session(
        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"], region_name=region, botocore_session=core)
    return AwsContext(session=session, region=region, endpoint_url=base.endpoint_url,
                      max_workers=base.max_workers, max_attempts=base.max_attempts)


def ecs_regions(ctx: AwsContext) -> list[str]:
    """The regions ECS offers in the context's partition (from botocore's endpoint data: no call)."""
    return sorted(ctx.session.get_available_regions("ecs", partition_name=ctx.partition))


def account_of(ctx: AwsContext) -> str | None:
    """The account the context's credentials belong to (``sts:GetCallerIdentity``, cached for the run)."""
    out = Caller(ctx).call("sts", "GetCallerIdentity")
    return (out.data or {}).get("Account") if out.ok else None


def cluster_names(ctx: AwsContext, wanted: list[str] | None) -> list[str]:
    """The named clusters (checked as names or ARNs), else every cluster of the region."""
    if wanted:
        return [arns.cluster_name(c, ctx.region) for c in wanted]
    # ListClusters may still list a deleted (INACTIVE) cluster for a while: it has no services.
    return [c["clusterName"] for c in list_clusters(ctx) if c.get("clusterName") and c.get("status") != "INACTIVE"]


def list_fleet_services(ctx: AwsContext, cluster: str) -> FleetCluster:
    """Every service of ``cluster``: ``ListServices``, then ``DescribeServices`` ten at a time.

    Each described service seeds the run cache under the collector's own ``DescribeServices``
    request. Raises `DiscoveryError` when the cluster's services cannot be listed; a batch that
    cannot be described is left for the per-service collection (whose gap then says why).
    """
    caller = Caller(ctx)
    listed = caller.call("ecs", "ListServices", paginate=True, cluster=cluster)
    if listed.missing:
        raise DiscoveryError(f"cluster {cluster!r} was not found in {ctx.region}")
    data = _check(listed, f"the services of cluster {cluster!r} in {ctx.region}", caller)
    names = sorted({str(a).rsplit("/", 1)[-1] for a in data.get("serviceArns") or []})
    found = FleetCluster(cluster, names)
    batches = [names[i:i + DESCRIBE_SERVICES_BATCH] for i in range(0, len(names), DESCRIBE_SERVICES_BATCH)]

    def describe(batch: list[str]) -> list[dict[str, Any]]:
        out = caller.call("ecs", "DescribeServices", cluster=cluster, services=batch, include=["TAGS"])
        return (out.data.get("services") or []) if out.ok else []

    with ThreadPoolExecutor(max_workers=max(1, min(ctx.max_workers, len(batches) or 1))) as pool:
        for services in pool.map(describe, batches):
            seed_services(ctx, cluster, services)
            found.described += services
    return found


def seed_services(ctx: AwsContext, cluster: str, services: list[dict[str, Any]]) -> None:
    """Seed the run cache with services a batched ``DescribeServices`` returned."""
    if ctx.cache is None:
        return
    for svc in services:
        name = svc.get("serviceName")
        if isinstance(name, str) and name:
            key = cache_key(ctx, "ecs", "DescribeServices", None, describe_service_params(cluster, name))
            ctx.cache.seed(key, {"services": [svc], "failures": []})
