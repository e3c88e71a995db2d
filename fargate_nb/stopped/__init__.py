"""Classify a task's ``stoppedReason`` (or a container ``reason``) into a pull step and a cause.

A message is read in two passes. First its *context*: which part of the start-up produced it (the
execution-role assumption, ECR auth, a registry-credentials secret, container secrets from Secrets
Manager or SSM, the awslogs driver, the image pull itself). Then its *cause* from the raw error it
carries (``AccessDeniedException``, ``ResourceNotFoundException``, ``i/o timeout`` ...). Explicit
errors win over the boilerplate sentences ECS adds since 2024 ("There is a connection issue between
the task and ..."), so a boilerplate-only message still classifies, and a specific one is not misread.

Message shapes come from the AWS docs "CannotPullContainer task errors in Amazon ECS", "Troubleshoot
Amazon ECS ResourceInitializationError errors" and "Amazon ECS stopped task error messages", and from
the ECS agent's own formatters; `tests/test_stopped.py` lists them with their sources.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from fargate_nb.scrub import scrub_text
from fargate_nb.stopped import rules as R
from fargate_nb.stopped.denial import Denial, parse_denial

ECS_REASON_LIMIT = 255  # ECS cuts stoppedReason at 255 characters
MAX_TEXT = 4000  # the longest `text` returned; longer input is cut and flagged
_SCAN = 16_000  # classification reads at most this much of the input
CAUSES = ("permission", "network", "not-found", "auth-config", "rate-limit", "platform", "config", "resource",
          "unknown")

_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]+")
_URL_QUERY = re.compile(r"(https?://[^\s?#\"'<>`]+)[?#][^\s\"'<>`]*", re.IGNORECASE)
_SIGNING_WORDS = re.compile(r"X-Amz-(?:Signature|Credential|Security-Token|Date|Algorithm|SignedHeaders|Expires)",
                            re.IGNORECASE)


@dataclass
class Explanation:
    """What a stopped reason means. ``text`` is scrubbed plain text; everything else is derived from it."""

    step: str | None  # a pull-flow step id, or None when the message is not about a pull step
    cause: str  # one of CAUSES
    summary: str  # one sentence for the on-call engineer
    finding_ids: list[str] = field(default_factory=list)  # DESIGN.md finding ids that can confirm it
    target: str | None = None  # network service implied: ecr.api, ecr.dkr, s3, logs, secretsmanager, ssm, or a host
    text: str = ""
    truncated: bool = False
    wording: str | None = None  # "2024+" | "legacy" | None (not recognised)
    category: str | None = None  # e.g. CannotPullContainerError, ResourceInitializationError
    advice: str = ""  # where to look next
    source: str | None = None  # classify_task: which field was chosen
    stop_code: str | None = None
    denial: dict[str, Any] | None = None  # the policy type that denied (Denial.to_dict()), for access-denied messages

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if data["denial"] is None:
            del data["denial"]  # only access-denied messages that name a policy type carry it
        return data


def clean(message: str | None, limit: int = MAX_TEXT) -> str:
    """Plain, single-line, scrubbed text: no ANSI/control characters, no URL query strings, no signatures."""
    text = str(message or "")[:_SCAN]
    text = _ANSI.sub("", text)
    text = _CONTROL.sub(" ", text)
    text = re.sub(r" {2,}", " ", text).strip()
    text = _URL_QUERY.sub(r"\1", text)  # presigned S3 URLs lose their query string entirely
    text = scrub_text(text)
    text = _SIGNING_WORDS.sub("[signing parameter removed]", text)
    return text[:limit]


def explain(message: str | None, registry_secrets: tuple[str, ...] | list[str] = ()) -> Explanation:
    """What a stopped reason means: step, cause, summary, and the finding ids that can confirm it.

    ``registry_secrets`` are the task's ``repositoryCredentials.credentialsParameter`` values (ARNs or
    names): a Secrets Manager failure that names one of them is the registry-auth step, not secrets.
    """
    raw = str(message or "") if not isinstance(message, str) else message
    text = clean(raw)
    truncated = len(raw) > MAX_TEXT or len(raw.rstrip()) == ECS_REASON_LIMIT
    if not text:
        return Explanation(None, "unknown", "No stopped reason was given.", text=text, truncated=truncated)
    scan = clean(raw, _SCAN).replace("\u2019", "'")
    category_match = R.CATEGORY.search(scan)
    category = category_match.group(1) if category_match else None
    context, step, default_target = _context(scan)
    if context == "asm" and _names_registry_secret(scan, registry_secrets):
        context, step, default_target = "registry-secret", "registry-auth", "secretsmanager"
    if context is None:
        return Explanation(None, "unknown", "Not a message this kit recognises; it may not be about the image "
                           "pull.", text=text, truncated=truncated, category=category,
                           advice="Run fargate-nb diagnose to check every prerequisite of the pull.")
    target = _target(scan, default_target)
    cause, also = _cause(scan, context, target)
    step, context = _refine(context, step, cause, scan, target)
    ids, summary, advice = R.TABLE.get((context, cause)) or _generic(context, step, cause)
    ids = list(ids)
    if cause == "network":
        target = target or ("s3" if step == "layers" else None)
        ids = _network_ids(target)
    elif cause == "permission" and target == "s3" and context != "envfiles":
        ids = ["net.endpoint-policy"]  # a layer download refused: presigned URLs meet only the endpoint policy
    elif cause == "permission":
        action = R.ACTION.search(scan)
        ids = _ids_for_action(action.group(1) if action else ("kms:decrypt" if R.KMS.search(scan) else ""), ids)
    for extra in also:  # boilerplate that names a second possible cause (2024+ logs wording)
        extra_ids = _network_ids(target) if extra == "network" else R.TABLE.get((context, extra), ([], "", ""))[0]
        ids += [i for i in extra_ids if i not in ids]
    if cause == "rate-limit" and target is None:
        target = "registry-1.docker.io" if R.rx(r"docker|pull rate limit|too many requests\.").search(scan) else None
    if cause == "permission" and R.rx(r"access to kms is not allowed|KMSAccessDenied|ciphertext refers to a customer "
                                      r"master key").search(scan):
        summary += (" The secret's KMS key refused the decryption: kms:Decrypt is not allowed (by the role's "
                    "policies or the key policy).")
    denial = parse_denial(scan) if cause == "permission" else None
    if denial is not None:
        ids, summary, advice = _denied(denial, context, ids, summary, advice)
    keep_target = cause in ("network", "rate-limit") or "network" in also or (cause == "permission" and target == "s3")
    wording = "2024+" if R.NEW_WORDING.search(scan) else "legacy"
    return Explanation(step, cause, summary, ids, target if keep_target else None, text, truncated, wording,
                       category, advice, denial=denial.to_dict() if denial else None)


def _names_registry_secret(scan: str, registry_secrets: tuple[str, ...] | list[str]) -> bool:
    """The message names one of the task's registry-credentials secrets (by ARN, or by name)."""
    for ref in registry_secrets or ():
        ref = str(ref or "")
        if not ref:
            continue
        name = ref.split(":secret:", 1)[-1] if ":secret:" in ref else ref
        if ref in scan or re.search(rf":secret:{re.escape(name)}(?:-[A-Za-z0-9]{{6}})?\b", scan):
            return True
    return False


def _denied(denial: Denial, context: str, ids: list[str], summary: str, advice: str) -> tuple[list[str], str, str]:
    """Route an access denial to the finding that can confirm it, by the policy type AWS named."""
    said = "AWS says " + denial.sentence()[0].lower() + denial.sentence()[1:]
    if denial.organisation:
        which = "service control policies (SCPs)" if "scp" in (denial.kind, denial.through) else \
            "resource control policies (RCPs)"
        return [], (f"{said} The kit cannot read the AWS Organization's {which}, so no check here can confirm or "
                    "clear it, and the role's own policies may well allow the call."), \
            (f"Ask your organisation's administrators to change the policy, or exempt the execution role (or the "
             f"resource) from it, for {denial.action or 'the action'}; nothing in this account can override it.")
    service = (denial.action or "").split(":", 1)[0].lower()
    action = denial.action or "the action"
    where = {"ecr": "the repository policy", "kms": "the key policy", "secretsmanager": "the secret's resource policy",
             "s3": "the bucket policy"}.get(service, "the resource's policy")
    fix = {
        "vpc-endpoint": f"Allow {action} in the policy of the VPC endpoint the task uses, or remove the Deny there.",
        "trust": "Let ecs-tasks.amazonaws.com assume the execution role in its trust policy.",
        "resource": f"{'Remove the Deny for' if denial.explicit else 'Add a statement allowing'} {action} for the "
                    f"execution role in {where} (its owner makes the change).",
        "boundary": f"The execution role's permissions boundary must allow {action} too"
                    + (" (remove the Deny in it)." if denial.explicit else "."),
        "session": f"The session policy passed when the role is assumed must allow {action}.",
        "identity": (f"Remove or narrow the Deny for {action} in the execution role's policies." if denial.explicit
                     else advice),
    }[denial.kind]
    if denial.kind == "vpc-endpoint":
        routed = ["net.endpoint-policy"]
    elif denial.kind == "trust":
        routed = ["exec-role.trust"]
    elif denial.kind == "resource":
        first = {"ecr": "ecr.repo-policy", "kms": "iam.kms-decrypt",
                 "secretsmanager": "iam.registry-secret" if context == "registry-secret" else "iam.secrets"}.get(service)
        routed = [first] if first else [i for i in ids if not i.startswith("iam.")]
    else:  # identity-based, permissions boundary, session policy: the execution role's own side
        routed = [i for i in ids if i not in ("ecr.repo-policy", "net.endpoint-policy")]
    return routed, f"{summary} {said}", fix


def _context(scan: str) -> tuple[str | None, str | None, str | None]:
    for name, step, pattern, target in R.CONTEXTS:
        if pattern.search(scan):
            return name, step, target
    return None, None, None


def _cause(scan: str, context: str, target: str | None) -> tuple[str, list[str]]:
    """The cause, and any second cause the 2024+ boilerplate leaves open."""
    if context == "assume-role":
        return "permission", []
    if context == "not-pull":
        return ("resource" if R.rx(r"OutOfMemory|killed due to memory").search(scan) else "unknown"), []
    if context == "eni":
        return "network", []
    if context == "start":  # the runtime's own errors (missing entry point ...) are not about the pull
        return ("platform" if dict(R.STRONG)["platform"].search(scan) else "unknown"), []
    weak = [cause for cause, pattern in R.WEAK if pattern.search(scan)]
    for cause, pattern in R.STRONG:
        if pattern.search(scan):
            if context == "pull" and cause == "auth-config" and target == "ecr.dkr" and R.rx(
                    r"requested access to the resource is denied|pull access denied|repository does not exist"
            ).search(scan) and not R.rx(r"no basic auth credentials|unauthori[sz]ed").search(scan):
                return "not-found", []  # the ECS agent reads this from ECR as "the image does not exist"
            return cause, [w for w in weak if w != cause]
    if weak:
        return weak[0], weak[1:]
    return "unknown", []


def _refine(context: str, step: str | None, cause: str, scan: str, target: str | None) -> tuple[str | None, str]:
    """Adjust the step: layers come from S3, credentials belong to registry-auth, the denied action decides."""
    action = (R.ACTION.search(scan) or [None, ""])[1].lower() if cause == "permission" else ""
    if action == "ecr:getauthorizationtoken":
        return "registry-auth", "ecr-auth"
    if action in ("ecr:batchgetimage", "ecr:batchchecklayeravailability"):
        return "manifest", "pull"
    if action == "ecr:getdownloadurlforlayer":
        return "layers", "pull"
    if context == "pull":
        if cause == "resource" or target == "s3" or (_blob_work(scan) and cause != "auth-config"):
            return "layers", context
        if cause == "auth-config":
            return "registry-auth", context
        if target == "ecr.api":
            return "registry-auth", "ecr-auth"
    if context == "start" and cause == "platform":
        return "manifest", "pull"  # "exec format error": the image was built for another architecture
    return step, context




def _blob_work(scan: str) -> bool:
    """A layer or blob transfer (the image config is a blob too), unless the failing URL is a manifest."""
    if not R.BLOB_WORK.search(scan):
        return False
    urls = [u for u in R.REQUEST_URL.findall(scan) if "/v2/" in u or "starport" in u]
    return not (urls and "/manifests/" in urls[-1])


def _generic(context: str, step: str | None, cause: str) -> tuple[list[str], str, str]:
    where = f"The '{step}' step" if step else "Task start-up"
    return [], f"{where} failed: {R.CAUSE_WORDS.get(cause, cause)}.", \
        "Run fargate-nb diagnose to check every prerequisite of the pull."


def _target(scan: str, default: str | None) -> str | None:
    """The service behind the failing request: the last registry or AWS host the message names.

    Registry requests (``/v2/`` URLs, DNS lookups, image references) and AWS service hosts count first, so an
    advisory link at the end of a message (``https://www.docker.com/increase-rate-limit``) is not mistaken
    for the failing request.
    """
    strong: list[str] = []
    weak: list[str] = []
    for m in R.HOSTS.finditer(scan):
        url_host, v2, lookup, ref = m.groups()
        host = (url_host or lookup or ref or "").lower()
        if host.split(":", 1)[0] in R.ADVISORY_HOSTS:
            continue  # a documentation link in the message, not the failing request
        service = _service_for_host(host)
        if not service:
            continue
        requested = bool(v2 or lookup or ref) or service in R.AWS_TARGETS | {"s3", "registry-1.docker.io"}
        (strong if requested else weak).append(service)
    return (strong or weak or [default])[-1]


def _service_for_host(host: str) -> str | None:
    host = host.split(":", 1)[0].rstrip(".")
    if re.fullmatch(r"[\d.]+", host) or "." not in host:
        return None  # an IP address says nothing about the service
    for pattern, service in ((r"(^|\.)api\.ecr\.|^ecr\.[a-z0-9-]+\.amazonaws", "ecr.api"), (r"\.dkr\.ecr\.", "ecr.dkr"),
                             (r"starport-layer-bucket|(^|\.)s3[.-]", "s3"), (r"^logs\.", "logs"),
                             (r"^secretsmanager\.", "secretsmanager"), (r"^ssm\.", "ssm")):
        if re.search(pattern, host):
            return service
    if host in ("docker.io", "index.docker.io", "registry-1.docker.io", "auth.docker.io", "production.cloudflare."
                "docker.com"):
        return "registry-1.docker.io"
    if host.endswith(".amazonaws.com") or host.endswith(".amazonaws.com.cn"):
        return None
    return host


def _network_ids(target: str | None) -> list[str]:
    if target == "s3":
        return list(R.S3_NET)
    if target is None or target in R.AWS_TARGETS:
        return list(R.INTERFACE_NET)
    return list(R.INTERNET_NET)


def _ids_for_action(action: str, ids: list[str]) -> list[str]:
    """The denied action named in the message picks the finding that can confirm it."""
    service, _, name = action.lower().partition(":")
    first = {"kms": "iam.kms-decrypt", "logs": "iam.logs", "ssm": "iam.secrets",
             "s3": "iam.environment-files"}.get(service)
    if service == "ecr":
        first = "iam.ecr-auth" if name == "getauthorizationtoken" else "iam.ecr-pull"
    if service == "secretsmanager":
        first = "iam.registry-secret" if "iam.registry-secret" in ids[:1] else "iam.secrets"
    if first is None:
        return ids
    return [first, *[i for i in ids if i != first]]


def _score(e: Explanation) -> tuple[int, int, int, int]:
    return (e.step is not None, e.cause != "unknown", bool(e.finding_ids), not e.truncated)


def classify_task(task: dict[str, Any], registry_secrets: tuple[str, ...] | list[str] = ()) -> Explanation:
    """The most specific explanation among a DescribeTasks task's stoppedReason and container reasons."""
    if not isinstance(task, dict):
        return explain(None)
    candidates: list[tuple[str, Any]] = [("stoppedReason", task.get("stoppedReason"))]
    for i, c in enumerate(task.get("containers") or []):
        if isinstance(c, dict):
            candidates.append((f"containers[{c.get('name') or i}].reason", c.get("reason")))
    best: Explanation | None = None
    for source, message in candidates:
        if not message:
            continue
        found = explain(message if isinstance(message, str) else str(message), registry_secrets)
        found.source = source
        if best is None or _score(found) > _score(best):
            best = found
    best = best or explain(None)
    code = task.get("stopCode")
    best.stop_code = clean(code, 64) if code else None
    if best.cause == "unknown" and best.step is None and best.stop_code == "TaskFailedToStart" and \
            best.summary.startswith("No stopped reason"):
        best.summary = "The task failed to start (stopCode TaskFailedToStart) and ECS gave no reason."
    return best
