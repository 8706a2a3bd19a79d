"""Answers: the group commit that acknowledges them only once on disk, and their loading.

Answers that arrive together share one transaction; each caller's future resolves after the
COMMIT (WAL fsynced). A replay of a (student, seq) already stored is not stored again.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Callable

import msgpack

from . import audit
from .db import Database, settle, now_ms

log = logging.getLogger("synaq.storage")


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
    late: bool = False  # counted although it arrived after the deadline


@dataclass(frozen=True)
class Stored:
    """What the file holds for an answer's (student, seq) after the commit."""

    is_new: bool
    item: str
    value: Any
    counted: bool


class AnswerWriter:
    """`on_stored(record)` runs for every new answer right after its commit, inside the
    writer: the room's memory follows the file whatever happens to the connection that sent
    the answer (a client gone mid-commit cannot leave the file ahead of the memory)."""

    def __init__(self, database: Database, on_stored: Callable[[AnswerRecord], None] = lambda record: None):
        self.database = database
        self.on_stored = on_stored
        self._queue: asyncio.Queue[tuple[AnswerRecord, asyncio.Future]] = asyncio.Queue()
        self._task: asyncio.Task | None = None
        self._pending: set[asyncio.Future] = set()
        self.commits = 0  # transactions committed (for the benchmark)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="answer-writer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def save(self, record: AnswerRecord) -> Stored:
        """Resolves once the answer is committed to disk, with what the file now holds for
        its (student, seq): this answer if new, else the earlier one under that number."""
        future = asyncio.get_running_loop().create_future()
        self._pending.add(future)
        future.add_done_callback(self._pending.discard)
        await self._queue.put((record, future))
        return await future

    async def settled(self) -> None:
        """Until every answer queued so far is committed (or refused) and in the room's memory:
        a result computed after this counts every answer that arrived before it."""
        if self._pending:
            await asyncio.wait(list(self._pending))

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            # Everything that arrived meanwhile shares this transaction.
            while not self._queue.empty() and len(batch) < 1000:
                batch.append(self._queue.get_nowait())
            try:
                results = await self._commit([record for record, _ in batch])
            except Exception as exc:  # the disk failed, or one record cannot be stored
                if len(batch) == 1:  # nobody is told "saved"
                    settle(batch[0][1], exc)
                    continue
                # One bad record must not fail its neighbours: each alone, in order.
                for record, future in batch:
                    try:
                        (stored,) = await self._commit([record])
                    except Exception as one_exc:
                        settle(future, one_exc)
                    else:
                        settle(future, stored)
                continue
            for (_, future), stored in zip(batch, results):
                settle(future, stored)

    async def _commit(self, records: list[AnswerRecord]) -> list[Stored]:
        received = now_ms()
        results: list[Stored] = []
        async with self.database.transaction() as db:
            # A few round trips to SQLite's thread per batch, not two per answer: which of
            # them are replays, then every new answer and its audit row in one go each.
            existing: dict[tuple[int, int], Stored] = {}
            for start in range(0, len(records), 400):
                chunk = records[start:start + 400]
                params = [x for r in chunk for x in (r.student_id, r.seq)]
                # A join with the VALUES list, not "(student_id, seq) IN (VALUES ...)": SQLite
                # scans the whole table for the IN form, but searches the key for the join.
                rows = await db.execute_fetchall(
                    "SELECT a.student_id, a.seq, a.item, a.value, a.counted FROM (VALUES "
                    + ",".join("(?, ?)" for _ in chunk)
                    + ") v JOIN answers a ON a.student_id = v.column1 AND a.seq = v.column2", params)
                for row in rows:
                    existing[(row[0], row[1])] = Stored(False, row[2], unpack_value(row[3]), bool(row[4]))
            new: list[AnswerRecord] = []
            for r in records:
                key = (r.student_id, r.seq)
                if key in existing:
                    results.append(existing[key])
                    continue
                existing[key] = Stored(False, r.item, r.value, r.counted)  # the same answer twice in one batch: once
                results.append(Stored(True, r.item, r.value, r.counted))
                new.append(r)
            if new:
                await db.executemany(
                    "INSERT INTO answers (student_id, seq, item, value, made_ms, received_ms, counted, late)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [(r.student_id, r.seq, r.item, pack_value(r.value), r.made_ms, received, int(r.counted),
                      int(r.late)) for r in new])
                await db.executemany(audit.INSERT, audit.rows(
                    [(received, r.actor, r.student_id, "answer",
                      {"seq": r.seq, "item": r.item, "counted": r.counted, **({"late": True} if r.late else {})})
                     for r in new]))
        self.commits += 1
        for r in new:
            try:
                self.on_stored(r)
            except Exception:  # the answer is on disk; a failing listener must not hide that
                log.exception("applying a stored answer")
        return results


async def latest_counted(db: Database) -> list[tuple[int, str, int, Any]]:
    """(student, item, seq, value) of each item's latest counted answer."""
    rows = await db.fetchall(
        "SELECT a.student_id, a.item, a.seq, a.value FROM answers a JOIN ("
        " SELECT student_id, item, MAX(seq) AS seq FROM answers WHERE counted = 1 GROUP BY student_id, item) m"
        " ON a.student_id = m.student_id AND a.item = m.item AND a.seq = m.seq")
    return [(r["student_id"], r["item"], r["seq"], unpack_value(r["value"])) for r in rows]


async def highest_seqs(db: Database) -> dict[int, int]:
    rows = await db.fetchall("SELECT student_id, MAX(seq) AS seq FROM answers GROUP BY student_id")
    return {r["student_id"]: r["seq"] for r in rows}


async def late_counts(db: Database) -> dict[int, int]:
    rows = await db.fetchall("SELECT student_id, COUNT(*) AS n FROM answers WHERE late = 1 GROUP BY student_id")
    return {r["student_id"]: r["n"] for r in rows}


async def latest_made_before(db: Database, student_id: int, seq: int) -> int | None:
    """The latest `made_ms` among the student's stored answers numbered below `seq`."""
    row = await db.fetchone("SELECT MAX(made_ms) AS made FROM answers WHERE student_id = ? AND seq < ?",
                            (student_id, seq))
    return row["made"] if row is not None else None
