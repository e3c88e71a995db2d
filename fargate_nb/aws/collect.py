"""Collect the live state around one task (or one service) into a `Snapshot`. Read-only.

The run is one graph of small jobs on a thread pool: the caller identity and the subject
(DescribeTasks / DescribeServices) first; the task definition then fans out into IAM, ECR,
secrets, KMS and log groups (what to read comes from `fargate_nb.pullflow.plan`), while the
task's network configuration fans out into the VPC reads. Parts are assembled at the end.
Clients are created when a job first needs one (`AwsContext.client`, under its lock: sessions are
not thread-safe), so a task without secrets never pays for the Secrets Manager, SSM or KMS client.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Any

from fargate_nb import __version__
from fargate_nb.aws import arns
from fargate_nb.aws.calls import Job, job_name, jsonable, run_jobs
from fargate_nb.aws.collect_ecr import assemble_ecr, ecr_jobs
from fargate_nb.aws.collect_iam import assemble_roles, role_jobs
from fargate_nb.aws.collect_network import assemble_network, network_jobs
from fargate_nb.aws.collect_secrets import assemble_secrets, log_group_jobs, secret_jobs
from fargate_nb.aws.errors import AwsUnavailableError, InvalidInputError, SubjectNotFoundError
from fargate_nb.aws.session import AwsContext
from fargate_nb.aws.state import Collection
from fargate_nb.model import Snapshot
from fargate_nb.pullflow import plan as pull_plan


def describe_task_params(cluster: str, task: str) -> dict[str, Any]:
    """The parameters of the collector's ``DescribeTasks`` of one task (a batch of tasks seeds its answer)."""
    return {"cluster": cluster, "tasks": [task], "include": ["TAGS"]}


def describe_service_params(cluster: str, name: str) -> dict[str, Any]:
    """The parameters of the collector's ``DescribeServices`` of one service (an audit seeds its answer)."""
    return {"cluster": cluster, "services": [name], "include": ["TAGS"]}


def describe_task_definition_params(task_definition: str) -> dict[str, Any]:
    """The parameters of the collector's ``DescribeTaskDefinition`` of one revision (an audit seeds its answer)."""
    return {"taskDefinition": task_definition, "include": ["TAGS"]}


def collect(ctx: AwsContext, cluster: str, task: str | None = None, service: str | None = None,
            *, simulate: bool = True) -> Snapshot:
    """Read everything one image pull depends on, for a task (any state) or a service.

    Raises `InvalidInputError` (a ValueError) for malformed input, `SubjectNotFoundError` when
    the task/service/cluster does not exist, `AwsUnavailableError` without credentials, or when no
    call at all was answered as AWS answers (unreachable, silent, or not AWS). Denied, throttled,
    failing, timed-out or unreachable calls become ``snapshot.gaps``; the rest is still collected.
    A subject that could not be read leaves ``snapshot.task``/``service``/``task_definition`` empty
    with the gap that says why; the diagnosis then says nothing could be checked.
    """
    if bool(task) == bool(service):
        raise InvalidInputError("give exactly one of a task or a service to collect")
    cluster_name = arns.cluster_name(cluster, ctx.region)
    subject: dict[str, Any] = {"kind": "task" if task else "service", "cluster": cluster_name,
                               "task": None, "service": None}
    if task:
        subject["task"] = arns.task_ref(task, cluster_name, ctx.region)
    else:
        subject["service"] = arns.service_name(service, cluster_name, ctx.region)
    snap = Snapshot(region=ctx.region, partition=ctx.partition, subject=subject,
                    collector=f"fargate-nb {__version__}")
    col = Collection(ctx, snap)
    col.parts["simulate"] = simulate
    first: list[Job] = [partial(caller_identity, col)]
    if task:
        first.append(partial(_describe_task, col, cluster_name, subject["task"]))
    else:
        first.append(partial(describe_service, col, cluster_name, subject["service"]))
    run_collection(col, first)
    return snap


def run_collection(col: Collection, first: list[Job]) -> None:
    """Run the job graph from ``first``, then assemble the snapshot; `AwsUnavailableError` if nothing answered."""
    ctx = col.ctx
    run_jobs(first, max_workers=ctx.max_workers, on_error=partial(internal_error, col))
    if col.caller.reached_nothing:
        where = ctx.endpoint_url or "the AWS endpoints"
        raise AwsUnavailableError(
            f"AWS is unreachable or {where} is not AWS: no call was answered as AWS answers "
            f"({'; '.join(col.caller.unreached[:2])}). Check the network, --endpoint-url / AWS_ENDPOINT_URL "
            "and --region")
    finish(col)


def internal_error(col: Collection, job: Job, exc: Exception) -> None:
    col.gap("fargate-nb:collector", f"internal error in {job_name(job)}: {type(exc).__name__}: {exc}"[:500])


# -- who and what ----------------------------------------------------------------------------------
def caller_identity(col: Collection) -> None:
    out = col.call("sts", "GetCallerIdentity")
    if out.ok:
        col.snap.caller = {k: out.data.get(k) for k in ("Account", "Arn", "UserId")}


def _not_found_cluster(col: Collection, cluster: str) -> SubjectNotFoundError:
    return SubjectNotFoundError(f"cluster {cluster!r} was not found in {col.ctx.region}: check --cluster and --region")


def _describe_task(col: Collection, cluster: str, task: str) -> list[Job]:
    out = col.call("ecs", "DescribeTasks", resource=task, **describe_task_params(cluster, task))
    if out.missing:
        raise _not_found_cluster(col, cluster)
    if not out.ok:
        return []
    found = out.data.get("tasks") or []
    wanted = task.rsplit("/", 1)[-1]
    found = [t for t in found if str(t.get("taskArn", "")).rsplit("/", 1)[-1] == wanted] or found
    if not found:
        raise SubjectNotFoundError(
            f"task {task!r} was not found in cluster {cluster!r} ({col.ctx.region}). Stopped tasks stay "
            "visible in DescribeTasks for only about an hour: diagnose its service instead "
            f"(--service NAME --cluster {cluster}) or a snapshot saved while the task was visible (--snapshot FILE)")
    col.snap.task = jsonable(found[0])
    record = col.snap.redact().task  # run-task override environment values never enter the evidence
    col.snap.subject["task"] = record.get("taskArn") or task
    _adopt_account(col, record.get("taskArn"))
    jobs: list[Job] = [partial(_task_network, col, cluster, record)]
    if record.get("taskDefinitionArn"):
        jobs.append(partial(describe_task_definition, col, record["taskDefinitionArn"]))
    return jobs


def describe_service(col: Collection, cluster: str, name: str, *, for_task: dict[str, Any] | None = None,
                      network_only: bool = False) -> list[Job]:
    out = col.call("ecs", "DescribeServices", resource=name, **describe_service_params(cluster, name))
    if out.missing and for_task is None:
        raise _not_found_cluster(col, cluster)
    if not out.ok:
        return network_jobs(col, **_attachment_network(for_task)) if for_task else []
    services = out.data.get("services") or []
    if not services:
        if for_task is not None:
            return network_jobs(col, **_attachment_network(for_task))
        raise SubjectNotFoundError(f"service {name!r} was not found in cluster {cluster!r} ({col.ctx.region})")
    svc = jsonable(services[0])
    col.snap.service = svc
    _adopt_account(col, svc.get("serviceArn"))
    td_arn = (for_task or {}).get("taskDefinitionArn") or _primary(svc).get("taskDefinition") or svc.get("taskDefinition")
    deployment = next((d for d in svc.get("deployments") or [] if d.get("taskDefinition") == td_arn), None)
    netconf = ((deployment or _primary(svc)).get("networkConfiguration") or svc.get("networkConfiguration") or {})
    awsvpc = netconf.get("awsvpcConfiguration") or {}
    jobs: list[Job] = []
    if for_task is None and td_arn and not network_only:
        jobs.append(partial(describe_task_definition, col, td_arn))
    if awsvpc:
        public = awsvpc.get("assignPublicIp")
        jobs += network_jobs(col, subnet_ids=list(awsvpc.get("subnets") or []),
                             security_group_ids=list(awsvpc.get("securityGroups") or []),
                             assign_public_ip=None if public is None else public == "ENABLED",
                             source="service")
    elif for_task is not None:
        jobs += network_jobs(col, **_attachment_network(for_task))
    return jobs


def _primary(svc: dict[str, Any]) -> dict[str, Any]:
    return next((d for d in svc.get("deployments") or [] if d.get("status") == "PRIMARY"), {})


def _eni_details(task: dict[str, Any]) -> dict[str, str]:
    for attachment in task.get("attachments") or []:
        if attachment.get("type") in ("ElasticNetworkInterface", "eni"):
            return {d.get("name"): d.get("value") for d in attachment.get("details") or [] if d.get("name")}
    return {}


def _attachment_network(task: dict[str, Any]) -> dict[str, Any]:
    """What the task's ENI attachment still tells once the ENI is gone: the subnet, nothing more."""
    subnet = _eni_details(task).get("subnetId")
    return {"subnet_ids": [subnet] if subnet else [], "security_group_ids": None, "assign_public_ip": None,
            "source": "task-attachment"}


def _task_network(col: Collection, cluster: str, task: dict[str, Any]) -> list[Job]:
    """The task's ENI if it still exists; else the service's network configuration; else the attachment."""
    details = _eni_details(task)
    eni_id = details.get("networkInterfaceId")
    if not details:
        return []  # not awsvpc: nothing to read
    if eni_id:
        out = col.call("ec2", "DescribeNetworkInterfaces", resource=eni_id,
                       Filters=[{"Name": "network-interface-id", "Values": [eni_id]}])
        enis = (out.data or {}).get("NetworkInterfaces") or []
        if enis:
            eni = jsonable(enis[0])
            return network_jobs(
                col, subnet_ids=[eni.get("SubnetId") or details.get("subnetId")],
                security_group_ids=[g.get("GroupId") for g in eni.get("Groups") or []],
                assign_public_ip=bool((eni.get("Association") or {}).get("PublicIp")),
                vpc_id=eni.get("VpcId"), eni=eni, source="task-eni")
    group = str(task.get("group") or "")
    if group.startswith("service:") and arns.NAME_RE.match(group[len("service:"):]):
        return [partial(describe_service, col, cluster, group[len("service:"):], for_task=task)]
    return network_jobs(col, **_attachment_network(task))


def describe_task_definition(col: Collection, td_arn: str, *, required: bool = False) -> list[Job]:
    """Read the task definition, then what its pull needs. Not found is a gap; with ``required``
    (a preflight of ``family:revision``), it is a `SubjectNotFoundError`."""
    out = col.call("ecs", "DescribeTaskDefinition", resource=td_arn, **describe_task_definition_params(td_arn))
    if required and (out.missing or (out.code or "").endswith("ClientException")):
        raise SubjectNotFoundError(f"task definition {td_arn!r} was not found in {col.ctx.region}")
    if not out.ok:
        if out.missing:
            col.gap("ecs:DescribeTaskDefinition", "the task definition does not exist (deleted)", td_arn)
        return []
    return task_definition_jobs(col, out.data.get("taskDefinition") or {})


def task_definition_jobs(col: Collection, task_definition: dict[str, Any]) -> list[Job]:
    """Store the task definition (redacted) and start reading what its pull needs."""
    col.snap.task_definition = jsonable(task_definition)
    col.snap.redact()  # values no check needs never enter the evidence
    _adopt_account(col, col.snap.task_definition.get("taskDefinitionArn"))
    plan = pull_plan(col.snap)
    jobs = role_jobs(col, plan, simulate=bool(col.parts.get("simulate", True)))
    jobs += ecr_jobs(col, plan) + secret_jobs(col, plan) + log_group_jobs(col, plan)
    return jobs


def _adopt_account(col: Collection, arn: Any) -> None:
    parsed = arns.parse_arn(arn)
    if parsed and parsed.account and parsed.account != "aws":
        col.snap.account = col.snap.account or parsed.account
        col.snap.partition = parsed.partition


def finish(col: Collection) -> None:
    snap = col.snap
    if not snap.account and snap.caller:
        snap.account = snap.caller.get("Account")
    assemble_roles(col)
    assemble_ecr(col, pull_plan(snap))
    assemble_secrets(col)
    assemble_network(col)
    snap.gaps = list(col.caller.gaps)
    snap.collected_at = datetime.now(UTC).replace(microsecond=0).isoformat()
