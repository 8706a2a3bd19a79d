"""The keys of the test at the bottom: what each does, in as many as fit the width.

Each key has a priority; when the line is too narrow for all of them the least needed go
first, never "finish" (kept at the right end, where the student finds it every time)."""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import Static


@dataclass(frozen=True)
class KeyHint:
    key: str  # as shown: "F10", "←→"
    label: str
    priority: int  # higher stays longer when the line is short


class KeyBar(Static):
    DEFAULT_CSS = """
    KeyBar { dock: bottom; height: 1; background: $footer-background; color: $footer-foreground; }
    """

    def __init__(self, **kwargs):
        super().__init__("", markup=False, **kwargs)
        self.hints: list[KeyHint] = []
        self.last: KeyHint | None = None
        self.shown: list[KeyHint] = []
        self._drawn = ""

    def show(self, hints: list[KeyHint], last: KeyHint | None = None) -> None:
        """`hints` left to right; `last` always shown, at the right end."""
        self.hints, self.last = hints, last
        self._fit()

    def on_resize(self) -> None:
        self._fit()

    @staticmethod
    def _width(hint: KeyHint) -> int:
        return cell_len(hint.key) + cell_len(hint.label) + 5  # " KEY ", " label" and a gap

    def _fit(self) -> None:
        width = self.size.width or 80
        room = width - (self._width(self.last) if self.last else 0)
        kept = list(self.hints)
        while kept and sum(map(self._width, kept)) > room:
            kept.remove(min(kept, key=lambda h: h.priority))
        self.shown = kept + ([self.last] if self.last else [])
        line = Text(no_wrap=True, overflow="crop")
        for hint in kept:
            self._append(line, hint)
        if self.last:
            line.append(" " * max(0, width - line.cell_len - self._width(self.last) + 1))
            self._append(line, self.last)
        if line.plain != self._drawn:
            self._drawn = line.plain
            self.update(line, layout=False)  # only when it changes; one docked line: no new layout

    @staticmethod
    def _append(line: Text, hint: KeyHint) -> None:
        line.append(f" {hint.key} ", style="bold reverse")
        line.append(f" {hint.label}  ")

    @property
    def text(self) -> str:
        return "  ".join(f"{h.key} {h.label}" for h in self.shown)
