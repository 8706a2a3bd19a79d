"""The wire protocol: one typed message class per message, binary msgpack frames.

Every frame is a msgpack map: {"t": <message type>, "id": <request id, optional>, ...fields}.
A reply carries "re": <the request's id>. Decoding checks everything — size, msgpack limits,
the type, every field's presence and type, unknown fields — and raises ProtocolError with a
code and a readable reason; nothing here touches state. docs/protocol.md is the reference.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass
from typing import Any, Callable, ClassVar

import msgpack

PROTOCOL_VERSION = 1
WS_PATH = "/ws"
SERVICE_TYPE = "_synaq._tcp.local."
MAX_FRAME_BYTES = 64 * 1024  # a frame from a client; the server's replies may be larger
MAX_ARRAY_LEN = 1024
MAX_MAP_LEN = 256
MAX_STR_LEN = 16 * 1024
MAX_BIN_LEN = 1024
# What a client accepts from the server: a proctor's room snapshot of 200 seats is ~100 KB.
SERVER_LIMITS = (4 * 1024 * 1024, 100_000, 4_096, 1024 * 1024, 64 * 1024)  # bytes, array, map, str, bin
HEARTBEAT_S = 10.0  # WebSocket ping interval; a peer silent for ~2 heartbeats is gone
SEND_QUEUE_LIMIT = 256  # frames waiting for one client before it is dropped


class ErrorCode:
    """Every error code a server may send (see docs/protocol.md)."""

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
    REMOVED = "removed"  # the administrator ended this student's test
    NOT_FOUND = "not_found"  # no such item, student, subject or incident
    SUBJECT_CLOSED = "subject_closed"  # a finished subject that cannot be reopened
    BAD_CHECK = "bad_check"  # the arithmetic check at finish is wrong
    ABSENT = "absent"  # marked absent by the proctor
    TOO_FAST = "too_fast"  # a client sending far faster than any person answers
    INTERNAL = "internal"


class ProtocolError(Exception):
    def __init__(self, code: str, reason: str, *, close: bool = False, **extra: Any):
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason
        self.close = close  # the connection is closed after the reply (abuse)
        self.extra = extra
        self.request_id: int | None = None  # the frame's "id", when it could be read


# The registry of message classes by their "t".
MESSAGES: dict[str, type[Message]] = {}
CLIENT_MESSAGES: set[str] = set()  # what a client may send
PROCTOR_MESSAGES: set[str] = set()  # what only a proctor connection may send


@dataclass
class Message:
    TYPE: ClassVar[str] = ""

    def to_wire(self) -> dict:
        wire = {"t": self.TYPE}
        for f in _spec(type(self)).fields:
            value = getattr(self, f.name)
            if value is None and f.omit_none:
                continue  # optional and absent
            wire[f.name] = value
        return wire


def message(type_name: str, *, sender: str = "server"):
    """Registers a message class. sender: "server", "client" (student or proctor), "proctor"."""

    def register(cls):
        cls = dataclass(cls)
        cls.TYPE = type_name
        MESSAGES[type_name] = cls
        if sender in ("client", "proctor"):
            CLIENT_MESSAGES.add(type_name)
        if sender == "proctor":
            PROCTOR_MESSAGES.add(type_name)
        return cls

    return register


# ---------------------------------------------------------------------------------------
# Both roles

@message("hello", sender="client")
class Hello(Message):
    version: int
    role: str  # "student" or "proctor"
    client: str = ""  # the client's name and version, for the log
    key: str | None = None  # the proctor key (proctor role only)


@message("hello_ok")
class HelloOk(Message):
    version: int
    server_time_ms: int
    school: str
    room: str
    grade: int
    languages: list  # the test languages this room has packs for


@message("error")
class Error(Message):
    code: str
    reason: str
    retry_after_s: float | None = None


@message("ok")
class Ok(Message):
    """A plain acknowledgement of a request that returns nothing else."""


# ---------------------------------------------------------------------------------------
# The student

@message("login", sender="client")
class Login(Message):
    login: str
    password: str
    test_type: str  # "MODO" (ББЖО / МОДО)
    device: str  # a random id this computer keeps; tells "same computer" from another


@message("login_ok")
class LoginOk(Message):
    student: dict  # surname, name, patronymic, iin, test_language, test_type, ikt, seat
    attempt: dict  # see AttemptView in docs/protocol.md


@message("report_mistake", sender="client")
class ReportMistake(Message):
    note: str = ""


@message("confirm_data", sender="client")
class ConfirmData(Message):
    pass


@message("start", sender="client")
class Start(Message):
    """Rules accepted and "Start testing" pressed. Waits while the sitting is not open."""


@message("waiting")
class Waiting(Message):
    """The rules are accepted; the sitting is not open yet. `sitting` follows when it is."""


@message("test")
class Test(Message):
    """The student's variant without keys, sent once per start or resume."""

    subjects: list  # [{id, title, items: [item views], stimuli: [{id, title, text}]}]
    timing: dict  # total_minutes, work_block_minutes, break_minutes, breaks, reopen
    journal_key: bytes  # encrypts the app's local journal of unsent answers
    answers: dict  # item id -> latest acknowledged value
    next_seq: int  # the next answer number this attempt expects (max acked + 1)
    current_item: str | None = None  # where the student stopped
    subject_index: int = 0  # the subject the student is in


@message("answer", sender="client")
class Answer(Message):
    seq: int  # numbered by the client per attempt, from 1; a replay is acked again
    item: str
    value: Any  # see "Answer values" in docs/protocol.md; None clears the answer
    made_ms: int  # attempt time (ms since start, pauses excluded) when it was made


@message("ack")
class Ack(Message):
    seq: int
    item: str
    counted: bool = True  # False: saved for the record but made after the deadline


@message("goto", sender="client")
class Goto(Message):
    """Where the student is now, so a resume lands on the same item."""

    item: str


@message("next_subject", sender="client")
class NextSubject(Message):
    pass


@message("open_subject", sender="client")
class OpenSubject(Message):
    subject: str


@message("subject")
class SubjectNow(Message):
    subject_index: int
    closed: list  # subject ids that are finished and cannot be reopened


@message("take_break", sender="client")
class TakeBreak(Message):
    pass


@message("end_break", sender="client")
class EndBreak(Message):
    pass


@message("finish_request", sender="client")
class FinishRequest(Message):
    pass


@message("finish_check")
class FinishCheck(Message):
    question: str  # a simple arithmetic example, e.g. "7 + 5"
    unanswered: dict  # subject id -> number of unanswered items


@message("finish", sender="client")
class Finish(Message):
    check: str  # the student's answer to the example


@message("result")
class Result(Message):
    subjects: list  # [{subject, title, score, max_score}]
    total: float
    max_total: float
    percent: float
    reason: str  # "finished" or "time_over"


@message("questionnaire_start", sender="client")
class QuestionnaireStart(Message):
    pass


@message("questionnaire")
class QuestionnaireOut(Message):
    pseudonym: str  # answers are stored under it, never under the student
    title: str
    intro: str
    minutes: int
    remaining_ms: int
    questions: list


@message("questionnaire_answer", sender="client")
class QuestionnaireAnswer(Message):
    pseudonym: str
    question: str
    value: Any


@message("questionnaire_done", sender="client")
class QuestionnaireDone(Message):
    pseudonym: str


@message("done")
class Done(Message):
    """The student may leave."""


# Pushes to a student
@message("clock")
class Clock(Message):
    state: str  # the attempt's state
    remaining_ms: int
    elapsed_ms: int  # attempt time so far (pauses excluded)
    paused: bool
    break_due: bool  # a break is offered now
    break_remaining_ms: int | None = None  # while on break
    room_break: bool = False  # the administrator announced a break


@message("sitting")
class SittingNow(Message):
    state: str  # "not_open", "open", "closed"


@message("ended")
class Ended(Message):
    """The administrator ended this student's test (removed, result annulled)."""

    reason: str


@message("approval")
class Approval(Message):
    approved: bool


# ---------------------------------------------------------------------------------------
# The proctor

@message("watch", sender="proctor")
class Watch(Message):
    """Subscribe to the room: a `room` snapshot now, `seat` updates as they happen."""


@message("room")
class Room(Message):
    sitting: dict  # state, opened_at_ms, closed_at_ms, paused, pause_reason, room_break, ...
    seats: list  # [SeatView]
    address: str  # the address students type where discovery fails


@message("seat")
class Seat(Message):
    seat: dict  # one SeatView


@message("event")
class EventOut(Message):
    event: dict  # one audit-log entry


@message("open_sitting", sender="proctor")
class OpenSitting(Message):
    pass


@message("close_sitting", sender="proctor")
class CloseSitting(Message):
    pass


@message("attendance", sender="proctor")
class Attendance(Message):
    student: int
    present: bool
    reason: str = ""  # why absent
    document: str = ""  # the supporting document


@message("slips", sender="proctor")
class Slips(Message):
    student: int
    handed: bool | None = None
    collected: bool | None = None


@message("announce_break", sender="proctor")
class AnnounceBreak(Message):
    pass


@message("end_room_break", sender="proctor")
class EndRoomBreak(Message):
    pass


@message("pause", sender="proctor")
class Pause(Message):
    reason: str  # "power", "network" or "other"
    note: str = ""


@message("resume", sender="proctor")
class Resume(Message):
    pass


@message("extra_time", sender="proctor")
class ExtraTime(Message):
    student: int
    minutes: int
    reason: str


@message("approve_login", sender="proctor")
class ApproveLogin(Message):
    student: int
    approve: bool


@message("incident", sender="proctor")
class Incident(Message):
    kind: str  # "annex1" (prohibited item), "annex2" (impostor) or "other"
    student: int | None
    fields: dict  # the act's fields, see docs/protocol.md


@message("incident_ok")
class IncidentOk(Message):
    incident: dict


@message("list_incidents", sender="proctor")
class ListIncidents(Message):
    pass


@message("incidents")
class Incidents(Message):
    incidents: list


@message("list_events", sender="proctor")
class ListEvents(Message):
    student: int | None = None
    limit: int = 200


@message("events")
class Events(Message):
    events: list  # newest first


@message("get_protocol", sender="proctor")
class GetProtocol(Message):
    pass


@message("save_protocol", sender="proctor")
class SaveProtocol(Message):
    fields: dict


@message("protocol")
class ProtocolForm(Message):
    fields: dict  # saved values over the server's pre-filled ones
    prefilled: dict  # what the server's records say


@message("export", sender="proctor")
class Export(Message):
    to: str  # a folder on the server's laptop (a USB stick's mount point)


@message("exported")
class Exported(Message):
    bundle: str
    files: int
    bytes: int
    fingerprint: str = ""  # the room key's fingerprint, to compare with the paper protocol


@message("list_drives", sender="proctor")
class ListDrives(Message):
    pass


@message("drives")
class Drives(Message):
    drives: list  # [{path, label, free_bytes, removable}]


@message("print", sender="proctor")
class Print(Message):
    what: str  # "slips", "seating", "acts", "protocol"
    to: str  # a PDF path on the server's laptop


@message("printed")
class Printed(Message):
    path: str


# ---------------------------------------------------------------------------------------
# The codec

@dataclass(frozen=True)
class _Field:
    name: str
    required: bool
    omit_none: bool  # an optional field left out of the frame while it is None
    check: Callable[[Any], bool]
    hint: Any


@dataclass(frozen=True)
class _Spec:
    fields: tuple[_Field, ...]
    allowed: frozenset[str]  # every key a frame of this message may carry


_SPECS: dict[type, _Spec] = {}


def _spec(cls: type) -> _Spec:
    """Each message class's fields and their checks, worked out once: frames are decoded
    on the hot path of every answer."""
    spec = _SPECS.get(cls)
    if spec is None:
        hints = typing.get_type_hints(cls)
        fields = tuple(
            _Field(f.name, f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING,
                   f.default is None, _checker(hints[f.name]), hints[f.name])
            for f in dataclasses.fields(cls))
        spec = _SPECS[cls] = _Spec(fields, frozenset(f.name for f in fields) | {"t", "id", "re"})
    return spec


def _checker(hint: Any) -> Callable[[Any], bool]:
    """A function telling whether a decoded value fits the field's type."""
    if hint is Any:
        return lambda value: True
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        checks = [_checker(arg) for arg in typing.get_args(hint)]
        return lambda value: any(check(value) for check in checks)
    if hint is type(None):
        return lambda value: value is None
    if hint is bool:
        return lambda value: isinstance(value, bool)
    if hint is int:
        return lambda value: isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return lambda value: isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint in (str, bytes, list, dict):
        return lambda value: isinstance(value, hint)
    if origin in (list, dict):
        return lambda value: isinstance(value, origin)
    return lambda value: False


def _type_name(hint: Any) -> str:
    names = {str: "text", int: "an integer", float: "a number", bool: "true/false",
             bytes: "bytes", list: "a list", dict: "a map", type(None): "nil"}
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(hint))
    return names.get(hint, str(hint))


def encode(msg: Message, re: int | None = None) -> bytes:
    wire = msg.to_wire()
    if re is not None:
        wire["re"] = re
    return msgpack.packb(wire, use_bin_type=True)


def encode_request(msg: Message, request_id: int) -> bytes:
    wire = msg.to_wire()
    wire["id"] = request_id
    return msgpack.packb(wire, use_bin_type=True)


def unpack_frame(frame: bytes, *, from_server: bool = False) -> dict:
    """Bytes to a map, with every limit applied. Raises ProtocolError.

    A client's frames get the tight limits; the server's (the room snapshot of every seat,
    a test with its texts) the larger SERVER_LIMITS."""
    limit, arrays, maps, strings, blobs = SERVER_LIMITS if from_server else (
        MAX_FRAME_BYTES, MAX_ARRAY_LEN, MAX_MAP_LEN, MAX_STR_LEN, MAX_BIN_LEN)
    if len(frame) > limit:
        raise ProtocolError(ErrorCode.TOO_LARGE, f"frame of {len(frame)} bytes; the limit is {limit}", close=True)
    try:
        data = msgpack.unpackb(
            frame,
            raw=False,
            strict_map_key=True,
            max_array_len=arrays,
            max_map_len=maps,
            max_str_len=strings,
            max_bin_len=blobs,
            max_ext_len=0,
        )
    except msgpack.ExtraData:
        raise ProtocolError(ErrorCode.BAD_FRAME, "more than one msgpack object in the frame") from None
    except ValueError as exc:  # includes limits exceeded and bad UTF-8
        raise ProtocolError(ErrorCode.BAD_FRAME, f"not valid msgpack within the limits ({exc})") from None
    except Exception as exc:  # msgpack raises several kinds for garbage
        raise ProtocolError(ErrorCode.BAD_FRAME, f"not msgpack ({type(exc).__name__})") from None
    if not isinstance(data, dict):
        raise ProtocolError(ErrorCode.BAD_FRAME, "a frame must be a msgpack map with a 't' field")
    return data


def decode(frame: bytes, *, allowed: set[str] | None = None) -> tuple[Message, int | None]:
    """A frame to (message, request id). `allowed` limits the message types accepted."""
    data = unpack_frame(frame)
    type_name = data.get("t")
    if not isinstance(type_name, str):
        raise ProtocolError(ErrorCode.BAD_FRAME, "the 't' field (message type) is missing or not text")
    request_id = data.get("id")
    if request_id is not None and (not isinstance(request_id, int) or isinstance(request_id, bool)):
        raise ProtocolError(ErrorCode.BAD_FIELD, "'id' must be an integer")
    try:
        cls = MESSAGES.get(type_name)
        if cls is None or (allowed is not None and type_name not in allowed):
            raise ProtocolError(ErrorCode.UNKNOWN_TYPE, f"unknown message type {type_name!r}")
        return from_wire(cls, data), request_id
    except ProtocolError as exc:
        exc.request_id = request_id  # the error reply names the request, so the client stops waiting
        raise


def from_wire(cls: type[Message], data: dict) -> Message:
    spec = _spec(cls)
    unknown = [k for k in data if k not in spec.allowed]
    if unknown:
        raise ProtocolError(ErrorCode.UNKNOWN_FIELD, f"{cls.TYPE}: unknown field {sorted(map(str, unknown))[0]!r}")
    kwargs = {}
    for f in spec.fields:
        if f.name not in data:
            if f.required:
                raise ProtocolError(ErrorCode.MISSING_FIELD, f"{cls.TYPE}: field {f.name!r} is missing")
            continue
        value = data[f.name]
        if not f.check(value):
            raise ProtocolError(ErrorCode.BAD_FIELD, f"{cls.TYPE}: field {f.name!r} must be {_type_name(f.hint)}")
        kwargs[f.name] = value
    return cls(**kwargs)


def decode_server_frame(frame: bytes) -> tuple[Message, int | None]:
    """What a client uses: any server message, with the same checks (larger limits)."""
    data = unpack_frame(frame, from_server=True)
    type_name = data.get("t")
    cls = MESSAGES.get(type_name) if isinstance(type_name, str) else None
    if cls is None:
        raise ProtocolError(ErrorCode.UNKNOWN_TYPE, f"unknown message type {type_name!r}")
    re = data.get("re")
    return from_wire(cls, data), re if isinstance(re, int) else None
