"""The rules of a sitting as plain functions: attempt states, the clock, breaks, throttling.

Nothing here needs a socket or a database, so every rule is tested directly. Times are
integer milliseconds of the server's clock.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from content.model import Timing


class State:
    """An attempt's states (the state machine is drawn in docs/protocol.md)."""

    NOT_LOGGED_IN = "not_logged_in"
    CONFIRMING = "confirming"  # personal data shown, waiting for "Correct"
    RULES = "rules"  # rules shown, waiting for "I agree" + "Start testing"
    WAITING = "waiting"  # rules accepted, the sitting not open yet
    TESTING = "testing"
    ON_BREAK = "on_break"
    FINISHED = "finished"  # the result shown; the questionnaire is next
    QUESTIONNAIRE = "questionnaire"
    DONE = "done"
    REMOVED = "removed"  # removed by the administrator; result annulled


IN_TEST = (State.TESTING, State.ON_BREAK)
AFTER_TEST = (State.FINISHED, State.QUESTIONNAIRE, State.DONE)

# Which client message is allowed in which state (the server refuses the rest).
ALLOWED = {
    "report_mistake": {State.CONFIRMING},
    "confirm_data": {State.CONFIRMING},
    "start": {State.RULES, State.WAITING, State.TESTING, State.ON_BREAK},
    "answer": {State.TESTING, State.ON_BREAK, State.FINISHED, State.QUESTIONNAIRE, State.DONE},
    "goto": {State.TESTING},
    "next_subject": {State.TESTING},
    "open_subject": {State.TESTING},
    "take_break": {State.TESTING},
    "end_break": {State.ON_BREAK},
    "finish_request": {State.TESTING},
    "finish": {State.TESTING},
    "questionnaire_start": {State.FINISHED, State.QUESTIONNAIRE},
    "questionnaire_answer": {State.QUESTIONNAIRE},
    "questionnaire_done": {State.QUESTIONNAIRE},
}


def minutes_ms(minutes: float) -> int:
    return int(round(minutes * 60_000))


@dataclass(frozen=True)
class Pause:
    start_ms: int
    end_ms: int | None  # None while the room is still paused


def paused_overlap_ms(pauses: list[Pause], since_ms: int, now_ms: int) -> int:
    """How much of [since, now] the room spent paused."""
    total = 0
    for p in pauses:
        start = max(p.start_ms, since_ms)
        end = min(p.end_ms if p.end_ms is not None else now_ms, now_ms)
        if end > start:
            total += end - start
    return total


@dataclass
class Clock:
    """One attempt's clock, computed from recorded events only.

    Breaks do not stop the clock: the total includes them (35+10+35+10+35+10+35 = 170).
    Only a room pause stops it, and extra time given by the administrator extends it."""

    timing: Timing
    started_ms: int | None = None
    extra_ms: int = 0
    pauses: list[Pause] = field(default_factory=list)

    @property
    def limit_ms(self) -> int:
        return minutes_ms(self.timing.total_minutes) + self.extra_ms

    def elapsed_ms(self, now_ms: int) -> int:
        """Attempt time: time since the start, room pauses excluded."""
        if self.started_ms is None:
            return 0
        return max(0, now_ms - self.started_ms - paused_overlap_ms(self.pauses, self.started_ms, now_ms))

    def remaining_ms(self, now_ms: int) -> int:
        return max(0, self.limit_ms - self.elapsed_ms(now_ms))

    def is_over(self, now_ms: int) -> bool:
        return self.started_ms is not None and self.elapsed_ms(now_ms) >= self.limit_ms

    def deadline_ms(self, now_ms: int) -> int | None:
        """The server time the attempt ends at, if no new pause or extra time comes."""
        if self.started_ms is None:
            return None
        if any(p.end_ms is None for p in self.pauses):
            return None  # paused: no deadline until the room resumes
        return now_ms + self.remaining_ms(now_ms)


def break_slot(timing: Timing, elapsed_ms: int) -> int | None:
    """The scheduled break whose window contains this moment, if any."""
    for index, due_minute in enumerate(timing.break_due_at_minutes()):
        start = minutes_ms(due_minute)
        if start <= elapsed_ms < start + minutes_ms(timing.break_minutes):
            return index
    return None


def break_offered(timing: Timing, elapsed_ms: int, used_slots: set[int], room_break: bool) -> bool:
    """Is a break offered now? During each scheduled slot not yet used, or when the
    administrator has announced one for the room."""
    if room_break:
        return True
    slot = break_slot(timing, elapsed_ms)
    return slot is not None and slot not in used_slots


def late_answer_counts(made_ms: int, limit_ms: int, elapsed_now_ms: int, offline_before_deadline: bool) -> bool:
    """Does an answer that arrived after the deadline count?

    `made_ms` is attempt time as the student's app measured it with its monotonic clock,
    anchored to the last clock message from the server (never the computer's wall clock,
    which a student can change). It counts only when it was made within the limit, is not
    in the future, and the app had lost the server before the deadline (an app that was
    online at the deadline sent everything it had then)."""
    return offline_before_deadline and 0 <= made_ms <= limit_ms and made_ms <= elapsed_now_ms


@dataclass
class LoginThrottle:
    """Slows repeated failed logins, per login and per address.

    Three failures are free (children mistype); then each next try waits 2, 4, 8... s,
    at most 60 s. A success clears the login's count."""

    free_failures: int = 3
    max_wait_s: float = 60.0
    _failures: dict[str, tuple[int, float]] = field(default_factory=dict)  # key -> (count, last)

    def wait_s(self, keys: list[str], now_s: float) -> float:
        wait = 0.0
        for key in keys:
            count, last = self._failures.get(key, (0, 0.0))
            if count >= self.free_failures:
                delay = min(self.max_wait_s, 2.0 ** (count - self.free_failures + 1))
                wait = max(wait, last + delay - now_s)
        return max(0.0, wait)

    def failed(self, keys: list[str], now_s: float) -> None:
        for key in keys:
            count, _ = self._failures.get(key, (0, 0.0))
            self._failures[key] = (count + 1, now_s)
        if len(self._failures) > 10_000:  # bounded: forget the oldest
            for key, _ in sorted(self._failures.items(), key=lambda kv: kv[1][1])[:5_000]:
                del self._failures[key]

    def succeeded(self, login_key: str) -> None:
        self._failures.pop(login_key, None)


def assign_variants(seats: list[int], variants: list[str]) -> dict[int, str]:
    """Neighbouring seats get different variants: by seat order, A, B, A, B..."""
    return {seat: variants[i % len(variants)] for i, seat in enumerate(sorted(seats))}


def arithmetic_check(rng: random.Random) -> tuple[str, str]:
    """The simple example asked at "Finish testing": (question, answer)."""
    a, b = rng.randint(2, 9), rng.randint(2, 9)
    if rng.random() < 0.5:
        return f"{a} + {b}", str(a + b)
    a, b = max(a, b) + 5, min(a, b)
    return f"{a} − {b}", str(a - b)


def check_answer_ok(expected: str, given: str) -> bool:
    return given.strip().lstrip("+") == expected
