"""Snapshots of the console against a real room server: the room at 80×24 and 120×36 in
Kazakh, Russian and English (every column a proctor needs fits at 80: seat, name, status,
answered, time left, connection, alerts; the header and the screens' keys are not cut), and
the forms (the protocol, an act, the seating sheet, the event log) at 80×24.

Deterministic by construction: the server runs in its own thread with a fixed typed address
and fixed ИКТ codes; the sitting is not open, so no clock moves; the console is given a fixed
clock text. Update with `pytest tests/test_proctor_snapshots.py --snapshot-update` after
looking at the report.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from conftest import make_room, wait_until
from pytest_textual_snapshot import SVGImageExtension
from textual._doc import take_svg_screenshot
from textual.widgets import Input, TextArea

from proctor_tui.app import ProctorApp
from room_client import ProctorClient, ServerError, StudentClient
from room_server import newroom
import room_protocol as p

SNAPSHOTS = Path(__file__).parent / "snapshots"
ADDRESS = "192.168.1.20:8765"


class ProctorSVG(SVGImageExtension):
    """Our snapshots live in tests/snapshots/<module>/."""

    @classmethod
    def dirname(cls, *, test_location) -> str:
        return str(SNAPSHOTS / test_location.basename)


@pytest.fixture
def compare(snapshot, tmp_path):
    snap = snapshot.use_extension(ProctorSVG)

    def check(app, size, run_before) -> bool:
        svg = take_svg_screenshot(app=app, terminal_size=size, run_before=run_before)
        same = snap == svg
        if not same:  # kept for a look next to the stored one
            (tmp_path / "actual.svg").write_text(svg, encoding="utf-8")
            print(f"the screen as it was: {tmp_path / 'actual.svg'}")
        return same
    return check


class RoomThread:
    """A real room server and its students on their own event loop, beside the app's."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.server: TestServer | None = None
        self.clients: list[StudentClient] = []

    def run(self, coro, timeout: float = 60):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def setup(self, folder: Path) -> None:
        from room_server.app import create_app
        room = await make_room(folder, students=6)
        self.room = room
        self.server = TestServer(create_app(room.dir, ADDRESS), host="127.0.0.1")
        await self.server.start_server()
        self.address = f"127.0.0.1:{self.server.port}"
        self.key = room.key

        async def student(index: int, device: str) -> StudentClient:
            client = StudentClient(self.address, reconnect=False)
            self.clients.append(client)
            await client.connect()
            await client.login(room.logins[index]["login"], room.logins[index]["password"], device)
            return client

        proctor = ProctorClient(self.address, room.key, reconnect=False)
        self.clients.append(proctor)
        await proctor.connect()
        s0 = await student(0, "pc-0")  # rules accepted: waiting for the sitting
        await s0.confirm_data()
        await s0.start()
        s1 = await student(1, "pc-1")  # a mistake in the personal data
        await s1.report_mistake("the patronymic is wrong")
        await proctor.request(p.Attendance(4, False, "illness", "certificate No. 15"))  # student id = index + 1
        await student(2, "pc-2a")  # logged in; then a second computer asks
        second = StudentClient(self.address, reconnect=False)
        self.clients.append(second)
        await second.connect()
        try:
            await second.login(room.logins[2]["login"], room.logins[2]["password"], "pc-2b")
        except ServerError:
            pass
        await proctor.request(p.Slips(5, handed=True))
        s5 = await student(5, "pc-5")  # logged in, then the cable came out
        await s5.close()

    async def teardown(self) -> None:
        for client in self.clients:
            await client.close()
        if self.server is not None:
            await self.server.close()


@pytest.fixture
def room_thread(tmp_path, monkeypatch):
    codes = iter(range(1001001, 9_999_999, 1111))
    monkeypatch.setattr(newroom, "_new_ikt", lambda used: f"{next(codes):07d}")
    room = RoomThread()
    room.run(room.setup(tmp_path))
    try:
        yield room
    finally:
        room.run(room.teardown())
        room.loop.call_soon_threadsafe(room.loop.stop)
        room.thread.join(timeout=10)


def no_blink(app) -> None:
    for widget in app.screen.query(Input):
        widget.cursor_blink = False
    for widget in app.screen.query(TextArea):
        widget.cursor_blink = False


async def room_ready(app: ProctorApp) -> None:
    def ready() -> bool:
        seats = app.model.seats
        return (len(seats) == 6 and 3 in seats and seats[3].status == "awaiting_approval"
                and 6 in seats and seats[6].offline_since_ms is not None and seats[1].status == "waiting"
                and app.screen.table.row_count == 6)
    await wait_until(ready, timeout=15, what="the room's states in the console")
    no_blink(app)


@pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])
@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_room(room_thread, compare, language, size):
    app = ProctorApp(room_thread.address, room_thread.key, language=language, clock_text="09:41")
    assert compare(app, size, lambda pilot: room_ready(app))


@pytest.mark.parametrize("language, size", [("kk", (80, 24)), ("en", (120, 36))], ids=["kk-80x24", "en-120x36"])
def test_protocol_form(room_thread, compare, language, size):
    app = ProctorApp(room_thread.address, room_thread.key, language=language, clock_text="09:41")

    async def open_form(pilot) -> None:
        await room_ready(app)
        await pilot.press("3")
        await wait_until(lambda: app.screen.query("#true-registered")
                         and str(app.screen.query_one("#true-registered").render()) == "6", what="the protocol form")
        app.screen.query_one("#present_corrected", Input).value = "5"
        await wait_until(lambda: str(app.screen.query_one("#note-present").render()), what="the correction's note")
        no_blink(app)
    assert compare(app, size, open_form)


def test_annex1_form(room_thread, compare):
    app = ProctorApp(room_thread.address, room_thread.key, language="ru", clock_text="09:41")

    async def open_form(pilot) -> None:
        await room_ready(app)
        await pilot.press("i")
        await wait_until(lambda: app.screen.query("#annex1"), what="the incident kinds")
        await pilot.click("#annex1")
        await wait_until(lambda: app.screen.query("#item_name"), what="the form")
        app.screen.query_one("#representative", Input).value = "Ахметова Гүлнар Серікқызы"
        no_blink(app)
    assert compare(app, (80, 24), open_form)


def test_seating_sheet(room_thread, compare):
    app = ProctorApp(room_thread.address, room_thread.key, language="kk", clock_text="09:41")

    async def open_sheet(pilot) -> None:
        await room_ready(app)
        await pilot.press("1")
        await wait_until(lambda: app.screen.query("#seating") and app.screen.query_one("#seating").row_count == 6,
                         what="the seating sheet")
    assert compare(app, (80, 24), open_sheet)


def test_event_log(room_thread, compare):
    app = ProctorApp(room_thread.address, room_thread.key, language="ru", clock_text="09:41")

    async def open_log(pilot) -> None:
        await room_ready(app)
        await pilot.press("4")
        await wait_until(lambda: app.screen.query("#events") and app.screen.query_one("#events").row_count >= 8,
                         what="the event log")
    assert compare(app, (80, 24), open_log)
