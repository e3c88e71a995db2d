"""Fixtures for the view tests: a healthy pull and one whose registry authentication is denied."""

from __future__ import annotations

import pytest

from tests.support.diagnoses import ecr_auth_denied, make_diagnosis, passing
from tests.support.view_scenarios import make_snapshot


@pytest.fixture
def healthy():
    snap = make_snapshot()
    return snap, make_diagnosis(snap, passing(snap))


@pytest.fixture
def auth_broken():
    snap = make_snapshot()
    findings = [f for f in passing(snap) if f.id != "iam.ecr-auth"] + [ecr_auth_denied()]
    return snap, make_diagnosis(snap, findings)
