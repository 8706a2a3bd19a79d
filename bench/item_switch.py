"""Moving between items: how long until the next item is on screen, and whether a key typed
right after the move lands on it. Measured against a minimal Textual app's screen switch in
the same run.

    .venv/bin/python bench/item_switch.py [--trials 40] [--load 0]

Both apps run headless at 80×24 in this process. A key reaches each app the way a terminal's
keys do (a Key event handed to the app's driver, nothing waited for in between). The switch
time runs from the key that moves (→ or ←; PgDn in the minimal app) to the first frame the app draws that shows the new item ("Item 5
of 10" in its head) or the new screen; every frame is timed as the app hands it to its
driver. After each move, a letter follows 0, 50, 100 or 200 ms later; it counts as lost unless
it changed the answer of the item now shown (the student app) or the text box of the screen
now shown (the minimal app), and nothing else. The student app is logged in to a local
`room-server demo` and moves between a single-choice item and a multiple-choice item;
every answer goes through its client as in a real test.

`--load N` runs N processes spinning the CPU beside it. Prints one JSON line. Targets: the
student app's switch p95 <= 50 ms and no key lost at any delay.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from student_speed import start_server  # noqa: E402  (the same local room server)

DELAYS_MS = (0, 50, 100, 200)
LETTERS = "abcd"


def spin(stop_at: float) -> None:
    while time.time() < stop_at:
        pass


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(share * len(ordered))) - 1))]


class Frames:
    """Every frame an app hands its driver: when, what the app was showing then (its item or
    screen), and the frame itself. A frame counts as the switch when it shows the new item's
    head in its text (read outside the app's timing: only frames drawn while the app already
    showed the new item are read, so reading adds little work to the loop)."""

    def __init__(self, showing) -> None:
        self.showing = showing  # app -> what it shows now (an item index, a screen's name)
        self.seen: list[tuple[float, object, object]] = []
        self.counted: list[tuple[object, str]] = []  # (frame, the text it must show)
        self.app = None
        self.arrived: asyncio.Event | None = None

    def record(self, app, renderable) -> None:
        self.app = app
        self.seen.append((time.perf_counter(), self.showing(app), renderable))
        if self.arrived is not None:
            self.arrived.set()  # wakes the waiting bench: no polling loop beside the app

    def text(self, renderable) -> str:
        return "".join(segment.text for segment in self.app.console.render(renderable))

    async def first(self, showing, marker: str, after: float, timeout: float = 10.0) -> float:
        """When the first frame after `after` showing `showing` was drawn (`showing` None:
        read each frame's text for `marker`, for an app whose state moves before its frame)."""
        if self.arrived is None:
            self.arrived = asyncio.Event()
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            self.arrived.clear()
            for at, shown, renderable in self.seen:
                if at >= after and (showing is None or shown == showing) and marker in self.text(renderable):
                    self.counted.append((renderable, marker))
                    self.seen = [entry for entry in self.seen if entry[0] >= at]
                    return at
            try:
                await asyncio.wait_for(self.arrived.wait(), max(0.001, deadline - time.perf_counter()))
            except asyncio.TimeoutError:
                break
        raise RuntimeError(f"no frame showed {marker!r}")

    def wrong(self) -> int:
        """Frames counted as showing the switch that do not (read now, after the timing)."""
        return sum(1 for renderable, marker in self.counted if marker not in self.text(renderable))


def key(app, name: str) -> None:
    from textual import events
    event = events.Key(name, name if len(name) == 1 else None)
    event.set_sender(app)
    app._driver.send_message(event)


async def settle(pilot, condition, timeout: float = 10.0) -> bool:
    """Polls without Pilot's pause (which sends a message to every widget and would load the
    app while it is being timed)."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.005)
    return condition()


# ------------------------------------------------------------------------------ the minimal app

async def minimal_app(trials: int) -> dict:
    from textual.app import App
    from textual.screen import Screen
    from textual.widgets import Input, Static

    frames = Frames(lambda app: app.screen.name)

    class Page(Screen):
        def __init__(self, number: int):
            super().__init__(name=f"page{number}")
            self.number = number

        def compose(self):
            yield Static(f"Screen {self.number}")
            yield Input()

    class Minimal(App):
        BINDINGS = [("pagedown", "flip", "")]  # not ←→: the text box takes those

        def on_mount(self) -> None:
            self.install_screen(Page(1), "page1")
            self.install_screen(Page(2), "page2")
            self.push_screen("page1")

        def action_flip(self) -> None:
            self.switch_screen("page2" if self.screen.name == "page1" else "page1")

        def _display(self, screen, renderable) -> None:
            super()._display(screen, renderable)
            if renderable is not None:
                frames.record(self, renderable)

    app = Minimal()
    switch_ms: list[float] = []
    lost = {delay: 0 for delay in DELAYS_MS}
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.2)
        for name in ("page2", "page1"):  # both screens built before the timing, as the items are
            app.switch_screen(name)
            await pilot.pause(0.2)
        for trial in range(trials):
            for delay in DELAYS_MS:
                target = 2 if app.screen.name == "page1" else 1
                box = app.get_screen(f"page{target}").query_one(Input)
                before = box.value
                letter = LETTERS[trial % 4]
                started = time.perf_counter()
                key(app, "pagedown")
                if delay:
                    await asyncio.sleep(delay / 1000)
                key(app, letter)
                shown = await frames.first(None, f"Screen {target}", started)  # a two-widget screen: cheap to read
                switch_ms.append((shown - started) * 1000)
                landed = await settle(pilot, lambda: box.value == before + letter, 1.0)
                lost[delay] += 0 if landed else 1
    return {"switch_ms": switch_ms, "lost": lost, "wrong_frames": frames.wrong()}


# ------------------------------------------------------------------------------ the student app

async def student_app(server: str, data: Path, state: Path, trials: int) -> dict:
    from textual.widgets import Input

    from student_tui.app import StudentApp

    frames = Frames(lambda app: getattr(app.screen, "index", None))

    class Timed(StudentApp):
        def _display(self, screen, renderable) -> None:
            super()._display(screen, renderable)
            if renderable is not None:
                frames.record(self, renderable)

    with open(data / "demo-logins.csv", encoding="utf-8") as f:
        row = next(r for r in csv.DictReader(f) if r["seat"] == "1")
    app = Timed(server=server, state_dir=state, language="en", safe=False)
    switch_ms: list[float] = []
    lost = {delay: 0 for delay in DELAYS_MS}
    made: list[tuple[str, object]] = []

    async def until(condition, timeout: float = 20.0) -> None:
        if not await settle(pilot, condition, timeout):
            raise RuntimeError("timed out")

    async with app.run_test(size=(80, 24)) as pilot:
        await until(lambda: type(app.screen).__name__ == "LoginScreen" and app.hello is not None)
        app.screen.query_one("#login", Input).value = row["login"]
        app.screen.query_one("#password", Input).value = row["password"]
        await pilot.click("#login-button")
        await until(lambda: type(app.screen).__name__ == "DataScreen" and app.screen.is_mounted)
        await pilot.click("#correct")
        await until(lambda: type(app.screen).__name__ == "RulesScreen" and app.screen.is_mounted)
        await pilot.click("#agree")
        await pilot.click("#start")
        await until(lambda: type(app.screen).__name__ == "TestScreen" and getattr(app.screen, "built", False))
        await pilot.pause(0.3)
        screen = app.screen
        client = app.client
        answer = client.answer

        def recording(item, value):  # every answer the app makes, in order
            made.append((item, value))
            return answer(item, value)

        client.answer = recording
        kinds = [item.kind for item in screen.items]
        first = kinds.index("single")
        second = first + 1
        screen.show_item(first)
        await pilot.pause(0.3)
        count = len(screen.items)
        moves = 0
        for trial in range(trials):
            for delay in DELAYS_MS:
                target = second if screen.index == first else first
                target_id = screen.items[target].id
                letter = LETTERS[moves % 4]  # the single item sees every other letter: always a change
                moves += 1
                made.clear()
                started = time.perf_counter()
                key(app, "right" if target > screen.index else "left")
                if delay:
                    await asyncio.sleep(delay / 1000)
                key(app, letter)
                shown = await frames.first(target, f"Item {target + 1} of {count}", started)
                switch_ms.append((shown - started) * 1000)

                def landed() -> bool:  # one answer, on the item now shown
                    return len(made) == 1 and made[0][0] == target_id

                lost[delay] += 0 if await settle(pilot, landed, 2.0) and len(made) == 1 else 1
        await until(lambda: client.waiting_count() == 0)
    return {"switch_ms": switch_ms, "lost": lost, "wrong_frames": frames.wrong()}


def summary(result: dict) -> dict:
    times = result["switch_ms"]
    return {"switches": len(times), "switch_ms_median": round(statistics.median(times), 1),
            "switch_ms_p95": round(percentile(times, 0.95), 1), "switch_ms_max": round(max(times), 1),
            "keys_lost": {f"{delay}ms": count for delay, count in result["lost"].items()},
            "keys_sent_per_delay": len(times) // len(DELAYS_MS),
            "frames_not_showing_the_switch": result["wrong_frames"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=40, help="moves per delay")
    parser.add_argument("--load", type=int, default=0, help="processes spinning the CPU beside the run")
    args = parser.parse_args()
    spinners = [multiprocessing.Process(target=spin, args=(time.time() + 3600,), daemon=True)
                for _ in range(args.load)]
    for spinner in spinners:
        spinner.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            proc, server, data = start_server(Path(tmp))
            try:
                minimal = asyncio.run(minimal_app(args.trials))
                student = asyncio.run(student_app(server, data, Path(tmp) / "state", args.trials))
            finally:
                proc.terminate()
                proc.wait(10)
    finally:
        for spinner in spinners:
            spinner.terminate()
            spinner.join()
    result = {"bench": "item_switch", "minimal_app": summary(minimal), "student_app": summary(student),
              "load_processes": args.load, "loadavg_1min": round(os.getloadavg()[0], 2),
              "cpus": os.cpu_count(), "python": sys.version.split()[0]}
    print(json.dumps(result, ensure_ascii=False))
    ok = result["student_app"]["switch_ms_p95"] <= 50 and not any(student["lost"].values()) \
        and not student["wrong_frames"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
