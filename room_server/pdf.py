"""The paper forms as A4 PDFs: the seating sheet (Annex 4), the acts (Annexes 1
and 2, and a free-form act for other incidents) and the testing protocol (Annex 3); the login
slips are in slips_pdf.py.

Titles are in Kazakh and Russian; the acts follow the Russian wording of the official forms
(seeds: Приложение 1 and 2), each blank filled from the records where the room knows the
answer and left as a line to write on where it does not. Every form ends with lines for
signatures. The font is DejaVu Sans, shipped in room_server/fonts with its license, so every
Kazakh letter prints.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Iterable

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from .act_fields import act_values, extra_lines
from .snapshot import Snapshot, local_time

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT = "DejaVu"

MODO = "ББЖМ / МОДО"
RULES_NOTE = ("к Правилам проведения мониторинга образовательных достижений обучающихся "
              "в организациях образования Республики Казахстан")

TITLES = {
    "slips": ("Жүйеге кіру формасы", "Форма входа в систему"),
    "seating": ("Отырғызу парағы", "Лист рассадки"),
    "annex1": ("Тыйым салынған заттарды анықтау және тестіленушіні аудиториядан шығару актісі",
               "Акт выявления запрещенных предметов и удаления из аудитории тестируемого"),
    "annex2": ("Тестілеуді бастау немесе өткізу кезінде бөгде тұлғаны анықтау актісі",
               "Акт выявления подставного лица в ходе запуска или проведения тестирования"),
    "other": ("Тестілеу кезіндегі оқиға туралы акт", "Акт о происшествии во время тестирования"),
    "protocol": ("Тестілеу хаттамасы", "Протокол тестирования"),
}
ANNEX = {"annex1": 1, "annex2": 2, "protocol": 3, "seating": 4}

STATE_NAMES = {
    "not_logged_in": "кірмеген / не входил", "confirming": "кірді / вошёл", "rules": "ережелер / правила",
    "waiting": "күтуде / ожидает", "testing": "тест жүруде / идёт тест", "on_break": "үзіліс / перерыв",
    "finished": "аяқтады / завершил", "questionnaire": "сауалнама / анкета", "done": "аяқтады / завершил",
    "removed": "шығарылды / удалён",
}


class FormError(Exception):
    """A form cannot be made (e.g. no incidents for the acts); the message says why."""


class Doc(FPDF):
    """A4 portrait, DejaVu Sans, a footer with the room and the page number."""

    def __init__(self, footer: str = ""):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.footer_text = footer
        self.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.set_margins(15, 12, 15)
        self.set_auto_page_break(True, margin=16)
        self.set_creator("Synaq")
        self.set_font(FONT, size=10)

    # ----------------------------------------------------------------- page furniture

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=7)
        self.set_text_color(90)
        page = f"    Бет / Стр. {self.page_no()}/{{nb}}"
        room = self.width - self.get_string_width(page.replace("{nb}", "999"))
        self.cell(0, 4, cut_to_width(self, self.footer_text, room) + page, align="C")
        self.set_text_color(0)

    @property
    def width(self) -> float:
        return self.w - self.l_margin - self.r_margin

    def annex_label(self, number: int, note: bool = True) -> None:
        self.set_font(FONT, size=8)
        self.set_x(self.w - self.r_margin - 75)
        text = f"{number}-қосымша / Приложение {number}"
        if note:
            text += "\n" + RULES_NOTE
        self.multi_cell(75, 3.6, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(3)

    def heading(self, kk: str, ru: str, size: float = 13) -> None:
        self.set_font(FONT, "B", size)
        self.multi_cell(0, size * 0.5, kk, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(0.8)
        self.multi_cell(0, size * 0.5, ru, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(3)
        self.set_font(FONT, size=10)

    def text_line(self, text: str, size: float = 10, bold: bool = False, h: float | None = None,
                  align: str = "L") -> None:
        self.set_font(FONT, "B" if bold else "", size)
        self.multi_cell(0, h or size * 0.5, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, size=10)

    def blank(self, label: str, value: object = "", caption: str = "", width: float | None = None,
              end_line: bool = True) -> None:
        """'Label ____value____' with an optional small caption under the line, like the
        official forms. An empty value leaves the line to be written on by hand."""
        self.set_font(FONT, size=10)
        h = 6
        if label:
            label_w = self.get_string_width(label) + 1.5
            if self.get_x() + label_w > self.w - self.r_margin - 20:
                self.ln(h)
            self.cell(label_w, h, label)
        room = self.w - self.r_margin - self.get_x()
        w = min(width, room) if width else room
        text = "" if value is None else str(value)
        x, y = self.get_x(), self.get_y()
        if self.get_string_width(text) <= w - 2:
            self.cell(w, h, text, border="B", new_x=XPos.RIGHT, new_y=YPos.TOP)
            end_x = x + w
        else:  # a long value flows onto full-width underlined lines
            self.ln(h)
            self.multi_cell(0, h, text, border="B", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            x, w, end_x = self.l_margin, self.width, None
            y = self.get_y() - h
        if caption:
            self.set_xy(x, y + h)
            self.set_font(FONT, size=6.5)
            self.cell(w, 3, caption, align="C")
            self.set_font(FONT, size=10)
            if end_line:
                self.set_xy(self.l_margin, y + h + 3.5)
            else:
                self.set_xy(end_x if end_x is not None else self.l_margin, y)
        elif end_line:
            self.set_xy(self.l_margin, y + h + 0.5)
        elif end_x is None:
            self.set_xy(self.l_margin, y + h + 0.5)
        self.set_font(FONT, size=10)

    def section(self, title: str, keep_with: float = 30) -> None:
        """A numbered section heading that never stands alone at the foot of a page: it moves
        to the next page unless `keep_with` mm of what follows fit under it."""
        if self.get_y() + 6 + keep_with > self.page_break_trigger:
            self.add_page()
        self.text_line(title, bold=True)

    def gap(self, mm: float = 2) -> None:
        self.ln(mm)

    def signature(self, caption: str, name: object = "") -> None:
        """A line to sign on, with the name (if known) and the caption under it."""
        self.gap(5)
        self.set_font(FONT, size=10)
        w_sign = 50
        self.cell(w_sign, 6, "", border="B")
        self.cell(6, 6, "")
        self.cell(self.width - w_sign - 6, 6, "" if name is None else str(name), border="B",
                  new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, size=6.5)
        self.cell(w_sign, 3, "қолы / подпись", align="C")
        self.cell(6, 3, "")
        self.cell(self.width - w_sign - 6, 3, caption, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, size=10)

    def stamp_place(self) -> None:
        self.gap(4)
        self.set_font(FONT, size=9)
        self.cell(0, 5, "М.О. / М.П.", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, size=10)

    def room_header(self, snap: Snapshot) -> None:
        self.blank("Мектеп / Организация образования:", snap.school)
        self.blank("Аудитория №", snap.room, width=14, end_line=False)
        self.cell(3, 6, "")
        self.blank("Ағын / Поток:", snap.sitting, width=10, end_line=False)
        self.cell(3, 6, "")
        self.blank("Сынып / Класс:", snap.grade, width=10, end_line=False)
        self.cell(3, 6, "")
        self.blank("Күні / Дата:", paper_date(snap.protocol_saved.get("date"), snap.date_ms))
        self.gap(2)


def cut_to_width(doc: FPDF, text: str, width: float) -> str:
    """The text in the current font, cut with '…' where it would pass `width` mm."""
    if doc.get_string_width(text) <= width:
        return text
    while text and doc.get_string_width(text.rstrip() + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"


PAPER_DATE = "%d.%m.%Y"  # the one date format of the Kazakh and Russian forms


def paper_date(value: object, fallback_ms: int | None = None) -> str:
    """A date as the forms print it (15.04.2026), from a typed date in ISO (2026-04-15) or paper
    form, or else from a time in ms; text that is not a date is printed as typed."""
    text = str(value or "").strip()
    for fmt in ("%Y-%m-%d", "%d.%m.%Y", "%d.%m.%y", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).strftime(PAPER_DATE)
        except ValueError:
            continue
    return text or local_time(fallback_ms, PAPER_DATE)


def page_footer(snap: Snapshot) -> str:
    parts = [MODO, snap.school, f"ауд. {snap.room}" if snap.room else "", f"ағын/поток {snap.sitting}" if snap.sitting else ""]
    return " · ".join(p for p in parts if p)


def pdf_bytes(doc: Doc) -> bytes:
    return bytes(doc.output())


# ------------------------------------------------------------------------- Annex 4

def seating_pdf(snap: Snapshot) -> bytes:
    doc = Doc(page_footer(snap))
    doc.add_page()
    doc.annex_label(ANNEX["seating"])
    doc.heading(*TITLES["seating"])
    doc.room_header(snap)
    doc.set_font(FONT, size=7.5)
    widths = (11, 44, 12, 16, 16, 16, 11, 30, 24)
    heads = ("Орын\nМесто", "Аты-жөні\nФ.И.О.", "Сынып\nКласс", "ИКТ", "Логин", "Нұсқа\nВариант",
             "Тіл\nЯзык", "Келуі / Явка", "Қолы\nПодпись")
    with doc.table(col_widths=widths, text_align=("CENTER", "LEFT", "CENTER", "CENTER", "CENTER", "CENTER",
                                                  "CENTER", "LEFT", "CENTER"),
                   line_height=3.6, padding=0.8, first_row_as_headings=True, repeat_headings=1) as table:
        head = table.row()
        for text in heads:
            head.cell(text)
        for s in snap.students:
            row = table.row()
            status = s.attendance_status
            if status == "absent":
                mark = "келмеді / не явился"
                reason = s.attendance.get("reason") or ""
                document = s.attendance.get("document") or ""
                if reason:
                    mark += f": {reason}"
                if document:
                    mark += f" ({document})"
            elif status == "present":
                mark = "келді / явился"
                if s.annulled:
                    mark += "; нәтиже жойылды / результат аннулирован"
            else:
                mark = ""
            for text in (str(s.seat), s.full_name(), s.class_label, s.ikt, s.login, s.variant, s.language, mark, ""):
                row.cell(text)
    statuses = [s.attendance_status for s in snap.students]
    doc.gap(3)
    doc.text_line(f"Тізімде / По списку: {len(snap.students)}    Келді / Явились: {statuses.count('present')}    "
                  f"Келмеді / Не явились: {statuses.count('absent')}    "
                  f"Белгіленбеген / Не отмечено: {statuses.count('not_marked')}", size=9)
    fields = snap.protocol_fields()
    doc.signature("тест өткізуші / тест-администратор (Т.А.Ә. / Ф.И.О.)", fields.get("administrator", ""))
    doc.signature("мектеп үйлестірушісі / школьный координатор (Т.А.Ә. / Ф.И.О.)", fields.get("coordinator", ""))
    doc.stamp_place()
    return pdf_bytes(doc)


# ------------------------------------------------------------------------- Annexes 1 and 2

def acts_pdf(snap: Snapshot, incidents: Iterable[dict] | None = None) -> bytes:
    """Every incident's act, each on its own page(s)."""
    incidents = list(snap.incidents if incidents is None else incidents)
    if not incidents:
        raise FormError("no acts to print: no incidents are recorded in this room")
    doc = Doc(page_footer(snap))
    for incident in incidents:
        _act(doc, snap, incident)
    return pdf_bytes(doc)


def act_pdf(snap: Snapshot, incident: dict) -> bytes:
    doc = Doc(page_footer(snap))
    _act(doc, snap, incident)
    return pdf_bytes(doc)


def _act(doc: Doc, snap: Snapshot, incident: dict) -> None:
    f = act_values(incident.get("fields") or {})
    kind = incident.get("kind", "other")
    doc.add_page()
    if kind in ANNEX:
        doc.annex_label(ANNEX[kind])
    doc.heading(*TITLES.get(kind, TITLES["other"]))
    doc.text_line(f"№ {incident.get('id', '')}", size=10, align="C")
    doc.gap(2)
    at = incident.get("at_ms")
    date = str(f.get("date") or local_time(at, "%d.%m.%Y"))
    hours, minutes = (str(f.get("time")).split(":", 1) + [""])[:2] if f.get("time") else \
        (local_time(at, "%H"), local_time(at, "%M"))
    org = " ".join(str(x) for x in (f.get("org_code", ""), f.get("org_name") or f.get("school") or snap.school) if x)
    doc.blank("Организация образования / Білім беру ұйымы", org, caption="код, наименование / коды, атауы")
    doc.blank("Дата / Күні", date, width=35, end_line=False)
    doc.cell(4, 6, "")
    doc.blank("Время / Уақыты", hours, width=12, end_line=False)
    doc.cell(12, 6, " час.")
    doc.blank("", minutes, width=12, end_line=False)
    doc.cell(12, 6, " мин.", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    doc.gap(2)
    rep_label = "Представитель Министерства" if kind == "annex1" else "Уполномоченный представитель Министерства"
    doc.blank(rep_label, f.get("ministry_rep", ""), caption="Ф.И.О. (при его наличии)")
    doc.gap(1)
    name, ikt, room = f.get("student_name", ""), f.get("ikt", ""), f.get("room") or snap.room
    if kind == "annex1":
        doc.blank("У тестируемого: Ф.И.О. (при его наличии)", name)
        doc.blank("ИКТ", ikt, width=30, end_line=False)
        doc.blank(" из аудитории №", room, width=16, end_line=False)
        doc.blank(", место №", f.get("seat", ""), width=14, end_line=False)
        doc.blank(", вариант №", f.get("variant", ""), width=14)
        doc.text_line("во время тестирования обнаружили:")
        doc.blank("", f.get("item_found", ""), caption="наименование (марка, количество) обнаруженного предмета")
        doc.gap(1)
        doc.text_line("что является нарушением пункта 20 Правил проведения мониторинга образовательных достижений "
                      "обучающихся. Учитывая данный факт, постановили:")
        doc.gap(1)
        doc.text_line("– изъять материал тестирования;")
        doc.blank("– удалить из аудитории №", room, width=16)
        doc.blank("и аннулировать результаты тестирования: Ф.И.О. (при его наличии)", name)
        doc.blank("ИКТ", ikt, width=40)
        doc.gap(2)
        _drawn_up(doc, f)
        doc.gap(2)
        doc.text_line("С актом ознакомлены / Актімен таныстым:", bold=True)
        doc.signature("подпись и Ф.И.О. (при его наличии) тестируемого", name)
        doc.signature("подпись и Ф.И.О. уполномоченного представителя Министерства", f.get("ministry_rep", ""))
    elif kind == "annex2":
        doc.text_line("Выявлен факт попытки входа в здание организации образования для сдачи тестирования "
                      "вместо тестируемого")
        doc.blank("", f"{name}, ИКТ {ikt}" if name or ikt else "", caption="Ф.И.О. (при его наличии) и ИКТ")
        doc.blank("гражданина", f.get("impostor_name", ""), caption="Ф.И.О. (при его наличии)")
        doc.gap(1)
        doc.text_line("Учитывая данный факт, постановили:")
        doc.blank("Тестируемого", f.get("impostor_name", ""), caption="Ф.И.О. (при его наличии)")
        only = f.get("decision") == "not_admitted_only"
        doc.text_line(f"[{'X' if only else ' '}] в здание организации образования для сдачи тестирования не допускать")
        doc.text_line(f"[{' ' if only else 'X'}] изъять экзаменационный материал и удалить из аудитории № {room} "
                      "с аннулированием результатов тестирования")
        doc.blank("Ф.И.О. (при его наличии)", "" if only else name)
        doc.blank("ИКТ", "" if only else ikt, width=40)
        doc.gap(2)
        _drawn_up(doc, f)
        doc.gap(2)
        doc.text_line("С актом ознакомлены / Актімен таныстым:", bold=True)
        doc.signature("подпись и Ф.И.О. (при его наличии) тестируемого / подставного лица",
                      f.get("impostor_name", ""))
        doc.signature("подпись и Ф.И.О. уполномоченного представителя Министерства", f.get("ministry_rep", ""))
    else:
        if name:
            doc.blank("Тестируемый / Тестіленуші: Ф.И.О.", name)
            doc.blank("ИКТ", ikt, width=30, end_line=False)
            doc.blank(" аудитория №", room, width=16, end_line=False)
            doc.blank(", место №", f.get("seat", ""), width=14)
        doc.text_line("Что произошло / Не болды:")
        doc.blank("", f.get("description", ""))
        doc.gap(2)
        _drawn_up(doc, f)
    extra = extra_lines(f)
    if extra:
        doc.gap(3)
        doc.text_line("Қосымша мәліметтер / Дополнительно:", size=9, bold=True)
        for label, value in extra:
            doc.text_line(f"{label}: {value}", size=9)
    doc.stamp_place()


def _drawn_up(doc: Doc, f: dict) -> None:
    doc.text_line("Подписи и Ф.И.О. (при его наличии) лиц, составивших настоящий акт / Актіні жасағандар:", size=9)
    names = [n.strip() for n in str(f.get("drawn_up_by", "")).replace(";", ",").split(",") if n.strip()]
    for n in (names + ["", ""])[:max(2, len(names))]:
        doc.signature("Ф.И.О. (при его наличии)", n)


# ------------------------------------------------------------------------- Annex 3
