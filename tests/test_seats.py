"""Browser seats without a browser: a real room server with seats on loopback, real seat
processes from the fork server (and the spawn pool), and a client that speaks textual.js's
protocol. What a tab would show is read with a terminal emulator (pyte)."""

from __future__ import annotations

import asyncio
import json
import os
import secrets

import pyte
import pytest
from aiohttp import ClientSession, WSMsgType
from aiohttp.test_utils import TestServer

from conftest import db_rows, free_port, make_room, wait_until
from room_client import ServerError, StudentClient
from room_server import origin
from room_server.seats.registry import SeatLimits
from room_server.seats.web import SEATS, SeatOptions

LOGIN_SCREEN = "Тестке кіру"


class SeatRoom:
    def __init__(self, room, server: TestServer):
        self.room, self.server = room, server
        self.session = ClientSession()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    @property
    def registry(self):
        return self.server.app[SEATS]

    async def claim(self, seat: str, forwarded: str | None = None):
        reply = await self.session.post(f"{self.base}/seat/claim", json={"seat": seat})
        return reply.status, await reply.json()

    async def close(self) -> None:
        await self.session.close()
        await self.server.close()


class FakeTab:
    """What textual.js does: open the seat's socket with a size, send keys, draw what comes."""

    def __init__(self, session: ClientSession, base: str, seat: str):
        self.session, self.url = session, f"{base.replace('http', 'ws')}/seat/ws/{seat}?width=100&height=30"
        self.screen = pyte.Screen(100, 30)
        self.stream = pyte.ByteStream(self.screen)
        self.ws = None
        self.closed_code: int | None = None
        self._reader: asyncio.Task | None = None

    async def open(self) -> "FakeTab":
        self.ws = await self.session.ws_connect(self.url)
        self._reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        async for frame in self.ws:
            if frame.type == WSMsgType.BINARY:
                self.stream.feed(frame.data)
        self.closed_code = self.ws.close_code

    def text(self) -> str:
        return "\n".join(self.screen.display)

    async def wait(self, text: str, timeout: float = 20.0) -> None:
        await wait_until(lambda: text in self.text(), timeout, what=f"{text!r} on the tab")

    async def keys(self, text: str) -> None:
        await self.ws.send_str(json.dumps(["stdin", text]))

    async def close(self) -> None:
        await self.ws.close()
        await self._reader


async def seat_room(tmp_path, launcher: str = "auto", port: int | None = None, room_address: str | None = None,
                    **limits) -> SeatRoom:
    """A room with browser seats on `port`; its seat processes reach it at `room_address` (the
    room itself unless a test puts a cuttable link between them)."""
    from room_server.app import create_app
    room = await make_room(tmp_path)
    port = port or free_port()
    options = SeatOptions(room_address=room_address or f"127.0.0.1:{port}", launcher=launcher,
                          limits=SeatLimits(**{"max_seats": 6, "sweep_every_s": 0.1, **limits}))
    server = TestServer(create_app(room.dir, f"127.0.0.1:{port}", seats=options), host="127.0.0.1", port=port)
    await server.start_server()
    return SeatRoom(room, server)


@pytest.fixture
async def seats(tmp_path):
    room = await seat_room(tmp_path)
    yield room
    await room.close()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:  # a zombie is not alive
        return f.read().split(")")[-1].split()[0] != "Z"


def new_seat() -> str:
    return secrets.token_hex(16)


async def test_a_tab_that_comes_back_within_the_grace_gets_the_same_process_and_screen(seats):
    seat = new_seat()
    assert (await seats.claim(seat))[1] == {"ok": True}
    tab = await FakeTab(seats.session, seats.base, seat).open()
    await tab.wait(LOGIN_SCREEN)
    await tab.keys("abc")
    await tab.wait("abc")
    pid = seats.registry.seats[seat].process.pid
    await tab.close()  # a network blip

    again = await FakeTab(seats.session, seats.base, seat).open()
    await again.wait(LOGIN_SCREEN)  # drawn whole for the new tab,
    await again.wait("abc")  # with what was typed before
    assert seats.registry.seats[seat].process.pid == pid and alive(pid)
    await again.close()


async def test_ctrl_q_does_not_end_a_browser_seat(seats):
    """A seat is closed by its tab; Ctrl+Q (which quits the terminal app) would leave it blank."""
    seat = new_seat()
    tab = await FakeTab(seats.session, seats.base, seat).open()
    await tab.wait(LOGIN_SCREEN)
    pid = seats.registry.seats[seat].process.pid
    await tab.keys("\x11")  # Ctrl+Q, as the browser's terminal sends it
    await tab.keys("abc")
    await tab.wait("abc")  # still the login screen, still taking keys
    assert alive(pid) and tab.closed_code is None
    await tab.close()


async def test_a_second_tab_of_the_same_seat_takes_it_over(seats):
    seat = new_seat()
    first = await FakeTab(seats.session, seats.base, seat).open()
    await first.wait(LOGIN_SCREEN)
    second = await FakeTab(seats.session, seats.base, seat).open()
    await second.wait(LOGIN_SCREEN)
    await wait_until(lambda: first.closed_code == 4001, 10, what="the first tab closed as replaced")
    assert len(seats.registry.seats) == 1
    await second.close()


async def test_a_seat_idle_at_the_login_screen_is_closed(tmp_path):
    room = await seat_room(tmp_path, login_idle_s=1.0)
    try:
        seat = new_seat()
        tab = await FakeTab(room.session, room.base, seat).open()
        await tab.wait(LOGIN_SCREEN)
        pid = room.registry.seats[seat].process.pid
        await wait_until(lambda: tab.closed_code == 4002, 15, what="the idle seat closed")
        await wait_until(lambda: not alive(pid), 10, what="its process gone")
        assert seat not in room.registry.seats
        again = await FakeTab(room.session, room.base, seat).open()  # "Continue": a fresh seat, same folder
        await again.wait(LOGIN_SCREEN)
        await again.close()
    finally:
        await room.close()


async def test_a_seat_without_a_tab_past_the_grace_is_closed(tmp_path):
    room = await seat_room(tmp_path, grace_s=1.0)
    try:
        seat = new_seat()
        tab = await FakeTab(room.session, room.base, seat).open()
        await tab.wait(LOGIN_SCREEN)
        pid = room.registry.seats[seat].process.pid
        await tab.close()
        await wait_until(lambda: seat not in room.registry.seats and not alive(pid), 15, what="the seat closed")
    finally:
        await room.close()


async def test_the_caps_refuse_in_three_languages_and_a_known_seat_is_still_admitted(tmp_path):
    room = await seat_room(tmp_path, max_seats=4, per_address=3)
    try:
        seated = [new_seat() for _ in range(3)]
        for seat in seated:
            assert (await room.claim(seat))[0] == 200
        status, answer = await room.claim(new_seat())
        assert status == 503 and answer["reason"] == "address_full"
        assert set(answer["message"]) == {"kk", "ru", "en"}
        assert (await room.claim(seated[0]))[0] == 200  # a reload of a seated browser
        status, answer = await room.claim("not-a-seat-id")
        assert status == 400
        assert len(room.registry.seats) == 3
        # A tab that skips the claim is refused by the socket itself.
        tab = await FakeTab(room.session, room.base, new_seat()).open()
        await wait_until(lambda: tab.closed_code == 4503, 10, what="the socket refused")
    finally:
        await room.close()


async def test_a_killed_seat_process_comes_back_in_the_same_folder_with_the_same_device(seats):
    seat = new_seat()
    tab = await FakeTab(seats.session, seats.base, seat).open()
    await tab.wait(LOGIN_SCREEN)
    state = seats.registry.seats[seat].state_dir
    device = json.loads((state / "settings.json").read_text())["device"]
    os.kill(seats.registry.seats[seat].process.pid, 9)
    await wait_until(lambda: tab.closed_code == 4002, 10, what="the tab told its seat ended")
    again = await FakeTab(seats.session, seats.base, seat).open()
    await again.wait(LOGIN_SCREEN)
    assert seats.registry.seats[seat].state_dir == state
    assert json.loads((state / "settings.json").read_text())["device"] == device
    await again.close()


async def test_the_spawned_pool_serves_a_seat_too(tmp_path):
    room = await seat_room(tmp_path, launcher="spawn")
    try:
        tab = await FakeTab(room.session, room.base, new_seat()).open()
        await tab.wait(LOGIN_SCREEN, timeout=30)
        await tab.close()
    finally:
        await room.close()


async def test_the_room_counts_a_seat_at_its_browsers_address_only_with_the_secret(seats):
    app = seats.server.app
    from room_server.app import SEAT_SECRET
    address = f"127.0.0.1:{seats.server.port}"
    login = seats.room.logins[0]["login"]

    async def failed_login_from(headers: dict) -> str:
        client = StudentClient(address, reconnect=False, headers=headers)
        await client.connect()
        with pytest.raises(ServerError):
            await client.login(login, "wrong", "pc")
        await client.close()
        rows = db_rows(seats.room.dir, "SELECT data FROM audit WHERE kind = 'login_failed' ORDER BY id DESC LIMIT 1")
        return json.loads(rows[0]["data"])["address"]

    assert await failed_login_from(origin.header(app[SEAT_SECRET], "192.0.2.44")) == "192.0.2.44"
    assert await failed_login_from(origin.header("a-guess", "192.0.2.45")) == "127.0.0.1"
    assert await failed_login_from({}) == "127.0.0.1"


async def test_a_flood_of_new_tabs_gets_the_cap_in_processes_and_quick_refusals(tmp_path):
    room = await seat_room(tmp_path, max_seats=5, per_address=2)
    sessions = []
    try:
        async def claim_from(index: int) -> int:
            from aiohttp import TCPConnector
            session = ClientSession(connector=TCPConnector(local_addr=(f"127.0.0.{20 + index % 8}", 0)))
            sessions.append(session)
            async with session.post(f"{room.base}/seat/claim", json={"seat": new_seat()}) as reply:
                return reply.status

        statuses = await asyncio.gather(*(claim_from(i) for i in range(40)))  # 8 computers, 5 tabs each
        assert statuses.count(200) == 5 and statuses.count(503) == 35
        assert len(room.registry.seats) == 5
        pids = [seat.process.pid for seat in room.registry.seats.values()]
        assert all(alive(pid) for pid in pids)
        by_address: dict[str, int] = {}
        for seat in room.registry.seats.values():
            by_address[seat.address] = by_address.get(seat.address, 0) + 1
        assert max(by_address.values()) <= 2
        # The room still answers its own students at once.
        client = StudentClient(f"127.0.0.1:{room.server.port}", reconnect=False)
        await asyncio.wait_for(client.connect(), 5)
        await client.close()
    finally:
        for session in sessions:
            await session.close()
        await room.close()


def most_at_once(spans: list[tuple[float, float]]) -> int:
    """The largest number of (start, end) spans open at one moment (one ending as another
    starts is not an overlap)."""
    edges = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    open_now = most = 0
    for _, step in edges:
        open_now += step
        most = max(most, open_now)
    return most


async def test_more_tabs_than_the_start_slots_all_reach_the_login_screen_starting_at_most_that_many_at_once(tmp_path):
    room = await seat_room(tmp_path, max_seats=8, per_address=8, starting_at_once=2)
    try:
        async def open_page(seat: str) -> FakeTab:
            status, answer = await room.claim(seat)  # as the page does: claim, then the socket
            assert status == 200, answer
            tab = await FakeTab(room.session, room.base, seat).open()
            await tab.wait(LOGIN_SCREEN, timeout=60)
            return tab

        tabs = await asyncio.gather(*(open_page(new_seat()) for _ in range(7)))  # seven tabs at once, two slots
        seats = list(room.registry.seats.values())
        assert len(seats) == 7
        # Each app tells the bridge just after its first screen went out.
        await wait_until(lambda: all(seat.drawn.is_set() for seat in seats), 10, what="every seat's first screen")
        # From the fork to the first screen drawn, as the seats' processes reported it.
        spans = [(seat.launched_at, seat.drawn_at) for seat in seats]
        assert most_at_once(spans) == 2, sorted(spans)
        for tab in tabs:
            await tab.close()
    finally:
        await room.close()
