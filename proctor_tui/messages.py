"""Messages a request's worker posts back to the screen that asked."""

from __future__ import annotations

from textual.message import Message

from typing import Any



class Replied(Message):
    """A request's reply, posted to whoever asked (a screen or the app)."""

    def __init__(self, tag: str, context: Any, reply: Any) -> None:
        super().__init__()
        self.tag = tag
        self.context = context  # what the asker passed along (a filter, the saved fields)
        self.reply = reply


class Failed(Message):
    """A request the server refused or could not get; `error` is already readable."""

    def __init__(self, tag: str, context: Any, error: str) -> None:
        super().__init__()
        self.tag = tag
        self.context = context
        self.error = error
