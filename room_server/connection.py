"""One WebSocket peer: its bounded send queue, its limits, and every frame it sends treated
as hostile until decoded and checked.

Each connection has a reader (app.websocket) and one writer task draining a bounded queue; a
client that falls too far behind is dropped, never buffered without end. A bad frame gets an
error reply naming what is wrong; the connection is closed only for abuse.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiohttp import WSCloseCode, web

import room_protocol as p
from room_protocol import BAD_FRAME_CODES, ErrorCode, ProtocolError

from .dispatch import Call, dispatch, prepare, run
from .handlers.proctor import check_proctor_key
from .handlers.session import seen
from .room import Room
from .storage import now_ms

log = logging.getLogger("synaq.server")

MAX_ERRORS = 50  # bad frames on one connection before it is closed as abuse
MAX_IN_FLIGHT = 64  # answers of one connection waiting for their commit
RATE_PER_S = 100.0  # frames a second one connection may send (a burst of 200 is fine)
RATE_BURST = 200.0


class Connection:
    """The room's view of one peer (`room.Peer`)."""

    def __init__(self, ws: web.WebSocketResponse, address: str):
        self.ws = ws
        self.address = address
        self.role: str | None = None
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=p.SEND_QUEUE_LIMIT)
        self.errors = 0
        self.closing = False
        self.in_flight: set[asyncio.Task] = set()
        self.tokens = RATE_BURST
        self.last_refill = asyncio.get_running_loop().time()

    def send(self, msg: p.Message, re: int | None = None) -> None:
        if self.closing:
            return
        try:
            self.queue.put_nowait(p.encode(msg, re))
        except asyncio.QueueFull:
            log.warning("dropping %s: it does not read its messages", self.address)
            self.close_soon(ErrorCode.TOO_FAST, "the client is not reading its messages")

    def close_soon(self, code: str, reason: str, re: int | None = None) -> None:
        """Sends the error that explains the close, then closes once it is out."""
        if self.closing:
            return
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(p.encode(p.Error(code, reason), re))
        self.closing = True
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(None)
        if self.queue.full():  # the writer may never drain: close from here
            asyncio.get_running_loop().create_task(self.ws.close(code=WSCloseCode.POLICY_VIOLATION))

    async def drained(self, timeout: float = 10.0) -> None:
        """Backpressure: the next frame is read only once the writer has caught up. Frames
        already buffered are handled without yielding to the writer, so without this a burst
        of requests filled the queue and a client that reads its replies was dropped."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.queue.qsize() > p.SEND_QUEUE_LIMIT // 2 and not self.closing and not self.ws.closed:
            if loop.time() > deadline:
                self.close_soon(ErrorCode.TOO_FAST, "the client is not reading its messages")
                return
            await asyncio.sleep(0.005)

    def allow_frame(self) -> bool:
        now = asyncio.get_running_loop().time()
        self.tokens = min(RATE_BURST, self.tokens + (now - self.last_refill) * RATE_PER_S)
        self.last_refill = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    async def writer(self) -> None:
        try:
            while True:
                frame = await self.queue.get()
                if frame is None:
                    break
                await self.ws.send_bytes(frame)
        except (ConnectionError, RuntimeError, asyncio.CancelledError):
            pass
        finally:
            if self.closing:
                with contextlib.suppress(Exception):
                    await self.ws.close(code=WSCloseCode.POLICY_VIOLATION)

    def reply_error(self, exc: ProtocolError, re: int | None) -> None:
        self.errors += exc.code in BAD_FRAME_CODES
        if exc.close:
            self.close_soon(exc.code, exc.reason, re)
        else:
            self.send(p.Error(exc.code, exc.reason, exc.extra.get("retry_after_s")), re)


async def handle_frame(room: Room, conn: Connection, data: bytes) -> None:
    re = None
    try:
        if not conn.allow_frame():
            too_fast = ProtocolError(ErrorCode.TOO_FAST, "too many messages; slow down")
            with contextlib.suppress(ProtocolError):  # the reply names the request, so the client retries it
                too_fast.request_id = p.decode(data, allowed=p.CLIENT_MESSAGES)[1]
            raise too_fast
        msg, re = p.decode(data, allowed=p.CLIENT_MESSAGES)
        seen(room, conn)
        if conn.role is None:
            if not isinstance(msg, p.Hello):
                raise ProtocolError(ErrorCode.NOT_HELLO, "say hello first")
            hello(room, conn, msg, re)
            return
        if isinstance(msg, p.Hello):
            raise ProtocolError(ErrorCode.WRONG_STATE, "hello was already said")
        if isinstance(msg, p.Answer) and conn.role == "student":
            # Answers do not wait for each other: they meet in the group commit.
            if len(conn.in_flight) >= MAX_IN_FLIGHT:
                raise ProtocolError(ErrorCode.TOO_FAST, "too many answers waiting; wait for the acks")
            handler, call = prepare(room, conn, conn.role, msg, re)
            task = asyncio.create_task(_run(room, handler, call, msg))
            conn.in_flight.add(task)
            task.add_done_callback(conn.in_flight.discard)
            return
        await dispatch(room, conn, conn.role, msg, re)
    except ProtocolError as exc:
        conn.reply_error(exc, re if re is not None else exc.request_id)
    except Exception:
        log.exception("handling a frame from %s", conn.address)
        conn.send(p.Error(ErrorCode.INTERNAL, "the server could not handle this message; nothing was changed"), re)


async def _run(room: Room, handler, call: Call, msg: p.Message) -> None:
    try:
        await run(room, handler, call, msg)
    except ProtocolError as exc:
        call.conn.reply_error(exc, call.re)
    except asyncio.CancelledError:
        pass
    except Exception:
        log.exception("saving an answer from %s", call.conn.address)
        call.conn.send(p.Error(ErrorCode.INTERNAL, "the answer could not be saved; send it again"), call.re)


def hello(room: Room, conn: Connection, msg: p.Hello, re: int | None) -> None:
    if msg.version != p.PROTOCOL_VERSION:
        raise ProtocolError(ErrorCode.VERSION, f"this server speaks protocol {p.PROTOCOL_VERSION}, not {msg.version}", close=True)
    if msg.role not in ("student", "proctor"):
        raise ProtocolError(ErrorCode.BAD_FIELD, "role must be student or proctor")
    if msg.role == "proctor" and not check_proctor_key(room, msg.key):
        raise ProtocolError(ErrorCode.FORBIDDEN, "wrong proctor key", close=True)
    conn.role = msg.role
    meta = room.meta
    conn.send(p.HelloOk(p.PROTOCOL_VERSION, now_ms(), meta.get("school", ""), meta.get("room", ""),
                        int(meta.get("grade", "0")), sorted(room.packs)), re)
