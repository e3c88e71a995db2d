"""One cache per audit run: the same read, asked for by many subjects, is made once.

An audit of a fleet reads the same roles, policies, repositories, secrets, keys, log groups and
VPC pieces for service after service. `RunCache` keys each read by the request itself
(service, operation, region, parameters), so the key *is* the resource: ``iam:GetRole`` of a role
name, ``ec2:DescribeRouteTables`` of a VPC filter, ``ecr:DescribeImages`` of an image id.

What is kept, per request:

- the answer (a deep copy is handed out, so a reader may change its copy);
- "does not exist" (negative results are facts too);
- a failure (a gap): it is not retried by the next subject, but it is **never dropped silently**:
  the `Caller` records the same gap in every snapshot whose collection asked for the read.

A cache lives for one run only (`fargate_nb.investigation.run_audit` makes one and drops it).
A single ``diagnose`` has none, so a fix checked after a change is always read again.

Concurrent askers of the same request wait for the one call in flight instead of repeating it;
the call in flight is running (never queued), so waiting cannot deadlock the job runner.
"""

from __future__ import annotations

import copy
import json
import threading
from dataclasses import dataclass
from typing import Any

from fargate_nb.model import Gap

RequestKey = tuple[str, str, str, str]


def request_key(service: str, operation: str, region: str, params: dict[str, Any]) -> RequestKey:
    """The identity of a read: the same key means the same answer within one run."""
    return service, operation, region, json.dumps(params, sort_keys=True, default=str, separators=(",", ":"))


@dataclass(frozen=True)
class Cached:
    """What a read produced: ``data``, or ``missing``, or a ``gap`` (with ``unreached`` when AWS never answered)."""

    data: dict[str, Any] | None = None
    missing: bool = False
    gap: Gap | None = None
    code: str | None = None
    unreached: str | None = None  # "service:Operation: why", for a gap no AWS answer explains


class RunCache:
    """Answers of one run, by request; thread-safe. Counts what it saved (``hits``) for the benchmark."""

    def __init__(self) -> None:
        self._entries: dict[RequestKey, Cached] = {}
        self._in_flight: dict[RequestKey, threading.Event] = {}
        self._lock = threading.Lock()
        self.hits = 0

    def claim(self, key: RequestKey) -> Cached | None:
        """The cached result, else ``None`` and the caller must make the read and `store` (or `release`) it.

        When another thread is making the same read, wait for its answer.
        """
        while True:
            with self._lock:
                found = self._entries.get(key)
                if found is not None:
                    self.hits += 1
                    return _copy(found)
                event = self._in_flight.get(key)
                if event is None:
                    self._in_flight[key] = threading.Event()
                    return None
            event.wait()

    def store(self, key: RequestKey, result: Cached) -> None:
        with self._lock:
            self._entries[key] = result
            event = self._in_flight.pop(key, None)
        if event is not None:
            event.set()

    def release(self, key: RequestKey) -> None:
        """The read raised (AWS unavailable, a bug): nothing is kept, a waiter makes the read itself."""
        with self._lock:
            event = self._in_flight.pop(key, None)
        if event is not None:
            event.set()

    def seed(self, key: RequestKey, data: dict[str, Any]) -> None:
        """Store an answer a batched read already gave, so the per-subject read is not made again."""
        with self._lock:
            if key not in self._entries:
                self._entries[key] = Cached(data=data)

    def seed_missing(self, key: RequestKey, code: str) -> None:
        """Store "does not exist" that a batched read already told (e.g. an image a batch could not find)."""
        with self._lock:
            if key not in self._entries:
                self._entries[key] = Cached(missing=True, code=code)


def _copy(entry: Cached) -> Cached:
    if entry.data is None:
        return entry
    return Cached(data=copy.deepcopy(entry.data), code=entry.code)
