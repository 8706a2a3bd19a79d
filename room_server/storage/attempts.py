"""The attempts table: one row per student, the state of their test."""

from __future__ import annotations

import json
from typing import Any

from room_protocol import ResultView, from_wire

from ..model import Attempt
from .db import Database, Statement

_JSON_LISTS = ("closed_subjects", "break_slots")
_BOOLS = ("annulled", "questionnaire_done", "offline_at_deadline")
COLUMNS = frozenset({"state", "device", "data_mistake", "started_ms", "extra_ms", "subject_index", "closed_subjects",
                     "current_item", "break_slots", "break_started_ms", "finished_ms", "finish_reason", "annulled",
                     "journal_key", "questionnaire_started_ms", "questionnaire_done", "last_seen_ms",
                     "offline_at_deadline", "result", "lost_at_ms"})


def _column_value(name: str, value: Any) -> Any:
    if name in _JSON_LISTS:
        return json.dumps(list(value))
    if name in _BOOLS:
        return int(bool(value))
    if name == "result":
        return None if value is None else json.dumps(value.to_wire(), ensure_ascii=False)
    return value


def update(student_id: int, changes: dict[str, Any]) -> Statement:
    unknown = set(changes) - COLUMNS
    if unknown:
        raise ValueError(f"not attempt columns: {sorted(unknown)}")
    columns = ", ".join(f"{name} = ?" for name in changes)
    values = [_column_value(name, value) for name, value in changes.items()]
    return f"UPDATE attempts SET {columns} WHERE student_id = ?", (*values, student_id)


def add_extra_time(student_id: int, ms: int) -> Statement:
    """Extra time adds to what is there (two grants at once never lose one)."""
    return "UPDATE attempts SET extra_ms = extra_ms + ? WHERE student_id = ?", (ms, student_id)


def position(attempt: Attempt) -> Statement:
    return ("UPDATE attempts SET current_item = ?, last_seen_ms = ? WHERE student_id = ?",
            (attempt.current_item, attempt.last_seen_ms, attempt.student_id))


def parse_result(text: str | None) -> ResultView | None:
    if not text:
        return None
    return from_wire(ResultView, json.loads(text))


async def load(db: Database) -> dict[int, Attempt]:
    attempts = {}
    for row in await db.fetchall("SELECT * FROM attempts"):
        a = Attempt(row["student_id"], row["state"], row["device"], row["data_mistake"], row["started_ms"],
                    row["extra_ms"], row["subject_index"], json.loads(row["closed_subjects"]), row["current_item"],
                    json.loads(row["break_slots"]), row["break_started_ms"], row["finished_ms"],
                    row["finish_reason"], bool(row["annulled"]), row["journal_key"],
                    row["questionnaire_started_ms"], bool(row["questionnaire_done"]), row["last_seen_ms"],
                    bool(row["offline_at_deadline"]), parse_result(row["result"]), row["lost_at_ms"])
        a.offline_since_ms = row["last_seen_ms"]
        attempts[a.student_id] = a
    return attempts
