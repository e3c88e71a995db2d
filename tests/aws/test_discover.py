"""Listings for pickers: clusters and services from moto, stopped tasks from answers crafted in ECS's JSON."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from fargate_nb.aws import SubjectNotFoundError, make_context
from fargate_nb.aws.discover import DiscoveryError, list_clusters, list_services, list_stopped_tasks
from tests.aws.envs import client
from tests.aws.inject import Injector, ok_response

CLUSTER_ARN = "arn:aws:ecs:us-east-1:123456789012:cluster/web"


def _arn(i: int) -> str:
    return f"arn:aws:ecs:us-east-1:123456789012:task/web/{i:032x}"


def _json(data: dict) -> object:
    return ok_response(json.dumps(data), "application/x-amz-json-1.1")


def _stopped_world(count: int, ages_minutes):
    """ListTasks in pages of 100; DescribeTasks answering each task stopped ``ages_minutes(i)`` ago."""
    pages = {"": (list(range(0, min(count, 100))), "page2" if count > 100 else None),
             "page2": (list(range(100, count)), None)}
    described: list[int] = []

    def list_tasks(request, **_):
        body = json.loads(request.body or b"{}")
        assert body["desiredStatus"] == "STOPPED" and body["cluster"] == "web"
        ids, token = pages[body.get("nextToken", "")]
        return _json({"taskArns": [_arn(i) for i in ids], **({"nextToken": token} if token else {})})

    def describe_tasks(request, **_):
        body = json.loads(request.body)
        described.append(len(body["tasks"]))
        tasks = []
        for arn in body["tasks"]:
            i = int(arn.rsplit("/", 1)[1], 16)
            task = {"taskArn": arn, "taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/app:1",
                    "stoppedReason": f"CannotPullContainerError {i} https://x.s3.amazonaws.com/l?X-Amz-Signature=abc",
                    "stopCode": "TaskFailedToStart", "group": "service:api", "lastStatus": "STOPPED",
                    "clusterArn": CLUSTER_ARN}
            age = ages_minutes(i)
            if age is not None:
                task["stoppedAt"] = time.time() - age * 60  # relative to the call: a slow run cannot shift the edge
            tasks.append(task)
        return _json({"tasks": tasks, "failures": []})

    return Injector({("ecs", "ListTasks"): list_tasks, ("ecs", "DescribeTasks"): describe_tasks}), described


def _ctx(injector):
    ctx = make_context(region="us-east-1", endpoint_url="http://127.0.0.1:9")  # never reached
    ctx.session.events.register("before-send", injector)
    return ctx


def test_stopped_tasks_newest_first_within_the_window_in_batches_of_100():
    injector, described = _stopped_world(150, lambda i: None if i == 7 else i * 3 + 1)
    tasks = list_stopped_tasks(_ctx(injector), "web", since=timedelta(hours=2))
    assert described == [100, 50]
    recent = [i for i in range(150) if i != 7 and i * 3 + 1 < 120]  # 40 tasks, none near the edge
    assert [t["taskArn"] for t in tasks[:-1]] == [_arn(i) for i in recent]
    assert tasks[-1]["taskArn"] == _arn(7) and tasks[-1]["stoppedAt"] is None  # no stop time: listed last
    first = tasks[0]
    assert set(first) == {"taskArn", "taskDefinitionArn", "stoppedAt", "stoppedReason", "stopCode", "group"}
    assert datetime.fromisoformat(first["stoppedAt"]).tzinfo is not None
    assert "abc" not in first["stoppedReason"]
    stamps = [datetime.fromisoformat(t["stoppedAt"]) for t in tasks[:-1]]
    assert stamps == sorted(stamps, reverse=True)
    assert all(datetime.now(UTC) - s <= timedelta(hours=2, minutes=1) for s in stamps)


def test_since_may_be_a_moment():
    injector, _ = _stopped_world(10, lambda i: i * 10 + 1)
    since = datetime.fromtimestamp(time.time() - 35 * 60, UTC)
    tasks = list_stopped_tasks(_ctx(injector), "arn:aws:ecs:us-east-1:123456789012:cluster/web", since)
    assert [t["taskArn"] for t in tasks] == [_arn(i) for i in range(4)]


def test_denied_listing_names_the_permission():
    injector = Injector({("ecs", "ListTasks"): (400, "AccessDeniedException", "no")})
    with pytest.raises(DiscoveryError, match="ecs:ListTasks"):
        list_stopped_tasks(_ctx(injector), "web")


def test_clusters_and_services_from_moto(aws):
    ecs = client(aws, "ecs")
    for name in ("zeta", "alpha"):
        ecs.create_cluster(clusterName=name)
    ecs.register_task_definition(family="app", containerDefinitions=[{"name": "a", "image": "nginx", "memory": 64}])
    for name in ("web", "api"):
        ecs.create_service(cluster="alpha", serviceName=name, taskDefinition="app", desiredCount=0)
    ctx = make_context()
    assert [c["clusterName"] for c in list_clusters(ctx)] == ["alpha", "zeta"]
    services = list_services(ctx, "alpha")
    assert [s["serviceName"] for s in services] == ["api", "web"]
    assert services[0]["taskDefinition"].endswith("task-definition/app:1")
    assert list_services(ctx, "zeta") == []
    assert list_stopped_tasks(ctx, "zeta") == []
    with pytest.raises(SubjectNotFoundError):
        list_services(ctx, "missing")
