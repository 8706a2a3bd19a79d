"""Pilot tests of every student screen and transition, against a real room server."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from textual.widgets import Button, Checkbox, Input, Static

import room_protocol as p
from student_tui.screens.test import TestScreen as ItemsScreen
from student_tui.widgets.palette import CELL, Palette
from test_student_support import (ServerThread, log_in, make_app, proctor, room, screen_name, seats, solve,  # noqa: F401
                                  to_test, wait_for, wait_screen)

SIZE = (100, 32)


def state(app, index: int) -> str | None:
    """What the palette shows for item `index`: "acked", "pending" or None."""
    return app.screen.query_one(Palette).states[index]


def static_text(app, selector: str) -> str:
    rendered = app.screen.query_one(selector, Static).render()
    return getattr(rendered, "plain", None) or str(rendered)


async def test_login_data_rules_and_start(room, seats, tmp_path):
    row = seats.take("kk")
    app = make_app(room, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        # A wrong password: a clear message and the password field emptied.
        await log_in(pilot, app, row, password="wrong-one")
        await wait_for(lambda: not app.screen.checking and static_text(app, "#login-error"), pilot=pilot,
                       what="the wrong-password message")
        assert static_text(app, "#login-error").startswith(app.t(
            "The login or password is not right. Look at your slip and type the password again."))
        assert app.screen.query_one("#password", Input).value == ""
        # The right one: the personal data to check.
        await log_in(pilot, app, row)
        await wait_screen(pilot, app, "DataScreen")
        assert any(row["surname"] == static_text(app, f"#{w.id}") for w in app.screen.query(".data-value") if w.id) or \
            any(row["surname"] == getattr(w.render(), "plain", None) for w in app.screen.query(".data-value"))
        await pilot.click("#mistake")
        await wait_for(lambda: app.screen.has_class("-reported"), pilot=pilot, what="the mistake report")
        assert room.sql("SELECT data_mistake FROM attempts a JOIN students s ON s.id = a.student_id WHERE s.login = ?",
                        (row["login"],))[0][0]
        await pilot.click("#correct")
        await wait_screen(pilot, app, "RulesScreen")
        start = app.screen.query_one("#start", Button)
        assert start.disabled  # only once "I agree" is ticked
        await pilot.click("#agree")
        assert app.screen.query_one("#agree", Checkbox).value and not start.disabled
        await pilot.click("#start")
        await wait_screen(pilot, app, "TestScreen")
        assert static_text(app, "#who").startswith(row["surname"])


async def test_wait_until_the_sitting_opens(tmp_path):
    server = ServerThread(tmp_path / "closed-room", students=5, open_sitting=False).start()
    try:
        app = make_app(server, tmp_path / "state")
        async with app.run_test(size=SIZE) as pilot:
            await log_in(pilot, app, server.login_for_seat(1))
            await wait_screen(pilot, app, "DataScreen")
            await pilot.click("#correct")
            await wait_screen(pilot, app, "RulesScreen")
            await pilot.click("#agree")
            await pilot.click("#start")
            await wait_for(lambda: app.screen.has_class("-waiting"), pilot=pilot, what="please wait")
            assert app.screen.query_one("#wait-note").display
            assert static_text(app, "#agree-hint") == ""  # only "please wait", no "now press Start" below it
            admin = await proctor(server)
            try:
                await admin.request(p.OpenSitting())
            finally:
                await admin.close()
            await wait_screen(pilot, app, "TestScreen")
    finally:
        server.stop()


async def test_every_item_kind_navigation_and_aids(room, seats, tmp_path):
    row = seats.take("kk")
    app = make_app(room, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await to_test(pilot, app, row)
        screen: ItemsScreen = app.screen
        kinds = {}
        for index, item in enumerate(screen.items):
            kinds.setdefault(item.kind, index)
        assert set(kinds) == {"single", "multiple", "matching", "short"}
        expected = {}
        # single: a letter
        screen.show_item(kinds["single"])
        await pilot.press("b")
        expected[screen.item.id] = "B"
        # multiple: two letters (and a digit for the third option, then off again)
        screen.show_item(kinds["multiple"])
        await pilot.press("a", "3", "c", "d")
        expected[screen.item.id] = ["A", "D"]
        # matching: a left number then a right letter; the next row follows by itself
        screen.show_item(kinds["matching"])
        await pilot.press("1", "c", "a")
        expected[screen.item.id] = {"1": "C", "2": "A"}
        # short: typing and Enter
        screen.show_item(kinds["short"])
        await pilot.press(*"киік", "enter")
        expected[screen.item.id] = "киік"
        for item_id in expected:
            await wait_for(lambda: app.client.item_state(item_id) == "acked", pilot=pilot, what=f"the ack of {item_id}")
        await pilot.pause()
        for index in kinds.values():
            assert state(app, index) == "acked" and "✓" in app.screen.query_one(Palette).cell(index)
        stored = {r["item"]: r["value"] for r in room.sql(
            "SELECT a.item, a.value FROM answers a JOIN students s ON s.id = a.student_id WHERE s.login = ?",
            (row["login"],))}
        assert set(expected) <= set(stored)
        # The palette: click a number; Previous / Next by keys.
        await pilot.click(Palette, offset=(1 + 4 * CELL + 1, 0))
        assert screen.index == 4 and app.screen.query_one(Palette).current == 4
        await pilot.press("pagedown")
        assert screen.index == 5
        await pilot.press("pageup", "pageup")
        assert screen.index == 3
        # Aids: F2 the periodic table, F3 solubility, F3 again closes; the Tables button.
        await pilot.press("f2")
        panel = app.screen.query_one("AidsPanel")
        assert panel.has_class("-open") and panel.showing == "periodic"
        assert app.screen.query_one("#periodic").row_count == 9
        await pilot.press("f3")
        assert panel.showing == "solubility" and app.screen.query_one("#solubility").row_count > 5
        await pilot.press("f3")
        assert not panel.has_class("-open")
        await pilot.click("#tables")
        assert panel.showing == "periodic"
        await pilot.press("escape")
        assert not panel.has_class("-open")
        # Next subject: the dialog says what is unanswered and that there is no way back.
        await pilot.press("f5")
        await wait_screen(pilot, app, "ConfirmDialog")
        text = static_text(app, ".dialog-text")
        assert app.t("You cannot come back to this subject later.") in text
        assert app.t.plural("You have {n} unanswered item in this subject.",
                            "You have {n} unanswered items in this subject.", len(screen.items) - 4) in text
        await pilot.click("#no")
        assert screen_name(app) == "TestScreen" and screen.subject_index == 0
        await pilot.press("f5")
        await wait_screen(pilot, app, "ConfirmDialog")
        await pilot.click("#yes")
        await wait_for(lambda: screen.subject_index == 1, pilot=pilot, what="the next subject")
        assert screen.index == 0 and not any(app.screen.query_one(Palette).states)


async def test_break_offered_taken_and_returned(room, seats, tmp_path):
    row = seats.take("kk")
    app = make_app(room, tmp_path)
    admin = await proctor(room)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await to_test(pilot, app, row)
            await admin.request(p.AnnounceBreak())
            await wait_for(lambda: app.screen.break_due, pilot=pilot, what="the break offer")
            await pilot.press("f8")  # the offer is a line on the screen: F8 asks
            await wait_screen(pilot, app, "BreakOfferDialog")
            await pilot.click("#no")
            assert screen_name(app) == "TestScreen"
            await pilot.press("f8")  # still offered while the break is due
            await wait_screen(pilot, app, "BreakOfferDialog")
            await pilot.click("#yes")
            await wait_screen(pilot, app, "BreakScreen")
            assert "TestScreen" in [type(s).__name__ for s in app.screen_stack]
            assert not app.screen.query("#item-text")  # the items are hidden
            await pilot.click("#return")
            await wait_screen(pilot, app, "TestScreen", "BreakOfferDialog")
    finally:
        await admin.request(p.EndRoomBreak())
        await admin.close()


async def test_finish_result_and_questionnaire(room, seats, tmp_path):
    row = seats.take("kk")
    app = make_app(room, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await to_test(pilot, app, row)
        await pilot.press("a")
        await wait_for(lambda: app.client.waiting_count() == 0, pilot=pilot, what="the ack")
        await pilot.press("f10")
        await wait_for(lambda: screen_name(app) == "FinishScreen" and app.screen.check is not None, pilot=pilot,
                       what="the finish check")
        unanswered = static_text(app, "#unanswered")
        assert app.t.plural("{n} item unanswered", "{n} items unanswered", 9) in unanswered
        # A wrong answer: a new example.
        first = app.screen.check.question
        app.screen.query_one("#check", Input).value = str(int(solve(first)) + 1)
        await pilot.click("#finish")
        await wait_for(lambda: app.screen.check is not None and
                       static_text(app, "#finish-error") == app.t("That is not right. Here is a new example."),
                       pilot=pilot, what="a new example")
        app.screen.query_one("#check", Input).value = solve(app.screen.check.question)
        await pilot.click("#finish")
        await wait_screen(pilot, app, "ResultScreen")
        assert app.result.reason == "finished" and app.screen.query_one("#percent")
        await pilot.click("#questionnaire")
        await wait_screen(pilot, app, "QuestionnaireIntroScreen")
        assert static_text(app, "#confidential") == app.t(__import__("student_tui.texts").texts.CONFIDENTIAL)
        await pilot.click("#begin")
        await wait_screen(pilot, app, "QuestionnaireScreen")
        q = app.screen.q
        assert 12 <= len(q.questions) <= 15
        answered = 0
        for index, question in enumerate(q.questions):
            if question.kind in ("choice", "multi"):
                await pilot.press("b")
            else:
                await pilot.press(*"жақсы", "enter")
            answered += 1
            if index < len(q.questions) - 1:
                await pilot.press("right") if question.kind != "text" else await pilot.click("#next")
        await pilot.click("#done")
        await wait_screen(pilot, app, "ThanksScreen")
        await pilot.click("#continue")
        await wait_screen(pilot, app, "LeaveScreen")
    assert answered == len(q.questions)
    stored = room.sql("SELECT sealed FROM questionnaire_responses")
    assert len(stored) == 1 and "жақсы".encode() not in stored[0][0]  # sealed on this computer
    state = room.sql("SELECT state FROM attempts a JOIN students s ON s.id = a.student_id WHERE s.login = ?",
                     (row["login"],))[0][0]
    assert state == "done"


async def test_removed_student_sees_a_calm_sentence(room, seats, tmp_path):
    row = seats.take("kk")
    app = make_app(room, tmp_path)
    admin = await proctor(room)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await to_test(pilot, app, row)
            student = room.sql("SELECT id FROM students WHERE login = ?", (row["login"],))[0][0]
            await admin.request(p.Incident(kind="annex1", student=student, fields={"item": "phone"}))
            await wait_screen(pilot, app, "MessageScreen")
            assert static_text(app, "#message-text") == app.t(
                "The administrator has ended your test. Please stay in your seat and raise your hand.")
    finally:
        await admin.close()


async def test_closing_the_app_and_coming_back(room, seats, tmp_path):
    row = seats.take("ru")
    app = make_app(room, tmp_path, language="ru")
    async with app.run_test(size=SIZE) as pilot:
        await to_test(pilot, app, row)
        await pilot.press("c")
        await pilot.press("right", "right")
        screen = app.screen
        stopped_at = screen.item.id
        await wait_for(lambda: app.client.waiting_count() == 0, pilot=pilot, what="the ack")
    # The same computer again: straight back to the item where the student stopped.
    app = make_app(room, tmp_path, language="ru")
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, app, row)
        await wait_screen(pilot, app, "TestScreen")
        await pilot.pause()
        assert app.screen.item.id == stopped_at
        assert state(app, 0) == "acked" and state(app, 1) is None
        assert app.screen.view.head.startswith("Задание 3 из")


async def test_time_over_by_closing_the_sitting_shows_the_result(tmp_path):
    server = ServerThread(tmp_path / "room", students=5).start()
    try:
        app = make_app(server, tmp_path / "state")
        async with app.run_test(size=SIZE) as pilot:
            await to_test(pilot, app, server.login_for_seat(1))
            admin = await proctor(server)
            try:
                await admin.request(p.CloseSitting())
            finally:
                await admin.close()
            await wait_screen(pilot, app, "ResultScreen")
            assert app.result.reason == "closed"
            assert not app.screen.query("#check")  # no arithmetic question
    finally:
        server.stop()


async def test_unreachable_and_bad_addresses(tmp_path):
    from student_tui.app import StudentApp
    from test_student_support import free_port
    app = StudentApp(server=f"127.0.0.1:{free_port()}", state_dir=tmp_path, language="kk", safe=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(lambda: screen_name(app) == "ConnectScreen" and static_text(app, "#connect-error"), pilot=pilot,
                       what="the unreachable message")
        assert static_text(app, "#connect-error") == app.t(
            "The room's computer does not answer at this address. Check the address and the cable, or ask the teacher.")
        app.screen.query_one("#address", Input).value = "host:port"
        await pilot.click("#connect")
        await wait_for(lambda: static_text(app, "#connect-error") == app.t(
            "This address is not right. It looks like 192.168.1.10:8765."), pilot=pilot, what="the bad address")


def used_messages(plural: bool = False) -> list[str]:
    """Every msgid the app passes to t() or N_() (and the long texts), or with `plural` the
    singular msgid of every tn() / t.plural() count."""
    from student_tui import texts
    found: list[str] = [] if plural else list(texts.ALL)
    names = ("tn", "plural") if plural else ("t", "N_")
    for path in sorted(Path(__import__("student_tui").__file__).parent.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                    and isinstance(node.args[0].value, str):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if name in names and node.args[0].value not in found:
                    found.append(node.args[0].value)
    return found


def placeholders(text: str) -> list[str]:
    return sorted(part.split("}")[0] for part in text.split("{")[1:])


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_catalogs_translate_every_message(language):
    from room_client.i18n import Translator
    messages = used_messages()
    assert len(messages) > 100
    translator = Translator("student_tui", language)
    assert translator.missing(messages, language) == []
    catalog = translator.catalog(language)
    for message in messages:  # the same {placeholders} in the translation
        assert placeholders(catalog[message]) == placeholders(message), message
    counts = used_messages(plural=True)
    assert len(counts) >= 10
    assert translator.missing_plurals(counts, language) == []  # a form for each plural category
    for message in counts:
        for form in catalog[message]:
            assert placeholders(form) == placeholders(message), message


async def test_language_switch_on_the_login_screen_is_kept(room, tmp_path):
    app = make_app(room, tmp_path, language="kk")
    async with app.run_test(size=SIZE) as pilot:
        await wait_screen(pilot, app, "LoginScreen")
        app.screen.query_one("#login", Input).value = "m9-xyz"
        await pilot.click("#lang-ru")
        await wait_for(lambda: app.screen.query("#login-button") and
                       str(app.screen.query_one("#login-button", Button).label) == "Войти", pilot=pilot,
                       what="the Russian login screen")
        assert app.screen.query_one("#login", Input).value == "m9-xyz"  # what was typed stays
    from student_tui.settings import Settings
    assert Settings.load(tmp_path).language == "ru"


async def test_time_left_changes_look_at_10_and_5_minutes(room, tmp_path):
    from student_tui.widgets.topbar import TimeLeft
    app = make_app(room, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_screen(pilot, app, "LoginScreen")
        widget = TimeLeft()
        await app.screen.mount(widget)
        for ms, warn, danger in ((11 * 60_000, False, False), (10 * 60_000, True, False),
                                 (6 * 60_000, True, False), (5 * 60_000, False, True), (0, False, True)):
            widget.show_ms("", ms)
            assert (widget.has_class("-warn"), widget.has_class("-danger")) == (warn, danger), ms


async def test_slowed_retries_are_shown_with_the_wait(tmp_path):
    server = ServerThread(tmp_path / "room", students=3).start()  # its own: the slowing is per address
    try:
        app = make_app(server, tmp_path / "state")
        async with app.run_test(size=SIZE) as pilot:
            row = server.login_for_seat(1)
            button = None
            for attempt in range(4):
                await log_in(pilot, app, row, password=f"wrong{attempt}")
                await wait_for(lambda: not app.screen.checking, pilot=pilot, what="the reply")
                button = app.screen.query_one("#login-button", Button)
                if button.disabled:
                    break
            assert button is not None and button.disabled
            assert str(button.label).startswith(app.t("Wait {seconds} s", seconds=0).split("0")[0])
            assert app.t.plural("Please wait {n} second before the next try.",
                                "Please wait {n} seconds before the next try.", 2)[:12] in static_text(app, "#login-error")
    finally:
        server.stop()
