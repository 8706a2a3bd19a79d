"""The audit log: the one writer of its rows, and its readers.

Every change of state is written with its audit row in the same transaction, so the log and
the state never disagree.
"""

from __future__ import annotations

import json

from .db import Database, Statement

INSERT = "INSERT INTO audit (at_ms, actor, student_id, kind, data) VALUES (?, ?, ?, ?, ?)"


def entry(at_ms: int, actor: str, student_id: int | None, kind: str, data: dict | None = None) -> Statement:
    return INSERT, (at_ms, actor, student_id, kind, json.dumps(data or {}, ensure_ascii=False))


def rows(entries: list[tuple[int, str, int | None, str, dict | None]]) -> list[tuple]:
    """Parameters for executemany of many entries at once."""
    return [(at, actor, sid, kind, json.dumps(data or {}, ensure_ascii=False)) for at, actor, sid, kind, data in entries]


def _event(r) -> dict:
    try:
        data = json.loads(r["data"])
    except (TypeError, ValueError):
        data = {"raw": r["data"]}
    return {"id": r["id"], "at_ms": r["at_ms"], "actor": r["actor"], "student": r["student_id"],
            "kind": r["kind"], "data": data if isinstance(data, dict) else {"raw": data}}


async def recent(db: Database, student_id: int | None, limit: int, *, skip_kinds: tuple[str, ...] = ()) -> list[dict]:
    """The newest entries first, of one student or of the room."""
    skip = f" AND kind NOT IN ({','.join('?' * len(skip_kinds))})" if skip_kinds else ""
    if student_id is None:
        found = await db.fetchall(f"SELECT * FROM audit WHERE 1 = 1{skip} ORDER BY id DESC LIMIT ?", (*skip_kinds, limit))
    else:
        found = await db.fetchall(f"SELECT * FROM audit WHERE student_id = ?{skip} ORDER BY id DESC LIMIT ?",
                                  (student_id, *skip_kinds, limit))
    return [_event(r) for r in found]


async def last_at_ms(db: Database) -> int | None:
    row = await db.fetchone("SELECT MAX(at_ms) AS at FROM audit")
    return row["at"] if row is not None else None
