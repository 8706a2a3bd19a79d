"""The console benchmark: does the proctor console last a whole day?

In one run, on loopback, against a real `room-server serve` (a subprocess) with simulated
students (two worker processes, the real client library), the console (`ProctorApp`, headless,
120×36, in its own process) and a minimal Textual app (one `Static`, the baseline) run side by
side, each measuring its own CPU time and resident memory:

1. idle: every student logged in and testing, nobody answering; the server pushes every seat
   every 5 s and the changed ones twice a second, the clock runs; CPU as % of one core;
2. all answering: every student answers every `--every` seconds; the console's keys are
   pressed (cursor down, and sort, which reorders every row) and each is timed from the key
   event being posted to the screen showing its effect (the highlighted row's detail line;
   the rows in the new order);
3. a simulated 3-hour sitting (`--hours`, sped up `--speed` times): the console takes the seat
   pushes of a whole sitting — every seat every 5 s, an answer for each student every
   `--every` seconds of sitting time, each through the message the network code posts — and its
   clock (time left) runs `--speed` times faster, ticking `--speed` times a second; memory
   growth per sitting hour is the slope of a line through the samples after the first tenth.

    python bench/console.py --students 30,500           # both sizes, one line of numbers each
    python bench/console.py --students 30 --quick --json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.load import free_port, sleep_until, wait_listening  # noqa: E402

PY = sys.executable
SIZE = (120, 36)
WORKERS = 2


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def sample() -> dict:
    return {"wall": time.time(), "cpu": time.process_time(), "rss": rss_mb()}


def cpu_percent(a: dict, b: dict) -> float:
    return round(100 * (b["cpu"] - a["cpu"]) / max(1e-9, b["wall"] - a["wall"]), 2)


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def slope_per_hour(points: list[tuple[float, float]]) -> float:
    """Least squares: MB per hour of (hours, MB) points."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den if den else 0.0


# ---------------------------------------------------------------------------------------
# The simulated students (worker processes)


async def students(args) -> None:
    from room_client import StudentClient, ServerError
    import room_protocol as p
    from room_tools.sim import random_value, read_logins

    rng = random.Random(args.seed)
    logins = read_logins(args.logins)[args.skip:args.skip + args.count]
    clients = [StudentClient(args.address, client_name="bench-console", reconnect=False) for _ in logins]
    tests: list = [None] * len(clients)
    gate = asyncio.Semaphore(40)

    async def start(i: int) -> None:
        async with gate:
            login, password = logins[i]
            client = clients[i]
            await client.connect(timeout=60)
            await client.login(login, password, f"bench-{login}")
            if client.login_ok.attempt.state == "confirming":
                await client.confirm_data()
            tests[i] = await client.start()

    await asyncio.gather(*(start(i) for i in range(len(clients))))
    Path(args.ready).write_text("ready")
    plans = [[(item.id, random_value(item, rng)) for s in test.subjects[:1] for item in s.items] for test in tests]
    seqs = [test.next_seq for test in tests]

    async def answering(i: int) -> None:
        await sleep_until(args.answer_from + rng.random() * args.every)
        while time.time() < args.answer_until:
            item, value = plans[i][seqs[i] % len(plans[i])]
            try:
                await clients[i].request(p.Answer(seqs[i], item, value, 1000 + seqs[i]), timeout=30)
                seqs[i] += 1
            except ServerError:
                pass
            await asyncio.sleep(args.every)

    if args.answer_from:
        await asyncio.gather(*(answering(i) for i in range(len(clients))))
    await sleep_until(args.until)
    await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)


# ---------------------------------------------------------------------------------------
# The measured apps (their own processes)


def run_baseline(args) -> dict:
    """A minimal Textual app: its idle CPU and memory are the floor any console stands on."""
    from textual.app import App
    from textual.widgets import Static

    out: dict = {"samples": []}

    class Minimal(App):
        def compose(self):
            yield Static("Synaq")

    async def pilot(pilot) -> None:
        await sleep_until(args.start)
        for mark in args.marks:
            await sleep_until(mark)
            out["samples"].append(sample())
        pilot.app.exit()

    Minimal().run(headless=True, size=SIZE, auto_pilot=pilot)
    return out


def run_console(args) -> dict:
    from textual import events

    from proctor_tui.app import ProctorApp
    from proctor_tui.screens.room import RoomScreen
    import room_protocol as p

    out: dict = {"samples": [], "latency_ms": {"down": [], "sort": []}}
    app = ProctorApp(args.address, args.key, language="kk")
    speed = args.speed or 1.0
    if args.speed:
        base = time.monotonic()
        app.model.clock = lambda: base + (time.monotonic() - base) * speed

    async def wait_for(condition, timeout: float = 30.0) -> None:
        deadline = time.perf_counter() + timeout
        while not condition():
            if time.perf_counter() > deadline:
                raise TimeoutError("the console did not show it in time")
            await asyncio.sleep(0.001)

    async def timed_key(key: str, character: str | None, shown) -> float:
        t0 = time.perf_counter()
        app.post_message(events.Key(key, character))
        await wait_for(shown)
        return (time.perf_counter() - t0) * 1000

    async def keys_until(end: float, screen: RoomScreen) -> None:
        table = screen.table
        step, direction = 0, 1
        while time.time() < end - 1:
            await asyncio.sleep(0.5)
            step += 1
            if step % 4 == 0:  # sort: every row in a new order
                before = screen.sort
                ms = await timed_key("s", "s", lambda: screen.sort != before)  # the rows are redrawn in the same step
                out["latency_ms"]["sort"].append(ms)
            else:
                row = table.cursor_row
                if not 0 <= row + direction < table.row_count:
                    direction = -direction
                before = table.selected_key()

                def moved() -> bool:  # rows may reorder meanwhile (a sort by answers): follow the cursor
                    key = table.selected_key()
                    return key != before and app.model.seats[int(key)].ikt in str(screen.query_one("#detail").render())
                ms = await timed_key("down" if direction > 0 else "up", None, moved)
                out["latency_ms"]["down"].append(ms)

    async def warp(end: float, screen: RoomScreen) -> None:
        """A sitting's seat pushes and clock ticks, `speed` times faster than real time."""
        seats = dict(app.model.seats)
        answered = {sid: 0 for sid in seats}
        rng = random.Random(1)
        t0 = time.time()
        sitting_s = 0.0  # sitting time replayed so far
        next_full = 0.0
        next_answer = {sid: rng.random() * args.every for sid in seats}
        while time.time() < end:
            target = (time.time() - t0) * speed
            while sitting_s < target:
                sitting_s += 0.5
                for sid, due in next_answer.items():
                    if due <= sitting_s:
                        answered[sid] += 1
                        next_answer[sid] = due + args.every
                        view = seats[sid]
                        app.post_message(ProctorApp.SeatChanged(p.SeatView(**{
                            **view.__dict__, "answered": answered[sid] % (view.total + 1),
                            "remaining_ms": max(0, view.remaining_ms - int(sitting_s * 1000))})))
                if sitting_s >= next_full:  # the server's every-seat push, every 5 s
                    next_full += 5.0
                    for sid, view in seats.items():
                        app.post_message(ProctorApp.SeatChanged(p.SeatView(**{
                            **view.__dict__, "answered": answered[sid] % (view.total + 1),
                            "remaining_ms": max(0, view.remaining_ms - int(sitting_s * 1000))})))
                if int(sitting_s * 2) % 2 == 0:
                    screen._tick()  # the console's once-a-second tick, on the sitting's clock
                if app._message_queue.qsize() > 2000:
                    break  # never further ahead than the app can take
            await asyncio.sleep(0.02)
        out["sitting_hours_replayed"] = round(sitting_s / 3600, 3)

    async def pilot(pilot) -> None:
        t0 = time.perf_counter()
        await wait_for(lambda: isinstance(app.screen, RoomScreen) and app.model.loaded
                       and app.screen.table.row_count == len(app.model.seats) == args.students, timeout=120)
        out["loaded_s"] = round(time.perf_counter() - t0, 2)
        screen = app.screen
        if args.speed:  # the replayed sitting, sampled as it goes
            async def sampler() -> None:
                for mark in args.marks:
                    await sleep_until(mark)
                    out["samples"].append(sample())
            sampling = asyncio.create_task(sampler())
            await sleep_until(args.marks[0])
            await warp(args.marks[-1], screen)
            await sampling
        else:
            for index, mark in enumerate(args.marks):
                await sleep_until(mark)
                out["samples"].append(sample())
                if args.keys_from and abs(mark - args.keys_from) < 0.01:
                    await keys_until(args.marks[index + 1], screen)
        app.exit()

    app.run(headless=True, size=SIZE, auto_pilot=pilot)
    return out


# ---------------------------------------------------------------------------------------
# The orchestrator


def spawn(role: str, *args: str) -> subprocess.Popen:
    out = Path(tempfile.mkstemp(prefix=f"synaq-console-bench-{role}-", suffix=".json")[1])
    err = open(out.with_suffix(".err"), "wb")
    proc = subprocess.Popen([PY, str(Path(__file__).resolve()), role, "--out", str(out), *args], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=err)
    err.close()
    proc.result_path = out
    return proc


def result_of(proc: subprocess.Popen, timeout: float) -> dict:
    try:
        proc.wait(timeout=timeout)
        err = proc.result_path.with_suffix(".err").read_text(errors="replace")
        if proc.returncode != 0:
            raise RuntimeError(f"{proc.args[2]} failed: {err[err.find('Traceback'):][-3000:]}")
        return json.loads(proc.result_path.read_text() or "{}")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        proc.result_path.unlink(missing_ok=True)
        proc.result_path.with_suffix(".err").unlink(missing_ok=True)


def run_size(count: int, *, warm: float, idle: float, answering: float, every: float, hours: float, speed: float,
             log=print) -> dict:
    """One room of `count` students: idle, answering (with keys) and a simulated sitting."""
    from room_server.demo import make_demo_room
    from room_server.newroom import read_proctor_key

    work = Path(tempfile.mkdtemp(prefix="synaq-console-bench-"))
    data = work / "room"
    asyncio.run(make_demo_room(data, students=count))
    key = read_proctor_key(data)
    port = free_port()
    address = f"127.0.0.1:{port}"
    server_log = open(work / "server.log", "wb")
    server = subprocess.Popen([PY, "-m", "room_server.cli", "serve", "--data", str(data), "--host", "127.0.0.1",
                               "--port", str(port), "--no-zeroconf"], cwd=REPO, stdout=server_log,
                              stderr=subprocess.STDOUT)
    procs: list[subprocess.Popen] = []
    result: dict = {"students": count}
    try:
        wait_listening(port, server)
        warp_s = hours * 3600 / speed if hours else 0.0
        # Students log in and start; they stay online to the end.
        t_start = time.time() + 5
        t_idle = t_start + 30 + count / 20 + warm  # time to log everyone in, load the console, warm up
        t_answer = t_idle + idle
        t_warp = t_answer + answering
        t_end = t_warp + (warp_s + 200 if warp_s else 5)  # the students stay online for the replay too
        readies = []
        per = [count // WORKERS + (1 if i < count % WORKERS else 0) for i in range(WORKERS)]
        skip = 0
        for index, n in enumerate(per):
            ready = work / f"ready-{index}"
            readies.append(ready)
            procs.append(spawn("students", "--address", address, "--logins", str(data / "demo-logins.csv"),
                               "--skip", str(skip), "--count", str(n), "--seed", str(index + 1), "--ready", str(ready),
                               "--answer-from", str(t_answer), "--answer-until", str(t_warp), "--every", str(every),
                               "--until", str(t_end)))
            skip += n
        deadline = time.time() + 120 + count / 5
        while not all(r.exists() for r in readies):
            if time.time() > deadline or any(p.poll() is not None for p in procs):
                raise RuntimeError("the simulated students did not all start")
            time.sleep(0.2)
        log(f"{count} students testing")
        marks = [t_idle, t_answer, t_warp]
        console = spawn("console", "--address", address, "--key", key, "--students", str(count),
                        "--marks", ",".join(map(str, marks)), "--keys-from", str(t_answer),
                        "--every", str(every))
        baseline = spawn("baseline", "--start", str(t_start), "--marks", ",".join(map(str, marks)))
        c = result_of(console, timeout=t_warp - time.time() + 300)
        b = result_of(baseline, timeout=120)
        warped = None
        if warp_s:  # the replayed sitting, its baseline beside it
            replay_marks = ",".join(map(str, [time.time() + 30 + i * warp_s / 20 for i in range(21)]))
            warped = spawn("console", "--address", address, "--key", key, "--students", str(count),
                           "--marks", replay_marks, "--speed", str(speed), "--every", str(every))
            samples_base = spawn("baseline", "--start", str(time.time()), "--marks", replay_marks)
            warped = result_of(warped, timeout=warp_s + 400)
            warped_base = result_of(samples_base, timeout=warp_s + 400)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
            proc.result_path.unlink(missing_ok=True)
            proc.result_path.with_suffix(".err").unlink(missing_ok=True)
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        server_log.close()
        import shutil
        shutil.rmtree(work, ignore_errors=True)

    s = c["samples"]
    bs = b["samples"]
    result.update({
        "console_loaded_s": c["loaded_s"],
        "idle_cpu_pct": cpu_percent(s[0], s[1]),
        "baseline_idle_cpu_pct": cpu_percent(bs[0], bs[1]),
        "answering_cpu_pct": cpu_percent(s[1], s[2]),
        "baseline_answering_cpu_pct": cpu_percent(bs[1], bs[2]),
        "answers_per_s": round(count / every, 1),
        "console_rss_mb": round(s[2]["rss"], 1),
        "baseline_rss_mb": round(bs[2]["rss"], 1),
    })
    for kind, values in c["latency_ms"].items():
        result[f"key_{kind}_p50_ms"] = round(percentile(values, 50), 1) if values else None
        result[f"key_{kind}_p95_ms"] = round(percentile(values, 95), 1) if values else None
        result[f"key_{kind}_max_ms"] = round(max(values), 1) if values else None
        result[f"key_{kind}_count"] = len(values)
    if warped:
        ws = warped["samples"]
        hours_done = warped["sitting_hours_replayed"]
        start, end = ws[0], ws[-1]
        points = [((x["wall"] - start["wall"]) / (end["wall"] - start["wall"]) * hours_done, x["rss"])
                  for x in ws]
        kept = points[len(points) // 10:]
        base_points = [((x["wall"] - start["wall"]) / (end["wall"] - start["wall"]) * hours_done, x["rss"])
                       for x in warped_base["samples"]]
        result.update({
            "sitting_hours_replayed": hours_done,
            "replay_wall_minutes": round((end["wall"] - start["wall"]) / 60, 1),
            "sitting_rss_start_mb": round(start["rss"], 1),
            "sitting_rss_end_mb": round(end["rss"], 1),
            "sitting_growth_mb_per_hour": round(slope_per_hour(kept), 2),
            "sitting_rss_samples_mb": [round(y, 1) for _, y in points],
            "baseline_growth_mb_per_hour": round(slope_per_hour(base_points[len(base_points) // 10:]), 2),
        })
    log(json.dumps(result, ensure_ascii=False))
    return result


TARGETS = {30: {"idle_cpu_pct": 3.0}, 500: {"idle_cpu_pct": 15.0, "key_down_p95_ms": 100.0, "key_sort_p95_ms": 100.0}}
COMMON_TARGETS = {"sitting_growth_mb_per_hour": 10.0}


def verdicts(result: dict) -> dict:
    wanted = {**TARGETS.get(result["students"], {}), **COMMON_TARGETS}
    return {key: result.get(key) is not None and result[key] <= limit for key, limit in wanted.items()}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    role = argv[0] if argv and argv[0] in ("students", "console", "baseline") else None
    if role:
        parser = argparse.ArgumentParser()
        parser.add_argument("--out", required=True)
        for name in ("--address", "--logins", "--ready", "--key", "--marks"):
            parser.add_argument(name, default="")
        for name in ("--skip", "--count", "--seed", "--students"):
            parser.add_argument(name, type=int, default=0)
        for name in ("--answer-from", "--answer-until", "--every", "--until", "--start", "--keys-from", "--speed"):
            parser.add_argument(name, type=float, default=0.0)
        args = parser.parse_args(argv[1:])
        args.marks = [float(x) for x in args.marks.split(",") if x]
        if role == "students":
            asyncio.run(students(args))
            out = {}
        else:
            out = run_console(args) if role == "console" else run_baseline(args)
        Path(args.out).write_text(json.dumps(out))
        return 0
    parser = argparse.ArgumentParser(prog="bench/console.py", description="Synaq console benchmark")
    parser.add_argument("--students", default="30,500", help="room sizes, comma-separated")
    parser.add_argument("--idle", type=float, default=60.0, help="seconds measured idle")
    parser.add_argument("--answering", type=float, default=60.0, help="seconds measured with everyone answering")
    parser.add_argument("--every", type=float, default=10.0, help="each student answers every this many seconds")
    parser.add_argument("--hours", type=float, default=3.0, help="the simulated sitting's length (0: none)")
    parser.add_argument("--speed", type=float, default=18.0, help="how much faster than real time it is replayed")
    parser.add_argument("--warm", type=float, default=20.0, help="seconds after loading before measuring")
    parser.add_argument("--quick", action="store_true", help="short phases (a smoke run, not for the record)")
    parser.add_argument("--json", action="store_true", help="one JSON line per size on stdout")
    args = parser.parse_args(argv)
    if args.quick:
        args.idle, args.answering, args.warm, args.hours, args.speed = 10.0, 10.0, 5.0, 0.25, 30.0
    log = (lambda msg: print(msg, file=sys.stderr)) if args.json else print
    log(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()}")
    for count in (int(x) for x in args.students.split(",")):
        result = run_size(count, warm=args.warm, idle=args.idle, answering=args.answering, every=args.every,
                          hours=args.hours, speed=args.speed, log=log)
        result["load_average"] = os.getloadavg()
        result["targets_met"] = verdicts(result)
        if args.json:
            print(json.dumps(result, ensure_ascii=False), flush=True)
        else:
            for key, ok in result["targets_met"].items():
                print(f"  {count} students, {key}: {result.get(key)}: {'met' if ok else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
