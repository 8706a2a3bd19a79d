"""Incidents (acts of Annexes 1 and 2, others) and the saved testing protocol form."""

from __future__ import annotations

import json

from .db import Database, Statement


def add(kind: str, student_id: int | None, at_ms: int, fields: dict) -> Statement:
    return ("INSERT INTO incidents (kind, student_id, at_ms, fields) VALUES (?, ?, ?, ?)",
            (kind, student_id, at_ms, json.dumps(fields, ensure_ascii=False)))


async def all_incidents(db: Database) -> list[dict]:
    return [{"id": r["id"], "kind": r["kind"], "student": r["student_id"], "at_ms": r["at_ms"],
             "fields": json.loads(r["fields"])} for r in await db.fetchall("SELECT * FROM incidents ORDER BY id")]


def save_protocol(fields: dict, at_ms: int) -> Statement:
    return ("INSERT OR REPLACE INTO protocol_form (id, fields, saved_ms) VALUES (1, ?, ?)",
            (json.dumps(fields, ensure_ascii=False), at_ms))


async def saved_protocol(db: Database) -> dict:
    row = await db.fetchone("SELECT fields FROM protocol_form WHERE id = 1")
    return json.loads(row["fields"]) if row else {}
