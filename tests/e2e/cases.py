"""The end-to-end table: one broken sandbox environment per finding id, and the healthy set-ups.

A `Case` names the finding that must fail (and its targets), how the environment is broken (an
`EnvSpec` knob, or boto3 calls against the sandbox after provisioning when the builder has no
knob), the step the verdict must name, and optionally the stopped reason the task ends with (the
wording ECS uses, so the kit's explanation can be confirmed by its findings). A `Healthy`
environment must report no failure at all, and says which finding ids it must see passing.

The test module runs each row through the real collector over HTTP; nothing here decides.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

import boto3

from fargate_nb.investigation import open_live
from fargate_nb.lab.build import ContainerSecret, EnvSpec, Provisioned, run_task
from fargate_nb.lab.sandbox import Sandbox
from fargate_nb.model import Diagnosis, Snapshot

#: DESIGN.md's finding-id table, plus taskdef.invalid: the public contract every row serves.
CONTRACT_IDS: tuple[str, ...] = (
    "exec-role.missing", "exec-role.not-found", "exec-role.trust",
    "iam.ecr-auth", "iam.registry-secret", "iam.kms-decrypt", "registry.secret-missing",
    "registry.credentials-missing", "iam.secrets", "secrets.missing",
    "iam.ecr-pull", "ecr.repo-policy", "ecr.repo-missing", "ecr.image-missing", "ecr.platform-mismatch",
    "iam.logs", "logs.group-missing",
    "net.no-route", "net.public-ip", "net.vpc-dns", "net.endpoint-private-dns", "net.s3-gateway-route",
    "net.endpoint-policy", "net.endpoint-sg", "net.task-sg-egress", "net.nacl",
    "role.confusion", "taskdef.invalid",
)
PULL_TARGETS = ("ecr.api", "ecr.dkr", "s3", "logs")

Break = Callable[[Sandbox, Provisioned], None]


# -- sandbox clients (one per service and server: loading botocore models is the slow part) ---------
_SESSION: boto3.session.Session | None = None
_CLIENTS: dict[tuple[str, str, str], Any] = {}


def client(sandbox: Sandbox, service: str, region: str | None = None) -> Any:
    global _SESSION
    region = region or sandbox.region
    key = (sandbox.endpoint_url, service, region)
    if key not in _CLIENTS:
        _SESSION = _SESSION or boto3.session.Session()
        _CLIENTS[key] = _SESSION.client(service, **{**sandbox.client_kwargs(), "region_name": region})
    return _CLIENTS[key]


def diagnose_live(sandbox: Sandbox, env: Provisioned, subject: str = "task") -> tuple[Snapshot, Diagnosis]:
    """Collect and diagnose the environment's task (or its service) over HTTP, as `open_live` does."""
    who = {"task": env.task_arn} if subject == "task" else {"service": env.service_name}
    found = open_live(cluster=env.cluster, endpoint_url=sandbox.endpoint_url, region=sandbox.region, **who)
    assert found.ok and found.live is not None and found.live.cluster == env.cluster
    assert found.snapshot is not None and found.diagnosis is not None
    return found.snapshot, found.diagnosis


# -- stopped reasons, worded as ECS words them (placeholders are filled in by the builder) ---------
_SECRETS_PREFIX = "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: "
_SESSION_USER = "User: arn:aws:sts::{account}:assumed-role/{execution_role_name}/{task_id}"
REASONS = {
    "assume-role": (
        "ECS was unable to assume the role '{execution_role_arn}' that was provided for this task. Please verify "
        "that the role being passed has the proper trust relationship and permissions and that your IAM user has "
        "permissions to pass this role."),
    "ecr-auth-denied": (
        _SECRETS_PREFIX + "unable to retrieve ecr registry auth: service call has been retried 1 time(s): operation "
        "error ECR: GetAuthorizationToken, https response error StatusCode: 400, RequestID: "
        "5f0d1c2e-8a7b-4c3d-9e1f-2a3b4c5d6e7f, api error AccessDeniedException: " + _SESSION_USER + " is not "
        "authorized to perform: ecr:GetAuthorizationToken on resource: * because no identity-based policy allows "
        "the ecr:GetAuthorizationToken action"),
    "registry-secret-denied": (
        _SECRETS_PREFIX + "unable to retrieve secret from asm: service call has been retried 1 time(s): failed to "
        "fetch secret {registry_secret_arn} from secrets manager: operation error Secrets Manager: GetSecretValue, "
        "https response error StatusCode: 400, RequestID: 0c4d2b1a-9e8f-4a7b-8c6d-5e4f3a2b1c0d, api error "
        "AccessDeniedException: " + _SESSION_USER + " is not authorized to perform: secretsmanager:GetSecretValue "
        "on resource: {registry_secret_arn} because no identity-based policy allows the "
        "secretsmanager:GetSecretValue action"),
    "registry-secret-kms": (
        _SECRETS_PREFIX + "unable to retrieve secret from asm: service call has been retried 1 time(s): failed to "
        "fetch secret {registry_secret_arn} from secrets manager: operation error Secrets Manager: GetSecretValue, "
        "https response error StatusCode: 400, RequestID: 7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d, api error "
        "AccessDeniedException: Access to KMS is not allowed"),
    "registry-secret-not-found": (
        _SECRETS_PREFIX + "unable to retrieve secret from asm: service call has been retried 1 time(s): failed to "
        "fetch secret {registry_secret_arn} from secrets manager: ResourceNotFoundException: Secrets Manager "
        "can't find the specified secret."),
    "registry-secret-deleted": (
        _SECRETS_PREFIX + "unable to retrieve secret from asm: service call has been retried 1 time(s): failed to "
        "fetch secret {registry_secret_arn} from secrets manager: InvalidRequestException: You can't perform this "
        "operation on the secret because it was marked for deletion."),
    "pull-access-denied": (
        "CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref "
        "docker.io/acme/payments-api:1.4.2: pull access denied, repository does not exist or may require "
        "authorization: server message: insufficient_scope: authorization failed"),
    "ssm-denied": (
        _SECRETS_PREFIX + "unable to retrieve secrets from ssm: service call has been retried 1 time(s): "
        "AccessDeniedException: " + _SESSION_USER + " is not authorized to perform: ssm:GetParameters on "
        "resource: arn:aws:ssm:{region}:{account}:parameter/payments-api/DATABASE_URL because no identity-based "
        "policy allows the ssm:GetParameters action"),
    "ssm-kms-denied": (
        _SECRETS_PREFIX + "unable to retrieve secrets from ssm: service call has been retried 1 time(s): "
        "AccessDeniedException: The ciphertext refers to a customer master key that does not exist, does not "
        "exist in this region, or you are not allowed to access. (Service: AWSKMS; Status Code: 400; Error Code: "
        "AccessDeniedException)"),
    "asm-not-found": (
        _SECRETS_PREFIX + "unable to retrieve secret from asm: service call has been retried 1 time(s): failed to "
        "fetch secret arn:aws:secretsmanager:{region}:{account}:secret:payments-api/api-key-Xy12Ab from secrets "
        "manager: ResourceNotFoundException: Secrets Manager can't find the specified secret."),
    "ecr-pull-denied": (
        "CannotPullContainerError: AccessDeniedException: " + _SESSION_USER + " is not authorized to perform: "
        "ecr:BatchGetImage on resource: arn:aws:ecr:{region}:{account}:repository/payments-api because no "
        "identity-based policy allows the ecr:BatchGetImage action"),
    "repo-policy-403": (
        "CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref "
        "210987654321.dkr.ecr.{region}.amazonaws.com/payments-api:1.4.2: pulling from host "
        "210987654321.dkr.ecr.{region}.amazonaws.com failed with status code [manifests 1.4.2]: 403 Forbidden"),
    "repo-not-found": (
        "CannotPullContainerError: Error response from daemon: repository {account}.dkr.ecr.{region}.amazonaws.com/"
        "payments-api not found: name unknown: The repository with name 'payments-api' does not exist in the "
        "registry with id '{account}'"),
    "tag-not-found": (
        "CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref "
        "{account}.dkr.ecr.{region}.amazonaws.com/payments-api:1.4.2: "
        "{account}.dkr.ecr.{region}.amazonaws.com/payments-api:1.4.2: not found"),
    "platform": (
        "CannotPullContainerError: ref pull has been retried 1 time(s): failed to unpack image on snapshotter "
        "overlayfs: no match for platform in manifest: not found"),
    "logs-denied": (
        "ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: "
        "failed to create Cloudwatch log stream: AccessDeniedException: " + _SESSION_USER + " is not authorized "
        "to perform: logs:CreateLogStream on resource: arn:aws:logs:{region}:{account}:log-group:{log_group}:"
        "log-stream:payments-api/api/{task_id} because no identity-based policy allows the logs:CreateLogStream "
        "action : exit status 1"),
    "log-group-missing": (
        "ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: "
        "failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not "
        "exist. : exit status 1"),
    "ecr-api-timeout": (
        _SECRETS_PREFIX + "unable to retrieve ecr registry auth: service call has been retried 3 time(s): "
        "RequestError: send request failed caused by: Post \"https://api.ecr.{region}.amazonaws.com/\": dial tcp "
        "52.46.145.142:443: i/o timeout. Please check your task network configuration."),
    "ecr-dkr-timeout": (
        "CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref "
        "{account}.dkr.ecr.{region}.amazonaws.com/payments-api:1.4.2: failed to do request: Head "
        "\"https://{account}.dkr.ecr.{region}.amazonaws.com/v2/payments-api/manifests/1.4.2\": dial tcp "
        "52.46.130.77:443: i/o timeout"),
    "layer-timeout": (
        "CannotPullContainerError: ref pull has been retried 1 time(s): failed to copy: httpReadSeeker: failed "
        "open: failed to do request: Get \"https://prod-{region}-starport-layer-bucket.s3.{region}.amazonaws.com/"
        "a1b2-4c3d8e9f0a1b2c3d-5e6f7a8b/8d2c4e6f-1a3b-4c5d-9e7f-0a1b2c3d4e5f?X-Amz-Security-Token=IQoJb3JpZ2luEXAMPLE"
        "&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20260301T031522Z&X-Amz-SignedHeaders=host&X-Amz-Expires=3600"
        "&X-Amz-Credential=ASIAEXAMPLEEXAMPLE%2F20260301%2F{region}%2Fs3%2Faws4_request"
        "&X-Amz-Signature=0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0\": "
        "dial tcp 52.217.161.201:443: i/o timeout"),
    "layer-403": (
        "CannotPullContainerError: ref pull has been retried 1 time(s): failed to copy: httpReadSeeker: failed "
        "open: unexpected status code https://prod-{region}-starport-layer-bucket.s3.{region}.amazonaws.com/"
        "a1b2-4c3d8e9f0a1b2c3d-5e6f7a8b/8d2c4e6f-1a3b-4c5d-9e7f-0a1b2c3d4e5f?X-Amz-Security-Token=IQoJb3JpZ2luEXAMPLE"
        "&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20260301T031522Z&X-Amz-SignedHeaders=host&X-Amz-Expires=3600"
        "&X-Amz-Credential=ASIAEXAMPLEEXAMPLE%2F20260301%2F{region}%2Fs3%2Faws4_request"
        "&X-Amz-Signature=0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0: 403 Forbidden"),
    "logs-timeout": (
        "ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: "
        "failed to create Cloudwatch log stream: RequestError: send request failed caused by: Post "
        "\"https://logs.{region}.amazonaws.com/\": dial tcp 52.94.0.17:443: i/o timeout : exit status 1"),
}


# -- policy documents -------------------------------------------------------------------------------
PULL_ACTIONS = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
ALLOW_ECR_AUTH = {"Sid": "EcrToken", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}
ALLOW_PULL = {"Sid": "PullPaymentsApi", "Effect": "Allow", "Action": PULL_ACTIONS, "Resource": "${repository_arn}"}
ALLOW_LOGS = {"Sid": "WriteLogs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
              "Resource": "${log_group_arn}"}


def _document(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


# -- breaking the sandbox after provisioning (no EnvSpec knob for these) --------------------------
_REGISTER_FIELDS = ("family", "taskRoleArn", "executionRoleArn", "networkMode", "containerDefinitions",
                    "requiresCompatibilities", "cpu", "memory", "runtimePlatform")


def register_revision(sandbox: Sandbox, env: Provisioned, change: Callable[[dict[str, Any]], None]) -> None:
    """Register a new task-definition revision with ``change`` applied, roll the service onto it and
    run a task of it (stopped with the spec's reason, as the builder does for the first one)."""
    ecs = client(sandbox, "ecs")
    current = ecs.describe_task_definition(taskDefinition=env.task_definition_arn)["taskDefinition"]
    request = {k: current[k] for k in _REGISTER_FIELDS if current.get(k) not in (None, [], {})}
    change(request)
    env.task_definition_arn = ecs.register_task_definition(**request)["taskDefinition"]["taskDefinitionArn"]
    if env.service_name:
        ecs.update_service(cluster=env.cluster, service=env.service_name, taskDefinition=env.task_definition_arn)
    env.task_arn = run_task(sandbox, env, stopped_reason=env.spec.stopped_reason)


def delete_repository(sandbox: Sandbox, env: Provisioned) -> None:
    """The repository was deleted (with its images) after the task definition was registered."""
    client(sandbox, "ecr").delete_repository(repositoryName=env.spec.repository, force=True)


def schedule_registry_secret_deletion(sandbox: Sandbox, env: Provisioned) -> None:
    """Someone deleted the credentials secret; Secrets Manager keeps it 7 days, scheduled for deletion."""
    client(sandbox, "secretsmanager").delete_secret(SecretId=env.ids["registry_secret_arn"], RecoveryWindowInDays=7)


def registry_secret_by_name_in_other_region(sandbox: Sandbox, env: Provisioned) -> None:
    """The credentials secret lives in us-west-2 and the task definition names it by its bare name,
    which ECS looks up in the task's own region (us-east-1), where it does not exist."""
    name = "dockerhub/payments-api-west"
    arn = client(sandbox, "secretsmanager", region="us-west-2").create_secret(
        Name=name, SecretString=json.dumps({"username": "acme-ci", "password": "dckr_pat_sandbox"}))["ARN"]
    client(sandbox, "iam").put_role_policy(  # the role may read it: only its location is wrong
        RoleName=env.ids["execution_role_name"], PolicyName="read-west-credentials",
        PolicyDocument=json.dumps(_document({"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                                             "Resource": arn})))

    def use_bare_name(request: dict[str, Any]) -> None:
        request["containerDefinitions"][0]["repositoryCredentials"] = {"credentialsParameter": name}

    register_revision(sandbox, env, use_bare_name)


def invalid_fargate_memory(sandbox: Sandbox, env: Provisioned) -> None:
    """A revision with 0.25 vCPU and 4 GB: moto registers it, but Fargate only offers 0.5, 1 or 2 GB
    with 256 CPU units ("Task CPU and memory" in the ECS developer guide)."""

    def bad_size(request: dict[str, Any]) -> None:
        request["cpu"], request["memory"] = "256", "4096"

    register_revision(sandbox, env, bad_size)


# -- the table ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    """One broken environment: the finding that must fail, and how it was broken."""

    id: str
    finding: str
    targets: tuple[str | None, ...]  # each must fail; (None,): the finding fails for some target (or none)
    step: str | None  # the step the verdict names; None: a task-definition finding (no step)
    how: str
    spec: EnvSpec
    breaks: Break | None = None
    also: frozenset[tuple[str, str | None]] = frozenset()  # other findings allowed to fail with it
    subject: Literal["task", "service"] = "task"
    # The real ids the failing findings must name (in title, detail, evidence or remediation).
    mentions: Callable[[Provisioned], tuple[str, ...]] | None = None
    bug: str | None = None  # a known library bug: the case is expected to fail until it is fixed

    @property
    def reason(self) -> str | None:
        return self.spec.stopped_reason

    def allowed_failures(self) -> set[tuple[str, str | None]]:
        return {(self.finding, t) for t in self.targets} | set(self.also)


def _no_exec_role_fallout(*ids: str) -> frozenset[tuple[str, str | None]]:
    return frozenset((i, None) for i in ids)


_PRIVATE = EnvSpec(subnet="private-endpoints")
_BOTH_STORES = (ContainerSecret("DATABASE_URL", "ssm"), ContainerSecret("API_KEY", "secretsmanager"))
_ARM64 = {"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"}
_OTHER_ACCOUNT_ONLY = _document({"Sid": "AllowPullFromStaging", "Effect": "Allow",
                                 "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": PULL_ACTIONS})
_S3_POLICY_OTHER_BUCKET = _document({"Sid": "OnlyAppBucket", "Effect": "Allow", "Principal": "*",
                                     "Action": "s3:GetObject", "Resource": "arn:aws:s3:::payments-app-assets/*"})
_BOUNDARY_WITHOUT_TOKEN = _document({"Sid": "PullAndLogOnly", "Effect": "Allow",
                                     "Action": [*PULL_ACTIONS, "logs:CreateLogStream", "logs:PutLogEvents"],
                                     "Resource": "*"})
_FAIL_EVERY_ROLE_NEED = _no_exec_role_fallout("iam.ecr-auth", "iam.ecr-pull", "iam.logs")

CASES: tuple[Case, ...] = (
    # -- assume-role --------------------------------------------------------------------------
    Case("exec-role-missing", "exec-role.missing", (None,), "assume-role",
         "the task definition has no executionRoleArn although it pulls from ECR and uses awslogs",
         EnvSpec(execution_role="absent"),
         # ECS itself refuses such a task definition on Fargate (awslogs and ECR need an execution role).
         also=_FAIL_EVERY_ROLE_NEED | {("taskdef.invalid", None)}),
    Case("exec-role-not-found", "exec-role.not-found", (None,), "assume-role",
         "executionRoleArn names a role that was deleted",
         EnvSpec(execution_role="not-found", stopped_reason=REASONS["assume-role"]), also=_FAIL_EVERY_ROLE_NEED,
         mentions=lambda env: (env.ids["execution_role_arn"],)),
    Case("exec-role-trust", "exec-role.trust", (None,), "assume-role",
         "the execution role trusts ecs.amazonaws.com instead of ecs-tasks.amazonaws.com",
         EnvSpec(execution_role_trust="ecs.amazonaws.com", stopped_reason=REASONS["assume-role"]),
         mentions=lambda env: (env.ids["execution_role_name"], "ecs-tasks.amazonaws.com")),
    # -- registry-auth ------------------------------------------------------------------------
    Case("ecr-auth-scoped-policy", "iam.ecr-auth", (None,), "registry-auth",
         "a custom execution policy scopes every ECR action to the repository (GetAuthorizationToken needs *)",
         EnvSpec(execution_role_policy="custom", execution_role_statements=(ALLOW_PULL, ALLOW_LOGS),
                 stopped_reason=REASONS["ecr-auth-denied"]),
         mentions=lambda env: (env.ids["execution_role_name"], "ecr:GetAuthorizationToken")),
    Case("ecr-auth-boundary", "iam.ecr-auth", (None,), "registry-auth",
         "a permissions boundary leaves ecr:GetAuthorizationToken out (the managed policy grants it)",
         EnvSpec(permissions_boundary=_BOUNDARY_WITHOUT_TOKEN, stopped_reason=REASONS["ecr-auth-denied"]),
         mentions=lambda env: (env.ids["execution_role_name"], "ecr:GetAuthorizationToken")),
    Case("registry-secret-denied", "iam.registry-secret", (None,), "registry-auth",
         "the execution role may not read the Docker Hub credentials secret",
         EnvSpec(image_source="dockerhub-private", grant_registry_secret=False,
                 stopped_reason=REASONS["registry-secret-denied"]),
         mentions=lambda env: (env.ids["registry_secret_arn"],)),
    Case("registry-secret-kms", "iam.kms-decrypt", (None,), "registry-auth",
         "the credentials secret is encrypted with a customer-managed key the role may not use",
         EnvSpec(image_source="dockerhub-private", registry_secret_kms=True, grant_kms_decrypt=False,
                 stopped_reason=REASONS["registry-secret-kms"]),
         mentions=lambda env: (env.ids["kms_keys"]["secrets"],)),
    Case("registry-secret-missing", "registry.secret-missing", (None,), "registry-auth",
         "repositoryCredentials names a secret that does not exist",
         EnvSpec(image_source="dockerhub-private", registry_secret="missing",
                 stopped_reason=REASONS["registry-secret-not-found"]),
         also=_no_exec_role_fallout("iam.registry-secret")),
    Case("registry-secret-scheduled-deletion", "registry.secret-missing", (None,), "registry-auth",
         "the credentials secret is scheduled for deletion (DeleteSecret with a recovery window)",
         EnvSpec(image_source="dockerhub-private", stopped_reason=REASONS["registry-secret-deleted"]),
         breaks=schedule_registry_secret_deletion),
    Case("registry-secret-other-region", "registry.secret-missing", (None,), "registry-auth",
         "repositoryCredentials gives the bare name of a secret that only exists in another region",
         EnvSpec(image_source="dockerhub-private", stopped_reason=REASONS["registry-secret-not-found"]),
         breaks=registry_secret_by_name_in_other_region, also=_no_exec_role_fallout("iam.registry-secret"),
         mentions=lambda env: ("dockerhub/payments-api-west",)),
    Case("registry-credentials-missing", "registry.credentials-missing", (None,), "registry-auth",
         "a private Docker Hub image without repositoryCredentials; the registry refused the anonymous pull",
         EnvSpec(image_source="dockerhub-private", registry_credentials=False,
                 stopped_reason=REASONS["pull-access-denied"])),
    # -- secrets (SSM Parameter Store and Secrets Manager) ----------------------------------------
    Case("secrets-denied-both-stores", "iam.secrets", (None,), "secrets",
         "an SSM parameter and a Secrets Manager secret the execution role may not read",
         EnvSpec(container_secrets=_BOTH_STORES, grant_container_secrets=False, stopped_reason=REASONS["ssm-denied"]),
         mentions=lambda env: tuple(env.ids["secrets"].values())),
    Case("secrets-missing-both-stores", "secrets.missing", (None,), "secrets",
         "an SSM parameter and a Secrets Manager secret that do not exist",
         EnvSpec(container_secrets=(ContainerSecret("DATABASE_URL", "ssm", exists=False),
                                    ContainerSecret("API_KEY", "secretsmanager", exists=False)),
                 stopped_reason=REASONS["asm-not-found"]),
         also=_no_exec_role_fallout("iam.secrets"),
         mentions=lambda env: tuple(env.ids["secrets"].values())),
    Case("secrets-kms-ssm", "iam.kms-decrypt", (None,), "secrets",
         "a SecureString parameter under a customer-managed key the role may not use",
         EnvSpec(container_secrets=(ContainerSecret("DATABASE_URL", "ssm", kms=True),), grant_kms_decrypt=False,
                 stopped_reason=REASONS["ssm-kms-denied"]),
         mentions=lambda env: (env.ids["kms_keys"]["secrets"],)),
    # -- manifest -----------------------------------------------------------------------------
    Case("ecr-pull-denied", "iam.ecr-pull", (None,), "manifest",
         "a custom execution policy grants the ECR token and logs but no pull actions",
         EnvSpec(execution_role_policy="custom", execution_role_statements=(ALLOW_ECR_AUTH, ALLOW_LOGS),
                 stopped_reason=REASONS["ecr-pull-denied"]),
         mentions=lambda env: (env.ids["repository_arn"],)),
    Case("cross-account-repo-policy", "ecr.repo-policy", (None,), "manifest",
         "the shared-artifacts repository policy grants another account only",
         EnvSpec(image_source="ecr-cross-account", repository_policy=_OTHER_ACCOUNT_ONLY,
                 stopped_reason=REASONS["repo-policy-403"]),
         mentions=lambda env: (env.ids["repository_arn"],)),
    Case("repo-deleted", "ecr.repo-missing", (None,), "manifest",
         "the ECR repository was deleted after the deploy",
         EnvSpec(stopped_reason=REASONS["repo-not-found"]), breaks=delete_repository),
    Case("tag-never-pushed", "ecr.image-missing", (None,), "manifest",
         "the task definition names a tag that was never pushed",
         EnvSpec(image_pushed=False, stopped_reason=REASONS["tag-not-found"])),
    Case("platform-mismatch", "ecr.platform-mismatch", (None,), "manifest",
         "an ARM64 task with an amd64-only image",
         EnvSpec(runtime_platform=_ARM64, stopped_reason=REASONS["platform"])),
    # -- logs ---------------------------------------------------------------------------------
    Case("logs-denied", "iam.logs", (None,), "logs",
         "a custom execution policy without the logs actions",
         EnvSpec(execution_role_policy="custom", execution_role_statements=(ALLOW_ECR_AUTH, ALLOW_PULL),
                 stopped_reason=REASONS["logs-denied"]),
         mentions=lambda env: (env.spec.log_group_name,)),
    Case("log-group-missing", "logs.group-missing", (None,), "logs",
         "the awslogs group does not exist and awslogs-create-group is not set",
         EnvSpec(awslogs="missing", stopped_reason=REASONS["log-group-missing"]),
         mentions=lambda env: (env.spec.log_group_name,)),
    # -- network ------------------------------------------------------------------------------
    Case("no-route-isolated", "net.no-route", (*PULL_TARGETS, "secretsmanager", "ssm"), "registry-auth",
         "private subnets with no NAT and no endpoints, and container secrets in both stores",
         EnvSpec(subnet="private-isolated", container_secrets=_BOTH_STORES, stopped_reason=REASONS["ecr-api-timeout"])),
    Case("no-route-ecr-dkr", "net.no-route", ("ecr.dkr",), "manifest",
         "private endpoints without ecr.dkr (the registry host itself)",
         EnvSpec(subnet="private-endpoints", endpoints=("ecr.api", "logs"), stopped_reason=REASONS["ecr-dkr-timeout"])),
    Case("no-route-s3", "net.no-route", ("s3",), "layers",
         "ECR interface endpoints but no S3 gateway endpoint for the layers",
         EnvSpec(subnet="private-endpoints", s3_gateway=False, stopped_reason=REASONS["layer-timeout"])),
    Case("no-route-logs", "net.no-route", ("logs",), "logs",
         "every endpoint except logs",
         EnvSpec(subnet="private-endpoints", endpoints=("ecr.api", "ecr.dkr"), stopped_reason=REASONS["logs-timeout"])),
    Case("public-subnet-no-public-ip", "net.public-ip", PULL_TARGETS, "registry-auth",
         "a public subnet (internet gateway route) with assignPublicIp DISABLED",
         EnvSpec(assign_public_ip=False, stopped_reason=REASONS["ecr-api-timeout"]),
         mentions=lambda env: (env.ids["internet_gateway"],)),
    Case("vpc-dns-hostnames-off", "net.vpc-dns", ("ecr.api", "ecr.dkr", "logs"), "registry-auth",
         "interface endpoints with private DNS in a VPC whose enableDnsHostnames is off",
         EnvSpec(subnet="private-endpoints", endpoints=("ecr.api", "ecr.dkr", "logs"), vpc_dns_hostnames=False,
                 stopped_reason=REASONS["ecr-api-timeout"]),
         mentions=lambda env: (env.ids["vpc"],)),
    Case("endpoint-private-dns-off", "net.endpoint-private-dns", ("ecr.api", "ecr.dkr", "logs"), "registry-auth",
         "interface endpoints created with PrivateDnsEnabled false",
         EnvSpec(subnet="private-endpoints", endpoints=("ecr.api", "ecr.dkr", "logs"), endpoint_private_dns=False,
                 stopped_reason=REASONS["ecr-api-timeout"]),
         mentions=lambda env: (env.ids["endpoints"]["ecr.api"], env.ids["endpoints"]["logs"])),
    Case("s3-gateway-off-route-table", "net.s3-gateway-route", ("s3",), "layers",
         "the S3 gateway endpoint sits on the VPC's main route table, not the task subnets' table",
         EnvSpec(subnet="private-endpoints", s3_gateway_on_task_route_table=False,
                 stopped_reason=REASONS["layer-timeout"]),
         mentions=lambda env: (env.ids["endpoints"]["s3"], env.ids["route_tables"]["task"])),
    Case("s3-endpoint-policy", "net.endpoint-policy", ("s3",), "layers",
         "the S3 gateway endpoint policy only allows the application's own bucket, not the starport layer bucket",
         EnvSpec(subnet="private-endpoints", endpoint_policies={"s3": _S3_POLICY_OTHER_BUCKET},
                 stopped_reason=REASONS["layer-403"]),
         mentions=lambda env: (env.ids["endpoints"]["s3"],)),
    Case("endpoint-sg-no-443", "net.endpoint-sg", ("ecr.api", "ecr.dkr", "logs"), "registry-auth",
         "the endpoints' security group admits 443 from an old VPC's CIDR only",
         EnvSpec(subnet="private-endpoints", endpoints=("ecr.api", "ecr.dkr", "logs"), endpoint_sg_allows_task=False,
                 stopped_reason=REASONS["ecr-api-timeout"]),
         mentions=lambda env: (env.ids["security_groups"]["endpoints"],)),
    Case("task-sg-no-egress", "net.task-sg-egress", PULL_TARGETS, "registry-auth",
         "the task security group has no outbound rule at all",
         EnvSpec(task_sg_egress="none", stopped_reason=REASONS["ecr-api-timeout"]),
         mentions=lambda env: (env.ids["security_groups"]["task"],)),
    Case("task-sg-egress-vpc-only", "net.task-sg-egress", ("s3",), "layers",
         "outbound 443 only to the VPC CIDR: enough for the interface endpoints, not for the S3 prefix list",
         EnvSpec(subnet="private-endpoints", task_sg_egress="443-vpc-only", stopped_reason=REASONS["layer-timeout"])),
    Case("nacl-blocks-443-out", "net.nacl", PULL_TARGETS, "registry-auth",
         "the task subnets' network ACL denies tcp 443 out",
         EnvSpec(nacl="block-443-out", stopped_reason=REASONS["ecr-api-timeout"]),
         mentions=lambda env: (env.ids["network_acl"],)),
    Case("nacl-blocks-replies-service", "net.nacl", PULL_TARGETS, "registry-auth",
         "the network ACL denies the ephemeral return ports in; diagnosed from the service (no task to read)",
         EnvSpec(nacl="block-ephemeral-in"), subject="service"),
    # -- any step -------------------------------------------------------------------------------
    Case("role-confusion", "role.confusion", (None,), "registry-auth",
         "the ECR permissions were put on the task role; the execution role only writes logs",
         EnvSpec(execution_role_policy="custom", execution_role_statements=(ALLOW_LOGS,),
                 task_role_statements=(ALLOW_ECR_AUTH, ALLOW_PULL), stopped_reason=REASONS["ecr-auth-denied"]),
         also=_no_exec_role_fallout("iam.ecr-auth", "iam.ecr-pull"),
         mentions=lambda env: (env.ids["task_role_name"],)),
    Case("taskdef-invalid-fargate-size", "taskdef.invalid", (None,), None,
         "a revision with cpu 256 and memory 4096, which Fargate does not offer (a task of it is diagnosed: "
         "moto's UpdateService leaves the PRIMARY deployment on the old revision)",
         EnvSpec(), breaks=invalid_fargate_memory, mentions=lambda env: ("4096",)),
)


Aspect = Literal["failures", "reported", "steps"]


@dataclass(frozen=True)
class Healthy:
    """A set-up that must pull: no failing finding, every contract id pass or skipped."""

    id: str
    spec: EnvSpec
    must_pass: frozenset[str]  # ids this set-up exercises: each must have a passing finding
    # Known library bugs, by the group of assertions each breaks: "failures" (something fails),
    # "reported" (a contract id produces no finding at all), "steps" (a step is not pass/skipped).
    bugs: tuple[tuple[Aspect, str], ...] = ()

    @property
    def bug(self) -> str | None:
        return " AND ".join(text for _, text in self.bugs) or None

    def bug_for(self, aspect: Aspect) -> str | None:
        return next((text for a, text in self.bugs if a == aspect), None)


_ROLE_AND_ECR = frozenset({
    "exec-role.missing", "exec-role.not-found", "exec-role.trust", "role.confusion", "iam.ecr-auth",
    "iam.ecr-pull", "ecr.repo-policy", "ecr.repo-missing", "ecr.image-missing", "ecr.platform-mismatch",
    "iam.logs", "logs.group-missing", "net.no-route", "net.task-sg-egress", "net.nacl", "taskdef.invalid",
})
_SECRETS = frozenset({"iam.secrets", "secrets.missing", "iam.kms-decrypt"})
_ENDPOINTS = frozenset({"net.vpc-dns", "net.endpoint-private-dns", "net.s3-gateway-route", "net.endpoint-policy",
                        "net.endpoint-sg"})
_KMS_SECRETS = (ContainerSecret("DATABASE_URL", "ssm", kms=True), ContainerSecret("API_KEY", "secretsmanager", kms=True))

HEALTHY: tuple[Healthy, ...] = (
    Healthy("public-subnet", EnvSpec(container_secrets=_KMS_SECRETS),
            _ROLE_AND_ECR | _SECRETS | {"net.public-ip"}),
    Healthy("private-endpoints", replace(_PRIVATE, container_secrets=_KMS_SECRETS),
            _ROLE_AND_ECR | _SECRETS | _ENDPOINTS),
    Healthy("private-nat-cross-account", EnvSpec(subnet="private-nat", image_source="ecr-cross-account"),
            _ROLE_AND_ECR),
    Healthy("dockerhub-private-kms", EnvSpec(image_source="dockerhub-private", registry_secret_kms=True),
            frozenset({"iam.registry-secret", "registry.secret-missing", "registry.credentials-missing",
                       "iam.kms-decrypt", "net.no-route", "net.public-ip"})),
    Healthy("awslogs-create-group", EnvSpec(awslogs="create-group"),
            frozenset({"iam.logs", "logs.group-missing"})),
)
