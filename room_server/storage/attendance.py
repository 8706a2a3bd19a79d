"""Attendance and login slips, one row per student."""

from __future__ import annotations

from ..model import AttendanceRow
from .db import Database, Statement


def mark(student_id: int, row: AttendanceRow, at_ms: int) -> Statement:
    return ("UPDATE attendance SET present = ?, reason = ?, document = ?, late = ?, updated_ms = ? WHERE student_id = ?",
            (None if row.present is None else int(row.present), row.reason, row.document, int(row.late), at_ms,
             student_id))


def slips(student_id: int, handed: bool, collected: bool, at_ms: int) -> Statement:
    return ("UPDATE attendance SET slip_handed = ?, slip_collected = ?, updated_ms = ? WHERE student_id = ?",
            (int(handed), int(collected), at_ms, student_id))


async def load(db: Database) -> dict[int, AttendanceRow]:
    return {row["student_id"]: AttendanceRow(None if row["present"] is None else bool(row["present"]), row["reason"],
                                             row["document"], bool(row["slip_handed"]), bool(row["slip_collected"]),
                                             bool(row["late"]))
            for row in await db.fetchall("SELECT * FROM attendance")}
