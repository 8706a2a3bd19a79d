"""Error codes a server sends, and the exception that carries one (docs/protocol.md, "Errors")."""

from __future__ import annotations

from typing import Any


class ErrorCode:
    """Every error code a server may send."""

    BAD_FRAME = "bad_frame"  # not msgpack, not a map, or not binary
    TOO_LARGE = "too_large"
    UNKNOWN_TYPE = "unknown_type"
    MISSING_FIELD = "missing_field"
    UNKNOWN_FIELD = "unknown_field"
    BAD_FIELD = "bad_field"  # a field of the wrong type or value
    VERSION = "version"  # protocol versions do not match
    NOT_HELLO = "not_hello"  # the first message must be hello
    WRONG_STATE = "wrong_state"  # this message is not allowed in the attempt's state
    FORBIDDEN = "forbidden"  # a student connection sent a proctor message, or a bad key
    BAD_LOGIN = "bad_login"  # unknown login or wrong password
    SLOW_DOWN = "slow_down"  # too many failed logins: wait retry_after_s
    AWAITING_APPROVAL = "awaiting_approval"
    REFUSED = "refused"  # the proctor refused this login
    REPLACED = "replaced"  # the same student logged in elsewhere; this connection ends
    NOT_OPEN = "not_open"  # the sitting is not open yet
    CLOSED = "closed"  # the sitting is closed
    PAUSED = "paused"  # the room is paused
    ON_BREAK = "on_break"
    TIME_OVER = "time_over"  # the attempt's time is over; the answer does not count
    SEALED = "sealed"  # the result was shown: the attempt takes no more answers
    REMOVED = "removed"  # the administrator ended this student's test
    NOT_FOUND = "not_found"  # no such item, student, subject or incident
    SUBJECT_CLOSED = "subject_closed"  # a finished subject that cannot be reopened
    BAD_CHECK = "bad_check"  # the arithmetic check at finish is wrong
    ABSENT = "absent"  # marked absent by the proctor
    ALREADY_DONE = "already_done"  # a second questionnaire response for one attempt
    TOO_FAST = "too_fast"  # a client sending far faster than any person answers
    BUSY = "busy"  # too many connections from one address, or the room is full
    NOT_YOUR_STREAM = "not_your_stream"  # the login is for another stream of the day than the one running
    STREAM_CHANGED = "stream_changed"  # the administrator made another stream live (the connection closes)
    INTERNAL = "internal"


# Codes that count towards the bad-frame limit of a connection: a client that keeps sending
# them is broken or hostile. Refusals of a well-formed request (wrong password, paused...) do
# not count.
BAD_FRAME_CODES = frozenset({
    ErrorCode.BAD_FRAME, ErrorCode.TOO_LARGE, ErrorCode.UNKNOWN_TYPE, ErrorCode.MISSING_FIELD,
    ErrorCode.UNKNOWN_FIELD, ErrorCode.BAD_FIELD, ErrorCode.NOT_HELLO, ErrorCode.FORBIDDEN,
    ErrorCode.WRONG_STATE,
})

# Refusals that mean "not now" rather than "never": a client keeps the request and tries again.
RETRY_CODES = frozenset({ErrorCode.TOO_FAST, ErrorCode.INTERNAL, ErrorCode.SLOW_DOWN, ErrorCode.BUSY})


class ProtocolError(Exception):
    def __init__(self, code: str, reason: str, *, close: bool = False, **extra: Any):
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason
        self.close = close  # the connection is closed after the reply (abuse)
        self.extra = extra
        self.request_id: int | None = None  # the frame's "id", when it could be read
