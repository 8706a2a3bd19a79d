"""The subject's item numbers: each says in a symbol, not only a colour, whether the server
has its answer (✓ saved, green), whether it is still being saved (… pending) or unanswered;
the current item is in brackets.

One widget draws them all (a move between items redraws one line, not a widget per item);
when they do not fit, the window of numbers keeps the current one in view, with ‹ › at the
clipped ends. A click on a number goes to that item."""

from __future__ import annotations

from dataclasses import dataclass

from textual.content import Content
from textual.events import Click
from textual.message import Message
from textual.widgets import Static

MARKS = {"acked": "✓", "pending": "…", None: " "}
CELL = 6  # a number's width with the gap after it
STYLES = {"acked": "on $success", "pending": "bold $warning on $panel", None: "on $panel"}


def cell_text(number: int, state: str | None, current: bool) -> str:
    text = f"{number}{MARKS.get(state, ' ')}"
    return f"[{text}]" if current else f" {text} "


class Palette(Static):
    """Item numbers 1..n of the current subject; click one to go there."""

    DEFAULT_CSS = """
    Palette { height: 1; width: 1fr; }
    """

    @dataclass
    class Selected(Message):
        index: int

    def __init__(self, count: int, **kwargs):
        super().__init__("", **kwargs)
        self.count = count
        self.current = 0
        self.states: list[str | None] = [None] * count
        self.first = 0  # the first number in view

    def on_mount(self) -> None:
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def show(self, current: int, states: list[str | None]) -> None:
        """states: "acked", "pending" (being saved) or None per item."""
        if (current, list(states)) == (self.current, self.states):
            return  # nothing to draw again
        self.current, self.states = current, list(states)
        self._draw()

    def cell(self, index: int) -> str:
        """What the number of item `index` shows now (its symbol and brackets)."""
        state = self.states[index] if index < len(self.states) else None
        return cell_text(index + 1, state, index == self.current)

    def _draw(self) -> None:
        fits = max(1, ((self.size.width or 80) - 2) // CELL)
        if self.count <= fits:
            self.first = 0
        elif not self.first <= self.current < self.first + fits:
            self.first = max(0, min(self.current - fits // 2, self.count - fits))
        last = min(self.count, self.first + fits)
        parts = [Content("‹" if self.first else " ")]
        for index in range(self.first, last):
            state = self.states[index] if index < len(self.states) else None
            style = STYLES.get(state, STYLES[None]) + (" bold reverse" if index == self.current else "")
            parts += [Content.styled(self.cell(index).ljust(CELL - 1), style), Content(" ")]
        parts.append(Content("›" if last < self.count else " "))
        self.update(Content("").join(parts), layout=False)  # one line, sized by its CSS: no new layout

    def on_click(self, event: Click) -> None:
        event.stop()
        index = self.first + (event.x - 1) // CELL
        if event.x >= 1 and self.first <= index < min(self.count, self.first + max(1, (self.size.width - 2) // CELL)):
            self.post_message(self.Selected(index))
