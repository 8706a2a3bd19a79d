"""The console's picture of the room: the server's Room snapshot kept current by Seat pushes.

Plain Python (no Textual, no sockets): sorting, filtering, the summary line and the time
texts are tested directly.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Callable

from room_protocol import SeatView, SittingView
from room_protocol.rules import AFTER_TEST, BEFORE_TEST, IN_TEST, is_present

from .i18n import N_, t

STATUS_TEXT = {
    "absent": N_("absent"),
    "not_logged_in": N_("not logged in"),
    "awaiting_approval": N_("awaiting approval"),
    "confirming": N_("confirming data"),
    "rules": N_("reading the rules"),
    "waiting": N_("waiting for start"),
    "testing": N_("testing"),
    "on_break": N_("on break"),
    "finished": N_("finished"),
    "questionnaire": N_("questionnaire"),
    "done": N_("done"),
    "removed": N_("removed"),
}

# What fits a narrow table (80 columns); the detail line and wide tables say it in full.
STATUS_SHORT = {
    "absent": N_("absent"),
    "not_logged_in": N_("not in"),
    "awaiting_approval": N_("2nd login?"),
    "confirming": N_("checks data"),
    "rules": N_("rules"),
    "waiting": N_("waiting"),
    "testing": N_("testing"),
    "on_break": N_("break"),
    "finished": N_("finished"),
    "questionnaire": N_("survey"),
    "done": N_("done"),
    "removed": N_("removed"),
}

ALERT_TEXT = {
    "second_login": N_("second login"),
    "data_mistake": N_("data mistake"),
    "offline": N_("offline > 1 min"),
    "five_minutes": N_("5 min left"),
    "late_answer": N_("late answers"),
    "login_burst": N_("wrong passwords"),
    "removed_login": N_("removed: tried to log in"),
}

ALERT_SHORT = {
    "second_login": N_("2nd login"),
    "data_mistake": N_("data err."),
    "offline": N_("offline"),
    "five_minutes": N_("5 min"),
    "late_answer": N_("late ans."),
    "login_burst": N_("bad pass."),
    "removed_login": N_("removed"),
}


# The status filter: (id, label, predicate).
FILTERS = {
    "all": N_("everyone"),
    "attention": N_("needs attention"),
    "testing": N_("testing"),
    "offline": N_("offline"),
    "not_started": N_("not started"),
    "finished": N_("finished"),
}

SORTS = {
    "seat": N_("seat"),
    "name": N_("name"),
    "status": N_("status"),
    "answered": N_("answered"),
    "remaining": N_("time left"),
}

STATUS_ORDER = list(STATUS_TEXT)

# What the console shows before the first snapshot arrives.
NO_SITTING = SittingView("", "", "", "", 0, None, None, False, None, False, {}, 0, 0, [], [])


def needs_attention(seat: SeatView) -> bool:
    return bool(seat.alerts) or seat.status == "awaiting_approval"


def is_offline(seat: SeatView) -> bool:
    """Logged in at some point, still expected to work, and not connected now."""
    return not seat.online and (seat.status in IN_TEST or seat.status in BEFORE_TEST)


def matches(seat: SeatView, text: str, status_filter: str) -> bool:
    if status_filter == "attention" and not needs_attention(seat):
        return False
    if status_filter == "testing" and seat.status not in IN_TEST:
        return False
    if status_filter == "offline" and not is_offline(seat):
        return False
    if status_filter == "not_started" and seat.status not in BEFORE_TEST | {"not_logged_in", "awaiting_approval"}:
        return False
    if status_filter == "finished" and seat.status not in AFTER_TEST:
        return False
    text = text.strip().casefold()
    if not text:
        return True
    haystack = " ".join(str(x) for x in (seat.seat, seat.ikt, seat.login, seat.surname, seat.name, seat.patronymic))
    return all(word in haystack.casefold() for word in text.split())


def full_name(seat: SeatView) -> str:
    return " ".join(x for x in (seat.surname, seat.name, seat.patronymic) if x)


def short_name(seat: SeatView, width: int = 16) -> str:
    """Surname and first name, or the first name's initial: what fits at 100 columns."""
    surname, name = seat.surname, seat.name
    text = " ".join(x for x in (surname, name) if x)
    if len(text) <= width or not name:
        return text[:width]
    return f"{surname[:width - 3]} {name[0]}."


def format_remaining(ms: int) -> str:
    seconds = max(0, (int(ms) + 999) // 1000)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}"


def local_time(ms: int | None, fmt: str = "%H:%M") -> str:
    if ms is None:
        return ""
    return datetime.fromtimestamp(ms / 1000).strftime(fmt)


@dataclass
class Summary:
    registered: int = 0
    present: int = 0
    absent: int = 0
    testing: int = 0
    on_break: int = 0
    finished: int = 0
    offline: int = 0
    removed: int = 0
    attention: int = 0
    slips_handed: int = 0
    slips_collected: int = 0


@dataclass
class RoomModel:
    sitting: SittingView = field(default_factory=lambda: NO_SITTING)
    seats: dict[int, SeatView] = field(default_factory=dict)  # student id -> SeatView
    address: str = ""
    received: dict[int, float] = field(default_factory=dict)  # student id -> monotonic time of the view
    frozen: bool = False  # tests: show the server's remaining time as sent, never run forward
    loaded: bool = False
    clock: Callable[[], float] = time.monotonic  # seconds; the console benchmark runs it faster

    def load(self, sitting: SittingView, seats: list[SeatView], address: str) -> None:
        now = self.clock()
        self.sitting = sitting
        self.address = address
        self.seats = {seat.student: seat for seat in seats}
        self.received = {sid: now for sid in self.seats}
        self.loaded = True

    def update(self, seat: SeatView) -> bool:
        """Takes the server's view of one seat; False when only its clock moved (the server
        sends every seat every few seconds: the time left is run forward here anyway)."""
        old = self.seats.get(seat.student)
        self.seats[seat.student] = seat
        self.received[seat.student] = self.clock()
        if old is None:
            return True
        return replace(seat, remaining_ms=old.remaining_ms, break_remaining_ms=old.break_remaining_ms) != old

    def seat(self, student: int | None) -> SeatView | None:
        return self.seats.get(student) if student is not None else None

    @property
    def paused(self) -> bool:
        return self.sitting.paused

    def remaining_ms(self, seat: SeatView, now: float | None = None) -> int:
        """The server's remaining time, run forward while the student's clock runs."""
        remaining = seat.remaining_ms
        if self.frozen or self.paused or seat.status not in IN_TEST:
            return remaining
        now = self.clock() if now is None else now
        moved = int((now - self.received.get(seat.student, now)) * 1000)
        return max(0, remaining - moved)

    def summary(self) -> Summary:
        s = Summary(registered=len(self.seats))
        for seat in self.seats.values():
            status = seat.status
            if status == "absent":
                s.absent += 1
            elif is_present(seat.present, seat.logged_in):
                s.present += 1
            s.testing += status == "testing"
            s.on_break += status == "on_break"
            s.finished += status in AFTER_TEST
            s.removed += status == "removed"
            s.offline += is_offline(seat)
            s.attention += needs_attention(seat)
            s.slips_handed += seat.slip_handed
            s.slips_collected += seat.slip_collected
        return s

    def rows(self, *, sort: str = "seat", reverse: bool = False, text: str = "",
             status_filter: str = "all") -> list[SeatView]:
        seats = [seat for seat in self.seats.values() if matches(seat, text, status_filter)]
        keys = {
            "seat": lambda s: (s.seat, s.student),
            "name": lambda s: (full_name(s).casefold(), s.seat),
            "status": lambda s: (STATUS_ORDER.index(s.status) if s.status in STATUS_ORDER else 99, s.seat),
            "answered": lambda s: (s.answered, s.seat),
            "remaining": lambda s: (self.remaining_ms(s), s.seat),
        }
        return sorted(seats, key=keys.get(sort, keys["seat"]), reverse=reverse)


def status_text(seat: SeatView, short: bool = False) -> str:
    return t((STATUS_SHORT if short else STATUS_TEXT).get(seat.status, seat.status))


def alerts_text(seat: SeatView, short: bool = False) -> str:
    return ", ".join(t((ALERT_SHORT if short else ALERT_TEXT).get(a, a)) for a in seat.alerts)
