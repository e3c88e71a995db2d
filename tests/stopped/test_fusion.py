"""Evidence fusion (fargate_nb.diagnose.fusion): the stopped reason decides what the kit could not read.

Sources: IAM user guide, "Troubleshoot access denied error messages" (the denying policy type is named
in the message); ECS developer guide, "Private registry authentication" (the registry credentials
secret is read, with kms:Decrypt for a customer managed key, before the pull: the registry-auth step).
"""

from __future__ import annotations

from fargate_nb.diagnose.fusion import (
    FROM_STOPPED,
    confirm,
    decide_unread,
    explanation,
    fuse,
    note_disagreement,
)
from fargate_nb.model import Finding, Snapshot
from fargate_nb.pullflow import PullPlan, SecretRef
from fargate_nb.stopped import explain

REPO = "arn:aws:ecr:us-east-1:210987654321:repository/api"
OTHER = "arn:aws:ecr:us-east-1:210987654321:repository/worker"
DENIED = ("CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref "
          "210987654321.dkr.ecr.us-east-1.amazonaws.com/api:1: pull access denied, repository does not exist or may "
          "require 'docker login': denied: User: arn:aws:sts::111122223333:assumed-role/exec/1 is not authorized to "
          f"perform: ecr:BatchGetImage on resource: {REPO} because no resource-based policy allows the "
          "ecr:BatchGetImage action")
SECRET = "arn:aws:secretsmanager:us-east-1:111122223333:secret:dockerhub/api-AbCdEf"
KMS = ("ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: "
       "unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret "
       f"{SECRET} from secrets manager: operation error Secrets Manager: GetSecretValue, https response error "
       "StatusCode: 400, RequestID: 7a6b, api error AccessDeniedException: Access to KMS is not allowed")


def _stopped(message: str) -> dict:
    return explain(message).to_dict()


def _unread(check_id: str, resource: str, step: str = "manifest") -> Finding:
    return Finding(check_id, "unknown", step=step, resource=resource, detail=f"The policy of {resource} could not "
                   "be read: GetRepositoryPolicy was denied.", title="The repository policy grants the pull")


def test_an_unread_repository_policy_is_decided_by_a_resource_based_denial():
    findings = [_unread("ecr.repo-missing", REPO), _unread("ecr.repo-policy", REPO)]
    stopped = _stopped(DENIED)
    fused = decide_unread(stopped, findings)
    repo_missing, policy = fused
    assert repo_missing.status == "unknown"  # the kit never concludes the repository is missing
    assert policy.status == "fail" and FROM_STOPPED in policy.message and FROM_STOPPED in policy.detail
    assert "resource-based policy" in policy.message and policy.evidence[-1].startswith("stopped reason: ")
    assert policy.remediation is not None and "repository policy" in policy.remediation.summary
    confirm(stopped, fused)
    assert stopped["confirmed"] is True and stopped["confirmed_by"] == ["ecr.repo-policy"]


def test_only_the_repository_the_reason_names_is_decided():
    findings = [_unread("ecr.repo-policy", REPO), _unread("ecr.repo-policy", OTHER)]
    fused = decide_unread(_stopped(DENIED), findings)
    assert [f.status for f in fused] == ["fail", "unknown"]


def test_a_reason_that_names_no_policy_or_action_decides_nothing():
    bare = ("CannotPullContainerError: inspect image has been retried 1 time(s): failed to resolve ref "
            "\"210987654321.dkr.ecr.us-east-1.amazonaws.com/api:1\": unexpected status code [manifests 1]: 403 Forbidden")
    findings = [_unread("iam.ecr-pull", REPO), _unread("ecr.repo-policy", REPO)]
    assert [f.status for f in decide_unread(_stopped(bare), findings)] == ["unknown", "unknown"]


def test_a_finding_the_checks_could_read_is_never_overridden():
    read = Finding("ecr.repo-policy", "pass", step="manifest", resource=REPO, detail="The policy grants the role.")
    fused = decide_unread(_stopped(DENIED), [read])
    assert fused[0].status == "pass"


def test_the_registry_credentials_secret_blocked_by_kms_is_registry_auth_like_the_checks():
    ref = SecretRef("api", "repositoryCredentials", SECRET, "secretsmanager", SECRET, SECRET)
    plan = PullPlan(needed_steps={}, registry_credentials=[ref])
    snapshot = Snapshot(task={"stoppedReason": KMS, "containers": []})
    stopped = explanation(snapshot, plan)
    assert stopped is not None and (stopped["step"], stopped["cause"]) == ("registry-auth", "permission")
    assert stopped["finding_ids"][0] == "iam.kms-decrypt"
    # without the task's registry credentials the same text is a container secret
    assert explanation(snapshot, PullPlan(needed_steps={}))["step"] == "secrets"
    failing = Finding("iam.kms-decrypt", "fail", step="registry-auth", resource=SECRET)
    findings, fused = fuse(snapshot, plan, [failing])
    assert fused["confirmed"] is True and "agrees" not in fused


def test_a_disagreement_is_said_in_the_explanation():
    stopped = _stopped(KMS)  # step secrets, read without the task definition
    findings = [Finding("iam.ecr-auth", "fail", step="registry-auth", resource="*")]
    confirm(stopped, findings)
    note_disagreement(stopped, findings)
    assert stopped["agrees"] is False
    assert "disagree" in stopped["detail"] and "'secrets'" in stopped["detail"] and "iam.ecr-auth" in stopped["detail"]


def test_no_disagreement_note_when_the_steps_match_or_nothing_fails():
    stopped = _stopped(DENIED)
    note_disagreement(stopped, [Finding("iam.ecr-pull", "fail", step="manifest")])
    note_disagreement(stopped, [])
    assert "agrees" not in stopped and "detail" not in stopped


def test_a_not_found_reason_decides_an_unread_image_with_its_own_words():
    gone = ("CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref "
            "210987654321.dkr.ecr.us-east-1.amazonaws.com/api:v42: 210987654321.dkr.ecr.us-east-1.amazonaws.com/"
            "api:v42: not found")
    image = "210987654321.dkr.ecr.us-east-1.amazonaws.com/api:v42"
    unread = Finding("ecr.image-missing", "unknown", step="manifest", resource=image, title="The image tag exists",
                     detail="Image could not be read: DescribeImages was denied.")
    [decided] = decide_unread(_stopped(gone), [unread])
    assert decided.status == "fail" and decided.message.endswith(f"({FROM_STOPPED})")
    assert "does not exist" in decided.message and "The image tag exists" not in decided.message


def test_the_text_view_says_the_disagreement():
    from fargate_nb.model import Diagnosis
    from fargate_nb.views.text import render_text

    stopped = _stopped(KMS)
    findings = [Finding("iam.ecr-auth", "fail", step="registry-auth", resource="*")]
    confirm(stopped, findings)
    note_disagreement(stopped, findings)
    d = Diagnosis(subject={"kind": "task", "task": "t"}, region="us-east-1", account="1", steps=[],
                  findings=findings, gaps=[], verdict="v", stopped=stopped)
    assert stopped["detail"] in render_text(d, colour=False)
