"""National-scale item analysis: DuckDB (the centre's way) against pandas (the baseline), in
one run, on one dataset written by bench/centre_national.py.

Each engine runs in a fresh child process, so its time and its peak resident memory are its
own. DuckDB runs the whole of `synaq-centre stats`' computation (the SQL, then alpha, DIF,
Rasch and flags); pandas computes the same per-item and per-form figures (the part DuckDB does
in SQL) from the same Parquet files, the efficient pandas way (only the needed columns,
strings as categories, integer join keys); the two are then compared figure by figure.

    python bench/centre_stats.py --students 420000          # the national run
    python bench/centre_stats.py --students 20000 --json    # a quick one
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "bench")]

FORM = ["year", "grade", "language", "variant", "subject"]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KB


def run_duckdb(ds: Path, memory_limit: str) -> dict:
    from centre.stats import compute
    started = time.perf_counter()
    tables = compute(ds, memory_limit=memory_limit)
    seconds = time.perf_counter() - started
    stats = tables["item_stats"].to_pylist()
    return {"seconds": seconds, "peak_mb": peak_mb(), "items": len(stats),
            "figures": {"|".join(str(s[c]) for c in FORM + ["item"]): [s["n"], s["p_value"], s["omit_rate"], s["item_rest"],
                                                                       s["upper_lower"]] for s in stats},
            "alpha": {"|".join(str(f[c]) for c in FORM): f["alpha"] for f in tables["forms"].to_pylist()},
            "dif_c": sorted({s["item"] for s in stats if (s["ets"] or "").startswith("C")})}


def run_pandas(ds: Path) -> dict:
    import numpy as np
    import pandas as pd
    import pyarrow.parquet as pq
    started = time.perf_counter()
    students = pq.read_table(ds / "students", columns=["sitting_id", "ikt", "sat", "annulled"]).to_pandas()
    students = students[students.sat & ~students.annulled]
    sittings = pd.Index(students.sitting_id.astype(str).unique())
    students["key"] = sittings.get_indexer(students.sitting_id.astype(str)).astype(np.int64) * 10**7 + students.ikt.astype(int)
    r = pq.read_table(ds / "responses", columns=["year", "grade", "region", "sitting_id", "ikt", "language", "variant",
                                                 "subject", "item", "score", "max_score", "answered", "correct"],
                      read_dictionary=["sitting_id", "ikt", "language", "variant", "subject", "item"]).to_pandas()
    r["key"] = (sittings.get_indexer(r.sitting_id.cat.categories)[r.sitting_id.cat.codes].astype(np.int64) * 10**7
                + r.ikt.cat.categories.astype(int).to_numpy()[r.ikt.cat.codes])
    r = r[r.key.isin(students.key)]
    for c in ("year", "grade"):
        r[c] = r[c].astype(int)
    per = r.groupby(FORM + ["key"], observed=True).agg(total=("score", "sum"), max_total=("max_score", "sum"))
    per = per.reset_index().sort_values(FORM + ["total", "key"])
    per["place"] = per.groupby(FORM, observed=True).cumcount() + 1
    per["n_form"] = per.groupby(FORM, observed=True)["key"].transform("size")
    per["band"] = np.where(100 * per.place <= 27 * per.n_form, "lower", np.where(100 * per.place > 73 * per.n_form, "upper", "middle"))
    r = r.merge(per[FORM + ["key", "total", "band"]], on=FORM + ["key"])
    r["score_f"] = r.score.astype(float)
    r["rest"] = (r.total - r.score).astype(float)
    r["upper"] = r.score_f.where(r.band == "upper")
    r["lower"] = r.score_f.where(r.band == "lower")
    g = r.groupby(FORM + ["item"], observed=True)
    stats = pd.DataFrame({"n": g.size(), "mean": g.score_f.mean(), "max": g.max_score.max(),
                          "answered": g.answered.mean(), "upper": g.upper.mean(), "lower": g.lower.mean(),
                          "var": g.score_f.var()})
    stats["item_rest"] = g[["score_f", "rest"]].corr().xs("score_f", level=-1)["rest"]
    stats["p_value"] = stats["mean"] / stats["max"]
    stats["omit_rate"] = 1 - stats["answered"]
    stats["upper_lower"] = (stats.upper - stats.lower) / stats["max"]
    totals_var = per.groupby(FORM, observed=True).total.var()
    items = stats.groupby(level=FORM, observed=True).agg(k=("var", "size"), item_var=("var", "sum"))
    alpha = items.k / (items.k - 1) * (1 - items.item_var / totals_var)
    seconds = time.perf_counter() - started
    figures = {"|".join(str(x) for x in idx): [int(row.n), row.p_value, row.omit_rate, row.item_rest, row.upper_lower]
               for idx, row in stats.iterrows()}
    return {"seconds": seconds, "peak_mb": peak_mb(), "items": len(stats), "figures": figures,
            "alpha": {"|".join(str(x) for x in idx): v for idx, v in alpha.items()}}


def child(phase: str, ds: Path, memory_limit: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--phase", phase, "--dataset", str(ds), "--memory-limit", memory_limit],
                         capture_output=True, text=True, cwd=REPO)
    if out.returncode != 0:
        raise SystemExit(f"{phase} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=420_000)
    parser.add_argument("--items-per-subject", type=int, default=20)
    parser.add_argument("--dataset", help="reuse (or keep) the dataset here")
    parser.add_argument("--memory-limit", default="3GB", help="DuckDB's memory limit")
    parser.add_argument("--phase", choices=["duckdb", "pandas"], help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.phase:
        result = run_duckdb(Path(args.dataset), args.memory_limit) if args.phase == "duckdb" else run_pandas(Path(args.dataset))
        print(json.dumps(result))
        return 0
    import centre_national
    with tempfile.TemporaryDirectory(prefix="synaq-bench-") as tmp:
        ds = Path(args.dataset or Path(tmp) / "ds")
        made = None
        started = time.perf_counter()
        if not (ds / "responses").exists():
            made = centre_national.make(ds, students=args.students, items_per_subject=args.items_per_subject)
        generate_s = time.perf_counter() - started
        duck = child("duckdb", ds, args.memory_limit)
        panda = child("pandas", ds, args.memory_limit)
        worst = 0.0
        for key, ours in duck["figures"].items():
            theirs = panda["figures"][key]
            for a, b in zip(ours, theirs):
                if a is not None and b is not None and b == b:
                    worst = max(worst, abs(a - b))
        for key, a in duck["alpha"].items():
            worst = max(worst, abs(a - panda["alpha"][key]))
        result = {"students": made["students"] if made else None, "responses": made["responses"] if made else None,
                  "generate_s": round(generate_s, 1), "duckdb_s": round(duck["seconds"], 1),
                  "duckdb_peak_mb": round(duck["peak_mb"]), "pandas_s": round(panda["seconds"], 1),
                  "pandas_peak_mb": round(panda["peak_mb"]), "items": duck["items"],
                  "same_items": duck["figures"].keys() == panda["figures"].keys(), "max_difference": worst,
                  "dif_c": duck["dif_c"], "parquet_mb": round(sum(p.stat().st_size for p in ds.rglob("*.parquet")) / 1e6)}
    if args.json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print(f"{k:16} {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
