"""The stopped-reason classifier on real message shapes (AWS docs: "CannotPullContainer task errors",
"Troubleshoot ResourceInitializationError", "Amazon ECS stopped task error messages")."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fargate_nb.stopped import classify_task, explain

ACCT = "123456789012"
ROLE = f"arn:aws:sts::{ACCT}:assumed-role/exec/abc"
SIGNED = ("https://prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com/a1b2/c3d4?X-Amz-Security-Token=IQo"
          "&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=0f1e2d3c4b5a6978")

CASES = [
    # (message, step, cause, target, a finding id that confirms it)
    ("ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: "
     "unable to retrieve ecr registry auth: service call has been retried 3 time(s): RequestError: send request "
     "failed caused by: Post \"https://api.ecr.us-east-1.amazonaws.com/\": dial tcp 10.0.0.1:443: i/o timeout",
     "registry-auth", "network", "ecr.api", "net.no-route"),
    ("ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: "
     f"unable to retrieve ecr registry auth: service call has been retried 1 time(s): AccessDeniedException: User: "
     f"{ROLE} is not authorized to perform: ecr:GetAuthorizationToken on resource: *",
     "registry-auth", "permission", None, "iam.ecr-auth"),
    ("ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: "
     "unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret "
     f"arn:aws:secretsmanager:us-east-1:{ACCT}:secret:db-AbC from secrets manager: AccessDeniedException: User: {ROLE} "
     "is not authorized to perform: secretsmanager:GetSecretValue", "secrets", "permission", None, "iam.secrets"),
    ("ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: "
     "unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret x from "
     "secrets manager: ResourceNotFoundException: Secrets Manager can't find the specified secret.",
     "secrets", "not-found", None, "secrets.missing"),
    ("ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: "
     "unable to retrieve secret from asm: ... api error AccessDeniedException: Access to KMS is not allowed",
     "secrets", "permission", None, "iam.kms-decrypt"),
    ("ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: "
     "unable to retrieve secrets from ssm: service call has been retried 1 time(s): InvalidParameters: "
     "invalid parameters: /app/db", "secrets", "not-found", None, "secrets.missing"),
    ("ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed "
     "to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist.",
     "logs", "not-found", None, "logs.group-missing"),
    ("ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to "
     f"create Cloudwatch log stream: AccessDeniedException: User: {ROLE} is not authorized to perform: "
     "logs:CreateLogStream", "logs", "permission", None, "iam.logs"),
    ("ResourceInitializationError: failed to validate logger args: create stream has been retried 5 times: failed to "
     "create Cloudwatch log stream: RequestError: send request failed caused by: Post "
     "\"https://logs.us-east-1.amazonaws.com/\": dial tcp 10.0.1.5:443: i/o timeout",
     "logs", "network", "logs", "net.no-route"),
    (f"CannotPullContainerError: ref pull has been retried 1 time(s): failed to copy: httpReadSeeker: failed open: "
     f"failed to do request: Get \"{SIGNED}\": dial tcp 52.217.161.201:443: i/o timeout",
     "layers", "network", "s3", "net.s3-gateway-route"),
    (f"CannotPullContainerError: failed to copy: httpReadSeeker: failed open: unexpected status code {SIGNED}: "
     "403 Forbidden", "layers", "permission", "s3", "net.endpoint-policy"),
    (f"CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref "
     f"{ACCT}.dkr.ecr.us-east-1.amazonaws.com/app:v9: {ACCT}.dkr.ecr.us-east-1.amazonaws.com/app:v9: not found",
     "manifest", "not-found", None, "ecr.image-missing"),
    ("CannotPullContainerError: Error response from daemon: Get https://111122223333.dkr.ecr.us-east-1.amazonaws.com/"
     "v2/: net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)",
     "manifest", "network", "ecr.dkr", "net.endpoint-sg"),
    ("CannotPullContainerError: inspect image has been retried 1 time(s): httpReaderSeeker: failed open: "
     "unexpected status code https://registry-1.docker.io/v2/library/nginx/manifests/sha256:abc: 429 Too Many "
     "Requests - Server message: toomanyrequests: You have reached your pull rate limit.",
     "manifest", "rate-limit", "registry-1.docker.io", "registry.credentials-missing"),
    ("CannotPullContainerError: Error response from daemon: pull access denied for acme/api, repository does not "
     "exist or may require 'docker login': denied: requested access to the resource is denied",
     "registry-auth", "auth-config", None, "registry.credentials-missing"),
    ("CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref "
     "docker.io/acme/api:1: pull access denied, repository does not exist or may require authorization: server "
     "message: insufficient_scope: authorization failed", "registry-auth", "auth-config", None,
     "registry.credentials-missing"),
    ("CannotPullContainerError: image Manifest does not contain descriptor matching platform 'linux/arm64'",
     "manifest", "platform", None, "ecr.platform-mismatch"),
    ("CannotPullContainerError: failed to register layer: write /usr/lib/x.so: no space left on device",
     "layers", "resource", None, None),
    (f"ECS was unable to assume the role 'arn:aws:iam::{ACCT}:role/exec' that was provided for this task. Please "
     "verify that the role being passed has the proper trust relationship and permissions and that your IAM user "
     "has permissions to pass this role.", "assume-role", "permission", None, "exec-role.trust"),
    ("CannotPullECRContainerError: AccessDeniedException: User: arn:aws:sts::1:assumed-role/exec/x is not "
     "authorized to perform: ecr:BatchGetImage on resource: arn:aws:ecr:us-east-1:2:repository/app",
     "manifest", "permission", None, "iam.ecr-pull"),
    ("Essential container in task exited", None, "unknown", None, None),
    ("Timeout waiting for network interface provisioning to complete.", None, "network", None, None),
    ("Something nobody has seen before", None, "unknown", None, None),
]


@pytest.mark.parametrize("message, step, cause, target, confirming", CASES)
def test_real_message_shapes(message, step, cause, target, confirming):
    e = explain(message)
    assert (e.step, e.cause) == (step, cause), e.summary
    assert e.target == target
    if confirming:
        assert confirming in e.finding_ids
    assert "X-Amz-Signature" not in e.text and "IQo" not in e.text


def test_wording_versions_and_truncation():
    new = explain("CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref x: not found")
    old = explain("CannotPullContainerError: Error response from daemon: manifest for x:1 not found: manifest unknown")
    assert (new.wording, old.wording) == ("2024+", "legacy")
    assert new.step == old.step == "manifest"
    cut = ("ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: "
           "unable to retrieve ecr registry auth: service call has been retried 3 time(s): RequestError: send request "
           "failed caused by: Post \"https://api.ecr.us-east-1.amazonaws.com/\": dial tcp 10.0.0.1:44")[:255]
    e = explain(cut)
    assert e.truncated and e.step == "registry-auth"


def test_hostile_text_is_plain_and_bounded():
    e = explain("\x1b[31m<script>alert(1)</script>\nsequenceDiagram\n" + "A" * 2_000_000)
    assert "\x1b" not in e.text and len(e.text) <= 4000 and e.truncated
    assert e.cause == "unknown"


def test_classify_task_prefers_the_specific_container_reason():
    task = {"stoppedReason": "Essential container in task exited",
            "containers": [{"reason": "CannotPullContainerError: image Manifest does not contain descriptor matching "
                                      "platform 'linux/amd64'"}]}
    assert classify_task(task).cause == "platform"
    assert classify_task({}).text == ""


@given(st.text(max_size=300))
def test_never_raises_and_never_leaks_a_signature(prefix):
    e = explain(f"{prefix} {SIGNED}")
    assert "0f1e2d3c4b5a6978" not in e.text
