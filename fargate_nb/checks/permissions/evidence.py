"""The evidence about roles: ARNs, the role's policies as the evaluator wants them, recorded gaps."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from fargate_nb.model import Gap, Snapshot

ROLE_APIS = ("iam:GetRole", "iam:ListRolePolicies", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies",
             "iam:GetPolicy", "iam:GetPolicyVersion")


# -- ARNs --------------------------------------------------------------------------------------------
def arn_parts(arn: Any) -> dict[str, str] | None:
    """``{"partition", "service", "region", "account", "resource"}``, or None when not an ARN."""
    if not isinstance(arn, str) or not arn.startswith("arn:"):
        return None
    parts = arn.split(":", 5)
    if len(parts) != 6 or not parts[1] or not parts[2]:
        return None
    return dict(zip(("partition", "service", "region", "account", "resource"), parts[1:], strict=True))


def account_of(arn: str | None, default: str | None = None) -> str | None:
    parts = arn_parts(arn)
    return (parts or {}).get("account") or default


def role_arn_for(snapshot: Snapshot, value: Any) -> str | None:
    """The role ARN a task definition field names (a bare name means a role in the task's account)."""
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    if value.startswith("arn:"):
        return value
    return f"arn:{snapshot.partition or 'aws'}:iam::{snapshot.account or ''}:role/{value}"


def role_name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


# -- the role's evidence ---------------------------------------------------------------------------
@dataclass
class RoleView:
    """A role's policies as the evaluator wants them, with what could not be read."""

    arn: str
    name: str
    account: str
    identity_policies: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    boundary: dict[str, Any] | None = None
    boundary_arn: str | None = None
    trust: dict[str, Any] | None = None
    tags: dict[str, str] = field(default_factory=dict)
    unread: list[str] = field(default_factory=list)  # labels of policies whose document is missing
    inline_names: dict[str, str] = field(default_factory=dict)  # label -> inline policy name
    managed_arns: dict[str, str] = field(default_factory=dict)  # label -> managed policy ARN


def role_view(snapshot: Snapshot, key: str, arn: str | None = None) -> RoleView | None:
    """The evidence stored under ``roles[key]`` for role ``arn`` (None when not read or not existing)."""
    entry = snapshot.roles.get(key)
    arn = arn or key
    if not isinstance(entry, dict):
        return None
    role = entry.get("Role") if isinstance(entry.get("Role"), dict) else {}
    view = RoleView(arn=arn, name=role.get("RoleName") or role_name(arn),
                    account=account_of(arn, snapshot.account) or "", trust=_doc(role.get("AssumeRolePolicyDocument")))
    view.tags = {t.get("Key"): t.get("Value") for t in role.get("Tags") or [] if isinstance(t, dict)}
    inline = entry.get("InlinePolicies")
    for name, doc in (inline.items() if isinstance(inline, dict) else []):
        label = f"inline policy {name}"
        view.inline_names[label] = name
        _add(view, label, doc)
    for p in entry.get("AttachedPolicies") or []:
        if not isinstance(p, dict):
            continue
        label = f"managed policy {p.get('PolicyName') or p.get('PolicyArn')}"
        view.managed_arns[label] = p.get("PolicyArn") or ""
        _add(view, label, p.get("Document"))
    if inline is None or entry.get("AttachedPolicies") is None:
        view.unread.append("the role's policy list")
    boundary = entry.get("PermissionsBoundary")
    if isinstance(boundary, dict):
        view.boundary_arn = boundary.get("PolicyArn")
        view.boundary = _doc(boundary.get("Document"))
        if view.boundary is None:
            view.unread.append(f"permissions boundary {view.boundary_arn}")
    return view


def _add(view: RoleView, label: str, doc: Any) -> None:
    parsed = _doc(doc)
    if parsed is None:
        view.unread.append(label)
    else:
        view.identity_policies.append((label, parsed))


def _doc(doc: Any) -> dict[str, Any] | None:
    """A policy document as a dict (collectors may leave it URL-decoded JSON text)."""
    if isinstance(doc, str):
        try:
            doc = json.loads(doc)
        except ValueError:
            return None
    return doc if isinstance(doc, dict) else None


# -- gaps ------------------------------------------------------------------------------------------
def gap_for(snapshot: Snapshot, apis: Iterable[str], resource: str | None = None) -> Gap | None:
    """The recorded gap that explains missing evidence about ``resource`` (any of ``apis``)."""
    wanted = {a.lower() for a in apis}
    candidates = [g for g in snapshot.gaps if (g.api or "").lower() in wanted]
    if resource:
        exact = [g for g in candidates if g.resource and (g.resource == resource or resource.endswith(g.resource)
                                                           or g.resource.endswith(resource)
                                                           or g.resource.startswith(resource + " "))]
        if exact:
            return exact[0]
        candidates = [g for g in candidates if not g.resource]
    if candidates:
        return candidates[0]
    # No specific gap: a collector failure (not a permission) may explain the missing evidence.
    return next((g for g in snapshot.gaps if (g.api or "").startswith("fargate-nb:")), None)


#: How a denied call's gap error begins (the AWS error codes for "you may not call this").
DENIED_PREFIXES = ("AccessDenied", "UnauthorizedOperation", "UnauthorizedAccess", "AuthorizationError",
                    "Forbidden", "NotAuthorized", "OptInRequired")


def unread_detail(what: str, gap: Gap | None, default_permission: str) -> tuple[str, str | None]:
    """(detail, missing_permission) for evidence that could not be read."""
    if gap and (gap.api or "").startswith("fargate-nb:"):
        return (f"{what} was not collected: the collector failed ({gap.error}). This is not a missing "
                "permission; please report it.", None)
    if gap and not gap.permission:  # no grant would fix it (a malformed ARN, another account ...)
        return f"{what} could not be read: {gap.api} failed ({gap.error}).", None
    if gap and not (gap.error or "").startswith(DENIED_PREFIXES):  # throttled, 5xx, timeout, unreachable ...
        return (f"{what} could not be read: {gap.api} failed ({gap.error}). Collect again once AWS answers "
                f"(the caller needs {gap.permission}).", gap.permission)
    if gap:
        return (f"{what} could not be read: {gap.api} failed ({gap.error}). Grant the caller "
                f"{gap.permission} and collect again.", gap.permission)
    return (f"{what} was not collected. The caller probably lacks {default_permission}; grant it and "
            "collect again.", default_permission)


def statements(doc: Any) -> list[dict[str, Any]]:
    st = doc.get("Statement") if isinstance(doc, dict) else None
    items = st if isinstance(st, list) else ([st] if st else [])
    return [s for s in items if isinstance(s, dict)]


