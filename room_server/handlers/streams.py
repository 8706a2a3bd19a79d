"""A day of streams: the administrator makes another stream live, or adds one. The room the
server serves is one stream; switching closes every connection (`stream_changed`) and opens
the other stream's room (app.py)."""

from __future__ import annotations

import room_protocol as p
from room_protocol import ErrorCode, ProtocolError

from .. import views
from ..dispatch import Call, handles
from ..room import Room


def _day(room: Room):
    if room.day is None:
        raise ProtocolError(ErrorCode.WRONG_STATE, "this room is one sitting, not a day of streams "
                                                   "(make a day with 'room-server init --stream N')")
    return room.day


@handles(p.SwitchStream)
async def switch_stream(room: Room, call: Call, msg: p.SwitchStream) -> None:
    day = _day(room)
    numbers = [s.number for s in day.streams(room)]
    if msg.stream not in numbers:
        raise ProtocolError(ErrorCode.NOT_FOUND, f"no stream {msg.stream} (the day has {', '.join(map(str, numbers))})")
    live = next(s for s in day.streams(room) if s.live)
    if msg.stream == live.number:
        raise ProtocolError(ErrorCode.WRONG_STATE, f"stream {msg.stream} is already live")
    if room.sitting_state == "open":
        raise ProtocolError(ErrorCode.WRONG_STATE, f"the sitting of stream {live.number} is open: close it first")
    await room.record("proctor", None, "stream_switched", {"from": live.number, "to": msg.stream})
    day.switch_soon(msg.stream)  # after this reply has gone out


@handles(p.AddStream)
async def add_stream(room: Room, call: Call, msg: p.AddStream) -> None:
    await _day(room).add(msg)
    await room.record("proctor", None, "stream_added", {"stream": msg.stream})
    room.to_proctors(p.SittingChanged(views.sitting_view(room)))  # every console lists the new stream
