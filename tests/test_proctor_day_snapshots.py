"""Snapshots of the console's day at 80×24 in Kazakh against a real room server: the streams
screen (stream 1 of 2 live, a teacher who answered, one answering, a principal not yet logged
in), the confirmation before stream 2 is made live, and the form that adds a stream.

Deterministic as the room's snapshots are (tests/test_proctor_snapshots.py): the server in its
own thread with a fixed typed address and fixed ИКТ codes, the sitting not open, a fixed clock
text. Update with `pytest tests/test_proctor_day_snapshots.py --snapshot-update` after looking
at the report.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from conftest import wait_until
from test_proctor_snapshots import ADDRESS, RoomThread, compare, no_blink  # noqa: F401 (compare: the fixture)
from test_streams import make_day
from textual.widgets import RadioButton

from proctor_tui.app import ProctorApp
from proctor_tui.screens.dialogs import ConfirmDialog
from proctor_tui.screens.paperwork import PrintScreen
from proctor_tui.screens.stream_dialogs import AddStreamDialog
from proctor_tui.screens.streams import StreamsScreen
from room_client import ProctorClient, StudentClient
from room_server import newroom
from room_server.newroom import add_staff, read_proctor_key


class DayThread(RoomThread):
    """A day of two streams (grade 9 live, grade 4 next) with three staff slips on stream 1."""

    async def setup(self, folder: Path) -> None:
        from room_server.app import create_app
        day, _, _ = await make_day(folder)
        slips = await add_staff(day / "stream-1", teachers=2, principals=1)
        self.server = TestServer(create_app(day, ADDRESS), host="127.0.0.1")
        await self.server.start_server()
        self.address = f"127.0.0.1:{self.server.port}"
        self.key = read_proctor_key(day)
        for slip, answers in ((slips[0], True), (slips[1], False)):
            teacher = StudentClient(self.address, reconnect=False)
            self.clients.append(teacher)
            await teacher.connect()
            await teacher.login(slip["login"], slip["password"], f"staff-{slip['login']}")
            if answers:
                await teacher.questionnaire_submit(await teacher.questionnaire_start("kk"), {})
        proctor = ProctorClient(self.address, self.key, reconnect=False)
        self.clients.append(proctor)
        await proctor.connect()


@pytest.fixture
def day_thread(tmp_path, monkeypatch):
    codes = iter(range(1001001, 9_999_999, 1111))
    monkeypatch.setattr(newroom, "_new_ikt", lambda used: f"{next(codes):07d}")
    room = DayThread()
    room.run(room.setup(tmp_path))
    try:
        yield room
    finally:
        room.run(room.teardown())
        room.loop.call_soon_threadsafe(room.loop.stop)
        room.thread.join(timeout=10)


async def streams_ready(app: ProctorApp, pilot) -> StreamsScreen:
    await wait_until(lambda: app.model.loaded and len(app.model.sitting.streams) == 2
                     and {m.login: (m.online, m.done) for m in app.model.sitting.staff}.get("t-02") == (True, False)
                     and app.screen.table.row_count == 4, timeout=15, what="the day in the console")
    await pilot.press("7")
    await wait_until(lambda: isinstance(app.screen, StreamsScreen) and app.screen.staff_table.row_count == 3
                     and app.screen.streams_table.row_count == 2, what="the streams screen")
    return app.screen


def test_streams_screen(day_thread, compare):
    app = ProctorApp(day_thread.address, day_thread.key, language="kk", clock_text="09:41")
    assert compare(app, (80, 24), lambda pilot: streams_ready(app, pilot))


def test_switch_confirmation(day_thread, compare):
    app = ProctorApp(day_thread.address, day_thread.key, language="kk", clock_text="09:41")

    async def confirm(pilot) -> None:
        screen = await streams_ready(app, pilot)
        screen.streams_table.move_cursor(row=1, animate=False)
        await pilot.press("s")
        await wait_until(lambda: isinstance(app.screen, ConfirmDialog), what="the confirmation")
    assert compare(app, (80, 24), confirm)


def test_add_stream_form(day_thread, compare):
    app = ProctorApp(day_thread.address, day_thread.key, language="kk", clock_text="09:41")

    async def form(pilot) -> None:
        await streams_ready(app, pilot)
        await pilot.press("n")
        await wait_until(lambda: isinstance(app.screen, AddStreamDialog), what="the form")
        app.screen.query_one("#questionnaires").focus()
        await pilot.press("enter")  # nothing typed: the problem line says what is missing (no mouse: no hover)
        await wait_until(lambda: str(app.screen.query_one("#problem").render()), what="the problem line")
        no_blink(app)
    assert compare(app, (80, 24), form)


def test_print_menu_with_the_staff_slips(day_thread, compare):
    app = ProctorApp(day_thread.address, day_thread.key, language="kk", clock_text="09:41")

    async def print_menu(pilot) -> None:
        await streams_ready(app, pilot)
        await pilot.press("6")
        await wait_until(lambda: isinstance(app.screen, PrintScreen), what="the print screen")
        next(b for b in app.screen.query(RadioButton) if b.name == "staff").value = True
        await wait_until(lambda: app.screen.what() == "staff", what="the staff slips chosen")
        no_blink(app)
    assert compare(app, (80, 24), print_menu)
