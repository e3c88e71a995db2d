"""Notebook helpers: bad input gives a message (via `open_target`), outputs are escaped and marked, plotly is offline."""

from __future__ import annotations

import json

import pytest

from fargate_nb.investigation import Failed, investigate, open_target
from fargate_nb.model import Finding, Remediation
from fargate_nb.views import notebook
from fargate_nb.views.notebook import (
    PARTS,
    diagram_bundle,
    fixes_bundle,
    mermaid_bundle,
    report_bundles,
    show,
    verdict_bundle,
)
from tests.support.diagnoses import ecr_auth_denied, make_diagnosis, passing
from tests.support.view_scenarios import make_snapshot


@pytest.mark.parametrize("content, message", [
    (None, "cannot read snapshot"),
    ("{broken", "not valid JSON"),
    (json.dumps({"schema": "something/else"}), "unsupported snapshot schema"),
    (json.dumps([1, 2]), "must be a JSON object"),
])
def test_a_bad_snapshot_file_gives_a_message_not_a_traceback(tmp_path, content, message):
    path = tmp_path / "snap.json"
    if content is not None:
        path.write_text(content)
    session = open_target(snapshot_path=str(path))
    assert isinstance(session, Failed) and not session.ok and message in session.error
    assert session.diagnosis is None and session.lab is None


def test_a_saved_snapshot_is_diagnosed_offline(tmp_path, auth_broken):
    snap, _ = auth_broken
    session = open_target(snapshot_path=str(snap.save(tmp_path / "s.json")))
    assert session.ok and "offline" in session.source
    assert session.diagnosis.subject == snap.subject
    assert session.lab is None and session.live is None


def test_bad_targets_and_scenarios_say_what_is_wrong(monkeypatch):
    assert "needs its cluster" in open_target(task="abc").error
    started = []
    monkeypatch.setattr("fargate_nb.investigation.labs.start_sandbox", lambda **kw: started.append(kw))
    session = open_target(scenario="no-such-scenario")
    assert not session.ok
    assert "unknown scenario" in session.error and "missing-ecr-auth" in session.error
    assert session.lab is None and started == []  # nothing was started


def test_show_displays_the_error_of_a_failed_session(capsys):
    show(Failed("snapshot file x.json", "x.json is not valid JSON"))
    out = capsys.readouterr().out  # outside a kernel, display() prints the plain text
    assert "error: x.json is not valid JSON" in out


def test_show_displays_the_parts_it_is_asked_for(auth_broken, capsys):
    snap, _ = auth_broken
    session = investigate(snap, source="a <test> source")
    show(session, "verdict", "mermaid")
    out = capsys.readouterr().out  # outside a kernel, display(raw=True) prints each bundle's data
    assert out.count("fargate-nb-verdict") == 1 and f'data-status="{session.diagnosis.status}"' in out
    assert "a &lt;test&gt; source" in out and "a <test> source" not in out
    assert out.index("fargate-nb-verdict") < out.index("sequenceDiagram")
    assert "fargate-nb-error" not in out and "fargate-nb-diagram" not in out


def test_every_part_is_marked_and_a_broken_view_does_not_hide_the_others(auth_broken, monkeypatch):
    snap, diag = auth_broken
    bundles = report_bundles(diag, (*PARTS, "mermaid"))
    assert [b["metadata"]["fargate_nb"] for b in bundles] == [*PARTS, "mermaid"]
    for b in bundles:
        assert f'class="fargate-nb-{b["metadata"]["fargate_nb"]}' in b["data"]["text/html"]

    from fargate_nb.views import tables

    def broken(*args, **kwargs):
        raise KeyError("Statement")

    monkeypatch.setattr(tables, "network_table", broken)
    parts = [b["metadata"]["fargate_nb"] for b in report_bundles(diag)]
    assert parts == ["verdict", "stopped", "diagram", "permissions", "error", "findings", "fixes", "gaps"]


def test_hostile_text_is_escaped_in_every_output():
    evil = "<img src=x onerror=alert(1)>"
    snap = make_snapshot(secrets=False)
    findings = passing(snap) + [Finding(
        "exec-role.trust", "fail", "assume-role", f"role {evil}", detail=evil, target=evil,
        remediation=Remediation(f"fix {evil}", commands=[f"aws iam x --name '{evil}'"], policy={"Sid": evil}),
        doc_url="javascript:alert(1)")]
    diag = make_diagnosis(snap, findings)
    diag.stopped = {"text": evil, "summary": evil, "step": "assume-role", "cause": "permission", "confirmed": None}
    for b in report_bundles(diag, (*PARTS, "mermaid")):
        assert "<img" not in b["data"]["text/html"], b["metadata"]
    assert "javascript:" not in fixes_bundle(diag)["data"]["text/html"]


def test_fixes_show_commands_and_policy_only_for_problems(auth_broken):
    _, diag = auth_broken
    html = fixes_bundle(diag)["data"]["text/html"]
    assert html.count('class="fargate-nb-fix"') == 1 and 'data-finding="iam.ecr-auth"' in html
    assert "aws iam put-role-policy --role-name payments-exec" in html
    assert "&quot;ecr:GetAuthorizationToken&quot;" in html
    healthy = make_diagnosis(make_snapshot(), passing(make_snapshot()))
    assert "Nothing to fix" in fixes_bundle(healthy)["data"]["text/html"]


def test_verdict_and_diagram_carry_machine_readable_markers(auth_broken, healthy):
    _, diag = auth_broken
    verdict = verdict_bundle(diag)["data"]["text/html"]
    assert 'data-status="fail"' in verdict and "fargate-nb-status-fail" in verdict
    assert 'data-status="pass"' in verdict_bundle(healthy[1])["data"]["text/html"]
    notebook._DIAGRAM_COUNTER[0] = 0
    first = diagram_bundle(diag)
    assert 'data-first-failure="iam.ecr-auth" data-step="registry-auth"' in first["data"]["text/html"]
    assert 'id="fargate-nb-diagram-1"' in first["data"]["text/html"]
    assert "<script src" not in first["data"]["text/html"]  # plotly.js comes once, from setup_notebook
    assert "iam.ecr-auth" in first["data"]["text/plain"]
    assert "data-first-failure" not in diagram_bundle(healthy[1])["data"]["text/html"]
    assert "iam.ecr-auth" in mermaid_bundle(diag)["data"]["text/vnd.mermaid"]


def test_setup_notebook_renders_figures_as_offline_html(auth_broken, capsys):
    import plotly.io as pio

    from fargate_nb.views.diagram import sequence_figure

    saved = pio.renderers.default
    try:
        notebook.setup_notebook()
        assert pio.renderers.default == "fargate_nb"
        bundle = sequence_figure(auth_broken[1])._repr_mimebundle_()
        assert list(bundle) == ["text/html"]
        html = bundle["text/html"]
        assert "Plotly.newPlot" in html and "<script src" not in html and "mathjax" not in html.lower()
    finally:
        pio.renderers.default = saved
        capsys.readouterr()


def test_the_minimal_policy_and_the_fix_sources_show_as_escaped_text(capsys):
    notebook.show_json({"Sid": "<b>"}, "caption <i>")
    notebook.show_source(ecr_auth_denied, "reference")
    out = capsys.readouterr().out  # outside a kernel, display() prints the plain text
    assert '"Sid": "<b>"' in out and "def ecr_auth_denied" in out


def test_the_views_package_is_lazy_and_exports_resolve():
    import subprocess
    import sys

    code = ("import sys, fargate_nb.views as v, fargate_nb.views.text; "
            "assert not {'pandas', 'plotly', 'ipywidgets'} & set(sys.modules), sorted(sys.modules); "
            "[getattr(v, n) for n in v.__all__]; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "ok", out.stderr
