"""The run cache at the call wrapper: answers, "not found" and gaps are kept for one run, over HTTP."""

from __future__ import annotations

import threading
import time
from typing import Any

from fargate_nb.aws import make_context
from fargate_nb.aws.cache import RunCache
from fargate_nb.aws.calls import Caller
from tests.aws.inject import Injector


def cached_context(rules: dict[tuple[str, str], Any] | None = None) -> tuple[Any, Injector]:
    ctx = make_context()
    ctx.cache = RunCache()
    injector = Injector(rules or {})
    ctx.session.events.register("before-send", injector)
    return ctx, injector


def test_an_answer_is_read_once_and_each_reader_gets_its_own_copy(aws: Any) -> None:
    aws.client("logs").create_log_group(logGroupName="/ecs/web")
    ctx, _ = cached_context()
    first = Caller(ctx).call("logs", "DescribeLogGroups", logGroupNamePrefix="/ecs/web")
    first.data["logGroups"].clear()  # a reader changing its answer changes nobody else's
    second = Caller(ctx).call("logs", "DescribeLogGroups", logGroupNamePrefix="/ecs/web")
    assert [g["logGroupName"] for g in second.data["logGroups"]] == ["/ecs/web"]
    assert ctx.calls == [("logs", "DescribeLogGroups")]
    Caller(ctx).call("logs", "DescribeLogGroups", logGroupNamePrefix="/ecs/other")  # another request: read
    assert len(ctx.calls) == 2 and ctx.cache.hits == 1


def test_not_found_is_kept_too(aws: Any) -> None:
    ctx, _ = cached_context()
    outs = [Caller(ctx).call("iam", "GetRole", RoleName="gone") for _ in range(3)]
    assert all(o.missing and o.gap is None for o in outs)
    assert ctx.calls == [("iam", "GetRole")]


def test_a_gap_is_not_retried_but_recorded_by_every_caller(aws: Any) -> None:
    ctx, injector = cached_context({("iam", "GetRole"): (403, "AccessDenied", "no")})
    callers = [Caller(ctx) for _ in range(3)]
    for caller in callers:
        out = caller.call("iam", "GetRole", resource="arn:aws:iam::123456789012:role/x", RoleName="x")
        assert out.gap is not None and out.gap.permission == "iam:GetRole"
    assert injector.attempts[("iam", "GetRole")] == 1
    assert [len(c.gaps) for c in callers] == [1, 1, 1]
    assert all(c.gaps[0].error.startswith("AccessDenied") for c in callers)


def test_concurrent_askers_wait_for_the_one_call_in_flight(aws: Any) -> None:
    ctx, _ = cached_context()

    def slow(**_: Any) -> None:
        time.sleep(0.3)

    ctx.session.events.register("before-send", slow)
    answers: list[Any] = []
    threads = [threading.Thread(target=lambda: answers.append(Caller(ctx).call("sts", "GetCallerIdentity")))
               for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 6 and all(a.ok and a.data["Account"] == "123456789012" for a in answers)
    assert ctx.calls == [("sts", "GetCallerIdentity")]


def test_without_a_cache_every_call_is_made(aws: Any) -> None:
    ctx = make_context()
    for _ in range(2):
        Caller(ctx).call("sts", "GetCallerIdentity")
    assert ctx.calls == [("sts", "GetCallerIdentity")] * 2
    assert [r[:3] for r in ctx.requests] == [("sts", "GetCallerIdentity", "us-east-1")] * 2
