"""Passages, tables and item texts drawn from Markdown in one pass, as lines.

A Markdown text is drawn at a width into lines once (Rich's Markdown for the paragraphs and
lists; pipe tables without rules between their rows, so more rows fit), and kept: showing
it again costs nothing, so the next item is ready before it shows. Where each table's
header is is remembered, so a scrolled table keeps its header row on top."""

from __future__ import annotations

from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from rich.console import Console
from rich.markdown import Markdown
from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

_PARSER = MarkdownIt().enable("strikethrough").enable("table")  # as Rich's Markdown reads it
_RULE_CHARS = set("─━ ")


@dataclass
class TableSpan:
    """Lines `start` to `end` (exclusive) are a table; `header` are its header lines."""

    start: int
    end: int
    header: list[Strip] = field(default_factory=list)


@dataclass
class Drawn:
    lines: list[Strip]
    tables: list[TableSpan]

    def sticky_header(self, top: int) -> list[Strip]:
        """The header to keep on top when line `top` is the first one in view: the header
        of a table whose own header has scrolled away while rows are still in view."""
        for table in self.tables:
            if table.start < top < table.end - len(table.header):
                return table.header
        return []


def _chunks(text: str) -> list[tuple[bool, str]]:
    """The text split into (is_table, markdown) pieces, in order."""
    lines = text.splitlines()
    pieces: list[tuple[bool, str]] = []
    done = 0
    for token in _PARSER.parse(text):
        if token.type == "table_open" and token.map:
            start, end = token.map
            if start > done:
                pieces.append((False, "\n".join(lines[done:start])))
            pieces.append((True, "\n".join(lines[start:end])))
            done = end
    if done < len(lines):
        pieces.append((False, "\n".join(lines[done:])))
    return [(is_table, piece) for is_table, piece in pieces if piece.strip()]


def draw(console: Console, text: str, width: int, title: str = "") -> Drawn:
    """`text` (Markdown) drawn `width` cells wide."""
    width = max(8, width)
    options = console.options.update(width=width, min_width=width, max_width=width)
    lines: list[Strip] = []
    tables: list[TableSpan] = []
    if title:
        for segments in console.render_lines(Text(title, style="bold"), options, pad=False):
            lines.append(Strip(segments))
    for index, (is_table, piece) in enumerate(_chunks(text)):
        if index and lines and lines[-1].cell_length:
            lines.append(Strip.blank(0))
        start = len(lines)
        for segments in console.render_lines(Markdown(piece), options, pad=False):
            if len(lines) > start or Strip(segments).text.strip():  # not the blank lines Rich puts first
                lines.append(Strip(segments))
        while len(lines) > start and not lines[-1].text.strip():
            lines.pop()  # nor those it leaves after a block
        if is_table:
            rule = next((n for n in range(start, len(lines)) if lines[n].text.strip()
                         and set(lines[n].text) <= _RULE_CHARS), None)
            header = [line.apply_style(Style(bold=True)) for line in lines[start:rule + 1]] \
                if rule is not None else []
            tables.append(TableSpan(start, len(lines), header))
    return Drawn(lines, tables)


class _Drawing:
    """Draws once per width and keeps the result (the widgets below share this)."""

    _text: str
    _title: str

    def drawn(self, width: int) -> Drawn:
        cache = self.__dict__.setdefault("_drawn", {})
        if width not in cache:
            cache.clear()  # one width at a time: the terminal's
            cache[width] = draw(self.app.console, self._text, width, self._title)  # type: ignore[attr-defined]
        return cache[width]


class Document(_Drawing, Widget):
    """An item's text: as tall as its lines, drawn at the widget's width."""

    DEFAULT_CSS = """
    Document { height: auto; }
    """

    def __init__(self, text: str, **kwargs):
        super().__init__(**kwargs)
        self._text = text
        self._title = ""

    def prepare(self, width: int) -> None:
        self.drawn(width)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.drawn(width).lines)

    def render_line(self, y: int) -> Strip:
        width = self.content_region.width
        key = (y, width, self.rich_style)
        cache = self.__dict__.setdefault("_strips", {})
        if key not in cache:  # a line drawn once is kept: showing the item again costs nothing
            if len(cache) > 400:
                cache.clear()
            lines = self.drawn(width).lines
            line = lines[y] if y < len(lines) else Strip.blank(width)
            cache[key] = line.extend_cell_length(width).crop(0, width).apply_style(self.rich_style)
        return cache[key]


class DocumentView(_Drawing, ScrollView, can_focus=False):
    """A passage or a table that scrolls, its table header kept on top while the table's
    rows scroll under it."""

    DEFAULT_CSS = """
    DocumentView { height: auto; scrollbar-gutter: stable; }
    """

    def __init__(self, text: str, title: str = "", **kwargs):
        super().__init__(**kwargs)
        self._text = text
        self._title = title

    @property
    def text_width(self) -> int:
        return max(8, self.scrollable_content_region.width)

    def prepare(self, width: int) -> None:
        self.drawn(width)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.drawn(max(8, width - self.styles.scrollbar_size_vertical)).lines)

    def on_resize(self) -> None:
        size = Size(self.text_width, len(self.drawn(self.text_width).lines))
        if size != self.virtual_size:
            self.virtual_size = size
            self._refresh_scrollbars()  # as Textual's TextArea does once its lines are known

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        top = int(self.scroll_offset.y)
        key = (top, y, width, self.rich_style)
        cache = self.__dict__.setdefault("_strips", {})
        if key not in cache:  # drawn once per place in view: moving between items redraws nothing
            if len(cache) > 2000:
                cache.clear()
            drawn = self.drawn(self.text_width)
            header = drawn.sticky_header(top)
            if y < len(header):
                line = header[y]
            else:
                number = top + y
                line = drawn.lines[number] if number < len(drawn.lines) else Strip.blank(width)
            cache[key] = line.extend_cell_length(width).crop(0, width).apply_style(self.rich_style)
        return cache[key]
