"""The manifest step for ECR images: permissions, the repository (and its policy), the image, its platforms.

Also advice that does not break today's pull but breaks tomorrow's (info findings): no lifecycle
policy, scan on push off, a mutable tag. Findings are per repository (permissions, repository) or
per container (image, platform).
"""

from __future__ import annotations

import fnmatch
import re
from typing import Any

from fargate_nb.checks.permissions import (
    Ask,
    Outcome,
    arn_parts,
    execution_role,
    gap_for,
    no_role_finding,
    permission_finding,
    policy_name,
    q,
    register_td_cmd,
    resource_policy_grants,
    statements,
    unread_detail,
)
from fargate_nb.checks.registry import check
from fargate_nb.model import Finding, Remediation, Snapshot
from fargate_nb.pullflow import ImageRef, PullPlan

ECR_ON_ECS = "https://docs.aws.amazon.com/AmazonECR/latest/userguide/ECR_on_ECS.html"
REPO_POLICY_DOC = "https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policy-examples.html"
CANNOT_PULL_DOC = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_cannot_pull_image.html"
PLATFORM_DOC = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html#runtime-platform"
LIFECYCLE_DOC = "https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html"
SCANNING_DOC = "https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning.html"
MUTABILITY_DOC = "https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html"
PULL_ACTIONS = ("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")
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


def _partitioned(snapshot: Snapshot, arn: str) -> str:
    partition = snapshot.partition or "aws"
    return arn if partition == "aws" else arn.replace("arn:aws:", f"arn:{partition}:", 1)


def _skipped(check_id: str, step: str, title: str, detail: str, **kw: Any) -> list[Finding]:
    return [Finding(check_id, "skipped", step, title, detail, **kw)]


@check("iam.ecr-pull", "manifest", "The execution role may pull from the ECR repository", doc_url=ECR_ON_ECS)
def ecr_pull_permission(snapshot: Snapshot, plan: PullPlan) -> list[Finding]:
    repos = ecr_images(plan)
    title = "The execution role may pull from the ECR repository"
    if not repos:
        return _skipped("iam.ecr-pull", "manifest", title, "No container image comes from a private ECR repository.")
    role = execution_role(snapshot)
    out = []
    for repo_arn in repos:
        arn = _partitioned(snapshot, repo_arn)
        if role.state != "ok":
            out.append(no_role_finding("iam.ecr-pull", "manifest", title, role, snapshot, plan,
                                        f"pull from {arn}"))
            continue
        assert role.view is not None
        registry = (arn_parts(arn) or {}).get("account")
        entry = snapshot.repositories.get(repo_arn) or snapshot.repositories.get(arn)
        policy = entry.get("Policy") if isinstance(entry, dict) else None
        same_account = registry == role.view.account
        # Same account: the repository policy can grant too; its denies are ecr.repo-policy's business.
        grants = {**policy, "Statement": [s for s in statements(policy) if s.get("Effect") == "Allow"]} \
            if same_account and isinstance(policy, dict) else None
        # Cross account: judge the identity side alone here (as if the repository were the role's own);
        # the repository policy's side is ecr.repo-policy.
        ask = Ask(target="ecr.dkr", resource_policy=grants, resource_account=role.view.account)
        outcomes = [ask.outcome(snapshot, role.view, a, arn) for a in PULL_ACTIONS]
        out.append(permission_finding(
            "iam.ecr-pull", "manifest", title, snapshot, role.view, outcomes, ask,
            subject=f"pull from repository {arn}", sid="FargateNbEcrPull",
            policy_name=policy_name("fargate-nb-ecr-pull", arn.split(":repository/", 1)[-1])))
    return out


@check("ecr.repo-policy", "manifest", "The repository policy lets the execution role pull", doc_url=REPO_POLICY_DOC)
def repository_policy(snapshot: Snapshot, plan: PullPlan) -> list[Finding]:
    title = "The repository policy lets the execution role pull"
    repos = ecr_images(plan)
    if not repos:
        return _skipped("ecr.repo-policy", "manifest", title, "No container image comes from a private ECR repository.")
    role = execution_role(snapshot)
    out = []
    for repo_arn in repos:
        arn = _partitioned(snapshot, repo_arn)
        registry = (arn_parts(arn) or {}).get("account") or ""
        entry = snapshot.repositories.get(repo_arn, snapshot.repositories.get(arn, ...))
        if role.state != "ok":
            out.append(Finding("ecr.repo-policy", "skipped", "manifest", title,
                               f"No usable execution role to check against the policy of {arn} (see exec-role.*)."))
            continue
        assert role.view is not None
        cross = registry != role.view.account
        if entry is ...:
            detail, perm = unread_detail(f"The repository policy of {arn}", gap_for(
                snapshot, ("ecr:GetRepositoryPolicy", "ecr:DescribeRepositories"), arn), "ecr:GetRepositoryPolicy")
            if cross:
                detail += (f" The repository belongs to account {registry}; its owner can run "
                           f"`aws ecr get-repository-policy --registry-id {registry} --repository-name "
                           f"{arn.split('/', 1)[1]} --region {arn.split(':')[3]}`.")
            out.append(Finding("ecr.repo-policy", "unknown", "manifest", title, detail, missing_permission=perm))
            continue
        if entry is None:
            out.append(Finding("ecr.repo-policy", "skipped", "manifest", title,
                               f"Repository {arn} does not exist (see ecr.repo-missing)."))
            continue
        if "Policy" not in entry:
            detail, perm = unread_detail(f"The repository policy of {arn}", gap_for(
                snapshot, ("ecr:GetRepositoryPolicy",), arn), "ecr:GetRepositoryPolicy")
            out.append(Finding("ecr.repo-policy", "unknown", "manifest", title, detail, missing_permission=perm))
            continue
        policy = entry.get("Policy")
        if not cross and not isinstance(policy, dict):
            out.append(Finding("ecr.repo-policy", "pass", "manifest", title,
                               f"{arn} is in the task's account and has no repository policy: the execution "
                               "role's identity policies decide (see iam.ecr-pull).", severity="high"))
            continue
        ask = Ask(target="ecr.dkr", resource_policy=policy if isinstance(policy, dict) else None,
                  resource_account=registry, resource_kind="repository", resource_arn=arn,
                  resource_statement={"Sid": f"AllowPull{role.view.account}", "Effect": "Allow",
                                      "Principal": {"AWS": role.view.arn}, "Action": list(PULL_ACTIONS)})
        outcomes = [resource_policy_grants(snapshot, role.view, a, arn, ask.resource_policy, registry, target="ecr.dkr")
                    for a in PULL_ACTIONS]
        if not cross:  # same account: only an explicit deny in the repository policy can block
            outcomes = [o if o.verdict == "explicit_deny" else _as_allowed(o) for o in outcomes]
        finding = permission_finding(
            "ecr.repo-policy", "manifest", title, snapshot, role.view, outcomes, ask,
            subject=f"pull from {arn} under its repository policy" + (f" (account {registry})" if cross else ""),
            policy_name="", sid="", resource_only=True)
        if cross and not isinstance(policy, dict) and finding.status == "fail":
            finding.detail = (f"Repository {arn} belongs to account {registry}, not the task's account "
                              f"{role.view.account}, and has no repository policy: a cross-account pull needs the "
                              f"repository policy to grant {role.view.arn} (and the role's own policy to allow it).")
        out.append(finding)
    return out


def _as_allowed(outcome: Outcome) -> Outcome:
    """Same account: a repository policy that does not mention the role takes nothing away."""
    from fargate_nb.iam.model import Decision

    return Outcome(outcome.action, outcome.resource,
                   Decision("allowed", "the repository policy does not deny it (same account: the identity "
                            "policies decide, see iam.ecr-pull)"))


@check("ecr.repo-missing", "manifest", "The ECR repository exists", doc_url=CANNOT_PULL_DOC)
def repository_missing(snapshot: Snapshot, plan: PullPlan) -> list[Finding]:
    title = "The ECR repository exists"
    repos = ecr_images(plan)
    if not repos:
        return _skipped("ecr.repo-missing", "manifest", title, "No container image comes from a private ECR repository.")
    out = []
    for repo_arn, users in repos.items():
        arn = _partitioned(snapshot, repo_arn)
        entry = snapshot.repositories.get(repo_arn, snapshot.repositories.get(arn, ...))
        containers = ", ".join(c for c, _ in users)
        if entry is ...:
            detail, perm = unread_detail(f"Repository {arn}", gap_for(snapshot, REPO_APIS, arn), "ecr:DescribeRepositories")
            out.append(Finding("ecr.repo-missing", "unknown", "manifest", title, detail, missing_permission=perm))
        elif entry is None:
            parts = arn_parts(arn) or {"region": "", "account": "", "resource": "/"}
            name = parts["resource"].split("/", 1)[1]
            out.append(Finding(
                "ecr.repo-missing", "fail", "manifest", f"ECR repository {name} does not exist",
                f"Container(s) {containers} pull {users[0][1].raw}, but registry {parts['account']} has no repository "
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
            out.append(Finding("ecr.repo-missing", "pass", "manifest", title, f"Repository {arn} exists.",
                               evidence=[f"repositoryUri: {(entry.get('Repository') or {}).get('repositoryUri', '?')}"]))
    return out


def image_entry(snapshot: Snapshot, image: ImageRef) -> Any:
    """``snapshot.images`` entry for an image (``...`` when not read)."""
    if image.raw in snapshot.images:
        return snapshot.images[image.raw]
    for entry in snapshot.images.values():
        if isinstance(entry, dict) and entry.get("repository_arn") == image.repository_arn() and \
                entry.get("tag") == image.tag and entry.get("digest", image.digest) == image.digest:
            return entry
    return ...


def _repo_state(snapshot: Snapshot, image: ImageRef) -> Any:
    arn = image.repository_arn() or ""
    return snapshot.repositories.get(arn, snapshot.repositories.get(_partitioned(snapshot, arn), ...))


@check("ecr.image-missing", "manifest", "The image tag or digest exists", doc_url=CANNOT_PULL_DOC)
def image_missing(snapshot: Snapshot, plan: PullPlan) -> list[Finding]:
    title = "The image tag or digest exists"
    out = []
    for container, image in plan.images.items():
        if not image.ecr:
            continue
        ref = f"{image.repository}@{image.digest}" if image.digest else f"{image.repository}:{image.tag}"
        entry = image_entry(snapshot, image)
        if _repo_state(snapshot, image) is None:
            out.append(Finding("ecr.image-missing", "skipped", "manifest", title,
                               f"The repository of {image.raw} does not exist (see ecr.repo-missing)."))
        elif entry is ... or not isinstance(entry, dict) or entry.get("found") is None:
            detail, perm = unread_detail(f"Image {image.raw}", gap_for(snapshot, IMAGE_APIS, image.repository_arn()),
                                         "ecr:DescribeImages")
            out.append(Finding("ecr.image-missing", "unknown", "manifest", title, detail, missing_permission=perm))
        elif entry.get("found") is False:
            what = f"digest {image.digest}" if image.digest else f"tag {image.tag!r}"
            out.append(Finding(
                "ecr.image-missing", "fail", "manifest", f"Image {ref} is not in the repository",
                f"Container {container} pulls {image.raw}, but the repository has no image with {what}: the pull "
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
            out.append(Finding("ecr.image-missing", "pass", "manifest", title,
                               f"{image.raw} exists (digest {entry.get('digest') or '?'}).",
                               evidence=[f"pushed at {entry.get('pushed_at') or '?'}"]))
    if not out:
        return _skipped("ecr.image-missing", "manifest", title, "No container image comes from a private ECR repository.")
    return out


def wanted_platform(snapshot: Snapshot) -> tuple[str, str, dict[str, str]]:
    """(os, architecture) the task runs on, from ``runtimePlatform`` (default LINUX / X86_64)."""
    rp = (snapshot.task_definition or {}).get("runtimePlatform")
    rp = rp if isinstance(rp, dict) else {}  # a malformed value is taskdef.invalid's business
    cpu = str(rp.get("cpuArchitecture") or "X86_64").upper()
    family = str(rp.get("operatingSystemFamily") or "LINUX").upper()
    return ("windows" if family.startswith("WINDOWS") else "linux",
            "arm64" if cpu == "ARM64" else "amd64", {"cpuArchitecture": cpu, "operatingSystemFamily": family})


@check("ecr.platform-mismatch", "manifest", "The image has a manifest for the task's platform", doc_url=PLATFORM_DOC)
def platform_mismatch(snapshot: Snapshot, plan: PullPlan) -> list[Finding]:
    title = "The image has a manifest for the task's platform"
    want_os, want_arch, rp = wanted_platform(snapshot)
    out = []
    for container, image in plan.images.items():
        entry = image_entry(snapshot, image)
        listed = isinstance(entry, dict) and isinstance(entry.get("platforms"), list) and entry["platforms"]
        if not image.ecr and not listed:
            out.append(Finding("ecr.platform-mismatch", "skipped", "manifest", title,
                               f"{image.raw} is not in ECR; the kit does not read other registries' manifests."))
            continue
        if not isinstance(entry, dict) or entry.get("found") is None:
            if _repo_state(snapshot, image) is not None:
                detail, perm = unread_detail(f"The manifest of {image.raw}", gap_for(
                    snapshot, IMAGE_APIS, image.repository_arn()), "ecr:BatchGetImage")
                out.append(Finding("ecr.platform-mismatch", "unknown", "manifest", title, detail, missing_permission=perm))
            continue
        if entry.get("found") is False:
            out.append(Finding("ecr.platform-mismatch", "skipped", "manifest", title,
                               f"{image.raw} does not exist (see ecr.image-missing)."))
            continue
        platforms = [p for p in entry.get("platforms") or [] if isinstance(p, dict)
                     and (p.get("os"), p.get("architecture")) != ("unknown", "unknown")]  # attestations
        if not platforms:
            out.append(_single_platform(snapshot, container, image, want_os, want_arch, rp))
        elif any(p.get("os") == want_os and p.get("architecture") == want_arch for p in platforms):
            out.append(Finding("ecr.platform-mismatch", "pass", "manifest", title,
                               f"{image.raw} has a {want_os}/{want_arch} manifest.",
                               evidence=[f"image platforms: {_platforms(platforms)}"]))
        else:
            out.append(_mismatch(snapshot, container, image, platforms, want_os, want_arch, rp))
    return out or _skipped("ecr.platform-mismatch", "manifest", title, "The task has no container images.")


def _single_platform(snapshot: Snapshot, container: str, image: ImageRef, want_os: str, want_arch: str,
                     rp: dict[str, str]) -> Finding:
    """A single-platform image lists no platform in its manifest: only the stopped reason can tell."""
    title = "The image has a manifest for the task's platform"
    task = snapshot.task or {}
    reasons = [c.get("reason") for c in task.get("containers") or [] if isinstance(c, dict)
               and c.get("name") == container] + [task.get("stoppedReason")]
    said = next((r for r in reasons if isinstance(r, str) and PLATFORM_FAILURE.search(r)), None)
    if not said:
        return Finding("ecr.platform-mismatch", "skipped", "manifest", title,
                       f"{image.raw} is a single-platform image: its platform is in the image config, which the "
                       f"kit does not download. The task runs on {want_os}/{want_arch}; an image built for another "
                       "architecture fails with 'exec format error'.")
    definite = "descriptor matching platform" in said or "no matching manifest" in said
    return Finding(
        "ecr.platform-mismatch", "fail" if definite else "warn", "manifest",
        f"{image.raw} does not run on {want_os}/{want_arch}",
        f"Container {container} runs on {rp['operatingSystemFamily']}/{rp['cpuArchitecture']} and the task stopped "
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
        "ecr.platform-mismatch", "fail", "manifest", f"{image.raw} has no {want_os}/{want_arch} manifest",
        f"Container {container} runs on {rp['operatingSystemFamily']}/{rp['cpuArchitecture']} "
        f"({want_os}/{want_arch}) but the image only has {_platforms(platforms)}: the pull fails "
        "('image Manifest does not contain descriptor matching platform') or the container exits with "
        "'exec format error'.",
        evidence=[f"image platforms: {_platforms(platforms)}",
                  f"task runtimePlatform: {rp['operatingSystemFamily']}/{rp['cpuArchitecture']}"],
        remediation=Remediation(summary, cmds, fix=fix))


# -- advice -------------------------------------------------------------------------------------------
def _readable_repos(snapshot: Snapshot, plan: PullPlan) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for repo_arn in ecr_images(plan):
        entry = snapshot.repositories.get(repo_arn)
        if isinstance(entry, dict) and isinstance(entry.get("Repository"), dict):
            out.append((repo_arn, entry))
    return out


@check("ecr.lifecycle-policy", "manifest", "The repository has a lifecycle policy", severity="low",
       doc_url=LIFECYCLE_DOC)
def lifecycle_policy(snapshot: Snapshot, plan: PullPlan) -> list[Finding]:
    title = "The repository has a lifecycle policy"
    out = []
    for arn, entry in _readable_repos(snapshot, plan):
        name = entry["Repository"].get("repositoryName") or arn.split("/", 1)[-1]
        has = entry.get("LifecyclePolicy")
        if has is None:
            detail, perm = unread_detail(f"The lifecycle policy of {arn}", gap_for(
                snapshot, ("ecr:GetLifecyclePolicy",), arn), "ecr:GetLifecyclePolicy")
            out.append(Finding("ecr.lifecycle-policy", "skipped", "manifest", title, detail, severity="low",
                               missing_permission=perm))
        elif has:
            out.append(Finding("ecr.lifecycle-policy", "pass", "manifest", title, f"{arn} has a lifecycle policy.",
                               severity="low"))
        else:
            rule = ('{"rules":[{"rulePriority":1,"description":"expire untagged images after 14 days",'
                    '"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days",'
                    '"countNumber":14},"action":{"type":"expire"}}]}')
            out.append(Finding(
                "ecr.lifecycle-policy", "info", "manifest", f"Repository {name} has no lifecycle policy",
                f"{arn} keeps every image forever (storage cost grows). When you add one, keep the tags your "
                "task definitions use: a lifecycle rule that expires a deployed tag breaks the next task launch.",
                severity="low", remediation=Remediation(
                    "Expire untagged images; keep tagged releases.",
                    [f"aws ecr put-lifecycle-policy --repository-name {q(name)} --region {q(arn.split(':')[3])} "
                     f"--lifecycle-policy-text {q(rule)}"])))
    return out or _skipped("ecr.lifecycle-policy", "manifest", title, "No readable ECR repository.", severity="low")


@check("ecr.scan-on-push", "manifest", "Images are scanned on push", severity="low", doc_url=SCANNING_DOC)
def scan_on_push(snapshot: Snapshot, plan: PullPlan) -> list[Finding]:
    title = "Images are scanned on push"
    out = []
    for arn, entry in _readable_repos(snapshot, plan):
        repo = entry["Repository"]
        name = repo.get("repositoryName") or arn.split("/", 1)[-1]
        if (repo.get("imageScanningConfiguration") or {}).get("scanOnPush"):
            out.append(Finding("ecr.scan-on-push", "pass", "manifest", title, f"{arn} scans images on push.",
                               severity="low"))
            continue
        rules = '[{"scanFrequency":"SCAN_ON_PUSH","repositoryFilters":[{"filter":"' + name + '","filterType":"WILDCARD"}]}]'
        out.append(Finding(
            "ecr.scan-on-push", "info", "manifest", f"Repository {name} does not scan on push",
            f"{arn} has scanOnPush off, so pushed images are not checked for known vulnerabilities (a "
            "registry-level scanning configuration, which this kit does not read, may still scan them).",
            severity="low", evidence=[f"imageScanningConfiguration: {repo.get('imageScanningConfiguration')}"],
            remediation=Remediation("Turn on scanning at the registry level (it supersedes the repository setting).",
                                    [f"aws ecr put-registry-scanning-configuration --region {q(arn.split(':')[3])} "
                                     f"--scan-type BASIC --rules {q(rules)}"])))
    return out or _skipped("ecr.scan-on-push", "manifest", title, "No readable ECR repository.", severity="low")


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


@check("ecr.mutable-tag", "manifest", "The image is pinned (immutable tag or digest)", severity="low",
       doc_url=MUTABILITY_DOC)
def mutable_tag(snapshot: Snapshot, plan: PullPlan) -> list[Finding]:
    title = "The image is pinned (immutable tag or digest)"
    out = []
    for container, image in plan.images.items():
        entry = snapshot.repositories.get(image.repository_arn() or "")
        if not image.ecr or not isinstance(entry, dict) or not isinstance(entry.get("Repository"), dict):
            continue
        repo = entry["Repository"]
        if image.digest or not image.tag or not tag_is_mutable(repo, image.tag):
            out.append(Finding("ecr.mutable-tag", "pass", "manifest", title,
                               f"{image.raw} is pinned by {'digest' if image.digest else 'an immutable tag'}.",
                               severity="low"))
            continue
        latest = " `latest` is the tag most often re-pushed by accident." if image.tag == "latest" else ""
        out.append(Finding(
            "ecr.mutable-tag", "info", "manifest", f"Container {container} uses mutable tag {image.tag!r}",
            f"Repository {repo.get('repositoryName')} allows tags to be overwritten ({repo.get('imageTagMutability')}), "
            f"so {image.raw} can point at a different image tomorrow; ECS resolves it per deployment, and a "
            f"re-push or deletion fails later tasks with 'failed to resolve ref'.{latest}",
            severity="low", evidence=[f"imageTagMutability: {repo.get('imageTagMutability')}"],
            remediation=Remediation(
                "Make tags immutable and deploy versioned tags (or pin by digest).",
                [f"aws ecr put-image-tag-mutability --repository-name {q(repo.get('repositoryName') or '')} "
                 f"--region {q(image.region or '')} --image-tag-mutability IMMUTABLE"])))
    return out or _skipped("ecr.mutable-tag", "manifest", title, "No readable ECR repository.", severity="low")
