"""One consistent picture of the room, read for paperwork and export.

Everything is read in ONE read transaction on a separate read-only SQLite connection. The
room's database is in WAL mode, so that transaction sees the database exactly as it was at
its first read, however many answers the live server commits meanwhile: the exported results,
answers, attendance, incidents and audit log all describe the same moment. It needs no running
server, so it works as well after a restart or with the server stopped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from content.loader import load_pack
from content.model import TestPack
from content.scoring import AttemptScore, SubjectScore, is_answered, score_attempt
from room_protocol.rules import AFTER_TEST, State, is_present
from room_protocol.protocol_form import typed_fields

from .model import Person
from .sitting import DEFAULT_LATE_GRACE_MS
from .storage import unpack_value
from .storage.attempts import parse_result
from .storage.readonly import ReadError, read_tables



class SnapshotError(Exception):
    """The room cannot be read; the message says what and where."""


@dataclass
class StudentRecord(Person):
    attendance: dict
    attempt: dict
    answers: list[dict] = field(default_factory=list)  # every answer row, in the client's order (seq)
    latest: dict[str, Any] = field(default_factory=dict)  # item -> the latest counted answer
    latest_seq: dict[str, int] = field(default_factory=dict)  # item -> the seq of that answer
    score: AttemptScore | None = None

    @property
    def state(self) -> str:
        return self.attempt.get("state") or State.NOT_LOGGED_IN

    @property
    def annulled(self) -> bool:
        return bool(self.attempt.get("annulled"))

    @property
    def attendance_status(self) -> str:
        """present, absent or not_marked — counted as the protocol's pre-fill counts them:
        a student who logged in is present even if nobody ticked them."""
        marked = self.attendance.get("present")
        if marked is False:
            return "absent"
        if is_present(marked, self.attempt.get("device") is not None):
            return "present"
        return "not_marked"

    @property
    def sat(self) -> bool:
        """Whether the student started the test (has results to report)."""
        return bool(self.attempt.get("started_ms"))


@dataclass
class Snapshot:
    data_dir: Path
    taken_ms: int
    meta: dict[str, str]
    packs: dict[str, TestPack]  # language -> pack
    students: list[StudentRecord]  # in seat order
    incidents: list[dict]
    pauses: list[dict]
    extra_time: list[dict]
    questionnaire: list[dict]  # {audience, questionnaire, sealed}: no respondent, no time
    protocol_saved: dict
    protocol_saved_ms: int | None
    audit: list[dict]

    def student(self, student_id: int | None) -> StudentRecord | None:
        for s in self.students:
            if s.id == student_id:
                return s
        return None

    @property
    def centre_key(self) -> bytes:
        """The analysis centre's public key the room seals to (from its questionnaires)."""
        import base64
        return base64.b64decode(self.meta.get("centre_key", ""))

    @property
    def late_grace_minutes(self) -> float:
        try:
            return int(self.meta.get("late_grace_ms", DEFAULT_LATE_GRACE_MS)) / 60_000
        except ValueError:
            return DEFAULT_LATE_GRACE_MS / 60_000

    @property
    def school(self) -> str:
        return self.meta.get("school", "")

    @property
    def room(self) -> str:
        return self.meta.get("room", "")

    @property
    def sitting(self) -> str:
        return self.meta.get("sitting", "")

    @property
    def grade(self) -> str:
        return self.meta.get("grade", "")

    @property
    def opened_ms(self) -> int | None:
        return _int(self.meta.get("opened_ms"))

    @property
    def closed_ms(self) -> int | None:
        return _int(self.meta.get("closed_ms"))

    @property
    def sitting_state(self) -> str:
        return self.meta.get("sitting_state", "not_open")

    @property
    def date_ms(self) -> int:
        """The sitting's day: when it opened, else when the room was made, else now."""
        return self.opened_ms or _int(self.meta.get("created_ms")) or self.taken_ms

    def subject_ids(self) -> list[tuple[str, str]]:
        """(id, title) of every subject across the room's packs, in pack order, once each."""
        seen: dict[str, str] = {}
        for language in sorted(self.packs):
            for subject in self.packs[language].subjects:
                seen.setdefault(subject.id, subject.title)
        return list(seen.items())

    def prefill(self) -> dict:
        """The testing protocol's facts from the records (as RoomService.protocol_prefill)."""
        statuses = [s.attendance_status for s in self.students]
        return {
            "school": self.school, "room": self.room, "sitting": self.sitting, "grade": self.grade,
            "start_ms": self.opened_ms, "end_ms": self.closed_ms,
            "registered": len(self.students), "present": statuses.count("present"),
            "absent": statuses.count("absent"),
            "late": sum(1 for s in self.students if s.attendance.get("late")),
            "finished": sum(1 for s in self.students if s.state in AFTER_TEST),
            "removed": sum(1 for s in self.students if s.state == State.REMOVED and s.attempt.get("device")),
            "not_admitted": sum(1 for s in self.students if s.state == State.REMOVED and not s.attempt.get("device")),
            "incidents": [{"id": i["id"], "kind": i["kind"], "student": i["student_id"]} for i in self.incidents],
            "pauses": [{k: p[k] for k in ("start_ms", "end_ms", "reason", "note")} for p in self.pauses],
            "slips_handed": sum(1 for s in self.students if s.attendance.get("slip_handed")),
            "slips_collected": sum(1 for s in self.students if s.attendance.get("slip_collected")),
        }

    def protocol_fields(self) -> dict:
        """The records' facts, recomputed now, and what the administrator typed; a saved count
        never stands in for the records (protocol_form)."""
        merged = self.prefill()
        merged.update(typed_fields(self.protocol_saved))
        return merged


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def read_snapshot(data_dir: str | Path) -> Snapshot:
    """Reads the whole room at one moment. Blocking: call it in a worker thread from the server."""
    data_dir = Path(data_dir)
    try:
        rows, taken_ms = read_tables(data_dir)
    except ReadError as exc:
        raise SnapshotError(str(exc)) from None

    meta = {r["key"]: r["value"] for r in rows["meta"]}
    packs: dict[str, TestPack] = {}
    for r in rows["packs"]:
        pack, problems = load_pack(data_dir / r["folder"])
        if pack is None:
            first = str(problems[0]) if problems else "not a test pack"
            raise SnapshotError(f"the room's copy of the {r['language']} pack ({data_dir / r['folder']}) is damaged: {first}")
        packs[r["language"]] = pack

    attendance = {r["student_id"]: r for r in rows["attendance"]}
    attempts = {r["student_id"]: r for r in rows["attempts"]}
    students: list[StudentRecord] = []
    by_id: dict[int, StudentRecord] = {}
    for r in rows["students"]:
        att = dict(attendance.get(r["id"], {}))
        if att.get("present") is not None:
            att["present"] = bool(att["present"])
        s = StudentRecord(r["id"], r["iin"], r["surname"], r["name"], r["patronymic"] or "", r["grade"], r["class"],
                          r["language"], r["seat"], r["variant"], r["login"], r["ikt"], att,
                          dict(attempts.get(r["id"], {})))
        students.append(s)
        by_id[s.id] = s
    for r in rows["answers"]:
        s = by_id.get(r["student_id"])
        if s is None:
            continue
        value = unpack_value(r["value"])
        s.answers.append({"seq": r["seq"], "item": r["item"], "value": value, "made_ms": r["made_ms"],
                          "received_ms": r["received_ms"], "counted": bool(r["counted"]), "late": bool(r["late"])})
        if r["counted"] and r["seq"] >= s.latest_seq.get(r["item"], 0):
            s.latest[r["item"]] = value
            s.latest_seq[r["item"]] = r["seq"]
    for s in students:
        pack = packs.get(s.language)
        sealed = parse_result(s.attempt.get("result"))
        if sealed is not None:  # the result the student was shown, never recomputed
            s.score = AttemptScore([SubjectScore(x.subject, x.title, x.score, x.max_score) for x in sealed.subjects],
                                   sealed.total, sealed.max_total, sealed.percent)
        elif pack is not None and s.sat:  # still testing (or in its grace window): as it stands now
            try:
                s.score = score_attempt(pack, s.variant, s.latest)
            except KeyError:
                s.score = None

    incidents = []
    for r in rows["incidents"]:
        try:
            fields = json.loads(r["fields"])
        except (TypeError, ValueError):
            fields = {"raw": r["fields"]}
        incidents.append({"id": r["id"], "kind": r["kind"], "student_id": r["student_id"], "at_ms": r["at_ms"],
                          "fields": fields if isinstance(fields, dict) else {"raw": fields}})
    audit = []
    for r in rows["audit"]:
        try:
            data = json.loads(r["data"])
        except (TypeError, ValueError):
            data = {"raw": r["data"]}
        audit.append({"id": r["id"], "at_ms": r["at_ms"], "actor": r["actor"], "student_id": r["student_id"],
                      "kind": r["kind"], "data": data})
    saved = rows["protocol_form"][0] if rows["protocol_form"] else None
    protocol_saved = {}
    if saved:
        try:
            protocol_saved = json.loads(saved["fields"])
        except (TypeError, ValueError):
            protocol_saved = {}
    # Sealed responses without their respondent: the bundle must not tell who wrote which.
    questionnaire = [{"audience": r["audience"], "questionnaire": r["questionnaire"], "sealed": r["sealed"]}
                     for r in rows["questionnaire_responses"]]
    return Snapshot(data_dir, taken_ms, meta, packs, students, incidents, rows["pauses"], rows["extra_time"],
                    questionnaire, protocol_saved if isinstance(protocol_saved, dict) else {},
                    saved["saved_ms"] if saved else None, audit)


def answered_count(s: StudentRecord, pack: TestPack) -> tuple[int, int]:
    """(answered, total) items of the student's variant."""
    try:
        items = pack.variant(s.variant).items()
    except KeyError:
        return 0, 0
    return sum(1 for item in items if is_answered(item, s.latest.get(item.id))), len(items)


def local_time(ms: int | None, fmt: str = "%d.%m.%Y %H:%M") -> str:
    """A time as the school reads it: the laptop's local time."""
    if not ms:
        return ""
    return datetime.fromtimestamp(ms / 1000).astimezone().strftime(fmt)


def iso_time(ms: int | None) -> str:
    """An ISO 8601 time with the local offset (what QTI's xs:dateTime and the JSON files use)."""
    if not ms:
        return ""
    return datetime.fromtimestamp(ms / 1000).astimezone().isoformat(timespec="milliseconds")
