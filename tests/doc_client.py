"""A client of the room written from docs/protocol.md alone: the standard library, aiohttp
and msgpack, nothing of Synaq's. If the protocol drifts from its page, this breaks.
"""

from __future__ import annotations

import asyncio
import itertools
import re
from typing import Any

import aiohttp
import msgpack

VERSION = 2
PUSHES = {"clock", "sitting", "result", "ended", "approval", "done", "seat", "sitting_changed", "event", "error"}


class DocError(Exception):
    def __init__(self, frame: dict):
        super().__init__(f"{frame.get('code')}: {frame.get('reason')}")
        self.code = frame.get("code")
        self.frame = frame


class DocClient:
    """One WebSocket; requests carry an "id", replies carry "re"; everything else is a push."""

    def __init__(self, address: str):
        self.url = f"ws://{address}/ws"
        self.ids = itertools.count(1)
        self.pushes: list[dict] = []
        self.session: aiohttp.ClientSession | None = None
        self.ws: aiohttp.ClientWebSocketResponse | None = None

    async def open(self, role: str, key: str | None = None) -> dict:
        self.session = aiohttp.ClientSession()
        self.ws = await self.session.ws_connect(self.url, max_msg_size=4 * 1024 * 1024)
        hello = {"version": VERSION, "role": role, "client": "doc-client/1"}
        if key is not None:
            hello["key"] = key
        return await self.call("hello", **hello)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.session is not None:
            await self.session.close()

    async def send_raw(self, data: bytes) -> None:
        await self.ws.send_bytes(data)

    async def receive(self, timeout: float = 10.0) -> dict:
        frame = await self.ws.receive(timeout=timeout)
        if frame.type != aiohttp.WSMsgType.BINARY:
            raise ConnectionError(f"the server sent {frame.type!r}")
        message = msgpack.unpackb(frame.data, raw=False)
        assert isinstance(message, dict) and isinstance(message.get("t"), str), message
        return message

    async def call(self, kind: str, **fields: Any) -> dict:
        """Sends a request and returns its reply; an error reply raises DocError."""
        request_id = next(self.ids)
        await self.ws.send_bytes(msgpack.packb({"t": kind, "id": request_id, **fields}, use_bin_type=True))
        while True:
            message = await self.receive()
            if message.get("re") == request_id:
                if message["t"] == "error":
                    raise DocError(message)
                return message
            assert "re" not in message, f"a reply to another request: {message}"
            self.pushes.append(message)

    async def push(self, kind: str, timeout: float = 10.0, **match: Any) -> dict:
        """The next push of this kind (from those already received, then the wire)."""
        for index, message in enumerate(self.pushes):
            if message["t"] == kind and all(message.get(k) == v for k, v in match.items()):
                return self.pushes.pop(index)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            message = await self.receive(max(0.1, deadline - loop.time()))
            if message["t"] == kind and all(message.get(k) == v for k, v in match.items()):
                return message
            self.pushes.append(message)


def solve(question: str) -> str:
    """The finish example: "7 + 5" or "12 − 3" (the minus may be U+2212)."""
    a, op, b = re.fullmatch(r"\s*(\d+)\s*([+−-])\s*(\d+)\s*", question).groups()
    return str(int(a) + int(b) if op == "+" else int(a) - int(b))


def a_value(item: dict) -> Any:
    """An answer of the right shape for the item (docs: "Answer values")."""
    if item["kind"] == "single":
        return "A"
    if item["kind"] == "multiple":
        return ["A", "B"]
    if item["kind"] == "matching":
        return {str(n): "A" for n in range(1, len(item["left"]) + 1)}
    return "12" if item.get("answer_type") == "number" else "жауап"
