"""Print and export requests from the console (PDFs, the USB bundle)."""

from __future__ import annotations

from . import protocol as p
from .protocol import ErrorCode, ProtocolError


async def handle(room, msg: p.Message) -> p.Message:
    raise ProtocolError(ErrorCode.NOT_FOUND, "printing and export are not available in this build")
