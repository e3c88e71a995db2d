"""End to end: the stopped reason decides what the kit cannot read (evidence fusion), on the moto server.

A task pulls from a repository in the shared-artifacts account. From the task's account that
repository is "not found" (a repository in another account is only visible when its policy shares
it), and the task stopped because, in AWS's words, "no resource-based policy allows the
ecr:BatchGetImage action" (IAM user guide, "Troubleshoot access denied error messages"). The kit
must not conclude that the repository is missing: the repository policy fails, labelled as coming
from the stopped reason, and the verdict names it.
"""

from __future__ import annotations

import pytest

from fargate_nb.lab.build import EnvSpec, provision
from fargate_nb.lab.sandbox import Sandbox
from fargate_nb.lab.spec import ARTIFACTS_ACCOUNT

from .cases import client, diagnose_live

pytestmark = pytest.mark.xdist_group("e2e")

CROSS_ACCOUNT_DENIED = (
    "CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref {image}: "
    "pull access denied, repository does not exist or may require 'docker login': denied: User: "
    "arn:aws:sts::{account}:assumed-role/{execution_role_name}/{task_id} is not authorized to perform: "
    "ecr:BatchGetImage on resource: arn:aws:ecr:{region}:" + ARTIFACTS_ACCOUNT + ":repository/"
    + EnvSpec().repository + " because no resource-based policy allows the ecr:BatchGetImage action")


def test_a_cross_account_pull_denied_by_the_repository_policy_is_repo_policy_not_repo_missing(aws: Sandbox):
    env = provision(aws, EnvSpec(image_source="ecr-cross-account", stopped_reason=CROSS_ACCOUNT_DENIED))
    # From the task's account the other account's repository cannot be seen: describe answers "not found".
    client(aws, "ecr").delete_repository(repositoryName=env.spec.repository, registryId=ARTIFACTS_ACCOUNT, force=True)
    _, diagnosis = diagnose_live(aws, env)
    by_id = {f.id: f for f in diagnosis.findings if f.resource == env.ids["repository_arn"]}

    assert by_id["ecr.repo-missing"].status == "unknown", by_id["ecr.repo-missing"].detail
    assert ARTIFACTS_ACCOUNT in by_id["ecr.repo-missing"].detail
    policy = by_id["ecr.repo-policy"]
    assert policy.status == "fail"
    assert "from the stopped reason" in policy.message and "resource-based policy" in policy.message
    assert any(line.startswith("stopped reason:") for line in policy.evidence)
    assert "ecr.repo-missing" not in {f.id for f in diagnosis.failed}
    assert diagnosis.verdict.startswith("The pull fails at step 'manifest'") and "from the stopped reason" in \
        diagnosis.verdict
    st = diagnosis.stopped or {}
    assert (st.get("step"), st.get("cause")) == ("manifest", "permission")
    assert st["denial"]["kind"] == "resource" and st["denial"]["action"] == "ecr:BatchGetImage"
    assert st["finding_ids"][0] == "ecr.repo-policy" and st["confirmed_by"] == ["ecr.repo-policy"]


def test_without_a_stopped_reason_the_unseen_repository_stays_unknown(aws: Sandbox):
    env = provision(aws, EnvSpec(image_source="ecr-cross-account"))
    client(aws, "ecr").delete_repository(repositoryName=env.spec.repository, registryId=ARTIFACTS_ACCOUNT, force=True)
    _, diagnosis = diagnose_live(aws, env)
    statuses = {f.id: f.status for f in diagnosis.findings if f.resource == env.ids["repository_arn"]}
    assert statuses["ecr.repo-missing"] == "unknown" and statuses["ecr.repo-policy"] == "unknown"
    assert not any(f.id.startswith("ecr.") for f in diagnosis.failed)
