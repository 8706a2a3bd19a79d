"""The whole thing as processes: `room-server demo`/`serve` and `synaq-sim` with 30
students; the server is killed with SIGKILL twice mid-run and started again on the same port.
The students reconnect and finish, and every answer their acks log holds is in the database
with its latest value."""

from __future__ import annotations

import json
import os
import selectors
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import msgpack

from conftest import REPO, free_port

STUDENTS = 30


def spawn(*args: str, module: str = "room_server.cli") -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", module, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, cwd=REPO)


def wait_for_line(proc: subprocess.Popen, fragment: str, timeout: float = 30) -> str:
    """Reads the process's output (unbuffered, straight from the pipe) until it holds `fragment`."""
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    seen = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if not selector.select(timeout=0.2):
                if proc.poll() is not None:
                    break
                continue
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            seen += chunk
            if fragment.encode() in seen:
                return seen.decode("utf-8", "replace")
    finally:
        selector.close()
    raise AssertionError(f"no {fragment!r} from the server; it said: {seen.decode('utf-8', 'replace')}")


def count_answers(data: Path) -> int:
    con = sqlite3.connect(data / "room.sqlite", timeout=5)
    try:
        return con.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
    finally:
        con.close()


def wait_for_answers(data: Path, at_least: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if count_answers(data) >= at_least:
            return
        assert proc.poll() is None, "the simulated students ended early"
        time.sleep(0.05)
    raise AssertionError(f"fewer than {at_least} answers after {timeout} s")


def kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)


def test_sim_students_ride_out_two_sigkills(tmp_path):
    data = tmp_path / "room"
    acks = tmp_path / "acks.jsonl"
    port = free_port()
    server_args = ["--data", str(data), "--host", "127.0.0.1", "--port", str(port), "--no-zeroconf"]
    server = spawn("demo", *server_args)
    sim = None
    try:
        wait_for_line(server, "Students connect to")
        sim = spawn("--server", f"127.0.0.1:{port}", "--logins", str(data / "demo-logins.csv"),
                    "--students", str(STUDENTS), "--think", "0.3", "--acks", str(acks), module="room_tools.sim")
        for at_least in (150, 450):
            wait_for_answers(data, at_least, sim)
            kill(server)
            server = spawn("serve", *server_args)
            wait_for_line(server, "Students connect to")
        out, err = (b.decode("utf-8", "replace") for b in sim.communicate(timeout=180))
        assert sim.returncode == 0, out + err
        assert f"{STUDENTS} of {STUDENTS} students finished" in out
    finally:
        for proc in (sim, server):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
    assert server.returncode == 0  # a clean stop on SIGTERM

    latest: dict[tuple[str, str], tuple[int, object]] = {}
    for line in acks.read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        key = (entry["login"], entry["item"])
        if key not in latest or entry["seq"] > latest[key][0]:
            latest[key] = (entry["seq"], entry["value"])
    assert len({login for login, _ in latest}) == STUDENTS

    con = sqlite3.connect(data / "room.sqlite")
    try:
        ids = dict(con.execute("SELECT login, id FROM students"))
        stored: dict[tuple[str, str], object] = {}
        login_of = {v: k for k, v in ids.items()}
        for student_id, item, seq, value in con.execute(
                "SELECT student_id, item, seq, value FROM answers WHERE counted = 1 ORDER BY seq"):
            stored[(login_of[student_id], item)] = msgpack.unpackb(value, raw=False)
        states = dict(con.execute("SELECT student_id, state FROM attempts"))
        per_student = dict(con.execute("SELECT student_id, COUNT(DISTINCT item) FROM answers GROUP BY student_id"))
        outages = con.execute("SELECT COUNT(*) FROM pauses WHERE reason = 'server_outage'").fetchone()[0]
    finally:
        con.close()
    missing = [key for key in latest if key not in stored]
    assert not missing, missing[:5]
    wrong = [(key, value, stored[key]) for key, (_, value) in latest.items() if stored[key] != value]
    assert not wrong, wrong[:5]
    assert set(states.values()) == {"done"}, states
    assert set(per_student.values()) == {30}
    assert (data / "demo-logins.csv").read_text(encoding="utf-8").splitlines()[0] == "login,password,surname,name,seat,stream"
    assert outages == 0  # each restart took far less than the outage threshold
