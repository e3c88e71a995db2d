"""IAM evidence: the execution and task roles with every policy that applies, and simulations.

Per role: GetRole (trust policy, boundary ARN), ListRolePolicies + GetRolePolicy, and
ListAttachedRolePolicies + GetPolicy + GetPolicyVersion. Managed policies (also boundaries) are
read once even when several roles use them. IAM returns documents URL-encoded; botocore decodes
them, and `decode_policy` copes either way.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from fargate_nb.aws.arns import parse_arn, role_name
from fargate_nb.aws.calls import Job, PolicyDecodeError, decode_policy, jsonable
from fargate_nb.aws.state import Collection
from fargate_nb.pullflow import PullPlan

ROLE = "iam.role"
INLINE_NAMES = "iam.inline-names"
INLINE_DOCS = "iam.inline-docs"
ATTACHED = "iam.attached"
POLICIES = "iam.policies"  # policy ARN -> {"PolicyArn", "PolicyName", "Document"} | None


def role_jobs(col: Collection, plan: PullPlan, *, simulate: bool = True) -> list[Job]:
    """Jobs reading the execution role and the task role named by the task definition."""
    td = col.snap.task_definition or {}
    jobs: list[Job] = []
    for key in ("executionRoleArn", "taskRoleArn"):
        arn = td.get(key)
        if isinstance(arn, str) and arn and col.claim(("role", arn)):
            jobs.extend(_role(col, arn))
    exec_arn = td.get("executionRoleArn")
    if simulate and isinstance(exec_arn, str) and exec_arn.startswith("arn:") and plan.needs:
        jobs.append(partial(simulate_needs, col, exec_arn, plan))
    return jobs


def _role(col: Collection, arn: str) -> list[Job]:
    name = role_name(arn)
    if name is None:
        col.gap("iam:GetRole", f"malformed role ARN in the task definition: {arn[:200]}", arn)
        return []
    parsed = parse_arn(arn)
    if parsed and parsed.account and col.snap.account and parsed.account != col.snap.account:
        col.gap("iam:GetRole", f"role is in account {parsed.account}, not {col.snap.account}: "
                "IAM only describes roles of the caller's account", arn)
        return []
    return [partial(_get_role, col, arn, name), partial(_inline, col, arn, name),
            partial(_attached, col, arn, name)]


def _get_role(col: Collection, arn: str, name: str) -> list[Job]:
    out = col.call("iam", "GetRole", resource=arn, RoleName=name)
    if out.missing:
        col.put(ROLE, arn, None)
        return []
    if not out.ok:
        return []
    role = jsonable(out.data["Role"])
    try:
        role["AssumeRolePolicyDocument"] = decode_policy(role.get("AssumeRolePolicyDocument"))
    except PolicyDecodeError as exc:
        col.gap("iam:GetRole", f"trust policy unreadable: {exc}", arn)
        role["AssumeRolePolicyDocument"] = None
    col.put(ROLE, arn, role)
    boundary = (role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
    return [partial(managed_policy, col, boundary)] if boundary and col.claim(("policy", boundary)) else []


def _inline(col: Collection, arn: str, name: str) -> list[Job]:
    out = col.call("iam", "ListRolePolicies", resource=arn, paginate=True, RoleName=name)
    if not out.ok:
        return []
    names = [n for n in out.data.get("PolicyNames") or [] if isinstance(n, str)]
    col.put(INLINE_NAMES, arn, names)
    return [partial(_inline_doc, col, arn, name, policy) for policy in names]


def _inline_doc(col: Collection, arn: str, name: str, policy: str) -> None:
    out = col.call("iam", "GetRolePolicy", resource=f"{arn} inline policy {policy}", RoleName=name,
                   PolicyName=policy)
    if not out.ok:
        return
    try:
        col.put(INLINE_DOCS, (arn, policy), decode_policy(out.data.get("PolicyDocument")))
    except PolicyDecodeError as exc:
        col.gap("iam:GetRolePolicy", f"policy document unreadable: {exc}", f"{arn} inline policy {policy}")


def _attached(col: Collection, arn: str, name: str) -> list[Job]:
    out = col.call("iam", "ListAttachedRolePolicies", resource=arn, paginate=True, RoleName=name)
    if not out.ok:
        return []
    attached = [p for p in out.data.get("AttachedPolicies") or [] if isinstance(p, dict) and p.get("PolicyArn")]
    col.put(ATTACHED, arn, [{"PolicyArn": p["PolicyArn"], "PolicyName": p.get("PolicyName")} for p in attached])
    return [partial(managed_policy, col, p["PolicyArn"]) for p in attached if col.claim(("policy", p["PolicyArn"]))]


def managed_policy(col: Collection, policy_arn: str) -> None:
    """GetPolicy for the default version id, then GetPolicyVersion for the document."""
    out = col.call("iam", "GetPolicy", resource=policy_arn, PolicyArn=policy_arn)
    if out.missing:
        col.put(POLICIES, policy_arn, None)
        return
    if not out.ok:
        return
    policy = out.data.get("Policy") or {}
    version_id = policy.get("DefaultVersionId")
    entry: dict[str, Any] = {"PolicyArn": policy_arn, "PolicyName": policy.get("PolicyName"), "Document": None}
    if version_id:
        ver = col.call("iam", "GetPolicyVersion", resource=policy_arn, PolicyArn=policy_arn, VersionId=version_id)
        if ver.ok:
            try:
                entry["Document"] = decode_policy((ver.data.get("PolicyVersion") or {}).get("Document"))
            except PolicyDecodeError as exc:
                col.gap("iam:GetPolicyVersion", f"policy document unreadable: {exc}", policy_arn)
    col.put(POLICIES, policy_arn, jsonable(entry))


def assemble_roles(col: Collection) -> None:
    """Build ``snapshot.roles`` from the parts read by the jobs (see the Snapshot docstring)."""
    roles, names, docs = col.bucket(ROLE), col.bucket(INLINE_NAMES), col.bucket(INLINE_DOCS)
    attached, policies = col.bucket(ATTACHED), col.bucket(POLICIES)
    for arn, role in roles.items():
        if role is None:
            col.snap.roles[arn] = None
            continue
        inline: dict[str, Any] | None = None
        if arn in names:
            inline = {n: docs.get((arn, n)) for n in names[arn]}
        attached_docs: list[dict[str, Any]] | None = None
        if arn in attached:
            attached_docs = []
            for p in attached[arn]:
                known = policies.get(p["PolicyArn"])
                attached_docs.append({"PolicyArn": p["PolicyArn"], "PolicyName": p["PolicyName"],
                                      "Document": (known or {}).get("Document")})
        boundary_arn = (role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        boundary = None
        if boundary_arn:
            boundary = {"PolicyArn": boundary_arn, "Document": (policies.get(boundary_arn) or {}).get("Document")}
        col.snap.roles[arn] = {"Role": role, "InlinePolicies": inline, "AttachedPolicies": attached_docs,
                               "PermissionsBoundary": boundary}


def simulate_needs(col: Collection, principal: str, plan: PullPlan) -> None:
    """Ask the IAM policy simulator about each need of the pull (identity policies only).

    Needs on ``*`` (ecr:GetAuthorizationToken) are simulated without resources, the others with
    their resource ARNs: two calls at most, each paginated.
    """
    wanted = {(n.action, n.resource) for n in plan.needs}
    groups: dict[bool, set[tuple[str, str]]] = {True: set(), False: set()}
    for action, resource in wanted:
        groups[resource == "*"].add((action, resource))
    results: list[dict[str, Any]] = []
    for star, pairs in groups.items():
        if not pairs:
            continue
        params: dict[str, Any] = {"PolicySourceArn": principal, "ActionNames": sorted({a for a, _ in pairs})}
        if not star:
            params["ResourceArns"] = sorted({r for _, r in pairs})
        out = col.call("iam", "SimulatePrincipalPolicy", resource=principal, paginate=True, optional=True,
                       **params)
        if not out.ok:
            return  # a denial is recorded as a gap; partial simulations would mislead
        for ev in out.data.get("EvaluationResults") or []:
            action = ev.get("EvalActionName")
            specific = ev.get("ResourceSpecificResults") or []
            rows = [(r.get("EvalResourceName"), r.get("EvalResourceDecision"), r.get("MatchedStatements"))
                    for r in specific] or [(ev.get("EvalResourceName") or "*", ev.get("EvalDecision"),
                                            ev.get("MatchedStatements"))]
            for resource, decision, matched in rows:
                resource = "*" if star else resource
                if (action, resource) in pairs:
                    results.append({"principal": principal, "action": action, "resource": resource,
                                    "decision": decision,
                                    "matched": [m.get("SourcePolicyId") for m in matched or [] if isinstance(m, dict)]})
    col.snap.simulations = jsonable(sorted(results, key=lambda r: (r["action"], r["resource"])))
