"""Where a room connection comes from: the one place that decides the address the room's
protections count, and whether the peer is the laptop itself.

Every per-computer rule reads what this module decides, through `Connection.address` and
`Connection.trusted`: the connection caps and the pre-login budget (connection.py), password
checks (logins.py), the wrong-password throttle and its burst alert (sitting.py), and the
addresses the console shows.

- A browser seat: its app runs on the laptop and connects over loopback, so the socket says
  127.0.0.1 for every browser. The bridge knows the browser's address; it hands each seat
  process a header holding a secret made for this server run and that address. With the right
  secret the browser's address is the connection's, and the seat is never the laptop, even
  when the browser runs on the laptop: a flood from one browser is limited like a flood from
  one terminal computer.
- The laptop itself (the console, local tools): loopback without a valid header. Its many
  clients share one address, so it is exempt from the per-address limits (not from the
  throttle).
- Anyone else: the socket's address. A student's computer that sends the header does not know
  the secret; the header is ignored.
This module is the only place that makes or reads the header.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import secrets
from dataclasses import dataclass

log = logging.getLogger("synaq.server")

HEADER = "X-Synaq-Seat-For"
LAPTOP = frozenset({"127.0.0.1", "::1"})  # loopback as the room server's sockets report it


@dataclass(frozen=True)
class Origin:
    address: str  # the computer the room counts and shows
    trusted: bool  # the laptop itself: exempt from the per-address limits


def new_secret() -> str:
    return secrets.token_hex(32)


def header(secret: str, browser_address: str) -> dict[str, str]:
    """The handshake header a seat process sends with its room connection."""
    return {HEADER: f"{secret} {browser_address}"}


def normal(address: str | None) -> str:
    """One spelling per computer: an IPv4 address reached over an IPv6 socket is the IPv4 one."""
    if not address:
        return "?"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    mapped = getattr(ip, "ipv4_mapped", None)
    return str(mapped or ip)


def origin(remote: str | None, relay: str | None, secret: str | None) -> Origin:
    """The connection's origin from its socket's address and its `HEADER`, if any."""
    socket_address = normal(remote)
    if relay is not None and secret:
        given, _, address = relay.partition(" ")
        if hmac.compare_digest(given.encode(), secret.encode()):
            return Origin(normal(address.strip()), trusted=False)
        log.warning("a connection from %s sent a seat header with the wrong secret; ignored", socket_address)
    return Origin(socket_address, trusted=socket_address in LAPTOP)
