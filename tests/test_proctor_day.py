"""The administrator's whole day through Pilot against a real room server: marking a student
late, collecting all slips at once, switching the language while running, the bundle's
fingerprint after export, digits typed into fields, the event log in words, and the server's
refusals in the console's language."""

from __future__ import annotations


from conftest import wait_until
from proctor_support import SIZE, confirm, console, loaded, select
from textual.widgets import Input, Select, Static

from proctor_tui.screens.protocol import ProtocolScreen
from proctor_tui.screens.room import RoomScreen
from proctor_tui.screens.seating import SeatingScreen


def text_of(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def test_mark_a_student_late_and_the_protocol_counts_it(live_open):
    live = live_open
    await live.testing(0)
    sid = live.student_id(0)
    proctor = await live.proctor()
    app = console(live)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await select(app, pilot, sid)
        await pilot.press("L")
        await wait_until(lambda: app.model.seats[sid].late, what="late in the console")
        await wait_until(lambda: "came late" in text_of(app, "#detail"), what="the detail line")
        room = await proctor.watch()
        assert next(s for s in room.seats if s.student == sid).late
        assert (await proctor.protocol()).prefilled["late"] == 1
        # The attendance dialog's own button does the same for another student.
        other = live.student_id(1)
        await select(app, pilot, other)
        await pilot.press("a")
        await wait_until(lambda: app.screen.query("#late"), what="the attendance dialog")
        await pilot.click("#late")
        await wait_until(lambda: app.model.seats[other].late, what="the second late student")
        assert (await proctor.protocol()).prefilled["late"] == 2
        await pilot.press("3")
        await wait_until(lambda: isinstance(app.screen, ProtocolScreen)
                         and text_of(app, "#true-late") == "2", what="late on the protocol form")


async def test_collect_all_slips_at_once(live):
    proctor = await live.proctor()
    for index in (0, 1, 2):
        await proctor.slips(live.student_id(index), handed=True)
    await proctor.slips(live.student_id(0), collected=True)
    app = console(live)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.press("1")
        await wait_until(lambda: isinstance(app.screen, SeatingScreen) and "2" in text_of(app, "#counts"),
                         what="the seating sheet")
        await pilot.press("C")
        await wait_until(lambda: app.screen.query("#confirm"), what="the question")
        assert "2" in str(app.screen.query_one(".dialog-body", Static).render())  # two still out
        await confirm(app, pilot)
        await wait_until(lambda: sum(s.slip_collected for s in app.model.seats.values()) == 3, what="all collected")
        seats = (await proctor.watch()).seats
        assert sorted(s.student for s in seats if s.slip_collected) == sorted(live.student_id(i) for i in (0, 1, 2))
        assert not any(s.slip_collected for s in seats if s.student == live.student_id(3))  # never handed out
        await wait_until(lambda: "still to collect" not in text_of(app, "#counts"), what="nothing left to collect")
        # Nothing more to collect: it says so and asks nothing.
        await pilot.press("C")
        await pilot.pause()
        assert isinstance(app.screen, SeatingScreen)


async def test_switch_the_language_while_running(live):
    app = console(live, "kk")
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(app, pilot)
        assert "Тестілеушілер енгізетін мекенжай" in text_of(app, "#address-bar")
        await pilot.press("f")  # a filter that must survive the switch
        await wait_until(lambda: screen.status_filter == "attention", what="the filter")
        await pilot.press("f2")
        await wait_until(lambda: isinstance(app.screen, RoomScreen)
                         and "Адрес для тестируемых" in text_of(app, "#address-bar"), what="Russian")
        assert app.screen.status_filter == "attention"
        assert "Инциденты" in text_of(app, "#nav")
        # From another screen: the same screen comes back in the next language.
        await pilot.press("3")
        await wait_until(lambda: isinstance(app.screen, ProtocolScreen), what="the protocol")
        await pilot.press("f2")
        await wait_until(lambda: isinstance(app.screen, ProtocolScreen)
                         and "Testing protocol" in str(app.screen.query_one(".screen-title", Static).render()),
                         what="English")
        footer_keys = {b.binding.description for b in app.active_bindings.values()}
        assert "Save the protocol" in footer_keys and "Сохранить протокол" not in footer_keys
        await pilot.press("f2")
        await wait_until(lambda: "Тестілеу хаттамасы" in str(app.screen.query_one(".screen-title", Static).render()),
                         what="Kazakh again")


async def test_the_fingerprint_is_shown_after_export(live_open, tmp_path):
    live = live_open
    await live.testing(0)
    usb = tmp_path / "usb"
    usb.mkdir()
    app = console(live)
    async with app.run_test(size=(120, 36)) as pilot:
        await loaded(app, pilot)
        await pilot.press("5")
        await wait_until(lambda: app.screen.query("#to"), what="the export screen")
        app.screen.query_one("#to", Input).value = str(usb)
        app.screen.query_one("#to", Input).focus()
        await pilot.press("enter")
        await wait_until(lambda: "SHA256:" in text_of(app, "#result"), timeout=30, what="the fingerprint")
        shown = text_of(app, "#result")
    proctor = await live.proctor()
    bundle = next(usb.iterdir())
    import json
    signature = json.loads((bundle / "signature.json").read_text(encoding="utf-8"))
    hexpart = signature["key_fingerprint"].removeprefix("SHA256:")
    assert " ".join(hexpart[i:i + 4] for i in range(0, len(hexpart), 4)) in " ".join(shown.split())
    assert await proctor.event_log(None, 5)


async def test_digits_in_a_field_never_switch_screens(live):
    app = console(live)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.press("4")
        await wait_until(lambda: app.screen.query("#student"), what="the event log")
        events = app.screen
        events.query_one("#student", Select).focus()
        await pilot.press("1", "2", "3")
        await pilot.pause()
        assert app.screen is events
        events.query_one("#events").focus()  # the table is no field: "3" opens the protocol
        await pilot.press("3")
        await wait_until(lambda: app.screen.query("#org_code"), what="the protocol")
        app.screen.query_one("#org_code", Input).focus()
        await pilot.press("2", "7", "0", "0", "0", "1")
        await pilot.pause()
        assert isinstance(app.screen, ProtocolScreen)
        assert app.screen.query_one("#org_code", Input).value == "270001"
        app.screen.query_one("#save").focus()  # a button is not a field: the digits are the screens' again
        await pilot.press("1")
        await wait_until(lambda: isinstance(app.screen, SeatingScreen), what="the seating sheet")


async def test_an_incident_is_shown_with_labels_never_keys(live):
    proctor = await live.proctor()
    await proctor.incident("other", None, {"description": "Жарық өшті", "witnesses": "Қасымов Н.", "bag_colour": "жасыл"})
    app = console(live)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.press("2")
        await wait_until(lambda: app.screen.query("#incidents") and app.screen.query_one("#incidents").row_count == 1,
                         what="the incident list")
        await pilot.press("enter")
        await wait_until(lambda: "Жарық өшті" in " ".join(str(s.render()) for s in app.screen.query(Static)),
                         what="the incident in full")
        shown = " ".join(str(w.render()) for w in app.screen.query("Static, Label"))
        assert "Witnesses" in shown and "Other information" in shown and "жасыл" in shown
        assert "bag_colour" not in shown and "witnesses" not in shown and "description" not in shown
