"""One WebSocket peer: its bounded send queue, its limits, and every frame it sends treated
as hostile until decoded and checked.

Each connection has a reader (app.websocket) and one writer task draining a bounded queue. The
limits (docs/protocol.md, "Frames"):
- frames: 100 a second per connection (bursts of 200); persistent excess closes it;
- before logging in: at most 40 frames per connection, and the frames of all not-logged-in
  connections of one address share a budget, so floods of `login` frames cannot crowd out
  the room;
- connections: at most 16 per address (the laptop itself excepted: the console and local
  tools; a browser seat counts at its browser's address, see origin.py);
- a client that does not read is dropped: 256 frames or 1 MiB queued, or one frame it has
  not taken in 10 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

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
MAX_TOO_FAST = 1000  # frames over the rate in a row before the connection is closed as a flood
MAX_FRAMES_BEFORE_LOGIN = 40  # a student connection that has not logged in by then is closed
ADDRESS_PRELOGIN_PER_S = 2.0  # not-logged-in frames a second one address may send, all connections
ADDRESS_PRELOGIN_BURST = 20.0  # (hello and a few mistyped logins fit; a flood does not)
MAX_PRELOGIN_WAIT_S = 30.0  # an address this far over its budget has its connection closed
MAX_CONNECTIONS_PER_ADDRESS = 16
MAX_QUEUED_BYTES = 1024 * 1024
SEND_TIMEOUT_S = 10.0
YIELD_EVERY = 16  # frames handled back to back before other connections get a turn


class TokenBucket:
    def __init__(self, rate: float, burst: float):
        self.rate, self.burst, self.tokens = rate, burst, burst
        self.last = time.monotonic()

    def _refill(self) -> None:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now

    def take(self) -> bool:
        self._refill()
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    def reserve(self) -> float:
        """Takes a token now or in the future: the seconds to wait before it is due."""
        self._refill()
        self.tokens -= 1
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate


class Addresses:
    """What one address may do, over all its connections. The laptop's own connections
    (`trusted`) are not counted at all: a browser on the laptop is counted at 127.0.0.1
    like any other computer, without the console's connections in its count."""

    def __init__(self) -> None:
        self.connections: dict[str, int] = {}
        self.prelogin: dict[str, TokenBucket] = {}

    def admit(self, conn: "Connection") -> bool:
        address = conn.address
        if conn.trusted:
            return True
        if self.connections.get(address, 0) >= MAX_CONNECTIONS_PER_ADDRESS:
            return False
        self.connections[address] = self.connections.get(address, 0) + 1
        return True

    def left(self, conn: "Connection") -> None:
        if conn.trusted:
            return
        address = conn.address
        count = self.connections.get(address, 1) - 1
        if count <= 0:
            self.connections.pop(address, None)
            self.prelogin.pop(address, None)
        else:
            self.connections[address] = count

    def prelogin_wait(self, conn: "Connection") -> float:
        """How long this not-logged-in frame must wait for its address's budget. The reader
        waits that long before taking the frame in: a flood is slowed by TCP itself, at no
        cost to anyone else, instead of being answered frame by frame."""
        if conn.trusted:
            return 0.0
        bucket = self.prelogin.get(conn.address)
        if bucket is None:
            bucket = self.prelogin[conn.address] = TokenBucket(ADDRESS_PRELOGIN_PER_S, ADDRESS_PRELOGIN_BURST)
        return bucket.reserve()


class Connection:
    """The room's view of one peer (`room.Peer`)."""

    def __init__(self, ws: web.WebSocketResponse, address: str, *, trusted: bool = False):
        self.ws = ws
        self.address = address  # and `trusted`: as origin.py decided them, for every rule
        self.trusted = trusted
        self.role: str | None = None
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=p.SEND_QUEUE_LIMIT)
        self.queued_bytes = 0
        self.errors = 0
        self.too_fast = 0
        self.frames = 0
        self.closing = False
        self.ended = asyncio.Event()  # the connection's handler has finished with it
        self.in_flight: set[asyncio.Task] = set()
        self.rate = TokenBucket(RATE_PER_S, RATE_BURST)

    def send(self, msg: p.Message, re: int | None = None) -> None:
        if self.closing:
            return
        frame = p.encode(msg, re)
        if self.queued_bytes + len(frame) > MAX_QUEUED_BYTES:
            self.drop("the client is not reading its messages")
            return
        try:
            self.queue.put_nowait(frame)
        except asyncio.QueueFull:
            self.drop("the client is not reading its messages")
            return
        self.queued_bytes += len(frame)

    def drop(self, reason: str) -> None:
        log.warning("dropping %s: %s", self.address, reason)
        self.close_soon(ErrorCode.TOO_FAST, reason)

    def close_soon(self, code: str, reason: str, re: int | None = None) -> None:
        """Sends the error that explains the close, then closes once it is out."""
        if self.closing:
            return
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(p.encode(p.Error(code, reason), re))
        self.closing = True
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(None)
        if self.queue.full() or self.queued_bytes >= MAX_QUEUED_BYTES:  # the writer may never drain
            asyncio.get_running_loop().create_task(self.ws.close(code=WSCloseCode.POLICY_VIOLATION))

    async def drained(self, timeout: float = SEND_TIMEOUT_S) -> None:
        """Backpressure: the next frame is read only once the writer has caught up. Frames
        already buffered are handled without yielding to the writer, so without this a burst
        of requests filled the queue and a client that reads its replies was dropped."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.queue.qsize() > p.SEND_QUEUE_LIMIT // 2 and not self.closing and not self.ws.closed:
            if loop.time() > deadline:
                self.drop("the client is not reading its messages")
                return
            await asyncio.sleep(0.005)

    async def writer(self) -> None:
        try:
            while True:
                frame = await self.queue.get()
                if frame is None:
                    break
                self.queued_bytes -= len(frame)
                try:  # a client that takes nothing in for this long is gone or hostile
                    await asyncio.wait_for(self.ws.send_bytes(frame), SEND_TIMEOUT_S)
                except asyncio.TimeoutError:
                    log.warning("dropping %s: it took no frame in %s s", self.address, SEND_TIMEOUT_S)
                    self.closing = True
                    break
        except (ConnectionError, RuntimeError, asyncio.CancelledError):
            pass
        finally:
            if self.closing:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self.ws.close(code=WSCloseCode.POLICY_VIOLATION), 2)

    def reply_error(self, exc: ProtocolError, re: int | None) -> None:
        self.errors += exc.code in BAD_FRAME_CODES
        if exc.close:
            self.close_soon(exc.code, exc.reason, re)
        else:
            self.send(p.Error(exc.code, exc.reason, exc.extra.get("retry_after_s")), re)


def logged_in(room: Room, conn: Connection) -> bool:
    return conn.role == "proctor" or room.student_of(conn) is not None


async def handle_frame(room: Room, conn: Connection, data: bytes, addresses: Addresses) -> None:
    conn.frames += 1
    if conn.frames % YIELD_EVERY == 0:
        await asyncio.sleep(0)  # one connection's backlog never holds the others up
    re = None
    try:
        if not conn.rate.take():
            conn.too_fast += 1
            if conn.too_fast > MAX_TOO_FAST:
                raise ProtocolError(ErrorCode.TOO_FAST, "far too many messages; the connection is closed", close=True)
            too_fast = ProtocolError(ErrorCode.TOO_FAST, "too many messages; slow down", retry_after_s=0.5)
            with contextlib.suppress(ProtocolError):  # the reply names the request, so the client retries it
                request_id = p.unpack_frame(data).get("id")
                too_fast.request_id = request_id if isinstance(request_id, int) and not isinstance(request_id, bool) else None
            raise too_fast
        conn.too_fast = 0
        if not logged_in(room, conn):
            if conn.frames > MAX_FRAMES_BEFORE_LOGIN:
                raise ProtocolError(ErrorCode.TOO_FAST, "log in first; the connection is closed", close=True)
            wait = addresses.prelogin_wait(conn)
            if wait > MAX_PRELOGIN_WAIT_S:
                raise ProtocolError(ErrorCode.BUSY, "too many logins from this computer; wait", close=True,
                                    retry_after_s=MAX_PRELOGIN_WAIT_S)
            if wait > 0:
                await asyncio.sleep(wait)
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
