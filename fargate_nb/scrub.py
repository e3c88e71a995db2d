"""Remove credentials from anything before it is stored or shown.

Stopped reasons carry presigned S3 URLs (``X-Amz-Signature``, ``X-Amz-Security-Token``), and
error messages can echo access keys. Evidence must travel without them.
"""

from __future__ import annotations

import re
from typing import Any

REDACTED = "REDACTED"

# URLs run to the next space or quote; a URL whose query string carries a signature, a credential,
# an expiry or a token is presigned (SigV4 or SigV2), and its whole query string goes. Matching a URL
# and then searching its query (instead of one regex with a lazy scan for the marker) keeps
# scrubbing linear in the length of the text, whatever it holds.
_URL = re.compile(r"https?://[^\s\"'<>]+", re.IGNORECASE)
_PRESIGNED_MARKERS = ("x-amz-", "signature=", "awsaccesskeyid=", "expires=", "token=", "signature%3d",
                      "awsaccesskeyid%3d", "expires%3d", "token%3d")
# key=value pairs for signature/credential/token parameters wherever they stand.
_SECRET_PARAM = re.compile(
    r"\b(X-Amz-Signature|X-Amz-Security-Token|X-Amz-Credential|Signature|AWSAccessKeyId|"
    r"aws_session_token|aws_secret_access_key|SessionToken|SecretAccessKey|password|authorizationToken)"
    r"(\s*[=:]\s*\"?)([^&\s\"',;]+)",
    re.IGNORECASE,
)
# Credentials in a URL's authority: scheme://user:password@host (a database URL in an environment
# variable, a registry mirror). The user stays (it names the account), the password goes.
_URL_PASSWORD = re.compile(r"\b([a-z][a-z0-9+.-]{1,20}://[^\s/:@\"'<>]+):[^\s/@\"'<>]+@", re.IGNORECASE)
# Access key ids (AKIA/ASIA + 16 upper-case alphanumerics).
_ACCESS_KEY = re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b")
# "Authorization: Bearer xxx" / "Basic xxx" headers.
_AUTH_HEADER = re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9+/=._~-]{16,}")

_SECRET_KEYS = {
    "secretaccesskey", "sessiontoken", "authorizationtoken", "password", "secretstring",
    "secretbinary", "aws_secret_access_key", "aws_session_token", "x-amz-security-token",
}


def _scrub_url(match: re.Match[str]) -> str:
    url = match.group(0)
    base, sep, query = url.partition("?")
    if not sep or not any(marker in query.lower() for marker in _PRESIGNED_MARKERS):
        return url
    kept = query.rstrip(":,;.")  # punctuation that ends the sentence is not part of the URL
    return f"{base}?{REDACTED}{query[len(kept):]}"


def scrub_text(text: str) -> str:
    """Return ``text`` with presigned query strings, signatures, tokens and access keys redacted."""
    if not text:
        return text
    text = _URL.sub(_scrub_url, text)
    text = _URL_PASSWORD.sub(lambda m: f"{m.group(1)}:{REDACTED}@", text)
    text = _SECRET_PARAM.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    text = _ACCESS_KEY.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    text = _AUTH_HEADER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    return text


def scrub_obj(value: Any) -> Any:
    """Scrub every string in a JSON-like structure; values under credential-like keys are dropped."""
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if isinstance(k, str) and k.lower() in _SECRET_KEYS and v not in (None, ""):
                out[k] = REDACTED
            else:
                out[k] = scrub_obj(v)
        return out
    if isinstance(value, (list, tuple)):
        return [scrub_obj(v) for v in value]
    return value


# -- values a task carries that no check needs -------------------------------------------------------
#: Log-driver options that are kept: the awslogs options the logs checks read. Any other driver's
#: options (a Splunk token, a Datadog API key...) are values the kit has no use for.
KEPT_LOG_OPTION_PREFIX = "awslogs-"


def redact_task_definition(td: Any) -> tuple[Any, list[str]]:
    """A copy of a task definition without the values no check needs, and what was redacted.

    Environment values, docker label values and non-awslogs log options go (names and keys stay):
    a plaintext ``DB_PASSWORD`` in a task definition must not travel in a snapshot or a report.
    """
    if not isinstance(td, dict):
        return td, []
    out = dict(td)
    counts = {"environment": 0, "dockerLabels": 0, "logOptions": 0}
    containers = []
    for c in td.get("containerDefinitions") or []:
        if not isinstance(c, dict):
            containers.append(c)
            continue
        c = dict(c)
        c["environment"], n = _redact_pairs(c.get("environment"))
        counts["environment"] += n
        if isinstance(c.get("dockerLabels"), dict) and c["dockerLabels"]:
            counts["dockerLabels"] += len(c["dockerLabels"])
            c["dockerLabels"] = {k: REDACTED for k in c["dockerLabels"]}
        log = c.get("logConfiguration")
        if isinstance(log, dict) and isinstance(log.get("options"), dict):
            options = {k: (v if str(k).startswith(KEPT_LOG_OPTION_PREFIX) else REDACTED) for k, v in log["options"].items()}
            counts["logOptions"] += sum(1 for k in options if not str(k).startswith(KEPT_LOG_OPTION_PREFIX))
            c["logConfiguration"] = {**log, "options": options}
        if c.get("environment") is None:
            c.pop("environment")
        containers.append(c)
    if "containerDefinitions" in td:
        out["containerDefinitions"] = containers
    return out, _said(counts)


def redact_task(task: Any) -> tuple[Any, list[str]]:
    """A copy of a DescribeTasks entry without the environment values of its run-task overrides."""
    if not isinstance(task, dict) or not isinstance(task.get("overrides"), dict):
        return task, []
    overrides = dict(task["overrides"])
    total = 0
    containers = []
    for c in overrides.get("containerOverrides") or []:
        if isinstance(c, dict) and c.get("environment") is not None:
            c = dict(c)
            c["environment"], n = _redact_pairs(c["environment"])
            total += n
        containers.append(c)
    if "containerOverrides" in overrides:
        overrides["containerOverrides"] = containers
    return {**task, "overrides": overrides}, _said({"override environment": total})


def _redact_pairs(pairs: Any) -> tuple[Any, int]:
    if not isinstance(pairs, list):
        return pairs, 0
    out, n = [], 0
    for pair in pairs:
        if isinstance(pair, dict) and pair.get("value") not in (None, "", REDACTED):
            pair = {**pair, "value": REDACTED}
            n += 1
        out.append(pair)
    return out, n


_WORDS = {"environment": "environment variable value(s)", "dockerLabels": "docker label value(s)",
          "logOptions": "log-driver option value(s) (not awslogs)",
          "override environment": "run-task override environment value(s)"}


def _said(counts: dict[str, int]) -> list[str]:
    return [f"{n} {_WORDS[k]}" for k, n in counts.items() if n]
