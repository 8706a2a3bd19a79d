"""The room's one SQLite file, through aiosqlite.

One long-lived connection does every read and write; writes go through `transaction()`.
WAL with synchronous=FULL: a commit reaches the disk (the WAL is fsynced) before it
returns, so an acknowledged answer survives a power cut. Answers go through a group commit:
answers that arrive together share one transaction and are acknowledged after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, AsyncIterator

import aiosqlite
import msgpack

DB_NAME = "room.sqlite"

# Ordered migrations; PRAGMA user_version says how many have run.
MIGRATIONS: list[str] = [
    # 1: the room, its roster, attempts, answers, the audit log
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE packs (
        language TEXT PRIMARY KEY,
        pack_id TEXT NOT NULL,
        folder TEXT NOT NULL            -- relative to the room's data folder
    );
    CREATE TABLE students (
        id INTEGER PRIMARY KEY,
        iin TEXT NOT NULL UNIQUE,
        surname TEXT NOT NULL,
        name TEXT NOT NULL,
        patronymic TEXT NOT NULL DEFAULT '',
        grade INTEGER NOT NULL,
        class TEXT NOT NULL,
        language TEXT NOT NULL,
        seat INTEGER NOT NULL UNIQUE,
        variant TEXT NOT NULL,
        login TEXT NOT NULL UNIQUE,
        ikt TEXT NOT NULL UNIQUE,        -- individual test-taker code
        password_hash TEXT NOT NULL      -- scrypt$n$r$p$salt$hash; the clear password is never stored
    );
    CREATE TABLE attendance (
        student_id INTEGER PRIMARY KEY REFERENCES students(id),
        present INTEGER,                 -- NULL: not marked yet
        reason TEXT NOT NULL DEFAULT '',
        document TEXT NOT NULL DEFAULT '',
        slip_handed INTEGER NOT NULL DEFAULT 0,
        slip_collected INTEGER NOT NULL DEFAULT 0,
        updated_ms INTEGER
    );
    CREATE TABLE attempts (
        student_id INTEGER PRIMARY KEY REFERENCES students(id),
        state TEXT NOT NULL DEFAULT 'not_logged_in',
        device TEXT,
        data_mistake TEXT,               -- the student's report, until the proctor clears it
        started_ms INTEGER,
        extra_ms INTEGER NOT NULL DEFAULT 0,
        subject_index INTEGER NOT NULL DEFAULT 0,
        closed_subjects TEXT NOT NULL DEFAULT '[]',
        current_item TEXT,
        break_slots TEXT NOT NULL DEFAULT '[]',
        break_started_ms INTEGER,        -- set while on break
        finished_ms INTEGER,
        finish_reason TEXT,              -- finished | time_over | removed
        annulled INTEGER NOT NULL DEFAULT 0,
        journal_key BLOB,
        questionnaire_started_ms INTEGER,
        questionnaire_done INTEGER NOT NULL DEFAULT 0,
        last_seen_ms INTEGER
    );
    CREATE TABLE answers (
        student_id INTEGER NOT NULL REFERENCES students(id),
        seq INTEGER NOT NULL,            -- numbered by the client; a replay is not a new row
        item TEXT NOT NULL,
        value BLOB,                      -- msgpack
        made_ms INTEGER NOT NULL,        -- attempt time when made (the client's monotonic clock)
        received_ms INTEGER NOT NULL,    -- server time when committed
        counted INTEGER NOT NULL DEFAULT 1,
        PRIMARY KEY (student_id, seq)
    ) WITHOUT ROWID;
    CREATE INDEX answers_by_item ON answers(student_id, item, seq);
    CREATE TABLE pauses (
        id INTEGER PRIMARY KEY,
        start_ms INTEGER NOT NULL,
        end_ms INTEGER,
        reason TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE extra_time (
        id INTEGER PRIMARY KEY,
        student_id INTEGER NOT NULL REFERENCES students(id),
        minutes INTEGER NOT NULL,
        reason TEXT NOT NULL,
        at_ms INTEGER NOT NULL
    );
    CREATE TABLE incidents (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,              -- annex1 | annex2 | other
        student_id INTEGER REFERENCES students(id),
        at_ms INTEGER NOT NULL,
        fields TEXT NOT NULL             -- JSON: the act's fields
    );
    -- Questionnaire answers under a random pseudonym: no student id, no time, no rowid
    -- order, so nothing joins them back to a student.
    CREATE TABLE questionnaire_answers (
        pseudonym TEXT NOT NULL,
        question TEXT NOT NULL,
        value BLOB,
        PRIMARY KEY (pseudonym, question)
    ) WITHOUT ROWID;
    CREATE TABLE questionnaire_pseudonyms (pseudonym TEXT PRIMARY KEY) WITHOUT ROWID;
    CREATE TABLE protocol_form (id INTEGER PRIMARY KEY CHECK (id = 1), fields TEXT NOT NULL, saved_ms INTEGER NOT NULL);
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at_ms INTEGER NOT NULL,
        actor TEXT NOT NULL,             -- student login, "proctor" or "server"
        student_id INTEGER,
        kind TEXT NOT NULL,
        data TEXT NOT NULL DEFAULT '{}'  -- JSON
    );
    CREATE INDEX audit_by_student ON audit(student_id, id);
    """,
    # 2: whether the student's app was cut off from the server when time ran out, which
    # decides whether answers it sends later can count (see sitting.late_answer_counts)
    """
    ALTER TABLE attempts ADD COLUMN offline_at_deadline INTEGER NOT NULL DEFAULT 0;
    """,
]


def now_ms() -> int:
    return int(time.time() * 1000)


def pack_value(value: Any) -> bytes:
    return msgpack.packb(value, use_bin_type=True)


def unpack_value(blob: bytes | None) -> Any:
    return None if blob is None else msgpack.unpackb(blob, raw=False)


@dataclass
class AnswerRecord:
    student_id: int
    seq: int
    item: str
    value: Any
    made_ms: int
    counted: bool
    actor: str  # the student's login, for the audit log


class Storage:
    def __init__(self, db: aiosqlite.Connection, path: Path):
        self.db = db
        self.path = path
        self._write_lock = asyncio.Lock()
        self._answer_queue: asyncio.Queue[tuple[AnswerRecord, asyncio.Future]] = asyncio.Queue()
        self._writer: asyncio.Task | None = None
        self._grouped_queue: asyncio.Queue[tuple[list[tuple[str, tuple]], asyncio.Future]] = asyncio.Queue()
        self._grouped_writer: asyncio.Task | None = None
        self.commits = 0  # transactions committed by the group commit (for the benchmark)

    @classmethod
    async def open(cls, data_dir: Path, *, create: bool = False) -> "Storage":
        path = Path(data_dir) / DB_NAME
        if not create and not path.exists():
            raise FileNotFoundError(f"no room in {data_dir} (run 'room-server init' first)")
        db = await aiosqlite.connect(path, isolation_level=None)
        db.row_factory = aiosqlite.Row
        await db.execute("PRAGMA journal_mode=WAL")
        # FULL: the WAL is fsynced at every commit, so an acknowledged answer is on disk.
        await db.execute("PRAGMA synchronous=FULL")
        await db.execute("PRAGMA foreign_keys=ON")
        await db.execute("PRAGMA busy_timeout=5000")
        storage = cls(db, path)
        await storage._migrate()
        return storage

    async def _migrate(self) -> None:
        (version,) = await (await self.db.execute("PRAGMA user_version")).fetchone()
        if version > len(MIGRATIONS):
            raise RuntimeError(f"{self.path} was made by a newer Synaq (schema {version})")
        for index in range(version, len(MIGRATIONS)):
            async with self.transaction() as db:
                for statement in _statements(MIGRATIONS[index]):
                    await db.execute(statement)
                await db.execute(f"PRAGMA user_version={index + 1}")

    async def close(self) -> None:
        for task in (self._writer, self._grouped_writer):
            if task:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._writer = self._grouped_writer = None
        await self.db.close()

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction at a time; committed (and on disk) when the block ends."""
        async with self._write_lock:
            try:
                if self.db.in_transaction:  # left open by a task cancelled mid-ROLLBACK
                    await self._statement("ROLLBACK")
                await self._statement("BEGIN IMMEDIATE")
                yield self.db
                await self._statement("COMMIT")
            except BaseException:
                if self.db.in_transaction:
                    await self._statement("ROLLBACK")
                raise

    async def _statement(self, sql: str) -> None:
        """BEGIN, COMMIT or ROLLBACK, always run to its end: a task cancelled while one of
        them waits in aiosqlite's queue must not leave SQLite in a state the next writer
        does not expect (a BEGIN that runs after the lock was released)."""
        statement = asyncio.ensure_future(self.db.execute(sql))
        try:
            await asyncio.shield(statement)
        except asyncio.CancelledError:
            await asyncio.wait([statement])
            raise

    async def audit(self, db: aiosqlite.Connection, at_ms: int, actor: str, student_id: int | None, kind: str, data: dict | None = None) -> int:
        cursor = await db.execute(
            "INSERT INTO audit (at_ms, actor, student_id, kind, data) VALUES (?, ?, ?, ?, ?)",
            (at_ms, actor, student_id, kind, json.dumps(data or {}, ensure_ascii=False)),
        )
        return cursor.lastrowid

    async def fetchall(self, sql: str, params: tuple = ()) -> list[aiosqlite.Row]:
        async with self.db.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def fetchone(self, sql: str, params: tuple = ()) -> aiosqlite.Row | None:
        async with self.db.execute(sql, params) as cursor:
            return await cursor.fetchone()

    async def meta(self) -> dict[str, str]:
        return {row["key"]: row["value"] for row in await self.fetchall("SELECT key, value FROM meta")}

    # --- the group commit -----------------------------------------------------------

    def start_writer(self) -> None:
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_answers(), name="answer-writer")
        if self._grouped_writer is None:
            self._grouped_writer = asyncio.create_task(self._write_grouped(), name="grouped-writer")

    async def write_grouped(self, statements: list[tuple[str, tuple]]) -> None:
        """Runs the statements in a transaction shared with whatever other small writes
        arrive meanwhile (500 students logging in at once: a few commits, not 1,500), and
        returns once it is committed. Without the writer task, a transaction of its own."""
        if self._grouped_writer is None or self._grouped_writer.done():
            async with self.transaction() as db:
                for sql, params in statements:
                    await db.execute(sql, params)
            return
        future = asyncio.get_running_loop().create_future()
        self._grouped_queue.put_nowait((statements, future))
        await future

    async def _write_grouped(self) -> None:
        while True:
            batch = [await self._grouped_queue.get()]
            while not self._grouped_queue.empty() and len(batch) < 500:
                batch.append(self._grouped_queue.get_nowait())
            try:
                async with self.transaction() as db:
                    for statements, _ in batch:
                        for sql, params in statements:
                            await db.execute(sql, params)
            except Exception:
                # One bad write must not fail its neighbours: each alone, in order.
                for statements, future in batch:
                    try:
                        async with self.transaction() as db:
                            for sql, params in statements:
                                await db.execute(sql, params)
                    except Exception as exc:
                        if not future.done():
                            future.set_exception(exc)
                    else:
                        if not future.done():
                            future.set_result(None)
                continue
            for _, future in batch:
                if not future.done():
                    future.set_result(None)

    async def save_answer(self, record: AnswerRecord) -> bool:
        """Resolves once the answer is committed to disk. True if new, False if a replay."""
        future = asyncio.get_running_loop().create_future()
        await self._answer_queue.put((record, future))
        return await future

    async def _write_answers(self) -> None:
        while True:
            batch = [await self._answer_queue.get()]
            # Everything that arrived meanwhile shares this transaction.
            while not self._answer_queue.empty() and len(batch) < 1000:
                batch.append(self._answer_queue.get_nowait())
            try:
                results = await self._commit_answers([record for record, _ in batch])
            except Exception as exc:  # the disk failed, or one record cannot be stored
                if len(batch) == 1:  # nobody is told "saved"
                    if not batch[0][1].done():
                        batch[0][1].set_exception(exc)
                    continue
                # One bad record must not fail its neighbours: each alone, in order.
                for record, future in batch:
                    try:
                        (is_new,) = await self._commit_answers([record])
                    except Exception as one_exc:
                        if not future.done():
                            future.set_exception(one_exc)
                    else:
                        if not future.done():
                            future.set_result(is_new)
                continue
            for (_, future), is_new in zip(batch, results):
                if not future.done():
                    future.set_result(is_new)

    async def _commit_answers(self, records: list[AnswerRecord]) -> list[bool]:
        received = now_ms()
        results = []
        async with self.transaction() as db:
            # A few round trips to SQLite's thread per batch, not two per answer: which of
            # them are replays, then every new answer and its audit row in one go each.
            existing: set[tuple[int, int]] = set()
            for start in range(0, len(records), 400):
                chunk = records[start:start + 400]
                params = [x for r in chunk for x in (r.student_id, r.seq)]
                # A join with the VALUES list, not "(student_id, seq) IN (VALUES ...)": SQLite
                # scans the whole table for the IN form, but searches the key for the join.
                rows = await db.execute_fetchall(
                    "SELECT a.student_id, a.seq FROM (VALUES " + ",".join("(?, ?)" for _ in chunk)
                    + ") v JOIN answers a ON a.student_id = v.column1 AND a.seq = v.column2", params)
                existing.update((row[0], row[1]) for row in rows)
            new = []
            for r in records:
                is_new = (r.student_id, r.seq) not in existing
                existing.add((r.student_id, r.seq))  # the same answer twice in one batch: once
                results.append(is_new)
                if is_new:
                    new.append(r)
            if new:
                await db.executemany(
                    "INSERT INTO answers (student_id, seq, item, value, made_ms, received_ms, counted)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [(r.student_id, r.seq, r.item, pack_value(r.value), r.made_ms, received, int(r.counted)) for r in new])
                await db.executemany(
                    "INSERT INTO audit (at_ms, actor, student_id, kind, data) VALUES (?, ?, ?, 'answer', ?)",
                    [(received, r.actor, r.student_id, json.dumps({"seq": r.seq, "item": r.item, "counted": r.counted},
                                                                  ensure_ascii=False)) for r in new])
        self.commits += 1
        return results

    async def latest_answers(self, student_id: int, counted_only: bool = False) -> dict[str, Any]:
        """Each item's latest answer: the one with the highest client number wins."""
        sql = (
            "SELECT a.item, a.value FROM answers a JOIN ("
            " SELECT item, MAX(seq) AS seq FROM answers WHERE student_id = ?"
            + (" AND counted = 1" if counted_only else "")
            + " GROUP BY item) m ON a.item = m.item AND a.seq = m.seq WHERE a.student_id = ?"
        )
        rows = await self.fetchall(sql, (student_id, student_id))
        return {row["item"]: unpack_value(row["value"]) for row in rows}


def _statements(script: str) -> list[str]:
    """Split a migration into statements (no semicolons inside our statements' strings)."""
    cleaned = "\n".join(line.split("--", 1)[0] for line in script.splitlines())
    return [s.strip() for s in cleaned.split(";") if s.strip()]
