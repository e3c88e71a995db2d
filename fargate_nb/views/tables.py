"""The diagnosis as pandas tables: permissions per role, network path per destination, findings.

Each table has a plain form (a DataFrame, for code and tests) and a styled form (a Styler with the
status cells coloured, HTML escaped, and hover tooltips saying which policy statement decided).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd
from pandas.io.formats.style import Styler

from fargate_nb.model import SEVERITY_ORDER, Diagnosis, Finding, Snapshot
from fargate_nb.pullflow import Need, PullPlan, plan
from fargate_nb.views.diagram import STATUS_COLOURS, clean

_RANK = {s: i for i, s in enumerate(SEVERITY_ORDER)}
#: Decision words of the permissions table, and the status colour each is shown in.
DECISIONS = {"allowed": "pass", "denied": "fail", "explicit deny": "fail", "unknown": "unknown",
             "no role": "skipped"}
_CELL_COLOURS = {**{k: STATUS_COLOURS[v] for k, v in DECISIONS.items()},
                 **STATUS_COLOURS, "info": "#0277bd", "—": "#9e9e9e"}
ROLE_COLUMNS = (("execution role", "executionRoleArn"), ("task role", "taskRoleArn"))


# -- permissions -----------------------------------------------------------------------------------
def permissions_table(snapshot: Snapshot, diagnosis: Diagnosis | None = None, *, styled: bool = False,
                      pull_plan: PullPlan | None = None) -> pd.DataFrame | Styler:
    """Every action the pull needs, decided for the execution role and for the task role.

    The task role is shown because people often grant the pull's permissions there, where Fargate
    never looks (finding ``role.confusion``). ``<role> by`` names the deciding policy and Sid.
    Decisions come from the same local evaluator, context and resource policies as the checks.
    """
    pull_plan = pull_plan or plan(snapshot)
    td = snapshot.task_definition or {}
    rows: list[dict[str, Any]] = []
    for need in _needs(snapshot, pull_plan):
        row: dict[str, Any] = {"step": need.step, "action": need.action, "resource": clean(need.resource),
                               "container": clean(need.container or ""), "why": clean(need.why)}
        for column, key in ROLE_COLUMNS:
            decision, by = _decide(snapshot, td.get(key), need)
            row[column] = decision
            row[f"{column} by"] = clean(by, 600)
        rows.append(row)
    columns = ["step", "action", "resource", "container", "execution role", "execution role by",
               "task role", "task role by", "why"]
    df = pd.DataFrame(rows, columns=columns)
    return style_permissions(df) if styled else df


_TARGETS = {"ecr:GetAuthorizationToken": "ecr.api", "ecr:BatchGetImage": "ecr.dkr",
            "ecr:BatchCheckLayerAvailability": "ecr.dkr", "ecr:GetDownloadUrlForLayer": "ecr.dkr"}


def _needs(snapshot: Snapshot, pull_plan: PullPlan) -> list[Need]:
    """The plan's needs plus kms:Decrypt on each customer-managed key protecting a needed secret."""
    from fargate_nb.checks.permissions.secrets import key_for_secret

    needs = list(pull_plan.needs)
    for step, refs in (("registry-auth", pull_plan.registry_credentials), ("secrets", pull_plan.secrets)):
        seen: set[str] = set()
        for ref in refs:
            try:
                key = key_for_secret(snapshot, ref)
            except Exception:  # odd evidence: the secret checks report it; the table skips the row
                continue
            if key.customer and key.arn and key.arn not in seen:
                seen.add(key.arn)
                needs.append(Need(step, "kms:Decrypt", key.arn, f"{ref.kind} secret {ref.name} uses this key",
                                  ref.container, via_service=ref.kind))
    return needs


def _decide(snapshot: Snapshot, role_value: Any, need: Need) -> tuple[str, str]:
    """One role's decision on one need: (decision word, deciding policy and statement)."""
    from fargate_nb.checks.permissions import evaluate_role, role_view
    from fargate_nb.checks.permissions.evidence import arn_parts, role_arn_for

    arn = role_arn_for(snapshot, role_value)
    if not arn:
        return "no role", "the task definition names no such role"
    key = role_value if isinstance(role_value, str) and role_value in snapshot.roles else arn
    if key not in snapshot.roles:
        return "unknown", "the role was not read (see the gaps)"
    if snapshot.roles[key] is None:
        return "denied", f"role {arn.rsplit('/', 1)[-1]} does not exist"
    try:
        role = role_view(snapshot, key, arn)
        if role is None:
            return "unknown", "the role's evidence is unusable"
        policy = _resource_policy(snapshot, need)
        extra = ({"kms:ViaService": f"{need.via_service}.{snapshot.region}.amazonaws.com"}
                 if need.action == "kms:Decrypt" and need.via_service else None)
        outcome = evaluate_role(snapshot, role, need.action, need.resource, target=_target(need),
                                resource_policy=policy, resource_account=(arn_parts(need.resource) or {}).get("account") or None,
                                extra_context=extra, kms_key_policy=need.action == "kms:Decrypt")
    except Exception as exc:  # the table must show the other rows even if one cannot be decided
        return "unknown", f"could not evaluate: {type(exc).__name__}: {exc}"
    decision = outcome.decision
    word = {"allowed": "allowed", "explicit_deny": "explicit deny", "implicit_deny": "denied"}.get(
        getattr(decision, "decision", ""), "unknown")
    if role.unread and word != "explicit deny":
        word = "unknown" if word == "denied" else word
    return word, _deciding_statements(decision).replace(f"{need.action} on {need.resource}", "it")


def _target(need: Need) -> str | None:
    if need.action in _TARGETS:
        return _TARGETS[need.action]
    service = need.action.split(":", 1)[0]
    return service if service in ("secretsmanager", "ssm", "logs") else None


def _resource_policy(snapshot: Snapshot, need: Need) -> dict[str, Any] | None:
    """The resource's own policy (ECR repository, secret, KMS key) when the snapshot has it."""
    entry: Any = None
    if need.action.startswith("ecr:") and need.resource != "*":
        entry = (snapshot.repositories.get(need.resource) or {}).get("Policy")
    elif need.action.startswith("secretsmanager:"):
        entry = (snapshot.secrets.get(need.resource) or {}).get("ResourcePolicy")
    elif need.action == "kms:Decrypt":
        entry = (snapshot.kms_keys.get(need.resource) or {}).get("Policy")
    return entry if isinstance(entry, dict) else None


def _deciding_statements(decision: Any) -> str:
    """The deciding statements (policy, index, Sid); the evaluator's reason when none decided."""
    parts = []
    for m in getattr(decision, "matched", None) or ():
        describe = getattr(m, "describe", None)
        parts.append(f"{getattr(m, 'effect', '')} {describe() if callable(describe) else m}".strip())
    reason = getattr(decision, "reason", "") or ""
    missing = getattr(decision, "missing_context", None)
    if missing:
        reason += f" (context not known: {', '.join(sorted(missing))})"
    if parts and getattr(decision, "decision", "") in ("allowed", "explicit_deny"):
        return "; ".join(parts)
    return "; ".join([*parts, reason]) if reason else "; ".join(parts)


def minimal_execution_policy(snapshot: Snapshot) -> dict[str, Any]:
    """The least the execution role needs for this task's pull: each action on its exact resources.

    ``ecr:GetAuthorizationToken`` only accepts ``"*"``; kms:Decrypt is added for customer-managed keys.
    """
    grouped: dict[tuple[str, ...], list[str]] = {}
    by_resource: dict[str, list[str]] = {}
    for need in _needs(snapshot, plan(snapshot)):
        resource = need.resource if need.action != "ecr:GetAuthorizationToken" else "*"
        if need.action.startswith("logs:"):
            resource = resource.split(":log-stream:", 1)[0] + ":log-stream:*"
        actions = by_resource.setdefault(resource, [])
        if need.action not in actions:
            actions.append(need.action)
    for resource, actions in by_resource.items():
        grouped.setdefault(tuple(actions), []).append(resource)
    statements = []
    for i, (actions, resources) in enumerate(grouped.items(), start=1):
        sid = "".join(a.split(":", 1)[1] for a in actions[:1]) + f"{i}"
        statements.append({"Sid": sid, "Effect": "Allow", "Action": list(actions) if len(actions) > 1 else actions[0],
                           "Resource": resources if len(resources) > 1 else resources[0]})
    return {"Version": "2012-10-17", "Statement": statements}


def style_permissions(df: pd.DataFrame) -> Styler:
    """Colour the decisions; hovering a decision shows the deciding policy and statement."""
    tips = pd.DataFrame("", index=df.index, columns=df.columns)
    for column, _ in ROLE_COLUMNS:
        if column in df:
            tips[column] = df[f"{column} by"]
    tips["action"] = df.get("why", "")
    return _style(df, [c for c, _ in ROLE_COLUMNS if c in df], tips, "fargate-nb-permissions")


# -- network -------------------------------------------------------------------------------------
#: Network finding id -> the column of the network table it decides.
NETWORK_COLUMNS = {
    "net.no-route": "route", "net.public-ip": "route", "net.s3-gateway-route": "route",
    "net.vpc-dns": "DNS", "net.endpoint-private-dns": "DNS",
    "net.endpoint-sg": "SG in", "net.task-sg-egress": "SG out", "net.nacl": "NACL",
    "net.endpoint-policy": "endpoint policy",
}
_PATH_WORDS = {"interface-endpoint": "endpoint", "gateway-endpoint": "gateway", "nat": "NAT",
               "internet": "internet", "opaque": "opaque", "none": "none", "unknown": "unknown"}


def network_table(snapshot: Snapshot, diagnosis: Diagnosis, *, styled: bool = False,
                  pull_plan: PullPlan | None = None) -> pd.DataFrame | Styler:
    """Per destination the pull must reach: the path taken and each network check's status."""
    pull_plan = pull_plan or plan(snapshot)
    rows = []
    for dest in pull_plan.destinations:
        about = [f for f in diagnosis.findings if f.target == dest.target and f.status not in ("skipped",)]
        path, endpoint = _path(snapshot, dest.target)
        row: dict[str, Any] = {"destination": clean(dest.target), "step": dest.step, "path": path,
                               "endpoint": endpoint}
        for column in dict.fromkeys(NETWORK_COLUMNS.values()):
            row[column] = _worst([f for f in about if NETWORK_COLUMNS.get(f.id) == column]) or "—"
        row["status"] = _worst([f for f in about if f.status != "info"]) or ("unknown" if snapshot.network else "—")
        row["findings"] = ", ".join(sorted({f.id for f in about if f.status in ("fail", "warn", "unknown")}))
        row["why"] = clean(dest.why)
        row["_tips"] = _network_tips(about)
        rows.append(row)
    columns = ["destination", "step", "path", "endpoint", "route", "DNS", "SG in", "SG out", "NACL",
               "endpoint policy", "status", "findings", "why"]
    df = pd.DataFrame(rows, columns=[*columns, "_tips"])
    tips = df.pop("_tips")
    df.attrs["tips"] = list(tips)
    return style_network(df) if styled else df


def _path(snapshot: Snapshot, target: str) -> tuple[str, str]:
    """(path kind, endpoint id) from the route resolver; 'unknown' when it cannot say."""
    if not snapshot.network:
        return "unknown", ""
    try:
        from fargate_nb.netpath import resolve
    except ImportError:
        return "unknown", ""
    try:
        path = resolve(snapshot, target)
    except Exception as exc:  # one unresolvable path must not hide the table
        return f"unknown ({type(exc).__name__})", ""
    kind = str(getattr(path, "kind", "unknown"))
    endpoint = getattr(path, "endpoint", None)
    if isinstance(endpoint, dict):
        endpoint = endpoint.get("VpcEndpointId")
    return _PATH_WORDS.get(kind, clean(kind, 40)), clean(endpoint or "", 40)


def _network_tips(findings: list[Finding]) -> dict[str, str]:
    tips: dict[str, list[str]] = {}
    for f in findings:
        column = NETWORK_COLUMNS.get(f.id)
        if column:
            tips.setdefault(column, []).append(f"{f.status}: {f.text}")
        tips.setdefault("status", []).append(f"{f.id} {f.status}: {f.text}")
    return {k: "\n".join(v[:6]) for k, v in tips.items()}


def style_network(df: pd.DataFrame) -> Styler:
    tips = pd.DataFrame("", index=df.index, columns=df.columns)
    for i, row_tips in enumerate(df.attrs.get("tips") or []):
        for column, text in (row_tips or {}).items():
            if column in tips.columns:
                tips.iloc[i, tips.columns.get_loc(column)] = text
    status_columns = ["route", "DNS", "SG in", "SG out", "NACL", "endpoint policy", "status"]
    return _style(df, [c for c in status_columns if c in df], tips, "fargate-nb-network")


def endpoints_table(snapshot: Snapshot, pull_plan: PullPlan | None = None) -> pd.DataFrame:
    """The VPC endpoints a private subnet without NAT needs for this task's pull (S3 is a gateway)."""
    pull_plan = pull_plan or plan(snapshot)
    rows = [{"destination": clean(d.target), "endpoint service": d.endpoint_service or "(none: needs NAT or internet)",
             "type": "gateway (on the task subnets' route tables)" if d.target == "s3" else
             ("interface, private DNS on" if d.endpoint_service else "—"),
             "step": d.step, "why": clean(d.why)} for d in pull_plan.destinations]
    return pd.DataFrame(rows, columns=["destination", "endpoint service", "type", "step", "why"])


# -- findings ------------------------------------------------------------------------------------
_PROBLEMS_FIRST = {s: i for i, s in enumerate(("fail", "unknown", "warn", "info", "pass", "skipped"))}


def findings_table(diagnosis: Diagnosis, *, statuses: Iterable[str] | None = None, problems_first: bool = True,
                   styled: bool = False) -> pd.DataFrame | Styler:
    """Findings with the fix summary: problems first (then by step), optionally only some statuses."""
    wanted = set(statuses) if statuses is not None else None
    ordered = list(diagnosis.findings)
    if problems_first:
        ordered.sort(key=lambda f: _PROBLEMS_FIRST.get(f.status, 99))  # stable: step order kept within
    rows = []
    for f in ordered:
        if wanted is not None and f.status not in wanted:
            continue
        rows.append({"status": f.status, "id": f.id, "step": f.step or "task definition",
                     "target": clean(f.target or ""), "title": clean(f.text),
                     "fix": clean(f.remediation.summary if f.remediation and f.status != "pass" else ""),
                     "_tip": _finding_tip(f)})
    df = pd.DataFrame(rows, columns=["status", "id", "step", "target", "title", "fix", "_tip"])
    df.attrs["tips"] = list(df.pop("_tip"))
    return style_findings(df) if styled else df


def _finding_tip(f: Finding) -> str:
    lines = [f.detail] if f.detail else []
    lines += [f"evidence: {ev}" for ev in f.evidence[:5]]
    if f.missing_permission:
        lines.append(f"needs: {f.missing_permission}")
    return "\n".join(clean(line) for line in lines)


def style_findings(df: pd.DataFrame) -> Styler:
    tips = pd.DataFrame("", index=df.index, columns=df.columns)
    notes = list(df.attrs.get("tips") or [])
    if "title" in tips and len(notes) == len(df):
        tips["title"] = notes
    return _style(df, ["status"], tips, "fargate-nb-findings")


# -- shared --------------------------------------------------------------------------------------
def _worst(findings: list[Finding]) -> str | None:
    if not findings:
        return None
    return min(findings, key=lambda f: _RANK.get(f.status, 99)).status


def css_string(text: Any) -> str:
    """Text as the inside of a CSS string: no quote, backslash or '<' can end it or the <style>."""
    lines = [clean(line, 300) for line in str(text if text is not None else "").splitlines()][:12]
    out = []
    for ch in "\n".join(lines):
        if ch == "\n":
            out.append("\\a ")
        elif ch in "\\\"'<>&" or ord(ch) < 0x20 or ch in "\u2028\u2029":
            out.append(f"\\{ord(ch):x} ")
        else:
            out.append(ch)
    return "".join(out)


def _cell_css(value: Any) -> str:
    colour = _CELL_COLOURS.get(str(value))
    if colour is None:
        return ""
    return f"color: {colour}; font-weight: bold" if value not in ("—", "no role") else f"color: {colour}"


def _style(df: pd.DataFrame, status_columns: list[str], tips: pd.DataFrame, css_class: str) -> Styler:
    """Escape every cell, colour the status columns, add CSS tooltips (escaped for CSS)."""
    styler = (df.style.format(escape="html").hide(axis="index")
              .set_properties(**{"text-align": "left", "vertical-align": "top"})
              .set_table_styles([{"selector": "th", "props": [("text-align", "left")]}], overwrite=False))
    if status_columns and len(df):
        styler = styler.map(_cell_css, subset=status_columns)
    safe_tips = tips.map(lambda t: css_string(t) if t else "")
    if len(df) and (safe_tips != "").any().any():
        styler = styler.set_tooltips(safe_tips, props="visibility: hidden; position: absolute; z-index: 1; "
                                     "background-color: #263238; color: white; padding: 4px 6px; "
                                     "white-space: pre-wrap; max-width: 420px; font-size: 11px",
                                     css_class="fargate-nb-tip")
    return styler.set_table_attributes(f'class="{css_class}"')
