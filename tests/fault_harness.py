"""The fault harness: simulated students answer over the real protocol while everything fails.

The room server runs as a subprocess and is killed with SIGKILL at random moments, then
restarted on the same port and data folder. Students run in a few processes (groups of
simulated students through the real client library); where the machine allows, each group
lives in its own network namespace joined to the server's by a veth pair, and the harness
sets links down and up, silently drops packets with iptables inside a namespace (the server
sees a half-open connection) and squeezes bandwidth with `tc ... tbf`. One student's app
process (with its encrypted journal) is killed mid-test, while offline, and started again;
one student logs in from a second computer and the proctor approves it; the proctor pauses
and resumes the room, gives extra time, records incidents, attendance and login slips.

At the end it checks, from the database on disk:
- every answer any client saw acknowledged is stored, and per student and item the highest
  acknowledged answer's value is the stored latest counted value;
- every answer the killed app made (journaled, maybe never sent) is stored;
- no remaining time told to a client, nor the server's final view, is off by more than
  2 s from what the recorded start, pauses and extra time give;
- every proctor action and incident the harness made is in the database and audit log;
- the audit log has one `answer` row per stored answer.

Run it from the repository root:
    python -m tests.fault_harness --students 200 --kills 10
`tests/test_faults.py` runs a short case in the normal suite and a long one under `make soak`.
Where namespaces cannot be made (not root, no `ip`), those parts are skipped with the reason
printed and the rest runs on loopback. Every namespace, veth pair, iptables rule and process
the harness makes is removed at the end, also on failure.

Its parts: `fault_lab.py` (namespaces, links, the server process), `fault_group.py` (a group of
students, a process of its own), `fault_scenarios.py` (the faults), `fault_checks.py` (the
checks above); this module plans the run and owns its state.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a command too
from fault_checks import FinalChecks  # noqa: E402
from fault_group import run_group  # noqa: E402
from fault_lab import PY, REPO, Link, NetLab, ServerProcess, free_port, log, netns_unavailable  # noqa: E402
from fault_scenarios import FaultScenarios  # noqa: E402


@dataclass
class Config:
    students: int = 40
    kills: int = 3
    cuts: int = 3  # link faults: down/up, half-open drop, bandwidth squeeze (in turn)
    groups: int = 4
    think: float = 1.5
    netns: bool = True
    iptables: bool = True  # False: run as on a machine without it (no half-open drops)
    seed: int = 1
    long_outage: bool = False  # one restart after more than 10 s down (an outage pause)
    timeout_s: float = 900.0
    keep: Path | None = None
    verbose: bool = True


@dataclass
class Summary:
    students: int = 0
    finished: int = 0
    kills: int = 0
    cuts: int = 0
    cut_kinds: dict = field(default_factory=dict)
    app_kills: int = 0
    second_device: bool = False
    answers_acked: int = 0
    answers_made: int = 0
    answers_stored: int = 0
    answers_lost: int = 0
    journal_answers: int = 0
    newer_unacked: int = 0
    clock_checks: int = 0
    clock_worst_ms: int = 0
    clock_bad: int = 0
    clock_delayed: int = 0
    actions: int = 0
    actions_missing: int = 0
    audit_mismatch: int = 0
    netns_note: str = ""
    server_peak_rss_mb: float = 0.0
    problems: list = field(default_factory=list)
    seconds: float = 0.0

    def ok(self) -> bool:
        return not self.problems

    def text(self) -> str:
        cut_kinds = ", ".join(f"{v} {k}" for k, v in sorted(self.cut_kinds.items())) or "none"
        lines = [
            f"fault harness: {self.students} students, {self.finished} finished, in {self.seconds:.0f} s",
            f"  server SIGKILLs: {self.kills}; link cuts: {self.cuts} ({cut_kinds}); student app killed: {self.app_kills};"
            f" second-computer login approved: {'yes' if self.second_device else 'no'}",
            f"  answers acknowledged: {self.answers_acked}; made: {self.answers_made}; stored: {self.answers_stored};"
            f" journaled by the killed app: {self.journal_answers}; newer than the last ack seen: {self.newer_unacked}",
            f"  answers lost: {self.answers_lost}",
            f"  clock: {self.clock_checks} remaining times checked ({self.clock_delayed} received through a faulty link),"
            f" worst {self.clock_worst_ms} ms off, {self.clock_bad} over 2 s",
            f"  proctor actions and incidents: {self.actions} made, {self.actions_missing} missing; "
            f"audit rows not matching answers: {self.audit_mismatch}",
            f"  server peak RSS: {self.server_peak_rss_mb:.0f} MB",
        ]
        if self.netns_note:
            lines.append(f"  namespaces: {self.netns_note}")
        for problem in self.problems[:30]:
            lines.append(f"  PROBLEM: {problem}")
        return "\n".join(lines)


class Harness(FaultScenarios, FinalChecks):
    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.rng = random.Random(cfg.seed)
        self.summary = Summary()
        self.work = Path(tempfile.mkdtemp(prefix="synaq-faults-")) if cfg.keep is None else cfg.keep
        self.data = self.work / "room"
        self.port = free_port()
        self.server = ServerProcess(self.data, self.port, self.work / "server.log", host="0.0.0.0")
        self.net: NetLab | None = None
        self.groups: list[dict] = []  # {proc, args, link, log, name}
        self.actions: list[dict] = []  # what the proctor did (checked against the DB)
        self.proctor = None
        self.key = ""
        self.logins: list[dict] = []
        self.extra_logs: list[Path] = []
        self.windows: dict[int, list[tuple[int, int]]] = {}  # group -> link fault spans (wall ms)

    # --- set-up -----------------------------------------------------------------------

    async def make_room(self) -> None:
        from room_server.demo import make_demo_room
        from room_server.newroom import read_proctor_key

        # Students for the groups, one for the second computer, one marked absent.
        await make_demo_room(self.data, students=self.cfg.students + 2, open_sitting=False)
        with open(self.data / "demo-logins.csv", encoding="utf-8") as f:
            self.logins = list(csv.DictReader(f))
        self.key = read_proctor_key(self.data)

    def group_cmd(self, index: int, skip: int, count: int, link: Link | None, journal: bool) -> list[str]:
        server = f"{link.server_ip}:{self.port}" if link else f"127.0.0.1:{self.port}"
        cmd = [PY, "-m", "tests.fault_harness", "group", "--server", server, "--logins", str(self.data / "demo-logins.csv"),
               "--skip", str(skip), "--count", str(count), "--think", str(self.cfg.think),
               "--log", str(self.work / f"group{index}.jsonl"), "--seed", str(self.cfg.seed * 100 + index)]
        if journal:
            cmd += ["--journal-dir", str(self.work / f"journals{index}")]
        if link:
            cmd = ["ip", "netns", "exec", link.ns] + cmd
        return cmd

    def start_group(self, group: dict) -> None:
        out = open(self.work / f"group{group['index']}.out", "ab")
        group["proc"] = subprocess.Popen(group["cmd"], cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        out.close()

    def plan_groups(self) -> None:
        cfg = self.cfg
        reason = netns_unavailable() if cfg.netns else "turned off (--no-netns)"
        if reason is None:
            self.net = NetLab()
            self.net.iptables = self.net.iptables and cfg.iptables
            notes = []
            if not self.net.iptables:
                notes.append("without iptables: half-open drops skipped")
            if not self.net.tc:
                notes.append("tc missing: bandwidth squeeze skipped")
            self.summary.netns_note = "; ".join(notes) or f"{cfg.groups + 1} namespaces joined by veth pairs"
        else:
            self.summary.netns_note = f"SKIPPED link faults ({reason}); students on loopback"
            log(f"namespaces skipped: {reason}")
        # Group 0 is the one student whose app is killed and restarted (with its journal).
        counts = [1] + [0] * cfg.groups
        for i in range(cfg.students - 1):
            counts[1 + i % cfg.groups] += 1
        skip = 0
        for index, count in enumerate(counts):
            if count == 0:
                continue
            link = self.net.add() if self.net else None
            self.groups.append({"index": index, "skip": skip, "count": count, "link": link,
                                "cmd": self.group_cmd(index, skip, count, link, journal=index == 0),
                                "log": self.work / f"group{index}.jsonl"})
            skip += count
        self.second_login = self.logins[cfg.students]
        self.absent_login = self.logins[cfg.students + 1]

    # --- the proctor --------------------------------------------------------------------

    async def connect_proctor(self) -> None:
        from room_client import ProctorClient
        self.proctor = ProctorClient(f"127.0.0.1:{self.port}", self.key, reconnect=True)
        for _ in range(100):
            try:
                await self.proctor.connect()
                return
            except Exception:
                await asyncio.sleep(0.2)
        raise RuntimeError("the proctor cannot connect")

    async def act(self, msg, record: dict | None = None, done_codes: tuple = ()) -> Any:
        """A proctor action that rides out server restarts; recorded for the final check."""
        from room_client import Offline, ServerError
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                reply = await self.proctor.request(msg)
                break
            except (Offline, asyncio.TimeoutError):
                await asyncio.sleep(0.3)
            except ServerError as exc:
                if exc.code in done_codes:  # done before a restart cut the reply off
                    reply = exc
                    break
                raise
        else:
            raise RuntimeError(f"the proctor could not do {msg.TYPE}")
        if record is not None:
            self.actions.append(record)
        return reply

    def student_id(self, login: str) -> int:
        return self.db_rows("SELECT id FROM students WHERE login = ?", (login,))[0]["id"]

    async def proctor_setup(self) -> None:
        import room_protocol as p
        absent = self.student_id(self.absent_login["login"])
        await self.act(p.Attendance(absent, False, "ill", "a note from the doctor"),
                       {"kind": "attendance", "student": absent, "present": False})
        for row in self.logins[:3]:
            sid = self.student_id(row["login"])
            await self.act(p.Attendance(sid, True), {"kind": "attendance", "student": sid, "present": True})
            await self.act(p.Slips(sid, handed=True), {"kind": "login_slip", "student": sid})
        await self.act(p.OpenSitting(), {"kind": "sitting_opened"}, done_codes=("wrong_state",))

    # --- helpers ------------------------------------------------------------------------

    def db_rows(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        con = sqlite3.connect(self.data / "room.sqlite", timeout=10)
        con.row_factory = sqlite3.Row
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()

    @staticmethod
    def read_lines(path: Path) -> list[dict]:
        if not path.exists():
            return []
        out = []
        for line in path.read_text(encoding="utf-8").splitlines():
            with contextlib.suppress(ValueError):
                out.append(json.loads(line))  # a line cut off by a SIGKILL is skipped
        return out

    def count_lines(self, path: Path, kind: str) -> int:
        return sum(1 for r in self.read_lines(path) if r.get("k") == kind)

    async def wait_for_lines(self, path: Path, kind: str, count: int, timeout: float) -> bool:
        return await self.wait_until(lambda: self.count_lines(path, kind) >= count, timeout)

    @staticmethod
    async def wait_until(condition, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return True
            await asyncio.sleep(0.2)
        return bool(condition())

    def groups_running(self) -> bool:
        return any(g.get("proc") is not None and g["proc"].poll() is None for g in self.groups)

    # --- the run ------------------------------------------------------------------------

    async def run(self) -> Summary:
        started = time.monotonic()
        self.summary.students = self.cfg.students + 1
        try:
            await self.make_room()
            self.plan_groups()
            await asyncio.to_thread(self.server.start)
            await self.connect_proctor()
            await self.proctor_setup()
            for group in self.groups:
                self.start_group(group)
            await self.faults()
            await self.final_checks()
        finally:
            await self.teardown()
            self.summary.seconds = time.monotonic() - started
        return self.summary

    async def teardown(self) -> None:
        for group in self.groups:
            proc = group.get("proc")
            if proc is not None and proc.poll() is None:
                with contextlib.suppress(Exception):
                    os.kill(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=10)
        if self.proctor is not None:
            with contextlib.suppress(Exception):
                await self.proctor.close()
        with contextlib.suppress(Exception):
            self.server.stop()
        if self.net is not None:
            self.net.cleanup()
        self.summary.server_peak_rss_mb = self.server.peak_rss_mb
        if self.cfg.keep is None and self.summary.ok():
            shutil.rmtree(self.work, ignore_errors=True)
        elif self.summary.problems:
            log(f"the run's files are kept in {self.work}")


def run_harness(cfg: Config) -> Summary:
    harness = Harness(cfg)
    summary = asyncio.run(harness.run())
    return summary


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["group"]:
        parser = argparse.ArgumentParser(prog="fault_harness group")
        parser.add_argument("--server", required=True)
        parser.add_argument("--logins", required=True)
        parser.add_argument("--skip", type=int, default=0)
        parser.add_argument("--count", type=int, required=True)
        parser.add_argument("--think", type=float, default=1.0)
        parser.add_argument("--log", required=True)
        parser.add_argument("--journal-dir")
        parser.add_argument("--seed", type=int, default=1)
        return asyncio.run(run_group(parser.parse_args(argv[1:])))
    parser = argparse.ArgumentParser(prog="python -m tests.fault_harness", description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--cuts", type=int, default=6)
    parser.add_argument("--groups", type=int, default=6)
    parser.add_argument("--think", type=float, default=4.0, help="seconds between a student's answers")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-netns", action="store_true", help="everything on loopback")
    parser.add_argument("--no-iptables", action="store_true", help="as on a machine without iptables")
    parser.add_argument("--long-outage", action="store_true", help="one restart after more than 10 s down")
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--keep", type=Path, help="keep the room and logs in this folder")
    args = parser.parse_args(argv)
    cfg = Config(students=args.students, kills=args.kills, cuts=args.cuts, groups=args.groups, think=args.think,
                 netns=not args.no_netns, iptables=not args.no_iptables, seed=args.seed, long_outage=args.long_outage, timeout_s=args.timeout,
                 keep=args.keep)
    summary = run_harness(cfg)
    print(summary.text(), flush=True)
    return 0 if summary.ok() else 1


if __name__ == "__main__":
    sys.exit(main())
