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
from fargate_nb.aws.state import Collection
from fargate_nb.pullflow import ImageRef, PullPlan

REPO = "ecr.repo"
REPO_POLICY = "ecr.policy"
REPO_LIFECYCLE = "ecr.lifecycle"
IMAGE_DETAILS = "ecr.image"
MANIFESTS = "ecr.manifest"

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
    return jobs


def _entry(ref: ImageRef, partition: str) -> dict[str, Any]:
    return {"registry": ref.registry, "ecr": ref.ecr, "region": ref.region, "registry_id": ref.registry_id,
            "repository_name": ref.repository, "repository_arn": ref.repository_arn(partition),
            "tag": ref.tag, "digest": ref.digest, "found": None, "platforms": None, "pushed_at": None,
            "tag_mutability": None, "media_type": None}


def _image_id(ref: ImageRef) -> dict[str, str]:
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
                   imageIds=[_image_id(ref)])
    if out.missing:
        col.put(IMAGE_DETAILS, ref.raw, None)
    elif out.ok:
        details = out.data.get("imageDetails") or []
        col.put(IMAGE_DETAILS, ref.raw, jsonable(details[0]) if details else None)


def _manifest(col: Collection, ref: ImageRef) -> None:
    out = col.call("ecr", "BatchGetImage", resource=f"{ref.repository_arn(col.snap.partition)} {ref.raw}",
                   region=ref.region, registryId=ref.registry_id, repositoryName=ref.repository,
                   imageIds=[_image_id(ref)], acceptedMediaTypes=ACCEPTED_MEDIA_TYPES)
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
        if manifest:
            media_type, platforms = manifest_facts(manifest)
            entry["media_type"] = media_type or entry["media_type"]
            entry["platforms"] = platforms
            entry["digest"] = entry["digest"] or (manifest.get("imageId") or {}).get("imageDigest")
        col.snap.images[ref.raw] = jsonable(entry)
