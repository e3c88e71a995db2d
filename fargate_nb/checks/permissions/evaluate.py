"""The request Fargate's call carries, the evaluator call, and its answer as evidence lines."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from fargate_nb.checks.permissions.evidence import RoleView, statements
from fargate_nb.iam import Decision, PolicyError, Request, evaluate
from fargate_nb.model import Snapshot
from fargate_nb.pullflow import arn_region, destination_key

# Keys a Fargate agent request never carries for these actions (DESIGN: GetAuthorizationToken).
ABSENT_FOR = {"ecr:getauthorizationtoken": {"aws:sourcevpc", "aws:sourcevpce", "aws:vpcsourceip"}}
# Keys no service-made role session carries.
ALWAYS_ABSENT = {"aws:multifactorauthpresent", "aws:multifactorauthage", "aws:tokenissuetime"}


def condition_keys(*docs: Any) -> dict[str, str]:
    """Every condition key the documents reference: lower-cased name -> name as written."""
    keys: dict[str, str] = {}
    for doc in docs:
        for st in statements(doc):
            cond = st.get("Condition") if isinstance(st, dict) else None
            for block in (cond.values() if isinstance(cond, dict) else []):
                if isinstance(block, dict):
                    keys.update((k.lower(), k) for k in block if isinstance(k, str))
    return keys


def network_context(snapshot: Snapshot, target: str | None,
                    action: str) -> tuple[dict[str, Any], frozenset[str]] | None:
    """(aws:SourceVpc/aws:SourceVpce values, keys that cannot be known) for a request to ``target``."""
    if not target:
        return None
    try:
        from fargate_nb.netpath import request_context
    except ImportError:
        return None
    try:
        values, unknown = request_context(snapshot, target, action)
    except Exception:  # a broken network picture must not stop the permission checks
        return None
    return dict(values), frozenset(k.lower() for k in unknown)


def build_context(snapshot: Snapshot, role: RoleView, action: str, *, target: str | None = None,
                  extra: dict[str, Any] | None = None, docs: Iterable[Any] = ()) -> tuple[dict[str, Any], frozenset[str]]:
    """The request context Fargate's call carries, and the referenced keys whose value is not known."""
    ctx: dict[str, Any] = {
        "aws:PrincipalArn": role.arn, "aws:PrincipalAccount": role.account, "aws:PrincipalType": "AssumedRole",
        "aws:RequestedRegion": (extra or {}).get("aws:RequestedRegion") or snapshot.region,
        "aws:SecureTransport": "true", "aws:ViaAWSService": "false",
    }
    for key, value in role.tags.items():
        ctx[f"aws:PrincipalTag/{key}"] = value
    absent = set(ALWAYS_ABSENT) | ABSENT_FOR.get(action.lower(), set())
    net = network_context(snapshot, target, action)
    net_keys = {"aws:sourcevpc", "aws:sourcevpce", "aws:vpcsourceip", "aws:sourceip"}
    unknown_net: set[str] = set() if action.lower() in ABSENT_FOR else net_keys - absent
    if net is not None:
        values, unknown_net = net
        ctx.update(values)
        unknown_net = set(unknown_net)
        absent |= net_keys - {k.lower() for k in values} - unknown_net
    ctx.update(extra or {})
    known = ({k.lower() for k in ctx} | absent) - unknown_net
    referenced = condition_keys(*docs)
    unknown = frozenset(name for low, name in referenced.items() if low not in known)
    return ctx, unknown


# -- evaluation ----------------------------------------------------------------------------------------
@dataclass
class Outcome:
    """One (action, resource) question and the evaluator's answer."""

    action: str
    resource: str
    decision: Any  # fargate_nb.iam Decision
    context: dict[str, Any] = field(default_factory=dict)  # the request context it was asked with

    @property
    def verdict(self) -> str:
        return getattr(self.decision, "decision", "unknown")

    @property
    def allowed(self) -> bool:
        return self.verdict == "allowed"


def evaluate_role(snapshot: Snapshot, role: RoleView, action: str, resource: str, *, target: str | None = None,
                  resource_policy: dict | None = None, resource_account: str | None = None,
                  extra_context: dict[str, Any] | None = None, kms_key_policy: bool = False,
                  identity: bool = True, boundary: bool = True) -> Outcome:
    """Ask the evaluator whether ``role`` may call ``action`` on ``resource``."""
    policies = role.identity_policies if identity else []
    bound = role.boundary if boundary else None
    region = arn_region(resource)
    if region and region != snapshot.region:  # the request goes to the resource's region, over that region's path
        extra_context = {"aws:RequestedRegion": region, **(extra_context or {})}
        target = destination_key(target, region, snapshot.region) if target else target
    docs = [d for _, d in policies] + [bound, resource_policy]
    ctx, unknown = build_context(snapshot, role, action, target=target, extra=extra_context, docs=docs)
    request = Request(action, resource, principal=role.arn, context=ctx, unknown_keys=unknown)
    try:
        decision = evaluate(request, identity_policies=list(policies), permissions_boundary=bound,
                            resource_policy=resource_policy, resource_account=resource_account,
                            resource_kind="kms" if kms_key_policy else None)
    except (PolicyError, ValueError, TypeError) as exc:  # a broken document in the evidence
        decision = Decision("unknown", f"a policy cannot be evaluated: {exc}",
                            possible=frozenset({"allowed", "implicit_deny", "explicit_deny"}))
    return Outcome(action, resource, decision, ctx)


def resource_policy_grants(snapshot: Snapshot, role: RoleView, action: str, resource: str, document: dict | None,
                           resource_account: str, *, target: str | None = None,
                           extra_context: dict[str, Any] | None = None, kms: bool = False) -> Outcome:
    """Whether the resource policy alone lets ``role`` (from another account, or via a KMS key policy) in."""
    stand_in = role_stand_in(role)
    return evaluate_role(snapshot, stand_in, action, resource, target=target, resource_policy=document,
                         resource_account=resource_account, extra_context=extra_context, kms_key_policy=kms)


def role_stand_in(role: RoleView) -> RoleView:
    """The role with an identity side that allows everything, to isolate a resource policy's answer."""
    return RoleView(arn=role.arn, name=role.name, account=role.account, tags=role.tags,
                    identity_policies=[("(identity side assumed to allow)",
                                        {"Version": "2012-10-17", "Statement": [
                                            {"Effect": "Allow", "Action": "*", "Resource": "*"}]})])


# -- evidence ----------------------------------------------------------------------------------------
def matched_statements(decision: Any) -> list[tuple[str, dict[str, Any]]]:
    """(label, statement) for each statement the evaluator says decided the request."""
    out = []
    for m in getattr(decision, "matched", None) or []:
        if isinstance(m, dict):
            label, st = m.get("label") or m.get("policy") or "?", m.get("statement") or m
        else:
            label = getattr(m, "label", None) or getattr(m, "policy", None) or "?"
            st = getattr(m, "statement", None) or {}
        if isinstance(st, dict):
            out.append((str(label), st))
    return out


def compact(doc: Any, limit: int = 700) -> str:
    text = json.dumps(doc, separators=(",", ":"), sort_keys=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def statement_line(label: str, st: dict[str, Any]) -> str:
    sid = st.get("Sid")
    return f"{label}{f' (Sid {sid!r})' if sid else ''}: {compact(st)}"


def outcome_evidence(outcome: Outcome) -> list[str]:
    d = outcome.decision
    head = f"{outcome.action} on {outcome.resource}: {outcome.verdict}"
    reason = getattr(d, "reason", "") or ""
    lines = [f"{head} — {reason}" if reason else head]
    lines += [statement_line(label, st) for label, st in matched_statements(d)]
    missing = getattr(d, "missing_context", None)
    if missing:
        lines.append("context values not known: " + ", ".join(sorted(missing)))
    return lines




#: How the permissions table words an evaluator verdict.
DECISION_WORDS = {"allowed": "allowed", "explicit_deny": "explicit deny", "implicit_deny": "denied"}


def decision_word(outcome: Outcome) -> str:
    return DECISION_WORDS.get(outcome.verdict, "unknown")


def deciding_statements(outcome: Outcome) -> str:
    """The deciding statements (policy, index, Sid); the evaluator's reason when none decided."""
    decision = outcome.decision
    parts = []
    for m in getattr(decision, "matched", None) or ():
        describe = getattr(m, "describe", None)
        parts.append(f"{getattr(m, 'effect', '')} {describe() if callable(describe) else m}".strip())
    reason = getattr(decision, "reason", "") or ""
    missing = getattr(decision, "missing_context", None)
    if missing:
        reason += f" (context not known: {', '.join(sorted(missing))})"
    if parts and outcome.verdict in ("allowed", "explicit_deny"):
        text = "; ".join(parts)
    else:
        text = "; ".join([*parts, reason]) if reason else "; ".join(parts)
    return text.replace(f"{outcome.action} on {outcome.resource}", "it")
