"""Every proctor action over a real connection: its effect on the server (seat view, events,
database) and on a student's connection; the refusal of each to a student and to a wrong key."""

from __future__ import annotations

import pytest

from conftest import (RawSocket, db_rows, db_snapshot, next_event, of_type, sample_message, wait_until)
from room_client import ServerError
import room_protocol as p
from room_protocol import ErrorCode
from room_tools.sim import solve


def seat_of(room: p.Room, student: int) -> dict:
    return next(s for s in room.seats if s.student == student)


async def seat_update(proctor, student: int, predicate, timeout: float = 5.0) -> dict:
    event = await next_event(proctor, lambda e: isinstance(e, p.Seat) and e.seat.student == student
                             and predicate(e.seat), timeout)
    return event.seat


async def event_of(proctor, kind: str, timeout: float = 5.0) -> dict:
    return (await next_event(proctor, lambda e: isinstance(e, p.EventOut) and e.event.kind == kind, timeout)).event


def meta(live, key: str) -> str | None:
    rows = db_rows(live.dir, "SELECT value FROM meta WHERE key = ?", (key,))
    return rows[0]["value"] if rows else None


async def refused(call, code: str) -> ServerError:
    with pytest.raises(ServerError) as err:
        await call
    assert err.value.code == code, err.value
    assert err.value.reason
    return err.value


async def test_watch_gives_the_room_and_every_seat(live):
    proctor = await live.client("proctor")
    room = await proctor.watch()
    assert room.sitting.state == "not_open" and room.sitting.school == "Школа №7"
    assert room.sitting.total_minutes == 170 and room.address
    assert [s.seat for s in room.seats] == [1, 2, 3, 4]
    assert [s.variant for s in room.seats] == ["A", "B", "A", "B"]
    for seat in room.seats:
        assert seat.status == "not_logged_in" and not seat.online and seat.total == 30
        assert not ({"password", "password_hash", "iin"} & set(seat.to_wire()))


async def test_open_sitting(live):
    proctor = await live.proctor()
    student = await live.student(0)
    await student.confirm_data()
    assert isinstance(await student.start(), p.Waiting)
    await proctor.request(p.OpenSitting())
    assert (await next_event(student, of_type(p.SittingNow))).state == "open"
    assert (await event_of(proctor, "sitting_opened")).actor == "proctor"
    assert meta(live, "sitting_state") == "open" and meta(live, "opened_ms")
    assert (await proctor.watch()).sitting.state == "open"
    await refused(proctor.request(p.OpenSitting()), ErrorCode.WRONG_STATE)
    assert isinstance(await student.start(), p.Test)


async def test_close_sitting_finishes_whoever_is_testing(live_open):
    proctor = await live_open.proctor()
    student, _ = await live_open.testing(0)
    waiting = await live_open.student(1)
    await waiting.confirm_data()
    await proctor.request(p.CloseSitting())
    result = await next_event(student, of_type(p.Result))
    assert result.reason == "closed"
    await next_event(student, of_type(p.SittingNow, state="closed"))
    sid = live_open.student_id(0)
    row = db_rows(live_open.dir, "SELECT state, finish_reason FROM attempts WHERE student_id = ?", (sid,))[0]
    assert (row["state"], row["finish_reason"]) == ("finished", "closed")
    assert meta(live_open, "sitting_state") == "closed" and meta(live_open, "closed_ms")
    await refused(waiting.start(), ErrorCode.CLOSED)
    await refused(proctor.request(p.CloseSitting()), ErrorCode.WRONG_STATE)
    await refused(proctor.request(p.OpenSitting()), ErrorCode.WRONG_STATE)


async def test_attendance(live):
    proctor = await live.proctor()
    s0, s1, s2 = (live.student_id(i) for i in range(3))
    await proctor.request(p.Attendance(s0, True))
    assert (await seat_update(proctor, s0, lambda s: s.present is True)).status == "not_logged_in"
    await refused(proctor.request(p.Attendance(s1, False)), ErrorCode.BAD_FIELD)  # an absence needs a reason
    await proctor.request(p.Attendance(s1, False, "ауырып қалды", "анықтама №12"))
    assert (await event_of(proctor, "attendance")).student == s1
    seat = await seat_update(proctor, s1, lambda s: s.status == "absent")
    assert (seat.absent_reason, seat.absent_document) == ("ауырып қалды", "анықтама №12")
    row = db_rows(live.dir, "SELECT * FROM attendance WHERE student_id = ?", (s1,))[0]
    assert (row["present"], row["reason"], row["document"]) == (0, "ауырып қалды", "анықтама №12")
    absent = await live.client()
    login = live.logins[1]
    await refused(absent.login(login["login"], login["password"], "pc"), ErrorCode.ABSENT)
    await live.student(2)
    await refused(proctor.request(p.Attendance(s2, False, "кетті")), ErrorCode.WRONG_STATE)  # logged in: present
    await refused(proctor.request(p.Attendance(999, True)), ErrorCode.NOT_FOUND)
    await proctor.request(p.Attendance(s1, True))  # a mistake corrected: the student came after all
    await live.student(1)


async def test_login_slips(live):
    proctor = await live.proctor()
    sid = live.student_id(0)
    await proctor.request(p.Slips(sid, handed=True))
    await seat_update(proctor, sid, lambda s: s.slip_handed and not s.slip_collected)
    await proctor.request(p.Slips(sid, collected=True))
    assert (await event_of(proctor, "login_slip")).data == {"handed": True, "collected": True}
    await seat_update(proctor, sid, lambda s: s.slip_handed and s.slip_collected)
    row = db_rows(live.dir, "SELECT slip_handed, slip_collected FROM attendance WHERE student_id = ?", (sid,))[0]
    assert (row["slip_handed"], row["slip_collected"]) == (1, 1)
    form = await proctor.request(p.GetProtocol())
    assert (form.prefilled["slips_handed"], form.prefilled["slips_collected"]) == (1, 1)
    await refused(proctor.request(p.Slips(999, handed=True)), ErrorCode.NOT_FOUND)


async def test_room_break(live):
    proctor = await live.proctor()
    await refused(proctor.request(p.AnnounceBreak()), ErrorCode.NOT_OPEN)  # not open yet
    await proctor.request(p.OpenSitting())
    student, _ = await live.testing(0)
    await refused(proctor.request(p.EndRoomBreak()), ErrorCode.WRONG_STATE)
    await proctor.request(p.AnnounceBreak())
    clock = await next_event(student, lambda e: isinstance(e, p.Clock) and e.room_break)
    assert clock.break_due and clock.state == "testing"
    assert meta(live, "room_break") == "1" and (await proctor.watch()).sitting.room_break
    await refused(proctor.request(p.AnnounceBreak()), ErrorCode.WRONG_STATE)
    await student.take_break()
    sid = live.student_id(0)
    await seat_update(proctor, sid, lambda s: s.on_break)
    await proctor.request(p.EndRoomBreak())  # everyone on break goes back to work
    clock = await next_event(student, lambda e: isinstance(e, p.Clock) and not e.room_break and e.state == "testing")
    assert not clock.break_due
    assert meta(live, "room_break") == "0"
    assert db_rows(live.dir, "SELECT state FROM attempts WHERE student_id = ?", (sid,))[0]["state"] == "testing"
    kinds = [r["kind"] for r in db_rows(live.dir, "SELECT kind FROM audit ORDER BY id")]
    assert kinds.index("room_break_announced") < kinds.index("break_started") < kinds.index("room_break_ended")


async def test_pause_and_resume(live_open):
    proctor = await live_open.proctor()
    student, _ = await live_open.testing(0)
    sid = live_open.student_id(0)
    await refused(proctor.request(p.Resume()), ErrorCode.WRONG_STATE)
    await refused(proctor.request(p.Pause("flood")), ErrorCode.BAD_FIELD)
    await refused(proctor.request(p.Pause("other")), ErrorCode.BAD_FIELD)  # other needs a note
    await proctor.request(p.Pause("power", "жарық сөнді"))
    clock = await next_event(student, lambda e: isinstance(e, p.Clock) and e.paused)
    room = live_open.room
    now = room.clock_of(sid).elapsed_ms
    import time
    t = int(time.time() * 1000)
    assert now(t) == now(t + 600_000)  # frozen while paused
    assert student.clock.paused
    (row,) = db_rows(live_open.dir, "SELECT * FROM pauses")
    assert (row["reason"], row["note"], row["end_ms"]) == ("power", "жарық сөнді", None)
    assert (await proctor.watch()).sitting.pause_reason == "power"
    await refused(proctor.request(p.Pause("network")), ErrorCode.WRONG_STATE)
    await proctor.request(p.Resume())
    after = await next_event(student, lambda e: isinstance(e, p.Clock) and not e.paused)
    assert after.remaining_ms >= clock.remaining_ms - 1000
    (row,) = db_rows(live_open.dir, "SELECT * FROM pauses")
    assert row["end_ms"] >= row["start_ms"]
    assert {"paused", "resumed"} <= {r["kind"] for r in db_rows(live_open.dir, "SELECT kind FROM audit")}


async def test_extra_time(live_open):
    proctor = await live_open.proctor()
    student, _ = await live_open.testing(0)
    sid = live_open.student_id(0)
    first = await next_event(student, of_type(p.Clock))
    await refused(proctor.request(p.ExtraTime(sid, 0, "көру қабілеті")), ErrorCode.BAD_FIELD)
    await refused(proctor.request(p.ExtraTime(sid, 10, " ")), ErrorCode.BAD_FIELD)
    await refused(proctor.request(p.ExtraTime(live_open.student_id(1), 10, "x")), ErrorCode.WRONG_STATE)  # not testing
    await proctor.request(p.ExtraTime(sid, 10, "компьютер ауыстырылды"))
    clock = await next_event(student, of_type(p.Clock))
    assert clock.remaining_ms >= first.remaining_ms + 10 * 60_000 - 5_000
    assert clock.remaining_ms > 170 * 60_000
    (row,) = db_rows(live_open.dir, "SELECT * FROM extra_time")
    assert (row["student_id"], row["minutes"], row["reason"]) == (sid, 10, "компьютер ауыстырылды")
    assert db_rows(live_open.dir, "SELECT extra_ms FROM attempts WHERE student_id = ?", (sid,))[0]["extra_ms"] == 600_000
    assert (await seat_update(proctor, sid, lambda s: s.extra_minutes == 10)).remaining_ms > 170 * 60_000


async def test_approve_login_with_nothing_waiting(live):
    proctor = await live.proctor()
    await refused(proctor.request(p.ApproveLogin(live.student_id(0), True)), ErrorCode.NOT_FOUND)
    await refused(proctor.request(p.ApproveLogin(999, True)), ErrorCode.NOT_FOUND)


async def test_incident_annex1_removes_the_student(live_open):
    proctor = await live_open.proctor()
    student, test = await live_open.testing(0)
    sid = live_open.student_id(0)
    reply = await proctor.request(p.Incident("annex1", sid, {"item": "ұялы телефон", "time": "10:42"}))
    incident = reply.incident
    assert incident.kind == "annex1" and incident.student == sid
    assert incident.fields["item"] == "ұялы телефон"
    assert incident.fields["ikt"] and incident.fields["seat"] == 1 and incident.fields["school"] == "Школа №7"
    assert (await next_event(student, of_type(p.Ended))).reason == "removed"
    row = db_rows(live_open.dir, "SELECT state, annulled, finish_reason FROM attempts WHERE student_id = ?", (sid,))[0]
    assert (row["state"], row["annulled"], row["finish_reason"]) == ("removed", 1, "removed")
    await refused(student.request(p.Answer(1, test.subjects[0].items[0].id, "A", 10)), ErrorCode.REMOVED)
    again = await live_open.client()
    await refused(again.login(live_open.logins[0]["login"], live_open.logins[0]["password"], "pc-0"), ErrorCode.REMOVED)
    seat = await seat_update(proctor, sid, lambda s: s.status == "removed")
    assert seat.annulled
    (stored,) = db_rows(live_open.dir, "SELECT * FROM incidents")
    assert stored["kind"] == "annex1" and stored["student_id"] == sid


async def test_incident_annex2_and_other(live_open):
    proctor = await live_open.proctor()
    s1, s2 = live_open.student_id(1), live_open.student_id(2)
    await refused(proctor.request(p.Incident("annex1", None, {})), ErrorCode.BAD_FIELD)
    await refused(proctor.request(p.Incident("annex3", s1, {})), ErrorCode.BAD_FIELD)
    await refused(proctor.request(p.Incident("other", None, {"description": " "})), ErrorCode.BAD_FIELD)
    await refused(proctor.request(p.Incident("annex2", 999, {})), ErrorCode.NOT_FOUND)
    await proctor.request(p.Incident("annex2", s1, {"decision": "not_admitted_only", "note": "басқа адам"}))
    assert live_open.room.attempts[s1].state == "removed"  # not admitted: the slip never logs in again
    await proctor.request(p.Incident("annex2", s2, {"impostor": "Бөгде адам"}))
    assert live_open.room.attempts[s2].state == "removed"
    await proctor.request(p.Incident("other", None, {"description": "терезе сынды"}))
    listed = (await proctor.request(p.ListIncidents())).incidents
    assert [(i.kind, i.student) for i in listed] == [("annex2", s1), ("annex2", s2), ("other", None)]
    assert listed[2].fields["description"] == "терезе сынды"
    assert [i.id for i in listed] == sorted(i.id for i in listed)


async def test_list_events(live_open):
    proctor = await live_open.proctor()
    await live_open.testing(0)
    await live_open.testing(1)
    sid = live_open.student_id(0)
    events = (await proctor.request(p.ListEvents())).events
    assert [e.id for e in events] == sorted((e.id for e in events), reverse=True)  # newest first
    kinds = [e.kind for e in events]
    assert {"room_created", "sitting_opened", "login", "confirmed", "started"} <= set(kinds)
    mine = (await proctor.request(p.ListEvents(sid, 2))).events
    assert len(mine) == 2 and {e.student for e in mine} == {sid}
    assert mine[0].kind == "started"


async def test_protocol_form(live_open):
    proctor = await live_open.proctor()
    student, _ = await live_open.testing(0)
    check = await student.finish_request()
    await student.finish(solve(check.question))
    await proctor.request(p.Attendance(live_open.student_id(3), False, "ауру"))
    await proctor.request(p.Attendance(live_open.student_id(2), True))  # marked, not logged in yet
    form = await proctor.request(p.GetProtocol())
    assert form.fields == {}
    pre = form.prefilled
    # present: the one who logged in and the one marked present; student 1 is neither
    assert (pre["registered"], pre["present"], pre["absent"], pre["finished"]) == (4, 2, 1, 1)
    assert pre["school"] == "Школа №7" and pre["room"] == "12" and pre["start_ms"]
    await proctor.request(p.SaveProtocol({"observer": "Ахметова Г.", "remarks": "ескерту жоқ", "count": 3}))
    form = await proctor.request(p.GetProtocol())
    assert form.fields == {"observer": "Ахметова Г.", "remarks": "ескерту жоқ", "count": 3}
    (row,) = db_rows(live_open.dir, "SELECT fields FROM protocol_form")
    assert "Ахметова" in row["fields"]
    assert (await event_of(proctor, "protocol_saved")).data["fields"] == ["count", "observer", "remarks"]


# --- refusals ---------------------------------------------------------------------------

PROCTOR_ONLY = sorted(p.PROCTOR_MESSAGES)


@pytest.mark.parametrize("type_name", PROCTOR_ONLY)
async def test_every_proctor_message_is_forbidden_to_a_student(live_open, type_name):
    student, test = await live_open.testing(0)
    fresh = await live_open.client()  # said hello, not logged in
    before = db_snapshot(live_open.dir)
    msg = sample_message(p.MESSAGES[type_name])
    if hasattr(msg, "student"):
        msg.student = live_open.student_id(0)
    for client in (student, fresh):
        await refused(client.request(msg), ErrorCode.FORBIDDEN)
    assert db_snapshot(live_open.dir) == before
    assert live_open.room.sitting_state == "open" and not live_open.room.paused and not live_open.room.room_break
    ack = await student.request(p.Answer(1, test.subjects[0].items[0].id, "A", 10))  # still served
    assert ack.counted


@pytest.mark.parametrize("key", ["wrong-key", "", None])
async def test_a_wrong_proctor_key_is_refused_and_closed(live, key):
    async with RawSocket(live.address) as raw:
        reply = await raw.hello("proctor", key)
        assert reply["t"] == "error" and reply["code"] == ErrorCode.FORBIDDEN
        await raw.send({"t": "open_sitting"}, 2)
        while (msg := await raw.receive()) is not None:
            assert msg["t"] == "error"
    assert meta(live, "sitting_state") == "not_open"


@pytest.mark.parametrize("msg", [p.Login("m9-001", "x", "MODO", "pc"), p.ConfirmData(), p.Start(),
                                 p.Answer(1, "A-r1", "A", 1), p.Finish("3"), p.QuestionnaireSubmit(b"x")],
                         ids=lambda m: m.TYPE)
async def test_a_student_message_from_a_proctor_is_forbidden(live_open, msg):
    proctor = await live_open.proctor()
    before = db_snapshot(live_open.dir)
    await refused(proctor.request(msg), ErrorCode.FORBIDDEN)
    assert db_snapshot(live_open.dir) == before


async def test_the_proctor_sees_live_seats(live_open):
    proctor = await live_open.proctor()
    student, test = await live_open.testing(0)
    sid = live_open.student_id(0)
    seat = await seat_update(proctor, sid, lambda s: s.online and s.state == "testing")
    assert seat.subject == "reading" and seat.answered == 0 and seat.total == 30
    await student.request(p.Answer(1, test.subjects[0].items[0].id, "A", 10))
    await seat_update(proctor, sid, lambda s: s.answered == 1)
    await student.close()
    assert (await event_of(proctor, "offline")).student == sid
    seat = await seat_update(proctor, sid, lambda s: not s.online)
    assert seat.offline_since_ms
    await wait_until(lambda: sid not in live_open.room.online)
