"""Speed of the student app, measured against a minimal Textual app in the same run.

    .venv/bin/python bench/student_speed.py [--runs 5] [--presses 30]

1. Start-up: from launching the process to the first screen a student sees (the login
   form, drawn before the connection is made) vs a minimal Textual app's first screen;
   and, for the record, until the login form also shows the room's name (connected to a
   local room server). All run headless in fresh processes; the median of --runs launches.
2. Key to green: the key press that chooses an option until the item's number shows green
   in the palette, which happens only after the server's acknowledgement (local server).
3. Resident memory of the app's process during the test.

Prints one JSON line. Targets: start-up <= 1.5 x the minimal app; key to green <= 50 ms
median; <= 100 MB resident.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


# ---------------------------------------------------------------------------------- children

def child_minimal() -> None:
    from textual.app import App
    from textual.widgets import Static

    class Minimal(App):
        def compose(self):
            yield Static("Hello")

        def on_mount(self) -> None:
            self.call_after_refresh(self.ready)

        def ready(self) -> None:
            os.write(1, f"READY {time.time():.6f}\n".encode())
            self.exit()

    Minimal().run(headless=True)


def child_student(server: str, state_dir: str, connected: bool) -> None:
    from student_tui.app import StudentApp

    class Timed(StudentApp):
        def screen_shown(self, screen) -> None:
            super().screen_shown(screen)
            if type(screen).__name__ == "LoginScreen":
                if connected:
                    self.set_interval(0.001, self.check)
                else:
                    self.call_after_refresh(self.ready)

        def check(self) -> None:
            if self.hello is not None:
                self.call_after_refresh(self.ready)

        def ready(self) -> None:
            os.write(1, f"READY {time.time():.6f}\n".encode())
            self.exit()

    Timed(server=server, state_dir=Path(state_dir), language="kk").run(headless=True)


def launch(args: list[str]) -> float:
    started = time.time()
    out = subprocess.run([sys.executable, str(Path(__file__).resolve()), *args], capture_output=True, text=True,
                         timeout=60, cwd=ROOT)
    for line in out.stdout.splitlines():
        if line.startswith("READY "):
            return float(line.split()[1]) - started
    raise RuntimeError(f"the child did not get ready: {out.stdout[-400:]} {out.stderr[-800:]}")


# ---------------------------------------------------------------------------------- server

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(folder: Path) -> tuple[subprocess.Popen, str, Path]:
    port = free_port()
    data = folder / "room"
    room_server = Path(sys.executable).parent / "room-server"
    command = [str(room_server)] if room_server.exists() else [sys.executable, "-m", "room_server.cli"]
    proc = subprocess.Popen(command + ["demo", "--data", str(data), "--port", str(port), "--host", "127.0.0.1",
                                       "--no-zeroconf"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0 and (data / "demo-logins.csv").exists():
                return proc, f"127.0.0.1:{port}", data
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("the room server did not start")


def rss_mb() -> float:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


async def key_to_green(server: str, data: Path, state: Path, presses: int) -> tuple[list[float], float]:
    from textual import events
    from textual.widgets import Input

    from student_tui.app import StudentApp
    from student_tui.widgets.palette import Palette

    with open(data / "demo-logins.csv", encoding="utf-8") as f:
        row = next(csv.DictReader(f))
    app = StudentApp(server=server, state_dir=state, language="kk", safe=False)

    async def until(condition, timeout=10.0):
        deadline = time.perf_counter() + timeout
        while not condition():
            if time.perf_counter() > deadline:
                raise RuntimeError("timed out")
            await asyncio.sleep(0.0005)

    times: list[float] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await until(lambda: type(app.screen).__name__ == "LoginScreen" and app.screen.is_mounted)
        await pilot.pause()
        app.screen.query_one("#login", Input).value = row["login"]
        app.screen.query_one("#password", Input).value = row["password"]
        await pilot.click("#login-button")
        await until(lambda: type(app.screen).__name__ == "DataScreen" and app.screen.is_mounted)
        await pilot.pause()
        await pilot.click("#correct")
        await until(lambda: type(app.screen).__name__ == "RulesScreen" and app.screen.is_mounted)
        await pilot.pause()
        await pilot.click("#agree")
        await pilot.click("#start")
        await until(lambda: type(app.screen).__name__ == "TestScreen" and app.screen.is_mounted)
        await pilot.pause()
        screen = app.screen
        singles = [i for i, item in enumerate(screen.items) if item.kind == "single"]
        screen.show_item(singles[0])
        item_id = screen.item.id
        palette = screen.query_one(Palette)
        for n in range(presses):
            key = "ab"[n % 2]
            started = time.perf_counter()
            # What the terminal driver does with a key press: a Key event to the app.
            app.post_message(events.Key(key, key))
            await until(lambda: app.client.item_state(item_id) == "acked" and palette.states[singles[0]] == "acked"
                        and app.client.latest_by_item[item_id].value == key.upper())
            times.append((time.perf_counter() - started) * 1000)
            await pilot.pause()
        memory = rss_mb()
    return times, memory


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--presses", type=int, default=30)
    parser.add_argument("--child", choices=["minimal", "student", "connected"])
    parser.add_argument("--server")
    parser.add_argument("--state-dir")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.child == "minimal":
        child_minimal()
        return 0
    if args.child in ("student", "connected"):
        child_student(args.server, args.state_dir, args.child == "connected")
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        proc, server, data = start_server(folder)
        try:
            launch(["--child", "minimal"])  # warm the file cache for both
            launch(["--child", "student", "--server", server, "--state-dir", str(folder / "warm")])
            minimal, student, connected = [], [], []
            for run in range(args.runs):
                minimal.append(launch(["--child", "minimal"]))
                student.append(launch(["--child", "student", "--server", server,
                                       "--state-dir", str(folder / f"start-{run}")]))
                connected.append(launch(["--child", "connected", "--server", server,
                                         "--state-dir", str(folder / f"start-{run}")]))
            times, memory = asyncio.run(key_to_green(server, data, folder / "keys", args.presses))
        finally:
            proc.terminate()
            proc.wait(10)
    minimal_s, student_s = statistics.median(minimal), statistics.median(student)
    times.sort()
    result = {
        "bench": "student_speed",
        "startup_minimal_s": round(minimal_s, 3),
        "startup_student_s": round(student_s, 3),
        "startup_ratio": round(student_s / minimal_s, 2),
        "startup_connected_s": round(statistics.median(connected), 3),  # the room's name shown too
        "key_to_green_ms_median": round(statistics.median(times), 1),
        "key_to_green_ms_p95": round(times[int(len(times) * 0.95) - 1], 1),
        "key_to_green_presses": len(times),
        "rss_mb_during_test": round(memory, 1),
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
    }
    print(json.dumps(result))
    ok = result["startup_ratio"] <= 1.5 and result["key_to_green_ms_median"] <= 50 and memory <= 100
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
