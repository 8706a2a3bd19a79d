"""Helpers for the room server's tests: rooms made from a roster, a real server on loopback,
real clients, and waiting for conditions (never sleeping as synchronisation)."""

from __future__ import annotations

import asyncio
import random
import socket
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import msgpack
import pytest
from aiohttp import ClientSession, WSMsgType
from aiohttp.test_utils import TestServer

from content.loader import shipped_packs
from room_client import ProctorClient, StudentClient
import room_protocol as p
from room_server.demo import demo_iin
from room_server.newroom import init_room

REPO = Path(__file__).resolve().parent.parent


def pack_path(name: str) -> str:
    """A shipped pack's folder: g4-kk, g4-ru, g9-kk, g9-ru."""
    for path in shipped_packs():
        if path.name == name:
            return str(path)
    raise KeyError(name)


def valid_iins(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    found: list[str] = []
    while len(found) < count:
        iin = demo_iin(rng, len(found) % 2 == 1)
        if iin not in found:
            found.append(iin)
    return found


def roster_text(count: int, *, grade: int = 9, languages: tuple[str, ...] = ("kk",), seed: int = 7) -> str:
    lines = ["iin;surname;name;patronymic;grade;class;language"]
    for index, iin in enumerate(valid_iins(count, seed)):
        lines.append(f"{iin};Сұлтанов{index};Әлихан;Серікұлы;{grade};А;{languages[index % len(languages)]}")
    return "\n".join(lines) + "\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def wait_until(condition: Callable[[], Any], timeout: float = 5.0, what: str = "a condition") -> Any:
    """Polls `condition` (sync or async) until it is truthy; fails after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = condition()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.02)


async def next_event(client: StudentClient, predicate: Callable[[Any], bool], timeout: float = 5.0) -> Any:
    """The next event from the client that matches; the ones before it are dropped."""
    async def loop():
        while True:
            event = await client.events.get()
            if predicate(event):
                return event
    return await asyncio.wait_for(loop(), timeout)


def of_type(cls, **fields) -> Callable[[Any], bool]:
    return lambda event: isinstance(event, cls) and all(getattr(event, k) == v for k, v in fields.items())


def db_rows(data_dir: Path, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
    """Reads the room's database the way another process would: what is on disk."""
    con = sqlite3.connect(Path(data_dir) / "room.sqlite", timeout=5)
    con.row_factory = sqlite3.Row
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def db_write(data_dir: Path, sql: str, params: tuple = ()) -> None:
    """Edits the room's database while no server is running (to simulate time passing)."""
    con = sqlite3.connect(Path(data_dir) / "room.sqlite", timeout=5)
    try:
        con.execute(sql, params)
        con.commit()
    finally:
        con.close()


def db_answers(data_dir: Path, student_id: int) -> dict[str, Any]:
    """Each item's latest answer (highest seq) as stored."""
    rows = db_rows(data_dir, "SELECT item, seq, value FROM answers WHERE student_id = ? ORDER BY seq", (student_id,))
    return {row["item"]: msgpack.unpackb(row["value"], raw=False) for row in rows}


def db_snapshot(data_dir: Path) -> dict[str, list[tuple]]:
    """Everything saved, for "nothing changed" checks; leaves out what the server writes on
    its own (its heartbeat in meta, the students' last-seen times)."""
    con = sqlite3.connect(Path(data_dir) / "room.sqlite", timeout=5)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        snapshot = {}
        for table in tables:
            columns = [r[1] for r in con.execute(f"PRAGMA table_info({table})") if r[1] != "last_seen_ms"]
            rows = con.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall()
            if table == "meta":
                rows = [r for r in rows if r[0] != "alive_ms"]
            snapshot[table] = sorted(rows, key=repr)
        return snapshot
    finally:
        con.close()


def find_key(value: Any, name: str, path: str = "") -> list[str]:
    """Every path in a nested structure where a map has the key `name`."""
    hits = []
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == name:
                hits.append(f"{path}.{key}")
            hits.extend(find_key(inner, name, f"{path}.{key}"))
    elif isinstance(value, (list, tuple)):
        for index, inner in enumerate(value):
            hits.extend(find_key(inner, name, f"{path}[{index}]"))
    return hits


@dataclass
class LiveRoom:
    """A room on disk and (while running) a real server for it on loopback."""

    dir: Path
    key: str
    logins: list[dict]
    server: TestServer | None = None
    clients: list[StudentClient] = field(default_factory=list)
    centre: Path | None = None  # the trial analysis centre's keys

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server.port}"

    @property
    def room(self):
        from room_server.app import SERVED
        return self.server.app[SERVED].room

    async def start(self, port: int | None = None) -> None:
        from room_server.app import create_app
        self.server = TestServer(create_app(self.dir, "127.0.0.1:0"), host="127.0.0.1", port=port)
        await self.server.start_server()

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.close()
            self.server = None

    async def restart(self) -> None:
        port = self.server.port
        await self.stop()
        await self.start(port)

    def student_id(self, index: int) -> int:
        return db_rows(self.dir, "SELECT id FROM students WHERE login = ?", (self.logins[index]["login"],))[0]["id"]

    async def client(self, role: str = "student", *, key: str | None = None, reconnect: bool = False):
        if role == "proctor":
            client = ProctorClient(self.address, key if key is not None else self.key, reconnect=reconnect)
        else:
            client = StudentClient(self.address, reconnect=reconnect)
        self.clients.append(client)
        await client.connect()
        return client

    async def student(self, index: int, *, device: str | None = None, reconnect: bool = False) -> StudentClient:
        client = await self.client(reconnect=reconnect)
        login = self.logins[index]
        await client.login(login["login"], login["password"], device or f"pc-{index}")
        return client

    async def proctor(self) -> ProctorClient:
        client = await self.client("proctor")
        await client.watch()
        return client

    async def testing(self, index: int, **kw) -> tuple[StudentClient, p.Test]:
        """A student through confirm and start into the test (the sitting must be open)."""
        client = await self.student(index, **kw)
        if client.login_ok.attempt.state == "confirming":
            await client.confirm_data()
        test = await client.start()
        assert isinstance(test, p.Test), test
        return client, test

    async def open(self) -> None:
        proctor = await self.client("proctor")
        await proctor.request(p.OpenSitting())
        await proctor.close()

    async def close_clients(self) -> None:
        for client in self.clients:
            await client.close()
        self.clients.clear()


def centre_questionnaires(folder: Path) -> list[str]:
    """The sample questionnaires naming a trial centre key made in `folder` (centre.key holds
    its private key), as `room-server demo` makes them."""
    from room_server.demo import demo_centre
    return demo_centre(Path(folder))


def questionnaire_args(folder: Path) -> list[str]:
    """`--questionnaire FILE` for each sample questionnaire keyed to a trial centre in `folder`."""
    return [arg for path in centre_questionnaires(folder) for arg in ("--questionnaire", path)]


def centre_private_key(folder: Path) -> bytes:
    import base64
    return base64.b64decode((Path(folder) / "centre.key").read_text())


async def make_room(folder: Path, *, students: int = 4, packs: tuple[str, ...] = ("g9-kk",), grade: int = 9,
                    languages: tuple[str, ...] = ("kk",), staff_questionnaires: bool = True) -> LiveRoom:
    """A room; with `staff_questionnaires=False`, only the students' questionnaires."""
    folder.mkdir(parents=True, exist_ok=True)
    roster = folder / "roster.csv"
    roster.write_text(roster_text(students, grade=grade, languages=languages), encoding="utf-8")
    data = folder / "room"
    questionnaires = [path for path in centre_questionnaires(folder / "centre")
                      if staff_questionnaires or Path(path).name.startswith("questionnaire-")]
    made = await init_room(data, roster, [pack_path(name) for name in packs],
                           questionnaire_paths=questionnaires, school="Школа №7", room="12")
    room = LiveRoom(data, made.proctor_key, made.logins)
    room.centre = folder / "centre"
    return room


@pytest.fixture
async def live(tmp_path):
    """A grade 9 Kazakh room of four students, served on loopback."""
    room = await make_room(tmp_path)
    await room.start()
    try:
        yield room
    finally:
        await room.close_clients()
        await room.stop()


@pytest.fixture
async def live_open(live):
    """The same room with the sitting open."""
    await live.open()
    return live


class RawSocket:
    """A bare WebSocket to the server: send any bytes, read the decoded replies."""

    def __init__(self, address: str):
        self.url = f"ws://{address}{p.WS_PATH}"
        self.session: ClientSession | None = None
        self.ws = None

    async def __aenter__(self) -> "RawSocket":
        self.session = ClientSession()
        self.ws = await self.session.ws_connect(self.url, max_msg_size=4 * 1024 * 1024)
        return self

    async def __aexit__(self, *exc) -> None:
        await self.ws.close()
        await self.session.close()

    async def send(self, wire: dict | bytes, request_id: int | None = None) -> None:
        if isinstance(wire, dict):
            wire = dict(wire)
            if request_id is not None:
                wire["id"] = request_id
            wire = msgpack.packb(wire, use_bin_type=True)
        await self.ws.send_bytes(wire)

    async def receive(self, timeout: float = 5.0) -> dict | None:
        """The next server message as a map; None once the server closed the socket."""
        frame = await self.ws.receive(timeout=timeout)
        if frame.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING):
            return None
        assert frame.type == WSMsgType.BINARY, frame
        return msgpack.unpackb(frame.data, raw=False)

    async def reply(self, timeout: float = 5.0, skip=("clock", "seat", "event", "sitting")) -> dict | None:
        """The next message that is not a push."""
        while True:
            msg = await self.receive(timeout)
            if msg is None or msg.get("t") not in skip:
                return msg

    async def hello(self, role: str = "student", key: str | None = None) -> dict:
        wire = {"t": "hello", "version": p.PROTOCOL_VERSION, "role": role, "client": "raw-test"}
        if key is not None:
            wire["key"] = key
        await self.send(wire, 1)
        return await self.reply()


def sample_value(hint) -> Any:
    """A value of a message field's declared type (views built field by field)."""
    import types
    import typing
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return sample_value([a for a in typing.get_args(hint) if a is not type(None)][0])
    if origin is list:
        (inner,) = typing.get_args(hint)
        return [sample_value(inner)]
    if origin is dict:
        key, value = typing.get_args(hint)
        return {sample_value(key): sample_value(value)}
    if isinstance(hint, type) and issubclass(hint, p.Record):
        return sample_message(hint)
    return {str: "Әлия қ", int: 1, float: 2.5, bool: True, bytes: b"\x00\x01key", list: [1, "ә", {"a": [2]}],
            dict: {"a": 1, "б": [True, None]}}.get(hint, {"x": ["any", 1]})


def sample_message(cls) -> p.Record:
    import dataclasses
    import typing
    hints = typing.get_type_hints(cls)
    return cls(**{f.name: sample_value(hints[f.name]) for f in dataclasses.fields(cls)})


# --- the soak runs: long fault, fuzz and load cases that `make soak` runs -------------------

def pytest_addoption(parser):
    parser.addoption("--run-soak", action="store_true", default=False,
                     help="run the long @pytest.mark.soak cases (make soak)")


def pytest_configure(config):
    config.addinivalue_line("markers", "soak: a long run (minutes); only with --run-soak, as `make soak` does")


# What each test module needs, so a developer can run the fast part alone (`make test-fast`
# runs `-m unit`); `make test` runs them all. A module not named here is integration.
UNIT = {  # pure code, files and SQLite: no server port, no process, no terminal
    "test_protocol", "test_dispatch", "test_sitting", "test_scoring", "test_content_loader", "test_content_check",
    "test_content_import", "test_reference", "test_shipped_content", "test_roster", "test_roster_formats",
    "test_proctor_model", "test_qti_results", "test_results_sheet", "test_bundle_verify", "test_paperwork_forms",
    "test_paperwork_pdf", "test_logins", "test_room_school_codes", "test_centre_docs",
}
E2E = {  # installed commands in tmux, network namespaces, a browser, built wheels, FAT images,
    # server processes killed and frozen for minutes (the model-based test)
    "test_student_tmux", "test_proctor_tmux", "test_zeroconf", "test_faults", "test_packaging", "test_bench_smoke",
    "test_paperwork_fat", "test_centre_bench_smoke", "test_centre_spark", "test_browser_seats", "test_kit",
    "test_room_model",
}


def kind_of(module: str) -> str:
    return "unit" if module in UNIT else "e2e" if module in E2E else "integration"


def pytest_collection_modifyitems(config, items):
    for item in items:
        item.add_marker(kind_of(item.module.__name__.rpartition(".")[2]))
    if config.getoption("--run-soak"):
        return
    skip = pytest.mark.skip(reason="a soak case: run it with --run-soak (make soak)")
    for item in items:
        if "soak" in item.keywords:
            item.add_marker(skip)
