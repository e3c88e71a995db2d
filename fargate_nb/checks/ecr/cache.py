"""ECR pull-through cache: a repository that does not exist yet is created by the first pull.

An image under a cache rule's ``ecrRepositoryPrefix`` is fetched from the upstream registry on its
first pull, and ECR creates the repository then (ECR user guide, "Sync an upstream registry with an
Amazon ECR private registry", https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache.html).
That first pull needs:

- ``ecr:BatchImportUpstreamImage`` and ``ecr:CreateRepository`` for the pulling role ("IAM permissions
  required to sync an upstream registry", .../pull-through-cache-iam.html); either may also be
  granted by the private registry permissions policy, which the kit does not read;
- the rule's upstream credentials secret (``credentialArn``, named ``ecr-pullthroughcache/...``);
- a network path to the upstream registry: PrivateLink does not reach it (.../vpc-endpoints.html),
  which the network checks judge as the destination the pull plan adds for the upstream host.
"""

from __future__ import annotations

from typing import Any

from fargate_nb.checks.ecr.common import ecr_images, partitioned, skipped
from fargate_nb.checks.permissions import (
    Ask,
    SecretLookup,
    execution_role,
    gap_for,
    lookup_secret,
    no_role_finding,
    permission_finding,
    policy_name,
    q,
    unread_detail,
)
from fargate_nb.checks.registry import check
from fargate_nb.model import Finding, Remediation, Snapshot
from fargate_nb.pullflow import (
    PULL_THROUGH_CACHE_ACTIONS,
    ImageRef,
    PullPlan,
    SecretRef,
    pull_through_cache_rule,
    resolve_secret,
    upstream_host,
)

CACHE_DOC = "https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache.html"


def created_by_cache(snapshot: Snapshot, arn: str, users: list[tuple[str, ImageRef]]) -> Finding | None:
    """ecr.repo-missing's answer for a missing repository a cache rule creates on the first pull."""
    rule = next((r for _, image in users if (r := pull_through_cache_rule(snapshot, image))), None)
    if rule is None:
        return None
    return Finding("ecr.repo-missing", "pass", resource=arn,
                   detail=f"Repository {arn} does not exist yet, but the pull-through cache rule with prefix "
                   f"{rule.get('ecrRepositoryPrefix')!r} (upstream {rule.get('upstreamRegistryUrl')}) creates it on "
                   "the first pull; see ecr.pull-through-cache for what that first pull needs.",
                   evidence=[f"pull-through cache rule: {_rule_line(rule)}"])


def _rule_line(rule: dict[str, Any]) -> str:
    keys = ("ecrRepositoryPrefix", "upstreamRegistryUrl", "upstreamRepositoryPrefix", "credentialArn")
    return ", ".join(f"{k}={rule[k]}" for k in keys if rule.get(k))


def _cached_repositories(snapshot: Snapshot, plan: PullPlan) -> list[tuple[str, ImageRef, dict[str, Any]]]:
    """(repository ARN, image, rule) for each missing repository a cache rule will create."""
    out = []
    for repo_arn, users in ecr_images(plan).items():
        arn = partitioned(snapshot, repo_arn)
        if snapshot.repositories.get(repo_arn, snapshot.repositories.get(arn, ...)) is not None:
            continue
        for _, image in users:
            rule = pull_through_cache_rule(snapshot, image)
            if rule is not None:
                out.append((arn, image, rule))
                break
    return out


@check("ecr.pull-through-cache")
def pull_through_cache(snapshot: Snapshot, plan: PullPlan) -> list[Finding]:
    cached = _cached_repositories(snapshot, plan)
    if not cached:
        return skipped("ecr.pull-through-cache", "No image needs a pull-through cache to create its repository.")
    out: list[Finding] = []
    for arn, _image, rule in cached:
        out.append(_cache_permission(snapshot, plan, arn, rule))
        out.append(_upstream_credentials(snapshot, arn, rule))
    return out


def _cache_permission(snapshot: Snapshot, plan: PullPlan, arn: str, rule: dict[str, Any]) -> Finding:
    role = execution_role(snapshot)
    what = f"create {arn} from the upstream registry {rule.get('upstreamRegistryUrl')}"
    if role.state != "ok":
        return no_role_finding("ecr.pull-through-cache", "manifest", role, snapshot, plan, what, resource=arn)
    assert role.view is not None
    ask = Ask(target="ecr.dkr", resource_account=role.view.account)
    outcomes = [ask.outcome(snapshot, role.view, action, arn) for action in PULL_THROUGH_CACHE_ACTIONS]
    finding = permission_finding("ecr.pull-through-cache", "manifest", snapshot, role.view, outcomes, ask,
                                 subject=f"import {arn} through the pull-through cache on its first pull",
                                 policy_name=policy_name("fargate-nb-pull-through-cache", arn.split("/", 1)[-1]),
                                 sid="FargateNbPullThroughCache", resource=arn)
    if finding.status == "fail" and not any(o.verdict == "explicit_deny" for o in outcomes):
        # The private registry permissions policy may grant both actions; it is not read.
        finding.status = "unknown"
        finding.missing_permission = "ecr:GetRegistryPolicy"
        finding.detail += (" The private registry permissions policy can also grant these actions (ECR user guide, "
                           "pull-through-cache-iam.html), and the kit does not read it: unless it does, grant them "
                           "as proposed.")
    return finding


def _upstream_credentials(snapshot: Snapshot, arn: str, rule: dict[str, Any]) -> Finding:
    credential = rule.get("credentialArn")
    host = upstream_host(rule) or "the upstream registry"
    if not isinstance(credential, str) or not credential:
        return Finding("ecr.pull-through-cache", "pass", "manifest", resource=arn,
                       detail=f"The cache rule for {arn} pulls from {host} without credentials (none are required "
                       "for this upstream).", evidence=[f"pull-through cache rule: {_rule_line(rule)}"])
    found = _secret(snapshot, credential)
    if found.state == "unread":
        detail, perm = unread_detail(f"The upstream credentials secret {credential}", gap_for(
            snapshot, ("secretsmanager:DescribeSecret",), credential), "secretsmanager:DescribeSecret")
        return Finding("ecr.pull-through-cache", "unknown", "manifest", detail=detail, missing_permission=perm,
                       resource=arn)
    deleted = (found.entry or {}).get("DeletedDate")
    if found.state == "missing" or deleted:
        region = found.region
        why = f"is scheduled for deletion ({deleted})" if deleted else "does not exist"
        name = credential.split(":secret:", 1)[-1]
        return Finding(
            "ecr.pull-through-cache", "fail", "manifest", resource=arn,
            message=f"The upstream credentials of the cache rule {rule.get('ecrRepositoryPrefix')} {why}",
            detail=f"The pull-through cache rule with prefix {rule.get('ecrRepositoryPrefix')!r} authenticates to "
            f"{host} with {credential}, which {why}: ECR cannot fetch {arn.split('/', 1)[-1]} on the first pull. "
            "The secret must be in the registry's account and region, named with the 'ecr-pullthroughcache/' "
            f"prefix ({CACHE_DOC}).",
            evidence=[f"pull-through cache rule: {_rule_line(rule)}", f"DescribeSecret({credential}): "
                      + ("DeletedDate set" if deleted else "ResourceNotFoundException")],
            remediation=Remediation(
                f"Store the {host} credentials as the secret the rule names (or update the rule's credentialArn).",
                [f"aws secretsmanager restore-secret --secret-id {q(credential)} --region {q(region)}" if deleted else
                 f"aws secretsmanager create-secret --name {q(name.rsplit('-', 1)[0] if credential.startswith('arn:') else name)} "
                 f"--region {q(region)} --secret-string file://upstream-credentials.json",
                 f"aws ecr update-pull-through-cache-rule --ecr-repository-prefix {q(str(rule.get('ecrRepositoryPrefix')))} "
                 f"--credential-arn NEW_SECRET_ARN --region {q(region)}"],
                fix={"op": "restore_secret", "key": found.key} if deleted else
                {"op": "create_secret", "key": found.key, "arn": credential}))
    return Finding("ecr.pull-through-cache", "pass", "manifest", resource=arn,
                   detail=f"The upstream credentials secret {credential} of the cache rule exists.",
                   evidence=[f"pull-through cache rule: {_rule_line(rule)}"])


def _secret(snapshot: Snapshot, credential: str) -> SecretLookup:
    """The credentials secret as the collector stored it (by ARN or by name), found as any secret is."""
    kind, arn, lookup = resolve_secret(credential, snapshot.region, snapshot.account or "", snapshot.partition or "aws",
                                       registry_credentials=True)
    return lookup_secret(snapshot, SecretRef("pull-through cache", "credentialArn", credential, kind, arn, lookup))
