"""The paper forms as A4 PDFs: login slips, the seating sheet (Annex 4), the acts (Annexes 1
and 2, and a free-form act for other incidents) and the testing protocol (Annex 3).

Titles are in Kazakh and Russian; the acts follow the Russian wording of the official forms
(seeds: Приложение 1 and 2), each blank filled from the records where the room knows the
answer and left as a line to write on where it does not. Every form ends with lines for
signatures. The font is DejaVu Sans, shipped in room_server/fonts with its license, so every
Kazakh letter prints.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from .signing import fingerprint_for_paper
from .snapshot import Snapshot, StudentRecord, local_time

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

# Incident fields the acts place in their blanks (the server adds student_name, ikt, seat,
# variant, room, school). Any other field is printed under "Дополнительно".
ACT_FIELDS = {"org_code", "org_name", "school", "room", "seat", "variant", "student_name", "ikt", "ministry_rep",
              "item_found", "impostor_name", "decision", "drawn_up_by", "description", "date", "time", "witnesses"}

PAUSE_REASONS = {"power": "электр қуаты / электропитание", "network": "желі / сеть",
                 "other": "басқа / другое", "server_outage": "сервер тоқтады / остановка сервера"}
KIND_NAMES = {"annex1": "1-қосымша / Прил. 1: тыйым салынған зат / запрещённый предмет",
              "annex2": "2-қосымша / Прил. 2: бөгде тұлға / подставное лицо",
              "other": "басқа / другое"}
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
        self.cell(0, 4, f"{self.footer_text}    Бет / Стр. {self.page_no()}/{{nb}}", align="C")
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
        self.blank("Күні / Дата:", local_time(snap.date_ms, "%d.%m.%Y"))
        self.gap(2)


def _footer(snap: Snapshot) -> str:
    parts = [MODO, snap.school, f"ауд. {snap.room}" if snap.room else "", f"ағын/поток {snap.sitting}" if snap.sitting else ""]
    return " · ".join(p for p in parts if p)


def _output(doc: Doc) -> bytes:
    return bytes(doc.output())


# ------------------------------------------------------------------------- login slips

def slips_pdf(snap: Snapshot, logins: list[dict]) -> bytes:
    """One slip per student (seat order), 8 to a page with dashed cut lines."""
    by_login = {s.login: s for s in snap.students}
    rows = []
    for entry in logins:
        s = by_login.get(entry.get("login", ""))
        if s is None:
            continue  # a slip for a login the room does not know is never printed
        rows.append((s, entry.get("password", "")))
    if not rows:
        raise FormError("no login slips to print: the slips file lists none of this room's students")
    rows.sort(key=lambda r: r[0].seat)
    doc = Doc(_footer(snap))
    doc.set_auto_page_break(False)
    cols, per_col = 2, 4
    left, top = 10.0, 10.0
    w = (doc.w - 2 * left) / cols
    h = (doc.h - 2 * top) / per_col
    for index, (s, password) in enumerate(rows):
        slot = index % (cols * per_col)
        if slot == 0:
            doc.add_page()
            _cut_lines(doc, left, top, w, h, cols, per_col)
        x = left + (slot % cols) * w
        y = top + (slot // cols) * h
        _slip(doc, snap, s, password, x + 5, y + 5, w - 10)
    return _output(doc)


def _cut_lines(doc: Doc, left: float, top: float, w: float, h: float, cols: int, rows: int) -> None:
    doc.set_draw_color(120)
    doc.set_line_width(0.2)
    doc.set_dash_pattern(dash=2, gap=1.5)
    for c in range(cols + 1):
        doc.line(left + c * w, top, left + c * w, top + rows * h)
    for r in range(rows + 1):
        doc.line(left, top + r * h, left + cols * w, top + r * h)
    doc.set_dash_pattern()
    doc.set_draw_color(0)
    doc.set_font(FONT, size=7)
    doc.set_text_color(120)
    for r in range(1, rows):
        doc.text(left + 1, top + r * h - 0.8, "✂")
    doc.set_text_color(0)


def _slip(doc: Doc, snap: Snapshot, s: StudentRecord, password: str, x: float, y: float, w: float) -> None:
    def line(text: str, size: float, bold: bool = False, h: float | None = None) -> None:
        doc.set_xy(x, doc.get_y())
        doc.set_font(FONT, "B" if bold else "", size)
        doc.multi_cell(w, h or size * 0.48, text, align="L", new_x=XPos.LEFT, new_y=YPos.NEXT)

    doc.set_xy(x, y)
    line(f"{MODO} · {TITLES['slips'][0]} / {TITLES['slips'][1]}", 7, bold=True)
    line(snap.school or "", 7)
    doc.set_y(doc.get_y() + 1.5)
    line("Аты-жөні / Ф.И.О.:", 7)
    line(s.full_name(), 11, bold=True)
    doc.set_y(doc.get_y() + 1)
    line(f"Сынып / Класс: {s.class_label}    ИКТ: {s.ikt}", 9)
    line(f"Аудитория № {snap.room}    Орын / Место № {s.seat}", 9)
    doc.set_y(doc.get_y() + 2)
    line(f"Логин:  {s.login}", 13, bold=True, h=6.5)
    line(f"Құпиясөз / Пароль:  {password}", 13, bold=True, h=6.5)
    doc.set_y(doc.get_y() + 1)
    line("Тест түрі / Тип теста: ББЖО (МОДО)", 7)


# ------------------------------------------------------------------------- Annex 4

def seating_pdf(snap: Snapshot) -> bytes:
    doc = Doc(_footer(snap))
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
    return _output(doc)


# ------------------------------------------------------------------------- Annexes 1 and 2

def acts_pdf(snap: Snapshot, incidents: Iterable[dict] | None = None) -> bytes:
    """Every incident's act, each on its own page(s)."""
    incidents = list(snap.incidents if incidents is None else incidents)
    if not incidents:
        raise FormError("no acts to print: no incidents are recorded in this room")
    doc = Doc(_footer(snap))
    for incident in incidents:
        _act(doc, snap, incident)
    return _output(doc)


def act_pdf(snap: Snapshot, incident: dict) -> bytes:
    doc = Doc(_footer(snap))
    _act(doc, snap, incident)
    return _output(doc)


# The console's field names and the names the acts print; both are accepted.
ACT_FIELD_ALIASES = {"org_code": ("school_code",), "ministry_rep": ("representative",)}


def _act_fields(fields: dict) -> dict:
    f = dict(fields)
    for name, aliases in ACT_FIELD_ALIASES.items():
        for alias in aliases:
            if not f.get(name) and f.get(alias):
                f[name] = f[alias]
    if not f.get("item_found"):  # the console gives the item's name, make and quantity apart
        f["item_found"] = ", ".join(str(f[k]) for k in ("item_name", "item_make", "item_quantity") if f.get(k))
    return f


def _act(doc: Doc, snap: Snapshot, incident: dict) -> None:
    f = _act_fields(incident.get("fields") or {})
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
    extra = {k: v for k, v in f.items() if k not in ACT_FIELDS}
    if extra:
        doc.gap(3)
        doc.text_line("Дополнительно / Қосымша мәліметтер:", size=9, bold=True)
        for key, value in extra.items():
            doc.text_line(f"{key}: {value}", size=9)
    doc.stamp_place()


def _drawn_up(doc: Doc, f: dict) -> None:
    doc.text_line("Подписи и Ф.И.О. (при его наличии) лиц, составивших настоящий акт / Актіні жасағандар:", size=9)
    names = [n.strip() for n in str(f.get("drawn_up_by", "")).replace(";", ",").split(",") if n.strip()]
    for n in (names + ["", ""])[:max(2, len(names))]:
        doc.signature("Ф.И.О. (при его наличии)", n)


# ------------------------------------------------------------------------- Annex 3

def protocol_pdf(snap: Snapshot, fingerprint: str) -> bytes:
    fields = snap.protocol_fields()
    doc = Doc(_footer(snap))
    doc.add_page()
    doc.annex_label(ANNEX["protocol"])
    doc.heading(*TITLES["protocol"])
    doc.text_line(f"{MODO} · {snap.grade}-сынып / {snap.grade} класс", size=10, align="C")
    doc.gap(2)
    org = " ".join(str(x) for x in (fields.get("org_code", ""), fields.get("school", "")) if x)
    doc.blank("Мектеп / Организация образования:", org, caption="код, наименование / коды, атауы")
    doc.blank("Аудитория №", fields.get("room", ""), width=22, end_line=False)
    doc.cell(4, 6, "")
    doc.blank("Ағын / Поток:", fields.get("sitting", ""), width=18, end_line=False)
    doc.cell(4, 6, "")
    doc.blank("Күні / Дата:", local_time(snap.date_ms, "%d.%m.%Y"))
    doc.blank("Тест өткізуші / Тест-администратор:", fields.get("administrator", ""), caption="Т.А.Ә. / Ф.И.О.")
    doc.gap(1)
    start = fields.get("start") or fields.get("start_time") or local_time(_ms(fields.get("start_ms")), "%H:%M")
    end = fields.get("end") or fields.get("end_time") or local_time(_ms(fields.get("end_ms")), "%H:%M")
    doc.blank("Тестілеудің басталуы / Начало тестирования:", start, width=30, end_line=False)
    doc.cell(4, 6, "")
    doc.blank("Аяқталуы / Окончание:", end, width=30)
    doc.gap(2)

    doc.text_line("1. Қатысу / Явка", bold=True)
    doc.blank("Тізімде / По списку:", fields.get("registered", ""), width=14, end_line=False)
    doc.cell(3, 6, "")
    doc.blank("Келді / Явились:", fields.get("present", ""), width=14, end_line=False)
    doc.cell(3, 6, "")
    doc.blank("Келмеді / Не явились:", fields.get("absent", ""), width=14)
    doc.blank("Тестті аяқтады / Завершили тест:", fields.get("finished", ""), width=14, end_line=False)
    doc.cell(3, 6, "")
    doc.blank("Шығарылды / Удалены:", fields.get("removed", ""), width=14)
    doc.blank("Кіру формалары берілді / Форм входа выдано:", fields.get("slips_handed", ""), width=14,
              end_line=False)
    doc.cell(3, 6, "")
    doc.blank("жиналды / собрано:", fields.get("slips_collected", ""), width=14)
    absent = [s for s in snap.students if s.attendance_status == "absent"]
    if absent:
        doc.gap(1)
        doc.text_line("Келмегендер / Не явившиеся:", size=9)
        for s in absent:
            reason = "; ".join(x for x in (s.attendance.get("reason"), s.attendance.get("document")) if x)
            doc.text_line(f"  • {s.full_name()} (ИКТ {s.ikt}, орын / место {s.seat}) — {reason}", size=9)
    doc.gap(3)

    doc.text_line("2. Оқиғалар мен актілер / Происшествия и акты", bold=True)
    if snap.incidents:
        with doc.table(col_widths=(12, 22, 60, 60, 26), line_height=3.8, padding=0.8,
                       text_align=("CENTER", "CENTER", "LEFT", "LEFT", "CENTER")) as table:
            head = table.row()
            for text in ("№", "Уақыты\nВремя", "Түрі / Вид", "Тестіленуші / Тестируемый", "ИКТ"):
                head.cell(text)
            for i in snap.incidents:
                s = snap.student(i["student_id"])
                f = i["fields"]
                row = table.row()
                for text in (str(i["id"]), local_time(i["at_ms"], "%H:%M"), KIND_NAMES.get(i["kind"], i["kind"]),
                             f.get("student_name") or (s.full_name() if s else "—"), f.get("ikt") or (s.ikt if s else "")):
                    row.cell(str(text))
    else:
        doc.text_line("Оқиғалар болған жоқ / Происшествий не было.", size=9)
    doc.gap(3)

    doc.text_line("3. Техникалық ақаулар мен үзілістер / Технические сбои и приостановки", bold=True)
    pauses = fields.get("pauses") if isinstance(fields.get("pauses"), list) else snap.prefill()["pauses"]
    if pauses:
        with doc.table(col_widths=(28, 28, 22, 50, 52), line_height=3.8, padding=0.8,
                       text_align=("CENTER", "CENTER", "CENTER", "LEFT", "LEFT")) as table:
            head = table.row()
            for text in ("Басталуы\nНачало", "Аяқталуы\nКонец", "Мин.", "Себебі / Причина", "Ескерту / Примечание"):
                head.cell(text)
            for p in pauses:
                start_ms, end_ms = _ms(p.get("start_ms")), _ms(p.get("end_ms"))
                minutes = f"{(end_ms - start_ms) / 60000:.0f}" if start_ms and end_ms else ""
                row = table.row()
                for text in (local_time(start_ms, "%H:%M:%S"), local_time(end_ms, "%H:%M:%S") or "…", minutes,
                             PAUSE_REASONS.get(p.get("reason", ""), str(p.get("reason", ""))), str(p.get("note", ""))):
                    row.cell(text)
    else:
        doc.text_line("Үзілістер болған жоқ / Приостановок не было.", size=9)
    if fields.get("faults"):
        doc.text_line(f"Ақаулар / Сбои: {fields['faults']}", size=9)
    extra = snap.extra_time
    if extra:
        doc.gap(1)
        doc.text_line("Қосымша уақыт / Дополнительное время:", size=9)
        for e in extra:
            s = snap.student(e["student_id"])
            who = f"{s.full_name()} (ИКТ {s.ikt})" if s else str(e["student_id"])
            doc.text_line(f"  • {local_time(e['at_ms'], '%H:%M')} {who}: +{e['minutes']} мин. — {e['reason']}", size=9)
    doc.gap(3)

    doc.text_line("4. Ескертулер / Замечания", bold=True)
    remarks = str(fields.get("remarks") or "")
    if remarks:
        doc.text_line(remarks, size=9)
    for _ in range(1 if remarks else 3):
        doc.blank("", "")
    known = {"school", "room", "sitting", "grade", "start_ms", "end_ms", "registered", "present", "absent", "finished",
             "removed", "incidents", "pauses", "slips_handed", "slips_collected", "org_code", "administrator",
             "coordinator", "start", "end", "start_time", "end_time", "faults", "remarks"}
    others = {k: v for k, v in snap.protocol_saved.items() if k not in known and v not in (None, "")}
    for key, value in others.items():
        doc.text_line(f"{key}: {value if not isinstance(value, (dict, list)) else json.dumps(value, ensure_ascii=False)}",
                      size=9)
    doc.gap(3)

    doc.text_line("5. Нәтижелер файлының қолтаңбасы / Подпись файла результатов", bold=True)
    doc.text_line("Бөлме кілтінің ізі (Ed25519) / Отпечаток ключа подписи аудитории (Ed25519):", size=9)
    doc.set_font("Courier", size=10)  # fixed width: easy to compare group by group
    doc.multi_cell(0, 5, fingerprint_for_paper(fingerprint), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    doc.set_font(FONT, size=10)
    doc.text_line("USB-дегі нәтижелер осы кілтпен қол қойылған; тексеру: room-server verify БУМА / "
                  "Результаты на USB подписаны этим ключом; проверка: room-server verify ПАПКА", size=7.5)
    doc.gap(2)
    doc.signature("тест өткізуші / тест-администратор (Т.А.Ә. / Ф.И.О.)", fields.get("administrator", ""))
    doc.signature("мектеп үйлестірушісі / школьный координатор (Т.А.Ә. / Ф.И.О.)", fields.get("coordinator", ""))
    doc.stamp_place()
    return _output(doc)


def _ms(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
