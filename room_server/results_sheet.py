"""The results as an Excel workbook a school (or the centre, per school) opens and reads right.

Built from one Snapshot, so the room (`room-server results`) and the centre's per-school
folder make the same sheet. IIN and ИКТ are text cells with the Text format (a 12-digit IIN
in a number cell shows as 1,10314E+11, and an ИКТ loses its leading zero); the header row is
frozen and filtered; every subject has its own column; an annulled student's row is marked,
greyed, and has no scores at all, so a SUM or AVERAGE over a column leaves it out; the rows
under the table average each column over the results that count.
"""

from __future__ import annotations

import io

from .snapshot import Snapshot, StudentRecord

LANGUAGES = ("kk", "ru", "en")
TEXT = "@"  # Excel's Text number format

LABELS = {
    "kk": {"ikt": "ИКТ", "iin": "ЖСН", "surname": "Тегі", "name": "Аты", "patronymic": "Әкесінің аты",
           "class": "Сынып", "language": "Тест тілі", "seat": "Орын", "variant": "Нұсқа", "attendance": "Келуі",
           "state": "Күйі", "annulled": "Нәтиже жойылды", "total": "Барлығы", "max_total": "Ең жоғары балл",
           "percent": "%", "sheet": "Нәтижелер", "average": "Орташа (жойылғандарсыз)",
           "counted": "Есептелген нәтижелер саны", "yes": "иә", "no": "",
           "present": "келді", "absent": "келмеді", "not_marked": "белгіленбеген"},
    "ru": {"ikt": "ИКТ", "iin": "ИИН", "surname": "Фамилия", "name": "Имя", "patronymic": "Отчество",
           "class": "Класс", "language": "Язык теста", "seat": "Место", "variant": "Вариант", "attendance": "Явка",
           "state": "Состояние", "annulled": "Аннулирован", "total": "Итого", "max_total": "Максимум",
           "percent": "%", "sheet": "Результаты", "average": "Среднее (без аннулированных)",
           "counted": "Учтено результатов", "yes": "да", "no": "",
           "present": "явился", "absent": "не явился", "not_marked": "не отмечен"},
    "en": {"ikt": "IKT", "iin": "IIN", "surname": "Surname", "name": "Name", "patronymic": "Patronymic",
           "class": "Class", "language": "Test language", "seat": "Seat", "variant": "Variant",
           "attendance": "Attendance", "state": "State", "annulled": "Annulled", "total": "Total",
           "max_total": "Maximum", "percent": "%", "sheet": "Results", "average": "Average (annulled left out)",
           "counted": "Results counted", "yes": "yes", "no": "",
           "present": "present", "absent": "absent", "not_marked": "not marked"},
}
STATES = {
    "kk": {"not_logged_in": "кірмеген", "testing": "тест жүруде", "on_break": "үзіліс", "finished": "аяқтады",
           "questionnaire": "аяқтады", "done": "аяқтады", "removed": "шығарылды"},
    "ru": {"not_logged_in": "не входил", "testing": "идёт тест", "on_break": "перерыв", "finished": "завершил",
           "questionnaire": "завершил", "done": "завершил", "removed": "удалён"},
}


def default_language(snap: Snapshot) -> str:
    """The room's one test language, or Kazakh (the state language) for a room with both."""
    return next(iter(snap.packs)) if len(snap.packs) == 1 else "kk"


def subject_titles(snap: Snapshot, language: str) -> list[tuple[str, str]]:
    """(subject id, title) with the titles from the pack in the sheet's language where there is one."""
    pack = snap.packs.get(language)
    own = {s.id: s.title for s in pack.subjects} if pack is not None else {}
    return [(sid, own.get(sid, title)) for sid, title in snap.subject_ids()]


def results_workbook(snap: Snapshot, language: str | None = None) -> bytes:
    """The .xlsx file's bytes."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    language = language if language in LANGUAGES else default_language(snap)
    words = LABELS[language]
    subjects = subject_titles(snap, language)
    book = Workbook()
    sheet = book.active
    sheet.title = words["sheet"]
    head = [words[k] for k in ("ikt", "iin", "surname", "name", "patronymic", "class", "language", "seat",
                               "variant", "attendance", "state", "annulled")]
    first_score = len(head) + 1
    head += [title for _, title in subjects] + [words["total"], words["max_total"], words["percent"]]
    sheet.append(head)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    grey = PatternFill("solid", start_color="D9D9D9")
    for s in snap.students:
        sheet.append(_row(s, subjects, language))
        row = sheet.max_row
        for column in (1, 2):  # ИКТ and IIN: text, and typed-over values stay text
            sheet.cell(row, column).number_format = TEXT
        sheet.cell(row, len(head)).number_format = "0.0"
        if s.annulled:
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
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _row(s: StudentRecord, subjects: list[tuple[str, str]], language: str) -> list:
    words = LABELS[language]
    state = STATES.get(language, {}).get(s.state, s.state)
    row = [str(s.ikt), str(s.iin), s.surname, s.name, s.patronymic, s.class_label, s.language, s.seat, s.variant,
           words[s.attendance_status], state, words["yes"] if s.annulled else words["no"]]
    if s.score is None or s.annulled:  # no result, or one that does not count: no numbers to add up
        return row + [None] * (len(subjects) + 3)
    by_subject = {x.subject: x.score for x in s.score.subjects}
    return row + [by_subject.get(sid) for sid, _ in subjects] + [s.score.total, s.score.max_total,
                                                                 round(float(s.score.percent), 1)]
