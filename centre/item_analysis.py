"""`synaq-centre stats`: the item analysis computed (stats.py) and written out: Parquet tables
and the PDF item report (itemreport.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .itemreport import item_report_pdf
from .stats import compute


def write_parquet(table: pa.Table, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)


def run_stats(dataset: Path, out: Path | None = None, *, year: int | None = None) -> Path:
    out = out or Path(dataset) / "_stats"
    out.mkdir(parents=True, exist_ok=True)
    tables = compute(Path(dataset), year)
    for name, table in tables.items():
        write_parquet(table, out / f"{name}.parquet")
    pdf = item_report_pdf(tables)
    tmp = out / "item-report.pdf.tmp"
    tmp.write_bytes(pdf)
    os.replace(tmp, out / "item-report.pdf")
    return out
