"""What is pulled: the repository, the tag or digest, and a manifest for the task's platform."""

from __future__ import annotations

from typing import Any

from fargate_nb.checks.ecr.cache import created_by_cache
from fargate_nb.checks.ecr.common import (
    IMAGE_APIS,
    PLATFORM_FAILURE,
    REPO_APIS,
    ecr_images,
    image_entry,
    partitioned,
    repo_state,
    skipped,
    unseen_elsewhere,
)
from fargate_nb.checks.permissions import (
    arn_parts,
    gap_for,
    q,
    register_td_cmd,
    unread_detail,
)
from fargate_nb.checks.registry import check
from fargate_nb.model import Finding, Gap, Remediation, Snapshot
from fargate_nb.pullflow import ImageRef, PullPlan


@check("ecr.repo-missing")
def repository_missing(snapshot: Snapshot, plan: PullPlan) -> list[Finding]:
    repos = ecr_images(plan)
    if not repos:
        return skipped("ecr.repo-missing", "No container image comes from a private ECR repository.")
    out = []
    for repo_arn, users in repos.items():
        arn = partitioned(snapshot, repo_arn)
        entry = snapshot.repositories.get(repo_arn, snapshot.repositories.get(arn, ...))
        containers = ", ".join(c for c, _ in users)
        if entry is None and (cached := created_by_cache(snapshot, arn, users)) is not None:
            out.append(cached)
            continue
        if entry is ...:
            detail, perm = unread_detail(f"Repository {arn}", gap_for(snapshot, REPO_APIS, arn), "ecr:DescribeRepositories")
            out.append(Finding("ecr.repo-missing", "unknown", detail=detail, missing_permission=perm, resource=arn))
        elif entry is None and unseen_elsewhere(snapshot, arn):
            out.append(Finding("ecr.repo-missing", "unknown", detail=unseen_elsewhere(snapshot, arn) or "",
                               resource=arn, missing_permission="ecr:DescribeRepositories",
                               evidence=["DescribeRepositories: RepositoryNotFoundException (from another account)"]))
        elif entry is None:
            parts = arn_parts(arn) or {"region": "", "account": "", "resource": "/"}
            name = parts["resource"].split("/", 1)[1]
            out.append(Finding(
                "ecr.repo-missing", "fail", message=f"ECR repository {name} does not exist", resource=arn,
                detail=f"Container(s) {containers} pull {users[0][1].raw}, but registry {parts['account']} has no repository "
                f"named {name!r} in {parts['region']}: the pull fails with 'repository ... not found'. Check the "
                "image URI for a typo, the account and the region.",
                evidence=[f"DescribeRepositories({name}, registryId={parts['account']}): RepositoryNotFoundException"],
                remediation=Remediation(
                    f"Create the repository {name} and push the image, or fix the image URI.",
                    [f"aws ecr create-repository --repository-name {q(name)} --region {q(parts['region'])} "
                     "--image-tag-mutability IMMUTABLE --image-scanning-configuration scanOnPush=true",
                     f"docker push {q(users[0][1].raw)}"],
                    fix={"op": "create_repository", "arn": arn})))
        else:
            out.append(Finding("ecr.repo-missing", "pass", detail=f"Repository {arn} exists.", resource=arn,
                               evidence=[f"repositoryUri: {(entry.get('Repository') or {}).get('repositoryUri', '?')}"]))
    return out


@check("ecr.image-missing")
def image_missing(snapshot: Snapshot, plan: PullPlan) -> list[Finding]:
    out = []
    for container, image in plan.images.items():
        if not image.ecr:
            continue
        ref = f"{image.repository}@{image.digest}" if image.digest else f"{image.repository}:{image.tag}"
        entry = image_entry(snapshot, image)
        if repo_state(snapshot, image) is None and unseen_elsewhere(snapshot, image.repository_arn() or ""):
            out.append(Finding("ecr.image-missing", "unknown", resource=image.raw,
                               detail=f"The repository of {image.raw} could not be seen from this account "
                                      "(see ecr.repo-missing), so neither can its images."))
        elif repo_state(snapshot, image) is None:
            out.append(Finding("ecr.image-missing", "skipped", resource=image.raw,
                               detail=f"The repository of {image.raw} does not exist (see ecr.repo-missing)."))
        elif entry is ... or not isinstance(entry, dict) or entry.get("found") is None:
            detail, perm = unread_detail(f"Image {image.raw}", gap_for(snapshot, IMAGE_APIS, image.repository_arn()),
                                         "ecr:DescribeImages")
            out.append(Finding("ecr.image-missing", "unknown", detail=detail, missing_permission=perm,
                               resource=image.raw))
        elif entry.get("found") is False:
            what = f"digest {image.digest}" if image.digest else f"tag {image.tag!r}"
            out.append(Finding(
                "ecr.image-missing", "fail", message=f"Image {ref} is not in the repository", resource=image.raw,
                detail=f"Container {container} pulls {image.raw}, but the repository has no image with {what}: the pull "
                "fails with 'not found' / 'failed to resolve ref'. ECS resolves a tag to a digest per deployment, "
                "so a deleted or re-pushed tag (or a lifecycle policy expiring it) breaks later tasks.",
                evidence=[f"DescribeImages({ref}): ImageNotFoundException"],
                remediation=Remediation(
                    f"Push {image.raw} (or point the task definition at an image that exists).",
                    [f"aws ecr describe-images --repository-name {q(image.repository)} --registry-id "
                     f"{q(image.registry_id or '')} --region {q(image.region or '')} "
                     "--query 'sort_by(imageDetails,&imagePushedAt)[-5:].[imageTags,imageDigest]'",
                     f"docker push {q(image.raw)}"],
                    fix={"op": "push_image", "reference": image.raw})))
        else:
            out.append(recorded_digest_finding(snapshot, container, image, entry) or
                       Finding("ecr.image-missing", "pass", resource=image.raw,
                               detail=f"{image.raw} exists (digest {entry.get('digest') or '?'}).",
                               evidence=[f"pushed at {entry.get('pushed_at') or '?'}"]))
    if not out:
        return skipped("ecr.image-missing", "No container image comes from a private ECR repository.")
    return out


def recorded_digest_finding(snapshot: Snapshot, container: str, image: ImageRef,
                            entry: dict[str, Any]) -> Finding | None:
    """The tag exists; does the digest ECS resolved it to for this deployment still exist?

    ECS resolves a tag to a digest once per deployment and later tasks pull that digest ("Container
    image resolution", https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-ecs.html#deployment-container-image-stability);
    DescribeTasks reports it as ``containers[].imageDigest``. A tag re-pushed with the old digest
    deleted leaves the tag passing and the deployment's next task failing. None: nothing recorded.
    """
    recorded = entry.get("recorded_digest")
    digest = recorded.get("digest") if isinstance(recorded, dict) else None
    if not isinstance(digest, str):
        return _recorded_digest_unread(snapshot, image)
    current = entry.get("digest")
    moved = f" The tag now points to {current}." if current and current != digest else ""
    if recorded.get("found") is not False:
        return Finding("ecr.image-missing", "pass", resource=image.raw,
                       detail=f"{image.raw} exists, and so does {digest}, the digest ECS resolved it to for this "
                       f"deployment (the task's containers[].imageDigest).{moved}",
                       evidence=[f"task container {container}: imageDigest={digest}"])
    name = image.repository
    cluster = str((snapshot.subject or {}).get("cluster") or "CLUSTER")
    group = str((snapshot.task or {}).get("group") or "")
    service = group.split(":", 1)[1] if group.startswith("service:") else \
        str((snapshot.service or {}).get("serviceName") or "SERVICE")
    return Finding(
        "ecr.image-missing", "fail", resource=image.raw,
        message=f"The digest this deployment pulls for {image.raw} was deleted",
        detail=f"ECS resolved {image.raw} to {digest} when this deployment started, and its tasks pull that digest, "
        f"but the repository no longer has it.{moved} The tag still exists, so the image looks fine, yet every new "
        "task of this deployment fails with 'not found' / 'failed to resolve ref'. A redeployment resolves the tag "
        "again; pushing the old image back restores the digest.",
        evidence=[f"task container {container}: imageDigest={digest}",
                  f"DescribeImages({name}@{digest}): ImageNotFoundException"],
        remediation=Remediation(
            "Start a new deployment so ECS resolves the tag to an image that exists (or push the old image back).",
            [f"aws ecs update-service --cluster {q(cluster)} --service {q(service)} --force-new-deployment "
             f"--region {q(snapshot.region)}",
             f"aws ecr describe-images --repository-name {q(name)} --registry-id {q(image.registry_id or '')} "
             f"--region {q(image.region or '')} --image-ids imageTag={q(image.tag or 'latest')}"]))


def _recorded_digest_unread(snapshot: Snapshot, image: ImageRef) -> Finding | None:
    """The task recorded a digest but DescribeImages by that digest failed: unknown, naming the call."""
    gap = next((g for g in snapshot.gaps if (g.api or "").lower() == "ecr:describeimages"
                and "@sha256:" in (g.resource or "") and f" {image.raw}@" in (g.resource or "")), None)
    if gap is None:
        return None
    detail, perm = unread_detail(f"The digest the task recorded for {image.raw}", gap, "ecr:DescribeImages")
    return Finding("ecr.image-missing", "unknown", detail=detail, missing_permission=perm, resource=image.raw)


def wanted_platform(snapshot: Snapshot) -> tuple[str, str, dict[str, str]]:
    """(os, architecture) the task runs on, from ``runtimePlatform`` (default LINUX / X86_64)."""
    rp = (snapshot.task_definition or {}).get("runtimePlatform")
    rp = rp if isinstance(rp, dict) else {}  # a malformed value is taskdef.invalid's business
    cpu = str(rp.get("cpuArchitecture") or "X86_64").upper()
    family = str(rp.get("operatingSystemFamily") or "LINUX").upper()
    return ("windows" if family.startswith("WINDOWS") else "linux",
            "arm64" if cpu == "ARM64" else "amd64", {"cpuArchitecture": cpu, "operatingSystemFamily": family})


@check("ecr.platform-mismatch")
def platform_mismatch(snapshot: Snapshot, plan: PullPlan) -> list[Finding]:
    want_os, want_arch, rp = wanted_platform(snapshot)
    out = []
    for container, image in plan.images.items():
        finding = _platform(snapshot, container, image, want_os, want_arch, rp)
        if finding is not None:
            finding.resource = image.raw
            out.append(finding)
    return out or skipped("ecr.platform-mismatch", "The task has no container images.")


def _platform(snapshot: Snapshot, container: str, image: ImageRef, want_os: str, want_arch: str,
              rp: dict[str, str]) -> Finding | None:
    """The platform answer for one container's image (None when the image evidence is simply absent)."""
    entry = image_entry(snapshot, image)
    listed = isinstance(entry, dict) and isinstance(entry.get("platforms"), list) and entry["platforms"]
    if not image.ecr and not listed:
        return Finding("ecr.platform-mismatch", "skipped",
                       detail=f"{image.raw} is not in ECR; the kit does not read other registries' manifests.")
    if not isinstance(entry, dict) or entry.get("found") is None:
        if repo_state(snapshot, image) is None:
            return None
        detail, perm = unread_detail(f"The manifest of {image.raw}", gap_for(
            snapshot, IMAGE_APIS, image.repository_arn()), "ecr:BatchGetImage")
        return Finding("ecr.platform-mismatch", "unknown", detail=detail, missing_permission=perm)
    if entry.get("found") is False:
        return Finding("ecr.platform-mismatch", "skipped", detail=f"{image.raw} does not exist (see ecr.image-missing).")
    unread = _manifest_gap(snapshot, image)
    if unread is not None and not entry.get("platforms"):  # the image exists, its manifest was not read
        detail, perm = unread_detail(f"The manifest of {image.raw}", unread, "ecr:BatchGetImage")
        return Finding("ecr.platform-mismatch", "unknown", detail=detail, missing_permission=perm)
    platforms = [p for p in entry.get("platforms") or [] if isinstance(p, dict)
                 and (p.get("os"), p.get("architecture")) != ("unknown", "unknown")]  # attestations
    if not platforms:
        return _single_platform(snapshot, container, image, want_os, want_arch, rp)
    if any(p.get("os") == want_os and p.get("architecture") == want_arch for p in platforms):
        return Finding("ecr.platform-mismatch", "pass", detail=f"{image.raw} has a {want_os}/{want_arch} manifest.",
                       evidence=[f"image platforms: {_platforms(platforms)}"])
    return _mismatch(snapshot, container, image, platforms, want_os, want_arch, rp)


def _manifest_gap(snapshot: Snapshot, image: ImageRef) -> Gap | None:
    """The gap left by ``ecr:BatchGetImage`` for this image, if its manifest could not be read."""
    return next((g for g in snapshot.gaps if (g.api or "").lower() == "ecr:batchgetimage"
                 and (not g.resource or g.resource.endswith(f" {image.raw}") or g.resource == image.raw)), None)


def _single_platform(snapshot: Snapshot, container: str, image: ImageRef, want_os: str, want_arch: str,
                     rp: dict[str, str]) -> Finding:
    """A single-platform image lists no platform in its manifest: only the stopped reason can tell."""
    task = snapshot.task or {}
    reasons = [c.get("reason") for c in task.get("containers") or [] if isinstance(c, dict)
               and c.get("name") == container] + [task.get("stoppedReason")]
    said = next((r for r in reasons if isinstance(r, str) and PLATFORM_FAILURE.search(r)), None)
    if not said:
        return Finding("ecr.platform-mismatch", "skipped",
                       detail=f"{image.raw} is a single-platform image: its platform is in the image config, which the "
                       f"kit does not download. The task runs on {want_os}/{want_arch}; an image built for another "
                       "architecture fails with 'exec format error'.")
    definite = "descriptor matching platform" in said or "no matching manifest" in said
    return Finding(
        "ecr.platform-mismatch", "fail" if definite else "warn",
        message=f"{image.raw} does not run on {want_os}/{want_arch}",
        detail=f"Container {container} runs on {rp['operatingSystemFamily']}/{rp['cpuArchitecture']} and the task stopped "
        f"with a platform error; {image.raw} is a single-platform image, so it was most likely built for another "
        "architecture (e.g. arm64 on an Apple silicon laptop).",
        evidence=[f"stopped reason: {said[:300]}"],
        remediation=Remediation(f"Rebuild and push {image.raw} for {want_os}/{want_arch}.",
                                [f"docker buildx build --platform {want_os}/{want_arch} -t {q(image.raw)} --push ."],
                                fix={"op": "push_image", "reference": image.raw, "platforms": [
                                    {"os": want_os, "architecture": want_arch,
                                     "variant": "v8" if want_arch == "arm64" else None}]}))


def _platforms(platforms: list[dict[str, Any]]) -> str:
    return ", ".join(f"{p.get('os')}/{p.get('architecture')}" + (f"/{p['variant']}" if p.get("variant") else "")
                     for p in platforms)


def _mismatch(snapshot: Snapshot, container: str, image: ImageRef, platforms: list[dict[str, Any]],
              want_os: str, want_arch: str, rp: dict[str, str]) -> Finding:
    alt = next((p for p in platforms if p.get("os") == "linux" and p.get("architecture") in ("amd64", "arm64")), None)
    cmds = [f"docker buildx build --platform {want_os}/{want_arch} -t {q(image.raw)} --push ."]
    if alt:
        cpu = "ARM64" if alt["architecture"] == "arm64" else "X86_64"
        fix: dict[str, Any] = {"op": "set_runtime_platform", "cpuArchitecture": cpu, "operatingSystemFamily": "LINUX"}
        summary = (f"Rebuild and push {image.raw} for {want_os}/{want_arch}, or run the task on {cpu} "
                   f"(runtimePlatform.cpuArchitecture={cpu}).")
        cmds.append(register_td_cmd(snapshot, f'.runtimePlatform = {{"cpuArchitecture":"{cpu}",'
                                              '"operatingSystemFamily":"LINUX"}'))
    else:
        fix = {"op": "push_image", "reference": image.raw, "platforms": platforms + [
            {"os": want_os, "architecture": want_arch, "variant": "v8" if want_arch == "arm64" else None}]}
        summary = f"Rebuild and push {image.raw} for {want_os}/{want_arch} (a multi-platform image keeps both)."
    return Finding(
        "ecr.platform-mismatch", "fail", message=f"{image.raw} has no {want_os}/{want_arch} manifest",
        detail=f"Container {container} runs on {rp['operatingSystemFamily']}/{rp['cpuArchitecture']} "
        f"({want_os}/{want_arch}) but the image only has {_platforms(platforms)}: the pull fails "
        "('image Manifest does not contain descriptor matching platform') or the container exits with "
        "'exec format error'.",
        evidence=[f"image platforms: {_platforms(platforms)}",
                  f"task runtimePlatform: {rp['operatingSystemFamily']}/{rp['cpuArchitecture']}"],
        remediation=Remediation(summary, cmds, fix=fix))
