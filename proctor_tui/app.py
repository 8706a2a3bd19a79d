"""`proctor-tui`: the test administrator's console for one room.

It reaches the room server only through `room_client`: one proctor connection that watches
the room (a snapshot, then seat updates and audit events) and sends the administrator's
actions. Every request runs in a worker; replies and failures come back as messages.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime
from pathlib import Path
from typing import Any, Awaitable, Callable

from textual import on, work
from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode
from textual.reactive import reactive
from textual.worker import Worker, WorkerState

import room_protocol as p
from room_client import Connection, Offline, ProctorClient, ServerError

from .day import live_stream, stream_summary
from .i18n import N_, set_language, t, translate_bindings
from .messages import Failed, Link, Replied, RoomEvent, SeatChanged, SittingChanged, Snapshot, StreamChanging
from .model import RoomModel, local_time
from .server_text import reason_text, refusal_text

DEFAULT_SERVER = "127.0.0.1:8765"
SEAT_BATCH_S = 0.25  # seat changes are drawn in batches at most this often

OFFLINE_TEXT = N_("The room server cannot be reached")


def error_text(exc: BaseException) -> str:
    """A failed request in the console's language (server_text translates the server's reasons)."""
    if isinstance(exc, ServerError):
        return refusal_text(exc.code, exc.reason)
    if isinstance(exc, (Offline, asyncio.TimeoutError, ConnectionError)):
        return t(OFFLINE_TEXT)
    return f"{type(exc).__name__}: {exc}"


class ProctorApp(App[None]):
    """One room, one administrator."""

    CSS_PATH = "proctor.tcss"
    TITLE = "Synaq"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        Binding("ctrl+q", "quit", N_("Quit"), id="quit", priority=True),
        Binding("f2", "switch_language", N_("Language"), id="language", show=False),  # on the nav bar
    ]

    revision: reactive[int] = reactive(0, init=False)
    """Bumped when the room as a whole changes (a snapshot, the sitting, the link); screens
    watch it to look at everything again. One seat's change goes to `seats_changed` instead."""

    event_count: reactive[int] = reactive(0, init=False)
    """Bumped for each audit event pushed; the event log watches it."""

    online: reactive[bool] = reactive(False, init=False)
    """Whether the proctor connection is up."""

    # What the link worker posts (messages.py), under the names the screens and tests use.
    Snapshot, SeatChanged, SittingChanged, RoomEvent, StreamChanging, Link = (
        Snapshot, SeatChanged, SittingChanged, RoomEvent, StreamChanging, Link)
    Replied = Replied
    Failed = Failed

    def __init__(self, address: str, key: str, *, language: str = "kk", clock_text: str | None = None,
                 client: ProctorClient | None = None) -> None:
        self.language = set_language(language)
        super().__init__()
        translate_bindings(self)
        self.address = address
        self.key = key
        self.clock_text = clock_text
        self.client = client or ProctorClient(address, key)
        self.model = RoomModel(frozen=clock_text is not None)
        self.events: list[p.EventView] = []  # newest first, as pushed since the console started
        self.link_reason = ""
        self.stream_changing = ""  # while another stream is made live: what the address bar says
        self.hello: p.HelloOk | None = None
        self._requests: dict[Worker, tuple[DOMNode, str, Any]] = {}
        self._changed_seats: set[int] = set()
        self._seats_timer = None

    # ------------------------------------------------------------------ time texts

    def now_text(self, fmt: str = "%H:%M") -> str:
        return self.clock_text if self.clock_text is not None else datetime.now().strftime(fmt)

    def time_text(self, ms: int | None, fmt: str = "%H:%M") -> str:
        """A server timestamp as the wall clock (the fixed text under test)."""
        if ms is None:
            return ""
        return self.clock_text if self.clock_text is not None else local_time(ms, fmt)

    def today_text(self) -> str:
        return "2026-04-15" if self.clock_text is not None else datetime.now().strftime("%Y-%m-%d")

    # ------------------------------------------------------------------ start

    def get_default_screen(self):
        from .screens.room import RoomScreen
        return RoomScreen()

    def on_mount(self) -> None:
        self.run_link()

    async def on_unmount(self) -> None:
        await self.client.close()

    @work(exclusive=True, group="link", exit_on_error=False)
    async def run_link(self) -> None:
        """Connects (retrying), watches the room, then turns the client's events into messages."""
        delay = 0.3
        while True:
            try:
                self.hello = await self.client.connect()
                break
            except Offline as exc:
                self.post_message(self.Link(False, str(exc)))
            except ServerError as exc:
                self.post_message(self.Link(False, error_text(exc), fatal=True))
                return
            except asyncio.TimeoutError:
                self.post_message(self.Link(False, t(OFFLINE_TEXT)))
            await asyncio.sleep(delay)
            delay = min(delay * 2, 3.0)
        self.post_message(self.Link(True))
        await self._watch()
        while True:
            event = await self.client.events.get()
            if isinstance(event, p.Seat):
                self.post_message(self.SeatChanged(event.seat))
            elif isinstance(event, p.SittingChanged):
                self.post_message(self.SittingChanged(event.sitting))
            elif isinstance(event, p.EventOut):
                self.post_message(self.RoomEvent(event.event))
            elif isinstance(event, p.Room):  # the client watches again after a reconnect (another stream's room)
                self.post_message(self.Snapshot(event))
            elif isinstance(event, Connection):
                self.post_message(self.Link(event.online, event.reason))
                if event.online:
                    await self._watch()
            elif isinstance(event, ServerError):
                self.post_message(self.Link(False, error_text(event), fatal=event.code == "forbidden"))
            elif isinstance(event, p.Error) and event.code == p.ErrorCode.STREAM_CHANGED:
                text = reason_text(event.reason) or refusal_text(event.code, event.reason)
                self.post_message(self.StreamChanging(text))

    async def _watch(self) -> None:
        try:
            room = await self.client.watch()
        except (Offline, asyncio.TimeoutError):
            return  # the reconnect brings a Connection event, and another watch
        self.post_message(self.Snapshot(room))

    # ------------------------------------------------------------------ the room picture

    @on(Snapshot)
    def _snapshot(self, message: Snapshot) -> None:
        room = message.room
        was = live_stream(self.model.sitting) if self.model.loaded else None
        self.model.load(room.sitting, room.seats, room.address)
        self.stream_changing = ""
        now = live_stream(room.sitting)
        if was is not None and now is not None and now.number != was.number:
            self.notify(stream_summary(now), title=t("Stream {stream} is live", stream=now.number), timeout=8)
        self.revision += 1

    @on(StreamChanging)
    def _stream_changing(self, message: StreamChanging) -> None:
        self.stream_changing = message.text
        self.link_reason = message.text
        self.revision += 1

    @on(SittingChanged)
    def _sitting(self, message: SittingChanged) -> None:
        self.model.sitting = message.sitting
        self.revision += 1

    @on(SeatChanged)
    def _seat(self, message: SeatChanged) -> None:
        if self.model.update(message.seat):
            self._changed_seats.add(message.seat.student)
            if self._seats_timer is None:
                self._seats_timer = self.set_timer(SEAT_BATCH_S, self._flush_seats)

    def _flush_seats(self) -> None:
        """Tells each screen which seats changed since the last batch (the server sends all 500
        every few seconds and the changed ones twice a second: one redraw for each batch)."""
        self._seats_timer = None
        changed, self._changed_seats = self._changed_seats, set()
        for screen in self.screen_stack:
            seats_changed = getattr(screen, "seats_changed", None)
            if seats_changed is not None:
                seats_changed(changed)

    @on(RoomEvent)
    def _event(self, message: RoomEvent) -> None:
        self.events.insert(0, message.event)
        del self.events[500:]
        self.event_count += 1

    @on(Link)
    def _link(self, message: Link) -> None:
        self.online = message.online
        self.link_reason = self.stream_changing or message.reason
        if message.fatal:
            self.notify(message.reason, title=t("Cannot connect"), severity="error", timeout=30)
        self.revision += 1

    # ------------------------------------------------------------------ requests

    def act(self, action: Callable[[ProctorClient], Awaitable[Any]], *, tag: str = "",
            reply_to: DOMNode | None = None, done: str | None = None, context: Any = None) -> Worker:
        """Runs one of the session's actions (`lambda room: room.pause(...)`); the reply comes
        back as Replied (or Failed) to `reply_to`, with `context`."""
        worker = self._send(action, done)
        self._requests[worker] = (reply_to or self, tag, context)
        return worker

    @work(group="request", exit_on_error=False)
    async def _send(self, action: Callable[[ProctorClient], Awaitable[Any]], done: str | None) -> Any:
        reply = await action(self.client)
        if done:
            self.notify(done, timeout=4)
        return reply

    @on(Worker.StateChanged)
    def _worker_state(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group == "link" and event.state == WorkerState.ERROR:
            self.notify(error_text(worker.error), title=t("Connection"), severity="error")
            return
        if worker not in self._requests:
            return
        if event.state == WorkerState.SUCCESS:
            target, tag, context = self._requests.pop(worker)
            target.post_message(Replied(tag, context, worker.result))
        elif event.state in (WorkerState.ERROR, WorkerState.CANCELLED):
            target, tag, context = self._requests.pop(worker)
            text = error_text(worker.error) if worker.error else t("Cancelled")
            self.notify(text, title=t("Not done"), severity="error", timeout=8)
            target.post_message(Failed(tag, context, text))

    # ------------------------------------------------------------------ screens

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """The screens' number keys never act while a form field has the focus: the digit is
        the field's (a Select or a radio list would otherwise let "1" switch the screen)."""
        if action == "show" and parameters and parameters[0] != "room" and self.focus_in_field():
            return False
        return True

    def focus_in_field(self) -> bool:
        from textual.widgets import Checkbox, Input, RadioSet, Select, TextArea

        focused = self.focused
        return focused is not None and any(isinstance(node, (Input, TextArea, Select, RadioSet, Checkbox))
                                           for node in focused.ancestors_with_self)

    def action_show(self, name: str) -> None:
        """The room (the base screen) or one of the others, numbered 1 to 7."""
        from .screens.events import EventsScreen
        from .screens.incidents import IncidentsScreen
        from .screens.paperwork import ExportScreen, PrintScreen
        from .screens.protocol import ProtocolScreen
        from .screens.seating import SeatingScreen
        from .screens.streams import StreamsScreen

        screens = {"seating": SeatingScreen, "incidents": IncidentsScreen, "protocol": ProtocolScreen,
                   "events": EventsScreen, "export": ExportScreen, "print": PrintScreen, "streams": StreamsScreen}
        if name != "room" and isinstance(self.screen, screens.get(name, ())):
            return
        while len(self.screen_stack) > 1:
            self.pop_screen()
        if name in screens:
            self.push_screen(screens[name]())

    LANGUAGE_NAMES = {"kk": "қазақша", "ru": "русский", "en": "English"}

    async def action_switch_language(self) -> None:
        """The next interface language (kk, ru, en): the room screen is composed again in it
        (keeping its sort, filter and search) and the screen on top of it opened afresh."""
        from textual.screen import ModalScreen

        if isinstance(self.screen, ModalScreen):
            self.notify(t("Finish or cancel the open form first."), severity="warning")
            return
        order = list(self.LANGUAGE_NAMES)
        self.language = set_language(order[(order.index(self.language) + 1) % len(order)])
        translate_bindings(self)
        on_top = [type(screen) for screen in self.screen_stack[1:]]
        while len(self.screen_stack) > 1:
            await self.pop_screen()
        room = self.screen_stack[0]
        translate_bindings(room)
        await room.recompose()
        if hasattr(room, "language_changed"):
            room.language_changed()
        for screen_class in on_top:
            await self.push_screen(screen_class())
        self.refresh_bindings()
        self.notify(t("Interface language: {language}", language=self.LANGUAGE_NAMES[self.language]), timeout=3)

    # ------------------------------------------------------------------ lookups for screens

    def student_label(self, student: int | None) -> str:
        if student is None:
            return ""
        seat = self.model.seat(student)
        if seat is None:
            return f"#{student}"
        return f"{seat.seat}. {seat.surname} {seat.name}".strip()


# ---------------------------------------------------------------------- the command

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="proctor-tui", description="Synaq: the test administrator's console")
    parser.add_argument("--data", help="the room's folder on this laptop (reads its proctor.key)")
    parser.add_argument("--server", help=f"HOST:PORT of the room server (default: found on the LAN, else {DEFAULT_SERVER})")
    parser.add_argument("--key", help="the proctor key (from another machine)")
    parser.add_argument("--lang", choices=["kk", "ru", "en"], default="kk", help="interface language")
    parser.add_argument("--no-discovery", action="store_true", help="do not look for the room on the LAN")
    return parser


async def _reachable(address: str, key: str) -> tuple[bool, str]:
    client = ProctorClient(address, key, reconnect=False)
    try:
        hello = await client.connect(timeout=3)
        return True, hello.room
    except (Offline, ServerError, asyncio.TimeoutError, ValueError):
        return False, ""
    finally:
        await client.close()


async def find_server(explicit: str | None, key: str, *, discovery: bool = True) -> str:
    """The typed address if given; else a room found on the LAN that takes this key; else the default."""
    if explicit:
        return explicit
    if discovery:
        try:
            from room_client.discovery import discover
            rooms = await discover(timeout=2.0, wait_for_first=True)
        except Exception:  # multicast may be blocked: the default address is tried instead
            rooms = []
        for room in rooms:
            ok, _ = await _reachable(room.address, key)
            if ok:
                return room.address
    return DEFAULT_SERVER


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    key = args.key
    if args.data:
        key_file = Path(args.data) / "proctor.key"
        try:
            key = key or key_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            print(f"proctor-tui: cannot read the proctor key {key_file}: {exc.strerror}", file=sys.stderr)
            return 1
    if not key:
        print("proctor-tui: give --data DIR (the room's folder) or --key KEY", file=sys.stderr)
        return 2
    try:
        address = asyncio.run(find_server(args.server, key, discovery=not args.no_discovery and not args.server))
        from room_client import parse_address
        parse_address(address)
    except ValueError as exc:
        print(f"proctor-tui: {exc}", file=sys.stderr)
        return 2
    ProctorApp(address, key, language=args.lang).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
