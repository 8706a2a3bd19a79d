"""One browser seat: its app process on the laptop and the browser tab attached to it.

Packets both ways are Textual's web-driver frames: one type byte (b"D" data, b"M" meta JSON,
b"P" packed), a 4-byte big-endian length, the payload. The tab speaks textual.js's JSON
envelopes (["stdin", text], ["resize", {...}], ["ping", x], ["focus"], ["blur"]) and gets
the terminal's bytes as binary frames.

A tab that goes away leaves the process running for a grace period: a network blip of the
student's computer, or a reload, attaches the next tab to the same process and screen.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from pathlib import Path

from aiohttp import WSCloseCode, web

from .launcher import SeatProcess

log = logging.getLogger("synaq.seats")

READY_LINE = b"__GANGLION__\n"
START_TIMEOUT_S = 20.0  # from fork to the driver's ready line, even on a busy laptop
MAX_PACKET = 4 * 1024 * 1024
MIN_SIZE, MAX_SIZE = 20, 400  # terminal columns/rows a tab may ask for
CLOSE_REPLACED = 4001  # another tab of the same browser took this seat
CLOSE_ENDED = 4002  # the seat's process ended (or was closed as idle)


def packet(kind: bytes, payload: bytes) -> bytes:
    return kind + len(payload).to_bytes(4, "big") + payload


def meta(data: dict) -> bytes:
    return packet(b"M", json.dumps(data).encode())


class Seat:
    def __init__(self, seat_id: str, address: str, state_dir: Path):
        self.id = seat_id
        self.address = address  # the browser's, as the bridge saw it when the seat was made
        self.state_dir = state_dir
        self.process: SeatProcess | None = None
        self.ws: web.WebSocketResponse | None = None
        self.logged_in = False
        self.started = asyncio.Event()  # the app's driver is running
        self.drawn = asyncio.Event()  # its first screen is drawn: no longer starting
        self.ended = asyncio.Event()
        self.launched_at: float | None = None  # when its process was handed over (for the log and the start slots)
        self.drawn_at: float | None = None
        self.last_input = time.monotonic()
        self.detached_at: float | None = time.monotonic()  # no tab yet
        self.size = (80, 24)
        self._pump: asyncio.Task | None = None
        self._write_lock = asyncio.Lock()

    # ------------------------------------------------------------------ the process

    async def start(self, process: SeatProcess, settings: dict) -> None:
        self.process = process
        self.launched_at = time.monotonic()
        process.writer.write(json.dumps(settings).encode() + b"\n")
        await process.writer.drain()
        self._pump = asyncio.create_task(self._run(), name=f"seat-{self.id[:8]}")

    async def _run(self) -> None:
        reader = self.process.reader
        try:
            line = await asyncio.wait_for(reader.readuntil(READY_LINE), START_TIMEOUT_S)
            if not line.endswith(READY_LINE):
                raise ValueError("no ready line")
            self.last_input = time.monotonic()  # idle from the first screen, not from the request
            if self.detached_at is not None:
                self.detached_at = self.last_input
            self.started.set()
            while True:
                head = await reader.readexactly(5)
                size = int.from_bytes(head[1:], "big")
                if size > MAX_PACKET:
                    raise ValueError(f"a packet of {size} bytes")
                payload = await reader.readexactly(size)
                if head[:1] == b"D":
                    await self._to_tab(payload)
                elif head[:1] == b"M":
                    self._on_meta(payload)
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        except asyncio.TimeoutError:
            log.error("seat %s: the app did not start within %.0f s", self.id[:8], START_TIMEOUT_S)
        except ValueError as exc:
            log.error("seat %s: bad output from the app (%s)", self.id[:8], exc)
        finally:
            self.ended.set()
            self.process.kill()
            if self.ws is not None:
                with contextlib.suppress(Exception):
                    await self.ws.close(code=CLOSE_ENDED, message=b"seat ended")

    def _on_meta(self, payload: bytes) -> None:
        try:
            data = json.loads(payload)
        except ValueError:
            return
        if data.get("type") != "seat":
            return
        if data.get("logged_in"):
            self.logged_in = True
        if data.get("drawn") and not self.drawn.is_set():
            self.drawn_at = time.monotonic()
            self.drawn.set()
            log.info("seat %s drew its first screen %.2f s after its start", self.id[:8], self.drawn_at - self.launched_at)

    async def first_screen(self) -> None:
        """Returns once the app has drawn its first screen, has ended, or START_TIMEOUT_S passed."""
        await wait_any((self.drawn, self.ended), START_TIMEOUT_S)

    async def _to_tab(self, data: bytes) -> None:
        ws = self.ws
        if ws is None or ws.closed:
            return  # no tab: the next one gets a full repaint
        try:
            await ws.send_bytes(data)
        except (ConnectionError, RuntimeError):
            pass

    async def send(self, data: bytes) -> None:
        if self.process is None or self.ended.is_set():
            return
        async with self._write_lock:
            try:
                self.process.writer.write(data)
                await self.process.writer.drain()
            except (ConnectionError, RuntimeError):
                pass

    async def stop(self, grace_s: float = 2.0) -> None:
        """Asks the app to quit; kills it if it has not within `grace_s`."""
        if self.process is None:
            return
        await self.send(meta({"type": "quit"}))
        try:
            await asyncio.wait_for(self.ended.wait(), grace_s)
        except asyncio.TimeoutError:
            self.process.kill()
        if self._pump is not None:
            with contextlib.suppress(asyncio.CancelledError, asyncio.TimeoutError):
                await asyncio.wait_for(self._pump, 2)

    # ------------------------------------------------------------------ the tab

    async def attach(self, ws: web.WebSocketResponse, width: int, height: int) -> None:
        old, self.ws = self.ws, ws
        self.detached_at = None
        if old is not None and not old.closed:
            await old.close(code=CLOSE_REPLACED, message=b"this seat is open in another tab")
        self.size = (clamp(width), clamp(height))
        # Only once the driver runs: its own first resize (80x24) must not come after the tab's.
        # A seat may first wait for a start slot (registry.py); a seat that never starts ends.
        await wait_any((self.started, self.ended), None)
        # A new xterm.js knows nothing: the size first, then the modes and the whole screen.
        await self.send(meta({"type": "resize", "width": self.size[0], "height": self.size[1]}))
        await self.send(meta({"type": "repaint"}))

    def detach(self, ws: web.WebSocketResponse) -> None:
        if self.ws is ws:
            self.ws = None
            self.detached_at = time.monotonic()

    async def from_tab(self, ws: web.WebSocketResponse, text: str) -> None:
        """One JSON envelope from textual.js; anything else is ignored."""
        try:
            envelope = json.loads(text)
        except ValueError:
            return
        if not isinstance(envelope, list) or not envelope or not isinstance(envelope[0], str):
            return
        kind, body = envelope[0], envelope[1] if len(envelope) > 1 else None
        if kind == "stdin" and isinstance(body, str):
            self.last_input = time.monotonic()
            await self.send(packet(b"D", body.encode("utf-8", "replace")))
        elif kind == "resize" and isinstance(body, dict):
            width, height = body.get("width"), body.get("height")
            if isinstance(width, int) and isinstance(height, int):
                self.size = (clamp(width), clamp(height))
                await self.send(meta({"type": "resize", "width": self.size[0], "height": self.size[1]}))
        elif kind == "ping" and isinstance(body, str):
            await ws.send_str(json.dumps(["pong", body[:40]]))
        elif kind in ("focus", "blur"):
            await self.send(meta({"type": kind}))


async def wait_any(events: tuple[asyncio.Event, ...], timeout: float | None) -> None:
    waits = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()


def clamp(value: int) -> int:
    return max(MIN_SIZE, min(MAX_SIZE, int(value)))


async def close_tab(ws: web.WebSocketResponse, code: int = WSCloseCode.GOING_AWAY, reason: str = "") -> None:
    with contextlib.suppress(Exception):
        await ws.close(code=code, message=reason.encode()[:120])
