"""Shared pieces of the student app's tests: a real room server in a thread (so both async
Pilot tests and the synchronous snapshot tests can use it), logins, and waiting helpers.

No test functions live here."""

from __future__ import annotations

import asyncio
import csv
import socket
import threading
import time
from pathlib import Path

import pytest

from room_client import ProctorClient


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerThread:
    """A real room server (room_server.app) on loopback, in its own thread and event loop.
    `stop()` and `start()` again serve the same room from the same folder and port."""

    def __init__(self, data: Path, port: int | None = None, students: int = 40, open_sitting: bool = True):
        self.data = Path(data)
        self.open_sitting = open_sitting
        self.port = port or free_port()
        self.students = students
        self.thread: threading.Thread | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self.error: BaseException | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> "ServerThread":
        self._ready.clear()
        self.thread = threading.Thread(target=self._run, name="room-server", daemon=True)
        self.thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("the room server did not start")
        if self.error:
            raise self.error
        return self

    def _run(self) -> None:
        self.loop = asyncio.new_event_loop()
        try:
            self.loop.run_until_complete(self._serve())
        except BaseException as exc:  # reported to the test through start()
            self.error = exc
            self._ready.set()
        finally:
            self.loop.close()

    async def _serve(self) -> None:
        from aiohttp import web

        from room_server.app import create_app
        from room_server.demo import make_demo_room

        await make_demo_room(self.data, students=self.students, open_sitting=self.open_sitting)
        self._stop = asyncio.Event()
        runner = web.AppRunner(create_app(self.data, self.address), handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", self.port, reuse_address=True)
        await site.start()
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            await runner.cleanup()

    def stop(self) -> None:
        if self.loop is not None and self._stop is not None and self.thread and self.thread.is_alive():
            self.loop.call_soon_threadsafe(self._stop.set)
            self.thread.join(30)

    def logins(self) -> list[dict]:
        with open(self.data / "demo-logins.csv", encoding="utf-8") as f:
            return list(csv.DictReader(f))

    def login_for_seat(self, seat: int) -> dict:
        return next(row for row in self.logins() if int(row["seat"]) == seat)

    def proctor_key(self) -> str:
        return (self.data / "proctor.key").read_text().strip()

    def sql(self, query: str, params=()) -> list:
        import sqlite3
        with sqlite3.connect(self.data / "room.sqlite") as db:
            db.row_factory = sqlite3.Row
            return db.execute(query, params).fetchall()


def is_ru_seat(seat: int) -> bool:
    """The demo room: every fifth student takes the test in Russian."""
    return (seat - 1) % 5 == 4


class Seats:
    """Hands out students who have not been used by another test of the session."""

    def __init__(self, server: ServerThread, reserved: set[int]):
        self.server = server
        self.used = set(reserved)

    def take(self, language: str = "kk") -> dict:
        for row in self.server.logins():
            seat = int(row["seat"])
            if seat in self.used or is_ru_seat(seat) != (language == "ru"):
                continue
            self.used.add(seat)
            return row
        raise RuntimeError(f"no {language} student left in the demo room")


# Seats the snapshot tests keep for themselves (fixed names on screen).
SNAPSHOT_SEATS = {1: "kk", 5: "ru", 2: "kk", 10: "ru", 3: "kk", 15: "ru"}


@pytest.fixture(scope="session")
def room(tmp_path_factory):
    server = ServerThread(tmp_path_factory.mktemp("student-room") / "room", students=60).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def seats(room):
    return Seats(room, set(SNAPSHOT_SEATS))


async def proctor(server: ServerThread) -> ProctorClient:
    client = ProctorClient(server.address, server.proctor_key(), reconnect=False)
    await client.connect()
    return client


async def wait_for(condition, timeout: float = 10.0, pilot=None, what: str = "a condition") -> None:
    """Polls `condition()` until true; fails the test after `timeout` seconds. A widget not
    mounted yet (a screen still being composed) counts as not yet."""
    from textual.css.query import NoMatches
    deadline = time.monotonic() + timeout
    while True:
        try:
            if condition():
                return
        except NoMatches:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        if pilot is not None:
            await pilot.pause(0.02)
        else:
            await asyncio.sleep(0.02)


def screen_name(app) -> str:
    return type(app.screen).__name__


async def wait_screen(pilot, app, *names: str, timeout: float = 10.0) -> None:
    """Waits until one of the named screens is on top and mounted, then lets it settle."""
    await wait_for(lambda: screen_name(app) in names and app.screen.is_mounted, timeout, pilot,
                   what=" or ".join(names))
    await pilot.pause()


def make_app(server: ServerThread, state_dir: Path, language: str = "kk", **kwargs):
    from student_tui.app import StudentApp
    return StudentApp(server=server.address, language=language, state_dir=state_dir, safe=False, **kwargs)


async def log_in(pilot, app, row: dict, password: str | None = None) -> None:
    """Types the login and password on the login screen and presses "Log in"."""
    from textual.widgets import Input
    await wait_screen(pilot, app, "LoginScreen")
    await pilot.pause()
    app.screen.query_one("#login", Input).value = row["login"]
    app.screen.query_one("#password", Input).value = password if password is not None else row["password"]
    # Textual's Button ignores a click while its press effect (0.2 s) still shows: a reply
    # faster than that to the last try would swallow this one.
    button = app.screen.query_one("#login-button")
    await wait_for(lambda: not button.has_class("-active"), pilot=pilot, what="the last press's effect to end")
    await pilot.click("#login-button")


async def to_test(pilot, app, row: dict) -> None:
    """From the login screen to the first item of the test."""
    await log_in(pilot, app, row)
    await wait_screen(pilot, app, "DataScreen", "RulesScreen", "TestScreen")
    if screen_name(app) == "DataScreen":
        await pilot.click("#correct")
        await wait_screen(pilot, app, "RulesScreen")
    if screen_name(app) == "RulesScreen":
        await pilot.click("#agree")
        await pilot.click("#start")
    await wait_screen(pilot, app, "TestScreen")
    await pilot.pause()


def solve(question: str) -> str:
    a, op, b = question.replace("−", "-").split()
    return str(int(a) + int(b) if op == "+" else int(a) - int(b))


def screen_text(app) -> str:
    """What the terminal shows now, as plain text (the same picture a snapshot draws)."""
    import io

    from rich.console import Console
    console = Console(width=app.size.width, height=app.size.height, file=io.StringIO(), record=True,
                      legacy_windows=False, color_system=None, force_terminal=True)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text()


def key_event(key: str):
    """The Key event a terminal driver makes for `key` (a character or a key name)."""
    import unicodedata

    from textual import events
    from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key
    if len(key) == 1:  # a printable character: as the terminal parser makes it
        return events.Key(_character_to_key(key) if not key.isalnum() else key, key)
    try:
        char = unicodedata.lookup(_get_unicode_name_from_key(REPLACED_KEYS.get(key, key)))
    except KeyError:
        char = key if len(key) == 1 else None
    return events.Key(key, char)


def burst(app, *keys: str) -> None:
    """Sends `keys` as a terminal delivers keys typed at machine speed: all at once, with no
    wait for the app between them (Pilot's `press` waits for the app after every key)."""
    for key in keys:
        event = key_event(key)
        event.set_sender(app)
        app._driver.send_message(event)


def typed(text: str) -> list[str]:
    """The keys that type `text`."""
    return ["space" if ch == " " else ch for ch in text]


def shows(app, text: str) -> bool:
    """Whether the screen shows `text`, wrapped over lines or not."""
    return "".join(text.split()) in "".join(screen_text(app).split())
