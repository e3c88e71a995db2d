"""The engine: step statuses, the verdict, crash isolation, catalogue metadata and what-if fixes, with stand-in checks."""

import pytest

from fargate_nb import diagnose as engine
from fargate_nb.checks import registry
from fargate_nb.checks.catalogue import CATALOGUE, CheckSpec
from fargate_nb.model import Diagnosis, Finding, Snapshot

ACCT = "111122223333"
IMAGE = f"{ACCT}.dkr.ecr.us-east-1.amazonaws.com/api:1"


@pytest.fixture
def only_checks(monkeypatch):
    """Replace the registry by the given checks for one test."""

    def install(*checks):
        table = {c.id: c for c in checks}
        monkeypatch.setattr(engine, "load_all", lambda: table)
        for c in checks:  # every registered check has a catalogue entry; so do the stand-ins
            monkeypatch.setitem(CATALOGUE, c.id, c.spec)

    return install


def _check(id, step, func):
    spec = CheckSpec(id=id, steps=(step,), title=f"title of {id}", severity="high", description=f"checks {id}",
                     doc_url=f"https://docs.example/{id}")
    return registry.Check(spec=spec, func=func)


def _snap():
    return Snapshot(region="us-east-1", account=ACCT,
                    task_definition={"containerDefinitions": [{"name": "api", "image": IMAGE}]})


def test_steps_take_the_worst_status_and_unneeded_steps_are_skipped(only_checks):
    only_checks(
        _check("a", "registry-auth", lambda s, p: [Finding("a", "pass", "registry-auth", "ok")]),
        _check("b", "manifest", lambda s, p: [Finding("b", "pass", "manifest", "ok"),
                                              Finding("b", "fail", "manifest", "broken", target="ecr.dkr")]),
        _check("c", "layers", lambda s, p: [Finding("c", "unknown", "layers", "?")]),
    )
    d = engine.diagnose(_snap())
    status = {s.id: s.status for s in d.steps}
    assert status == {"assume-role": "unknown", "registry-auth": "pass", "secrets": "skipped",
                      "manifest": "fail", "layers": "unknown", "logs": "skipped"}
    assert d.verdict.startswith("The pull fails at step 'manifest'")
    assert "broken" in d.verdict
    assert d.exit_code == 1 and d.status == "fail"
    # the registry attaches the catalogue's metadata; the check wrote only its message
    a = d.finding("a")[0]
    assert (a.message, a.title, a.severity, a.doc_url) == ("ok", "title of a", "high", "https://docs.example/a")
    assert a.text == "ok" and d.finding("b", "ecr.dkr")[0].label == "b[ecr.dkr]"


def test_a_crashing_check_becomes_unknown_and_the_others_still_run(only_checks):
    def boom(s, p):
        raise KeyError("Repository")

    only_checks(_check("x", "manifest", boom),
                _check("y", "registry-auth", lambda s, p: [Finding("y", "pass", "registry-auth", "ok")]))
    d = engine.diagnose(_snap())
    x = d.finding("x")[0]
    assert x.status == "unknown" and "KeyError" in x.detail
    assert x.step == "manifest" and x.text == "title of x"  # no message: the catalogue title speaks
    assert d.finding("y")[0].status == "pass"


def test_verdict_when_nothing_fails(only_checks):
    only_checks(*[_check(s, s, lambda snap, p, s=s: [Finding(s, "pass", s, "ok")])
                  for s in ("assume-role", "registry-auth", "manifest", "layers")])
    d = engine.diagnose(_snap())
    assert d.exit_code == 0 and d.status == "pass"
    assert d.verdict.startswith("No failing prerequisite found: every step")


def test_diagnosis_is_identical_after_a_save_and_load(only_checks, tmp_path):
    only_checks(_check("r", "manifest", lambda s, p: [Finding("r", "fail" if not s.repositories else "pass", "manifest", "t")]))
    snap = _snap()
    first = engine.diagnose(snap)
    again = engine.diagnose(Snapshot.load(snap.save(tmp_path / "s.json")))
    assert first.to_dict() == again.to_dict()


def test_what_if_fixes_patch_a_copy(only_checks, monkeypatch):
    from fargate_nb import fixes
    from fargate_nb.investigation import investigate

    def add_repo(snapshot, fix):
        snapshot.repositories[fix["arn"]] = {"Repository": {}}

    monkeypatch.setitem(fixes.OPERATIONS, "test_add_repo", add_repo)
    monkeypatch.setattr(fixes, "_load_operations", lambda: None)
    only_checks(_check("r", "manifest", lambda s, p: [Finding("r", "fail" if not s.repositories else "pass", "manifest", "t")]))
    snap = _snap()
    found = investigate(snap)
    assert found.diagnosis.exit_code == 1
    fix = {"op": "test_add_repo", "arn": "arn:x"}
    patched = found.what_if([fix])
    assert not patched.diagnosis.failed and patched.fixes == [fix]
    assert patched.diagnosis.exit_code == 4  # the other steps have no check here: unknown, never a pass
    assert patched.snapshot.repositories == {"arn:x": {"Repository": {}}}
    assert snap.repositories == {} and found.snapshot is snap  # evidence untouched
    assert found.what_if([]) is found
    assert found.what_if_diagnosis([fix]).to_dict() == patched.diagnosis.to_dict()
    # the same, without the investigation layer
    assert not engine.diagnose(fixes.apply_fixes(snap, [fix])).failed
    assert snap.repositories == {}
    with pytest.raises(fixes.FixError, match="unknown what-if operation"):
        fixes.apply_fix(snap, {"op": "no-such-op"})


def test_diagnose_takes_only_the_evidence():
    import inspect

    assert list(inspect.signature(engine.diagnose).parameters) == ["snapshot"]
    assert not hasattr(engine, "diagnose_live")


def test_the_parts_refer_to_the_findings_that_decide_them(only_checks):
    only_checks(
        registry.Check(CATALOGUE["exec-role.trust"], lambda s, p: [Finding("exec-role.trust", "pass", None, "ok")]),
        registry.Check(CATALOGUE["iam.ecr-auth"], lambda s, p: [Finding("iam.ecr-auth", "fail", None, "denied")]),
    )
    d = engine.diagnose(_snap())
    calls = {c.label: c for c in d.sequence.calls}
    auth = calls["ecr:GetAuthorizationToken"]
    assert [f.id for f in d.findings_at(auth.finding_refs)] == ["iam.ecr-auth"]
    assert auth.status == "fail" and auth.first_failure and auth.reached
    assert calls["sts:AssumeRole"].status == "pass"
    later = [c for c in d.sequence.calls if d.sequence.calls.index(c) > d.sequence.calls.index(auth)]
    assert later and not any(c.reached for c in later)
    assert d.findings_at([99, -1]) == []
    row = next(r for r in d.permissions if r.role == "execution" and r.action == "ecr:GetAuthorizationToken")
    assert row.status == "fail" and "iam.ecr-auth" in [f.id for f in d.findings_at(row.finding_refs)]
    again = Diagnosis.from_dict(d.to_dict())
    assert again.sequence == d.sequence and again.permissions == d.permissions and again.network == d.network


def test_a_registry_host_path_decides_the_layers_step_too():
    """A Docker Hub pull fetches the layer blobs from the registry over the manifest's path: a healthy one
    passes its layers step, a blocked one fails it (nothing is left 'nothing could be checked')."""
    from fargate_nb.diagnose import diagnose
    from tests.support.network import Net, public_vpc

    snap = public_vpc().image("docker.io/library/nginx:1.27").no_logs().build()
    snap.task_definition.update(cpu="256", memory="512")
    healthy = diagnose(snap)
    assert healthy.step("layers").status == "pass" and healthy.status == "pass", healthy.verdict
    blocked = diagnose(Net().image("docker.io/library/nginx:1.27").no_logs().build())  # private, no route
    assert blocked.step("manifest").status == "fail" and blocked.step("layers").status == "fail"
