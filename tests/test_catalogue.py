"""The check catalogue is declared once: it and the registered checks match one to one, every finding
carries exactly its entry's metadata at a step the entry allows, and docs/findings.md is generated from it."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from fargate_nb.checks import load_all
from fargate_nb.checks.catalogue import CATALOGUE, CheckSpec, in_order
from fargate_nb.checks.findings_doc import findings_markdown
from fargate_nb.checks.registry import check
from fargate_nb.model import STEPS, Finding, Snapshot
from fargate_nb.pullflow import plan
from tests.support import network as net
from tests.support.snapshots import (
    CROSS_IMAGE,
    CROSS_REPO_ARN,
    DB_SECRET_ARN,
    EXEC_ROLE,
    IMAGE,
    KEY_ARN,
    LINUX_ARM64,
    LOG_GROUP,
    REPO_ARN,
    SECRET_ARN,
    TASK_ROLE,
    allow,
    healthy,
    policy,
)

ROOT = Path(__file__).resolve().parents[1]
DESIGN_IDS = {
    "exec-role.missing", "exec-role.not-found", "exec-role.trust", "iam.ecr-auth", "iam.registry-secret",
    "iam.kms-decrypt", "registry.secret-missing", "registry.credentials-missing", "iam.secrets", "secrets.missing",
    "iam.ecr-pull", "ecr.repo-policy", "ecr.repo-missing", "ecr.image-missing", "ecr.platform-mismatch", "iam.logs",
    "logs.group-missing", "net.no-route", "net.public-ip", "net.vpc-dns", "net.endpoint-private-dns",
    "net.s3-gateway-route", "net.endpoint-policy", "net.endpoint-sg", "net.task-sg-egress", "net.nacl",
    "role.confusion", "taskdef.invalid",
}
#: Call kinds of the pull's sequence (`fargate_nb.diagnose.sequence`).
CALL_KINDS = {"assume", "ecr-auth", "creds-secret", "kms", "secret-fetch", "ecr-manifest", "registry-manifest",
              "layer-url", "layer-get", "registry-blobs", "logs-group", "logs-stream", "logs-events", "env-file"}
SNAPSHOT_FIELDS = {f.name for f in fields(Snapshot)}


# -- the catalogue as data -------------------------------------------------------------------------------------
def test_catalogue_and_registered_checks_match_one_to_one():
    registry = load_all()
    assert set(registry) == set(CATALOGUE)
    for cid, c in registry.items():
        assert c.spec is CATALOGUE[cid], cid
    assert set(CATALOGUE) >= DESIGN_IDS


def test_an_id_outside_the_catalogue_cannot_be_registered():
    with pytest.raises(ValueError, match="not in the check catalogue"):
        check("ecr.no-such-check")


@pytest.mark.parametrize("spec", list(CATALOGUE.values()), ids=list(CATALOGUE))
def test_every_entry_is_complete(spec: CheckSpec):
    assert spec.severity in ("high", "medium", "low")
    assert spec.doc_url.startswith("https://docs.aws.amazon.com/")
    assert spec.description and spec.description != spec.title and 1 <= spec.description.count(". ") + 1 <= 4
    assert spec.evidence and set(spec.evidence) <= SNAPSHOT_FIELDS, spec.evidence
    assert set(spec.steps) <= set(STEPS)
    assert set(spec.calls) <= CALL_KINDS, spec.calls
    if spec.per_target:
        assert spec.network_column and not spec.calls and spec.id.startswith("net.")
    elif spec.steps and not spec.advice and spec.id != "role.confusion":
        assert spec.calls, f"{spec.id} is bound to a step but decides no call"
    if spec.advice:
        assert spec.severity == "low" and not spec.calls


def test_role_confusion_may_sit_on_any_step_and_decides_the_calls_of_its_step():
    spec = CATALOGUE["role.confusion"]
    assert spec.steps == STEPS and spec.step is None and spec.calls == ()
    assert "earliest" in spec.description and "assume-role" in spec.description


def test_docs_findings_md_is_generated_from_the_catalogue():
    text = (ROOT / "docs" / "findings.md").read_text()
    assert text == findings_markdown()
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert [r.split("`")[1] for r in rows] == [c.id for c in in_order()]
    assert all(CATALOGUE[r.split("`")[1]].description in r for r in rows)


# -- every finding carries its entry's metadata ----------------------------------------------------------------
def _snapshots() -> dict[str, Snapshot]:
    """Diverse snapshots: healthy, broken in one place each, unread evidence, secrets and KMS, network paths."""
    confused = (healthy().execution_role(managed=False, inline={"logs": policy(allow(
        ["logs:CreateLogStream", "logs:PutLogEvents"]))}).task_role_arn(TASK_ROLE)
        .role(TASK_ROLE, inline={"ecr": policy(allow(["ecr:GetAuthorizationToken", "ecr:BatchGetImage",
                                                      "ecr:GetDownloadUrlForLayer"]))}))
    secrets = (healthy().repository_credentials(SECRET_ARN).secret(SECRET_ARN, kms_key=KEY_ARN).kms_key(KEY_ARN)
               .container_secret("DB_PASSWORD", DB_SECRET_ARN).secret(DB_SECRET_ARN, exists=False)
               .container_secret("API_KEY", "/api/key").parameter("/api/key"))
    simulated = healthy().build()
    simulated.simulations = [{"principal": EXEC_ROLE, "action": "ecr:GetAuthorizationToken", "resource": "*",
                              "decision": "implicitDeny", "matched": []}]
    return {
        "healthy": healthy().build(),
        "no-execution-role": healthy().execution_role_arn(None).build(),
        "execution-role-gone": healthy().execution_role(exists=False).build(),
        "execution-role-unread": healthy().forget("roles", EXEC_ROLE).gap("iam:GetRole", resource=EXEC_ROLE).build(),
        "role-confusion": confused.build(),
        "task-role-unread": healthy().task_role_arn(TASK_ROLE).gap("iam:GetRole", resource=TASK_ROLE).build(),
        "secrets-and-kms": secrets.build(),
        "repository-missing": healthy().repository(exists=False).build(),
        "image-missing": healthy().image(found=False).build(),
        "arm-only-image": healthy().image(IMAGE, platforms=[LINUX_ARM64]).build(),
        "cross-account": (healthy().container("base", CROSS_IMAGE).repository(CROSS_REPO_ARN, policy=None)
                          .image(CROSS_IMAGE).build()),
        "log-group-missing": healthy().log_group(LOG_GROUP, exists=False).build(),
        "docker-hub": (healthy().container("sidecar", "ghcr.io/acme/private:1")
                       .stopped("pull access denied for ghcr.io/acme/private", container="sidecar").build()),
        "simulated": simulated,
        "bad-taskdef": healthy().container("bad", IMAGE, imagePullBehavior="always").build(),
        "private-vpc": net.private_vpc().build(),
        "nat-vpc": net.nat_vpc().build(),
        "public-vpc-no-ip": net.public_vpc().public_ip(False).build(),
        "empty": Snapshot(region="us-east-1"),
    }


SNAPSHOTS = _snapshots()


def _step_allowed(spec: CheckSpec, f: Finding) -> bool:
    if spec.per_target:
        return f.step in STEPS or f.step is None
    if not spec.steps:
        return f.step is None
    return f.step in spec.steps


@pytest.mark.parametrize("name", list(SNAPSHOTS))
def test_every_finding_has_its_entrys_metadata_and_an_allowed_step(name):
    snap = SNAPSHOTS[name]
    pull = plan(snap)
    seen = 0
    for cid, c in load_all().items():
        spec = CATALOGUE[cid]
        for f in c.run(snap, pull):
            seen += 1
            assert f.id == cid
            assert (f.title, f.severity, f.doc_url) == (spec.title, spec.severity, spec.doc_url), f.label
            assert _step_allowed(spec, f), (f.label, f.step, spec.steps)
            assert f.text, f.label
            if "check could not run" in f.detail:
                pytest.fail(f"{cid} raised on {name}: {f.detail}")
    assert seen >= len(CATALOGUE)


def test_the_snapshots_reach_the_interesting_answers():
    """The metadata test above is only worth something if the snapshots make checks fail, warn and say unknown."""
    statuses: dict[str, set[str]] = {}
    for snap in SNAPSHOTS.values():
        pull = plan(snap)
        for cid, c in load_all().items():
            for f in c.run(snap, pull):
                statuses.setdefault(cid, set()).add(f.status)
    for cid in ("exec-role.missing", "exec-role.not-found", "role.confusion", "secrets.missing", "ecr.repo-missing",
                "ecr.image-missing", "ecr.platform-mismatch", "logs.group-missing", "registry.credentials-missing",
                "taskdef.invalid", "iam.ecr-auth"):
        assert "fail" in statuses[cid], (cid, statuses[cid])
    assert "unknown" in statuses["role.confusion"] and "info" in statuses["iam.simulator-agreement"]
    assert any(s.startswith("net.") and "fail" in st for s, st in statuses.items())


NON_NETWORK = [cid for cid in CATALOGUE if not cid.startswith("net.")]


@pytest.mark.parametrize("cid", NON_NETWORK)
def test_a_check_never_writes_catalogue_metadata_itself(cid):
    c = load_all()[cid]
    for snap in SNAPSHOTS.values():
        for f in c.func(snap, plan(snap)):
            assert (f.title, f.severity, f.doc_url) == ("", "", None), (cid, f.title, f.severity, f.doc_url)
            spec = CATALOGUE[cid]
            if spec.step is not None:
                assert f.step in (None, spec.step), (cid, f.step)


def test_role_confusion_fails_at_the_first_confused_step_and_otherwise_sits_on_assume_role():
    c = load_all()["role.confusion"]
    failing = c.run(SNAPSHOTS["role-confusion"], plan(SNAPSHOTS["role-confusion"]))
    assert [(f.status, f.step) for f in failing] == [("fail", "registry-auth")]
    assert failing[0].resource == TASK_ROLE and "ecr:GetAuthorizationToken" in failing[0].message
    for name in ("healthy", "task-role-unread"):
        assert {f.step for f in c.run(SNAPSHOTS[name], plan(SNAPSHOTS[name]))} == {"assume-role"}


def test_findings_about_one_resource_name_it_as_the_pull_calls_do():
    def resources(name, cid):
        snap = SNAPSHOTS[name]
        return {f.resource for f in load_all()[cid].run(snap, plan(snap))}

    assert resources("healthy", "iam.ecr-pull") == {REPO_ARN}
    assert resources("healthy", "ecr.image-missing") == {IMAGE}
    assert resources("healthy", "logs.group-missing") == {LOG_GROUP}
    assert resources("healthy", "exec-role.trust") == {EXEC_ROLE}
    assert KEY_ARN in resources("secrets-and-kms", "iam.kms-decrypt")
    assert SECRET_ARN in resources("secrets-and-kms", "registry.secret-missing")
    assert DB_SECRET_ARN in resources("secrets-and-kms", "secrets.missing")
