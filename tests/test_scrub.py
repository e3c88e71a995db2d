"""Credentials never survive into stored or shown evidence."""

from hypothesis import given
from hypothesis import strategies as st

from fargate_nb.scrub import REDACTED, scrub_obj, scrub_text

PRESIGNED = (
    "https://prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com/a1b2-c3/ab/cd?"
    "X-Amz-Security-Token=IQoJb3JpZ2luX2VjEOr%2F%2F&X-Amz-Algorithm=AWS4-HMAC-SHA256"
    "&X-Amz-Date=20240101T000000Z&X-Amz-SignedHeaders=host&X-Amz-Expires=3600"
    "&X-Amz-Credential=ASIAEXAMPLEEXAMPLE12%2F20240101%2Fus-east-1%2Fs3%2Faws4_request"
    "&X-Amz-Signature=0123456789abcdef0123456789abcdef"
)


def test_presigned_url_loses_its_query_string_but_keeps_the_host():
    msg = f'CannotPullContainerError: failed to copy: httpReadSeeker: failed open: unexpected status code {PRESIGNED}: 403 Forbidden'
    out = scrub_text(msg)
    assert "X-Amz-Signature" not in out
    assert "IQoJb3JpZ2luX2VjEOr" not in out
    assert "prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com/a1b2-c3/ab/cd?" + REDACTED in out
    assert out.endswith(": 403 Forbidden")


def test_access_keys_and_bearer_tokens_are_redacted():
    out = scrub_text("key AKIAIOSFODNN7EXAMPLE and Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345")
    assert "IOSFODNN7EXAMPLE" not in out
    assert "abcdefghijklmnopqrstuvwxyz" not in out


def test_text_without_secrets_is_unchanged():
    msg = "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed"
    assert scrub_text(msg) == msg


def test_objects_drop_credential_keys_and_scrub_nested_strings():
    data = {"Credentials": {"SecretAccessKey": "abc", "SessionToken": "tok", "AccessKeyId": "ASIAABCDEFGHIJKLMNOP"},
            "reasons": [PRESIGNED], "n": 3}
    out = scrub_obj(data)
    assert out["Credentials"]["SecretAccessKey"] == REDACTED
    assert out["Credentials"]["SessionToken"] == REDACTED
    assert "ABCDEFGHIJKLMNOP" not in out["Credentials"]["AccessKeyId"]
    assert "X-Amz-Signature" not in out["reasons"][0]
    assert out["n"] == 3
    assert data["Credentials"]["SecretAccessKey"] == "abc"  # the input is not modified


@given(st.text(max_size=200), st.text(alphabet="0123456789abcdef", min_size=16, max_size=64))
def test_no_signature_survives_any_surrounding_text(prefix, sig):
    out = scrub_text(f"{prefix} https://bucket.s3.amazonaws.com/key?X-Amz-Signature={sig} tail")
    assert f"X-Amz-Signature={sig}" not in out


def test_a_url_encoded_presigned_url_inside_another_url_is_scrubbed():
    inner = "https%3A%2F%2Fb.s3.amazonaws.com%2Fk%3FX-Amz-Credential%3DASIA%26X-Amz-Signature%3Ddeadbeef"
    out = scrub_text(f"redirect to https://example.com/login?next={inner} now")
    assert "deadbeef" not in out and "X-Amz-Credential" not in out
    assert out.endswith(" now")


def test_many_unsigned_urls_in_a_row_are_kept_as_they_are():
    text = "http://a?" * 2000  # no marker anywhere: nothing to redact (bench/bench_scrub.py times this shape)
    assert scrub_text(text) == text


def test_a_password_in_a_url_goes_and_the_user_stays():
    out = scrub_text("DATABASE_URL=postgres://app:s3cret@db.internal:5432/app; see https://bot:tok@git.example/x")
    assert "s3cret" not in out and "tok@" not in out
    assert "postgres://app:REDACTED@db.internal:5432/app" in out and "https://bot:REDACTED@git.example/x" in out
    assert scrub_text("mailto:a@b.c arn:aws:iam::1:role/x") == "mailto:a@b.c arn:aws:iam::1:role/x"
