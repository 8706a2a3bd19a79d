"""The centre's benchmarks at a tiny scale: each runs and reports its numbers. Structure only;
the speed is measured at full scale and written in docs/benchmarks.md."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def run(*args: str) -> dict:
    proc = subprocess.run([sys.executable, *args, "--json"], cwd=REPO, capture_output=True, text=True, timeout=280)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stdout
    return json.loads(lines[0])


@pytest.mark.timeout(300)
def test_ingest_benchmark():
    result = run("bench/centre_ingest.py", "--schools", "2")
    assert result["bundles"] == 4 and result["students"] > 0
    for key in ("verify_only_bundles_per_s", "ingest_bundles_per_s", "ingest_1_process_bundles_per_s",
                "again_all_duplicates_bundles_per_s", "ingest_students_per_s"):
        assert result[key] > 0, key


@pytest.mark.timeout(300)
def test_item_analysis_benchmark_agrees_with_its_pandas_baseline():
    result = run("bench/centre_stats.py", "--students", "3000")
    assert result["responses"] > 100_000
    assert result["same_items"] and result["max_difference"] < 1e-9
    assert result["dif_c"] == ["A-m2"]  # the planted item, found at this scale too
    assert result["duckdb_s"] > 0 and result["pandas_s"] > 0 and result["duckdb_peak_mb"] > 0


@pytest.mark.timeout(300)
def test_reports_benchmark():
    result = run("bench/centre_reports.py", "--schools", "4", "--sample", "2")
    assert result["schools"] == 4 and result["pdfs"] >= 4 * 3 and result["pages"] >= result["pdfs"]
    assert result["sample_full_font_cpu_s_per_school"] > 0 and result["sample_cut_font_cpu_s_per_school"] > 0
    assert result["all_schools_cpu_s"] > result["gather_cpu_s"] > 0
