"""`make demo`: a demo day of two streams served (grade 9, then grade 4), 45 simulated
students, and the console in front.

    python -m room_tools.demo --data DIR [--port P] [--lang kk|ru|en]

The room server (`room-server demo`) and the simulation (`synaq-sim`) run as child
processes and are stopped when the console exits. The sitting is left for the console to
open (press o): the simulated students log in, accept the rules and wait until then. The
first five logins are left free for a real student joining from another terminal.
"""

from __future__ import annotations

import argparse
import csv
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

SIM_SKIP = 5


def port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def pick_port(wanted: int) -> int:
    if port_free(wanted):
        return wanted
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_server(port: int, server: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the room server stopped at start")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)  # polling a port that is not open yet
    raise RuntimeError(f"the room server did not start listening on port {port} within {timeout:.0f} s")


def free_logins(data: Path, count: int = SIM_SKIP) -> list[dict]:
    try:
        with open(data / "demo-logins.csv", encoding="utf-8-sig", newline="") as f:
            return list(csv.DictReader(f))[:count]
    except OSError:
        return []


def join_text(data: Path, port: int) -> str:
    lines = [f"Join as a real student from another terminal:  student-tui --server 127.0.0.1:{port}",
             "Logins the simulation leaves free (login / password):"]
    for row in free_logins(data):
        lines.append(f"  {row['login']} / {row['password']}   ({row['surname']} {row['name']}, seat {row['seat']})")
    staff = staff_logins(data)
    if staff:
        lines.append("A teacher's or the principal's questionnaire (the same app, no test):")
        lines.extend(f"  {row['login']} / {row['password']}   ({row['audience']})" for row in staff)
    lines.append("The day has two streams: close the grade 9 sitting (C on the room), then switch to grade 4 in the "
                 "console (7, stream 2, s).")
    return "\n".join(lines)


def staff_logins(data: Path) -> list[dict]:
    for folder in (data / "stream-1", data):
        try:
            with open(folder / "staff-slips.csv", encoding="utf-8", newline="") as f:
                return list(csv.DictReader(f))
        except OSError:
            continue
    return []


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGINT if os.name != "nt" else signal.SIGTERM)
    try:
        process.wait(timeout=8)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m room_tools.demo", description="Synaq demo: a day of two "
                                     "streams, 45 simulated students and the proctor console")
    parser.add_argument("--data", default="demo-room", help="the demo room's folder (made on the first run)")
    parser.add_argument("--port", type=int, default=8765, help="the server's port (another free one if taken)")
    parser.add_argument("--students", type=int, default=45, help="simulated students (25 of grade 9, 20 of grade 4)")
    parser.add_argument("--think", type=float, default=2.0, help="seconds a simulated student thinks per item")
    parser.add_argument("--lang", choices=["kk", "ru", "en"], default="kk")
    parser.add_argument("--no-zeroconf", action="store_true", help="do not advertise the room on the LAN")
    args = parser.parse_args(argv)

    data = Path(args.data)
    port = pick_port(args.port)
    data.mkdir(parents=True, exist_ok=True)
    server_log = open(data / "server.log", "a", encoding="utf-8")
    sim_log = open(data / "sim.log", "a", encoding="utf-8")
    server = sim = None
    try:
        command = [sys.executable, "-m", "room_server.cli", "demo", "--data", str(data), "--port", str(port), "--no-open",
                   "--streams", "2"]
        if args.no_zeroconf:
            command.append("--no-zeroconf")
        server = subprocess.Popen(command, stdout=server_log, stderr=subprocess.STDOUT)
        print(f"Starting the demo room in {data} on port {port}…", flush=True)
        wait_for_server(port, server)
        key = (data / "proctor.key").read_text(encoding="utf-8").strip()  # the day's key
        # Both streams' students: the grade 4 ones wait at the door until their stream is live.
        sim = subprocess.Popen([sys.executable, "-m", "room_tools.sim", "--server", f"127.0.0.1:{port}",
                                "--logins", str(data / "demo-logins.csv"), "--students", str(args.students),
                                "--skip", str(SIM_SKIP), "--think", str(args.think)],
                               stdout=sim_log, stderr=subprocess.STDOUT)
        print(join_text(data, port), flush=True)
        from proctor_tui.app import ProctorApp
        ProctorApp(f"127.0.0.1:{port}", key, language=args.lang).run()
    except (RuntimeError, OSError) as exc:
        print(f"demo: {exc} (see {data / 'server.log'})", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    finally:
        stop(sim)
        stop(server)
        server_log.close()
        sim_log.close()
    print(join_text(data, port))
    print(f"The demo room stays in {data}; run 'make demo' again to continue it, or delete the folder to start over.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
