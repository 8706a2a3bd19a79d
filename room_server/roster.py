"""Reading the roster a school makes in Excel: a CSV, checked row by row.

UTF-8 with or without BOM, or Windows-1251; `;` or `,`. Columns: IIN, surname, name,
patronymic (may be empty), grade, class, test language, and an optional seat. The header row
may be in English, Kazakh or Russian; without a recognisable header the columns are taken
in that order. A bad file is refused whole: every bad line is listed and nothing is imported.
"""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass
from pathlib import Path

COLUMNS = ("iin", "surname", "name", "patronymic", "grade", "class", "language", "seat")
REQUIRED = ("iin", "surname", "name", "grade", "class", "language")

HEADER_ALIASES = {
    "iin": {"iin", "иин", "жсн", "ИИН", "ЖСН"},
    "surname": {"surname", "last name", "фамилия", "тегі", "тегi"},
    "name": {"name", "first name", "имя", "аты", "аты-жөні"},
    "patronymic": {"patronymic", "middle name", "отчество", "әкесінің аты"},
    "grade": {"grade", "класс", "сынып", "параллель"},
    "class": {"class", "letter", "литер", "литера", "буква", "сынып литері", "класс литер"},
    "language": {"language", "test language", "язык", "язык тестирования", "тест тілі", "тілі", "тіл"},
    "seat": {"seat", "место", "орын", "орын нөмірі", "номер места"},
}

LANGUAGE_VALUES = {
    "kk": "kk", "kz": "kk", "kaz": "kk", "каз": "kk", "қаз": "kk", "казахский": "kk", "қазақ": "kk",
    "қазақша": "kk", "қазақ тілі": "kk",
    "ru": "ru", "rus": "ru", "рус": "ru", "русский": "ru", "орыс": "ru", "орысша": "ru", "орыс тілі": "ru",
}


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

    def __init__(self, path: str, problems: list[str]):
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: " + "; ".join(problems[:3]))


def iin_problem(iin: str) -> str | None:
    """None if the IIN is valid: 12 digits, a real birth date, the right check digit."""
    if len(iin) != 12 or not iin.isdigit():
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


def decode_bytes(raw: bytes) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1251")  # Excel's "CSV" on a Russian-locale Windows


def read_roster(path: str | Path, *, grade: int, languages: set[str]) -> list[RosterRow]:
    """Reads and checks the whole file; raises RosterError listing every bad line."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RosterError(str(path), [f"cannot read the file ({exc.strerror})"]) from None
    if b"\x00" in raw:  # an .xlsx (a zip) or another binary file, whatever its bytes decode to
        raise RosterError(str(path), ["this is not a CSV file (it has binary content); save the sheet as CSV"])
    try:
        text = decode_bytes(raw)
    except UnicodeDecodeError:
        raise RosterError(str(path), ["the file is neither UTF-8 nor Windows-1251 text"]) from None
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise RosterError(str(path), ["the file is empty"])
    delimiter = ";" if lines[0].count(";") >= lines[0].count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    records = [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)]

    problems: list[str] = []
    first_line, first = records[0]
    mapping = _header_mapping(first)
    if mapping is None:
        mapping = {name: index for index, name in enumerate(COLUMNS)}
        body = records
    else:
        missing = [c for c in REQUIRED if c not in mapping]
        if missing:
            raise RosterError(str(path), [f"line {first_line}: the header has no column for {', '.join(missing)}"])
        body = records[1:]
    if not body:
        raise RosterError(str(path), ["the file has a header but no students"])

    rows: list[RosterRow] = []
    seen_iin: dict[str, int] = {}
    seen_seat: dict[int, int] = {}
    for line, cells in body:
        def cell(column: str) -> str:
            index = mapping.get(column)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        line_problems = []
        iin = cell("iin").replace(" ", "")
        if (problem := iin_problem(iin)) is not None:
            line_problems.append(problem)
        elif iin in seen_iin:
            line_problems.append(f"IIN {iin} is already on line {seen_iin[iin]}")
        else:
            seen_iin[iin] = line
        surname, name = cell("surname"), cell("name")
        if not surname:
            line_problems.append("the surname is empty")
        if not name:
            line_problems.append("the name is empty")
        grade_text = cell("grade")
        row_grade = int(grade_text) if grade_text.isdigit() else None
        if row_grade is None:
            line_problems.append(f"grade {grade_text!r} is not a number")
        elif row_grade != grade:
            line_problems.append(f"grade {row_grade} does not match the test pack (grade {grade})")
        class_name = cell("class")
        if not class_name:
            line_problems.append("the class is empty")
        language = LANGUAGE_VALUES.get(cell("language").casefold())
        if language is None:
            line_problems.append(f"test language {cell('language')!r} must be kk or ru")
        elif language not in languages:
            line_problems.append(f"test language {language} has no test pack in this room")
        seat_text = cell("seat")
        seat = None
        if seat_text:
            if not seat_text.isdigit() or int(seat_text) < 1:
                line_problems.append(f"seat {seat_text!r} must be a positive number")
            elif int(seat_text) in seen_seat:
                line_problems.append(f"seat {seat_text} is already taken on line {seen_seat[int(seat_text)]}")
            else:
                seat = int(seat_text)
                seen_seat[seat] = line
        if line_problems:
            problems.extend(f"line {line}: {p}" for p in line_problems)
            continue
        rows.append(RosterRow(line, iin, surname, name, cell("patronymic"), row_grade, class_name, language, seat))
    if problems:
        raise RosterError(str(path), problems)
    return rows


def _header_mapping(cells: list[str]) -> dict[str, int] | None:
    """Column name -> index when the first row is a header, else None."""
    mapping = {}
    for index, text in enumerate(cells):
        key = text.strip().casefold()
        for column, aliases in HEADER_ALIASES.items():
            if key in {a.casefold() for a in aliases} and column not in mapping:
                mapping[column] = index
    return mapping if len(mapping) >= 2 else None
