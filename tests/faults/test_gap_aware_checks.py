"""Checks that rest on evidence which could not be read say `unknown`, never `skipped` or `pass`."""

from __future__ import annotations

from fargate_nb.lab.build import provision
from fargate_nb.lab.spec import EnvSpec
from tests.faults.faults import rule, service_id


def test_a_platform_mismatched_task_does_not_pass_when_its_manifest_is_denied(aws, run_cli, monkeypatch):
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    env = provision(aws, EnvSpec(image_platforms=("linux/arm64",)))  # the task runs on linux/amd64
    args = ["diagnose", "--cluster", env.cluster, "--task", env.task_arn, "--format", "json"]
    assert run_cli(args).code == 1  # read: the mismatch is found
    run = run_cli(args, {service_id("ecr:BatchGetImage"): rule("denied", "ecr:BatchGetImage")})
    assert run.code == 4, run.diagnosis["verdict"]
    [platform] = [f for f in run.diagnosis["findings"] if f["id"] == "ecr.platform-mismatch"]
    assert platform["status"] == "unknown" and platform["missing_permission"] == "ecr:BatchGetImage"
    assert "ecr:BatchGetImage failed (AccessDeniedException" in platform["detail"]
    assert run.diagnosis["verdict"].startswith("No failing prerequisite found, but some could not be checked")


def test_a_throttled_read_does_not_tell_the_user_to_grant_a_permission(aws, run_cli, monkeypatch):
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    env = provision(aws, EnvSpec())
    args = ["diagnose", "--cluster", env.cluster, "--task", env.task_arn, "--format", "json"]
    run = run_cli(args, {service_id("ecs:DescribeTasks"): rule("throttled", "ecs:DescribeTasks")})
    verdict = run.diagnosis["verdict"]
    assert run.code == 4 and "ecs:DescribeTasks failed (ThrottlingException" in verdict
    assert "Collect again once AWS answers" in verdict and "Grant" not in verdict
