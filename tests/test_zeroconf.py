"""Real zeroconf: the server advertises in one network namespace, a student's computer in
another finds it over a veth pair, reads the TXT record and connects. The namespaces are
made and removed by the test; without the rights to make them it is skipped, saying why."""

from __future__ import annotations

import asyncio
import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import time

import pytest

from conftest import REPO, centre_questionnaires, make_room, pack_path, roster_text
from room_server.newroom import init_room

pytestmark = pytest.mark.netns

PORT = 8765
SERVER_IP, STUDENT_IP = "10.231.0.1", "10.231.0.2"

DISCOVER = """
import asyncio, json
from room_client import StudentClient
from room_client.discovery import discover

async def main():
    rooms = await discover(8.0, wait_for_first=True)
    out = {"rooms": [r.__dict__ for r in rooms]}
    if rooms:
        client = StudentClient(rooms[0].address, reconnect=False)
        hello = await client.connect()
        out["hello"] = {"school": hello.school, "room": hello.room, "grade": hello.grade}
        await client.close()
    print(json.dumps(out, ensure_ascii=False))

asyncio.run(main())
"""


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=10, check=check)


@pytest.fixture
def namespaces():
    """Two namespaces joined by a veth pair: (server's, student's)."""
    if shutil.which("ip") is None:
        reason = "the ip command (iproute2) is not installed"
        print(f"zeroconf test skipped: {reason}", file=sys.stderr)
        pytest.skip(reason)
    tag = f"{os.getpid() % 100000}"
    server_ns, student_ns = f"synaq-zc{tag}-srv", f"synaq-zc{tag}-stu"
    server_if, student_if = f"zc{tag}s", f"zc{tag}c"
    made = []
    try:
        for ns in (server_ns, student_ns):
            result = ip("netns", "add", ns, check=False)
            if result.returncode != 0:
                reason = f"network namespaces cannot be created here: {result.stderr.strip() or result.returncode}"
                print(f"zeroconf test skipped: {reason}", file=sys.stderr)
                pytest.skip(reason)
            made.append(ns)
        ip("link", "add", server_if, "type", "veth", "peer", "name", student_if)
        ip("link", "set", server_if, "netns", server_ns)
        ip("link", "set", student_if, "netns", student_ns)
        for ns, dev, address in ((server_ns, server_if, SERVER_IP), (student_ns, student_if, STUDENT_IP)):
            ip("-n", ns, "addr", "add", f"{address}/24", "dev", dev)
            ip("-n", ns, "link", "set", dev, "up")
            ip("-n", ns, "link", "set", "lo", "up")
        yield server_ns, student_ns
    finally:
        for ns in made:
            for pid in ip("netns", "pids", ns, check=False).stdout.split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            ip("netns", "del", ns, check=False)
        assert not {server_ns, student_ns} & set(ip("netns", "list", check=False).stdout.split())


def in_ns(ns: str, *args: str, **kw) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, *args], env=env, cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def read_until(proc: subprocess.Popen, fragment: str, timeout: float = 30) -> str:
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    seen = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and fragment.encode() not in seen:
            if selector.select(timeout=0.2):
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    break
                seen += chunk
            elif proc.poll() is not None:
                break
    finally:
        selector.close()
    text = seen.decode("utf-8", "replace")
    assert fragment in text, text + (proc.stderr.read().decode() if proc.poll() is not None else "")
    return text


def test_zeroconf_between_two_namespaces(namespaces, tmp_path):
    server_ns, student_ns = namespaces
    room = asyncio.run(make_room(tmp_path, students=2))
    server = in_ns(server_ns, "-m", "room_server.cli", "serve", "--data", str(room.dir), "--port", str(PORT))
    try:
        said = read_until(server, "Proctor key:")
        assert f"Students connect to: {SERVER_IP}:{PORT}" in said  # the typed address, where discovery fails
        assert "Zeroconf is not available" not in said
        finder = in_ns(student_ns, "-c", DISCOVER)
        out, err = finder.communicate(timeout=60)
        assert finder.returncode == 0, err.decode()
        found = json.loads(out.decode())
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    assert len(found["rooms"]) == 1, found
    (advertised,) = found["rooms"]
    assert advertised["address"] == f"{SERVER_IP}:{PORT}"
    assert (advertised["school"], advertised["room"], advertised["grade"], advertised["version"]) == (
        "Школа №7", "12", "9", "2")
    assert advertised["name"].endswith("._synaq._tcp.local.")
    assert found["hello"] == {"school": "Школа №7", "room": "12", "grade": 9}
    assert server.returncode == 0  # unregistered and closed cleanly on SIGTERM


DISCOVER_ALL = """
import asyncio, json
from room_client import StudentClient
from room_client.discovery import discover

async def main():
    rooms = await discover(6.0)
    out = {"rooms": [r.__dict__ for r in rooms], "hello": []}
    for room in rooms:
        client = StudentClient(room.address, reconnect=False)
        hello = await client.connect()
        out["hello"].append({"school": hello.school, "room": hello.room})
        await client.close()
    print(json.dumps(out, ensure_ascii=False))

asyncio.run(main())
"""

LONG_KAZAKH = "№ 7 Әл-Фараби атындағы мектеп-гимназиясы"
LONG_RUSSIAN = "Средняя общеобразовательная школа-лицей № 165 имени Абая Кунанбаева"


def test_long_school_names_are_advertised_and_found(namespaces, tmp_path):
    """Two rooms of one laptop whose school names are far over a DNS label's 63 bytes: both are
    advertised (a name cut by characters raised "Too long"), each under its own name."""
    server_ns, student_ns = namespaces
    servers = []
    try:
        for port, school, room_no in ((PORT, LONG_KAZAKH, "204"), (PORT + 1, LONG_RUSSIAN, "Кабинет химии 3")):
            folder = tmp_path / str(port)
            folder.mkdir()
            (folder / "roster.csv").write_text(roster_text(2), encoding="utf-8")
            asyncio.run(init_room(folder / "room", folder / "roster.csv", [pack_path("g9-kk")],
                                  questionnaire_paths=centre_questionnaires(folder / "centre"), school=school,
                                  room=room_no))
            server = in_ns(server_ns, "-m", "room_server.cli", "serve", "--data", str(folder / "room"),
                           "--port", str(port))
            servers.append(server)
            said = read_until(server, "Proctor key:")
            assert "Zeroconf is not available" not in said, said
        finder = in_ns(student_ns, "-c", DISCOVER_ALL)
        out, err = finder.communicate(timeout=60)
        assert finder.returncode == 0, err.decode()
        found = json.loads(out.decode())
    finally:
        for server in servers:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    rooms = {(r["school"], r["room"]): r for r in found["rooms"]}
    assert set(rooms) == {(LONG_KAZAKH, "204"), (LONG_RUSSIAN, "Кабинет химии 3")}, found
    assert rooms[(LONG_KAZAKH, "204")]["address"] == f"{SERVER_IP}:{PORT}"
    assert rooms[(LONG_RUSSIAN, "Кабинет химии 3")]["address"] == f"{SERVER_IP}:{PORT + 1}"
    names = [r["name"] for r in found["rooms"]]
    assert len(set(names)) == 2
    for name in names:
        instance = name[: -len("._synaq._tcp.local.")]
        assert len(instance.encode("utf-8")) <= 63, instance
    assert rooms[(LONG_KAZAKH, "204")]["name"].startswith("№ 7 Әл-Фараби")
    assert sorted(h["school"] for h in found["hello"]) == sorted([LONG_KAZAKH, LONG_RUSSIAN])
    assert all(server.returncode == 0 for server in servers)
