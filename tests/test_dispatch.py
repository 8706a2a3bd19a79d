"""One dispatch table generated from the protocol's message classes: every message a client
may send has exactly one handler, every handler answers a client message, and every student
message has its states in the rules."""

from __future__ import annotations

import room_protocol as p
from room_protocol.rules import ALLOWED
from room_server import handlers  # noqa: F401 — registers the handlers
from room_server.dispatch import HANDLERS, NEEDS_STUDENT


def test_every_client_message_has_one_handler():
    # hello opens the connection itself (room_server/connection.py), before any role exists.
    wanted = {p.MESSAGES[t] for t in p.CLIENT_MESSAGES} - {p.Hello}
    assert set(HANDLERS) == wanted, (sorted(c.TYPE for c in wanted - set(HANDLERS)),
                                     sorted(c.TYPE for c in set(HANDLERS) - wanted))


def test_every_student_message_but_login_needs_a_student_in_an_allowed_state():
    students = {p.MESSAGES[t] for t in p.STUDENT_MESSAGES}
    assert NEEDS_STUDENT == students - {p.Login}
    assert {cls.TYPE for cls in NEEDS_STUDENT} == set(ALLOWED), "every student message has its states"


def test_roles_never_overlap():
    assert not (p.STUDENT_MESSAGES & p.PROCTOR_MESSAGES)
    assert p.STUDENT_MESSAGES | p.PROCTOR_MESSAGES | {"hello"} == p.CLIENT_MESSAGES
