"""Network check, part 3: does the policy of the VPC endpoint on the path allow what the pull asks of it?

Each request the pull makes through an endpoint is evaluated with the local IAM evaluator against the
endpoint policy alone (identity policies are taken as allow-all: the `iam.*` checks own those), with
the condition context of that path (`netpath.request_context`).

Who makes the request: the execution role for ECR, CloudWatch Logs, Secrets Manager and SSM. The S3
layer download is different: ECR hands out *presigned* URLs, and a presigned request is made with the
credentials of the principal that signed it (S3 user guide, "Download and upload objects with
presigned URLs") -- an ECR-owned principal, not yours. So the S3 gateway endpoint policy must allow
``s3:GetObject`` on ``arn:aws:s3:::prod-REGION-starport-layer-bucket/*`` for ``"Principal": "*"``
(as in the ECR guide's minimal policy); a policy limited to your account, role or organization
blocks the layers. We model that caller as an unnamed principal outside your account.
"""

from __future__ import annotations

import json
from typing import Any

from fargate_nb import netpath
from fargate_nb.checks.net_findings import make, network_findings, q, unknown_for_path
from fargate_nb.checks.registry import check
from fargate_nb.iam import PolicyError, Request, evaluate
from fargate_nb.model import Finding, Remediation, Snapshot
from fargate_nb.pullflow import ECR_PULL_ACTIONS, Destination, PullPlan, arn_region
from fargate_nb.pullflow import layer_bucket_arn as pullflow_layer_bucket_arn

ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
LAYER_CALLER = ""  # ECR's presigning principal: unnamed, outside the task's account
_ECR_ACTIONS = {
    "ecr.api": ("ecr:GetAuthorizationToken",),
    "ecr.dkr": ECR_PULL_ACTIONS,
}
_SERVICE_ACTIONS = {"logs": "logs:", "secretsmanager": "secretsmanager:", "ssm": "ssm:"}


def layer_bucket_arn(snapshot: Snapshot, region: str | None = None) -> str:
    return pullflow_layer_bucket_arn(region or snapshot.region, snapshot.partition or "aws")


def requests_through(snapshot: Snapshot, plan: PullPlan, dest: Destination) -> list[tuple[str, str, str]]:
    """(action, resource, principal) of each request the pull sends to ``dest``."""
    role = (snapshot.task_definition or {}).get("executionRoleArn") or ""
    if dest.target in _ECR_ACTIONS:
        wanted = _ECR_ACTIONS[dest.target]
        return _unique((n.action, n.resource, role) for n in plan.needs if n.action in wanted and _here(n.resource, dest))
    if dest.target == "s3":
        return _s3_requests(snapshot, plan, dest, role)
    prefix = _SERVICE_ACTIONS.get(dest.target)
    if prefix:
        return _unique((n.action, n.resource, role) for n in plan.needs
                       if n.action.startswith(prefix) and _here(n.resource, dest))
    return []


def _s3_requests(snapshot: Snapshot, plan: PullPlan, dest: Destination, role: str) -> list[tuple[str, str, str]]:
    """Layer downloads from the starport bucket of each ECR image's region served here (by ECR's presigned
    URLs), and, in the task's own region, the execution role's reads of its environment files
    (``s3:GetObject`` and ``s3:GetBucketLocation``, "Pass environment variables to an Amazon ECS container",
    https://docs.aws.amazon.com/AmazonECS/latest/developerguide/taskdef-envfiles.html)."""
    home = plan.region or snapshot.region
    region = dest.region or home
    layer_regions = sorted({i.region or home for i in plan.images.values() if i.ecr and (i.region or home) == region})
    asks = [("s3:GetObject", layer_bucket_arn(snapshot, r), LAYER_CALLER) for r in layer_regions]
    if region == home:  # environment files are read in the task's region (their ARN names none)
        asks += [(n.action, n.resource, role) for n in plan.needs if n.action.startswith("s3:")]
    return _unique(asks)


def _here(resource: str, dest: Destination) -> bool:
    """The request goes to ``dest``'s region (a resource without a region, such as ``*``, goes anywhere)."""
    region = arn_region(resource)
    return not (region and dest.region) or region == dest.region


def _unique(items: Any) -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


@check("net.endpoint-policy")
def endpoint_policy(snapshot: Snapshot, plan: PullPlan) -> list[Finding]:
    dests, early = network_findings(snapshot, plan, "net.endpoint-policy", ("subnets", "route_tables", "vpc_endpoints"))
    return early + [_endpoint_policy(snapshot, plan, d) for d in dests]


def _endpoint_policy(snapshot: Snapshot, plan: PullPlan, dest: Destination) -> Finding:
    paths = netpath.resolve_all(snapshot, dest)
    via = [p for p in paths if p.via_endpoint and p.endpoint]
    if not via:
        unknown = next((p for p in paths if p.kind == "unknown"), None)
        if unknown:
            return unknown_for_path("net.endpoint-policy", dest, unknown)
        return make("net.endpoint-policy", "skipped", dest, f"{dest.key} does not go through a VPC endpoint",
                    paths[0].detail)
    path = via[0]
    ep = path.endpoint or {}
    eid = ep.get("VpcEndpointId") or "VPCE_ID"
    document = ep.get("PolicyDocument")
    if not isinstance(document, (dict, str)) or not document:
        return make("net.endpoint-policy", "unknown", dest, f"Policy of {eid} not readable",
                    f"the policy document of {eid} is not in the evidence", evidence=[f"{eid}: PolicyDocument missing"])
    asks = requests_through(snapshot, plan, dest)
    if not asks:
        return make("net.endpoint-policy", "skipped", dest, f"Nothing to evaluate through {eid}",
                    f"the pull sends no request to {dest.key} that the plan knows of")
    denied, unknown, evidence = [], [], []
    deny_statements: set[int] = set()
    for action, resource, principal in asks:
        values, unknown_keys = netpath.request_context(snapshot, dest, action, path)
        request = Request(action=action, resource=resource, principal=principal, context=values,
                          unknown_keys=unknown_keys)
        try:
            decision = evaluate(request, identity_policies=[("allow-all", ALLOW_ALL)], endpoint_policy=document,
                                resource_account=_account(principal))
        except (PolicyError, ValueError, TypeError) as exc:
            return make("net.endpoint-policy", "unknown", dest, f"Policy of {eid} cannot be evaluated",
                        f"{type(exc).__name__}: {exc}", evidence=[f"{eid} policy: {_short(document)}"])
        who = "ECR's presigned URL (any principal)" if principal == LAYER_CALLER else principal or "the caller"
        evidence.append(f"{action} on {resource} by {who}: {decision.decision} — {decision.reason}")
        if decision.decision in ("explicit_deny", "implicit_deny"):
            denied.append((action, resource))
            deny_statements.update(m.index for m in decision.matched if m.effect == "Deny" and m.policy == "endpoint")
        elif decision.decision == "unknown":
            unknown.append(action)
    if denied:
        layers = any(principal == LAYER_CALLER for (action, resource, principal) in asks
                     if (action, resource) in denied)
        fix_doc = _fixed_policy(document, denied, deny_statements, layers)
        actions = ", ".join(sorted({a for a, _ in denied}))
        return make(
            "net.endpoint-policy", "fail", dest, f"The policy of {eid} blocks {actions}",
            f"requests to {dest.key} go through {eid}, and its policy does not allow {actions}"
            + (" (ECR's presigned layer URLs need \"Principal\": \"*\")" if layers else ""),
            evidence=evidence,
            remediation=Remediation(
                summary=f"Allow {actions} in the policy of {eid}"
                        + (" and remove the Deny statement(s) that match" if deny_statements else ""),
                commands=[f"aws ec2 modify-vpc-endpoint --vpc-endpoint-id {q(eid)} "
                          f"--policy-document {q(json.dumps(fix_doc, separators=(',', ':')))}"],
                policy=fix_doc, fix={"op": "modify_vpc_endpoint", "endpoint_id": eid, "policy": fix_doc}))
    if unknown:
        return make("net.endpoint-policy", "unknown", dest, f"Policy of {eid} depends on unknown request values",
                    f"{', '.join(unknown)}: the decision depends on condition keys we cannot know",
                    evidence=evidence)
    return make("net.endpoint-policy", "pass", dest, f"The policy of {eid} allows the pull",
                f"{len(asks)} request(s) to {dest.key} allowed through {eid}", evidence=evidence)


def _account(principal: str) -> str | None:
    parts = principal.split(":")
    return parts[4] if len(parts) > 4 and parts[4].isdigit() else None


def _short(document: Any, limit: int = 300) -> str:
    text = document if isinstance(document, str) else json.dumps(document, default=str)
    return text if len(text) <= limit else text[:limit] + "…"


def _fixed_policy(document: Any, denied: list[tuple[str, str]], deny_statements: set[int],
                  layers: bool) -> dict[str, Any]:
    """The endpoint policy with the matching Deny statements removed and an Allow for the denied requests."""
    doc = document
    if isinstance(doc, str):
        try:
            doc = json.loads(doc)
        except ValueError:
            doc = {}
    statements = doc.get("Statement") if isinstance(doc, dict) else None
    statements = statements if isinstance(statements, list) else ([statements] if statements else [])
    kept = [st for i, st in enumerate(statements) if i not in deny_statements]
    kept.append({"Sid": "FargateImagePullLayers" if layers else "FargateImagePull", "Effect": "Allow",
                 "Principal": "*", "Action": sorted({a for a, _ in denied}),
                 "Resource": sorted({r for _, r in denied})})
    return {"Version": (doc.get("Version") if isinstance(doc, dict) else None) or "2012-10-17", "Statement": kept}
