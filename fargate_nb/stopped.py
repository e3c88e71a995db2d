"""Classify a task's ``stoppedReason`` (or a container ``reason``) into a pull step and a cause.

Rules are tried most specific first; each says which step broke, why, and which finding ids can
confirm it. The text is scrubbed (presigned URLs, signatures) and cleaned of control characters.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from fargate_nb.scrub import scrub_text

MAX_TEXT = 4000
ECS_REASON_LIMIT = 255  # ECS cuts stoppedReason at 255 characters
_CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|[\x00-\x08\x0b-\x1f\x7f]")

NET_IDS = ["net.no-route", "net.public-ip", "net.endpoint-sg", "net.task-sg-egress", "net.nacl", "net.vpc-dns",
           "net.endpoint-private-dns", "net.endpoint-policy"]


@dataclass
class Explanation:
    step: str | None
    cause: str
    summary: str
    finding_ids: list[str] = field(default_factory=list)
    target: str | None = None
    text: str = ""
    truncated: bool = False
    wording: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    step: str | None
    cause: str
    summary: str
    finding_ids: tuple[str, ...] = ()
    target: str | None = None


def _r(pattern: str, step: str | None, cause: str, summary: str, ids: tuple[str, ...] | list[str] = (),
       target: str | None = None) -> _Rule:
    return _Rule(re.compile(pattern, re.IGNORECASE | re.DOTALL), step, cause, summary, tuple(ids), target)


_NET = r"(i/o timeout|request canceled while waiting for connection|connection (refused|reset)|no such host|network is unreachable|context deadline exceeded|send request failed|dial tcp)"

# Most specific first.
RULES: tuple[_Rule, ...] = (
    _r(r"ECS was unable to assume the role", "assume-role", "permission",
       "Fargate could not assume the task execution role: its trust policy does not admit ecs-tasks.amazonaws.com, "
       "or the role does not exist.", ("exec-role.trust", "exec-role.not-found", "exec-role.missing")),
    _r(r"(no space left on device|disk quota exceeded|ephemeral storage)", "layers", "resource",
       "The task ran out of ephemeral storage while unpacking the image.", ()),
    _r(r"(toomanyrequests|pull rate limit|rate exceeded.*docker)", "manifest", "rate-limit",
       "Docker Hub's anonymous pull rate limit was reached: authenticate with repositoryCredentials or mirror "
       "the image to ECR (pull-through cache).", ("registry.credentials-missing",), "registry-1.docker.io"),
    _r(r"(does not contain descriptor matching platform|no matching manifest for|exec format error|"
       r"image platform .* does not match|no match for platform)", "manifest", "platform",
       "The image has no build for the task's CPU architecture / OS (runtimePlatform).", ("ecr.platform-mismatch",)),
    _r(r"(kms|Access to KMS is not allowed|KMSAccessDenied|kms:Decrypt)", "secrets", "permission",
       "The execution role may not decrypt the secret's KMS key.", ("iam.kms-decrypt",)),
    _r(r"(retrieve secret from asm|secrets manager|secretsmanager).*(AccessDenied|not authorized)", "secrets",
       "permission", "The execution role may not read a Secrets Manager secret.",
       ("iam.registry-secret", "iam.secrets")),
    _r(r"(retrieve secret from asm|secrets manager|secretsmanager).*(ResourceNotFound|can't find the specified secret|"
       r"marked for deletion)", "secrets", "not-found", "A referenced Secrets Manager secret does not exist.",
       ("registry.secret-missing", "secrets.missing")),
    _r(r"(retrieve secret from asm|secrets manager|secretsmanager).*" + _NET, "secrets", "network",
       "The task could not reach Secrets Manager.", NET_IDS, "secretsmanager"),
    _r(r"(ssm|parameter store|GetParameters).*(AccessDenied|not authorized)", "secrets", "permission",
       "The execution role may not read an SSM parameter.", ("iam.secrets",)),
    _r(r"(ssm|GetParameters).*(ParameterNotFound|invalid parameters|InvalidParameters)", "secrets", "not-found",
       "A referenced SSM parameter does not exist.", ("secrets.missing",)),
    _r(r"(ssm|GetParameters).*" + _NET, "secrets", "network", "The task could not reach Systems Manager.",
       NET_IDS, "ssm"),
    _r(r"(ecr registry auth|GetAuthorizationToken).*(AccessDenied|not authorized)", "registry-auth", "permission",
       "The execution role may not call ecr:GetAuthorizationToken.", ("iam.ecr-auth", "role.confusion")),
    _r(r"(ecr registry auth|api\.ecr\.|GetAuthorizationToken).*" + _NET, "registry-auth", "network",
       "The task could not reach the ECR API (ecr.api) to get an authorization token.", NET_IDS, "ecr.api"),
    _r(r"(create stream|log stream|log group|Cloudwatch|logs\.).*(ResourceNotFoundException|does not exist)", "logs",
       "not-found", "The awslogs log group does not exist and is not created (awslogs-create-group).",
       ("logs.group-missing",)),
    _r(r"(create stream|log stream|log group|Cloudwatch|logs:).*(AccessDenied|not authorized)", "logs",
       "permission", "The execution role may not write the awslogs stream.", ("iam.logs",)),
    _r(r"(create stream|Cloudwatch|logs\.[a-z0-9-]+\.amazonaws).*" + _NET, "logs", "network",
       "The task could not reach CloudWatch Logs.", NET_IDS, "logs"),
    _r(r"failed to validate logger args", "logs", "config", "The awslogs options are invalid.", ("iam.logs",)),
    _r(r"starport-layer-bucket.*(403|Forbidden|AccessDenied)", "layers", "permission",
       "Downloading a layer from ECR's S3 bucket was refused: usually an S3 gateway endpoint policy without the "
       "starport layer bucket.", ("net.endpoint-policy",), "s3"),
    _r(r"(starport-layer-bucket|\.s3\.[a-z0-9-]+\.amazonaws\.com|httpReadSeeker).*" + _NET, "layers", "network",
       "The task could not download image layers from S3: private subnets need the S3 gateway endpoint on their "
       "route table.", ("net.no-route", "net.s3-gateway-route", "net.task-sg-egress", "net.nacl"), "s3"),
    _r(r"(BatchGetImage|GetDownloadUrlForLayer|BatchCheckLayerAvailability).*(AccessDenied|not authorized)|"
       r"(AccessDenied|not authorized).*(BatchGetImage|GetDownloadUrlForLayer|BatchCheckLayerAvailability)",
       "manifest", "permission", "The execution role may not pull from the ECR repository.",
       ("iam.ecr-pull", "ecr.repo-policy", "role.confusion")),
    _r(r"(403 Forbidden|AccessDenied|not authorized).*\.dkr\.ecr\.|\.dkr\.ecr\..*(403 Forbidden|denied)", "manifest",
       "permission", "ECR refused the pull: the execution role or the repository policy does not allow it.",
       ("iam.ecr-pull", "ecr.repo-policy")),
    _r(r"(pull access denied|no basic auth credentials|401 Unauthorized|requested access to the resource is denied|"
       r"unauthorized: authentication required|insufficient_scope)", "registry-auth", "auth-config",
       "The registry asked for credentials: a private image needs repositoryCredentials (or ECR permissions).",
       ("registry.credentials-missing", "iam.registry-secret", "iam.ecr-auth")),
    _r(r"(failed to resolve ref|manifest unknown|not found: manifest|ImageNotFound|: not found)", "manifest",
       "not-found", "The image tag or digest does not exist in the repository (re-pushed or deleted tag?).",
       ("ecr.image-missing", "ecr.repo-missing")),
    _r(r"(RepositoryNotFound|repository does not exist|name unknown)", "manifest", "not-found",
       "The repository does not exist (or is private and needs credentials).",
       ("ecr.repo-missing", "registry.credentials-missing")),
    _r(r"\.dkr\.ecr\..*" + _NET, "manifest", "network",
       "The task could not reach the ECR registry endpoint (ecr.dkr).", NET_IDS, "ecr.dkr"),
    _r(r"(CannotPullContainerError|CannotPullECRContainerError).*" + _NET, "manifest", "network",
       "The task could not reach the registry.", NET_IDS),
    _r(r"Timeout waiting for network interface provisioning", None, "network",
       "Fargate could not attach the task's network interface (subnet capacity or ENI limits); not an image "
       "pull problem.", ()),
    _r(r"(Essential container in task exited|Task failed .*health checks|Scaling activity|"
       r"Task stopped by user|Deployment)", None, "unknown",
       "The task started (the image was pulled); it stopped for another reason.", ()),
    _r(r"(CannotPullContainerError|CannotPullECRContainerError)", "manifest", "unknown",
       "The image could not be pulled; the message does not say why.", ()),
    _r(r"ResourceInitializationError", "secrets", "unknown",
       "Fargate could not prepare the task's resources (secrets, registry auth or logs).", ()),
)


def clean(message: str | None) -> str:
    """Scrubbed, control-character-free text, capped in length."""
    text = _CONTROL.sub("", message or "")
    return scrub_text(text[:MAX_TEXT * 4])[:MAX_TEXT]


def explain(message: str | None) -> Explanation:
    """What a stopped reason means: step, cause, summary, and the finding ids that can confirm it."""
    text = clean(message)
    truncated = len(message or "") > MAX_TEXT or len(text) == ECS_REASON_LIMIT
    wording = None
    if text:
        wording = "2024+" if re.search(r"(has been retried|operation error|api error|https response error)", text) \
            else "legacy"
    for rule in RULES:
        if rule.pattern.search(text):
            target = rule.target or (_target_from_host(text) if rule.cause == "network" else None)
            return Explanation(rule.step, rule.cause, rule.summary, list(rule.finding_ids), target, text,
                               truncated, wording)
    summary = "No known pull failure in this message." if text else "No stopped reason."
    return Explanation(None, "unknown", summary, [], None, text, truncated, wording)


def _target_from_host(text: str) -> str | None:
    for pattern, target in ((r"api\.ecr\.", "ecr.api"), (r"\.dkr\.ecr\.", "ecr.dkr"),
                            (r"starport-layer-bucket|\.s3\.", "s3"), (r"logs\.[a-z0-9-]+\.amazonaws", "logs")):
        if re.search(pattern, text):
            return target
    return None


def classify_task(task: dict[str, Any]) -> Explanation:
    """The most specific explanation among the task's stoppedReason and its containers' reasons."""
    candidates = [c.get("reason") for c in task.get("containers") or [] if isinstance(c, dict)]
    candidates.insert(0, task.get("stoppedReason"))
    best: Explanation | None = None
    for message in candidates:
        if not message:
            continue
        found = explain(str(message))
        if best is None or (best.step is None and found.step is not None) or (
                best.cause == "unknown" and found.cause != "unknown"):
            best = found
    return best or explain(None)
