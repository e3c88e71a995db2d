"""Remediation that provably works: change a copy of the evidence until the evaluator allows.

The commands are the AWS CLI calls that make the same change to the account, with the real ids.
"""

from __future__ import annotations

import copy
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from fargate_nb.checks.permissions.evaluate import (
    Outcome,
    compact,
    evaluate_role,
    matched_statements,
    resource_policy_grants,
)
from fargate_nb.checks.permissions.evidence import RoleView, arn_parts, statements
from fargate_nb.model import Remediation, Snapshot


def policy_name(base: str, *parts: str) -> str:
    """An inline policy name unique to what it grants (put-role-policy replaces a same-named policy)."""
    tail = "-".join(re.sub(r"[^\w+=,.@-]+", "-", p).strip("-") for p in parts if p)
    return (f"{base}-{tail}" if tail else base)[:128]


def q(value: str) -> str:
    return shlex.quote(value)


def policy_doc(grants: Iterable[tuple[Iterable[str], Iterable[str]]], sid: str,
               condition: dict | None = None) -> dict[str, Any]:
    """A minimal identity policy: one statement per distinct resource set."""
    by_resources: dict[tuple[str, ...], list[str]] = {}
    for actions, resources in grants:
        key = tuple(sorted(set(resources)))
        for a in actions:
            if a not in by_resources.setdefault(key, []):
                by_resources[key].append(a)
    stmts = []
    for i, (resources, actions) in enumerate(by_resources.items()):
        st: dict[str, Any] = {"Sid": f"{sid}{i + 1 if len(by_resources) > 1 else ''}", "Effect": "Allow",
                              "Action": actions[0] if len(actions) == 1 else actions,
                              "Resource": resources[0] if len(resources) == 1 else list(resources)}
        if condition:
            st["Condition"] = condition
        stmts.append(st)
    return {"Version": "2012-10-17", "Statement": stmts}


def put_role_policy_cmd(role: str, policy_name: str, document: dict[str, Any]) -> str:
    return (f"aws iam put-role-policy --role-name {q(role)} --policy-name {q(policy_name)} "
            f"--policy-document {q(compact(document, 10**6))}")


def without(document: dict[str, Any], drop: list[dict[str, Any]]) -> dict[str, Any]:
    return {**document, "Statement": [s for s in statements(document) if s not in drop]}


def with_statements(document: dict[str, Any] | None, extra: list[dict[str, Any]]) -> dict[str, Any]:
    base = document or {"Version": "2012-10-17", "Statement": []}
    return {**base, "Version": base.get("Version", "2012-10-17"), "Statement": statements(base) + extra}


def sequence(fixes: list[dict[str, Any]]) -> dict[str, Any] | None:
    fixes = [f for f in fixes if f]
    if not fixes:
        return None
    return fixes[0] if len(fixes) == 1 else {"op": "sequence", "fixes": fixes}


@dataclass
class Ask:
    """How to evaluate a need, and the resource whose policy a fix may change."""

    target: str | None = None  # network destination (for aws:SourceVpce)
    resource_policy: dict[str, Any] | None = None
    resource_account: str | None = None
    extra_context: dict[str, Any] | None = None
    kms: bool = False
    resource_kind: str | None = None  # "repository" | "secret" | "kms": may a fix change its policy
    resource_arn: str | None = None
    resource_statement: dict[str, Any] | None = None  # what to add to the resource policy to grant

    def outcome(self, snapshot: Snapshot, role: RoleView, action: str, resource: str, **kw: Any) -> Outcome:
        return evaluate_role(snapshot, role, action, resource, target=self.target,
                             resource_policy=self.resource_policy, resource_account=self.resource_account,
                             extra_context=self.extra_context, kms_key_policy=self.kms, **kw)


def remediate(snapshot: Snapshot, role: RoleView, pairs: list[tuple[str, str]], ask: Ask, *,
              policy_name: str, sid: str, summary: str, condition: dict | None = None) -> Any:
    """A Remediation (commands, minimal policy, what-if fix) that lets ``role`` do every pair."""

    role, ask = copy.deepcopy(role), copy.deepcopy(ask)
    fixes: list[dict[str, Any]] = []
    commands: list[str] = []
    attach_doc: dict[str, Any] | None = None

    def failing() -> list[tuple[str, str, Outcome]]:
        out = [(a, r, ask.outcome(snapshot, role, a, r)) for a, r in pairs]
        return [(a, r, o) for a, r, o in out if not o.allowed]

    # 1. explicit denies, wherever they sit
    for _, _, o in failing():
        for _, st in matched_statements(o.decision):
            if st.get("Effect") == "Deny":
                _drop_deny(role, ask, st, fixes, commands)
    # 2. the resource side: cross-account resources and KMS keys need their policy to grant
    resource_side = ask.resource_kind and ask.resource_statement and (
        ask.kms or ask.resource_account not in (None, role.account))
    if resource_side and any(
            not resource_policy_grants(snapshot, role, a, r, ask.resource_policy, ask.resource_account or "",
                                       target=ask.target, extra_context=ask.extra_context, kms=ask.kms).allowed
            for a, r, _ in failing()):
        ask.resource_policy = with_statements(ask.resource_policy, [ask.resource_statement])
        fixes.append(_resource_fix(ask))
        commands.append(resource_policy_cmd(ask.resource_kind or "", ask.resource_arn or "", ask.resource_policy))
    # 3. the identity side (judged without the boundary), then the boundary
    missing = [(a, r) for a, r, _ in failing()
               if not ask.outcome(snapshot, role, a, r, boundary=False).allowed]
    if missing:
        grant = policy_doc([([a], [r]) for a, r in missing], sid, condition)
        current = dict(role.identity_policies).get(f"inline policy {policy_name}")
        attach_doc = with_statements(current, statements(grant)) if current else grant
        role.identity_policies = [(lbl, d) for lbl, d in role.identity_policies if lbl != f"inline policy {policy_name}"]
        role.identity_policies.append((f"inline policy {policy_name}", attach_doc))
        role.inline_names[f"inline policy {policy_name}"] = policy_name
        fixes.append({"op": "attach_role_policy", "role_arn": role.arn, "policy_name": policy_name,
                      "document": attach_doc})
        commands.append(put_role_policy_cmd(role.name, policy_name, attach_doc))
    if role.boundary is not None and failing():
        role.boundary = with_statements(role.boundary, statements(policy_doc(
            [([a], [r]) for a, r, _ in failing()], sid + "Boundary")))
        fixes.append({"op": "set_permissions_boundary", "role_arn": role.arn, "document": role.boundary,
                      "policy_arn": role.boundary_arn})
        commands.append(boundary_cmd(role, role.boundary))
    return Remediation(summary=summary, commands=commands,
                       policy=attach_doc or (ask.resource_policy if ask.resource_kind else None),
                       fix=sequence(fixes))


def _drop_deny(role: RoleView, ask: Ask, st: dict[str, Any], fixes: list, commands: list) -> None:
    for i, (label, doc) in enumerate(role.identity_policies):
        if st in statements(doc):
            new = without(doc, [st])
            role.identity_policies[i] = (label, new)
            if label in role.inline_names:
                fixes.append({"op": "remove_policy_statement", "role_arn": role.arn,
                              "policy_name": role.inline_names[label], "statement": st})
                commands.append(put_role_policy_cmd(role.name, role.inline_names[label], new))
            elif ":iam::aws:policy/" in role.managed_arns.get(label, ""):
                fixes.append({"op": "detach_role_policy", "role_arn": role.arn, "policy_arn": role.managed_arns[label]})
                commands.append(f"aws iam detach-role-policy --role-name {q(role.name)} "
                                f"--policy-arn {q(role.managed_arns[label])}")
            else:
                arn = role.managed_arns.get(label, "")
                fixes.append({"op": "remove_policy_statement", "role_arn": role.arn, "policy_arn": arn, "statement": st})
                commands.append(f"aws iam create-policy-version --policy-arn {q(arn)} "
                                f"--policy-document {q(compact(new, 10**6))} --set-as-default")
            return
    if role.boundary is not None and st in statements(role.boundary):
        role.boundary = without(role.boundary, [st])
        fixes.append({"op": "set_permissions_boundary", "role_arn": role.arn, "document": role.boundary,
                      "policy_arn": role.boundary_arn})
        commands.append(boundary_cmd(role, role.boundary))
    elif ask.resource_kind and ask.resource_policy is not None and st in statements(ask.resource_policy):
        ask.resource_policy = without(ask.resource_policy, [st])
        fixes.append(_resource_fix(ask))
        commands.append(resource_policy_cmd(ask.resource_kind, ask.resource_arn or "", ask.resource_policy))


def _resource_fix(ask: Ask) -> dict[str, Any]:
    return {"op": "set_resource_policy", "kind": ask.resource_kind, "arn": ask.resource_arn,
            "document": copy.deepcopy(ask.resource_policy)}


def boundary_cmd(role: RoleView, document: dict[str, Any]) -> str:
    if role.boundary_arn:
        return (f"aws iam create-policy-version --policy-arn {q(role.boundary_arn)} "
                f"--policy-document {q(compact(document, 10**6))} --set-as-default")
    return f"aws iam delete-role-permissions-boundary --role-name {q(role.name)}"


def resource_policy_cmd(kind: str, arn: str, document: dict[str, Any]) -> str:
    text = q(compact(document, 10**6))
    parts = arn_parts(arn) or {"region": "", "account": "", "resource": ""}
    if kind == "repository":
        name = parts["resource"].split("/", 1)[-1]
        return (f"aws ecr set-repository-policy --registry-id {q(parts['account'])} --repository-name {q(name)} "
                f"--region {q(parts['region'])} --policy-text {text}")
    if kind == "secret":
        return (f"aws secretsmanager put-resource-policy --secret-id {q(arn)} --region {q(parts['region'])} "
                f"--resource-policy {text}")
    return f"aws kms put-key-policy --key-id {q(arn)} --region {q(parts['region'])} --policy-name default --policy {text}"


