"""Where the time of a browser-seat run goes (used by browser_seats.py):
- CPU seconds of each part of the system under test in a phase, of the benchmark's own tab
  clients, and of the whole machine (the rest is other work on the machine);
- the benchmark's own event-loop lag (its tabs parse every byte of every terminal: when it is
  late, a green is seen late);
- key → green split at the server's commit: key → the answer committed (tab, bridge, seat,
  app, client, room) and committed → green seen (the ack back, the app's redraw, the bridge,
  the tab).
"""

from __future__ import annotations

import asyncio
import sqlite3
import statistics
import time
from pathlib import Path
from typing import Callable

import psutil


def _cpu(procs: list[psutil.Process]) -> dict[int, float]:
    seconds = {}
    for proc in procs:
        try:
            times = proc.cpu_times()
        except psutil.Error:
            continue
        seconds[proc.pid] = times.user + times.system
    return seconds


def _machine_busy() -> float:
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


class CpuMeter:
    """CPU seconds per part between start() and stop(); `parts` lists each part's processes
    now (seats started during the phase are counted from zero)."""

    def __init__(self, parts: Callable[[], dict[str, list[psutil.Process]]]):
        self.parts = parts
        self.me = psutil.Process()

    def _sample(self) -> tuple[float, float, dict[str, dict[int, float]]]:
        parts = {name: _cpu(procs) for name, procs in self.parts().items()}
        parts["benchmark_tabs"] = _cpu([self.me])
        return time.perf_counter(), _machine_busy(), parts

    def start(self) -> None:
        self.before = self._sample()

    def stop(self) -> dict:
        (wall0, busy0, parts0), (wall1, busy1, parts1) = self.before, self._sample()
        used = {name: round(sum(s - parts0.get(name, {}).get(pid, 0.0) for pid, s in pids.items()), 2)
                for name, pids in parts1.items()}
        busy = busy1 - busy0
        return {"wall_s": round(wall1 - wall0, 2), "cpu_s": used, "machine_busy_cpu_s": round(busy, 2),
                "other_work_cpu_s": round(busy - sum(used.values()), 2),
                "machine_cpu_capacity_s": round((wall1 - wall0) * (psutil.cpu_count() or 1), 2)}


class LoopLag:
    """How late this process's event loop wakes up for a 20 ms timer."""

    def __init__(self) -> None:
        self.lags: list[float] = []
        self._task: asyncio.Task | None = None

    async def _run(self) -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(0.02)
            self.lags.append(time.perf_counter() - started - 0.02)

    def start(self) -> None:
        self.lags.clear()
        self._task = asyncio.create_task(self._run())

    def stop(self) -> dict:
        self._task.cancel()
        lags = sorted(self.lags)
        if not lags:
            return {}
        return {"median_ms": round(statistics.median(lags) * 1000, 1),
                "p95_ms": round(lags[int(len(lags) * 0.95) - 1] * 1000, 1), "max_ms": round(lags[-1] * 1000, 1)}


def split_at_commit(room: Path, answered: dict[str, list[tuple[float, float]]]) -> dict:
    """`answered`: login → [(key sent, green seen)] in wall-clock seconds, in the order
    answered; the room's answers table holds when each was committed (`received_ms`)."""
    db = sqlite3.connect(f"file:{room / 'room.sqlite'}?mode=ro", uri=True)
    try:
        inbound, outbound = [], []
        for login, times in answered.items():
            rows = db.execute("SELECT a.received_ms FROM answers a JOIN students s ON s.id = a.student_id "
                              "WHERE s.login = ? ORDER BY a.seq", (login,)).fetchall()
            if len(rows) != len(times):
                continue  # an answer sent twice or lost: no pairing for this student
            for (sent, green), (received_ms,) in zip(times, rows):
                inbound.append(received_ms / 1000 - sent)
                outbound.append(green - received_ms / 1000)
    finally:
        db.close()

    def summary(values: list[float]) -> dict:
        values.sort()
        if not values:
            return {}
        return {"median_ms": round(statistics.median(values) * 1000), "p95_ms": round(values[int(len(values) * 0.95) - 1] * 1000)}

    return {"answers_paired": len(inbound), "key_to_commit": summary(inbound), "commit_to_green": summary(outbound)}
