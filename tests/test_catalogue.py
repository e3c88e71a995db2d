"""Every finding id of DESIGN.md is implemented, and docs/findings.md lists exactly the registry."""

from pathlib import Path

from fargate_nb.checks import load_all
from fargate_nb.checks.findings_doc import findings_markdown

ROOT = Path(__file__).resolve().parents[1]
DESIGN_IDS = {
    "exec-role.missing", "exec-role.not-found", "exec-role.trust", "iam.ecr-auth", "iam.registry-secret",
    "iam.kms-decrypt", "registry.secret-missing", "registry.credentials-missing", "iam.secrets", "secrets.missing",
    "iam.ecr-pull", "ecr.repo-policy", "ecr.repo-missing", "ecr.image-missing", "ecr.platform-mismatch", "iam.logs",
    "logs.group-missing", "net.no-route", "net.public-ip", "net.vpc-dns", "net.endpoint-private-dns",
    "net.s3-gateway-route", "net.endpoint-policy", "net.endpoint-sg", "net.task-sg-egress", "net.nacl",
    "role.confusion", "taskdef.invalid",
}


def test_every_design_finding_id_has_a_registered_check():
    assert DESIGN_IDS - set(load_all()) == set()


def test_every_check_has_a_title_and_a_documentation_link():
    for c in load_all().values():
        assert c.title and c.doc_url and c.doc_url.startswith("https://docs.aws.amazon.com/"), c.id


def test_docs_findings_md_is_generated_from_the_registry():
    assert (ROOT / "docs" / "findings.md").read_text() == findings_markdown()
