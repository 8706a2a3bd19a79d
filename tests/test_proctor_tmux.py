"""The installed `proctor-tui` in a real terminal (tmux) against `room-server demo`, with
simulated students: pause the room, give extra time, record an Annex 1 act — and see each
effect arrive at the simulated student's client."""

from __future__ import annotations

import asyncio
import csv
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import free_port, wait_until

from room_tools.sim import SimStudent

pytestmark = pytest.mark.tmux

BIN = Path(sys.executable).parent


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture
def tmux_session():
    if shutil.which("tmux") is None:
        print("tmux is not installed: the terminal test is skipped")
        pytest.skip("tmux is not installed")
    name = f"proctor-e2e-{free_port()}"
    yield name
    subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)


@pytest.fixture
async def demo_server(tmp_path):
    port = free_port()
    data = tmp_path / "demo"
    server = subprocess.Popen([str(BIN / "room-server"), "demo", "--data", str(data), "--port", str(port),
                               "--no-zeroconf"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    async def listening() -> bool:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return True
        except OSError:
            assert server.poll() is None, server.stdout.read().decode()
            return False
    await wait_until(listening, timeout=60, what="room-server demo to listen")
    try:
        yield data, port
    finally:
        server.terminate()
        server.wait(timeout=10)


def screen(session: str) -> str:
    return tmux("capture-pane", "-p", "-t", session)


def keys(session: str, *names: str, literal: bool = False) -> None:
    tmux("send-keys", "-t", session, *(["-l"] if literal else []), *names)


async def shows(session: str, text: str, timeout: float = 20) -> None:
    await wait_until(lambda: text in screen(session), timeout=timeout, what=f"{text!r} on the console:\n")


async def test_pause_extra_time_and_annex1_reach_the_student(demo_server, tmux_session):
    data, port = demo_server
    address = f"127.0.0.1:{port}"
    with open(data / "demo-logins.csv", encoding="utf-8") as f:
        logins = list(csv.DictReader(f))
    # The watched student (seat 1) and a few more working through the test.
    sims = [SimStudent(address, row["login"], row["password"], think=1.0, rng=random.Random(i))
            for i, row in enumerate(logins[:4])]
    tasks = [asyncio.create_task(sim.run()) for sim in sims]
    watched = sims[0].client
    try:
        await wait_until(lambda: watched.last_clock is not None and watched.last_clock.state == "testing",
                         timeout=30, what="the simulated student testing")
        key = (data / "proctor.key").read_text().strip()
        tmux("new-session", "-d", "-s", tmux_session, "-x", "160", "-y", "45",
             # COLUMNS/LINES inherited from the test run would override the terminal's real size
             f"env -u COLUMNS -u LINES {BIN / 'proctor-tui'} --server {address} --key {key} --lang en")
        tmux("resize-window", "-t", tmux_session, "-x", "160", "-y", "45")  # whatever the tmux defaults
        await shows(tmux_session, "Students type:")
        await shows(tmux_session, "testing")

        # Pause the room for a power cut: the student's clock stops.
        keys(tmux_session, "p")
        await shows(tmux_session, "Pause the whole room")
        keys(tmux_session, "Enter")  # the reason button in focus: power
        await wait_until(lambda: watched.last_clock.paused, timeout=15, what="a paused clock at the student")
        await shows(tmux_session, "PAUSED (power)")
        keys(tmux_session, "r")
        await shows(tmux_session, "Resume the room?")
        keys(tmux_session, "Enter")
        await wait_until(lambda: not watched.last_clock.paused, timeout=15, what="the clock running again")

        # Extra time for seat 1 (the first row, where the cursor starts).
        before = watched.clock.now_remaining_ms()
        keys(tmux_session, "x")
        await shows(tmux_session, "Extra time for")
        keys(tmux_session, "15", literal=True)
        keys(tmux_session, "Tab")  # a binding: focus moves before the next key is read
        keys(tmux_session, "the power cut", literal=True)
        keys(tmux_session, "Enter")
        await wait_until(lambda: watched.clock.now_remaining_ms() > before + 14 * 60_000, timeout=15,
                         what="15 more minutes at the student")
        await shows(tmux_session, "+15")

        # Annex 1: a phone found; the student's test ends.
        keys(tmux_session, "i")
        await shows(tmux_session, "Record an incident")
        keys(tmux_session, "Enter")  # the first kind: Annex 1
        await shows(tmux_session, "Annex 1. Act of detecting prohibited items")
        keys(tmux_session, "Ахметова Г.", literal=True)  # the representative
        keys(tmux_session, "Tab")
        keys(tmux_session, "mobile phone", literal=True)  # the item found
        keys(tmux_session, "C-s")
        await shows(tmux_session, "cannot be undone")
        keys(tmux_session, "Enter")
        await wait_until(lambda: sims[0].ended.is_set() or tasks[0].done(), timeout=20,
                         what="the student's test ended by the administrator")
        report = await asyncio.wait_for(tasks[0], 20)
        assert "ended the test" in report.error or "removed" in report.error
        await shows(tmux_session, "removed")
    except AssertionError:
        print(screen(tmux_session))
        raise
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for sim in sims:
            await sim.client.close()
