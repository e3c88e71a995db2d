"""What can go wrong talking to AWS, sorted into what the collector does about it.

- *not found*: the resource does not exist -> stored as ``None`` (a fact, not a gap);
- *denied* / *throttled* / anything else the service answers: a `Gap`, and collection goes on;
- *unreachable* (connection refused or reset, timed out, an answer that is not AWS's): a `Gap`
  for that call; only when no call at all was answered is the run *unavailable*;
- *unavailable* (no credentials, no region, unknown profile, credentials rejected, nothing answered
  as AWS): stop, CLI exit 3;
- bad user input (malformed ARN, unknown region): `InvalidInputError`, CLI exit 2.
"""

from __future__ import annotations

from botocore import exceptions as bce
from botocore.parsers import ResponseParserError


class AwsUnavailableError(RuntimeError):
    """No usable credentials, or AWS (or the sandbox) cannot be reached."""


class AwsConfigError(AwsUnavailableError):
    """The AWS configuration cannot be used: an unknown profile, no region (CLI exit 3)."""


class CredentialsRejectedError(AwsUnavailableError):
    """AWS answered that the credentials are not valid (also what a region not enabled for the account answers)."""


class UnexpectedResponseError(ResponseParserError):
    """An answer that is not in the service's own format (empty, truncated, not UTF-8, HTML ...).

    Raised from a ``before-parse`` hook, before botocore would turn it into an empty result.
    """


class SubjectNotFoundError(LookupError):
    """The task, service or cluster to diagnose does not exist (any more)."""


class InvalidInputError(ValueError):
    """A malformed ARN, id, region or endpoint given by the user."""


#: Error codes that mean "you may not call this" (per service spelling).
DENIED_CODES = frozenset({
    "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess",
    "AuthorizationError", "AuthorizationErrorException", "Forbidden", "ForbiddenException",
    "NotAuthorized", "NotAuthorizedException", "OptInRequired",
})

#: Error codes that mean "slow down"; botocore's adaptive mode already retried them.
THROTTLE_CODES = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottled",
    "RequestThrottledException", "TooManyRequestsException", "RequestLimitExceeded",
    "SlowDown", "ProvisionedThroughputExceededException", "BandwidthLimitExceeded",
    "LimitExceededException", "EC2ThrottledException", "PriorRequestNotComplete",
})

#: Error codes that mean "the resource does not exist".
NOT_FOUND_CODES = frozenset({
    "NoSuchEntity", "NoSuchEntityException", "RepositoryNotFoundException",
    "RepositoryPolicyNotFoundException", "LifecyclePolicyNotFoundException",
    "ImageNotFoundException", "ResourceNotFoundException", "ParameterNotFound", "NotFoundException",
    "ClusterNotFoundException", "ServiceNotFoundException",
})

#: Error codes that mean the credentials themselves are bad: nothing else will work either.
CREDENTIAL_CODES = frozenset({
    "InvalidClientTokenId", "UnrecognizedClientException", "ExpiredToken", "ExpiredTokenException",
    "AuthFailure", "SignatureDoesNotMatch", "InvalidAccessKeyId", "MissingAuthenticationToken",
    "IncompleteSignature", "InvalidSignatureException", "RequestExpired",
})

#: botocore exceptions that mean "cannot talk to AWS at all" (no credentials or configuration).
UNAVAILABLE_EXCEPTIONS: tuple[type[Exception], ...] = (
    bce.NoCredentialsError, bce.PartialCredentialsError, bce.CredentialRetrievalError,
    bce.TokenRetrievalError, bce.NoAuthTokenError, bce.NoRegionError, bce.ProfileNotFound,
    bce.MetadataRetrievalError,
)

#: botocore exceptions that mean "this call did not reach AWS" (after the retries): a gap for the
#: call; the run is unavailable only when no call at all was answered.
CONNECTION_EXCEPTIONS: tuple[type[Exception], ...] = (
    bce.EndpointConnectionError, bce.ConnectTimeoutError, bce.ProxyConnectionError, bce.SSLError,
    bce.ConnectionClosedError, bce.ReadTimeoutError, bce.ConnectionError, bce.HTTPClientError,
)


def classify_code(code: str) -> str:
    """``"not-found"``, ``"denied"``, ``"throttled"``, ``"credentials"`` or ``"error"``."""
    if code in NOT_FOUND_CODES or code.endswith(".NotFound"):
        return "not-found"
    if code in DENIED_CODES:
        return "denied"
    if code in THROTTLE_CODES:
        return "throttled"
    if code in CREDENTIAL_CODES:
        return "credentials"
    return "error"


def unavailable_message(exc: Exception) -> str:
    """A message that says what to do, for `AwsUnavailableError`."""
    if isinstance(exc, (bce.NoCredentialsError, bce.PartialCredentialsError)):
        return ("no AWS credentials found: set AWS_PROFILE or pass --profile, run `aws sso login`, "
                "or use the sandbox (`fargate-nb lab`)")
    if isinstance(exc, bce.ProfileNotFound):
        return f"{exc}: check --profile / AWS_PROFILE against ~/.aws/config"
    if isinstance(exc, CONNECTION_EXCEPTIONS):
        return f"cannot reach AWS: {exc} (check the network, --endpoint-url / AWS_ENDPOINT_URL and --region)"
    return f"cannot use AWS: {exc}"
