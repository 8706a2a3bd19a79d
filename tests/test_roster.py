"""The roster reader: a table of bad rosters, each refused with the line and the reason; good
rosters in every encoding, delimiter and header language a school's Excel produces; and
`room-server init` refusing a bad roster without creating anything."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import REPO, pack_path, questionnaire_args, valid_iins
from room_server.roster import RosterError, iin_check_digit, iin_problem, read_roster

IIN = valid_iins(6, seed=11)
HEADER = "iin;surname;name;patronymic;grade;class;language;seat"


def good(i: int, **change) -> str:
    row = {"iin": IIN[i], "surname": f"Жұмабаев{i}", "name": "Ерасыл", "patronymic": "Болатұлы", "grade": "9",
           "class": "А", "language": "kk", "seat": ""}
    row.update(change)
    return ";".join(row[c] for c in ("iin", "surname", "name", "patronymic", "grade", "class", "language", "seat"))


def wrong_check_digit(iin: str) -> str:
    return iin[:11] + str((int(iin[11]) + 1) % 10)


def bad_date_iin() -> str:
    for serial in range(10000):
        first11 = f"101301 5{serial:04d}".replace(" ", "")  # month 13
        check = iin_check_digit(first11)
        if check is not None:
            return first11 + str(check)
    raise AssertionError


def csv_bytes(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


BAD_ROSTERS = [
    ("bad IIN length", csv_bytes(HEADER, good(0), good(1, iin="12345")), ["line 3: IIN '12345' must be 12 digits"]),
    ("IIN with letters", csv_bytes(HEADER, good(0, iin="10010150001A")), ["line 2: IIN '10010150001A' must be 12 digits"]),
    ("bad check digit", csv_bytes(HEADER, good(0, iin=wrong_check_digit(IIN[0]))),
     [f"line 2: IIN {wrong_check_digit(IIN[0])}: the check digit is wrong"]),
    ("bad birth date", csv_bytes(HEADER, good(0), good(1), good(2, iin=bad_date_iin())),
     [f"line 4: IIN {bad_date_iin()}: the first 6 digits are not a birth date"]),
    ("bad century digit", csv_bytes(HEADER, good(0, iin="100101" + "7" + "00001")),
     ["line 2: IIN 100101700001: the 7th digit"]),
    ("duplicate IIN", csv_bytes(HEADER, good(0), good(1), good(2, iin=IIN[0])),
     [f"line 4: IIN {IIN[0]} is already on line 2"]),
    ("grade mismatch", csv_bytes(HEADER, good(0, grade="4")), ["line 2: grade 4 does not match the test pack (grade 9)"]),
    ("grade not a number", csv_bytes(HEADER, good(0, grade="девятый")), ["line 2: grade 'девятый' is not a number"]),
    ("bad language", csv_bytes(HEADER, good(0), good(1, language="en")), ["line 3: test language 'en' must be kk or ru"]),
    ("language without a pack", csv_bytes(HEADER, good(0, language="ru")), ["line 2: test language ru has no test pack"]),
    ("empty surname", csv_bytes(HEADER, good(0, surname="  ")), ["line 2: the surname is empty"]),
    ("empty name", csv_bytes(HEADER, good(0, name="")), ["line 2: the name is empty"]),
    ("empty class", csv_bytes(HEADER, good(0, **{"class": ""})), ["line 2: the class is empty"]),
    ("duplicate seat", csv_bytes(HEADER, good(0, seat="3"), good(1, seat="3")), ["line 3: seat 3 is already taken on line 2"]),
    ("bad seat", csv_bytes(HEADER, good(0, seat="-1")), ["line 2: seat '-1' must be a positive number"]),
    ("damaged workbook", b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00" + bytes(range(256)),
     ["not a readable Excel workbook"]),
    ("old .xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), ["old Excel .xls file"]),
    ("binary file", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), ["binary content"]),
    ("not text", bytes([0x98]) * 40, ["neither UTF-8, UTF-16 nor Windows-1251"]),
    ("empty file", b"", ["the file is empty"]),
    ("blank lines only", b"\r\n \r\n\n", ["the file is empty"]),
    ("header only", csv_bytes(HEADER), ["the file has a header but no students"]),
    ("missing required column", csv_bytes("iin;surname;name;grade;class", f"{IIN[0]};Әлиев;Арман;9;А"),
     ["line 1: the header has no column for language"]),
    ("every bad line listed", csv_bytes(HEADER, good(0, iin="1"), good(1), good(2, grade="4"), "", good(3, language="de")),
     ["line 2: IIN '1'", "line 4: grade 4", "line 6: test language 'de'"]),
]


@pytest.mark.parametrize("content, expected", [(c, e) for _, c, e in BAD_ROSTERS], ids=[n for n, _, _ in BAD_ROSTERS])
def test_bad_roster_is_refused_naming_the_line(tmp_path, content, expected):
    path = tmp_path / "roster.csv"
    path.write_bytes(content)
    with pytest.raises(RosterError) as err:
        read_roster(path, grade=9, languages={"kk"})
    problems = err.value.problems
    for fragment in expected:
        assert any(fragment in problem for problem in problems), (fragment, problems)
    assert len(problems) == len(expected), problems


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(RosterError) as err:
        read_roster(tmp_path / "nope.csv", grade=9, languages={"kk"})
    assert "cannot read the file" in err.value.problems[0]


def test_iin_check_digit_second_weights():
    # When the first weights give 10, the second set decides; an IIN with neither is never issued.
    for iin in IIN:
        assert iin_problem(iin) is None
        assert iin_check_digit(iin[:11]) == int(iin[11])


RU_ROWS = [("Иванов", "Пётр", "Сергеевич", "ru"), ("Смирнова", "Анна", "", "ru"), ("Ким", "Виктор", "Андреевич", "kk")]


def rows_text(header: str | None, delimiter: str, *, rows=RU_ROWS) -> str:
    lines = [header] if header else []
    for i, (surname, name, patronymic, language) in enumerate(rows):
        lines.append(delimiter.join([IIN[i], surname, name, patronymic, "9", "Б", language, str(i + 5)]))
    return "\r\n".join(lines) + "\r\n"


GOOD = [
    ("utf-8 ; en header", "utf-8", ";", "iin;surname;name;patronymic;grade;class;language;seat"),
    ("utf-8 BOM ; ru header", "utf-8-sig", ";", "ИИН;Фамилия;Имя;Отчество;Класс;Литер;Язык тестирования;Место"),
    ("cp1251 ; ru header", "cp1251", ";", "ИИН;Фамилия;Имя;Отчество;Класс;Литер;Язык;Место"),
    ("cp1251 , no header", "cp1251", ",", None),
    ("utf-8 , kk header", "utf-8", ",", "ЖСН,Тегі,Аты,Әкесінің аты,Сынып,Сынып литері,Тест тілі,Орын"),
    ("utf-8 BOM , en header", "utf-8-sig", ",", "IIN,Surname,Name,Patronymic,Grade,Class,Test language,Seat"),
    ("utf-8 ; no header", "utf-8", ";", None),
]


@pytest.mark.parametrize("encoding, delimiter, header", [g[1:] for g in GOOD], ids=[g[0] for g in GOOD])
def test_good_rosters(tmp_path, encoding, delimiter, header):
    path = tmp_path / "roster.csv"
    path.write_bytes(rows_text(header, delimiter).encode(encoding))
    rows = read_roster(path, grade=9, languages={"kk", "ru"})
    assert [(r.surname, r.name, r.patronymic, r.language) for r in rows] == RU_ROWS
    assert [r.iin for r in rows] == IIN[:3]
    assert [r.seat for r in rows] == [5, 6, 7]
    assert {r.grade for r in rows} == {9} and {r.class_name for r in rows} == {"Б"}
    first_line = 2 if header else 1
    assert [r.line for r in rows] == [first_line, first_line + 1, first_line + 2]


def test_kazakh_letters_and_language_words(tmp_path):
    path = tmp_path / "roster.csv"
    text = ("ЖСН;Тегі;Аты;Әкесінің аты;Сынып;Сынып литері;Тест тілі\n"
            f"{IIN[0]};Әбілқасымов;Нұрсұлтан;Серікұлы;9;Ә;қазақ тілі\n"
            f"{IIN[1]};Өмірзақова;Ұлпан;;9;Ә;орыс тілі\n"
            f"{IIN[2]} ;Ғабдуллин;Іңкәр;Қанатұлы;9;Ә;KK\n")
    path.write_text(text, encoding="utf-8")
    rows = read_roster(path, grade=9, languages={"kk", "ru"})
    assert [(r.surname, r.name, r.language, r.seat) for r in rows] == [
        ("Әбілқасымов", "Нұрсұлтан", "kk", None), ("Өмірзақова", "Ұлпан", "ru", None), ("Ғабдуллин", "Іңкәр", "kk", None)]


def test_columns_in_another_order(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(f"surname;language;iin;name;class;grade\nАхметов;kk;{IIN[0]};Дәулет;В;9\n", encoding="utf-8")
    (row,) = read_roster(path, grade=9, languages={"kk"})
    assert (row.iin, row.surname, row.name, row.patronymic, row.class_name, row.language) == (
        IIN[0], "Ахметов", "Дәулет", "", "В", "kk")


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "room_server.cli", *args], capture_output=True, text=True,
                          timeout=60, env=env, cwd=REPO)


def test_init_refuses_a_bad_roster_and_creates_nothing(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_bytes(csv_bytes(HEADER, good(0), good(1, iin="123"), good(2, grade="4"), good(3, iin=IIN[0]),
                                 good(4, surname="")))
    data = tmp_path / "room"
    result = run_cli("init", "--data", str(data), "--roster", str(roster), "--pack", pack_path("g9-kk"),
                     *questionnaire_args(tmp_path / "centre"))
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr
    for fragment in ("line 3: IIN '123'", "line 4: grade 4", f"line 5: IIN {IIN[0]} is already on line 2",
                     "line 6: the surname is empty", "nothing was imported"):
        assert fragment in result.stderr, result.stderr
    assert not (data / "room.sqlite").exists()


def test_init_accepts_a_good_roster(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_bytes(rows_text("ИИН;Фамилия;Имя;Отчество;Класс;Литер;Язык;Место", ";").encode("cp1251"))
    data = tmp_path / "room"
    result = run_cli("init", "--data", str(data), "--roster", str(roster), "--pack", pack_path("g9-kk"),
                     "--pack", pack_path("g9-ru"), *questionnaire_args(tmp_path / "centre"), "--school", "Школа",
                     "--room", "3")
    assert result.returncode == 0, result.stderr
    assert (data / "room.sqlite").exists()
    assert oct((data / "proctor.key").stat().st_mode & 0o777) == "0o600"
    assert "Proctor key:" in result.stdout
