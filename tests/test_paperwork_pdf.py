"""The paper forms, printed through `room-server print` from a room where a real sitting ran,
read back with pypdf: every name (Kazakh letters and all), every field of each form."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from room_server.act_fields import act_values

from paperwork_support import (ABSENCE, ABSENCE_DOC, ADMINISTRATOR, IMPOSTOR, ITEM_FOUND, MINISTRY_REP, PAUSE_NOTE,
                               REMARKS, copy_room, run_sitting)
from room_server import pdf
from room_server.cli import main as cli_main
from room_server.newroom import read_slips_file
from room_server.signing import fingerprint_for_paper, room_fingerprint
from room_server.snapshot import read_snapshot

KAZAKH = "әғқңөұүһіӘҒҚҢӨҰҮҺІ"


@pytest.fixture(scope="module")
def sat_room(tmp_path_factory) -> tuple[Path, dict]:
    data = tmp_path_factory.mktemp("sat") / "room"
    facts = asyncio.run(run_sitting(data))
    return data, facts


@pytest.fixture
def room(sat_room, tmp_path) -> tuple[Path, dict]:
    return copy_room(sat_room[0], tmp_path / "room"), sat_room[1]


def printed(data: Path, what: str, out: Path) -> str:
    assert cli_main(["print", what, "--data", str(data), "--out", str(out)]) == 0
    reader = PdfReader(out)
    assert reader.pages, "an empty PDF"
    box = reader.pages[0].mediabox
    assert (round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72)) == (210, 297), "not A4"
    return flat("\n".join(page.extract_text() for page in reader.pages))


def flat(text: str) -> str:
    """Extracted text with line breaks and runs of spaces made single spaces."""
    return re.sub(r"\s+", " ", text)


def test_the_font_has_every_kazakh_and_russian_letter_and_ships_with_its_license():
    fonts = Path(pdf.FONT_DIR)
    license_text = (fonts / "LICENSE-DejaVu.txt").read_text(encoding="utf-8")
    assert "Bitstream" in license_text and "Permission is hereby granted" in license_text
    letters = KAZAKH + "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ№«»—"
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"):
        cmap = TTFont(fonts / name).getBestCmap()
        assert [c for c in letters if ord(c) not in cmap] == [], name


def test_login_slips_carry_every_students_name_login_password_class_room_and_seat(room, tmp_path):
    data, _ = room
    text = printed(data, "slips", tmp_path / "slips.pdf")
    slips = read_slips_file(data / "login-slips.csv")
    assert len(slips) == 30
    for slip in slips:
        full = " ".join(x for x in (slip["surname"], slip["name"], slip["patronymic"]) if x)
        assert full in text, full
        assert f"Логин: {slip['login']}" in text
        assert f"Пароль: {slip['password']}" in text
        assert f"Орын / Место № {slip['seat']}" in text
        assert f"Сынып / Класс: {slip['class']}" in text
    assert any(letter in text for letter in KAZAKH)
    assert text.count("Аудитория № 12") == 30
    assert "Жүйеге кіру формасы / Форма входа в систему" in text
    assert len(PdfReader(tmp_path / "slips.pdf").pages) == 4  # 8 slips a page


def test_seating_sheet_annex4_lists_every_seat_with_attendance(room, tmp_path):
    data, facts = room
    text = printed(data, "seating", tmp_path / "seating.pdf")
    for label in ("4-қосымша / Приложение 4", "Отырғызу парағы", "Лист рассадки", "Аудитория № 12",
                  "Орын Место", "Аты-жөні Ф.И.О.", "ИКТ", "Логин", "Нұсқа Вариант", "Келуі / Явка", "Қолы Подпись",
                  "тест өткізуші / тест-администратор", "мектеп үйлестірушісі / школьный координатор", "М.О. / М.П."):
        assert label in text, label
    snap = read_snapshot(data)
    for s in snap.students:
        assert s.full_name() in text, s.full_name()
        assert s.ikt in text and s.login in text
    assert f"келмеді / не явился: {ABSENCE} ({ABSENCE_DOC})" in text
    assert "Тізімде / По списку: 30 Келді / Явились: 7 Келмеді / Не явились: 1" in text
    assert ADMINISTRATOR in text


def test_acts_follow_annexes_1_and_2_with_every_field_and_signature_lines(room, tmp_path):
    data, facts = room
    text = printed(data, "acts", tmp_path / "acts.pdf")
    snap = read_snapshot(data)
    removed = next(s for s in snap.students if s.login == facts["removed"]["login"])
    victim = next(s for s in snap.students if s.login == facts["impostor_for"]["login"])
    annex1, annex2 = text.split("2-қосымша / Приложение 2")
    for label in ("1-қосымша / Приложение 1", "Тыйым салынған заттарды анықтау және тестіленушіні аудиториядан шығару актісі",
                  "Акт выявления запрещенных предметов и удаления из аудитории тестируемого",
                  "Организация образования", "код, наименование", "Дата", "Время", "час.", "мин.",
                  "Представитель Министерства", f"У тестируемого: Ф.И.О. (при его наличии) {removed.full_name()}",
                  f"ИКТ {removed.ikt}", "из аудитории № 12", f"место № {removed.seat}", f"вариант № {removed.variant}",
                  "во время тестирования обнаружили", ITEM_FOUND,
                  "наименование (марка, количество) обнаруженного предмета",
                  "нарушением пункта 20 Правил", "изъять материал тестирования", "удалить из аудитории № 12",
                  "аннулировать результаты тестирования", "лиц, составивших настоящий акт", "С актом ознакомлены",
                  "подпись и Ф.И.О. (при его наличии) тестируемого",
                  "подпись и Ф.И.О. уполномоченного представителя Министерства", MINISTRY_REP, ADMINISTRATOR,
                  "270001 Demo school No. 1", "қолы / подпись", "М.О. / М.П."):
        assert label in annex1, label
    for label in ("Тестілеуді бастау немесе өткізу кезінде бөгде тұлғаны анықтау актісі",
                  "Акт выявления подставного лица в ходе запуска или проведения тестирования",
                  "Уполномоченный представитель Министерства", MINISTRY_REP,
                  "Выявлен факт попытки входа в здание организации образования",
                  f"{victim.full_name()}, ИКТ {victim.ikt}", "Ф.И.О. (при его наличии) и ИКТ",
                  f"гражданина {IMPOSTOR}", "Учитывая данный факт, постановили",
                  "[X] в здание организации образования для сдачи тестирования не допускать",
                  "[ ] изъять экзаменационный материал и удалить из аудитории № 12",
                  "подпись и Ф.И.О. (при его наличии) тестируемого / подставного лица", "С актом ознакомлены"):
        assert label in annex2, label


def test_protocol_annex3_has_times_attendance_incidents_pauses_remarks_and_the_key_fingerprint(room, tmp_path):
    data, facts = room
    text = printed(data, "protocol", tmp_path / "protocol.pdf")
    snap = read_snapshot(data)
    for label in ("3-қосымша / Приложение 3", "Тестілеу хаттамасы", "Протокол тестирования",
                  "Мектеп / Организация образования: 270001 Demo school No. 1", "Аудитория № 12", "Ағын / Поток: 1",
                  f"Тест өткізуші / Тест-администратор: {ADMINISTRATOR}",
                  "Тестілеудің басталуы / Начало тестирования:", "Аяқталуы / Окончание:",
                  "Тізімде / По списку: 30", "Келді / Явились: 7", "Келмеді / Не явились: 1",
                  "Тестті аяқтады / Завершили тест: 5", "Шығарылды / Удалены: 1",
                  "Кіру формалары берілді / Форм входа выдано: 7",
                  "Оқиғалар мен актілер / Происшествия и акты", "запрещённый предмет",
                  "подставное лицо", "Технические сбои и приостановки", "электр қуаты / электропитание", PAUSE_NOTE,
                  "Қосымша уақыт / Дополнительное время", "+10 мин.", "Ескертулер / Замечания", REMARKS,
                  "Отпечаток ключа подписи аудитории", "М.О. / М.П."):
        assert label in text, label
    absent = next(s for s in snap.students if s.login == facts["absent"]["login"])
    assert absent.full_name() in text and ABSENCE in text
    fp = fingerprint_for_paper(room_fingerprint(data))
    assert flat(fp) in text
    removed = next(s for s in snap.students if s.login == facts["removed"]["login"])
    assert removed.full_name() in text


def test_print_refuses_clearly(room, tmp_path, capsys):
    data, _ = room
    assert cli_main(["print", "protocol", "--data", str(data), "--out", str(tmp_path / "nope" / "p.pdf")]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert cli_main(["print", "protocol", "--data", str(data), "--out", str(tmp_path / "p.txt")]) == 1
    assert ".pdf" in capsys.readouterr().err
    (data / "login-slips.csv").unlink()
    assert cli_main(["print", "slips", "--data", str(data), "--out", str(tmp_path / "s.pdf")]) == 1
    err = capsys.readouterr().err
    assert "slips file" in err and "login-slips.csv" in err
    assert not (tmp_path / "s.pdf").exists()


def test_no_incidents_no_acts(tmp_path, capsys):
    from room_server.demo import make_demo_room

    data = tmp_path / "room"
    asyncio.run(make_demo_room(data, open_sitting=False))
    assert cli_main(["print", "acts", "--data", str(data), "--out", str(tmp_path / "a.pdf")]) == 1
    assert "no incidents" in capsys.readouterr().err
    # The other forms print for a room nobody has entered yet.
    for what in ("slips", "seating", "protocol"):
        assert printed(data, what, tmp_path / f"{what}.pdf")


def test_acts_read_the_field_names_the_console_sends():
    """The console's act form names its fields apart (item name, make, quantity; the
    representative; the organisation's code); the printed act puts them in its blanks."""
    fields = act_values({"representative": "Сәрсенбаев Е.", "school_code": "270001", "item_name": "ұялы телефон",
                              "item_make": "Samsung", "item_quantity": "1"})
    assert fields["ministry_rep"] == "Сәрсенбаев Е."
    assert fields["org_code"] == "270001"
    assert fields["item_found"] == "ұялы телефон, Samsung, 1"
    # names written by the acts themselves win over the console's
    assert act_values({"ministry_rep": "A", "representative": "B", "item_found": "x"})["ministry_rep"] == "A"
