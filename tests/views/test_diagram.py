"""The sequence model and its plotly figure: lifelines from the plan, calls coloured by findings."""

from __future__ import annotations

import json

from view_factories import (
    ACCT,
    DB_SECRET,
    ECR_IMAGE,
    REGION,
    make_diagnosis,
    make_snapshot,
    passing,
)

from fargate_nb.model import Finding, Snapshot
from fargate_nb.views.diagram import STATUS_COLOURS, sequence_figure, sequence_model


def _ids(model):
    return [lf.id for lf in model.lifelines]


def _calls(model):
    return [(m.step, m.label, m.status) for m in model.messages]


def test_lifelines_are_only_those_the_task_needs(healthy):
    snap, diag = healthy
    model = sequence_model(snap, diag)
    assert _ids(model) == ["fargate", "sts", "ecr.api", "ecr.dkr", "s3", "secretsmanager", "ssm", "logs"]
    bare = make_snapshot(secrets=False, logs=False)
    assert _ids(sequence_model(bare, make_diagnosis(bare, passing(bare)))) == [
        "fargate", "sts", "ecr.api", "ecr.dkr", "s3"]


def test_calls_follow_the_pull_order_and_pass_when_everything_passes(healthy):
    snap, diag = healthy
    model = sequence_model(snap, diag)
    steps = [m.step for m in model.messages]
    assert steps == sorted(steps, key=["assume-role", "registry-auth", "secrets", "manifest", "layers",
                                       "logs"].index)
    labels = [m.label for m in model.messages]
    assert labels[0] == "sts:AssumeRole" and labels[1] == "ecr:GetAuthorizationToken"
    assert "ecr:BatchGetImage payments-api:1.4.2" in labels and "ecr:GetDownloadUrlForLayer" in labels
    assert labels[-2:] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert {m.status for m in model.messages} == {"pass"}
    assert model.first_failure is None


def test_the_first_failing_call_is_marked_with_its_finding(auth_broken):
    snap, diag = auth_broken
    model = sequence_model(snap, diag)
    failing = [m for m in model.messages if m.status == "fail"]
    assert [m.label for m in failing] == ["ecr:GetAuthorizationToken"]
    assert model.first_failure is failing[0]
    assert failing[0].failure.id == "iam.ecr-auth"
    assert all(m.status == "pass" for m in model.messages if m is not failing[0])


def test_network_findings_colour_the_calls_to_their_target():
    snap = make_snapshot(secrets=False)
    findings = passing(snap) + [Finding("net.s3-gateway-route", "fail", "layers",
                                        "the S3 gateway endpoint is not on the task subnet's route table",
                                        target="s3")]
    model = sequence_model(snap, make_diagnosis(snap, findings))
    status = {m.label: m.status for m in model.messages}
    assert status["GET layers (S3)"] == "fail"
    assert status["ecr:GetDownloadUrlForLayer"] == "pass"
    assert model.first_failure.label == "GET layers (S3)"


def test_a_warning_and_an_unknown_keep_their_colours():
    snap = make_snapshot(secrets=False)
    findings = [f for f in passing(snap) if f.id != "iam.logs"] + [
        Finding("iam.logs", "unknown", "logs", "the role's policies could not be read"),
        Finding("net.endpoint-private-dns", "warn", "manifest", "private DNS off", target="ecr.dkr")]
    model = sequence_model(snap, make_diagnosis(snap, findings))
    by_label = {m.label: m.status for m in model.messages}
    assert by_label["logs:PutLogEvents"] == "unknown"
    assert by_label["ecr:GetDownloadUrlForLayer"] == "warn"
    assert model.first_failure is None


def test_a_finding_id_the_view_does_not_know_colours_its_whole_step():
    snap = make_snapshot(secrets=False, logs=False)
    findings = passing(snap) + [Finding("ecr.some-new-check", "fail", "manifest", "a new kind of problem")]
    model = sequence_model(snap, make_diagnosis(snap, findings))
    assert [m.status for m in model.messages if m.step == "manifest"] == ["fail"]
    assert model.first_failure.step == "manifest"


def test_a_finding_naming_one_image_colours_only_that_image():
    snap = make_snapshot(secrets=False, logs=False)
    sidecar = f"{ACCT}.dkr.ecr.{REGION}.amazonaws.com/envoy:v1"
    snap.task_definition["containerDefinitions"].append({"name": "envoy", "image": sidecar})
    findings = passing(snap) + [Finding("ecr.image-missing", "fail", "manifest", f"{sidecar} does not exist")]
    model = sequence_model(snap, make_diagnosis(snap, findings))
    manifest = {m.label: m.status for m in model.messages if m.step == "manifest"}
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
    model = sequence_model(snap, make_diagnosis(snap, findings))
    assert _ids(model) == ["fargate", "sts", "registry-1.docker.io", "secretsmanager", "kms"]
    kms = next(m for m in model.messages if m.target == "kms")
    assert (kms.source, kms.status, kms.first_failure) == ("secretsmanager", "fail", True)
    creds_call = next(m for m in model.messages if m.kind == "creds-secret")
    assert creds_call.status == "pass"
    assert any(m.label == "GET manifest payments-api:2" for m in model.messages)


def test_an_aws_managed_key_needs_no_kms_call():
    snap = make_snapshot(logs=False, cmk=True)
    assert "kms" in _ids(sequence_model(snap, make_diagnosis(snap, passing(snap))))
    snap.kms_keys[next(iter(snap.kms_keys))]["KeyMetadata"]["KeyManager"] = "AWS"
    assert "kms" not in _ids(sequence_model(snap, make_diagnosis(snap, passing(snap))))


def test_a_public_image_without_logs_needs_no_execution_role():
    snap = make_snapshot("nginx:1.27", secrets=False, logs=False, execution_role=None)
    model = sequence_model(snap, make_diagnosis(snap, []))
    assert _ids(model) == ["fargate", "registry-1.docker.io"]
    assert [m.step for m in model.messages] == ["manifest", "layers"]


def test_a_failing_step_with_no_planned_call_still_shows():
    snap = Snapshot(region=REGION, account=ACCT, subject={"kind": "task", "task": "t"})
    diag = make_diagnosis(snap, [Finding("exec-role.missing", "fail", "assume-role", "no execution role")])
    model = sequence_model(snap, diag)
    assert model.first_failure is not None and model.first_failure.step == "assume-role"
    fig = sequence_figure(snap, diag, model)
    assert any("exec-role.missing" in (a.text or "") for a in fig.layout.annotations)


def test_no_task_definition_draws_an_empty_but_valid_figure():
    snap = Snapshot(region=REGION)
    diag = make_diagnosis(snap, [])
    model = sequence_model(snap, diag)
    assert _ids(model) == ["fargate"] and model.messages == []
    fig = sequence_figure(snap, diag, model)
    assert any("no calls to draw" in (a.text or "") for a in fig.layout.annotations)


def test_the_figure_marks_the_failure_and_colours_each_arrow(auth_broken):
    snap, diag = auth_broken
    model = sequence_model(snap, diag)
    fig = sequence_figure(snap, diag, model)
    texts = [a.text or "" for a in fig.layout.annotations]
    assert any(t.startswith("<b>✗ iam.ecr-auth</b>") for t in texts)
    arrows = [a for a in fig.layout.annotations if a.showarrow]
    assert len(arrows) == len(model.messages)
    colours = [a.arrowcolor for a in arrows]
    assert colours == [STATUS_COLOURS[m.status] for m in model.messages]
    assert fig.layout.meta["first_failure"] == {"step": "registry-auth", "call": "ecr:GetAuthorizationToken",
                                                "finding": "iam.ecr-auth"}
    legend = [t.name for t in fig.data if t.showlegend is not False]
    assert legend == ["pass", "fail", "warn", "unknown", "skipped"]


def test_hover_text_carries_the_evidence(auth_broken):
    snap, diag = auth_broken
    fig = sequence_figure(snap, diag)
    hovers = [t.hovertext[0] for t in fig.data if t.hovertext]
    auth = next(h for h in hovers if "ecr:GetAuthorizationToken — fail" in h)
    assert "implicit_deny" in auth and "iam.ecr-auth" in auth


def test_layout_is_deterministic_and_scales_with_counts(healthy):
    snap, diag = healthy
    a = sequence_figure(snap, diag).to_plotly_json()
    b = sequence_figure(snap, diag).to_plotly_json()
    assert json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)
    small = make_snapshot("nginx:1", secrets=False, logs=False, execution_role=None)
    small_fig = sequence_figure(small, make_diagnosis(small, []))
    big_fig = sequence_figure(snap, diag)
    assert small_fig.layout.width < big_fig.layout.width
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
    fig = sequence_figure(snap, make_diagnosis(snap, findings))
    dumped = json.dumps(fig.to_plotly_json(), default=str)
    assert "<img" not in dumped
    assert "&lt;img src=x onerror=alert(1)&gt;" in dumped


def test_secret_arns_and_counts_appear_in_the_model(healthy):
    snap, diag = healthy
    model = sequence_model(snap, diag)
    sm = next(m for m in model.messages if m.target == "secretsmanager")
    assert sm.label == "GetSecretValue (1 secret)" and DB_SECRET in sm.subjects
    assert any(ECR_IMAGE in m.subjects for m in model.messages if m.step == "manifest")
