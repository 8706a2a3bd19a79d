"""Slips that fit any name and a protocol without the leftovers: text positions read back from
the PDF with pypdf and measured with the same font, every line inside its own slip, clear of
the cut lines; the protocol's date once in one format, faults once, no heading alone at the
foot of a page; bundle names cut between words."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from fpdf import FPDF
from pypdf import PdfReader

from conftest import centre_questionnaires, pack_path, valid_iins
from paperwork_support import PAUSE_NOTE, run_sitting
from room_server import pdf
from room_server.protocol_pdf import protocol_form
from room_server.bundle import safe_name
from room_server.newroom import init_room, read_slips_file
from room_server.slips_pdf import COLS, PAGE_BOTTOM, PAGE_LEFT, PAGE_TOP, ROWS, slips_pdf
from room_server.snapshot import read_snapshot

PT = 25.4 / 72  # mm in a PDF point
LONG_NAMES = [  # as long as real rosters have them: double surnames and names, long patronymics
    ("Абдуллаева-Нұрмұхамбетова", "Гүлшат-Айжан", "Сейітқасымқызы"),
    ("Мұхаммедқалиев-Жақсылықов", "Нұрсұлтан-Мұхаммедәли", "Бауыржанұлы"),
    ("Константинопольская-Преображенская", "Александра-Виктория", "Вячеславовна"),
    ("Жаңабергенқызыжаңабергенқызыжаңабергенқызыжаңаберген", "Ә", ""),  # one word wider than a slip
    ("Ли", "Ю", ""),
    ("Өтегенова", "Ақмарал", "Нұрлан қызы"),
    ("Ибрагимов-оглы", "Рашид", "Мамед оглы"),
    ("Сәрсенбаева", "Айгерім", "Қайратқызы"),
    ("Тұрсынбаев", "Ерасыл", "Серікұлы"),
]
SCHOOL = ("«Назарбаев Зияткерлік мектептері» ДББҰ-ның Орал қаласындағы химия-биология бағытындағы "
          "Назарбаев Зияткерлік мектебі")


@pytest.fixture(scope="module")
def long_names_room(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("long")
    lines = ["ИИН;Фамилия;Имя;Отчество;Класс;Литера;Язык"]
    for iin, (surname, name, patronymic) in zip(valid_iins(len(LONG_NAMES), seed=3), LONG_NAMES):
        lines.append(f"{iin};{surname};{name};{patronymic};9;А;kk")
    (folder / "roster.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    asyncio.run(init_room(folder / "room", folder / "roster.csv", [pack_path("g9-kk")],
                          questionnaire_paths=centre_questionnaires(folder / "centre"), school=SCHOOL, room="204"))
    return folder / "room"


def text_boxes(data: bytes) -> list[list[tuple[str, float, float, float, float]]]:
    """Per page: (text, left, top, right, bottom) in mm from the page's top-left corner, each
    width measured with the font and size the PDF uses."""
    measure = FPDF()
    measure.add_font(pdf.FONT, "", str(pdf.FONT_DIR / "DejaVuSans.ttf"))
    measure.add_font(pdf.FONT, "B", str(pdf.FONT_DIR / "DejaVuSans-Bold.ttf"))
    pages = []
    for page in PdfReader(io.BytesIO(data)).pages:
        height = float(page.mediabox.height)
        boxes = []

        def visit(text, cm, tm, font, size, boxes=boxes, height=height):
            if not text.strip() or font is None:
                return
            bold = "Bold" in str(font.get("/BaseFont", ""))
            measure.set_font(pdf.FONT, "B" if bold else "", size)
            x, y = tm[4] * PT, (height - tm[5]) * PT  # the baseline
            boxes.append((text, x, y - size * PT * 0.76, x + measure.get_string_width(text), y + size * PT * 0.24))

        page.extract_text(visitor_text=visit)
        pages.append(boxes)
    return pages


@pytest.mark.parametrize("browser_url", ["", "http://192.168.100.200:65535/"])  # with browser seats, the longest
def test_slips_fit_the_longest_names_inside_their_own_slip(long_names_room, browser_url):
    data = long_names_room
    snap = read_snapshot(data)
    logins = read_slips_file(data / "login-slips.csv")
    pages = text_boxes(slips_pdf(snap, logins, browser_url))
    assert len(pages) == 2
    slot_w = (210 - 2 * PAGE_LEFT) / COLS
    slot_h = (297 - PAGE_TOP - PAGE_BOTTOM) / ROWS
    grid_bottom = PAGE_TOP + ROWS * slot_h
    texts = []
    for boxes in pages:
        per_slot: dict[tuple[int, int], list] = {}
        for text, left, top, right, bottom in boxes:
            if "Бет / Стр." in text:  # the page footer: below the last cut line
                assert top > grid_bottom + 1 and 0 < left and right < 210, (text, top, left, right)
                continue
            col, row = int((left - PAGE_LEFT) // slot_w), int((top - PAGE_TOP) // slot_h)
            x0, y0 = PAGE_LEFT + col * slot_w, PAGE_TOP + row * slot_h
            # Inside its slip, at least 1.5 mm from every cut line.
            assert x0 + 1.5 <= left and right <= x0 + slot_w - 1.5, (text, left, right, x0)
            assert y0 + 1.5 <= top and bottom <= y0 + slot_h - 1.5, (text, top, bottom, y0)
            per_slot.setdefault((col, row), []).append((top, bottom, text))
            texts.append(text)
        for lines in per_slot.values():
            lines.sort()
            for (_, bottom, a), (top, _, b) in zip(lines, lines[1:]):
                assert bottom <= top + 0.6, f"{a!r} overlaps {b!r}"
            joined = " ".join(t for _, _, t in lines)
            assert "Логин:" in joined and "Пароль:" in joined and joined.rstrip().endswith("ББЖО (МОДО)")
            assert ("http://" in joined) == bool(browser_url) and browser_url in joined
    for login in logins:
        assert any(login["login"] in t for t in texts) and any(login["password"] in t for t in texts)
    assert any(t.endswith("…") and t.startswith("Жаңабергенқызы") for t in texts), "the unbreakable name is cut"
    assert any("Нұрмұхамбетова" in t for t in texts) and any("Сейітқасымқызы" in t for t in texts)
    assert any(t == "Ли Ю" for t in texts)


def test_a_name_shrinks_then_wraps_then_is_cut():
    doc = pdf.Doc()
    doc.add_page()
    from room_server.slips_pdf import fit_lines
    assert fit_lines(doc, "Ли Ю", 80, 11, 8.5, 2) == (11, ["Ли Ю"])
    name = "Абдуллаева-Нұрмұхамбетова Гүлшат-Айжан Сейітқасымқызы"
    doc.set_font(pdf.FONT, "", 10)
    width = doc.get_string_width(name) + 0.1
    assert fit_lines(doc, name, width, 11, 8.5, 2) == (10, [name])
    size, lines = fit_lines(doc, "Константинопольская-Преображенская Александра-Виктория Вячеславовна Ещё Одно", 80, 11, 8.5, 2)
    assert size == 8.5 and len(lines) == 2 and not lines[-1].endswith("…")
    size, lines = fit_lines(doc, " ".join(["Константинопольская-Преображенская"] * 4), 80, 11, 8.5, 2)
    assert len(lines) == 2 and lines[-1].endswith("…")
    doc.set_font(pdf.FONT, "", 8.5)
    assert all(doc.get_string_width(line) <= 80 for line in lines)


@pytest.fixture(scope="module")
def sat_room(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("sat") / "room"
    asyncio.run(run_sitting(data))
    return data


def protocol_pages(snap, fingerprint: str) -> list[str]:
    reader = PdfReader(io.BytesIO(protocol_form(snap, fingerprint)))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def test_protocol_has_one_date_in_one_format_and_faults_once(sat_room):
    snap = read_snapshot(sat_room)
    pause = snap.pauses[0]
    start = pdf.local_time(pause["start_ms"], "%H:%M")
    end = pdf.local_time(pause["end_ms"], "%H:%M")
    # What an earlier console saved: an ISO date and the pauses restated in the faults field.
    snap.protocol_saved.update({"date": "2026-04-15", "faults": f"{start}–{end} power: {PAUSE_NOTE}\nПринтер сломался"})
    text = " ".join(protocol_pages(snap, "SHA256:" + "ab" * 32))
    assert "date:" not in text and "2026-04-15" not in text
    day = pdf.local_time(snap.date_ms, "%d.%m.%Y")  # the records' date, not one saved earlier
    assert text.count(day) == 1 and (day == "15.04.2026" or "15.04.2026" not in text)
    assert text.count(PAUSE_NOTE) == 1, "the pause is in the table only"
    assert "Ақаулар / Сбои: Принтер сломался" in text


def test_no_section_heading_stands_alone_at_the_foot_of_a_page(sat_room):
    snap = read_snapshot(sat_room)
    fingerprint = "SHA256:" + "cd" * 32
    for lines in range(0, 60, 3):  # remarks of every length push section 5 down the page
        snap.protocol_saved["remarks"] = "\n".join(f"Ескерту {i}" for i in range(lines))
        for page in protocol_pages(snap, fingerprint):
            for heading, follows in (("5. Нәтижелер файлының қолтаңбасы", "SHA256: cdcd"),
                                     ("4. Ескертулер / Замечания", "Ескерту 0"),  # else blank lines follow
                                     ("3. Техникалық ақаулар", "Басталуы")):
                if heading in page and (lines or not heading.startswith("4.")):
                    assert follows in page.split(heading, 1)[1], (lines, heading)


@pytest.mark.parametrize("value, expected", [("2026-04-15", "15.04.2026"), ("15.04.2026", "15.04.2026"),
                                             ("15.04.26", "15.04.2026"), ("сәуір", "сәуір")])
def test_paper_date(value, expected):
    assert pdf.paper_date(value) == expected


def test_bundle_name_cuts_the_school_between_words():
    name = safe_name("Назарбаев Зияткерлік мектебі химия-биология бағытындағы", max_len=40)
    assert name == "Nazarbaev-Ziyatkerlik-mektebi-khimiya"
    assert safe_name("a" * 60, max_len=40) == "a" * 40
