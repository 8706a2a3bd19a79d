"""Breaks and pauses: a student's optional break, the room break the administrator announces,
and a pause of the whole room (power or network), which stops every clock."""

from __future__ import annotations

import room_protocol as p
from room_protocol import ErrorCode, ProtocolError
from room_protocol.rules import State

from .. import views
from ..dispatch import Call, handles
from ..room import Room
from ..sitting import Pause, break_offered, break_slot
from ..storage import meta as meta_rows, now_ms

PAUSE_REASONS = ("power", "network", "other")


@handles(p.TakeBreak)
async def take_break(room: Room, call: Call, msg: p.TakeBreak) -> None:
    student, a = call.student, call.attempt
    timing = room.pack_of(student).timing
    elapsed = room.clock_of(student.id).elapsed_ms(now_ms())
    if not break_offered(timing, elapsed, set(a.break_slots), room.room_break_key):
        raise ProtocolError(ErrorCode.WRONG_STATE, "no break is offered now")
    slot = room.room_break_key if room.room_break_key is not None else break_slot(timing, elapsed)
    slots = list(a.break_slots) + ([slot] if slot is not None and slot not in a.break_slots else [])
    await room.change_attempt(student.id, student.login, "break_started", {"slot": slot},
                              state=State.ON_BREAK, break_started_ms=now_ms(), break_slots=slots)
    views.push_clock(room, student.id)


@handles(p.EndBreak)
async def end_break(room: Room, call: Call, msg: p.EndBreak) -> None:
    await end_student_break(room, call.student.id, call.student.login)


async def end_student_break(room: Room, student_id: int, actor: str) -> None:
    await room.change_attempt(student_id, actor, "break_ended", None, state=State.TESTING, break_started_ms=None)
    views.push_clock(room, student_id)


@handles(p.AnnounceBreak)
async def announce_break(room: Room, call: Call, msg: p.AnnounceBreak) -> None:
    if room.sitting_state != "open":
        raise ProtocolError(ErrorCode.NOT_OPEN, "the sitting is not open")
    if room.room_break:
        raise ProtocolError(ErrorCode.WRONG_STATE, "a break is already announced")
    number = str(int(room.meta.get("room_breaks", "0")) + 1)
    await room.record("proctor", None, "room_break_announced", {"number": int(number)},
                      meta={"room_break": number, "room_breaks": number},
                      apply=lambda: setattr(room, "room_break_key", f"room-{number}"))
    room.broadcast(lambda sid: views.clock_if_testing(room, sid))
    room.to_proctors(p.SittingChanged(views.sitting_view(room)))


@handles(p.EndRoomBreak)
async def end_room_break(room: Room, call: Call, msg: p.EndRoomBreak) -> None:
    if not room.room_break:
        raise ProtocolError(ErrorCode.WRONG_STATE, "no break is announced")
    await room.record("proctor", None, "room_break_ended", None, meta={"room_break": "0"},
                      apply=lambda: setattr(room, "room_break_key", None))
    for student_id, a in list(room.attempts.items()):
        if a.state == State.ON_BREAK:
            await end_student_break(room, student_id, "proctor")
    room.broadcast(lambda sid: views.clock_if_testing(room, sid))
    room.to_proctors(p.SittingChanged(views.sitting_view(room)))


@handles(p.Pause)
async def pause(room: Room, call: Call, msg: p.Pause) -> None:
    if msg.reason not in PAUSE_REASONS:
        raise ProtocolError(ErrorCode.BAD_FIELD, "the reason must be power, network or other")
    if msg.reason == "other" and not msg.note.strip():
        raise ProtocolError(ErrorCode.BAD_FIELD, "say what happened (note) when the reason is other")
    if room.sitting_state != "open":
        raise ProtocolError(ErrorCode.NOT_OPEN, "the sitting is not open")
    if room.paused:
        raise ProtocolError(ErrorCode.WRONG_STATE, "the room is already paused")
    now = now_ms()
    note = msg.note[:300]

    def paused() -> None:
        room.pauses.append(Pause(now, None))
        room.pause_reason = msg.reason

    await room.record("proctor", None, "paused", {"reason": msg.reason, "note": note},
                      also=[meta_rows.start_pause(now, msg.reason, note)], apply=paused)
    room.broadcast(lambda sid: views.clock_if_testing(room, sid))
    room.mark_all()
    room.to_proctors(p.SittingChanged(views.sitting_view(room)))


@handles(p.Resume)
async def resume(room: Room, call: Call | None, msg: p.Resume | None = None) -> None:
    if not room.paused:
        raise ProtocolError(ErrorCode.WRONG_STATE, "the room is not paused")
    now = now_ms()

    def resumed() -> None:
        room.pauses = [Pause(x.start_ms, now if x.end_ms is None else x.end_ms) for x in room.pauses]
        room.pause_reason = None

    await room.record("proctor", None, "resumed", None, also=[meta_rows.end_pause(now)], apply=resumed)
    room.broadcast(lambda sid: views.clock_if_testing(room, sid))
    room.mark_all()
    room.to_proctors(p.SittingChanged(views.sitting_view(room)))
