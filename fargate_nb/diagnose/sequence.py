"""The pull as a sequence of calls: who calls whom, in order, and how each call fares.

Calls come from the pull plan (only what this task needs). A finding decides a call when the check
catalogue says its check is about that kind of call (`CheckSpec.calls`) and, when the finding names
its resource or network target, the call is about that resource or goes to that target. The
status of a call is the worst status of the findings that decide it; a call nothing decides takes
its step's status when that is good news, `unknown` otherwise. Calls after the first failing call
are not reached: the pull stops there.
"""

from __future__ import annotations

from collections.abc import Callable

from fargate_nb.checks.catalogue import CATALOGUE
from fargate_nb.model import STEPS, Call, Finding, Lifeline, Sequence, Snapshot, StepResult, worst_status
from fargate_nb.pullflow import (
    ENVIRONMENT_FILE_ACTIONS,
    ImageRef,
    Need,
    PullPlan,
    arn_region,
    destination_key,
    layer_bucket,
    split_key,
)

#: Lifelines in drawing order; registry hosts take the "registry" slot.
LIFELINE_ORDER = ("fargate", "sts", "ecr.api", "ecr.dkr", "s3", "registry", "secretsmanager", "ssm", "kms", "logs")
LIFELINE_LABELS = {
    "fargate": "Fargate", "sts": "Execution role (STS)", "ecr.api": "ecr.api", "ecr.dkr": "ecr.dkr",
    "s3": "S3 layer bucket", "secretsmanager": "Secrets Manager", "ssm": "SSM Parameter Store",
    "kms": "KMS", "logs": "CloudWatch Logs",
}
LIFELINE_DETAILS = {"ecr.api": "registry API", "ecr.dkr": "manifests, layer URLs", "s3": "layer downloads",
                    "kms": "customer-managed key", "logs": "awslogs driver"}
#: What a step's call is drawn as when the plan drew none but the step fails (e.g. no task definition).
STEP_FALLBACK = {"assume-role": ("sts", "sts:AssumeRole"), "registry-auth": ("ecr.api", "registry authentication"),
                 "secrets": ("secretsmanager", "fetch secrets"), "manifest": ("ecr.dkr", "resolve manifest"),
                 "layers": ("s3", "GET layers"), "logs": ("logs", "logs:CreateLogStream")}


#: The kind of call each action of the pull is made in (the permission matrix links rows to checks by it).
ACTION_CALLS = {
    "ecr:GetAuthorizationToken": "ecr-auth", "ecr:BatchGetImage": "ecr-manifest",
    "ecr:GetDownloadUrlForLayer": "layer-url",
    "ssm:GetParameters": "secret-fetch", "kms:Decrypt": "kms", "logs:CreateLogGroup": "logs-group",
    "logs:CreateLogStream": "logs-stream", "logs:PutLogEvents": "logs-events",
    "s3:GetObject": "env-file", "s3:GetBucketLocation": "env-file",  # environmentFiles (the plan's only S3 needs)
}


def call_kinds(need: Need) -> set[str]:
    """The call kinds a needed permission is used in."""
    if need.action == "secretsmanager:GetSecretValue":
        return {"creds-secret"} if need.step == "registry-auth" else {"secret-fetch"}
    kind = ACTION_CALLS.get(need.action)
    return {kind} if kind else set()


def sequence(snapshot: Snapshot, plan: PullPlan, findings: list[Finding], steps: list[StepResult],
             needs: list[Need] | None = None) -> Sequence:
    """Lifelines and calls of this task's pull, each call with its status and the findings that decide it."""
    if needs is None:
        from fargate_nb.checks.permissions.secrets import kms_needs

        needs = kms_needs(snapshot, plan)
    calls = _calls(snapshot, plan, findings, steps, needs)
    _decide(calls, findings, steps)
    used = {"fargate"} | {c.source for c in calls} | {c.target for c in calls}
    lifelines = [_lifeline(lid, snapshot) for lid in sorted(used, key=_lifeline_rank)]
    return Sequence(_title(snapshot.subject or {}), lifelines, calls)


def _title(subject: dict) -> str:
    """"Image pull of task 0f3c… in cluster payments": the subject's own name, not its whole ARN."""
    what = str(subject.get("task") or subject.get("service") or subject.get("taskdef") or "")
    name = what.rsplit("/", 1)[-1] if what.startswith("arn:") else what
    cluster = str(subject.get("cluster") or "").rsplit("/", 1)[-1]
    where = f" in cluster {cluster}" if cluster else ""
    return f"Image pull of {subject.get('kind', 'task')} {name}{where}".replace("  ", " ").strip()


def _lifeline_rank(lifeline_id: str) -> tuple[int, str]:
    service, _ = split_key(lifeline_id)
    slot = service if service in LIFELINE_ORDER else "registry"
    return (LIFELINE_ORDER.index(slot), lifeline_id)


def _lifeline(lifeline_id: str, snapshot: Snapshot) -> Lifeline:
    if lifeline_id == "sts":
        role = (snapshot.task_definition or {}).get("executionRoleArn") or "none set"
        return Lifeline("sts", LIFELINE_LABELS["sts"], str(role).rsplit("/", 1)[-1])
    service, region = split_key(lifeline_id)
    if service in LIFELINE_LABELS:  # service@region: the service in another region than the task
        label = LIFELINE_LABELS[service] + (f" ({region})" if region else "")
        return Lifeline(lifeline_id, label, LIFELINE_DETAILS.get(service, ""))
    return Lifeline(lifeline_id, lifeline_id, "registry")


def _has(findings: list[Finding], finding_id: str, step: str) -> bool:
    return any(f.id == finding_id and f.step == step and f.status != "skipped" for f in findings)


def _calls(snapshot: Snapshot, plan: PullPlan, findings: list[Finding], steps: list[StepResult],
           needs: list[Need]) -> list[Call]:
    """The calls of the pull in order, from the plan (plus calls the findings prove are involved)."""
    td = snapshot.task_definition or {}
    partition = snapshot.partition or "aws"
    keys: dict[str, list[str]] = {}
    for n in needs:
        if n.action == "kms:Decrypt":
            keys.setdefault(n.step, []).append(n.resource)
    out: list[Call] = []
    if plan.needed_steps.get("assume-role") or any(f.step == "assume-role" and f.status in ("fail", "warn", "unknown")
                                                    for f in findings):
        out.append(Call("assume-role", "assume", "fargate", "sts", "sts:AssumeRole",
                        [td.get("executionRoleArn") or "no executionRoleArn"]))
    ecr_images = {i.raw: i for i in plan.images.values() if i.ecr}
    other_images = {i.raw: i for i in plan.images.values() if not i.ecr}
    home = snapshot.region

    def where(service: str, region: str | None) -> str:  # the lifeline: service, or service@region elsewhere
        return destination_key(service, region or home, home)

    by_api: dict[str, list[str]] = {}
    for i in ecr_images.values():
        by_api.setdefault(where("ecr.api", i.region), []).append(f"{i.registry_id}/{i.region}")
    for api, registries in by_api.items():
        out.append(Call("registry-auth", "ecr-auth", "fargate", api, "ecr:GetAuthorizationToken",
                        [f"registry {r}" for r in sorted(set(registries))]))
    creds_lifelines = _unique(where("secretsmanager", arn_region(r.arn)) for r in plan.registry_credentials)
    for lifeline in creds_lifelines:  # the secret's region: another region's secret goes to its own endpoint
        out.append(Call("registry-auth", "creds-secret", "fargate", lifeline, "GetSecretValue (registry credentials)",
                        _unique(r.arn for r in plan.registry_credentials
                                if where("secretsmanager", arn_region(r.arn)) == lifeline)))
    if creds_lifelines and (keys.get("registry-auth") or _has(findings, "iam.kms-decrypt", "registry-auth")):
        out.append(Call("registry-auth", "kms", creds_lifelines[0], "kms", "kms:Decrypt",
                        _unique(keys.get("registry-auth", []))))
    for kind, action in (("secretsmanager", "GetSecretValue"), ("ssm", "ssm:GetParameters")):
        for lifeline in _unique(where(kind, arn_region(r.arn)) for r in plan.secrets if r.kind == kind):
            refs = [r for r in plan.secrets if r.kind == kind and where(kind, arn_region(r.arn)) == lifeline]
            out.append(Call("secrets", "secret-fetch", "fargate", lifeline,
                            f"{action} ({len(refs)} secret{'s' if len(refs) != 1 else ''})", _unique(r.arn for r in refs)))
    env_files = _unique(n.resource for n in plan.needs if n.action == ENVIRONMENT_FILE_ACTIONS[0])
    if env_files:
        out.append(Call("secrets", "env-file", "fargate", "s3", "GET environment files (S3)", env_files))
    if keys.get("secrets") or _has(findings, "iam.kms-decrypt", "secrets"):
        source = next((c.target for c in out if c.kind == "secret-fetch"), "fargate")
        out.append(Call("secrets", "kms", source, "kms", "kms:Decrypt", _unique(keys.get("secrets", []))))
    for raw, image in ecr_images.items():
        out.append(Call("manifest", "ecr-manifest", "fargate", _registry(image, where),
                        f"ecr:BatchGetImage {_short_image(image.repository, image.tag, image.digest)}",
                        [raw, image.repository_arn(partition) or ""]))
    for raw, image in other_images.items():
        out.append(Call("manifest", "registry-manifest", "fargate", image.registry,
                        f"GET manifest {_short_image(image.repository, image.tag, image.digest)}", [raw]))
    for raw, image in ecr_images.items():
        out.append(Call("layers", "layer-url", "fargate", _registry(image, where), "ecr:GetDownloadUrlForLayer",
                        [raw, image.repository_arn(partition) or ""]))
    if ecr_images:
        for region in _unique(i.region or snapshot.region for i in ecr_images.values()):
            out.append(Call("layers", "layer-get", "fargate", where("s3", region), "GET layers (S3)",
                            [layer_bucket(region or "REGION")]))
    for raw, image in other_images.items():
        out.append(Call("layers", "registry-blobs", "fargate", image.registry, "GET layer blobs", [raw]))
    for logs in _unique(where("logs", g.get("region")) for g in plan.log_groups):
        groups = [g for g in plan.log_groups if where("logs", g.get("region")) == logs]
        names = _unique(g["group"] for g in groups)
        if any(g.get("create") for g in groups):
            out.append(Call("logs", "logs-group", "fargate", logs, "logs:CreateLogGroup",
                            _unique(g["group"] for g in groups if g.get("create"))))
        out.append(Call("logs", "logs-stream", "fargate", logs, "logs:CreateLogStream", names))
        out.append(Call("logs", "logs-events", "fargate", logs, "logs:PutLogEvents", names))
    drawn = {c.step for c in out}
    for s in steps:  # a failing step must show even when the plan drew no call for it
        if s.id not in drawn and s.status == "fail":
            target, label = STEP_FALLBACK[s.id]
            out.append(Call(s.id, "step", "fargate", target, label))
    out.sort(key=lambda c: STEPS.index(c.step))  # stable: keeps the order within a step
    return out


def _decide(calls: list[Call], findings: list[Finding], steps: list[StepResult]) -> None:
    """Give each call the findings that decide it and their worst status; mark the first failure."""
    step_status = {s.id: s.status for s in steps}
    for call in calls:
        call.finding_refs = [i for i, f in enumerate(findings) if _decides(f, call, calls)]
        statuses = [findings[i].status for i in call.finding_refs]
        if statuses:
            call.status = worst_status(statuses)
        else:
            status = step_status.get(call.step, "unknown")
            call.status = "unknown" if status in ("fail", "warn") else status
    # A step the diagnosis fails must show red even if no finding could be pinned to one of its calls.
    for step, status in step_status.items():
        in_step = [c for c in calls if c.step == step]
        if in_step and status in ("fail", "warn") and all(worst_status([c.status, status]) != c.status
                                                           for c in in_step):
            in_step[0].status = status
    first = next((c for c in calls if c.status == "fail"), None)
    if first is not None:
        first.first_failure = True
        for c in calls[calls.index(first) + 1:]:
            c.reached = False


def _decides(f: Finding, call: Call, calls: list[Call]) -> bool:
    """Does finding ``f`` decide ``call``? Network findings by target; others by kind and resource."""
    if not f.step or f.status in ("info", "skipped"):
        return False
    spec = CATALOGUE.get(f.id)
    if spec is not None and spec.advice:
        return False
    if spec is not None and spec.per_target:
        return bool(f.target) and call.target == f.target and call.kind != "kms"
    kinds = spec.calls if spec is not None else ()
    if f.step != call.step and call.kind not in kinds:
        return False  # a check decides calls of its own step, or of another step it names (layer URLs)
    if kinds and call.kind not in kinds and call.kind != "step":
        return False
    if f.target and f.target != call.target and any(c.target == f.target for c in calls if c.step == call.step):
        return False
    if f.resource:
        peers = [c for c in calls if c.kind == call.kind and f.resource in c.subjects]
        return not peers or call in peers
    return True


def _registry(image: ImageRef, where: Callable[[str, str | None], str]) -> str:
    """The lifeline an ECR image's registry calls go to: ecr.dkr (or ecr.dkr@region), or its dual-stack host."""
    return image.registry if image.dual_stack else where("ecr.dkr", image.region)


def _unique(items: object) -> list[str]:
    seen: list[str] = []
    for item in items:  # type: ignore[attr-defined]
        if item and item not in seen:
            seen.append(item)
    return seen


def _short_image(repository: str, tag: str | None, digest: str | None) -> str:
    name = repository.rsplit("/", 1)[-1]
    ref = f":{tag}" if tag else ""
    if digest:
        ref += f"@{digest[:19]}…" if len(digest) > 19 else f"@{digest}"
    return name + ref
