"""fargate_nb: find out why an AWS Fargate task cannot pull its image, and say what to change."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("fargate-nb")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+local"

__all__ = ["__version__"]
