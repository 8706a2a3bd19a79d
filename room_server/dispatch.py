"""One handler per client message, registered against the protocol's message class.

A handler is `async def handle(room, call, msg) -> reply | None` (None means `ok`). For a
student message the dispatcher first finds the student behind the connection and checks the
attempt's state against `rules.ALLOWED`, so handlers start from a student who may send it.
`tests/test_dispatch.py` checks that every message a client may send has exactly one handler.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Awaitable, Callable

import room_protocol as p
from room_protocol import ErrorCode, ProtocolError
from room_protocol.rules import ALLOWED, REFUSED_ON_BREAK, REFUSED_WHILE_PAUSED, STAFF_MESSAGES, State

from .model import Attempt, StaffMember, Student
from .room import Peer, Room


@dataclass
class Call:
    """Who sent the message: the connection, and for a logged-in student their records."""

    conn: Peer
    re: int | None
    student: Student | None = None
    attempt: Attempt | None = None
    staff: StaffMember | None = None  # a teacher's or principal's slip (questionnaire only)


Handler = Callable[[Room, Call, p.Message], Awaitable[p.Message | None]]
HANDLERS: dict[type[p.Message], Handler] = {}
NEEDS_STUDENT: set[type[p.Message]] = set()


def handles(message_cls: type[p.Message], *, logged_in: bool = True):
    """Registers the handler of one message; `logged_in=False` for a student message that
    comes before login (login itself)."""
    def register(func: Handler) -> Handler:
        if message_cls in HANDLERS:
            raise RuntimeError(f"two handlers for {message_cls.TYPE}")
        HANDLERS[message_cls] = func
        if message_cls.TYPE in p.STUDENT_MESSAGES and logged_in:
            NEEDS_STUDENT.add(message_cls)
        return func
    return register


def require_student(room: Room, conn: Peer, message_type: str) -> tuple[Student, Attempt]:
    """The logged-in student behind a connection, allowed to send this message now."""
    student = room.student_of(conn)
    if student is None:
        raise ProtocolError(ErrorCode.WRONG_STATE, "log in first")
    a = room.attempts[student.id]
    if a.state == State.REMOVED:
        raise ProtocolError(ErrorCode.REMOVED, "the administrator has ended this test")
    # A pause and a break come first: "not now" (docs/protocol.md), never wrong_state, which
    # counts as a bad frame although the request is one the test allows.
    if a.state in (State.TESTING, State.ON_BREAK) and message_type in REFUSED_WHILE_PAUSED and room.paused:
        raise ProtocolError(ErrorCode.PAUSED, "the administrator has paused the room; please wait")
    if a.state == State.ON_BREAK and message_type in REFUSED_ON_BREAK:
        raise ProtocolError(ErrorCode.ON_BREAK, "you are on a break; return to the test first")
    allowed = ALLOWED.get(message_type)
    if allowed is not None and a.state not in allowed:
        raise ProtocolError(ErrorCode.WRONG_STATE, f"{message_type} is not allowed while the attempt is {a.state}")
    return student, a


def prepare(room: Room, conn: Peer, role: str, msg: p.Message, re: int | None) -> tuple[Handler, Call]:
    """The message's handler and who sends it, decided the moment the frame arrives (a
    connection that ends while the handler waits must not change who sent it)."""
    kind = msg.TYPE
    if role == "student" and kind in p.PROCTOR_MESSAGES:
        raise ProtocolError(ErrorCode.FORBIDDEN, f"{kind} is for the administrator only")
    if role == "proctor" and kind in p.STUDENT_MESSAGES:
        raise ProtocolError(ErrorCode.FORBIDDEN, f"{kind} is a student's message")
    handler = HANDLERS.get(type(msg))
    if handler is None:
        raise ProtocolError(ErrorCode.UNKNOWN_TYPE, f"no handler for {kind}")
    call = Call(conn, re)
    if type(msg) in NEEDS_STUDENT:
        call.staff = room.staff.of(conn)
        if call.staff is None:
            call.student, call.attempt = require_student(room, conn, kind)
        elif kind not in STAFF_MESSAGES:
            raise ProtocolError(ErrorCode.WRONG_STATE, f"a teacher's or principal's slip answers the questionnaire "
                                                       f"only, not {kind}")
    return handler, call


async def run(room: Room, handler: Handler, call: Call, msg: p.Message) -> None:
    """Runs the handler and sends its reply (a ProtocolError becomes the caller's error)."""
    reply = await handler(room, call, msg)
    call.conn.send(reply if reply is not None else p.Ok(), call.re)


async def dispatch(room: Room, conn: Peer, role: str, msg: p.Message, re: int | None) -> None:
    handler, call = prepare(room, conn, role, msg, re)
    await run(room, handler, call, msg)
