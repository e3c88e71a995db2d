"""Shared by the ECR checks: the task's ECR images, evidence lookups."""

from __future__ import annotations

import re
from typing import Any

from fargate_nb.checks.permissions.evidence import account_of
from fargate_nb.model import Finding, Snapshot
from fargate_nb.pullflow import ECR_PULL_ACTIONS, ImageRef, PullPlan, arn_region

PULL_ACTIONS = ECR_PULL_ACTIONS  # the documented minimum on the repository (see pullflow)
REPO_APIS = ("ecr:DescribeRepositories",)
IMAGE_APIS = ("ecr:DescribeImages", "ecr:BatchGetImage")
PLATFORM_FAILURE = re.compile(r"descriptor matching platform|no matching manifest for|exec format error", re.I)


def ecr_images(plan: PullPlan) -> dict[str, list[tuple[str, ImageRef]]]:
    """Repository ARN -> [(container, image)] for the task's ECR images."""
    repos: dict[str, list[tuple[str, ImageRef]]] = {}
    for container, image in plan.images.items():
        arn = image.repository_arn()
        if image.ecr and arn:
            repos.setdefault(arn, []).append((container, image))
    return repos


def partitioned(snapshot: Snapshot, arn: str) -> str:
    partition = snapshot.partition or "aws"
    return arn if partition == "aws" else arn.replace("arn:aws:", f"arn:{partition}:", 1)


def skipped(check_id: str, detail: str, **kw: Any) -> list[Finding]:
    return [Finding(check_id, "skipped", detail=detail, **kw)]


def image_entry(snapshot: Snapshot, image: ImageRef) -> Any:
    """``snapshot.images`` entry for an image (``...`` when not read)."""
    if image.raw in snapshot.images:
        return snapshot.images[image.raw]
    for entry in snapshot.images.values():
        if isinstance(entry, dict) and entry.get("repository_arn") == image.repository_arn() and \
                entry.get("tag") == image.tag and entry.get("digest", image.digest) == image.digest:
            return entry
    return ...


def repo_state(snapshot: Snapshot, image: ImageRef) -> Any:
    arn = image.repository_arn() or ""
    return snapshot.repositories.get(arn, snapshot.repositories.get(partitioned(snapshot, arn), ...))


def unseen_elsewhere(snapshot: Snapshot, arn: str) -> str | None:
    """Why "not found" proves nothing for a repository another account owns (None for this account's own).

    Describing another account's repository needs that repository's policy to grant this account;
    a repository it does not share cannot be told apart from one that does not exist. Then the
    checks say `unknown`, and a stopped reason that states the cause decides (fargate_nb.diagnose.fusion).
    """
    registry = account_of(arn)
    if not snapshot.account or not registry or registry == snapshot.account:
        return None
    return (f"Repository {arn} belongs to account {registry} and was not found from account {snapshot.account}: "
            "a repository in another account is only visible here when its policy shares it, so it may exist. "
            f"Its owner can check with `aws ecr describe-repositories --registry-id {registry} --repository-names "
            f"{arn.split('/', 1)[-1]} --region {arn_region(arn)}`.")
