"""Every check of the kit. Importing this package registers them all (see `registry.REGISTRY`)."""

from __future__ import annotations

import importlib
import pkgutil

from fargate_nb.checks.catalogue import CATALOGUE, CheckSpec
from fargate_nb.checks.registry import REGISTRY, Check, check

_NOT_CHECKS = {"registry", "catalogue", "findings_doc"}


def load_all() -> dict[str, Check]:
    """Import every module of this package once, so each registers its checks."""
    for info in pkgutil.iter_modules(__path__):
        if info.name not in _NOT_CHECKS:
            importlib.import_module(f"{__name__}.{info.name}")
    return REGISTRY


__all__ = ["CATALOGUE", "REGISTRY", "Check", "CheckSpec", "check", "load_all"]
