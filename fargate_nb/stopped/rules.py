"""The message shapes the stopped-reason classifier knows: contexts, causes, and what each pair means.

Data only; `fargate_nb.stopped` holds the algorithm. Sources: the AWS docs "CannotPullContainer task
errors in Amazon ECS", "Troubleshoot Amazon ECS ResourceInitializationError errors", "Amazon ECS
stopped task error messages", and the ECS agent's error formatters (2024+ wording).
"""

from __future__ import annotations

import re


def rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# -- contexts: which part of start-up produced the message (most specific first) ----------------------------
# (name, step, pattern, default target)
CONTEXTS: tuple[tuple[str, str | None, re.Pattern[str], str | None], ...] = (
    ("assume-role", "assume-role", rx(r"unable to assume the role"), None),
    ("not-pull", None, rx(r"essential container in task exited|failed (elb|container) health checks|"
                           r"stopped by user|scaling activity initiated|OutOfMemoryError|container killed due to "
                           r"memory|spot (task )?(was )?interrupt|SpotInterruption|task is being terminated|"
                           r"TerminationNotice|deployment .* (failed|rolled back)"), None),
    ("eni", None, rx(r"network interface provisioning|ENI (attachment|provisioning)"), None),
    ("logs", "logs", rx(r"logger args|logging driver|log stream|log group|awslogs|cloudwatch"), "logs"),
    ("registry-secret", "registry-auth", rx(r"asm fetching (secret from the service|authorization data|username|"
                                             r"password)|private registry (auth|credentials)|registry auth from asm"),
     "secretsmanager"),
    ("ecr-auth", "registry-auth", rx(r"ecr registry auth|registry auth from amazon ecr|GetAuthorizationToken|"
                                      r"CannotPullECRContainerError|api\.ecr\.[a-z0-9-]+\.amazonaws"), "ecr.api"),
    ("asm", "secrets", rx(r"secrets? from asm|secrets manager|secretsmanager|GetSecretValue"), "secretsmanager"),
    # environmentFiles: fetched from S3 by the execution role before start, like the secrets (same step)
    ("envfiles", "secrets", rx(r"download env files|env(ironment)? ?files? .{0,40}(fail|denied|error)"), "s3"),
    ("ssm", "secrets", rx(r"secrets? from ssm|systems manager|parameter store|GetParameters?\b|\bssm\b"), "ssm"),
    ("start", None, rx(r"CannotStartContainerError|CannotCreateContainerError|CannotInspectContainerError|"
                       r"CannotStopContainerError|ContainerRuntimeError|ContainerRuntimeTimeoutError|"
                       r"CannotCreateVolumeError|DockerTimeoutError|Could not transition to"), None),
    # "unable to pull secrets or registry auth" with no resource named above: not the image pull
    ("init", None, rx(r"unable to pull secrets or registry auth"), None),
    ("pull", "manifest", rx(r"CannotPull|can't pull the image|failed to resolve ref|cannot pull '|pull image manifest|ref pull|"
                             r"failed to resolve ref|error response from daemon|http ?read(er)?seeker|"
                             r"pull access denied|toomanyrequests|pull rate limit|manifest|error pulling image|"
                             r"failed to (copy|register layer|extract layer)|pull command failed|exec format error|"
                             r"no space left on device|API error \(\d+\)"), None),
    ("init", None, rx(r"ResourceInitializationError"), None),
)

# -- causes: explicit errors first (priority order), then the 2024+ boilerplate as weaker evidence -----------
STRONG: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("platform", rx(r"descriptor matching platform|no matching manifest for|no match for platform|exec format error|"
                     r"image platform .{0,60}does not match|does not match the (specified|detected) platform|"
                     r"failed to find a descriptor for platform|"
                     # an image whose layers Fargate's runtime cannot unpack (e.g. mixed gzip/zstd layers)
                     r"mismatched image rootfs and manifest layers|number of layers and diffIDs don't match")),
    ("resource", rx(r"no space left on device|disk quota exceeded|not enough (disk )?space|"
                     # a write that fails while a layer is unpacked: the task's ephemeral storage
                     r"failed to (extract|register) layer\b.{0,200}?: write /")),
    ("rate-limit", rx(r"toomanyrequests|pull rate limit|429 too many requests|too many requests|rate exceeded|"
                       r"ThrottlingException|TooManyRequestsException")),
    ("permission", rx(r"AccessDenied|not authorized to perform|403 Forbidden|status code:? 403|\b403\b.{0,20}"
                       r"forbidden|access to kms is not allowed|KMSAccessDenied|KMS\.\w*Exception|"
                       r"unable to assume the role|check that the role has the permissions")),
    ("config", rx(r"awslogs-[a-z-]+ is required|awslogs driver arguments|did not contain json key|"
                   r"invalid reference format|invalid schema|AuthorizationData is malformed|"
                   r"InvalidParameterException|\bInvalidParameter\b|validation error\(s\) found|VersionId|"
                   r"ValidationException|unknown log opt|"
                   # a secret value that is not JSON while a json-key is asked for
                   r"invalid character .{1,8} looking for beginning of value|unexpected end of JSON input|"
                   r"cannot unmarshal|"
                   # an AWS host built from an unset region (awslogs-region "undefined", "${AWS_REGION}" ...)
                   r"\b(?:logs|api\.ecr|ecr|secretsmanager|ssm|s3|sts)\.(?:undefined|null|none|nil|\$\{[^}]*\}|"
                   r"\{\{[^}]*\}\})\.amazonaws")),
    ("auth-config", rx(r"no basic auth credentials|\bunauthori[sz]ed\b|(?<![\w.:/-])401(?![\w.-])|"
                        r"insufficient_scope|may require '?docker login'?|may require authorization|"
                        r"requested access to the resource is denied|incorrect username or password|"
                        r"pull access denied|"
                        r"failed to fetch anonymous token(?!:\s*(Get|Post|Head|dial|read|net/http))")),
    ("not-found", rx(r"ResourceNotFound|ParameterNotFound|InvalidParameters|invalid (ssm )?parameters|"
                      r"RepositoryNotFound|ImageNotFound|manifest unknown|name unknown|: not found\b|not found: |"
                      r"\bnot found\b|does not exist|can't find the specified|marked for deletion|"
                      r"check whether the (image|secret) exists|check that the secret ARN is correct|"
                      r"can't retrieve the secret|API error \(404\)")),
    ("network", rx(r"i/o timeout|request canceled|context deadline exceeded|context canceled|dial tcp|"
                    r"no such host|connection refused|connection reset|network is unreachable|"
                    r"send request failed|request send failed|TLS handshake timeout|Client\.Timeout|"
                    r"exceeded maximum number of attempts|EOF\b|panic: runtime error|"
                    r"network interface provisioning|failed to do request|\bRequestError\b|"
                    # the agent kills a logger-args check or a pull command that hangs on the network
                    r"signal: killed")),
)
WEAK: tuple[tuple[str, re.Pattern[str]], ...] = (
    # a layer copy refused with no status shown: "there is no access to the image" (AWS, "CannotPullContainer
    # task errors", Fail to copy image)
    ("permission", rx(r"http ?read(er)?seeker: failed open: unexpected status code\W*$")),
    ("not-found", rx(r"cannot find the amazon cloudwatch log group|log group .{0,40}(not|doesn't) exist")),
    ("network", rx(r"connection issue between the task and|check (your )?(task )?network (configuration|"
                    r"connection)")),
)
NEW_WORDING = rx(r"the task (can't|cannot) |there is a connection issue between the task|"
                   r"check your (task )?network configuration|check whether the (image|secret) exists|"
                   r"check that the (role|secret)|operation error [A-Za-z ]+: \w+|https response error StatusCode|"
                   r"exceeded maximum number of attempts")
CATEGORY = rx(r"\b(CannotPullContainerError|CannotPullECRContainerError|ResourceInitializationError|"
                r"CannotStartContainerError|CannotCreateContainerError|CannotInspectContainerError|"
                r"ContainerRuntimeError|ContainerRuntimeTimeoutError|OutOfMemoryError|InternalError|"
                r"TaskFailedToStart|SpotInterruptionError|ResourceNotFoundException)\b")
KMS = rx(r"\bkms\b")
# a blob transfer (layers and the image config are blobs): step `layers` unless the failing URL is a manifest
BLOB_WORK = rx(r"failed to copy|http ?read(er)?seeker|/v2/\S*/blobs/|unknown blob|failed to (extract|register) layer|"
               r"GetImageBlob|image configuration|rootfs and manifest layers|layers and diffIDs|pull command failed")
REQUEST_URL = rx(r"https?://[^\s\"'\u201c\u201d]+")
ADVISORY_HOSTS = ("docker.com", "www.docker.com", "docs.docker.com", "aws.amazon.com", "docs.aws.amazon.com",
                  "repost.aws", "github.com")
ACTION = rx(r"not authorized to perform:? ([a-z0-9-]+:[A-Za-z0-9*]+)")
HOSTS = rx(r"https?://([a-z0-9][a-z0-9.-]*[a-z0-9](?::\d+)?)(/v2/)?|lookup ([a-z0-9][a-z0-9.-]*\.[a-z]{2,})[: ]|"
             r"(?:resolve ref|access denied for|cannot pull '?)\s*\"?([a-z0-9][a-z0-9.-]*\.[a-z]{2,}(?::\d+)?)/")

INTERFACE_NET = ["net.no-route", "net.public-ip", "net.endpoint-sg", "net.task-sg-egress", "net.nacl",
                  "net.vpc-dns", "net.endpoint-private-dns"]
S3_NET = ["net.no-route", "net.public-ip", "net.s3-gateway-route", "net.task-sg-egress", "net.nacl"]
INTERNET_NET = ["net.no-route", "net.public-ip", "net.task-sg-egress", "net.nacl"]
AWS_TARGETS = {"ecr.api", "ecr.dkr", "logs", "secretsmanager", "ssm"}

# (context, cause) -> (finding ids, summary, advice). A missing pair falls back to the context's generic row.
TABLE: dict[tuple[str, str], tuple[list[str], str, str]] = {
    ("assume-role", "permission"): (
        ["exec-role.trust", "exec-role.not-found", "exec-role.missing"],
        "Fargate could not assume the task execution role: the role is missing, or its trust policy does not "
        "let ecs-tasks.amazonaws.com assume it.",
        "Check executionRoleArn and the role's trust policy (Principal.Service ecs-tasks.amazonaws.com)."),
    ("ecr-auth", "permission"): (
        ["iam.ecr-auth", "role.confusion", "exec-role.missing"],
        "The execution role may not call ecr:GetAuthorizationToken, so Fargate cannot log in to ECR.",
        "Allow ecr:GetAuthorizationToken on * for the execution role (not the task role)."),
    ("ecr-auth", "network"): (
        INTERFACE_NET, "The task could not reach the ECR API (ecr.api) to get a registry token.",
        "Give the subnets a route to ECR: a NAT gateway, a public IP with an internet gateway, or the "
        "ecr.api interface endpoint (private DNS on, its security group open to the task on 443)."),
    ("registry-secret", "permission"): (
        ["iam.registry-secret", "iam.kms-decrypt", "role.confusion"],
        "The execution role may not read the private-registry credentials secret.",
        "Allow secretsmanager:GetSecretValue on repositoryCredentials.credentialsParameter (and kms:Decrypt "
        "for a customer-managed key)."),
    ("registry-secret", "not-found"): (
        ["registry.secret-missing"], "The private-registry credentials secret does not exist in that region.",
        "Check repositoryCredentials.credentialsParameter: the secret ARN, its region, and its deletion state."),
    ("registry-secret", "config"): (
        [], "The registry credentials secret is not of the form {\"username\": ..., \"password\": ...}.",
        "Store the credentials as a JSON object with username and password keys."),
    ("registry-secret", "network"): (
        INTERFACE_NET, "The task could not reach Secrets Manager to read the registry credentials.",
        "Give the subnets a route to Secrets Manager (NAT, or the secretsmanager interface endpoint)."),
    ("asm", "permission"): (
        ["iam.secrets", "iam.kms-decrypt", "iam.registry-secret", "role.confusion"],
        "The execution role may not read a Secrets Manager secret the task references.",
        "Allow secretsmanager:GetSecretValue on the secret (and kms:Decrypt for a customer-managed key)."),
    ("asm", "not-found"): (
        ["secrets.missing", "registry.secret-missing"],
        "A Secrets Manager secret referenced by the task does not exist (wrong ARN, other region, or deleted).",
        "Check each secrets[].valueFrom: the full ARN, its region, and any :json-key:stage:version suffix."),
    ("asm", "config"): (
        [], "A secret exists but does not contain the JSON key named in valueFrom.",
        "Check the json-key part of valueFrom (arn:...:secret:name:json-key::)."),
    ("asm", "network"): (
        INTERFACE_NET, "The task could not reach Secrets Manager.",
        "Give the subnets a route to Secrets Manager (NAT, or the secretsmanager interface endpoint)."),
    ("ssm", "permission"): (
        ["iam.secrets", "iam.kms-decrypt", "role.confusion"],
        "The execution role may not read an SSM parameter the task references.",
        "Allow ssm:GetParameters on the parameters (and kms:Decrypt for SecureString with a customer key)."),
    ("ssm", "not-found"): (
        ["secrets.missing"], "An SSM parameter referenced by the task does not exist (name, region or account).",
        "Check each secrets[].valueFrom parameter name or ARN, in the task's region."),
    ("ssm", "network"): (
        INTERFACE_NET, "The task could not reach Systems Manager Parameter Store.",
        "Give the subnets a route to SSM (NAT, or the ssm interface endpoint)."),
    ("logs", "not-found"): (
        ["logs.group-missing", *INTERFACE_NET],
        "The awslogs log group does not exist (and awslogs-create-group is not set), or CloudWatch Logs could "
        "not be reached to find it.",
        "Create the log group (or set awslogs-create-group with logs:CreateLogGroup), and check the path to logs."),
    ("logs", "permission"): (
        ["iam.logs", "role.confusion"], "The execution role may not create the awslogs log stream or write to it.",
        "Allow logs:CreateLogStream and logs:PutLogEvents on the log group for the execution role."),
    ("logs", "network"): (
        INTERFACE_NET, "The task could not reach CloudWatch Logs for the awslogs driver.",
        "Give the subnets a route to CloudWatch Logs (NAT, or the logs interface endpoint)."),
    ("logs", "config"): (
        ["taskdef.invalid"], "The awslogs options in the task definition are invalid or incomplete.",
        "Set awslogs-group, awslogs-region and awslogs-stream-prefix (required on Fargate)."),
    ("pull", "not-found"): (
        ["ecr.image-missing", "ecr.repo-missing"],
        "The image tag or digest (or its repository) does not exist: a typo, or a tag re-pushed or deleted "
        "after the deployment resolved it to a digest.",
        "List the repository's images; pin the task to an existing tag or digest and redeploy."),
    ("pull", "permission"): (
        ["iam.ecr-pull", "ecr.repo-policy", "net.endpoint-policy", "role.confusion"],
        "The registry refused the pull: the execution role or the repository policy does not allow it.",
        "Allow ecr:BatchGetImage and ecr:GetDownloadUrlForLayer on the repository (and ecr:GetAuthorizationToken "
        "on *) for the execution role; for another account's repository, its repository policy must grant them too."),
    ("pull", "auth-config"): (
        ["registry.credentials-missing", "registry.secret-missing", "iam.registry-secret"],
        "The registry asked for credentials: the repository is private (or misspelt) and the task sends none.",
        "For a private registry set repositoryCredentials to a Secrets Manager secret; check the image name."),
    ("pull", "rate-limit"): (
        ["registry.credentials-missing"],
        "The registry's pull rate limit was reached (Docker Hub limits anonymous pulls per IP).",
        "Authenticate with repositoryCredentials, or serve the image from ECR (pull-through cache)."),
    ("pull", "platform"): (
        ["ecr.platform-mismatch"], "The image has no build for the task's OS/CPU architecture (runtimePlatform).",
        "Build and push the image for the task's platform (for example linux/amd64), or change runtimePlatform."),
    ("pull", "resource"): (
        [], "The task ran out of ephemeral storage while unpacking the image layers.",
        "Shrink the image, or raise ephemeralStorage.sizeInGiB in the task definition."),
    ("pull", "network"): (
        INTERFACE_NET, "The task could not reach the registry to pull the image.",
        "Give the subnets a route to the registry: NAT, a public IP with an internet gateway, or for ECR the "
        "ecr.dkr interface endpoint plus the S3 gateway endpoint."),
    ("pull", "unknown"): ([], "The image could not be pulled; the message does not say why.",
                          "Run fargate-nb diagnose to check every prerequisite of the pull."),
    ("init", "unknown"): (
        ["iam.ecr-auth", "iam.secrets", "secrets.missing", "logs.group-missing", "net.no-route"],
        "Fargate could not prepare the task (registry auth, secrets or the log driver); the message does not "
        "say which.", "Run fargate-nb diagnose; the full reason is in DescribeTasks (the console may cut it)."),
    ("start", "unknown"): (
        [], "The container could not be started after its image was pulled; not an image-pull failure.",
        "Look at the full reason for the runtime's error (entry point, command, user, mounts, memory)."),
    ("not-pull", "unknown"): (
        [], "Not an image-pull failure: the image was pulled and the task started, then stopped for another "
            "reason (application exit, health checks, scaling or a user).",
        "Look at the container's exit code and logs, and the load balancer's health check settings."),
    ("envfiles", "network"): (
        S3_NET, "The task could not reach Amazon S3 to download its environmentFiles.",
        "Give the subnets a path to S3 (the S3 gateway endpoint on their route tables, or NAT) and allow the bucket "
        "in the endpoint policy."),
    ("envfiles", "permission"): (
        ["iam.environment-files", "net.endpoint-policy"], "The execution role may not read an environmentFiles object in S3.",
        "Allow s3:GetObject on the object and s3:GetBucketLocation on the bucket for the execution role."),
    ("init", "network"): (
        INTERFACE_NET, "Fargate could not reach a service it needs before start (ECR, Secrets Manager or SSM); "
        "the message does not say which.",
        "Check the subnets' routes to ECR, Secrets Manager and SSM (NAT, or their interface endpoints) and the "
        "security groups on 443."),
    ("eni", "network"): (
        [], "Fargate could not attach the task's network interface in time (subnet IPs, ENI limits or a "
            "transient capacity problem); not an image-pull failure.",
        "Check the subnets' free IP addresses and retry; this happens before any image is pulled."),
}


CAUSE_WORDS = {
    "permission": "a permission was refused", "network": "a service could not be reached",
    "not-found": "something it needs does not exist", "auth-config": "the registry credentials are wrong or missing",
    "rate-limit": "a service throttled the requests", "platform": "the image does not match the platform",
    "config": "the task definition's settings are invalid", "resource": "it ran out of a resource",
    "unknown": "the message does not say why",
}
