"""ECR evidence: each repository the task pulls from (policy, lifecycle) and each image reference.

The repository is read with the registry id from the image host, so cross-account repositories
are described where they live (and a missing permission there becomes a gap). The manifest is
read with BatchGetImage accepting indexes and manifest lists, so multi-platform images report
their platforms without downloading anything.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from fargate_nb.aws.calls import Job, PolicyDecodeError, decode_policy, jsonable
from fargate_nb.aws.collect_secrets import describe_secret_job
from fargate_nb.aws.state import Collection
from fargate_nb.pullflow import ImageRef, PullPlan

REPO = "ecr.repo"
REPO_POLICY = "ecr.policy"
REPO_LIFECYCLE = "ecr.lifecycle"
IMAGE_DETAILS = "ecr.image"
MANIFESTS = "ecr.manifest"
CACHE_RULES = "ecr.cache-rules"
RECORDED_DIGESTS = "ecr.recorded-digest"

INDEX_TYPES = ("application/vnd.docker.distribution.manifest.list.v2+json",
               "application/vnd.oci.image.index.v1+json")
ACCEPTED_MEDIA_TYPES = ["application/vnd.docker.distribution.manifest.v2+json",
                        "application/vnd.oci.image.manifest.v1+json", *INDEX_TYPES]


def ecr_jobs(col: Collection, plan: PullPlan) -> list[Job]:
    """Jobs for every image of the task definition; non-ECR images are described without calls."""
    jobs: list[Job] = []
    partition = col.snap.partition or "aws"
    for ref in plan.images.values():
        if not ref.ecr:
            col.snap.images[ref.raw] = _entry(ref, partition)
            continue
        repo_arn = ref.repository_arn(partition) or ""
        if col.claim(("repository", repo_arn)):
            jobs += [partial(_describe_repository, col, ref, repo_arn),
                     partial(_repository_policy, col, ref, repo_arn),
                     partial(_lifecycle_policy, col, ref, repo_arn)]
        if col.claim(("image", ref.raw)):
            jobs += [partial(_describe_image, col, ref), partial(_manifest, col, ref)]
        jobs += _cache_rule_jobs(col, ref, plan) + _recorded_digest_jobs(col, ref, plan)
    return jobs


def _entry(ref: ImageRef, partition: str) -> dict[str, Any]:
    return {"registry": ref.registry, "ecr": ref.ecr, "region": ref.region, "registry_id": ref.registry_id,
            "repository_name": ref.repository, "repository_arn": ref.repository_arn(partition),
            "tag": ref.tag, "digest": ref.digest, "found": None, "platforms": None, "pushed_at": None,
            "tag_mutability": None, "media_type": None}


def image_id(ref: ImageRef) -> dict[str, str]:
    """The image id the collector asks for: the digest, else the tag (batched reads key on the same id)."""
    return {"imageDigest": ref.digest} if ref.digest else {"imageTag": ref.tag or "latest"}


def _describe_repository(col: Collection, ref: ImageRef, arn: str) -> None:
    out = col.call("ecr", "DescribeRepositories", resource=arn, region=ref.region, paginate=True,
                   registryId=ref.registry_id, repositoryNames=[ref.repository])
    if out.missing:
        col.put(REPO, arn, None)
    elif out.ok:
        repos = out.data.get("repositories") or []
        col.put(REPO, arn, jsonable(repos[0]) if repos else None)


def _repository_policy(col: Collection, ref: ImageRef, arn: str) -> None:
    out = col.call("ecr", "GetRepositoryPolicy", resource=arn, region=ref.region,
                   registryId=ref.registry_id, repositoryName=ref.repository)
    if out.missing:
        col.put(REPO_POLICY, arn, None)
    elif out.ok:
        try:
            col.put(REPO_POLICY, arn, decode_policy(out.data.get("policyText")))
        except PolicyDecodeError as exc:
            col.gap("ecr:GetRepositoryPolicy", f"repository policy unreadable: {exc}", arn)


def _lifecycle_policy(col: Collection, ref: ImageRef, arn: str) -> None:
    out = col.call("ecr", "GetLifecyclePolicy", resource=arn, region=ref.region,
                   registryId=ref.registry_id, repositoryName=ref.repository)
    if out.missing:
        col.put(REPO_LIFECYCLE, arn, False)
    elif out.ok:
        col.put(REPO_LIFECYCLE, arn, bool(out.data.get("lifecyclePolicyText")))


def _describe_image(col: Collection, ref: ImageRef) -> None:
    out = col.call("ecr", "DescribeImages", resource=f"{ref.repository_arn(col.snap.partition)} {ref.raw}",
                   region=ref.region, registryId=ref.registry_id, repositoryName=ref.repository,
                   imageIds=[image_id(ref)])
    if out.missing:
        col.put(IMAGE_DETAILS, ref.raw, None)
    elif out.ok:
        details = out.data.get("imageDetails") or []
        col.put(IMAGE_DETAILS, ref.raw, jsonable(details[0]) if details else None)


def _manifest(col: Collection, ref: ImageRef) -> None:
    out = col.call("ecr", "BatchGetImage", resource=f"{ref.repository_arn(col.snap.partition)} {ref.raw}",
                   region=ref.region, registryId=ref.registry_id, repositoryName=ref.repository,
                   imageIds=[image_id(ref)], acceptedMediaTypes=ACCEPTED_MEDIA_TYPES)
    if out.missing:
        col.put(MANIFESTS, ref.raw, None)
    elif out.ok:
        images = out.data.get("images") or []
        failures = [f for f in out.data.get("failures") or [] if isinstance(f, dict)]
        if images:
            col.put(MANIFESTS, ref.raw, images[0])
        elif any(f.get("failureCode") != "ImageNotFound" for f in failures):
            failure = next(f for f in failures if f.get("failureCode") != "ImageNotFound")
            col.gap("ecr:BatchGetImage", f"{failure.get('failureCode')}: {failure.get('failureReason')}",
                    f"{ref.repository_arn(col.snap.partition)} {ref.raw}")
        else:
            col.put(MANIFESTS, ref.raw, None)


# -- pull-through cache rules -----------------------------------------------------------------------
def _cache_rule_jobs(col: Collection, ref: ImageRef, plan: PullPlan) -> list[Job]:
    """The registry's pull-through cache rules, read once per registry and region of the task's account.

    A repository under a rule's prefix that does not exist yet is created on the first pull
    (ECR user guide, "Sync an upstream registry with an Amazon ECR private registry",
    https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache.html). Another
    account's rules cannot be read with this account's credentials, so they are not asked for.
    """
    own = not col.snap.account or ref.registry_id == col.snap.account
    if not own or not col.claim(("cache-rules", ref.registry_id, ref.region)):
        return []
    return [partial(_cache_rules, col, ref, plan)]


def _cache_rules(col: Collection, ref: ImageRef, plan: PullPlan) -> list[Job]:
    # Optional evidence: only a denial records a gap (an endpoint that does not implement the call,
    # such as the sandbox, leaves the rules unread; the checks then say so).
    out = col.call("ecr", "DescribePullThroughCacheRules", resource=f"registry {ref.registry_id} in {ref.region}",
                   region=ref.region, paginate=True, optional=True, registryId=ref.registry_id)
    if not out.ok:
        return []
    rules = [jsonable(r) for r in out.data.get("pullThroughCacheRules") or [] if isinstance(r, dict)]
    col.put(CACHE_RULES, (ref.registry_id, ref.region), rules)
    jobs: list[Job] = []
    for image in plan.images.values():
        rule = covering_rule(rules, image) if image.registry_id == ref.registry_id and image.region == ref.region \
            else None
        credential = (rule or {}).get("credentialArn")
        if isinstance(credential, str) and credential:
            jobs += describe_secret_job(col, credential)
    return jobs


def covering_rule(rules: list[dict[str, Any]], image: ImageRef) -> dict[str, Any] | None:
    """The cache rule whose ``ecrRepositoryPrefix`` covers the image's repository (the longest prefix)."""
    best: dict[str, Any] | None = None
    for rule in rules:
        prefix = str(rule.get("ecrRepositoryPrefix") or "")
        if prefix and image.repository.startswith(prefix + "/") and \
                len(prefix) > len(str((best or {}).get("ecrRepositoryPrefix") or "")):
            best = rule
    return best


# -- digests ECS recorded --------------------------------------------------------------------------
def _recorded_digest_jobs(col: Collection, ref: ImageRef, plan: PullPlan) -> list[Job]:
    """DescribeImages by the digest ECS resolved the tag to, when the task recorded one.

    ECS resolves a tag to a digest per deployment ("Container image resolution",
    https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-ecs.html#deployment-container-image-stability),
    and DescribeTasks reports it as ``containers[].imageDigest``: a later task pulls that digest.
    """
    digest = recorded_digest(col.snap.task, plan, ref)
    if not digest or digest == ref.digest or not col.claim(("recorded-digest", ref.raw, digest)):
        return []
    return [partial(_describe_recorded_digest, col, ref, digest)]


def recorded_digest(task: dict[str, Any] | None, plan: PullPlan, ref: ImageRef) -> str | None:
    """The digest the task's container running ``ref`` was resolved to, if DescribeTasks says."""
    names = {name for name, image in plan.images.items() if image.raw == ref.raw}
    for container in (task or {}).get("containers") or []:
        if isinstance(container, dict) and container.get("name") in names:
            digest = container.get("imageDigest")
            if isinstance(digest, str) and digest.startswith("sha256:"):
                return digest
    return None


def _describe_recorded_digest(col: Collection, ref: ImageRef, digest: str) -> None:
    out = col.call("ecr", "DescribeImages", resource=f"{ref.repository_arn(col.snap.partition)} {ref.raw}@{digest}",
                   region=ref.region, registryId=ref.registry_id, repositoryName=ref.repository,
                   imageIds=[{"imageDigest": digest}])
    if out.missing:
        col.put(RECORDED_DIGESTS, ref.raw, {"digest": digest, "found": False})
    elif out.ok:
        col.put(RECORDED_DIGESTS, ref.raw, {"digest": digest, "found": bool(out.data.get("imageDetails"))})


def manifest_facts(image: dict[str, Any]) -> tuple[str | None, list[dict[str, Any]] | None]:
    """(media type, platforms) of a BatchGetImage image; platforms only for indexes/manifest lists."""
    text = image.get("imageManifest")
    media_type = image.get("imageManifestMediaType")
    try:
        manifest = json.loads(text) if isinstance(text, str) else None
    except json.JSONDecodeError:
        manifest = None
    if not isinstance(manifest, dict):
        return media_type, None
    media_type = media_type or manifest.get("mediaType")
    if media_type not in INDEX_TYPES and not isinstance(manifest.get("manifests"), list):
        return media_type, None
    platforms = []
    for entry in manifest.get("manifests") or []:
        platform = entry.get("platform") if isinstance(entry, dict) else None
        if not isinstance(platform, dict):
            continue
        if platform.get("os") == "unknown" or platform.get("architecture") == "unknown":
            continue  # build attestations, not runnable images
        platforms.append({"os": platform.get("os"), "architecture": platform.get("architecture"),
                          "variant": platform.get("variant")})
    return media_type, platforms


def assemble_ecr(col: Collection, plan: PullPlan) -> None:
    """Build ``snapshot.repositories`` and ``snapshot.images`` from the parts read by the jobs."""
    repos, policies, lifecycles = col.bucket(REPO), col.bucket(REPO_POLICY), col.bucket(REPO_LIFECYCLE)
    details, manifests = col.bucket(IMAGE_DETAILS), col.bucket(MANIFESTS)
    for arn, repo in repos.items():
        if repo is None:
            col.snap.repositories[arn] = None
            continue
        entry: dict[str, Any] = {"Repository": repo, "LifecyclePolicy": lifecycles.get(arn)}
        if arn in policies:
            entry["Policy"] = policies[arn]
        col.snap.repositories[arn] = entry
    partition = col.snap.partition or "aws"
    for ref in plan.images.values():
        if not ref.ecr:
            continue
        entry = _entry(ref, partition)
        arn = entry["repository_arn"]
        repo = repos.get(arn)
        if repo:
            entry["tag_mutability"] = repo.get("imageTagMutability")
        detail = details.get(ref.raw)
        manifest = manifests.get(ref.raw)
        if ref.raw in details or ref.raw in manifests:
            entry["found"] = bool(detail or manifest)
        elif arn in repos and repo is None:
            entry["found"] = False  # no repository, so no image
        if detail:
            entry["pushed_at"] = detail.get("imagePushedAt")
            entry["digest"] = ref.digest or detail.get("imageDigest")
            entry["media_type"] = detail.get("imageManifestMediaType")
        _add_cache_and_digest(col, ref, entry)
        if manifest:
            media_type, platforms = manifest_facts(manifest)
            entry["media_type"] = media_type or entry["media_type"]
            entry["platforms"] = platforms
            entry["digest"] = entry["digest"] or (manifest.get("imageId") or {}).get("imageDigest")
        col.snap.images[ref.raw] = jsonable(entry)


def _add_cache_and_digest(col: Collection, ref: ImageRef, entry: dict[str, Any]) -> None:
    """``pull_through_cache``: the covering rule, or None when the rules were read and none covers
    the image (absent: not read); ``recorded_digest``: ``{"digest", "found"}`` when ECS recorded one."""
    rules = col.bucket(CACHE_RULES).get((ref.registry_id, ref.region))
    if rules is not None:
        entry["pull_through_cache"] = covering_rule(rules, ref)
    recorded = col.bucket(RECORDED_DIGESTS).get(ref.raw)
    if recorded is not None:
        entry["recorded_digest"] = recorded
