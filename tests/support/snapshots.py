"""The one builder of synthetic `Snapshot` objects the tests share.

`healthy()` returns a builder for a task whose pull succeeds: an ECR image in the task's account, an
execution role with the AWS managed execution policy, the repository and image, an awslogs group.
Each test then breaks one thing (or removes one piece of evidence and records a gap) and builds.
The network comes from `tests.support.network` (``.network(private_vpc())``); the view and report
scenarios (`tests.support.view_scenarios`, `tests.support.report_scenarios`) are builder calls too.
Shapes follow the `Snapshot` docstring (botocore response shapes).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from fargate_nb.model import Gap, Snapshot

if TYPE_CHECKING:
    from tests.support.network import Net

ACCT = "111122223333"
OTHER_ACCT = "444455556666"
REGION = "us-east-1"
CLUSTER = "prod"
TASK_ID = "0123456789abcdef0123456789abcdef"
TASK_ARN = f"arn:aws:ecs:{REGION}:{ACCT}:task/{CLUSTER}/{TASK_ID}"
COLLECTED_AT = "2026-11-28T03:00:00Z"
EXEC_ROLE = f"arn:aws:iam::{ACCT}:role/ecsTaskExecutionRole"
TASK_ROLE = f"arn:aws:iam::{ACCT}:role/api-task-role"
IMAGE = f"{ACCT}.dkr.ecr.{REGION}.amazonaws.com/api:1.4.2"
REPO_ARN = f"arn:aws:ecr:{REGION}:{ACCT}:repository/api"
CROSS_IMAGE = f"{OTHER_ACCT}.dkr.ecr.{REGION}.amazonaws.com/shared/base:3"
CROSS_REPO_ARN = f"arn:aws:ecr:{REGION}:{OTHER_ACCT}:repository/shared/base"
SECRET_ARN = f"arn:aws:secretsmanager:{REGION}:{ACCT}:secret:dockerhub-creds-AbCdEf"
DB_SECRET_ARN = f"arn:aws:secretsmanager:{REGION}:{ACCT}:secret:db-password-Gh1jKl"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
LOG_GROUP = "/ecs/api"

TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "", "Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                   "Action": "sts:AssumeRole"}],
}
MANAGED_EXEC_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
MANAGED_EXEC_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": [
        "ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer",
        "ecr:BatchGetImage", "logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "*"}],
}
LINUX_AMD64 = {"os": "linux", "architecture": "amd64", "variant": None}
LINUX_ARM64 = {"os": "linux", "architecture": "arm64", "variant": "v8"}

# Names as hostile as 'AWS' may return them: each would become markup if a face did not escape it
# (HTML, a script, an image whose onerror runs, a Markdown heading, link, table cell break and code
# fence, mermaid statements).
HOSTILE_REASON = ("CannotPullContainerError: <script>window.__pwned='reason'</script> "
                  "<img src=x onerror=\"window.__pwned='img'\"> | pipe | `tick` ```fence\n"
                  "# Injected heading\n[click](javascript:alert(1)) end; participant Evil as X\n-->> p0: boom")
HOSTILE_ROLE = "exec-<b>bold</b>|`x`"
HOSTILE_ROLE_ARN = f"arn:aws:iam::{ACCT}:role/{HOSTILE_ROLE}"
HOSTILE_LOG_GROUP = "/ecs/<script>window.__pwned='log'</script>|#x\n## Heading [a](b) &amp;"


def policy(*statements: dict[str, Any], version: str | None = "2012-10-17") -> dict[str, Any]:
    """A policy document; ``version=None`` leaves the Version element out."""
    doc: dict[str, Any] = {"Version": version} if version is not None else {}
    doc["Statement"] = list(statements)
    return doc


def allow(actions: str | list[str] = "*", resources: str | list[str] = "*", sid: str | None = None,
          **extra: Any) -> dict[str, Any]:
    st: dict[str, Any] = {"Effect": "Allow", "Action": actions, "Resource": resources, **extra}
    if sid:
        st["Sid"] = sid
    return st


def deny(actions: str | list[str] = "*", resources: str | list[str] = "*", sid: str | None = None,
         **extra: Any) -> dict[str, Any]:
    return {**allow(actions, resources, sid, **extra), "Effect": "Deny"}


def role_evidence(arn: str, *, trust: dict | None = None, inline: dict[str, dict] | None = None,
                  attached: list[tuple[str, dict | None]] | None = None,
                  boundary: dict | None = None, boundary_arn: str | None = None) -> dict[str, Any]:
    """A `roles[arn]` entry. ``attached`` is ``[(policy_arn, document)]``; ``boundary`` is the
    permissions boundary's document (``boundary_arn`` its policy, by default ``policy/boundary``)."""
    name = arn.rsplit("/", 1)[-1]
    return {
        "Role": {"RoleName": name, "Arn": arn, "Path": "/", "RoleId": "AROAEXAMPLE" + name.upper()[:8],
                 "AssumeRolePolicyDocument": copy.deepcopy(TRUST if trust is None else trust)},
        "InlinePolicies": copy.deepcopy(inline or {}),
        "AttachedPolicies": [{"PolicyArn": parn, "PolicyName": parn.rsplit("/", 1)[-1], "Document": copy.deepcopy(doc)}
                             for parn, doc in (attached or [])],
        "PermissionsBoundary": (None if boundary is None else
                                {"PolicyArn": boundary_arn or f"arn:aws:iam::{arn.split(':')[4]}:policy/boundary",
                                 "Document": copy.deepcopy(boundary)}),
    }


class SnapshotBuilder:
    """Assemble a snapshot step by step; every method returns the builder."""

    def __init__(self, region: str = REGION, account: str = ACCT, *, cluster: str = CLUSTER,
                 task_id: str = TASK_ID, family: str = "api", revision: int = 7,
                 collected_at: str = COLLECTED_AT, collector: str = "tests") -> None:
        task_arn = f"arn:aws:ecs:{region}:{account}:task/{cluster}/{task_id}"
        self.snap = Snapshot(region=region, account=account, collected_at=collected_at,
                             collector=collector, subject={"kind": "task", "cluster": cluster, "task": task_arn})
        self.snap.task = {"taskArn": task_arn, "clusterArn": f"arn:aws:ecs:{region}:{account}:cluster/{cluster}",
                          "lastStatus": "STOPPED", "containers": []}
        self.snap.task_definition = {
            "taskDefinitionArn": f"arn:aws:ecs:{region}:{account}:task-definition/{family}:{revision}",
            "family": family, "revision": revision, "networkMode": "awsvpc",
            "requiresCompatibilities": ["FARGATE"], "cpu": "256", "memory": "512",
            "containerDefinitions": [],
        }

    # -- subject, task and caller ---------------------------------------------------------
    def subject(self, **subject: Any) -> SnapshotBuilder:
        """Replace the subject (``kind``, ``cluster``, ``task`` or ``service``)."""
        self.snap.subject = dict(subject)
        return self

    def service_subject(self, service: str = "api") -> SnapshotBuilder:
        """A service with no task to look at: the subject is the service, and there is no task."""
        self.snap.subject = {"kind": "service", "cluster": self.snap.subject.get("cluster", CLUSTER),
                             "service": service}
        self.snap.task = None
        return self

    def task_fields(self, **fields: Any) -> SnapshotBuilder:
        """Set fields of the DescribeTasks task (``None`` removes one)."""
        _update(self.task, fields)
        return self

    def caller(self, arn: str) -> SnapshotBuilder:
        """Who collected the evidence (GetCallerIdentity)."""
        self.snap.caller = {"Arn": arn, "Account": arn.split(":")[4]}
        return self

    # -- task definition ------------------------------------------------------------------
    def task_definition_fields(self, **fields: Any) -> SnapshotBuilder:
        """Set top-level fields of the task definition (``None`` removes one)."""
        _update(self.td, fields)
        return self

    def container(self, name: str = "api", image: str = IMAGE, **extra: Any) -> SnapshotBuilder:
        self.td["containerDefinitions"].append({"name": name, "image": image, "essential": True, **extra})
        if self.snap.task is not None:
            self.snap.task["containers"].append({"name": name, "image": image, "lastStatus": "STOPPED"})
        return self

    def awslogs(self, container: str = "api", group: str = LOG_GROUP, *, create: bool = False,
                region: str | None = None) -> SnapshotBuilder:
        opts = {"awslogs-group": group, "awslogs-region": region or self.snap.region, "awslogs-stream-prefix": "ecs"}
        if create:
            opts["awslogs-create-group"] = "true"
        self._container(container)["logConfiguration"] = {"logDriver": "awslogs", "options": opts}
        return self

    def container_secret(self, name: str, value_from: str, container: str = "api") -> SnapshotBuilder:
        self._container(container).setdefault("secrets", []).append({"name": name, "valueFrom": value_from})
        return self

    def repository_credentials(self, secret: str, container: str = "api") -> SnapshotBuilder:
        self._container(container)["repositoryCredentials"] = {"credentialsParameter": secret}
        return self

    def runtime_platform(self, cpu: str = "X86_64", os_family: str = "LINUX") -> SnapshotBuilder:
        self.td["runtimePlatform"] = {"cpuArchitecture": cpu, "operatingSystemFamily": os_family}
        return self

    def execution_role_arn(self, arn: str | None) -> SnapshotBuilder:
        if arn is None:
            self.td.pop("executionRoleArn", None)
        else:
            self.td["executionRoleArn"] = arn
        return self

    def task_role_arn(self, arn: str) -> SnapshotBuilder:
        self.td["taskRoleArn"] = arn
        return self

    # -- evidence -------------------------------------------------------------------------
    def role(self, arn: str = EXEC_ROLE, *, exists: bool = True, **kwargs: Any) -> SnapshotBuilder:
        self.snap.roles[arn] = role_evidence(arn, **kwargs) if exists else None
        return self

    def execution_role(self, arn: str = EXEC_ROLE, *, exists: bool = True, managed: bool = True,
                       **kwargs: Any) -> SnapshotBuilder:
        if managed:
            kwargs.setdefault("attached", [(MANAGED_EXEC_POLICY_ARN, MANAGED_EXEC_POLICY)])
        self.execution_role_arn(arn)
        return self.role(arn, exists=exists, **kwargs)

    def repository(self, arn: str = REPO_ARN, *, exists: bool = True, policy: dict | None = None,
                   lifecycle: bool | None = True, scan_on_push: bool = True,
                   mutability: str = "IMMUTABLE", exclusions: list[str] | None = None) -> SnapshotBuilder:
        if not exists:
            self.snap.repositories[arn] = None
            return self
        _, _, _, region, account, resource = arn.split(":", 5)
        name = resource.split("/", 1)[1]
        repo: dict[str, Any] = {
            "repositoryArn": arn, "registryId": account, "repositoryName": name,
            "repositoryUri": f"{account}.dkr.ecr.{region}.amazonaws.com/{name}",
            "imageTagMutability": mutability, "imageScanningConfiguration": {"scanOnPush": scan_on_push},
        }
        if exclusions:
            repo["imageTagMutabilityExclusionFilters"] = [{"filterType": "WILDCARD", "filter": f} for f in exclusions]
        self.snap.repositories[arn] = {"Repository": repo, "Policy": copy.deepcopy(policy), "LifecyclePolicy": lifecycle}
        return self

    def image(self, ref: str = IMAGE, *, found: bool | None = True,
              platforms: list[dict] | None = None, mutability: str | None = None) -> SnapshotBuilder:
        from fargate_nb.pullflow import parse_image

        p = parse_image(ref)
        self.snap.images[ref] = {
            "registry": p.registry, "ecr": p.ecr, "region": p.region, "registry_id": p.registry_id,
            "repository_name": p.repository, "repository_arn": p.repository_arn(), "tag": p.tag,
            "digest": p.digest or ("sha256:" + "c" * 64 if found else None), "found": found,
            "platforms": [dict(LINUX_AMD64)] if platforms is None and found else platforms,
            "pushed_at": "2026-11-01T10:00:00Z" if found else None, "tag_mutability": mutability,
        }
        return self

    def no_image_evidence(self, ref: str = IMAGE) -> SnapshotBuilder:
        self.snap.images.pop(ref, None)
        return self

    def secret(self, key: str = SECRET_ARN, *, exists: bool = True, arn: str | None = None,
               kms_key: str | None = None, deleted: str | None = None,
               resource_policy: dict | None = None) -> SnapshotBuilder:
        if not exists:
            self.snap.secrets[key] = None
            return self
        arn = arn or key
        entry: dict[str, Any] = {"ARN": arn, "Name": arn.split(":secret:", 1)[-1].rsplit("-", 1)[0],
                                 "VersionIdsToStages": {"v1": ["AWSCURRENT"]}, "ResourcePolicy": resource_policy}
        if kms_key:
            entry["KmsKeyId"] = kms_key
        if deleted:
            entry["DeletedDate"] = deleted
        self.snap.secrets[key] = entry
        return self

    def parameter(self, name: str, *, exists: bool = True, type: str = "SecureString",
                  key_id: str | None = "alias/aws/ssm", region: str | None = None) -> SnapshotBuilder:
        if not exists:
            self.snap.parameters[name] = None
            return self
        arn = f"arn:aws:ssm:{region or self.snap.region}:{self.snap.account}:parameter/{name.lstrip('/')}"
        entry: dict[str, Any] = {"Name": name, "ARN": arn, "Type": type, "Tier": "Standard", "Version": 1}
        if type == "SecureString" and key_id:
            entry["KeyId"] = key_id
        self.snap.parameters[name] = entry
        return self

    def kms_key(self, arn: str = KEY_ARN, *, key_policy: dict | None = None, manager: str = "CUSTOMER",
                state: str = "Enabled", exists: bool = True, policy_read: bool = True) -> SnapshotBuilder:
        """A key; ``key_policy`` defaults to the default key policy, ``policy_read=False`` leaves it unread."""
        if not exists:
            self.snap.kms_keys[arn] = None
            return self
        account = arn.split(":")[4]
        self.snap.kms_keys[arn] = {
            "KeyMetadata": {"KeyId": arn.rsplit("/", 1)[-1], "Arn": arn, "AWSAccountId": account,
                            "KeyManager": manager, "KeyState": state, "Enabled": state == "Enabled",
                            "KeyUsage": "ENCRYPT_DECRYPT", "KeySpec": "SYMMETRIC_DEFAULT"},
            "Policy": (copy.deepcopy(key_policy if key_policy is not None else default_key_policy(account))
                       if policy_read else None),
        }
        return self

    def log_group(self, name: str = LOG_GROUP, *, exists: bool = True) -> SnapshotBuilder:
        self.snap.log_groups[name] = (
            {"logGroupName": name, "arn": f"arn:aws:logs:{self.snap.region}:{self.snap.account}:log-group:{name}:*",
             "logGroupArn": f"arn:aws:logs:{self.snap.region}:{self.snap.account}:log-group:{name}"}
            if exists else None)
        return self

    def unread_boundary(self, role: str = EXEC_ROLE, boundary_arn: str | None = None) -> SnapshotBuilder:
        """``role`` has a permissions boundary attached whose document could not be read (a gap says why)."""
        boundary_arn = boundary_arn or f"arn:aws:iam::{role.split(':')[4]}:policy/boundary"
        entry = self.snap.roles[role]
        assert entry is not None, f"call .role({role!r}) first"
        entry["PermissionsBoundary"] = {"PolicyArn": boundary_arn, "Document": None}
        return self.gap("iam:GetPolicyVersion", resource=boundary_arn,
                        error="AccessDenied: not authorized to perform iam:GetPolicyVersion")

    def network(self, net: Net | Snapshot) -> SnapshotBuilder:
        """Take the network picture (and the task's ENI attachment) of a `Net` (``.network(private_vpc())``)."""
        return self.network_from(net if isinstance(net, Snapshot) else net.build())

    def network_from(self, other: Snapshot) -> SnapshotBuilder:
        """Take the network picture (and the task's ENI attachment) of another synthetic snapshot."""
        self.snap.network = copy.deepcopy(other.network)
        self.snap.task["attachments"] = copy.deepcopy((other.task or {}).get("attachments") or [])
        return self

    def forget(self, field: str, key: str) -> SnapshotBuilder:
        """Remove a piece of evidence, as when the collector could not read it."""
        getattr(self.snap, field).pop(key, None)
        return self

    def gap(self, api: str, permission: str | None = None, resource: str | None = None,
            error: str = "AccessDeniedException: not authorized") -> SnapshotBuilder:
        self.snap.gaps.append(Gap(api=api, permission=permission or api, error=error, resource=resource))
        return self

    def stopped(self, reason: str, container: str | None = None) -> SnapshotBuilder:
        if container is None:
            self.snap.task["stoppedReason"] = reason
        else:
            for c in self.snap.task["containers"]:
                if c["name"] == container:
                    c["reason"] = reason
        return self

    def build(self) -> Snapshot:
        return self.snap.copy()

    # -- helpers --------------------------------------------------------------------------
    @property
    def task(self) -> dict[str, Any]:
        assert self.snap.task is not None, "the subject has no task"
        return self.snap.task

    @property
    def td(self) -> dict[str, Any]:
        assert self.snap.task_definition is not None
        return self.snap.task_definition

    def _container(self, name: str) -> dict[str, Any]:
        for c in self.td["containerDefinitions"]:
            if c["name"] == name:
                return c
        raise KeyError(f"no container {name!r}: call .container() first")


def _update(target: dict[str, Any], fields: dict[str, Any]) -> None:
    for key, value in fields.items():
        if value is None:
            target.pop(key, None)
        else:
            target[key] = value


def default_key_policy(account: str = ACCT) -> dict[str, Any]:
    """The default key policy: the account may use IAM policies to allow use of the key."""
    return policy({"Sid": "Enable IAM User Permissions", "Effect": "Allow",
                   "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "kms:*", "Resource": "*"})


def healthy() -> SnapshotBuilder:
    """A task whose pull succeeds: ECR image, managed execution policy, repository, image, log group."""
    return (SnapshotBuilder().container().awslogs().execution_role().repository().image().log_group())


# -- running checks -------------------------------------------------------------------------------
def run(func: Any, snap: Snapshot) -> list[Any]:
    """The findings of one check function on a snapshot."""
    from fargate_nb.pullflow import plan

    return list(func(snap, plan(snap)))


def only(func: Any, snap: Snapshot, status: str | None = None) -> Any:
    """The single finding of a check (asserting its status when given)."""
    findings = run(func, snap)
    assert len(findings) == 1, [(f.status, f.detail) for f in findings]
    if status is not None:
        assert findings[0].status == status, (findings[0].status, findings[0].detail, findings[0].evidence)
    return findings[0]


def apply(snap: Snapshot, fix: dict[str, Any]) -> Snapshot:
    """A patched copy, the way `fargate_nb.fixes.apply_fix` makes it."""
    import fargate_nb.fixes.iam  # noqa: F401  (registers the operations)
    from fargate_nb.fixes import OPERATIONS

    patched = snap.copy()
    OPERATIONS[fix["op"]](patched, fix)
    return patched


def after_fix(func: Any, snap: Snapshot, statuses: tuple[str, ...] = ("fail",)) -> list[Any]:
    """Apply the what-if fix of every failing (or ``statuses``) finding, then run the check again."""
    failing = [f for f in run(func, snap) if f.status in statuses]
    assert failing, f"nothing is {'/'.join(statuses)} before the fix"
    for f in failing:
        assert f.remediation is not None and f.remediation.fix, f"{f.id} has no what-if fix"
        snap = apply(snap, f.remediation.fix)
    return run(func, snap)
