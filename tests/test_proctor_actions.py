"""The proctor console against a real room server on loopback, with real student connections.

Each test drives the console with keys (Pilot) and checks the effect twice: on the server
(a second proctor connection's Room snapshot, ListEvents, ListIncidents, GetProtocol) and on
a student's connection (the pushes it receives).
"""

from __future__ import annotations

import pytest
from conftest import next_event, of_type, wait_until
from textual.widgets import Input, Static, TextArea

from proctor_support import SIZE, confirm, console, loaded, select
from proctor_tui.screens.dialogs import ConfirmDialog
from proctor_tui.screens.room import RoomScreen
from room_client import ServerError
import room_protocol as p


async def seat_of(proctor, student: int) -> dict:
    room = await proctor.watch()
    return next(s for s in room.seats if s.student == student)


async def events_of(proctor, kind: str, student: int | None = None) -> list[dict]:
    reply = await proctor.request(p.ListEvents(student, 100))
    return [e for e in reply.events if e.kind == kind]


async def test_the_table_follows_the_room(live):
    app = console(live)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(app, pilot)
        assert screen.table.row_count == 4
        address = str(screen.query_one("#address-bar", Static).render())
        assert live.address.split(":")[1] in address or "127.0.0.1" in address
        student = await live.student(0)
        sid = live.student_id(0)
        await wait_until(lambda: app.model.seats[sid].status == "confirming", what="the seat update")
        await wait_until(lambda: "confirming data" in screen.table.cell_text(sid, "status"), what="the cell")
        await student.report_mistake("my patronymic is wrong")
        await wait_until(lambda: "data_mistake" in app.model.seats[sid].alerts, what="the alert")
        await wait_until(lambda: "data" in screen.table.cell_text(sid, "alerts"), what="the alert cell")
        summary = str(screen.query_one("#summary", Static).render())
        assert "Present 1" in summary and "Need attention 1" in summary
        # Filter and sort
        await pilot.press("f")  # needs attention
        await wait_until(lambda: screen.table.row_count == 1, what="the filter")
        await pilot.press("f", "f", "f", "f", "f")  # back to everyone
        await wait_until(lambda: screen.table.row_count == 4, what="everyone")
        await pilot.press("slash")
        await pilot.press(*live.logins[2]["ikt"])
        await wait_until(lambda: screen.table.row_count == 1 and screen.table.row_index(live.student_id(2)) == 0,
                         what="the search")
        screen.query_one("#search", Input).value = ""
        await pilot.press("escape")


async def test_open_the_sitting(live):
    student = await live.student(0)
    await student.confirm_data()
    assert isinstance(await student.start(), p.Waiting)
    proctor = await live.proctor()
    app = console(live)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.press("o")
        await confirm(app, pilot)
        await next_event(student, of_type(p.SittingNow, state="open"))
        assert (await proctor.watch()).sitting.state == "open"
        assert await events_of(proctor, "sitting_opened")
        await wait_until(lambda: app.model.sitting.state == "open", what="the console to see it")


async def test_pause_for_power_and_resume(live_open):
    live = live_open
    student, _ = await live.testing(0)
    proctor = await live.proctor()
    app = console(live)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.press("p")
        await wait_until(lambda: app.screen.query("#power"), what="the pause dialog")
        await pilot.press("enter")  # the reason button in focus: power
        clock = await next_event(student, lambda e: isinstance(e, p.Clock) and e.paused)
        assert clock.paused
        assert (await proctor.watch()).sitting.pause_reason == "power"
        assert (await events_of(proctor, "paused"))[0].data["reason"] == "power"
        await wait_until(lambda: app.screen.has_class("-paused"), what="the paused look")
        await pilot.press("r")
        await confirm(app, pilot)
        await next_event(student, lambda e: isinstance(e, p.Clock) and not e.paused)
        assert not (await proctor.watch()).sitting.paused
        assert await events_of(proctor, "resumed")


async def test_pause_for_other_needs_a_note(live_open):
    live = live_open
    student, _ = await live.testing(0)
    app = console(live)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.press("p")
        await wait_until(lambda: app.screen.query("#other"), what="the pause dialog")
        await pilot.click("#other")
        assert "Say what happened" in str(app.screen.query_one("#problem", Static).render())
        await pilot.press(*"fire drill")  # typed into the note, which has the focus now
        await pilot.click("#other")
        await next_event(student, lambda e: isinstance(e, p.Clock) and e.paused)
        proctor = await live.proctor()
        assert (await events_of(proctor, "paused"))[0].data == {"reason": "other", "note": "fire drill"}


async def test_announce_and_end_a_break(live_open):
    live = live_open
    student, _ = await live.testing(0)
    app = console(live)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.press("b")
        await confirm(app, pilot)
        await next_event(student, lambda e: isinstance(e, p.Clock) and e.room_break and e.break_due)
        await wait_until(lambda: app.model.sitting.room_break, what="the console to see the break")
        await student.take_break()
        sid = live.student_id(0)
        await wait_until(lambda: app.model.seats[sid].status == "on_break", what="on break in the table")
        await wait_until(lambda: "On break 1" in str(app.screen.query_one("#summary", Static).render()),
                         what="the summary")
        await pilot.press("n")
        await confirm(app, pilot)
        await next_event(student, lambda e: isinstance(e, p.Clock) and e.state == "testing" and not e.room_break)
        proctor = await live.proctor()
        assert await events_of(proctor, "room_break_ended")
        assert (await seat_of(proctor, sid)).status == "testing"


async def test_extra_time_for_one_student(live_open):
    live = live_open
    student, _ = await live.testing(0)
    other, _ = await live.testing(1)
    sid = live.student_id(0)
    app = console(live)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await wait_until(lambda: app.model.seats[sid].status == "testing", what="testing")
        await select(app, pilot, sid)
        before = student.clock.now_remaining_ms()
        await pilot.press("x")
        await wait_until(lambda: app.screen.query("#minutes"), what="the dialog")
        await pilot.press("1", "0", "enter")
        await pilot.press(*"froze", "enter")
        clock = await next_event(student, lambda e: isinstance(e, p.Clock) and e.remaining_ms > before + 9 * 60_000)
        assert clock.remaining_ms <= before + 10 * 60_000 + 1000
        proctor = await live.proctor()
        assert (await events_of(proctor, "extra_time", sid))[0].data == {"minutes": 10, "reason": "froze"}
        assert (await seat_of(proctor, sid)).extra_minutes == 10
        assert (await seat_of(proctor, live.student_id(1))).extra_minutes == 0
        await wait_until(lambda: "+10" in app.screen.table.cell_text(sid, "remaining"), what="+10 in the table")


def toasts(app) -> str:
    """The text of the notifications on screen, as the administrator reads them."""
    return " ".join(str(toast.render()) for toast in app.screen.query("Toast"))


async def test_extra_time_refused_for_a_student_not_testing(live_open):
    live = live_open
    app = console(live)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await loaded(app, pilot)
        await select(app, pilot, live.student_id(0))
        await pilot.press("x")
        await wait_until(lambda: "Extra time is for a student who is testing." in toasts(app),
                         what="the warning")
        assert isinstance(app.screen, RoomScreen)  # a warning instead of the dialog


@pytest.mark.parametrize("approve", [True, False])
async def test_second_login_approved_or_refused(live, approve):
    first = await live.student(0, device="pc-a")
    await first.confirm_data()
    second = await live.client()
    with pytest.raises(ServerError) as waiting:
        await second.login(live.logins[0]["login"], live.logins[0]["password"], "pc-b")
    assert waiting.value.code == "awaiting_approval"
    sid = live.student_id(0)
    app = console(live)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await wait_until(lambda: app.model.seats[sid].status == "awaiting_approval", what="awaiting approval")
        await wait_until(lambda: "login" in app.screen.table.cell_text(sid, "alerts"), what="the alert")
        await select(app, pilot, sid)
        await pilot.press("l")
        await wait_until(lambda: app.screen.query("#approve"), what="the dialog")
        await pilot.click("#approve" if approve else "#refuse")
        answer = await next_event(second, lambda e: isinstance(e, p.Approval))
        assert answer.approved is approve
        proctor = await live.proctor()
        kind = "second_login_approved" if approve else "second_login_refused"
        assert await events_of(proctor, kind, sid)
        if approve:
            await next_event(second, lambda e: isinstance(e, p.LoginOk))
        else:
            await next_event(second, lambda e: isinstance(e, p.Error) and e.code == "refused")


async def test_attendance_absent_then_present(live):
    sid = live.student_id(3)
    proctor = await live.proctor()
    app = console(live)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await select(app, pilot, sid)
        await pilot.press("a")
        await wait_until(lambda: app.screen.query("#reason"), what="the dialog")
        await pilot.click("#absent")
        assert "needs a reason" in str(app.screen.query_one("#problem", Static).render())
        app.screen.query_one("#reason", Input).value = "illness"
        app.screen.query_one("#document", Input).value = "certificate 15"
        app.screen.query_one("#document", Input).focus()
        await pilot.press("enter")
        await wait_until(lambda: app.model.seats[sid].status == "absent", what="absent in the console")
        seat = await seat_of(proctor, sid)
        assert (seat.present, seat.absent_reason, seat.absent_document) == (False, "illness", "certificate 15")
        # The absent student cannot log in.
        student = await live.client()
        with pytest.raises(ServerError) as refused:
            await student.login(live.logins[3]["login"], live.logins[3]["password"], "pc-3")
        assert refused.value.code == "absent"
        await wait_until(lambda: "Absent 1" in str(app.screen.query_one("#summary", Static).render()), what="the count")
        await pilot.press("a")
        await wait_until(lambda: app.screen.query("#present"), what="the dialog")
        await pilot.click("#present")
        await wait_until(lambda: app.model.seats[sid].present is True, what="present again")
        assert (await events_of(proctor, "attendance", sid))[0].data["present"] is True
        await student.login(live.logins[3]["login"], live.logins[3]["password"], "pc-3")


async def test_login_slips_handed_and_collected_are_counted(live):
    proctor = await live.proctor()
    app = console(live)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        for index in (0, 1):
            await select(app, pilot, live.student_id(index))
            await pilot.press("h")
            await wait_until(lambda i=index: app.model.seats[live.student_id(i)].slip_handed, what="handed")
        await pilot.press("c")
        await wait_until(lambda: app.model.seats[live.student_id(1)].slip_collected, what="collected")
        await wait_until(lambda: "Slips out 2, back 1" in str(app.screen.query_one("#summary", Static).render()),
                         what="the slip counts")
        seats = (await proctor.watch()).seats
        assert sum(s.slip_handed for s in seats) == 2 and sum(s.slip_collected for s in seats) == 1
        form = await proctor.request(p.GetProtocol())
        assert (form.prefilled["slips_handed"], form.prefilled["slips_collected"]) == (2, 1)
        # The seating sheet counts them too, and hands out the rest at once.
        await pilot.press("1")
        await wait_until(lambda: app.screen.query("#counts"), what="the seating sheet")
        assert "1 slips still to collect" in str(app.screen.query_one("#counts", Static).render())
        await pilot.press("H")
        await wait_until(lambda: sum(s.slip_handed for s in app.model.seats.values()) == 4, what="all handed")
        await pilot.press("escape")
        await wait_until(lambda: isinstance(app.screen, RoomScreen), what="back to the room")


async def test_annex1_removes_the_student_and_is_listed(live_open):
    live = live_open
    student, _ = await live.testing(0)
    sid = live.student_id(0)
    app = console(live)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await select(app, pilot, sid)
        await pilot.press("i")
        await wait_until(lambda: app.screen.query("#annex1"), what="the incident kinds")
        await pilot.click("#annex1")
        await wait_until(lambda: app.screen.query("#item_name"), what="the Annex 1 form")
        form = app.screen
        assert form.query_one("#ikt", Input).value == live.logins[0]["ikt"]
        form.query_one("#representative", Input).value = "Ахметова Г."
        await pilot.press("ctrl+s")
        assert "Name the item" in str(form.query_one("#problem", Static).render())
        form.query_one("#item_name", Input).value = "mobile phone"
        form.query_one("#item_make", Input).value = "Samsung"
        await pilot.press("ctrl+s")
        await confirm(app, pilot)
        ended = await next_event(student, lambda e: isinstance(e, p.Ended))
        assert ended.reason == "removed"
        proctor = await live.proctor()
        incidents = (await proctor.request(p.ListIncidents())).incidents
        assert len(incidents) == 1 and incidents[0].kind == "annex1" and incidents[0].student == sid
        fields = incidents[0].fields
        assert fields["item_name"] == "mobile phone" and fields["representative"] == "Ахметова Г."
        assert fields["ikt"] == live.logins[0]["ikt"] and fields["decision"] == "remove"
        seat = await seat_of(proctor, sid)
        assert seat.status == "removed" and seat.annulled
        await wait_until(lambda: app.model.seats[sid].status == "removed", what="removed in the table")
        # The list of incidents, and one viewed in full
        await pilot.press("2")
        await wait_until(lambda: app.screen.query("#incidents") and app.screen.query_one("#incidents").row_count == 1,
                         what="the incident list")
        await pilot.press("enter")
        await wait_until(lambda: "mobile phone" in " ".join(str(s.render()) for s in app.screen.query(Static)),
                         what="the incident view")
        await pilot.press("escape")


async def test_annex2_not_admitted_and_other_incident(live_open):
    live = live_open
    student, _ = await live.testing(1)
    sid = live.student_id(1)
    app = console(live)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await select(app, pilot, sid)
        await pilot.press("i")
        await wait_until(lambda: app.screen.query("#annex2"), what="the incident kinds")
        await pilot.click("#annex2")
        await wait_until(lambda: app.screen.query("#impostor_name"), what="the Annex 2 form")
        app.screen.query_one("#impostor_name", Input).value = "Белгісіз Адам"
        await pilot.press("ctrl+s")
        # Not admitted still ends the attempt: the slip was used by someone else.
        await wait_until(lambda: isinstance(app.screen, ConfirmDialog), what="the confirmation")
        await pilot.click("#confirm")
        proctor = await live.proctor()
        incidents = await wait_until(lambda: _incidents(proctor), what="the Annex 2 act")
        assert incidents[0].kind == "annex2" and incidents[0].fields["decision"] == "not_admitted_only"
        assert incidents[0].fields["impostor_name"] == "Белгісіз Адам"
        assert (await seat_of(proctor, sid)).status == "removed"
        # A free incident about the whole room
        await pilot.press("i")
        await wait_until(lambda: app.screen.query("#other"), what="the incident kinds")
        await pilot.click("#other")
        await wait_until(lambda: app.screen.query("#description"), what="the form")
        app.screen.query_one("#about").value = False
        app.screen.query_one("#description", TextArea).text = "the projector fell"
        await pilot.press("ctrl+s")
        incidents = await wait_until(lambda: _incidents(proctor, 2), what="the other incident")
        assert incidents[1].kind == "other" and incidents[1].student is None
        assert incidents[1].fields["description"] == "the projector fell"
        # A free incident removes nobody
        assert (await seat_of(proctor, live.student_id(0))).status != "removed"


async def _incidents(proctor, count: int = 1):
    incidents = (await proctor.request(p.ListIncidents())).incidents
    return incidents if len(incidents) >= count else None


async def test_protocol_counted_and_typed_fields_saved(live_open):
    live = live_open
    await live.testing(0)
    app = console(live)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.press("3")
        await wait_until(lambda: app.screen.query("#true-registered") and _shown(app, "registered") == "4",
                         what="the protocol form")
        screen = app.screen
        assert _shown(app, "present") == "1"
        assert _shown(app, "school") == "Школа №7"
        assert _shown(app, "start_time") != "—"  # opened: a time
        screen.query_one("#remarks", TextArea).text = "Бәрі тыныш өтті."
        screen.query_one("#administrator", Input).value = "Сейітова А."
        await pilot.press("ctrl+s")
        proctor = await live.proctor()
        form = await wait_until(lambda: _saved_protocol(proctor), what="the saved protocol")
        assert form.fields["remarks"] == "Бәрі тыныш өтті." and form.fields["administrator"] == "Сейітова А."
        assert "registered" not in form.fields  # a count is never saved: it is counted each time
        assert await events_of(proctor, "protocol_saved")
    # Opened again, the saved values come back.
    app = console(live)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.press("3")
        await wait_until(lambda: app.screen.query("#remarks") and app.screen.query_one("#remarks", TextArea).text,
                         what="the saved form")
        assert app.screen.query_one("#remarks", TextArea).text == "Бәрі тыныш өтті."


def _shown(app, name: str) -> str:
    return str(app.screen.query_one(f"#true-{name}", Static).render())


async def _saved_protocol(proctor):
    form = await proctor.request(p.GetProtocol())
    return form if form.fields else None


async def test_event_log_newest_first_and_by_student(live_open):
    live = live_open
    await live.testing(0)
    await live.testing(1)
    sid = live.student_id(1)
    app = console(live)
    async with app.run_test(size=(160, 45)) as pilot:
        await loaded(app, pilot)
        await pilot.press("4")
        await wait_until(lambda: app.screen.query("#events") and app.screen.query_one("#events").row_count > 3,
                         what="the event log")
        table = app.screen.query_one("#events")
        times = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        assert times == sorted(times, reverse=True)
        kinds = [str(table.get_row_at(i)[2]) for i in range(table.row_count)]
        assert "sitting opened" in kinds and "test started" in kinds
        app.screen.query_one("#student").value = sid
        await wait_until(lambda: app.screen.student == sid and table.row_count and
                         all(live.logins[1]["surname"] in str(table.get_row_at(i)[1]) for i in range(table.row_count)),
                         what="only that student's events")
        # A new event arrives live
        proctor = await live.proctor()
        await proctor.request(p.ExtraTime(sid, 5, "live"))
        await wait_until(lambda: str(table.get_row_at(0)[2]) == "extra time", what="the new event on top")


async def test_close_the_sitting_finishes_everyone(live_open):
    live = live_open
    student, _ = await live.testing(0)
    app = console(live)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.press("C")
        await wait_until(lambda: isinstance(app.screen, ConfirmDialog), what="the confirmation")
        assert "Students still testing (1)" in str(app.screen.query_one(".dialog-body", Static).render())
        await pilot.click("#confirm")
        result = await next_event(student, lambda e: isinstance(e, p.Result))
        assert result.reason == "closed"
        proctor = await live.proctor()
        assert (await proctor.watch()).sitting.state == "closed"
        await wait_until(lambda: app.model.sitting.state == "closed", what="closed in the console")


async def test_a_refused_action_is_reported_not_crashed(live):
    app = console(live)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await loaded(app, pilot)
        worker = app.act(lambda room: room.resume(), tag="resume")  # not paused: the server refuses
        await wait_until(lambda: worker.is_finished, what="the refusal")
        await wait_until(lambda: "Not done" in toasts(app), what="the refusal shown")
        assert app.is_running and isinstance(app.screen, RoomScreen)


async def test_the_console_rides_out_a_server_restart(live):
    app = console(live)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(app, pilot)
        await live.stop()
        await wait_until(lambda: not app.online, what="the lost link")
        await wait_until(lambda: screen.has_class("-link-down"), what="the warning")
        assert "NO CONNECTION" in str(screen.query_one("#address-bar", Static).render())
        await live.start(int(app.address.split(":")[1]))
        await wait_until(lambda: app.online, timeout=15, what="the link back")
        student = await live.student(2)
        sid = live.student_id(2)
        await wait_until(lambda: app.model.seats[sid].status == "confirming", timeout=10,
                         what="updates after the reconnect")
        await student.close()


async def test_kazakh_and_russian_interfaces(live):
    for language, words in (("kk", ("Тестілеушілер енгізетін мекенжай", "кірмеген")),
                            ("ru", ("Адрес для тестируемых", "не вошёл"))):
        app = console(live, language)
        async with app.run_test(size=SIZE) as pilot:
            screen = await loaded(app, pilot)
            assert words[0] in str(screen.query_one("#address-bar", Static).render())
            assert words[1] in screen.table.cell_text(int(screen.table._order[0]), "status")
