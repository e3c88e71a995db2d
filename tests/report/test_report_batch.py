"""`report --stopped`: grouping stopped tasks into distinct failures, the index, progress lines."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from fargate_nb.report import generate as gen
from fargate_nb.report.batch import group_failures, report_stopped
from tests.support.report_scenarios import ACCT, REGION, snapshot

LOG_REASON = ("ResourceInitializationError: failed to validate logger args: create stream has been retried 1 "
              "times: failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group "
              "does not exist. : exit status 1")
AUTH_REASON = ("CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref "
               f"{ACCT}.dkr.ecr.{REGION}.amazonaws.com/api:1: not found")


def task(n: int, reason: str, revision: int = 7, minutes_ago: int = 0) -> dict:
    return {"taskArn": f"arn:aws:ecs:{REGION}:{ACCT}:task/payments/t{n}",
            "taskDefinitionArn": f"arn:aws:ecs:{REGION}:{ACCT}:task-definition/payments-api:{revision}",
            "stoppedReason": reason,
            "stoppedAt": (datetime(2026, 3, 1, 12, tzinfo=UTC) - timedelta(minutes=minutes_ago)).isoformat()}


def test_same_revision_and_same_cause_count_once_newest_first():
    groups = group_failures([task(1, LOG_REASON, minutes_ago=30), task(2, LOG_REASON.replace("1 times", "3 times"), 7, 5),
                             task(3, AUTH_REASON), task(4, LOG_REASON, revision=8)])
    by_key = {g.key: g for g in groups}
    assert set(by_key) == {("payments-api:7", "logs", "not-found"), ("payments-api:7", "manifest", "not-found"),
                           ("payments-api:8", "logs", "not-found")}
    assert by_key[("payments-api:7", "logs", "not-found")].task_arns == [
        f"arn:aws:ecs:{REGION}:{ACCT}:task/payments/t2", f"arn:aws:ecs:{REGION}:{ACCT}:task/payments/t1"]


class FakeExecutor:
    def __call__(self, source, output, parameters, *, cwd, kernel_name=None):
        nb = new_notebook()
        nb.cells.append(new_code_cell("x"))
        nbformat.write(nb, str(output))
        return nb


def test_batch_writes_one_report_per_failure_and_an_escaped_index(tmp_path, monkeypatch):
    monkeypatch.setattr(gen, "execute_notebook", FakeExecutor())
    listed = [task(1, LOG_REASON), task(2, LOG_REASON, minutes_ago=3), task(3, AUTH_REASON, minutes_ago=9),
              task(4, "<script>alert(1)</script>", revision=9)]
    collected = []

    def collect(ctx, *, cluster, task):
        collected.append(task)
        if task.endswith("t4"):
            raise RuntimeError("throttled <b>again</b>")
        snap = snapshot()
        snap.subject["task"] = task
        snap.task["taskArn"] = task
        return snap

    out = io.StringIO()
    result = report_stopped(None, "pay<ments>", tmp_path, since=datetime(2026, 3, 1, tzinfo=UTC), stream=out,
                            workers=1,  # in this process, where the notebook run is replaced
                            collect=collect, list_tasks=lambda ctx, cluster, since: listed)
    assert sorted(collected) == sorted(f"arn:aws:ecs:{REGION}:{ACCT}:task/payments/t{i}" for i in (1, 3, 4))
    written = [e for e in result.entries if e.paths]
    assert len(result.entries) == 3 and len(written) == 2
    shared = next(e for e in written if len(e.group.tasks) == 2)
    assert "| Tasks with this failure | 2 |" in shared.paths.md.read_text()
    assert result.exit_code == 2  # one failure could not be reported
    index = result.index.read_text()
    assert result.index.name == "index.html"
    assert "<script>alert" not in index and "<b>again" not in index and "pay&lt;ments&gt;" in index
    assert index.count('href="') == 4 and "throttled &lt;b&gt;again&lt;/b&gt;" in index
    progress = out.getvalue().splitlines()
    assert progress[-1].startswith("reports 3/3: ") and "\x1b" not in out.getvalue()


def test_batch_with_task_arns_only_collects_each_once_and_skips_unreadable(tmp_path, monkeypatch):
    monkeypatch.setattr(gen, "execute_notebook", FakeExecutor())
    calls = []

    def collect(ctx, *, cluster, task):
        calls.append(task)
        if task == "gone":
            raise LookupError("task gone is no longer visible")
        snap = snapshot(stopped_reason=LOG_REASON)
        snap.task["taskArn"] = snap.subject["task"] = f"arn:aws:ecs:{REGION}:{ACCT}:task/payments/{task}"
        return snap

    result = report_stopped(None, "payments", tmp_path, since=datetime(2026, 3, 1, tzinfo=UTC),
                            stream=io.StringIO(), collect=collect, list_tasks=lambda *a: ["a", "gone", "b"])
    assert calls == ["a", "gone", "b"]  # the representative snapshot is reused, not collected again
    assert len(result.entries) == 1 and len(result.entries[0].group.tasks) == 2
    assert result.skipped and "no longer visible" in result.skipped[0]
    assert "Tasks that could not be read" in result.index.read_text()


def test_no_stopped_task_still_writes_an_index(tmp_path):
    result = report_stopped(None, "payments", tmp_path, since=datetime(2026, 3, 1, tzinfo=UTC),
                            stream=io.StringIO(), collect=lambda *a, **k: pytest.fail("nothing to collect"),
                            list_tasks=lambda *a: [])
    assert result.entries == [] and result.exit_code == 0
    assert "No task stopped in this period." in result.index.read_text()


@pytest.mark.slow
def test_sandbox_cluster_with_two_failures_gives_two_reports(aws, tmp_path):
    from fargate_nb.investigation import LiveTarget
    from fargate_nb.investigation import report_stopped as investigate_stopped
    from fargate_nb.lab.build import run_task
    from fargate_nb.lab.scenarios import get_scenario

    scenario = get_scenario("missing-log-group")
    env = scenario.provision(aws)
    for _ in range(2):
        run_task(aws, env, stopped_reason=scenario.spec.stopped_reason)
    odd = run_task(aws, env, stopped_reason=AUTH_REASON)
    target = LiveTarget(env.cluster, region=aws.region, endpoint_url=aws.endpoint_url)
    result = investigate_stopped(target, tmp_path, since=datetime.now(UTC) - timedelta(hours=1),
                                 stream=io.StringIO())
    counts = sorted(len(e.group.tasks) for e in result.entries)
    assert counts == [1, 3] and all(e.paths for e in result.entries)
    assert result.exit_code == 1  # the log group is missing: the diagnosis fails
    single = next(e for e in result.entries if len(e.group.tasks) == 1)
    assert single.group.task_arns == [odd]
    index = result.index.read_text()
    for e in result.entries:
        assert f'href="{e.paths.html.name}"' in index
        assert e.paths.html.exists() and e.paths.json.exists()
    logs = next(e for e in result.entries if len(e.group.tasks) == 3)
    assert logs.status == "fail" and "logs.group-missing" in logs.paths.json.read_text()
    # Written side by side (two processes), linking one copy of plotly.js next to the index.
    from fargate_nb.report.export import PLOTLY_MARKER

    assert PLOTLY_MARKER in (tmp_path / "plotly.min.js").read_text()
    for e in result.entries:
        page = e.paths.html.read_text()
        assert PLOTLY_MARKER not in page and page.count('src="plotly.min.js"') == 1


def test_the_batch_reads_aws_only_through_the_callables_it_is_given(tmp_path):
    with pytest.raises(TypeError, match="collect"):
        report_stopped(None, "payments", tmp_path, since=datetime(2026, 3, 1, tzinfo=UTC),  # type: ignore[call-arg]
                       list_tasks=lambda *a: [])
    asked = []
    result = report_stopped("ctx", "payments", tmp_path, since=datetime(2026, 3, 1, tzinfo=UTC), stream=io.StringIO(),
                            collect=lambda *a, **k: pytest.fail("nothing to collect"),
                            list_tasks=lambda ctx, cluster, since: asked.append((ctx, cluster, since)) or [])
    assert asked == [("ctx", "payments", datetime(2026, 3, 1, tzinfo=UTC))]
    assert result.entries == []


def test_progress_is_a_bar_on_a_terminal_and_plain_lines_otherwise():
    from fargate_nb.views.progress import Progress

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    tty, pipe = Terminal(), io.StringIO()
    for stream in (tty, pipe):
        bar = Progress(2, "reports", stream)
        bar.step("payments-api:7 logs not-found")
        bar.step("payments-api:8 manifest permission")
        bar.close()
    assert "\r" in tty.getvalue() and "2/2" in tty.getvalue()
    assert pipe.getvalue().splitlines() == ["reports 1/2: payments-api:7 logs not-found",
                                            "reports 2/2: payments-api:8 manifest permission"]


def test_the_batch_exit_code_puts_a_failure_before_could_not_check(tmp_path):
    from fargate_nb.report.batch import BatchEntry, BatchResult

    def result(*codes: int) -> BatchResult:
        entries = [BatchEntry(group=None, exit_code=code) for code in codes]  # the group plays no part here
        return BatchResult(tmp_path / "index.html", entries, [])

    assert result(4, 1, 0).exit_code == 1
    assert result(4, 0).exit_code == 4
    assert result(1, 2, 4).exit_code == 2
    assert result().exit_code == 0
