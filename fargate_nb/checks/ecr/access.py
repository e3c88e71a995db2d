"""Who may pull: the execution role's identity side (`iam.ecr-pull`) and the repository policy (`ecr.repo-policy`)."""

from __future__ import annotations

from fargate_nb.checks.ecr.common import (
    PULL_ACTIONS,
    ecr_images,
    partitioned,
    skipped,
    unseen_elsewhere,
)
from fargate_nb.checks.permissions import (
    Ask,
    Outcome,
    arn_parts,
    execution_role,
    gap_for,
    no_role_finding,
    permission_finding,
    policy_name,
    resource_policy_grants,
    statements,
    unread_detail,
)
from fargate_nb.checks.registry import check
from fargate_nb.model import Finding, Snapshot
from fargate_nb.pullflow import PullPlan


@check("iam.ecr-pull")
def ecr_pull_permission(snapshot: Snapshot, plan: PullPlan) -> list[Finding]:
    repos = ecr_images(plan)
    if not repos:
        return skipped("iam.ecr-pull", "No container image comes from a private ECR repository.")
    role = execution_role(snapshot)
    out = []
    for repo_arn in repos:
        arn = partitioned(snapshot, repo_arn)
        if role.state != "ok":
            out.append(no_role_finding("iam.ecr-pull", "manifest", role, snapshot, plan, f"pull from {arn}",
                                       resource=arn))
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
            "iam.ecr-pull", "manifest", snapshot, role.view, outcomes, ask,
            subject=f"pull from repository {arn}", sid="FargateNbEcrPull",
            policy_name=policy_name("fargate-nb-ecr-pull", arn.split(":repository/", 1)[-1]), resource=arn))
    return out


@check("ecr.repo-policy")
def repository_policy(snapshot: Snapshot, plan: PullPlan) -> list[Finding]:
    repos = ecr_images(plan)
    if not repos:
        return skipped("ecr.repo-policy", "No container image comes from a private ECR repository.")
    role = execution_role(snapshot)
    out = []
    for repo_arn in repos:
        arn = partitioned(snapshot, repo_arn)
        registry = (arn_parts(arn) or {}).get("account") or ""
        entry = snapshot.repositories.get(repo_arn, snapshot.repositories.get(arn, ...))
        if role.state == "unread":  # the role exists but could not be read: the policy cannot be judged
            detail, perm = unread_detail(f"The execution role {role.arn}", gap_for(
                snapshot, ("iam:GetRole",), role.arn), "iam:GetRole")
            out.append(Finding("ecr.repo-policy", "unknown", resource=arn, missing_permission=perm,
                               detail=f"{detail} The policy of {arn} cannot be checked against it."))
            continue
        if role.state != "ok":
            out.append(Finding("ecr.repo-policy", "skipped", resource=arn,
                               detail=f"No usable execution role to check against the policy of {arn} (see exec-role.*)."))
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
            out.append(Finding("ecr.repo-policy", "unknown", detail=detail, missing_permission=perm, resource=arn))
            continue
        if entry is None and unseen_elsewhere(snapshot, arn):
            out.append(Finding("ecr.repo-policy", "unknown", resource=arn, missing_permission="ecr:GetRepositoryPolicy",
                               detail=f"The policy of {arn} could not be read: {unseen_elsewhere(snapshot, arn)}"))
            continue
        if entry is None:
            out.append(Finding("ecr.repo-policy", "skipped", detail=f"Repository {arn} does not exist (see ecr.repo-missing).",
                               resource=arn))
            continue
        if "Policy" not in entry:
            detail, perm = unread_detail(f"The repository policy of {arn}", gap_for(
                snapshot, ("ecr:GetRepositoryPolicy",), arn), "ecr:GetRepositoryPolicy")
            out.append(Finding("ecr.repo-policy", "unknown", detail=detail, missing_permission=perm, resource=arn))
            continue
        policy = entry.get("Policy")
        if not cross and not isinstance(policy, dict):
            out.append(Finding("ecr.repo-policy", "pass", resource=arn,
                               detail=f"{arn} is in the task's account and has no repository policy: the execution "
                                      "role's identity policies decide (see iam.ecr-pull)."))
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
            "ecr.repo-policy", "manifest", snapshot, role.view, outcomes, ask,
            subject=f"pull from {arn} under its repository policy" + (f" (account {registry})" if cross else ""),
            policy_name="", sid="", resource_only=True, resource=arn)
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
