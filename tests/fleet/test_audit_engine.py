"""The audit engine on the sandbox fleet: the right rows, read-only, and each resource read once."""

from __future__ import annotations

import json
import stat
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from fargate_nb.aws import collect, make_context
from fargate_nb.aws.calls import READ_ONLY_PREFIXES
from fargate_nb.investigation import open_fleet, run_audit
from fargate_nb.lab.fleet import FLEET, FleetService, build_fleet
from fargate_nb.lab.resources import push_image
from fargate_nb.model import Snapshot
from tests.aws.inject import Injector


@pytest.fixture
def fleet(aws: Any) -> tuple[Any, dict[str, tuple[str, ...]]]:
    return open_fleet(aws)


class Recorder:
    """Keeps every context an audit makes (their call logs), and injects answers if asked."""

    def __init__(self, rules: dict[tuple[str, str], Any] | None = None) -> None:
        self.contexts: list[Any] = []
        self.injector = Injector(rules or {})

    def __call__(self, ctx: Any) -> None:
        ctx.session.events.register("before-send", self.injector)
        self.contexts.append(ctx)

    @property
    def calls(self) -> list[tuple[str, str]]:
        return [c for ctx in self.contexts for c in ctx.calls]

    @property
    def requests(self) -> list[tuple[str, str, str, str]]:
        return [r for ctx in self.contexts for r in ctx.requests]


def failing_ids(audit: Any) -> dict[str, tuple[str, ...]]:
    return {row.key: tuple(sorted(row.finding_ids)) if row.status == "fail" else () for row in audit.rows}


def test_the_audit_finds_exactly_the_broken_services_with_their_ids(fleet: Any) -> None:
    sandbox, expected = fleet
    assert len(expected) == len(FLEET) >= 8
    assert len({ids for ids in expected.values() if ids}) >= 3
    audit = run_audit(endpoint_url=sandbox.endpoint_url)
    assert failing_ids(audit) == expected
    healthy = [row for row in audit.rows if not expected[row.key]]
    assert healthy and all(row.status == "pass" for row in healthy)
    assert audit.problems == [] and audit.exit_code == 1
    assert audit.accounts == ["123456789012"] and audit.regions == [sandbox.region]
    assert audit.calls > 0 and audit.seconds > 0
    assert {row.cluster for row in audit.rows} == {"payments", "search"}


def test_a_recorded_run_is_read_only_and_reads_no_resource_twice(fleet: Any) -> None:
    sandbox, expected = fleet
    recorder = Recorder()
    audit = run_audit(endpoint_url=sandbox.endpoint_url, on_context=recorder)
    assert failing_ids(audit) == expected
    assert recorder.calls and audit.calls == len(recorder.calls)
    assert all(op.startswith(READ_ONLY_PREFIXES) or (svc, op) == ("sts", "GetCallerIdentity")
               for svc, op in recorder.calls), sorted(set(recorder.calls))
    repeated = {r: n for r, n in Counter(recorder.requests).items() if n > 1}
    assert repeated == {}
    # Batched or not, each image is asked for once per operation (the fleet has a missing tag too).
    images = Counter((op, p["repositoryName"], json.dumps(i, sort_keys=True))
                     for _, op, _, text in recorder.requests if op in ("DescribeImages", "BatchGetImage")
                     for p in [json.loads(text)] for i in p["imageIds"])
    assert images and max(images.values()) == 1, images
    # Shared resources: the role and the VPC were each read once for all eight services.
    ops = Counter(op for _, op, _, _ in recorder.requests)
    assert ops["DescribeRouteTables"] == 1 and ops["DescribeVpcs"] == 1
    assert ops["GetRole"] == 3  # the shared execution role, the shared task role, the legacy role
    assert ops["DescribeServices"] == 2  # one batch per cluster (at most 10 services each)
    assert audit.calls <= 40 + 5 * len(expected)


def test_one_at_a_time_collection_makes_every_read_again(aws: Any) -> None:
    """Without an audit there is no cache: a second diagnose sees what changed in between."""
    build_fleet(aws)
    ctx = make_context()
    assert ctx.cache is None
    first = collect(ctx, cluster="payments", service="api")
    calls = len(ctx.calls)
    aws.client("logs").delete_log_group(logGroupName="/ecs/fleet")
    second = collect(ctx, cluster="payments", service="api")
    assert len(ctx.calls) == 2 * calls
    assert first.log_groups["/ecs/fleet"] is not None and second.log_groups["/ecs/fleet"] is None


def test_a_gap_on_a_shared_read_reaches_every_service_that_needed_it(fleet: Any) -> None:
    sandbox, expected = fleet
    recorder = Recorder({("iam", "GetRole"): (403, "AccessDenied", "not allowed")})
    audit = run_audit(endpoint_url=sandbox.endpoint_url, on_context=recorder, max_workers=3)
    assert Counter(op for _, op, _, _ in recorder.requests)["GetRole"] == 3  # read once per role, even denied
    for row in audit.rows:
        assert row.status != "error"
        assert row.diagnosis is not None
        # every service needs the execution role: each row's diagnosis names the missing permission
        assert any(f.missing_permission == "iam:GetRole" for f in row.diagnosis.findings), row.key
    # the denied role read leaves some services unchecked, but the broken ones still fail on what
    # could be read, and a failure outranks "could not check"
    assert any(row.status == "fail" for row in audit.rows)
    assert audit.exit_code == 1


def test_throttling_to_the_end_is_unknown_never_a_crash(fleet: Any) -> None:
    sandbox, _ = fleet
    recorder = Recorder({("ecr", "DescribeImages"): (400, "ThrottlingException", "Rate exceeded"),
                         ("ecr", "BatchGetImage"): (400, "ThrottlingException", "Rate exceeded")})
    audit = run_audit(endpoint_url=sandbox.endpoint_url, clusters=["search"], on_context=recorder)
    assert {row.status for row in audit.rows} <= {"fail", "unknown"}
    query = next(row for row in audit.rows if row.service == "query")
    assert query.status == "unknown" and query.failing_step == "manifest"
    assert recorder.injector.attempts[("ecr", "DescribeImages")] > 1  # retried before giving up


def test_snapshots_are_written_privately_and_rediagnose_alike(fleet: Any, tmp_path: Path) -> None:
    sandbox, expected = fleet
    out = tmp_path / "audit" / "snapshots"
    audit = run_audit(endpoint_url=sandbox.endpoint_url, clusters=["payments"], snapshot_dir=out, all_regions=True)
    assert audit.regions == [sandbox.region]  # against an endpoint, only its region
    assert run_audit(clusters=["search"], all_regions=True).regions == [sandbox.region]  # AWS_ENDPOINT_URL too
    assert {row.cluster for row in audit.rows} == {"payments"}
    for row in audit.rows:
        path = tmp_path / "audit" / row.snapshot_file
        assert path == out / sandbox.region / "payments" / f"{row.service}.snapshot.json"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        snapshot = Snapshot.load(path)
        assert snapshot.service["serviceName"] == row.service
        assert json.loads(path.read_text())["subject"]["kind"] == "service"


def test_what_cannot_be_listed_is_a_problem_not_a_crash(fleet: Any) -> None:
    sandbox, _ = fleet
    audit = run_audit(endpoint_url=sandbox.endpoint_url, clusters=["payments", "no-such-cluster"])
    assert any("no-such-cluster" in p for p in audit.problems)
    assert {row.cluster for row in audit.rows} == {"payments"}
    assert audit.exit_code == 1  # payments has failing services; the problem alone would give 4
    denied = Recorder({("ecs", "ListClusters"): (400, "AccessDeniedException", "no")})
    audit = run_audit(endpoint_url=sandbox.endpoint_url, on_context=denied)
    assert audit.rows == [] and audit.problems and "ecs:ListClusters" in audit.problems[0]
    assert audit.exit_code == 4


def test_one_worker_and_many_give_the_same_rows(fleet: Any) -> None:
    sandbox, expected = fleet
    one = run_audit(endpoint_url=sandbox.endpoint_url, max_workers=1)
    many = run_audit(endpoint_url=sandbox.endpoint_url, max_workers=8)
    assert failing_ids(one) == failing_ids(many) == expected
    assert [r.key for r in one.rows] == [r.key for r in many.rows]


def test_a_role_arn_is_assumed_and_audited_in_its_account(fleet: Any) -> None:
    sandbox, expected = fleet
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
        "AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]}
    role = sandbox.client("iam").create_role(RoleName="fargate-nb-audit",
                                             AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    recorder = Recorder()
    audit = run_audit(endpoint_url=sandbox.endpoint_url, role_arns=[role], on_context=recorder)
    assert ("sts", "AssumeRole") in recorder.calls
    assert failing_ids(audit) == expected
    bad = run_audit(endpoint_url=sandbox.endpoint_url, role_arns=["not-a-role"])
    assert bad.rows == [] and "not an IAM role ARN" in bad.problems[0]


def test_images_of_one_repository_are_read_in_one_batch(aws: Any, tmp_path: Path) -> None:
    """Five services on five releases of one repository: one DescribeImages and one BatchGetImage,
    and each service's evidence is what reading it alone gives."""
    tags = [f"2.0.{i}" for i in range(5)]
    services = tuple(FleetService("payments", f"svc-{i}", image_tag=tag) for i, tag in enumerate(tags))
    fleet = build_fleet(aws, services)
    for tag in tags[1:]:
        push_image(aws.client("ecr"), "fleet-app", fleet.account, tag, ("linux/amd64", "linux/arm64"))
    recorder = Recorder()
    audit = run_audit(endpoint_url=aws.endpoint_url, on_context=recorder, snapshot_dir=tmp_path / "snaps")
    assert all(r.status == "pass" for r in audit.rows) and len(audit.rows) == 5
    ops = Counter(op for _, op, _, _ in recorder.requests)
    assert ops["DescribeImages"] == 1 and ops["BatchGetImage"] == 1
    assert ops["DescribeTaskDefinition"] == 5
    ctx = make_context()
    for row in audit.rows:
        batched = Snapshot.load(tmp_path / row.snapshot_file)
        alone = collect(ctx, cluster="payments", service=row.service)
        assert batched.images == alone.images and batched.network == alone.network
        assert batched.task_definition == alone.task_definition and batched.roles == alone.roles


def test_all_regions_are_the_regions_ecs_offers_in_the_partition() -> None:
    from fargate_nb.aws.fleet import ecs_regions

    commercial = ecs_regions(make_context(region="us-east-1"))
    assert {"us-east-1", "eu-west-1", "ap-southeast-2"} <= set(commercial)
    assert not any(r.startswith(("cn-", "us-gov-")) for r in commercial)
    assert set(ecs_regions(make_context(region="cn-north-1"))) == {"cn-north-1", "cn-northwest-1"}
