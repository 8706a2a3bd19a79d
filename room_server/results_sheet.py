"""The results as an Excel workbook a school (or the centre, per school) opens and reads right.

One writer for both: the room (`room-server results`) makes its rows from its Snapshot, the
centre (`synaq-centre report`, the school's folder) from its dataset, and both hand
`SheetRow`s to `workbook`. IIN and ИКТ are text cells with the Text format (a 12-digit IIN
in a number cell shows as 1,10314E+11, and an ИКТ loses its leading zero); the header row is
frozen and filtered; every subject has its own column; an annulled student's row is marked,
greyed, and has no scores at all, so a SUM or AVERAGE over a column leaves it out; the rows
under the table average each column over the results that count.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from .snapshot import Snapshot

LANGUAGES = ("kk", "ru", "en")
TEXT = "@"  # Excel's Text number format

LABELS = {
    "kk": {"ikt": "ИКТ", "iin": "ЖСН", "surname": "Тегі", "name": "Аты", "patronymic": "Әкесінің аты",
           "class": "Сынып", "language": "Тест тілі", "seat": "Орын", "variant": "Нұсқа", "attendance": "Келуі",
           "state": "Күйі", "annulled": "Нәтиже жойылды", "total": "Барлығы", "max_total": "Ең жоғары балл",
           "percent": "%", "sheet": "Нәтижелер", "average": "Орташа (жойылғандарсыз)",
           "counted": "Есептелген нәтижелер саны", "yes": "иә", "no": "",
           "present": "келді", "absent": "келмеді", "not_marked": "белгіленбеген", "grade": "{grade}-сынып"},
    "ru": {"ikt": "ИКТ", "iin": "ИИН", "surname": "Фамилия", "name": "Имя", "patronymic": "Отчество",
           "class": "Класс", "language": "Язык теста", "seat": "Место", "variant": "Вариант", "attendance": "Явка",
           "state": "Состояние", "annulled": "Аннулирован", "total": "Итого", "max_total": "Максимум",
           "percent": "%", "sheet": "Результаты", "average": "Среднее (без аннулированных)",
           "counted": "Учтено результатов", "yes": "да", "no": "",
           "present": "явился", "absent": "не явился", "not_marked": "не отмечен", "grade": "{grade} класс"},
    "en": {"ikt": "IKT", "iin": "IIN", "surname": "Surname", "name": "Name", "patronymic": "Patronymic",
           "class": "Class", "language": "Test language", "seat": "Seat", "variant": "Variant",
           "attendance": "Attendance", "state": "State", "annulled": "Annulled", "total": "Total",
           "max_total": "Maximum", "percent": "%", "sheet": "Results", "average": "Average (annulled left out)",
           "counted": "Results counted", "yes": "yes", "no": "",
           "present": "present", "absent": "absent", "not_marked": "not marked", "grade": "grade {grade}"},
}
STATES = {
    "kk": {"not_logged_in": "кірмеген", "testing": "тест жүруде", "on_break": "үзіліс", "finished": "аяқтады",
           "questionnaire": "аяқтады", "done": "аяқтады", "removed": "шығарылды"},
    "ru": {"not_logged_in": "не входил", "testing": "идёт тест", "on_break": "перерыв", "finished": "завершил",
           "questionnaire": "завершил", "done": "завершил", "removed": "удалён"},
}


@dataclass(frozen=True)
class SheetRow:
    """One student's row, as the room reads it from its database or the centre from its dataset."""
    ikt: str
    iin: str
    surname: str
    name: str
    patronymic: str
    class_label: str
    language: str
    seat: int | None
    variant: str
    attendance: str  # present, absent or not_marked
    state: str  # the attempt's state (room_protocol.rules.State)
    annulled: bool
    scores: dict[str, int] | None = None  # subject id -> score; None: no result (never started)
    total: int | None = None
    max_total: int | None = None
    percent: float | None = None


def default_language(snap: Snapshot) -> str:
    """The room's one test language, or Kazakh (the state language) for a room with both."""
    return next(iter(snap.packs)) if len(snap.packs) == 1 else "kk"


def subject_titles(snap: Snapshot, language: str) -> list[tuple[str, str]]:
    """(subject id, title) with the titles from the pack in the sheet's language where there is one."""
    pack = snap.packs.get(language)
    own = {s.id: s.title for s in pack.subjects} if pack is not None else {}
    return [(sid, own.get(sid, title)) for sid, title in snap.subject_ids()]


def snapshot_rows(snap: Snapshot) -> list[SheetRow]:
    """The room's students in seat order, each with the result they were shown (or none)."""
    rows = []
    for s in snap.students:
        score = s.score
        rows.append(SheetRow(
            str(s.ikt), str(s.iin), s.surname, s.name, s.patronymic, s.class_label, s.language, s.seat, s.variant,
            s.attendance_status, s.state, s.annulled,
            {x.subject: x.score for x in score.subjects} if score is not None else None,
            score.total if score is not None else None, score.max_total if score is not None else None,
            float(score.percent) if score is not None else None))
    return rows


def results_workbook(snap: Snapshot, language: str | None = None) -> bytes:
    """The room's .xlsx file: one sheet, in `language` or the room's own."""
    language = language if language in LANGUAGES else default_language(snap)
    return workbook([(LABELS[language]["sheet"], snapshot_rows(snap), subject_titles(snap, language))], language)


def grade_sheet_title(grade: int, language: str) -> str:
    """A sheet's name for one grade (the centre's workbook has one sheet per grade)."""
    words = LABELS[language if language in LANGUAGES else "kk"]
    return f"{words['sheet']}, {words['grade'].format(grade=grade)}"


def workbook(sheets: list[tuple[str, list[SheetRow], list[tuple[str, str]]]], language: str) -> bytes:
    """The .xlsx file's bytes: a sheet for each (title, rows, [(subject id, title)])."""
    from openpyxl import Workbook

    language = language if language in LANGUAGES else "kk"
    book = Workbook()
    book.remove(book.active)
    for title, rows, subjects in sheets:
        _fill(book.create_sheet(title[:31]), rows, subjects, language)  # Excel allows 31 characters
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _fill(sheet, rows: list[SheetRow], subjects: list[tuple[str, str]], language: str) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    words = LABELS[language]
    head = [words[k] for k in ("ikt", "iin", "surname", "name", "patronymic", "class", "language", "seat",
                               "variant", "attendance", "state", "annulled")]
    first_score = len(head) + 1
    head += [title for _, title in subjects] + [words["total"], words["max_total"], words["percent"]]
    sheet.append(head)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    grey = PatternFill("solid", start_color="D9D9D9")
    for r in rows:
        sheet.append(_row(r, subjects, language))
        row = sheet.max_row
        for column in (1, 2):  # ИКТ and IIN: text, and typed-over values stay text
            sheet.cell(row, column).number_format = TEXT
        sheet.cell(row, len(head)).number_format = "0.0"
        if r.annulled:
            for cell in sheet[row]:
                cell.fill = grey
    last = sheet.max_row
    summary = last + 2
    sheet.cell(summary, 3, words["average"]).font = Font(bold=True)
    sheet.cell(summary + 1, 3, words["counted"]).font = Font(bold=True)
    for column in range(first_score, len(head) + 1):
        letter = get_column_letter(column)
        if last >= 2:
            sheet.cell(summary, column, f"=IFERROR(AVERAGE({letter}2:{letter}{last}),\"\")").number_format = "0.0"
            sheet.cell(summary + 1, column, f"=COUNT({letter}2:{letter}{last})")
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(head))}{last}"
    widths = [10, 14, 18, 14, 18, 7, 8, 6, 8, 12, 12, 12] + [12] * (len(subjects) + 3)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def _row(r: SheetRow, subjects: list[tuple[str, str]], language: str) -> list:
    words = LABELS[language]
    state = STATES.get(language, {}).get(r.state, r.state)
    row = [r.ikt, r.iin, r.surname, r.name, r.patronymic, r.class_label, r.language, r.seat, r.variant,
           words.get(r.attendance, r.attendance), state, words["yes"] if r.annulled else words["no"]]
    if r.scores is None or r.annulled:  # no result, or one that does not count: no numbers to add up
        return row + [None] * (len(subjects) + 3)
    return row + [r.scores.get(sid) for sid, _ in subjects] + [
        r.total, r.max_total, round(r.percent, 1) if r.percent is not None else None]
