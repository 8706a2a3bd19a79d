"""The room's own facts (meta: school, sitting state...), its pauses and extra time."""

from __future__ import annotations

from ..sitting import Pause
from .db import Database, Statement


def set_meta(key: str, value: str) -> Statement:
    return "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value)


async def load_meta(db: Database) -> dict[str, str]:
    return {row["key"]: row["value"] for row in await db.fetchall("SELECT key, value FROM meta")}


def start_pause(start_ms: int, reason: str, note: str, end_ms: int | None = None) -> Statement:
    return "INSERT INTO pauses (start_ms, end_ms, reason, note) VALUES (?, ?, ?, ?)", (start_ms, end_ms, reason, note)


def end_pause(end_ms: int) -> Statement:
    return "UPDATE pauses SET end_ms = ? WHERE end_ms IS NULL", (end_ms,)


async def load_pauses(db: Database) -> list[tuple[Pause, str, str]]:
    """Every pause in order, with its reason and note."""
    return [(Pause(r["start_ms"], r["end_ms"]), r["reason"], r["note"])
            for r in await db.fetchall("SELECT * FROM pauses ORDER BY id")]


def add_extra_time(student_id: int, minutes: int, reason: str, at_ms: int) -> Statement:
    return ("INSERT INTO extra_time (student_id, minutes, reason, at_ms) VALUES (?, ?, ?, ?)",
            (student_id, minutes, reason, at_ms))
