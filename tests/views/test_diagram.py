"""The call sequence of the Diagnosis and its plotly figure: lifelines from the plan, calls coloured by findings.

The sequence is computed once by the engine (`fargate_nb.diagnose.sequence`) and carried by the
Diagnosis; `sequence_figure` only draws it. These tests build diagnoses from hand-written findings
(`tests.support.diagnoses.make_diagnosis`) and check both the sequence and the figure drawn from it.
"""

from __future__ import annotations

import html
import json

from fargate_nb.model import Finding, Snapshot
from fargate_nb.views.diagram import (
    MARGIN_LEFT_PX,
    MARGIN_RIGHT_PX,
    MIN_WIDTH_PX,
    NOT_REACHED_COLOUR,
    STATUS_COLOURS,
    _chars,
    call_failure,
    call_findings,
    failure_meta,
    fit_lines,
    hover_lines,
    sequence_figure,
)
from tests.support.diagnoses import make_diagnosis, passing
from tests.support.view_scenarios import ACCT, DB_SECRET, ECR_IMAGE, REGION, make_snapshot


def _ids(diagnosis):
    return [lf.id for lf in diagnosis.sequence.lifelines]


def _calls(diagnosis):
    return diagnosis.sequence.calls


def test_lifelines_are_only_those_the_task_needs(healthy):
    _, diag = healthy
    assert _ids(diag) == ["fargate", "sts", "ecr.api", "ecr.dkr", "s3", "secretsmanager", "ssm", "logs"]
    bare = make_snapshot(secrets=False, logs=False)
    assert _ids(make_diagnosis(bare, passing(bare))) == ["fargate", "sts", "ecr.api", "ecr.dkr", "s3"]


def test_calls_follow_the_pull_order_and_pass_when_everything_passes(healthy):
    _, diag = healthy
    calls = _calls(diag)
    steps = [c.step for c in calls]
    assert steps == sorted(steps, key=["assume-role", "registry-auth", "secrets", "manifest", "layers",
                                       "logs"].index)
    labels = [c.label for c in calls]
    assert labels[0] == "sts:AssumeRole" and labels[1] == "ecr:GetAuthorizationToken"
    assert "ecr:BatchGetImage payments-api:1.4.2" in labels and "ecr:GetDownloadUrlForLayer" in labels
    assert labels[-2:] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert {c.status for c in calls} == {"pass"}
    assert all(c.reached for c in calls)
    assert diag.sequence.first_failure is None
    assert failure_meta(diag) is None


def test_the_first_failing_call_is_marked_with_its_finding(auth_broken):
    _, diag = auth_broken
    calls = _calls(diag)
    failing = [c for c in calls if c.status == "fail"]
    assert [c.label for c in failing] == ["ecr:GetAuthorizationToken"]
    assert diag.sequence.first_failure is failing[0] and failing[0].first_failure
    assert call_failure(diag, failing[0]).id == "iam.ecr-auth"
    assert [f.id for f in call_findings(diag, failing[0])] == ["iam.ecr-auth", "net.endpoint-sg"]  # worst first
    assert all(c.status == "pass" for c in calls if c is not failing[0])


def test_calls_after_the_first_failure_are_not_reached(auth_broken):
    _, diag = auth_broken
    calls = _calls(diag)
    at = calls.index(diag.sequence.first_failure)
    assert at == 1
    assert all(c.reached for c in calls[: at + 1])
    assert calls[at + 1:] and not any(c.reached for c in calls[at + 1:])
    assert sum(c.first_failure for c in calls) == 1


def test_network_findings_colour_the_calls_to_their_target():
    snap = make_snapshot(secrets=False)
    findings = passing(snap) + [Finding("net.s3-gateway-route", "fail", "layers",
                                        "the S3 gateway endpoint is not on the task subnet's route table",
                                        target="s3")]
    diag = make_diagnosis(snap, findings)
    status = {c.label: c.status for c in _calls(diag)}
    assert status["GET layers (S3)"] == "fail"
    assert status["ecr:GetDownloadUrlForLayer"] == "pass"
    assert diag.sequence.first_failure.label == "GET layers (S3)"


def test_a_warning_and_an_unknown_keep_their_colours():
    snap = make_snapshot(secrets=False)
    findings = [f for f in passing(snap) if f.id != "iam.logs"] + [
        Finding("iam.logs", "unknown", "logs", "the role's policies could not be read"),
        Finding("net.endpoint-private-dns", "warn", "manifest", "private DNS off", target="ecr.dkr")]
    diag = make_diagnosis(snap, findings)
    by_label = {c.label: c.status for c in _calls(diag)}
    assert by_label["logs:PutLogEvents"] == "unknown"
    assert by_label["ecr:BatchGetImage payments-api:1.4.2"] == "warn"
    assert by_label["ecr:GetDownloadUrlForLayer"] == "warn"  # also a call to ecr.dkr
    assert diag.sequence.first_failure is None
    assert all(c.reached for c in _calls(diag))  # nothing fails: every call is reached


def test_a_finding_id_the_catalogue_does_not_know_colours_its_whole_step():
    snap = make_snapshot(secrets=False, logs=False)
    findings = passing(snap) + [Finding("ecr.some-new-check", "fail", "manifest", "a new kind of problem")]
    diag = make_diagnosis(snap, findings)
    assert [c.status for c in _calls(diag) if c.step == "manifest"] == ["fail"]
    assert diag.sequence.first_failure.step == "manifest"


def test_a_finding_naming_one_image_colours_only_that_image():
    snap = make_snapshot(secrets=False, logs=False)
    sidecar = f"{ACCT}.dkr.ecr.{REGION}.amazonaws.com/envoy:v1"
    snap.task_definition["containerDefinitions"].append({"name": "envoy", "image": sidecar})
    findings = passing(snap) + [Finding("ecr.image-missing", "fail", "manifest", f"{sidecar} does not exist",
                                        resource=sidecar)]
    diag = make_diagnosis(snap, findings)
    manifest = {c.label: c.status for c in _calls(diag) if c.step == "manifest"}
    assert manifest == {"ecr:BatchGetImage payments-api:1.4.2": "pass", "ecr:BatchGetImage envoy:v1": "fail"}


def test_registry_credentials_with_a_customer_key_add_kms_and_the_registry_host():
    creds = f"arn:aws:secretsmanager:{REGION}:{ACCT}:secret:dockerhub-XyZ123"
    snap = make_snapshot("acme/payments-api:2", secrets=False, logs=False, credentials=creds)
    key = f"arn:aws:kms:{REGION}:{ACCT}:key/k1"
    snap.secrets[creds] = {"ARN": creds, "KmsKeyId": key}
    snap.kms_keys[key] = {"KeyMetadata": {"Arn": key, "KeyId": "k1", "KeyManager": "CUSTOMER"}}
    findings = [Finding("exec-role.trust", "pass", "assume-role", "ok"),
                Finding("iam.registry-secret", "pass", "registry-auth", "ok"),
                Finding("iam.kms-decrypt", "fail", "registry-auth", "kms:Decrypt on k1 is not allowed")]
    diag = make_diagnosis(snap, findings)
    assert _ids(diag) == ["fargate", "sts", "registry-1.docker.io", "secretsmanager", "kms"]
    kms = next(c for c in _calls(diag) if c.target == "kms")
    assert (kms.source, kms.status, kms.first_failure) == ("secretsmanager", "fail", True)
    assert key in kms.subjects
    creds_call = next(c for c in _calls(diag) if c.kind == "creds-secret")
    assert creds_call.status == "pass" and creds_call.reached
    manifest = next(c for c in _calls(diag) if c.label == "GET manifest payments-api:2")
    assert not manifest.reached  # after the failing kms:Decrypt


def test_an_aws_managed_key_needs_no_kms_call():
    snap = make_snapshot(logs=False, cmk=True)
    assert "kms" in _ids(make_diagnosis(snap, passing(snap)))
    snap.kms_keys[next(iter(snap.kms_keys))]["KeyMetadata"]["KeyManager"] = "AWS"
    assert "kms" not in _ids(make_diagnosis(snap, passing(snap)))


def test_a_public_image_without_logs_needs_no_execution_role():
    snap = make_snapshot("nginx:1.27", secrets=False, logs=False, execution_role=None)
    diag = make_diagnosis(snap, [])
    assert _ids(diag) == ["fargate", "registry-1.docker.io"]
    assert [c.step for c in _calls(diag)] == ["manifest", "layers"]


def test_a_failing_step_with_no_planned_call_still_shows():
    snap = Snapshot(region=REGION, account=ACCT, subject={"kind": "task", "task": "t"})
    diag = make_diagnosis(snap, [Finding("exec-role.missing", "fail", "assume-role", "no execution role")])
    first = diag.sequence.first_failure
    assert first is not None and first.step == "assume-role"
    fig = sequence_figure(diag)
    assert any("exec-role.missing" in (a.text or "") for a in fig.layout.annotations)


def test_no_task_definition_draws_an_empty_but_valid_figure():
    snap = Snapshot(region=REGION)
    diag = make_diagnosis(snap, [])
    assert _ids(diag) == ["fargate"] and _calls(diag) == []
    fig = sequence_figure(diag)
    assert any("no calls to draw" in (a.text or "") for a in fig.layout.annotations)
    assert fig.layout.meta["first_failure"] is None


def test_the_figure_marks_the_failure_and_colours_each_arrow(auth_broken):
    _, diag = auth_broken
    calls = _calls(diag)
    fig = sequence_figure(diag)
    texts = [a.text or "" for a in fig.layout.annotations]
    assert sum(t.startswith("<b>✗ iam.ecr-auth</b>") for t in texts) == 1
    reached = [c for c in calls if c.reached]
    arrows = [a for a in fig.layout.annotations if a.showarrow]
    assert len(arrows) == len(reached)
    assert [a.arrowcolor for a in arrows] == [STATUS_COLOURS[c.status] for c in reached]
    assert max(a.arrowwidth for a in arrows) == 3.5 and arrows[1].arrowwidth == 3.5  # the failing call is bold
    # not reached: dashed grey lines without an arrowhead, labelled as such
    dashed = [s for s in fig.layout.shapes if s.type == "line" and s.line.dash == "dash"]
    assert len(dashed) == len(calls) - len(reached)
    assert {s.line.color for s in dashed} == {NOT_REACHED_COLOUR}
    assert sum("(not reached)" in t for t in texts) == len(calls) - len(reached)
    assert fig.layout.meta["first_failure"] == {"step": "registry-auth", "call": "ecr:GetAuthorizationToken",
                                                "finding": "iam.ecr-auth"}
    legend = [t.name for t in fig.data if t.showlegend is not False]
    assert legend == ["pass", "fail", "warn", "unknown", "skipped", "not reached"]


def test_a_healthy_figure_has_no_not_reached_legend(healthy):
    fig = sequence_figure(healthy[1])
    legend = [t.name for t in fig.data if t.showlegend is not False]
    assert legend == ["pass", "fail", "warn", "unknown", "skipped"]
    assert not [s for s in fig.layout.shapes if s.type == "line" and s.line.dash == "dash"]


def test_hover_text_carries_the_evidence(auth_broken):
    _, diag = auth_broken
    fig = sequence_figure(diag)
    hovers = [t.hovertext[0] for t in fig.data if t.hovertext]
    auth = next(h for h in hovers if "ecr:GetAuthorizationToken — fail" in h)
    assert "implicit_deny" in auth and "iam.ecr-auth" in auth
    later = next(c for c in _calls(diag) if not c.reached)
    assert any("not reached" in line for line in hover_lines(diag, later))


def test_layout_is_deterministic_and_scales_with_counts(healthy):
    _, diag = healthy
    a = sequence_figure(diag).to_plotly_json()
    b = sequence_figure(diag).to_plotly_json()
    assert json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)
    small = make_snapshot("nginx:1", secrets=False, logs=False, execution_role=None)
    small_fig = sequence_figure(make_diagnosis(small, []))
    big_fig = sequence_figure(diag)
    # as wide as its container; as tall as its calls need
    assert small_fig.layout.width is None and big_fig.layout.width is None
    assert small_fig.layout.autosize and big_fig.layout.autosize
    assert small_fig.layout.height < big_fig.layout.height
    # every lifeline header sits inside the x range, with the same spacing
    xs = sorted({s.x0 + 0.44 for s in big_fig.layout.shapes if s.type == "rect"})
    assert xs == [float(i) for i in range(8)]
    lo, hi = big_fig.layout.xaxis.range
    assert lo < xs[0] and xs[-1] < hi


def test_hostile_names_are_escaped_in_the_figure():
    evil = "<img src=x onerror=alert(1)>"
    snap = make_snapshot(secrets=False, logs=False, execution_role=f"arn:aws:iam::{ACCT}:role/{evil}")
    snap.subject["task"] = evil
    findings = passing(snap) + [Finding("exec-role.trust", "fail", "assume-role", f"role {evil}\nis bad",
                                        evidence=[evil])]
    fig = sequence_figure(make_diagnosis(snap, findings))
    dumped = json.dumps(fig.to_plotly_json(), default=str)
    assert "<img" not in dumped
    assert "&lt;img src=x onerror=alert(1)&gt;" in dumped


def test_secret_arns_and_counts_appear_in_the_sequence(healthy):
    _, diag = healthy
    sm = next(c for c in _calls(diag) if c.target == "secretsmanager")
    assert sm.label == "GetSecretValue (1 secret)" and DB_SECRET in sm.subjects
    assert any(ECR_IMAGE in c.subjects for c in _calls(diag) if c.step == "manifest")


def test_the_figure_draws_only_what_the_diagnosis_says(auth_broken):
    """Change the diagnosis' sequence by hand: the figure follows it, it does not recompute it."""
    _, diag = auth_broken
    call = next(c for c in _calls(diag) if c.label == "logs:PutLogEvents")
    call.status, call.reached = "warn", True
    fig = sequence_figure(diag)
    arrows = {a.arrowcolor for a in fig.layout.annotations if a.showarrow}
    assert STATUS_COLOURS["warn"] in arrows


def test_labels_are_wrapped_to_one_column_and_sit_next_to_their_target(healthy):
    _, diag = healthy
    fig = sequence_figure(diag)
    columns = len(diag.sequence.lifelines)
    chars = _chars((MIN_WIDTH_PX - MARGIN_LEFT_PX - MARGIN_RIGHT_PX) / columns * 0.92 - 4, 11)
    xpos = {lf.id: i for i, lf in enumerate(diag.sequence.lifelines)}
    for call in _calls(diag):
        def flat(text):
            return html.unescape(text.replace("<br>", "")).replace(" ", "")

        [label] = [a for a in fig.layout.annotations if not a.showarrow and a.text
                   and f"✓{call.label}".replace(" ", "").startswith(flat(a.text).rstrip("…"))
                   and flat(a.text).startswith("✓")]
        assert all(len(html.unescape(line)) <= chars for line in label.text.split("<br>"))
        assert label.x == xpos[call.target] - 0.5  # between the target and the lifeline before it
        assert label.yanchor == "bottom"  # above the arrow


def test_fit_lines_breaks_at_natural_places_and_cuts_what_is_too_long():
    assert fit_lines("ecr:GetAuthorizationToken", 14) == ["ecr:Get", "Authorization", "Token"]
    assert fit_lines("GET layers (S3)", 10) == ["GET layers", "(S3)"]
    assert all(len(line) <= 6 for line in fit_lines("x" * 40, 6))
    cut = fit_lines("word " * 40, 10, max_lines=2)
    assert len(cut) == 2 and cut[-1].endswith("…")


def test_the_failure_note_sits_under_its_arrow_inside_the_figure(auth_broken):
    _, diag = auth_broken
    fig = sequence_figure(diag)
    first = diag.sequence.first_failure
    arrow = next(a for a in fig.layout.annotations if a.showarrow and a.arrowwidth == 3.5)
    note = next(a for a in fig.layout.annotations if (a.text or "").startswith("<b>✗ iam.ecr-auth</b>"))
    assert note.y < arrow.y and note.yanchor == "top" and note.xanchor == "left"
    assert note.x == 0 == [lf.id for lf in diag.sequence.lifelines].index(first.source)
    lo, hi = fig.layout.yaxis.range
    assert lo < note.y < hi


def test_a_verdict_too_long_for_the_heading_ends_with_an_ellipsis():
    from fargate_nb.views.diagram import _wrap

    cut = _wrap("word " * 100, 20, 2).split("<br>")
    assert len(cut) == 2 and cut[-1].endswith("…") and len(cut[-1]) <= 20
    assert "…" not in _wrap("a short verdict", 20, 2)
