"""boto3 clients for the current sandbox (AWS_ENDPOINT_URL), reused across tests: creating a
client per call costs more than the describe call it makes."""

from __future__ import annotations

import os
from functools import cache
from typing import Any

_SESSION: Any = None


@cache
def _cached_client(service: str, endpoint_url: str) -> Any:
    global _SESSION
    import boto3

    _SESSION = _SESSION or boto3.session.Session()
    return _SESSION.client(service, endpoint_url=endpoint_url)


def client(service: str) -> Any:
    """A boto3 client for the current sandbox (AWS_ENDPOINT_URL), reused across tests."""
    return _cached_client(service, os.environ["AWS_ENDPOINT_URL"])
