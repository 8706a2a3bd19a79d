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

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
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


class OptionLine(Static):
    DEFAULT_CSS = """
    OptionLine { height: auto; padding: 0 1; }
    OptionLine:hover { background: $boost; }
    OptionLine.-highlight { background: $accent 30%; }
    OptionLine.-chosen { text-style: bold; color: $text-success; }
    """

    def __init__(self, index: int, text: str, **kwargs):
        super().__init__(**kwargs)
        self.index = index
        self.text = text

    def on_click(self, event: Click) -> None:
        event.stop()
        owner = self.query_ancestor(ChoiceAnswer)
        owner.highlight = self.index
        owner.choose(self.index)
        if owner.can_focus:
            owner.focus()


class ChoiceAnswer(Vertical, can_focus=True):
    """Options A, B, C...: one (`multiple=False`) or several."""

    DEFAULT_CSS = """
    ChoiceAnswer { height: auto; padding: 0 0 1 0; }
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

    def compose(self) -> ComposeResult:
        for index, text in enumerate(self.options):
            yield OptionLine(index, text)

    def on_mount(self) -> None:
        self._render_lines()

    @property
    def value(self) -> Any:
        if self.multiple:
            return sorted(self.chosen) or None
        return next(iter(self.chosen), None)

    def _render_lines(self) -> None:
        for line in self.query(OptionLine):
            mark = letter(line.index)
            on = mark in self.chosen
            if self.multiple:
                box = "[x]" if on else "[ ]"
            else:
                box = "(•)" if on else "( )"
            line.update(Text.assemble((f"{box} {mark}. ", "bold"), line.text))
            line.set_class(on, "-chosen")
            # The test screen's answer is always the active one; a focusable one when focused.
            line.set_class(line.index == self.highlight and (self.has_focus or not self.can_focus), "-highlight")

    def on_key(self, event: Key) -> None:
        """Focused (the questionnaire): its own keys."""
        if self.take_key(event.key, event.character):
            event.stop()
            event.prevent_default()

    def on_focus(self) -> None:
        self._render_lines()

    def on_blur(self) -> None:
        self._render_lines()

    def take_key(self, key: str, character: str | None) -> bool:
        if key in ("up", "down"):
            self.highlight = (self.highlight + (1 if key == "down" else -1)) % len(self.options)
            self._render_lines()
            lines = list(self.query(OptionLine))
            if lines:
                lines[self.highlight].scroll_visible(animate=False)
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
            self._render_lines()
            return  # choosing the same option again changes nothing (Delete clears)
        else:
            self.chosen = {mark}
        self._render_lines()
        self.post_message(AnswerChanged(self.item_id, self.value))

    def clear(self) -> None:
        """Delete or Backspace: no option chosen any more (a single choice can be undone)."""
        if not self.chosen:
            return
        self.chosen = set()
        self._render_lines()
        self.post_message(AnswerChanged(self.item_id, None))


class PairRow(Static):
    DEFAULT_CSS = """
    PairRow { height: auto; padding: 0 1; }
    PairRow:hover { background: $boost; }
    PairRow.-highlight { background: $accent 30%; }
    PairRow.-paired { color: $text-success; }
    """

    def __init__(self, index: int, text: str, **kwargs):
        super().__init__(**kwargs)
        self.index = index
        self.text = text

    def on_click(self, event: Click) -> None:
        event.stop()
        owner = self.query_ancestor(MatchingAnswer)
        owner.row = self.index
        owner.refresh_rows()


class RightOption(Static):
    DEFAULT_CSS = """
    RightOption { height: auto; padding: 0 1; }
    RightOption:hover { background: $boost; }
    """

    def __init__(self, index: int, text: str, **kwargs):
        super().__init__(**kwargs)
        self.index = index
        self.text = text
        self.update(Text.assemble((f"{letter(index)}. ", "bold"), text))

    def on_click(self, event: Click) -> None:
        event.stop()
        self.query_ancestor(MatchingAnswer).pair(letter(self.index))


class MatchingAnswer(Vertical):
    """Numbered left rows, lettered right options: pick a row (number or arrows), then a letter."""

    DEFAULT_CSS = """
    MatchingAnswer { height: auto; padding: 0 0 1 0; }
    MatchingAnswer .columns { height: auto; }
    MatchingAnswer .left { width: 1fr; height: auto; }
    MatchingAnswer .right { width: 1fr; height: auto; border-left: solid $primary; }
    """

    def __init__(self, left: list[str], right: list[str], value: Any = None, *, item_id: str = "", **kwargs):
        super().__init__(**kwargs)
        self.item_id = item_id
        self.left = list(left)
        self.right = list(right)
        self.pairs: dict[str, str] = dict(value) if isinstance(value, dict) else {}
        self.row = 0

    def compose(self) -> ComposeResult:
        with Horizontal(classes="columns"):
            with Vertical(classes="left"):
                for index, text in enumerate(self.left):
                    yield PairRow(index, text)
            with Vertical(classes="right"):
                for index, text in enumerate(self.right):
                    yield RightOption(index, text)

    def on_mount(self) -> None:
        self.refresh_rows()

    @property
    def value(self) -> dict | None:
        return dict(sorted(self.pairs.items(), key=lambda kv: int(kv[0]))) or None

    def refresh_rows(self) -> None:
        for row in self.query(PairRow):
            key = str(row.index + 1)
            chosen = self.pairs.get(key)
            arrow = f" → {chosen}" if chosen else " → ?"
            row.update(Text.assemble((f"{key}. ", "bold"), row.text, (arrow, "bold")))
            row.set_class(row.index == self.row, "-highlight")
            row.set_class(chosen is not None, "-paired")

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
