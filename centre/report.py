"""`synaq-centre report`: feedback for every school, its teachers and its parents.

All the figures come from DuckDB in a handful of grouped queries over the whole year
(country, region, school and class at once); the PDFs are then drawn school by school
(feedback_pdf). Who counts: students who sat and whose result was not annulled.

Small groups are never shown: a class, a school or an answer option with fewer than
MIN_GROUP students appears as "fewer than N" (docs/dataset.md, "Feedback").
"""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

from room_server.bundle import safe_name

from .figures import Figures, gather

MIN_GROUP = 10  # the smallest group whose figures a report shows
RESULTS_BOOK = "results.xlsx"  # the sheet `room-server results` writes, for every student of the school


def school_folder(out: Path, school: dict) -> Path:
    return out / school["region"] / f"{school['school_id']}_{safe_name(school['school'] or 'school', max_len=40)}"


def run_reports(dataset: Path, out: Path, *, year: int | None = None, schools: list[str] | None = None,
                min_group: int | None = None, jobs: int | None = None) -> int:
    """Every school's folder; schools are drawn in `jobs` processes (default: one per core)."""
    global _figures
    _figures = gather(Path(dataset), year, schools, min_group or MIN_GROUP)
    work = [(Path(out), school) for school in _figures.schools]
    jobs = min(jobs or os.cpu_count() or 1, len(work)) or 1
    if jobs == 1 or "fork" not in multiprocessing.get_all_start_methods():
        return sum(_one_school(w) for w in work)
    # Forked workers inherit the figures; only a school's row goes to each.
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        return sum(pool.imap_unordered(_one_school, work, chunksize=4))


_figures: Figures | None = None


def _one_school(job: tuple[Path, dict]) -> int:
    from .feedback_pdf import letters_pdf, school_pdf, teacher_pdf
    from .results_book import school_workbook
    out, school = job
    figures = _figures
    folder = school_folder(out, school)
    folder.mkdir(parents=True, exist_ok=True)
    _write(folder / "school-report.pdf", school_pdf(figures, school))
    _write(folder / RESULTS_BOOK, school_workbook(figures, school))
    for grade, class_ in figures.classes.get(school["school_id"], []):
        label = safe_name(class_ or str(grade), max_len=10)
        _write(folder / f"teacher-{label}.pdf", teacher_pdf(figures, school, grade, class_))
        pupils = [p for p in figures.students[school["school_id"]]
                  if p["sat"] and p["grade"] == grade and p["class"] == class_]
        if pupils:
            _write(folder / f"letters-{label}.pdf", letters_pdf(figures, school, pupils))
    return 1


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
