"""The room's one SQLite file, through aiosqlite: the connection, its transactions and the
shared commit of small writes.

One long-lived connection does every read and write. WAL with synchronous=FULL: a commit
reaches the disk (the WAL is fsynced) before it returns, so an acknowledged answer survives a
power cut. SQL lives only in this package: the modules beside this one build the statements
of their tables, and `write()` / `write_grouped()` commit them.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from pathlib import Path
from typing import Any, AsyncIterator, Callable

import logging

import aiosqlite

from .schema import DB_NAME, MIGRATIONS

Statement = tuple[str, tuple]
OnCommit = Callable[[], None] | None

log = logging.getLogger("synaq.storage")


def now_ms() -> int:
    return int(time.time() * 1000)


class Database:
    def __init__(self, db: aiosqlite.Connection, path: Path):
        self.db = db
        self.path = path
        self._write_lock = asyncio.Lock()
        self._grouped_queue: asyncio.Queue[tuple[list[Statement], OnCommit, asyncio.Future]] = asyncio.Queue()
        self._grouped_writer: asyncio.Task | None = None

    @classmethod
    async def open(cls, data_dir: Path, *, create: bool = False) -> "Database":
        path = Path(data_dir) / DB_NAME
        if not create and not path.exists():
            raise FileNotFoundError(f"no room in {data_dir} (run 'room-server init' first)")
        # The database, its -wal and -shm are created owner-only: they hold a class's names,
        # IINs, password hashes and answers.
        old_umask = os.umask(0o077)
        try:
            db = await aiosqlite.connect(path, isolation_level=None)
            db.row_factory = aiosqlite.Row
            await db.execute("PRAGMA journal_mode=WAL")
            # FULL: the WAL is fsynced at every commit, so an acknowledged answer is on disk.
            await db.execute("PRAGMA synchronous=FULL")
            await db.execute("PRAGMA foreign_keys=ON")
            await db.execute("PRAGMA busy_timeout=5000")
            # Freed pages are zeroed: a deleted row leaves no trace in the file.
            await db.execute("PRAGMA secure_delete=ON")
            database = cls(db, path)
            await database._migrate()  # the first write makes the -wal and -shm files
        finally:
            os.umask(old_umask)
        for name in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            if name.exists():
                os.chmod(name, 0o600)  # also for a room made before files were kept private
        return database

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
        if self._grouped_writer:
            self._grouped_writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._grouped_writer
        self._grouped_writer = None
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

    async def write(self, statements: list[Statement], on_commit: OnCommit = None) -> list[int | None]:
        """The statements in one transaction of their own; each one's lastrowid. `on_commit`
        runs right after the COMMIT, before anyone else is told it is done."""
        ids = []
        async with self.transaction() as db:
            for sql, params in statements:
                cursor = await db.execute(sql, params)
                ids.append(cursor.lastrowid)
        _applied(on_commit)
        return ids

    async def fetchall(self, sql: str, params: tuple = ()) -> list[aiosqlite.Row]:
        async with self.db.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def fetchone(self, sql: str, params: tuple = ()) -> aiosqlite.Row | None:
        async with self.db.execute(sql, params) as cursor:
            return await cursor.fetchone()

    # --- small writes committed together ---------------------------------------------

    def start_writer(self) -> None:
        if self._grouped_writer is None:
            self._grouped_writer = asyncio.create_task(self._write_grouped(), name="grouped-writer")

    async def write_grouped(self, statements: list[Statement], on_commit: OnCommit = None) -> None:
        """Runs the statements in a transaction shared with whatever other small writes
        arrive meanwhile (500 students logging in at once: a few commits, not 1,500), and
        returns once it is committed. `on_commit` runs in the writer right after the COMMIT:
        the memory it changes follows the file at once, never a moment later (a clock
        computed in between would disagree with the records). Without the writer task, a
        transaction of its own."""
        if self._grouped_writer is None or self._grouped_writer.done():
            await self.write(statements, on_commit)
            return
        future = asyncio.get_running_loop().create_future()
        self._grouped_queue.put_nowait((statements, on_commit, future))
        await future

    async def _write_grouped(self) -> None:
        while True:
            batch = [await self._grouped_queue.get()]
            while not self._grouped_queue.empty() and len(batch) < 500:
                batch.append(self._grouped_queue.get_nowait())
            try:
                async with self.transaction() as db:
                    for statements, _, _ in batch:
                        for sql, params in statements:
                            await db.execute(sql, params)
            except Exception:
                # One bad write must not fail its neighbours: each alone, in order.
                for statements, on_commit, future in batch:
                    try:
                        await self.write(statements, on_commit)
                    except Exception as exc:
                        settle(future, exc)
                    else:
                        settle(future, None)
                continue
            for _, on_commit, _ in batch:
                _applied(on_commit)
            for _, _, future in batch:
                settle(future, None)


def _applied(on_commit: OnCommit) -> None:
    if on_commit is None:
        return
    try:
        on_commit()
    except Exception:  # committed is committed; a failing listener must not hide that
        log.exception("applying a commit")


def settle(future: asyncio.Future, outcome: Any) -> None:
    if future.done():
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)


def _statements(script: str) -> list[str]:
    """Split a migration into statements (no semicolons inside our statements' strings)."""
    cleaned = "\n".join(line.split("--", 1)[0] for line in script.splitlines())
    return [s.strip() for s in cleaned.split(";") if s.strip()]
