"""The room's clock at work: twice a second it ends what is over (tests at their deadline,
breaks, questionnaires, grace windows), pushes clocks and sends the proctors what changed.
At start it records an outage of the server as a pause of the room."""

from __future__ import annotations

import asyncio
import logging

import room_protocol as p
from room_protocol.rules import AFTER_TEST, IN_TEST, State

from . import views
from .handlers.attempt import finish_attempt, seal
from .handlers.breaks import end_student_break
from .room import Room
from .sitting import Pause, minutes_ms
from .storage import audit, meta as meta_rows, now_ms

log = logging.getLogger("synaq.ticker")

OUTAGE_PAUSE_AFTER_MS = 10_000  # a server down longer than this pauses the room for that time


async def pause_for_outage(room: Room) -> None:
    """The laptop lost power or the server was killed while the sitting ran: the time it was
    down is recorded as a room pause, so no student loses it."""
    alive = int(room.meta.get("alive_ms", "0") or 0)
    # The last audit entry also proves the server was alive then (answers commit many times a
    # second): without it the pause would start up to a tick before the crash, and remaining
    # times told to students in that tick would change afterwards.
    last = await audit.last_at_ms(room.database)
    if alive and last is not None:
        alive = max(alive, last)
    now = now_ms()
    if room.sitting_state != "open" or not alive or now - alive < OUTAGE_PAUSE_AFTER_MS:
        return
    if room.paused:
        return  # already paused by the proctor
    await room.record("server", None, "server_outage", {"from_ms": alive, "to_ms": now},
                      also=[meta_rows.start_pause(alive, "server_outage", "", end_ms=now)],
                      apply=lambda: room.pauses.append(Pause(alive, now)))


async def run(room: Room) -> None:
    tick = 0
    while True:
        await asyncio.sleep(0.5)
        tick += 1
        try:
            if tick % 2 == 0:
                await enforce_clock(room)
                if tick % 10 != 0 and room.sitting_state == "open":
                    await room.database.write([meta_rows.set_meta("alive_ms", str(now_ms()))])
            if tick % 10 == 0:
                await room.flush_positions()
                room.mark_all()
            # Every student's clock every 5 s, a tenth of the room each half second: 500 clock
            # messages at once held the loop long enough to delay acks.
            part = tick % 10
            room.broadcast(lambda sid: views.clock_if_testing(room, sid) if sid % 10 == part else None)
            views.flush_seats(room)
        except Exception:  # one bad tick must not stop the clock
            log.exception("room ticker")


async def enforce_clock(room: Room) -> None:
    now = now_ms()
    grace = room.late_grace_ms
    for student_id, a in list(room.attempts.items()):
        if a.state in IN_TEST and room.clock_of(student_id).is_over(now):
            # The deadline: the server finishes the attempt itself, online or not. An app
            # online now has sent everything: its result is sealed and shown at once. An
            # app cut off keeps its grace window to send what it made in time.
            online = student_id in room.online
            await finish_attempt(room, student_id, "time_over", "server", seal=online, offline_at_deadline=int(not online),
                                 lost_at_ms=None if online else (a.last_seen_ms or a.started_ms))
            if online:
                room.to_student(student_id, p.Result.of(a.result))
        elif (a.state in AFTER_TEST and a.result is None and not a.annulled and a.finished_ms is not None
              and now - a.finished_ms > grace):
            await seal(room, student_id, "server")
            room.to_student(student_id, p.Result.of(a.result))
        elif a.state == State.ON_BREAK and a.break_started_ms is not None and not room.room_break:
            timing = room.pack_of(room.students[student_id]).timing
            if now - a.break_started_ms >= minutes_ms(timing.break_minutes):
                await end_student_break(room, student_id, "server")
        elif a.state == State.QUESTIONNAIRE and a.questionnaire_started_ms is not None:
            q = room.questionnaires[room.students[student_id].language]
            if now - a.questionnaire_started_ms >= minutes_ms(q.minutes):
                await room.change_attempt(student_id, "server", "questionnaire_time_over", None, state=State.DONE)
                room.to_student(student_id, p.Done())
