"""The client library against a server that goes away and comes back on the same port: it
reconnects, logs in again on the same device, and sends every unacknowledged answer."""

from __future__ import annotations

import random

from conftest import db_answers, db_rows, next_event, wait_until
from room_client import ACKED, PENDING, Acked, Connection
import room_protocol as p
from room_tools.sim import random_value


async def test_answers_made_while_the_server_is_down_are_sent_after_it_returns(live_open):
    client, test = await live_open.testing(0, reconnect=True)
    items = [item for subject in test.subjects for item in subject.items]
    rng = random.Random(4)
    first = client.answer(items[0].id, random_value(items[0], rng))
    await wait_until(lambda: first.state == ACKED)
    port = live_open.server.port
    await live_open.stop()
    await next_event(client, lambda e: isinstance(e, Connection) and not e.online)
    offline = [client.answer(item.id, random_value(item, rng)) for item in items[1:6]]
    changed = client.answer(items[0].id, random_value(items[0], random.Random(99)))  # a second thought
    assert {s.state for s in offline + [changed]} == {PENDING}
    await live_open.start(port)
    await next_event(client, lambda e: isinstance(e, Connection) and e.online, timeout=15)
    await wait_until(lambda: all(s.state == ACKED for s in offline + [changed]), timeout=10, what="the resent answers")
    stored = db_answers(live_open.dir, live_open.student_id(0))
    assert stored == {s.item: s.value for s in [changed] + offline}
    seqs = [r["seq"] for r in db_rows(live_open.dir, "SELECT seq FROM answers WHERE student_id = ? ORDER BY seq",
                                      (live_open.student_id(0),))]
    assert seqs == list(range(1, 8))
    assert client.waiting_count() == 0


async def test_a_restart_mid_burst_loses_no_acknowledged_answer(live_open):
    client, test = await live_open.testing(1, reconnect=True)
    items = test.subjects[0].items  # the subject open now (the others take no answers yet)
    rng = random.Random(8)
    acked: dict[str, object] = {}

    sent = [client.answer(item.id, random_value(item, rng)) for item in items]
    port = live_open.server.port
    await live_open.stop()  # some answers are acked, some are not
    while not client.events.empty():
        event = client.events.get_nowait()
        if isinstance(event, Acked):
            acked[event.item] = event.value
    stored_before = db_answers(live_open.dir, live_open.student_id(1))
    assert all(stored_before.get(item) == value for item, value in acked.items())  # acked means on disk
    await live_open.start(port)
    await wait_until(lambda: all(s.state == ACKED for s in sent), timeout=15, what="every answer acked")
    assert db_answers(live_open.dir, live_open.student_id(1)) == {s.item: s.value for s in sent}
    again = await client.start()
    assert isinstance(again, p.Test) and set(again.answers) == {s.item for s in sent}


async def test_reconnect_waits_out_a_login_slowdown_instead_of_giving_up(live_open):
    client, test = await live_open.testing(0, reconnect=True)
    # Someone at the same address mistypes passwords: the address must now wait before logging in.
    other = await live_open.client()
    for _ in range(4):
        try:
            await other.login(live_open.logins[1]["login"], "wrong", "pc-x")
        except Exception:
            pass
    await client._ws.close()  # the link drops
    await next_event(client, lambda e: isinstance(e, Connection) and not e.online)
    state = client.answer(test.subjects[0].items[0].id, "A")
    await next_event(client, lambda e: isinstance(e, Connection) and e.online, timeout=15)
    await wait_until(lambda: state.state == ACKED, timeout=5)
    assert db_answers(live_open.dir, live_open.student_id(0))[state.item] == "A"


async def test_a_simulated_student_waits_out_a_slowdown_and_finishes(live_open):
    from room_tools.sim import SimStudent
    other = await live_open.client()
    for _ in range(4):
        try:
            await other.login(live_open.logins[1]["login"], "wrong", "pc-x")
        except Exception:
            pass
    login = live_open.logins[2]
    report = await SimStudent(live_open.address, login["login"], login["password"], think=0,
                              rng=random.Random(1), take_break=False).run()
    assert report.finished, report.error
    assert report.answers_acked == 30


async def test_a_proctor_console_watches_the_room_again_after_a_server_restart(live_open):
    proctor = await live_open.client("proctor", reconnect=True)
    await proctor.watch()
    port = live_open.server.port
    await live_open.stop()
    await next_event(proctor, lambda e: isinstance(e, Connection) and not e.online)
    await live_open.start(port)
    room = await next_event(proctor, lambda e: isinstance(e, p.Room), timeout=15)
    assert len(room.seats) == 4
    # live seat updates flow again: a student logging in shows up without asking
    await live_open.student(2)
    seat = await next_event(proctor, lambda e: isinstance(e, p.Seat) and e.seat.student == live_open.student_id(2)
                            and e.seat.online, timeout=5)
    assert seat.seat.status == "confirming"
