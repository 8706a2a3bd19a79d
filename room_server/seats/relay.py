"""The browser's own address, carried from the bridge to the room without trusting anyone else.

A browser seat's app runs on the laptop and connects to the room over loopback, so the room
would see 127.0.0.1 for every browser. The bridge knows the browser's address; it hands each
seat process a header holding a secret made for this server run and that address. The room
takes the address from the header only when the secret matches: a student's computer that
sends the header itself does not know the secret and is seen at its own address. This module
is the only place that makes or reads the header.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import secrets

from aiohttp import web

log = logging.getLogger("synaq.server")

HEADER = "X-Synaq-Seat-For"


def new_secret() -> str:
    return secrets.token_hex(32)


def header(secret: str, browser_address: str) -> dict[str, str]:
    """The handshake header a seat process sends with its room connection."""
    return {HEADER: f"{secret} {browser_address}"}


def peer_address(request: web.Request, secret: str | None) -> str:
    """The address the room's protections count: the browser's for a seat, else the socket's."""
    remote = request.remote or "?"
    value = request.headers.get(HEADER)
    if value is None or not secret:
        return remote
    given, _, address = value.partition(" ")
    if not hmac.compare_digest(given.encode(), secret.encode()):
        log.warning("a connection from %s sent a seat header with the wrong secret; ignored", remote)
        return remote
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return remote
