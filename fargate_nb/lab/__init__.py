"""Workshop scenarios and the local sandbox: a moto server on 127.0.0.1 with a broken Fargate setup.

The lab provisions environments and applies fixes; it never diagnoses (that is
`fargate_nb.investigation`). Its modules depend in one direction: `sandbox`, `spec` (data and
types) <- `context` <- `network`, `resources` (provisioning steps) <- `build` (provision, run a
task) <- `fixes` <- `scenarios` <- `state` (a scenario kept up in a sandbox).
"""

from fargate_nb.lab.sandbox import Sandbox

__all__ = ["Sandbox", "EnvSpec", "Provisioned", "ProvisionError", "provision", "run_task", "get_scenario",
           "SCENARIOS", "DEFAULT_SCENARIO"]

_LAZY = {
    "EnvSpec": "spec", "Provisioned": "spec", "ProvisionError": "spec", "ContainerSecret": "spec",
    "provision": "build", "run_task": "build",
    "get_scenario": "scenarios", "SCENARIOS": "scenarios", "DEFAULT_SCENARIO": "scenarios",
}


def __getattr__(name: str):  # lazy: importing the sandbox alone must stay cheap
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'fargate_nb.lab' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"fargate_nb.lab.{module}"), name)
