"""The stopped-reason classifier on a corpus of real messages from public sources.

``corpus.json`` holds real stoppedReason / container reason messages (AWS documentation, re:Post
knowledge-center pages, public issue trackers), each with its source URL and the step and cause
decided from AWS's documentation ("CannotPullContainer task errors in Amazon ECS", "Troubleshoot
Amazon ECS ResourceInitializationError errors", "Amazon ECS stopped task error messages"). Account
ids are sometimes replaced; the wording is the source's.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlparse

import pytest

from fargate_nb.model import STEPS
from fargate_nb.stopped import CAUSES, explain
from fargate_nb.stopped.scoring import score

CORPUS = json.loads((Path(__file__).parent / "corpus.json").read_text(encoding="utf-8"))
FLOOR = 0.97
# messages of the corpus the classifier is known to get wrong (step or cause): none today
KNOWN_MISSES: set[str] = set()


def test_the_corpus_is_big_distinct_and_sourced():
    assert len(CORPUS) >= 90
    assert len({e["message"] for e in CORPUS}) == len(CORPUS), "duplicate messages"
    for e in CORPUS:
        assert set(e) == {"message", "source_url", "step", "cause", "note"}, e
        url = urlparse(e["source_url"])
        assert url.scheme == "https" and url.netloc, e
        assert e["step"] in (None, *STEPS) and e["cause"] in CAUSES, e
    assert {e["step"] for e in CORPUS} == {None, *STEPS}
    assert {e["cause"] for e in CORPUS} == set(CAUSES)


def test_the_classifier_scores_at_least_97_percent_on_step_and_cause_together():
    result = score(CORPUS)
    assert result.rate(result.both) >= FLOOR, "\n".join(result.lines())
    assert {m.message for m in result.misses} == KNOWN_MISSES, "\n".join(result.lines())


@pytest.mark.parametrize("fragment, step", [
    ("/blobs/sha256:5de487da", "layers"),                # a 403 on a blob URL
    ("failed to copy: httpReadSeeker: failed open: unexpected status code 403", "layers"),
    ("failed to extract layer sha256:7c52", "layers"),
    ("manifests/sha256:2d964e1d", "manifest"),           # the same copy error on a manifest URL
])
def test_blob_transfers_are_the_layers_step_and_manifests_are_not(fragment, step):
    (message,) = [e["message"] for e in CORPUS if fragment in e["message"]]
    assert explain(message).step == step


def test_the_docker_hub_rate_limit_targets_the_registry_not_the_advisory_link():
    (message,) = [e["message"] for e in CORPUS if e["message"].startswith("You have reached your pull rate limit")]
    e = explain(message)
    assert (e.cause, e.target) == ("rate-limit", "registry-1.docker.io")


@pytest.mark.parametrize("message", [
    "CannotPullContainerError: failed to resolve ref: unexpected status code 401",
    "CannotPullContainerError: failed to resolve ref: Unauthorized 401 from the registry",
    "CannotPullContainerError: Head \"https://ghcr.io/v2/acme/api/manifests/1\": unauthorized",
    "CannotPullContainerError: denied: unauthorized: authentication required",
])
def test_unauthorized_or_401_in_any_order_is_auth_config(message):
    assert explain(message).cause == "auth-config"


def test_a_401_inside_an_id_is_not_a_status():
    e = explain("CannotPullContainerError: Get https://x.dkr.ecr.us-east-1.amazonaws.com/v2/: dial tcp 10.0.4.1:443: "
                "i/o timeout, request id 5401-4401a")
    assert e.cause == "network"
