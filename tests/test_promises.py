"""The room's promises under the exact sequences that once broke them: nothing lost, the clock
the server's, a result once shown final, a pause that pauses, a removed student kept out.
Each test replays one finding step by step against real parts (a server process that can be
killed or frozen, the real student app, a cuttable link)."""

from __future__ import annotations

import asyncio
import csv
import json

from pathlib import Path

import pytest

import room_protocol as p
from conftest import db_rows, db_write, next_event, wait_until
from link_proxy import LinkProxy
from paperwork_support import opened
from room_client import ProctorClient, ServerError, StudentClient
from room_process import RoomProcess
from room_server.demo import make_demo_room
from room_tools.sim import solve
from student_tui.app import StudentApp
from student_tui.widgets.palette import Palette
from test_student_support import log_in, to_test, wait_for, wait_screen


def demo_logins(data) -> list[dict]:
    with open(data / "demo-logins.csv", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def stored(data, item: str) -> list:
    return db_rows(data, "SELECT seq, value, counted, late FROM answers WHERE item = ?", (item,))


def acked_cells(app) -> list[bool]:
    """Each item number of the subject on screen: shown saved (✓) or not."""
    return [state == "acked" for state in app.screen.query_one(Palette).states]


# --- 1. answers kept on the student's computer are sent after a relaunch -----------------

async def test_answers_journaled_while_the_server_was_down_are_sent_when_the_app_starts_again(tmp_path):
    data = tmp_path / "room"
    await make_demo_room(data, students=4, open_sitting=True)
    server = RoomProcess(data).start()
    row, state = demo_logins(data)[0], tmp_path / "pc"
    try:
        app = StudentApp(server=server.address, language="en", state_dir=state, safe=False)
        async with app.run_test(size=(100, 32)) as pilot:
            await to_test(pilot, app, row)
            server.kill()  # the laptop's power goes
            await wait_for(lambda: not app.client.online, pilot=pilot, what="the app noticing")
            first = app.screen.item.id
            await pilot.press("a")
            await pilot.press("right")
            second = app.screen.item.id
            await pilot.press("b")
            await wait_for(lambda: app.client.waiting_items() == 2, pilot=pilot, what="two answers waiting")
        # The app is closed before the server comes back; nothing of it reached the file.
        assert not stored(data, first) and not stored(data, second)
        server.start()
        again = StudentApp(server=server.address, language="en", state_dir=state, safe=False)
        async with again.run_test(size=(100, 32)) as pilot:
            await log_in(pilot, again, row)
            await wait_screen(pilot, again, "TestScreen")
            await wait_for(lambda: again.client.waiting_count() == 0, timeout=10, pilot=pilot,
                           what="the journaled answers sent and acknowledged")
            assert stored(data, first) and stored(data, second)
            await wait_for(lambda: acked_cells(again)[:2] == [True, True], pilot=pilot, what="both items green")
    finally:
        server.stop()


async def test_an_answer_sent_into_a_frozen_server_is_shown_saved_after_the_relaunch(tmp_path):
    data = tmp_path / "room"
    await make_demo_room(data, students=4, open_sitting=True)
    server = RoomProcess(data).start()
    row, state = demo_logins(data)[1], tmp_path / "pc"
    try:
        app = StudentApp(server=server.address, language="en", state_dir=state, safe=False)
        async with app.run_test(size=(100, 32)) as pilot:
            await to_test(pilot, app, row)
            item = app.screen.item.id
            server.freeze()  # the frame reaches the server's socket, nothing answers
            await pilot.press("a")
            await wait_for(lambda: app.client.item_state(item) == "sent", pilot=pilot, what="the answer sent, not acked")
        server.thaw()
        await wait_until(lambda: stored(data, item), timeout=10, what="the answer to reach the file")
        again = StudentApp(server=server.address, language="en", state_dir=state, safe=False)
        async with again.run_test(size=(100, 32)) as pilot:
            await log_in(pilot, again, row)
            await wait_screen(pilot, again, "TestScreen")
            await wait_for(lambda: again.client.waiting_count() == 0 and acked_cells(again)[0], timeout=10,
                           pilot=pilot, what="the answer shown saved")
        assert len(stored(data, item)) == 1  # the replay was acknowledged, not stored twice
    finally:
        server.stop()


# --- 2. never stuck on "please wait" ------------------------------------------------------

async def test_the_waiting_screen_moves_on_when_the_sitting_opened_while_the_link_was_down(tmp_path):
    data = tmp_path / "room"
    await make_demo_room(data, students=4, open_sitting=False)
    server = RoomProcess(data).start()
    proxy = LinkProxy(server.port)
    await proxy.start()
    row = demo_logins(data)[0]
    try:
        app = StudentApp(server=proxy.address, language="en", state_dir=tmp_path / "pc", safe=False)
        async with app.run_test(size=(100, 32)) as pilot:
            await log_in(pilot, app, row)
            await wait_screen(pilot, app, "DataScreen")
            await pilot.click("#correct")
            await wait_screen(pilot, app, "RulesScreen")
            await pilot.click("#agree")
            await pilot.click("#start")
            await wait_for(lambda: app.screen.waiting, pilot=pilot, what="please wait")
            proxy.cut()
            await wait_for(lambda: app.screen.query_one("#wait-link").display, pilot=pilot,
                           what="the waiting screen saying the link is down")
            proctor = ProctorClient(server.address, (data / "proctor.key").read_text().strip(), reconnect=False)
            await proctor.connect()
            await proctor.open_sitting()  # the push goes nowhere: this student's link is down
            await proctor.close()
            proxy.restore()
            await wait_screen(pilot, app, "TestScreen", timeout=10)
    finally:
        await proxy.close()
        server.stop()


# --- 3. memory, file, result and export agree ---------------------------------------------

async def test_an_answer_committed_while_its_connection_died_is_in_the_result_and_the_counts(tmp_path):
    data = tmp_path / "room"
    await make_demo_room(data, students=4, open_sitting=True)
    server = RoomProcess(data).start()
    row = demo_logins(data)[2]
    key = (data / "proctor.key").read_text().strip()
    try:
        student = StudentClient(server.address, reconnect=False)
        await student.connect()
        await student.login(row["login"], row["password"], "pc-3")
        await student.confirm_data()
        test = await student.start()
        item = test.subjects[0].items[0]
        server.freeze()
        student.answer(item.id, "A")
        await asyncio.sleep(0.2)  # the frame leaves this process; the server is frozen
        await student.close()  # the app is killed: the connection is gone before the commit
        server.thaw()
        await wait_until(lambda: stored(data, item.id), timeout=10, what="the answer in the file")

        proctor = ProctorClient(server.address, key, reconnect=False)
        await proctor.connect()
        seat = next(s for s in (await proctor.watch()).seats if s.login == row["login"])
        assert seat.answered == 1  # the server's memory has it
        again = StudentClient(server.address, reconnect=False)
        await again.connect()
        await again.login(row["login"], row["password"], "pc-3")
        assert item.id in again.login_ok.attempt.answered
        await again.start()
        check = await again.finish_request()
        total_items = len(test.subjects[0].items)
        assert check.unanswered[test.subjects[0].id] == total_items - 1
        result = await again.finish(solve(check.question))
        (tmp_path / "usb").mkdir()
        exported = await proctor.export(str(tmp_path / "usb"))
        bundle = opened(data, Path(exported.bundle))  # the results as the centre opens them
        with open(bundle / "results.csv", encoding="utf-8-sig") as f:
            (mine,) = [r for r in csv.DictReader(f, delimiter=";") if r["login"] == row["login"]]
        assert float(mine["total"].replace(",", ".")) == result.total and mine["answered"] == "1"
        answers = [json.loads(line) for line in open(bundle / "answers.jsonl", encoding="utf-8")]
        assert [a["item"] for a in answers if a["login"] == row["login"]] == [item.id]
        await again.close()
        await proctor.close()
    finally:
        server.stop()


# --- 5. a result once shown is final; late answers have a bound ---------------------------

LIMIT_MS = 170 * 60_000


async def deadline_passes_offline(live, index: int) -> tuple[StudentClient, list, int]:
    """A student testing, cut off; the records say their deadline passed a moment ago while
    they were away (the server restarted meanwhile, so its records move back as one)."""
    client, test = await live.testing(index)
    items = [i.id for i in test.subjects[0].items if i.kind == "single"]
    sid = live.student_id(index)
    await live.close_clients()
    await live.stop()
    shift = -(LIMIT_MS - 2_000) - 60_000  # the deadline 2 s after the last word from the app, a minute ago
    db_write(live.dir, "UPDATE attempts SET started_ms = started_ms + ?, last_seen_ms = last_seen_ms + ? "
                       "WHERE student_id = ?", (shift, shift, sid))
    await live.start()
    await wait_until(lambda: live.room.attempts[sid].state == "finished", timeout=10, what="the deadline")
    return client, items, sid


async def test_late_answers_count_inside_the_bound_and_the_result_never_changes_after(live_open):
    live = live_open
    _, items, sid = await deadline_passes_offline(live, 0)
    a = live.room.attempts[sid]
    assert a.offline_at_deadline and a.result is None  # not sealed: the app may still send
    back = await live.student(0)
    assert back.login_ok.attempt.state == "finished" and back.login_ok.attempt.result is None
    made = LIMIT_MS - 1_000  # made in time, after the link dropped
    ack = await back.request(p.Answer(50, items[0], "A", made))
    assert ack.counted
    proctor = await live.proctor()
    seat = next(s for s in (await proctor.watch()).seats if s.student == sid)
    assert "late_answer" in seat.alerts and seat.late_answers == 1
    assert db_rows(live.dir, "SELECT late FROM answers WHERE student_id = ? AND seq = 50", (sid,))[0]["late"] == 1
    events = await proctor.event_log(sid)
    assert any(e.kind == "answer" and e.data.get("late") for e in events)  # flagged in the audit log

    result = await back.request(p.GetResult())  # the app has sent its journal: sealed now
    with pytest.raises(ServerError) as err:
        await back.request(p.Answer(51, items[1], "A", made))
    assert err.value.code == "sealed"
    # Probing: log in again, try another answer, ask again — always the same result.
    for attempt in range(3):
        again = await live.student(0)
        assert again.login_ok.attempt.result == p.ResultView(result.subjects, result.total, result.max_total,
                                                            result.percent, result.reason)
        with pytest.raises(ServerError) as err:
            await again.request(p.Answer(60 + attempt, items[2], "B", made))
        assert err.value.code == "sealed"
    await live.restart()  # and across a restart of the server
    again = await live.student(0)
    assert again.login_ok.attempt.result.total == result.total


async def test_late_answers_after_the_grace_window_or_the_close_do_not_count(live_open):
    live = live_open
    db_write(live.dir, "INSERT OR REPLACE INTO meta (key, value) VALUES ('late_grace_ms', '1')")
    await live.restart()
    _, items, sid = await deadline_passes_offline(live, 1)
    back = await live.student(1)
    with pytest.raises(ServerError) as err:  # the grace window (1 ms here) is over
        await back.request(p.Answer(50, items[0], "A", LIMIT_MS - 1_000))
    assert err.value.code in ("time_over", "sealed")  # the ticker may already have sealed it
    await wait_until(lambda: live.room.attempts[sid].result is not None, what="sealed when the window ended")

    _, items, sid2 = await deadline_passes_offline(live, 2)
    db_write(live.dir, "INSERT OR REPLACE INTO meta (key, value) VALUES ('late_grace_ms', '300000')")
    await live.restart()
    proctor = await live.proctor()
    await proctor.close_sitting()
    back = await live.student(2)
    with pytest.raises(ServerError) as err:
        await back.request(p.Answer(50, items[0], "A", LIMIT_MS - 1_000))
    assert err.value.code in ("closed", "sealed")
    assert live.room.attempts[sid2].result is not None  # closing sealed it
    assert not db_rows(live.dir, "SELECT 1 FROM answers WHERE student_id = ? AND counted = 1 AND late = 1", (sid2,))


# --- 6. a paused room takes nothing the student would have to undo ------------------------

async def test_a_paused_room_refuses_answers_navigation_and_finishing_and_the_client_sends_after(live_open):
    client, test = await live_open.testing(0)
    items = test.subjects[0].items
    proctor = await live_open.proctor()
    await proctor.pause("power")
    await next_event(client, lambda e: isinstance(e, p.Clock) and e.paused)
    for request, code in ((p.Answer(client.next_seq + 50, items[0].id, None, 1), "paused"), (p.Goto(items[1].id), "paused"),
                          (p.NextSubject(), "paused"), (p.FinishRequest(), "paused")):
        with pytest.raises(ServerError) as err:
            await client.request(request)
        assert err.value.code == code, request
    held = client.answer(items[0].id, "A")  # made while paused (the screen should not allow it)
    await wait_until(lambda: client._held, what="the client holding it")
    assert held.state == "pending" and not db_rows(live_open.dir, "SELECT 1 FROM answers")
    await proctor.resume()
    await wait_until(lambda: held.state == "acked", what="sent once the room runs again")


async def test_a_student_on_a_break_answers_nothing_until_it_ends(live_open):
    client, test = await live_open.testing(0)
    proctor = await live_open.proctor()
    await proctor.announce_break()
    await next_event(client, lambda e: isinstance(e, p.Clock) and e.break_due)
    await client.take_break()
    with pytest.raises(ServerError) as err:
        await client.request(p.Answer(client.next_seq, test.subjects[0].items[0].id, None, 1))
    assert err.value.code == "on_break"
    await client.end_break()
    with pytest.raises(ServerError) as err:  # one break per announcement
        await client.take_break()
    assert err.value.code == "wrong_state"


# --- 7. protocol edges --------------------------------------------------------------------

async def test_a_seq_reused_with_other_content_is_refused_and_changes_nothing(live_open):
    client, test = await live_open.testing(0)
    item = test.subjects[0].items[0]
    await client.request(p.Answer(1, item.id, "A", 10))
    with pytest.raises(ServerError) as err:
        await client.request(p.Answer(1, item.id, "B", 10))
    assert err.value.code == "bad_field"
    other = test.subjects[0].items[1]
    with pytest.raises(ServerError) as err:
        await client.request(p.Answer(1, other.id, None, 10))
    assert err.value.code == "bad_field"
    assert [(r["seq"], r["item"]) for r in db_rows(live_open.dir, "SELECT seq, item FROM answers")] == [(1, item.id)]
    assert live_open.room.attempts[live_open.student_id(0)].latest[item.id][1] == "A"


async def test_a_huge_seq_is_refused_and_blocks_nothing(live_open):
    client, test = await live_open.testing(0)
    item = test.subjects[0].items[0]
    for seq in (10_000_000, 2**40, 10_002):
        with pytest.raises(ServerError) as err:
            await client.request(p.Answer(seq, item.id, "A", 10))
        assert err.value.code == "bad_field"
    assert (await client.request(p.Answer(1, item.id, "A", 10))).counted
    assert (await client.request(p.Answer(2, item.id, "B", 20))).counted


async def test_a_matching_answer_with_a_junk_key_is_a_bad_field_not_internal(live_open):
    client, test = await live_open.testing(0)
    matching = next(i for i in test.subjects[0].items if i.kind == "matching")
    for value in ({"²": "A"}, {"١": "A"}, {"0": "A"}, {"1": "Z"}, {"１": "A"}):
        with pytest.raises(ServerError) as err:
            await client.request(p.Answer(client.next_seq, matching.id, value, 10))
        assert err.value.code == "bad_field", value


async def test_a_frame_of_exactly_256_kib_gets_too_large(live):
    import aiohttp
    import msgpack
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(f"ws://{live.address}/ws", max_msg_size=0) as ws:
            pad = 256 * 1024 - len(msgpack.packb({"t": "hello", "id": 1, "pad": ""})) - 4  # str32 header
            frame = msgpack.packb({"t": "hello", "id": 1, "pad": "x" * pad})
            assert len(frame) == 256 * 1024
            await ws.send_bytes(frame)
            reply = msgpack.unpackb((await ws.receive(timeout=5)).data)
            assert reply["code"] == "too_large"


async def test_answers_for_a_subject_not_reached_are_refused(live_open):
    client, test = await live_open.testing(0)
    later = test.subjects[1].items[0]
    with pytest.raises(ServerError) as err:
        await client.request(p.Answer(1, later.id, None, 10))
    assert err.value.code == "wrong_state"
    await client.next_subject()
    assert (await client.request(p.Answer(1, later.id, None, 10))).counted


# --- 8. a student removed or not admitted never logs in again -----------------------------

@pytest.mark.parametrize("decision", ["not_admitted_only", "remove"])
async def test_an_annex2_act_keeps_the_slip_out_and_the_console_sees_the_try(live_open, decision):
    live = live_open
    proctor = await live.proctor()
    sid = live.student_id(1)
    await proctor.incident("annex2", sid, {"impostor": "Бөгде адам", "decision": decision})
    client = await live.client()
    login = live.logins[1]
    with pytest.raises(ServerError) as err:
        await client.login(login["login"], login["password"], "pc-1")
    assert err.value.code == "removed"
    seat = await wait_until(lambda: _seat_with_alert(proctor, sid), what="the alert on the console")
    assert seat.annulled and seat.status == "removed"
    tries = db_rows(live.dir, "SELECT data FROM audit WHERE kind = 'removed_login' AND student_id = ?", (sid,))
    assert tries and "127.0.0.1" in tries[0]["data"]


async def _seat_with_alert(proctor, sid):
    seat = next(s for s in (await proctor.watch()).seats if s.student == sid)
    return seat if "removed_login" in seat.alerts else None
