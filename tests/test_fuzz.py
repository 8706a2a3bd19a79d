"""Hostile input at scale: random and mutated frames against the codec and a real server.

`protocol.decode` must turn any bytes into a message or a ProtocolError, nothing else. Over
real WebSocket connections to a real server process, thousands of such frames (raw, after a
hello, and after a student's login) must each get an error reply or a close, while
well-formed simulated students keep being served and all finish, and the server's resident
memory stays bounded. `make test` runs thousands of frames; the soak variant over 100,000.
"""

from __future__ import annotations

import asyncio
import csv
import random
import threading
import time
from pathlib import Path

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fault_lab import ServerProcess, free_port
import room_protocol as p
from room_protocol import ProtocolError

# --------------------------------------------------------------------------- the frames

VALID_CLIENT_FRAMES = [
    {"t": "hello", "version": 1, "role": "student", "client": "fuzz"},
    {"t": "login", "login": "x", "password": "y", "test_type": "MODO", "device": "d"},
    {"t": "confirm_data"},
    {"t": "report_mistake", "note": "my name"},
    {"t": "start"},
    {"t": "answer", "seq": 1, "item": "r1", "value": "A", "made_ms": 1000},
    {"t": "answer", "seq": 2, "item": "m3", "value": ["A", "B"], "made_ms": 2000},
    {"t": "answer", "seq": 3, "item": "s2", "value": {"1": "A"}, "made_ms": 3000},
    {"t": "goto", "item": "r2"},
    {"t": "next_subject"},
    {"t": "open_subject", "subject": "math"},
    {"t": "take_break"},
    {"t": "end_break"},
    {"t": "finish_request"},
    {"t": "finish", "check": "12"},
    {"t": "questionnaire_start"},
    {"t": "questionnaire_submit", "sealed": b"x" * 100},
    {"t": "watch"},
    {"t": "pause", "reason": "power"},
]
TYPES = sorted(p.MESSAGES) + ["", "nope", "HELLO", "answer\x00"]
HUGE = [2**64 - 1, -(2**63), 2**63, 2**53 + 1, -1, 0, 10**18]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**63), max_value=2**64 - 1), st.sampled_from(HUGE),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=40), st.binary(max_size=40),
)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=5), st.dictionaries(st.one_of(st.text(max_size=10), st.integers(min_value=-(2**63), max_value=2**64 - 1)), inner, max_size=5)),
    max_leaves=20)


def deep(depth: int, kind: str) -> bytes:
    """A map or array nested `depth` deep, as raw msgpack (no Python recursion to build)."""
    head = b"\x81\xa1x" if kind == "map" else b"\x91"
    return head * depth + b"\xc0"


@st.composite
def mutated_frames(draw) -> bytes:
    base = dict(draw(st.sampled_from(VALID_CLIENT_FRAMES)))
    how = draw(st.sampled_from(["field_type", "drop_field", "extra_field", "type", "huge", "bytes", "truncate",
                                "nest", "id", "raw", "valid"]))
    if how == "field_type" and len(base) > 1:
        key = draw(st.sampled_from(sorted(k for k in base if k != "t")))
        base[key] = draw(values)
    elif how == "drop_field" and len(base) > 1:
        del base[draw(st.sampled_from(sorted(k for k in base if k != "t")))]
    elif how == "extra_field":
        base[draw(st.text(max_size=12))] = draw(values)
    elif how == "type":
        base["t"] = draw(st.one_of(st.sampled_from(TYPES), values))
    elif how == "huge":
        for key in [k for k in base if k != "t"]:
            if isinstance(base[key], int) or draw(st.booleans()):
                base[key] = draw(st.sampled_from(HUGE))
    elif how == "id":
        base["id"] = draw(values)
    elif how == "nest":
        depth = draw(st.integers(min_value=1, max_value=5000))
        return b"\x82\xa1t" + msgpack.packb(base["t"]) + b"\xa5value" + deep(depth, draw(st.sampled_from(["map", "array"])))
    elif how == "raw":
        return draw(st.binary(max_size=300))
    frame = msgpack.packb(base, use_bin_type=True)
    if how == "bytes" and frame:
        data = bytearray(frame)
        for _ in range(draw(st.integers(min_value=1, max_value=4))):
            i = draw(st.integers(min_value=0, max_value=len(data) - 1))
            data[i] = draw(st.integers(min_value=0, max_value=255))
        return bytes(data)
    if how == "truncate" and len(frame) > 1:
        return frame[:draw(st.integers(min_value=0, max_value=len(frame) - 1))]
    return frame


frames = st.one_of(mutated_frames(), st.binary(max_size=200), st.builds(msgpack.packb, values))


# --------------------------------------------------------------------------- the codec


@settings(max_examples=4000, deadline=None, suppress_health_check=list(HealthCheck))
@given(frames)
def test_decode_any_frame_is_a_message_or_a_protocol_error(frame):
    try:
        msg, request_id = p.decode(frame, allowed=p.CLIENT_MESSAGES)
    except ProtocolError as exc:
        assert exc.code in vars(p.ErrorCode).values() and exc.reason
        return
    assert isinstance(msg, p.Message) and msg.TYPE in p.CLIENT_MESSAGES
    assert request_id is None or isinstance(request_id, int)


def test_deep_nesting_and_huge_frames_are_refused_cleanly():
    for depth in (10, 500, 2000, 100_000):
        for kind in ("map", "array"):
            try:
                p.decode(b"\x82\xa1t\xa6answer\xa5value" + deep(depth, kind))
            except ProtocolError:
                pass
    with pytest.raises(ProtocolError) as exc:
        p.decode(b"\x81\xa1t" + b"\xa1x" * (p.MAX_FRAME_BYTES))
    assert exc.value.code == p.ErrorCode.TOO_LARGE


@pytest.mark.soak
@pytest.mark.timeout(1800)
def test_decode_soak_100k():
    """Over 100,000 frames: random and mutated, through the codec."""
    count = 0

    @settings(max_examples=100_000, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(frames)
    def one(frame):
        nonlocal count
        count += 1
        try:
            p.decode(frame, allowed=p.CLIENT_MESSAGES)
        except ProtocolError:
            pass

    one()
    assert count >= 100_000


# --------------------------------------------------------------------------- a real server


class FuzzRoom:
    """A real server process, a background event loop for the sockets, waves of
    well-formed simulated students served all along."""

    def __init__(self, folder: Path, students: int = 60):
        self.folder = folder
        self.students = students
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.server: ServerProcess | None = None
        self.reports: list = []
        self.stop_waves = False
        self.waves: asyncio.Future | None = None
        self.frames_sent = 0
        self.replies = 0
        self.closed_by_server = 0
        self.rss: list[float] = []

    def start(self) -> None:
        from room_server.demo import make_demo_room
        data = self.folder / "room"
        asyncio.run(make_demo_room(data, students=self.students))
        with open(data / "demo-logins.csv", encoding="utf-8") as f:
            self.logins = [(r["login"], r["password"]) for r in csv.DictReader(f)]
        self.server = ServerProcess(data, self.port, self.folder / "server.log")
        self.server.start()
        self.thread.start()
        self.baseline = self.sample()
        self.waves = asyncio.run_coroutine_threadsafe(self._waves(), self.loop)

    def sample(self) -> float:
        rss = self.server.sample_rss()
        self.rss.append(rss)
        return rss

    async def _waves(self) -> None:
        """Five students at a time from the roster (the first is the fuzzers' own login),
        until told to stop or the roster runs out."""
        from room_tools.sim import SimStudent
        rng = random.Random(5)
        next_index = 1
        while not self.stop_waves and next_index + 5 <= len(self.logins):
            wave = [SimStudent(f"127.0.0.1:{self.port}", login, password, think=0.05, rng=random.Random(rng.random()),
                               take_break=False) for login, password in self.logins[next_index:next_index + 5]]
            next_index += 5
            self.reports.extend(await asyncio.gather(*(s.run() for s in wave)))

    async def _blast(self, batch: list[bytes], prelude: str) -> None:
        import aiohttp
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(f"ws://127.0.0.1:{self.port}{p.WS_PATH}", max_msg_size=8 * 2**20) as ws:
                if prelude in ("hello", "login"):
                    await ws.send_bytes(p.encode_request(p.Hello(1, "student", "fuzz"), 1))
                if prelude == "login":
                    login, password = self.logins[0]
                    await ws.send_bytes(p.encode_request(p.Login(login, password, "MODO", "fuzz-pc"), 2))
                for frame in batch:
                    if ws.closed:
                        break
                    try:
                        await ws.send_bytes(frame)
                    except (aiohttp.ClientConnectionResetError, ConnectionResetError):
                        # the server is closing this connection for abuse: that is its answer
                        self.closed_by_server += 1
                        return
                    self.frames_sent += 1
                deadline = time.monotonic() + 5
                while time.monotonic() < deadline:
                    try:
                        msg = await ws.receive(timeout=0.3)
                    except asyncio.TimeoutError:
                        break
                    if msg.type == aiohttp.WSMsgType.BINARY:
                        self.replies += 1
                    elif msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
                        self.closed_by_server += 1
                        break

    def blast(self, batch: list[bytes], prelude: str) -> None:
        asyncio.run_coroutine_threadsafe(self._blast(batch, prelude), self.loop).result(timeout=60)

    def finish(self, timeout: float = 180) -> None:
        self.stop_waves = True
        self.waves.result(timeout=timeout)

    def close(self) -> None:
        self.stop_waves = True
        if self.server is not None:
            self.server.stop()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


def fuzz_over_websocket(folder: Path, examples: int, batch: int = 40, students: int = 60) -> FuzzRoom:
    room = FuzzRoom(folder, students)
    room.start()
    try:
        @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(st.lists(frames, min_size=batch, max_size=batch), st.sampled_from(["none", "hello", "login", "login"]))
        def one(batch_frames, prelude):
            room.blast(batch_frames, prelude)
            if room.frames_sent % 2000 < batch:
                room.sample()

        one()
        # The server answered and is still serving: a fresh, well-formed student can log in.
        room.sample()
        room.finish()
        room.sample()
    finally:
        room.close()
    return room


def _check(room: FuzzRoom, frames_wanted: int) -> None:
    finished = [r for r in room.reports if r.finished]
    assert room.frames_sent >= frames_wanted, room.frames_sent
    assert room.replies > 0
    assert room.reports and len(finished) == len(room.reports), [r.error for r in room.reports if not r.finished]
    peak = max(room.rss)
    assert peak < 200, f"server RSS peaked at {peak:.0f} MB"
    assert room.rss[-1] - room.baseline < 60, f"server RSS grew from {room.baseline:.0f} to {room.rss[-1]:.0f} MB"


@pytest.mark.timeout(600)
def test_fuzz_over_websocket_while_students_are_served(tmp_path, capsys):
    room = fuzz_over_websocket(tmp_path, examples=110)
    with capsys.disabled():
        print(f"\nfuzz: {room.frames_sent} hostile frames, {room.replies} replies, {room.closed_by_server} closed by the server;"
              f" {len(room.reports)} students served; server RSS {room.baseline:.0f} -> {max(room.rss):.0f} MB peak")
    _check(room, 3_000)


@pytest.mark.soak
@pytest.mark.timeout(3600)
def test_fuzz_over_websocket_soak(tmp_path, capsys):
    room = fuzz_over_websocket(tmp_path, examples=3_200, students=200)  # margin for closed connections
    with capsys.disabled():
        print(f"\nfuzz soak: {room.frames_sent} hostile frames, {room.replies} replies; {len(room.reports)} students served;"
              f" server RSS {room.baseline:.0f} -> {max(room.rss):.0f} MB peak")
    _check(room, 100_000)


async def test_a_hostile_answer_does_not_spoil_the_group_commit(live_open):
    """Answers that arrive together share one transaction: one with a value SQLite cannot
    hold (a made_ms past 64 bits) must be refused alone, never fail its neighbours."""
    from conftest import RawSocket
    good, test = await live_open.testing(0)
    item = test.subjects[0].items[0]
    login = live_open.logins[1]
    async with RawSocket(live_open.address) as raw:
        await raw.hello()
        await raw.send({"t": "login", "login": login["login"], "password": login["password"], "test_type": "MODO",
                        "device": "raw"}, 2)
        assert (await raw.reply())["t"] == "login_ok"
        await raw.send({"t": "confirm_data"}, 3)
        await raw.reply()
        await raw.send({"t": "start"}, 4)
        mine = await raw.reply()
        assert mine["t"] == "test"
        raw_item = mine["subjects"][0]["items"][0]["id"]
        for seq, huge in enumerate((2**64 - 1, 2**63, -(2**63)), 1):
            state = good.answer(item.id, "A")
            await raw.send({"t": "answer", "seq": seq, "item": raw_item, "value": "A", "made_ms": huge}, 5)
            reply = await raw.reply()
            assert reply["t"] in ("error", "ack"), reply
            if reply["t"] == "error":
                assert reply["code"] == "bad_field", reply
            from conftest import wait_until
            await wait_until(lambda: state.state == "acked", what="the good student's ack")
            assert state.counted


async def test_group_commit_isolates_a_record_it_cannot_store(tmp_path):
    """Storage level: a record SQLite refuses fails alone; its batch-mates are committed."""
    from conftest import make_room
    from room_server.storage import AnswerRecord, AnswerWriter, Database
    room = await make_room(tmp_path, students=2)
    database = await Database.open(room.dir)
    writer = AnswerWriter(database)
    writer.start()
    try:
        good = [AnswerRecord(1, seq, f"i{seq}", "A", 1000, True, "s1") for seq in range(1, 6)]
        bad = AnswerRecord(2, 1, "x", "A", 2**64 - 1, True, "s2")
        results = await asyncio.gather(*(writer.save(r) for r in good[:3] + [bad] + good[3:]),
                                       return_exceptions=True)
        assert isinstance(results[3], OverflowError)
        assert [r.is_new for i, r in enumerate(results) if i != 3] == [True] * 5
        rows = await database.fetchall("SELECT seq FROM answers WHERE student_id = 1 ORDER BY seq")
        assert [r["seq"] for r in rows] == [1, 2, 3, 4, 5]
    finally:
        await writer.stop()
        await database.close()
