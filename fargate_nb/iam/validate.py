"""What a user should fix in a policy document.

Beyond syntax (a malformed document is one ``malformed`` problem), this reports what makes a
policy silently fail the pull:
- ``unknown-service`` / ``unknown-action``: not in the IAM catalogue (``ecr:GetAuthorisationToken``
  is a typo: the closest real action is suggested);
- ``wildcard-matches-nothing``: an action pattern no real action matches;
- ``resource-not-supported``: a resource ARN given for an action that only supports
  ``"Resource": "*"`` (such as ``ecr:GetAuthorizationToken``, whose resourceTypes list is empty) -
  the statement never applies to that action;
- ``condition-never-matches`` / ``deny-always-matches``: conditions on keys a request never carries;
  Fargate calls ``ecr:GetAuthorizationToken`` through an AWS-owned interface, so ``aws:SourceVpc`` /
  ``aws:SourceVpce`` / ``aws:VpcSourceIp`` are never present: an Allow that requires them never
  matches and a Deny with a negated operator on them always matches;
- ``empty-element`` and ``notprincipal-allow`` (warnings).
"""

from __future__ import annotations

from typing import Any

from fargate_nb.iam import catalogue
from fargate_nb.iam.compile import CompiledStatement, compile_policy
from fargate_nb.iam.evaluate import _check_shape
from fargate_nb.iam.model import PolicyError, Problem
from fargate_nb.iam.patterns import Unresolved

AUTH_TOKEN = "ecr:GetAuthorizationToken"
#: Keys never present when Fargate fetches the ECR token (it calls through an AWS-owned interface).
ABSENT_ON_AUTH_TOKEN = ("aws:sourcevpc", "aws:sourcevpce", "aws:vpcsourceip")
KINDS = ("identity", "boundary", "resource", "trust", "endpoint", "scp")


def validate_policy(doc: Any, kind: str | None = None) -> list[Problem]:
    """List what to fix in ``doc`` (dict or JSON text); an empty list means nothing was found.

    ``kind`` (one of identity, boundary, resource, trust, endpoint, scp) adds the element rules of
    that attachment point, e.g. no Principal in an identity-based policy.
    """
    try:
        policy = compile_policy(doc)
        if kind is not None:
            if kind not in KINDS:
                raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
            _check_shape(policy, kind, kind)
    except PolicyError as exc:
        return [Problem(exc.index, exc.sid, "malformed", exc.detail)]
    problems: list[Problem] = []
    for st in policy.statements:
        problems.extend(_statement_problems(st))
    return problems


def _statement_problems(st: CompiledStatement) -> list[Problem]:
    out: list[Problem] = []

    def add(code: str, message: str, severity: str = "error") -> None:
        out.append(Problem(st.index, st.sid, code, message, severity))

    element = "NotAction" if st.not_action else "Action"
    if not st.actions:
        add("empty-element", f"{element} is an empty list: the statement "
            f"{'never applies' if not st.not_action else 'applies to every action'}", "warning")
    if st.resources is not None and not st.resources:
        add("empty-element", f"{'NotResource' if st.not_resource else 'Resource'} is an empty list", "warning")
    if st.not_principal and st.is_allow:
        add("notprincipal-allow", "NotPrincipal with \"Allow\" grants every principal except those "
            "listed (AWS no longer supports it): name the principals in Principal instead", "warning")

    resource_star = _covers_star(st)
    for pattern in st.actions:
        text = pattern.text
        if text == "*":
            continue
        service, _, name = text.partition(":")
        wild = "*" in text or "?" in text
        if "*" in service or "?" in service:
            continue
        if not catalogue.service_exists(service):
            near = catalogue.closest_service(service)
            add("unknown-service", f"{service!r} is not an AWS service prefix"
                + (f"; did you mean {near!r}?" if near else ""))
            continue
        if wild:
            matched = catalogue.matching_actions(text)
            if not matched:
                add("wildcard-matches-nothing", f"{element} pattern {text!r} matches no action of the {service.lower()!r} service")
            elif not st.not_action and not st.not_resource and not resource_star:
                star_only = [a for a in matched if catalogue.supports_resource_level(*a.split(":", 1)) is False]
                if star_only:
                    shown = ", ".join(sorted(star_only, key=lambda a: a.lower() != AUTH_TOKEN.lower())[:3])
                    add("resource-not-supported",
                        f"{len(star_only)} action(s) matched by {text!r} (e.g. {shown}) support only "
                        "\"Resource\": \"*\"; this statement's resources never cover them", "warning")
            continue
        details = catalogue.action_details(service, name)
        if details is None:
            near = catalogue.closest_action(service, name)
            add("unknown-action", f"{text!r} is not an action of the {service.lower()!r} service"
                + (f"; did you mean {near!r}?" if near else ""))
            continue
        full = f"{service.lower()}:{details['name']}"
        if not st.not_action and not st.not_resource and not resource_star and not details.get("resourceTypes"):
            add("resource-not-supported",
                f"{full} supports no resource-level permissions: it is only matched by "
                f"\"Resource\": \"*\", so this statement never {'allows' if st.is_allow else 'denies'} it")
    out.extend(_auth_token_conditions(st))
    return out


def _covers_star(st: CompiledStatement) -> bool:
    """Whether the statement's resources cover the "*" resource of actions without resource types."""
    try:
        return st.resource_matches("*", {}, frozenset())
    except Unresolved:  # a variable in every resource: cannot be "*"
        return False


def _auth_token_conditions(st: CompiledStatement) -> list[Problem]:
    """VPC conditions on the ECR token call: evaluated with the keys absent, as Fargate sends it."""
    if not st.action_matches(AUTH_TOKEN) or not _covers_star(st):
        return []
    vpc_conditions = [c for c in st.conditions if c.key in ABSENT_ON_AUTH_TOKEN]
    if not vpc_conditions:
        return []
    keys = ", ".join(sorted({c.name for c in vpc_conditions}))
    why = (f"Fargate calls {AUTH_TOKEN} through an AWS-owned interface, so {keys} is never present "
           "on that request")
    outcomes = []
    for c in vpc_conditions:
        try:
            outcomes.append(c.evaluate({}, frozenset()))
        except Unresolved:  # an unresolvable variable: the statement is invalid anyway
            outcomes.append(False)
    if st.is_allow and any(o is False for o in outcomes):
        return [Problem(st.index, st.sid, "condition-never-matches",
                        f"this Allow never matches {AUTH_TOKEN}: {why}")]
    if not st.is_allow and all(o is True for o in outcomes):
        rest = " (whenever its other conditions hold)" if len(vpc_conditions) < len(st.conditions) else ""
        return [Problem(st.index, st.sid, "deny-always-matches",
                        f"this Deny always matches {AUTH_TOKEN}{rest}: {why}; exclude {AUTH_TOKEN} "
                        "from this statement (an ...IfExists operator does not help: a Deny with "
                        "a negated operator still matches when the key is missing)")]
    return []
