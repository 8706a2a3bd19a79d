"""A browser seat's journal of answers not yet acknowledged, kept by the seat's app process on
the laptop in the seat's folder (`<room>/seats/<seat id>/`).

The room and the seats' bridge are one process, so the keys of a tab reach its seat only while
the room server runs: the room cannot be "down" for a seat that is still being typed in, except
when the seat's own link to the room drops (the room closed it: a stream switch, a connection
too slow to read). A cuttable link between the seat processes and the room stands for that
here; the room server's own death is in test_browser_seats.py. Real seat processes from the fork
server, real SQLite, a tab that speaks textual.js's protocol (test_seats.FakeTab).
"""

from __future__ import annotations

import json
import os
import signal

from aiohttp import ClientSession

from conftest import db_answers, db_rows, free_port, wait_until
from link_proxy import LinkProxy
from room_client.journal import Journal, journal_path
from test_seat_origin import CONFIRM_SCREEN, browser_tab, log_in
from test_seats import LOGIN_SCREEN, FakeTab, seat_room

OFFLINE_ONE_WAITING = "Желі жоқ: 1 жауап күтуде"  # "Offline: 1 waiting"
SAVED = "Сақталды"
ITEMS = "Тапсырмалар:"


async def cut_off_room(tmp_path):
    """A room whose seat processes reach it through a link the test can cut."""
    port = free_port()
    link = LinkProxy(port)
    await link.start()
    room = await seat_room(tmp_path, port=port, room_address=link.address)
    room.room.server = room.server  # the test's own clients reach the room directly
    await room.room.open()
    return room, link


async def into_the_test(tab: FakeTab, student: dict) -> None:
    """Log in, confirm the data, agree to the rules, start: item 1 (single choice) on the tab."""
    await log_in(tab, student)
    await tab.wait(CONFIRM_SCREEN)
    await tab.keys("\r")  # "Correct" has the focus
    await tab.wait("Келісемін")
    await tab.keys(" ")  # tick "I agree": "Start testing" takes the focus
    await tab.wait("Енді «Тестілеуді бастау» батырмасын басыңыз")
    await tab.keys("\r")
    await tab.wait(ITEMS)
    await tab.wait("( ) A.")


def journaled(room, seat, index: int) -> list[tuple[str, object]]:
    """What the seat's journal file holds, opened with the attempt's key as the app opens it."""
    login = room.room.logins[index]["login"]
    key = db_rows(room.room.dir, "SELECT journal_key FROM attempts WHERE student_id = ?",
                  (room.room.student_id(index),))[0]["journal_key"]
    journal = Journal(journal_path(seat.state_dir, login), login)
    journal.unlock(key)
    return [(entry["item"], entry["value"]) for entry in journal.pending()]


def second_logins(room) -> list:
    return db_rows(room.room.dir, "SELECT id FROM audit WHERE kind = 'second_login'")


async def answer_b_with_the_room_cut_off(room, link: LinkProxy, tab: FakeTab, seat) -> str:
    """Cuts the seat's link to the room, answers B on item 1; returns the item's id."""
    link.cut()
    await tab.wait("Желі жоқ")
    await tab.keys("b")
    await tab.wait("(•) B.")
    await tab.wait(OFFLINE_ONE_WAITING)
    assert db_answers(room.room.dir, room.room.student_id(0)) == {}
    [(item, value)] = journaled(room, seat, 0)
    assert value == "B"
    return item


async def test_answers_made_while_the_seat_cannot_reach_the_room_are_journaled_and_arrive_after_without_approval(tmp_path):
    room, link = await cut_off_room(tmp_path)
    sessions: list[ClientSession] = []
    try:
        tab = await browser_tab(room, "127.0.0.20", sessions)
        [seat] = room.registry.seats.values()
        pid = seat.process.pid
        await into_the_test(tab, room.room.logins[0])

        item = await answer_b_with_the_room_cut_off(room, link, tab, seat)
        link.restore()
        await wait_until(lambda: db_answers(room.room.dir, room.room.student_id(0)) == {item: "B"}, 30,
                         what="the journaled answer in the room's file")
        await tab.wait(SAVED)
        await wait_until(lambda: journaled(room, seat, 0) == [], 10, what="the journal emptied once acknowledged")
        assert seat.process.pid == pid  # the same app process all along
        assert second_logins(room) == []  # back in as the same computer: nothing for the proctor to approve
    finally:
        await room.room.close_clients()
        for session in sessions:
            await session.close()
        await room.close()
        await link.close()


async def test_a_killed_seat_process_replays_its_journal_after_continue_without_approval(tmp_path):
    room, link = await cut_off_room(tmp_path)
    sessions: list[ClientSession] = []
    try:
        student = room.room.logins[0]
        tab = await browser_tab(room, "127.0.0.20", sessions)
        [seat] = room.registry.seats.values()
        device = json.loads((seat.state_dir / "settings.json").read_text())["device"]
        await into_the_test(tab, student)
        item = await answer_b_with_the_room_cut_off(room, link, tab, seat)

        os.kill(seat.process.pid, signal.SIGKILL)  # the seat's process on the laptop dies
        await wait_until(lambda: tab.closed_code == 4002, 10, what="the tab told its seat ended")
        link.restore()

        # "Continue" reloads the page: the same seat id, a new process in the same folder.
        async with sessions[0].post(f"{room.base}/seat/claim", json={"seat": seat.id}) as reply:
            assert reply.status == 200
        again = await FakeTab(sessions[0], room.base, seat.id).open()
        await again.wait(LOGIN_SCREEN)
        renewed = room.registry.seats[seat.id]
        assert renewed is not seat and renewed.state_dir == seat.state_dir
        await log_in(again, student)
        await again.wait(ITEMS)  # straight back to the test: the same device needs no approval
        await wait_until(lambda: db_answers(room.room.dir, room.room.student_id(0)) == {item: "B"}, 30,
                         what="the journal replayed into the room's file")
        await again.wait(SAVED)
        assert second_logins(room) == []
        assert json.loads((seat.state_dir / "settings.json").read_text())["device"] == device
        await again.close()
    finally:
        await room.room.close_clients()
        for session in sessions:
            await session.close()
        await room.close()
        await link.close()
