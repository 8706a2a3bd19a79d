"""The whole room read at one moment, on a separate read-only connection.

Everything is read in ONE read transaction. The database is in WAL mode, so that transaction
sees it exactly as it was at its first read, however many answers the live server commits
meanwhile. It needs no running server.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from .schema import DB_NAME

TABLES = (("meta", "key"), ("packs", "language"), ("students", "seat"), ("attendance", "student_id"),
          ("attempts", "student_id"), ("answers", "student_id, seq"), ("pauses", "id"), ("extra_time", "id"),
          ("incidents", "id"), ("questionnaire_responses", "respondent"), ("questionnaires", "audience, language"),
          ("protocol_form", "id"),
          ("audit", "id"))


class ReadError(Exception):
    """The room's database cannot be read; the message says what and where."""


def _connect(path: Path) -> sqlite3.Connection:
    if not path.exists():
        raise ReadError(f"no room database at {path}")
    uri = "file:" + path.resolve().as_posix().replace("?", "%3f").replace("#", "%23") + "?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=10)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA busy_timeout=10000")
    except sqlite3.Error as exc:
        raise ReadError(f"the room database {path} cannot be opened: {exc}") from None
    return conn


def read_tables(data_dir: Path) -> tuple[dict[str, list[dict]], int]:
    """Every table's rows at one moment, and that moment (ms). Blocking."""
    conn = _connect(Path(data_dir) / DB_NAME)
    try:
        conn.execute("BEGIN")  # a read transaction: every SELECT below sees one snapshot
        rows = {table: [dict(r) for r in conn.execute(f"SELECT * FROM {table} ORDER BY {order}")]
                for table, order in TABLES}
        taken_ms = int(time.time() * 1000)
        conn.execute("COMMIT")
        return rows, taken_ms
    except sqlite3.Error as exc:
        raise ReadError(f"the room database in {data_dir} cannot be read: {exc}") from None
    finally:
        conn.close()


def room_facts(data_dir: Path) -> dict:
    """What a day of streams needs to know of one stream's room without opening it: its
    logins (students' and staff slips'), ИКТ, IINs, grade, languages, state and size. Blocking."""
    conn = _connect(Path(data_dir) / DB_NAME)
    try:
        conn.execute("BEGIN")
        meta = {r["key"]: r["value"] for r in conn.execute("SELECT key, value FROM meta")}
        students = conn.execute("SELECT login, ikt, iin, language FROM students").fetchall()
        staff = [r["login"] for r in conn.execute("SELECT login FROM staff")]
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        raise ReadError(f"the room database in {data_dir} cannot be read: {exc}") from None
    finally:
        conn.close()
    return {"logins": [r["login"] for r in students] + staff, "ikts": [r["ikt"] for r in students],
            "iins": [r["iin"] for r in students],
            "grade": int(meta.get("grade") or 0), "state": meta.get("sitting_state", "not_open"),
            "languages": sorted({r["language"] for r in students}), "students": len(students)}
