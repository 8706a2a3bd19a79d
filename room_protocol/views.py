"""The typed views messages carry: what a student, an attempt, a seat, a test look like on
the wire. Built by the server, read by the clients as attributes (never `.get("…")`)."""

from __future__ import annotations

from .codec import Record, view


@view
class StudentInfo(Record):
    """The student's personal data, shown for checking after login."""

    surname: str
    name: str
    patronymic: str
    iin: str  # the 12-digit national ID (ЖСН / ИИН)
    test_language: str  # "kk" or "ru"
    test_type: str  # "MODO"
    ikt: str  # individual test-taker code
    seat: int
    grade: int
    class_name: str  # the class letter, e.g. "А"


@view
class SubjectScore(Record):
    subject: str
    title: str
    score: float
    max_score: float


@view
class ResultView(Record):
    """A result as shown to the student: computed once, when the attempt is sealed."""

    subjects: list[SubjectScore]
    total: float
    max_total: float
    percent: float
    reason: str  # see rules.FINISH_REASONS


@view
class AttemptView(Record):
    state: str  # rules.State
    sitting: str  # "not_open", "open", "closed"
    subject_index: int
    closed_subjects: list[str]
    current_item: str | None
    answered: list[str]  # item ids with a saved answer (rules.is_answered)
    remaining_ms: int
    elapsed_ms: int
    total_minutes: int
    questionnaire_done: bool
    journal_key: bytes | None  # opens the app's journal of unsent answers
    rules: str  # the pack's rules page (Markdown), in the test language
    result: ResultView | None  # after the test (never for an annulled attempt)
    late_grace_ms: int  # answers made offline count if they arrive this long after the deadline


@view
class Timing(Record):
    total_minutes: int
    work_block_minutes: int
    break_minutes: int
    breaks: int
    breaks_optional: bool
    reopen: bool  # a finished subject may be opened again


@view
class Stimulus(Record):
    id: str
    title: str
    text: str  # Markdown (pipe tables included)


@view
class TestItem(Record):
    """An item as a student's computer sees it: never a key."""

    id: str
    kind: str  # rules.ITEM_KINDS
    text: str  # Markdown
    points: int
    stimulus: str | None = None
    options: list[str] | None = None  # single, multiple: named A, B, C...
    left: list[str] | None = None  # matching: numbered 1, 2...
    right: list[str] | None = None  # matching: lettered A, B...
    answer_type: str | None = None  # short: "number" or "text"
    units: list[str] | None = None  # short numbers: units the student may type after the number


@view
class TestSubject(Record):
    id: str
    title: str
    stimuli: list[Stimulus]
    items: list[TestItem]


@view
class PeriodicTable(Record):
    """Ready to draw: periods 1 to 7, then the lanthanide and actinide rows. A cell reads like
    "26 Fe 55.85"; empty places are "". A series row's first cell is its label, given per
    language in `series` (one label per series row, in order)."""

    title: dict[str, str]
    rows: list[list[str]]
    series: dict[str, list[str]]


@view
class SolubilityTable(Record):
    """Ready to draw: the ions in their printed form ("SO₄²⁻"), one row of codes per anion."""

    title: dict[str, str]
    cations: list[str]
    anions: list[str]
    rows: list[list[str]]  # one row per anion, one code per cation
    legend: dict[str, dict[str, str]]  # code -> language -> meaning


@view
class Aids(Record):
    """The reference tables the pack grants this test (none for grade 4)."""

    periodic: PeriodicTable | None = None
    solubility: SolubilityTable | None = None


@view
class SeatView(Record):
    """One student as the proctor's console shows them."""

    student: int  # the student's number in the room
    seat: int
    ikt: str
    login: str
    surname: str
    name: str
    patronymic: str
    class_label: str  # grade and letter, "9А"
    language: str
    variant: str
    status: str  # the state, or "absent", or "awaiting_approval"
    state: str
    subject: str
    subject_title: str
    answered: int
    total: int
    remaining_ms: int
    online: bool
    offline_since_ms: int | None
    alerts: list[str]  # rules.ALERTS
    data_mistake: str
    present: bool | None  # as marked by the proctor (None: not marked)
    logged_in: bool  # has logged in at some point (rules.is_present)
    late: bool
    absent_reason: str
    absent_document: str
    slip_handed: bool
    slip_collected: bool
    extra_minutes: int
    annulled: bool
    finish_reason: str
    questionnaire_done: bool
    on_break: bool
    break_remaining_ms: int | None
    late_answers: int  # answers counted after the deadline (made offline in time)


@view
class StaffView(Record):
    """A teacher's or principal's questionnaire account: whether they answered, never what."""

    login: str
    audience: str  # "teacher" or "principal"
    online: bool
    done: bool


@view
class StreamView(Record):
    """One stream of a day of streams (grades 4 and 9 apart, each with its roster and pack)."""

    number: int
    grade: int
    languages: list[str]
    students: int
    state: str  # its sitting: "not_open", "open", "closed"
    live: bool  # the one the room serves now


@view
class SittingView(Record):
    state: str  # "not_open", "open", "closed"
    school: str
    room: str
    sitting: str
    grade: int
    opened_ms: int | None
    closed_ms: int | None
    paused: bool
    pause_reason: str | None
    room_break: bool
    packs: dict[str, str]  # language -> pack id
    total_minutes: int
    late_grace_ms: int
    staff: list[StaffView]  # the teachers' and principals' questionnaire accounts
    streams: list[StreamView]  # the day's streams; empty for a room of one sitting


@view
class EventView(Record):
    """One audit-log entry."""

    at_ms: int
    actor: str  # a student's login, "proctor" or "server"
    student: int | None
    kind: str
    data: dict
    id: int | None = None


@view
class IncidentView(Record):
    id: int
    kind: str  # "annex1", "annex2", "other"
    student: int | None
    at_ms: int
    fields: dict


@view
class DriveView(Record):
    path: str
    label: str
    free_bytes: int
    removable: bool


@view
class QuestionView(Record):
    id: str
    text: str
    kind: str  # "choice", "multi", "text"
    options: list[str]
