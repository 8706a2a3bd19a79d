"""The browser seats' routes in the room's own aiohttp app.

    GET  /                    the seat page (page.py)
    GET  /seat/static/NAME    textual.js, xterm.css and the font, from the textual-serve package
    POST /seat/claim          {"seat": id} → starts (or finds) the seat; a refusal in kk/ru/en
    GET  /seat/ws/{seat}      the tab's terminal (textual.js protocol), attached to the seat
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from aiohttp import WSMsgType, web

from .. import origin
from . import page
from .registry import SEAT_ID, Refused, SeatLimits, SeatRegistry
from .seat import close_tab

log = logging.getLogger("synaq.seats")

SEATS = web.AppKey("seats", SeatRegistry)

# name → (file inside textual-serve's static folder, content type); nothing else is served.
ASSETS = {
    "textual.js": ("js/textual.js", "text/javascript"),
    "xterm.css": ("css/xterm.css", "text/css"),
    "RobotoMono.ttf": ("fonts/RobotoMono-VariableFont_wght.ttf", "font/ttf"),
}
MAX_TAB_FRAME = 64 * 1024  # a paste is the largest thing a tab sends


@dataclass
class SeatOptions:
    room_address: str  # how a seat process on this laptop reaches the room, e.g. 127.0.0.1:8765
    limits: SeatLimits | None = None  # None: worked out from the roster
    launcher: str = "auto"
    limit_changes: dict = field(default_factory=dict)


def page_url(address: str) -> str:
    """The address a browser opens for a seat, from the room's HOST:PORT (printed by `serve`
    and on the login slips). Raises ValueError for what is not HOST:PORT."""
    host, _, port = address.strip().rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536 or any(c in host for c in "/ @?#"):
        raise ValueError(f"{address!r} is not HOST:PORT (like 192.168.1.10:8765)")
    return f"http://{host}:{port}/"


def page_url_or_none(address: str) -> str | None:
    try:
        return page_url(address)
    except ValueError:
        return None


def static_folder() -> Path:
    return Path(str(resources.files("textual_serve") / "static"))


def setup(app: web.Application, options: SeatOptions, served_key, secret_key, data_dir_key) -> None:
    """The seats of whatever the app serves: one room, or a day of streams (the seats' folder
    is the served folder's, so a computer keeps its seat and device id from one stream to the
    next; the cap counts the largest stream's roster)."""
    async def seats_context(app: web.Application):
        room = app[served_key].room
        students = max((stream.students for stream in room.day.streams(room)), default=0) if room.day else 0
        limits = options.limits or SeatLimits.for_roster(max(students, len(room.students)), **options.limit_changes)
        registry = SeatRegistry(app[data_dir_key] / "seats", options.room_address, app[secret_key], limits,
                                launcher=options.launcher)
        await registry.start()
        app[SEATS] = registry
        try:
            yield
        finally:
            await registry.close()

    app.cleanup_ctx.append(seats_context)
    app.router.add_get("/", index)
    app.router.add_get("/seat/static/{name}", asset)
    app.router.add_post("/seat/claim", claim)
    app.router.add_get("/seat/ws/{seat}", tab)


async def index(request: web.Request) -> web.Response:
    return web.Response(text=page.page(), content_type="text/html", charset="utf-8",
                        headers={"Cache-Control": "no-store"})


async def asset(request: web.Request) -> web.StreamResponse:
    entry = ASSETS.get(request.match_info["name"])
    if entry is None:
        raise web.HTTPNotFound()
    path, content_type = entry
    return web.FileResponse(static_folder() / path, headers={"Content-Type": content_type,
                                                            "Cache-Control": "max-age=3600"})


def browser_address(request: web.Request) -> str:
    return origin.normal(request.remote)


async def claim(request: web.Request) -> web.Response:
    try:
        body = await request.json()
        seat_id = body.get("seat") if isinstance(body, dict) else None
    except (ValueError, UnicodeDecodeError):
        seat_id = None
    if not isinstance(seat_id, str) or not SEAT_ID.match(seat_id):
        return web.json_response({"ok": False, "reason": "bad_seat"}, status=400)
    try:
        await request.app[SEATS].admit(seat_id, browser_address(request))
    except Refused as exc:
        return web.json_response(page.refusal(exc.reason), status=503)
    except Exception:
        log.exception("starting a seat for %s", browser_address(request))
        return web.json_response(page.refusal("failed"), status=503)
    return web.json_response({"ok": True})


async def tab(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(heartbeat=15, max_msg_size=MAX_TAB_FRAME)
    await ws.prepare(request)
    seat_id = request.match_info["seat"]
    if not SEAT_ID.match(seat_id):
        await close_tab(ws, 4400, "bad seat id")
        return ws
    try:
        seat = await request.app[SEATS].admit(seat_id, browser_address(request))
    except Refused as exc:
        await close_tab(ws, 4503, exc.reason)
        return ws
    except Exception:
        log.exception("starting a seat for %s", browser_address(request))
        await close_tab(ws, 4503, "failed")
        return ws
    await seat.attach(ws, to_int(request.query.get("width"), 80), to_int(request.query.get("height"), 24))
    try:
        async for frame in ws:
            if frame.type == WSMsgType.TEXT:
                await seat.from_tab(ws, frame.data)
            elif frame.type == WSMsgType.ERROR:
                break
    finally:
        seat.detach(ws)
    return ws


def to_int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default
