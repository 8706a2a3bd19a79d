"""The answer widgets: one option, several options, pairs for matching, a short typed answer.

On the test screen none of them takes the focus (`focusable=False`): the screen receives
every key and hands it to the answer of the item on screen through `take_key(key,
character) -> bool` (True: used). Elsewhere (the questionnaire) a focused ChoiceAnswer
takes its keys itself, through the same `take_key`. Each posts
`AnswerChanged(item, value)` when the student changes the answer; the screen sends it
through the client. Keys: a letter or a digit picks an option, ↑↓ move, Enter or Space
chooses, Delete or Backspace clears; in matching, a number picks the left row and a letter
the right one."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.content import Content
from textual.geometry import Size
from textual.strip import Strip
from textual.visual import Visual
from textual.widget import Widget
from textual.containers import Horizontal, Vertical
from textual.events import Click, Key
from textual.message import Message
from textual.widgets import Static

from room_protocol.rules import number_text

from .textbox import TextBox

# A Kazakh or Russian keyboard layout types these letters on the keys marked A, B, C...:
# the key the student pressed is what counts.
_LAYOUT = dict(zip("ФИСВУАПРШОЛДЬТЩЗЙКЫЕГМЦЧНЯ", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"))


def letter(index: int) -> str:
    return chr(ord("A") + index)


def key_letter(character: str | None) -> str | None:
    """The option letter a typed character names (A–Z, also from a Cyrillic layout)."""
    char = (character or "").upper()
    if len(char) != 1:
        return None
    if "A" <= char <= "Z":
        return char
    return _LAYOUT.get(char)


@dataclass
class AnswerChanged(Message):
    item: str
    value: Any


HIGHLIGHT = "on $accent 30%"
CHOSEN = "bold $text-success"


def wrapped(marker: str, text: str, width: int, style: str) -> list[Content]:
    """`marker` then `text` wrapped to `width`, later lines under the text (not the marker)."""
    indent = cell_len(marker)
    lines = textwrap.wrap(text, max(8, width - indent)) or [""]
    return [Content.styled((marker if n == 0 else " " * indent) + line, style) for n, line in enumerate(lines)]


class Rows(Widget):
    """Rows drawn in one widget (a move between items redraws one widget, not one per row),
    each wrapped under its own marker; a click finds its row. The lines are made once per
    change and kept, so showing the item again draws nothing new."""

    DEFAULT_CSS = """
    Rows { height: auto; }
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._starts: list[int] = []  # the first line of each row
        self._width = 0  # the width last drawn at
        self._content = Content("")
        self._lines: tuple | None = None  # (width, style, strips) last made

    def rows(self) -> list[tuple[str, str, str]]:
        """(marker, text, style) of each row."""
        raise NotImplementedError

    def draw(self, width: int | None = None) -> None:
        """Draws the rows at `width` (by default the widget's own: a hidden item is drawn
        before it shows, at the width it will have)."""
        width = width or self.content_region.width or self._width or self.app.size.width - 4
        self._width = width
        lines: list[Content] = []
        self._starts = []
        for marker, text, style in self.rows():
            self._starts.append(len(lines))
            lines += wrapped(marker, text, width, style)
        grew = self._lines is not None and len(lines) != len(self._lines[2])
        self._content = Content("\n").join(lines)
        self._lines = None
        self.refresh(layout=grew)

    def strips(self, width: int) -> list[Strip]:
        style = self.visual_style
        if self._lines is None or self._lines[:2] != (width, style):
            self._lines = (width, style, Visual.to_strips(self, self._content, width, None, style, pad=True))
        return self._lines[2]

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.strips(width))

    def render_line(self, y: int) -> Strip:
        width = self.content_region.width
        strips = self.strips(width)
        return strips[y] if y < len(strips) else Strip.blank(width, self.rich_style)

    def on_resize(self) -> None:
        if self.content_region.width != self._width:
            self.draw()

    def row_at(self, y: int) -> int | None:
        found = [n for n, start in enumerate(self._starts) if start <= y]
        return found[-1] if found and y >= 0 else None


class ChoiceAnswer(Rows, can_focus=True):
    """Options A, B, C...: one (`multiple=False`) or several."""

    DEFAULT_CSS = """
    ChoiceAnswer { height: auto; padding: 0 1 1 1; }
    ChoiceAnswer:focus { background: $boost; }
    """

    def __init__(self, options: list[str], value: Any = None, *, multiple: bool = False, item_id: str = "",
                 focusable: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.can_focus = focusable
        self.item_id = item_id
        self.options = list(options)
        self.multiple = multiple
        if multiple:
            self.chosen: set[str] = set(value) if isinstance(value, list) else set()
        else:
            self.chosen = {value} if isinstance(value, str) else set()
        self.highlight = 0

    def on_mount(self) -> None:
        self.draw()

    @property
    def value(self) -> Any:
        if self.multiple:
            return sorted(self.chosen) or None
        return next(iter(self.chosen), None)

    def rows(self) -> list[tuple[str, str, str]]:
        rows = []
        # The test screen's answer is always the active one; a focusable one when focused.
        active = self.has_focus or not self.can_focus
        for index, text in enumerate(self.options):
            mark = letter(index)
            on = mark in self.chosen
            box = ("[x]" if on else "[ ]") if self.multiple else ("(•)" if on else "( )")
            style = " ".join(part for part in (CHOSEN if on else "", HIGHLIGHT if active and index == self.highlight
                                                  else "") if part)
            rows.append((f"{box} {mark}. ", text, style))
        return rows

    def on_focus(self) -> None:
        self.draw()

    def on_blur(self) -> None:
        self.draw()

    def on_key(self, event: Key) -> None:
        """Focused (the questionnaire): its own keys."""
        if self.take_key(event.key, event.character):
            event.stop()
            event.prevent_default()

    def on_click(self, event: Click) -> None:
        event.stop()
        index = self.row_at(event.y)
        if index is not None:
            self.highlight = index
            self.choose(index)
        if self.can_focus:
            self.focus()

    def take_key(self, key: str, character: str | None) -> bool:
        if key in ("up", "down"):
            self.highlight = (self.highlight + (1 if key == "down" else -1)) % len(self.options)
            self.draw()
            return True
        if key in ("enter", "space"):
            self.choose(self.highlight)
            return True
        if key in ("delete", "backspace"):
            self.clear()
            return True
        mark = key_letter(character)
        if mark is not None and ord(mark) - 65 < len(self.options):
            self.choose(ord(mark) - 65)
            return True
        if character and len(character) == 1 and "1" <= character <= "9" and int(character) <= len(self.options):
            self.choose(int(character) - 1)
            return True
        return False

    def choose(self, index: int) -> None:
        if not 0 <= index < len(self.options):
            return
        mark = letter(index)
        self.highlight = index
        if self.multiple:
            self.chosen ^= {mark}
        elif mark in self.chosen:
            self.draw()
            return  # choosing the same option again changes nothing (Delete clears)
        else:
            self.chosen = {mark}
        self.draw()
        self.post_message(AnswerChanged(self.item_id, self.value))

    def clear(self) -> None:
        """Delete or Backspace: no option chosen any more (a single choice can be undone)."""
        if not self.chosen:
            return
        self.chosen = set()
        self.draw()
        self.post_message(AnswerChanged(self.item_id, None))


class LeftRows(Rows):
    def rows(self) -> list[tuple[str, str, str]]:
        owner = self.query_ancestor(MatchingAnswer)
        rows = []
        for index, text in enumerate(owner.left):
            key = str(index + 1)
            chosen = owner.pairs.get(key)
            style = " ".join(part for part in (CHOSEN if chosen else "", HIGHLIGHT if index == owner.row else "")
                             if part)
            rows.append((f"{key}. ", f"{text} → {chosen or '?'}", style))
        return rows

    def on_click(self, event: Click) -> None:
        event.stop()
        index = self.row_at(event.y)
        if index is not None:
            owner = self.query_ancestor(MatchingAnswer)
            owner.row = index
            owner.refresh_rows()


class RightRows(Rows):
    def rows(self) -> list[tuple[str, str, str]]:
        return [(f"{letter(index)}. ", text, "") for index, text in enumerate(self.query_ancestor(MatchingAnswer).right)]

    def on_click(self, event: Click) -> None:
        event.stop()
        index = self.row_at(event.y)
        if index is not None:
            self.query_ancestor(MatchingAnswer).pair(letter(index))


class MatchingAnswer(Horizontal):
    """Numbered left rows, lettered right options: pick a row (number or arrows), then a letter."""

    DEFAULT_CSS = """
    MatchingAnswer { height: auto; padding: 0 0 1 0; }
    MatchingAnswer LeftRows { width: 1fr; height: auto; padding: 0 1; }
    MatchingAnswer RightRows { width: 1fr; height: auto; padding: 0 1; border-left: solid $primary; }
    """

    def __init__(self, left: list[str], right: list[str], value: Any = None, *, item_id: str = "", **kwargs):
        super().__init__(**kwargs)
        self.item_id = item_id
        self.left = list(left)
        self.right = list(right)
        self.pairs: dict[str, str] = dict(value) if isinstance(value, dict) else {}
        self.row = 0

    def compose(self) -> ComposeResult:
        yield LeftRows()
        yield RightRows()

    @property
    def value(self) -> dict | None:
        return dict(sorted(self.pairs.items(), key=lambda kv: int(kv[0]))) or None

    def refresh_rows(self) -> None:
        self.query_one(LeftRows).draw()

    def take_key(self, key: str, character: str | None) -> bool:
        if key in ("up", "down"):
            self.row = (self.row + (1 if key == "down" else -1)) % len(self.left)
            self.refresh_rows()
            return True
        if key in ("delete", "backspace"):
            self.clear_row()
            return True
        if character and len(character) == 1 and "1" <= character <= "9" and int(character) <= len(self.left):
            self.row = int(character) - 1
            self.refresh_rows()
            return True
        mark = key_letter(character)
        if mark is not None and ord(mark) - 65 < len(self.right):
            self.pair(mark)
            return True
        return False

    def clear_row(self) -> None:
        if self.pairs.pop(str(self.row + 1), None) is not None:
            self.refresh_rows()
            self.post_message(AnswerChanged(self.item_id, self.value))

    def pair(self, mark: str) -> None:
        key = str(self.row + 1)
        if self.pairs.get(key) == mark:
            return
        self.pairs[key] = mark
        if self.row < len(self.left) - 1 and str(self.row + 2) not in self.pairs:
            self.row += 1  # on to the next row still without a pair
        self.refresh_rows()
        self.post_message(AnswerChanged(self.item_id, self.value))


class ShortAnswer(Vertical):
    """A typed answer, sent on Enter and when the student moves away. A number answer is
    checked first (`rules.number_text`): what is not a number gets a gentle note and is
    not sent; the text stays for the student to correct."""

    DEFAULT_CSS = """
    ShortAnswer { height: auto; padding: 0 0 1 0; }
    ShortAnswer .hint { color: $text-muted; padding: 0 1; }
    ShortAnswer .note { color: $text-warning; padding: 0 1; display: none; }
    ShortAnswer.-bad .note { display: block; }
    """

    def __init__(self, value: Any, hint: str, *, item_id: str = "", number: bool = False,
                 units: list[str] | None = None, bad_number: str = "", **kwargs):
        super().__init__(**kwargs)
        self.item_id = item_id
        self.saved = value if isinstance(value, str) else ""
        self.hint = hint
        self.number = number
        self.units = list(units or [])
        self.bad_number = bad_number

    def compose(self) -> ComposeResult:
        yield TextBox(self.saved, max_length=200)
        yield Static(self.hint, classes="hint", markup=False)
        yield Static(self.bad_number, classes="note", markup=False)

    @property
    def box(self) -> TextBox:
        return self.query_one(TextBox)

    @property
    def typed(self) -> str:
        return self.box.value.strip()

    @property
    def uncommitted(self) -> bool:
        return self.typed != self.saved

    def take_key(self, key: str, character: str | None) -> bool:
        if key == "enter":
            self.commit()
            return True
        used = self.box.take_key(key, character)
        if used and self.has_class("-bad"):
            self.remove_class("-bad")  # the note goes once the student corrects the text
        return used

    def commit(self) -> bool:
        """Sends the typed text if it changed (an empty box clears the answer). False when
        it is not a number where a number is asked: nothing is sent."""
        text = self.typed
        if text == self.saved:
            return True
        if self.number and text and number_text(text, self.units) is None:
            self.add_class("-bad")
            return False
        self.remove_class("-bad")
        self.saved = text
        self.post_message(AnswerChanged(self.item_id, text or None))
        return True
