"""botocore's bundled data (service models, endpoints), loaded once per process. Data, never a call.

One data loader is shared by every client the collector creates (`fargate_nb.aws.session`) and by
the task-definition linter's reading of the ECS model (`fargate_nb.taskdef.shape`): botocore
caches what a loader has parsed, so the ECS model (about a third of a second to parse) is parsed
once, not once per session.
"""

from __future__ import annotations

import threading
from typing import Any

_LOADER: Any = None
_LOCK = threading.Lock()


def shared_loader() -> Any:
    """The process's botocore data loader (`botocore.loaders.Loader`), created on first use."""
    global _LOADER
    with _LOCK:
        if _LOADER is None:
            import botocore.loaders

            _LOADER = botocore.loaders.create_loader()
        return _LOADER


def service_model(service: str) -> Any:
    """botocore's model of ``service`` (a `botocore.model.ServiceModel`), from the shared loader."""
    from botocore.model import ServiceModel

    return ServiceModel(shared_loader().load_service_model(service, "service-2"), service_name=service)
