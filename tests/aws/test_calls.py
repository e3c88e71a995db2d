"""The call wrapper's pure parts: decoding, JSON conversion, error classes, the job runner."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta, timezone
from functools import partial
from urllib.parse import quote

import pytest

from fargate_nb.aws import SubjectNotFoundError, make_context
from fargate_nb.aws.calls import Caller, PolicyDecodeError, decode_policy, jsonable, run_jobs
from fargate_nb.aws.collect_ecr import manifest_facts
from fargate_nb.aws.collect_secrets import _parameter_names, aws_managed_alias
from fargate_nb.aws.errors import classify_code
from fargate_nb.pullflow import SecretRef

DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}]}


@pytest.mark.parametrize("value", [DOC, json.dumps(DOC), quote(json.dumps(DOC)), "  " + json.dumps(DOC)])
def test_decode_policy_accepts_dicts_json_and_url_encoded_json(value):
    assert decode_policy(value) == DOC


@pytest.mark.parametrize("value", ["{not json", "%7Bbroken", "[1, 2]", 42])
def test_decode_policy_rejects_broken_documents_clearly(value):
    with pytest.raises(PolicyDecodeError):
        decode_policy(value)


def test_decode_policy_none_means_no_policy():
    assert decode_policy(None) is None and decode_policy("") is None


def test_jsonable_converts_datetimes_bytes_and_scrubs():
    east = timezone(timedelta(hours=-5))
    data = {"ResponseMetadata": {"RequestId": "x"}, "at": datetime(2024, 5, 1, 7, 0, tzinfo=east),
            "naive": datetime(2024, 5, 1, 12, 0), "blob": b"\x00\x01",
            "reason": "pull https://b.s3.amazonaws.com/l?X-Amz-Signature=deadbeef&X-Amz-Credential=AKIAABCDEFGHIJKLMNOP",
            "SessionToken": "secret-token"}
    out = jsonable(data)
    assert "ResponseMetadata" not in out
    assert out["at"] == "2024-05-01T12:00:00+00:00" and out["naive"] == "2024-05-01T12:00:00+00:00"
    assert out["blob"] == "AAE="
    assert "deadbeef" not in out["reason"] and "AKIAABCDEFGHIJKLMNOP" not in out["reason"]
    assert out["SessionToken"] == "REDACTED"
    json.dumps(out)


@pytest.mark.parametrize("code, kind", [
    ("AccessDenied", "denied"), ("AccessDeniedException", "denied"), ("UnauthorizedOperation", "denied"),
    ("ThrottlingException", "throttled"), ("RequestLimitExceeded", "throttled"), ("Throttling", "throttled"),
    ("NoSuchEntity", "not-found"), ("InvalidVpcID.NotFound", "not-found"), ("ParameterNotFound", "not-found"),
    ("RepositoryNotFoundException", "not-found"), ("ImageNotFoundException", "not-found"),
    ("ExpiredToken", "credentials"), ("InvalidClientTokenId", "credentials"),
    ("ValidationException", "error"), ("InternalFailure", "error"),
])
def test_error_codes_are_classified(code, kind):
    assert classify_code(code) == kind


def test_the_caller_refuses_mutating_operations():
    caller = Caller(make_context(region="us-east-1", endpoint_url="http://127.0.0.1:9"))
    for operation in ("PutImage", "DeleteRole", "CreateLogGroup", "StopTask"):
        with pytest.raises(RuntimeError, match="read-only"):
            caller.call("ecr", operation)
    for service, operation in (("secretsmanager", "GetSecretValue"), ("ssm", "GetParameters"),
                               ("ecr", "GetAuthorizationToken"), ("ecr", "GetDownloadUrlForLayer")):
        with pytest.raises(RuntimeError, match="never reads secret values"):
            caller.call(service, operation)
    assert caller.ctx.calls == []


def _tree(log: list[str], lock: threading.Lock, name: str, depth: int):
    with lock:
        log.append(name)
    if depth == 0:
        return None
    return [partial(_tree, log, lock, f"{name}.{i}", depth - 1) for i in range(2)]


@pytest.mark.parametrize("workers", [1, 4])
def test_run_jobs_runs_every_follow_up_once(workers):
    log: list[str] = []
    run_jobs([partial(_tree, log, threading.Lock(), "r", 3)], max_workers=workers, on_error=pytest.fail)
    assert len(log) == 15 and len(set(log)) == 15


@pytest.mark.parametrize("workers", [1, 4])
def test_run_jobs_reports_surprises_and_stops_on_fatal_errors(workers):
    errors = []

    def broken():
        raise KeyError("shape")

    run_jobs([broken, lambda: None], max_workers=workers, on_error=lambda job, exc: errors.append(exc))
    assert [type(e) for e in errors] == [KeyError]

    def fatal():
        raise SubjectNotFoundError("gone")

    with pytest.raises(SubjectNotFoundError):
        run_jobs([fatal, lambda: None], max_workers=workers, on_error=pytest.fail)


def test_manifest_facts_reads_platforms_of_indexes_only():
    index = {"mediaType": "application/vnd.docker.distribution.manifest.list.v2+json", "manifests": [
        {"platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
        {"platform": {"os": "windows", "architecture": "amd64"}}, "junk", {"platform": "junk"}]}
    media, platforms = manifest_facts({"imageManifest": json.dumps(index)})
    assert media == index["mediaType"]
    assert platforms == [{"os": "linux", "architecture": "arm64", "variant": "v8"},
                         {"os": "windows", "architecture": "amd64", "variant": None}]
    single = {"imageManifest": json.dumps({"schemaVersion": 2, "layers": []}),
              "imageManifestMediaType": "application/vnd.docker.distribution.manifest.v2+json"}
    assert manifest_facts(single) == ("application/vnd.docker.distribution.manifest.v2+json", None)
    assert manifest_facts({"imageManifest": "{broken"}) == (None, None)


def test_parameter_names_follow_the_arn_naming_rule():
    def ref(value_from, lookup):
        return SecretRef("c", "X", value_from, "ssm", value_from, lookup)

    assert _parameter_names(ref("arn:aws:ssm:us-east-1:1:parameter/plain", "/plain")) == ["/plain", "plain"]
    assert _parameter_names(ref("arn:aws:ssm:us-east-1:1:parameter/a/b", "/a/b")) == ["/a/b"]
    assert _parameter_names(ref("/a/b", "/a/b")) == ["/a/b"]


def test_aws_managed_key_aliases():
    assert aws_managed_alias("alias/aws/secretsmanager")
    assert aws_managed_alias("arn:aws:kms:us-east-1:1:alias/aws/ssm")
    assert not aws_managed_alias("alias/team-key") and not aws_managed_alias("arn:aws:kms:us-east-1:1:key/abc")


def test_collected_at_style_is_utc():
    assert jsonable(datetime(2024, 1, 1, tzinfo=UTC)) == "2024-01-01T00:00:00+00:00"
