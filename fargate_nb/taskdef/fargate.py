"""Fargate's own rules for a task definition (applied when linting for Fargate or when it requires FARGATE).

Each rule quotes the ECS model's member documentation or the developer guide page "Amazon ECS task
definition differences for Fargate" (its list of parameters that are not valid on Fargate, and the limits of
``linuxParameters``, ``volumes`` and Windows ``cpu``); sources of the general rules are in `rules.py`.
"""

from __future__ import annotations

from typing import Any

from fargate_nb.taskdef.placeholders import has_placeholder
from fargate_nb.taskdef.rules import (
    AWSLOGS_DOC,
    FARGATE_LOG_DRIVERS,
    FARGATE_SIZES,
    NETWORK_DOC,
    PARAMS_DOC,
    TASK_SIZE_DOC,
    WINDOWS_CPUS,
    _int,
    containers,
    shown_size,
    task_size,
)
from fargate_nb.taskdef.shape import Problem, clean, join, jq_del, show

FARGATE_DOC = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html"
#: Container-definition members the Fargate differences page lists as not valid on Fargate.
NOT_ON_FARGATE = ("disableNetworking", "dnsSearchDomains", "dnsServers", "dockerSecurityOptions", "extraHosts")
#: linuxParameters members Fargate does not support (the differences page and the ECS model).
LINUX_NOT_ON_FARGATE = ("devices", "sharedMemorySize", "tmpfs", "maxSwap", "swappiness")


def _gb(mib: int) -> str:
    return f"{mib // 1024} GB" if mib % 1024 == 0 else f"{mib / 1024:g} GB"


def size_table() -> str:
    """The valid Fargate cpu/memory pairs, one line per cpu value."""
    lines = []
    for cpu, mems in FARGATE_SIZES.items():
        step = mems[1] - mems[0] if len(mems) > 2 else None
        span = ", ".join(str(m) for m in mems) if len(mems) <= 3 else \
            f"{mems[0]} to {mems[-1]} in steps of {step} ({_gb(mems[0])} to {_gb(mems[-1])})"
        lines.append(f"cpu {cpu} ({cpu / 1024:g} vCPU): memory {span}")
    return "; ".join(lines) + " (8 and 16 vCPU need Linux platform version 1.4.0 or later)"


def _size_fix(cpu: int, memory: int) -> str:
    """Both ways out of an invalid pair: memory that fits this cpu, or cpu that fits this memory."""
    fix = f"Use memory {FARGATE_SIZES[cpu][0]} to {FARGATE_SIZES[cpu][-1]} MiB with cpu {cpu}"
    cpus = [str(c) for c, mems in FARGATE_SIZES.items() if memory in mems]
    return fix + (f", or keep memory {memory} with cpu {' or '.join(cpus)}." if cpus else ".")


def fargate_rules(td: dict[str, Any], *, declared: bool) -> list[Problem]:
    """Problems that stop this task definition from running on Fargate. ``declared``: it requires FARGATE."""
    out: list[Problem] = []
    compat = td.get("requiresCompatibilities")
    if not declared and isinstance(compat, list) and compat and not any(has_placeholder(c) for c in compat):
        out.append(Problem("requiresCompatibilities", "warn", "requiresCompatibilities does not include FARGATE",
                           f"requiresCompatibilities is {show(compat)}: ECS does not validate it for Fargate, and "
                           "RunTask or a service with launch type FARGATE rejects it if it is not compatible.",
                           fix='Add "FARGATE" to requiresCompatibilities.', doc_url=FARGATE_DOC))
    mode = td.get("networkMode")
    if mode != "awsvpc" and not has_placeholder(mode):
        out.append(Problem("networkMode", "fail", "Fargate requires networkMode awsvpc",
                           f"networkMode is {show(mode) if mode is not None else 'not set (so bridge)'}; for ECS tasks "
                           "on Fargate the awsvpc network mode is required.", fix='Set "networkMode": "awsvpc".',
                           commands=["jq '.networkMode = \"awsvpc\"'"], doc_url=NETWORK_DOC))
    out += _size_rules(td)
    if td.get("ipcMode"):
        out.append(Problem("ipcMode", "fail", "ipcMode is not supported on Fargate",
                           "The ipcMode parameter is not supported for tasks run on Fargate.", fix="Remove ipcMode.",
                           doc_url=PARAMS_DOC))
    if td.get("placementConstraints"):
        out.append(Problem("placementConstraints", "fail", "placementConstraints is not valid on Fargate",
                           "placementConstraints is one of the task definition parameters that are not valid in "
                           "Fargate tasks (Fargate spreads tasks across Availability Zones itself).",
                           fix="Remove placementConstraints.", commands=[jq_del("placementConstraints")],
                           doc_url=FARGATE_DOC))
    if td.get("pidMode") not in (None, "", "task") and not has_placeholder(td.get("pidMode")):
        out.append(Problem("pidMode", "fail", "pidMode must be task on Fargate",
                           f"pidMode is {show(td.get('pidMode'))}; on Fargate for Linux containers the only valid value "
                           "is task.", fix='Set "pidMode": "task" or remove it.', doc_url=PARAMS_DOC))
    volumes = td.get("volumes")
    for i, v in enumerate(volumes if isinstance(volumes, list) else []):
        if not isinstance(v, dict):
            continue
        path = join("volumes", i)
        if isinstance(v.get("host"), dict) and v["host"].get("sourcePath"):
            out.append(Problem(join(join(path, "host"), "sourcePath"), "fail", "host sourcePath is not supported on "
                               "Fargate", "Bind mounts from a host path are not supported by Fargate; leave out "
                               "sourcePath for a task-scoped volume.", fix="Remove host.sourcePath.", doc_url=PARAMS_DOC))
        if isinstance(v.get("dockerVolumeConfiguration"), dict):
            out.append(Problem(join(path, "dockerVolumeConfiguration"), "fail", "Docker volumes are not supported on "
                               "Fargate", "Docker volumes aren't supported by tasks run on Fargate; use EFS or a "
                               "task-scoped bind mount.", fix="Use efsVolumeConfiguration or a plain volume.",
                               doc_url=PARAMS_DOC))
    size = td.get("ephemeralStorage")
    gib = _int(size.get("sizeInGiB")) if isinstance(size, dict) else None
    if gib is not None and not 21 <= gib <= 200:
        out.append(Problem("ephemeralStorage.sizeInGiB", "fail", "ephemeralStorage.sizeInGiB is out of range",
                           f"sizeInGiB is {gib}; Fargate supports 21 to 200 GiB.", fix="Use 21 to 200.",
                           doc_url=PARAMS_DOC))
    for path, name, c in containers(td):
        out += _container_rules(path, name, c)
    return out


def _size_rules(td: dict[str, Any]) -> list[Problem]:
    """Task cpu and memory present and a Fargate pair, judged on the values ECS converts them to."""
    out: list[Problem] = []
    missing = [member for member in ("cpu", "memory") if td.get(member) is None]
    if missing:  # one finding, so the size table is printed once even for {}
        what = " and ".join(missing)
        out.append(Problem(missing[0], "fail", f"Fargate requires task-level {what}",
                           f"Task-level {what} {'are' if len(missing) > 1 else 'is'} required for Fargate. Valid "
                           f"sizes: {size_table()}.",
                           fix=f"Set {what} (for example cpu \"256\" with memory \"512\", or \"0.25 vCPU\" with "
                               "\"0.5 GB\").", doc_url=TASK_SIZE_DOC))
    cpu, memory = task_size(td, "cpu"), task_size(td, "memory")
    windows = str((td.get("runtimePlatform") or {}).get("operatingSystemFamily") or "").startswith("WINDOWS") \
        if isinstance(td.get("runtimePlatform"), dict) else False
    if cpu is not None and cpu not in FARGATE_SIZES:
        out.append(Problem("cpu", "fail", f"cpu {shown_size(td, 'cpu')} is not a Fargate task size",
                           f"Fargate accepts cpu {', '.join(str(c) for c in FARGATE_SIZES)} CPU units (0.25, 0.5, 1, 2, "
                           "4, 8 or 16 vCPU).", fix="Pick a valid cpu value.", doc_url=TASK_SIZE_DOC))
    elif cpu is not None and memory is not None and memory not in FARGATE_SIZES[cpu]:
        out.append(Problem("memory", "fail", f"memory {shown_size(td, 'memory')} is not valid with cpu "
                           f"{shown_size(td, 'cpu')} on Fargate",
                           f"cpu {cpu} and memory {memory} MiB are not a Fargate pair. Valid sizes: {size_table()}.",
                           fix=_size_fix(cpu, memory), doc_url=TASK_SIZE_DOC))
    if windows and cpu is not None and cpu in FARGATE_SIZES and cpu not in WINDOWS_CPUS:
        out.append(Problem("cpu", "fail", f"cpu {cpu} is not available for Windows on Fargate",
                           "For Windows containers on Fargate cpu cannot be less than 1 vCPU, and 8 and 16 vCPU need the "
                           "Linux platform (version 1.4.0 or later): use 1, 2 or 4 vCPU.",
                           fix="Use cpu 1024, 2048 or 4096.", doc_url=TASK_SIZE_DOC))
    return out


def _container_rules(path: str, name: str, c: dict[str, Any]) -> list[Problem]:
    out = []
    if c.get("privileged") is True:
        out.append(Problem(join(path, "privileged"), "fail", f"Container {name}: privileged is not supported on Fargate",
                           f"Container {name}: privileged is not valid in Fargate tasks.",
                           fix="Remove privileged.", commands=[jq_del(join(path, "privileged"))],
                           doc_url=FARGATE_DOC))
    if isinstance(c.get("links"), list) and c["links"]:
        out.append(Problem(join(path, "links"), "fail", f"Container {name}: links are not valid on Fargate",
                           f"Container {name}: links is one of the parameters that are not valid in Fargate tasks: "
                           "Fargate requires the awsvpc network mode, where the containers of a task reach each other "
                           "on localhost.", fix="Remove links and use localhost:PORT.", commands=[jq_del(join(path, "links"))],
                           doc_url=FARGATE_DOC))
    for member in NOT_ON_FARGATE:
        value = c.get(member)
        if value not in (None, False, [], ""):
            where = join(path, member)
            out.append(Problem(where, "fail", f"Container {name}: {member} is not valid on Fargate",
                               f"Container {name}: {member} is one of the task definition parameters that are not "
                               "valid in Fargate tasks.", fix=f"Remove {member}.", commands=[jq_del(where)],
                               doc_url=FARGATE_DOC))
    requirements = c.get("resourceRequirements")
    for i, req in enumerate(requirements if isinstance(requirements, list) else []):
        if isinstance(req, dict) and req.get("type") == "GPU":
            out.append(Problem(join(join(join(path, "resourceRequirements"), i), "type"), "fail",
                               f"Container {name}: GPUs are not available on Fargate",
                               f"Container {name}: gpu (a GPU resource requirement) is not valid in Fargate tasks.",
                               fix="Remove the GPU requirement, or run the task on EC2 GPU instances.",
                               doc_url=FARGATE_DOC))
    for member in ("stopTimeout", "startTimeout"):
        timeout = _int(c.get(member))
        if timeout is not None and not 2 <= timeout <= 120:
            out.append(Problem(join(path, member), "fail", f"Container {name}: {member} is outside Fargate's 2-120 seconds",
                               f"Container {name}: {member} {timeout}; the valid values for Fargate are 2-120 seconds.",
                               fix="Use 2 to 120 seconds.", doc_url=PARAMS_DOC))
    lp = c.get("linuxParameters") if isinstance(c.get("linuxParameters"), dict) else {}
    lp_path = join(path, "linuxParameters")
    for member in LINUX_NOT_ON_FARGATE:
        if lp.get(member) not in (None, []):
            where = join(lp_path, member)
            out.append(Problem(where, "fail", f"Container {name}: linuxParameters.{member} is not supported on Fargate",
                               f"Container {name}: the {member} parameter isn't supported on Fargate.",
                               fix=f"Remove {member}.", commands=[jq_del(where)], doc_url=FARGATE_DOC))
    caps = lp.get("capabilities") if isinstance(lp.get("capabilities"), dict) else {}
    added = [a for a in caps.get("add") or [] if isinstance(a, str)] if isinstance(caps.get("add"), list) else []
    extra = [a for a in added if a.upper().removeprefix("CAP_") != "SYS_PTRACE"]
    if extra:
        out.append(Problem(join(join(lp_path, "capabilities"), "add"), "fail", f"Container {name}: Fargate only adds the SYS_PTRACE capability",
                           f"Container {name}: tasks on Fargate only support adding the SYS_PTRACE capability; "
                           f"got {show(extra)}.", fix="Remove the other capabilities.", doc_url=PARAMS_DOC))
    log = c.get("logConfiguration") if isinstance(c.get("logConfiguration"), dict) else {}
    driver = log.get("logDriver")
    if isinstance(driver, str) and driver not in FARGATE_LOG_DRIVERS:
        out.append(Problem(join(join(path, "logConfiguration"), "logDriver"), "fail",
                           f"Container {name}: log driver {clean(driver)} is not supported on Fargate",
                           f"Container {name}: on Fargate the supported log drivers are {', '.join(FARGATE_LOG_DRIVERS)}.",
                           fix="Use awslogs (or awsfirelens, splunk).", doc_url=AWSLOGS_DOC))
    options = log.get("options") if isinstance(log.get("options"), dict) else {}
    if driver == "awslogs" and not options.get("awslogs-stream-prefix"):
        where = join(join(join(path, "logConfiguration"), "options"), "awslogs-stream-prefix")
        out.append(Problem(where, "warn", f"Container {name}: awslogs-stream-prefix is required on Fargate",
                           f"Container {name}: the awslogs documentation lists awslogs-stream-prefix as required when "
                           "using Fargate (streams are named prefix/container/task-id).",
                           fix="Set awslogs-stream-prefix (for example the service name).", doc_url=AWSLOGS_DOC))
    return out

