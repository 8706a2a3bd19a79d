"""The student app with a pack that lets finished subjects be reopened, the pack's own rules
page, and the result shown again to a student who logs in after finishing."""

from __future__ import annotations

import asyncio

import pytest

from room_server.demo import make_demo_room
from test_student_support import ServerThread, log_in, make_app, screen_name, solve, to_test, wait_for, wait_screen

SIZE = (100, 32)


@pytest.fixture
def reopen_room(tmp_path):
    """A demo room whose pack allows going back to a finished subject (as grade 4's does)."""
    data = tmp_path / "room"
    asyncio.run(make_demo_room(data, students=6))
    for pack in (data / "packs").iterdir():
        toml = pack / "pack.toml"
        text = toml.read_text(encoding="utf-8")
        assert "reopen_finished_subjects = false" in text
        toml.write_text(text.replace("reopen_finished_subjects = false", "reopen_finished_subjects = true"),
                        encoding="utf-8")
    server = ServerThread(data).start()
    yield server
    server.stop()


def subject_title(app) -> str:
    rendered = app.screen.query_one("#subject").render()
    return getattr(rendered, "plain", None) or str(rendered)


async def test_a_reopenable_subject_can_be_gone_back_to(reopen_room, tmp_path):
    row = reopen_room.login_for_seat(1)
    app = make_app(reopen_room, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await to_test(pilot, app, row)
        screen = app.screen
        first = screen.test.subjects[0].title
        assert not screen.query_one("#prev-subject").display  # nothing before the first subject
        await pilot.press("f5")
        await wait_screen(pilot, app, "ConfirmDialog")
        await pilot.click("#yes")
        await wait_for(lambda: screen.subject_index == 1, pilot=pilot, what="the second subject")
        assert screen.query_one("#prev-subject").display
        await pilot.press("f4")
        await wait_for(lambda: screen.subject_index == 0, pilot=pilot, what="back to the first subject")
        assert subject_title(app) == first
    events = reopen_room.sql("SELECT kind FROM audit WHERE kind IN ('next_subject', 'open_subject') ORDER BY id")
    assert [e["kind"] for e in events] == ["next_subject", "open_subject"]


async def test_rules_page_shows_the_packs_rules_and_a_second_login_sees_the_result(reopen_room, tmp_path):
    row = reopen_room.login_for_seat(2)  # a Kazakh seat
    app = make_app(reopen_room, tmp_path / "first")
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, app, row)
        await wait_screen(pilot, app, "DataScreen")
        await pilot.click("#correct")
        await wait_screen(pilot, app, "RulesScreen")
        rules = app.login_ok.attempt.rules
        assert "Келісемін" in rules  # the pack's rules page, in the test language
        shown = app.screen.query_one("#rules-text Markdown")
        assert shown._markdown == rules
        await pilot.click("#agree")
        await pilot.click("#start")
        await wait_screen(pilot, app, "TestScreen")
        client = app.client
        check = await client.finish_request()
        result = await client.finish(solve(check.question))
    # Another start of the app on the same computer: the result again, not a blank page.
    app = make_app(reopen_room, tmp_path / "first")
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, app, row)
        await wait_screen(pilot, app, "ResultScreen")
        assert screen_name(app) == "ResultScreen"
        assert app.result is not None and app.result.total == result.total
        assert app.result.percent == result.percent
