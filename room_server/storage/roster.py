"""The room's students and its packs: written once by `room-server init`, then read."""

from __future__ import annotations

import aiosqlite

from ..model import Student
from . import audit
from .db import Database


async def load_students(db: Database) -> list[Student]:
    return [Student(r["id"], r["iin"], r["surname"], r["name"], r["patronymic"], r["grade"], r["class"],
                    r["language"], r["seat"], r["variant"], r["login"], r["ikt"], r["password_hash"])
            for r in await db.fetchall("SELECT * FROM students ORDER BY seat")]


async def load_packs(db: Database) -> list[tuple[str, str]]:
    """(language, folder relative to the room's folder) of each pack."""
    return [(r["language"], r["folder"]) for r in await db.fetchall("SELECT language, folder FROM packs")]


async def create(tx: aiosqlite.Connection, meta: dict[str, str], packs: list[tuple[str, str, str]],
                 students: list[Student], at_ms: int, audit_data: dict) -> list[int]:
    """Fills a new room inside the caller's transaction: meta, packs (language, id, folder),
    students with their attendance and attempt rows, and the audit entry. The students' ids."""
    await tx.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", list(meta.items()))
    await tx.executemany("INSERT INTO packs (language, pack_id, folder) VALUES (?, ?, ?)", packs)
    ids = []
    for s in students:
        cursor = await tx.execute(
            "INSERT INTO students (iin, surname, name, patronymic, grade, class, language, seat, variant,"
            " login, ikt, password_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (s.iin, s.surname, s.name, s.patronymic, s.grade, s.class_name, s.language, s.seat, s.variant,
             s.login, s.ikt, s.password_hash))
        ids.append(cursor.lastrowid)
        await tx.execute("INSERT INTO attendance (student_id) VALUES (?)", (cursor.lastrowid,))
        await tx.execute("INSERT INTO attempts (student_id) VALUES (?)", (cursor.lastrowid,))
    await tx.execute(*audit.entry(at_ms, "server", None, "room_created", audit_data))
    return ids
