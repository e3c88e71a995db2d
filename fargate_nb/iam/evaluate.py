"""AWS's policy evaluation logic, applied locally to one request.

Sources (see docs/iam.md for the full list): "Policy evaluation logic", "Policy evaluation for
requests within a single account" (and its resource-based-policy table), "Cross-account policy
evaluation logic", "Permissions boundaries for IAM entities" and, for KMS, "Key policies in AWS
KMS" ("Allows access to the AWS account and enables IAM policies").

In short: an explicit deny in any applicable policy wins. Otherwise the request needs an allow
from every SCP level (when given) and from the endpoint policy (when given), and a grant:
- same account: an identity-policy allow within the boundary; or a resource-policy allow that
  names the caller itself (session or user ARN: not limited by the boundary) or its role (limited
  by the boundary). A resource policy that only names the account needs the identity allow.
- cross account: an identity-policy allow within the boundary AND a resource-policy allow.
- KMS keys (``resource_kind="kms"``): the key policy must allow the caller, or delegate to IAM by
  allowing the account (root); only then can identity policies grant.
- a service principal caller (trust policies, service access to a resource): only the resource
  policy decides.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from fargate_nb.iam.compile import CompiledPolicy, CompiledStatement, compile_policy
from fargate_nb.iam.model import Decision, MatchedStatement, PolicyError, Request, Tri
from fargate_nb.iam.patterns import Unresolved
from fargate_nb.iam.principals import Caller, parse_caller
from fargate_nb.iam.tri import is_unknown, tri_and, tri_or

#: Placeholder "key" used when the KMS key policy itself was not given.
KEY_POLICY_UNKNOWN = "<kms key policy>"
RESOURCE_KINDS = (None, "default", "kms")
_ONLY = {d: frozenset((d,)) for d in ("allowed", "explicit_deny", "implicit_deny")}

PolicyInput = Any  # a dict, JSON text, or a (label, document) pair


class _Outcome:
    """What one policy says about the request."""

    __slots__ = ("label", "deny", "allow", "allow_by_kind", "deny_hits", "allow_hits", "unknown_hits")

    def __init__(self, label: str) -> None:
        self.label = label
        self.deny: Tri = False
        self.allow: Tri = False
        self.allow_by_kind: dict[str, Tri] = {}  # resource policies: by kind of principal match
        self.deny_hits: list[MatchedStatement] = []
        self.allow_hits: list[MatchedStatement] = []
        self.unknown_hits: list[MatchedStatement] = []

    def allow_kind(self, *kinds: str) -> Tri:
        return tri_or(self.allow_by_kind.get(k, False) for k in kinds)


# -- request context --------------------------------------------------------------------------------
_PRINCIPAL_TYPE = {"session": "AssumedRole", "role": "AssumedRole", "user": "User", "root": "Account",
                   "federated-user": "FederatedUser"}


@lru_cache(maxsize=1024)
def _derived_keys(caller: Caller) -> tuple[tuple[str, Any], ...]:
    """Keys AWS puts in every request signed by an IAM principal ("AWS global condition context keys")."""
    if caller.is_service or not caller.account:
        return ()
    # a session ARN does not carry its role's path, so aws:PrincipalArn is only derived for the
    # others; for a session it is present but unknown (see _context)
    arn = caller.principal_arn if caller.kind != "session" else None
    derived = [("aws:principalaccount", caller.account), ("aws:principalarn", arn),
               ("aws:principaltype", _PRINCIPAL_TYPE.get(caller.kind))]
    if caller.kind == "user":
        derived.append(("aws:username", caller.raw.rsplit("/", 1)[-1]))
    return tuple((k, v) for k, v in derived if v is not None)


def _context(request: Request, caller: Caller) -> tuple[dict[str, Any], frozenset[str]]:
    try:
        ctx = {k.lower(): v for k, v in request.context.items()} if request.context else {}
    except AttributeError:  # a non-string key
        ctx = {str(k).lower(): v for k, v in request.context.items()}
    unknown = frozenset(str(k).lower() for k in request.unknown_keys) if request.unknown_keys else frozenset()
    for key, value in _derived_keys(caller):
        if key not in ctx and key not in unknown:
            ctx[key] = value
    if caller.kind == "session" and "aws:principalarn" not in ctx:
        unknown = unknown | {"aws:principalarn"}
    return ctx, unknown


# -- statements -----------------------------------------------------------------------------------
def _statement_applies(st: CompiledStatement, request: Request, ctx: dict[str, Any],
                       unknown: frozenset[str]) -> Tri:
    """Resource and conditions (the action was matched by `CompiledPolicy.for_action`)."""
    try:
        if st.resources is not None and not st.resource_matches(request.resource, ctx, unknown):
            return False
        result: Tri = True
        for condition in st.conditions:
            r = condition.evaluate(ctx, unknown)
            if r is False:
                return False
            if r is not True:
                result = r if result is True else result | r  # type: ignore[operator]
        return result
    except Unresolved as exc:  # "If AWS cannot resolve a variable ... the statement is invalid"
        return frozenset((exc.key,)) if exc.unknown else False


def _record(out: _Outcome, st: CompiledStatement, result: Tri, kind: str | None, label: str) -> None:
    hit = MatchedStatement(label, st.index, st.sid, st.effect, st.raw,
                           "match" if result is True else "unknown")
    if result is not True:
        out.unknown_hits.append(hit)
    if st.effect == "Deny":
        out.deny = tri_or((out.deny, result))
        if result is True:
            out.deny_hits.append(hit)
    else:
        out.allow = tri_or((out.allow, result))
        if kind is not None:
            out.allow_by_kind[kind] = tri_or((out.allow_by_kind.get(kind, False), result))
        if result is True:
            out.allow_hits.append(hit)


def _check_shape(policy: CompiledPolicy, label: str, role: str) -> None:
    """Element rules that depend on where the policy is attached."""
    for st in policy.statements:
        if role in ("identity", "boundary", "scp") and st.has_principal:
            raise PolicyError("a Principal/NotPrincipal element is not allowed in an "
                              f"{'identity-based policy' if role == 'identity' else role + ' policy'}",
                              label=label, index=st.index, sid=st.sid)
        if role in ("resource", "trust") and not st.has_principal:
            raise PolicyError("a resource-based policy statement needs a Principal or NotPrincipal",
                              label=label, index=st.index, sid=st.sid)
        if role == "trust" and st.resources is not None:
            raise PolicyError("a role trust policy cannot have a Resource or NotResource element",
                              label=label, index=st.index, sid=st.sid)
        if role in ("identity", "boundary") and st.resources is None:
            raise PolicyError("Resource (or NotResource) is missing", label=label, index=st.index, sid=st.sid)
    policy.checked_roles.add(role)


def _evaluate_policy(doc: PolicyInput, label: str, role: str, request: Request, caller: Caller,
                     ctx: dict[str, Any], unknown: frozenset[str], *, boundary_present: bool = False,
                     into: _Outcome | None = None) -> _Outcome:
    """What one policy says; ``into`` accumulates several policies of one kind (identity policies)."""
    policy = compile_policy(doc, label)
    if role not in policy.checked_roles:
        _check_shape(policy, label, role)
    out = into if into is not None else _Outcome(label)
    for st in policy.for_action(request.action):
        kind: str | None = None
        if st.principals is not None:
            if st.not_principal:
                kind = st.principals.not_match(caller)
                if kind is None and boundary_present and st.effect == "Deny" and role == "resource":
                    # "The NotPrincipal element with a Deny effect will always deny any IAM principal
                    # that has a permissions boundary policy attached" (Permissions boundaries page)
                    kind = "session"
            else:
                kind = st.principals.match(caller)
            if kind is None:
                continue
        result = _statement_applies(st, request, ctx, unknown)
        if result is not False:
            _record(out, st, result, kind, label)
    return out


# -- inputs -----------------------------------------------------------------------------------------
def _labelled(policies: Iterable[PolicyInput] | None) -> list[tuple[str, Any]]:
    if isinstance(policies, (dict, str, bytes)):  # one document given where a list was expected
        policies = [policies]
    if policies is not None and not isinstance(policies, Iterable):
        raise TypeError(f"identity_policies must be a list of policy documents, not {type(policies).__name__}")
    out = []
    for i, item in enumerate(policies or ()):
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
            name, doc = item
            out.append((name if name.startswith("identity:") else f"identity:{name}", doc))
        else:
            out.append((f"identity:{i}", item))
    return out


def _account_of(resource: str) -> str | None:
    parts = resource.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn" and len(parts[4]) == 12 and parts[4].isdigit():
        return parts[4]
    return None


def _check_request(request: Request) -> None:
    if not isinstance(request, Request):
        raise TypeError("evaluate() needs a fargate_nb.iam.Request")
    if not isinstance(request.action, str) or (request.action != "*" and ":" not in request.action):
        raise ValueError(f"request action {request.action!r} is not in the form service:Action")
    if not isinstance(request.resource, str) or not request.resource:
        raise ValueError("request resource must be an ARN or \"*\"")
    if request.context and not isinstance(request.context, (dict, Mapping)):
        raise ValueError("request context must be a mapping of condition key -> value")


# -- the decision -----------------------------------------------------------------------------------
def evaluate(request: Request, identity_policies: Sequence[PolicyInput] | None = None,
             permissions_boundary: PolicyInput | None = None, resource_policy: PolicyInput | None = None,
             resource_account: str | None = None, endpoint_policy: PolicyInput | None = None,
             scps: Sequence[PolicyInput] | None = None, resource_kind: str | None = None) -> Decision:
    """Decide ``request`` the way AWS would from the given policies (see the module docstring).

    ``resource_account`` defaults to the account in the resource ARN, else the caller's account.
    ``resource_kind="kms"`` applies the KMS rule that the key policy must allow (or delegate).
    Raises `PolicyError` for a malformed document, ``ValueError`` for a malformed request.
    """
    _check_request(request)
    if resource_kind not in RESOURCE_KINDS:
        raise ValueError(f"resource_kind must be one of {RESOURCE_KINDS}, not {resource_kind!r}")
    caller = parse_caller(request.principal)
    ctx, unknown = _context(request, caller)
    kms = resource_kind == "kms"
    has_boundary = permissions_boundary is not None and not caller.is_service

    identity = _Outcome("identity")  # every identity-based policy counts alike: one accumulator
    if not caller.is_service:
        for label, doc in _labelled(identity_policies):
            _evaluate_policy(doc, label, "identity", request, caller, ctx, unknown, into=identity)
    boundary = (_evaluate_policy(permissions_boundary, "boundary", "boundary", request, caller, ctx, unknown)
                if has_boundary else None)
    resource = (_evaluate_policy(resource_policy, "resource", "resource", request, caller, ctx, unknown,
                                 boundary_present=has_boundary)
                if resource_policy is not None else None)
    endpoint = (_evaluate_policy(endpoint_policy, "endpoint", "endpoint", request, caller, ctx, unknown)
                if endpoint_policy is not None else None)
    if isinstance(scps, (dict, str, bytes)):
        scps = [scps]
    scp_levels = [_evaluate_policy(doc, f"scp[{i}]", "scp", request, caller, ctx, unknown)
                  for i, doc in enumerate(scps or ())] if not caller.is_service else []
    outcomes = [o for o in (identity, boundary, resource, endpoint, *scp_levels) if o is not None]
    deny = tri_or(o.deny for o in outcomes)

    # each requirement: (name, Tri, why it fails)
    action, target = request.action, request.resource
    needs: list[tuple[str, Tri, str]] = []
    for i, level in enumerate(scp_levels):
        needs.append((level.label, level.allow, f"no statement in SCP level {i} allows {action}"))
    if endpoint is not None:
        needs.append(("endpoint", endpoint.allow,
                      f"the VPC endpoint policy does not allow {action} on {target}"))
    needs.append(("grant", *_grant(caller, identity, boundary, resource, kms, resource_account, request)))
    allowed = tri_and(tri for _, tri, _ in needs)
    return _decide(request, deny, allowed, needs, outcomes)


def _grant(caller: Caller, identity: _Outcome, boundary: _Outcome | None,
           resource: _Outcome | None, kms: bool, resource_account: str | None,
           request: Request) -> tuple[Tri, str]:
    """Whether some policy grants the request, and (when not) a sentence saying what is missing."""
    action, target = request.action, request.resource
    who = caller.raw or "the caller"
    r_kind = resource.allow_kind if resource is not None else (lambda *k: False)
    if kms and resource is None:
        r_kind = lambda *k: frozenset((KEY_POLICY_UNKNOWN,))  # noqa: E731
    if caller.is_service:
        return r_kind("service"), (f"the {'key' if kms else 'resource'} policy does not allow "
                                   f"the service principal {who} to call {action}")
    id_allow: Tri = identity.allow
    if caller.kind == "root" and not kms:
        id_allow = True  # the root user has full access to its own account's resources
    b_allow: Tri = boundary.allow if boundary is not None else True
    owner = resource_account or _account_of(target) or caller.account
    same_account = owner == caller.account

    via_identity = tri_and((id_allow, b_allow))
    if kms:
        delegated = tri_and((r_kind("account"), id_allow, b_allow)) if same_account else \
            tri_and((r_kind("session", "role", "account"), id_allow, b_allow))
        direct = tri_or((r_kind("session"), tri_and((r_kind("role"), b_allow)))) if same_account else False
        grant = tri_or((direct, delegated))
        if grant is False:
            if r_kind("session", "role", "account") is False:
                why = (f"the KMS key policy neither allows {who} to call {action} nor delegates to IAM "
                       "policies (a statement allowing the account root)")
            elif not same_account:
                why = _missing_identity(id_allow, b_allow, action, target, " in the caller's account")
            else:
                why = _missing_identity(id_allow, b_allow, action, target,
                                        " (the key policy delegates to IAM policies)")
            return False, why
        return grant, ""
    if same_account:
        grant = tri_or((via_identity, r_kind("session"), tri_and((r_kind("role"), b_allow))))
        if grant is False:
            if b_allow is False and (id_allow is not False or r_kind("role") is not False):
                return False, f"the permissions boundary does not allow {action} on {target}"
            return False, f"no identity-based policy allows {action} on {target}"
        return grant, ""
    cross = r_kind("session", "role", "account")
    grant = tri_and((via_identity, cross))
    if grant is False:
        if cross is False:
            if resource is None:
                return False, (f"cross-account request to account {owner}: no resource policy grants "
                               f"{who} {action} (both it and an identity-based policy must allow)")
            return False, (f"cross-account request: the resource policy (account {owner}) does not allow "
                           f"{who} to call {action}")
        return False, _missing_identity(id_allow, b_allow, action, target,
                                        " (cross-account access needs both the resource policy and "
                                        "an identity-based policy)")
    return grant, ""


def _missing_identity(id_allow: Tri, b_allow: Tri, action: str, target: str, suffix: str) -> str:
    if id_allow is not False and b_allow is False:
        return f"the permissions boundary does not allow {action} on {target}"
    return f"no identity-based policy allows {action} on {target}{suffix}"


def _decide(request: Request, deny: Tri, allowed: Tri, needs: list[tuple[str, Tri, str]],
            outcomes: list[_Outcome]) -> Decision:
    action, target = request.action, request.resource
    unknown_hits = tuple(h for o in outcomes for h in o.unknown_hits)
    if deny is True:
        hits = tuple(h for o in outcomes for h in o.deny_hits)
        first = hits[0]
        return Decision("explicit_deny", f"{action} on {target} is explicitly denied by {first.describe()}",
                        hits,
                        possible=_ONLY["explicit_deny"])
    if deny is False and allowed is True:
        hits = tuple(h for o in outcomes for h in o.allow_hits)
        return Decision("allowed", f"{action} on {target} is allowed", hits,
                        possible=_ONLY["allowed"])
    if deny is False and allowed is False:
        why = next(w for _, tri, w in needs if tri is False)
        return Decision("implicit_deny", why, (), possible=_ONLY["implicit_deny"])
    # something depends on keys we do not know
    possible = set()
    keys: frozenset[str] = frozenset()
    if is_unknown(deny):
        possible.add("explicit_deny")
        keys |= deny  # type: ignore[operator]
    if allowed is True:
        possible.add("allowed")
    elif allowed is False:
        possible.add("implicit_deny")
    else:
        possible.update(("allowed", "implicit_deny"))
        keys |= allowed  # type: ignore[operator]
    key_policy_missing = KEY_POLICY_UNKNOWN in keys
    spelled = {"aws:principalarn": "aws:PrincipalArn",
               **{str(k).lower(): str(k) for k in request.unknown_keys or ()}}
    keys = frozenset(spelled.get(k, k) for k in keys - {KEY_POLICY_UNKNOWN})
    parts = []
    if keys:
        parts.append("depends on condition keys whose values are not known: " + ", ".join(sorted(keys)))
    if key_policy_missing:
        parts.append("the KMS key policy was not available")
    if allowed is False:
        why = next(w for _, tri, w in needs if tri is False)
        parts.append(f"denied either way ({why})")
    reason = f"{action} on {target}: " + "; ".join(parts)
    return Decision("unknown", reason, unknown_hits, missing_context=keys, possible=frozenset(possible))


def evaluate_trust(trust_policy: PolicyInput, service: str = "ecs-tasks.amazonaws.com",
                   context: Mapping[str, Any] | None = None, unknown_keys: Iterable[str] = (),
                   role_arn: str = "*", action: str = "sts:AssumeRole") -> Decision:
    """Can ``service`` assume the role? Only the role's trust policy decides."""
    request = Request(action=action, resource=role_arn or "*", principal=service,
                      context=dict(context or {}), unknown_keys=frozenset(unknown_keys))
    _check_request(request)
    caller = parse_caller(service)
    ctx, unknown = _context(request, caller)
    if trust_policy is None:
        return Decision("implicit_deny", "the role has no trust policy", (), possible=frozenset({"implicit_deny"}))
    out = _evaluate_policy(trust_policy, "trust", "trust", request, caller, ctx, unknown)
    allow = out.allow_kind("service", "session", "role", "account")
    why = f"the trust policy does not let {caller.raw} call {action}"
    return _decide(request, out.deny, allow, [("trust", allow, why)], [out])
