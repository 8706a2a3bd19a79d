"""Offline-first students: answering on with the link cut or the server stopped, the journal
surviving the app being closed, acknowledgement on reconnect, a journal file that reveals
nothing, and the deadline rule for answers that arrive late.

A small TCP proxy between the client and a real server on loopback plays the room's network:
`cut()` closes every connection through it and refuses new ones until `restore()`.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import msgpack
import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from conftest import db_rows, db_write, make_room, wait_until
from link_proxy import LinkProxy
from room_client import ACKED, PENDING, StudentClient, ServerError
from room_client.journal import Journal, journal_path
import room_protocol as p
from room_server import views


@pytest.fixture
async def room(tmp_path):
    live = await make_room(tmp_path, students=3)
    await live.start()
    await live.open()
    proxy = LinkProxy(live.server.port)
    await proxy.start()
    live.proxy = proxy
    try:
        yield live
    finally:
        await live.close_clients()
        await proxy.close()
        await live.stop()


async def student(live, index: int, journal_dir: Path, *, address: str | None = None) -> tuple[StudentClient, p.Test]:
    client = StudentClient(address or live.proxy.address, journal_dir=journal_dir, reconnect=True)
    live.clients.append(client)
    await client.connect()
    row = live.logins[index]
    await client.login(row["login"], row["password"], f"pc-{index}")
    if client.login_ok.attempt.state == "confirming":
        await client.confirm_data()
    test = await client.start()
    assert isinstance(test, p.Test)
    return client, test


def single_items(test: p.Test) -> list[dict]:
    return [item for subject in test.subjects[:1] for item in subject.items if item.kind == "single"]


def stored(live, index: int) -> dict[int, tuple[str, object, int]]:
    sid = live.student_id(index)
    return {r["seq"]: (r["item"], msgpack.unpackb(r["value"], raw=False), r["counted"])
            for r in db_rows(live.dir, "SELECT seq, item, value, counted FROM answers WHERE student_id = ?", (sid,))}


async def test_link_cut_answers_stay_pending_and_are_acked_on_reconnect(room, tmp_path):
    client, test = await student(room, 0, tmp_path)
    items = single_items(test)
    first = client.answer(items[0].id, "A")
    await wait_until(lambda: first.state == ACKED, what="the first ack")

    room.proxy.cut()
    await wait_until(lambda: not client.online, what="the client to notice the cut")
    offline = [client.answer(item.id, "B") for item in items[1:6]]
    await asyncio.sleep(0.5)
    assert all(a.state == PENDING for a in offline), [a.state for a in offline]
    assert client.item_state(items[1].id) == PENDING
    assert not any(seq in stored(room, 0) for seq in (a.seq for a in offline)), "nothing arrived while cut"

    room.proxy.restore()
    await wait_until(lambda: all(a.state == ACKED for a in offline), timeout=15, what="acks after the reconnect")
    saved = stored(room, 0)
    for a in offline:
        assert saved[a.seq] == (a.item, "B", 1)


async def test_server_stopped_then_app_closed_journal_resends_after_login(room, tmp_path):
    journal_file = journal_path(tmp_path, room.logins[1]["login"])
    client, test = await student(room, 1, tmp_path, address=room.address)
    items = single_items(test)
    port = room.server.port
    await room.stop()  # the room's laptop goes away
    await wait_until(lambda: not client.online, what="the client to notice")
    made = [client.answer(item.id, "C") for item in items[:4]]
    assert all(a.state == PENDING for a in made)
    await client.close()  # the app is closed (or the computer restarted)
    room.clients.remove(client)
    assert journal_file.exists()

    await room.start(port)
    again = StudentClient(room.address, journal_dir=tmp_path, reconnect=True)
    room.clients.append(again)
    await again.connect()
    row = room.logins[1]
    await again.login(row["login"], row["password"], "pc-1")  # the same computer: no approval
    await wait_until(lambda: again.waiting_count() == 0, timeout=15, what="the journaled answers to be acked")
    saved = stored(room, 1)
    for a in made:
        assert saved[a.seq] == (a.item, "C", 1)
    assert Journal(journal_file).pending() == []  # acknowledged answers leave the journal


async def test_journal_file_reveals_nothing(room, tmp_path):
    journal_file = journal_path(tmp_path, room.logins[2]["login"])
    client, test = await student(room, 2, tmp_path)
    items = [item for subject in test.subjects for item in subject.items]
    short = next((item for item in items if item.kind == "short"), None)
    room.proxy.cut()
    await wait_until(lambda: not client.online, what="the cut")
    secret = "Қарағанды-сыр-4217"
    client.answer(items[0].id, "D" if items[0].kind == "single" else None)
    if short is not None:
        client.answer(short.id, secret)
    blob = journal_file.read_bytes()
    for item in items:
        assert item.id.encode() not in blob, f"item id {item.id} readable in the journal"
    assert secret.encode() not in blob and "Қарағанды".encode() not in blob
    assert b"seq" not in blob and b"made_ms" not in blob and b"item" not in blob
    # Without the attempt's key it cannot be opened: a wrong key fails the AES-GCM tag.
    with pytest.raises(InvalidTag):
        AESGCM(os.urandom(32)).decrypt(blob[:12], blob[12:], b"synaq-journal")
    stranger = Journal(journal_file)
    stranger.unlock(os.urandom(32))
    assert stranger.pending() == []
    # With the key the server gave this attempt, it holds the answers.
    owner = Journal(journal_file)
    owner.unlock(test.journal_key)
    assert {e["item"] for e in owner.pending()} >= {items[0].id}
    room.proxy.restore()


async def test_made_before_deadline_counts_after_it_made_after_never(room, tmp_path):
    """Cut off 3 s before the deadline: what the student answered before it counts when it
    arrives after it; what they answered after it does not."""
    client, test = await student(room, 0, tmp_path)
    items = single_items(test)
    sid = room.student_id(0)
    service = room.room
    attempt = service.attempts[sid]
    limit = service.clock_of(sid).limit_ms
    attempt.started_ms -= limit - 3_000  # as if the test began 169 min 57 s ago
    views.push_clock(service, sid)
    await wait_until(lambda: client.clock.now_remaining_ms() < 4_000, what="the clock message")

    room.proxy.cut()
    await wait_until(lambda: not client.online, what="the cut")
    before = client.answer(items[0].id, "A")
    assert before.made_ms < limit
    await wait_until(lambda: attempt.state == "finished", timeout=10, what="the server to end the attempt")
    assert attempt.finish_reason == "time_over" and attempt.offline_at_deadline
    await wait_until(lambda: client.clock.now_remaining_ms() == 0, what="the client's clock to run out")
    after = client.answer(items[1].id, "B")
    assert after.made_ms >= limit

    room.proxy.restore()
    await wait_until(lambda: before.state == ACKED and after.state == ACKED, timeout=20, what="both to be settled")
    assert before.counted is True
    assert after.counted is False
    saved = stored(room, 0)
    assert saved[before.seq] == (items[0].id, "A", 1)
    assert after.seq not in saved or saved[after.seq][2] == 0  # kept for the record at most, never counted
    assert service.attempts[sid].latest.get(items[1].id) is None


async def test_online_at_deadline_late_answer_never_counts(room, tmp_path):
    """An app that was online at the deadline had sent everything it had: a later answer
    claiming an earlier time (a forged made_ms) does not count."""
    client, test = await student(room, 1, tmp_path)
    items = single_items(test)
    sid = room.student_id(1)
    service = room.room
    attempt = service.attempts[sid]
    attempt.started_ms -= service.clock_of(sid).limit_ms - 1_500
    await wait_until(lambda: attempt.state == "finished", timeout=10, what="the deadline")
    assert not attempt.offline_at_deadline
    with pytest.raises(ServerError) as refused:
        await client.request(p.Answer(9_000, items[0].id, "A", 1_000))
    assert refused.value.code == p.ErrorCode.SEALED  # its result was shown at the deadline


async def test_server_down_over_deadline_answer_made_in_time_counts(room, tmp_path):
    """The server is stopped, the deadline passes while it is down; the app (closed and
    opened again meanwhile) sends what was answered in time, and it counts."""
    client, test = await student(room, 2, tmp_path, address=room.address)
    items = single_items(test)
    sid = room.student_id(2)
    limit = room.room.clock_of(sid).limit_ms
    port = room.server.port
    await room.stop()
    await wait_until(lambda: not client.online, what="the client to notice")
    made = client.answer(items[0].id, "C")
    await client.close()
    room.clients.remove(client)
    # While the server is down, its records move back in time as one: the test began long
    # enough ago that the deadline falls 2 s from now (a short outage: no outage pause), and
    # the app was last heard from as long after the start as it really was.
    row = db_rows(room.dir, "SELECT started_ms FROM attempts WHERE student_id = ?", (sid,))[0]
    shift = int(time.time() * 1000) - limit + 2_000 - row["started_ms"]
    db_write(room.dir, "UPDATE attempts SET started_ms = started_ms + ?, last_seen_ms = last_seen_ms + ? "
                       "WHERE student_id = ?", (shift, shift, sid))
    await asyncio.sleep(2.5)
    await room.start(port)
    await wait_until(lambda: room.room.attempts[sid].state == "finished", timeout=10, what="the server to end it")
    assert room.room.attempts[sid].offline_at_deadline

    again = StudentClient(room.address, journal_dir=tmp_path, reconnect=True)
    room.clients.append(again)
    await again.connect()
    login = room.logins[2]
    await again.login(login["login"], login["password"], "pc-2")
    assert again.login_ok.attempt.state == "finished"
    await wait_until(lambda: again.waiting_count() == 0, timeout=15, what="the journaled answer to be settled")
    assert stored(room, 2)[made.seq] == (items[0].id, "C", 1)
