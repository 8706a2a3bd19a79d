"""Messages a request's worker posts back to the screen that asked."""

from __future__ import annotations

from textual.message import Message

from room_server import protocol as p


class Replied(Message):
    """A request's reply, posted to whoever asked (a screen or the app)."""

    def __init__(self, tag: str, request: p.Message, reply: p.Message) -> None:
        super().__init__()
        self.tag = tag
        self.request = request
        self.reply = reply


class Failed(Message):
    """A request the server refused or could not get; `error` is already readable."""

    def __init__(self, tag: str, request: p.Message, error: str) -> None:
        super().__init__()
        self.tag = tag
        self.request = request
        self.error = error
