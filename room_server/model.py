"""The room's state in memory: students, their attempts and attendance, as loaded from the
database and changed only after a commit."""

from __future__ import annotations

from dataclasses import dataclass, field

from room_protocol import ResultView
from room_protocol.rules import State


@dataclass
class Person:
    """A student as the roster and the room know them (no secrets: the snapshot uses it too)."""

    id: int
    iin: str
    surname: str
    name: str
    patronymic: str
    grade: int
    class_name: str
    language: str
    seat: int
    variant: str
    login: str
    ikt: str

    def full_name(self) -> str:
        return " ".join(x for x in (self.surname, self.name, self.patronymic) if x)

    @property
    def class_label(self) -> str:
        return f"{self.grade}{self.class_name}"


@dataclass
class Student(Person):
    password_hash: str


@dataclass
class StaffMember:
    """A teacher's or principal's questionnaire account (a slip with a login, no name)."""

    id: int
    login: str
    audience: str  # rules.STAFF_AUDIENCES
    password_hash: str
    questionnaire_started_ms: int | None = None
    language: str | None = None  # the language they last opened the questionnaire in

    @property
    def respondent(self) -> str:
        return f"{self.audience}:{self.id}"


@dataclass
class Attempt:
    student_id: int
    state: str = State.NOT_LOGGED_IN
    device: str | None = None
    data_mistake: str | None = None
    started_ms: int | None = None
    extra_ms: int = 0
    subject_index: int = 0
    closed_subjects: list = field(default_factory=list)
    current_item: str | None = None
    break_slots: list = field(default_factory=list)
    break_started_ms: int | None = None
    finished_ms: int | None = None
    finish_reason: str | None = None
    annulled: bool = False
    journal_key: bytes | None = None
    questionnaire_started_ms: int | None = None
    questionnaire_done: bool = False
    last_seen_ms: int | None = None
    offline_at_deadline: bool = False
    result: ResultView | None = None  # sealed when the result is first shown
    lost_at_ms: int | None = None  # offline at the deadline: when the server last heard from the app
    offline_since_ms: int | None = None  # when the connection dropped (set at load from last_seen)
    # in memory only
    latest: dict = field(default_factory=dict)  # item -> (seq, value) of the latest counted answer
    next_seq: int = 1
    late_answers: int = 0
    check: str | None = None  # the expected answer of the finish example
    ending: bool = False  # the test is being ended: answers from now on are judged as after it
    position_dirty: bool = False


@dataclass
class AttendanceRow:
    present: bool | None = None
    reason: str = ""
    document: str = ""
    slip_handed: bool = False
    slip_collected: bool = False
    late: bool = False
