"""Every call of a diagnosis, failed every way AWS (or the network) can fail it, over the CLI.

For each operation of the shipped policy and each fault (denied, throttled to the end, 5xx to the
end, read timeout, connection error, a malformed 200 answer) the diagnosis of a healthy task must:
finish without a traceback; record a gap naming the call and its permission; never pass over
evidence it did not read (exit 0 only when no needed check rests on that call); never invent a
failure (the environment is healthy, so exit 1 would be a false failure); and when the subject
itself could not be read, say so naming the call that failed, with exit 4.
"""

from __future__ import annotations

import pytest

from tests.faults.faults import KINDS, OPTIONAL, SUBJECT, diagnosis_actions, rule, service_id

ACTIONS = diagnosis_actions()
#: Evidence no needed check rests on in this environment: losing it must not block a pass.
#: The caller identity only fills the account, which the task ARN gives too; the lifecycle policy
#: is advice; the simulator is optional; without the ENI the service's network configuration is
#: read; BatchGetImage's manifest proves the image exists without DescribeImages; the task subnets
#: have no default route, so internet and NAT gateways are not on any path; the task's security
#: group allows all egress and the NACL is the default, so the S3 prefix list's CIDRs decide nothing.
ADVISORY = frozenset({"sts:GetCallerIdentity", "ecr:GetLifecyclePolicy", "iam:SimulatePrincipalPolicy",
                      "ec2:DescribeNetworkInterfaces", "ecr:DescribeImages", "ec2:DescribeInternetGateways",
                      "ec2:DescribeNatGateways", "ec2:DescribePrefixLists", "ec2:GetManagedPrefixListEntries",
                      "ecr:DescribePullThroughCacheRules"})
UNCHECKED = 4


def _task_args(env) -> list[str]:
    return ["diagnose", "--cluster", env.cluster, "--task", env.task_arn, "--format", "json"]


def _service_args(env) -> list[str]:
    return ["diagnose", "--cluster", env.cluster, "--service", env.service_name, "--format", "json"]


@pytest.fixture(scope="module")
def baseline_passing(fault_env) -> set[tuple[str, str | None]]:
    """(id, target) of every check that passes when nothing is injected."""
    import contextlib
    import io
    import json

    from fargate_nb.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(_task_args(fault_env)) == 0
    return {(f["id"], f.get("target")) for f in json.loads(out.getvalue())["findings"] if f["status"] == "pass"}


def _never_skipped(run, baseline: set[tuple[str, str | None]], action: str, kind: str) -> None:
    """A check that passed with the evidence may pass or be unknown without it: never skipped or gone."""
    if action in SUBJECT:  # nothing was read: one unknown per check, for every target
        baseline = {(i, None) for i, _ in baseline}
    now: dict[tuple[str, str | None], set[str]] = {}
    for f in run.diagnosis["findings"]:
        now.setdefault((f["id"], None if action in SUBJECT else f.get("target")), set()).add(f["status"])
    lost = sorted((k, sorted(now.get(k, {"absent"}))) for k in baseline if not now.get(k, set()) & {"pass", "unknown"})
    assert not lost, f"{kind} {action}: checks that passed are now {lost}"


def test_the_healthy_baseline_makes_every_call_and_passes(fault_env, run_cli):
    run = run_cli(_task_args(fault_env))
    assert run.code == 0, run.out
    made = {f"{sid}:{op}" for sid, op in (s.split(".", 1) for s in run.sent)}
    wanted = {"{}:{}".format(*service_id(a)) for a in ACTIONS if a != "ecs:DescribeServices"}
    assert wanted <= made, f"not called by the baseline (the suite would not test them): {wanted - made}"
    assert run.diagnosis["gaps"] == []


def _check(run, action: str, kind: str) -> None:
    assert "Traceback" not in run.err, run.err
    assert run.code in (0, UNCHECKED), f"exit {run.code}: {run.err or run.out[-500:]}"
    diagnosis = run.diagnosis
    failing = [f["id"] for f in diagnosis["findings"] if f["status"] == "fail"]
    assert failing == [], f"a {kind} {action} became a false failure: {failing}"
    gaps = [g for g in diagnosis["gaps"] if g["api"] == action]
    if action in OPTIONAL and kind != "denied":
        assert run.code == 0
        return
    assert gaps, f"no gap names {action}: {diagnosis['gaps']}"
    assert all(g["permission"] == action for g in gaps)
    if action in SUBJECT:
        assert run.code == UNCHECKED
        assert diagnosis["verdict"].startswith("Nothing could be checked"), diagnosis["verdict"]
        assert action in diagnosis["verdict"]
        assert {s["status"] for s in diagnosis["steps"]} == {"unknown"}
        named = [f for f in diagnosis["findings"] if f["status"] == "unknown" and f["missing_permission"] == action]
        assert len(named) >= 10
        return
    if run.code == 0:
        assert action in ADVISORY, f"{kind} {action}: exit 0 although the call's evidence was not read"
        assert "should succeed" in diagnosis["verdict"]
        return
    assert "should succeed" not in diagnosis["verdict"]
    assert diagnosis["verdict"].startswith("No failing prerequisite found, but some could not be checked")
    unknown = [f for f in diagnosis["findings"] if f["status"] == "unknown"]
    assert any(f.get("missing_permission") == action or action in (f.get("detail") or "") for f in unknown), \
        f"{kind} {action}: no unknown finding names the call: {[(f['id'], f['detail'][:120]) for f in unknown]}"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("action", [a for a in ACTIONS if a != "ecs:DescribeServices"])
def test_a_task_diagnosis_survives_every_fault_on_every_call(fault_env, baseline_passing, run_cli, action, kind):
    run = run_cli(_task_args(fault_env), {service_id(action): rule(kind, action, variant=len(action))})
    _check(run, action, kind)
    _never_skipped(run, baseline_passing, action, kind)
    if action == "ecr:BatchGetImage":  # a platform-mismatched task must not pass either
        platform = [f for f in run.diagnosis["findings"] if f["id"] == "ecr.platform-mismatch"]
        assert [f["status"] for f in platform] == ["unknown"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("action", ["ecs:DescribeServices", "ecs:DescribeTaskDefinition"])
def test_a_service_diagnosis_names_the_call_that_failed(fault_env, run_cli, action, kind):
    run = run_cli(_service_args(fault_env), {service_id(action): rule(kind, action, variant=KINDS.index(kind))})
    _check(run, action, kind)
    if action == "ecs:DescribeServices":
        assert "DescribeTaskDefinition" not in run.diagnosis["verdict"]  # the first failing call, not a later one


@pytest.mark.parametrize("kind", ["denied", "connection-error"])
def test_nothing_answered_is_exit_3_but_the_subject_alone_is_exit_4(fault_env, run_cli, kind):
    every = {service_id(a): rule(kind, a) for a in ACTIONS}
    run = run_cli(_task_args(fault_env), every)
    if kind == "denied":  # AWS answered (it said no): that is a diagnosis that could not check anything
        assert run.code == UNCHECKED and "ecs:DescribeTasks" in run.diagnosis["verdict"]
    else:
        assert run.code == 3 and run.out == "" and "unreachable or" in run.err and "Traceback" not in run.err


def test_a_snapshot_without_its_subject_is_written_and_says_so(fault_env, run_cli, tmp_path):
    rule_ = {service_id("ecs:DescribeTasks"): rule("denied", "ecs:DescribeTasks")}
    out = tmp_path / "evidence.json"
    run = run_cli(["snapshot", "--cluster", fault_env.cluster, "--task", fault_env.task_arn, "-o", str(out)], rule_)
    assert run.code == UNCHECKED and out.exists()
    assert "the task could not be read: ecs:DescribeTasks failed (AccessDeniedException" in run.err
    again = run_cli(["diagnose", "--snapshot", str(out), "--format", "json"])  # offline, the same answer
    assert again.code == UNCHECKED and "ecs:DescribeTasks" in again.diagnosis["verdict"]
