"""`fargate-nb demo`: fixed file names replaced on every run, each file listed, one progress line per phase."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest

import fargate_nb.investigation as investigation
import fargate_nb.investigation.demo as demo_module
import fargate_nb.report as report
from fargate_nb.cli import main
from fargate_nb.report import ReportError, ReportPaths

SUFFIXES = (".ipynb", ".html", ".md", ".json", ".snapshot.json")
DEMO_FILES = sorted(f"{investigation.DEMO_STEM}{s}" for s in SUFFIXES)


def listed(stdout: str) -> list[Path]:
    """The paths of the 'Wrote' block, one per line, the path last."""
    block = stdout.split("\nWrote", 1)[1].split("\n\n", 1)[0]
    return [Path(line.split()[-1]) for line in block.splitlines()[1:] if line.strip()]


# -- write_demo without a sandbox or a kernel --------------------------------------------------------
@pytest.fixture
def offline(monkeypatch):
    """write_demo with a fake sandbox, scenario and report: the file handling alone."""
    runs = {"n": 0}
    monkeypatch.setattr(demo_module, "start_sandbox", lambda activate=True: SimpleNamespace(stop=lambda: None))
    monkeypatch.setattr(demo_module, "open_scenario", lambda *a, **k: SimpleNamespace(
        snapshot="snapshot", diagnosis="diagnosis"))

    def fake_report(snapshot, out_dir, title=None, *, diagnosis=None, name=None, **_):
        runs["n"] += 1
        paths = ReportPaths(*(Path(out_dir) / f"{name}{s}" for s in SUFFIXES))
        for p in paths.all():
            p.write_text(f"run {runs['n']}\n" if p.suffix != ".ipynb" else
                         '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
        return paths

    monkeypatch.setattr(report, "generate_report", fake_report)
    return runs


def test_write_demo_replaces_only_its_own_files(tmp_path, offline):
    mine = tmp_path / "notes.txt"
    mine.write_text("keep me")
    phases: list[str] = []
    first = investigation.write_demo("no-s3-gateway", tmp_path, progress=phases.append)
    assert sorted(p.name for p in first.paths.all()) == DEMO_FILES
    second = investigation.write_demo("no-s3-gateway", tmp_path)
    assert second.paths == first.paths
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*DEMO_FILES, "notes.txt"])  # no copies, no staging
    assert (tmp_path / "report.md").read_text() == "run 2\n" and mine.read_text() == "keep me"
    assert any("sandbox" in p for p in phases) and any("papermill" in p for p in phases)


def test_demo_files_are_private_and_its_new_folder_too(tmp_path, offline):
    import os
    import stat

    old_mask = os.umask(0o022)  # the fake report writes 0644 files under it, like papermill would
    try:
        demo = investigation.write_demo("no-s3-gateway", tmp_path / "new" / "demo")
    finally:
        os.umask(old_mask)
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in demo.paths.all()} == dict.fromkeys(DEMO_FILES, 0o600)
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "new" / "demo").stat().st_mode) == 0o700


def test_a_failed_demo_leaves_the_previous_one(tmp_path, offline, monkeypatch):
    investigation.write_demo("no-s3-gateway", tmp_path)

    def broken(*_a, **_k):
        raise ReportError("the notebook reported errors")

    monkeypatch.setattr(report, "generate_report", broken)
    with pytest.raises(ReportError):
        investigation.write_demo("no-s3-gateway", tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == DEMO_FILES
    assert (tmp_path / "report.md").read_text() == "run 1\n"


def test_demo_cli_reports_a_failed_report_on_stderr(tmp_path, offline, monkeypatch, capsys):
    monkeypatch.setattr(report, "generate_report", lambda *a, **k: (_ for _ in ()).throw(ReportError("no kernel")))
    assert main(["demo", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "could not be written" in err and "no kernel" in err


def test_demo_unknown_scenario_is_a_usage_error(tmp_path, capsys):
    assert main(["demo", "--scenario", "no-such-scenario", "--out", str(tmp_path)]) == 2
    assert not any(tmp_path.iterdir())


# -- the real thing: sandbox, papermill, nbconvert ------------------------------------------------------
@pytest.mark.slow
def test_demo_twice_writes_the_same_files_and_lists_each(tmp_path, capsys):
    out = tmp_path / "demo"
    inodes = []
    for _ in range(2):
        assert main(["demo", "--out", str(out)]) == 0
        captured = capsys.readouterr()
        paths = listed(captured.out)
        assert sorted(p.name for p in paths) == DEMO_FILES
        assert all(p.is_file() and p.parent == out for p in paths), paths
        assert sorted(p.name for p in out.iterdir()) == DEMO_FILES  # replaced, not piled up
        html = out / "report.html"
        assert re.search(rf"(xdg-open|open|start) {re.escape(str(html))}", captured.out)
        assert "in a browser" in captured.out and html.resolve().as_uri() in captured.out
        phases = [line for line in captured.err.splitlines() if line.startswith("fargate-nb demo: ")]
        assert len(phases) >= 4 and any("papermill" in p for p in phases), captured.err
        assert "net.no-route" in captured.out  # the diagnosis itself is printed too
        inodes.append(html.stat().st_ino)
    assert inodes[0] != inodes[1]  # the second run replaced the file
