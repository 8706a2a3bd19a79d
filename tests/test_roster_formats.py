"""Rosters as schools export them: headers in the usual kk/ru words, one full-name column, a
class cell such as "9А", language values spelled out, .xlsx workbooks, Excel's "Unicode text";
names whose letters were lost to '?' refused with a hint; digits other than ASCII refused;
and `room-server init` never ending in a traceback, whatever the file holds."""

from __future__ import annotations

import shutil
import string

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import pack_path, questionnaire_args, valid_iins
from room_server.cli import main as cli_main
from room_server.roster import RosterError, iin_check_digit, read_roster, read_roster_file
from room_server.roster_columns import grade_and_letter, header_column, language_value

IIN = valid_iins(6, seed=23)


def read(tmp_path, text: str, *, encoding="utf-8", languages=("kk", "ru"), name="roster.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return read_roster(path, grade=9, languages=set(languages))


def refused(tmp_path, content: bytes, name="roster.csv") -> list[str]:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(RosterError) as err:
        read_roster(path, grade=9, languages={"kk", "ru"})
    return err.value.problems


# ------------------------------------------------------------------------- finding 1: real headers

def test_russian_export_with_language_of_instruction_and_litera(tmp_path):
    rows = read(tmp_path, "№;ИИН;Фамилия;Имя;Отчество;Класс;Литера;Язык обучения\n"
                          f"1;{IIN[0]};Иванов;Пётр;Сергеевич;9;Б;Русский язык\n"
                          f"2;{IIN[1]};Сейтова;Дана;;9;Б;Казахский язык\n")
    assert [(r.surname, r.name, r.patronymic, r.class_name, r.language) for r in rows] == [
        ("Иванов", "Пётр", "Сергеевич", "Б", "ru"), ("Сейтова", "Дана", "", "Б", "kk")]


def test_kazakh_export_with_no_letter_column_and_the_class_in_one_cell(tmp_path):
    rows = read(tmp_path, "Р/с;ЖСН;Аты-жөні;Сынып;Оқу тілі\n"
                          f"1;{IIN[0]};Әбілқасымов Нұрсұлтан Серікұлы;9Ә;қазақ тілі\n"
                          f"2;{IIN[1]};Өмірзақова Ұлпан Нұрлан қызы;9 «Ә» сынып;орыс тілі\n"
                          f"3;{IIN[2]};Ким Виктор;9-ә;Қазақ\n")
    assert [(r.surname, r.name, r.patronymic, r.grade, r.class_name, r.language) for r in rows] == [
        ("Әбілқасымов", "Нұрсұлтан", "Серікұлы", 9, "Ә", "kk"),
        ("Өмірзақова", "Ұлпан", "Нұрлан қызы", 9, "Ә", "ru"),
        ("Ким", "Виктор", "", 9, "Ә", "kk")]


def test_a_single_fio_column_is_split_and_a_lone_word_refused(tmp_path):
    rows = read(tmp_path, f"Ф.И.О.;ИИН;Класс;Язык\nСмирнова Анна Петровна;{IIN[0]};9А;рус\n")
    assert (rows[0].surname, rows[0].name, rows[0].patronymic, rows[0].class_name) == ("Смирнова", "Анна", "Петровна", "А")
    problems = refused(tmp_path, f"ФИО;ИИН;Класс;Язык\nСмирнова;{IIN[0]};9А;рус\n".encode())
    assert problems == ["line 2: the full name 'Смирнова' needs a surname and a name"]


@pytest.mark.parametrize("text, column", [
    ("Язык обучения", "language"), ("ЯЗЫК  ОБУЧЕНИЯ.", "language"), ("Оқу тілі", "language"), ("Оку тiлi", None),
    ("Оқу тiлi", "language"), ("Литера", "class"), ("литера класса", "class"), ("ФИО", "full_name"),
    ("Ф. И. О.", "full_name"), ("Аты-жөні", "full_name"), ("Т.А.Ә.", "full_name"), ("ИИН", "iin"),
    ("иин учащегося", "iin"), ("ЖСН", "iin"), ("Фамилия", "surname"), ("Тегі", "surname"),
    ("Отчество", "patronymic"), ("Отчёство", "patronymic"), ("Әкесінің аты", "patronymic"),
    ("Номер места", "seat"), ("Parallel", None),
])
def test_header_words_are_compared_normalised(text, column):
    assert header_column(text) == column


@pytest.mark.parametrize("text, language", [
    ("Русский язык", "ru"), ("Казахский язык", "kk"), ("қазақ тілі", "kk"), ("Қазақ тілінде", "kk"), ("KZ", "kk"),
    ("рус.", "ru"), ("на русском языке", "ru"), ("ОРЫС ТІЛІ", "ru"), ("kk", "kk"), ("English", None), ("", None),
    ("казахский русский", None),
])
def test_language_values_in_any_usual_spelling(text, language):
    assert language_value(text) == language


@pytest.mark.parametrize("text, parsed", [
    ("9", (9, None)), ("9А", (9, "А")), ("9 а", (9, "А")), ("9-Б", (9, "Б")), ("9 «Ә» сынып", (9, "Ә")),
    ('9 "В" класс', (9, "В")), ("Ғ", (None, "Ғ")), ("девятый", None), ("9²", None), ("９", None), ("٩", None),
])
def test_class_cells(text, parsed):
    assert grade_and_letter(text) == parsed


def test_header_after_title_rows(tmp_path):
    rows = read(tmp_path, "Список учащихся 9 классов;;;;\n2024-2025 оқу жылы;;;;\n"
                          f"ИИН;ФИО;Класс;Язык обучения\n{IIN[0]};Ли Анна Игоревна;9В;русский\n")
    assert rows[0].line == 4 and rows[0].class_name == "В"


def test_a_class_cell_of_another_grade_is_refused(tmp_path):
    problems = refused(tmp_path, f"ИИН;ФИО;Класс;Литера;Язык\n{IIN[0]};Ли Анна;9;8Б;рус\n".encode())
    assert problems == ["line 2: the class '8Б' is not in grade 9"]


# ------------------------------------------------------------------------- finding 2: lost letters

def test_a_cp1251_roster_whose_kazakh_letters_became_question_marks_is_refused_with_a_hint(tmp_path):
    text = (f"ИИН;Фамилия;Имя;Отчество;Класс;Литер;Язык\n{IIN[0]};Иванов;Пётр;;9;А;ru\n"
            f"{IIN[1]};?білқасымов;Н?рсұлтан;Серік?лы;9;?;kk\n")
    problems = refused(tmp_path, text.encode("cp1251", errors="replace"))
    assert problems[0].startswith("line 3: the surname '?") and "where a letter should be" in problems[0]
    assert any(p.startswith("line 3: the name '") for p in problems)
    assert any(p.startswith("line 3: the class letter '?'") for p in problems)
    assert "CSV UTF-8" in problems[-1] and problems[-1].startswith("hint:")
    assert not any(p.startswith("line 2") for p in problems)


def test_a_replacement_character_is_refused_too(tmp_path):
    problems = refused(tmp_path, f"ИИН;ФИО;Класс;Язык\n{IIN[0]};Ж\ufffdмабаев Ерасыл;9А;kk\n".encode())
    assert problems[0] == "line 2: the surname 'Ж\ufffdмабаев' has '?' where a letter should be"


# ------------------------------------------------------------------------- finding 3: no tracebacks

@pytest.mark.parametrize("content", [b";;;\n;;;\n", b"\n\n  \n", b";;;;;;;\r\n\r\n;;\r\n", b",,,\n"])
def test_blank_and_separator_only_rosters_are_refused(tmp_path, content):
    assert refused(tmp_path, content) == ["the file is empty"]


@pytest.mark.parametrize("digits", ["²", "９", "٩", "۹", "𝟗"])
def test_digits_other_than_ascii_are_refused_in_iin_grade_and_seat(tmp_path, digits):
    iin = IIN[0][:5] + digits + IIN[0][6:]
    problems = refused(tmp_path, f"iin;surname;name;grade;class;language;seat\n{iin};Ли;Анна;9;А;kk;1\n"
                                 f"{IIN[1]};Ли;Ира;{digits};А;kk;2\n{IIN[2]};Ли;Ася;9;А;kk;{digits}\n".encode())
    assert problems == [f"line 2: IIN {iin!r} must be 12 digits", f"line 3: grade {digits!r} is not a number",
                        f"line 4: seat {digits!r} must be a positive number"]


def test_an_iin_excel_turned_into_a_number_is_refused_with_how_to_fix_it(tmp_path):
    problems = refused(tmp_path, "ИИН;ФИО;Класс;Язык\n1,10314E+11;Ли Анна;9А;kk\n".encode())
    assert problems == ["line 2: IIN '1,10314E+11' was turned into a number by Excel; format the IIN column "
                        "as Text, type the IINs again and save"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_excel_unicode_text_is_read(tmp_path, encoding):
    text = "ИИН\tФамилия\tИмя\tСынып\tОқу тілі\r\n" + f"{IIN[0]}\tҒабдуллин\tІңкәр\t9Ұ\tқазақша\r\n"
    path = tmp_path / "roster.txt"
    path.write_bytes(text.encode(encoding))
    roster = read_roster_file(path, grade=9, languages={"kk"})
    assert [(r.surname, r.name, r.class_name) for r in roster.rows] == [("Ғабдуллин", "Іңкәр", "Ұ")]
    assert roster.source.startswith("CSV, UTF-16, tab")


# ------------------------------------------------------------------------- .xlsx

def write_xlsx(path, rows, *, title_rows=()):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "9 сынып"
    for row in (*title_rows, *rows):
        sheet.append(row)
    book.save(path)


def test_an_xlsx_workbook_is_read_directly_with_numbers_as_excel_keeps_them(tmp_path):
    path = tmp_path / "roster.xlsx"
    write_xlsx(path, [("ЖСН", "Тегі", "Аты", "Әкесінің аты", "Сынып", "Литера", "Тест тілі", "Орын"),
                      (int(IIN[0]), "Әлиев", "Арман", None, 9, "ә", "Қазақ тілі", 4),
                      (IIN[1], "Ким", "Ирина", "Олеговна", 9.0, "Ә", "Русский язык", None),
                      (IIN[2], "Сейт", "Айдана", "", "9", "Ә", "kk", 2)],
               title_rows=[("Оқушылар тізімі",), ()])
    roster = read_roster_file(path, grade=9, languages={"kk", "ru"})
    assert [(r.iin, r.surname, r.patronymic, r.class_name, r.language, r.seat, r.line) for r in roster.rows] == [
        (IIN[0], "Әлиев", "", "Ә", "kk", 4, 4), (IIN[1], "Ким", "Олеговна", "Ә", "ru", None, 5),
        (IIN[2], "Сейт", "", "Ә", "kk", 2, 6)]
    assert roster.source == "Excel workbook, sheet '9 сынып'"
    assert roster.columns[0] == "IIN: 'ЖСН' (column 1)"


def test_an_iin_starting_with_zero_kept_as_a_number_gets_its_zero_back(tmp_path):
    first11 = next(f"0503015{n:04d}" for n in range(1000) if iin_check_digit(f"0503015{n:04d}") is not None)
    zero_iin = first11 + str(iin_check_digit(first11))  # born 1 March 2005
    path = tmp_path / "roster.xlsx"
    write_xlsx(path, [("ИИН", "ФИО", "Класс", "Язык"), (int(zero_iin), "Ли Анна", "9А", "ru")])
    assert read_roster(path, grade=9, languages={"ru"})[0].iin == zero_iin


# ------------------------------------------------------------------------- init

def init(tmp_path, roster_bytes: bytes, capsys, name="roster.csv"):
    roster = tmp_path / name
    roster.write_bytes(roster_bytes)
    data = tmp_path / "room"
    code = cli_main(["init", "--data", str(data), "--roster", str(roster), "--pack", pack_path("g9-kk"),
                     "--pack", pack_path("g9-ru"), *questionnaire_args(tmp_path / "centre")])
    out = capsys.readouterr()
    return code, out, data


def test_init_shows_the_columns_it_understood_before_importing(tmp_path, capsys):
    code, out, data = init(tmp_path, (f"ИИН;ФИО;Класс;Язык обучения\n{IIN[0]};Ли Анна;9А;русский\n").encode(), capsys)
    assert code == 0, out.err
    lines = out.out.splitlines()
    assert lines[:5] == ["Roster " + str(tmp_path / "roster.csv") + ": CSV, UTF-8, ';' between cells, 1 students. "
                         "Columns understood:", "  IIN: 'ИИН' (column 1)", "  full name: 'ФИО' (column 2)",
                         "  grade: 'Класс' (column 3)", "  test language: 'Язык обучения' (column 4)"]
    assert lines[5].startswith("Room created")


def test_init_shows_the_columns_when_it_refuses(tmp_path, capsys):
    code, out, data = init(tmp_path, f"ИИН;ФИО;Язык\n{IIN[0]};Ли Анна;рус\n".encode(), capsys)
    assert code == 1
    assert "  IIN: 'ИИН' (column 1)" in out.err and "line 1: the header has no column for class" in out.err
    assert not data.exists()


HEADER_WORDS = ["ИИН", "ЖСН", "ФИО", "Аты-жөні", "Фамилия", "Имя", "Отчество", "Класс", "Литера", "Сынып",
                "Язык обучения", "Оқу тілі", "Место", "", "№"]
CELL_TEXT = st.one_of(
    st.sampled_from(IIN + ["9", "9А", "²", "９", "٩", "Русский язык", "қазақ тілі", "?", "\ufffd", '"', "'", ";;",
                           "1,10314E+11", "-1", "0", "99999999999999999999", "\t", "Әлиев Арман"]),
    st.text(alphabet=string.printable + "АӘБВГҒҚҢӨҰҮІабвгғқңөұүіё\ufffd²９٩\x00\x85\u2028", max_size=15))


@st.composite
def random_csv(draw) -> bytes:
    delimiter = draw(st.sampled_from([";", ",", "\t"]))
    header = draw(st.lists(st.sampled_from(HEADER_WORDS), max_size=8))
    rows = draw(st.lists(st.lists(CELL_TEXT, max_size=9), max_size=6))
    lines = [delimiter.join(header)] + [delimiter.join(r) for r in rows]
    text = draw(st.sampled_from(["\n", "\r\n", "\r"])).join(lines)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1251", "utf-16"]))
    return text.encode(encoding, errors="replace")


def assert_refused_cleanly(tmp_path, content: bytes, capsys, name: str) -> None:
    for old in tmp_path.iterdir():  # hypothesis runs every example in the same tmp_path
        if old.is_dir():
            shutil.rmtree(old)
    code, out, data = init(tmp_path, content, capsys, name=name)
    assert "Traceback" not in out.err
    if code == 0:  # a random file can be a valid roster; then the room is made and said so
        assert "Room created" in out.out
        return
    assert code == 1
    assert out.err.strip().splitlines()[-1].strip(), out.err
    assert "room-server: the roster" in out.err and "nothing was imported" in out.err, out.err
    assert not data.exists(), "a refused roster must leave nothing behind"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.one_of(st.binary(max_size=400), st.binary(max_size=60).map(lambda b: b"PK\x03\x04" + b),
                         st.binary(max_size=60).map(lambda b: b"\xff\xfe" + b)))
def test_init_with_random_bytes_gives_a_message_and_writes_nothing(tmp_path, capsys, content):
    assert_refused_cleanly(tmp_path, content, capsys, "roster.csv")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=random_csv())
def test_init_with_random_csvs_gives_a_message_and_writes_nothing(tmp_path, capsys, content):
    assert_refused_cleanly(tmp_path, content, capsys, "roster.csv")
