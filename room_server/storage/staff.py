"""Teachers' and principals' questionnaire accounts."""

from __future__ import annotations

from ..model import StaffMember
from .db import Database, Statement


async def load(db: Database) -> list[StaffMember]:
    return [StaffMember(r["id"], r["login"], r["audience"], r["password_hash"], r["questionnaire_started_ms"],
                        r["language"])
            for r in await db.fetchall("SELECT id, login, audience, password_hash, questionnaire_started_ms, language"
                                       " FROM staff ORDER BY id")]


async def newest(db: Database) -> int:
    """The highest account id: more than the room knows means `room-server staff` added some."""
    row = await db.fetchone("SELECT MAX(id) AS id FROM staff")
    return row["id"] or 0


async def logins(db: Database) -> set[str]:
    return {r["login"] for r in await db.fetchall("SELECT login FROM staff")}


def add(login: str, audience: str, password_hash: str, at_ms: int) -> Statement:
    return ("INSERT INTO staff (login, audience, password_hash, created_ms) VALUES (?, ?, ?, ?)",
            (login, audience, password_hash, at_ms))


def opened(staff_id: int, started_ms: int, language: str) -> Statement:
    return "UPDATE staff SET questionnaire_started_ms = ?, language = ? WHERE id = ?", (started_ms, language, staff_id)
