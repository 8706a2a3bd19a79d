"""The dataset read by Apache Spark, unchanged: a real pyspark session (local mode, Java 17)
reads the Parquet folders the centre's ingest wrote and runs the centre's own analysis SQL;
every per-item and per-form figure, and the tables DIF, Rasch and the distractors are
computed from, equal DuckDB's."""

from __future__ import annotations

import math
import shutil

import pytest

from centre.cli import main as centre
from centre.engine import connect, rows
from centre.schema import TABLES
from centre.stats import MATERIALISED, analysis_views, duckdb_views

COMPARED = {  # view -> the columns that identify a row
    "item_stats": ("year", "grade", "language", "variant", "subject", "item"),
    "form_stats": ("year", "grade", "language", "variant", "subject"),
    "item_levels": ("year", "grade", "language", "variant", "subject", "item", "level", "choice"),
    "raw_scores": ("year", "grade", "language", "variant", "subject", "raw"),
}


@pytest.fixture(scope="module")
def spark():
    if shutil.which("java") is None:
        pytest.fail("Java is not installed: apt-get install openjdk-17-jre-headless (.ci/run does)")
    from pyspark.sql import SparkSession
    session = (SparkSession.builder.master("local[2]").appName("synaq-centre-test")
               .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4")
               .config("spark.driver.memory", "1g").config("spark.sql.session.timeZone", "UTC")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def test_spark_reads_the_dataset_and_agrees_with_duckdb(spark, tmp_path):
    sticks, ds = tmp_path / "sticks", tmp_path / "ds"
    assert centre(["simulate", "--out", str(sticks), "--schools", "8", "--seed", "3"]) == 0
    assert centre(["ingest", str(sticks), "--dataset", str(ds), "--quiet",
                   "--key", str(sticks / "centre-key" / "centre.key")]) == 0  # the key pair simulate made

    for table in TABLES:
        folder = str(ds / table)
        spark.read.option("basePath", folder).parquet(folder).createOrReplaceTempView(table)
    # Spark finds the Hive partitions as DuckDB does: years and grades as numbers, regions as text.
    types = dict(spark.table("students").dtypes)
    assert types["year"] == "int" and types["grade"] == "int" and types["region"] == "string"
    assert types["ikt"] == "string"
    counts = spark.sql("SELECT region, COUNT(*) AS n FROM students GROUP BY region ORDER BY region").collect()
    con = connect(ds)
    assert [(r["region"], r["n"]) for r in counts] == [
        (r["region"], r["n"]) for r in rows(con, "SELECT region, COUNT(*) AS n FROM students GROUP BY region ORDER BY region")]

    for name, sql in analysis_views():
        frame = spark.sql(sql)
        (frame.cache() if name in MATERIALISED else frame).createOrReplaceTempView(name)  # as DuckDB keeps them
    duckdb_views(con)
    for view, key in COMPARED.items():
        theirs = {tuple(r[c] for c in key): r.asDict() for r in spark.sql(f"SELECT * FROM {view}").collect()}
        ours = {tuple(r[c] for c in key): r for r in rows(con, f"SELECT * FROM {view}")}
        assert theirs.keys() == ours.keys(), view
        assert len(ours) > 0, view
        for k, mine in ours.items():
            for column, value in mine.items():
                assert _same(value, theirs[k][column]), (view, k, column, value, theirs[k][column])
