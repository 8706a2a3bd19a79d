"""The link to the room: one WebSocket kept alive, requests and their replies, pushes.

It reconnects with backoff after any loss and then calls `_reconnected()`, which the
sessions above (student.py, proctor.py) use to log in again or watch again. The server's
pushes come out of `events` as protocol messages, plus `Connection` changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from dataclasses import dataclass

import aiohttp

import room_protocol as p
from room_protocol import ErrorCode, ProtocolError

log = logging.getLogger("synaq.client")

CLIENT_NAME = "synaq-client/1"


class ServerError(Exception):
    """The server refused a request: `code` from room_protocol.ErrorCode, a readable `reason`."""

    def __init__(self, code: str, reason: str, retry_after_s: float | None = None):
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason
        self.retry_after_s = retry_after_s


class Offline(Exception):
    """The server cannot be reached right now."""


@dataclass
class Connection:
    """Pushed to `events` when the link changes: online, offline, or reconnected."""

    online: bool
    reason: str = ""


def parse_address(address: str) -> str:
    """"HOST:PORT", "HOST" or a ws:// URL to the WebSocket URL."""
    address = address.strip()
    if address.startswith(("ws://", "wss://")):
        return address
    if address.startswith("http://"):
        address = address[len("http://"):]
    address = address.rstrip("/")
    if address.count(":") == 1:
        host, port = address.split(":")
        if not port.isdigit():
            raise ValueError(f"the port in {address!r} is not a number")
    elif address.startswith("["):
        host, port = address, "8765"
    else:
        host, port = address, "8765"
    if not host:
        raise ValueError("the address has no host")
    return f"ws://{host}:{port}{p.WS_PATH}"



class RoomLink:
    """The connection itself. `role` is "student" or "proctor" (the proctor's `key`)."""

    role = "student"

    def __init__(self, address: str, *, key: str | None = None, reconnect: bool = True,
                 client_name: str = CLIENT_NAME, local_address: str | None = None,
                 headers: dict[str, str] | None = None):
        self.url = parse_address(address)
        self.headers = dict(headers or {})  # sent with the WebSocket handshake (a browser seat's relay)
        self.address = address
        self.key = key
        self.reconnect = reconnect
        self.client_name = client_name
        self.local_address = local_address  # the address to connect from (tests and benchmarks)
        self.events: asyncio.Queue = asyncio.Queue(maxsize=10_000)
        self.hello: p.HelloOk | None = None
        self.online = False
        self.bytes_sent = 0
        self.bytes_received = 0
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future] = {}
        self._reader: asyncio.Task | None = None
        self._reconnector: asyncio.Task | None = None
        self._closed = False
        self._last_frame = 0.0  # monotonic time of the last frame from the server

    async def connect(self, timeout: float = 5.0) -> p.HelloOk:
        """Connects and says hello; raises Offline or ServerError."""
        if self._session is None:
            connector = aiohttp.TCPConnector(local_addr=(self.local_address, 0)) if self.local_address else None
            self._session = aiohttp.ClientSession(connector=connector)
        try:
            # Bounded: a link that silently drops packets would otherwise hold a connect
            # attempt for minutes of TCP retries, long after the link came back.
            self._ws = await asyncio.wait_for(
                self._session.ws_connect(self.url, headers=self.headers, heartbeat=p.HEARTBEAT_S, timeout=aiohttp.ClientWSTimeout(ws_close=2),
                                         max_msg_size=4 * 1024 * 1024, autoping=True), timeout)
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
            raise Offline(f"cannot reach the room at {self.address} ({exc.__class__.__name__})") from None
        self._reader = asyncio.create_task(self._read(self._ws), name="client-reader")
        hello = await self.request(p.Hello(p.PROTOCOL_VERSION, self.role, self.client_name, self.key), timeout=timeout)
        self.hello = hello
        self.online = True
        return hello

    async def close(self) -> None:
        self._closed = True
        for task in (self._reconnector, self._reader):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()
        if self._session is not None:
            await self._session.close()
        self.online = False

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        try:
            async for frame in ws:
                if frame.type != aiohttp.WSMsgType.BINARY:
                    continue
                self.bytes_received += len(frame.data)
                self._last_frame = time.monotonic()
                try:
                    msg, re = p.decode_server_frame(frame.data)
                except ProtocolError as exc:
                    log.warning("a frame from the server was not understood: %s", exc)
                    continue
                future = self._waiting.pop(re, None) if re is not None else None
                if future is not None and not future.done():
                    future.set_result(msg)
                else:
                    await self._push(msg)
        except Exception as exc:  # the link broke in some way: treat as offline
            log.info("connection lost: %s", exc)
        finally:
            if self._ws is ws:
                self._lost("the connection to the room was lost")

    def _drop_link(self) -> None:
        """Gives up on the current connection: the reader's end marks the client offline
        and starts reconnecting."""
        ws, reader = self._ws, self._reader
        if reader is not None and not reader.done():
            reader.cancel()
        if ws is not None and not ws.closed:
            asyncio.get_running_loop().create_task(ws.close())

    def _lost(self, reason: str) -> None:
        was_online = self.online
        self.online = False
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(Offline(reason))
        self._waiting.clear()
        self._link_lost()
        if was_online:
            self._emit(Connection(False, reason))
        if self.reconnect and not self._closed and (self._reconnector is None or self._reconnector.done()):
            self._reconnector = asyncio.create_task(self._reconnect_loop(), name="client-reconnect")

    async def _reconnect_loop(self) -> None:
        delay = 0.2
        while not self._closed:
            await asyncio.sleep(delay)
            try:
                await self.connect()
                await self._reconnected()
                self._emit(Connection(True, "reconnected"))
                return
            except (Offline, asyncio.TimeoutError):
                pass
            except ServerError as exc:
                if exc.code in p.RETRY_CODES:
                    # Passing (other logins failed from this address, a busy server): wait as
                    # told and log in again on a fresh link, instead of staying logged out.
                    delay = max(0.2, min(exc.retry_after_s or delay, 60.0))
                    if self._ws is not None:
                        with contextlib.suppress(Exception):
                            await self._ws.close()
                    continue
                self._emit(exc)  # e.g. awaiting approval, removed: the app decides
                return
            delay = min(delay * 2, 5.0)

    async def _reconnected(self) -> None:
        """After a new link and hello: what the session must do again (log in, watch)."""

    def _link_lost(self) -> None:
        """The link dropped: what the session must mark for sending again."""

    def _emit(self, event) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            self.events.put_nowait(event)

    async def _push(self, msg: p.Message) -> None:
        if isinstance(msg, p.Error) and msg.code in (ErrorCode.REPLACED, ErrorCode.REFUSED, ErrorCode.REMOVED):
            self.reconnect = False  # the server ended this connection on purpose
        self._emit(msg)

    async def request(self, msg: p.Message, timeout: float = 15.0) -> p.Message:
        """Sends and waits for the reply; an `error` reply raises ServerError."""
        if self._ws is None or self._ws.closed:
            raise Offline("not connected to the room")
        request_id = next(self._ids)
        future = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = future
        frame = p.encode_request(msg, request_id)
        try:
            await self._ws.send_bytes(frame)
        except (ConnectionError, RuntimeError, aiohttp.ClientError) as exc:
            self._waiting.pop(request_id, None)
            raise Offline(str(exc)) from None
        self.bytes_sent += len(frame)
        sent_at = time.monotonic()
        try:
            reply = await asyncio.wait_for(future, timeout)
        except asyncio.TimeoutError:
            if self._last_frame < sent_at:
                # Nothing at all came back (no reply, no clock push): the link is dead even if
                # no error says so (a half-open connection the heartbeat missed). Start over.
                self._drop_link()
            raise
        finally:
            self._waiting.pop(request_id, None)
        if isinstance(reply, p.Error):
            raise ServerError(reply.code, reply.reason, reply.retry_after_s)
        return reply

