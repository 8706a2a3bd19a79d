"""Results that Excel reads right: `room-server results` writes an .xlsx from a real sitting
(IIN and ИКТ as text cells, header frozen, a column per subject, annulled rows marked with no
scores, in the school's language), and every CSV Synaq writes keeps IIN and ИКТ as text."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import openpyxl
import pytest

from conftest import make_room
from paperwork_support import opened, copy_room, run_sitting
from room_server.cli import main as cli_main
from room_server.excel_text import plain_text
from room_server.snapshot import read_snapshot


@pytest.fixture(scope="module")
def sat_room(tmp_path_factory) -> tuple[Path, dict]:
    data = tmp_path_factory.mktemp("sat") / "room"
    facts = asyncio.run(run_sitting(data))
    return data, facts


def results(data: Path, out: Path, *extra: str) -> openpyxl.Workbook:
    assert cli_main(["results", "--data", str(data), "--out", str(out), *extra]) == 0
    return openpyxl.load_workbook(out)


def test_results_workbook_has_text_ids_a_frozen_header_subject_columns_and_no_annulled_scores(sat_room, tmp_path):
    data, facts = sat_room
    snap = read_snapshot(data)
    book = results(data, tmp_path / "results.xlsx", "--lang", "ru")
    sheet = book.active
    assert sheet.title == "Результаты" and sheet.freeze_panes == "A2"
    head = [c.value for c in sheet[1]]
    assert head[:5] == ["ИКТ", "ИИН", "Фамилия", "Имя", "Отчество"]
    titles = [s.title for s in snap.packs["ru"].subjects]
    assert head[12:12 + len(titles)] == titles and head[-3:] == ["Итого", "Максимум", "%"]
    rows = {r[0].value: r for r in sheet.iter_rows(min_row=2, max_row=1 + len(snap.students))}
    assert len(rows) == len(snap.students) == 30
    for s in snap.students:
        row = rows[s.ikt]
        for cell, value in ((row[0], s.ikt), (row[1], s.iin)):
            assert cell.data_type == "s" and cell.value == value and cell.number_format == "@"
        total = row[len(head) - 3].value
        if s.annulled:
            assert row[11].value == "да" and row[0].fill.start_color.rgb.endswith("D9D9D9")
            assert all(c.value is None for c in row[12:])
        elif s.score is not None:
            assert total == s.score.total and isinstance(total, int)
            assert sum(c.value for c in row[12:12 + len(titles)]) == total
        else:
            assert total is None
    removed = next(s for s in snap.students if s.login == facts["removed"]["login"])
    assert removed.annulled and removed.score is not None and removed.score.total >= 0
    average_row = 1 + len(snap.students) + 2
    assert sheet.cell(average_row, 3).value == "Среднее (без аннулированных)"
    assert sheet.cell(average_row, len(head) - 2).value.startswith("=IFERROR(AVERAGE(")
    assert any(ch in "".join(str(r[2].value) for r in rows.values()) for ch in "әғқңөұүһі")


@pytest.mark.parametrize("lang, header", [("kk", "ЖСН"), ("en", "IIN")])
def test_results_workbook_in_the_schools_language(sat_room, tmp_path, lang, header):
    sheet = results(sat_room[0], tmp_path / "r.xlsx", "--lang", lang).active
    assert sheet.cell(1, 2).value == header


def test_results_without_lang_are_in_the_rooms_own_language(sat_room, tmp_path):
    # The demo room tests in Kazakh and Russian: its sheet is in Kazakh, the state language.
    assert set(read_snapshot(sat_room[0]).packs) == {"kk", "ru"}
    sheet = results(sat_room[0], tmp_path / "both.xlsx").active
    assert sheet.title == "Нәтижелер" and [c.value for c in sheet[1]][:3] == ["ИКТ", "ЖСН", "Тегі"]
    # A room whose one test language is Russian gets a Russian sheet, its subjects as its pack names them.
    room = asyncio.run(make_room(tmp_path / "ru", packs=("g9-ru",), languages=("ru",)))
    snap = read_snapshot(room.dir)
    assert set(snap.packs) == {"ru"}
    sheet = results(room.dir, tmp_path / "ru.xlsx").active
    head = [c.value for c in sheet[1]]
    assert sheet.title == "Результаты" and head[:3] == ["ИКТ", "ИИН", "Фамилия"] and head[-3] == "Итого"
    assert head[12:-3] == [s.title for s in snap.packs["ru"].subjects]
    assert sheet.cell(2, 10).value == "не отмечен"  # nobody has been marked yet: in Russian too


def test_results_refuses_a_wrong_output_clearly(sat_room, tmp_path, capsys):
    assert cli_main(["results", "--data", str(sat_room[0]), "--out", str(tmp_path / "r.csv")]) == 1
    assert "must be an .xlsx file" in capsys.readouterr().err
    assert cli_main(["results", "--data", str(sat_room[0]), "--out", str(tmp_path / "no" / "r.xlsx")]) == 1
    assert "does not exist" in capsys.readouterr().err


def excel_cells(raw: bytes, delimiter: str = ";") -> list[dict]:
    """The rows as Excel's CSV import reads them: quotes undone, one cell per delimiter."""
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=delimiter))


def test_every_csv_keeps_iin_and_ikt_as_text_for_excel(sat_room, tmp_path):
    data = copy_room(sat_room[0], tmp_path / "room")
    usb = tmp_path / "usb"
    usb.mkdir()
    assert cli_main(["export", "--data", str(data), "--to", str(usb)]) == 0
    (bundle,) = usb.iterdir()
    bundle = opened(data, bundle)  # the personal files as the centre opens them
    snap = read_snapshot(data)
    iins = {s.ikt: s.iin for s in snap.students}
    checked = 0
    for name, columns in (("results.csv", ("ikt", "iin")), ("attendance.csv", ("ikt",)),
                          ("incidents.csv", ("ikt",))):
        for row in excel_cells((bundle / name).read_bytes()):
            for column in columns:
                assert row[column].startswith('="') and row[column].endswith('"'), (name, row[column])
                checked += 1
            assert plain_text(row["ikt"]) in iins
    rows = excel_cells((bundle / "results.csv").read_bytes())
    assert all(plain_text(r["iin"]) == iins[plain_text(r["ikt"])] for r in rows)
    annulled = [r for r in rows if r["annulled"] == "1"]
    assert annulled and all(r["total"] == "" and r["reading_score"] == "" for r in annulled)
    slips = excel_cells((data / "login-slips.csv").read_bytes(), ",")
    assert all(r["ikt"].startswith('="') for r in slips)
    checked += len(slips)
    assert checked > 60
