"""The subject's item numbers: each says in a symbol, not only a colour, whether the server
has its answer (✓ saved, green), whether it is still being saved (… pending) or unanswered;
the current item is in brackets."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.events import Click
from textual.message import Message
from textual.widgets import Static

MARKS = {"acked": "✓", "pending": "…", None: " "}


def cell_text(number: int, state: str | None, current: bool) -> str:
    text = f"{number}{MARKS.get(state, ' ')}"
    return f"[{text}]" if current else f" {text} "


class PaletteCell(Static):
    DEFAULT_CSS = """
    PaletteCell { width: 5; height: 1; margin-right: 1; background: $panel; }
    PaletteCell:hover { background: $boost; }
    PaletteCell.-acked { background: $success; color: $text; }
    PaletteCell.-pending { background: $panel; color: $warning; text-style: bold; }
    PaletteCell.-current { text-style: bold reverse; }
    """

    def __init__(self, index: int, **kwargs):
        super().__init__(cell_text(index + 1, None, False), markup=False, **kwargs)
        self.index = index
        self.look: tuple[str | None, bool] = (None, False)  # what it shows now: (state, current)

    def on_mount(self) -> None:
        if isinstance(self.parent, Palette):
            self.parent.style_cell(self)

    def on_click(self, event: Click) -> None:
        event.stop()
        self.post_message(Palette.Selected(self.index))


class Palette(Horizontal):
    """Item numbers 1..n of the current subject; click one to go there."""

    DEFAULT_CSS = """
    Palette { height: 1; width: 1fr; overflow-x: auto; scrollbar-size-horizontal: 0; }
    """

    @dataclass
    class Selected(Message):
        index: int

    def __init__(self, count: int, **kwargs):
        super().__init__(**kwargs)
        self.count = count
        self._shown: tuple[int, list] = (0, [])

    def compose(self) -> ComposeResult:
        for index in range(self.count):
            yield PaletteCell(index)

    def on_mount(self) -> None:
        self.show(*self._shown)

    def show(self, current: int, states: list[str | None]) -> None:
        """states: "acked", "pending" (being saved) or None per item."""
        self._shown = (current, list(states))
        for cell in self.query(PaletteCell):
            self.style_cell(cell)

    def style_cell(self, cell: PaletteCell) -> None:
        current, states = self._shown
        state = states[cell.index] if cell.index < len(states) else None
        look = (state, cell.index == current)
        if look == cell.look:
            return  # unchanged: nothing to draw again
        cell.look = look
        cell.update(cell_text(cell.index + 1, state, cell.index == current))
        cell.set_class(state == "acked", "-acked")
        cell.set_class(state == "pending", "-pending")
        cell.set_class(cell.index == current, "-current")
        if cell.index == current and cell.is_mounted:
            self.scroll_to_widget(cell, animate=False)
