"""Every message of the room protocol: one class each (docs/protocol.md is the reference).

`sender` says who may send it: "client" (either role), "student", "proctor", or the server.
"""

from __future__ import annotations

from typing import Any

from .codec import Message, message
from .views import (AttemptView, Aids, DriveView, EventView, IncidentView, QuestionView, ResultView, SeatView,
                    SittingView, StudentInfo, TestSubject, Timing)

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
    languages: list[str]  # the test languages this room has packs for


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

@message("login", sender="student")
class Login(Message):
    login: str
    password: str
    test_type: str  # "MODO" (ББЖМ / МОДО)
    device: str  # a random id this computer keeps; tells "same computer" from another


@message("login_ok")
class LoginOk(Message):
    student: StudentInfo
    attempt: AttemptView


@message("staff_ok")
class StaffOk(Message):
    """The reply to `login` for a teacher's or principal's slip: no test, only the
    questionnaire (`questionnaire_start` with one of `languages`, then `questionnaire_submit`)."""

    login: str
    audience: str  # "teacher" or "principal"
    languages: list[str]  # the languages their questionnaire is in
    questionnaire_done: bool


@message("report_mistake", sender="student")
class ReportMistake(Message):
    note: str = ""


@message("confirm_data", sender="student")
class ConfirmData(Message):
    pass


@message("start", sender="student")
class Start(Message):
    """Rules accepted and "Start testing" pressed. Waits while the sitting is not open."""


@message("waiting")
class Waiting(Message):
    """The rules are accepted; the sitting is not open yet. `sitting` follows when it is."""


@message("test")
class Test(Message):
    """The student's variant without keys, sent once per start or resume."""

    subjects: list[TestSubject]
    timing: Timing
    journal_key: bytes  # encrypts the app's local journal of unsent answers
    answers: dict[str, Any]  # item id -> latest saved value
    next_seq: int  # the next answer number this attempt expects (highest stored + 1)
    current_item: str | None = None  # where the student stopped
    subject_index: int = 0  # the subject the student is in
    aids: Aids | None = None  # the reference tables this test grants


@message("answer", sender="student")
class Answer(Message):
    seq: int  # numbered by the client per attempt, from 1; a replay is acked again
    item: str
    value: Any  # see "Answer values" in docs/protocol.md; None clears the answer
    made_ms: int  # attempt time (ms since start, pauses excluded) when it was made


@message("ack")
class Ack(Message):
    seq: int
    item: str
    counted: bool = True  # False: saved for the record but does not count


@message("goto", sender="student")
class Goto(Message):
    """Where the student is now, so a resume lands on the same item."""

    item: str


@message("next_subject", sender="student")
class NextSubject(Message):
    pass


@message("open_subject", sender="student")
class OpenSubject(Message):
    subject: str


@message("subject")
class SubjectNow(Message):
    subject_index: int
    closed: list[str]  # subject ids that are finished and cannot be reopened


@message("take_break", sender="student")
class TakeBreak(Message):
    pass


@message("end_break", sender="student")
class EndBreak(Message):
    pass


@message("finish_request", sender="student")
class FinishRequest(Message):
    pass


@message("finish_check")
class FinishCheck(Message):
    question: str  # a simple arithmetic example, e.g. "7 + 5"
    unanswered: dict[str, int]  # subject id -> number of unanswered items


@message("finish", sender="student")
class Finish(Message):
    check: str  # the student's answer to the example


@message("get_result", sender="student")
class GetResult(Message):
    """The result of a finished attempt (sealed now if it was not yet)."""


@message("result")
class Result(ResultView, Message):
    """The sealed result: sent once when the attempt ends, and again (the same) at login."""

    @classmethod
    def of(cls, result: ResultView) -> "Result":
        return cls(result.subjects, result.total, result.max_total, result.percent, result.reason)


@message("questionnaire_start", sender="student")
class QuestionnaireStart(Message):
    """A student answers in the test language; a teacher or principal names the language of
    the questionnaire they chose (one of `staff_ok.languages`)."""

    language: str = ""


@message("questionnaire")
class QuestionnaireOut(Message):
    """The questionnaire to answer on this computer; the answers leave it only sealed to the
    analysis centre's key (`questionnaire_submit`)."""

    questionnaire: str  # its id
    version: int
    audience: str  # "student", "teacher", "principal"
    title: str
    intro: str
    minutes: int
    remaining_ms: int
    questions: list[QuestionView]
    centre_key: bytes  # the analysis centre's public key (raw X25519, 32 bytes)


@message("questionnaire_submit", sender="student")
class QuestionnaireSubmit(Message):
    """The answers, sealed on this computer (room_protocol.seal) to the centre's key, padded to
    rules.QUESTIONNAIRE_SEALED_BYTES: one per attempt."""

    sealed: bytes


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
    pause_reason: str | None = None  # while paused: "power", "network", "other", "server_outage"


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
    sitting: SittingView
    seats: list[SeatView]
    address: str  # the address students type where discovery fails


@message("seat")
class Seat(Message):
    seat: SeatView


@message("sitting_changed")
class SittingChanged(Message):
    """The sitting's state, pause or room break changed."""

    sitting: SittingView


@message("event")
class EventOut(Message):
    event: EventView


@message("open_sitting", sender="proctor")
class OpenSitting(Message):
    pass


@message("close_sitting", sender="proctor")
class CloseSitting(Message):
    pass


@message("switch_stream", sender="proctor")
class SwitchStream(Message):
    """Makes another stream of the day live: every connection is closed with
    `stream_changed` (the console reconnects to the new stream). Not while a sitting is open."""

    stream: int


@message("add_stream", sender="proctor")
class AddStream(Message):
    """Adds a stream to the day, as `room-server init --stream` does (paths on the laptop)."""

    stream: int
    roster: str
    packs: list[str]
    questionnaires: list[str]


@message("attendance", sender="proctor")
class Attendance(Message):
    student: int
    present: bool
    reason: str = ""  # why absent
    document: str = ""  # the supporting document
    late: bool = False  # present, but came after the start


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
    incident: IncidentView


@message("list_incidents", sender="proctor")
class ListIncidents(Message):
    pass


@message("incidents")
class Incidents(Message):
    incidents: list[IncidentView]


@message("list_events", sender="proctor")
class ListEvents(Message):
    student: int | None = None
    limit: int = 200


@message("events")
class Events(Message):
    events: list[EventView]  # newest first


@message("get_protocol", sender="proctor")
class GetProtocol(Message):
    pass


@message("save_protocol", sender="proctor")
class SaveProtocol(Message):
    fields: dict


@message("protocol")
class ProtocolForm(Message):
    fields: dict  # the administrator's typed values
    prefilled: dict  # what the server's records say (always recomputed)


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
    drives: list[DriveView]


@message("print", sender="proctor")
class Print(Message):
    what: str  # "slips", "staff" (teachers' and principals' slips), "seating", "acts", "protocol"
    to: str  # a PDF path on the server's laptop


@message("printed")
class Printed(Message):
    path: str
