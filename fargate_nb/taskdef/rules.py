"""The ECS and Fargate rules the API model cannot express, each one as documented by AWS.

Sources: the member documentation in botocore's ECS model (``RegisterTaskDefinition``: ``cpu``,
``memory``, ``networkMode``, ``links``, ``hostPort``, ``hostname``, ``privileged``, ``pidMode``,
``ipcMode``, ``stopTimeout``, ``linuxParameters``, ``volumes``, ``logConfiguration``, ``essential``,
``image``), the developer guide pages "Amazon ECS task definition parameters" (task size table for
Fargate, including 8 and 16 vCPU), "Amazon ECS task execution IAM role", "Send Amazon ECS logs to
CloudWatch" and "Container image resolution". Every rule is defensive: the shape walker has already
reported wrong types, so a rule skips values of the wrong type instead of failing on them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any

from fargate_nb.pullflow import parse_image
from fargate_nb.taskdef.placeholders import has_placeholder
from fargate_nb.taskdef.shape import PARAMS_DOC, Problem, clean, join, show

TASK_SIZE_DOC = PARAMS_DOC + "#task_size"
NETWORK_DOC = PARAMS_DOC + "#network_mode"
EXEC_ROLE_DOC = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html"
AWSLOGS_DOC = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html"
IMAGE_DOC = ("https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-ecs.html"
             "#deployment-container-image-stability")
CONTAINER_DOC = PARAMS_DOC + "#container_definitions"

# Fargate task sizes (CPU units -> allowed MiB), from the "Task size" table; Windows allows 1-4 vCPU only.
FARGATE_SIZES: dict[int, list[int]] = {
    256: [512, 1024, 2048],
    512: list(range(1024, 4096 + 1, 1024)),
    1024: list(range(2048, 8192 + 1, 1024)),
    2048: list(range(4096, 16384 + 1, 1024)),
    4096: list(range(8192, 30720 + 1, 1024)),
    8192: list(range(16384, 61440 + 1, 4096)),
    16384: list(range(32768, 122880 + 1, 8192)),
}
WINDOWS_CPUS = (1024, 2048, 4096)
FARGATE_LOG_DRIVERS = ("awslogs", "splunk", "awsfirelens")
#: Task cpu on EC2 and external instances: "between 128 CPU units (0.125 vCPUs) and 196608 CPU units (192 vCPUs)"
#: (RegisterTaskDefinition, ``cpu``: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html).
EC2_CPU_RANGE = (128, 196608)
#: "memory must be greater than or equal to memoryReservation": the API reference says "greater than", but ECS
#: registers equal values (https://github.com/awsdocs/amazon-ecs-developer-guide/pull/242 and real task
#: definitions in tests/taskdefs/corpus), so only a smaller memory is a problem.
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
_DIGEST = re.compile(r"^sha256:[A-Fa-f0-9]{64}$")


_NUMBER = r"\s*(\d+(?:\.\d*)?|\.\d+)\s*"


def parse_cpu(value: Any) -> int | None:
    """Task cpu as CPU units: "256", "1024", "1 vCPU", "0.25 vcpu", ".5 vCPU". None when it cannot be read.

    RegisterTaskDefinition, ``cpu``: "expressed as an integer using CPU units (for example, 1024) or as a string
    using vCPUs (for example, 1 vCPU or 1 vcpu) ... converted to an integer indicating the CPU units when the task
    definition is registered" (the task-size table writes ".25 vCPU").
    """
    m = re.fullmatch(_NUMBER + r"(vcpus?)?\s*", str(value), re.IGNORECASE) if value is not None else None
    if not m:
        return None
    units = float(m.group(1)) * (1024 if m.group(2) else 1)
    return int(units) if math.isfinite(units) and units == int(units) else None  # "9"*400 is inf


def parse_memory(value: Any) -> int | None:
    """Task memory in MiB: "512", "2GB", "2 GB", "0.5 GB", ".5GB". None when it cannot be read.

    RegisterTaskDefinition, ``memory``: "expressed as an integer using MiB (for example, 1024) or as a string
    using GB (for example, 1GB or 1 GB) ... converted to an integer indicating the MiB when the task definition
    is registered". MiB/GiB spellings are read too (the linter must not invent an error), MB as MiB.
    """
    m = re.fullmatch(_NUMBER + r"(gb|gib|mb|mib)?\s*", str(value), re.IGNORECASE) if value is not None else None
    if not m:
        return None
    mib = float(m.group(1)) * (1024 if (m.group(2) or "").lower() in ("gb", "gib") else 1)
    return int(mib) if math.isfinite(mib) and mib == int(mib) else None


def task_size(td: dict[str, Any], member: str) -> int | None:
    """The task's cpu (CPU units) or memory (MiB) as ECS converts it; None when absent, a template or unreadable."""
    raw = td.get(member)
    if not isinstance(raw, str) or has_placeholder(raw):  # the API takes a string; the shape walker reports others
        return None
    return (parse_cpu if member == "cpu" else parse_memory)(raw)


def shown_size(td: dict[str, Any], member: str) -> str:
    """``"0.5 GB" (512 MiB)`` when the file used units, else the plain value: messages show both sides."""
    raw, value = td.get(member), task_size(td, member)
    unit = "CPU units" if member == "cpu" else "MiB"
    if value is None or not isinstance(raw, str) or raw.strip() == str(value):
        return str(value if value is not None else raw)
    return f"{show(raw)} ({value} {unit})"


def containers(td: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(path, display name, container) for each container definition that is an object."""
    defs = td.get("containerDefinitions")
    for i, c in enumerate(defs if isinstance(defs, list) else []):
        if isinstance(c, dict):
            name = clean(c["name"]) if isinstance(c.get("name"), str) and c["name"].strip() else f"#{i}"
            yield join("containerDefinitions", i), name, c


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


# -- rules for every task definition ---------------------------------------------------------------------------
def general_rules(td: dict[str, Any], *, fargate: bool) -> list[Problem]:
    """Rules for any launch type; with ``fargate``, the execution role is also needed for ECR and awslogs."""
    out: list[Problem] = []
    defs = td.get("containerDefinitions")
    if isinstance(defs, list) and not defs:
        out.append(Problem("containerDefinitions", "fail", "containerDefinitions is empty",
                           "A task definition needs at least one container definition.", fix="Add a container.",
                           doc_url=CONTAINER_DOC))
    essentials = 0
    for path, name, c in containers(td):
        for member in ("name", "image"):
            if not isinstance(c.get(member), str) or not c.get(member, "").strip():
                out.append(Problem(join(path, member), "fail", f"Container {name} has no {member}",
                                   f"Container {name} has no {member}; RegisterTaskDefinition rejects a container "
                                   f"definition without a {member}.", fix=f"Set {member}.", doc_url=CONTAINER_DOC))
        if c.get("essential", True) is not False:
            essentials += 1
        memory, reservation = _int(c.get("memory")), _int(c.get("memoryReservation"))
        if memory is not None and reservation is not None and memory < reservation:
            out.append(Problem(join(path, "memory"), "fail", f"Container {name}: memory is below memoryReservation",
                               f"Container {name}: memory (the hard limit) {memory} MiB is less than memoryReservation "
                               f"(the soft limit) {reservation} MiB.", fix="Raise memory or lower memoryReservation.",
                               doc_url=CONTAINER_DOC))
        templated = any(has_placeholder(c.get(k)) for k in ("memory", "memoryReservation"))
        if td.get("memory") is None and not fargate and not memory and not reservation and not templated:
            out.append(Problem(join(path, "memory"), "fail", f"Container {name} has no memory or memoryReservation",
                               f"Container {name}: with no task-level memory, ECS requires memory or memoryReservation "
                               "in each container (\"Invalid setting for container. At least one of 'memory' or "
                               "'memoryReservation' must be specified\").",
                               fix="Set memoryReservation (a soft limit) or memory on the container, or memory on the "
                                   "task.", doc_url=CONTAINER_DOC))
        for key, value in (("memory", memory), ("memoryReservation", reservation)):
            if value is not None and value < 6:
                out.append(Problem(join(path, key), "warn", f"Container {name}: {key} is below 6 MiB",
                                   f"Container {name}: {key} {value} MiB; Docker reserves at least 6 MiB for a "
                                   "container.", fix="Use at least 6 MiB.", doc_url=CONTAINER_DOC))
        out += _image_rules(path, name, c)
        out += _awslogs_rules(path, name, c)
    if isinstance(defs, list) and defs and essentials == 0:
        out.append(Problem("containerDefinitions", "fail", "No container is essential",
                           "All tasks must have at least one essential container (essential defaults to true).",
                           fix="Set essential to true on the main container.", doc_url=CONTAINER_DOC))
    out += _task_size_rules(td, fargate)
    out += _role_rules(td, fargate)
    out += _awsvpc_rules(td, fargate)
    return out


def _task_size_rules(td: dict[str, Any], fargate: bool) -> list[Problem]:
    """Task cpu and memory ECS can read (units allowed); on EC2, cpu within 128-196608 units."""
    out = []
    for member in ("cpu", "memory"):
        raw = td.get(member)
        if isinstance(raw, str) and not has_placeholder(raw) and task_size(td, member) is None:
            out.append(Problem(member, "fail", f"{member} cannot be read",
                               f"{member} is {show(raw)}; ECS reads CPU units (\"256\") or vCPU (\"0.25 vCPU\", "
                               "\"1 vcpu\") for cpu, and MiB (\"512\") or GB (\"0.5 GB\", \"2GB\") for memory "
                               "(\"Invalid 'cpu' setting for task\").", fix=f"Fix {member}.", doc_url=TASK_SIZE_DOC))
    cpu, memory = task_size(td, "cpu"), task_size(td, "memory")
    # Container cpu: "the total amount of CPU reserved for all containers within a task [must] be lower than the
    # task-level cpu value"; memory: "The sum of all container 'memoryReservation' values cannot be greater than the
    # value of the task 'memory'" (ContainerDefinition cpu and memory; ECS's ClientException).
    total_cpu = sum(_int(c.get("cpu")) or 0 for _, _, c in containers(td))
    if cpu is not None and total_cpu > cpu:
        out.append(Problem("containerDefinitions", "fail", "The containers reserve more CPU than the task has",
                           f"The containers' cpu add up to {total_cpu} CPU units, more than the task's "
                           f"{shown_size(td, 'cpu')}.", fix="Lower container cpu or raise task cpu.", doc_url=PARAMS_DOC))
    total_mem = sum(_int(c.get("memoryReservation")) or _int(c.get("memory")) or 0 for _, _, c in containers(td))
    if memory is not None and total_mem > memory:
        out.append(Problem("containerDefinitions", "fail", "The containers reserve more memory than the task has",
                           f"The containers' memoryReservation (or memory) add up to {total_mem} MiB, more than the "
                           f"task's {shown_size(td, 'memory')}.", fix="Lower container memory or raise task memory.",
                           doc_url=PARAMS_DOC))
    low, high = EC2_CPU_RANGE
    if not fargate and cpu is not None and not low <= cpu <= high:
        out.append(Problem("cpu", "fail", f"cpu {shown_size(td, 'cpu')} is outside {low}-{high} CPU units",
                           f"On EC2 and external instances the task cpu is between {low} CPU units (0.125 vCPU) and "
                           f"{high} (192 vCPU); cpu is {shown_size(td, 'cpu')}.", fix=f"Use {low} to {high}.",
                           doc_url=TASK_SIZE_DOC))
    return out


def _image_rules(path: str, name: str, c: dict[str, Any]) -> list[Problem]:
    image = c.get("image")
    where = join(path, "image")
    if not isinstance(image, str) or not image.strip() or has_placeholder(image):
        return []  # a template's image (CodePipeline's <IMAGE1_NAME>, ${IMAGE}) is only known once filled in
    out = []
    before_digest, _, digest = image.partition("@")
    if image != image.strip() or re.search(r"\s", image):
        out.append(Problem(where, "fail", f"Container {name}: the image reference contains whitespace",
                           f"Container {name}: the image reference {show(image)} contains whitespace; the pull fails "
                           "with \"invalid reference format\".", fix="Remove the whitespace.", doc_url=CONTAINER_DOC))
    if len(before_digest) > 255:
        out.append(Problem(where, "fail", f"Container {name}: the image reference is too long",
                           f"Container {name}: up to 255 characters are allowed before any @digest.",
                           fix="Shorten the repository name or tag.", doc_url=CONTAINER_DOC))
    if digest and not _DIGEST.match(digest):
        out.append(Problem(where, "fail", f"Container {name}: the image digest is malformed",
                           f"Container {name}: the digest must be sha256: followed by 64 hexadecimal characters; got "
                           f"{show(digest)}.", fix="Copy the digest from the registry (imageDigest).",
                           doc_url=CONTAINER_DOC))
    ref = parse_image(image)
    if re.search(r"[A-Z]", ref.repository):
        out.append(Problem(where, "fail", f"Container {name}: the repository name has upper-case letters",
                           f"Container {name}: repository {show(ref.repository)} must be lower case; the pull fails "
                           "with \"invalid reference format\".", fix="Use the lower-case repository name.",
                           doc_url=CONTAINER_DOC))
    if not digest and ref.tag == "latest":
        told = "has no tag, so it means :latest" if ":" not in image.rsplit("/", 1)[-1] else "uses :latest"
        if c.get("versionConsistency") == "disabled":
            why = ("versionConsistency is disabled, so each task pulls whatever the tag points to when it starts: "
                   "tasks of one service can run different images.")
        else:
            why = ("For a service, ECS resolves the tag to a digest when a deployment starts (versionConsistency) and "
                   "every task of that deployment pulls that digest: a re-pushed tag needs a new deployment, and "
                   "tasks fail with \"failed to resolve ref\" once the image behind the digest is deleted.")
        out.append(Problem(where, "warn", f"Container {name}: the image uses the mutable tag latest",
                           f"Container {name}: {show(image)} {told}. {why}",
                           fix="Deploy an immutable tag (a version or commit id) or a digest.", doc_url=IMAGE_DOC))
    return out


def _awslogs_rules(path: str, name: str, c: dict[str, Any]) -> list[Problem]:
    log = c.get("logConfiguration")
    if not isinstance(log, dict) or log.get("logDriver") != "awslogs":
        return []
    options = log.get("options") if isinstance(log.get("options"), dict) else {}
    out = []
    for option in ("awslogs-group", "awslogs-region"):
        if not options.get(option):
            where = join(join(join(path, "logConfiguration"), "options"), option)
            out.append(Problem(where, "fail", f"Container {name}: awslogs needs {option}",
                               f"Container {name} uses awslogs without {option}; the awslogs driver requires it "
                               "(\"failed to validate logger args\").", fix=f"Set {option}.", doc_url=AWSLOGS_DOC))
    return out


def _role_rules(td: dict[str, Any], fargate: bool) -> list[Problem]:
    out = []
    for member in ("executionRoleArn", "taskRoleArn"):
        value = td.get(member)
        if isinstance(value, str) and value and not _ROLE_ARN.match(value) and not has_placeholder(value):
            out.append(Problem(member, "warn", f"{member} is not an IAM role ARN",
                               f"{member} is {show(value)}; expected arn:aws:iam::ACCOUNT:role/NAME.",
                               fix="Use the role's full ARN (aws iam get-role --role-name NAME --query Role.Arn).",
                               doc_url=EXEC_ROLE_DOC))
    needs = []
    for _path, name, c in containers(td):
        if isinstance(c.get("secrets"), list) and c["secrets"]:
            needs.append(f"container {name} has secrets")
        if isinstance(c.get("repositoryCredentials"), dict):
            needs.append(f"container {name} uses repositoryCredentials")
        log = c.get("logConfiguration")
        if isinstance(log, dict) and isinstance(log.get("secretOptions"), list) and log["secretOptions"]:
            needs.append(f"container {name} has log secretOptions")
        image = c.get("image")
        if fargate and isinstance(image, str) and image.strip() and not has_placeholder(image) \
                and parse_image(image.strip()).ecr:
            needs.append(f"container {name} pulls from a private ECR repository")
        if fargate and isinstance(log, dict) and log.get("logDriver") == "awslogs":
            needs.append(f"container {name} uses the awslogs log driver")
    if needs and not td.get("executionRoleArn"):
        out.append(Problem("executionRoleArn", "fail", "The task needs an execution role and has none",
                           f"The task execution role is what pulls private ECR images on Fargate, writes awslogs "
                           f"streams, and reads secrets and registry credentials ({'; '.join(needs)}); "
                           "executionRoleArn is not set.",
                           fix="Create a role trusted by ecs-tasks.amazonaws.com with AmazonECSTaskExecutionRolePolicy "
                               "plus read access to the secrets, and set executionRoleArn.", doc_url=EXEC_ROLE_DOC))
    return out


def _awsvpc_rules(td: dict[str, Any], fargate: bool) -> list[Problem]:
    """Network-mode rules. Without networkMode the task runs in bridge mode on EC2 (Linux), so links are fine
    there; on Fargate, awsvpc is required and the Fargate rules report networkMode and links themselves."""
    given = td.get("networkMode")
    mode = given if isinstance(given, str) and given and not has_placeholder(given) else None
    effective = mode or "bridge"
    out = []
    for path, name, c in containers(td):
        if mode == "awsvpc" and isinstance(c.get("hostname"), str):
            out.append(Problem(join(path, "hostname"), "fail", f"Container {name}: hostname is not supported in awsvpc",
                               "The hostname parameter is not supported with the awsvpc network mode.",
                               fix="Remove hostname.", doc_url=NETWORK_DOC))
        if not fargate and effective != "bridge" and isinstance(c.get("links"), list) and c["links"]:
            out.append(Problem(join(path, "links"), "fail", f"Container {name}: links need the bridge network mode",
                               f"links is only supported when networkMode is bridge; networkMode is {show(mode)}. In "
                               f"{mode} mode containers of a task reach each other on "
                               f"{'localhost' if mode in ('awsvpc', 'host') else 'no link'}.",
                               fix="Remove links (containers of an awsvpc or host task use localhost:PORT), or set "
                                   "networkMode to bridge.", doc_url=NETWORK_DOC))
        if effective == "bridge" and isinstance(c.get("links"), list):
            out += _link_targets(td, path, name, c["links"])
        ports = c.get("portMappings")
        for i, pm in enumerate(ports if isinstance(ports, list) else []):
            if not isinstance(pm, dict) or mode not in ("awsvpc", "host"):
                continue
            host, container = _int(pm.get("hostPort")), _int(pm.get("containerPort"))
            if host is not None and container is not None and host != container:
                where = join(join(join(path, "portMappings"), i), "hostPort")
                out.append(Problem(where, "fail", f"Container {name}: hostPort must equal containerPort in {mode} mode",
                                   f"Container {name}: hostPort {host} differs from containerPort {container}; with the "
                                   f"{mode} network mode the host port is left out or equals the container port.",
                                   fix="Remove hostPort (or set it to containerPort).", doc_url=NETWORK_DOC))
    return out


def _link_targets(td: dict[str, Any], path: str, name: str, links: list[Any]) -> list[Problem]:
    """A link (``name:alias``) names another container of the task; Docker cannot link to one that is not there."""
    names = {c.get("name") for _, _, c in containers(td) if isinstance(c.get("name"), str)}
    out = []
    for i, link in enumerate(links):
        if not isinstance(link, str) or has_placeholder(link):
            continue
        target = link.split(":", 1)[0]
        if target and target not in names:
            out.append(Problem(join(join(path, "links"), i), "warn",
                               f"Container {name}: link target {clean(target)} is not a container of this task",
                               f"links entries are name:alias, where name is another container in this task definition; "
                               f"no container is named {show(target)}, so the container cannot start with this link.",
                               fix=f"Use one of the container names: {', '.join(sorted(str(n) for n in names if n))}.",
                               doc_url=CONTAINER_DOC))
    return out
