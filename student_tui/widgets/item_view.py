"""One item, built whole before it is shown: its number and points, its text and its answer.

The test screen builds the views of a whole subject at once and shows one at a time, so
moving to another item only swaps which view is displayed (one frame, nothing to wait for).
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

import room_protocol as p

from .answers import ChoiceAnswer, LeftRows, MatchingAnswer, RightRows, ShortAnswer
from .document import Document


class ItemView(Vertical):
    DEFAULT_CSS = """
    ItemView { height: auto; }
    ItemView .item-head { color: $text-muted; }
    ItemView Document { margin: 0 0 1 0; }
    """

    def __init__(self, item: p.TestItem, index: int, head: str, value: Any, texts: dict[str, str], **kwargs):
        super().__init__(**kwargs)
        self.item = item
        self.index = index
        self.head = head
        self.value = value
        self.texts = texts  # the interface's words for hints and notes

    def compose(self) -> ComposeResult:
        yield Static(self.head, classes="item-head", markup=False)
        yield Document(self.item.text)
        yield self._answer()

    def _answer(self):
        item = self.item
        if item.kind in ("single", "multiple"):
            return ChoiceAnswer(item.options or [], self.value, multiple=item.kind == "multiple", item_id=item.id,
                                focusable=False)
        if item.kind == "matching":
            return MatchingAnswer(item.left or [], item.right or [], self.value, item_id=item.id)
        number = item.answer_type == "number"
        hint = self.texts["number_hint" if number else "text_hint"]
        if number and item.units:
            hint += " " + self.texts["units"].format(units=", ".join(item.units))
        return ShortAnswer(self.value, hint, item_id=item.id, number=number, units=item.units,
                           bad_number=self.texts["bad_number"])

    @property
    def answer(self) -> ChoiceAnswer | MatchingAnswer | ShortAnswer:
        return self.query_one("ChoiceAnswer, MatchingAnswer, ShortAnswer")  # type: ignore[return-value]

    @property
    def short(self) -> ShortAnswer | None:
        found = self.query(ShortAnswer)
        return found.first() if found else None

    def take_key(self, key: str, character: str | None) -> bool:
        return self.answer.take_key(key, character)

    def commit(self) -> bool:
        """Sends typed text that was not sent yet (True when nothing is left unsent)."""
        short = self.short
        return short.commit() if short is not None else True

    def prepare(self, width: int) -> None:
        """Draws the text and the rows now at `width` (the item scroll's), so showing the
        item later is one frame with nothing left to draw or measure."""
        self.query_one(Document).prepare(width)
        answer = self.answer
        if isinstance(answer, ChoiceAnswer):
            answer.draw(width - 2)
        elif isinstance(answer, MatchingAnswer):
            answer.query_one(LeftRows).draw(width // 2 - 2)
            answer.query_one(RightRows).draw(width - width // 2 - 3)
