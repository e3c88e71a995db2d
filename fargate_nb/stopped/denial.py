"""Which policy denied an action, as an AWS access-denied message says it.

AWS names the policy type in the message's last clause (IAM user guide, "Troubleshoot access denied
error messages", https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html):
``because no <type> allows the <action> action`` for an implicit denial, ``with an explicit deny in
a <type>`` for an explicit one, optionally followed by ``: <policy-arn>``. A denial by a VPC endpoint
policy may add ``transitively through a service control policy``. The kit reads identity policies,
boundaries, repository, secret and key policies and endpoint policies, but usually not the
organisation's service control policies (SCPs) or resource control policies (RCPs): a denial by one
of those is reported as such, with who must change it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# (kind, the policy type as AWS writes it (regex), the name used in explanations)
POLICY_TYPES: tuple[tuple[str, str, str], ...] = (
    ("identity", r"identity-based policy", "an identity-based policy"),
    ("resource", r"resource-based policy", "a resource-based policy"),
    ("boundary", r"permissions boundary", "a permissions boundary"),
    ("session", r"sessions? policy", "a session policy"),
    ("scp", r"service control policy", "a service control policy (SCP) of the AWS Organization"),
    ("rcp", r"resource control policy", "a resource control policy (RCP) of the AWS Organization"),
    ("vpc-endpoint", r"VPC endpoint policy", "a VPC endpoint policy"),
    ("trust", r"role trust policy", "the role trust policy"),
)
ORGANISATION_KINDS = ("scp", "rcp")
_TYPES = "|".join(f"(?P<{kind.replace('-', '_')}>{pattern})" for kind, pattern, _ in POLICY_TYPES)
_EXPLICIT = re.compile(rf"with an explicit deny in (?:an?|the) (?:{_TYPES})"
                       rf"(?P<through> transitively through a (?:service|resource) control policy)?"
                       r"(?::\s*(?P<arn>arn:[\w-]+:[\w-]+::?\d*:[\w/+=,.@:-]+))?", re.IGNORECASE)
_IMPLICIT = re.compile(rf"because no (?:{_TYPES}) allows(?: the (?P<action>[\w-]+:[\w*]+) action)?", re.IGNORECASE)
_ACTION = re.compile(r"not authorized to perform:? ([a-z0-9-]+:[A-Za-z0-9*]+)", re.IGNORECASE)


@dataclass(frozen=True)
class Denial:
    """The policy that refused an action, as the message names it."""

    kind: str  # identity | resource | boundary | session | scp | rcp | vpc-endpoint | trust
    explicit: bool  # "with an explicit deny in ..." (True) or "because no ... allows" (False)
    action: str | None  # e.g. "ecr:BatchGetImage"
    policy_arn: str | None = None  # when the message names the policy
    through: str | None = None  # "scp" / "rcp": a VPC endpoint denial that came through an organisation policy

    @property
    def policy(self) -> str:
        return next(name for kind, _, name in POLICY_TYPES if kind == self.kind)

    @property
    def organisation(self) -> bool:
        """Decided by an organisation policy the kit cannot usually read."""
        return self.kind in ORGANISATION_KINDS or self.through in ORGANISATION_KINDS

    def sentence(self) -> str:
        """What AWS said, in one sentence."""
        what = self.action or "the action"
        if self.explicit:
            said = f"{what} was refused by an explicit Deny in {self.policy}"
        else:
            said = f"{what} was refused because no statement in {self.policy} allows it (an implicit deny)"
        if self.through:
            said += (" (transitively through a service control policy)" if self.through == "scp" else
                     " (transitively through a resource control policy)")
        return said + (f": {self.policy_arn}" if self.policy_arn else "") + "."

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "policy": self.policy, "explicit": self.explicit, "action": self.action,
                "policy_arn": self.policy_arn, "organisation": self.organisation}


def parse_denial(text: str) -> Denial | None:
    """The denial an access-denied message describes, or None when it names no policy type."""
    found = _EXPLICIT.search(text)
    explicit = True
    if found is None:
        found = _IMPLICIT.search(text)
        explicit = False
    if found is None:
        return None
    kind = next(k for k, _, _ in POLICY_TYPES if found.group(k.replace("-", "_")))
    action = (found.groupdict().get("action") or None) if not explicit else None
    if action is None:
        before = _ACTION.findall(text[:found.start()])
        action = before[-1] if before else None
    through = found.groupdict().get("through")
    return Denial(kind, explicit, action, found.groupdict().get("arn"),
                  ("rcp" if through and "resource" in through.lower() else "scp") if through else None)
