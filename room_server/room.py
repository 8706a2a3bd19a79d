"""The room: every rule of the sitting applied to the room's state, written through to disk.

`RoomService` owns the in-memory picture of the room (loaded from SQLite at start) and
changes it only after the change is committed, each change with its audit entry in the same
transaction. Connections (app.py) call its methods; it pushes to students and proctors
through the small `Peer` interface, so it never touches a socket itself.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from content.loader import load_pack, shipped_questionnaire
from content.model import Questionnaire, TestPack
from content.scoring import is_answered, score_attempt

from . import protocol as p
from .protocol import ErrorCode, ProtocolError
from .newroom import read_proctor_key, verify_password
from .sitting import (AFTER_TEST, ALLOWED, IN_TEST, Clock, LoginThrottle, Pause, State, arithmetic_check,
                      break_offered, break_slot, check_answer_ok, late_answer_counts, minutes_ms)
from .storage import AnswerRecord, Storage, now_ms

log = logging.getLogger("synaq.room")

OFFLINE_ALERT_MS = 60_000
FIVE_MINUTES_MS = 5 * 60_000
OUTAGE_PAUSE_AFTER_MS = 10_000  # a server down longer than this pauses the room for that time
PAUSE_REASONS = ("power", "network", "other", "server_outage")
INCIDENT_KINDS = ("annex1", "annex2", "other")
MAX_SHORT_ANSWER = 200
MAX_MADE_MS = 7 * 24 * 3_600_000  # attempt time of an answer: far above any test, far below SQLite's 64 bits


class Peer(Protocol):
    """A live connection as the room sees it."""

    address: str

    def send(self, msg: p.Message, re: int | None = None) -> None: ...
    def close_soon(self, code: str, reason: str) -> None: ...


@dataclass
class Student:
    id: int
    iin: str
    surname: str
    name: str
    patronymic: str
    grade: int
    class_name: str
    language: str
    seat: int
    variant: str
    login: str
    ikt: str
    password_hash: str

    def full_name(self) -> str:
        return " ".join(x for x in (self.surname, self.name, self.patronymic) if x)


@dataclass
class Attempt:
    student_id: int
    state: str = State.NOT_LOGGED_IN
    device: str | None = None
    data_mistake: str | None = None
    started_ms: int | None = None
    extra_ms: int = 0
    subject_index: int = 0
    closed_subjects: list = field(default_factory=list)
    current_item: str | None = None
    break_slots: list = field(default_factory=list)
    break_started_ms: int | None = None
    finished_ms: int | None = None
    finish_reason: str | None = None
    annulled: bool = False
    journal_key: bytes | None = None
    questionnaire_started_ms: int | None = None
    questionnaire_done: bool = False
    last_seen_ms: int | None = None
    offline_at_deadline: bool = False
    # in memory only
    latest: dict = field(default_factory=dict)  # item -> (seq, value) of the latest answer
    next_seq: int = 1
    check: str | None = None  # the expected answer of the finish example
    offline_since_ms: int | None = None
    position_dirty: bool = False


@dataclass
class AttendanceRow:
    present: bool | None = None
    reason: str = ""
    document: str = ""
    slip_handed: bool = False
    slip_collected: bool = False


class RoomService:
    def __init__(self, storage: Storage, data_dir: Path):
        self.storage = storage
        self.data_dir = Path(data_dir)
        self.meta: dict[str, str] = {}
        self.packs: dict[str, TestPack] = {}
        self.questionnaires: dict[str, Questionnaire] = {}
        self.students: dict[int, Student] = {}
        self.by_login: dict[str, Student] = {}
        self.attempts: dict[int, Attempt] = {}
        self.attendance: dict[int, AttendanceRow] = {}
        self.pauses: list[Pause] = []
        self.pause_reason: str | None = None
        self.room_break = False
        self.throttle = LoginThrottle()
        self.online: dict[int, Peer] = {}  # student -> its live connection
        self.peer_student: dict[int, int] = {}  # id(peer) -> student id
        self.pending: dict[int, tuple[Peer, str, int | None]] = {}  # student -> (peer, device, request id)
        self.proctors: set = set()
        self.pseudonyms: set[str] = set()
        self.address = ""
        self._dirty_seats: set[int] = set()
        self._rng = random.Random()
        self._tasks: list[asyncio.Task] = []

    # ------------------------------------------------------------------ loading

    async def load(self) -> None:
        self.meta = await self.storage.meta()
        for row in await self.storage.fetchall("SELECT language, folder FROM packs"):
            pack, problems = load_pack(self.data_dir / row["folder"])
            if pack is None:
                raise RuntimeError(f"the room's copy of the {row['language']} pack is damaged: {problems[0] if problems else ''}")
            self.packs[row["language"]] = pack
            self.questionnaires[row["language"]] = shipped_questionnaire(row["language"])
        for row in await self.storage.fetchall("SELECT * FROM students ORDER BY seat"):
            s = Student(row["id"], row["iin"], row["surname"], row["name"], row["patronymic"], row["grade"],
                        row["class"], row["language"], row["seat"], row["variant"], row["login"], row["ikt"],
                        row["password_hash"])
            self.students[s.id] = s
            self.by_login[s.login] = s
        for row in await self.storage.fetchall("SELECT * FROM attempts"):
            a = Attempt(row["student_id"], row["state"], row["device"], row["data_mistake"], row["started_ms"],
                        row["extra_ms"], row["subject_index"], json.loads(row["closed_subjects"]), row["current_item"],
                        json.loads(row["break_slots"]), row["break_started_ms"], row["finished_ms"],
                        row["finish_reason"], bool(row["annulled"]), row["journal_key"],
                        row["questionnaire_started_ms"], bool(row["questionnaire_done"]), row["last_seen_ms"],
                        bool(row["offline_at_deadline"]))
            a.offline_since_ms = row["last_seen_ms"]
            self.attempts[a.student_id] = a
        for row in await self.storage.fetchall(
                "SELECT a.student_id, a.item, a.seq, a.value FROM answers a JOIN ("
                " SELECT student_id, item, MAX(seq) AS seq FROM answers WHERE counted = 1 GROUP BY student_id, item) m"
                " ON a.student_id = m.student_id AND a.item = m.item AND a.seq = m.seq"):
            from .storage import unpack_value
            self.attempts[row["student_id"]].latest[row["item"]] = (row["seq"], unpack_value(row["value"]))
        for row in await self.storage.fetchall("SELECT student_id, MAX(seq) AS seq FROM answers GROUP BY student_id"):
            self.attempts[row["student_id"]].next_seq = row["seq"] + 1
        for row in await self.storage.fetchall("SELECT * FROM attendance"):
            self.attendance[row["student_id"]] = AttendanceRow(
                None if row["present"] is None else bool(row["present"]), row["reason"], row["document"],
                bool(row["slip_handed"]), bool(row["slip_collected"]))
        for row in await self.storage.fetchall("SELECT * FROM pauses ORDER BY id"):
            self.pauses.append(Pause(row["start_ms"], row["end_ms"]))
            if row["end_ms"] is None:
                self.pause_reason = row["reason"]
        for row in await self.storage.fetchall("SELECT pseudonym FROM questionnaire_pseudonyms"):
            self.pseudonyms.add(row["pseudonym"])
        self.room_break = self.meta.get("room_break") == "1"
        await self._pause_for_outage()

    async def _pause_for_outage(self) -> None:
        """The laptop lost power or the server was killed while the sitting ran: the time it
        was down is recorded as a room pause, so no student loses it."""
        alive = int(self.meta.get("alive_ms", "0") or 0)
        # The last audit entry also proves the server was alive then (answers commit many
        # times a second): without it the pause would start up to a tick before the crash,
        # and remaining times told to students in that tick would change afterwards.
        row = await self.storage.fetchone("SELECT MAX(at_ms) AS at FROM audit")
        if alive and row is not None and row["at"] is not None:
            alive = max(alive, row["at"])
        now = now_ms()
        if self.sitting_state != "open" or not alive or now - alive < OUTAGE_PAUSE_AFTER_MS:
            return
        if any(pause.end_ms is None for pause in self.pauses):
            return  # already paused by the proctor
        async with self.storage.transaction() as db:
            await db.execute("INSERT INTO pauses (start_ms, end_ms, reason, note) VALUES (?, ?, 'server_outage', '')",
                             (alive, now))
            await self.storage.audit(db, now, "server", None, "server_outage", {"from_ms": alive, "to_ms": now})
        self.pauses.append(Pause(alive, now))

    def start_background(self) -> None:
        self.storage.start_writer()
        self._tasks.append(asyncio.create_task(self._ticker(), name="room-ticker"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass
        self._tasks.clear()
        await self._flush_positions()

    # ------------------------------------------------------------------ helpers

    @property
    def sitting_state(self) -> str:
        return self.meta.get("sitting_state", "not_open")

    @property
    def paused(self) -> bool:
        return any(pause.end_ms is None for pause in self.pauses)

    def pack_of(self, student: Student) -> TestPack:
        return self.packs[student.language]

    def clock_of(self, student_id: int) -> Clock:
        a = self.attempts[student_id]
        pack = self.pack_of(self.students[student_id])
        return Clock(pack.timing, a.started_ms, a.extra_ms, self.pauses)

    def _answered_count(self, a: Attempt, student: Student) -> int:
        variant = self.pack_of(student).variant(student.variant)
        count = 0
        for item in variant.items():
            latest = a.latest.get(item.id)
            if latest is not None and is_answered(item, latest[1]):
                count += 1
        return count

    async def _set(self, student_id: int, actor: str, kind: str, data: dict | None = None, *,
                   also: list[tuple[str, tuple]] | None = None, **changes: Any) -> None:
        """Writes attempt fields and their audit entry in one transaction (with `also`, more
        statements that must commit with them), then memory."""
        now = now_ms()
        statements = list(also or [])
        if changes:
            columns = ", ".join(f"{name} = ?" for name in changes)
            values = [json.dumps(v) if isinstance(v, list) else v for v in changes.values()]
            statements.append((f"UPDATE attempts SET {columns} WHERE student_id = ?", (*values, student_id)))
        statements.append(("INSERT INTO audit (at_ms, actor, student_id, kind, data) VALUES (?, ?, ?, ?, ?)",
                           (now, actor, student_id, kind, json.dumps(data or {}, ensure_ascii=False))))
        # Shares a commit with the other state changes of the moment (a room logging in at once).
        await self.storage.write_grouped(statements)
        a = self.attempts[student_id]
        for name, value in changes.items():
            setattr(a, name, bool(value) if name in ("annulled", "questionnaire_done", "offline_at_deadline") else value)
        self._mark(student_id)
        self._event(now, actor, student_id, kind, data)

    async def _room_event(self, kind: str, data: dict | None = None, meta: dict | None = None, actor: str = "proctor") -> None:
        now = now_ms()
        async with self.storage.transaction() as db:
            for key, value in (meta or {}).items():
                await db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))
            await self.storage.audit(db, now, actor, None, kind, data)
        self.meta.update(meta or {})
        self._event(now, actor, None, kind, data)

    def _event(self, at_ms: int, actor: str, student_id: int | None, kind: str, data: dict | None) -> None:
        if not self.proctors or kind == "answer":
            return
        event = {"at_ms": at_ms, "actor": actor, "student": student_id, "kind": kind, "data": data or {}}
        for proctor in list(self.proctors):
            proctor.send(p.EventOut(event))

    def _mark(self, student_id: int) -> None:
        self._dirty_seats.add(student_id)

    def attempt_view(self, student_id: int) -> dict:
        a = self.attempts[student_id]
        student = self.students[student_id]
        pack = self.pack_of(student)
        clock = self.clock_of(student_id)
        now = now_ms()
        return {
            "state": a.state,
            "sitting": self.sitting_state,
            "subject_index": a.subject_index,
            "closed_subjects": list(a.closed_subjects),
            "current_item": a.current_item,
            "answered": sorted(item for item, (_, v) in a.latest.items() if v not in (None, "", [], {})),
            "remaining_ms": clock.remaining_ms(now) if a.started_ms else clock.limit_ms,
            "elapsed_ms": clock.elapsed_ms(now),
            "total_minutes": pack.timing.total_minutes,
            "questionnaire_done": a.questionnaire_done,
            # The app's journal of unsent answers opens with this key, also after the
            # deadline, so answers made in time while offline can still be sent.
            "journal_key": a.journal_key,
            "rules": pack.rules,  # the pack's own rules page (Markdown), in the test language
            # After the test, the result again (a student who logs in once more sees it);
            # never for an annulled attempt.
            "result": self.result_message(student_id).to_wire() if a.state in AFTER_TEST and not a.annulled else None,
        }

    def student_view(self, student: Student) -> dict:
        return {
            "surname": student.surname, "name": student.name, "patronymic": student.patronymic,
            "iin": student.iin, "test_language": student.language, "test_type": "MODO",
            "ikt": student.ikt, "seat": student.seat, "grade": student.grade, "class": student.class_name,
        }

    def clock_message(self, student_id: int) -> p.Clock:
        a = self.attempts[student_id]
        timing = self.pack_of(self.students[student_id]).timing
        clock = self.clock_of(student_id)
        now = now_ms()
        elapsed = clock.elapsed_ms(now)
        offered = a.state == State.TESTING and break_offered(timing, elapsed, set(a.break_slots), self.room_break)
        break_left = None
        if a.state == State.ON_BREAK and a.break_started_ms is not None:
            break_left = max(0, minutes_ms(timing.break_minutes) - (now - a.break_started_ms))
        return p.Clock(a.state, clock.remaining_ms(now) if a.started_ms else clock.limit_ms, elapsed,
                       self.paused, offered, break_left, self.room_break)

    def push_clock(self, student_id: int) -> None:
        peer = self.online.get(student_id)
        if peer is not None:
            peer.send(self.clock_message(student_id))

    # ------------------------------------------------------------------ student: login

    def student_of(self, peer: Peer) -> Student | None:
        student_id = self.peer_student.get(id(peer))
        return self.students.get(student_id) if student_id is not None else None

    async def login(self, peer: Peer, msg: p.Login, re: int | None) -> None:
        now_s = time.monotonic()
        keys = ["login:" + msg.login.strip().casefold(), "addr:" + peer.address]
        wait = self.throttle.wait_s(keys, now_s)
        if wait > 0:
            raise ProtocolError(ErrorCode.SLOW_DOWN, f"too many wrong passwords; try again in {wait:.0f} s",
                                retry_after_s=round(wait, 1))
        if msg.test_type != "MODO":
            raise ProtocolError(ErrorCode.BAD_FIELD, f"unknown test type {msg.test_type!r}; this room runs MODO")
        if not 1 <= len(msg.device) <= 64:
            raise ProtocolError(ErrorCode.BAD_FIELD, "login: 'device' must be 1 to 64 characters")
        student = self.by_login.get(msg.login.strip())
        ok = student is not None and len(msg.password) <= 64 and await asyncio.get_running_loop().run_in_executor(
            None, verify_password, msg.password.strip(), student.password_hash)
        if not ok:
            self.throttle.failed(keys, now_s)
            wait = self.throttle.wait_s(keys, time.monotonic())
            await self._room_event("login_failed", {"login": msg.login[:40], "address": peer.address}, actor="server")
            raise ProtocolError(ErrorCode.BAD_LOGIN, "wrong login or password", retry_after_s=round(wait, 1) if wait else None)
        self.throttle.succeeded(keys[0])
        a = self.attempts[student.id]
        if self.attendance[student.id].present is False:
            raise ProtocolError(ErrorCode.ABSENT, "this student is marked absent; ask the administrator")
        if a.state == State.REMOVED:
            raise ProtocolError(ErrorCode.REMOVED, "the administrator has ended this student's test")
        current = self.online.get(student.id)
        other_device = a.device is not None and a.device != msg.device and a.state != State.NOT_LOGGED_IN
        if (current is not None and a.device != msg.device) or other_device:
            # A second computer: the proctor decides (an impostor, or a broken computer?).
            old = self.pending.get(student.id)
            if old and old[0] is not peer:
                old[0].close_soon(ErrorCode.REPLACED, "another login for this student is waiting instead")
            self.pending[student.id] = (peer, msg.device, re)
            self.peer_student.pop(id(peer), None)
            await self._set(student.id, student.login, "second_login", {"address": peer.address})
            raise ProtocolError(ErrorCode.AWAITING_APPROVAL,
                                "this student is already logged in on another computer; the administrator must approve")
        await self._bind(peer, student, msg.device, re)

    async def _bind(self, peer: Peer, student: Student, device: str, re: int | None) -> None:
        a = self.attempts[student.id]
        old = self.online.get(student.id)
        if old is not None and old is not peer:
            self.peer_student.pop(id(old), None)
            old.close_soon(ErrorCode.REPLACED, "this student logged in again; this connection ends")
        self.online[student.id] = peer
        self.peer_student[id(peer)] = student.id
        a.offline_since_ms = None
        changes: dict[str, Any] = {"device": device, "last_seen_ms": now_ms()}
        if a.state == State.NOT_LOGGED_IN:
            changes["state"] = State.CONFIRMING
        await self._set(student.id, student.login, "login", {"address": peer.address}, **changes)
        peer.send(p.LoginOk(self.student_view(student), self.attempt_view(student.id)), re)

    def disconnected(self, peer: Peer) -> None:
        student_id = self.peer_student.pop(id(peer), None)
        for sid, (pending_peer, _, _) in list(self.pending.items()):
            if pending_peer is peer:
                del self.pending[sid]
                self._mark(sid)
        self.proctors.discard(peer)
        if student_id is not None and self.online.get(student_id) is peer:
            del self.online[student_id]
            a = self.attempts[student_id]
            a.offline_since_ms = a.last_seen_ms = now_ms()
            a.position_dirty = True
            self._mark(student_id)
            self._event(now_ms(), "server", student_id, "offline", {})

    def seen(self, peer: Peer) -> None:
        student_id = self.peer_student.get(id(peer))
        if student_id is not None:
            self.attempts[student_id].last_seen_ms = now_ms()

    # ------------------------------------------------------------------ student: the sitting

    def _require(self, peer: Peer, message_type: str) -> tuple[Student, Attempt]:
        student = self.student_of(peer)
        if student is None:
            raise ProtocolError(ErrorCode.WRONG_STATE, "log in first")
        a = self.attempts[student.id]
        if a.state == State.REMOVED:
            raise ProtocolError(ErrorCode.REMOVED, "the administrator has ended this test")
        allowed = ALLOWED.get(message_type)
        if allowed is not None and a.state not in allowed:
            raise ProtocolError(ErrorCode.WRONG_STATE, f"{message_type} is not allowed while the attempt is {a.state}")
        return student, a

    async def report_mistake(self, peer: Peer, msg: p.ReportMistake) -> None:
        student, _ = self._require(peer, "report_mistake")
        note = msg.note[:500] or "the student reports a mistake in their personal data"
        await self._set(student.id, student.login, "data_mistake", {"note": note}, data_mistake=note)

    async def confirm_data(self, peer: Peer) -> None:
        student, _ = self._require(peer, "confirm_data")
        await self._set(student.id, student.login, "confirmed", None, state=State.RULES, data_mistake=None)

    async def start(self, peer: Peer, re: int | None) -> None:
        student, a = self._require(peer, "start")
        if a.state in IN_TEST:
            peer.send(self._test_message(student), re)
            peer.send(self.clock_message(student.id))
            return
        if self.sitting_state == "closed":
            raise ProtocolError(ErrorCode.CLOSED, "the sitting is closed")
        if self.sitting_state != "open":
            if a.state != State.WAITING:
                await self._set(student.id, student.login, "rules_accepted", None, state=State.WAITING)
            peer.send(p.Waiting(), re)
            return
        now = now_ms()
        await self._set(student.id, student.login, "started", None, state=State.TESTING,
                        started_ms=a.started_ms or now, journal_key=a.journal_key or secrets.token_bytes(32),
                        current_item=a.current_item or self.pack_of(student).variant(student.variant).items()[0].id)
        peer.send(self._test_message(student), re)
        peer.send(self.clock_message(student.id))

    def _test_message(self, student: Student) -> p.Test:
        pack = self.pack_of(student)
        variant = pack.variant(student.variant)
        a = self.attempts[student.id]
        subjects = []
        for subject, block in zip(pack.subjects, variant.subjects):
            subjects.append({
                "id": subject.id, "title": subject.title,
                "stimuli": [{"id": s.id, "title": s.title, "text": s.text} for s in block.stimuli],
                "items": [item.student_view() for item in block.items],
            })
        t = pack.timing
        timing = {"total_minutes": t.total_minutes, "work_block_minutes": t.work_block_minutes,
                  "break_minutes": t.break_minutes, "breaks": t.breaks, "breaks_optional": t.breaks_optional,
                  "reopen": t.reopen_finished_subjects}
        answers = {item: value for item, (_, value) in a.latest.items()}
        return p.Test(subjects, timing, a.journal_key or b"", answers, a.next_seq, a.current_item, a.subject_index)

    def _check_value(self, item, value: Any) -> None:
        """An answer's value must fit its item's kind (see docs/protocol.md)."""
        if value is None:
            return
        bad = None
        if item.kind == "single":
            if not isinstance(value, str) or len(value) != 1 or not 0 <= ord(value) - 65 < len(item.options):
                bad = "a single option letter"
        elif item.kind == "multiple":
            if (not isinstance(value, list) or len(set(value)) != len(value)
                    or not all(isinstance(v, str) and len(v) == 1 and 0 <= ord(v) - 65 < len(item.options) for v in value)):
                bad = "a list of different option letters"
        elif item.kind == "matching":
            if not isinstance(value, dict) or not all(
                    isinstance(k, str) and k.isdigit() and 1 <= int(k) <= len(item.left)
                    and isinstance(v, str) and len(v) == 1 and 0 <= ord(v) - 65 < len(item.right)
                    for k, v in value.items()):
                bad = "a map from left numbers to right letters"
        elif item.kind == "short":
            if not isinstance(value, str) or len(value) > MAX_SHORT_ANSWER:
                bad = f"text of at most {MAX_SHORT_ANSWER} characters"
        if bad:
            raise ProtocolError(ErrorCode.BAD_FIELD, f"answer to {item.id} must be {bad}")

    async def answer(self, peer: Peer, msg: p.Answer, re: int | None) -> None:
        student, a = self._require(peer, "answer")
        variant = self.pack_of(student).variant(student.variant)
        item = variant.item(msg.item)
        if item is None:
            raise ProtocolError(ErrorCode.NOT_FOUND, f"no item {msg.item!r} in this test")
        if msg.seq < 1 or msg.seq > 10_000_000:
            raise ProtocolError(ErrorCode.BAD_FIELD, "answer: 'seq' must be from 1")
        if not 0 <= msg.made_ms <= MAX_MADE_MS:
            raise ProtocolError(ErrorCode.BAD_FIELD, f"answer: 'made_ms' must be from 0 to {MAX_MADE_MS}")
        self._check_value(item, msg.value)
        subject_id = variant.subject_of(item.id)
        counted = True
        if a.state not in IN_TEST:
            # The attempt is over. An answer made before the deadline by an app that had
            # lost the server still counts (see sitting.late_answer_counts).
            if a.finish_reason != "time_over":
                raise ProtocolError(ErrorCode.WRONG_STATE, "the test is finished; answers are closed")
            clock = self.clock_of(student.id)
            counted = late_answer_counts(msg.made_ms, clock.limit_ms, clock.elapsed_ms(now_ms()), a.offline_at_deadline)
            if not counted:
                await self.storage.save_answer(AnswerRecord(student.id, msg.seq, msg.item, msg.value, msg.made_ms, False, student.login))
                raise ProtocolError(ErrorCode.TIME_OVER, "the time was over when this answer was made; it does not count")
        elif subject_id in a.closed_subjects:
            raise ProtocolError(ErrorCode.SUBJECT_CLOSED, "this subject is finished and cannot be reopened")
        is_new = await self.storage.save_answer(
            AnswerRecord(student.id, msg.seq, msg.item, msg.value, msg.made_ms, counted, student.login))
        if is_new:
            latest = a.latest.get(msg.item)
            if latest is None or msg.seq > latest[0]:
                a.latest[msg.item] = (msg.seq, msg.value)
            a.next_seq = max(a.next_seq, msg.seq + 1)
            self._mark(student.id)
        peer.send(p.Ack(msg.seq, msg.item, counted), re)

    async def goto(self, peer: Peer, msg: p.Goto) -> None:
        student, a = self._require(peer, "goto")
        if self.pack_of(student).variant(student.variant).item(msg.item) is None:
            raise ProtocolError(ErrorCode.NOT_FOUND, f"no item {msg.item!r} in this test")
        a.current_item = msg.item
        a.position_dirty = True  # written by the ticker: losing a second of position is harmless

    async def next_subject(self, peer: Peer, re: int | None) -> None:
        student, a = self._require(peer, "next_subject")
        pack = self.pack_of(student)
        if a.subject_index >= len(pack.subjects) - 1:
            raise ProtocolError(ErrorCode.WRONG_STATE, "this is the last subject; finish the test instead")
        closed = list(a.closed_subjects)
        current = pack.subjects[a.subject_index].id
        if not pack.timing.reopen_finished_subjects and current not in closed:
            closed.append(current)
        index = a.subject_index + 1
        first = pack.variant(student.variant).subjects[index].items[0].id
        await self._set(student.id, student.login, "next_subject", {"from": current, "to": pack.subjects[index].id},
                        subject_index=index, closed_subjects=closed, current_item=first)
        peer.send(p.SubjectNow(index, closed), re)

    async def open_subject(self, peer: Peer, msg: p.OpenSubject, re: int | None) -> None:
        student, a = self._require(peer, "open_subject")
        pack = self.pack_of(student)
        ids = [s.id for s in pack.subjects]
        if msg.subject not in ids:
            raise ProtocolError(ErrorCode.NOT_FOUND, f"no subject {msg.subject!r}")
        index = ids.index(msg.subject)
        if msg.subject in a.closed_subjects or (index > a.subject_index and not pack.timing.reopen_finished_subjects):
            raise ProtocolError(ErrorCode.SUBJECT_CLOSED, "this subject cannot be opened now")
        first = pack.variant(student.variant).subjects[index].items[0].id
        await self._set(student.id, student.login, "open_subject", {"subject": msg.subject},
                        subject_index=index, current_item=first)
        peer.send(p.SubjectNow(index, list(a.closed_subjects)), re)

    async def take_break(self, peer: Peer, re: int | None) -> None:
        student, a = self._require(peer, "take_break")
        timing = self.pack_of(student).timing
        elapsed = self.clock_of(student.id).elapsed_ms(now_ms())
        if not break_offered(timing, elapsed, set(a.break_slots), self.room_break):
            raise ProtocolError(ErrorCode.WRONG_STATE, "no break is offered now")
        slot = break_slot(timing, elapsed)
        slots = list(a.break_slots) + ([slot] if slot is not None and slot not in a.break_slots else [])
        await self._set(student.id, student.login, "break_started", {"slot": slot, "room": self.room_break},
                        state=State.ON_BREAK, break_started_ms=now_ms(), break_slots=slots)
        peer.send(p.Ok(), re)
        self.push_clock(student.id)

    async def end_break(self, peer: Peer | None, student_id: int, actor: str, re: int | None = None) -> None:
        await self._set(student_id, actor, "break_ended", None, state=State.TESTING, break_started_ms=None)
        if peer is not None:
            peer.send(p.Ok(), re)
        self.push_clock(student_id)

    async def finish_request(self, peer: Peer, re: int | None) -> None:
        student, a = self._require(peer, "finish_request")
        question, a.check = arithmetic_check(self._rng)
        pack = self.pack_of(student)
        unanswered = {}
        for subject, block in zip(pack.subjects, pack.variant(student.variant).subjects):
            unanswered[subject.id] = sum(
                1 for item in block.items if not is_answered(item, a.latest.get(item.id, (0, None))[1]))
        peer.send(p.FinishCheck(question, unanswered), re)

    async def finish(self, peer: Peer, msg: p.Finish, re: int | None) -> None:
        student, a = self._require(peer, "finish")
        if a.check is None:
            raise ProtocolError(ErrorCode.WRONG_STATE, "ask to finish first (finish_request)")
        if not check_answer_ok(a.check, msg.check):
            a.check = None
            raise ProtocolError(ErrorCode.BAD_CHECK, "the example's answer is wrong; try a new one")
        await self._finish(student.id, "finished", student.login)
        peer.send(self.result_message(student.id), re)

    async def _finish(self, student_id: int, reason: str, actor: str, **changes: Any) -> None:
        a = self.attempts[student_id]
        await self._set(student_id, actor, "finished", {"reason": reason, **self.score(student_id).as_dict()},
                        state=State.FINISHED, finished_ms=now_ms(), finish_reason=reason, break_started_ms=None,
                        **changes)
        a.check = None

    def score(self, student_id: int):
        student = self.students[student_id]
        a = self.attempts[student_id]
        responses = {item: value for item, (_, value) in a.latest.items()}
        return score_attempt(self.pack_of(student), student.variant, responses)

    def result_message(self, student_id: int) -> p.Result:
        result = self.score(student_id)
        reason = self.attempts[student_id].finish_reason or "finished"
        return p.Result([s.__dict__ if not hasattr(s, "as_dict") else s.as_dict() for s in result.subjects],
                        result.total, result.max_total, result.percent, reason)

    # ------------------------------------------------------------------ student: questionnaire

    async def questionnaire_start(self, peer: Peer, re: int | None) -> None:
        student, a = self._require(peer, "questionnaire_start")
        q = self.questionnaires[student.language]
        started = a.questionnaire_started_ms or now_ms()
        pseudonym = secrets.token_hex(12)
        async with self.storage.transaction() as db:
            await db.execute("INSERT INTO questionnaire_pseudonyms (pseudonym) VALUES (?)", (pseudonym,))
        self.pseudonyms.add(pseudonym)
        if a.state != State.QUESTIONNAIRE:
            await self._set(student.id, student.login, "questionnaire_started", None,
                            state=State.QUESTIONNAIRE, questionnaire_started_ms=started)
        remaining = max(0, minutes_ms(q.minutes) - (now_ms() - started))
        peer.send(p.QuestionnaireOut(pseudonym, q.title, q.intro, q.minutes, remaining,
                                     [question.student_view() for question in q.questions]), re)

    async def questionnaire_answer(self, peer: Peer, msg: p.QuestionnaireAnswer, re: int | None) -> None:
        student, _ = self._require(peer, "questionnaire_answer")
        if msg.pseudonym not in self.pseudonyms:
            raise ProtocolError(ErrorCode.NOT_FOUND, "unknown questionnaire pseudonym")
        q = self.questionnaires[student.language]
        question = next((x for x in q.questions if x.id == msg.question), None)
        if question is None:
            raise ProtocolError(ErrorCode.NOT_FOUND, f"no question {msg.question!r}")
        _check_questionnaire_value(question, msg.value)
        # No audit entry and no time: nothing may join these answers back to the student.
        async with self.storage.transaction() as db:
            await db.execute("INSERT OR REPLACE INTO questionnaire_answers (pseudonym, question, value) VALUES (?, ?, ?)",
                             (msg.pseudonym, msg.question, _pack(msg.value)))
        peer.send(p.Ok(), re)

    async def questionnaire_done(self, peer: Peer, re: int | None) -> None:
        student, _ = self._require(peer, "questionnaire_done")
        await self._set(student.id, student.login, "questionnaire_done", None, state=State.DONE, questionnaire_done=1)
        peer.send(p.Done(), re)

    # ------------------------------------------------------------------ the proctor

    def check_proctor_key(self, key: str | None) -> bool:
        import hashlib
        import hmac
        if not key:
            return False
        return hmac.compare_digest(hashlib.sha256(key.encode()).hexdigest(), self.meta.get("proctor_key_sha256", ""))

    def seat_view(self, student_id: int) -> dict:
        s = self.students[student_id]
        a = self.attempts[student_id]
        att = self.attendance[student_id]
        pack = self.pack_of(s)
        now = now_ms()
        clock = self.clock_of(student_id)
        status = a.state
        if att.present is False:
            status = "absent"
        elif student_id in self.pending:
            status = "awaiting_approval"
        online = student_id in self.online
        remaining = clock.remaining_ms(now) if a.started_ms else clock.limit_ms
        alerts = []
        if student_id in self.pending:
            alerts.append("second_login")
        if a.data_mistake:
            alerts.append("data_mistake")
        if not online and a.state in IN_TEST and a.offline_since_ms and now - a.offline_since_ms > OFFLINE_ALERT_MS:
            alerts.append("offline")
        if a.state in IN_TEST and remaining <= FIVE_MINUTES_MS:
            alerts.append("five_minutes")
        subject = pack.subjects[min(a.subject_index, len(pack.subjects) - 1)]
        return {
            "student": s.id, "seat": s.seat, "ikt": s.ikt, "login": s.login, "surname": s.surname, "name": s.name,
            "patronymic": s.patronymic, "class": f"{s.grade}{s.class_name}", "language": s.language,
            "variant": s.variant, "status": status, "state": a.state,
            "subject": subject.id if a.started_ms else "", "subject_title": subject.title if a.started_ms else "",
            "answered": self._answered_count(a, s), "total": len(pack.variant(s.variant).items()),
            "remaining_ms": remaining, "online": online,
            "offline_since_ms": None if online or a.state == State.NOT_LOGGED_IN else a.offline_since_ms,
            "alerts": alerts, "data_mistake": a.data_mistake or "",
            "present": att.present, "absent_reason": att.reason, "absent_document": att.document,
            "slip_handed": att.slip_handed, "slip_collected": att.slip_collected,
            "extra_minutes": a.extra_ms // 60_000, "annulled": a.annulled, "finish_reason": a.finish_reason or "",
            "questionnaire_done": a.questionnaire_done,  # whether, never what
            "on_break": a.state == State.ON_BREAK,
            "break_remaining_ms": (max(0, minutes_ms(pack.timing.break_minutes) - (now - a.break_started_ms))
                                   if a.state == State.ON_BREAK and a.break_started_ms is not None else None),
        }

    def sitting_view(self) -> dict:
        return {
            "state": self.sitting_state,
            "school": self.meta.get("school", ""), "room": self.meta.get("room", ""),
            "sitting": self.meta.get("sitting", ""), "grade": int(self.meta.get("grade", "0")),
            "opened_ms": int(self.meta["opened_ms"]) if self.meta.get("opened_ms") else None,
            "closed_ms": int(self.meta["closed_ms"]) if self.meta.get("closed_ms") else None,
            "paused": self.paused, "pause_reason": self.pause_reason if self.paused else None,
            "room_break": self.room_break,
            "packs": {lang: pack.id for lang, pack in self.packs.items()},
            "total_minutes": next(iter(self.packs.values())).timing.total_minutes,
        }

    def room_message(self) -> p.Room:
        return p.Room(self.sitting_view(), [self.seat_view(sid) for sid in self.students], self.address)

    def _student_arg(self, student_id: int) -> Student:
        student = self.students.get(student_id)
        if student is None:
            raise ProtocolError(ErrorCode.NOT_FOUND, f"no student {student_id}")
        return student

    def _broadcast_students(self, make) -> None:
        for student_id, peer in list(self.online.items()):
            msg = make(student_id)
            if msg is not None:
                peer.send(msg)

    async def open_sitting(self) -> None:
        if self.sitting_state != "not_open":
            raise ProtocolError(ErrorCode.WRONG_STATE, f"the sitting is already {self.sitting_state}")
        await self._room_event("sitting_opened", None, {"sitting_state": "open", "opened_ms": str(now_ms())})
        self._broadcast_students(lambda sid: p.SittingNow("open"))
        self._mark_all()

    async def close_sitting(self) -> None:
        if self.sitting_state == "closed":
            raise ProtocolError(ErrorCode.WRONG_STATE, "the sitting is already closed")
        for student_id, a in self.attempts.items():
            if a.state in IN_TEST:
                await self._finish(student_id, "closed", "proctor")
                peer = self.online.get(student_id)
                if peer is not None:
                    peer.send(self.result_message(student_id))
        if self.paused:
            await self.resume()
        await self._room_event("sitting_closed", None, {"sitting_state": "closed", "closed_ms": str(now_ms())})
        self._broadcast_students(lambda sid: p.SittingNow("closed"))
        self._mark_all()

    async def set_attendance(self, msg: p.Attendance) -> None:
        student = self._student_arg(msg.student)
        if not msg.present and not msg.reason.strip():
            raise ProtocolError(ErrorCode.BAD_FIELD, "an absence needs a reason")
        if not msg.present and self.attempts[student.id].state not in (State.NOT_LOGGED_IN,):
            raise ProtocolError(ErrorCode.WRONG_STATE, "this student has logged in; they cannot be absent")
        data = {"present": msg.present, "reason": msg.reason[:200], "document": msg.document[:200]}
        now = now_ms()
        async with self.storage.transaction() as db:
            await db.execute("UPDATE attendance SET present = ?, reason = ?, document = ?, updated_ms = ? WHERE student_id = ?",
                             (int(msg.present), data["reason"], data["document"], now, student.id))
            await self.storage.audit(db, now, "proctor", student.id, "attendance", data)
        row = self.attendance[student.id]
        row.present, row.reason, row.document = msg.present, data["reason"], data["document"]
        self._mark(student.id)
        self._event(now, "proctor", student.id, "attendance", data)

    async def set_slips(self, msg: p.Slips) -> None:
        student = self._student_arg(msg.student)
        row = self.attendance[student.id]
        handed = row.slip_handed if msg.handed is None else msg.handed
        collected = row.slip_collected if msg.collected is None else msg.collected
        now = now_ms()
        data = {"handed": handed, "collected": collected}
        async with self.storage.transaction() as db:
            await db.execute("UPDATE attendance SET slip_handed = ?, slip_collected = ?, updated_ms = ? WHERE student_id = ?",
                             (int(handed), int(collected), now, student.id))
            await self.storage.audit(db, now, "proctor", student.id, "login_slip", data)
        row.slip_handed, row.slip_collected = handed, collected
        self._mark(student.id)
        self._event(now, "proctor", student.id, "login_slip", data)

    async def announce_break(self) -> None:
        if self.sitting_state != "open":
            raise ProtocolError(ErrorCode.WRONG_STATE, "the sitting is not open")
        if self.room_break:
            raise ProtocolError(ErrorCode.WRONG_STATE, "a break is already announced")
        await self._room_event("room_break_announced", None, {"room_break": "1"})
        self.room_break = True
        self._broadcast_students(self._clock_if_testing)

    async def end_room_break(self) -> None:
        if not self.room_break:
            raise ProtocolError(ErrorCode.WRONG_STATE, "no break is announced")
        await self._room_event("room_break_ended", None, {"room_break": "0"})
        self.room_break = False
        for student_id, a in list(self.attempts.items()):
            if a.state == State.ON_BREAK:
                await self.end_break(None, student_id, "proctor")
        self._broadcast_students(self._clock_if_testing)

    def _clock_if_testing(self, student_id: int):
        return self.clock_message(student_id) if self.attempts[student_id].state in IN_TEST else None

    async def pause(self, msg: p.Pause) -> None:
        if msg.reason not in ("power", "network", "other"):
            raise ProtocolError(ErrorCode.BAD_FIELD, "the reason must be power, network or other")
        if msg.reason == "other" and not msg.note.strip():
            raise ProtocolError(ErrorCode.BAD_FIELD, "say what happened (note) when the reason is other")
        if self.paused:
            raise ProtocolError(ErrorCode.WRONG_STATE, "the room is already paused")
        now = now_ms()
        async with self.storage.transaction() as db:
            await db.execute("INSERT INTO pauses (start_ms, reason, note) VALUES (?, ?, ?)", (now, msg.reason, msg.note[:300]))
            await self.storage.audit(db, now, "proctor", None, "paused", {"reason": msg.reason, "note": msg.note[:300]})
        self.pauses.append(Pause(now, None))
        self.pause_reason = msg.reason
        self._event(now, "proctor", None, "paused", {"reason": msg.reason, "note": msg.note[:300]})
        self._broadcast_students(self._clock_if_testing)
        self._mark_all()

    async def resume(self) -> None:
        if not self.paused:
            raise ProtocolError(ErrorCode.WRONG_STATE, "the room is not paused")
        now = now_ms()
        async with self.storage.transaction() as db:
            await db.execute("UPDATE pauses SET end_ms = ? WHERE end_ms IS NULL", (now,))
            await self.storage.audit(db, now, "proctor", None, "resumed", None)
        self.pauses = [Pause(x.start_ms, now if x.end_ms is None else x.end_ms) for x in self.pauses]
        self.pause_reason = None
        self._event(now, "proctor", None, "resumed", None)
        self._broadcast_students(self._clock_if_testing)
        self._mark_all()

    async def extra_time(self, msg: p.ExtraTime) -> None:
        student = self._student_arg(msg.student)
        a = self.attempts[student.id]
        if not 1 <= msg.minutes <= 120:
            raise ProtocolError(ErrorCode.BAD_FIELD, "extra time must be 1 to 120 minutes")
        if not msg.reason.strip():
            raise ProtocolError(ErrorCode.BAD_FIELD, "extra time needs a reason")
        if a.state not in IN_TEST:
            raise ProtocolError(ErrorCode.WRONG_STATE, "extra time is for a student who is testing")
        # The extra_time row and the attempt's new limit commit together: a crash between two
        # transactions used to leave the row without the longer limit.
        row = ("INSERT INTO extra_time (student_id, minutes, reason, at_ms) VALUES (?, ?, ?, ?)",
               (student.id, msg.minutes, msg.reason[:300], now_ms()))
        await self._set(student.id, "proctor", "extra_time", {"minutes": msg.minutes, "reason": msg.reason[:300]},
                        also=[row], extra_ms=a.extra_ms + msg.minutes * 60_000)
        self.push_clock(student.id)

    async def approve_login(self, msg: p.ApproveLogin) -> None:
        student = self._student_arg(msg.student)
        pending = self.pending.pop(student.id, None)
        if pending is None:
            raise ProtocolError(ErrorCode.NOT_FOUND, "no login is waiting for this student")
        peer, device, re = pending
        await self._set(student.id, "proctor", "second_login_approved" if msg.approve else "second_login_refused", None)
        if msg.approve:
            peer.send(p.Approval(True))
            await self._bind(peer, student, device, None)
        else:
            peer.send(p.Approval(False))
            peer.close_soon(ErrorCode.REFUSED, "the administrator refused this login")

    async def incident(self, msg: p.Incident) -> dict:
        if msg.kind not in INCIDENT_KINDS:
            raise ProtocolError(ErrorCode.BAD_FIELD, "kind must be annex1, annex2 or other")
        student = self._student_arg(msg.student) if msg.student is not None else None
        if msg.kind in ("annex1", "annex2") and student is None:
            raise ProtocolError(ErrorCode.BAD_FIELD, f"an {msg.kind} act names a student")
        fields = {str(k)[:40]: (v if isinstance(v, (int, float, bool)) else str(v)[:1000]) for k, v in msg.fields.items()}
        if msg.kind == "other" and not str(fields.get("description", "")).strip():
            raise ProtocolError(ErrorCode.BAD_FIELD, "describe the incident (description)")
        if student is not None:  # the act's facts the server knows, as the annexes ask for them
            fields.setdefault("student_name", student.full_name())
            fields.setdefault("ikt", student.ikt)
            fields.setdefault("seat", student.seat)
            fields.setdefault("variant", student.variant)
        fields.setdefault("room", self.meta.get("room", ""))
        fields.setdefault("school", self.meta.get("school", ""))
        remove = msg.kind == "annex1" or (msg.kind == "annex2" and fields.get("decision", "remove") != "not_admitted_only")
        now = now_ms()
        async with self.storage.transaction() as db:
            cursor = await db.execute("INSERT INTO incidents (kind, student_id, at_ms, fields) VALUES (?, ?, ?, ?)",
                                      (msg.kind, student.id if student else None, now, json.dumps(fields, ensure_ascii=False)))
            incident_id = cursor.lastrowid
            await self.storage.audit(db, now, "proctor", student.id if student else None, "incident",
                                     {"id": incident_id, "kind": msg.kind})
        self._event(now, "proctor", student.id if student else None, "incident", {"id": incident_id, "kind": msg.kind})
        if student is not None and remove:
            await self._set(student.id, "proctor", "removed", {"incident": incident_id},
                            state=State.REMOVED, annulled=1, finish_reason="removed", finished_ms=now, break_started_ms=None)
            peer = self.online.get(student.id)
            if peer is not None:
                peer.send(p.Ended("removed"))
            pending = self.pending.pop(student.id, None)
            if pending:
                pending[0].close_soon(ErrorCode.REMOVED, "the administrator has ended this test")
        return {"id": incident_id, "kind": msg.kind, "student": student.id if student else None, "at_ms": now,
                "fields": fields}

    async def incidents(self) -> list[dict]:
        rows = await self.storage.fetchall("SELECT * FROM incidents ORDER BY id")
        return [{"id": r["id"], "kind": r["kind"], "student": r["student_id"], "at_ms": r["at_ms"],
                 "fields": json.loads(r["fields"])} for r in rows]

    async def events(self, student_id: int | None, limit: int) -> list[dict]:
        limit = max(1, min(limit, 1000))
        if student_id is None:
            rows = await self.storage.fetchall("SELECT * FROM audit ORDER BY id DESC LIMIT ?", (limit,))
        else:
            rows = await self.storage.fetchall("SELECT * FROM audit WHERE student_id = ? ORDER BY id DESC LIMIT ?",
                                               (student_id, limit))
        return [{"id": r["id"], "at_ms": r["at_ms"], "actor": r["actor"], "student": r["student_id"],
                 "kind": r["kind"], "data": json.loads(r["data"])} for r in rows]

    async def protocol_prefill(self) -> dict:
        # Present: marked present, or not marked but logged in (they are in the room).
        present = sum(1 for student_id, row in self.attendance.items()
                      if row.present or (row.present is None and self.attempts[student_id].state != State.NOT_LOGGED_IN))
        absent = sum(1 for row in self.attendance.values() if row.present is False)
        pauses = await self.storage.fetchall("SELECT * FROM pauses ORDER BY id")
        incidents = await self.incidents()
        return {
            "school": self.meta.get("school", ""), "room": self.meta.get("room", ""),
            "sitting": self.meta.get("sitting", ""), "grade": self.meta.get("grade", ""),
            "start_ms": int(self.meta["opened_ms"]) if self.meta.get("opened_ms") else None,
            "end_ms": int(self.meta["closed_ms"]) if self.meta.get("closed_ms") else None,
            "registered": len(self.students), "present": present, "absent": absent,
            "finished": sum(1 for a in self.attempts.values() if a.state in AFTER_TEST),
            "removed": sum(1 for a in self.attempts.values() if a.state == State.REMOVED),
            "incidents": [{"id": i["id"], "kind": i["kind"], "student": i["student"]} for i in incidents],
            "pauses": [{"start_ms": r["start_ms"], "end_ms": r["end_ms"], "reason": r["reason"], "note": r["note"]} for r in pauses],
            "slips_handed": sum(1 for row in self.attendance.values() if row.slip_handed),
            "slips_collected": sum(1 for row in self.attendance.values() if row.slip_collected),
        }

    async def protocol_form(self) -> p.ProtocolForm:
        row = await self.storage.fetchone("SELECT fields FROM protocol_form WHERE id = 1")
        return p.ProtocolForm(json.loads(row["fields"]) if row else {}, await self.protocol_prefill())

    async def save_protocol(self, fields: dict) -> None:
        clean = {str(k)[:60]: (v if isinstance(v, (int, float, bool)) or v is None else str(v)[:4000]) for k, v in fields.items()}
        now = now_ms()
        async with self.storage.transaction() as db:
            await db.execute("INSERT OR REPLACE INTO protocol_form (id, fields, saved_ms) VALUES (1, ?, ?)",
                             (json.dumps(clean, ensure_ascii=False), now))
            await self.storage.audit(db, now, "proctor", None, "protocol_saved", {"fields": sorted(clean)})
        self._event(now, "proctor", None, "protocol_saved", {"fields": sorted(clean)})

    def _mark_all(self) -> None:
        self._dirty_seats.update(self.students)

    # ------------------------------------------------------------------ the ticker

    async def _ticker(self) -> None:
        """Once a second: deadlines, ends of breaks and questionnaires, seat updates."""
        tick = 0
        while True:
            await asyncio.sleep(0.5)
            tick += 1
            try:
                if tick % 2 == 0:
                    await self._enforce_clock()
                    if tick % 10 != 0 and self.sitting_state == "open":
                        await self._still_alive()
                if tick % 10 == 0:
                    await self._flush_positions()
                    self._mark_all()
                # Every student's clock every 5 s, a tenth of the room each half second:
                # 500 clock messages at once held the loop long enough to delay acks.
                self._broadcast_students(lambda sid, part=tick % 10: self._clock_if_testing(sid) if sid % 10 == part else None)
                self._flush_seats()
            except Exception:  # one bad tick must not stop the clock
                log.exception("room ticker")

    async def _enforce_clock(self) -> None:
        now = now_ms()
        for student_id, a in list(self.attempts.items()):
            if a.state in IN_TEST and self.clock_of(student_id).is_over(now):
                # The deadline: the server finishes the attempt itself, online or not.
                await self._finish(student_id, "time_over", "server",
                                   offline_at_deadline=int(student_id not in self.online))
                peer = self.online.get(student_id)
                if peer is not None:
                    peer.send(self.result_message(student_id))
            elif a.state == State.ON_BREAK and a.break_started_ms is not None and not self.room_break:
                timing = self.pack_of(self.students[student_id]).timing
                if now - a.break_started_ms >= minutes_ms(timing.break_minutes):
                    await self.end_break(None, student_id, "server")
            elif a.state == State.QUESTIONNAIRE and a.questionnaire_started_ms is not None:
                q = self.questionnaires[self.students[student_id].language]
                if now - a.questionnaire_started_ms >= minutes_ms(q.minutes):
                    await self._set(student_id, "server", "questionnaire_time_over", None, state=State.DONE)
                    peer = self.online.get(student_id)
                    if peer is not None:
                        peer.send(p.Done())

    async def _still_alive(self) -> None:
        """Once a second while the sitting runs: when the server was last alive, so that an
        outage is paused from (almost) its real start."""
        async with self.storage.transaction() as db:
            await db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('alive_ms', ?)", (str(now_ms()),))

    async def _flush_positions(self) -> None:
        dirty = [a for a in self.attempts.values() if a.position_dirty]
        async with self.storage.transaction() as db:
            for a in dirty:
                await db.execute("UPDATE attempts SET current_item = ?, last_seen_ms = ? WHERE student_id = ?",
                                 (a.current_item, a.last_seen_ms, a.student_id))
                a.position_dirty = False
            await db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('alive_ms', ?)", (str(now_ms()),))

    def _flush_seats(self) -> None:
        if not self._dirty_seats:
            return
        dirty, self._dirty_seats = self._dirty_seats, set()
        if not self.proctors:
            return
        for student_id in sorted(dirty):
            seat = p.Seat(self.seat_view(student_id))
            for proctor in list(self.proctors):
                proctor.send(seat)


def _pack(value: Any) -> bytes:
    from .storage import pack_value
    return pack_value(value)


def _check_questionnaire_value(question, value: Any) -> None:
    if value is None:
        return
    ok = False
    if question.kind == "choice":
        ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(question.options)
    elif question.kind == "multi":
        ok = isinstance(value, list) and all(isinstance(v, int) and 0 <= v < len(question.options) for v in value)
    elif question.kind == "text":
        ok = isinstance(value, str) and len(value) <= 500
    if not ok:
        raise ProtocolError(ErrorCode.BAD_FIELD, f"the answer does not fit question {question.id}")
