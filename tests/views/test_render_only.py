"""Every view renders a Diagnosis as it is: none of them evaluates anything.

A diagnosis is computed once, written to JSON and read back; then the engine (`diagnose`, the
check registry, the IAM evaluator, the route resolver, the pull plan and the builders of the
diagnosis' parts) is replaced by functions that raise. Each view must still render the loaded
diagnosis, and what it shows must be what the diagnosis says.
"""

from __future__ import annotations

import importlib
import json
import re

import pytest

from fargate_nb.diagnose import diagnose
from fargate_nb.fixes import apply_fixes
from fargate_nb.model import Diagnosis
from tests.support.view_scenarios import EXEC_ROLE, MANAGED_EXEC_POLICY_ARN, unread_boundary_snapshot

#: name -> what replaces it (everything a view could use to re-decide the pull).
ENGINE = ("fargate_nb.diagnose.diagnose", "fargate_nb.iam.evaluate", "fargate_nb.checks.permissions.evaluate.evaluate",
          "fargate_nb.netpath.resolve", "fargate_nb.checks.registry.Check.run", "fargate_nb.investigation.core.diagnose",
          "fargate_nb.investigation.labs.diagnose",
          "fargate_nb.diagnose.run_checks", "fargate_nb.diagnose.parts.permission_rows",
          "fargate_nb.diagnose.parts.network_rows", "fargate_nb.diagnose.parts.sequence",
          "fargate_nb.diagnose.sequence.sequence", "fargate_nb.pullflow.plan")


def _round_trip(diagnosis: Diagnosis) -> Diagnosis:
    return Diagnosis.from_dict(json.loads(diagnosis.to_json()))


@pytest.fixture(scope="module")
def answers():
    """(loaded, fixed): a diagnosis whose registry auth fails, and the one with its fix, both from JSON."""
    snap = unread_boundary_snapshot()
    snap.gaps.clear()
    role = snap.roles[EXEC_ROLE]
    role["PermissionsBoundary"] = None
    policy = role["AttachedPolicies"][0]
    assert policy["PolicyArn"] == MANAGED_EXEC_POLICY_ARN
    policy["Document"] = json.loads(json.dumps(policy["Document"]))
    policy["Document"]["Statement"][0]["Action"].remove("ecr:GetAuthorizationToken")
    first = diagnose(snap)
    assert [f.id for f in first.failed] == ["iam.ecr-auth"]
    fix = first.finding("iam.ecr-auth")[0].remediation.fix
    assert fix, "iam.ecr-auth proposes a what-if fix"
    fixed = diagnose(apply_fixes(snap, [fix]))
    assert not fixed.failed
    return _round_trip(first), _round_trip(fixed)


@pytest.fixture
def no_evaluation(monkeypatch):
    """Replace the engine by functions that raise: a view that evaluates fails loudly."""
    def refuse(*args, **kwargs):
        raise AssertionError("a view evaluated instead of rendering the Diagnosis")

    for dotted in ENGINE:
        owner, name = dotted.rsplit(".", 1)
        try:
            target = importlib.import_module(owner)
        except ModuleNotFoundError:  # a class attribute (Check.run)
            module, cls = owner.rsplit(".", 1)
            target = getattr(importlib.import_module(module), cls)
        assert hasattr(target, name), dotted
        monkeypatch.setattr(target, name, refuse)
    import fargate_nb.diagnose as engine

    with pytest.raises(AssertionError, match="evaluated"):
        engine.diagnose(None)


def _failing_label(d: Diagnosis) -> str:
    return d.sequence.first_failure.label


# -- one check per view: what it shows is what the diagnosis says ---------------------------------------
def _text(d):
    from fargate_nb.views.text import render_text

    out = render_text(d, verbose=True)
    assert out.splitlines()[3] == f"✗ {d.verdict}"
    for s in d.steps:
        assert re.search(rf"^  \S {re.escape(s.id)}\s+{re.escape(s.summary)}$", out, re.M), s.id
    assert "✗ iam.ecr-auth" in out


def _markdown(d):
    from fargate_nb.views.markdown import diagnosis_markdown

    md = diagnosis_markdown(d)
    assert "> **❌ FAIL — The image pull fails.**" in md
    assert "❌ FAIL iam.ecr-auth" in md
    assert md.count("| `") >= len(d.steps)


def _permissions(d):
    from fargate_nb.views.tables import permissions_table

    df = permissions_table(d)
    assert list(df["execution role"]) == [r.decision for r in d.permissions if r.role == "execution"]
    assert df.attrs["statuses"]["execution role"] == [r.status for r in d.permissions if r.role == "execution"]
    row = df[df["action"] == "ecr:GetAuthorizationToken"].iloc[0]
    assert row["execution role"] == "denied"
    html = permissions_table(d, styled=True).to_html()
    assert "ecr:GetAuthorizationToken" in html and "color: #c62828" in html


def _network(d):
    from fargate_nb.views.tables import network_table

    df = network_table(d)
    assert list(df["destination"]) == [r.target for r in d.network]
    assert list(df["status"]) == [r.status for r in d.network]
    assert 'class="fargate-nb-network"' in network_table(d, styled=True).to_html()


def _endpoints(d):
    from fargate_nb.views.tables import endpoints_table

    df = endpoints_table(d)
    assert list(df["destination"]) == [r.target for r in d.network] and list(df["step"]) == [r.step for r in d.network]


def _findings(d):
    from fargate_nb.views.tables import findings_table

    df = findings_table(d)
    assert df.iloc[0]["id"] == "iam.ecr-auth" and df.iloc[0]["status"] == "fail"
    assert sorted(zip(df["id"], df["status"], strict=True)) == sorted((f.id, f.status) for f in d.findings)
    assert "iam.ecr-auth" in findings_table(d, styled=True).to_html()


def _figure(d):
    from fargate_nb.views.diagram import STATUS_COLOURS, sequence_figure

    fig = sequence_figure(d)
    assert fig.layout.meta["first_failure"] == {"step": "registry-auth", "call": _failing_label(d),
                                                "finding": "iam.ecr-auth"}
    reached = [c for c in d.sequence.calls if c.reached]
    assert [a.arrowcolor for a in fig.layout.annotations if a.showarrow] == [STATUS_COLOURS[c.status] for c in reached]


def _mermaid(d):
    from fargate_nb.views.mermaid import to_mermaid

    text = to_mermaid(d)
    [failing] = [ln for ln in text.splitlines() if "-x" in ln]
    assert _failing_label(d) in failing and "Note over" in text and "iam.ecr-auth" in text
    assert text.count("(not reached)") == sum(not c.reached for c in d.sequence.calls)


def _bundles(d):
    from fargate_nb.views import notebook

    every = (*notebook.PARTS, "mermaid")
    bundles = notebook.report_bundles(d, every, source="a saved diagnosis")
    assert [b["metadata"]["fargate_nb"] for b in bundles] == list(every)  # no view failed
    by_part = {b["metadata"]["fargate_nb"]: b["data"] for b in bundles}
    assert 'data-status="fail"' in by_part["verdict"]["text/html"]
    assert 'data-first-failure="iam.ecr-auth" data-step="registry-auth"' in by_part["diagram"]["text/html"]
    assert 'data-finding="iam.ecr-auth"' in by_part["fixes"]["text/html"]
    assert "ecr:GetAuthorizationToken" in by_part["permissions"]["text/html"]
    assert "iam.ecr-auth" in by_part["findings"]["text/html"]
    assert "Everything needed could be read" in by_part["gaps"]["text/html"]
    assert "sequenceDiagram" in by_part["mermaid"]["text/vnd.mermaid"]
    assert by_part["stopped"]["text/plain"] == "no stopped reason"
    # and each bundle maker on its own
    assert notebook.verdict_bundle(d)["data"]["text/plain"] == f"verdict (fail): {d.verdict}"
    assert "iam.ecr-auth" in notebook.diagram_bundle(d)["data"]["text/plain"]
    assert notebook.mermaid_bundle(d)["data"]["text/vnd.mermaid"] == by_part["mermaid"]["text/vnd.mermaid"]
    assert notebook.fixes_bundle(d)["data"]["text/plain"] == "1 finding(s) with fixes"
    assert notebook.gaps_bundle(d)["data"]["text/plain"] == "no gaps"
    assert notebook.stopped_bundle(d)["data"]["text/plain"] == "no stopped reason"


VIEWS = {"text": _text, "markdown": _markdown, "permissions table": _permissions, "network table": _network,
         "endpoints table": _endpoints, "findings table": _findings, "figure": _figure, "mermaid": _mermaid,
         "notebook bundles": _bundles}


@pytest.mark.parametrize("view", list(VIEWS))
def test_the_view_renders_the_loaded_diagnosis_without_evaluating(answers, no_evaluation, view):
    loaded, _ = answers
    VIEWS[view](loaded)


def test_the_what_if_panel_renders_what_its_callback_returns(answers, no_evaluation):
    from fargate_nb.views.widgets import WhatIfPanel

    loaded, fixed = answers
    asked = []
    panel = WhatIfPanel(loaded, lambda fixes: asked.append(fixes) or fixed)
    assert panel.figure.layout.meta["first_failure"]["finding"] == "iam.ecr-auth"
    panel.select("iam.ecr-auth")
    assert asked == [[loaded.finding("iam.ecr-auth")[0].remediation.fix]]
    assert panel.error is None and panel.current_diagnosis is fixed
    assert panel.figure.layout.meta["first_failure"] is None
    assert f'data-status="{fixed.status}"' in panel.status.value and fixed.status != "fail"
    html = "\n".join(o["data"]["text/html"] for o in panel.output.outputs)
    assert "fargate-nb-status-fail" not in html and f"fargate-nb-status-{fixed.status}" in html


def test_show_renders_an_investigation_from_its_diagnosis(answers, no_evaluation, capsys):
    from types import SimpleNamespace

    from fargate_nb.views.notebook import show

    loaded, _ = answers
    show(SimpleNamespace(ok=True, diagnosis=loaded, source="saved"), "verdict", "diagram")
    out = capsys.readouterr().out
    assert 'data-status="fail"' in out and 'data-first-failure="iam.ecr-auth"' in out
    assert "fargate-nb-error" not in out
