"""`fargate-nb audit` on the sandbox: every format, the report folder, usage errors and exit codes, the progress bar."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET

import pytest

from fargate_nb.cli import main
from fargate_nb.diagnose.fleet import AuditProgress
from fargate_nb.lab.scenarios import get_scenario


@pytest.fixture
def broken_service(aws):
    """One broken service in the sandbox: (endpoint, its expected failing ids)."""
    scenario = get_scenario("missing-ecr-auth")
    env = scenario.provision(aws)
    assert env.service_name
    return aws.endpoint_url, {i for i, _ in scenario.expected}


@pytest.mark.parametrize("fmt", ["json", "junit", "markdown", "text"])
def test_every_format_names_the_broken_service(broken_service, capsys, fmt):
    endpoint, ids = broken_service
    code = main(["audit", "--endpoint-url", endpoint, "--format", fmt])
    out = capsys.readouterr().out
    assert code == 1
    if fmt == "json":
        [service] = json.loads(out)["services"]
        assert service["status"] == "fail" and set(service["finding_ids"]) == ids
    elif fmt == "junit":
        [case] = ET.fromstring(out).iter("testcase")
        assert case.find("failure").get("type") in ids
    else:
        assert all(i in out for i in ids) and "payments" in out


def test_out_writes_the_report_and_each_snapshot(broken_service, tmp_path, capsys):
    from fargate_nb.model import Snapshot

    endpoint, ids = broken_service
    out = tmp_path / "audit"
    assert main(["audit", "--endpoint-url", endpoint, "--out", str(out), "--format", "json"]) == 1
    printed = json.loads(capsys.readouterr().out)
    assert {p.name for p in out.iterdir()} == {"index.html", "audit.md", "audit.json", "junit.xml", "plotly.min.js",
                                               "snapshots"}
    assert json.loads((out / "audit.json").read_text())["services"][0]["finding_ids"] == printed["services"][0][
        "finding_ids"]
    [row] = printed["services"]
    snapshot = Snapshot.load(out / row["snapshot_file"])
    assert snapshot.subject["service"] == row["service"]
    assert f'href="{row["snapshot_file"]}"' in (out / "index.html").read_text()


@pytest.mark.slow
def test_sandbox_fleet_finds_exactly_the_broken_services_with_their_ids(tmp_path, capsys):
    from fargate_nb.lab.fleet import FLEET

    code = main(["audit", "--sandbox-fleet", "--format", "json", "--out", str(tmp_path)])
    data = json.loads(capsys.readouterr().out)
    assert code == 1
    shown = {(s["cluster"], s["service"]): (s["status"], set(s["finding_ids"])) for s in data["services"]}
    assert shown == {(f.cluster, f.name): ("fail", set(f.expected)) if f.expected else ("pass", set())
                     for f in FLEET}
    junit = ET.parse(tmp_path / "junit.xml").getroot()
    assert sorted(s.get("name").rsplit("/", 1)[-1] for s in junit.iter("testsuite")) == sorted({f.cluster for f in FLEET})
    failed = {c.get("name") for c in junit.iter("testcase") if c.find("failure") is not None}
    assert failed == {f.name for f in FLEET if f.expected}


@pytest.mark.parametrize("argv", [["--workers", "0"], ["--sandbox-fleet", "--endpoint-url", "http://127.0.0.1:9"],
                                  ["--format", "yaml"]])
def test_bad_usage_exits_2(argv, capsys):
    with pytest.raises(SystemExit) as raised:
        code = main(["audit", *argv])
        raise SystemExit(code)
    assert raised.value.code == 2


def test_out_that_is_a_file_exits_2(tmp_path, capsys):
    path = tmp_path / "file"
    path.write_text("x")
    assert main(["audit", "--out", str(path), "--endpoint-url", "http://127.0.0.1:9"]) == 2
    assert "is a file" in capsys.readouterr().err


def test_unreachable_aws_exits_3(monkeypatch, capsys):
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    assert main(["audit", "--endpoint-url", "http://127.0.0.1:9", "--region", "us-east-1"]) == 3
    assert "nothing could be audited" in capsys.readouterr().err


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_counts_on_a_terminal_and_is_quiet_otherwise():
    from fargate_nb.views.progress import AuditBar

    steps = [AuditProgress(3, 1, 0, 0, "a"), AuditProgress(3, 2, 1, 0, "b"), AuditProgress(3, 3, 1, 1, "c")]
    terminal, pipe = Terminal(), io.StringIO()
    for stream in (terminal, pipe):
        bar = AuditBar(stream)
        for step in steps:
            bar(step)
        bar.close()
        assert bar.last == steps[-1]
    assert pipe.getvalue() == ""
    drawn = terminal.getvalue()
    assert "3/3" in drawn and "1 failing, 1 unknown" in drawn
