"""The evidence appendix of a postmortem: what was read, in short tables (full detail in the JSON).

Every value comes from AWS and is escaped by the Markdown table helpers.
"""

from __future__ import annotations

from typing import Any

from fargate_nb.model import Snapshot
from fargate_nb.views.markdown import Raw, code_span, md_escape, table

EVENT_LIMIT = 5


def _yes_no(value: Any) -> str:
    return {True: "yes", False: "no", None: "unknown"}.get(value, str(value))


def _exists(value: Any) -> str:
    return "not found" if value is None else "read"


def task_part(snapshot: Snapshot) -> str:
    task = snapshot.task or {}
    if not task:
        return ""
    rows = [(key, task.get(key)) for key in ("taskArn", "lastStatus", "desiredStatus", "launchType",
                                             "platformVersion", "taskDefinitionArn", "stopCode",
                                             "stoppedReason", "group", "availabilityZone")
            if task.get(key) not in (None, "")]
    out = ["### Task", "", table(("field", "value"), rows)]
    containers = task.get("containers") or []
    if containers:
        out += ["", table(("container", "image", "last status", "exit code", "reason"),
                          ((c.get("name"), c.get("image"), c.get("lastStatus"), c.get("exitCode", "-"),
                            c.get("reason") or "-") for c in containers))]
    return "\n".join(out)


def service_part(snapshot: Snapshot) -> str:
    service = snapshot.service or {}
    if not service:
        return ""
    rows = [(key, service.get(key)) for key in ("serviceArn", "status", "taskDefinition", "desiredCount",
                                                "runningCount", "pendingCount", "platformVersion")
            if service.get(key) not in (None, "")]
    out = ["### Service", "", table(("field", "value"), rows)]
    events = (service.get("events") or [])[:EVENT_LIMIT]
    if events:
        out += ["", "Recent service events:", "",
                table(("time", "message"), ((e.get("createdAt"), e.get("message")) for e in events))]
    return "\n".join(out)


def taskdef_part(snapshot: Snapshot) -> str:
    td = snapshot.task_definition or {}
    if not td:
        return "### Task definition\n\nThe task definition could not be read."
    family = f"{td.get('family', '?')}:{td.get('revision', '?')}"
    rows = [("family:revision", family)]
    rows += [(key, td.get(key)) for key in ("executionRoleArn", "taskRoleArn", "networkMode", "cpu", "memory")
             if td.get(key) not in (None, "")]
    platform = td.get("runtimePlatform") or {}
    if platform:
        rows.append(("runtimePlatform", f"{platform.get('operatingSystemFamily', '?')} / "
                                        f"{platform.get('cpuArchitecture', '?')}"))
    out = ["### Task definition", "", table(("field", "value"), rows), ""]
    containers = []
    for c in td.get("containerDefinitions") or []:
        log = c.get("logConfiguration") or {}
        opts = log.get("options") or {}
        logging = f"{log.get('logDriver')} {opts.get('awslogs-group', '')}".strip() if log else "-"
        creds = (c.get("repositoryCredentials") or {}).get("credentialsParameter") or "-"
        containers.append((c.get("name"), c.get("image"), creds, len(c.get("secrets") or []), logging))
    out.append(table(("container", "image", "registry credentials", "secrets", "logging"), containers))
    return "\n".join(out)


def resources_part(snapshot: Snapshot) -> str:
    """Roles, images, repositories, secrets, parameters, keys and log groups that were looked up."""
    rows: list[tuple[Any, ...]] = []
    for arn, role in snapshot.roles.items():
        if role is None:
            rows.append(("IAM role", arn, "not found"))
            continue
        attached = ", ".join(p.get("PolicyName") or p.get("PolicyArn") or "?" for p in role.get("AttachedPolicies") or [])
        inline = ", ".join(role.get("InlinePolicies") or {})
        boundary = "boundary set" if role.get("PermissionsBoundary") else ""
        detail = "; ".join(x for x in (f"attached: {attached}" if attached else "",
                                       f"inline: {inline}" if inline else "", boundary) if x)
        rows.append(("IAM role", arn, detail or "read, no policies"))
    for ref, image in snapshot.images.items():
        if image is None:
            rows.append(("image", ref, "not found"))
            continue
        platforms = ", ".join(f"{p.get('os')}/{p.get('architecture')}" for p in image.get("platforms") or [])
        found = {True: "found", False: "not found", None: "not checked"}.get(image.get("found"), "?")
        rows.append(("image", ref, found + (f" ({platforms})" if platforms else "")))
    for arn, repo in snapshot.repositories.items():
        policy = "" if repo is None else ("; repository policy set" if repo.get("Policy") else "; no repository policy")
        rows.append(("ECR repository", arn, _exists(repo) + policy))
    for name, secret in snapshot.secrets.items():
        deleted = secret and secret.get("DeletedDate")
        rows.append(("secret", name, "scheduled for deletion" if deleted else _exists(secret)))
    for name, param in snapshot.parameters.items():
        rows.append(("SSM parameter", name, _exists(param)))
    for arn, key in snapshot.kms_keys.items():
        meta = (key or {}).get("KeyMetadata") or {}
        rows.append(("KMS key", arn, f"{meta.get('KeyManager', '?')} key, {meta.get('KeyState', '?')}" if key else "not found"))
    for name, group in snapshot.log_groups.items():
        rows.append(("log group", name, _exists(group)))
    if not rows:
        return ""
    return "\n".join(["### Resources looked up", "", table(("kind", "name", "state"), rows)])


def network_part(snapshot: Snapshot) -> str:
    net = snapshot.network or {}
    if not net:
        return "### Network\n\nNo awsvpc network configuration was read."
    vpc = net.get("vpc") or {}
    rows = [("public IP", _yes_no(net.get("assign_public_ip"))),
            ("subnets", ", ".join(net.get("subnet_ids") or []) or "-"),
            ("security groups", ", ".join(net.get("security_group_ids") or []) or "-"),
            ("VPC", vpc.get("VpcId") or "-"),
            ("VPC DNS support / hostnames", f"{_yes_no(vpc.get('EnableDnsSupport'))} / "
                                            f"{_yes_no(vpc.get('EnableDnsHostnames'))}"),
            ("internet gateways", len(net.get("internet_gateways") or [])),
            ("NAT gateways", len(net.get("nat_gateways") or []))]
    out = ["### Network", "", table(("field", "value"), rows)]
    endpoints = net.get("vpc_endpoints") or []
    if endpoints:
        out += ["", table(("VPC endpoint", "service", "type", "private DNS", "state"),
                          ((Raw(code_span(e.get("VpcEndpointId"))), e.get("ServiceName"), e.get("VpcEndpointType"),
                            _yes_no(e.get("PrivateDnsEnabled")), e.get("State")) for e in endpoints))]
    return "\n".join(out)


def evidence_appendix(snapshot: Snapshot, snapshot_file: str | None = None) -> str:
    """All parts, with a pointer to the complete evidence file."""
    where = (f"The complete evidence is in {code_span(snapshot_file)}; "
             "`fargate-nb diagnose --snapshot` re-diagnoses it offline.") if snapshot_file else ""
    caller = (snapshot.caller or {}).get("Arn")
    intro = (f"Collected {md_escape(snapshot.collected_at or 'at an unknown time')} by "
             f"{md_escape(snapshot.collector or 'fargate-nb')}"
             + (f" as {code_span(caller)}" if caller else "") + ". " + where)
    parts = [intro.strip(), task_part(snapshot), service_part(snapshot), taskdef_part(snapshot),
             resources_part(snapshot), network_part(snapshot)]
    return "\n\n".join(p for p in parts if p) + "\n"
