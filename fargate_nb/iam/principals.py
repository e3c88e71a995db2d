"""The Principal / NotPrincipal elements, and who the caller is.

A caller has several identities AWS can name ("IAM JSON policy elements: Principal"):
an assumed-role session is the session ARN, its role and its account; a role ARN (when the
session is not known) is the role and its account; a user is the user ARN and its account; a
service principal is just its service name. A Principal element matches when it names any of
the caller's identities; NotPrincipal applies when at least one of them is *not* named (which is
why AWS asks a Deny + NotPrincipal to list the session, the role and the account together).

The kind of match matters to the evaluation logic ("Policy evaluation for requests within a
single account", resource-based policies table):
- ``session``: the policy names the caller itself (session ARN, user ARN) - not limited by an
  implicit deny in identity policies or a permissions boundary;
- ``role``: the policy names the role - not limited by identity policies but limited by a boundary;
- ``account``: the policy names the account - IAM policies in that account must also allow;
- ``service``: the policy names the calling service principal.
``"*"`` grants to the caller directly, so it counts as ``session`` for a session or user and as
``role`` when only the role ARN is known.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from fargate_nb.iam.model import PolicyError

_ACCOUNT = re.compile(r"^\d{12}$")
_ROOT = re.compile(r"^arn:([^:]+):iam::(\d{12}):root$")
_ROLE = re.compile(r"^arn:([^:]+):iam::(\d{12}):role/(?:.*/)?([^/]+)$")
_SESSION = re.compile(r"^arn:([^:]+):sts::(\d{12}):assumed-role/([^/]+)/(.+)$")
_USER = re.compile(r"^arn:([^:]+):iam::(\d{12}):user/(?:.*/)?([^/]+)$")
_FEDERATED_USER = re.compile(r"^arn:([^:]+):sts::(\d{12}):federated-user/(.+)$")
_ANY_ARN = re.compile(r"^arn:([^:]+):[^:]*:[^:]*:(\d{12})?:")
PRINCIPAL_TYPES = ("AWS", "Service", "Federated", "CanonicalUser")


@dataclass(frozen=True)
class Caller:
    """Who makes the request, split into the identities a policy can name."""

    raw: str
    kind: str  # "session", "role", "user", "federated-user", "root", "service", "other"
    account: str | None
    partition: str = "aws"
    role: tuple[str, str] | None = None  # (account, role name) for roles and their sessions
    user_arn: str | None = None  # for a federated-user session: the IAM user that federated

    @property
    def is_service(self) -> bool:
        return self.kind == "service"

    @property
    def principal_arn(self) -> str | None:
        """``aws:PrincipalArn``: for a role session, the role's ARN (path unknown: none)."""
        if self.kind == "session" and self.role:
            return f"arn:{self.partition}:iam::{self.role[0]}:role/{self.role[1]}"
        if self.kind in ("role", "user", "root"):
            return self.raw
        return None


@lru_cache(maxsize=1024)
def parse_caller(principal: str) -> Caller:
    text = (principal or "").strip()
    if m := _SESSION.match(text):
        return Caller(text, "session", m.group(2), m.group(1), role=(m.group(2), m.group(3)))
    if m := _ROLE.match(text):
        return Caller(text, "role", m.group(2), m.group(1), role=(m.group(2), m.group(3)))
    if m := _USER.match(text):
        return Caller(text, "user", m.group(2), m.group(1))
    if m := _ROOT.match(text):
        return Caller(text, "root", m.group(2), m.group(1))
    if _ACCOUNT.match(text):
        return Caller(f"arn:aws:iam::{text}:root", "root", text)
    if m := _FEDERATED_USER.match(text):
        user = f"arn:{m.group(1)}:iam::{m.group(2)}:user/{m.group(3)}"
        return Caller(text, "federated-user", m.group(2), m.group(1), user_arn=user)
    if text and not text.startswith("arn:") and "." in text:
        return Caller(text.lower(), "service", None)
    m = _ANY_ARN.match(text)
    return Caller(text, "other", m.group(2) if m else None, m.group(1) if m else "aws")


class PrincipalSet:
    """A compiled Principal (or NotPrincipal) element."""

    __slots__ = ("wildcard", "accounts", "roles", "arns", "services", "others")

    def __init__(self, element: Any) -> None:
        self.wildcard = False
        self.accounts: set[str] = set()
        self.roles: set[tuple[str, str]] = set()
        self.arns: set[str] = set()
        self.services: set[str] = set()
        self.others: set[str] = set()
        if element == "*":
            self.wildcard = True
            return
        if not isinstance(element, dict) or not element:
            raise PolicyError('Principal must be "*" or an object such as {"AWS": "arn:..."}')
        for ptype, values in element.items():
            if ptype not in PRINCIPAL_TYPES:
                raise PolicyError(f"unknown principal type {ptype!r} (expected one of {', '.join(PRINCIPAL_TYPES)})")
            items = values if isinstance(values, list) else [values]
            for value in items:
                if not isinstance(value, str) or not value.strip():
                    raise PolicyError(f"principal values under {ptype!r} must be non-empty strings")
                self._add(ptype, value.strip())

    def _add(self, ptype: str, value: str) -> None:
        if value == "*":
            if ptype == "AWS":
                self.wildcard = True
            else:
                self.others.add(f"{ptype}:*")
            return
        if "*" in value:
            raise PolicyError(
                f"wildcards are not allowed in a principal ({value!r}); use \"*\" with an "
                "aws:PrincipalArn condition instead"
            )
        if ptype == "Service":
            self.services.add(value.lower())
        elif ptype != "AWS":
            self.others.add(f"{ptype}:{value}")
        elif _ACCOUNT.match(value):
            self.accounts.add(value)
        elif m := _ROOT.match(value):
            self.accounts.add(m.group(2))
        elif m := _ROLE.match(value):
            self.roles.add((m.group(2), m.group(3)))
        elif value.startswith("arn:"):
            self.arns.add(value)
        else:
            raise PolicyError(f"{value!r} is not an account id or an ARN (AWS principal)")

    # -- matching ---------------------------------------------------------------------------------
    def _names(self, caller: Caller) -> list[tuple[str, bool]]:
        """(identity kind, is it named here) for each identity of the caller."""
        k = caller.kind
        if k == "service":
            return [("service", self.wildcard or caller.raw in self.services)]
        out = []
        if k in ("session", "user", "federated-user", "root", "other"):
            named = caller.raw in self.arns or (k == "root" and caller.account in self.accounts)
            out.append(("session", named or self.wildcard))
        if k in ("session", "role") and caller.role:
            out.append(("role", self.wildcard or caller.role in self.roles))
        if k == "federated-user" and caller.user_arn:
            out.append(("role", self.wildcard or caller.user_arn in self.arns))
        if k != "root" and caller.account:
            out.append(("account", self.wildcard or caller.account in self.accounts))
        return out

    def match(self, caller: Caller) -> str | None:
        """How this Principal element names the caller: session, role, account, service, or None."""
        names = self._names(caller)
        if self.wildcard:
            return names[0][0] if names else "session"
        for kind, named in names:  # strongest first
            if named:
                return kind
        return None

    def not_match(self, caller: Caller) -> str | None:
        """NotPrincipal: the statement applies when some identity of the caller is not listed.

        With Allow, the grant is as strong as the strongest unlisted identity: a role that is
        listed but whose account is not gets only an account-level grant.
        """
        names = self._names(caller)
        if not names:
            return "session"
        for kind, named in names:  # the strongest identity that is not listed is the one granted
            if not named:
                return kind
        return None
