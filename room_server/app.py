"""The aiohttp application: the room's WebSocket path and its life cycle, and for a day of
streams (room_server.day) the switch from one stream's room to another's."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from pathlib import Path

from aiohttp import WSCloseCode, WSMsgType, web

import room_protocol as p
from room_protocol import ErrorCode, ProtocolError

from . import day as day_rules
from . import handlers  # noqa: F401 — registers every message's handler
from . import origin, ticker
from .connection import MAX_ERRORS, Addresses, Connection, handle_frame
from .handlers.session import disconnected
from .room import Room
from .storage import Database
from .storage.readonly import room_facts

SWITCH_WAIT_S = 10.0  # how long a stream switch waits for the old connections to end


class Served:
    """The room being served now (for a day of streams: the live stream's room)."""

    def __init__(self) -> None:
        self.room: Room | None = None
        self.switching = False
        self.connections: set[Connection] = set()


DATA_DIR = web.AppKey("data_dir", Path)
SERVED = web.AppKey("served", Served)
SOCKETS = web.AppKey("sockets", weakref.WeakSet)
ADDRESS = web.AppKey("address", str)
ADDRESSES = web.AppKey("addresses", Addresses)
BROWSER_URL = web.AppKey("browser_url", str)  # where browsers open a seat ("" without browser seats)
SEAT_SECRET = web.AppKey("seat_secret", str)  # made per run; see origin.py


async def websocket(request: web.Request) -> web.WebSocketResponse:
    # aiohttp itself refuses frames far over the limit (close 1009); up to 4x, 256 KiB
    # included, we answer too_large ourselves so the client learns why.
    ws = web.WebSocketResponse(heartbeat=p.HEARTBEAT_S, max_msg_size=p.MAX_FRAME_BYTES * 4 + 1)
    await ws.prepare(request)
    served = request.app[SERVED]
    room = served.room
    source = origin.origin(request.remote, request.headers.get(origin.HEADER), request.app[SEAT_SECRET])
    conn = Connection(ws, source.address, trusted=source.trusted)
    addresses = request.app[ADDRESSES]
    if served.switching or not addresses.admit(conn):
        reason = "another stream is opening" if served.switching else "too many connections from this computer"
        await ws.send_bytes(p.encode(p.Error(ErrorCode.BUSY, reason, retry_after_s=1.0 if served.switching else 5.0)))
        await ws.close(code=WSCloseCode.TRY_AGAIN_LATER)
        return ws
    request.app[SOCKETS].add(ws)
    served.connections.add(conn)
    writer = asyncio.create_task(conn.writer(), name=f"writer-{conn.address}")
    try:
        async for frame in ws:
            if conn.closing:
                break
            if frame.type == WSMsgType.BINARY:
                await handle_frame(room, conn, frame.data, addresses)
            elif frame.type == WSMsgType.TEXT:
                conn.reply_error(ProtocolError(ErrorCode.BAD_FRAME, "binary msgpack frames only"), None)
            elif frame.type == WSMsgType.ERROR:
                break
            if conn.errors > MAX_ERRORS:
                conn.close_soon(ErrorCode.BAD_FRAME, "too many bad frames; the connection is closed")
            if conn.queue.qsize() > p.SEND_QUEUE_LIMIT // 2:
                await conn.drained()
    finally:
        served.connections.discard(conn)
        addresses.left(conn)
        disconnected(room, conn)
        # Answers that arrived before the connection ended are still saved (at most 64 of
        # them): a frame received is a request made. Only their acks have nobody to go to.
        with contextlib.suppress(asyncio.QueueFull):
            conn.queue.put_nowait(None)
        try:  # let the last replies (a closing error) go out, but never wait long
            await asyncio.wait_for(writer, timeout=2)
        except (asyncio.TimeoutError, asyncio.CancelledError):
            pass
        request.app[SOCKETS].discard(ws)
        conn.ended.set()
    return ws


async def open_room(folder: Path, address: str, browser_url: str = "") -> Room:
    database = await Database.open(folder)
    room = Room(database, folder)
    try:
        await room.load()
        await ticker.pause_for_outage(room)
    except BaseException:
        await database.close()
        raise
    room.address = address
    room.browser_url = browser_url
    room.start_background(ticker.run)
    return room


async def close_room(room: Room) -> None:
    try:
        await room.stop()
    finally:
        await room.database.close()


async def room_context(app: web.Application):
    folder = app[DATA_DIR]
    served = app[SERVED]
    day = None if day_rules.is_room(folder) else LiveDay(app, folder)
    served.room = await open_room(day_rules.room_folder(folder), app[ADDRESS], app[BROWSER_URL])
    try:
        if day is not None:
            await day.refresh()
            served.room.day = day
        yield
    finally:
        await close_room(served.room)


class LiveDay:
    """A day of streams being served (room_server.day): the live stream's room is
    `Served.room`; switching closes every connection with `stream_changed` (clients come
    back to the new stream) and opens the other stream's room."""

    def __init__(self, app: web.Application, folder: Path):
        self.app, self.folder = app, folder
        self.number = day_rules.live_stream(folder)
        self._facts: dict[int, dict] = {}
        self._other_logins: dict[str, int] = {}
        self._tasks: set[asyncio.Task] = set()

    async def refresh(self) -> None:
        """Reads every stream's facts (a stream added, another made live)."""
        def read() -> dict[int, dict]:
            return {n: room_facts(day_rules.stream_folder(self.folder, n)) for n in day_rules.streams(self.folder)}
        self._facts = await asyncio.to_thread(read)
        self._other_logins = {login: n for n, facts in self._facts.items() if n != self.number
                              for login in facts["logins"]}

    def streams(self, room: Room) -> list[p.StreamView]:
        return [p.StreamView(n, facts["grade"], facts["languages"], facts["students"],
                             room.sitting_state if n == self.number else facts["state"], n == self.number)
                for n, facts in sorted(self._facts.items())]

    def stream_of(self, login: str) -> int | None:
        return self._other_logins.get(login)

    def switch_soon(self, number: int) -> None:
        task = asyncio.get_running_loop().create_task(self.switch(number), name=f"switch-stream-{number}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def switch(self, number: int) -> None:
        served = self.app[SERVED]
        served.switching = True
        try:
            old = list(served.connections)
            for conn in old:
                conn.close_soon(ErrorCode.STREAM_CHANGED, f"stream {number} is live now")
            await asyncio.wait([asyncio.ensure_future(conn.ended.wait()) for conn in old] or [asyncio.sleep(0)],
                               timeout=SWITCH_WAIT_S)
            await close_room(served.room)
            day_rules.set_live(self.folder, number)
            self.number = number
            served.room = await open_room(day_rules.stream_folder(self.folder, number), self.app[ADDRESS],
                                           self.app[BROWSER_URL])
            served.room.day = self
            await self.refresh()
        finally:
            served.switching = False

    async def add(self, msg: p.AddStream) -> None:
        from .newroom import SetupError, init_room
        from .roster import RosterError

        room = self.app[SERVED].room
        try:
            await init_room(self.folder, msg.roster, msg.packs, questionnaire_paths=msg.questionnaires,
                            school=room.meta.get("school", ""), room=room.meta.get("room", ""), stream=msg.stream)
        except RosterError as exc:
            raise ProtocolError(ErrorCode.BAD_FIELD, f"the roster {exc.path} is refused: "
                                                     + "; ".join(str(problem) for problem in exc.problems[:5])) from None
        except (SetupError, OSError) as exc:
            raise ProtocolError(ErrorCode.BAD_FIELD, str(exc)) from None
        await self.refresh()


async def close_sockets(app: web.Application) -> None:
    for ws in list(app[SOCKETS]):
        await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutting down")


async def index(request: web.Request) -> web.Response:
    return web.Response(text="Synaq room server. Students connect with student-tui.\n")


def create_app(data_dir: Path, address: str = "", seats=None) -> web.Application:
    """`seats`: a `seats.web.SeatOptions` to serve the student app to browsers at `/`."""
    app = web.Application()
    app[DATA_DIR] = Path(data_dir)
    app[ADDRESS] = address
    app[SOCKETS] = weakref.WeakSet()
    app[ADDRESSES] = Addresses()
    app[SERVED] = Served()
    app[SEAT_SECRET] = origin.new_secret()
    app[BROWSER_URL] = ""
    app.router.add_get(p.WS_PATH, websocket)
    app.cleanup_ctx.append(room_context)
    if seats is not None:
        from .seats import web as seats_web
        app[BROWSER_URL] = seats_web.page_url_or_none(address) or ""
        seats_web.setup(app, seats, SERVED, SEAT_SECRET, DATA_DIR)
    else:
        app.router.add_get("/", index)
    app.on_shutdown.append(close_sockets)
    return app
