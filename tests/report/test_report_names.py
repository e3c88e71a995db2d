"""Report file names from hostile subjects, time parsing, and --since."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fargate_nb.report.batch import parse_since
from fargate_nb.report.names import parse_time, report_name, safe_part, unique_name

WHEN = datetime(2026, 3, 1, 10, 5, 0, tzinfo=UTC)


@pytest.mark.parametrize("hostile", [
    "../../etc/passwd", "a/b\\c", "<script>", "..", ".hidden", "x" * 5000, "\x00\x1b[31m", "名前", "", None,
    "con:prn|aux*?\"'", "a b\nc",
])
def test_names_only_hold_safe_characters(hostile):
    name = report_name({"kind": "task", "cluster": hostile, "task": hostile}, WHEN)
    assert all(c.isascii() and (c.isalnum() or c in "-_") for c in name), name
    assert not name.startswith((".", "-")) and len(name) < 160
    assert name.endswith("20260301T100500Z")


def test_name_is_kind_cluster_id_and_time():
    subject = {"kind": "task", "cluster": "arn:aws:ecs:eu-west-1:1:cluster/payments",
               "task": "arn:aws:ecs:eu-west-1:1:task/payments/0123abcd"}
    assert report_name(subject, WHEN) == "task-payments-0123abcd-20260301T100500Z"
    assert report_name({"kind": "service", "cluster": "c", "service": "api"}, WHEN) == "service-c-api-20260301T100500Z"
    assert safe_part("") == "unknown"


def test_unique_name_never_reuses_an_existing_report(tmp_path):
    (tmp_path / "r.md").write_text("earlier")
    assert unique_name(tmp_path, "r") == "r-2"
    (tmp_path / "r-2.snapshot.json").write_text("{}")
    assert unique_name(tmp_path, "r") == "r-3"


@pytest.mark.parametrize("value, expected", [
    ("2026-03-01 10:05:00+00:00", WHEN),
    ("2026-03-01T10:05:00Z", WHEN),
    ("2026-03-01T11:05:00+01:00", WHEN),
    (WHEN.replace(tzinfo=None), WHEN),
    (WHEN.timestamp(), WHEN),
    ("yesterday", None), ("", None), (None, None), (float("inf"), None), (True, None),
])
def test_parse_time(value, expected):
    assert parse_time(value) == expected


def test_parse_since_durations_and_times():
    now = WHEN
    assert parse_since("24h", now) == now - timedelta(hours=24)
    assert parse_since("90m", now) == now - timedelta(minutes=90)
    assert parse_since(" 7D ", now) == now - timedelta(days=7)
    assert parse_since("2026-02-28T00:00:00Z", now) == datetime(2026, 2, 28, tzinfo=UTC)
    for bad in ("", "soon", "-3h", "2030-01-01T00:00:00Z", "3 parsecs"):
        with pytest.raises(ValueError, match="--since"):
            parse_since(bad, now)
