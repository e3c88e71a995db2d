"""Ports of a TCP connection that reachability rules must let through.

Clients connect to HTTPS (443) from an *ephemeral* source port chosen by their operating system, and
the replies come back to it. Stateless network ACLs must allow those ports in; the range depends on
the client (https://docs.aws.amazon.com/vpc/latest/userguide/nacl-ephemeral-ports.html): Linux uses
32768-61000, Windows Server 2008 and later 49152-65535, and a NAT gateway 1024-65535. Opening
1024-65535 covers them all.
"""

from __future__ import annotations

HTTPS = 443
LINUX_EPHEMERAL = (32768, 61000)
WINDOWS_EPHEMERAL = (49152, 65535)
NAT_EPHEMERAL = (1024, 65535)  # a NAT gateway's source ports; also the range the fixes open


def client_ephemeral(os_family: str | None) -> tuple[int, int]:
    """The ephemeral port range of a client by OS family (``WINDOWS_SERVER_...`` or anything Linux)."""
    return WINDOWS_EPHEMERAL if str(os_family or "").upper().startswith("WINDOWS") else LINUX_EPHEMERAL
