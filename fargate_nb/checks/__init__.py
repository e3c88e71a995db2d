"""Every check of the kit. Importing this package registers them all (see `registry.REGISTRY`)."""

from __future__ import annotations

import importlib
import pkgutil

from fargate_nb.checks.registry import REGISTRY, Check, check


def load_all() -> dict[str, Check]:
    """Import every module of this package once, so each registers its checks."""
    for info in pkgutil.iter_modules(__path__):
        if info.name != "registry":
            importlib.import_module(f"{__name__}.{info.name}")
    return REGISTRY


__all__ = ["REGISTRY", "Check", "check", "load_all"]
