"""The answer widgets: one option, several options, pairs for matching, a short typed answer.

Each posts `AnswerChanged(value)` when the student changes the answer; the screen sends it
through the client. Keys: a letter or a digit picks an option, arrows move, Enter or Space
chooses; in matching, a number picks the left row and a letter the right one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.events import Click, Key
from textual.message import Message
from textual.widgets import Input, Static

from ..i18n import N_, translate_bindings


def letter(index: int) -> str:
    return chr(ord("A") + index)


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
        owner = self.parent
        while owner is not None and not isinstance(owner, ChoiceAnswer):
            owner = owner.parent
        if owner is not None:
            owner.highlight = self.index
            owner.choose(self.index)
            owner.focus()


class ChoiceAnswer(Vertical, can_focus=True):
    """Options A, B, C...: one (`multiple=False`) or several."""

    DEFAULT_CSS = """
    ChoiceAnswer { height: auto; padding: 0 0 1 0; }
    ChoiceAnswer:focus { background: $boost; }
    """
    BINDINGS = [
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("enter,space", "choose", N_("Choose"), id="choose"),
    ]

    def __init__(self, options: list[str], value: Any = None, *, multiple: bool = False, item_id: str = "", **kwargs):
        super().__init__(**kwargs)
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
        translate_bindings(self, self.app.t)
        self._render_lines()

    @property
    def value(self) -> Any:
        if self.multiple:
            return sorted(self.chosen)
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
            line.set_class(line.index == self.highlight and self.has_focus, "-highlight")

    def on_focus(self) -> None:
        self._render_lines()

    def on_blur(self) -> None:
        self._render_lines()

    def action_move(self, step: int) -> None:
        self.highlight = (self.highlight + step) % len(self.options)
        self._render_lines()
        lines = list(self.query(OptionLine))
        if lines:
            lines[self.highlight].scroll_visible(animate=False)

    def action_choose(self) -> None:
        self.choose(self.highlight)

    def choose(self, index: int) -> None:
        if not 0 <= index < len(self.options):
            return
        mark = letter(index)
        self.highlight = index
        if self.multiple:
            self.chosen ^= {mark}
        elif mark in self.chosen:
            self._render_lines()
            return  # choosing the same option again changes nothing
        else:
            self.chosen = {mark}
        self._render_lines()
        self.post_message(AnswerChanged(self.item_id, self.value))

    def on_key(self, event: Key) -> None:
        char = (event.character or "").upper()
        index = None
        if len(char) == 1 and "A" <= char <= "Z":
            index = ord(char) - ord("A")
        elif len(char) == 1 and "1" <= char <= "9":
            index = int(char) - 1
        if index is not None and index < len(self.options):
            event.stop()
            event.prevent_default()
            self.choose(index)


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
        owner.focus()
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
        owner = self.query_ancestor(MatchingAnswer)
        owner.pair(letter(self.index))
        owner.focus()


class MatchingAnswer(Vertical, can_focus=True):
    """Numbered left rows, lettered right options: pick a row (number or arrows), then a letter."""

    DEFAULT_CSS = """
    MatchingAnswer { height: auto; padding: 0 0 1 0; }
    MatchingAnswer:focus { background: $boost; }
    MatchingAnswer .columns { height: auto; }
    MatchingAnswer .left { width: 1fr; height: auto; }
    MatchingAnswer .right { width: 1fr; height: auto; border-left: solid $primary; }
    """
    BINDINGS = [
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("backspace,delete", "clear_row", N_("Clear pair"), id="clear_pair"),
    ]

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
        translate_bindings(self, self.app.t)
        self.refresh_rows()

    @property
    def value(self) -> dict:
        return dict(sorted(self.pairs.items(), key=lambda kv: int(kv[0])))

    def refresh_rows(self) -> None:
        for row in self.query(PairRow):
            key = str(row.index + 1)
            chosen = self.pairs.get(key)
            arrow = f" → {chosen}" if chosen else " → ?"
            row.update(Text.assemble((f"{key}. ", "bold"), row.text, (arrow, "bold")))
            row.set_class(row.index == self.row, "-highlight")
            row.set_class(chosen is not None, "-paired")

    def action_move(self, step: int) -> None:
        self.row = (self.row + step) % len(self.left)
        self.refresh_rows()

    def action_clear_row(self) -> None:
        if self.pairs.pop(str(self.row + 1), None) is not None:
            self.refresh_rows()
            self.post_message(AnswerChanged(self.item_id, self.value or None))

    def pair(self, mark: str) -> None:
        key = str(self.row + 1)
        if self.pairs.get(key) == mark:
            return
        self.pairs[key] = mark
        if self.row < len(self.left) - 1 and str(self.row + 2) not in self.pairs:
            self.row += 1  # on to the next row still without a pair
        self.refresh_rows()
        self.post_message(AnswerChanged(self.item_id, self.value))

    def on_key(self, event: Key) -> None:
        char = (event.character or "").upper()
        if len(char) == 1 and "1" <= char <= "9" and int(char) <= len(self.left):
            event.stop()
            event.prevent_default()
            self.row = int(char) - 1
            self.refresh_rows()
        elif len(char) == 1 and "A" <= char <= "Z" and ord(char) - ord("A") < len(self.right):
            event.stop()
            event.prevent_default()
            self.pair(char)


class ShortAnswer(Vertical):
    """A typed answer, saved on Enter and when the student moves away."""

    DEFAULT_CSS = """
    ShortAnswer { height: auto; padding: 0 0 1 0; }
    ShortAnswer Input { width: 60; max-width: 100%; }
    ShortAnswer .hint { color: $text-muted; padding: 0 1; }
    """

    def __init__(self, value: Any, hint: str, *, item_id: str = "", **kwargs):
        super().__init__(**kwargs)
        self.item_id = item_id
        self.saved = value if isinstance(value, str) else ""
        self.hint = hint

    def compose(self) -> ComposeResult:
        yield Input(self.saved, max_length=200, id="short-input")
        yield Static(self.hint, classes="hint")

    @property
    def input(self) -> Input:
        return self.query_one(Input)

    def focus(self, scroll_visible: bool = True) -> "ShortAnswer":
        self.input.focus(scroll_visible)
        return self

    def commit(self) -> None:
        """Sends the typed text if it changed (an empty box clears the answer)."""
        text = self.input.value.strip()
        if text != self.saved:
            self.saved = text
            self.post_message(AnswerChanged(self.item_id, text or None))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.commit()

    def on_descendant_blur(self) -> None:
        self.commit()
