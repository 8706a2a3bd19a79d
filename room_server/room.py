"""The room in memory: every student, attempt and seat, loaded from the database and changed
only after the change is committed, each with its audit entry in the same transaction.

The handlers (handlers/) apply the protocol's messages to it; `views.py` turns it into what
clients see; the ticker (ticker.py) runs its clock. It reaches connections only through the
small `Peer` interface, so it never touches a socket itself.
"""

from __future__ import annotations

import asyncio
import logging
import random
from pathlib import Path
from typing import Any, Callable, Protocol

import room_protocol as p
from content.loader import load_pack
from content.questionnaire_loader import room_copy
from content.model import Questionnaire, TestPack
from room_protocol import ErrorCode, ProtocolError
from room_protocol.rules import is_answered

from .logins import KeyedLocks, PasswordChecks
from .model import Attempt, AttendanceRow, Student
from .staff import StaffAccounts
from .sitting import DEFAULT_LATE_GRACE_MS, Clock, LoginThrottle, Pause
from .storage import AnswerRecord, AnswerWriter, Database, now_ms
from .storage import answers as answer_rows
from .storage import attempts as attempt_rows
from .storage import attendance as attendance_rows
from .storage import audit, meta as meta_rows, questionnaire as questionnaire_rows, roster as roster_rows

log = logging.getLogger("synaq.room")



class Peer(Protocol):
    """A live connection as the room sees it."""

    address: str  # the computer, as origin.py decided it (a browser seat: the browser's)
    trusted: bool  # the laptop itself

    def send(self, msg: p.Message, re: int | None = None) -> None: ...
    def close_soon(self, code: str, reason: str) -> None: ...


class DayControl(Protocol):
    """The day of streams this room is one stream of (served by app.py)."""

    def streams(self, room: "Room") -> list[p.StreamView]: ...
    def stream_of(self, login: str) -> int | None: ...
    def switch_soon(self, number: int) -> None: ...
    async def add(self, msg: p.AddStream) -> None: ...


class Room:
    def __init__(self, database: Database, data_dir: Path):
        self.database = database
        self.answers = AnswerWriter(database, self._answer_stored)
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
        self.room_break_key: str | None = None  # the announced room break now on ("room-N"), if any
        self.staff = StaffAccounts(database, Path(data_dir))
        self.day: DayControl | None = None  # set when the room is one stream of a day  # teachers' and principals' questionnaire slips
        self.throttle = LoginThrottle()
        self.login_locks = KeyedLocks()
        self.passwords = PasswordChecks()
        self.guessed: dict[int, int] = {}  # student -> until when the console shows a guessing burst on them
        self.online: dict[int, Peer] = {}  # student -> its live connection
        self.peer_student: dict[int, int] = {}  # id(peer) -> student id
        self.pending: dict[int, tuple[Peer, str]] = {}  # student -> (waiting peer, device): a second computer
        self.proctors: set = set()
        self.responded: set[str] = set()  # respondents whose sealed questionnaire response is kept
        self.removed_login_tries: set[int] = set()  # removed students whose slip was tried again
        self.address = ""
        self.browser_url = ""  # http://HOST:PORT/ while browser seats are served (printed on the slips)
        self.dirty_seats: set[int] = set()
        self.rng = random.Random()
        self._tasks: list[asyncio.Task] = []

    # ------------------------------------------------------------------ loading

    async def load(self) -> None:
        db = self.database
        self.meta = await meta_rows.load_meta(db)
        for language, folder in await roster_rows.load_packs(db):
            pack, problems = load_pack(self.data_dir / folder)
            if pack is None:
                raise RuntimeError(f"the room's copy of the {language} pack is damaged: {problems[0] if problems else ''}")
            self.packs[language] = pack
        for audience, language, file in await questionnaire_rows.files(db):
            if audience == "student":
                self.questionnaires[language] = room_copy(self.data_dir / file)
        await self.staff.load()
        for s in await roster_rows.load_students(db):
            self.students[s.id] = s
            self.by_login[s.login] = s
        self.attempts = await attempt_rows.load(db)
        for student_id, item, seq, value in await answer_rows.latest_counted(db):
            self.attempts[student_id].latest[item] = (seq, value)
        for student_id, seq in (await answer_rows.highest_seqs(db)).items():
            self.attempts[student_id].next_seq = seq + 1
        for student_id, count in (await answer_rows.late_counts(db)).items():
            self.attempts[student_id].late_answers = count
        self.attendance = await attendance_rows.load(db)
        for pause, reason, _ in await meta_rows.load_pauses(db):
            self.pauses.append(pause)
            if pause.end_ms is None:
                self.pause_reason = reason
        self.responded = await questionnaire_rows.responded(db)
        self.room_break_key = _room_break_key(self.meta.get("room_break", "0"))

    def start_background(self, ticker: Callable[["Room"], Any]) -> None:
        self.database.start_writer()
        self.answers.start()
        self._tasks.append(asyncio.create_task(ticker(self), name="room-ticker"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass
        self._tasks.clear()
        self.passwords.close()
        await self.answers.stop()
        await self.flush_positions()

    # ------------------------------------------------------------------ reading the state

    @property
    def sitting_state(self) -> str:
        return self.meta.get("sitting_state", "not_open")

    @property
    def late_grace_ms(self) -> int:
        """The grace window for late answers (docs/protocol.md, "Late answers")."""
        try:
            return int(self.meta.get("late_grace_ms", DEFAULT_LATE_GRACE_MS))
        except ValueError:
            return DEFAULT_LATE_GRACE_MS

    @property
    def room_break(self) -> bool:
        return self.room_break_key is not None

    @property
    def paused(self) -> bool:
        return any(pause.end_ms is None for pause in self.pauses)

    def pack_of(self, student: Student) -> TestPack:
        return self.packs[student.language]

    def clock_of(self, student_id: int) -> Clock:
        a = self.attempts[student_id]
        pack = self.pack_of(self.students[student_id])
        return Clock(pack.timing, a.started_ms, a.extra_ms, self.pauses)

    def answered_count(self, student_id: int) -> int:
        student, a = self.students[student_id], self.attempts[student_id]
        items = self.pack_of(student).variant(student.variant).items()
        return sum(1 for item in items if is_answered(item.kind, a.latest.get(item.id, (0, None))[1]))

    def student_of(self, peer: Peer) -> Student | None:
        student_id = self.peer_student.get(id(peer))
        return self.students.get(student_id) if student_id is not None else None

    def student_arg(self, student_id: int) -> Student:
        student = self.students.get(student_id)
        if student is None:
            raise ProtocolError(ErrorCode.NOT_FOUND, f"no student {student_id}")
        return student

    # ------------------------------------------------------------------ changing the state

    async def change_attempt(self, student_id: int, actor: str, kind: str, data: dict | None = None, *,
                             also: list | None = None, apply: Callable[[], None] | None = None,
                             **changes: Any) -> None:
        """Writes attempt fields and their audit entry in one transaction (with `also`, more
        statements that must commit with them); memory changes at the commit (`apply` for
        what is not a plain field); then the proctors are told."""
        now = now_ms()
        statements = list(also or [])
        if changes:
            statements.append(attempt_rows.update(student_id, changes))
        statements.append(audit.entry(now, actor, student_id, kind, data))
        a = self.attempts[student_id]

        def applied() -> None:
            for name, value in changes.items():
                setattr(a, name, bool(value) if name in ("annulled", "questionnaire_done", "offline_at_deadline") else value)
            if apply is not None:
                apply()
            self.mark(student_id)

        # Shares a commit with the other state changes of the moment (a room logging in at
        # once); the memory changes at the commit itself.
        await self.database.write_grouped(statements, applied)
        self.event(now, actor, student_id, kind, data)

    async def record(self, actor: str, student_id: int | None, kind: str, data: dict | None = None, *,
                     also: list | None = None, meta: dict[str, str] | None = None,
                     apply: Callable[[], None] | None = None) -> list[int | None]:
        """A change that is not an attempt's (the room's meta, a pause, an incident...) with
        its audit entry, in one transaction; memory's meta and `apply` change at the commit;
        then the proctors are told. Returns each statement's lastrowid (`also` first)."""
        now = now_ms()
        statements = list(also or []) + [meta_rows.set_meta(k, v) for k, v in (meta or {}).items()]
        statements.append(audit.entry(now, actor, student_id, kind, data))

        def applied() -> None:
            self.meta.update(meta or {})
            if apply is not None:
                apply()

        ids = await self.database.write(statements, applied)
        self.event(now, actor, student_id, kind, data)
        return ids

    def _answer_stored(self, record: AnswerRecord) -> None:
        """Every answer committed to the file, the moment it is (run by the answer writer)."""
        a = self.attempts[record.student_id]
        a.next_seq = max(a.next_seq, record.seq + 1)
        if record.late:
            a.late_answers += 1
        if record.counted:
            latest = a.latest.get(record.item)
            if latest is None or record.seq > latest[0]:
                a.latest[record.item] = (record.seq, record.value)
        self.mark(record.student_id)

    async def flush_positions(self) -> None:
        """Where each student is (item, last seen): written now and then, as losing a second of
        it is harmless."""
        dirty = [a for a in self.attempts.values() if a.position_dirty]
        statements = [attempt_rows.position(a) for a in dirty]
        statements.append(meta_rows.set_meta("alive_ms", str(now_ms())))
        await self.database.write(statements)
        for a in dirty:
            a.position_dirty = False

    # ------------------------------------------------------------------ telling people

    def event(self, at_ms: int, actor: str, student_id: int | None, kind: str, data: dict | None) -> None:
        if not self.proctors or kind == "answer":
            return
        event = p.EventOut(p.EventView(at_ms, actor, student_id, kind, data or {}))
        for proctor in list(self.proctors):
            proctor.send(event)

    def mark(self, student_id: int) -> None:
        self.dirty_seats.add(student_id)

    def mark_all(self) -> None:
        self.dirty_seats.update(self.students)

    def to_student(self, student_id: int, msg: p.Message | None) -> None:
        peer = self.online.get(student_id)
        if peer is not None and msg is not None:
            peer.send(msg)

    def broadcast(self, make: Callable[[int], p.Message | None]) -> None:
        for student_id, peer in list(self.online.items()):
            msg = make(student_id)
            if msg is not None:
                peer.send(msg)

    def to_proctors(self, msg: p.Message) -> None:
        for proctor in list(self.proctors):
            proctor.send(msg)


def _room_break_key(value: str) -> str | None:
    """meta's "room_break": "0" when none is on, else the announcement's number."""
    return None if value in ("", "0") else f"room-{value}"
