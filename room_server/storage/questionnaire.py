"""Questionnaires: the room's copy of each file, and the sealed responses (one per
respondent; the room keeps whether one came, never what it says)."""

from __future__ import annotations

import aiosqlite

from .db import Database, Statement


def respondent(student_id: int) -> str:
    return f"student:{student_id}"


def add_response(who: str, audience: str, questionnaire: str, sealed: bytes, at_ms: int) -> Statement:
    # No OR REPLACE: a second response for the same respondent fails the primary key.
    return ("INSERT INTO questionnaire_responses (respondent, audience, questionnaire, sealed, submitted_ms)"
            " VALUES (?, ?, ?, ?, ?)", (who, audience, questionnaire, sealed, at_ms))


async def responded(db: Database) -> set[str]:
    return {r["respondent"] for r in await db.fetchall("SELECT respondent FROM questionnaire_responses")}


async def files(db: Database) -> list[tuple[str, str, str]]:
    """(audience, language, file relative to the room's folder) of each questionnaire."""
    return [(r["audience"], r["language"], r["file"])
            for r in await db.fetchall("SELECT audience, language, file FROM questionnaires")]


async def add_files(tx: aiosqlite.Connection, rows: list[tuple[str, str, str]]) -> None:
    await tx.executemany("INSERT INTO questionnaires (audience, language, file) VALUES (?, ?, ?)", rows)
