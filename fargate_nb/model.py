"""The evidence (`Snapshot`) and the answer (`Diagnosis`), with a JSON round-trip.

A Snapshot keeps AWS responses in their own shapes (botocore's field names), so a check can be
read next to the API reference and a saved file can be re-diagnosed offline years later.

Conventions for the resource maps (``roles``, ``repositories``, ``secrets`` ...):
- key present, value a dict: the resource was read;
- key present, value ``None``: the resource was looked up and does not exist;
- key absent: it was not read (see ``gaps`` for why); checks then answer ``unknown``.
"""

from __future__ import annotations

import json
import os
import reprlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from fargate_nb.files import parse_json, write_json_atomic
from fargate_nb.scrub import redact_task, redact_task_definition, scrub_obj
from fargate_nb.snapshot_schema import SnapshotError, validate

SNAPSHOT_SCHEMA = "fargate-nb/snapshot/1"
DIAGNOSIS_SCHEMA = "fargate-nb/diagnosis/1"

#: The pull-flow steps, in order (public contract).
STEPS: tuple[str, ...] = ("assume-role", "registry-auth", "secrets", "manifest", "layers", "logs")
STEP_STATUSES = ("pass", "fail", "warn", "unknown", "skipped")
FINDING_STATUSES = (*STEP_STATUSES, "info")
#: Worst first: a step takes the worst status among its findings.
SEVERITY_ORDER = ("fail", "unknown", "warn", "pass", "info", "skipped")


__all__ = ["SnapshotError"]  # defined with the schema check (fargate_nb.snapshot_schema), raised from here


@dataclass
class Gap:
    """Evidence that could not be read. Checks that needed it answer ``unknown`` naming ``permission``."""

    api: str  # e.g. "iam:GetRole" (service:Operation)
    permission: str  # the IAM action the caller lacks or needs, e.g. "iam:GetRole"
    error: str  # error code and message, scrubbed
    resource: str | None = None  # what was being read

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Gap:
        return cls(**{f.name: data.get(f.name) for f in fields(cls)})


@dataclass
class Snapshot:
    """Everything one image pull depends on, as read from AWS (or provisioned in the sandbox).

    Shapes (all dicts are botocore response shapes unless said otherwise):
    - ``subject``: ``{"kind": "task"|"service"|"taskdef", "cluster", "task", "service"}``.
    - ``task``: a ``DescribeTasks`` task; ``service``: a ``DescribeServices`` service.
    - ``task_definition``: ``DescribeTaskDefinition["taskDefinition"]``.
    - ``roles[arn]``: ``{"Role": GetRole.Role (AssumeRolePolicyDocument as a dict),
      "InlinePolicies": {name: document}, "AttachedPolicies": [{"PolicyArn", "PolicyName",
      "Document"}], "PermissionsBoundary": {"PolicyArn", "Document"} | None}``.
    - ``repositories[repository_arn]``: ``{"Repository": DescribeRepositories entry,
      "Policy": document | None, "LifecyclePolicy": bool | None}``.
    - ``images[image_reference]``: ``{"registry": host, "ecr": bool, "region", "registry_id",
      "repository_name", "repository_arn", "tag", "digest", "found": bool | None,
      "platforms": [{"os", "architecture", "variant"}] | None, "pushed_at", "tag_mutability"}``.
    - ``secrets[arn_or_name]``: ``DescribeSecret`` response plus ``"ResourcePolicy": document|None``.
    - ``parameters[name]``: a ``DescribeParameters`` entry.
    - ``kms_keys[key_arn]``: ``{"KeyMetadata": DescribeKey.KeyMetadata, "Policy": document | None}``.
    - ``log_groups[name]``: a ``DescribeLogGroups`` entry.
    - ``network``: ``{"assign_public_ip": bool | None, "subnet_ids": [...],
      "security_group_ids": [...], "vpc": DescribeVpcs entry plus "EnableDnsSupport" and
      "EnableDnsHostnames" (bool), "subnets", "route_tables", "internet_gateways",
      "nat_gateways", "vpc_endpoints" (PolicyDocument as a dict), "security_groups",
      "network_acls", "prefix_lists" (DescribePrefixLists entries)}``. Empty when not awsvpc.
    - ``redacted``: what was left out of the evidence (environment and docker label values, other
      log drivers' options, run-task override environment values), one line per kind.
    - ``simulations``: ``[{"principal", "action", "resource", "decision", "matched"}]`` from
      ``iam:SimulatePrincipalPolicy`` when the caller may call it.
    """

    region: str = ""
    account: str | None = None
    partition: str = "aws"
    collected_at: str = ""
    collector: str = ""
    subject: dict[str, Any] = field(default_factory=dict)
    caller: dict[str, Any] | None = None
    task: dict[str, Any] | None = None
    service: dict[str, Any] | None = None
    task_definition: dict[str, Any] | None = None
    roles: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    repositories: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    images: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    secrets: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    parameters: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    kms_keys: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    log_groups: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    network: dict[str, Any] = field(default_factory=dict)
    simulations: list[dict[str, Any]] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    redacted: list[str] = field(default_factory=list)  # what was left out, e.g. "3 environment variable value(s)"
    schema: str = SNAPSHOT_SCHEMA

    # -- JSON ---------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        self.redact()
        return scrub_obj(asdict(self))

    def redact(self) -> Snapshot:
        """Drop the values no check needs (environment, docker labels, other drivers' log options)."""
        self.task_definition, said = redact_task_definition(self.task_definition)
        self.task, said_task = redact_task(self.task)
        for line in [*said, *said_task]:
            if line not in self.redacted:
                self.redacted.append(line)
        return self

    @classmethod
    def from_dict(cls, data: Any) -> Snapshot:
        if not isinstance(data, dict):
            raise SnapshotError("a snapshot must be a JSON object")
        schema = data.get("schema")
        if schema != SNAPSHOT_SCHEMA:
            raise SnapshotError(f"unsupported snapshot schema {reprlib.repr(schema)} (expected {SNAPSHOT_SCHEMA!r})")
        validate(data)  # shapes first: checks trust what they read (SnapshotError names the field)
        known = {f.name for f in fields(cls)}
        # newer minor fields are ignored rather than fatal
        kwargs: dict[str, Any] = {name: value for name, value in data.items() if name in known}
        kwargs["gaps"] = [Gap.from_dict(g) for g in kwargs.get("gaps") or []]
        for name in ("roles", "repositories", "images", "secrets", "parameters", "kms_keys", "log_groups",
                     "network", "subject", "simulations", "redacted"):
            if kwargs.get(name, ...) is None:  # null: as if absent
                del kwargs[name]
        return cls(**kwargs)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write atomically: a crash never leaves a half-written snapshot behind."""
        return write_json_atomic(path, self.to_dict())

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Snapshot:
        p = Path(path)
        try:
            text = p.read_bytes().decode("utf-8-sig")
        except OSError as exc:
            raise SnapshotError(f"cannot read snapshot {p}: {exc.strerror or exc}") from exc
        except UnicodeDecodeError as exc:
            raise SnapshotError(f"{p} is not UTF-8 text (byte {exc.start}); a snapshot is JSON") from exc
        return cls.from_dict(parse_json(text, str(p), "a snapshot", SnapshotError))

    def copy(self) -> Snapshot:
        """A deep copy, for what-if fixes that must never touch the evidence."""
        return Snapshot.from_dict(json.loads(json.dumps(asdict(self))))

    def gaps_for(self, *apis: str) -> list[Gap]:
        """Gaps recorded for any of the given APIs (``service:Operation``)."""
        wanted = {a.lower() for a in apis}
        return [g for g in self.gaps if (g.api or "").lower() in wanted]


@dataclass
class Remediation:
    """What to change: prose, CLI commands with the real ids, a policy to attach, and a what-if fix."""

    summary: str
    commands: list[str] = field(default_factory=list)
    policy: dict[str, Any] | None = None  # a policy document to attach or merge, when relevant
    fix: dict[str, Any] | None = None  # a what-if operation (see fargate_nb.fixes) applied to a snapshot copy


@dataclass
class Finding:
    """One check's answer about one subject (a role, a repository, a destination ...).

    A check sets what it decided: ``status``, ``message`` (the specific sentence with the real
    names), ``detail``, ``evidence``, ``remediation``, and the links faces use instead of searching
    text: ``resource`` (what the finding is about) and ``decisions`` (the permission questions it
    rests on). ``title``, ``severity`` and ``doc_url`` come from the check catalogue
    (`fargate_nb.checks.catalogue`), attached by the registry: a check never writes them.
    """

    id: str
    status: str  # one of FINDING_STATUSES
    step: str | None = None  # one of STEPS, or None for task-definition findings
    message: str = ""  # one line with the real names, e.g. "exec-role cannot get an ECR authorization token"
    detail: str = ""
    target: str | None = None  # network findings: ecr.api, ecr.dkr, s3, logs, secretsmanager, ssm, registry host
    evidence: list[str] = field(default_factory=list)
    remediation: Remediation | None = None
    missing_permission: str | None = None  # for unknown findings caused by a gap
    resource: str | None = None  # the resource it is about: role/repository/secret ARN, image, log group
    decisions: list[PermissionDecision] = field(default_factory=list)  # the permission answers it rests on
    # -- from the check catalogue (attached by the registry) --
    title: str = ""
    severity: str = ""  # high | medium | low: how much it matters when it fails
    doc_url: str | None = None

    def __post_init__(self) -> None:
        if self.status not in FINDING_STATUSES:
            raise ValueError(f"finding {self.id}: bad status {self.status!r}")
        if self.step is not None and self.step not in STEPS:
            raise ValueError(f"finding {self.id}: bad step {self.step!r}")

    @property
    def label(self) -> str:
        """``id`` or ``id[target]``: how findings are named in verdicts and tables."""
        return f"{self.id}[{self.target}]" if self.target else self.id

    @property
    def text(self) -> str:
        """The specific sentence, or the catalogue title when the check had nothing to add."""
        return self.message or self.title

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        data = dict(data)
        rem = data.get("remediation")
        data["remediation"] = Remediation(**rem) if isinstance(rem, dict) else None
        data["decisions"] = [PermissionDecision.from_dict(d) for d in data.get("decisions") or []
                             if isinstance(d, dict)]
        if not data.get("message") and data.get("title"):
            data["message"] = data["title"]  # diagnoses written before findings had a message
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


@dataclass
class PermissionDecision:
    """How IAM answers one question the pull asks: may ROLE call ACTION on RESOURCE?

    Recorded by the permission checks as they decide, so the permissions table shows the same
    answer as the findings. ``status`` is the check's reading of the decision (an allow that an
    unread permissions boundary might cancel is ``unknown``, not ``pass``).
    """

    role: str  # "execution" | "task"
    role_arn: str
    action: str
    resource: str
    decision: str  # allowed | denied | explicit deny | unknown | no role
    by: str = ""  # the deciding policy and statement, or why it could not be decided
    status: str = "unknown"  # pass | fail | unknown | info

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PermissionDecision:
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


def worst_status(statuses: Iterable[str], default: str = "pass") -> str:
    """The worst of some statuses (``SEVERITY_ORDER``): the one rule every face and step uses."""
    ranked = [s for s in statuses if s in _STATUS_RANK]
    return min(ranked, key=_STATUS_RANK.__getitem__) if ranked else default


_STATUS_RANK = {s: i for i, s in enumerate(SEVERITY_ORDER)}


@dataclass
class StepResult:
    id: str
    status: str
    summary: str = ""


@dataclass
class PermissionRow:
    """One row of the permission matrix: a role, a needed action on a resource, and its answer."""

    step: str
    action: str
    resource: str
    role: str  # "execution" | "task"
    role_arn: str | None
    decision: str  # allowed | denied | explicit deny | unknown | no role | not evaluated
    by: str  # the deciding policy and statement, or why there is no decision
    status: str  # agrees with the findings: pass | fail | unknown | skipped | info
    container: str | None = None
    why: str = ""
    finding_refs: list[int] = field(default_factory=list)  # indexes into Diagnosis.findings


@dataclass
class NetworkRow:
    """The way to one destination (service and region, or a registry host) and each network check's status."""

    target: str
    step: str
    why: str
    path: str  # interface-endpoint | gateway-endpoint | nat | internet | opaque | none | unknown | not-awsvpc
    endpoint: str = ""  # the VPC endpoint id, when the path is one
    detail: str = ""
    checks: dict[str, str] = field(default_factory=dict)  # column (route, DNS, SG in ...) -> status
    status: str = "unknown"
    finding_refs: list[int] = field(default_factory=list)
    endpoint_service: str = ""  # the VPC endpoint service that would serve it ("" for a registry host)
    endpoint_type: str = ""  # "interface" or "gateway" (S3)


@dataclass
class Lifeline:
    id: str  # fargate, sts, ecr.api, ecr.dkr, s3, secretsmanager, ssm, kms, logs, or a registry host
    label: str
    detail: str = ""  # e.g. the role name


@dataclass
class Call:
    """One call of the pull, in order: who calls whom, its status and the findings that decide it."""

    step: str
    kind: str  # assume, ecr-auth, creds-secret, kms, secret-fetch, ecr-manifest, registry-manifest, ...
    source: str  # lifeline id
    target: str  # lifeline id
    label: str  # e.g. "ecr:GetAuthorizationToken"
    subjects: list[str] = field(default_factory=list)  # the resources the call is about
    status: str = "unknown"
    reached: bool = True  # False after the first failing call: the pull never gets there
    first_failure: bool = False
    finding_refs: list[int] = field(default_factory=list)


@dataclass
class Sequence:
    """The pull as a sequence of calls between lifelines (drawn by the diagram and its mermaid twin)."""

    title: str = ""
    lifelines: list[Lifeline] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)

    @property
    def first_failure(self) -> Call | None:
        return next((c for c in self.calls if c.first_failure), None)


#: Exit codes of a diagnosis (the CLI adds 2 bad usage or input, 3 AWS unreachable / not AWS / no credentials).
EXIT_OK, EXIT_FAIL, EXIT_UNCHECKED = 0, 1, 4


@dataclass
class Diagnosis:
    subject: dict[str, Any]
    region: str
    account: str | None
    steps: list[StepResult]
    findings: list[Finding]
    gaps: list[Gap]
    verdict: str
    stopped: dict[str, Any] | None = None  # fargate_nb.stopped.explain() plus "confirmed"
    collected_at: str = ""
    kit_version: str = ""
    permissions: list[PermissionRow] = field(default_factory=list)
    network: list[NetworkRow] = field(default_factory=list)
    sequence: Sequence = field(default_factory=Sequence)
    schema: str = DIAGNOSIS_SCHEMA

    @property
    def failed(self) -> list[Finding]:
        return [f for f in self.findings if f.status == "fail"]

    @property
    def unchecked(self) -> list[Finding]:
        """`unknown` findings that matter: on a needed step, or on no step (config, network legs)."""
        skipped = {s.id for s in self.steps if s.status == "skipped"}
        return [f for f in self.findings if f.status == "unknown" and f.step not in skipped]

    @property
    def status(self) -> str:
        """The overall status every face shows: fail, else unknown when anything needed could not be
        checked, else warn, else pass (never a pass over evidence that was not read)."""
        if self.failed:
            return "fail"
        if self.unchecked:
            return "unknown"
        return worst_status((s.status for s in self.steps if s.status in ("unknown", "warn")), default="pass")

    @property
    def exit_code(self) -> int:
        """CLI contract (README "Exit codes"): 1 something fails; 4 nothing fails but something needed
        could not be checked (a step or finding is `unknown`, or the subject was not read); 0 every
        needed step was checked and passes (warnings allowed). 2 and 3 come from the CLI itself."""
        if self.failed:
            return EXIT_FAIL
        if self.status == "unknown":
            return EXIT_UNCHECKED
        return EXIT_OK

    def step(self, step_id: str) -> StepResult:
        for s in self.steps:
            if s.id == step_id:
                return s
        raise KeyError(step_id)

    def finding(self, finding_id: str, target: str | None = None) -> list[Finding]:
        return [f for f in self.findings if f.id == finding_id and (target is None or f.target == target)]

    def findings_at(self, refs: Iterable[int]) -> list[Finding]:
        """The findings a row or call refers to (by index)."""
        return [self.findings[i] for i in refs if 0 <= i < len(self.findings)]

    def to_dict(self) -> dict[str, Any]:
        return scrub_obj(asdict(self))

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False, default=str)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Diagnosis:
        if data.get("schema") != DIAGNOSIS_SCHEMA:
            raise ValueError(f"unsupported diagnosis schema {data.get('schema')!r}")
        seq = data.get("sequence") or {}
        return cls(
            subject=data.get("subject") or {},
            region=data.get("region", ""),
            account=data.get("account"),
            steps=[StepResult(**s) for s in data.get("steps", [])],
            findings=[Finding.from_dict(f) for f in data.get("findings", [])],
            gaps=[Gap.from_dict(g) for g in data.get("gaps", [])],
            verdict=data.get("verdict", ""),
            stopped=data.get("stopped"),
            collected_at=data.get("collected_at", ""),
            kit_version=data.get("kit_version", ""),
            permissions=[_build(PermissionRow, r) for r in data.get("permissions") or []],
            network=[_build(NetworkRow, r) for r in data.get("network") or []],
            sequence=Sequence(title=seq.get("title", ""),
                              lifelines=[_build(Lifeline, x) for x in seq.get("lifelines") or []],
                              calls=[_build(Call, x) for x in seq.get("calls") or []]),
        )


def _build(kind: Any, data: dict[str, Any]) -> Any:
    return kind(**{f.name: data[f.name] for f in fields(kind) if f.name in data})
