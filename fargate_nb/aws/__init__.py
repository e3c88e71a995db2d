"""Read-only access to AWS: sessions, the live-state collector, and discovery for pickers.

This package is the only part of the kit that calls boto3 (besides the sandbox provisioning).

>>> ctx = make_context(region="eu-west-1", profile="prod")
>>> snapshot = collect(ctx, cluster="web", task="0123456789abcdef0123456789abcdef")
"""

from fargate_nb.aws.collect import collect
from fargate_nb.aws.errors import AwsUnavailableError, InvalidInputError, SubjectNotFoundError
from fargate_nb.aws.session import AwsContext, make_context

__all__ = ["AwsContext", "AwsUnavailableError", "InvalidInputError", "SubjectNotFoundError", "collect",
           "make_context"]
