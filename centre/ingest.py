"""`synaq-centre ingest`: sticks and bundle folders in, new rows in the dataset.

Each bundle is verified, opened with the centre's private key and read (bundle_reader), then
checked against the dataset: the same bundle again adds nothing (it is already there);
another export of a sitting the dataset holds is a conflict and is refused. Accepted bundles are published in batches, each batch all
at once (dataset.publish), so a crash or a full disk never leaves half a bundle. Refused
bundles go on the quarantine list (`quarantine.csv` beside the tables) with their reason.
"""

from __future__ import annotations

import csv
import hashlib
import multiprocessing
import os
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import pyarrow as pa

from .bundle_reader import BundleRecords, BundleRefused, read_bundle
from .dataset import QUARANTINE, Dataset, partition_path
from .itembank import ItemBank
from .keys import CentreKey
from .regions import region_in_path
from .schema import TABLES

ADDED, ALREADY, REFUSED = "added", "already in the dataset", "refused"
CONFLICTING, DUPLICATE = "conflicting", "duplicate"
BATCH_RESPONSES = 400_000  # responses held in memory before a batch is published
COMPACT_AT = 8  # files in one partition before ingest merges them


@dataclass
class Outcome:
    path: Path
    status: str
    kind: str = ""
    reason: str = ""
    students: int = 0
    bundle_id: str = ""


@dataclass
class IngestReport:
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0
    merged_files: int = 0

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def students(self) -> int:
        return sum(o.students for o in self.outcomes if o.status == ADDED)

    @property
    def refused(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == REFUSED]


def find_bundles(paths: list[str | Path]) -> list[Path]:
    """Bundle folders in what was given: a bundle itself, or a stick (or a folder of sticks)
    holding bundles. A folder named like a bundle (MODO_...) counts even without its manifest:
    a half-copied bundle must be refused, not overlooked."""
    found: list[Path] = []
    for given in map(Path, paths):
        if _looks_like_bundle(given) or not given.is_dir():
            found.append(given)
            continue
        for dirpath, dirs, _files in os.walk(given):
            dirs.sort()
            here = Path(dirpath)
            if here != given and _looks_like_bundle(here):
                found.append(here)
                dirs.clear()
            else:
                dirs[:] = [d for d in dirs if not d.startswith((".", "_"))]
    return found


def _looks_like_bundle(path: Path) -> bool:
    return path.is_dir() and ((path / "manifest.json").exists() or (path / "signature.json").exists()
                              or path.name.startswith("MODO_"))


class _Pending:
    """Accepted bundles not yet published."""

    def __init__(self):
        self.records: list[BundleRecords] = []
        self.items: dict[tuple[int, int], list[dict]] = {}
        self.responses = 0


def ingest(paths: list[str | Path], dataset: Dataset, bank: ItemBank, *, key: CentreKey,
           region: str | None = None, room_keys: set[str] | None = None, progress: bool = False,
           jobs: int | None = None) -> IngestReport:
    """Bundles are verified, opened with the centre's `key` and read in `jobs` processes
    (default: one per core); checking them against the dataset and publishing stay in this
    one, in the order the bundles were found. `room_keys`, when given, are the fingerprints of
    the registered rooms: a bundle signed by another key is refused."""
    report = IngestReport()
    started = time.perf_counter()
    bundles = find_bundles(paths)
    bar = Progress(len(bundles)) if progress and len(bundles) > 1 else None
    with dataset.writer():
        ledger = dataset.read_columns("bundles", ["bundle_id", "sitting_id", "bundle_name"])
        known = set(ledger.column("bundle_id").to_pylist())
        sittings = dict(zip(ledger.column("sitting_id").to_pylist(), ledger.column("bundle_name").to_pylist()))
        items = dataset.read_columns("items", ["year", "grade", "language"])
        have_items = {(int(y), int(g), lang) for y, g, lang in zip(*(items.column(c).to_pylist() for c in items.column_names))}
        pending = _Pending()
        touched: set[str] = set()
        fresh = []
        for path in bundles:  # a bundle already ingested is known by its manifest's hash alone
            seen = _manifest_hash(path)
            if seen is not None and seen in known:
                report.outcomes.append(Outcome(path, ALREADY, DUPLICATE, "this bundle is already in the dataset; "
                                               "nothing added", bundle_id=seen))
                if bar:
                    bar.step()
            else:
                fresh.append(path)
        for path, read in _read_all(fresh, bank, key, region, room_keys, jobs):
            outcome = _accept(path, read, bank, known, sittings, have_items, pending)
            report.outcomes.append(outcome)
            if pending.responses >= BATCH_RESPONSES:
                touched |= _publish(dataset, pending, key)
                pending = _Pending()
            if bar:
                bar.step()
        touched |= _publish(dataset, pending, key)
        if bar:
            bar.done()
        crowded = {f for f in touched if len(list((dataset.root / f).glob("*.parquet"))) >= COMPACT_AT}
        if crowded:
            report.merged_files = dataset.compact(crowded, min_files=COMPACT_AT)
        _quarantine(dataset, report.refused)
    report.seconds = time.perf_counter() - started
    return report


def _manifest_hash(path: Path) -> str | None:
    try:
        return hashlib.sha256((path / "manifest.json").read_bytes()).hexdigest()
    except OSError:
        return None


_reading: tuple | None = None  # (bank, key, region, room_keys) for forked readers


def _read(path: Path) -> BundleRecords | Outcome:
    bank, key, region, room_keys = _reading
    try:
        return read_bundle(path, bank, key=key, region=region or region_in_path(path.resolve().parts),
                           room_keys=room_keys)
    except BundleRefused as refused:
        return Outcome(path, REFUSED, refused.kind, refused.reason)
    except OSError as exc:
        return Outcome(path, REFUSED, "unreadable", f"cannot be read: {exc.strerror or exc}")


def _read_all(bundles: list[Path], bank: ItemBank, key: CentreKey, region: str | None, room_keys: set[str] | None,
              jobs: int | None) -> Iterator[tuple[Path, BundleRecords | Outcome]]:
    global _reading
    _reading = (bank, key, region, room_keys)
    jobs = min(jobs or os.cpu_count() or 1, len(bundles))
    if jobs <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        for path in bundles:
            yield path, _read(path)
        return
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        yield from zip(bundles, pool.imap(_read, bundles, chunksize=2))


def _accept(path: Path, read: BundleRecords | Outcome, bank: ItemBank, known: set[str], sittings: dict[str, str],
            have_items: set, pending: _Pending) -> Outcome:
    if isinstance(read, Outcome):
        return read
    records = read
    if records.bundle_id in known:
        return Outcome(path, ALREADY, DUPLICATE, "this bundle is already in the dataset; nothing added",
                       bundle_id=records.bundle_id)
    if records.sitting_id in sittings:
        return Outcome(path, REFUSED, CONFLICTING,
                       f"another export of the same sitting ({records.sitting_id}) is already in the dataset "
                       f"(bundle {sittings[records.sitting_id]}); a sitting is counted once",
                       bundle_id=records.bundle_id)
    known.add(records.bundle_id)
    sittings[records.sitting_id] = records.manifest.get("bundle", records.bundle_id)
    pending.records.append(records)
    pending.responses += len(records.rows["responses"])
    for language in sorted({s["language"] for s in records.rows["students"]}):
        slot = (records.year, records.grade, language)
        if slot not in have_items:
            have_items.add(slot)
            pending.items.setdefault((records.year, records.grade), []).extend(bank.item_rows(records.grade, language))
    return Outcome(path, ADDED, reason="; ".join(records.notes), students=records.students,
                   bundle_id=records.bundle_id)


def _publish(dataset: Dataset, pending: _Pending, key: CentreKey) -> set[str]:
    """Stages and publishes one batch; returns the partition folders it wrote to."""
    if not pending.records and not pending.items:
        return set()
    now = int(time.time() * 1000)
    grouped: dict[tuple[str, tuple], list[dict]] = defaultdict(list)
    for records in pending.records:
        for row in records.rows["bundles"]:
            row["ingested_at"] = now
            row["ingested_by"] = key.fingerprint
        part = (records.year, records.grade, records.region)
        for table, rows in records.rows.items():
            grouped[(table, part)].extend(rows)
    for (year, grade), rows in pending.items.items():
        grouped[("items", (year, grade))].extend(rows)
    batch = dataset.new_batch()
    touched = set()
    try:
        for (table, part), rows in sorted(grouped.items(), key=lambda kv: (kv[0][0], kv[0][1])):
            if not rows:
                continue
            schema, names = TABLES[table]
            values = dict(zip(names, part))
            dataset.stage(table, values, pa.Table.from_pylist(rows, schema=schema), batch)
            touched.add(f"{table}/{partition_path(values)}")
        dataset.publish(batch)
    except BaseException:
        dataset.discard(batch)
        raise
    return touched


def _quarantine(dataset: Dataset, refused: list[Outcome]) -> None:
    if not refused:
        return
    path = dataset.root / QUARANTINE
    new = not path.exists()
    with open(path, "a", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        if new:
            writer.writerow(["at", "bundle", "kind", "reason"])
        at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        for o in refused:
            writer.writerow([at, str(o.path), o.kind, o.reason])


class Progress:
    """One line on stderr: done/total, rate and time left."""

    def __init__(self, total: int):
        self.total, self.done_count, self.start = total, 0, time.perf_counter()
        self.live = sys.stderr.isatty()

    def step(self) -> None:
        self.done_count += 1
        if self.live and (self.done_count % 5 == 0 or self.done_count == self.total):
            elapsed = time.perf_counter() - self.start
            rate = self.done_count / elapsed if elapsed else 0.0
            width = 30
            filled = int(width * self.done_count / self.total)
            left = (self.total - self.done_count) / rate if rate else 0
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done_count}/{self.total} bundles, "
                             f"{rate:.0f}/s, {left:.0f} s left ")
            sys.stderr.flush()

    def done(self) -> None:
        if self.live:
            sys.stderr.write("\n")
