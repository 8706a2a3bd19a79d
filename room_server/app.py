"""The aiohttp application: one WebSocket path, every frame treated as hostile.

Each connection has a reader (this handler) and one writer task draining a bounded queue;
a client that falls too far behind is dropped, never buffered without end. Any bad frame
gets an error reply naming what is wrong; the connection is closed only for abuse.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from pathlib import Path

from aiohttp import WSCloseCode, WSMsgType, web

from . import protocol as p
from .protocol import ErrorCode, ProtocolError
from .room import RoomService
from .storage import Storage, now_ms

log = logging.getLogger("synaq.server")

DATA_DIR = web.AppKey("data_dir", Path)
ROOM = web.AppKey("room", RoomService)
SOCKETS = web.AppKey("sockets", weakref.WeakSet)
ADDRESS = web.AppKey("address", str)

MAX_ERRORS = 50  # bad frames on one connection before it is closed as abuse
MAX_IN_FLIGHT = 64  # answers of one connection waiting for their commit
RATE_PER_S = 100.0  # frames a second one connection may send (a burst of 200 is fine)
RATE_BURST = 200.0

STUDENT_HANDLERS = {
    "login", "report_mistake", "confirm_data", "start", "answer", "goto", "next_subject", "open_subject",
    "take_break", "end_break", "finish_request", "finish", "questionnaire_start", "questionnaire_answer",
    "questionnaire_done",
}


class Connection:
    """One WebSocket peer: the room's view of it (`Peer`) and its bounded send queue."""

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


async def websocket(request: web.Request) -> web.WebSocketResponse:
    # aiohttp itself refuses frames far over the limit; between 1x and 4x we answer
    # too_large ourselves so the client learns why.
    ws = web.WebSocketResponse(heartbeat=p.HEARTBEAT_S, max_msg_size=p.MAX_FRAME_BYTES * 4)
    await ws.prepare(request)
    room = request.app[ROOM]
    conn = Connection(ws, request.remote or "?")
    request.app[SOCKETS].add(ws)
    writer = asyncio.create_task(conn.writer(), name=f"writer-{conn.address}")
    try:
        async for frame in ws:
            if conn.closing:
                break
            if frame.type == WSMsgType.BINARY:
                await handle_frame(room, conn, frame.data)
            elif frame.type == WSMsgType.TEXT:
                reply_error(conn, ProtocolError(ErrorCode.BAD_FRAME, "binary msgpack frames only"), None)
            elif frame.type == WSMsgType.ERROR:
                break
            if conn.errors > MAX_ERRORS:
                conn.close_soon(ErrorCode.BAD_FRAME, "too many bad frames; the connection is closed")
            if conn.queue.qsize() > p.SEND_QUEUE_LIMIT // 2:
                await conn.drained()
    finally:
        room.disconnected(conn)
        for task in list(conn.in_flight):
            task.cancel()
        with contextlib.suppress(asyncio.QueueFull):
            conn.queue.put_nowait(None)
        try:  # let the last replies (a closing error) go out, but never wait long
            await asyncio.wait_for(writer, timeout=2)
        except (asyncio.TimeoutError, asyncio.CancelledError):
            pass
        request.app[SOCKETS].discard(ws)
    return ws


def reply_error(conn: Connection, exc: ProtocolError, re: int | None) -> None:
    conn.errors += exc.code in (ErrorCode.BAD_FRAME, ErrorCode.TOO_LARGE, ErrorCode.UNKNOWN_TYPE,
                                ErrorCode.MISSING_FIELD, ErrorCode.UNKNOWN_FIELD, ErrorCode.BAD_FIELD,
                                ErrorCode.NOT_HELLO, ErrorCode.FORBIDDEN, ErrorCode.WRONG_STATE)
    if exc.close:
        conn.close_soon(exc.code, exc.reason, re)
    else:
        conn.send(p.Error(exc.code, exc.reason, exc.extra.get("retry_after_s")), re)


async def handle_frame(room: RoomService, conn: Connection, data: bytes) -> None:
    re = None
    try:
        if not conn.allow_frame():
            too_fast = ProtocolError(ErrorCode.TOO_FAST, "too many messages; slow down")
            with contextlib.suppress(ProtocolError):  # the reply names the request, so the client retries it
                too_fast.request_id = p.decode(data, allowed=p.CLIENT_MESSAGES)[1]
            raise too_fast
        msg, re = p.decode(data, allowed=p.CLIENT_MESSAGES)
        room.seen(conn)
        if conn.role is None:
            if not isinstance(msg, p.Hello):
                raise ProtocolError(ErrorCode.NOT_HELLO, "say hello first")
            await hello(room, conn, msg, re)
            return
        if isinstance(msg, p.Hello):
            raise ProtocolError(ErrorCode.WRONG_STATE, "hello was already said")
        if conn.role == "student":
            if msg.TYPE in p.PROCTOR_MESSAGES or msg.TYPE not in STUDENT_HANDLERS:
                raise ProtocolError(ErrorCode.FORBIDDEN, f"{msg.TYPE} is for the administrator only")
            if isinstance(msg, p.Answer):
                # Answers do not wait for each other: they meet in the group commit.
                if len(conn.in_flight) >= MAX_IN_FLIGHT:
                    raise ProtocolError(ErrorCode.TOO_FAST, "too many answers waiting; wait for the acks")
                task = asyncio.create_task(run_answer(room, conn, msg, re))
                conn.in_flight.add(task)
                task.add_done_callback(conn.in_flight.discard)
                return
            await student_message(room, conn, msg, re)
        else:
            await proctor_message(room, conn, msg, re)
    except ProtocolError as exc:
        reply_error(conn, exc, re if re is not None else exc.request_id)
    except Exception:
        log.exception("handling a frame from %s", conn.address)
        conn.send(p.Error(ErrorCode.INTERNAL, "the server could not handle this message; nothing was changed"), re)


async def run_answer(room: RoomService, conn: Connection, msg: p.Answer, re: int | None) -> None:
    try:
        await room.answer(conn, msg, re)
    except ProtocolError as exc:
        reply_error(conn, exc, re)
    except asyncio.CancelledError:
        pass
    except Exception:
        log.exception("saving an answer from %s", conn.address)
        conn.send(p.Error(ErrorCode.INTERNAL, "the answer could not be saved; it will be sent again"), re)


async def hello(room: RoomService, conn: Connection, msg: p.Hello, re: int | None) -> None:
    if msg.version != p.PROTOCOL_VERSION:
        raise ProtocolError(ErrorCode.VERSION, f"this server speaks protocol {p.PROTOCOL_VERSION}, not {msg.version}", close=True)
    if msg.role not in ("student", "proctor"):
        raise ProtocolError(ErrorCode.BAD_FIELD, "role must be student or proctor")
    if msg.role == "proctor" and not room.check_proctor_key(msg.key):
        raise ProtocolError(ErrorCode.FORBIDDEN, "wrong proctor key", close=True)
    conn.role = msg.role
    meta = room.meta
    conn.send(p.HelloOk(p.PROTOCOL_VERSION, now_ms(), meta.get("school", ""), meta.get("room", ""),
                        int(meta.get("grade", "0")), sorted(room.packs)), re)


async def student_message(room: RoomService, conn: Connection, msg: p.Message, re: int | None) -> None:
    match msg:
        case p.Login():
            await room.login(conn, msg, re)
        case p.ReportMistake():
            await room.report_mistake(conn, msg)
            conn.send(p.Ok(), re)
        case p.ConfirmData():
            await room.confirm_data(conn)
            conn.send(p.Ok(), re)
        case p.Start():
            await room.start(conn, re)
        case p.Goto():
            await room.goto(conn, msg)
            conn.send(p.Ok(), re)
        case p.NextSubject():
            await room.next_subject(conn, re)
        case p.OpenSubject():
            await room.open_subject(conn, msg, re)
        case p.TakeBreak():
            await room.take_break(conn, re)
        case p.EndBreak():
            student, _ = room._require(conn, "end_break")
            await room.end_break(conn, student.id, student.login, re)
        case p.FinishRequest():
            await room.finish_request(conn, re)
        case p.Finish():
            await room.finish(conn, msg, re)
        case p.QuestionnaireStart():
            await room.questionnaire_start(conn, re)
        case p.QuestionnaireAnswer():
            await room.questionnaire_answer(conn, msg, re)
        case p.QuestionnaireDone():
            await room.questionnaire_done(conn, re)


async def proctor_message(room: RoomService, conn: Connection, msg: p.Message, re: int | None) -> None:
    match msg:
        case p.Watch():
            room.proctors.add(conn)
            conn.send(room.room_message(), re)
            return
        case p.OpenSitting():
            await room.open_sitting()
        case p.CloseSitting():
            await room.close_sitting()
        case p.Attendance():
            await room.set_attendance(msg)
        case p.Slips():
            await room.set_slips(msg)
        case p.AnnounceBreak():
            await room.announce_break()
        case p.EndRoomBreak():
            await room.end_room_break()
        case p.Pause():
            await room.pause(msg)
        case p.Resume():
            await room.resume()
        case p.ExtraTime():
            await room.extra_time(msg)
        case p.ApproveLogin():
            await room.approve_login(msg)
        case p.Incident():
            conn.send(p.IncidentOk(await room.incident(msg)), re)
            return
        case p.ListIncidents():
            conn.send(p.Incidents(await room.incidents()), re)
            return
        case p.ListEvents():
            conn.send(p.Events(await room.events(msg.student, msg.limit)), re)
            return
        case p.GetProtocol():
            conn.send(await room.protocol_form(), re)
            return
        case p.SaveProtocol():
            await room.save_protocol(msg.fields)
        case p.Export() | p.Print() | p.ListDrives():
            from . import paperwork
            conn.send(await paperwork.handle(room, msg), re)
            return
        case _:
            raise ProtocolError(ErrorCode.FORBIDDEN, f"{msg.TYPE} is a student's message")
    conn.send(p.Ok(), re)


async def room_context(app: web.Application):
    storage = await Storage.open(app[DATA_DIR])
    room = RoomService(storage, app[DATA_DIR])
    try:
        await room.load()
        room.address = app[ADDRESS]
        room.start_background()
        app[ROOM] = room
        yield
    finally:
        await room.stop()
        await storage.close()


async def close_sockets(app: web.Application) -> None:
    for ws in list(app[SOCKETS]):
        await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutting down")


async def index(request: web.Request) -> web.Response:
    return web.Response(text="Synaq room server. Students connect with student-tui.\n")


def create_app(data_dir: Path, address: str = "") -> web.Application:
    app = web.Application()
    app[DATA_DIR] = Path(data_dir)
    app[ADDRESS] = address
    app[SOCKETS] = weakref.WeakSet()
    app.router.add_get(p.WS_PATH, websocket)
    app.router.add_get("/", index)
    app.cleanup_ctx.append(room_context)
    app.on_shutdown.append(close_sockets)
    return app
