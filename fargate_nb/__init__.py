"""fargate_nb: find out why an AWS Fargate task cannot pull its image, and say what to change."""

import os
import sys

_DIST = "fargate_nb-"


def _installed_version() -> str:
    """The installed version, from the name of the package's ``.dist-info`` folder on ``sys.path``.

    Importing ``importlib.metadata`` and searching every distribution costs a tenth of a second
    or more at every start; the folder name (``fargate_nb-0.1.0.dist-info``) says the same.
    Anything unusual (several installs, a zip) is left to ``importlib.metadata``.
    """
    found = set()
    for entry in sys.path:
        try:
            with os.scandir(entry or ".") as names:
                found.update(n.name[len(_DIST):-len(".dist-info")] for n in names
                             if n.name.startswith(_DIST) and n.name.endswith(".dist-info"))
        except OSError:
            continue
    if len(found) == 1:
        return found.pop()
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("fargate-nb")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0.0.0+local"


__version__ = _installed_version()

__all__ = ["__version__"]
