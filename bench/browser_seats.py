"""Browser seats against textual-serve run plainly, in the same run, on the same machine.

    .venv/bin/python bench/browser_seats.py [--seats 30] [--think 1.0] [--lockstep] [--json]

Both serve the same student app to tabs speaking textual.js's protocol (a tab here is a
WebSocket client with a terminal emulator, pyte, reading what a browser would draw):
- ours: `room-server demo` answering tabs itself (fork server, one process per seat);
- baseline: `room-server demo --no-browser` plus textual-serve's `Server` launching
  `student-tui --server ...` per tab, as its README shows.
For each:
1. N tabs opened at once: seconds until every tab shows the login screen (after one
   warm-up tab, so the fork server, or the OS cache for textual-serve, is ready);
   (each tab is 150x45 cells, about a 1366x768 browser window at 16 px)
2. memory: unique memory (USS) of each seat's process; the whole room as the sum of the
   proportional memory (PSS) of the server, the fork server and every seat;
3. key → green: all N log in and take the test; each answers an item, moves on, and the time
   from the key to the item's number turning green in the palette (only after the server's
   acknowledgement) is measured. A student reads an item for a time drawn around `--think`
   seconds (log-normal, its median `--think`, σ 0.5: the quickest reader of a room takes about
   a third of the median, the slowest about three times it; the same draws in every run), answers,
   waits half as long and moves on. `--lockstep`: every student reads exactly `--think` seconds,
   so 30 answers and 30 item changes land within the same fraction of a second (a storm no room
   makes, kept to measure the worst case).
Targets (ours): all N login screens within 5 s; USS per seat <= 40 MB; room <= 1.5 GB;
key → green p95 <= 150 ms.
Where the time goes (seat_costs.py): CPU seconds of each part in the burst and while
answering, the benchmark's own event-loop lag, and key → green split at the server's commit.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import random
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import aiohttp
import psutil
import pyte

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.load import free_port, wait_listening  # noqa: E402
from seat_costs import CpuMeter, LoopLag, split_at_commit  # noqa: E402

BIN = Path(sys.executable).parent
LOGIN_SCREEN = "Тестке кіру"
PALETTE = "Тапсырмалар:"
KEYS = {"single": "b", "multiple": "a"}  # one key answers these; other kinds are skipped
PAGE_DOWN = "\x1b[6~"


# ---------------------------------------------------------------------------------- a tab

class Tab:
    def __init__(self, session: aiohttp.ClientSession, url: str, width: int = 150, height: int = 45):
        self.session, self.url = session, f"{url}?width={width}&height={height}"
        self.screen = pyte.Screen(width, height)
        self.stream = pyte.ByteStream(self.screen)
        self.ws = None
        self._waiters: list[tuple[callable, asyncio.Future]] = []
        self.resent = 0  # PageDowns sent again because the first was not acted on
        self.closed_code: int | None = None  # why the socket ended: 4002 seat ended, 1006 no close frame
        self.answered: list[tuple[float, float]] = []  # (key sent, green seen), wall-clock seconds

    async def open(self) -> None:
        self.ws = await self.session.ws_connect(self.url, max_msg_size=0)
        asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            await self._frames()
        finally:
            self.closed_code = self.ws.close_code

    async def _frames(self) -> None:
        async for frame in self.ws:
            if frame.type == aiohttp.WSMsgType.BINARY:
                self.stream.feed(frame.data)
                now = time.perf_counter()
                for entry in list(self._waiters):
                    check, future = entry
                    if check() and not future.done():
                        future.set_result(now)
                        self._waiters.remove(entry)

    def text(self) -> str:
        return "\n".join(self.screen.display)

    async def until(self, check, timeout: float = 60.0) -> float:
        if check():
            return time.perf_counter()
        future = asyncio.get_running_loop().create_future()
        self._waiters.append((check, future))
        try:
            return await asyncio.wait_for(future, timeout)
        except asyncio.TimeoutError:
            raise RuntimeError(f"a tab waited {timeout} s; it shows:\n{self.text()}\n{self.palette_colours()}") from None

    async def shows(self, text: str, timeout: float = 60.0) -> float:
        return await self.until(lambda: text in self.text(), timeout)

    async def keys(self, text: str) -> None:
        await self.ws.send_str(json.dumps(["stdin", text]))

    def palette_colours(self) -> str:
        for row, line in enumerate(self.screen.display):
            if PALETTE in line:
                return " ".join(f"{ch.data}:{ch.bg}/{ch.fg}/{int(ch.reverse)}" for ch in
                                (self.screen.buffer[row][x] for x in range(len(line))) if ch.data.isdigit())
        return "no palette"

    def palette_green(self, number: int) -> bool:
        for row, line in enumerate(self.screen.display):
            if PALETTE in line:
                start = line.index(PALETTE) + len(PALETTE)
                match = re.search(rf"(?<!\d){number}(?!\d)", line[start:])
                if match:
                    colour = self.screen.buffer[row][start + match.start()].bg  # pyte keeps bg under "reverse"
                    try:
                        r, g, b = (int(colour[i:i + 2], 16) for i in (0, 2, 4))
                    except ValueError:
                        return False
                    return g > r + 30 and g > b
        return False


# ---------------------------------------------------------------------------------- the two systems

class System:
    name = ""

    def __init__(self, folder: Path, seats: int):
        self.folder, self.seats = folder, seats
        self.procs: list[subprocess.Popen] = []
        self.logins: list[dict] = []
        self.sessions: list[aiohttp.ClientSession] = []

    def demo(self, port: int, *extra: str) -> Path:
        data = self.folder / "room"
        log = open(self.folder / "room.log", "w")
        self.procs.append(subprocess.Popen([str(BIN / "room-server"), "demo", "--data", str(data), "--port", str(port),
                                            "--host", "127.0.0.1", "--no-zeroconf", *extra],
                                           stdout=log, stderr=subprocess.STDOUT))
        wait_listening(port, self.procs[-1])
        with open(data / "demo-logins.csv", encoding="utf-8") as f:
            self.logins = list(csv.DictReader(f))
        return data

    async def new_tab(self, session) -> Tab:
        raise NotImplementedError

    def session(self, index: int) -> aiohttp.ClientSession:
        """Each tab from its own loopback address (127.0.0.10, .11, ...): a computer of its own to the caps."""
        connector = aiohttp.TCPConnector(local_addr=(f"127.0.0.{10 + index}", 0))
        session = aiohttp.ClientSession(connector=connector)
        self.sessions.append(session)
        return session

    def seat_processes(self) -> list[psutil.Process]:
        raise NotImplementedError

    def parts(self) -> dict[str, list[psutil.Process]]:
        """The system's processes by part, for the CPU it uses."""
        raise NotImplementedError

    def room_processes(self) -> list[psutil.Process]:
        everything = []
        for proc in self.procs:
            root = psutil.Process(proc.pid)
            everything += [root, *root.children(recursive=True)]
        return everything

    def stop(self) -> None:
        for proc in reversed(self.procs):
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()


class Ours(System):
    name = "room-server (browser seats)"

    def start(self) -> None:
        self.port = free_port()
        self.demo(self.port, "--max-browser-seats", str(self.seats + 5))

    async def new_tab(self, session) -> Tab:
        seat = secrets.token_hex(16)
        base = f"http://127.0.0.1:{self.port}"
        async with session.post(f"{base}/seat/claim", json={"seat": seat}) as reply:
            if reply.status != 200:
                raise RuntimeError(f"seat refused: {await reply.text()}")
        tab = Tab(session, f"ws://127.0.0.1:{self.port}/seat/ws/{seat}")
        await tab.open()
        return tab

    def seat_processes(self) -> list[psutil.Process]:
        room = self.procs[0].pid  # its children: the fork server (Linux) or spawned seats
        return [p for p in self.room_processes() if "seat_host" in " ".join(p.cmdline()) and
                not (p.ppid() == room and p.cmdline()[-1] == "forkserver")]

    def parts(self) -> dict[str, list[psutil.Process]]:
        root = psutil.Process(self.procs[0].pid)  # the room and the bridge: one process
        return {"room_and_bridge": [root], "fork_server_and_seats": root.children(recursive=True)}


class TextualServe(System):
    name = "textual-serve 1.1.3, run plainly"

    def start(self) -> None:
        room_port, self.port = free_port(), free_port()
        self.demo(room_port, "--no-browser")
        states = self.folder / "states"
        states.mkdir()
        command = f"{BIN / 'student-tui'} --server 127.0.0.1:{room_port} --state-dir {states}/$$"
        code = ("import sys; from textual_serve.server import Server; "
                "Server(sys.argv[1], host='127.0.0.1', port=int(sys.argv[2])).serve()")
        log = open(self.folder / "serve.log", "w")
        self.procs.append(subprocess.Popen([sys.executable, "-c", code, command, str(self.port)],
                                           stdout=log, stderr=subprocess.STDOUT))
        wait_listening(self.port, self.procs[-1])

    async def new_tab(self, session) -> Tab:
        tab = Tab(session, f"ws://127.0.0.1:{self.port}/ws")
        await tab.open()
        return tab

    def seat_processes(self) -> list[psutil.Process]:
        return [p for p in self.room_processes() if "student-tui" in " ".join(p.cmdline()) and
                p.name() not in ("sh", "dash", "bash")]

    def parts(self) -> dict[str, list[psutil.Process]]:
        room, serve = (psutil.Process(proc.pid) for proc in self.procs)
        return {"room": [room], "textual_serve": [serve], "seats": serve.children(recursive=True)}


# ---------------------------------------------------------------------------------- the measures

async def burst(system: System, count: int, measuring) -> tuple[list[Tab], list[float]]:
    warm = await system.new_tab(system.session(200))
    await warm.shows(LOGIN_SCREEN)
    await warm.ws.close()
    sessions = [system.session(index) for index in range(count)]
    measuring()  # from here: the burst only, not the warm-up tab
    started = time.perf_counter()

    async def one(session) -> tuple[Tab, float]:
        tab = await system.new_tab(session)
        return tab, await tab.shows(LOGIN_SCREEN) - started

    results = await asyncio.gather(*(one(session) for session in sessions))
    return [tab for tab, _ in results], [seconds for _, seconds in results]


def median(values: list[float], scale: float = 1.0) -> float | None:
    return round(statistics.median(values) * scale, 1) if values else None


def p95(values: list[float], scale: float = 1.0) -> float | None:
    return round(sorted(values)[max(0, int(len(values) * 0.95) - 1)] * scale, 1) if values else None


def memory(system: System) -> dict:
    seats = [p.memory_full_info() for p in system.seat_processes()]
    room = sum(p.memory_full_info().pss for p in system.room_processes())
    uss = sorted(m.uss / 2**20 for m in seats)
    return {"seat_processes": len(seats), "uss_mb_median": median(uss),
            "uss_mb_max": round(uss[-1], 1) if uss else None, "room_pss_mb": round(room / 2**20, 1)}


async def run_step(tab: Tab, step) -> str | None:
    """Runs one step of a student's test; returns why the tab stopped early, or None."""
    try:
        await step
    except Exception as exc:  # a tab lost is a result too: counted, not a crash of the run
        return f"socket close code {tab.closed_code}; {type(exc).__name__}: {str(exc)[:8000]}"
    return None


async def start_test(tab: Tab, login: dict) -> None:
    await tab.keys(login["login"])
    await tab.shows(login["login"])
    await asyncio.sleep(0.2)  # a person's pace: the focus moves before the next key
    await tab.keys("\t")
    await asyncio.sleep(0.2)
    await tab.keys(login["password"])
    await tab.shows("•" * len(login["password"]))
    await tab.keys("\r")
    await tab.shows("Деректеріңізді тексеріңіз")
    await tab.keys("\r")
    await tab.shows("Келісемін")
    await tab.keys(" ")
    await tab.shows("Енді «Тестілеуді бастау» батырмасын басыңыз")
    await tab.keys("\r")
    await tab.shows(PALETTE)


READING_SIGMA = 0.5  # of log reading time: a room's readers differ about threefold either way


def reading_times(student: int, think: float, lockstep: bool) -> Callable[[], float]:
    """Seconds a student reads an item: `think` in lockstep, else drawn around it (the same
    draws for the same student in every run, so both systems get the same room)."""
    if lockstep:
        return lambda: think
    draw = random.Random(student)
    return lambda: think * draw.lognormvariate(0.0, READING_SIGMA)


async def answer_items(tab: Tab, kinds: list[str], reading: Callable[[], float], latencies: list[float]) -> None:
    for number, kind in enumerate(kinds, 1):
        await tab.shows(f"тапсырманың {number}-сі")
        await asyncio.sleep(reading())  # the student reads the item
        if kind in KEYS:  # the test screen hands every key to the item shown: no focus to wait for
            sent, sent_wall = time.perf_counter(), time.time()
            await tab.keys(KEYS[kind])
            latencies.append(await tab.until(lambda n=number: tab.palette_green(n), 30) - sent)
            tab.answered.append((sent_wall, sent_wall + latencies[-1]))
            await asyncio.sleep(reading() / 2)  # looks the answer over
        if number < len(kinds):
            await next_item(tab, number + 1)


async def next_item(tab: Tab, number: int) -> None:
    """PageDown until item `number` shows: on a busy machine the app can drop a PageDown that
    arrives while it is still changing items (counted in `page_downs_resent`)."""
    for attempt in range(5):
        await tab.keys(PAGE_DOWN)
        try:
            await tab.shows(f"тапсырманың {number}-сі", timeout=8)
            return
        except RuntimeError:
            tab.resent += 1
    raise RuntimeError(f"item {number} never showed after 5 PageDowns:\n{tab.text()}")


async def measure(system: System, count: int, think: float, lockstep: bool) -> dict:
    from content.loader import shipped_pack
    kinds = [item.kind for item in shipped_pack(9, "kk").variant("A").subjects[0].items]
    meter, lag = CpuMeter(system.parts), LoopLag()
    try:
        tabs, seconds = await burst(system, count, lambda: (meter.start(), lag.start()))
        costs = {"burst": {**meter.stop(), "benchmark_loop_lag": lag.stop()}}
        result = {"tabs": count, "all_login_screens_s": round(max(seconds), 2),
                  "median_login_screen_s": round(statistics.median(seconds), 2)}
        result.update(memory(system))
        latencies: list[float] = []
        kk = [row for row in system.logins if row["login"]][:count]
        failures = await asyncio.gather(*(run_step(tab, start_test(tab, row)) for tab, row in zip(tabs, kk)))
        meter.start()  # from here on, only answering (the logins' password checks are not in it)
        lag.start()
        failures += await asyncio.gather(*(run_step(tab, answer_items(tab, kinds, reading_times(n, think, lockstep),
                                                                      latencies))
                                           for n, (tab, failure) in enumerate(zip(tabs, failures)) if not failure))
        costs["answering"] = {**meter.stop(), "benchmark_loop_lag": lag.stop(),
                              **split_at_commit(system.folder / "room",
                                                {row["login"]: tab.answered for tab, row in zip(tabs, kk)})}
        latencies.sort()
        lost = [failure for failure in failures if failure]
        result["close_codes_of_lost_tabs"] = sorted({failure.split(";")[0] for failure in lost})
        result.update({"page_downs_resent": sum(tab.resent for tab in tabs), "tabs_lost_while_answering": len(lost), "first_loss": lost[0] if lost else None,
                       "answers": len(latencies),
                       "key_to_green_ms_median": median(latencies, 1000), "key_to_green_ms_p95": p95(latencies, 1000)})
        testing = memory(system)
        result.update({"uss_mb_median_testing": testing["uss_mb_median"], "uss_mb_max_testing": testing["uss_mb_max"],
                       "room_pss_mb_testing": testing["room_pss_mb"], "seat_processes_testing": testing["seat_processes"],
                       "where_the_time_goes": costs})
        for tab in tabs:
            await tab.ws.close()
    finally:
        for session in system.sessions:
            await session.close()
    return result


def targets_met(ours: dict) -> bool:
    def within(key: str, limit: float) -> bool:
        return ours.get(key) is not None and ours[key] <= limit
    return (within("all_login_screens_s", 5) and within("uss_mb_max", 40) and within("uss_mb_max_testing", 40)
            and within("room_pss_mb_testing", 1536) and within("key_to_green_ms_p95", 150)
            and ours.get("tabs_lost_while_answering") == 0)


def run(kind, count: int, think: float, lockstep: bool) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        system = kind(Path(folder), count)
        system.start()
        try:
            return {"system": system.name, "pace": "lockstep" if lockstep else f"reading, sigma {READING_SIGMA}",
                    **asyncio.run(measure(system, count, think, lockstep))}
        finally:
            system.stop()


def main() -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stopped: still stop the servers (finally)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seats", type=int, default=30)
    parser.add_argument("--think", type=float, default=1.0, help="seconds a student reads an item before answering "
                        "(the median: reading times differ between students)")
    parser.add_argument("--lockstep", action="store_true", help="every student reads exactly --think seconds: "
                        "all answer and move on at the same moment")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    ours = run(Ours, args.seats, args.think, args.lockstep)
    print(json.dumps({"ours": ours}, ensure_ascii=False), file=sys.stderr, flush=True)
    load_between = os.getloadavg()[0]
    baseline = run(TextualServe, args.seats, args.think, args.lockstep)
    report = {"machine": {"cpus": os.cpu_count(), "load_avg_1min_before": round(load_before, 2),
                          "load_avg_1min_between": round(load_between, 2),
                          "load_avg_1min_after": round(os.getloadavg()[0], 2)},
              "ours": ours, "textual_serve": baseline,
              "targets_met": targets_met(ours)}
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0 if report["targets_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
