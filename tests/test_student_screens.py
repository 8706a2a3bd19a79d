"""What the student reads at 80×24, in Kazakh, Russian and English: the top bar, the keys at
the bottom, buttons that keep their labels, warnings in words, a monochrome screen, reading
mode, the aids (and none for grade 4), choosing the room, wording and counts, the percent,
Ctrl+Q during the test. Pilot against a real room server."""

from __future__ import annotations

import csv

import pytest
from textual.app import App
from textual.widgets import Button, DataTable, Input, ListView

import room_protocol as p
from student_tui.clock import FrozenClock
from student_tui.widgets.document import DocumentView
from student_tui.widgets.keybar import KeyBar
from student_tui.widgets.topbar import TopBar
from conftest import centre_questionnaires
from test_student_support import (ServerThread, free_port, log_in, make_app, room, screen_name, screen_text,  # noqa: F401
                                  seats, shows, to_test, wait_for, wait_screen)

SIZE = (80, 24)
LONG_SUBJECT = "Жаратылыстану-ғылыми сауаттылық"


class BarApp(App):
    def __init__(self, language: str):
        super().__init__()
        from room_client.i18n import Translator
        self.t = Translator("student_tui", language)

    def compose(self):
        yield TopBar("Бекмұхамедова Ақерке", LONG_SUBJECT)


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
async def test_the_top_bar_keeps_the_time_the_saving_state_and_the_name_at_80_columns(language):
    app = BarApp(language)
    async with app.run_test(size=SIZE) as pilot:
        bar = app.query_one(TopBar)
        bar.time.show_ms(app.t("Time left"), 2 * 3600_000 + 49 * 60_000 + 59_000)
        waiting = app.t.plural("Offline: {n} answer waiting", "Offline: {n} answers waiting", 3)
        bar.save.show_state(waiting, "offline")
        bar.fit()
        await pilot.pause()
        top = screen_text(app).splitlines()[0]
        assert "⚠ " + waiting in top  # whole, never cut
        assert app.t("Time left") + " 2:49:59" in top
        assert "Бекмұхамедова" in top  # the name stays
        assert LONG_SUBJECT[:4] in top and "…" in top  # the subject gives way, and says so


async def go_to_last_subject(pilot, app) -> None:
    screen = app.screen
    while not screen.last_subject:
        index = screen.subject_index
        await pilot.press("f5")
        await wait_screen(pilot, app, "ConfirmDialog")
        await pilot.click("#yes")
        await wait_for(lambda: screen.subject_index == index + 1 and app.screen is screen, pilot=pilot,
                       what="the next subject")
    await pilot.pause()


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
async def test_the_keys_at_the_bottom_fit_80_columns_with_finish_always_there(room, seats, tmp_path, language):
    row = seats.take("ru" if language == "ru" else "kk")
    app = make_app(room, tmp_path, language=language)
    async with app.run_test(size=SIZE) as pilot:
        await to_test(pilot, app, row)
        bottom = screen_text(app).splitlines()[-1]
        assert bottom.rstrip().endswith("F10  " + app.t("Finish"))
        assert "F5" in bottom and app.t("Next subject") in bottom
        assert "←→" in bottom and app.t("Items") in bottom
        await go_to_last_subject(pilot, app)
        bottom = screen_text(app).splitlines()[-1]
        assert bottom.rstrip().endswith("F10  " + app.t("Finish"))
        assert "F5" not in bottom and app.t("Next subject") not in bottom  # no next subject after the last
        assert not app.screen.query_one("#next-subject").display and app.screen.query_one("#finish").display
        await pilot.press("f5")  # does nothing here
        assert screen_name(app) == "TestScreen"


async def test_a_focused_nav_button_keeps_its_label(room, seats, tmp_path):
    row = seats.take("kk")
    app = make_app(room, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await to_test(pilot, app, row)
        await pilot.press("tab", "tab")
        assert app.focused is app.screen.query_one("#next", Button)
        await pilot.pause()
        nav = screen_text(app).splitlines()[-2]
        assert app.t("Next") + " ▶" in nav and app.t("Previous") in nav
        await pilot.press("enter")  # the button's own key
        assert app.screen.index == 1
        await pilot.press("b", "escape")  # other keys still answer; Esc gives the keys back to the item
        assert app.focused is None
        assert app.client.latest_by_item[app.screen.item.id].value == ["B"]


async def test_a_focused_login_button_keeps_its_line_so_the_card_does_not_move_under_the_mouse(room, tmp_path):
    app = make_app(room, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: screen_name(app) == "LoginScreen" and app.hello is not None, pilot=pilot,
                       what="the login screen")
        login_button = app.screen.query_one("#login-button", Button).region
        for selector in ("#change-room", "#lang-ru"):  # compact buttons (focused after a refusal, a language)
            app.screen.query_one(selector, Button).focus()
            await pilot.pause()
            assert app.screen.query_one(selector, Button).region.height == 1, selector
            assert app.screen.query_one("#login-button", Button).region == login_button, selector
        # Clicking "Log in" from there is a click (press and release on the same button).
        app.screen.query_one("#change-room", Button).focus()
        await pilot.pause()
        await pilot.click("#login-button")
        await wait_for(lambda: shows(app, app.t("Type your login and password from the slip.")), pilot=pilot,
                       what="the click answered")


@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_ten_and_five_minutes_left_are_said_in_words_on_a_monochrome_screen(room, seats, tmp_path, monkeypatch,
                                                                                 language):
    monkeypatch.setenv("NO_COLOR", "1")
    row = seats.take(language)
    app = make_app(room, tmp_path, language=language, clock=FrozenClock(11 * 60_000))
    assert app.no_color  # Textual draws this app without colours
    async with app.run_test(size=SIZE) as pilot:
        await to_test(pilot, app, row)
        await pilot.press("b")
        await wait_for(lambda: app.client.item_state(app.screen.item.id) == "acked", pilot=pilot, what="the ack")
        await pilot.press("right")
        await pilot.pause()
        text = screen_text(app)
        assert "1✓" in text and "[2 ]" in text  # saved and current, by symbols
        assert "✓ " + app.t("Saved") in text
        assert "⚠" not in text.splitlines()[0]
        app.clock = FrozenClock(9 * 60_000 + 59_000)
        await wait_for(lambda: "⚠ " + app.t("Time left") + " 09:59" in screen_text(app), pilot=pilot,
                       what="the 10-minute warning")
        ten = app.t.plural("{n} minute left. Check your answers.", "{n} minutes left. Check your answers.", 10)
        assert shows(app, ten)
        app.clock = FrozenClock(4 * 60_000)
        five = app.t.plural("{n} minute left. Check your answers.", "{n} minutes left. Check your answers.", 5)
        await wait_for(lambda: shows(app, five), pilot=pilot, what="the 5-minute warning")
        assert app.screen.query_one("#time").has_class("-danger")


async def test_reading_mode_shows_the_passage_on_the_whole_screen(room, seats, tmp_path):
    row = seats.take("ru")
    app = make_app(room, tmp_path, language="ru")
    async with app.run_test(size=SIZE) as pilot:
        await to_test(pilot, app, row)
        screen = app.screen
        assert screen.item.stimulus and "F6" in screen.query_one(KeyBar).text
        stimulus = next(s for s in screen.subject.stimuli if s.id == screen.item.stimulus)
        await pilot.press("f6")
        await wait_screen(pilot, app, "ReadingScreen")
        text = screen_text(app)
        assert stimulus.title in text
        last_line = [line for line in stimulus.text.splitlines() if line.strip()][-1]
        assert shows(app, last_line.split()[-1])  # the passage to its end, on one screen
        await pilot.press("pagedown", "escape")
        await wait_screen(pilot, app, "TestScreen")
        await pilot.press("c")  # keys go back to the item
        assert screen.view.answer.value == "C"


class TableApp(App):
    CSS = "DocumentView { height: 1fr; }"

    def compose(self):
        rows = "\n".join(f"| {n} | row {n} |" for n in range(1, 41))
        yield DocumentView("Intro line.\n\n| Number | Name |\n|---|---|\n" + rows + "\n\nAfter the table.", "Title")


async def test_a_scrolled_table_keeps_its_header_and_has_no_rules_between_rows():
    app = TableApp()
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(DocumentView)
        text = screen_text(app)
        assert "row 1 " in text and "row 2 " in text
        lines = text.splitlines()
        first, second = next(i for i, l in enumerate(lines) if "row 1 " in l), \
            next(i for i, l in enumerate(lines) if "row 2 " in l)
        assert second == first + 1  # no rule between the rows
        view.scroll_to(y=12, animate=False)
        await pilot.pause()
        lines = screen_text(app).splitlines()
        assert "Number" in lines[0] and "Name" in lines[0]  # the header stays on top
        assert "row 1 " not in screen_text(app)
        view.scroll_end(animate=False)
        await pilot.pause()
        lines = screen_text(app).splitlines()
        assert "row 40" in screen_text(app) and "After the table." in lines[-1]
        assert "Number" in lines[0]  # rows still in view: the header with them
        view.scroll_home(animate=False)
        await pilot.pause()
        lines = screen_text(app).splitlines()
        assert lines[0].startswith("Title") and sum("Number" in line for line in lines) == 1  # once, in place


@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_the_aids_at_80_columns_keep_their_first_column_and_every_label(room, seats, tmp_path, language):
    row = seats.take(language)
    app = make_app(room, tmp_path, language=language)
    async with app.run_test(size=SIZE) as pilot:
        await to_test(pilot, app, row)
        await pilot.press("f3")
        await pilot.pause()
        text = screen_text(app)
        assert "Ba²⁺" in text and "SiO₃²⁻" in text  # a label whole, the last row on screen
        assert " Р " in text and " Н " in text and " R " not in text  # Р, М, Н as the school table writes them
        legend = app.screen.query_one("#aids-legend").render()
        assert shows(app, str(legend))  # the whole legend on screen
        table = app.screen.query_one("#solubility", DataTable)
        for _ in range(20):
            await pilot.press("right")
        await pilot.pause()
        assert table.scroll_x > 0 and "OH⁻" in screen_text(app)  # scrolled right: the anions stay
        await pilot.press("f2")
        await pilot.pause()
        assert "Li" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert not app.screen.query_one("AidsPanel").showing


async def make_grade4_room(data) -> None:
    """A room of grade 4: the grade 4 packs grant no aids."""
    from content.loader import shipped_packs
    from room_server.demo import demo_roster
    from room_server.newroom import init_room
    from room_server.storage import Database, now_ms
    from room_server.storage import meta as meta_rows
    data.mkdir(parents=True)
    roster = data / "roster.csv"
    demo_roster(roster, 5)
    roster.write_text(roster.read_text(encoding="utf-8-sig").replace(";9;", ";4;"), encoding="utf-8-sig")
    made = await init_room(data, roster, [str(p) for p in shipped_packs() if p.name in ("g4-kk", "g4-ru")],
                           questionnaire_paths=centre_questionnaires(data.parent / "centre"),
                           school="Demo school No. 2", room="4")
    with open(data / "demo-logins.csv", "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["login", "password", "surname", "name", "seat"])
        writer.writerows([r["login"], r["password"], r["surname"], r["name"], r["seat"]] for r in made.logins)
    database = await Database.open(data)
    try:
        await database.write([meta_rows.set_meta("sitting_state", "open"),
                              meta_rows.set_meta("opened_ms", str(now_ms()))])
    finally:
        await database.close()


async def test_grade_4_is_offered_no_chemistry_tables(tmp_path):
    await make_grade4_room(tmp_path / "room")
    server = ServerThread(tmp_path / "room").start()
    try:
        app = make_app(server, tmp_path / "state")
        async with app.run_test(size=SIZE) as pilot:
            await to_test(pilot, app, server.login_for_seat(1))
            screen = app.screen
            assert screen.test.aids.periodic is None and screen.test.aids.solubility is None
            assert not screen.query_one("#tables").display
            assert "F2" not in screen.query_one(KeyBar).text and "F3" not in screen.query_one(KeyBar).text
            await pilot.press("f2", "f3")
            assert not screen.query_one("AidsPanel").showing
    finally:
        server.stop()


class FakeRoom:
    def __init__(self, address: str, school: str):
        self.address, self.school, self.room, self.grade, self.name = address, school, "1", "9", school


async def test_choosing_a_room_highlight_down_enter_and_a_way_back(room, seats, tmp_path):
    from student_tui.settings import Settings
    app = make_app(room, tmp_path)
    app.server = f"127.0.0.1:{free_port()}"  # nobody there: the app starts on the room choice
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: screen_name(app) == "ConnectScreen", pilot=pilot, what="the room choice")
        await pilot.pause()
        screen = app.screen
        screen.show_rooms([FakeRoom(f"127.0.0.1:{free_port()}", "Other school"), FakeRoom(room.address, "Ours")])
        await pilot.pause()
        listing = screen.query_one("#rooms", ListView)
        assert listing.index == 0 and listing.highlighted_child is not None  # the first one, lit
        await pilot.press("down", "enter")
        await wait_for(lambda: screen_name(app) == "LoginScreen" and app.hello is not None, pilot=pilot,
                       what="the login of the room chosen")
        assert app.client.address == room.address
        assert Settings.load(tmp_path).address == ""  # nothing remembered before a login works there
        assert "(F9)" in str(app.screen.query_one("#change-room", Button).label)  # the way back says its key
        await pilot.press("f9")  # the way back
        await wait_screen(pilot, app, "ConnectScreen")
        assert app.client is None
        app.screen.query_one("#address", Input).value = room.address
        await pilot.click("#connect")
        await wait_for(lambda: screen_name(app) == "LoginScreen" and app.hello is not None, pilot=pilot,
                       what="the login again")
        await log_in(pilot, app, seats.take("kk"))
        await wait_screen(pilot, app, "DataScreen", "RulesScreen", "TestScreen")
    assert Settings.load(tmp_path).address == room.address  # a login worked: remembered


@pytest.mark.parametrize("language,expected", [("en", "Kazakh"), ("ru", "Казахский язык"), ("kk", "Қазақ тілі")])
async def test_the_data_screen_names_the_test_language_in_the_interface_language(room, seats, tmp_path, language,
                                                                                 expected):
    row = seats.take("kk")
    app = make_app(room, tmp_path, language=language)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, app, row)
        await wait_screen(pilot, app, "DataScreen")
        text = screen_text(app)
        assert expected in text
        assert ("МОДО" if language == "ru" else "ББЖМ") in text and "ББЖО" not in text


@pytest.mark.parametrize("language,percent", [("kk", "62,8 %"), ("ru", "62,8 %"), ("en", "62.8%")])
async def test_the_percent_has_the_one_decimal_of_the_export(room, tmp_path, language, percent):
    app = make_app(room, tmp_path, language=language)
    async with app.run_test(size=SIZE) as pilot:
        await wait_screen(pilot, app, "LoginScreen")
        await wait_for(lambda: app.hello is not None, pilot=pilot, what="the room")
        app.show_result(p.Result([p.SubjectScore("math", "Math", 27, 43)], 27, 43, 62.8, "finished"))
        await wait_screen(pilot, app, "ResultScreen")
        assert percent in screen_text(app)


async def test_ctrl_q_during_the_test_asks_first(room, seats, tmp_path):
    row = seats.take("kk")
    app = make_app(room, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await to_test(pilot, app, row)
        await pilot.press("ctrl+q")
        await wait_screen(pilot, app, "ConfirmDialog")
        assert str(app.screen.query_one(".dialog-text").render()) == app.t(
            "Close the test app? Your saved answers are kept; to go on, start the app again and log in.")
        await pilot.press("enter")  # "Stay in the test" has the focus
        await wait_screen(pilot, app, "TestScreen")
        assert app.is_running
        await pilot.press("ctrl+q")
        await wait_screen(pilot, app, "ConfirmDialog")
        await pilot.click("#yes")
        await wait_for(lambda: not app.is_running, pilot=pilot, what="the app closing")


async def test_ctrl_q_before_the_test_closes_at_once(room, tmp_path):
    app = make_app(room, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_screen(pilot, app, "LoginScreen")
        await pilot.press("ctrl+q")
        await wait_for(lambda: not app.is_running, pilot=pilot, what="the app closing")
