"""The day in the console, through Pilot against a real room server: the live stream in the
header, another stream made live (and a grade 4 student logging in after it), a refused switch
in the console's language, a stream added (a bad roster first), the teachers' and principals'
questionnaire states, and their slips printed."""

from __future__ import annotations

from conftest import centre_questionnaires, pack_path, roster_text, wait_until
from proctor_support import SIZE, console, loaded, pdf_text
from test_streams import day  # noqa: F401 (the fixture: stream 1 grade 9 kk/ru, stream 2 grade 4 kk)
from textual.widgets import Button, Input, RadioButton, Static

import room_protocol as p
from proctor_tui.day import split_paths
from proctor_tui.event_text import log_rows
from proctor_tui.i18n import set_language
from proctor_tui.screens.dialogs import ConfirmDialog
from proctor_tui.screens.paperwork import PrintScreen
from proctor_tui.screens.stream_dialogs import AddStreamDialog
from proctor_tui.screens.streams import StreamsScreen
from proctor_tui.widgets.status import RoomHeader
from room_client import StudentClient
from room_server import day as day_rules
from room_server.newroom import add_staff


def header(app) -> str:
    return app.screen.query_one(RoomHeader).left


def streams_rows(screen: StreamsScreen) -> list[list[str]]:
    table = screen.streams_table
    return [[str(cell) for cell in table.get_row_at(index)] for index in range(table.row_count)]


def staff_rows(screen: StreamsScreen) -> dict[str, list[str]]:
    table = screen.staff_table
    return {str(row[0]): [str(cell) for cell in row] for row in (table.get_row_at(i) for i in range(table.row_count))}


def text_of(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def press_button(app, pilot, selector: str) -> None:
    """Clicks a button of the screen once its last press has ended (a button ignores a click
    within 0.2 s of the one before, as a person never clicks)."""
    button = app.screen.query_one(selector, Button)
    await wait_until(lambda: not button.has_class("-active"), what=f"{selector} ready for a click")
    await pilot.click(button)


async def open_streams(app, pilot) -> StreamsScreen:
    await pilot.press("7")
    await wait_until(lambda: isinstance(app.screen, StreamsScreen), what="the streams screen")
    return app.screen


async def test_make_stream_2_live_from_the_console_and_a_grade_4_student_logs_in(day):  # noqa: F811
    live, nine, four = day
    boss = await live.proctor()
    await boss.open_sitting()
    await boss.close_sitting()  # stream 1 has sat
    app = console(live)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        assert "stream 1 of 2 · grade 9" in header(app)
        screen = await open_streams(app, pilot)
        await wait_until(lambda: screen.streams_table.row_count == 2, what="both streams")
        assert streams_rows(screen) == [["1", "9", "kk, ru", "4", "live, sitting closed"],
                                        ["2", "4", "kk", "3", "not started yet"]]
        screen.streams_table.move_cursor(row=1, animate=False)
        await pilot.press("s")
        await wait_until(lambda: isinstance(app.screen, ConfirmDialog), what="the confirmation")
        body = str(app.screen.query_one(".dialog-body", Static).render())
        assert "Stream 2: grade 4, 3 students (kk)" in body
        assert "Every computer connected to stream 1 is disconnected now" in body
        assert "room-server print or export --stream 1" in body
        await pilot.click("#confirm")
        await wait_until(lambda: "stream 2 of 2 · grade 4" in header(app), timeout=20, what="stream 2 in the header")
        await wait_until(lambda: streams_rows(screen) == [["1", "9", "kk, ru", "4", "finished"],
                                                          ["2", "4", "kk", "3", "live, not opened yet"]],
                         what="the streams after the switch")
        assert app.online and not app.stream_changing
        assert day_rules.live_stream(live.dir) == 2
        # The room screen shows stream 2's students; one of them logs in and is seen doing so.
        await pilot.press("escape")
        await wait_until(lambda: app.screen.table.row_count == 3, what="stream 2's three students")
        assert {seat.login for seat in app.model.seats.values()} == {row["login"] for row in four}
        child = StudentClient(live.address, reconnect=False)
        live.clients.append(child)
        await child.connect()
        await child.login(four[0]["login"], four[0]["password"], "pc-4")
        seat = next(s for s in app.model.seats.values() if s.login == four[0]["login"])
        await wait_until(lambda: app.model.seats[seat.student].status == "confirming" and app.model.seats[
            seat.student].online, what="the grade 4 student logged in, in the console")
        assert "stream 2 of 2" in header(app)


async def test_a_refused_switch_is_shown_in_the_consoles_language(day):  # noqa: F811
    live, _, _ = day
    boss = await live.proctor()
    await boss.open_sitting()  # stream 1 is sitting: the server refuses to switch
    app = console(live, "ru")
    try:
        async with app.run_test(size=SIZE) as pilot:
            await loaded(app, pilot)
            assert "поток 1 из 2 · 9 класс" in header(app)
            screen = await open_streams(app, pilot)
            await wait_until(lambda: screen.streams_table.row_count == 2, what="both streams")
            assert streams_rows(screen)[0][4] == "текущий, открыт"
            screen.streams_table.move_cursor(row=1, animate=False)
            await pilot.press("s")
            await wait_until(lambda: isinstance(app.screen, ConfirmDialog), what="the confirmation")
            assert "Поток 1 открыт: сервер разрешит переход только после его закрытия" in str(
                app.screen.query_one(".dialog-body", Static).render())
            await pilot.click("#confirm")
            refusal = "Сейчас невозможно: Поток 1 открыт: сначала закройте его (C на экране аудитории)."
            await wait_until(lambda: refusal in text_of(app, "#streams-state"), what="the refusal in Russian")
            assert "поток 1 из 2" in header(app) and day_rules.live_stream(live.dir) == 1
            assert streams_rows(screen)[1][4] == "ещё не начат"
    finally:
        set_language("en")


async def test_add_a_stream_from_the_console(day, tmp_path):  # noqa: F811
    live, _, _ = day
    app = console(live, "ru")
    try:
        async with app.run_test(size=SIZE) as pilot:
            await loaded(app, pilot)
            screen = await open_streams(app, pilot)
            await wait_until(lambda: screen.streams_table.row_count == 2, what="both streams")
            await pilot.press("n")
            await wait_until(lambda: isinstance(app.screen, AddStreamDialog), what="the new stream's form")
            dialog = app.screen
            assert dialog.query_one("#stream", Input).value == "3"  # the next number
            await press_button(app, pilot, "#confirm")
            assert text_of(app, "#problem") == "Укажите файл списка потока."
            bad = tmp_path / "bad.csv"
            bad.write_text("iin;surname\n123;X\n", encoding="utf-8")
            dialog.query_one("#roster", Input).value = str(bad)
            dialog.query_one("#packs", Input).value = pack_path("g4-ru")
            dialog.query_one("#questionnaires", Input).value = "; ".join(centre_questionnaires(tmp_path / "centre"))
            await press_button(app, pilot, "#confirm")
            await wait_until(lambda: f"Список {bad} не принят" in text_of(app, "#problem"),
                             what="the refused roster, in Russian")
            assert isinstance(app.screen, AddStreamDialog) and day_rules.streams(live.dir) == [1, 2]
            good = tmp_path / "g4ru.csv"
            good.write_text(roster_text(2, grade=4, languages=("ru",), seed=3), encoding="utf-8")
            dialog.query_one("#roster", Input).value = str(good)
            await press_button(app, pilot, "#confirm")
            await wait_until(lambda: isinstance(app.screen, StreamsScreen), what="the form closed")
            await wait_until(lambda: streams_rows(screen)[-1:] == [["3", "4", "ru", "2", "ещё не начат"]],
                             what="stream 3 in the list (pushed by the server)")
            assert day_rules.streams(live.dir) == [1, 2, 3]
            assert "Поток 3 добавлен." in text_of(app, "#streams-state")
    finally:
        set_language("en")


async def staff_answers(live, slip: dict) -> None:
    teacher = StudentClient(live.address, reconnect=False)
    live.clients.append(teacher)
    await teacher.connect()
    await teacher.login(slip["login"], slip["password"], f"staff-{slip['login']}")
    questionnaire = await teacher.questionnaire_start("kk")
    assert isinstance(await teacher.questionnaire_submit(questionnaire, {}), p.Done)


async def test_teachers_and_principals_with_their_questionnaire_state(live):
    slips = await add_staff(live.dir, teachers=2, principals=1)
    await staff_answers(live, slips[0])  # t-01 answered (and left)
    app = console(live)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        screen = await open_streams(app, pilot)
        await wait_until(lambda: screen.staff_table.row_count == 3, what="the staff slips")
        assert staff_rows(screen) == {"p-01": ["p-01", "principal", "not logged in"],
                                      "t-01": ["t-01", "teacher", "finished"],
                                      "t-02": ["t-02", "teacher", "not logged in"]}
        assert text_of(app, "#staff-counts") == "Teachers 2: not logged in 1, finished 1 · Principals 1: not logged in 1"
        # A room of one sitting: no stream to switch to or add here.
        assert "This room is one sitting" in text_of(app, "#streams-state")
        assert screen.check_action("switch_stream", ()) is False and screen.check_action("add_stream", ()) is False
        # t-02 logs in now: the list follows the server's push.
        second = StudentClient(live.address, reconnect=False)
        live.clients.append(second)
        await second.connect()
        await second.login("t-02", slips[1]["password"], "staff-2")
        await wait_until(lambda: staff_rows(screen)["t-02"][2] == "answering", what="t-02 answering")
        await second.questionnaire_submit(await second.questionnaire_start("kk"), {})
        await wait_until(lambda: staff_rows(screen)["t-02"][2] == "finished", what="t-02 finished")
        assert text_of(app, "#staff-counts").startswith("Teachers 2: finished 2")


async def test_print_the_staff_slips_from_the_console(live, tmp_path):
    slips = await add_staff(live.dir, teachers=2, principals=1)
    out = tmp_path / "staff.pdf"
    app = console(live)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.press("6")
        await wait_until(lambda: isinstance(app.screen, PrintScreen), what="the print screen")
        staff = next(b for b in app.screen.query(RadioButton) if b.name == "staff")
        assert str(staff.label) == "Teachers' and principals' slips"
        await pilot.click(staff)
        await wait_until(lambda: app.screen.what() == "staff", what="the staff slips chosen")
        assert app.screen.query_one("#to", Input).value == "synaq-staff.pdf"
        app.screen.query_one("#to", Input).value = str(out)
        await pilot.click("#print")
        await wait_until(lambda: text_of(app, "#result") == f"Printed: {out}", what="the staff slips printed")
    text = pdf_text(out.read_bytes())
    for slip in slips:
        assert slip["login"] in text and slip["password"] in text


def test_the_event_log_names_teachers_and_the_streams():
    set_language("en")
    events = [p.EventView(3000, "t-01", None, "staff_questionnaire_done", {"audience": "teacher"}),
              p.EventView(2000, "p-01", None, "staff_login", {"audience": "principal", "address": "10.0.0.9"}),
              p.EventView(1000, "proctor", None, "stream_switched", {"from": 1, "to": 2}),
              p.EventView(500, "proctor", None, "stream_added", {"stream": 3})]
    rows = [(r.who, r.what, r.details) for r in log_rows(events, lambda ms: "09:41")]
    assert rows == [("teacher t-01", "questionnaire filled", ""),
                    ("principal p-01", "logged in", "from the computer 10.0.0.9"),
                    ("administrator", "another stream made live", "from stream 1 to stream 2"),
                    ("administrator", "stream added", "stream 3")]


def test_several_files_in_one_field():
    assert split_paths(' C:\\My Files\\g4-kk ; "D:\\x y\\g4-ru";; ') == ["C:\\My Files\\g4-kk", "D:\\x y\\g4-ru"]
    assert split_paths(" ; ") == []
