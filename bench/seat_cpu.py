"""What one browser seat costs in CPU, by what the student does: idle on an item, an answer
(key to green), a move to the next item; measured on a real seat process of `room-server demo`
with a 150x45 tab, alone on the room.

    .venv/bin/python bench/seat_cpu.py             # the seat's CPU by activity
    .venv/bin/python bench/seat_cpu.py --profile   # where an item change goes in the app
    .venv/bin/python bench/seat_cpu.py --profile answers   # where an answer goes

`--profile` runs the student app headless (same size) against a room server in this process,
under cProfile, for nine item changes (`--profile answers`: for the answers to the single- and
multiple-choice items of the first subject, key to green), and prints the functions with the
most cumulative time and how many full layout refreshes there were.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

import browser_seats as bs

ROOT = Path(__file__).resolve().parent.parent


async def by_activity() -> dict:
    from content.loader import shipped_pack
    kinds = [item.kind for item in shipped_pack(9, "kk").variant("A").subjects[0].items]
    with tempfile.TemporaryDirectory() as folder:
        system = bs.Ours(Path(folder), 1)
        system.start()
        try:
            tab = await system.new_tab(system.session(0))
            await tab.shows(bs.LOGIN_SCREEN)
            await bs.start_test(tab, system.logins[0])
            seat = system.seat_processes()[-1]

            def cpu() -> float:
                times = seat.cpu_times()
                return times.user + times.system

            await tab.shows("тапсырманың 1-сі")
            await asyncio.sleep(2)  # the first item settles before the idle measure
            before, started = cpu(), time.perf_counter()
            await asyncio.sleep(10)
            idle = (cpu() - before) / (time.perf_counter() - started)
            answers, moves = [], []

            async def measured(action) -> float:
                before, started = cpu(), time.perf_counter()
                await action
                await asyncio.sleep(0.5)  # the redraws that follow
                return cpu() - before - idle * (time.perf_counter() - started)

            async def answer(number: int, key: str) -> None:
                await tab.keys(key)
                await tab.until(lambda: tab.palette_green(number), 30)

            for number, kind in enumerate(kinds, 1):
                await tab.shows(f"тапсырманың {number}-сі")
                await asyncio.sleep(1.0)
                if kind in bs.KEYS:
                    answers.append(await measured(answer(number, bs.KEYS[kind])))
                if number < len(kinds):
                    moves.append(await measured(bs.next_item(tab, number + 1)))
        finally:
            for session in system.sessions:
                await session.close()
            system.stop()
    return {"idle_cores": round(idle, 4), "answer_cpu_s_median": round(statistics.median(answers), 3),
            "next_item_cpu_s_median": round(statistics.median(moves), 3),
            "next_item_cpu_s_max": round(max(moves), 3)}


async def profile(what: str) -> str:
    sys.path.insert(0, str(ROOT / "tests"))
    from content.loader import shipped_pack
    from test_student_support import ServerThread, make_app, to_test, wait_for

    kinds = [item.kind for item in shipped_pack(9, "kk").variant("A").subjects[0].items]
    profiler = cProfile.Profile()
    with tempfile.TemporaryDirectory() as folder:
        server = ServerThread(Path(folder) / "room", students=5).start()
        try:
            app = make_app(server, Path(folder) / "state")
            async with app.run_test(size=(150, 45)) as pilot:
                await to_test(pilot, app, server.login_for_seat(1))
                counted = 0
                for index, kind in enumerate(kinds):
                    if what == "answers" and kind in bs.KEYS:
                        profiler.enable()
                        await pilot.press(bs.KEYS[kind])
                        await wait_for(lambda i=index: app.screen.query_one("Palette").states[i] == "acked", pilot=pilot)
                        await pilot.pause(0.1)
                        profiler.disable()
                        counted += 1
                    if index == len(kinds) - 1:
                        break  # the last item: no next one to move to
                    if what == "moves":
                        profiler.enable()
                    await pilot.press("pagedown")
                    await pilot.pause(0.3)
                    if what == "moves":
                        profiler.disable()
                        counted += 1
        finally:
            server.stop()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(r"textual|student_tui", 30)
    layouts = sum(calls for (path, _, name), (calls, *_rest) in stats.stats.items()
                  if name == "_refresh_layout" and path.endswith("screen.py"))
    return f"full layout refreshes for {counted} {'answers' if what == 'answers' else 'item changes'}: {layouts}\n" + out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", nargs="?", const="moves", choices=["moves", "answers"])
    args = parser.parse_args()
    if args.profile:
        print(asyncio.run(profile(args.profile)))
    else:
        print(asyncio.run(by_activity()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
