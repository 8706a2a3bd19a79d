"""The dataset on disk: one folder per table, Hive partitions, Parquet files written with an
explicit schema, published all at once or not at all.

Publishing: every file of a batch is written under `_staging/<batch>/`, flushed and fsynced;
then `_staging/<batch>/COMMIT` lists the moves and deletions the batch makes; only then are
the files moved into place (a rename within one file system). A crash before COMMIT leaves
only staging files, removed at the next open; a crash after it is finished at the next open
(every step can be done twice). Readers never see half a batch once a writer has finished.
One writer at a time: `.lock` is held while a writer works.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from room_server.drives import fsync_dir  # a rename made durable, as the room writes its sticks

from .schema import PARTITIONS, TABLES

STAGING = "_staging"
COMMIT = "COMMIT"
LOCK = ".lock"
QUARANTINE = "quarantine.csv"
ROW_GROUP = 256 * 1024  # rows per row group: large enough for scans, small enough for memory
TARGET_FILE_BYTES = 128 * 1024 * 1024  # compaction merges small files up to about this size


class DatasetError(Exception):
    """The dataset cannot be opened or written; the message says why."""


def partition_path(values: dict) -> str:
    return "/".join(f"{name}={values[name]}" for name in PARTITIONS if name in values)


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())


class Dataset:
    def __init__(self, root: str | Path):
        self.root = Path(root)

    # ---------------------------------------------------------------- reading

    def files(self, table: str) -> list[Path]:
        folder = self.root / table
        return sorted(folder.rglob("*.parquet")) if folder.is_dir() else []

    def glob(self, table: str) -> str:
        return (self.root / table).as_posix() + "/**/*.parquet"

    def read_columns(self, table: str, columns: list[str]) -> pa.Table:
        """Some columns of a whole table (partition columns included), for small look-ups."""
        schema, parts = TABLES[table]
        tables = []
        for path in self.files(table):
            stored = [c for c in columns if c not in parts]
            t = pq.read_table(path, columns=stored)
            values = dict(p.split("=", 1) for p in path.relative_to(self.root / table).parts[:-1])
            for c in columns:
                if c in parts:
                    t = t.append_column(c, pa.array([values[c]] * t.num_rows, pa.string()))
            tables.append(t.select(columns))
        if not tables:
            return pa.table({c: pa.array([], pa.string()) for c in columns})
        return pa.concat_tables(tables, promote_options="permissive")

    # ---------------------------------------------------------------- writing

    @contextmanager
    def writer(self) -> Iterator["Dataset"]:
        """Holds the dataset's lock, finishing or removing whatever a crashed writer left."""
        self.root.mkdir(parents=True, exist_ok=True)
        handle = open(self.root / LOCK, "a+b")
        try:
            _lock(handle, self.root)
            self.recover()
            yield self
        finally:
            _unlock(handle)
            handle.close()

    def recover(self) -> None:
        staging = self.root / STAGING
        if not staging.is_dir():
            return
        for batch in sorted(staging.iterdir()):
            if (batch / COMMIT).is_file():
                self._apply(batch)
            shutil.rmtree(batch, ignore_errors=True)

    def stage(self, table: str, partition: dict, data: pa.Table, batch: "Batch") -> None:
        schema, parts = TABLES[table]
        data = data.select(schema.names).cast(schema)
        rel = f"{table}/{partition_path({k: partition[k] for k in parts})}/part-{batch.id}-{len(batch.moves):04d}.parquet"
        target = batch.folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(data, target, row_group_size=ROW_GROUP, compression="zstd", write_statistics=True)
        _fsync_file(target)
        batch.moves.append(rel)

    def publish(self, batch: "Batch") -> None:
        """Makes every staged file visible, and removes the files the batch replaces."""
        if not batch.moves and not batch.deletes:
            shutil.rmtree(batch.folder, ignore_errors=True)
            return
        self.commit(batch)
        self._apply(batch.folder)
        shutil.rmtree(batch.folder, ignore_errors=True)

    def commit(self, batch: "Batch") -> None:
        """The point of no return: once COMMIT is on disk the batch will be published, by this
        writer or by the next one to open the dataset."""
        for rel in batch.moves:
            fsync_dir((batch.folder / rel).parent)
        commit = batch.folder / COMMIT
        tmp = commit.with_suffix(".tmp")
        tmp.write_text(json.dumps({"moves": batch.moves, "deletes": batch.deletes}), encoding="utf-8")
        _fsync_file(tmp)
        os.replace(tmp, commit)
        fsync_dir(batch.folder)

    def _apply(self, folder: Path) -> None:
        plan = json.loads((folder / COMMIT).read_text(encoding="utf-8"))
        for rel in plan["moves"]:
            source, target = folder / rel, self.root / rel
            if source.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(source, target)
                fsync_dir(target.parent)
        for rel in plan["deletes"]:
            try:
                (self.root / rel).unlink()
            except FileNotFoundError:
                pass

    def new_batch(self) -> "Batch":
        batch = Batch(uuid.uuid4().hex[:16], self.root / STAGING)
        batch.folder.mkdir(parents=True)
        return batch

    def discard(self, batch: "Batch") -> None:
        shutil.rmtree(batch.folder, ignore_errors=True)

    # ---------------------------------------------------------------- compaction

    def compact(self, folders: set[str] | None = None, *, min_files: int = 2) -> int:
        """Merges the small files of each partition folder (e.g. "students/year=2027/grade=9/
        region=KZ-ALM") into files of about TARGET_FILE_BYTES; `folders` limits which. Returns
        how many files were merged away."""
        removed = 0
        for table in TABLES:
            for folder in sorted({p.parent for p in self.files(table)}):
                if folders is not None and folder.relative_to(self.root).as_posix() not in folders:
                    continue
                small = sorted(p for p in folder.glob("*.parquet") if p.stat().st_size < TARGET_FILE_BYTES // 2)
                if len(small) >= max(2, min_files):
                    removed += self._merge(table, folder, small)
        return removed

    def _merge(self, table: str, folder: Path, files: list[Path]) -> int:
        schema, _parts = TABLES[table]
        batch = self.new_batch()
        try:
            groups, size = [[]], 0
            for path in files:
                if groups[-1] and size + path.stat().st_size > TARGET_FILE_BYTES:
                    groups.append([])
                    size = 0
                groups[-1].append(path)
                size += path.stat().st_size
            for group in groups:
                if len(group) < 2:
                    continue
                rel = f"{folder.relative_to(self.root).as_posix()}/part-{batch.id}-{len(batch.moves):04d}.parquet"
                target = batch.folder / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                with pq.ParquetWriter(target, schema, compression="zstd") as out:
                    for path in group:
                        out.write_table(pq.read_table(path, schema=schema), row_group_size=ROW_GROUP)
                _fsync_file(target)
                batch.moves.append(rel)
                batch.deletes.extend(p.relative_to(self.root).as_posix() for p in group)
            self.publish(batch)
        except BaseException:
            self.discard(batch)
            raise
        return len(batch.deletes)


class Batch:
    def __init__(self, batch_id: str, staging: Path):
        self.id = batch_id
        self.folder = staging / batch_id
        self.moves: list[str] = []
        self.deletes: list[str] = []


def _lock(handle, root: Path) -> None:
    try:
        if sys.platform == "win32":
            import msvcrt
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            import fcntl
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        raise DatasetError(f"another ingest or compaction is writing {root} now; wait for it to finish") from None


def _unlock(handle) -> None:
    try:
        if sys.platform == "win32":
            import msvcrt
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            import fcntl
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    except OSError:
        pass
