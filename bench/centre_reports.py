"""Feedback for 500 schools: `synaq-centre report` over a dataset, timed, with a baseline in
the same run: a sample of schools drawn in one process with the whole DejaVu font loaded into
every document (the plain fpdf2 way), against the same sample with the centre's cut font.
Wall time and CPU time are both reported: on a shared machine the CPU seconds say what the
work cost. Gathering the figures (DuckDB over the whole year) is measured apart and taken
out of the per-school drawing costs.

    python bench/centre_reports.py --schools 500                        # its own 30,000 students
    python bench/centre_reports.py --schools 500 --dataset NATIONAL_DS  # over a national year
    python bench/centre_reports.py --schools 20 --sample 4 --json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def cpu_s() -> float:
    """CPU seconds of this process and of its finished children (the drawing processes):
    on a shared machine, what the work cost, whatever else ran beside it."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
sys.path[:0] = [str(REPO), str(REPO / "bench")]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--schools", type=int, default=500)
    parser.add_argument("--sample", type=int, default=25, help="schools in the baseline comparison")
    parser.add_argument("--dataset", help="an existing dataset (else one of schools × 60 students is made)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    import centre_national
    from centre import pdfdoc
    from centre.engine import connect, rows
    from centre.report import run_reports

    with tempfile.TemporaryDirectory(prefix="synaq-bench-") as tmp:
        ds = Path(args.dataset) if args.dataset else Path(tmp) / "ds"
        if not args.dataset:
            centre_national.make(ds, students=args.schools * 60)
        ids = [r["school_id"] for r in rows(connect(ds, tables=("students",)),
                                            f"SELECT DISTINCT school_id FROM students ORDER BY school_id LIMIT {args.schools}")]
        sample = ids[: args.sample]
        cut = pdfdoc.font_file
        pdfdoc.font_file = lambda style: pdfdoc.FONT_DIR / ("DejaVuSans-Bold.ttf" if style == "B" else "DejaVuSans.ttf")
        cpu = cpu_s()
        run_reports(ds, Path(tmp) / "baseline", schools=sample, jobs=1)
        baseline_cpu = cpu_s() - cpu
        pdfdoc.font_file = cut
        cpu = cpu_s()
        run_reports(ds, Path(tmp) / "sample", schools=sample, jobs=1)
        sample_cpu = cpu_s() - cpu
        from centre.report import gather
        cpu, started = cpu_s(), time.perf_counter()
        gather(ds, None, ids, 10)
        gather_cpu, gather_s = cpu_s() - cpu, time.perf_counter() - started
        cpu, started = cpu_s(), time.perf_counter()
        written = run_reports(ds, Path(tmp) / "all", schools=ids)
        all_s, all_cpu = time.perf_counter() - started, cpu_s() - cpu
        pdfs = list((Path(tmp) / "all").rglob("*.pdf"))
        pages = None
        try:
            from pypdf import PdfReader
            pages = sum(len(PdfReader(p).pages) for p in pdfs)
        except ImportError:
            pass
    result = {"schools": written, "pdfs": len(pdfs), "pages": pages, "cpus": os.cpu_count(),
              "all_schools_s": round(all_s, 1), "all_schools_cpu_s": round(all_cpu, 1),
              "gather_s": round(gather_s, 1), "gather_cpu_s": round(gather_cpu, 1),
              "drawing_cpu_s_per_school": round((all_cpu - gather_cpu) / written, 3),
              "sample_schools": len(sample),
              "sample_full_font_cpu_s_per_school": round((baseline_cpu - gather_cpu) / len(sample), 3),
              "sample_cut_font_cpu_s_per_school": round((sample_cpu - gather_cpu) / len(sample), 3),
              "load_average": os.getloadavg()[0]}
    if args.json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print(f"{k:32} {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
