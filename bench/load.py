"""The load benchmark: how far one laptop goes with a room of simulated students.

In one run, on loopback:
1. the ceiling: a bare aiohttp WebSocket msgpack server that answers every request at once
   (no state, no disk), driven by the same client library and the same number of
   connections — its requests per second (`echo_msgs_per_s`);
2. the real server (`room-server serve`, a subprocess) with N students (500 by default):
   - a synchronized start: every student connected, then all log in, confirm and start at
     the same instant; the time until the last one has their items (`start_all_ready_s`);
   - full speed: every student answers again as soon as the last answer is acknowledged
     (acknowledged = committed to disk, synchronous=FULL); `answers_per_s`;
   - paced: every student answers once a second; ack latency p50/p99, protocol bytes per
     answer (WebSocket payload and frame headers both ways, the clock pushes included), and
     bytes on the loopback interface per answer (TCP/IP headers and ACKs included);
   - the server's resident memory (peak over the run).
The load clients run in two worker processes of their own, apart from the server process;
on a 2-core machine all three share the cores, so the numbers are a floor.

    python bench/load.py                   # the full run (500 students, 20 s phases)
    python bench/load.py --quick --json    # under 3 minutes; one JSON line
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

PY = sys.executable
WORKERS = 2
CLIENT_FRAME_OVERHEAD = 6  # WebSocket header (2) + mask (4) for a client frame under 126 bytes
SERVER_FRAME_OVERHEAD = 2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the server did not start listening")


def lo_bytes() -> int:
    """Bytes through the loopback interface so far (each packet counted once)."""
    try:
        for line in Path("/proc/net/dev").read_text().splitlines():
            name, _, rest = line.partition(":")
            if name.strip() == "lo":
                return int(rest.split()[0])
    except OSError:
        pass
    return 0


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


# ---------------------------------------------------------------------------------------
# The ceiling: a bare msgpack WebSocket server


async def echo_server(port: int) -> None:
    import msgpack
    from aiohttp import WSMsgType, web

    async def handler(request):
        ws = web.WebSocketResponse(max_msg_size=256 * 1024)
        await ws.prepare(request)
        async for frame in ws:
            if frame.type != WSMsgType.BINARY:
                continue
            data = msgpack.unpackb(frame.data, raw=False)
            if data.get("t") == "hello":
                reply = {"t": "hello_ok", "version": 1, "server_time_ms": int(time.time() * 1000), "school": "",
                         "room": "", "grade": 9, "languages": ["kk"], "re": data.get("id")}
            else:
                reply = {"t": "ack", "seq": data.get("seq", 0), "item": data.get("item", ""), "counted": True,
                         "re": data.get("id")}
            await ws.send_bytes(msgpack.packb(reply, use_bin_type=True))
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await runner.cleanup()


# ---------------------------------------------------------------------------------------
# A worker: a share of the students, all phases, one JSON line at the end


async def sleep_until(wall: float) -> None:
    delay = wall - time.time()
    if delay > 0:
        await asyncio.sleep(delay)


async def worker(args) -> dict:
    from room_client import StudentClient, ServerError
    import room_protocol as p
    from room_tools.sim import random_value, read_logins

    rng = random.Random(args.seed)
    address = f"127.0.0.1:{args.port}"
    out: dict = {}
    if args.phase == "echo":
        clients = [StudentClient(address, client_name="bench-echo", reconnect=False) for _ in range(args.count)]
        await asyncio.gather(*(c.connect(timeout=30) for c in clients))
        await sleep_until(args.at)
        done = 0
        end = time.time() + args.seconds

        async def loop(client):
            nonlocal done
            seq = 0
            while time.time() < end:
                seq += 1
                await client.request(p.Answer(seq, "A-r1", "A", seq * 1000), timeout=30)
                done += 1

        await asyncio.gather(*(loop(c) for c in clients))
        out["echo_msgs"] = done
        await asyncio.gather(*(c.close() for c in clients))
        return out

    logins = read_logins(args.logins)[args.skip:args.skip + args.count]
    clients = [StudentClient(address, client_name="bench", reconnect=False) for _ in logins]
    # Everyone at the login screen, connected, before the synchronized start.
    sem = asyncio.Semaphore(50)

    async def connect(client):
        async with sem:
            await client.connect(timeout=30)

    await asyncio.gather(*(connect(c) for c in clients))
    await sleep_until(args.at)
    t0 = time.time()
    ready: list[float] = []
    tests: list = [None] * len(clients)

    async def start(i, client, login, password):
        await client.login(login, password, f"bench-{login}")
        if client.login_ok.attempt.state == "confirming":
            await client.confirm_data()
        tests[i] = await client.start()
        ready.append(time.time() - t0)

    results = await asyncio.gather(*(start(i, c, lg, pw) for i, (c, (lg, pw)) in enumerate(zip(clients, logins))),
                                   return_exceptions=True)
    out["start_errors"] = [repr(r) for r in results if isinstance(r, Exception)][:5]
    out["start_ready_max_s"] = max(ready) if ready else None
    out["start_ready_p50_s"] = percentile(ready, 50)
    plans = []
    for test in tests:
        items = [item for subject in test.subjects[:1] for item in subject.items] if isinstance(test, p.Test) else []
        plans.append([(item.id, random_value(item, rng)) for item in items])
    seqs = [test.next_seq if isinstance(test, p.Test) else 1 for test in tests]

    async def answer(i: int) -> None:
        plan = plans[i]
        item, value = plan[seqs[i] % len(plan)]
        while True:
            try:
                await clients[i].request(p.Answer(seqs[i], item, value, 1000 + seqs[i]), timeout=30)
                break
            except ServerError as exc:
                # One connection is held to 100 frames a second (no person answers faster);
                # with few students at full speed that limit, not the room, is reached first.
                if exc.code != p.ErrorCode.TOO_FAST:
                    raise
                await asyncio.sleep(0.05)
        seqs[i] += 1

    # Full speed: answer, wait for the ack, answer again.
    await sleep_until(args.at2)
    end = time.time() + args.seconds
    full = 0

    async def flat_out(i):
        nonlocal full
        while time.time() < end:
            await answer(i)
            full += 1

    await asyncio.gather(*(flat_out(i) for i in range(len(clients)) if plans[i]))
    out["full_answers"] = full

    # Paced: once a second each, at random phases.
    await sleep_until(args.at3)
    sent0 = sum(c.bytes_sent for c in clients)
    recv0 = sum(c.bytes_received for c in clients)
    end = args.at3 + args.seconds
    latencies: list[float] = []

    async def paced(i):
        await asyncio.sleep(rng.random())
        nxt = time.time()
        while nxt + 1 < end:
            t = time.perf_counter()
            await answer(i)
            latencies.append((time.perf_counter() - t) * 1000)
            nxt += 1.0
            await asyncio.sleep(max(0.0, nxt - time.time()))

    await asyncio.gather(*(paced(i) for i in range(len(clients)) if plans[i]))
    out["paced_latencies_ms"] = latencies
    out["paced_bytes"] = sum(c.bytes_sent for c in clients) - sent0 + sum(c.bytes_received for c in clients) - recv0
    out["paced_answers"] = len(latencies)
    await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
    return out


# ---------------------------------------------------------------------------------------
# The orchestrator


def spawn_workers(common: list[str], counts: list[tuple[int, int]]) -> list[subprocess.Popen]:
    """Each worker writes its result to a file (a pipe would fill up and block it)."""
    procs = []
    for index, (skip, count) in enumerate(counts):
        out = Path(tempfile.mkstemp(prefix="synaq-bench-worker-", suffix=".json")[1])
        err = open(out.with_suffix(".err"), "wb")
        proc = subprocess.Popen([PY, str(Path(__file__).resolve()), "worker", *common, "--skip", str(skip),
                                 "--count", str(count), "--seed", str(index + 1), "--out", str(out)],
                                cwd=REPO, stdout=subprocess.DEVNULL, stderr=err)
        err.close()
        proc.result_path = out
        procs.append(proc)
    return procs


def collect(procs: list[subprocess.Popen], timeout: float) -> list[dict]:
    results = []
    try:
        for proc in procs:
            proc.wait(timeout=timeout)
            err = proc.result_path.with_suffix(".err").read_text(errors="replace")
            if proc.returncode != 0:
                first = err.find("Traceback")  # the failure itself, not the noise of shutting down
                raise RuntimeError(f"a load worker failed: {err[max(first, 0):][:3000]}")
            results.append(json.loads(proc.result_path.read_text()))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
            proc.result_path.unlink(missing_ok=True)
            proc.result_path.with_suffix(".err").unlink(missing_ok=True)
    return results


def split(total: int) -> list[tuple[int, int]]:
    per = [total // WORKERS + (1 if i < total % WORKERS else 0) for i in range(WORKERS)]
    out, skip = [], 0
    for count in per:
        out.append((skip, count))
        skip += count
    return out


def machine() -> dict:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import psutil
        ram_gb = round(psutil.virtual_memory().total / 2**30, 1)
    except Exception:
        ram_gb = None
    return {"nproc": os.cpu_count(), "cpu": model, "ram_gb": ram_gb}


def run(students: int, seconds: float, log=print) -> dict:
    import psutil

    from room_server.demo import make_demo_room

    result: dict = {"students": students, "phase_seconds": seconds, **machine()}
    work = Path(tempfile.mkdtemp(prefix="synaq-bench-"))
    # 1. The ceiling.
    port = free_port()
    echo = subprocess.Popen([PY, str(Path(__file__).resolve()), "echo", "--port", str(port)], cwd=REPO)
    try:
        wait_listening(port, echo)
        at = time.time() + 3 + students / 200
        procs = spawn_workers(["--phase", "echo", "--port", str(port), "--at", str(at), "--seconds", str(seconds),
                               "--logins", "-", "--at2", "0", "--at3", "0"], split(students))
        echoed = sum(r["echo_msgs"] for r in collect(procs, timeout=seconds + 120))
    finally:
        echo.terminate()
        echo.wait(timeout=10)
    result["echo_msgs_per_s"] = round(echoed / seconds, 1)
    log(f"echo ceiling: {result['echo_msgs_per_s']} requests/s with {students} connections")

    # 2. The real server.
    data = work / "room"
    asyncio.run(make_demo_room(data, students=students))
    port = free_port()
    server_log = open(work / "server.log", "wb")
    server = subprocess.Popen([PY, "-m", "room_server.cli", "serve", "--data", str(data), "--host", "127.0.0.1",
                               "--port", str(port), "--no-zeroconf"], cwd=REPO, stdout=server_log,
                              stderr=subprocess.STDOUT)
    peak_rss = 0.0
    try:
        wait_listening(port, server)
        ps = psutil.Process(server.pid)
        now = time.time()
        at = now + 4 + students / 100  # time for every worker to connect its students
        at2 = at + 8
        at3 = at2 + seconds + 1
        procs = spawn_workers(["--phase", "room", "--port", str(port), "--logins", str(data / "demo-logins.csv"),
                               "--at", f"{at}", "--at2", f"{at2}", "--at3", f"{at3}", "--seconds", str(seconds)],
                              split(students))
        lo_start = None
        give_up = at3 + seconds + 120
        while any(proc.poll() is None for proc in procs) and time.time() < give_up:
            peak_rss = max(peak_rss, ps.memory_info().rss / 2**20)
            if lo_start is None and time.time() >= at3:
                lo_start = lo_bytes()
            time.sleep(0.2)
        lo_end = lo_bytes()
        results = collect(procs, timeout=60)
        peak_rss = max(peak_rss, ps.memory_info().rss / 2**20)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        server_log.close()
    errors = [e for r in results for e in r["start_errors"]]
    if errors:
        raise RuntimeError(f"students could not start: {errors[:3]}")
    latencies = [x for r in results for x in r["paced_latencies_ms"]]
    paced_answers = sum(r["paced_answers"] for r in results)
    result["start_all_ready_s"] = round(max(r["start_ready_max_s"] for r in results), 3)
    result["answers_per_s"] = round(sum(r["full_answers"] for r in results) / seconds, 1)
    result["answers_vs_echo"] = round(result["answers_per_s"] / result["echo_msgs_per_s"], 3) if result["echo_msgs_per_s"] else None
    result["paced_answers"] = paced_answers
    result["paced_rate_per_s"] = round(paced_answers / seconds, 1)
    result["paced_p50_ms"] = round(percentile(latencies, 50), 2)
    result["paced_p99_ms"] = round(percentile(latencies, 99), 2)
    result["paced_max_ms"] = round(max(latencies), 2) if latencies else None
    frames = sum(r["paced_bytes"] for r in results)
    result["bytes_per_answer"] = round(frames / paced_answers + CLIENT_FRAME_OVERHEAD + SERVER_FRAME_OVERHEAD, 1) if paced_answers else None
    if lo_start is not None and paced_answers:
        result["loopback_bytes_per_answer"] = round((lo_end - lo_start) / paced_answers, 1)
    result["server_rss_mb"] = round(peak_rss, 1)
    log(f"real server: {result}")
    import shutil
    shutil.rmtree(work, ignore_errors=True)
    return result


TARGETS = {
    "answers_vs_echo": (">=", 0.30),
    "paced_p99_ms": ("<=", 25.0),
    "start_all_ready_s": ("<=", 3.0),
    "bytes_per_answer": ("<=", 150.0),
    "server_rss_mb": ("<=", 200.0),
}


def verdicts(result: dict) -> dict:
    out = {}
    for key, (op, target) in TARGETS.items():
        value = result.get(key)
        out[key] = value is not None and (value >= target if op == ">=" else value <= target)
    return out


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["worker"]:
        parser = argparse.ArgumentParser()
        for name in ("--phase", "--logins", "--out"):
            parser.add_argument(name, required=True)
        for name in ("--port", "--skip", "--count", "--seed"):
            parser.add_argument(name, type=int, default=0)
        for name in ("--at", "--at2", "--at3", "--seconds"):
            parser.add_argument(name, type=float, default=0)
        args = parser.parse_args(argv[1:])
        out = asyncio.run(worker(args))
        Path(args.out).write_text(json.dumps(out))
        return 0
    if argv[:1] == ["echo"]:
        parser = argparse.ArgumentParser()
        parser.add_argument("--port", type=int, required=True)
        asyncio.run(echo_server(parser.parse_args(argv[1:]).port))
        return 0
    parser = argparse.ArgumentParser(prog="bench/load.py", description="Synaq load benchmark")
    parser.add_argument("--students", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=None, help="length of each measured phase")
    parser.add_argument("--quick", action="store_true", help="short phases: the whole run under 3 minutes")
    parser.add_argument("--json", action="store_true", help="print one JSON line (and nothing else on stdout)")
    args = parser.parse_args(argv)
    seconds = args.seconds or (8.0 if args.quick else 20.0)
    log = (lambda msg: print(msg, file=sys.stderr)) if args.json else print
    result = run(args.students, seconds, log=log)
    result["targets_met"] = verdicts(result)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        for key, ok in result["targets_met"].items():
            op, target = TARGETS[key]
            print(f"  {key}: {result.get(key)} (target {op} {target}): {'met' if ok else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
