"""DuckDB over the dataset: one view per table, read straight from the Parquet files with
Hive partitioning, so every query the centre runs is SQL that Spark or Trino could run too."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from .dataset import Dataset
from .schema import PARTITION_TYPES, TABLES, full_schema

_SQL_TYPES = {pa.int32(): "INTEGER", pa.string(): "VARCHAR"}


def connect(root: str | Path, *, tables: tuple[str, ...] | None = None, memory_limit: str | None = None,
            threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with a view per table of the dataset at `root`. The identities
    table is left out unless asked for: analysis never needs names."""
    dataset = Dataset(root)
    con = duckdb.connect()
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    for table in tables or tuple(t for t in TABLES if t != "identities"):
        _, parts = TABLES[table]
        if dataset.files(table):
            hive_types = ", ".join(f"'{p}': {_SQL_TYPES[PARTITION_TYPES[p]]}" for p in parts)
            glob = dataset.glob(table).replace("'", "''")
            con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{glob}', hive_partitioning = true, "
                        f"hive_types = {{{hive_types}}}, union_by_name = true)")
        else:
            empty = full_schema(table).empty_table()
            con.register(f"_{table}_empty", empty)
            con.execute(f"CREATE VIEW {table} AS SELECT * FROM _{table}_empty")
    return con


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    """A query's result as dicts (the whole result is fetched, so the connection is free again)."""
    result = con.execute(sql, params or [])
    names = [d[0] for d in result.description]
    return [dict(zip(names, r)) for r in result.fetchall()]


def arrow(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pa.Table:
    relation = con.sql(sql, params=params) if params else con.sql(sql)
    return relation.to_arrow_table()
