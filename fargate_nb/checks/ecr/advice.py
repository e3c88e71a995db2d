"""Advice that does not break today's pull but may break tomorrow's: lifecycle policy, scan on push, mutable tags."""

from __future__ import annotations

import fnmatch
from typing import Any

from fargate_nb.checks.ecr.common import ecr_images, skipped
from fargate_nb.checks.permissions import (
    gap_for,
    q,
    unread_detail,
)
from fargate_nb.checks.registry import check
from fargate_nb.model import Finding, Remediation, Snapshot
from fargate_nb.pullflow import PullPlan


def _readable_repos(snapshot: Snapshot, plan: PullPlan) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for repo_arn in ecr_images(plan):
        entry = snapshot.repositories.get(repo_arn)
        if isinstance(entry, dict) and isinstance(entry.get("Repository"), dict):
            out.append((repo_arn, entry))
    return out


@check("ecr.lifecycle-policy")
def lifecycle_policy(snapshot: Snapshot, plan: PullPlan) -> list[Finding]:
    out = []
    for arn, entry in _readable_repos(snapshot, plan):
        name = entry["Repository"].get("repositoryName") or arn.split("/", 1)[-1]
        has = entry.get("LifecyclePolicy")
        if has is None:
            detail, perm = unread_detail(f"The lifecycle policy of {arn}", gap_for(
                snapshot, ("ecr:GetLifecyclePolicy",), arn), "ecr:GetLifecyclePolicy")
            out.append(Finding("ecr.lifecycle-policy", "skipped", detail=detail, missing_permission=perm, resource=arn))
        elif has:
            out.append(Finding("ecr.lifecycle-policy", "pass", detail=f"{arn} has a lifecycle policy.", resource=arn))
        else:
            rule = ('{"rules":[{"rulePriority":1,"description":"expire untagged images after 14 days",'
                    '"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days",'
                    '"countNumber":14},"action":{"type":"expire"}}]}')
            out.append(Finding(
                "ecr.lifecycle-policy", "info", message=f"Repository {name} has no lifecycle policy", resource=arn,
                detail=f"{arn} keeps every image forever (storage cost grows). When you add one, keep the tags your "
                "task definitions use: a lifecycle rule that expires a deployed tag breaks the next task launch.",
                remediation=Remediation(
                    "Expire untagged images; keep tagged releases.",
                    [f"aws ecr put-lifecycle-policy --repository-name {q(name)} --region {q(arn.split(':')[3])} "
                     f"--lifecycle-policy-text {q(rule)}"])))
    return out or skipped("ecr.lifecycle-policy", "No readable ECR repository.")


@check("ecr.scan-on-push")
def scan_on_push(snapshot: Snapshot, plan: PullPlan) -> list[Finding]:
    out = []
    for arn, entry in _readable_repos(snapshot, plan):
        repo = entry["Repository"]
        name = repo.get("repositoryName") or arn.split("/", 1)[-1]
        if (repo.get("imageScanningConfiguration") or {}).get("scanOnPush"):
            out.append(Finding("ecr.scan-on-push", "pass", detail=f"{arn} scans images on push.", resource=arn))
            continue
        rules = '[{"scanFrequency":"SCAN_ON_PUSH","repositoryFilters":[{"filter":"' + name + '","filterType":"WILDCARD"}]}]'
        out.append(Finding(
            "ecr.scan-on-push", "info", message=f"Repository {name} does not scan on push", resource=arn,
            detail=f"{arn} has scanOnPush off, so pushed images are not checked for known vulnerabilities (a "
            "registry-level scanning configuration, which this kit does not read, may still scan them).",
            evidence=[f"imageScanningConfiguration: {repo.get('imageScanningConfiguration')}"],
            remediation=Remediation("Turn on scanning at the registry level (it supersedes the repository setting).",
                                    [f"aws ecr put-registry-scanning-configuration --region {q(arn.split(':')[3])} "
                                     f"--scan-type BASIC --rules {q(rules)}"])))
    for repo_arn in ecr_images(plan):  # a repository that could not be read: unknown, not skipped
        if repo_arn not in snapshot.repositories:
            detail, perm = unread_detail(f"Repository {repo_arn}", gap_for(snapshot, ("ecr:DescribeRepositories",),
                                                                          repo_arn), "ecr:DescribeRepositories")
            out.append(Finding("ecr.scan-on-push", "unknown", detail=detail, missing_permission=perm,
                               resource=repo_arn))
    return out or skipped("ecr.scan-on-push", "No readable ECR repository.")


def tag_is_mutable(repo: dict[str, Any], tag: str) -> bool:
    """ECR's setting, including the *_WITH_EXCLUSION modes whose filters flip it for matching tags."""
    mode = (repo.get("imageTagMutability") or "MUTABLE").upper()
    matches = any(fnmatch.fnmatchcase(tag, f.get("filter") or "") for f in repo.get(
        "imageTagMutabilityExclusionFilters") or [] if isinstance(f, dict))
    if mode == "IMMUTABLE_WITH_EXCLUSION":
        return matches
    if mode == "MUTABLE_WITH_EXCLUSION":
        return not matches
    return mode != "IMMUTABLE"


@check("ecr.mutable-tag")
def mutable_tag(snapshot: Snapshot, plan: PullPlan) -> list[Finding]:
    out = []
    for container, image in plan.images.items():
        entry = snapshot.repositories.get(image.repository_arn() or "")
        if not image.ecr or not isinstance(entry, dict) or not isinstance(entry.get("Repository"), dict):
            continue
        repo = entry["Repository"]
        if image.digest or not image.tag or not tag_is_mutable(repo, image.tag):
            out.append(Finding("ecr.mutable-tag", "pass", resource=image.raw,
                               detail=f"{image.raw} is pinned by {'digest' if image.digest else 'an immutable tag'}."))
            continue
        latest = " `latest` is the tag most often re-pushed by accident." if image.tag == "latest" else ""
        out.append(Finding(
            "ecr.mutable-tag", "info", message=f"Container {container} uses mutable tag {image.tag!r}",
            resource=image.raw,
            detail=f"Repository {repo.get('repositoryName')} allows tags to be overwritten ({repo.get('imageTagMutability')}), "
            f"so {image.raw} can point at a different image tomorrow; ECS resolves it per deployment, and a "
            f"re-push or deletion fails later tasks with 'failed to resolve ref'.{latest}",
            evidence=[f"imageTagMutability: {repo.get('imageTagMutability')}"],
            remediation=Remediation(
                "Make tags immutable and deploy versioned tags (or pin by digest).",
                [f"aws ecr put-image-tag-mutability --repository-name {q(repo.get('repositoryName') or '')} "
                 f"--region {q(image.region or '')} --image-tag-mutability IMMUTABLE"])))
    return out or skipped("ecr.mutable-tag", "No readable ECR repository.")
