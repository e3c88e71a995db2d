"""One answer in every face: an execution role whose permissions boundary could not be read.

The boundary is attached (its ARN is known) but its document could not be read, and a gap says why.
Any allow the identity policies grant could be cancelled by it, so the permission checks answer
`unknown`, and every face must show that same `unknown`: the findings, the permissions table, the
diagram and its mermaid twin, the text, Markdown and HTML verdicts, and `Diagnosis.status`.
Never a false "healthy".
"""

from __future__ import annotations

import pytest

from fargate_nb.diagnose import diagnose
from fargate_nb.report.postmortem import postmortem_markdown
from fargate_nb.views.diagram import sequence_figure
from fargate_nb.views.markdown import diagnosis_markdown, verdict_block
from fargate_nb.views.mermaid import to_mermaid
from fargate_nb.views.notebook import report_bundles, verdict_bundle
from fargate_nb.views.tables import findings_table, permissions_table
from fargate_nb.views.text import render_text
from fargate_nb.views.widgets import WhatIfPanel
from tests.support.view_scenarios import BOUNDARY_ARN, EXEC_ROLE, unread_boundary_snapshot

PERMISSION_CHECKS = ("iam.ecr-auth", "iam.ecr-pull", "iam.logs")
#: The calls the unread boundary governs (sequence kinds).
GOVERNED_CALLS = ("ecr-auth", "ecr-manifest", "layer-url", "logs-stream", "logs-events")


@pytest.fixture(scope="module")
def snapshot():
    return unread_boundary_snapshot()


@pytest.fixture(scope="module")
def diagnosis(snapshot):
    return diagnose(snapshot)


def test_the_permission_checks_are_unknown_and_name_the_missing_permission(diagnosis):
    for finding_id in PERMISSION_CHECKS:
        [f] = diagnosis.finding(finding_id)
        assert f.status == "unknown", (finding_id, f.status, f.detail)
        assert f.missing_permission == "iam:GetPolicyVersion"
        assert "boundary" in f.detail
    assert not diagnosis.failed
    assert diagnosis.status == "unknown"
    assert diagnosis.exit_code == 4  # nothing fails, but something needed could not be checked ...
    assert diagnosis.verdict.startswith("No failing prerequisite found, but some could not be checked")  # ... but
    for step in ("registry-auth", "manifest", "logs"):
        assert diagnosis.step(step).status == "unknown"
    assert [g.resource for g in diagnosis.gaps] == [BOUNDARY_ARN]


def test_the_permissions_table_shows_the_execution_role_rows_as_unknown(diagnosis):
    df = permissions_table(diagnosis)
    assert len(df) == 5  # GetAuthorizationToken, BatchGetImage, GetDownloadUrlForLayer, CreateLogStream, PutLogEvents
    assert set(df["execution role"]) == {"unknown"}  # not "allowed"
    assert set(df.attrs["statuses"]["execution role"]) == {"unknown"}
    rows = [r for r in diagnosis.permissions if r.role == "execution"]
    assert {r.role_arn for r in rows} == {EXEC_ROLE}
    assert all(r.decision == "unknown" and r.status == "unknown" for r in rows)
    html = permissions_table(diagnosis, styled=True).to_html()
    assert "#2e7d32" not in html  # no green cell anywhere


def test_the_diagram_does_not_pass_what_the_boundary_governs(diagnosis):
    calls = [c for c in diagnosis.sequence.calls if c.kind in GOVERNED_CALLS]
    assert sorted({c.kind for c in calls}) == sorted(GOVERNED_CALLS)
    assert all(c.status == "unknown" for c in calls), [(c.label, c.status) for c in calls]
    assert all(c.reached for c in diagnosis.sequence.calls)  # unknown is not a failure: the pull goes on
    assert diagnosis.sequence.first_failure is None
    fig = sequence_figure(diagnosis)
    assert fig.layout.meta["first_failure"] is None
    hovers = "\n".join(t.hovertext[0] for t in fig.data if t.hovertext)
    assert "ecr:GetAuthorizationToken — unknown" in hovers and "ecr:GetAuthorizationToken — pass" not in hovers
    text = to_mermaid(diagnosis)
    for call in calls:
        line = next(ln for ln in text.splitlines() if call.label.split(" ")[0] in ln and "->>" in ln)
        assert line.endswith("(unknown)"), line
    assert "-x" not in text


def test_text_markdown_and_html_verdicts_say_unknown(diagnosis, snapshot):
    text = render_text(diagnosis)
    verdict_line = text.splitlines()[3]
    assert verdict_line == f"? {diagnosis.verdict}"
    assert "? iam.ecr-auth" in text and "needs iam:GetPolicyVersion" in text
    assert verdict_block(diagnosis).startswith("> **❔ unknown — No failure found, but not everything could be checked.**")
    assert "❔ unknown" in diagnosis_markdown(diagnosis, snapshot).split("## Pull steps")[0]
    html = verdict_bundle(diagnosis)["data"]["text/html"]
    assert 'data-status="unknown"' in html and "fargate-nb-status-unknown" in html
    assert verdict_bundle(diagnosis)["data"]["text/plain"].startswith("verdict (unknown): ")
    postmortem = postmortem_markdown(snapshot, diagnosis, title="boundary")
    assert "> **❔ unknown" in postmortem and "| Status | unknown |" in postmortem


def test_every_face_shows_the_same_status(diagnosis):
    """The overall status, from each face that states one."""
    faces = {
        "Diagnosis.status": diagnosis.status,
        "text": {"?": "unknown", "✗": "fail", "✓": "pass", "!": "warn"}[render_text(diagnosis).splitlines()[3][0]],
        "markdown": verdict_block(diagnosis).split("— ", 1)[0].split()[-1],
        "html": report_bundles(diagnosis, ("verdict",))[0]["data"]["text/html"].split('data-status="')[1].split('"')[0],
        "what-if panel": WhatIfPanel(diagnosis, lambda fixes: diagnosis, render=False)
        .status.value.split('data-status="')[1].split('"')[0],
        "findings table": findings_table(diagnosis, statuses=["fail", "unknown"])["status"].iloc[0],
    }
    assert set(faces.values()) == {"unknown"}, faces
