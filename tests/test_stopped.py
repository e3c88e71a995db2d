"""The stopped-reason classifier on real message shapes, both wordings, truncation and hostile text.

Sources (the column ``src`` of the table):
- PULL: AWS docs, "CannotPullContainer task errors in Amazon ECS" (developerguide/task_cannot_pull_image.html)
- RIE: AWS docs, "Troubleshoot Amazon ECS ResourceInitializationError errors"
  (developerguide/resource-initialization-error.html)
- STOP: AWS docs, "Amazon ECS stopped task error messages" (developerguide/stopped-task-error-codes.html)
  and "Viewing Amazon ECS stopped task errors"
- KC: AWS re:Post knowledge center, "ecs-fargate-pull-container-error" and "ecs-unable-to-pull-secrets"
- AGENT: the ECS agent's 2024 message formatters (agent/errormessages, agent/asm) that produce the
  "The task can't pull the image. Check ..." and "The task can't retrieve the secret ..." wordings
- SDKV2: the same errors as printed by the AWS SDK for Go v2 ("operation error ECR: GetAuthorizationToken,
  https response error StatusCode: ...") in the current Fargate agent
- CTRD: containerd's own error text inside a platform-1.4 pull error ("no match for platform in manifest")
Account ids, ARNs, IPs and tags are placeholders; the shapes are the documented ones.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fargate_nb.model import STEPS
from fargate_nb.stopped import CAUSES, ECS_REASON_LIMIT, MAX_TEXT, classify_task, clean, explain

A = "111122223333"
ROLE = f"arn:aws:sts::{A}:assumed-role/ecsTaskExecutionRole/8f2a1c"
DKR = f"{A}.dkr.ecr.us-east-1.amazonaws.com"
SIGNED = ("https://prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com/a1b2-c3d4/5e6f?"
          "X-Amz-Security-Token=IQoJb3JpZ2luX2VjEJr&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20240601T000000Z"
          "&X-Amz-SignedHeaders=host&X-Amz-Expires=3600&X-Amz-Credential=ASIAEXAMPLEEXAMPLE12%2F20240601"
          "&X-Amz-Signature=0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0")
RIE = "ResourceInitializationError: unable to pull secrets or registry auth: "
EXEC = RIE + "execution resource retrieval failed: "
TIMEOUT_ECR_API = 'RequestError: send request failed caused by: Post "https://api.ecr.us-east-1.amazonaws.com/": ' \
                  "dial tcp 52.46.145.142:443: i/o timeout"
NET = ["net.no-route", "net.endpoint-sg", "net.task-sg-egress", "net.nacl", "net.vpc-dns", "net.endpoint-private-dns"]

# (src, message, step, cause, target, finding ids that must be offered, wording)
CASES = [
    # --- CannotPullContainerError: image / manifest ------------------------------------------------------------
    ("PULL", f"CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref "
             f"{DKR}/api:v42: {DKR}/api:v42: not found", "manifest", "not-found", None, ["ecr.image-missing"], "legacy"),
    ("PULL", f"CannotPullContainerError: API error (404): repository {DKR}/app/api not found",
     "manifest", "not-found", None, ["ecr.repo-missing"], "legacy"),
    ("PULL", "CannotPullContainerError: Error response from daemon: manifest for nginx:1.99 not found: manifest "
             "unknown: manifest unknown", "manifest", "not-found", None, ["ecr.image-missing"], "legacy"),
    ("AGENT", f"CannotPullContainerError: The task can't pull the image. Check whether the image exists. Error response "
              f"from daemon: pull access denied for {DKR}/nonsense, repository does not exist or may require 'docker "
              f"login': denied: requested access to the resource is denied", "manifest", "not-found", None,
     ["ecr.repo-missing"], "2024+"),
    ("PULL", f"CannotPullContainerError: ref pull has been retried 1 time(s): failed to resolve reference "
             f"\"{DKR}/api:latest\": unexpected status code 403 Forbidden", "manifest", "permission", None,
     ["iam.ecr-pull", "ecr.repo-policy"], "legacy"),
    ("AGENT", f"CannotPullContainerError: The task can’t pull the image. Check that the role has the permissions to pull "
              f"images from the registry. Error response from daemon: pull access denied for {DKR}/api, repository "
              f"does not exist or may require 'docker login': denied: User: {ROLE} is not authorized to perform: "
              f"ecr:BatchGetImage on resource: arn:aws:ecr:us-east-1:{A}:repository/api because no identity-based "
              f"policy allows the ecr:BatchGetImage action", "manifest", "permission", None, ["iam.ecr-pull"], "2024+"),
    ("KC", f"CannotPullContainerError: AccessDeniedException: User: {ROLE} is not authorized to perform: "
           f"ecr:BatchGetImage on resource: arn:aws:ecr:us-east-1:{A}:repository/api", "manifest", "permission", None,
     ["iam.ecr-pull"], "legacy"),
    ("KC", f"CannotPullContainerError: AccessDeniedException: User: {ROLE} is not authorized to perform: "
           f"ecr:GetDownloadUrlForLayer on resource: arn:aws:ecr:us-east-1:{A}:repository/api", "layers", "permission",
     None, ["iam.ecr-pull"], "legacy"),
    ("PULL", f"CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref "
             f"{DKR}/api:v42: failed to do request: Head \"https://{DKR}/v2/api/manifests/v42\": dial tcp "
             f"10.0.3.17:443: i/o timeout", "manifest", "network", "ecr.dkr", NET, "legacy"),
    ("PULL", f"CannotPullContainerError: API error (500): Get https://{DKR}/v2/: net/http: request canceled while "
             f"waiting for connection", "manifest", "network", "ecr.dkr", NET, "legacy"),
    ("PULL", f"CannotPullContainerError: Error response from daemon: Get https://{DKR}/v2/: net/http: request canceled "
             f"while waiting for connection (Client.Timeout exceeded while awaiting headers)", "manifest", "network",
     "ecr.dkr", NET, "legacy"),
    ("AGENT", f"CannotPullContainerError: The task can’t pull the image. Check your network configuration. Error "
              f"response from daemon: Get \"https://{DKR}/v2/\": net/http: request canceled while waiting for "
              f"connection", "manifest", "network", "ecr.dkr", NET, "2024+"),
    ("PULL", f"CannotPullContainerError: The task cannot pull '{DKR}/api:v42' from the Amazon ECR repository "
             f"'{DKR}/api'. There is a connection issue between the task and Amazon ECR. Check your task network "
             f"configuration.", "manifest", "network", "ecr.dkr", NET, "2024+"),
    ("PULL", "CannotPullContainerError: context canceled", "manifest", "network", None, ["net.no-route"], "legacy"),
    ("PULL", "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref "
             "docker.io/tryretool/backend:2.110.5: failed to do request: Head \"https://registry-1.docker.io/v2/"
             "tryretool/backend/manifests/2.110.5\": dial tcp 34.205.13.154:443: i/o timeout", "manifest", "network",
     "registry-1.docker.io", ["net.no-route", "net.public-ip", "net.task-sg-egress"], "legacy"),
    ("PULL", "CannotPullContainerError: Error response from daemon: Get https://quay.io/v2/: dial tcp: lookup quay.io: "
             "no such host", "manifest", "network", "quay.io", ["net.no-route"], "legacy"),
    # --- layers from S3 --------------------------------------------------------------------------------------
    ("PULL", f"CannotPullContainerError: ref pull has been retried 1 time(s): failed to copy: httpReadSeeker: failed "
             f"open: unexpected status code {SIGNED}: 403 Forbidden", "layers", "permission", "s3",
     ["net.endpoint-policy"], "legacy"),
    ("PULL", f"CannotPullContainerError: ref pull has been retried 1 time(s): failed to copy: httpReaderSeeker: failed "
             f"open: failed to do request: Get \"{SIGNED}\": dial tcp 52.217.161.201:443: i/o timeout", "layers",
     "network", "s3", ["net.s3-gateway-route", "net.no-route"], "legacy"),
    ("PULL", "CannotPullContainerError: pull command failed: panic: runtime error: invalid memory address or nil pointer "
             "dereference", "layers", "network", "s3", ["net.s3-gateway-route"], "legacy"),
    ("PULL", "CannotPullContainerError: write /var/lib/docker/tmp/GetImageBlob111111111: no space left on device",
     "layers", "resource", None, [], "legacy"),
    ("PULL", "CannotPullContainerError: failed to register layer: write /usr/lib/jvm/lib/modules: no space left on "
             "device", "layers", "resource", None, [], "legacy"),
    # --- registry credentials, rate limits, platforms ---------------------------------------------------------
    ("PULL", "CannotPullContainerError: Error response from daemon: pull access denied for acme/private-api, repository "
             "does not exist or may require 'docker login': denied: requested access to the resource is denied",
     "registry-auth", "auth-config", None, ["registry.credentials-missing"], "legacy"),
    ("KC", "CannotPullContainerError: Error response from daemon: Get https://ghcr.io/v2/acme/api/manifests/1.0: "
           "no basic auth credentials", "registry-auth", "auth-config", None, ["registry.credentials-missing"], "legacy"),
    ("KC", "CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref "
           "docker.io/acme/api:1: pull access denied, repository does not exist or may require authorization: server "
           "message: insufficient_scope: authorization failed", "registry-auth", "auth-config", None,
     ["registry.credentials-missing"], "legacy"),
    ("PULL", "CannotPullContainerError: ERROR: toomanyrequests: Too Many Requests.", "manifest", "rate-limit",
     "registry-1.docker.io", ["registry.credentials-missing"], "legacy"),
    ("PULL", "CannotPullContainerError: inspect image has been retried 1 time(s): httpReaderSeeker: failed open: "
             "unexpected status code https://registry-1.docker.io/v2/library/nginx/manifests/sha256:4c0f: 429 Too Many "
             "Requests - Server message: toomanyrequests: You have reached your pull rate limit. You may increase the "
             "limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit", "manifest",
     "rate-limit", "registry-1.docker.io", ["registry.credentials-missing"], "legacy"),
    # the image configuration is a blob (/v2/<name>/blobs/<digest>): its transfer is the layers step
    ("PULL", "CannotPullContainerError: error pulling image configuration: toomanyrequests: Rate exceeded",
     "layers", "rate-limit", None, ["registry.credentials-missing"], "legacy"),
    ("KC", "CannotPullContainerError: image Manifest does not contain descriptor matching platform 'linux/amd64'",
     "manifest", "platform", None, ["ecr.platform-mismatch"], "legacy"),
    ("CTRD", "CannotPullContainerError: ref pull has been retried 1 time(s): failed to unpack image on snapshotter "
             "overlayfs: no match for platform in manifest: not found", "manifest", "platform", None,
     ["ecr.platform-mismatch"], "legacy"),
    ("KC", "CannotPullContainerError: no matching manifest for linux/arm64/v8 in the manifest list entries",
     "manifest", "platform", None, ["ecr.platform-mismatch"], "legacy"),
    ("STOP", "CannotStartContainerError: ResourceInitializationError: failed to create new container runtime task: "
             "failed to create shim task: OCI runtime create failed: runc create failed: unable to start container "
             "process: exec: \"/app/server\": exec format error", "manifest", "platform", None,
     ["ecr.platform-mismatch"], "legacy"),
    # --- CannotPullECRContainerError (ECR auth, legacy) ------------------------------------------------------
    ("STOP", f"CannotPullECRContainerError: AccessDeniedException: User: {ROLE} is not authorized to perform: "
             f"ecr:GetAuthorizationToken on resource: * status code: 400", "registry-auth", "permission", None,
     ["iam.ecr-auth"], "legacy"),
    ("STOP", "CannotPullECRContainerError: RequestError: send request failed caused by: Post "
             "https://api.ecr.us-east-1.amazonaws.com/: dial tcp 52.94.0.1:443: i/o timeout", "registry-auth",
     "network", "ecr.api", NET, "legacy"),
    ("STOP", "CannotPullECRContainerError: RequestError: send request failed", "registry-auth", "network", "ecr.api",
     NET, "legacy"),
    # --- ResourceInitializationError: ECR registry auth ------------------------------------------------------
    ("RIE", EXEC + "unable to retrieve ecr registry auth: service call has been retried 3 time(s): " + TIMEOUT_ECR_API,
     "registry-auth", "network", "ecr.api", NET, "legacy"),
    ("RIE", RIE + "The task cannot pull registry auth from Amazon ECR: There is a connection issue between the task "
                  "and Amazon ECR. Check your task network configuration. " + TIMEOUT_ECR_API,
     "registry-auth", "network", "ecr.api", NET, "2024+"),
    ("SDKV2", RIE + "The task cannot pull registry auth from Amazon ECR: There is a connection issue between the task "
                    "and Amazon ECR. Check your task network configuration. operation error ECR: GetAuthorizationToken, "
                    "exceeded maximum number of attempts, 3, https response error StatusCode: 0, RequestID: , request "
                    "send failed, Post \"https://api.ecr.me-central-1.amazonaws.com/\": dial tcp 3.28.72.11:443: i/o "
                    "timeout", "registry-auth", "network", "ecr.api", NET, "2024+"),
    ("RIE", EXEC + f"unable to retrieve ecr registry auth: service call has been retried 1 time(s): "
                   f"AccessDeniedException: User: {ROLE} is not authorized to perform: ecr:GetAuthorizationToken on "
                   f"resource: * because no identity-based policy allows the ecr:GetAuthorizationToken action",
     "registry-auth", "permission", None, ["iam.ecr-auth", "role.confusion"], "legacy"),
    ("SDKV2", EXEC + f"unable to retrieve ecr registry auth: service call has been retried 1 time(s): operation error "
                     f"ECR: GetAuthorizationToken, https response error StatusCode: 400, RequestID: 2446, api error "
                     f"AccessDeniedException: User: {ROLE} is not authorized to perform: ecr:GetAuthorizationToken on "
                     f"resource: * because no identity-based policy allows it", "registry-auth", "permission", None,
     ["iam.ecr-auth"], "2024+"),
    # --- ResourceInitializationError: Secrets Manager --------------------------------------------------------
    ("RIE", EXEC + f"unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch "
                   f"secret arn:aws:secretsmanager:us-east-1:{A}:secret:db-AbCdEf from secrets manager: "
                   f"ResourceNotFoundException: Secrets Manager can't find the specified secret.",
     "secrets", "not-found", None, ["secrets.missing"], "legacy"),
    ("AGENT", f"ResourceInitializationError: The task can't retrieve the secret with ARN 'arn:aws:secretsmanager:"
              f"us-east-1:{A}:secret:db-AbCdEf' from AWS Secrets Manager. Check that the secret ARN is correct",
     "secrets", "not-found", None, ["secrets.missing"], "2024+"),
    ("RIE", EXEC + f"unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch "
                   f"secret arn:aws:secretsmanager:us-east-1:{A}:secret:db-AbCdEf from secrets manager: "
                   f"AccessDeniedException: User: {ROLE} is not authorized to perform: secretsmanager:GetSecretValue "
                   f"on resource: arn:aws:secretsmanager:us-east-1:{A}:secret:db-AbCdEf", "secrets", "permission",
     None, ["iam.secrets"], "legacy"),
    ("RIE", EXEC + f"unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch "
                   f"secret arn:aws:secretsmanager:us-east-1:{A}:secret:db-AbCdEf from secrets manager: "
                   f"AccessDeniedException: Access to KMS is not allowed", "secrets", "permission", None,
     ["iam.kms-decrypt"], "legacy"),
    ("RIE", EXEC + f"unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch "
                   f"secret from secrets manager: AccessDeniedException: User: {ROLE} is not authorized to perform: "
                   f"kms:Decrypt on resource: arn:aws:kms:us-east-1:{A}:key/1234abcd", "secrets", "permission", None,
     ["iam.kms-decrypt"], "legacy"),
    ("SDKV2", f"ResourceInitializationError: unable to pull secrets or registry auth: unable to retrieve secret from "
              f"asm: There is a connection issue between the task and AWS Secrets Manager. Check your task network "
              f"configuration. failed to fetch secret arn:aws:secretsmanager:us-east-1:{A}:secret:rds-db from secrets "
              f"manager: operation error Secrets Manager: GetSecretValue, https response error StatusCode: 0, "
              f"RequestID: , canceled, context deadline exceeded", "secrets", "network", "secretsmanager", NET, "2024+"),
    ("RIE", EXEC + "unable to retrieve secret from asm: retrieved secret from Secrets Manager did not contain json key "
                   "password", "secrets", "config", None, [], "legacy"),
    ("RIE", EXEC + f"asm fetching secret from the service for arn:aws:secretsmanager:us-east-1:{A}:secret:dockerhub: "
                   f"AccessDeniedException: User: {ROLE} is not authorized to perform: secretsmanager:GetSecretValue",
     "registry-auth", "permission", None, ["iam.registry-secret"], "legacy"),
    ("RIE", EXEC + f"asm fetching secret from the service for arn:aws:secretsmanager:us-east-1:{A}:secret:dockerhub: "
                   f"ResourceNotFoundException: Secrets Manager can't find the specified secret.", "registry-auth",
     "not-found", None, ["registry.secret-missing"], "legacy"),
    ("RIE", EXEC + "asm fetching authorization data: unable to unmarshal secret value, invalid schema",
     "registry-auth", "config", None, [], "legacy"),
    # --- ResourceInitializationError: SSM Parameter Store ----------------------------------------------------
    ("RIE", EXEC + "unable to retrieve secrets from ssm: service call has been retried 1 time(s): invalid ssm "
                   "parameters: /wishkit/parsing-engine/gemini-api-key", "secrets", "not-found", None,
     ["secrets.missing"], "legacy"),
    ("RIE", EXEC + "unable to retrieve secrets from ssm: service call has been retried 1 time(s): ParameterNotFound: "
                   "null", "secrets", "not-found", None, ["secrets.missing"], "legacy"),
    ("RIE", EXEC + f"unable to retrieve secrets from ssm: service call has been retried 1 time(s): AccessDeniedException: "
                   f"User: {ROLE} is not authorized to perform: ssm:GetParameters on resource: arn:aws:ssm:us-east-1:"
                   f"{A}:parameter/app/db because no identity-based policy allows the ssm:GetParameters action",
     "secrets", "permission", None, ["iam.secrets"], "legacy"),
    ("RIE", EXEC + "unable to retrieve secrets from ssm: service call has been retried 5 time(s): RequestCanceled: "
                   "request context canceled caused by: context deadline exceeded. Please check your task network "
                   "configuration.", "secrets", "network", "ssm", NET, "2024+"),
    ("RIE", RIE + "unable to retrieve secrets from ssm: The task cannot pull secrets from AWS Systems Manager. There is "
                  "a connection issue between the task and AWS Systems Manager Parameter Store. Check your task network "
                  "configuration. operation error SSM: GetParameters, https response error StatusCode: 0, RequestID: , "
                  "canceled, context deadline exceeded", "secrets", "network", "ssm", NET, "2024+"),
    # --- ResourceInitializationError: awslogs --------------------------------------------------------------
    ("RIE", "ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: "
            "failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist.",
     "logs", "not-found", None, ["logs.group-missing"], "legacy"),
    ("RIE", f"ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: "
            f"failed to create Cloudwatch log stream: AccessDeniedException: User: {ROLE} is not authorized to perform: "
            f"logs:CreateLogStream on resource: arn:aws:logs:us-east-1:{A}:log-group:/ecs/api:log-stream:ecs/api/1",
     "logs", "permission", None, ["iam.logs"], "legacy"),
    ("RIE", "ResourceInitializationError: failed to validate logger args: create stream has been retried 5 times: "
            "failed to create Cloudwatch log stream: RequestError: send request failed caused by: Post "
            "\"https://logs.us-east-1.amazonaws.com/\": dial tcp 10.0.1.5:443: i/o timeout", "logs", "network", "logs",
     NET, "legacy"),
    ("RIE", "ResourceInitializationError: failed to validate logger args: The task cannot find the Amazon CloudWatch "
            "log group defined in the task definition. There is a connection issue between the task and Amazon "
            "CloudWatch. Check your network configuration. signal: killed", "logs", "network", "logs",
     ["logs.group-missing", "net.no-route"], "2024+"),
    ("RIE", "ResourceInitializationError: failed to validate logger args: unable to get awslogs driver arguments: "
            "awslogs-region is required", "logs", "config", None, ["taskdef.invalid"], "legacy"),
    # --- not pull steps ----------------------------------------------------------------------------------
    ("STOP", f"ECS was unable to assume the role 'arn:aws:iam::{A}:role/ecsTaskExecutionRole' that was provided for "
             f"this task. Please verify that the role being passed has the proper trust relationship and permissions "
             f"and that your IAM user has permissions to pass this role.", "assume-role", "permission", None,
     ["exec-role.trust", "exec-role.not-found"], "legacy"),
    ("STOP", "Essential container in task exited", None, "unknown", None, [], "legacy"),
    ("STOP", f"Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:us-west-2:{A}:targetgroup/"
             f"alb-target-group/856238e446c9a134)", None, "unknown", None, [], "legacy"),
    ("STOP", "Timeout waiting for network interface provisioning to complete.", None, "network", None, [], "legacy"),
    ("STOP", "OutOfMemoryError: Container killed due to memory usage", None, "resource", None, [], "legacy"),
    ("STOP", "Scaling activity initiated by (deployment ecs-svc/1234567890123456789)", None, "unknown", None, [],
     "legacy"),
    ("STOP", "Task stopped by user", None, "unknown", None, [], "legacy"),
    ("STOP", "CannotStartContainerError: Error response from daemon: OCI runtime create failed: container_linux.go:380: "
             "starting container process caused: exec: \"/docker-entrypoint.sh\": stat /docker-entrypoint.sh: no such "
             "file or directory: unknown", None, "unknown", None, [], "legacy"),
    ("STOP", "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed",
     None, "unknown", None, ["iam.ecr-auth", "secrets.missing"], "legacy"),
    ("-", "Something nobody has seen before", None, "unknown", None, [], None),
]


@pytest.mark.parametrize("src, message, step, cause, target, ids, wording", CASES,
                         ids=[f"{i:02d}-{c[0]}-{c[2] or 'none'}-{c[3]}" for i, c in enumerate(CASES)])
def test_real_message_shapes(src, message, step, cause, target, ids, wording):
    e = explain(message)
    assert (e.step, e.cause, e.target) == (step, cause, target), e.summary
    assert set(ids) <= set(e.finding_ids), e.finding_ids
    assert e.wording == wording
    assert e.summary and e.step in (None, *STEPS) and e.cause in CAUSES
    assert "X-Amz-Signature" not in e.text and "IQoJb3Jp" not in e.text and "0f1e2d3c4b5a6978" not in e.text
    assert not e.truncated


def test_the_table_is_big_and_covers_every_cause_and_step():
    assert len(CASES) >= 40
    assert {c[2] for c in CASES} >= set(STEPS) | {None}
    assert {c[3] for c in CASES} == set(CAUSES)


def case(fragment: str) -> str:
    """The one message of the table that contains ``fragment``."""
    (message,) = [c[1] for c in CASES if fragment in c[1]]
    return message


def test_network_finding_ids_follow_the_target():
    s3 = explain(case("httpReaderSeeker: failed open: failed to do request"))
    assert s3.target == "s3" and "net.endpoint-sg" not in s3.finding_ids and "net.s3-gateway-route" in s3.finding_ids
    hub = explain(case("tryretool"))
    assert hub.target == "registry-1.docker.io" and "net.vpc-dns" not in hub.finding_ids
    ecr = explain(case("retrieval failed: unable to retrieve ecr registry auth: service call has been retried 3"))
    assert ecr.finding_ids[:6] == ["net.no-route", "net.public-ip", "net.endpoint-sg", "net.task-sg-egress",
                                   "net.nacl", "net.vpc-dns"]


def test_presigned_urls_lose_their_query_string_but_keep_the_host():
    e = explain(case("unexpected status code https://prod"))
    assert "prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com/a1b2-c3d4/5e6f" in e.text
    assert "?" not in e.text and "X-Amz" not in e.text and "ASIA" not in e.text


def test_truncated_messages_classify_on_their_prefix():
    full = case("retrieval failed: unable to retrieve ecr registry auth: service call has been retried 3")
    cut = full[:ECS_REASON_LIMIT]
    assert len(full) > ECS_REASON_LIMIT
    e = explain(cut)
    assert e.truncated and (e.step, e.cause) == ("registry-auth", "network")
    assert not explain(full).truncated
    # cut before the cause: the context is still known
    early = explain((EXEC + "unable to retrieve ecr registry auth: service call has been retried 3 time(s): " + "x" * 300)
                    [:ECS_REASON_LIMIT])
    assert early.truncated and early.step == "registry-auth" and early.cause == "unknown"


@pytest.mark.parametrize("hostile", [
    "\x1b[31mCannotPullContainerError\x1b[0m: <script>alert(1)</script> `rm -rf` no space left on device",
    "CannotPullContainerError: x\n```mermaid\nsequenceDiagram\nA->>B: hi\n```\r\n\u202eevil\u0000\x07",
    "<img src=x onerror=alert(1)>" * 50,
    "\x1b]8;;https://evil.example\x07link\x1b]8;;\x07 Essential container in task exited",
])
def test_hostile_text_comes_back_as_one_plain_line(hostile):
    e = explain(hostile)
    assert "\x1b" not in e.text and "\n" not in e.text and "\r" not in e.text
    assert not any(ord(ch) < 32 for ch in e.text) and "\u202e" not in e.text
    assert e.cause in CAUSES


def test_a_megabyte_is_bounded_and_flagged():
    e = explain("CannotPullContainerError: " + "A" * 1_000_000 + " no space left on device")
    assert len(e.text) <= MAX_TEXT and e.truncated
    assert e.step == "manifest" and e.cause == "unknown"  # the cause was beyond what is read
    assert explain("x" * 5000).truncated


def test_non_string_input_does_not_crash():
    assert explain(None).cause == "unknown" and explain(None).text == ""
    assert explain("").wording is None
    assert explain(12345).cause == "unknown"  # type: ignore[arg-type]
    assert clean(None) == ""


def test_classify_task_prefers_the_specific_container_reason():
    task = {"stoppedReason": "Essential container in task exited", "stopCode": "EssentialContainerExited",
            "containers": [{"name": "sidecar", "reason": None},
                           {"name": "app", "reason": "CannotPullContainerError: image Manifest does not contain "
                                                     "descriptor matching platform 'linux/amd64'"}]}
    e = classify_task(task)
    assert (e.step, e.cause, e.source, e.stop_code) == ("manifest", "platform", "containers[app].reason",
                                                        "EssentialContainerExited")


def test_classify_task_prefers_a_full_container_reason_over_the_cut_stopped_reason():
    full = case("retrieval failed: unable to retrieve ecr registry auth: service call has been retried 3")
    task = {"stoppedReason": full[:ECS_REASON_LIMIT], "containers": [{"name": "app", "reason": full}]}
    e = classify_task(task)
    assert e.source == "containers[app].reason" and not e.truncated


def test_classify_task_with_nothing_to_go_on():
    assert classify_task({}).text == ""
    e = classify_task({"stopCode": "TaskFailedToStart", "containers": "garbage"})
    assert e.cause == "unknown" and "TaskFailedToStart" in e.summary
    assert classify_task("not a task").cause == "unknown"  # type: ignore[arg-type]


def test_to_dict_is_json_ready():
    import json

    data = explain(CASES[0][1]).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert {"step", "cause", "summary", "finding_ids", "target", "text", "truncated", "wording"} <= set(data)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400), st.text(max_size=80))
def test_never_raises_and_never_leaks_a_signature(prefix, suffix):
    e = explain(f"{prefix} {SIGNED}{suffix}")
    assert "0f1e2d3c4b5a6978" not in e.text and "IQoJb3Jp" not in e.text
    assert "x-amz-signature" not in e.text.lower()
    assert e.cause in CAUSES and e.step in (None, *STEPS)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=600))
def test_arbitrary_text_never_raises(message):
    e = explain(message)
    assert e.cause in CAUSES and isinstance(e.summary, str) and len(e.text) <= MAX_TEXT
    assert not any(ord(ch) < 32 for ch in e.text)
    assert "?x-amz-signature" not in e.text.lower()
