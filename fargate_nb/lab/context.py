"""What every provisioning step and fix shares: boto3 clients for the sandbox, readable AWS errors,
and the state of one provisioning run (`BuildContext`)."""

from __future__ import annotations

import json
import string
import threading
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from fargate_nb.lab.spec import EnvSpec, ProvisionError

if TYPE_CHECKING:
    from fargate_nb.lab.sandbox import Sandbox

__all__ = ["BotoCoreError", "BuildContext", "ClientError", "describe_error", "lab_client"]


def describe_error(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        return f"{err.get('Code', 'Error')}: {err.get('Message', '')}".strip()
    return f"{type(exc).__name__}: {exc}"


_SESSION: Any = None
_CLIENTS: dict[tuple[str, str, str], Any] = {}
_CLIENTS_LOCK = threading.Lock()  # boto3 sessions are not thread-safe; the clients they make are


def lab_client(sandbox: Sandbox, service: str) -> Any:
    """A boto3 client for the sandbox, from one shared session.

    A fresh session per client reloads botocore's models each time (a third of a second for
    EC2), which would dominate provisioning; clients are cached per endpoint, service and region.
    """
    global _SESSION
    key = (sandbox.endpoint_url, service, sandbox.region)
    with _CLIENTS_LOCK:
        if key not in _CLIENTS:
            import boto3
            from botocore.config import Config

            _SESSION = _SESSION or boto3.session.Session()
            config = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5, read_timeout=60)
            _CLIENTS[key] = _SESSION.client(service, config=config, **sandbox.client_kwargs())
        return _CLIENTS[key]


class BuildContext:
    """Shared state of one provisioning run: clients, the account, and the ids made so far."""

    def __init__(self, sandbox: Sandbox, spec: EnvSpec) -> None:
        self.sandbox, self.spec = sandbox, spec
        self.region = sandbox.region
        self.step = "connect to the sandbox"
        try:
            self.account = self.client("sts").get_caller_identity()["Account"]
        except (ClientError, BotoCoreError) as exc:
            raise ProvisionError(f"cannot reach the sandbox at {sandbox.endpoint_url}: {describe_error(exc)}") from exc
        self.ids: dict[str, Any] = {"kms_keys": {}, "secrets": {}, "endpoints": {}}

    def client(self, service: str) -> Any:
        return lab_client(self.sandbox, service)

    def fill(self, document: Any) -> Any:
        """Fill ``${account}``-style placeholders in a policy document (a dict or list)."""
        values = {
            "account": self.account,
            "region": self.region,
            "repository_arn": self.ids.get("repository_arn") or "",
            "registry_secret_arn": self.ids.get("registry_secret_arn") or "",
            "kms_key_arn": self.ids["kms_keys"].get("secrets") or "",
            "log_group_arn": f"arn:aws:logs:{self.region}:{self.account}:log-group:{self.spec.log_group_name}:*",
            "execution_role_arn": self.ids.get("execution_role_arn") or "",
        }
        return json.loads(string.Template(json.dumps(document)).safe_substitute(values))


def tags(kind: str, name: str) -> list[dict[str, Any]]:
    return [{"ResourceType": kind, "Tags": [{"Key": "Name", "Value": name}]}]
