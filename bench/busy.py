"""Runs a command with the machine kept busy: N processes spinning the CPU beside it.

    .venv/bin/python bench/busy.py --spin 2 -- .venv/bin/python -m pytest -q tests/test_student_snapshots.py

Used to show that the snapshot tests draw the same picture on a loaded machine (every clock
a screen shows is frozen). Prints the load average before and after; exits with the
command's exit code.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import time


def spin(stop_at: float) -> None:
    while time.time() < stop_at:
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spin", type=int, default=2, help="processes spinning the CPU")
    parser.add_argument("--limit", type=float, default=3600, help="seconds the spinners live at most")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    spinners = [multiprocessing.Process(target=spin, args=(time.time() + args.limit,), daemon=True)
                for _ in range(args.spin)]
    for spinner in spinners:
        spinner.start()
    print(f"busy: {args.spin} spinners; load average before {os.getloadavg()[0]:.2f}", flush=True)
    started = time.monotonic()
    try:
        code = subprocess.call(command)
    finally:
        for spinner in spinners:
            spinner.terminate()
            spinner.join()
    print(f"busy: load average at the end {os.getloadavg()[0]:.2f}; {time.monotonic() - started:.0f} s", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
