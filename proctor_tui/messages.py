"""Messages the workers post: a request's reply to the screen that asked, and what the link
worker hears from the room (snapshots, seats, the sitting, events, the link itself)."""

from __future__ import annotations

from typing import Any

from textual.message import Message

import room_protocol as p


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


class Snapshot(Message):
    """A fresh Room snapshot (on connect, after a reconnect, after a room-level change)."""

    def __init__(self, room: p.Room) -> None:
        super().__init__()
        self.room = room

class SeatChanged(Message):
    def __init__(self, seat: p.SeatView) -> None:
        super().__init__()
        self.seat = seat

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SeatChanged) and message.seat.student == self.seat.student

class SittingChanged(Message):
    def __init__(self, sitting: p.SittingView) -> None:
        super().__init__()
        self.sitting = sitting

class RoomEvent(Message):
    def __init__(self, event: p.EventView) -> None:
        super().__init__()
        self.event = event

class StreamChanging(Message):
    """The server is making another stream live: this connection closes, the client comes
    back to the new stream."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

class Link(Message):
    def __init__(self, online: bool, reason: str = "", fatal: bool = False) -> None:
        super().__init__()
        self.online = online
        self.reason = reason
        self.fatal = fatal
