"""The server's rules of a sitting as plain functions: the clock, breaks, throttling.

Attempt states and what every side must read alike are in room_protocol.rules.

Nothing here needs a socket or a database, so every rule is tested directly. Times are
integer milliseconds of the server's clock.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from content.model import Timing


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


def break_offered(timing: Timing, elapsed_ms: int, used_slots: set, room_break: str | None) -> bool:
    """Is a break offered now? During each scheduled slot not yet used, or while the
    administrator's announced room break (`room_break`, its key) is on and this student has
    not taken it yet: one break per slot and per announcement."""
    if room_break is not None:
        return room_break not in used_slots
    slot = break_slot(timing, elapsed_ms)
    return slot is not None and slot not in used_slots


DEFAULT_LATE_GRACE_MS = 5 * 60_000  # answers made offline in time may arrive this long after the deadline
IN_FLIGHT_MS = 15_000  # an answer sent just before the link dropped may still have been on its way


@dataclass(frozen=True)
class LateAnswer:
    """What the server knows when an answer arrives after the attempt ended."""

    made_ms: int  # attempt time the app says it was made (its monotonic clock, never the wall clock)
    limit_ms: int  # the attempt's time limit, extra time included
    elapsed_now_ms: int  # attempt time at arrival
    offline_at_deadline: bool  # the student's connection was gone when time ran out
    time_over: bool  # the attempt ended at its deadline (not finished, closed or removed)
    sealed: bool  # the result was already shown
    sitting_closed: bool
    since_end_ms: int  # server time from the end of the attempt to the arrival
    grace_ms: int  # how long after the end late answers may arrive
    offline_from_ms: int | None  # attempt time when the server last heard from the app
    latest_made_before: int | None  # the latest made_ms among stored answers numbered lower


def late_answer_refusal(late: LateAnswer) -> tuple[str, str] | None:
    """Does an answer that arrived after the attempt ended count? None if it does, else the
    error code and why (docs/protocol.md, "Late answers").

    An app online at the deadline had sent everything it made before it, so only an app cut
    off then may send answers later, within the grace window, before the result is shown or
    the sitting closed; and what it claims must fit what the server saw: made within the
    limit, not in the future, not while the app was still connected, not before an answer it
    made earlier."""
    if late.sealed:
        return "sealed", "the result was already shown; it does not change any more"
    if late.sitting_closed:
        return "closed", "the sitting is closed; answers are closed"
    if not late.time_over or not late.offline_at_deadline:
        return "time_over", "the test was over when this answer was made; it does not count"
    if late.since_end_ms > late.grace_ms:
        return "time_over", "this answer came too long after the end of the test"
    if not 0 <= late.made_ms <= min(late.limit_ms, late.elapsed_now_ms):
        return "time_over", "the time was over when this answer was made; it does not count"
    if late.offline_from_ms is not None and late.made_ms < late.offline_from_ms - IN_FLIGHT_MS:
        return "time_over", "this answer claims a time when the computer was still connected"
    if late.latest_made_before is not None and late.made_ms < late.latest_made_before:
        return "time_over", "this answer claims a time before an answer made earlier"
    return None


@dataclass
class LoginThrottle:
    """Slows guessing of slip passwords, without ever keeping a student out.

    Failures are counted per login *and address*: three are free (children mistype), then
    each next try of that login from that address waits 2, 4, 8... s, at most 60 s. So a burst
    of wrong passwords from one computer slows that computer alone, and the right password
    from the student's own computer logs in at once. A success clears its pair's count.
    Separately, an address with many failures within a minute (across logins) is a burst:
    the console is told (`burst`). The guessing bound this gives is in docs/protocol.md."""

    free_failures: int = 3
    max_wait_s: float = 60.0
    burst_failures: int = 10  # failures from one address within burst_window_s
    burst_window_s: float = 60.0
    _failures: dict[tuple[str, str], tuple[int, float]] = field(default_factory=dict)  # (login, address) -> (count, last)
    _recent: dict[str, list[float]] = field(default_factory=dict)  # address -> times of its recent failures

    def wait_s(self, login: str, address: str, now_s: float) -> float:
        count, last = self._failures.get((login, address), (0, 0.0))
        if count < self.free_failures:
            return 0.0
        delay = min(self.max_wait_s, 2.0 ** (count - self.free_failures + 1))
        return max(0.0, last + delay - now_s)

    def failed(self, login: str, address: str, now_s: float) -> bool:
        """Records a failure; True when it makes this address's failures a burst (once a
        window)."""
        count, _ = self._failures.get((login, address), (0, 0.0))
        self._failures[(login, address)] = (count + 1, now_s)
        recent = [t for t in self._recent.get(address, []) if now_s - t < self.burst_window_s] + [now_s]
        self._recent[address] = recent
        if len(self._failures) > 20_000:  # bounded: forget the oldest
            for key, _ in sorted(self._failures.items(), key=lambda kv: kv[1][1])[:10_000]:
                del self._failures[key]
            self._recent = {a: t for a, t in self._recent.items() if t and now_s - t[-1] < self.burst_window_s}
        return len(recent) == self.burst_failures

    def recent_failures(self, address: str, now_s: float) -> int:
        """Wrong passwords from this address within the burst window: its place in the queue
        of password checks (room_server.logins)."""
        return sum(1 for t in self._recent.get(address, ()) if now_s - t < self.burst_window_s)

    def succeeded(self, login: str, address: str) -> None:
        self._failures.pop((login, address), None)

    def tried_from(self, address: str) -> set[str]:
        """The logins with failures from this address."""
        return {login for login, at in self._failures if at == address}

    def remembered(self) -> int:
        return len(self._failures)


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
