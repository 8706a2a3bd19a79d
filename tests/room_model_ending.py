"""The model-based test's rules for the end of the test and what may no longer change it:
finishing, the result, closing the sitting, exporting; requests probing a refusal, replayed
answer frames and back-dated late answers."""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

import room_protocol as p
from room_client import ServerError
from room_model_checks import IN_TEST, Made, PromiseChecks, Seat, items, picks, students, value_for
from room_model_faults import ENDING_AFTER
from room_tools.sim import solve
from room_world import result_of

CLOSING_AFTER = 15
REFUSED_AFTER_TEST = ("sealed", "closed", "time_over")  # an answer after the end that does not count


class EndRules(PromiseChecks):
    """Rules mixed into RoomMachine (which supplies `step`, `seat`, `working`...)."""

    # ---------------------------------------------------------------- finishing and the result

    @precondition(lambda self: self.steps >= ENDING_AFTER and self.any_seat(self.working))
    @rule(student=students, at_once=st.booleans())
    def finish(self, student, at_once) -> None:
        """Finish with the arithmetic check; `at_once`: right after an answer, before its ack."""
        self.step()
        seat = self.seat(student, self.working)
        if seat is None:
            return
        client, item = seat.app.client, seat.current_items()[0]

        async def finish():
            made = None
            if at_once:
                state = client.answer(item.id, "A" if item.kind == "single" else None)
                made = Made(seat.computer, state.seq, item.id, state.value, state.made_ms, offline=False)
            check = await client.finish_request()
            return made, check, await client.finish(solve(check.question))
        made, check, result = self.run(finish())
        if made is not None:
            seat.made.append(made)
        # The check counts what the result counts, the answer given just before Finish too.
        a = self.file.read().attempts[seat.sid]
        latest = a.latest()
        pack = self.file.pack(a.language).variant(a.variant)
        for block in pack.subjects:
            left = sum(1 for i in block.items if not p.rules.is_answered(i.kind, latest.get(i.id)))
            assert check.unanswered[block.subject] == left, (
                f"invariant 5: the finish check says {check.unanswered[block.subject]} unanswered in "
                f"{block.subject}, the file gives {left}")
        seat.app.state, seat.app.result = "finished", result_of(result)
        seat.state, seat.sealed = "finished", True

    @precondition(lambda self: self.any_seat(lambda s: self.online(s) and s.state == "finished"))
    @rule(student=students)
    def get_result(self, student) -> None:
        """The app asks for the result (after sending what it holds): sealed now, or the
        same sealed result again."""
        self.step()
        if seat := self.seat(student, lambda s: self.online(s) and s.state == "finished"):
            shown = result_of(self.run(seat.app.client.result()))
            assert seat.shown is None or shown == seat.shown, (
                f"invariant 4: a result once shown changed: {seat.shown} -> {shown}")
            seat.app.result = shown
            seat.sealed = True

    @precondition(lambda self: self.world.server_state == "up" and not self.closed and self.steps >= CLOSING_AFTER)
    @rule()
    def close_sitting(self) -> None:
        self.step()
        self.world.proctor(lambda proctor: proctor.close_sitting())
        self.closed, self.paused = True, False
        for seat in self.seats:
            seat.state, seat.sealed = "finished", True

    # ---------------------------------------------------------------- probing refusals

    def refusal_due(self, seat: Seat) -> str | None:
        """The code a request from this student must get now, if one must be refused."""
        if not self.online(seat):
            return None
        if seat.state in IN_TEST and self.paused:
            return "paused"
        if seat.state == "on_break":
            return "on_break"
        if seat.state == "finished" and seat.sealed:
            return "sealed"
        return None

    @precondition(lambda self: self.any_seat(self.refusal_due))
    @rule(student=students, message=st.sampled_from(["answer", "goto", "next_subject", "finish_request"]))
    def probe(self, student, message) -> None:
        """A raw request where nothing may be accepted: it gets the documented code."""
        self.step()
        seat = self.seat(student, self.refusal_due)
        if seat is None:
            return
        expected = self.refusal_due(seat)
        if expected == "sealed" and message != "answer":
            expected = "wrong_state"  # the test is over: no navigation, no finishing
        client, item = seat.app.client, seat.current_items()[0]
        request = {"answer": lambda: p.Answer(client.next_seq + 500, item.id, None, client.clock.now_elapsed_ms()),
                   "goto": lambda: p.Goto(item.id), "next_subject": p.NextSubject,
                   "finish_request": p.FinishRequest}[message]()
        try:
            reply = self.run(client.request(request))
        except ServerError as exc:
            assert exc.code == expected, f"invariant 3: {message} got {exc.code!r}, the documented code is {expected!r}"
        else:
            raise AssertionError(f"invariant 3: {message} was accepted ({reply}) where {expected!r} is due")

    # ---------------------------------------------------------------- frames that must change nothing

    # The precondition reads the model (answers made), never the acks: when an ack arrives is
    # timing, and hypothesis replays preconditions.
    @precondition(lambda self: self.any_seat(lambda s: self.online(s) and s.made))
    @rule(student=students, which=st.integers(0, 99), same=st.booleans())
    def replay_answer(self, student, which, same) -> None:
        """An acknowledged answer's frame comes again: a replay (the ack was lost), or a copy
        of its number with other content. A replay is acknowledged as it was (or refused after
        the test); other content gets `bad_field`; the file's row never changes (the checks
        compare every row with what it was)."""
        self.step()
        seat = self.seat(student, lambda s: self.online(s) and s.made)
        here = [i.id for i in seat.current_items()] if seat else []
        acked = sorted((seq, saved) for seq, saved in seat.app.acked.items() if saved[0] in here) if seat else []
        if not acked:
            return
        seq, (item, value, counted) = acked[which % len(acked)]
        if not same:  # the same number, another answer: cleared, or a blank to another item
            item, value = (item, None) if value is not None else (here[(here.index(item) + 1) % len(here)], None)
        if seat.state in IN_TEST and self.paused:
            expected = ("paused",)
        elif seat.state == "on_break":
            expected = ("on_break",)
        elif not same:
            expected = ("bad_field",)
        else:
            expected = REFUSED_AFTER_TEST if seat.state == "finished" else ()
        client = seat.app.client
        try:
            reply = self.run(client.request(p.Answer(seq, item, value, client.clock.now_elapsed_ms())))
        except ServerError as exc:
            assert exc.code in expected, (
                f"invariant 2: answer #{seq} again as {item}={value!r} (same={same}) got {exc.code!r}, "
                f"expected one of {expected}")
        else:
            assert same and reply.counted == counted, (
                f"invariant 2: answer #{seq} again as {item}={value!r} (same={same}) was acknowledged {reply}, "
                f"it was saved as counted={counted}")

    @precondition(lambda self: self.any_seat(lambda s: self.online(s) and s.state == "finished"))
    @rule(student=students, item=items, pick=picks, claim=st.sampled_from(["after_deadline", "while_connected"]))
    def back_dated_answer(self, student, item, pick, claim) -> None:
        """After the end, a modified app sends a new answer claiming a time the server knows
        is false: after the time limit, or while the app was still connected. Refused; the
        checks see that it never counts."""
        self.step()
        seat = self.seat(student, lambda s: self.online(s) and s.state == "finished")
        if seat is None:
            return
        f = self.file.read()
        a = f.attempts[seat.sid]
        clock = self.file.clock(a, f)
        made_ms = clock.limit_ms + 60_000
        if claim == "while_connected" and a.lost_at_ms is not None:
            made_ms = max(0, clock.elapsed_ms(a.lost_at_ms) - 60_000)
        client, chosen = seat.app.client, seat.current_items()[item % len(seat.current_items())]
        request = p.Answer(client.next_seq + 1000 + self.steps, chosen.id, value_for(chosen, pick), made_ms)
        try:
            reply = self.run(client.request(request))
        except ServerError as exc:
            assert exc.code in REFUSED_AFTER_TEST, f"invariant 3: a back-dated answer got {exc.code!r}"
        else:
            raise AssertionError(f"invariant 3: an answer claiming made_ms {made_ms} ({claim}) after the end "
                                 f"was accepted: {reply}")

    @precondition(lambda self: self.world.server_state == "up" and self.steps >= self.exported_at + 10)
    @rule()
    def export_results(self) -> None:
        """The proctor exports mid-sitting (at most every tenth step: it takes a second)."""
        self.step()
        self.exported_at = self.steps
        self.check_export(self.world.folder / "export")
