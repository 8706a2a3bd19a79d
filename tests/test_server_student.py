"""A real server on loopback and real clients: every step of a student's sitting."""

from __future__ import annotations

import asyncio
import random

import pytest

from conftest import (RawSocket, db_answers, db_rows, find_key, make_room, next_event, of_type, wait_until)
from content.loader import load_pack
from content.scoring import score_attempt
from room_client import ACKED, SENT, Acked, StudentClient, ServerError
import room_protocol as p
from room_protocol import ErrorCode
from room_tools.sim import random_value, solve


def items_of(test: p.Test) -> list[dict]:
    return [item for subject in test.subjects for item in subject.items]


async def answered(client: StudentClient, seq_or_state, timeout: float = 5.0):
    state = seq_or_state
    await wait_until(lambda: state.state == ACKED, timeout, f"the ack of answer {state.seq}")
    return state


# --- hello and login --------------------------------------------------------------------

async def test_hello_describes_the_room(live):
    client = await live.client()
    assert client.hello.version == p.PROTOCOL_VERSION
    assert (client.hello.school, client.hello.room, client.hello.grade) == ("Школа №7", "12", 9)
    assert client.hello.languages == ["kk"]


async def test_hello_with_another_version_is_refused_and_closed(live):
    async with RawSocket(live.address) as raw:
        await raw.send({"t": "hello", "version": p.PROTOCOL_VERSION + 1, "role": "student"}, 1)
        reply = await raw.receive()
        assert reply["t"] == "error" and reply["code"] == ErrorCode.VERSION and reply["re"] == 1
        assert str(p.PROTOCOL_VERSION) in reply["reason"]
        assert await raw.reply() in (None, {"t": "error", "code": ErrorCode.VERSION, "reason": reply["reason"]})
        assert await raw.receive() is None  # closed


async def test_first_message_must_be_hello(live):
    async with RawSocket(live.address) as raw:
        await raw.send({"t": "login", "login": "x", "password": "y", "test_type": "MODO", "device": "d"}, 1)
        assert (await raw.reply())["code"] == ErrorCode.NOT_HELLO


async def test_wrong_password_then_slow_down(live):
    client = await live.client()
    login = live.logins[0]["login"]
    codes = []
    for _ in range(3):
        with pytest.raises(ServerError) as err:
            await client.login(login, "wrong!", "pc")
        codes.append(err.value.code)
    assert codes == [ErrorCode.BAD_LOGIN] * 3
    assert "wrong login or password" in err.value.reason
    assert err.value.retry_after_s and err.value.retry_after_s > 0  # the next try must wait
    with pytest.raises(ServerError) as err:  # even the right password must wait now
        await client.login(login, live.logins[0]["password"], "pc")
    assert err.value.code == ErrorCode.SLOW_DOWN
    assert 0 < err.value.retry_after_s <= 60
    # An unknown login is the same error as a wrong password (the throttle is per login and
    # computer: another login from here starts its own count).
    with pytest.raises(ServerError) as err:
        await client.login("m9-999", "x", "pc")
    assert err.value.code == ErrorCode.BAD_LOGIN
    failed = db_rows(live.dir, "SELECT data FROM audit WHERE kind = 'login_failed'")
    assert len(failed) == 4


async def test_login_refuses_another_test_type_and_bad_device(live):
    client = await live.client()
    login = live.logins[0]
    with pytest.raises(ServerError) as err:
        await client.request(p.Login(login["login"], login["password"], "ENT", "pc"))
    assert err.value.code == ErrorCode.BAD_FIELD
    with pytest.raises(ServerError) as err:
        await client.request(p.Login(login["login"], login["password"], "MODO", ""))
    assert err.value.code == ErrorCode.BAD_FIELD


async def test_login_shows_personal_data_for_confirmation(live):
    client = await live.student(0)
    ok = client.login_ok
    row = db_rows(live.dir, "SELECT * FROM students WHERE login = ?", (live.logins[0]["login"],))[0]
    assert ok.student.surname == row["surname"] and ok.student.iin == row["iin"]
    assert ok.student.test_language == "kk" and ok.student.test_type == "MODO"
    assert ok.student.ikt == row["ikt"] and ok.student.seat == row["seat"]
    assert "password_hash" not in ok.student.to_wire() and "variant" not in ok.student.to_wire()
    assert ok.attempt.state == "confirming"
    assert db_rows(live.dir, "SELECT state FROM attempts WHERE student_id = ?", (row["id"],))[0]["state"] == "confirming"


async def test_report_mistake_alerts_the_proctor_and_confirm_clears_it(live):
    proctor = await live.proctor()
    client = await live.student(0)
    sid = live.student_id(0)
    await client.report_mistake("Менің тегім Сұлтанова, Сұлтанов емес")
    seat = await next_event(proctor, lambda e: isinstance(e, p.Seat) and e.seat.student == sid
                            and "data_mistake" in e.seat.alerts, timeout=5)
    assert seat.seat.data_mistake == "Менің тегім Сұлтанова, Сұлтанов емес"
    row = db_rows(live.dir, "SELECT data_mistake, state FROM attempts WHERE student_id = ?", (sid,))[0]
    assert row["data_mistake"].startswith("Менің") and row["state"] == "confirming"
    await client.confirm_data()
    seat = await next_event(proctor, lambda e: isinstance(e, p.Seat) and e.seat.student == sid
                            and e.seat.state == "rules", timeout=5)
    assert "data_mistake" not in seat.seat.alerts
    with pytest.raises(ServerError) as err:  # confirmed: no more reports
        await client.report_mistake("x")
    assert err.value.code == ErrorCode.WRONG_STATE


# --- start, the test, no keys -----------------------------------------------------------

async def test_start_waits_for_the_sitting_then_gets_the_test_without_keys(live):
    client = await live.student(0)
    await client.confirm_data()
    reply = await client.start()
    assert isinstance(reply, p.Waiting)
    sid = live.student_id(0)
    assert db_rows(live.dir, "SELECT state FROM attempts WHERE student_id = ?", (sid,))[0]["state"] == "waiting"
    assert isinstance(await client.start(), p.Waiting)  # asking again is harmless
    await live.open()
    await next_event(client, of_type(p.SittingNow, state="open"))
    test = await client.start()
    assert isinstance(test, p.Test)
    assert [s.id for s in test.subjects] == ["reading", "math", "science"]
    assert len(items_of(test)) == 30
    assert find_key(test.to_wire(), "key") == []
    assert find_key(test.to_wire(), "tolerance") == []
    # The keys the pack holds never appear as a field of an item.
    pack, _ = load_pack(live.dir / "packs" / "g9-kk")
    variant = db_rows(live.dir, "SELECT variant FROM students WHERE id = ?", (sid,))[0]["variant"]
    assert [i.id for i in items_of(test)] == [i.id for i in pack.variant(variant).items()]
    assert len(test.journal_key) == 32 and test.next_seq == 1 and test.current_item == items_of(test)[0].id
    clock = await next_event(client, of_type(p.Clock))
    assert clock.state == "testing" and 170 * 60_000 - 5_000 < clock.remaining_ms <= 170 * 60_000
    # Start again (a reload): the same test, the same journal key.
    again = await client.start()
    assert again.journal_key == test.journal_key


async def test_neighbours_get_different_variants(live_open):
    _, first = await live_open.testing(0)
    _, second = await live_open.testing(1)
    assert items_of(first)[0].id.split("-")[0] != items_of(second)[0].id.split("-")[0]


async def test_start_before_confirm_is_wrong_state(live_open):
    client = await live_open.student(0)
    with pytest.raises(ServerError) as err:
        await client.start()
    assert err.value.code == ErrorCode.WRONG_STATE


# --- answers ----------------------------------------------------------------------------

async def test_an_answer_is_acked_only_after_its_commit(live_open):
    client, test = await live_open.testing(0)
    storage = live_open.room.answers
    original = storage._commit
    entered, release = asyncio.Event(), asyncio.Event()

    async def held(records):
        entered.set()
        await release.wait()
        return await original(records)

    storage._commit = held
    item = items_of(test)[0].id
    state = client.answer(item, "B")
    await asyncio.wait_for(entered.wait(), 5)
    assert state.state == SENT  # sent, the commit not done: not saved
    assert db_answers(live_open.dir, live_open.student_id(0)) == {}
    release.set()
    await answered(client, state)
    storage._commit = original
    assert db_answers(live_open.dir, live_open.student_id(0)) == {item: "B"}
    event = await next_event(client, of_type(Acked))
    assert (event.seq, event.item, event.value, event.counted) == (1, item, "B", True)


async def test_a_replay_is_acked_again_not_doubled(live_open):
    client, test = await live_open.testing(0)
    item = items_of(test)[0].id
    first = await client.request(p.Answer(1, item, "A", 1000))
    second = await client.request(p.Answer(1, item, "A", 1000))
    assert (first.seq, first.counted) == (second.seq, second.counted) == (1, True)
    sid = live_open.student_id(0)
    assert len(db_rows(live_open.dir, "SELECT * FROM answers WHERE student_id = ?", (sid,))) == 1
    assert len(db_rows(live_open.dir, "SELECT * FROM audit WHERE student_id = ? AND kind = 'answer'", (sid,))) == 1


async def test_the_latest_seq_wins_even_when_an_older_arrives_later(live_open):
    client, test = await live_open.testing(0)
    item = items_of(test)[0].id
    await client.request(p.Answer(5, item, "C", 3000))
    await client.request(p.Answer(4, item, "B", 2000))  # older, late (a resend after a reconnect)
    sid = live_open.student_id(0)
    assert db_answers(live_open.dir, sid) == {item: "C"}
    assert live_open.room.attempts[sid].latest[item] == (5, "C")
    again = await client.start()
    assert again.answers == {item: "C"} and again.next_seq == 6


async def test_answers_of_many_kinds_and_a_cleared_answer(live_open):
    client, test = await live_open.testing(0)
    rng = random.Random(5)
    states = [client.answer(item.id, random_value(item, rng)) for item in items_of(test)[:10]]
    for state in states:
        await answered(client, state)
    cleared = client.answer(items_of(test)[0].id, None)
    await answered(client, cleared)
    stored = db_answers(live_open.dir, live_open.student_id(0))
    assert stored[items_of(test)[0].id] is None
    assert all(stored[s.item] == s.value for s in states[1:])


@pytest.mark.parametrize("item, value", [
    ("A-r1", "Z"), ("A-r1", ["A"]), ("A-r1", 1), ("A-r2", "AB"), ("A-r2", ["A", "A"]), ("A-r7", {"9": "A"}),
    ("A-r7", {"1": "Z"}), ("A-r3", "x" * 201), ("A-r3", {"a": 1}), ("nope", "A")])
async def test_an_answer_that_does_not_fit_its_item_is_refused(live_open, item, value):
    client, test = await live_open.testing(0)
    assert items_of(test)[0].id == "A-r1"  # seat 1 has variant A
    with pytest.raises(ServerError) as err:
        await client.request(p.Answer(1, item, value, 100))
    assert err.value.code == (ErrorCode.NOT_FOUND if item == "nope" else ErrorCode.BAD_FIELD)
    assert db_answers(live_open.dir, live_open.student_id(0)) == {}


async def test_goto_and_relogin_on_the_same_device_resumes(live_open):
    client, test = await live_open.testing(0)
    items = items_of(test)
    for item in items[:3]:
        await answered(client, client.answer(item.id, random_value(item, random.Random(1))))
    await client.goto(items[4].id)
    await client.close()
    sid = live_open.student_id(0)
    await wait_until(lambda: sid not in live_open.room.online, what="the server to see the student leave")
    again = await live_open.student(0)  # same device "pc-0"
    assert again.login_ok.attempt.state == "testing"
    assert again.login_ok.attempt.current_item == items[4].id
    assert again.login_ok.attempt.answered == sorted(i.id for i in items[:3])
    resumed = await again.start()
    assert resumed.current_item == items[4].id
    assert set(resumed.answers) == {i.id for i in items[:3]}
    assert resumed.next_seq == 4
    # The position is on disk too (written by the ticker or at disconnect).
    await wait_until(lambda: db_rows(live_open.dir, "SELECT current_item FROM attempts WHERE student_id = ?",
                                     (sid,))[0]["current_item"] == items[4].id, timeout=8, what="the position on disk")


async def test_relogin_on_the_same_device_while_connected_replaces_the_old_link(live_open):
    old, _ = await live_open.testing(0)
    new = await live_open.student(0)  # same device
    assert new.login_ok.attempt.state == "testing"
    error = await next_event(old, of_type(p.Error, code=ErrorCode.REPLACED))
    assert error.reason


# --- a second computer ------------------------------------------------------------------

async def test_second_device_waits_for_approval_then_approved(live_open):
    proctor = await live_open.proctor()
    first, test = await live_open.testing(0)
    sid = live_open.student_id(0)
    second = await live_open.client()
    with pytest.raises(ServerError) as err:
        await second.login(live_open.logins[0]["login"], live_open.logins[0]["password"], "another-pc")
    assert err.value.code == ErrorCode.AWAITING_APPROVAL
    seat = await next_event(proctor, lambda e: isinstance(e, p.Seat) and e.seat.student == sid
                            and e.seat.status == "awaiting_approval")
    assert "second_login" in seat.seat.alerts
    await proctor.request(p.ApproveLogin(sid, True))
    assert (await next_event(second, of_type(p.Approval))).approved is True
    login_ok = await next_event(second, of_type(p.LoginOk))
    assert login_ok.attempt.state == "testing"
    await next_event(first, of_type(p.Error, code=ErrorCode.REPLACED))
    resumed = await second.start()
    assert resumed.journal_key == test.journal_key
    assert db_rows(live_open.dir, "SELECT device FROM attempts WHERE student_id = ?", (sid,))[0]["device"] == "another-pc"
    kinds = [r["kind"] for r in db_rows(live_open.dir, "SELECT kind FROM audit WHERE student_id = ? ORDER BY id", (sid,))]
    assert "second_login" in kinds and "second_login_approved" in kinds


async def test_second_device_after_a_fault_refused(live_open):
    proctor = await live_open.proctor()
    first, _ = await live_open.testing(0)
    await first.close()  # the first computer died
    sid = live_open.student_id(0)
    await wait_until(lambda: sid not in live_open.room.online)
    second = await live_open.client()
    with pytest.raises(ServerError) as err:
        await second.login(live_open.logins[0]["login"], live_open.logins[0]["password"], "another-pc")
    assert err.value.code == ErrorCode.AWAITING_APPROVAL
    await proctor.request(p.ApproveLogin(sid, False))
    assert (await next_event(second, of_type(p.Approval))).approved is False
    error = await next_event(second, of_type(p.Error))
    assert error.code == ErrorCode.REFUSED
    await wait_until(lambda: not second.online or second._ws.closed, what="the refused link to close")
    with pytest.raises(ServerError) as err:  # nothing is waiting any more
        await proctor.request(p.ApproveLogin(sid, True))
    assert err.value.code == ErrorCode.NOT_FOUND


# --- subjects, breaks, finishing ---------------------------------------------------------

async def test_next_subject_closes_the_subject_when_the_pack_forbids_reopening(live_open):
    client, test = await live_open.testing(0)
    reading = test.subjects[0].items[0].id
    now = await client.next_subject()
    assert (now.subject_index, now.closed) == (1, ["reading"])
    with pytest.raises(ServerError) as err:
        await client.request(p.Answer(1, reading, "A", 100))
    assert err.value.code == ErrorCode.SUBJECT_CLOSED
    with pytest.raises(ServerError) as err:
        await client.open_subject("reading")
    assert err.value.code == ErrorCode.SUBJECT_CLOSED
    with pytest.raises(ServerError) as err:
        await client.open_subject("science")  # no jumping ahead either
    assert err.value.code == ErrorCode.SUBJECT_CLOSED
    assert (await client.next_subject()).closed == ["reading", "math"]
    with pytest.raises(ServerError) as err:
        await client.next_subject()
    assert err.value.code == ErrorCode.WRONG_STATE
    resumed = await client.start()
    assert resumed.subject_index == 2
    assert db_answers(live_open.dir, live_open.student_id(0)) == {}


async def test_grade4_subjects_can_be_reopened(tmp_path):
    room = await make_room(tmp_path, students=2, packs=("g4-kk",), grade=4)
    await room.start()
    try:
        await room.open()
        client, test = await room.testing(0)
        assert test.timing.total_minutes == 105 and test.timing.reopen is True
        assert (await client.next_subject()).closed == []
        back = await client.open_subject("reading")
        assert back.subject_index == 0
        ack = await client.request(p.Answer(1, test.subjects[0].items[0].id, "A", 100))
        assert ack.counted
    finally:
        await room.close_clients()
        await room.stop()


async def test_a_break_only_when_offered(live_open):
    client, _ = await live_open.testing(0)
    with pytest.raises(ServerError) as err:
        await client.take_break()
    assert err.value.code == ErrorCode.WRONG_STATE
    proctor = await live_open.proctor()
    await proctor.request(p.AnnounceBreak())
    clock = await next_event(client, lambda e: isinstance(e, p.Clock) and e.room_break)
    assert clock.break_due
    await client.take_break()
    clock = await next_event(client, lambda e: isinstance(e, p.Clock) and e.state == "on_break")
    assert clock.break_remaining_ms is not None and 0 < clock.break_remaining_ms <= 10 * 60_000
    sid = live_open.student_id(0)
    assert db_rows(live_open.dir, "SELECT state FROM attempts WHERE student_id = ?", (sid,))[0]["state"] == "on_break"
    seat = next(s for s in (await proctor.watch()).seats if s.student == sid)
    assert seat.status == "on_break" and 0 < seat.break_remaining_ms <= 10 * 60_000  # the console shows it
    with pytest.raises(ServerError) as err:
        await client.take_break()
    assert err.value.code == ErrorCode.WRONG_STATE
    await client.end_break()
    await next_event(client, lambda e: isinstance(e, p.Clock) and e.state == "testing")
    with pytest.raises(ServerError) as err:
        await client.end_break()
    assert err.value.code == ErrorCode.WRONG_STATE
    kinds = [r["kind"] for r in db_rows(live_open.dir, "SELECT kind FROM audit WHERE student_id = ?", (sid,))]
    assert kinds.count("break_started") == 1 and kinds.count("break_ended") == 1


async def test_finish_with_the_arithmetic_check_returns_the_score(live_open):
    client, test = await live_open.testing(0)
    rng = random.Random(9)
    values = {}
    reading, math = test.subjects[0].items, test.subjects[1].items
    for item in reading:
        values[item.id] = random_value(item, rng)
        await answered(client, client.answer(item.id, values[item.id]))
    await client.next_subject()
    for item in math[:2]:
        values[item.id] = random_value(item, rng)
        await answered(client, client.answer(item.id, values[item.id]))
    check = await client.finish_request()
    assert check.unanswered == {"reading": 0, "math": 8, "science": 10}
    right = solve(check.question)
    with pytest.raises(ServerError) as err:
        await client.finish(str(int(right) + 1))
    assert err.value.code == ErrorCode.BAD_CHECK
    with pytest.raises(ServerError) as err:  # a wrong answer asks for a new example
        await client.finish(right)
    assert err.value.code == ErrorCode.WRONG_STATE
    check = await client.finish_request()
    result = await client.finish(solve(check.question))
    assert isinstance(result, p.Result) and result.reason == "finished"
    sid = live_open.student_id(0)
    pack, _ = load_pack(live_open.dir / "packs" / "g9-kk")
    variant = db_rows(live_open.dir, "SELECT variant FROM students WHERE id = ?", (sid,))[0]["variant"]
    expected = score_attempt(pack, variant, values)
    assert [s.to_wire() for s in result.subjects] == [s.as_dict() for s in expected.subjects]
    assert (result.total, result.max_total, result.percent) == (expected.total, expected.max_total, expected.percent)
    row = db_rows(live_open.dir, "SELECT state, finish_reason, finished_ms FROM attempts WHERE student_id = ?", (sid,))[0]
    assert (row["state"], row["finish_reason"]) == ("finished", "finished") and row["finished_ms"]
    with pytest.raises(ServerError) as err:  # the result is shown: answers are closed now
        await client.request(p.Answer(100, items_of(test)[20].id, "A", 5000))
    assert err.value.code == ErrorCode.SEALED
    assert find_key(result.to_wire(), "key") == []


async def test_the_questionnaire_is_sealed_on_the_students_computer(live_open):
    from conftest import centre_private_key
    from room_protocol.responses import open_response
    proctor = await live_open.proctor()
    client, _ = await live_open.testing(0)
    check = await client.finish_request()
    await client.finish(solve(check.question))
    q = await client.questionnaire_start()
    assert q.questions and q.minutes > 0 and 0 < q.remaining_ms <= q.minutes * 60_000 and len(q.centre_key) == 32
    answers = {question.id: {"choice": 1, "multi": [0, 1], "text": "мектеп жақсы"}[question.kind]
               for question in q.questions}
    with pytest.raises(ValueError):  # the app cannot seal an answer that does not fit
        await client.questionnaire_submit(q, {q.questions[0].id: 99})
    assert isinstance(await client.questionnaire_submit(q, answers), p.Done)
    stored = db_rows(live_open.dir, "SELECT * FROM questionnaire_responses")
    assert len(stored) == 1 and len(stored[0]["sealed"]) == p.rules.QUESTIONNAIRE_SEALED_BYTES
    opened = open_response(centre_private_key(live_open.centre), stored[0]["sealed"])
    assert opened["answers"] == answers and opened["ikt"] == live_open.logins[0]["ikt"]
    # Nothing the proctor can ask for shows an answer; the console knows only that it came.
    events = await proctor.request(p.ListEvents(None, 1000))
    room = await proctor.watch()
    assert "мектеп жақсы" not in repr(events) and "мектеп жақсы" not in repr(room)
    assert next(s for s in room.seats if s.student == live_open.student_id(0)).questionnaire_done
