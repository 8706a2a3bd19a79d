"""The load benchmark's code path at a tiny scale: it runs and reports every number.
Structure only; the speed is measured by `make bench` and written in docs/benchmarks.md."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
KEYS = ("answers_per_s", "echo_msgs_per_s", "paced_p50_ms", "paced_p99_ms", "start_all_ready_s", "bytes_per_answer",
        "server_rss_mb")


@pytest.mark.timeout(300)
def test_quick_benchmark_runs_at_tiny_scale():
    proc = subprocess.run([sys.executable, "bench/load.py", "--quick", "--json", "--students", "20", "--seconds", "1.5"],
                          cwd=REPO, capture_output=True, text=True, timeout=280)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stdout  # one JSON line and nothing else on stdout
    result = json.loads(lines[0])
    for key in KEYS:
        assert isinstance(result[key], (int, float)) and result[key] > 0, (key, result.get(key))
    assert result["paced_p50_ms"] <= result["paced_p99_ms"]
    assert result["students"] == 20 and result["paced_answers"] > 0
    assert set(result["targets_met"]) >= {"answers_vs_echo", "paced_p99_ms", "start_all_ready_s", "bytes_per_answer",
                                          "server_rss_mb"}


@pytest.mark.timeout(600)
def test_console_benchmark_runs_at_tiny_scale():
    """bench/console.py end to end with 10 students and short phases: every number is there."""
    proc = subprocess.run([sys.executable, "bench/console.py", "--students", "10", "--quick", "--json"],
                          cwd=REPO, capture_output=True, text=True, timeout=580)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stdout
    result = json.loads(lines[0])
    assert result["students"] == 10
    for key in ("idle_cpu_pct", "answering_cpu_pct", "console_rss_mb", "baseline_rss_mb", "key_down_p95_ms",
                "key_sort_p95_ms", "sitting_rss_end_mb"):
        assert isinstance(result[key], (int, float)) and result[key] >= 0, (key, result.get(key))
    assert result["key_down_count"] > 0 and result["sitting_hours_replayed"] > 0.2
    assert set(result["targets_met"]) == {"sitting_growth_mb_per_hour"}
