"""Workshop scenarios and the local sandbox: a moto server on 127.0.0.1 with a broken Fargate setup."""

from fargate_nb.lab.sandbox import Sandbox

__all__ = ["Sandbox"]
