"""The rules of a sitting as plain functions: the clock, breaks, late answers, throttling,
variants and the finish example."""

from __future__ import annotations

import random

import pytest

from content.model import Timing
from room_protocol.rules import ALLOWED, State
from room_server.sitting import (IN_FLIGHT_MS, Clock, LateAnswer, LoginThrottle, Pause, arithmetic_check,
                                 assign_variants, break_offered, break_slot, check_answer_ok, late_answer_refusal,
                                 minutes_ms, paused_overlap_ms)

G4 = Timing(total_minutes=105, work_block_minutes=25, break_minutes=10, breaks=2)
G9 = Timing(total_minutes=170, work_block_minutes=35, break_minutes=10, breaks=3)
MIN = 60_000
T0 = 1_700_000_000_000


# --- the clock --------------------------------------------------------------------------

def test_clock_not_started_has_the_full_time():
    clock = Clock(G9)
    assert clock.elapsed_ms(T0) == 0
    assert clock.remaining_ms(T0) == 170 * MIN
    assert not clock.is_over(T0 + 10**9)
    assert clock.deadline_ms(T0) is None


def test_clock_runs_from_the_start():
    clock = Clock(G9, started_ms=T0)
    assert clock.elapsed_ms(T0 + 5 * MIN) == 5 * MIN
    assert clock.remaining_ms(T0 + 5 * MIN) == 165 * MIN
    assert clock.deadline_ms(T0 + 5 * MIN) == T0 + 170 * MIN
    assert not clock.is_over(T0 + 170 * MIN - 1)
    assert clock.is_over(T0 + 170 * MIN)
    assert clock.remaining_ms(T0 + 200 * MIN) == 0


def test_breaks_do_not_stop_the_clock():
    # 35+10+35+10+35+10+35 = 170: the breaks are inside the total.
    assert 4 * G9.work_block_minutes + G9.breaks * G9.break_minutes == G9.total_minutes
    clock = Clock(G9, started_ms=T0)
    assert clock.elapsed_ms(T0 + 45 * MIN) == 45 * MIN  # a student who took the first break


def test_room_pauses_stop_the_clock():
    pauses = [Pause(T0 + 10 * MIN, T0 + 15 * MIN), Pause(T0 + 30 * MIN, T0 + 32 * MIN)]
    clock = Clock(G9, started_ms=T0, pauses=pauses)
    assert clock.elapsed_ms(T0 + 12 * MIN) == 10 * MIN  # inside the first pause: frozen
    assert clock.elapsed_ms(T0 + 40 * MIN) == 33 * MIN  # 40 - 5 - 2
    assert clock.deadline_ms(T0 + 40 * MIN) == T0 + 177 * MIN
    assert not clock.is_over(T0 + 176 * MIN)
    assert clock.is_over(T0 + 177 * MIN)


def test_an_open_pause_freezes_the_clock_and_has_no_deadline():
    clock = Clock(G9, started_ms=T0, pauses=[Pause(T0 + 20 * MIN, None)])
    assert clock.elapsed_ms(T0 + 20 * MIN) == clock.elapsed_ms(T0 + 500 * MIN) == 20 * MIN
    assert clock.deadline_ms(T0 + 30 * MIN) is None
    assert not clock.is_over(T0 + 1000 * MIN)


def test_a_pause_before_the_start_does_not_count():
    clock = Clock(G9, started_ms=T0, pauses=[Pause(T0 - 10 * MIN, T0 + 2 * MIN)])
    assert clock.elapsed_ms(T0 + 10 * MIN) == 8 * MIN
    assert paused_overlap_ms([Pause(T0 - 10 * MIN, T0 - 5 * MIN)], T0, T0 + MIN) == 0


def test_extra_time_extends_the_limit():
    clock = Clock(G4, started_ms=T0, extra_ms=15 * MIN)
    assert clock.limit_ms == 120 * MIN
    assert clock.remaining_ms(T0 + 105 * MIN) == 15 * MIN
    assert not clock.is_over(T0 + 119 * MIN)
    assert clock.is_over(T0 + 120 * MIN)


def test_extra_time_and_pauses_together():
    clock = Clock(G4, started_ms=T0, extra_ms=5 * MIN, pauses=[Pause(T0 + MIN, T0 + 11 * MIN)])
    assert clock.deadline_ms(T0 + 20 * MIN) == T0 + 120 * MIN


# --- breaks -----------------------------------------------------------------------------

@pytest.mark.parametrize("timing, due", [(G9, [35, 80, 125]), (G4, [25, 60])])
def test_break_slots_follow_the_schedule(timing, due):
    assert timing.break_due_at_minutes() == due
    for index, minute in enumerate(due):
        assert break_slot(timing, minutes_ms(minute) - 1) is None
        assert break_slot(timing, minutes_ms(minute)) == index
        assert break_slot(timing, minutes_ms(minute + timing.break_minutes) - 1) == index
        assert break_slot(timing, minutes_ms(minute + timing.break_minutes)) is None
    assert break_slot(timing, 0) is None
    assert break_slot(timing, minutes_ms(timing.total_minutes)) is None


def test_grade9_has_three_breaks_grade4_two():
    assert sum(break_slot(G9, m * MIN) is not None for m in range(170)) == 30
    assert sum(break_slot(G4, m * MIN) is not None for m in range(105)) == 20


def test_break_offered_once_per_slot_or_per_room_break():
    assert not break_offered(G9, 10 * MIN, set(), room_break=None)
    assert break_offered(G9, 36 * MIN, set(), room_break=None)
    assert not break_offered(G9, 36 * MIN, {0}, room_break=None)  # already taken
    assert break_offered(G9, 81 * MIN, {0}, room_break=None)
    assert break_offered(G9, 10 * MIN, set(), room_break="room-1")
    assert not break_offered(G9, 10 * MIN, {"room-1"}, room_break="room-1")  # once per announcement
    assert break_offered(G9, 10 * MIN, {"room-1"}, room_break="room-2")  # the next announcement
    assert break_offered(G4, 26 * MIN, set(), room_break=None)
    assert not break_offered(G4, 36 * MIN, set(), room_break=None)  # the window closed


# --- late answers -----------------------------------------------------------------------

LIMIT = 170 * MIN


def late(**changes) -> LateAnswer:
    """An answer made in time by an app cut off an hour before the deadline, arriving 5 s after
    it; each case changes one fact."""
    facts = dict(made_ms=LIMIT - 1, limit_ms=LIMIT, elapsed_now_ms=LIMIT + 5_000, offline_at_deadline=True,
                 time_over=True, sealed=False, sitting_closed=False, since_end_ms=5_000, grace_ms=5 * MIN,
                 offline_from_ms=LIMIT - 60 * MIN, latest_made_before=LIMIT - 61 * MIN)
    facts.update(changes)
    return LateAnswer(**facts)


@pytest.mark.parametrize("changes, code", [
    ({}, None),  # made in time, sent after a reconnect
    ({"made_ms": LIMIT}, None),  # made at the last moment
    ({"made_ms": 0, "offline_from_ms": None, "latest_made_before": None}, None),  # never connected after start
    ({"made_ms": LIMIT + 1}, "time_over"),  # made after the deadline
    ({"offline_at_deadline": False}, "time_over"),  # the app was online at the deadline
    ({"made_ms": -1}, "time_over"),  # nonsense time
    ({"elapsed_now_ms": LIMIT - 10}, "time_over"),  # claims a moment that has not come yet
    ({"since_end_ms": 5 * MIN + 1}, "time_over"),  # after the grace window
    ({"sealed": True}, "sealed"),  # the result was shown: never changes
    ({"sitting_closed": True}, "closed"),  # the sitting is closed
    ({"time_over": False}, "time_over"),  # finished by the student, not by the clock
    ({"made_ms": LIMIT - 60 * MIN - IN_FLIGHT_MS - 1}, "time_over"),  # while the app was still connected
    ({"made_ms": LIMIT - 60 * MIN - IN_FLIGHT_MS + 1, "latest_made_before": None}, None),  # in flight at the drop
    ({"latest_made_before": LIMIT}, "time_over"),  # before an answer it made earlier
])
def test_late_answer_refusal(changes, code):
    verdict = late_answer_refusal(late(**changes))
    assert (verdict and verdict[0]) == code, verdict


# --- login throttle ---------------------------------------------------------------------

def test_throttle_three_free_failures_then_doubling_waits():
    throttle = LoginThrottle()
    now = 1000.0
    for _ in range(3):
        assert throttle.wait_s("a", "1.2.3.4", now) == 0
        throttle.failed("a", "1.2.3.4", now)
    assert throttle.wait_s("a", "1.2.3.4", now) == pytest.approx(2.0)
    assert throttle.wait_s("a", "1.2.3.4", now + 2.0) == 0
    throttle.failed("a", "1.2.3.4", now + 2.0)
    assert throttle.wait_s("a", "1.2.3.4", now + 2.0) == pytest.approx(4.0)
    throttle.failed("a", "1.2.3.4", now + 6.0)
    assert throttle.wait_s("a", "1.2.3.4", now + 6.0) == pytest.approx(8.0)


def test_throttle_caps_the_wait():
    throttle = LoginThrottle()
    for _ in range(30):
        throttle.failed("a", "x", 100.0)
    assert throttle.wait_s("a", "x", 100.0) == pytest.approx(60.0)


def test_a_burst_from_one_computer_never_slows_the_student_at_their_own():
    throttle = LoginThrottle()
    bursts = [throttle.failed(login, "10.0.0.66", 0.0) for login in ("a", "b", "c") for _ in range(5)]
    assert bursts.count(True) == 1  # told once: this address is guessing
    assert throttle.wait_s("a", "10.0.0.66", 0.0) > 0  # the guessing computer waits
    assert throttle.wait_s("a", "10.0.0.7", 0.0) == 0  # the student's own computer does not
    throttle.succeeded("a", "10.0.0.7")
    assert throttle.wait_s("b", "10.0.0.66", 0.0) > 0  # a success elsewhere frees nobody's guesser


def test_throttle_memory_is_bounded():
    throttle = LoginThrottle()
    for i in range(20_001):
        throttle.failed(f"login-{i}", f"10.0.{i // 250}.{i % 250}", float(i))
    assert throttle.remembered() <= 20_000


# --- variants, the finish example, states -----------------------------------------------

def test_neighbouring_seats_get_different_variants():
    seats = [5, 1, 2, 3, 4, 6, 7]
    variants = assign_variants(seats, ["A", "B"])
    ordered = [variants[s] for s in sorted(seats)]
    assert ordered == ["A", "B", "A", "B", "A", "B", "A"]
    assert all(a != b for a, b in zip(ordered, ordered[1:]))
    three = assign_variants([1, 2, 3, 4], ["A", "B", "C"])
    assert [three[s] for s in (1, 2, 3, 4)] == ["A", "B", "C", "A"]


def test_variants_alternate_by_seat_order_with_gaps():
    variants = assign_variants([10, 2, 30, 4], ["A", "B"])
    assert variants == {2: "A", 4: "B", 10: "A", 30: "B"}


def test_arithmetic_check_is_simple_and_right():
    rng = random.Random(3)
    for _ in range(200):
        question, answer = arithmetic_check(rng)
        a, op, b = question.split()
        expected = int(a) + int(b) if op == "+" else int(a) - int(b)
        assert answer == str(expected)
        assert 0 < expected < 20
        assert check_answer_ok(answer, f" {answer} ")
        assert check_answer_ok(answer, "+" + answer)
        assert not check_answer_ok(answer, str(expected + 1))


def test_every_student_message_has_its_states():
    assert ALLOWED["answer"] >= {State.TESTING}
    assert State.WAITING not in ALLOWED["answer"]
    assert ALLOWED["end_break"] == {State.ON_BREAK}
    assert ALLOWED["confirm_data"] == {State.CONFIRMING}
