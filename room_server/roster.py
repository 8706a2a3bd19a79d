"""Reading the roster a school makes in Excel, checked row by row.

The file is an .xlsx workbook or a CSV / "Unicode text" export (roster_files.py). Columns:
IIN, surname, name, patronymic (may be empty) or one full-name column instead of the three,
grade, class letter (or one class cell such as "9А"), test language, and an optional seat.
The header row may be in Kazakh, Russian or English, in any of the usual words
(roster_columns.py), and may follow a few title rows; without a recognisable header the
columns are taken in the order above. A bad file is refused whole: every bad line is listed
and nothing is imported.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path

from .roster_columns import (COLUMNS, FULL_NAME, LABELS, ascii_digits, grade_and_letter, header_mapping,
                             is_header, language_value, lost_letters, split_full_name)
from .roster_files import TableError, read_table


@dataclass(frozen=True)
class RosterRow:
    line: int
    iin: str
    surname: str
    name: str
    patronymic: str
    grade: int
    class_name: str
    language: str
    seat: int | None


class RosterError(Exception):
    """The roster is refused; `problems` lists every bad line ("line 7: ...")."""

    def __init__(self, path: str, problems: list[str], columns: list[str] | None = None):
        self.path = path
        self.problems = problems
        self.columns = columns or []  # what was understood of the header, when it was read
        super().__init__(f"{path}: " + "; ".join(problems[:3]))


def iin_problem(iin: str) -> str | None:
    """None if the IIN is valid: 12 digits, a real birth date, the right check digit."""
    if len(iin) != 12 or not ascii_digits(iin):
        return f"IIN {iin!r} must be 12 digits"
    digits = [int(c) for c in iin]
    century = digits[6]
    if century not in range(1, 7):
        return f"IIN {iin}: the 7th digit (century and sex) must be 1 to 6"
    year = {1: 1800, 2: 1800, 3: 1900, 4: 1900, 5: 2000, 6: 2000}[century] + int(iin[0:2])
    try:
        datetime.date(year, int(iin[2:4]), int(iin[4:6]))
    except ValueError:
        return f"IIN {iin}: the first 6 digits are not a birth date (YYMMDD)"
    if iin_check_digit(iin[:11]) != digits[11]:
        return f"IIN {iin}: the check digit is wrong (a typo?)"
    return None


def iin_check_digit(first11: str) -> int | None:
    """The Kazakh IIN's 12th digit; None if no valid IIN starts with these 11 digits."""
    digits = [int(c) for c in first11]
    check = sum(d * w for d, w in zip(digits, range(1, 12))) % 11
    if check == 10:
        check = sum(d * w for d, w in zip(digits, [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2])) % 11
        if check == 10:
            return None
    return check




HEADER_SEARCH_ROWS = 10  # a header may follow a few title rows ("Список учащихся 9 классов")
_SCIENTIFIC = re.compile(r"[0-9][.,][0-9]+E\+?[0-9]+", re.IGNORECASE)
NAME_FIELDS = ("surname", "name", "patronymic")


@dataclass
class Roster:
    rows: list[RosterRow]
    source: str  # "Excel workbook, sheet 'Лист1'", "CSV, UTF-8, ';' between cells"
    columns: list[str] = field(default_factory=list)  # "IIN: 'ИИН' (column 1)", for the administrator


def read_roster(path: str | Path, *, grade: int, languages: set[str]) -> list[RosterRow]:
    """Reads and checks the whole file; raises RosterError listing every bad line."""
    return read_roster_file(path, grade=grade, languages=languages).rows


def read_roster_file(path: str | Path, *, grade: int, languages: set[str]) -> Roster:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RosterError(str(path), [f"cannot read the file ({exc.strerror or exc})"]) from None
    if not raw.strip():
        raise RosterError(str(path), ["the file is empty"])
    try:
        table = read_table(raw)
    except TableError as exc:
        raise RosterError(str(path), [str(exc)]) from None

    header_at, mapping = None, {}
    for position, (_line, cells) in enumerate(table.rows[:HEADER_SEARCH_ROWS]):
        found = header_mapping(cells)
        if is_header(found):
            header_at, mapping = position, found
            break
    if header_at is None:
        mapping = {name: index for index, name in enumerate(COLUMNS)}
        body = table.rows
        columns = [f"no header row: columns taken in the order {', '.join(LABELS[c] for c in COLUMNS)}"]
    else:
        header_line, header = table.rows[header_at]
        columns = [f"{LABELS[c]}: {header[i]!r} (column {i + 1})" for c, i in sorted(mapping.items(), key=lambda x: x[1])]
        missing = _missing(mapping)
        if missing:
            raise RosterError(str(path), [f"line {header_line}: the header has no column for {', '.join(missing)}"],
                              columns)
        body = table.rows[header_at + 1:]
    if not body:
        raise RosterError(str(path), ["the file has a header but no students"], columns)
    problems: list[str] = []
    rows: list[RosterRow] = []
    seen_iin: dict[str, int] = {}
    seen_seat: dict[int, int] = {}
    for line, cells in body:
        row, line_problems = _row(line, cells, mapping, grade=grade, languages=languages, seen_iin=seen_iin,
                                  seen_seat=seen_seat)
        problems.extend(f"line {line}: {p}" for p in line_problems)
        if row is not None:
            rows.append(row)
    if problems:
        if any("where a letter should be" in p for p in problems):
            problems.append("hint: the file was saved in an encoding without Kazakh letters; in Excel choose "
                            "'Save as' > 'CSV UTF-8' (or keep it as .xlsx) and try again")
        raise RosterError(str(path), problems, columns)
    return Roster(rows, table.source, columns)


def _missing(mapping: dict[str, int]) -> list[str]:
    names = ("surname", "name") if FULL_NAME not in mapping else ()
    need = ["iin", *names, "grade" if "class" in mapping else "class", "language"]
    if "grade" in mapping and "class" not in mapping:
        need.remove("class")  # the grade cell may hold the letter too ("9А"); each row says if not
    return [c for c in need if c not in mapping]


def _row(line: int, cells: list[str], mapping: dict[str, int], *, grade: int, languages: set[str],
         seen_iin: dict[str, int], seen_seat: dict[int, int]) -> tuple[RosterRow | None, list[str]]:
    def cell(column: str) -> str:
        index = mapping.get(column)
        text = cells[index] if index is not None and index < len(cells) else ""
        return " ".join(text.replace("\xa0", " ").split())

    problems = []
    iin = cell("iin").replace(" ", "")
    if _SCIENTIFIC.fullmatch(iin):
        problems.append(f"IIN {iin!r} was turned into a number by Excel; format the IIN column as Text, "
                        "type the IINs again and save")
    elif (problem := iin_problem(iin)) is not None:
        problems.append(problem)
    elif iin in seen_iin:
        problems.append(f"IIN {iin} is already on line {seen_iin[iin]}")
    else:
        seen_iin[iin] = line

    if FULL_NAME in mapping and not (cell("surname") and cell("name")):
        full = cell(FULL_NAME)
        parts = split_full_name(full)
        if parts is None:
            problems.append(f"the full name {full!r} needs a surname and a name" if full else "the full name is empty")
            parts = ("", "", "")
        surname, name, patronymic = parts
    else:
        surname, name, patronymic = cell("surname"), cell("name"), cell("patronymic")
        if not surname:
            problems.append("the surname is empty")
        if not name:
            problems.append("the name is empty")
    for label, text in (("surname", surname), ("name", name), ("patronymic", patronymic)):
        if lost_letters(text):
            problems.append(f"the {label} {text!r} has '?' where a letter should be")

    row_grade, letter = _grade_and_letter(cell("grade"), cell("class"), problems)
    if row_grade is not None and row_grade != grade:
        problems.append(f"grade {row_grade} does not match the test pack (grade {grade})")
    if letter is not None and lost_letters(letter):
        problems.append(f"the class letter {letter!r} has '?' where a letter should be")

    language_text = cell("language")
    language = language_value(language_text)
    if language is None:
        problems.append(f"test language {language_text!r} must be kk or ru" if language_text
                        else "the test language is empty (kk or ru)")
    elif language not in languages:
        problems.append(f"test language {language} has no test pack in this room")

    seat_text, seat = cell("seat"), None
    if seat_text:
        if not ascii_digits(seat_text) or int(seat_text) < 1:
            problems.append(f"seat {seat_text!r} must be a positive number")
        elif int(seat_text) in seen_seat:
            problems.append(f"seat {seat_text} is already taken on line {seen_seat[int(seat_text)]}")
        else:
            seat = int(seat_text)
            seen_seat[seat] = line
    if problems:
        return None, problems
    return RosterRow(line, iin, surname, name, patronymic, row_grade, letter, language, seat), []


def _grade_and_letter(grade_text: str, class_text: str, problems: list[str]) -> tuple[int | None, str | None]:
    """The grade from the grade cell, the letter from the class cell; either may hold both ("9А")."""
    grade = letter = None
    if grade_text:
        parsed = grade_and_letter(grade_text)
        if parsed is None or parsed[0] is None:
            problems.append(f"grade {grade_text!r} is not a number")
            return None, None
        grade, letter = parsed
    if class_text:
        parsed = grade_and_letter(class_text)
        if parsed is None:  # a class name of another shape ("А1", "Алтын") is kept as written
            if len(class_text) > 12:
                problems.append(f"the class {class_text!r} is too long for a class letter")
                return grade, None
            letter = class_text
        else:
            class_grade, class_letter = parsed
            if grade is None:
                grade = class_grade
            elif class_grade is not None and class_grade != grade:
                problems.append(f"the class {class_text!r} is not in grade {grade}")
            letter = class_letter or letter
    if grade is None:
        problems.append("the grade is empty")
    elif letter is None:
        problems.append("the class is empty")
    return grade, letter
