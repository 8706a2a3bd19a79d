"""Questionnaire answers, under pseudonyms that no table joins to a student."""

from __future__ import annotations

from .answers import pack_value
from .db import Database, Statement


def issue_pseudonym(pseudonym: str) -> Statement:
    return "INSERT INTO questionnaire_pseudonyms (pseudonym) VALUES (?)", (pseudonym,)


def answer(pseudonym: str, question: str, value) -> Statement:
    return ("INSERT OR REPLACE INTO questionnaire_answers (pseudonym, question, value) VALUES (?, ?, ?)",
            (pseudonym, question, pack_value(value)))


async def pseudonyms(db: Database) -> set[str]:
    return {r["pseudonym"] for r in await db.fetchall("SELECT pseudonym FROM questionnaire_pseudonyms")}
