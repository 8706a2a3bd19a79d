"""The school's results workbook in its report folder: the very sheet `room-server results`
writes (room_server.results_sheet: IIN and ИКТ as text, the header frozen, annulled rows
marked and out of every total, a column per subject), in the school's language, with one
sheet per grade. Its rows come from the dataset: every registered student of the school, in
the order the rooms seated them; the scores are the ones the centre computed from the answers
(ingest refuses a bundle whose room scored otherwise), the percent rounded as the room rounds it."""

from __future__ import annotations

from content.scoring import percent_of
from room_server.results_sheet import SheetRow, grade_sheet_title, workbook

from .figures import Figures


def school_workbook(f: Figures, school: dict) -> bytes:
    language = school["language"]
    people = f.students.get(school["school_id"], [])
    sheets = []
    for grade in school["grades"]:
        mine = sorted((p for p in people if p["grade"] == grade),
                      key=lambda p: (p["sitting_id"], p["seat"] is None, p["seat"] or 0, p["ikt"]))
        subjects = [(s, f.subject_title(grade, s, language)) for s in f.subjects.get(grade, [])]
        sheets.append((grade_sheet_title(grade, language), [sheet_row(p) for p in mine], subjects))
    return workbook(sheets, language)


def sheet_row(p: dict) -> SheetRow:
    """A student of the dataset as a row of the sheet: a result only for one who sat."""
    sat = p["sat"] and p["total_score"] is not None
    return SheetRow(
        p["ikt"], p["iin"] or "", p["surname"] or "", p["name"] or "", p["patronymic"] or "", p["class"] or "",
        p["language"] or "", p["seat"], p["variant"] or "", p["attendance"] or "", p["state"] or "",
        bool(p["annulled"]),
        {subject: row["score"] for subject, row in p["scores"].items()} if sat else None,
        p["total_score"] if sat else None, p["max_total"] if sat else None,
        percent_of(p["total_score"], p["max_total"] or 0) if sat else None)  # as the room rounds it
