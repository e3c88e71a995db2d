"""manifest checks: iam.ecr-pull, ecr.repo-policy, ecr.repo-missing, ecr.image-missing, ecr.platform-mismatch,
and the advice checks ecr.lifecycle-policy, ecr.scan-on-push, ecr.mutable-tag."""

import pytest

from fargate_nb.checks import ecr
from fargate_nb.diagnose import diagnose
from fargate_nb.model import Gap
from tests.support.network import endpoint_id, nat_vpc, private_vpc
from tests.support.snapshots import (
    ACCT,
    CROSS_IMAGE,
    CROSS_REPO_ARN,
    EXEC_ROLE,
    IMAGE,
    LINUX_AMD64,
    LINUX_ARM64,
    OTHER_ACCT,
    REPO_ARN,
    SnapshotBuilder,
    after_fix,
    allow,
    deny,
    healthy,
    only,
    policy,
    run,
)

PULL = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]  # the documented minimum (ECR user guide, ECR_on_ECS)
LOGS_AND_AUTH = policy(allow(["logs:CreateLogStream", "logs:PutLogEvents", "ecr:GetAuthorizationToken"]))


# -- iam.ecr-pull ------------------------------------------------------------------------------------
def test_managed_policy_allows_the_pull_with_the_statement_as_evidence():
    f = only(ecr.ecr_pull_permission, healthy().build(), "pass")
    assert any("AmazonECSTaskExecutionRolePolicy" in e and "ecr:BatchGetImage" in e for e in f.evidence)


def test_exactly_the_documented_minimum_passes_the_whole_pull():
    """ECR user guide, "Using Amazon ECR images with Amazon ECS": GetAuthorizationToken, BatchGetImage and
    GetDownloadUrlForLayer; a role without ecr:BatchCheckLayerAvailability pulls fine."""
    minimum = policy(allow(["ecr:GetAuthorizationToken"]), allow(PULL, REPO_ARN),
                     allow(["logs:CreateLogStream", "logs:PutLogEvents"]))
    snap = healthy().execution_role(managed=False, inline={"minimum": minimum}).build()
    diagnosis = diagnose(snap)
    assert not diagnosis.failed, diagnosis.verdict
    assert diagnosis.finding("iam.ecr-pull")[0].status == "pass"
    assert "ecr:BatchCheckLayerAvailability" not in {r.action for r in diagnosis.permissions}


def test_missing_pull_permission_fails_with_a_minimal_policy_on_the_repository():
    snap = healthy().execution_role(managed=False, inline={"base": LOGS_AND_AUTH}).build()
    f = only(ecr.ecr_pull_permission, snap, "fail")
    assert "no identity-based policy allows" in f.detail and REPO_ARN in f.detail
    st = f.remediation.policy["Statement"][0]
    assert sorted(st["Action"]) == sorted(PULL) and st["Resource"] == REPO_ARN
    assert f.remediation.commands[0].startswith("aws iam put-role-policy --role-name ecsTaskExecutionRole "
                                                "--policy-name fargate-nb-ecr-pull-api --policy-document '")
    assert [x.status for x in after_fix(ecr.ecr_pull_permission, snap)] == ["pass"]


def test_explicit_deny_in_an_inline_policy_names_its_sid_and_the_fix_drops_it():
    snap = healthy().execution_role(inline={"guard": policy(deny("ecr:BatchGetImage", sid="NoPulls"))}).build()
    f = only(ecr.ecr_pull_permission, snap, "fail")
    assert "explicitly denied by inline policy guard (Sid 'NoPulls')" in f.detail
    assert any("'NoPulls'" in e and '"Effect":"Deny"' in e for e in f.evidence)
    assert f.remediation.fix["op"] == "remove_policy_statement"
    assert [x.status for x in after_fix(ecr.ecr_pull_permission, snap)] == ["pass"]


def test_explicit_deny_in_a_customer_managed_policy_is_fixed_with_a_new_policy_version():
    cm = f"arn:aws:iam::{ACCT}:policy/guardrails"
    from tests.support.snapshots import MANAGED_EXEC_POLICY, MANAGED_EXEC_POLICY_ARN
    snap = healthy().execution_role(attached=[(MANAGED_EXEC_POLICY_ARN, MANAGED_EXEC_POLICY),
                                              (cm, policy(deny("ecr:*", REPO_ARN, sid="Frozen")))]).build()
    f = only(ecr.ecr_pull_permission, snap, "fail")
    assert any(c.startswith(f"aws iam create-policy-version --policy-arn {cm}") for c in f.remediation.commands)
    assert [x.status for x in after_fix(ecr.ecr_pull_permission, snap)] == ["pass"]


def test_permissions_boundary_blocks_and_the_fix_widens_it():
    snap = healthy().execution_role(boundary=policy(allow(["logs:*", "ecr:GetAuthorizationToken"]))).build()
    f = only(ecr.ecr_pull_permission, snap, "fail")
    assert "permissions boundary" in f.detail
    assert f.remediation.fix["op"] == "set_permissions_boundary"
    assert any("create-policy-version --policy-arn arn:aws:iam::111122223333:policy/boundary" in c
               for c in f.remediation.commands)
    assert [x.status for x in after_fix(ecr.ecr_pull_permission, snap)] == ["pass"]


def test_same_account_repository_policy_can_grant_the_pull():
    repo_policy = policy({"Sid": "Team", "Effect": "Allow", "Principal": {"AWS": EXEC_ROLE}, "Action": PULL})
    snap = (healthy().execution_role(managed=False, inline={"base": LOGS_AND_AUTH})
            .repository(policy=repo_policy).build())
    assert only(ecr.ecr_pull_permission, snap).status == "pass"


def test_source_vpce_condition_is_unknown_without_network_and_decided_with_it():
    vpce = endpoint_id("ecr.dkr")
    scoped = policy(allow(PULL, REPO_ARN, Condition={"StringEquals": {"aws:SourceVpce": vpce}}))
    base = healthy().execution_role(managed=False, inline={"base": LOGS_AND_AUTH, "scoped": scoped})
    f = only(ecr.ecr_pull_permission, base.build(), "unknown")
    assert "aws:sourcevpce" in f.detail.lower()
    assert only(ecr.ecr_pull_permission, base.network(private_vpc()).build()).status == "pass"
    f = only(ecr.ecr_pull_permission, base.network(nat_vpc()).build(), "fail")
    assert [x.status for x in after_fix(ecr.ecr_pull_permission, base.network(nat_vpc()).build())] == ["pass"]


def test_unread_role_policies_make_a_missing_allow_unknown():
    b = healthy().execution_role(managed=False, inline={"base": LOGS_AND_AUTH})
    b.snap.roles[EXEC_ROLE]["AttachedPolicies"] = None
    b.gap("iam:ListAttachedRolePolicies", resource=EXEC_ROLE, error="AccessDenied")
    f = only(ecr.ecr_pull_permission, b.build(), "unknown")
    assert f.missing_permission == "iam:ListAttachedRolePolicies"


def test_no_execution_role_fails_and_the_fix_creates_one():
    snap = healthy().execution_role_arn(None).build()
    f = only(ecr.ecr_pull_permission, snap, "fail")
    assert "no executionRoleArn" in f.detail
    assert [x.status for x in after_fix(ecr.ecr_pull_permission, snap)] == ["pass"]


def test_public_image_skips_the_ecr_checks():
    snap = SnapshotBuilder().container(image="nginx").build()
    for func in (ecr.ecr_pull_permission, ecr.repository_policy, ecr.repository_missing, ecr.image_missing):
        assert only(func, snap).status == "skipped"


def test_cross_account_identity_side_is_judged_without_the_repository_policy():
    own_repos = policy(allow(PULL, f"arn:aws:ecr:us-east-1:{ACCT}:repository/*"), allow("ecr:GetAuthorizationToken"))
    snap = (healthy().execution_role(managed=False, inline={"own": own_repos})
            .container("base", CROSS_IMAGE).repository(CROSS_REPO_ARN).build())
    status = {CROSS_REPO_ARN in f.detail: f.status for f in run(ecr.ecr_pull_permission, snap)}
    assert status == {False: "pass", True: "fail"}


# -- ecr.repo-policy ----------------------------------------------------------------------------------
def _cross(policy_doc=None, **kw):
    return healthy().container("base", CROSS_IMAGE).repository(CROSS_REPO_ARN, policy=policy_doc, **kw)


def _cross_finding(snap, status=None):
    found = [f for f in run(ecr.repository_policy, snap) if OTHER_ACCT in f.detail or CROSS_REPO_ARN in f.detail]
    assert len(found) == 1, [(f.status, f.detail) for f in run(ecr.repository_policy, snap)]
    if status:
        assert found[0].status == status, found[0].detail
    return found[0]


def test_cross_account_repository_without_policy_fails_and_the_fix_grants_the_role():
    snap = _cross().build()
    f = _cross_finding(snap, "fail")
    assert "has no repository policy" in f.detail and OTHER_ACCT in f.detail
    assert f.remediation.fix["op"] == "set_resource_policy" and f.remediation.fix["kind"] == "repository"
    cmd = f.remediation.commands[0]
    assert cmd.startswith(f"aws ecr set-repository-policy --registry-id {OTHER_ACCT} --repository-name shared/base "
                          "--region us-east-1 --policy-text '")
    assert EXEC_ROLE in cmd
    assert {x.status for x in after_fix(ecr.repository_policy, snap)} == {"pass"}


def test_cross_account_policy_granting_the_account_passes():
    granted = policy({"Sid": "Consumers", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"},
                      "Action": PULL})
    f = _cross_finding(_cross(granted).build(), "pass")
    assert "Consumers" in " ".join(f.evidence)


def test_cross_account_policy_granting_someone_else_fails():
    other = policy({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"}, "Action": PULL})
    snap = _cross(other).build()
    f = _cross_finding(snap, "fail")
    assert "does not grant" in f.detail
    assert other["Statement"][0] in f.remediation.policy["Statement"]  # the existing grant is kept
    assert {x.status for x in after_fix(ecr.repository_policy, snap)} == {"pass"}


def test_same_account_deny_in_the_repository_policy_fails_and_is_removed():
    guard = policy({"Sid": "NoExec", "Effect": "Deny", "Principal": {"AWS": EXEC_ROLE}, "Action": "ecr:BatchGetImage"})
    snap = healthy().repository(policy=guard).build()
    f = only(ecr.repository_policy, snap, "fail")
    assert "'NoExec'" in f.detail
    assert [x.status for x in after_fix(ecr.repository_policy, snap)] == ["pass"]


def test_same_account_without_policy_passes():
    assert only(ecr.repository_policy, healthy().build()).status == "pass"


def test_unreadable_cross_account_policy_is_unknown_and_tells_the_owner_how_to_look():
    snap = (healthy().container("base", CROSS_IMAGE)
            .gap("ecr:GetRepositoryPolicy", resource=CROSS_REPO_ARN, error="RepositoryPolicyNotFound or denied").build())
    f = _cross_finding(snap, "unknown")
    assert f.missing_permission == "ecr:GetRepositoryPolicy"
    assert f"--registry-id {OTHER_ACCT}" in f.detail


# -- ecr.repo-missing / ecr.image-missing ----------------------------------------------------------------
def test_missing_repository_fails_and_the_fix_creates_it():
    snap = healthy().repository(exists=False).build()
    f = only(ecr.repository_missing, snap, "fail")
    assert f.message == "ECR repository api does not exist"
    assert f.remediation.commands[0].startswith("aws ecr create-repository --repository-name api --region us-east-1")
    assert [x.status for x in after_fix(ecr.repository_missing, snap)] == ["pass"]
    assert only(ecr.image_missing, snap).status == "skipped"


def test_repository_pass_and_unknown():
    assert only(ecr.repository_missing, healthy().build()).status == "pass"
    snap = healthy().forget("repositories", REPO_ARN).gap("ecr:DescribeRepositories", error="AccessDenied").build()
    f = only(ecr.repository_missing, snap, "unknown")
    assert f.missing_permission == "ecr:DescribeRepositories"


def test_missing_tag_fails_and_the_fix_pushes_it():
    snap = healthy().image(found=False).build()
    f = only(ecr.image_missing, snap, "fail")
    assert "tag '1.4.2'" in f.detail and "failed to resolve ref" in f.detail
    assert [x.status for x in after_fix(ecr.image_missing, snap)] == ["pass"]


def test_missing_digest_is_named():
    ref = f"{ACCT}.dkr.ecr.us-east-1.amazonaws.com/api@sha256:" + "d" * 64
    snap = healthy().container("pinned", ref).image(ref, found=False).build()
    f = next(x for x in run(ecr.image_missing, snap) if x.status == "fail")
    assert "digest sha256:dddd" in f.detail


def test_image_unknown_when_not_read():
    snap = healthy().no_image_evidence().gap("ecr:DescribeImages", resource=REPO_ARN, error="AccessDenied").build()
    f = only(ecr.image_missing, snap, "unknown")
    assert f.missing_permission == "ecr:DescribeImages"


# -- ecr.platform-mismatch --------------------------------------------------------------------------------
def test_arm_only_image_on_default_x86_task_fails_and_the_fix_switches_the_task_to_arm():
    snap = healthy().image(platforms=[LINUX_ARM64]).build()
    f = only(ecr.platform_mismatch, snap, "fail")
    assert "linux/amd64" in f.message and "linux/arm64/v8" in f.detail
    assert f.remediation.fix == {"op": "set_runtime_platform", "cpuArchitecture": "ARM64",
                                 "operatingSystemFamily": "LINUX"}
    assert any("--platform linux/amd64" in c for c in f.remediation.commands)
    assert [x.status for x in after_fix(ecr.platform_mismatch, snap)] == ["pass"]


def test_image_for_no_fargate_platform_is_fixed_by_pushing_the_right_one():
    snap = healthy().image(platforms=[{"os": "linux", "architecture": "386"}]).build()
    f = only(ecr.platform_mismatch, snap, "fail")
    assert f.remediation.fix["op"] == "push_image"
    assert [x.status for x in after_fix(ecr.platform_mismatch, snap)] == ["pass"]


@pytest.mark.parametrize("cpu, platforms, status", [
    ("ARM64", [LINUX_AMD64, LINUX_ARM64], "pass"),
    ("ARM64", [LINUX_AMD64, {"os": "unknown", "architecture": "unknown"}], "fail"),
    ("X86_64", [LINUX_AMD64, {"os": "unknown", "architecture": "unknown"}], "pass"),
])
def test_runtime_platform_matching(cpu, platforms, status):
    snap = healthy().runtime_platform(cpu).image(platforms=platforms).build()
    assert only(ecr.platform_mismatch, snap).status == status


def test_platform_unknown_without_manifest_and_skipped_for_other_registries():
    b = healthy()
    b.snap.images[IMAGE].update(found=None, platforms=None)
    b.gap("ecr:BatchGetImage", resource=f"{REPO_ARN} {IMAGE}", error="AccessDeniedException")
    f = only(ecr.platform_mismatch, b.build(), "unknown")
    assert f.missing_permission == "ecr:BatchGetImage"
    assert only(ecr.platform_mismatch, SnapshotBuilder().container(image="ghcr.io/acme/api:1").build()).status == "skipped"


def _single_platform(reason=None):
    b = healthy()
    b.snap.images[IMAGE]["platforms"] = None  # a plain image manifest lists no platform
    if reason:
        b.stopped(reason, container="api")
    return b.build()


def test_single_platform_image_is_judged_from_the_stopped_reason():
    f = only(ecr.platform_mismatch, _single_platform(), "skipped")
    assert "single-platform" in f.detail
    snap = _single_platform("CannotPullContainerError: ref pull has been retried 1 time(s): failed to unpack image "
                            "on snapshotter overlayfs: no match for platform in manifest: image Manifest does not "
                            "contain descriptor matching platform 'linux/amd64'")
    f = only(ecr.platform_mismatch, snap, "fail")
    assert "descriptor matching platform" in f.evidence[0]
    assert [x.status for x in after_fix(ecr.platform_mismatch, snap)] == ["pass"]
    assert only(ecr.platform_mismatch, _single_platform("exec /app/server: exec format error")).status == "warn"


# -- advice ---------------------------------------------------------------------------------------------
def test_lifecycle_policy_advice():
    f = only(ecr.lifecycle_policy, healthy().repository(lifecycle=False).build(), "info")
    assert f.remediation.commands[0].startswith("aws ecr put-lifecycle-policy --repository-name api")
    assert only(ecr.lifecycle_policy, healthy().build()).status == "pass"
    f = only(ecr.lifecycle_policy, healthy().repository(lifecycle=None).gap("ecr:GetLifecyclePolicy").build(), "skipped")
    assert f.missing_permission == "ecr:GetLifecyclePolicy"


def test_scan_on_push_advice():
    f = only(ecr.scan_on_push, healthy().repository(scan_on_push=False).build(), "info")
    assert "put-registry-scanning-configuration" in f.remediation.commands[0]
    assert only(ecr.scan_on_push, healthy().build()).status == "pass"


@pytest.mark.parametrize("image, mutability, exclusions, status", [
    (f"{ACCT}.dkr.ecr.us-east-1.amazonaws.com/api:latest", "MUTABLE", None, "info"),
    (f"{ACCT}.dkr.ecr.us-east-1.amazonaws.com/api:latest", "IMMUTABLE", None, "pass"),
    (f"{ACCT}.dkr.ecr.us-east-1.amazonaws.com/api@sha256:" + "e" * 64, "MUTABLE", None, "pass"),
    (f"{ACCT}.dkr.ecr.us-east-1.amazonaws.com/api:latest", "IMMUTABLE_WITH_EXCLUSION", ["lat*"], "info"),
    (f"{ACCT}.dkr.ecr.us-east-1.amazonaws.com/api:v1", "MUTABLE_WITH_EXCLUSION", ["v*"], "pass"),
])
def test_mutable_tag_advice(image, mutability, exclusions, status):
    snap = SnapshotBuilder().container(image=image).repository(mutability=mutability, exclusions=exclusions).build()
    f = only(ecr.mutable_tag, snap, status)
    if status == "info" and image.endswith(":latest"):
        assert "`latest`" in f.detail and "put-image-tag-mutability" in f.remediation.commands[0]


# -- broken evidence never crashes a check ------------------------------------------------------------------
def _mutations():
    def m(fn):
        b = healthy().container_secret("DB", "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-Gh1jKl") \
            .secret("arn:aws:secretsmanager:us-east-1:111122223333:secret:db-Gh1jKl", kms_key="k1").kms_key(
                "arn:aws:kms:us-east-1:111122223333:key/k1").repository_credentials("dockerhub")
        fn(b.snap)
        return b.snap
    role = lambda s: s.roles[EXEC_ROLE]  # noqa: E731
    return [
        m(lambda s: s.roles.__setitem__(EXEC_ROLE, "garbage")),
        m(lambda s: role(s).__setitem__("InlinePolicies", {"x": "{not json"})),
        m(lambda s: role(s).__setitem__("InlinePolicies", {"x": {"Statement": "nonsense"}})),
        m(lambda s: role(s).__setitem__("InlinePolicies", {"x": {"Statement": [{"Effect": "Allow", "Action": 5}]}})),
        m(lambda s: role(s).__setitem__("AttachedPolicies", "nope")),
        m(lambda s: role(s)["Role"].__setitem__("AssumeRolePolicyDocument", "not json")),
        m(lambda s: role(s).__setitem__("PermissionsBoundary", {"PolicyArn": None, "Document": 7})),
        m(lambda s: s.repositories.__setitem__(REPO_ARN, {"Repository": None, "Policy": "x"})),
        m(lambda s: s.images.__setitem__(IMAGE, ["list"])),
        m(lambda s: s.images[IMAGE].__setitem__("platforms", "amd64")),
        m(lambda s: s.secrets.__setitem__("dockerhub", "str")),
        m(lambda s: s.kms_keys.__setitem__("arn:aws:kms:us-east-1:111122223333:key/k1", {"KeyMetadata": None})),
        m(lambda s: s.log_groups.__setitem__("/ecs/api", 42)),
        m(lambda s: s.task_definition.__setitem__("executionRoleArn", 123)),
        m(lambda s: s.task_definition.__setitem__("runtimePlatform", "ARM")),
        m(lambda s: s.task.__setitem__("containers", [{"name": "api", "reason": "\x1b[31m401 Unauthorized\x00"}])),
        m(lambda s: s.__setattr__("account", None)),
    ]


@pytest.mark.parametrize("snap", _mutations())
def test_broken_evidence_gives_findings_not_tracebacks(snap):
    import fargate_nb.checks.logs
    import fargate_nb.checks.registry_auth
    import fargate_nb.checks.roles
    import fargate_nb.checks.secrets  # noqa: F401
    from fargate_nb.checks.registry import REGISTRY
    from fargate_nb.model import Finding

    mine = [c for c in REGISTRY.values() if c.func.__module__.split(".")[2] in
            ("roles", "ecr", "logs", "secrets", "registry_auth")]
    assert {c.id for c in mine} == {
        "exec-role.missing", "exec-role.not-found", "exec-role.trust", "iam.org-policies", "role.confusion",
        "ecr.image-missing", "ecr.lifecycle-policy", "ecr.mutable-tag", "ecr.platform-mismatch",
        "ecr.pull-through-cache", "ecr.repo-missing", "ecr.repo-policy", "ecr.scan-on-push", "iam.ecr-pull",
        "iam.logs", "logs.group-missing",
        "iam.environment-files", "iam.secrets", "secrets.missing",
        "iam.ecr-auth", "iam.kms-decrypt", "iam.registry-secret", "registry.credentials-missing",
        "registry.secret-missing",
    }
    for c in mine:
        for f in run(c.func, snap):
            assert isinstance(f, Finding) and f.id == c.id and (f.message or f.detail)


def test_a_policy_the_evaluator_rejects_makes_the_check_unknown_with_the_reason():
    broken = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecr:*"}]}  # no Resource
    snap = healthy().execution_role(managed=False, inline={"broken": broken}).build()
    f = only(ecr.ecr_pull_permission, snap, "unknown")
    assert "cannot be decided" in f.detail and "Resource" in f.detail and "broken" in f.detail


def test_an_unread_permissions_boundary_turns_an_allow_into_unknown():
    b = healthy().execution_role(boundary=policy(allow("*")))
    b.snap.roles[EXEC_ROLE]["PermissionsBoundary"]["Document"] = None
    b.gap("iam:GetPolicyVersion", resource="arn:aws:iam::111122223333:policy/boundary", error="AccessDenied")
    f = only(ecr.ecr_pull_permission, b.build(), "unknown")
    assert "permissions boundary" in f.detail and f.missing_permission == "iam:GetPolicyVersion"


def test_repository_policy_not_read_is_unknown_not_absent():
    b = _cross(policy({"Effect": "Allow", "Principal": "*", "Action": PULL}))
    del b.snap.repositories[CROSS_REPO_ARN]["Policy"]
    b.gap("ecr:GetRepositoryPolicy", resource=CROSS_REPO_ARN, error="AccessDeniedException")
    f = _cross_finding(b.build(), "unknown")
    assert f.missing_permission == "ecr:GetRepositoryPolicy" and "AccessDeniedException" in f.detail


def test_the_digest_a_task_recorded_is_checked_and_unknown_when_it_could_not_be_read():
    """ECS developer guide, "Container image resolution": later tasks of a deployment pull the digest
    the tag was resolved to (DescribeTasks containers[].imageDigest), not the tag."""
    digest = "sha256:" + "d" * 64
    base = healthy().task_fields(containers=[{"name": "api", "image": IMAGE, "imageDigest": digest}])
    snap = base.build()
    snap.images[IMAGE]["recorded_digest"] = {"digest": digest, "found": False}
    f = only(ecr.image_missing, snap, "fail")
    assert digest in f.detail and "deployment" in f.message
    snap.images[IMAGE]["recorded_digest"] = {"digest": digest, "found": True}
    assert digest in only(ecr.image_missing, snap, "pass").detail
    del snap.images[IMAGE]["recorded_digest"]
    assert only(ecr.image_missing, snap, "pass")  # nothing recorded (an older snapshot): the tag decides
    snap.gaps.append(Gap("ecr:DescribeImages", "ecr:DescribeImages", "AccessDeniedException: no",
                         f"{REPO_ARN} {IMAGE}@{digest}"))
    f = only(ecr.image_missing, snap, "unknown")
    assert f.missing_permission == "ecr:DescribeImages"
