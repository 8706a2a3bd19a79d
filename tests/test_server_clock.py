"""The server's clock across a restart of the server, and the deadline reached while a student's
computer is gone. Time passing is simulated by editing the database while no server runs."""

from __future__ import annotations

import time

from conftest import db_answers, db_rows, db_write, next_event, of_type, wait_until
from room_client import ServerError
import room_protocol as p
from room_protocol import ErrorCode
from room_server import views

LIMIT_MS = 170 * 60_000


def now_ms() -> int:
    return int(time.time() * 1000)


def alive_ms(live) -> int:
    return int(db_rows(live.dir, "SELECT value FROM meta WHERE key = 'alive_ms'")[0]["value"])


async def test_a_short_restart_keeps_the_clock_answers_and_incidents(live_open):
    proctor = await live_open.proctor()
    client, test = await live_open.testing(0)
    item = test.subjects[0].items[0].id
    await client.request(p.Answer(1, item, "C", 500))
    await proctor.request(p.Incident("other", None, {"description": "жарық жыпылықтады"}))
    before = (await next_event(client, of_type(p.Clock))).remaining_ms
    stopped_at = now_ms()
    await live_open.close_clients()
    await live_open.restart()
    again = await live_open.student(0)
    after = again.login_ok.attempt.remaining_ms
    assert before - (now_ms() - stopped_at) - 2_000 <= after <= before
    assert db_rows(live_open.dir, "SELECT * FROM pauses") == []  # a few seconds down is no outage
    resumed = await again.start()
    assert resumed.answers == {item: "C"} and resumed.next_seq == 2
    proctor = await live_open.client("proctor")
    incidents = (await proctor.request(p.ListIncidents())).incidents
    assert [i.fields["description"] for i in incidents] == ["жарық жыпылықтады"]


async def test_a_long_outage_becomes_a_room_pause(live_open):
    client, _ = await live_open.testing(0)
    sid = live_open.student_id(0)
    before = (await next_event(client, of_type(p.Clock))).remaining_ms
    await live_open.close_clients()
    await live_open.stop()
    # As if the server had been down for a minute: everything recorded happened 60 s earlier.
    down_ms = 60_000
    db_write(live_open.dir, "UPDATE attempts SET started_ms = started_ms - ? WHERE student_id = ?", (down_ms, sid))
    db_write(live_open.dir, "UPDATE audit SET at_ms = at_ms - ?", (down_ms,))
    db_write(live_open.dir, "UPDATE meta SET value = ? WHERE key = 'alive_ms'", (str(alive_ms(live_open) - down_ms),))
    await live_open.start()
    again = await live_open.student(0)
    after = again.login_ok.attempt.remaining_ms
    assert before - 3_000 <= after <= before  # the minute down is not taken from the student
    (pause,) = db_rows(live_open.dir, "SELECT * FROM pauses")
    assert pause["reason"] == "server_outage"
    assert down_ms - 1_000 <= pause["end_ms"] - pause["start_ms"] <= down_ms + 5_000
    assert "server_outage" in {r["kind"] for r in db_rows(live_open.dir, "SELECT kind FROM audit")}
    room = (await (await live_open.client("proctor")).watch())
    assert not room.sitting.paused  # the outage pause is over: the room runs again
    clock = await next_event(again, of_type(p.Clock), timeout=8)
    assert not clock.paused


async def test_an_open_pause_survives_a_restart(live_open):
    proctor = await live_open.proctor()
    await live_open.testing(0)
    await proctor.request(p.Pause("network", "коммутатор"))
    await live_open.close_clients()
    await live_open.stop()
    db_write(live_open.dir, "UPDATE meta SET value = ? WHERE key = 'alive_ms'", (str(alive_ms(live_open) - 60_000),))
    db_write(live_open.dir, "UPDATE audit SET at_ms = at_ms - 60000")
    await live_open.start()
    (pause,) = db_rows(live_open.dir, "SELECT * FROM pauses")  # no outage pause on top of it
    assert (pause["reason"], pause["end_ms"]) == ("network", None)
    client = await live_open.student(0)
    await client.start()
    assert (await next_event(client, of_type(p.Clock))).paused
    proctor = await live_open.client("proctor")
    await proctor.request(p.Resume())
    assert not (await next_event(client, of_type(p.Clock))).paused


async def test_the_deadline_with_the_student_disconnected(live_open):
    gone, gone_test = await live_open.testing(0)  # this computer dies before the deadline
    here, here_test = await live_open.testing(1)  # this one stays connected
    gone_items = [i.id for s in gone_test.subjects for i in s.items if i.kind == "single"]
    here_items = [i.id for s in here_test.subjects for i in s.items if i.kind == "single"]
    await gone.request(p.Answer(1, gone_items[0], "A", 1000))
    await live_open.close_clients()
    await live_open.stop()
    gone_id, here_id = live_open.student_id(0), live_open.student_id(1)
    # Both started nearly 170 minutes ago: the deadline is a few seconds away.
    db_write(live_open.dir, "UPDATE attempts SET started_ms = ?", (now_ms() - LIMIT_MS + 4_000,))
    db_write(live_open.dir, "UPDATE meta SET value = ? WHERE key = 'alive_ms'", (str(now_ms()),))
    await live_open.start()
    here = await live_open.student(1)
    assert here.login_ok.attempt.state == "testing"
    await here.start()

    result = await next_event(here, of_type(p.Result), timeout=10)
    assert result.reason == "time_over"
    room = live_open.room
    await wait_until(lambda: room.attempts[gone_id].state == "finished", timeout=5, what="the server to finish it")
    rows = {r["student_id"]: r for r in db_rows(live_open.dir, "SELECT * FROM attempts")}
    assert (rows[gone_id]["state"], rows[gone_id]["finish_reason"]) == ("finished", "time_over")
    assert (rows[here_id]["state"], rows[here_id]["finish_reason"]) == ("finished", "time_over")
    assert rows[gone_id]["offline_at_deadline"] == 1 and rows[here_id]["offline_at_deadline"] == 0
    finished = db_rows(live_open.dir, "SELECT actor, data FROM audit WHERE kind = 'finished' AND student_id = ?", (gone_id,))
    assert finished[0]["actor"] == "server" and '"time_over"' in finished[0]["data"]

    # Online at the deadline: the result was shown, so whatever it sends now is too late.
    err = None
    try:
        await here.request(p.Answer(1, here_items[0], "B", LIMIT_MS - 500))
    except ServerError as exc:
        err = exc
    assert err is not None and err.code == ErrorCode.SEALED
    late = db_rows(live_open.dir, "SELECT counted FROM answers WHERE student_id = ?", (here_id,))
    assert [r["counted"] for r in late] == [0]  # kept for the record, not counted

    # Offline at the deadline: an answer made in time counts; one made after does not.
    back = await live_open.student(0)
    assert back.login_ok.attempt.state == "finished"
    ack = await back.request(p.Answer(2, gone_items[1], "C", LIMIT_MS - 1_000))
    assert ack.counted
    try:
        await back.request(p.Answer(3, gone_items[2], "D", LIMIT_MS + 1_000))
        raise AssertionError("an answer made after the deadline was accepted")
    except ServerError as exc:
        assert exc.code == ErrorCode.TIME_OVER
    counted = {r["item"]: r["counted"] for r in db_rows(live_open.dir, "SELECT item, counted FROM answers WHERE student_id = ?",
                                                          (gone_id,))}
    assert counted == {gone_items[0]: 1, gone_items[1]: 1, gone_items[2]: 0}
    assert db_answers(live_open.dir, gone_id)[gone_items[1]] == "C"
    try:  # finished: no more test
        await back.request(p.Start())
        raise AssertionError("start after the deadline was accepted")
    except ServerError as exc:
        assert exc.code == ErrorCode.WRONG_STATE


MIN = 60_000


async def test_a_scheduled_break_is_offered_once_in_its_slot_and_ends_itself(live_open):
    client, _ = await live_open.testing(0)
    sid = live_open.student_id(0)
    room = live_open.room
    room.attempts[sid].started_ms = now_ms() - 36 * MIN  # in the first break slot (35-45 min)
    views.push_clock(room, sid)
    clock = await next_event(client, lambda e: isinstance(e, p.Clock) and e.break_due)
    assert not clock.room_break
    await client.take_break()
    assert db_rows(live_open.dir, "SELECT break_slots FROM attempts WHERE student_id = ?", (sid,))[0]["break_slots"] == "[0]"
    room.attempts[sid].break_started_ms = now_ms() - 10 * MIN  # the ten minutes are up
    clock = await next_event(client, lambda e: isinstance(e, p.Clock) and e.state == "testing", timeout=5)
    assert not clock.break_due  # this slot is used
    ended = db_rows(live_open.dir, "SELECT actor FROM audit WHERE kind = 'break_ended' AND student_id = ?", (sid,))
    assert [r["actor"] for r in ended] == ["server"]
    try:
        await client.take_break()
        raise AssertionError("a second break in the same slot was allowed")
    except ServerError as exc:
        assert exc.code == ErrorCode.WRONG_STATE
    room.attempts[sid].started_ms = now_ms() - 81 * MIN  # the second slot (80-90 min)
    await client.take_break()


async def test_the_questionnaire_time_runs_out(live_open):
    from room_tools.sim import solve
    client, _ = await live_open.testing(0)
    check = await client.finish_request()
    await client.finish(solve(check.question))
    q = await client.questionnaire_start()
    sid = live_open.student_id(0)
    live_open.room.attempts[sid].questionnaire_started_ms = now_ms() - q.minutes * MIN
    await next_event(client, of_type(p.Done), timeout=5)
    assert db_rows(live_open.dir, "SELECT state FROM attempts WHERE student_id = ?", (sid,))[0]["state"] == "done"
    # The app that sends at its time over still gets in (within 2 minutes); long after, not.
    live_open.room.attempts[sid].questionnaire_started_ms = now_ms() - q.minutes * MIN - 3 * MIN
    try:
        await client.questionnaire_submit(q, {q.questions[0].id: 0})
        raise AssertionError("a response long after the questionnaire's time was taken")
    except ServerError as exc:
        assert exc.code == ErrorCode.WRONG_STATE


async def test_seat_alerts_for_the_last_five_minutes_and_a_long_absence(live_open):
    proctor = await live_open.proctor()
    client, _ = await live_open.testing(0)
    await live_open.testing(1)
    s0, s1 = live_open.student_id(0), live_open.student_id(1)
    live_open.room.attempts[s0].started_ms = now_ms() - 166 * MIN
    seat = (await next_event(proctor, lambda e: isinstance(e, p.Seat) and e.seat.student == s0
                             and "five_minutes" in e.seat.alerts, timeout=8)).seat
    assert seat.remaining_ms <= 4 * MIN
    await client.close()
    await wait_until(lambda: s0 not in live_open.room.online)
    live_open.room.attempts[s0].offline_since_ms = now_ms() - 2 * MIN
    seat = (await next_event(proctor, lambda e: isinstance(e, p.Seat) and e.seat.student == s0
                             and "offline" in e.seat.alerts, timeout=8)).seat
    assert not seat.online
    room = await proctor.watch()
    assert next(s for s in room.seats if s.student == s1).alerts == []


async def test_a_transaction_left_open_by_a_cancelled_task_does_not_block_the_next(tmp_path):
    """Cancelling a task while its BEGIN runs in aiosqlite's thread leaves SQLite inside a
    transaction; the next writer must still get its own."""
    from room_server.storage import Database

    from conftest import make_room

    room = await make_room(tmp_path)
    storage = await Database.open(room.dir)
    try:
        await storage.db.execute("BEGIN IMMEDIATE")  # what the cancelled task left behind
        assert storage.db.in_transaction
        async with storage.transaction() as db:
            await db.execute("INSERT INTO meta (key, value) VALUES ('probe', 'ok')")
        rows = await storage.fetchall("SELECT value FROM meta WHERE key = 'probe'")
        assert [r["value"] for r in rows] == ["ok"]
        assert not storage.db.in_transaction
    finally:
        await storage.close()
