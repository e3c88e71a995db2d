"""The engine: step statuses, the verdict, crash isolation and what-if fixes, with stand-in checks."""

import pytest

from fargate_nb import diagnose as engine
from fargate_nb.checks import registry
from fargate_nb.model import Finding, Snapshot

ACCT = "111122223333"
IMAGE = f"{ACCT}.dkr.ecr.us-east-1.amazonaws.com/api:1"


@pytest.fixture
def only_checks(monkeypatch):
    """Replace the registry by the given checks for one test."""

    def install(*checks):
        table = {c.id: c for c in checks}
        monkeypatch.setattr(engine, "load_all", lambda: table)

    return install


def _check(id, step, func):
    return registry.Check(id=id, step=step, title=f"title of {id}", func=func, doc_url=f"https://docs.example/{id}")


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
    assert d.exit_code == 1
    assert d.findings[0].doc_url == "https://docs.example/a"


def test_a_crashing_check_becomes_unknown_and_the_others_still_run(only_checks):
    def boom(s, p):
        raise KeyError("Repository")

    only_checks(_check("x", "manifest", boom),
                _check("y", "registry-auth", lambda s, p: [Finding("y", "pass", "registry-auth", "ok")]))
    d = engine.diagnose(_snap())
    x = d.finding("x")[0]
    assert x.status == "unknown" and "KeyError" in x.detail
    assert d.finding("y")[0].status == "pass"


def test_verdict_when_nothing_fails(only_checks):
    only_checks(*[_check(s, s, lambda snap, p, s=s: [Finding(s, "pass", s, "ok")])
                  for s in ("assume-role", "registry-auth", "manifest", "layers")])
    d = engine.diagnose(_snap())
    assert d.exit_code == 0
    assert d.verdict.startswith("No failing prerequisite found: every step")


def test_diagnosis_is_identical_after_a_save_and_load(only_checks, tmp_path):
    only_checks(_check("r", "manifest", lambda s, p: [Finding("r", "fail" if not s.repositories else "pass", "manifest", "t")]))
    snap = _snap()
    first = engine.diagnose(snap)
    again = engine.diagnose(Snapshot.load(snap.save(tmp_path / "s.json")))
    assert first.to_dict() == again.to_dict()


def test_what_if_fixes_patch_a_copy(only_checks, monkeypatch):
    from fargate_nb import fixes

    def add_repo(snapshot, fix):
        snapshot.repositories[fix["arn"]] = {"Repository": {}}

    monkeypatch.setitem(fixes.OPERATIONS, "test_add_repo", add_repo)
    monkeypatch.setattr(fixes, "_load_operations", lambda: None)
    only_checks(_check("r", "manifest", lambda s, p: [Finding("r", "fail" if not s.repositories else "pass", "manifest", "t")]))
    snap = _snap()
    assert engine.diagnose(snap).exit_code == 1
    patched = engine.diagnose(snap, fixes=[{"op": "test_add_repo", "arn": "arn:x"}])
    assert patched.exit_code == 0
    assert snap.repositories == {}  # evidence untouched
    with pytest.raises(fixes.FixError, match="unknown what-if operation"):
        fixes.apply_fix(snap, {"op": "no-such-op"})
