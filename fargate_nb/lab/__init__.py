"""Workshop scenarios and the local sandbox: a moto server on 127.0.0.1 with a broken Fargate setup."""

from fargate_nb.lab.sandbox import Sandbox

__all__ = ["Sandbox", "EnvSpec", "provision", "get_scenario", "SCENARIOS", "DEFAULT_SCENARIO"]


def __getattr__(name: str):  # lazy: importing the sandbox alone must stay cheap
    if name in ("EnvSpec", "provision"):
        from fargate_nb.lab import build

        return getattr(build, name)
    if name in ("get_scenario", "SCENARIOS", "DEFAULT_SCENARIO"):
        from fargate_nb.lab import scenarios

        return getattr(scenarios, name)
    raise AttributeError(name)
