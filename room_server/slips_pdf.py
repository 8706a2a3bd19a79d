"""Login slips: 8 to an A4 page, 2 columns by 4 rows, dashed cut lines between them.

Every line of a slip has a fixed place inside its own rectangle, so no name, however long,
reaches another student's login and password: a line too wide first shrinks (down to a floor
that stays readable), then wraps onto the lines it is allowed, then is cut with "…". The
slip's last line stands clear above the cut line, and the page footer below the last row.
"""

from __future__ import annotations

from fpdf.enums import XPos, YPos

from .pdf import FONT, MODO, TITLES, Doc, FormError, page_footer, pdf_bytes, cut_to_width
from .snapshot import Snapshot, StudentRecord

COLS, ROWS = 2, 4
PAGE_LEFT, PAGE_TOP, PAGE_BOTTOM = 10.0, 10.0, 18.0  # the page footer sits in the bottom 12 mm
PAD = 4.0  # from a cut line to the slip's text
ELLIPSIS = "…"
LINE = 0.45  # line height per point of font size, in mm


STAFF_TITLES = {"teacher": ("Мұғалімге арналған сауалнама", "Анкета для учителя"),
                "principal": ("Мектеп басшысына арналған сауалнама", "Анкета для руководителя школы")}


def slips_pdf(snap: Snapshot, logins: list[dict], browser_url: str = "") -> bytes:
    """One slip per student (seat order); `browser_url`, when browser seats are served, is
    printed on each slip: what to open on a computer with only a browser."""
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
    return _sheets(snap, [lambda doc, x, y, w, h, s=s, pw=pw: _slip(doc, snap, s, pw, browser_url, x, y, w, h)
                        for s, pw in rows])


def staff_slips_pdf(snap: Snapshot, slips: list[dict]) -> bytes:
    """One slip per teacher's or principal's questionnaire account: no name, a login."""
    rows = [row for row in slips if row.get("audience") in STAFF_TITLES and row.get("login")]
    if not rows:
        raise FormError("no teachers' or principals' slips to print: add them with 'room-server staff'")
    return _sheets(snap, [lambda doc, x, y, w, h, r=r: _staff_slip(doc, snap, r, x, y, w, h) for r in rows])


def _sheets(snap: Snapshot, slips: list) -> bytes:
    """Pages of COLS x ROWS slips with cut lines; each slip draws itself in its rectangle."""
    doc = Doc(page_footer(snap))
    doc.set_auto_page_break(False)
    w = (doc.w - 2 * PAGE_LEFT) / COLS
    h = (doc.h - PAGE_TOP - PAGE_BOTTOM) / ROWS
    for index, draw in enumerate(slips):
        slot = index % (COLS * ROWS)
        if slot == 0:
            doc.add_page()
            _cut_lines(doc, w, h)
        x = PAGE_LEFT + (slot % COLS) * w
        y = PAGE_TOP + (slot // COLS) * h
        draw(doc, x + PAD, y + PAD, w - 2 * PAD, h - 2 * PAD)
    return pdf_bytes(doc)


def _cut_lines(doc: Doc, w: float, h: float) -> None:
    doc.set_draw_color(120)
    doc.set_line_width(0.2)
    doc.set_dash_pattern(dash=2, gap=1.5)
    for c in range(COLS + 1):
        doc.line(PAGE_LEFT + c * w, PAGE_TOP, PAGE_LEFT + c * w, PAGE_TOP + ROWS * h)
    for r in range(ROWS + 1):
        doc.line(PAGE_LEFT, PAGE_TOP + r * h, PAGE_LEFT + COLS * w, PAGE_TOP + r * h)
    doc.set_dash_pattern()
    doc.set_draw_color(0)


def fit_lines(doc: Doc, text: str, width: float, size: float, floor: float, max_lines: int,
              bold: bool = False) -> tuple[float, list[str]]:
    """(font size, lines) for `text` in `width` mm: the largest size from `size` down to `floor`
    that fits one line; else wrapped at `floor` into at most `max_lines`, the last cut with '…'."""
    style = "B" if bold else ""
    current = size
    while current >= floor:
        doc.set_font(FONT, style, current)
        if doc.get_string_width(text) <= width:
            return current, [text]
        current = round(current - 0.5, 2)
    doc.set_font(FONT, style, floor)
    lines: list[str] = []
    rest = text.split()
    while rest and len(lines) < max_lines:
        line = rest.pop(0)
        while rest and doc.get_string_width(f"{line} {rest[0]}") <= width:
            line = f"{line} {rest.pop(0)}"
        lines.append(line)
    if rest:
        lines[-1] = cut_to_width(doc, " ".join([lines[-1], *rest]) + " " + ELLIPSIS, width)
    return floor, [cut_to_width(doc, line, width) for line in lines]  # a word wider than the slip


def _slip(doc: Doc, snap: Snapshot, s: StudentRecord, password: str, browser_url: str, x: float, y: float,
          w: float, h: float) -> None:
    """The slip's lines from the top of its rectangle (x, y, w, h); the last line from its bottom."""
    put = SlipLines(doc, x, y, w)

    put(f"{MODO} · {TITLES['slips'][0]} / {TITLES['slips'][1]}", 7, 5.5, bold=True)
    put(snap.school or "", 7, 6, max_lines=2, gap=1.5)
    put("Аты-жөні / Ф.И.О.:", 7, 7)
    put(s.full_name(), 11, 8.5, max_lines=2, bold=True, gap=1)
    put(f"Сынып / Класс: {s.class_label}    ИКТ: {s.ikt}", 9, 7)
    put(f"Аудитория № {snap.room}    Орын / Место № {s.seat}", 9, 7, gap=2)
    put(f"Логин:  {s.login}", 13, 10, bold=True)
    put(f"Құпиясөз / Пароль:  {password}", 13, 10, bold=True)
    if browser_url:
        put(f"Браузерде / В браузере:  {browser_url}", 9, 7, gap=0)
    size = 7
    footer_y = y + h - size * LINE
    assert put.top <= footer_y, "the slip's lines outgrew their rectangle"  # fixed budget: a bug, not user input
    doc.set_font(FONT, "", size)
    doc.set_xy(x, footer_y)
    doc.cell(w, size * LINE, "Тест түрі / Тип теста: ББЖО (МОДО)")


def _staff_slip(doc: Doc, snap: Snapshot, row: dict, x: float, y: float, w: float, h: float) -> None:
    put = SlipLines(doc, x, y, w)
    titles = STAFF_TITLES[row["audience"]]
    put(f"{MODO} · {titles[0]} / {titles[1]}", 7, 5.5, max_lines=2, bold=True)
    put(snap.school or "", 7, 6, max_lines=2, gap=1.5)
    put("Жауаптар құпия: олар тек талдау орталығына шифрланып жіберіледі. / Ответы конфиденциальны: они уходят "
        "зашифрованными только в аналитический центр.", 7, 6, max_lines=3, gap=2)
    put(f"Аудитория № {snap.room}", 9, 7, gap=1.5)
    put(f"Логин:  {row['login']}", 13, 10, bold=True)
    put(f"Құпиясөз / Пароль:  {row['password']}", 13, 10, bold=True)
    assert put.top <= y + h, "the slip's lines outgrew their rectangle"  # fixed budget: a bug, not user input


class SlipLines:
    """Writes a slip's lines one under another, each fitted to the slip's width."""

    def __init__(self, doc: Doc, x: float, top: float, w: float):
        self.doc, self.x, self.top, self.w = doc, x, top, w

    def __call__(self, text: str, size: float, floor: float, max_lines: int = 1, bold: bool = False,
                 gap: float = 0) -> None:
        used, lines = fit_lines(self.doc, text, self.w, size, floor, max_lines, bold)
        self.doc.set_font(FONT, "B" if bold else "", used)
        for line in lines:
            self.doc.set_xy(self.x, self.top)
            self.doc.cell(self.w, used * LINE, line, new_x=XPos.LEFT, new_y=YPos.NEXT)
            self.top += used * LINE
        self.top += gap
