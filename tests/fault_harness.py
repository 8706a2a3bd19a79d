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
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgpack

REPO = Path(__file__).resolve().parent.parent
PY = sys.executable
CLOCK_TOLERANCE_MS = 2_000
# After a link fault ends, messages the link held back still arrive for a while (TCP backs
# off its retransmissions while tbf drops); a clock
# message received then is judged only for not cutting the student's time.
LINK_SETTLE_MS = 30_000  # TCP retransmission backoff after tbf drops: seen 10 s late
EXTRA_COMMIT_MS = 1_000


def wall_ms() -> int:
    return int(time.time() * 1000)


def log(msg: str) -> None:
    print(f"[harness {time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ---------------------------------------------------------------------------------------
# The network: student namespaces joined to the server's namespace by veth pairs


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check, timeout=20)


def netns_unavailable() -> str | None:
    """Why namespaces cannot be used here, or None when they can."""
    if os.name != "posix" or os.geteuid() != 0:
        return "network namespaces need root"
    if shutil.which("ip") is None:
        return "the `ip` command (iproute2) is missing"
    probe = f"sqprobe{os.getpid() % 100000}"
    try:
        _ip("netns", "add", probe)
    except (subprocess.SubprocessError, OSError) as exc:
        return f"`ip netns add` failed: {getattr(exc, 'stderr', '') or exc}".strip()
    _ip("netns", "del", probe, check=False)
    return None


@dataclass
class Link:
    index: int
    ns: str
    host_if: str  # the server's end
    ns_if: str  # the student's end
    server_ip: str
    student_ip: str
    dropping: bool = False
    squeezed: bool = False
    down: bool = False


class NetLab:
    """Namespaces, veth pairs, iptables rules and tc qdiscs made by this run; all removed
    by `cleanup()` (deleting a namespace removes its end of the pair, its rules and
    qdiscs, and the pair itself)."""

    def __init__(self) -> None:
        self.tag = os.getpid() % 10000
        self.octet = 100 + self.tag % 100  # addresses 169.254.<octet>.x: link-local, on these links only
        self.links: list[Link] = []
        self.iptables = shutil.which("iptables") is not None
        self.tc = shutil.which("tc") is not None

    def add(self) -> Link:
        index = len(self.links)
        if index >= 60:
            raise RuntimeError("at most 60 namespaces")
        link = Link(index, f"sqf{self.tag}n{index}", f"sqf{self.tag}h{index}", f"sqf{self.tag}s{index}",
                    f"169.254.{self.octet}.{4 * index + 1}", f"169.254.{self.octet}.{4 * index + 2}")
        self.links.append(link)  # listed first, so cleanup removes even a half-made one
        _ip("netns", "add", link.ns)
        _ip("link", "add", link.host_if, "type", "veth", "peer", "name", link.ns_if, "netns", link.ns)
        _ip("addr", "add", f"{link.server_ip}/30", "dev", link.host_if)
        _ip("link", "set", link.host_if, "up")
        _ip("-n", link.ns, "addr", "add", f"{link.student_ip}/30", "dev", link.ns_if)
        _ip("-n", link.ns, "link", "set", link.ns_if, "up")
        _ip("-n", link.ns, "link", "set", "lo", "up")
        return link

    def set_down(self, link: Link, down: bool) -> None:
        _ip("-n", link.ns, "link", "set", link.ns_if, "down" if down else "up")
        link.down = down

    def set_drop(self, link: Link, drop: bool) -> None:
        """Silently drop everything between the student and the server, inside the
        student's namespace: no RST, no error; the server sees a half-open connection."""
        action = "-A" if drop else "-D"
        for chain, flag in (("INPUT", "-s"), ("OUTPUT", "-d")):
            subprocess.run(["ip", "netns", "exec", link.ns, "iptables", action, chain, flag, link.server_ip, "-j", "DROP"],
                           capture_output=True, text=True, check=drop, timeout=20)
        link.dropping = drop

    def set_squeeze(self, link: Link, squeeze: bool) -> None:
        if squeeze:
            _ip("netns", "exec", link.ns, "tc", "qdisc", "add", "dev", link.ns_if, "root", "tbf",
                "rate", "64kbit", "burst", "4kb", "latency", "400ms")
            subprocess.run(["tc", "qdisc", "add", "dev", link.host_if, "root", "tbf", "rate", "64kbit", "burst", "4kb",
                            "latency", "400ms"], capture_output=True, check=True, timeout=20)
        else:
            _ip("netns", "exec", link.ns, "tc", "qdisc", "del", "dev", link.ns_if, "root", check=False)
            subprocess.run(["tc", "qdisc", "del", "dev", link.host_if, "root"], capture_output=True, timeout=20)
        link.squeezed = squeeze

    def cleanup(self) -> None:
        for link in self.links:
            with contextlib.suppress(Exception):
                _ip("netns", "del", link.ns, check=False)
            with contextlib.suppress(Exception):
                _ip("link", "del", link.host_if, check=False)
        self.links.clear()


# ---------------------------------------------------------------------------------------
# The server process


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """`room-server serve` as a subprocess: started, SIGKILLed, started again on the same
    port and data folder."""

    def __init__(self, data: Path, port: int, log_path: Path, host: str = "127.0.0.1"):
        self.data, self.port, self.log_path, self.host = data, port, log_path, host
        self.proc: subprocess.Popen | None = None
        self.kills = 0
        self.peak_rss_mb = 0.0

    def start(self, timeout: float = 30.0) -> None:
        logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [PY, "-m", "room_server.cli", "serve", "--data", str(self.data), "--host", self.host,
             "--port", str(self.port), "--no-zeroconf"],
            cwd=REPO, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        logf.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}; see {self.log_path}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return
            time.sleep(0.05)
        raise RuntimeError(f"the server did not listen within {timeout} s")

    def sample_rss(self) -> float:
        try:
            import psutil
            rss = psutil.Process(self.proc.pid).memory_info().rss / 2**20
        except Exception:
            return 0.0
        self.peak_rss_mb = max(self.peak_rss_mb, rss)
        return rss

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.sample_rss()
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
            self.kills += 1

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


# ---------------------------------------------------------------------------------------
# A group of simulated students (runs in its own process, maybe in a namespace)


async def run_group(args: argparse.Namespace) -> int:
    from room_client import Acked, ServerError
    from room_client.journal import Journal
    import room_protocol as p
    from room_tools.sim import SimStudent, random_value, read_logins

    logins = read_logins(args.logins)[args.skip:args.skip + args.count]
    out = open(args.log, "a", encoding="utf-8", buffering=1)

    def write(**record: Any) -> None:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")

    class HarnessStudent(SimStudent):
        """A SimStudent whose every acknowledgement, clock and answer is written down as it
        happens, who sometimes changes an earlier answer, and (optionally) keeps a journal."""

        def __init__(self, login: str, password: str, rng: random.Random):
            super().__init__(args.server, login, password, think=args.think, rng=rng, take_break=True)
            if args.journal_dir:
                self.client.journal = Journal(Path(args.journal_dir) / f"journal-{login}.bin")
            client = self.client
            emit, answer = client._emit, client.answer

            def logged_emit(event: Any) -> None:
                if isinstance(event, Acked):
                    write(k="ack", login=login, seq=event.seq, item=event.item, value=event.value, counted=event.counted)
                elif isinstance(event, p.Clock):
                    write(k="clock", login=login, t=wall_ms(), remaining_ms=event.remaining_ms,
                          elapsed_ms=event.elapsed_ms, state=event.state, paused=event.paused)
                elif isinstance(event, ServerError):
                    write(k="refused", login=login, code=event.code, reason=event.reason)
                emit(event)

            def logged_answer(item: str, value: Any):
                state = answer(item, value)
                write(k="made", login=login, seq=state.seq, item=item, value=value, made_ms=state.made_ms)
                self._change_mind(item)
                return state

            client._emit = logged_emit
            client.answer = logged_answer
            self._answer = answer

        def _change_mind(self, item_id: str) -> None:
            """Now and then answer an earlier item of the same subject again: the latest wins."""
            test = self.client.test
            if test is None or self.rng.random() > 0.2:
                return
            for subject in test.subjects:
                ids = [item.id for item in subject.items]
                if item_id in ids:
                    earlier = [item for item in subject.items[:ids.index(item_id)]]
                    if earlier:
                        item = self.rng.choice(earlier)
                        value = random_value(item, self.rng)
                        state = self._answer(item.id, value)
                        write(k="made", login=self.login, seq=state.seq, item=item.id, value=value,
                              made_ms=state.made_ms)
                    return

    rng = random.Random(args.seed)
    students = [HarnessStudent(login, password, random.Random(rng.random())) for login, password in logins]

    async def one(student: HarnessStudent) -> None:
        await asyncio.sleep(rng.uniform(0, min(2.0, args.think)))  # not all at the same instant
        report = await student.run()
        write(k="done", login=student.login, finished=report.finished, error=report.error)

    await asyncio.gather(*(one(s) for s in students))
    out.close()
    return 0


# ---------------------------------------------------------------------------------------
# The harness


@dataclass
class Config:
    students: int = 40
    kills: int = 3
    cuts: int = 3  # link faults: down/up, half-open drop, bandwidth squeeze (in turn)
    groups: int = 4
    think: float = 1.5
    netns: bool = True
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


class Harness:
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
            notes = []
            if not self.net.iptables:
                notes.append("iptables missing: half-open drops skipped")
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

    # --- faults -------------------------------------------------------------------------

    async def kill_server(self, down_s: float) -> None:
        log(f"SIGKILL the server (down {down_s:.1f} s)")
        self.server.kill()
        await asyncio.sleep(down_s)
        await asyncio.to_thread(self.server.start)

    async def cut_link(self, kind: str) -> None:
        candidates = [g for g in self.groups[1:] if g["link"] and g["proc"].poll() is None]
        if not candidates or self.net is None:
            return
        group = self.rng.choice(candidates)
        link = group["link"]
        if kind == "drop" and not self.net.iptables:
            kind = "down"
        if kind == "squeeze" and not self.net.tc:
            kind = "down"
        hold = {"down": self.rng.uniform(3, 8), "drop": self.rng.uniform(18, 25), "squeeze": self.rng.uniform(10, 18)}[kind]
        log(f"link fault {kind} on group {group['index']} for {hold:.0f} s")
        setter = {"down": self.net.set_down, "drop": self.net.set_drop, "squeeze": self.net.set_squeeze}[kind]
        setter(link, True)
        begin = wall_ms()
        try:
            await asyncio.sleep(hold)
        finally:
            setter(link, False)
            self.windows.setdefault(group["index"], []).append((begin, wall_ms() + LINK_SETTLE_MS))
        self.summary.cuts += 1
        self.summary.cut_kinds[kind] = self.summary.cut_kinds.get(kind, 0) + 1

    async def kill_student_app(self) -> None:
        """The one journaling student: offline (when it can be), answers a few, its process
        killed; then the link back and the app started again: it resends from its journal."""
        group = self.groups[0]
        acked = await self.wait_for_lines(group["log"], "ack", 3, timeout=120)
        if not acked:
            log("the journaling student never got 3 acks; killing it anyway")
        link = group["link"]
        if link and self.net and self.net.iptables:
            self.net.set_drop(link, True)
        begin = wall_ms()
        try:
            made_before = self.count_lines(group["log"], "made")
            await self.wait_until(lambda: self.count_lines(group["log"], "made") >= made_before + 2, 30)
            log("SIGKILL the journaling student's app while it is offline")
            os.kill(group["proc"].pid, signal.SIGKILL)
            group["proc"].wait(timeout=10)
        finally:
            if link and self.net and self.net.iptables:
                self.net.set_drop(link, False)
            self.windows.setdefault(0, []).append((begin, wall_ms() + LINK_SETTLE_MS))
        await asyncio.sleep(1)
        self.start_group(group)
        self.summary.app_kills += 1

    async def second_device(self) -> None:
        """A student answers on one computer, then logs in on another; the proctor approves;
        the student finishes there. Runs in this process, on loopback."""
        from room_client import Acked, Offline, StudentClient, ServerError
        import room_protocol as p
        from room_tools.sim import random_value, solve

        row = self.second_login
        sid = self.student_id(row["login"])
        out = open(self.work / "second.jsonl", "a", encoding="utf-8", buffering=1)
        self.extra_logs.append(self.work / "second.jsonl")

        def note(event: Any) -> None:
            if isinstance(event, Acked):
                out.write(json.dumps({"k": "ack", "login": row["login"], "seq": event.seq, "item": event.item,
                                      "value": event.value, "counted": event.counted}, ensure_ascii=False) + "\n")

        async def retry(call, *args):
            for _ in range(200):
                try:
                    return await call(*args)
                except (Offline, asyncio.TimeoutError):
                    await asyncio.sleep(0.3)
            raise RuntimeError("second computer: the server stayed unreachable")

        async def settle(client: StudentClient) -> None:
            deadline = time.monotonic() + 120
            while client.waiting_count() and time.monotonic() < deadline:
                if client.online:
                    await client.flush_answers()
                await asyncio.sleep(0.1)
            while not client.events.empty():
                note(client.events.get_nowait())

        first = StudentClient(f"127.0.0.1:{self.port}", client_name="harness-first")
        second = StudentClient(f"127.0.0.1:{self.port}", client_name="harness-second")
        rng = random.Random(self.cfg.seed + 7)
        try:
            await retry(first.connect)
            await retry(first.login, row["login"], row["password"], "first-computer")
            if first.login_ok.attempt.state == "confirming":
                await retry(first.confirm_data)
            test = await retry(first.start)
            items = [item for subject in test.subjects[:1] for item in subject.items]
            for item in items[:5]:
                first.answer(item.id, random_value(item, rng))
                await asyncio.sleep(0.2)
            await settle(first)
            # The first computer "breaks"; the student moves to another one.
            await retry(second.connect)
            try:
                await second.login(row["login"], row["password"], "second-computer")
                raise RuntimeError("a second computer logged in without the proctor's approval")
            except ServerError as exc:
                if exc.code != p.ErrorCode.AWAITING_APPROVAL:
                    raise
            approved = False
            deadline = time.monotonic() + 120
            while not approved and time.monotonic() < deadline:
                try:
                    await self.act(p.ApproveLogin(sid, True), {"kind": "second_login_approved", "student": sid})
                except ServerError as exc:
                    if exc.code != p.ErrorCode.NOT_FOUND:  # the waiting login was lost in a restart: it logs in again
                        raise
                    await asyncio.sleep(0.5)
                    continue
                approved = await self.wait_until(lambda: second.login_ok is not None, 10)
            if not approved:
                raise RuntimeError("the second computer was never approved")
            self.summary.second_device = True
            test = await retry(second.start)
            for item in [i for s in test.subjects[:1] for i in s.items][5:10]:
                second.answer(item.id, random_value(item, rng))
                await asyncio.sleep(0.2)
            await settle(second)
            while not first.events.empty():
                note(first.events.get_nowait())
            for _ in range(5):
                try:
                    check = await retry(second.finish_request)
                    await retry(second.finish, solve(check.question))
                    break
                except ServerError as exc:
                    if exc.code != p.ErrorCode.BAD_CHECK:
                        break
        finally:
            while not first.events.empty():
                note(first.events.get_nowait())
            while not second.events.empty():
                note(second.events.get_nowait())
            out.close()
            await first.close()
            await second.close()

    async def room_actions(self) -> None:
        """Pause and resume the room, extra time for a student, incidents."""
        import room_protocol as p
        token = f"h{self.rng.randrange(10**6)}"
        await self.act(p.Pause("network", f"pause {token}"), {"kind": "paused", "note": f"pause {token}"},
                       done_codes=("wrong_state",))
        await asyncio.sleep(self.rng.uniform(2, 4))
        await self.act(p.Resume(), {"kind": "resumed"}, done_codes=("wrong_state",))
        sid = self.student_id(self.logins[1 + self.rng.randrange(self.cfg.students - 1)]["login"])
        try:
            await self.act(p.ExtraTime(sid, 5, f"extra {token}"), {"kind": "extra_time", "student": sid, "reason": f"extra {token}"})
        except Exception as exc:  # the student may have finished already
            log(f"extra time not given: {exc}")
        await self.act(p.Incident("other", None, {"description": f"incident {token}"}),
                       {"kind": "incident", "description": f"incident {token}"})

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

    async def faults(self) -> None:
        cfg = self.cfg
        # How long the students take without faults: 30 items a student, a bit more for
        # changed answers and subject changes; faults are spread over that.
        expected = 36 * cfg.think + 10
        plan: list[tuple[float, str]] = []
        for i in range(cfg.kills):
            plan.append(((i + 0.5 + self.rng.uniform(-0.3, 0.3)) * expected / cfg.kills, "kill"))
        kinds = ["down", "drop", "squeeze"]
        for i in range(cfg.cuts if self.net else 0):
            plan.append(((i + 0.3 + self.rng.uniform(0, 0.4)) * expected / max(cfg.cuts, 1), kinds[i % 3]))
        plan.append((expected * 0.3, "app_kill"))
        plan.append((expected * 0.45, "actions"))
        plan.append((expected * 0.2, "second_device"))
        plan.sort()
        t0 = time.monotonic()
        side: list[asyncio.Task] = []
        long_outage_done = not cfg.long_outage
        deadline = t0 + cfg.timeout_s
        for at, kind in plan:
            while time.monotonic() - t0 < at and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
                self.server.sample_rss()
            if kind == "kill":
                down = self.rng.uniform(0.3, 3.0)
                if not long_outage_done and self.server.kills >= cfg.kills // 2:
                    down, long_outage_done = 12.0, True  # over 10 s: the room is paused for the outage
                await self.kill_server(down)
            elif kind in ("down", "drop", "squeeze"):
                side.append(asyncio.create_task(self.cut_link(kind)))
            elif kind == "app_kill":
                side.append(asyncio.create_task(self.kill_student_app()))
            elif kind == "actions":
                side.append(asyncio.create_task(self.room_actions()))
            elif kind == "second_device":
                side.append(asyncio.create_task(self.second_device()))
        for task in side:
            try:
                await asyncio.wait_for(task, timeout=max(10, deadline - time.monotonic()))
            except Exception as exc:
                self.summary.problems.append(f"a fault scenario failed: {type(exc).__name__}: {exc}")
        while self.groups_running() and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            self.server.sample_rss()
        if self.groups_running():
            self.summary.problems.append(f"students still running after {cfg.timeout_s:.0f} s")
        self.summary.kills = self.server.kills

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

    # --- the checks -----------------------------------------------------------------------

    async def final_checks(self) -> None:
        import room_protocol as p
        # The server's own view at the end, before it stops.
        room = await self.proctor.request(p.Watch())
        snapshot_ms = wall_ms()
        seats = {seat.login: seat for seat in room.seats}
        await self.proctor.close()
        self.proctor = None
        self.server.sample_rss()
        self.server.stop()  # what is on disk now is what the checks read

        s = self.summary
        records: list[dict] = []
        for group in self.groups:
            records.extend(self.read_lines(group["log"]))
        for path in self.extra_logs:
            records.extend(self.read_lines(path))
        ids = {r["login"]: r["id"] for r in self.db_rows("SELECT id, login FROM students")}
        done = [r for r in records if r["k"] == "done"]
        finished = {r["login"] for r in done if r["finished"]}
        s.finished = len(finished) + (1 if s.second_device else 0)
        for r in done:
            if not r["finished"] and r["login"] not in finished:
                s.problems.append(f"{r['login']} did not finish: {r['error']}")

        stored: dict[tuple[int, int], tuple[str, Any, int]] = {}
        for row in self.db_rows("SELECT student_id, seq, item, value, counted FROM answers"):
            stored[(row["student_id"], row["seq"])] = (row["item"], msgpack.unpackb(row["value"], raw=False), row["counted"])
        s.answers_stored = len(stored)
        latest_db: dict[tuple[int, str], int] = {}
        for (sid, seq), (item, _, counted) in stored.items():
            if counted and seq > latest_db.get((sid, item), 0):
                latest_db[(sid, item)] = seq

        lost = 0
        acked = {(r["login"], r["seq"]): r for r in records if r["k"] == "ack" and r["counted"]}
        s.answers_acked = len(acked)
        highest: dict[tuple[int, str], int] = {}
        for (login, seq), r in acked.items():
            sid = ids[login]
            row = stored.get((sid, seq))
            if row is None or row[0] != r["item"] or row[1] != r["value"] or not row[2]:
                lost += 1
                s.problems.append(f"acknowledged answer {login} #{seq} {r['item']}={r['value']!r} is stored as {row!r}")
            highest[(sid, r["item"])] = max(seq, highest.get((sid, r["item"]), 0))
        for key, seq in highest.items():
            db_seq = latest_db.get(key, 0)
            if db_seq < seq:
                lost += 1
                s.problems.append(f"student {key[0]} item {key[1]}: latest acknowledged #{seq}, stored latest #{db_seq}")
            elif db_seq > seq:
                s.newer_unacked += 1  # a newer answer was saved whose ack no client logged
        made = [r for r in records if r["k"] == "made"]
        s.answers_made = len(made)
        journal_logins = {row["login"] for row in self.logins[self.groups[0]["skip"]:self.groups[0]["skip"] + 1]}
        for r in made:
            if r["login"] in journal_logins:
                s.journal_answers += 1
                row = stored.get((ids[r["login"]], r["seq"]))
                if row is None or row[0] != r["item"] or row[1] != r["value"]:
                    lost += 1
                    s.problems.append(f"journaled answer {r['login']} #{r['seq']} {r['item']} is stored as {row!r}")
        s.answers_lost = lost

        # The audit log agrees with the answers: one `answer` row per stored answer.
        audit = {}
        for row in self.db_rows("SELECT student_id, data FROM audit WHERE kind = 'answer'"):
            data = json.loads(row["data"])
            key = (row["student_id"], data["seq"])
            audit[key] = audit.get(key, 0) + 1
            if key not in stored or stored[key][0] != data["item"] or bool(stored[key][2]) != bool(data["counted"]):
                s.audit_mismatch += 1
        s.audit_mismatch += sum(1 for key in stored if audit.get(key) != 1)
        if s.audit_mismatch:
            s.problems.append(f"{s.audit_mismatch} answers and audit rows do not match")

        self.check_clocks(records, seats, snapshot_ms, ids)
        self.check_actions()

    def check_clocks(self, records: list[dict], seats: dict, snapshot_ms: int, ids: dict) -> None:
        from content.loader import load_pack
        from room_server.sitting import Pause, paused_overlap_ms

        s = self.summary
        limits = {}
        for row in self.db_rows("SELECT language, folder FROM packs"):
            pack, _ = load_pack(self.data / row["folder"])
            limits[row["language"]] = pack.timing.total_minutes * 60_000
        language = {r["id"]: r["language"] for r in self.db_rows("SELECT id, language FROM students")}
        started = {r["student_id"]: r["started_ms"] for r in self.db_rows("SELECT student_id, started_ms FROM attempts")}
        pauses = [Pause(r["start_ms"], r["end_ms"]) for r in self.db_rows("SELECT start_ms, end_ms FROM pauses")]
        extras: dict[int, list[tuple[int, int]]] = {}
        for r in self.db_rows("SELECT student_id, minutes, at_ms FROM extra_time"):
            extras.setdefault(r["student_id"], []).append((r["at_ms"], r["minutes"] * 60_000))

        def expected(sid: int, at: int, commit_ms: int = 0) -> int:
            start = started[sid]
            limit = limits[language[sid]] + sum(ms for t, ms in extras.get(sid, []) if t + commit_ms <= at)
            elapsed = max(0, at - start - paused_overlap_ms(pauses, start, at))
            return max(0, limit - elapsed)

        def check(sid: int, at: int, told: int, what: str, delayed: bool = False) -> None:
            if started.get(sid) is None:
                return
            # Extra time applies once committed, a moment after the time it records: within
            # EXTRA_COMMIT_MS of it a clock with or without it is right.
            off = min((told - expected(sid, at, c) for c in (0, EXTRA_COMMIT_MS)), key=abs)
            if delayed:  # received late through a faulty link: it may only be older, never shorter
                s.clock_delayed += 1
                off = min(off, 0)
            s.clock_checks += 1
            s.clock_worst_ms = max(s.clock_worst_ms, abs(off))
            if abs(off) > CLOCK_TOLERANCE_MS:
                s.clock_bad += 1
                if s.clock_bad <= 10:
                    s.problems.append(f"student {sid}: {what} remaining {told} ms, the records give {told - off} ms")

        group_of = {}
        for group in self.groups:
            for row in self.logins[group["skip"]:group["skip"] + group["count"]]:
                group_of[row["login"]] = group["index"]
        for r in records:
            if r["k"] == "clock" and r["state"] in ("testing", "on_break") and not r["paused"]:
                spans = self.windows.get(group_of.get(r["login"], -1), [])
                delayed = any(a <= r["t"] <= b for a, b in spans)
                check(ids[r["login"]], r["t"], r["remaining_ms"], "a client was told", delayed)
        for login, seat in seats.items():
            sid = ids[login]
            if seat.state in ("testing", "on_break") or started.get(sid):
                check(sid, snapshot_ms, seat.remaining_ms, "the server's final view says")

    def check_actions(self) -> None:
        s = self.summary
        audit = self.db_rows("SELECT kind, student_id, data FROM audit WHERE actor = 'proctor'")
        kinds: dict[tuple[str, int | None], int] = {}
        for row in audit:
            kinds[(row["kind"], row["student_id"])] = kinds.get((row["kind"], row["student_id"]), 0) + 1
        needed: dict[tuple[str, int | None], int] = {}
        for action in self.actions:
            key = (action["kind"], action.get("student"))
            needed[key] = needed.get(key, 0) + 1
        for key, count in needed.items():
            if kinds.get(key, 0) < count:
                s.actions_missing += count - kinds.get(key, 0)
                s.problems.append(f"proctor action {key[0]} (student {key[1]}) recorded {kinds.get(key, 0)} times, made {count}")
        notes = {r["note"] for r in self.db_rows("SELECT note FROM pauses")}
        incidents = [json.loads(r["fields"]).get("description") for r in self.db_rows("SELECT fields FROM incidents")]
        extra = {(r["student_id"], r["reason"]) for r in self.db_rows("SELECT student_id, reason FROM extra_time")}
        for action in self.actions:
            if action["kind"] == "paused" and action["note"] not in notes:
                s.actions_missing += 1
                s.problems.append(f"the pause {action['note']!r} is not in the pauses table")
            if action["kind"] == "incident" and action["description"] not in incidents:
                s.actions_missing += 1
                s.problems.append(f"the incident {action['description']!r} is not in the incidents table")
            if action["kind"] == "extra_time" and (action["student"], action["reason"]) not in extra:
                s.actions_missing += 1
                s.problems.append(f"the extra time {action['reason']!r} is not in the extra_time table")
        s.actions = len(self.actions)


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
    parser.add_argument("--long-outage", action="store_true", help="one restart after more than 10 s down")
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--keep", type=Path, help="keep the room and logs in this folder")
    args = parser.parse_args(argv)
    cfg = Config(students=args.students, kills=args.kills, cuts=args.cuts, groups=args.groups, think=args.think,
                 netns=not args.no_netns, seed=args.seed, long_outage=args.long_outage, timeout_s=args.timeout,
                 keep=args.keep)
    summary = run_harness(cfg)
    print(summary.text(), flush=True)
    return 0 if summary.ok() else 1


if __name__ == "__main__":
    sys.exit(main())
