"""A one-line text field that the test screen feeds with keys itself.

It never takes the focus: the test screen receives every key in one queue and hands the
text keys to the field of the item on screen, so a key typed while the student moves to
another item can never land in a field that is no longer shown. ← and → move the cursor
inside the text and are left to the screen (previous / next item) at either end."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class TextBox(Static):
    DEFAULT_CSS = """
    TextBox { width: 60; max-width: 100%; height: 1; background: $boost; padding: 0 1; }
    TextBox.-empty { color: $text-muted; }
    """

    def __init__(self, value: str = "", *, max_length: int = 200, placeholder: str = "", **kwargs):
        super().__init__("", markup=False, **kwargs)
        self.value = value[:max_length]
        self.cursor = len(self.value)
        self.max_length = max_length
        self.placeholder = placeholder

    def on_mount(self) -> None:
        self._show()

    def on_resize(self) -> None:
        if self.content_region.width != self._shown_width:
            self._show()

    def take_key(self, key: str, character: str | None) -> bool:
        """Applies one key; True when the field used it."""
        value, cursor = self.value, self.cursor
        if key == "left":
            if cursor == 0:
                return False
            self.cursor -= 1
        elif key == "right":
            if cursor >= len(value):
                return False
            self.cursor += 1
        elif key in ("home", "ctrl+a"):
            self.cursor = 0
        elif key in ("end", "ctrl+e"):
            self.cursor = len(value)
        elif key == "backspace":
            if cursor:
                self.value = value[:cursor - 1] + value[cursor:]
                self.cursor -= 1
        elif key == "delete":
            self.value = value[:cursor] + value[cursor + 1:]
        elif key == "ctrl+u":
            self.value, self.cursor = value[cursor:], 0
        elif character and len(character) == 1 and character.isprintable() and key != "tab":
            self.insert(character)
        else:
            return False
        self._show()
        return True

    def insert(self, text: str) -> None:
        """Text typed or pasted at the cursor (one line; the rest beyond the limit dropped)."""
        text = " ".join(text.splitlines())
        room = self.max_length - len(self.value)
        text = text[:max(0, room)]
        self.value = self.value[:self.cursor] + text + self.value[self.cursor:]
        self.cursor += len(text)
        self._show()

    def cursor_to_end(self) -> None:
        self.cursor = len(self.value)
        self._show()

    def set_value(self, value: str) -> None:
        self.value = value[:self.max_length]
        self.cursor = len(self.value)
        self._show()

    _shown_width = 0

    def _show(self) -> None:
        width = max(4, self.content_region.width or 58)
        self._shown_width = self.content_region.width
        self.set_class(not self.value, "-empty")
        if not self.value:
            shown = Text("▏", style="reverse")
            shown.append(self.placeholder[:width - 1], style="italic")
            self.update(shown)
            return
        # A window on the text that keeps the cursor in view.
        start = max(0, self.cursor - width + 2)
        visible = self.value[start:start + width - 1]
        position = self.cursor - start
        shown = Text(visible[:position])
        shown.append(visible[position:position + 1] or " ", style="reverse")
        shown.append(visible[position + 1:])
        self.update(shown)
