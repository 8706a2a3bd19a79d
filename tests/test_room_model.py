"""A model-based test of the whole room: random sequences of what students, the proctor and
faults do, against real parts, with the room's promises checked after every step.

The parts are real: the room server as a process (tests/room_process.py: SIGKILL, SIGSTOP and
SIGCONT, restarted on the same port and folder), the client library (StudentClient with a
journal folder per student computer, ProctorClient), and a cuttable link per student desk
(tests/link_proxy.py), so link faults never depend on iptables or namespaces. The room file
is read with sqlite3 the way another process would (tests/room_file.py).

Hypothesis' stateful rules are synchronous. One asyncio loop runs in a background thread for
the whole run (tests/room_world.py, LoopThread) and the rules hand it coroutines: the clients
go on living between steps (reconnecting, sending their journal, receiving pushes) while the
main thread kills, freezes or restarts the server, as a room would.

The rules (what happens, in any order) and the six invariants checked after every step are
listed in docs/architecture.md, "What the model test checks"; the students' and the
proctor's everyday rules are here, the faults in room_model_faults.py, the end of the test and
the frames that must change nothing in room_model_ending.py, the invariants in
room_model_checks.py (each failure message names its invariant by that list's number).

`make test` runs a fixed, derandomized budget (CI_EXAMPLES, CI_STEPS); `make model` a longer
random one, `make soak` one more. A failing sequence prints as `state = RoomMachine()`,
`state.open_room()`, `state.answer(...)`...: MODEL_REPLAY=FILE runs it again step by step, or
paste it into a test taking the `room_machine` fixture to keep it as a regression test.
"""

from __future__ import annotations

import ast
import os
import random
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, seed, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule, run_state_machine_as_test

import room_protocol as p
from room_file import RoomFile
from room_model_checks import IN_TEST, STUDENTS, Made, Seat, items, picks, students, value_for
from room_model_ending import EndRules
from room_model_faults import FaultRules
from room_world import LoopThread, RoomWorld, make_template

# `make test`: a fixed budget, derandomized, so every run (CI's too) tries the same sequences.
# `make model` (README, "Testing"): MODEL_EXAMPLES sequences of MODEL_STEPS steps, random
# unless MODEL_SEED repeats a run; MODEL_REPLAY=FILE runs one printed sequence step by step.
CI_EXAMPLES, CI_STEPS = 12, 40
LONG_RUN = "MODEL_EXAMPLES" in os.environ
EXAMPLES = int(os.environ.get("MODEL_EXAMPLES", CI_EXAMPLES))
STEPS = int(os.environ.get("MODEL_STEPS", CI_STEPS))
SEED = int(os.environ["MODEL_SEED"]) if os.environ.get("MODEL_SEED") else random.randrange(2**32)
REPLAY = os.environ.get("MODEL_REPLAY")
SOAK_EXAMPLES, SOAK_STEPS = 120, 60


def run_settings(examples: int, steps: int, *, fixed: bool) -> settings:
    return settings(max_examples=examples, stateful_step_count=steps, deadline=None, derandomize=fixed,
                    database=None, suppress_health_check=list(HealthCheck), print_blob=not fixed)


class RoomMachine(EndRules, FaultRules, RuleBasedStateMachine):
    """The room as a small reference (each student's state, subject, the answers made, the
    pause and the room break) beside the real one; the checks compare them."""

    loop: LoopThread  # set by the room_machine fixture
    template = None
    run_folder = None
    sequences = 0

    def __init__(self) -> None:
        super().__init__()
        RoomMachine.sequences += 1
        self.world = RoomWorld(self.loop, self.template, self.run_folder / f"seq-{self.sequences}", STUDENTS)
        self.file = RoomFile(self.world.data)
        self.seats: list[Seat] = []
        self.rows_seen = {}
        self.paused = False
        self.closed = False
        self.room_break: int | None = None  # the announcement now on
        self.announcements = 0
        self.steps = 0
        self.exported_at = 0
        self.healthy = False  # the last step and its checks ran to the end

    # ---------------------------------------------------------------- the model's words

    def seat(self, student: int, ok) -> Seat | None:
        """The student if the rule applies to them now (else the step does nothing)."""
        seat = self.seats[student]
        return seat if ok(seat) else None

    def can_answer(self, seat: Seat) -> bool:
        return seat.state == "testing" and seat.app is not None and seat.app.logged_in

    def working(self, seat: Seat) -> bool:
        """Online, in the test, the room running: navigation and breaks go through."""
        return self.online(seat) and seat.state == "testing" and not self.paused

    def any_seat(self, ok) -> bool:
        return any(ok(seat) for seat in self.seats)

    def step(self) -> None:
        self.steps += 1
        self.healthy = False

    def make(self, seat: Seat, item: p.TestItem, value) -> Made:
        def answer():
            state = seat.app.client.answer(item.id, value)
            return state.seq, state.made_ms
        seq, made_ms = self.world.loop.call(answer)
        made = Made(seat.computer, seq, item.id, value, made_ms, offline=not self.reachable(seat))
        seat.made.append(made)
        return made

    def answered_here(self, seat: Seat) -> list[p.TestItem]:
        made = {m.item for m in seat.made}
        return [item for item in seat.current_items() if item.id in made]

    # ---------------------------------------------------------------- the start

    @initialize()
    def open_room(self) -> None:
        self.world.start()
        self.world.proctor(lambda proctor: proctor.open_sitting())
        ids = {a.login: a.sid for a in self.file.read().attempts.values()}
        for index, login in enumerate(self.world.logins):
            app = self.world.app(index, "A")
            assert self.run(app.log_in()) == "ready"
            subjects = [subject.items for subject in app.client.test.subjects]
            self.seats.append(Seat(index, ids[login["login"]], login["login"], subjects, app=app, apps=[app]))

    @invariant()
    def promises_kept(self) -> None:
        if not self.seats:
            return
        self.healthy = False
        self.check_promises()
        self.healthy = True

    def teardown(self) -> None:
        try:
            if self.healthy:
                self.final_check()
        finally:
            self.world.close([app for seat in self.seats for app in seat.apps])

    def final_check(self) -> None:
        """The end of the sequence: everything comes back, then the export must agree."""
        if self.world.server_state == "frozen":
            self.world.thaw_server()
        if self.world.server_state == "down":
            self.world.restart_server()
        for seat in self.seats:
            if not seat.link_up:
                self.world.set_link(seat.index, True)
                seat.link_up = True
        self.check_promises()
        self.check_export(self.world.folder / "export")

    # ---------------------------------------------------------------- the student's answers

    @precondition(lambda self: self.any_seat(self.can_answer))
    @rule(student=students, item=items, pick=picks)
    def answer(self, student, item, pick) -> None:
        self.step()
        if seat := self.seat(student, self.can_answer):
            chosen = seat.current_items()[item % len(seat.current_items())]
            self.make(seat, chosen, value_for(chosen, pick))

    @precondition(lambda self: self.any_seat(self.can_answer))
    @rule(student=students, item=items, count=st.integers(2, 5), pick=picks)
    def answer_some(self, student, item, count, pick) -> None:
        """A few items in a row, as fast as the student types."""
        self.step()
        if seat := self.seat(student, self.can_answer):
            chosen = seat.current_items()
            for index in range(item, item + count):
                self.make(seat, chosen[index % len(chosen)], value_for(chosen[index % len(chosen)], (pick + index) % 4))

    @precondition(lambda self: self.any_seat(lambda s: self.can_answer(s) and self.answered_here(s)))
    @rule(student=students, item=items, pick=picks)
    def change_answer(self, student, item, pick) -> None:
        self.step()
        if seat := self.seat(student, lambda s: self.can_answer(s) and self.answered_here(s)):
            chosen = self.answered_here(seat)[item % len(self.answered_here(seat))]
            self.make(seat, chosen, value_for(chosen, pick))

    @precondition(lambda self: self.any_seat(lambda s: self.can_answer(s) and self.answered_here(s)))
    @rule(student=students, item=items)
    def clear_answer(self, student, item) -> None:
        self.step()
        if seat := self.seat(student, lambda s: self.can_answer(s) and self.answered_here(s)):
            self.make(seat, self.answered_here(seat)[item % len(self.answered_here(seat))], None)

    @precondition(lambda self: self.any_seat(self.working))
    @rule(student=students, item=items)
    def goto(self, student, item) -> None:
        self.step()
        if seat := self.seat(student, self.working):
            chosen = seat.current_items()[item % len(seat.current_items())]
            assert isinstance(self.run(seat.app.client.request(p.Goto(chosen.id))), p.Ok)

    @precondition(lambda self: self.any_seat(lambda s: self.working(s) and s.subject < len(s.subjects) - 1))
    @rule(student=students)
    def next_subject(self, student) -> None:
        self.step()
        if seat := self.seat(student, lambda s: self.working(s) and s.subject < len(s.subjects) - 1):
            now = self.run(seat.app.client.next_subject())
            assert now.subject_index == seat.subject + 1, now
            seat.subject += 1

    # ---------------------------------------------------------------- breaks, pauses, extra time

    @precondition(lambda self: self.world.server_state == "up" and not self.closed and self.room_break is None)
    @rule()
    def announce_break(self) -> None:
        self.step()
        self.world.proctor(lambda proctor: proctor.announce_break())
        self.announcements += 1
        self.room_break = self.announcements

    def may_take_break(self, seat: Seat) -> bool:
        return self.working(seat) and self.room_break is not None and self.room_break not in seat.breaks

    @precondition(lambda self: self.any_seat(self.may_take_break))
    @rule(student=students)
    def take_break(self, student) -> None:
        self.step()
        if seat := self.seat(student, self.may_take_break):
            self.run(seat.app.client.take_break())
            seat.state = "on_break"
            seat.breaks.add(self.room_break)

    @precondition(lambda self: self.any_seat(lambda s: self.online(s) and s.state == "on_break"))
    @rule(student=students)
    def end_break(self, student) -> None:
        self.step()
        if seat := self.seat(student, lambda s: self.online(s) and s.state == "on_break"):
            self.run(seat.app.client.end_break())
            seat.state = "testing"

    @precondition(lambda self: self.world.server_state == "up" and self.room_break is not None)
    @rule()
    def end_room_break(self) -> None:
        self.step()
        self.world.proctor(lambda proctor: proctor.end_room_break())
        self.room_break = None
        for seat in self.seats:
            if seat.state == "on_break":
                seat.state = "testing"

    @precondition(lambda self: self.world.server_state == "up" and not self.paused and not self.closed)
    @rule(reason=st.sampled_from(["power", "network"]))
    def pause_room(self, reason) -> None:
        self.step()
        self.world.proctor(lambda proctor: proctor.pause(reason))
        self.paused = True

    @precondition(lambda self: self.world.server_state == "up" and self.paused)
    @rule()
    def resume_room(self) -> None:
        self.step()
        self.world.proctor(lambda proctor: proctor.resume())
        self.paused = False

    @precondition(lambda self: self.world.server_state == "up" and self.any_seat(lambda s: s.state in IN_TEST))
    @rule(student=students, minutes=st.sampled_from([1, 5, 30]))
    def extra_time(self, student, minutes) -> None:
        self.step()
        if seat := self.seat(student, lambda s: s.state in IN_TEST):
            self.world.proctor(lambda proctor: proctor.extra_time(seat.sid, minutes, "the computer froze"))


# ---------------------------------------------------------------- the runs

@pytest.fixture
def room_machine(tmp_path):
    """RoomMachine wired to a loop thread and a template room for this test's sequences."""
    loop = LoopThread()
    try:
        RoomMachine.loop = loop
        RoomMachine.template = make_template(loop, tmp_path / "template", STUDENTS)
        RoomMachine.run_folder = tmp_path
        yield RoomMachine
    finally:
        loop.close()


# A failure shrinks for up to 5 more minutes (hypothesis' limit), so its sequence prints short.
@pytest.mark.timeout(1200 if not (LONG_RUN or REPLAY) else EXAMPLES * STEPS * 5 + 1200)
def test_the_room_keeps_its_promises_under_any_sequence(room_machine):
    """`make test` runs CI_EXAMPLES sequences of CI_STEPS steps, the same ones every time;
    with MODEL_EXAMPLES (`make model`) a longer random run; with MODEL_REPLAY one sequence."""
    if REPLAY:
        replay(room_machine, Path(REPLAY))
    elif LONG_RUN:
        print(f"model run: {EXAMPLES} sequences of up to {STEPS} steps, MODEL_SEED={SEED} repeats them", flush=True)
        run_state_machine_as_test(seed(SEED)(lambda: room_machine()), settings=run_settings(EXAMPLES, STEPS, fixed=False))
    else:
        run_state_machine_as_test(room_machine, settings=run_settings(CI_EXAMPLES, CI_STEPS, fixed=True))


@pytest.mark.soak
@pytest.mark.timeout(3 * 3600)
def test_the_room_keeps_its_promises_soak(room_machine):
    run_state_machine_as_test(room_machine, settings=run_settings(SOAK_EXAMPLES, SOAK_STEPS, fixed=False))


def replay(machine: type[RoomMachine], printed: Path) -> None:
    """Runs a sequence as hypothesis printed it (`state.answer(item=1, pick=2, student=0)`, one
    call a line; other lines are ignored), the checks after every step as in a generated run,
    and prints each step with the time it took: a failure that comes and goes with timing
    shows where it happens, without a new test file."""
    steps = []
    for number, line in enumerate(printed.read_text(encoding="utf-8").splitlines(), 1):
        call = ast.parse(line.strip()).body[0].value if line.strip().startswith("state.") else None
        if not isinstance(call, ast.Call) or call.func.attr in ("promises_kept", "teardown"):
            continue
        steps.append((number, call.func.attr, {k.arg: ast.literal_eval(k.value) for k in call.keywords}))
    state = machine()
    try:
        for number, name, kwargs in steps:
            started = time.monotonic()
            getattr(state, name)(**kwargs)
            state.promises_kept()
            print(f"line {number}: {name}({kwargs}) and the checks, {time.monotonic() - started:.2f} s", flush=True)
    finally:
        state.teardown()


# ---------------------------------------------------------------- sequences it found, kept

def test_on_a_break_navigation_and_finishing_get_on_break_not_wrong_state(room_machine):
    """Found by the model: on a break, goto / next_subject / finish_request got `wrong_state`
    (a bad frame) where docs/protocol.md promises `on_break`."""
    state = room_machine()
    try:
        state.open_room()
        state.announce_break()
        state.take_break(student=0)
        state.promises_kept()
        for message in ("finish_request", "goto", "next_subject", "answer"):
            state.probe(message=message, student=0)
        state.pause_room(reason="power")
        state.probe(message="goto", student=0)  # paused and on a break: the pause is said first
        state.promises_kept()
    finally:
        state.teardown()


def test_finishing_right_after_an_answer_seals_a_result_with_that_answer(room_machine):
    """Found by the model: answer, then finish at once (before the answer's ack). The sealed
    result left that answer out (the end of a test now waits for answers on their way to the
    disk), and the finish check counted it as unanswered (the client sent `finish_request`
    before the answer: it now waits for its answers' acks first). The race is lost about 9
    times in 10; four students in two rooms make a miss all but impossible."""
    for _ in range(2):
        state = room_machine()
        try:
            state.open_room()
            state.promises_kept()
            for student in range(STUDENTS):
                state.finish(at_once=True, student=student)
                state.promises_kept()
        finally:
            state.teardown()


def test_answers_held_in_a_pause_are_sent_once_the_sitting_is_closed(room_machine):
    """Found by the model: answers the client held back while the room was paused (refused
    with `paused`) were never sent after the proctor closed the sitting (which ends the pause):
    only a clock push released them, and a finished attempt gets none. The app waited with
    them forever and result() waited out its timeout."""
    state = room_machine()
    try:
        state.open_room()
        state.pause_room(reason="power")
        state.answer(item=0, pick=0, student=0)
        state.promises_kept()
        state.close_sitting()
        state.promises_kept()
    finally:
        state.teardown()


def test_an_answer_journaled_on_the_first_computer_arrives_after_a_second_computer_and_back(room_machine):
    """Found by the model: the server is down, the student answers on computer A (journaled),
    A is killed; the server returns, the student moves to computer B (approved) and answers;
    back on A, A's journaled answer #1 met B's answer #1 and was refused: lost. B numbered from
    the server's next_seq, which cannot know A's journal; a new computer now starts 1,000
    above it (rules.NEW_COMPUTER_SEQ_GAP)."""
    state = room_machine()
    try:
        state.open_room()
        state.kill_server()
        state.answer(item=0, pick=0, student=0)
        state.kill_app(student=0)
        state.restart_server()
        state.second_computer(kill_first=False, student=0)
        state.answer(item=1, pick=1, student=0)
        state.promises_kept()
        state.second_computer(kill_first=True, student=0)
        state.promises_kept()
    finally:
        state.teardown()
