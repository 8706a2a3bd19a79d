"""The aiohttp application: the room's WebSocket path and its life cycle."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from pathlib import Path

from aiohttp import WSCloseCode, WSMsgType, web

import room_protocol as p
from room_protocol import ErrorCode, ProtocolError

from . import handlers  # noqa: F401 — registers every message's handler
from . import ticker
from .connection import MAX_ERRORS, Addresses, Connection, handle_frame
from .handlers.session import disconnected
from .room import Room
from .storage import Database

DATA_DIR = web.AppKey("data_dir", Path)
ROOM = web.AppKey("room", Room)
SOCKETS = web.AppKey("sockets", weakref.WeakSet)
ADDRESS = web.AppKey("address", str)
ADDRESSES = web.AppKey("addresses", Addresses)


async def websocket(request: web.Request) -> web.WebSocketResponse:
    # aiohttp itself refuses frames far over the limit (close 1009); up to 4x, 256 KiB
    # included, we answer too_large ourselves so the client learns why.
    ws = web.WebSocketResponse(heartbeat=p.HEARTBEAT_S, max_msg_size=p.MAX_FRAME_BYTES * 4 + 1)
    await ws.prepare(request)
    room = request.app[ROOM]
    conn = Connection(ws, request.remote or "?")
    addresses = request.app[ADDRESSES]
    if not addresses.admit(conn.address):
        await ws.send_bytes(p.encode(p.Error(ErrorCode.BUSY, "too many connections from this computer",
                                             retry_after_s=5.0)))
        await ws.close(code=WSCloseCode.TRY_AGAIN_LATER)
        return ws
    request.app[SOCKETS].add(ws)
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
        addresses.left(conn.address)
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
    return ws


async def room_context(app: web.Application):
    database = await Database.open(app[DATA_DIR])
    room = Room(database, app[DATA_DIR])
    try:
        await room.load()
        await ticker.pause_for_outage(room)
        room.address = app[ADDRESS]
        room.start_background(ticker.run)
        app[ROOM] = room
        yield
    finally:
        await room.stop()
        await database.close()


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
    app[ADDRESSES] = Addresses()
    app.router.add_get(p.WS_PATH, websocket)
    app.router.add_get("/", index)
    app.cleanup_ctx.append(room_context)
    app.on_shutdown.append(close_sockets)
    return app
