"""The state of one collection run, shared by the collector jobs."""

from __future__ import annotations

import threading
from typing import Any

from fargate_nb.aws.calls import Caller, Outcome
from fargate_nb.aws.session import AwsContext
from fargate_nb.model import Gap, Snapshot
from fargate_nb.scrub import scrub_text


class Collection:
    """One snapshot being filled in by many jobs.

    Jobs write whole entries into the snapshot's maps (single assignments, safe across threads)
    and keep intermediate answers in ``parts`` until `fargate_nb.aws.collect` assembles them.
    ``claim`` makes sure a resource shared by several containers or roles is read once.
    """

    def __init__(self, ctx: AwsContext, snapshot: Snapshot) -> None:
        self.ctx = ctx
        self.snap = snapshot
        self.caller = Caller(ctx)
        self.parts: dict[str, Any] = {}
        self._claimed: set[Any] = set()
        self._lock = threading.Lock()

    def call(self, service: str, operation: str, **kwargs: Any) -> Outcome:
        return self.caller.call(service, operation, **kwargs)

    def claim(self, key: Any) -> bool:
        """True the first time ``key`` is claimed: the caller then reads it, the others skip it."""
        with self._lock:
            if key in self._claimed:
                return False
            self._claimed.add(key)
            return True

    def put(self, bucket: str, key: Any, value: Any) -> None:
        """Store an intermediate answer under ``parts[bucket][key]``."""
        with self._lock:
            self.parts.setdefault(bucket, {})[key] = value

    def bucket(self, name: str) -> dict[Any, Any]:
        with self._lock:
            return dict(self.parts.get(name) or {})

    def gap(self, api: str, error: str, resource: str | None = None) -> None:
        """Record evidence that could not be used for a reason no permission would fix.

        (A malformed ARN, a role in another account, a policy that is not JSON ...): the
        ``permission`` is empty so nobody is told to grant something that would not help.
        """
        self.caller.add_gap(Gap(api=api, permission="", error=scrub_text(error)[:500], resource=resource))
