"""The room as its file says it is: room.sqlite read with sqlite3 the way another process
would (one read transaction, so one moment), the room's copy of the packs, the student
computers' journals read back from their disks, and an exported bundle opened as the
analysis centre opens it. What the model-based test compares the clients, the proctor's view
and the export against."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgpack

from content.loader import load_pack
from content.model import TestPack
from content.scoring import score_attempt
from room_client.journal import Journal, journal_path
from room_protocol.rules import is_answered
from room_protocol.seal import open_sealed
from room_server.bundle import SEALED_SUFFIX, sealed_info
from room_server.sitting import Clock, Pause


@dataclass
class AnswerRow:
    seq: int
    item: str
    value: Any
    made_ms: int
    received_ms: int
    counted: bool
    late: bool


@dataclass
class AttemptRow:
    sid: int
    login: str
    language: str
    variant: str
    state: str
    started_ms: int | None
    finished_ms: int | None
    finish_reason: str | None
    result: dict | None  # the sealed result as stored
    offline_at_deadline: bool
    lost_at_ms: int | None
    last_seen_ms: int | None
    journal_key: bytes | None
    answers: list[AnswerRow] = field(default_factory=list)
    extra: list[tuple[int, int]] = field(default_factory=list)  # (at_ms, minutes) of each grant
    sealed_at_ms: int | None = None  # when the result was sealed (from the audit log)

    def latest(self) -> dict[str, Any]:
        """Each item's latest counted value (the highest seq wins)."""
        latest: dict[str, tuple[int, Any]] = {}
        for a in self.answers:
            if a.counted and a.seq > latest.get(a.item, (0, None))[0]:
                latest[a.item] = (a.seq, a.value)
        return {item: value for item, (_, value) in latest.items()}

    def row(self, seq: int) -> AnswerRow | None:
        return next((a for a in self.answers if a.seq == seq), None)


@dataclass
class FileState:
    """Everything the checks read, at one moment."""

    taken_ms: int
    meta: dict[str, str]
    pauses: list[tuple[Pause, str]]
    attempts: dict[int, AttemptRow]
    grace_ms: int

    @property
    def paused(self) -> bool:
        return any(pause.end_ms is None for pause, _ in self.pauses)

    @property
    def closed_ms(self) -> int | None:
        value = self.meta.get("closed_ms")
        return int(value) if value else None


DEFAULT_GRACE_MS = 5 * 60_000


class RoomFile:
    def __init__(self, data: Path):
        self.data = Path(data)
        self._packs: dict[str, TestPack] = {}

    def connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.data / "room.sqlite", timeout=10)
        con.row_factory = sqlite3.Row
        return con

    def read(self) -> FileState:
        con = self.connect()
        try:
            con.execute("BEGIN")  # one read transaction: one moment of the file
            taken = int(time.time() * 1000)
            meta = {r["key"]: r["value"] for r in con.execute("SELECT key, value FROM meta")}
            pauses = [(Pause(r["start_ms"], r["end_ms"]), r["reason"])
                      for r in con.execute("SELECT start_ms, end_ms, reason FROM pauses ORDER BY id")]
            attempts: dict[int, AttemptRow] = {}
            for r in con.execute("SELECT a.*, s.login, s.language, s.variant FROM attempts a "
                                 "JOIN students s ON s.id = a.student_id"):
                attempts[r["student_id"]] = AttemptRow(
                    r["student_id"], r["login"], r["language"], r["variant"], r["state"], r["started_ms"],
                    r["finished_ms"], r["finish_reason"], json.loads(r["result"]) if r["result"] else None,
                    bool(r["offline_at_deadline"]), r["lost_at_ms"], r["last_seen_ms"], r["journal_key"])
            for r in con.execute("SELECT * FROM answers ORDER BY student_id, seq"):
                attempts[r["student_id"]].answers.append(AnswerRow(
                    r["seq"], r["item"], msgpack.unpackb(r["value"], raw=False) if r["value"] is not None else None,
                    r["made_ms"], r["received_ms"], bool(r["counted"]), bool(r["late"])))
            for r in con.execute("SELECT student_id, minutes, at_ms FROM extra_time ORDER BY id"):
                attempts[r["student_id"]].extra.append((r["at_ms"], r["minutes"]))
            for r in con.execute("SELECT student_id, kind, at_ms, data FROM audit WHERE student_id IS NOT NULL "
                                 "AND kind IN ('result_sealed', 'finished') ORDER BY id"):
                a = attempts[r["student_id"]]
                sealing = r["kind"] == "result_sealed" or "total" in json.loads(r["data"] or "{}")
                if sealing and a.sealed_at_ms is None:
                    a.sealed_at_ms = r["at_ms"]
            con.execute("COMMIT")
        finally:
            con.close()
        try:
            grace = int(meta.get("late_grace_ms", DEFAULT_GRACE_MS))
        except ValueError:
            grace = DEFAULT_GRACE_MS
        return FileState(taken, meta, pauses, attempts, grace)

    def pack(self, language: str) -> TestPack:
        """The room's own copy of the pack (what the server scores with)."""
        if language not in self._packs:
            con = self.connect()
            try:
                (folder,) = con.execute("SELECT folder FROM packs WHERE language = ?", (language,)).fetchone()
            finally:
                con.close()
            pack, problems = load_pack(self.data / folder)
            assert pack is not None, problems
            self._packs[language] = pack
        return self._packs[language]

    # --- what the records give ---------------------------------------------------------

    def score(self, a: AttemptRow) -> tuple:
        """The result the file's counted answers give: (total, max_total, per subject)."""
        s = score_attempt(self.pack(a.language), a.variant, a.latest())
        return (round(s.total, 6), round(s.max_total, 6),
                tuple((x.subject, round(x.score, 6), round(x.max_score, 6)) for x in s.subjects))

    def answered(self, a: AttemptRow) -> int:
        items = self.pack(a.language).variant(a.variant).items()
        latest = a.latest()
        return sum(1 for item in items if is_answered(item.kind, latest.get(item.id)))

    def clock(self, a: AttemptRow, f: FileState) -> Clock:
        timing = self.pack(a.language).timing
        extra_ms = sum(minutes for _, minutes in a.extra) * 60_000
        return Clock(timing, a.started_ms, extra_ms, [pause for pause, _ in f.pauses])

    def remaining_ms(self, a: AttemptRow, f: FileState, now_ms: int) -> int:
        return self.clock(a, f).remaining_ms(now_ms)

    def set_times(self, sid: int, shift_ms: int) -> None:
        """Moves the attempt's recorded times (start and last seen) together: time passes for
        this student while no server runs."""
        con = sqlite3.connect(self.data / "room.sqlite", timeout=10)
        try:
            con.execute("UPDATE attempts SET started_ms = started_ms + ?, last_seen_ms = last_seen_ms + ? "
                        "WHERE student_id = ?", (shift_ms, shift_ms, sid))
            con.commit()
        finally:
            con.close()


def sealed_result(a: AttemptRow) -> tuple | None:
    """The stored sealed result in the form `room_world.result_of` gives."""
    r = a.result
    if r is None:
        return None
    return (round(r["total"], 6), round(r["max_total"], 6), r["reason"],
            tuple((s["subject"], round(s["score"], 6), round(s["max_score"], 6)) for s in r["subjects"]))


def journal_on_disk(folder: Path, login: str, key: bytes | None) -> dict[int, dict]:
    """What a computer's journal file holds now (seq -> entry), opened with the attempt's key."""
    path = journal_path(folder, login)
    if key is None or not path.exists():
        return {}
    journal = Journal(path, login)
    journal.unlock(key)
    return {entry["seq"]: entry for entry in journal.pending()}


def exported_answers(bundle: Path) -> dict[tuple[str, int], dict]:
    """The bundle's answers.jsonl (not sealed: it names no one), (login, seq) -> row."""
    rows = {}
    for line in (bundle / "answers.jsonl").read_text("utf-8").splitlines():
        row = json.loads(line)
        rows[(row["login"], row["seq"])] = row
    return rows


def exported_results(bundle: Path, centre_key: bytes) -> dict[str, dict]:
    """The bundle's results.csv as the analysis centre opens it with its key: login -> row."""
    name = "results.csv"
    text = open_sealed(centre_key, (bundle / (name + SEALED_SUFFIX)).read_bytes(), sealed_info(name)).decode("utf-8-sig")
    return {row["login"]: row for row in csv.DictReader(io.StringIO(text), delimiter=";")}
