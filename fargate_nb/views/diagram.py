"""The image pull as a sequence diagram: a pure model (`sequence_model`) and its plotly figure.

The model says who talks to whom, in which order, and how each call fares according to the
diagnosis. The plotly figure and the mermaid twin (`fargate_nb.views.mermaid`) both draw this one
model, so they always agree. Lifelines appear only when this task needs them (the pull plan).
"""

from __future__ import annotations

import html
import re
import textwrap
from dataclasses import dataclass, field
from typing import Any

from fargate_nb.model import SEVERITY_ORDER, STEPS, Diagnosis, Finding, Snapshot
from fargate_nb.pullflow import STEP_TITLES, PullPlan, plan

STATUS_COLOURS = {"pass": "#2e7d32", "fail": "#c62828", "warn": "#ef8f00", "unknown": "#757575",
                  "skipped": "#c8c8c8"}
STATUS_MARKS = {"pass": "✓", "fail": "✗", "warn": "!", "unknown": "?", "skipped": "–"}
_RANK = {s: i for i, s in enumerate(SEVERITY_ORDER)}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")

# Lifelines in drawing order; registry hosts take the "registry" slot.
_LIFELINE_ORDER = ("fargate", "sts", "ecr.api", "ecr.dkr", "s3", "registry", "secretsmanager", "ssm", "kms",
                   "logs")
_LIFELINE_LABELS = {
    "fargate": "Fargate", "sts": "Execution role (STS)", "ecr.api": "ecr.api", "ecr.dkr": "ecr.dkr",
    "s3": "S3 layer bucket", "secretsmanager": "Secrets Manager", "ssm": "SSM Parameter Store",
    "kms": "KMS", "logs": "CloudWatch Logs",
}
_LIFELINE_DETAILS = {"ecr.api": "registry API", "ecr.dkr": "manifests, layer URLs", "s3": "layer downloads",
                     "kms": "customer-managed key", "logs": "awslogs driver"}

# Which calls (message kinds) a finding id is about. Ids not listed apply to every call of their step.
_FINDING_KINDS: dict[str, set[str]] = {
    "exec-role.missing": {"assume"}, "exec-role.not-found": {"assume"}, "exec-role.trust": {"assume"},
    "iam.ecr-auth": {"ecr-auth"},
    "iam.registry-secret": {"creds-secret"}, "registry.secret-missing": {"creds-secret"},
    "registry.credentials-missing": {"creds-secret", "registry-manifest"},
    "iam.kms-decrypt": {"kms"},
    "iam.secrets": {"secret-fetch"}, "secrets.missing": {"secret-fetch"},
    "iam.ecr-pull": {"ecr-manifest", "layer-url"},
    "ecr.repo-policy": {"ecr-manifest"}, "ecr.repo-missing": {"ecr-manifest"},
    "ecr.image-missing": {"ecr-manifest"}, "ecr.platform-mismatch": {"ecr-manifest"},
    "logs.group-missing": {"logs-group", "logs-stream"},
}
# Findings that also decide a call of another step (ecr:GetDownloadUrlForLayer is checked with the pull).
_CROSS_STEP: dict[str, set[str]] = {"iam.ecr-pull": {"layer-url"}}


@dataclass(frozen=True)
class Lifeline:
    id: str  # fargate, sts, ecr.api, ecr.dkr, s3, secretsmanager, ssm, kms, logs, or a registry host
    label: str
    detail: str = ""  # e.g. the role name, the endpoint service


@dataclass
class Message:
    """One call of the pull, coloured by the findings about it."""

    step: str
    kind: str  # what sort of call (see _FINDING_KINDS)
    source: str  # lifeline id
    target: str  # lifeline id
    label: str  # e.g. "ecr:GetAuthorizationToken"
    subjects: list[str] = field(default_factory=list)  # resources the call is about (for hover and matching)
    status: str = "unknown"
    findings: list[Finding] = field(default_factory=list)  # the findings that decided the status
    first_failure: bool = False

    @property
    def failure(self) -> Finding | None:
        """The first failing finding about this call, if any."""
        return next((f for f in self.findings if f.status == "fail"), None)

    def hover_lines(self) -> list[str]:
        lines = [f"step {STEPS.index(self.step) + 1} · {self.step}: {STEP_TITLES[self.step]}",
                 f"{self.label} — {self.status}"]
        lines += [f"on {s}" for s in self.subjects[:4]]
        for f in sorted(self.findings, key=lambda f: _RANK.get(f.status, 99))[:4]:
            target = f" [{f.target}]" if f.target else ""
            lines.append(f"{STATUS_MARKS.get(f.status, '?')} {f.id}{target}: {f.text}")
            lines += [f"   {ev}" for ev in f.evidence[:3]]
        if not self.findings:
            lines.append("no check covers this call directly; colour taken from its step")
        return [clean(line) for line in lines]


@dataclass
class SequenceModel:
    lifelines: list[Lifeline]
    messages: list[Message]
    title: str = ""
    verdict: str = ""

    @property
    def first_failure(self) -> Message | None:
        return next((m for m in self.messages if m.first_failure), None)

    def lifeline(self, lifeline_id: str) -> Lifeline:
        return next(lf for lf in self.lifelines if lf.id == lifeline_id)


def clean(text: Any, limit: int = 300) -> str:
    """One line of plain text: control characters and newlines collapsed, long text cut."""
    one_line = _CONTROL.sub(" ", str(text if text is not None else "")).strip()
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"


# -- the model -----------------------------------------------------------------------------------
def sequence_model(snapshot: Snapshot, diagnosis: Diagnosis, pull_plan: PullPlan | None = None) -> SequenceModel:
    """Lifelines and calls of this task's pull, each call coloured by the findings about it."""
    pull_plan = pull_plan or plan(snapshot)
    messages = _messages(snapshot, pull_plan, diagnosis)
    _colour(messages, diagnosis)
    used = {"fargate"} | {m.source for m in messages} | {m.target for m in messages}
    lifelines = [_lifeline(lid, snapshot, pull_plan) for lid in sorted(used, key=_lifeline_rank)]
    subject = diagnosis.subject or snapshot.subject or {}
    what = subject.get("task") or subject.get("service") or subject.get("taskdef") or ""
    title = clean(f"Image pull of {subject.get('kind', 'task')} {what}".strip(), 120)
    return SequenceModel(lifelines, messages, title, clean(diagnosis.verdict, 400))


def _lifeline_rank(lifeline_id: str) -> tuple[int, str]:
    slot = lifeline_id if lifeline_id in _LIFELINE_ORDER else "registry"
    return (_LIFELINE_ORDER.index(slot), lifeline_id)


def _lifeline(lifeline_id: str, snapshot: Snapshot, pull_plan: PullPlan) -> Lifeline:
    if lifeline_id == "sts":
        role = (snapshot.task_definition or {}).get("executionRoleArn") or "none set"
        return Lifeline("sts", _LIFELINE_LABELS["sts"], clean(role.rsplit("/", 1)[-1], 60))
    if lifeline_id in _LIFELINE_LABELS:
        return Lifeline(lifeline_id, _LIFELINE_LABELS[lifeline_id], _LIFELINE_DETAILS.get(lifeline_id, ""))
    return Lifeline(lifeline_id, clean(lifeline_id, 60), "registry")


def _messages(snapshot: Snapshot, pull_plan: PullPlan, diagnosis: Diagnosis) -> list[Message]:
    """The calls of the pull in order, from the plan (plus calls the findings prove are involved)."""
    td = snapshot.task_definition or {}
    out: list[Message] = []
    if pull_plan.needed_steps.get("assume-role") or _step_findings(diagnosis, "assume-role"):
        out.append(Message("assume-role", "assume", "fargate", "sts", "sts:AssumeRole",
                           [td.get("executionRoleArn") or "no executionRoleArn"]))
    ecr_images = {i.raw: i for i in pull_plan.images.values() if i.ecr}
    other_images = {i.raw: i for i in pull_plan.images.values() if not i.ecr}
    registries = sorted({f"{i.registry_id}/{i.region}" for i in ecr_images.values()})
    if registries:
        out.append(Message("registry-auth", "ecr-auth", "fargate", "ecr.api", "ecr:GetAuthorizationToken",
                           [f"registry {r}" for r in registries]))
    if pull_plan.registry_credentials:
        arns = _unique(ref.arn for ref in pull_plan.registry_credentials)
        out.append(Message("registry-auth", "creds-secret", "fargate", "secretsmanager",
                           "GetSecretValue (registry credentials)", arns))
        keys = _customer_keys(snapshot, pull_plan.registry_credentials)
        if keys or _has(diagnosis, "iam.kms-decrypt", "registry-auth"):
            out.append(Message("registry-auth", "kms", "secretsmanager", "kms", "kms:Decrypt", keys))
    for kind, service, action in (("secretsmanager", "secretsmanager", "GetSecretValue"),
                                  ("ssm", "ssm", "ssm:GetParameters")):
        refs = [r for r in pull_plan.secrets if r.kind == kind]
        if not refs:
            continue
        out.append(Message("secrets", "secret-fetch", "fargate", service,
                           f"{action} ({len(refs)} secret{'s' if len(refs) != 1 else ''})",
                           _unique(r.arn for r in refs)))
        keys = _customer_keys(snapshot, refs)
        if keys:
            out.append(Message("secrets", "kms", service, "kms", "kms:Decrypt", keys))
    if _has(diagnosis, "iam.kms-decrypt", "secrets") and not any(m.kind == "kms" and m.step == "secrets" for m in out):
        source = next((m.target for m in out if m.kind == "secret-fetch"), "fargate")
        out.append(Message("secrets", "kms", source, "kms", "kms:Decrypt", []))
    for raw, image in ecr_images.items():
        out.append(Message("manifest", "ecr-manifest", "fargate", "ecr.dkr",
                           f"ecr:BatchGetImage {_short_image(image.repository, image.tag, image.digest)}",
                           [raw, image.repository_arn(snapshot.partition or "aws") or ""]))
    for raw, image in other_images.items():
        out.append(Message("manifest", "registry-manifest", "fargate", image.registry,
                           f"GET manifest {_short_image(image.repository, image.tag, image.digest)}", [raw]))
    for raw, image in ecr_images.items():
        out.append(Message("layers", "layer-url", "fargate", "ecr.dkr", "ecr:GetDownloadUrlForLayer",
                           [raw, image.repository_arn(snapshot.partition or "aws") or ""]))
    if ecr_images:
        bucket = f"prod-{snapshot.region or 'REGION'}-starport-layer-bucket"
        out.append(Message("layers", "layer-get", "fargate", "s3", "GET layers (S3)", [bucket]))
    for raw, image in other_images.items():
        out.append(Message("layers", "registry-blobs", "fargate", image.registry, "GET layer blobs", [raw]))
    groups = pull_plan.log_groups
    if groups:
        names = _unique(g["group"] for g in groups)
        if any(g.get("create") for g in groups):
            out.append(Message("logs", "logs-group", "fargate", "logs", "logs:CreateLogGroup",
                               _unique(g["group"] for g in groups if g.get("create"))))
        out.append(Message("logs", "logs-stream", "fargate", "logs", "logs:CreateLogStream", names))
        out.append(Message("logs", "logs-events", "fargate", "logs", "logs:PutLogEvents", names))
    _add_missing_steps(out, diagnosis)
    out.sort(key=lambda m: STEPS.index(m.step))  # stable: keeps the order within a step
    for m in out:
        m.subjects = [clean(s, 200) for s in m.subjects if s]
    return out


_STEP_FALLBACK = {"assume-role": ("sts", "sts:AssumeRole"), "registry-auth": ("ecr.api", "registry authentication"),
                  "secrets": ("secretsmanager", "fetch secrets"), "manifest": ("ecr.dkr", "resolve manifest"),
                  "layers": ("s3", "GET layers"), "logs": ("logs", "logs:CreateLogStream")}


def _add_missing_steps(out: list[Message], diagnosis: Diagnosis) -> None:
    """A failing step must show even when the plan drew no call for it (e.g. no task definition)."""
    drawn = {m.step for m in out}
    for s in diagnosis.steps:
        if s.id not in drawn and s.status == "fail":
            target, label = _STEP_FALLBACK[s.id]
            out.append(Message(s.id, "step", "fargate", target, label))


def _colour(messages: list[Message], diagnosis: Diagnosis) -> None:
    """Give each call the worst status of the findings about it; mark the first failing call."""
    step_status = {s.id: s.status for s in diagnosis.steps}
    relevant = [f for f in diagnosis.findings if f.step and f.status not in ("info", "skipped")]
    for m in messages:
        m.findings = [f for f in relevant if _about(f, m, messages)]
        if m.findings:
            m.status = min(m.findings, key=lambda f: _RANK[f.status]).status
        else:
            status = step_status.get(m.step, "unknown")
            m.status = "unknown" if status in ("fail", "warn") else status
    # A step the diagnosis fails must show red even if no finding could be pinned to a call.
    for step, status in step_status.items():
        in_step = [m for m in messages if m.step == step]
        if in_step and status in ("fail", "warn") and all(_RANK[m.status] > _RANK[status] for m in in_step):
            in_step[0].status = status
    first = next((m for m in messages if m.status == "fail"), None)
    if first is not None:
        first.first_failure = True


def _about(f: Finding, m: Message, messages: list[Message]) -> bool:
    """Is finding ``f`` about call ``m``? Network findings go by target; others by step and kind."""
    if f.target:
        if f.id.startswith("net."):
            return m.target == f.target and m.kind != "kms"
        if f.target != m.target and f.step == m.step and any(x.target == f.target for x in messages):
            return False
    kinds = _FINDING_KINDS.get(f.id)
    if f.step != m.step:
        return m.kind in _CROSS_STEP.get(f.id, ())
    if kinds is not None and m.kind not in kinds and m.kind != "step":
        return False
    # When a finding names some of the step's resources, it is about those calls only.
    peers = [x for x in messages if x.step == m.step and (kinds is None or x.kind in kinds)]
    text = " ".join([f.text, f.detail, *f.evidence])
    named = [x for x in peers if any(s and s in text for s in x.subjects)]
    return not named or m in named


def _step_findings(diagnosis: Diagnosis, step: str) -> list[Finding]:
    return [f for f in diagnosis.findings if f.step == step and f.status in ("fail", "warn", "unknown")]


def _has(diagnosis: Diagnosis, finding_id: str, step: str) -> bool:
    return any(f.id == finding_id and f.step == step and f.status != "skipped" for f in diagnosis.findings)


def _customer_keys(snapshot: Snapshot, refs: list[Any]) -> list[str]:
    """Customer-managed KMS keys protecting these secrets (AWS-managed keys need no grant), as the checks see them."""
    from fargate_nb.checks.permissions.secrets import key_for_secret

    keys = []
    for ref in refs:
        try:
            key = key_for_secret(snapshot, ref)
        except Exception:  # odd evidence: the secret checks report it; the diagram just omits KMS
            continue
        if key.customer and key.arn:
            keys.append(key.arn)
    return _unique(keys)


def _unique(items: Any) -> list[str]:
    seen: list[str] = []
    for item in items:
        if item and item not in seen:
            seen.append(item)
    return seen


def _short_image(repository: str, tag: str | None, digest: str | None) -> str:
    name = repository.rsplit("/", 1)[-1]
    ref = f":{tag}" if tag else ""
    if digest:
        ref += f"@{digest[:19]}…" if len(digest) > 19 else f"@{digest}"
    return clean(name + ref, 48)


# -- the plotly figure ---------------------------------------------------------------------------
COLUMN_PX = 155  # horizontal space per lifeline
ROW_PX = 48  # vertical space per call
NOTE_COLUMNS = 1.6  # room (in lifeline columns) on the right for the failure note
STEP_COLUMN = 0.9  # room on the left for the step names


def _html(text: str) -> str:
    """Text for plotly labels: plotly reads a small HTML subset, so escape everything."""
    return html.escape(clean(text), quote=False)


def _wrap(text: str, width: int) -> str:
    return "<br>".join(_html(line) for line in textwrap.wrap(clean(text, 400), width)[:6])


def sequence_figure(snapshot: Snapshot, diagnosis: Diagnosis, model: SequenceModel | None = None) -> Any:
    """The pull as a plotly sequence diagram: lifelines, calls coloured by status, the first failure marked."""
    import plotly.graph_objects as go

    model = model or sequence_model(snapshot, diagnosis)
    n, m = len(model.lifelines), len(model.messages)
    xpos = {lf.id: float(i) for i, lf in enumerate(model.lifelines)}
    columns = max(n, 3)
    x_min, x_max = -0.5 - STEP_COLUMN, columns - 0.5 + NOTE_COLUMNS
    y_min, y_max = -(m + 0.9), 0.75
    fig = go.Figure()
    shapes: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    for lf in model.lifelines:
        x = xpos[lf.id]
        shapes.append(dict(type="rect", x0=x - 0.44, x1=x + 0.44, y0=-0.32, y1=0.52, line=dict(color="#37474f"),
                           fillcolor="#eceff1", layer="below"))
        shapes.append(dict(type="line", x0=x, x1=x, y0=-0.32, y1=y_min + 0.3,
                           line=dict(color="#90a4ae", dash="dot", width=1.5), layer="below"))
        label = f"<b>{_html(lf.label)}</b>" + (f"<br><span style='font-size:10px'>{_html(lf.detail[:32])}</span>"
                                                if lf.detail else "")
        notes.append(dict(x=x, y=0.1, text=label, showarrow=False, font=dict(size=12, color="#263238")))
    previous_step = None
    for row, msg in enumerate(model.messages, start=1):
        y = -float(row)
        colour = STATUS_COLOURS.get(msg.status, STATUS_COLOURS["unknown"])
        x0, x1 = xpos[msg.source], xpos[msg.target]
        width = 3.5 if msg.status == "fail" else 2
        notes.append(dict(x=x1, y=y, ax=x0, ay=y, xref="x", yref="y", axref="x", ayref="y", text="",
                          showarrow=True, arrowhead=2, arrowsize=1.1, arrowwidth=width, arrowcolor=colour,
                          standoff=2))
        mid = (x0 + x1) / 2
        notes.append(dict(x=mid, y=y + 0.3, text=f"{STATUS_MARKS.get(msg.status, '?')} {_html(msg.label)}",
                          showarrow=False, font=dict(size=11, color=colour)))
        if msg.step != previous_step:
            notes.append(dict(x=x_min + 0.05, y=y, xanchor="left", showarrow=False,
                              text=f"{STEPS.index(msg.step) + 1}. {_html(msg.step)}",
                              font=dict(size=11, color=STATUS_COLOURS.get(_step_status(diagnosis, msg.step)))))
            previous_step = msg.step
        if msg.first_failure and msg.failure is not None:
            f = msg.failure
            notes.append(dict(x=x1, y=y, text="<b>✗</b>", showarrow=False, font=dict(size=22, color=STATUS_COLOURS["fail"]),
                              xshift=14 if x1 >= x0 else -14))
            shapes.append(dict(type="line", x0=x1, x1=columns - 0.5 + 0.08, y0=y, y1=y, layer="below",
                               line=dict(color=STATUS_COLOURS["fail"], dash="dot", width=1)))
            notes.append(dict(x=columns - 0.5 + 0.08, y=y, xanchor="left", yanchor="middle", align="left",
                              showarrow=False, bgcolor="#ffebee", bordercolor=STATUS_COLOURS["fail"],
                              text=f"<b>✗ {_html(f.id)}</b><br>{_wrap(f.text, 30)}",
                              font=dict(size=11, color=STATUS_COLOURS["fail"])))
        # Invisible points along the arrow carry the hover text (annotations cannot hover well).
        steps = 7
        fig.add_trace(go.Scatter(
            x=[x0 + (x1 - x0) * k / (steps - 1) for k in range(steps)], y=[y] * steps, mode="markers",
            marker=dict(size=14, color=colour, opacity=0.01), showlegend=False, name=_html(msg.label),
            hovertext=["<br>".join(_html(line) for line in msg.hover_lines())] * steps,
            hoverinfo="text", hoverlabel=dict(bordercolor=colour)))
    if not model.messages:
        notes.append(dict(x=(columns - 1) / 2, y=-0.9, showarrow=False, font=dict(size=12, color="#757575"),
                          text="no calls to draw: the snapshot has no task definition"))
    for status in ("pass", "fail", "warn", "unknown", "skipped"):
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines+markers", name=status,
                                 line=dict(color=STATUS_COLOURS[status], width=3),
                                 marker=dict(symbol="triangle-right", size=9, color=STATUS_COLOURS[status])))
    width_px = int(COLUMN_PX * (columns + NOTE_COLUMNS + STEP_COLUMN)) + 40
    height_px = int(ROW_PX * (m + 1.65)) + 170
    fig.update_layout(
        title=dict(text=f"{_html(model.title)}<br><span style='font-size:12px'>{_wrap(model.verdict, 110)}</span>",
                   x=0.01, xanchor="left", font=dict(size=16)),
        shapes=shapes, annotations=notes, width=width_px, height=height_px, plot_bgcolor="white",
        paper_bgcolor="white", margin=dict(l=10, r=10, t=90, b=60), hovermode="closest",
        legend=dict(orientation="h", x=0, y=-0.01, yanchor="top", title=dict(text="status ")),
        xaxis=dict(visible=False, range=[x_min, x_max], fixedrange=True),
        yaxis=dict(visible=False, range=[y_min, y_max], fixedrange=True),
        meta={"fargate_nb": "sequence", "first_failure": _failure_meta(model)},
    )
    return fig


def _step_status(diagnosis: Diagnosis, step: str) -> str:
    return next((s.status for s in diagnosis.steps if s.id == step), "unknown")


def _failure_meta(model: SequenceModel) -> dict[str, str] | None:
    msg = model.first_failure
    if msg is None or msg.failure is None:
        return None
    return {"step": msg.step, "call": clean(msg.label), "finding": clean(msg.failure.id)}
