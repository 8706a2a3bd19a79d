"""The computer a browser seat is counted as: its browser's address, for every per-computer rule
(the throttle, the burst alert, the connection cap, what the console shows), with none of the
laptop's exemptions; and only with this run's secret.

A real room server with seats on loopback; browsers are WebSocket clients from loopback aliases
(127.0.0.20, .21: two computers to the server) driving real seat processes; the raw clients
speak the room's own protocol with or without the seat header."""

from __future__ import annotations

import json
import re

import msgpack
from aiohttp import ClientSession, TCPConnector

import room_protocol as p
from conftest import db_rows, wait_until
from room_server import origin
from room_server.app import SEAT_SECRET
from room_server.connection import MAX_CONNECTIONS_PER_ADDRESS
from test_seats import LOGIN_SCREEN, FakeTab, new_seat, seat_room

CONFIRM_SCREEN = "Деректеріңізді тексеріңіз"
WAIT_ON_BUTTON = re.compile(r"\d+ с күтіңіз")  # "Wait N s" on the login button
NEXT_TRY_IN = "Келесі әрекетке дейін {} секунд күтіңіз"  # "Please wait N seconds before the next try."


async def browser_tab(room, ip: str, sessions: list) -> FakeTab:
    """A browser at `ip` opens the page: claims a seat and attaches its tab."""
    session = ClientSession(connector=TCPConnector(local_addr=(ip, 0)))
    sessions.append(session)
    seat = new_seat()
    async with session.post(f"{room.base}/seat/claim", json={"seat": seat}) as reply:
        assert reply.status == 200, await reply.text()
    tab = await FakeTab(session, room.base, seat).open()
    await tab.wait(LOGIN_SCREEN)
    return tab


def failures(room) -> list[str]:
    rows = db_rows(room.room.dir, "SELECT data FROM audit WHERE kind = 'login_failed' ORDER BY id")
    return [json.loads(row["data"])["address"] for row in rows]


def password_border(tab: FakeTab) -> str:
    """The colour of the password field's left border (it changes when the field has the focus);
    "" while the field is not drawn yet."""
    for row, line in enumerate(tab.screen.display):
        if "Құпиясөз" in line and "▊" in line:
            return tab.screen.buffer[row][line.index("▊")].fg
    return ""


async def type_login(tab: FakeTab, login: str) -> None:
    """The login, then Tab to the password, at a person's pace: a key sent while the focus is
    still moving would land in the login field."""
    unfocused = await wait_until(lambda: password_border(tab), 20, what=f"the password field drawn\n{tab.text()}")
    await tab.keys(login)
    await tab.wait(login)
    await tab.keys("\t")
    await wait_until(lambda: password_border(tab) not in ("", unfocused), 20, what="the password field focused")


async def wrong_password(tab: FakeTab, room, tries_before: int) -> None:
    """One wrong password typed in the tab, and the app ready for the next try."""
    await tab.keys("wrong9\r")
    await wait_until(lambda: len(failures(room)) == tries_before + 1 and "•" not in tab.text(), 20,
                     what=f"wrong try {tries_before + 1} refused; the tab shows:\n{tab.text()}\n{failures(room)}")
    await wait_until(lambda: not WAIT_ON_BUTTON.search(tab.text()), 20, what="the login button back")


async def test_wrong_passwords_from_one_browser_slow_that_browser_and_not_the_others(tmp_path):
    room = await seat_room(tmp_path)
    room.room.server = room.server  # the console's client reaches this server
    sessions: list[ClientSession] = []
    try:
        student = room.room.logins[0]
        guesser = await browser_tab(room, "127.0.0.20", sessions)
        own = await browser_tab(room, "127.0.0.21", sessions)

        await type_login(guesser, student["login"])
        for tries in range(4):  # three free, then 2 s, then 4 s to wait (the app waits them out)
            await wrong_password(guesser, room, tries)
        await guesser.keys("wrong9\r")
        await guesser.wait(NEXT_TRY_IN.format(8))  # the fifth: this browser waits 8 s for the sixth

        # The student, at another browser, logs in at once with the right password.
        await type_login(own, student["login"])
        await own.keys(student["password"])
        await own.wait("•" * len(student["password"]))
        await own.keys("\r")
        await own.wait(CONFIRM_SCREEN, timeout=8)  # well inside the guesser's 8 s

        assert failures(room) == ["127.0.0.20"] * 5
        proctor = await room.room.proctor()
        logins = [e.data for e in await proctor.event_log(None, 100) if e.kind == "login"]
        assert logins == [{"address": "127.0.0.21"}]  # the console shows the student's own browser
    finally:
        await room.room.close_clients()
        for session in sessions:
            await session.close()
        await room.close()


async def raw_socket(room, session: ClientSession, headers: dict) -> tuple[object, dict]:
    """A room connection with these handshake headers; its first reply to hello."""
    ws = await session.ws_connect(f"ws://127.0.0.1:{room.server.port}{p.WS_PATH}", headers=headers)
    await ws.send_bytes(msgpack.packb({"t": "hello", "version": p.PROTOCOL_VERSION, "role": "student", "id": 1}))
    return ws, msgpack.unpackb((await ws.receive(timeout=10)).data)


async def raw_wrong_login(room, session: ClientSession, headers: dict, login: str) -> dict:
    ws, hello = await raw_socket(room, session, headers)
    assert hello["t"] == "hello_ok", hello
    await ws.send_bytes(msgpack.packb({"t": "login", "login": login, "password": "wrong9", "test_type": "MODO",
                                       "device": "pc", "id": 2}))
    reply = msgpack.unpackb((await ws.receive(timeout=30)).data)
    await ws.close()
    return reply


async def test_only_this_runs_secret_moves_a_connection_to_another_address(tmp_path):
    room = await seat_room(tmp_path)
    room.room.server = room.server
    secret = room.server.app[SEAT_SECRET]
    session = ClientSession(connector=TCPConnector(limit=0))
    sockets = []
    try:
        logins = [row["login"] for row in room.room.logins]
        # From loopback, a forged secret or none: the laptop itself, never the address claimed.
        assert (await raw_wrong_login(room, session, origin.header("f" * 64, "192.0.2.60"), logins[0]))["code"] == "bad_login"
        assert (await raw_wrong_login(room, session, {}, logins[0]))["code"] == "bad_login"
        assert failures(room) == ["127.0.0.1", "127.0.0.1"]

        # With the secret: the browser's address, and a burst from it names it on the console.
        relayed = origin.header(secret, "192.0.2.60")
        for index in range(10):  # ten wrong tries within a minute, spread over the class
            reply = await raw_wrong_login(room, session, relayed, logins[index % len(logins)])
            assert reply["code"] == "bad_login", reply
        assert failures(room)[2:] == ["192.0.2.60"] * 10
        proctor = await room.room.proctor()
        bursts = [e.data for e in await proctor.event_log(None, 100) if e.kind == "login_burst"]
        assert [burst["address"] for burst in bursts] == ["192.0.2.60"]

        # A browser on the laptop itself is one computer like any other: capped at 16
        # connections, while the laptop's own clients (the console, local tools) are not.
        browser_here = origin.header(secret, "127.0.0.1")
        for _ in range(MAX_CONNECTIONS_PER_ADDRESS):
            ws, reply = await raw_socket(room, session, browser_here)
            assert reply["t"] == "hello_ok", reply
            sockets.append(ws)
        ws, reply = await raw_socket(room, session, browser_here)
        sockets.append(ws)
        assert reply.get("code") == "busy" and "too many connections" in reply["reason"], reply
        for headers in [{}] * (MAX_CONNECTIONS_PER_ADDRESS + 1) + [origin.header("f" * 64, "127.0.0.1")] * 2:
            ws, reply = await raw_socket(room, session, headers)
            sockets.append(ws)
            assert reply["t"] == "hello_ok", reply
    finally:
        for ws in sockets:
            await ws.close()
        await session.close()
        await room.room.close_clients()
        await room.close()


AWAITING_APPROVAL = "Сіз басқа компьютерде кіріп тұрсыз"  # "You are already logged in on another computer."
STOPPED_HERE = "Сіз басқа компьютерден кірдіңіз"  # "You have logged in on another computer, so this one has stopped."


async def log_in(tab: FakeTab, student: dict) -> None:
    await type_login(tab, student["login"])
    await tab.keys(student["password"])
    await tab.wait("•" * len(student["password"]))
    await tab.keys("\r")


def seat_device(room, tab: FakeTab) -> str:
    seat_id = tab.url.rsplit("/", 1)[1].split("?")[0]
    return json.loads((room.registry.seats[seat_id].state_dir / "settings.json").read_text())["device"]


async def test_another_browser_logging_in_as_a_seated_student_waits_for_the_proctors_approval(tmp_path):
    room = await seat_room(tmp_path)
    room.room.server = room.server
    sessions: list[ClientSession] = []
    try:
        student = room.room.logins[0]
        student_id = room.room.student_id(0)
        first = await browser_tab(room, "127.0.0.20", sessions)
        await log_in(first, student)
        await first.wait(CONFIRM_SCREEN)

        # Another computer's browser (another address, another seat id) with the same slip.
        second = await browser_tab(room, "127.0.0.21", sessions)
        await log_in(second, student)
        await second.wait(AWAITING_APPROVAL)
        assert CONFIRM_SCREEN not in second.text()
        rows = db_rows(room.room.dir, "SELECT data FROM audit WHERE kind = 'second_login' AND student_id = ?",
                       (student_id,))
        assert [json.loads(row["data"])["address"] for row in rows] == ["127.0.0.21"]
        assert db_rows(room.room.dir, "SELECT device FROM attempts WHERE student_id = ?",
                       (student_id,))[0]["device"] == seat_device(room, first)

        # The proctor allows it: the second browser goes on, the first one stops.
        proctor = await room.room.proctor()
        await proctor.approve_login(student_id, True)
        await second.wait(CONFIRM_SCREEN)
        await first.wait(STOPPED_HERE)
        assert db_rows(room.room.dir, "SELECT device FROM attempts WHERE student_id = ?",
                       (student_id,))[0]["device"] == seat_device(room, second) != seat_device(room, first)
    finally:
        await room.room.close_clients()
        for session in sessions:
            await session.close()
        await room.close()
