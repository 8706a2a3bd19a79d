"""The centre's PDFs: fpdf2 with the DejaVu Sans the room ships (room_server/fonts), which
has every Kazakh letter (ә ғ қ ң ө ұ ү һ і).

Loading the full DejaVu font costs about 0.1 s a document, too much for thousands of
letters, so the process cuts it once to the letters a report can use (Latin, Cyrillic with
the Kazakh letters, Greek for α, punctuation, ₸ and №; no layout tables, which fpdf2 does not
use without text shaping) and every document loads that small copy. Bold is the regular font
drawn with a thin outline (fill and stroke), so a document loads one font, not two.
"""

from __future__ import annotations

import atexit
import io
from contextlib import nullcontext
import shutil
import tempfile
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

import room_server

FONT = "DejaVu"
FONT_DIR = Path(room_server.__file__).parent / "fonts"
CODEPOINTS = [*range(0x20, 0x7F), *range(0xA0, 0x180), *range(0x370, 0x400), *range(0x400, 0x530), *range(0x2010, 0x2040),
              0x20B8, 0x2116, 0x2212, 0x2264, 0x2265, 0x2191, 0x2193, 0x2194, 0x2192, 0x2022, 0x25CF]
_cut: dict[str, Path] = {}


def font_file(style: str = "") -> Path:
    """The cut copy of DejaVu Sans ('' or 'B'), made once per process."""
    if style not in _cut:
        from fontTools import subset
        from fontTools.ttLib import TTFont
        folder = Path(tempfile.mkdtemp(prefix="synaq-fonts-"))
        atexit.register(shutil.rmtree, folder, True)
        source = FONT_DIR / ("DejaVuSans-Bold.ttf" if style == "B" else "DejaVuSans.ttf")
        options = subset.Options()
        options.layout_features = []
        options.hinting = False
        options.name_IDs = ["*"]
        options.notdef_outline = True
        options.drop_tables += ["FFTM", "GPOS", "GSUB", "GDEF", "MATH", "kern"]
        font = TTFont(source)
        cutter = subset.Subsetter(options)
        cutter.populate(unicodes=CODEPOINTS)
        cutter.subset(font)
        target = folder / source.name
        font.save(target)
        _cut[style] = target
    return _cut[style]


class Doc(FPDF):
    """A4 with DejaVu, a footer line and page numbers."""

    def __init__(self, footer: str = "", orientation: str = "P", page_numbers: bool = True):
        super().__init__(orientation=orientation, unit="mm", format="A4")
        self.footer_text = footer
        self.page_numbers = page_numbers
        self.add_font(FONT, "", str(font_file("")))
        self.set_margins(14, 12, 14)
        self.set_auto_page_break(True, margin=15)
        self.set_creator("Synaq")
        self.set_font(FONT, size=10)

    def set_font(self, family=None, style="", size=0) -> None:
        super().set_font(family, "", size)  # one font: bold is drawn by `styled`

    def styled(self, bold: bool):
        """Bold as a stroked outline of the regular font (see the module's note), inside q/Q
        so that the PDF's text state is back to plain fill afterwards."""
        return self.local_context(text_mode="FILL_STROKE", line_width=0.1) if bold else nullcontext()

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font(FONT, size=7)
        self.set_text_color(110)
        numbers = f"    {self.page_no()}/{{nb}}" if self.page_numbers else ""
        self.cell(0, 4, self.footer_text + numbers, align="C")
        self.set_text_color(0)

    @property
    def width(self) -> float:
        return self.w - self.l_margin - self.r_margin

    def big_title(self, text: str, size: float = 15) -> None:
        self.para(text, size=size, bold=True)
        self.ln(1)

    def heading(self, text: str, size: float = 12) -> None:
        if self.get_y() > self.h - 40:
            self.add_page()
        self.ln(2)
        self.para(text, size=size, bold=True)

    def para(self, text: str, size: float = 10, bold: bool = False) -> None:
        """A paragraph, left-aligned. Lines are broken here with cached word widths: fpdf2's
        own multi_cell measures every character again and was most of a letter's cost."""
        style = "B" if bold else ""
        self.set_font(FONT, style, size)
        h = size * 0.5
        for line in self.wrap(text, self.width, style, size):
            if self.get_y() + h > self.page_break_trigger:
                self.add_page()
                self.set_font(FONT, style, size)
            with self.styled(bold):
                self.cell(0, h, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)
        self.set_font(FONT, size=10)

    def wrap(self, text: str, width: float, style: str, size: float) -> list[str]:
        lines: list[str] = []
        space = _width(self, " ", style, size)
        for paragraph in text.split("\n"):
            line, used = [], 0.0
            for word in paragraph.split():
                w = _width(self, word, style, size)
                if line and used + space + w > width - 0.5:
                    lines.append(" ".join(line))
                    line, used = [], 0.0
                used += (space if line else 0.0) + w
                line.append(word)
            lines.append(" ".join(line))
        return lines

    def table(self, head: list[str], body: list[list], widths: list[float], size: float = 8,
              marks: list[bool] | None = None) -> None:
        """A simple grid; rows whose mark is True are shaded (flagged)."""
        line = size * 0.55
        def row(cells: list, bold: bool, fill: bool) -> None:
            if self.get_y() + line > self.h - self.b_margin:
                self.add_page()
                row(head, True, True)
            self.set_font(FONT, "B" if bold else "", size)
            self.set_fill_color(232 if bold else 252, 232 if bold else 236, 232 if bold else 200)
            for text, w in zip(cells, widths):
                self.cell(w, line + 1, "" if bold else _fit(self, str(text), w, "", size), border=1, fill=fill)
            if bold:  # the header's words over its boxes, outlined; the borders keep their own width
                self.set_x(self.l_margin)
                with self.styled(True):
                    for text, w in zip(cells, widths):
                        self.cell(w, line + 1, _fit(self, str(text), w, "B", size))
            self.ln(line + 1)
        row(head, True, True)
        for index, cells in enumerate(body):
            row(cells, False, bool(marks and marks[index]))
        self.set_font(FONT, size=10)
        self.ln(2)

    def picture(self, image, w: float | None = None) -> None:
        """A chart: PNG bytes or a PIL image."""
        w = w or self.width
        self.image(io.BytesIO(image) if isinstance(image, bytes) else image, w=w)
        self.ln(2)

    def bytes(self) -> bytes:
        return bytes(self.output())


_widths: dict[tuple[str, str, float], float] = {}


def _width(doc: FPDF, word: str, style: str, size: float) -> float:
    key = (word, style, size)
    if key not in _widths:
        if len(_widths) > 200_000:
            _widths.clear()
        _widths[key] = doc.get_string_width(word)
    return _widths[key]


def _fit(doc: FPDF, text: str, width: float, style: str, size: float) -> str:
    """The text cut with … so that it fits its cell."""
    if _width(doc, text, style, size) <= width - 1.5:
        return text
    while text and doc.get_string_width(text + "…") > width - 1.5:
        text = text[:-1]
    return text + "…"
