"""The invariants of the model-based test (test_room_model.py), checked after every step.
Each message names its invariant (1-6, as docs/architecture.md lists them, "What the model
test checks") and what was seen, so a failing sequence says which promise broke."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

import room_protocol as p
from room_client import SENT
from room_file import (AnswerRow, AttemptRow, FileState, RoomFile, exported_answers, exported_results, journal_on_disk,
                       sealed_result)
from room_world import READY_S, App, RoomWorld, result_of, wait_for

CLOCK_TOLERANCE_MS = 2_000
IN_TEST = ("testing", "on_break")
STUDENTS = 2  # two desks: enough for one to differ from the other, few enough to shrink fast
students = st.integers(0, STUDENTS - 1)
items = st.integers(0, 9)  # an item of the current subject, by position (wrapped)
picks = st.integers(0, 3)  # one of value_for's four answers


def value_for(item: p.TestItem, pick: int):
    """One of four answers of the item's shape (some of them blank: saved, not answered)."""
    if item.kind == "single":
        return p.rules.option_letter(pick % len(item.options))
    if item.kind == "multiple":
        return [["A"], ["A", "C"], ["B", "D"], []][pick]
    if item.kind == "matching":
        return [{"1": "A"}, {"1": "B", "2": "C"}, {"2": "A", "3": "D"}, {}][pick]
    return ["12", "2,5", "ә", " "][pick]


@dataclass
class Made:
    """An answer the student made in the app: journaled before it was sent."""

    computer: str
    seq: int
    item: str
    value: Any
    made_ms: int
    offline: bool  # made while the app could not reach the server


@dataclass
class Seat:
    """The model of one student: what should be true of them."""

    index: int
    sid: int
    login: str
    subjects: list[list[p.TestItem]]
    computer: str = "A"
    app: App | None = None
    apps: list[App] = field(default_factory=list)  # every app this student ever ran
    link_up: bool = True
    state: str = "testing"  # the attempt's state on the server
    subject: int = 0
    breaks: set[int] = field(default_factory=set)  # room breaks taken (announcement numbers)
    made: list[Made] = field(default_factory=list)
    sealed: bool = False  # the model knows the result is sealed (finish, get_result, close, the app back)
    shown: tuple | None = None  # the first result the student was shown

    def current_items(self) -> list[p.TestItem]:
        return self.subjects[self.subject]


@dataclass
class ClientView:
    remaining_ms: int  # what the app tells the student
    at_ms: int  # server wall time of that moment
    waiting: int  # answers not yet acknowledged
    latest: dict[str, Any]  # item -> the value the app shows


def quiet(client, held_ok: bool) -> bool:
    """Nothing on its way: every answer acknowledged, or, in a paused room, held back by the
    client (refused with `paused`, kept for after the pause) and none still in flight."""
    if not client.waiting_count():
        return True
    return held_ok and client._held and not any(a.state == SENT for a in client.answers.values())


class PromiseChecks:
    """The four invariants, over `self.world` (the real parts), `self.file` (the room's file)
    and `self.seats` (the model)."""

    world: RoomWorld
    file: RoomFile
    seats: list[Seat]
    paused: bool
    closed: bool
    rows_seen: dict[tuple[int, int], AnswerRow]  # (student, seq) -> the row as first read

    def run(self, coro, timeout: float = 60.0, what: str = "a step"):
        return self.world.loop.run(coro, timeout, what)

    def reachable(self, seat: Seat) -> bool:
        """The student's app runs and nothing stands between it and a running server."""
        return self.world.server_state == "up" and seat.link_up and seat.app is not None

    def online(self, seat: Seat) -> bool:
        return self.reachable(seat) and seat.app.logged_in

    # ---------------------------------------------------------------- invariant 6: never stuck

    def settle(self, seat: Seat) -> None:
        """Invariant 4: an app that can reach the server is logged in again and ready within
        10 s, has sent what it holds (unless the room is paused: held), and shows the
        server's state. Back on a finished attempt with no result shown, the app asks for it
        (student_tui routes there): the result is sealed then."""
        app = seat.app
        if not app.logged_in:
            outcome = self.run(app.log_in(), READY_S + 5, "logging in again")
            assert outcome == "ready", f"invariant 6: student {seat.index} logging in again got {outcome}"
        held_ok = self.paused and seat.state in IN_TEST

        def settled() -> bool:
            app.follow()
            client = app.client
            if not (client.online and client._ready.is_set()):  # logged in on a live link
                return False
            if not quiet(client, held_ok):
                return False
            if app.state != seat.state or (seat.sealed and app.result is None):
                return False
            return seat.state not in IN_TEST or app.paused == self.paused

        async def wait() -> None:
            try:
                await wait_for(settled, READY_S, "the app")
            except AssertionError:
                client = app.client
                raise AssertionError(
                    f"invariant 6: student {seat.index}'s app is not back within {READY_S:.0f} s: online={client.online} "
                    f"ready={client._ready.is_set()} waiting={client.waiting_count()} shows {app.state!r} "
                    f"(paused={app.paused}), the server has {seat.state!r} (paused={self.paused})") from None
        self.run(wait(), READY_S + 5, "settling")
        if seat.state == "finished":
            if app.result is None:  # as the app does: send what it holds, then ask (the seal)
                app.result = result_of(self.run(app.client.result(), READY_S + 5, "the result"))
            seat.sealed = True

    # ---------------------------------------------------------------- all invariants, every step

    def check_promises(self) -> None:
        delivered = set()  # seats whose computer must have sent all it journaled by now
        for seat in self.seats:
            if self.reachable(seat):
                self.settle(seat)
                if not (self.paused and seat.state in IN_TEST):
                    delivered.add(seat.sid)
        keys = {a.sid: a.journal_key for a in self.file.read().attempts.values()}
        journals = {(seat.sid, computer): journal_on_disk(self.world.folder / f"pc-{seat.index}{computer}", seat.login,
                                                          keys[seat.sid])
                    for seat in self.seats for computer in "AB"}
        self.run(self._follow_all(), 10, "reading the apps' events")
        views = self.run(self._client_views(), 10, "reading the apps")
        f = self.file.read()  # after the journals and the events: nothing can slip between
        for seat in self.seats:
            a = f.attempts[seat.sid]
            assert a.state == seat.state, f"the server has student {seat.index} {a.state!r}, the model {seat.state!r}"
            self.check_nothing_lost(seat, a, journals)
            self.check_nothing_rewritten(seat, a)
            if seat.sid in delivered:
                self.check_journal_arrived(seat, a)
            self.check_result(seat, a)
            self.check_accepted_only_when_open(seat, a, f)
            view = views.get(seat.sid)
            if view is not None and a.state in IN_TEST:
                self.check_clock(seat, a, f, view.remaining_ms, view.at_ms)
                if not view.waiting:
                    self.check_client_agrees(seat, a, view.latest)
        assert f.paused == self.paused, f"the file says paused={f.paused}, the model {self.paused}"
        if self.world.server_state == "up":
            self.check_proctor_agrees(f)

    async def _follow_all(self) -> None:
        for seat in self.seats:
            for app in seat.apps:
                app.follow()

    async def _client_views(self) -> dict[int, "ClientView"]:
        """What each settled app tells its student now (read on the loop, never racing it)."""
        now = int(time.time() * 1000)
        views = {}
        for seat in self.seats:
            if self.online(seat) and seat.app.client.online:
                client = seat.app.client
                views[seat.sid] = ClientView(client.clock.now_remaining_ms(), now, client.waiting_count(),
                                             {item: state.value for item, state in client.latest_by_item.items()})
        return views

    # ---------------------------------------------------------------- invariant 1: nothing lost

    def check_nothing_lost(self, seat: Seat, a: AttemptRow, journals: dict) -> None:
        """Every answer shown saved is in the file as acknowledged; every answer journaled is
        in the file or still in its computer's journal on disk."""
        for app in seat.apps:
            for seq, (item, value, counted) in app.acked.items():
                row = a.row(seq)
                assert row is not None and (row.item, row.value, row.counted) == (item, value, counted), (
                    f"invariant 1: student {seat.index}'s answer #{seq} {item}={value!r} was shown saved "
                    f"(counted={counted}), the file has {row}")
        refusals = [code for app in seat.apps for code in app.refusals]
        for m in seat.made:
            row = a.row(m.seq)
            if row is not None and (row.item, row.value) == (m.item, m.value):
                continue
            kept = journals[(seat.sid, m.computer)].get(m.seq)
            assert kept is not None and (kept["item"], kept["value"]) == (m.item, m.value), (
                f"invariant 1: student {seat.index}'s answer #{m.seq} {m.item}={m.value!r} (computer {m.computer}) "
                f"is neither in the file (it has {row}) nor in the journal on disk; refusals seen: {refusals}")

    def check_nothing_rewritten(self, seat: Seat, a: AttemptRow) -> None:
        """A stored answer never changes: no later frame (a replay, a late or back-dated
        answer, one after the deadline) rewrites a row or its counted flag."""
        for row in a.answers:
            before = self.rows_seen.setdefault((seat.sid, row.seq), row)
            assert row == before, (
                f"invariant 2: student {seat.index}'s answer #{row.seq} was stored as {before}, the file now has {row}")
        for (sid, seq) in self.rows_seen:
            assert sid != seat.sid or a.row(seq) is not None, (
                f"invariant 2: student {seat.index}'s answer #{seq} was in the file, it is gone")

    def check_journal_arrived(self, seat: Seat, a: AttemptRow) -> None:
        """The app is back and settled: every answer made on this computer (also by an app
        killed before, whose journal this one read at its launch) has arrived in the file."""
        for m in seat.made:
            if m.computer != seat.computer:
                continue
            row = a.row(m.seq)
            assert row is not None and (row.item, row.value) == (m.item, m.value), (
                f"invariant 1: student {seat.index}'s app is back, but answer #{m.seq} {m.item}={m.value!r} made "
                f"on computer {m.computer} never arrived (the file has {row})")

    def check_client_agrees(self, seat: Seat, a: AttemptRow, mine: dict[str, Any]) -> None:
        """At a settle point the app's latest answer per item is the file's latest counted one."""
        latest = a.latest()
        for item in set(latest) | set(mine):
            assert mine.get(item) == latest.get(item), (
                f"invariant 5: student {seat.index}'s app shows {item}={mine.get(item)!r}, "
                f"the file's latest counted is {latest.get(item)!r}")

    def check_result(self, seat: Seat, a: AttemptRow) -> None:
        """The sealed result is the score of the file's answers, and what every app showed."""
        sealed = sealed_result(a)
        if sealed is None:
            for app in seat.apps:
                assert app.result is None, f"invariant 4: student {seat.index} was shown {app.result}, nothing is sealed"
            return
        assert sealed[:2] + sealed[3:] == self.file.score(a), (
            f"invariant 4: student {seat.index}'s sealed result {sealed} is not the score of the file's "
            f"answers {self.file.score(a)}")
        for app in seat.apps:
            assert app.result in (None, sealed), (
                f"invariant 4: student {seat.index} was shown {app.result}, the sealed result is {sealed}")
        if seat.shown is None:
            seat.shown = next((app.result for app in seat.apps if app.result is not None), None)
        if seat.shown is not None:
            assert seat.shown == sealed, (
                f"invariant 4: student {seat.index} was first shown {seat.shown}, now {sealed} is sealed")
        if seat.sealed and self.online(seat):
            assert seat.app.result == sealed, (
                f"invariant 6: student {seat.index}'s app shows no result, {sealed} is sealed")

    def check_proctor_agrees(self, f: FileState) -> None:
        """The proctor's counts are the file's (taken while nothing is on its way)."""
        room = self.world.proctor(lambda proctor: proctor.watch())
        for view in room.seats:
            a = f.attempts[view.student]
            assert view.answered == self.file.answered(a), (
                f"invariant 5: the proctor sees {view.answered} answered for {a.login}, "
                f"the file gives {self.file.answered(a)}")

    def check_export(self, to: Path) -> None:
        """The export agrees with the file, as the analysis centre reads it: every answer any
        app showed saved is in `answers.jsonl` with the same item, value and counted flag;
        every exported answer is the file's row; `results.csv` (opened with the centre's key)
        gives each student the sealed total, or the file's score, and the file's count."""
        shown = {(seat.login, seq): saved for seat in self.seats for app in seat.apps
                 for seq, saved in app.acked.items()}
        to.mkdir(exist_ok=True)
        exported = self.world.proctor(lambda proctor: proctor.export(str(to)), 60)
        f = self.file.read()
        bundle = Path(exported.bundle)
        rows = exported_answers(bundle)
        for (login, seq), (item, value, counted) in shown.items():
            row = rows.get((login, seq))
            assert row is not None and (row["item"], row["value"], row["counted"]) == (item, value, counted), (
                f"invariant 5: {login}'s answer #{seq} {item}={value!r} was shown saved (counted={counted}), "
                f"the export's answers.jsonl has {row}")
        by_login = {a.login: a for a in f.attempts.values()}
        for (login, seq), row in rows.items():
            stored = by_login[login].row(seq)
            assert stored is not None and (stored.item, stored.value, stored.counted, stored.late) == (
                row["item"], row["value"], row["counted"], row["late"]), (
                f"invariant 5: the export has {login}'s answer #{seq} as {row}, the file as {stored}")
        results = exported_results(bundle, self.world.centre_key())
        for seat in self.seats:
            a, row = f.attempts[seat.sid], results[seat.login]
            sealed = sealed_result(a)
            total = sealed[0] if sealed else self.file.score(a)[0]
            assert float(row["total"].replace(",", ".")) == total, (
                f"invariant 5: results.csv gives {seat.login} {row['total']}, the file {total}")
            assert int(row["answered"]) == self.file.answered(a), (
                f"invariant 5: results.csv gives {seat.login} {row['answered']} answered, "
                f"the file {self.file.answered(a)}")

    # ---------------------------------------------------------------- invariant 3: the clock

    def check_clock(self, seat: Seat, a: AttemptRow, f: FileState, told_ms: int, at_ms: int) -> None:
        records = self.file.remaining_ms(a, f, at_ms)
        assert abs(told_ms - records) <= CLOCK_TOLERANCE_MS, (
            f"invariant 3: student {seat.index} is told {told_ms} ms remain, the records give {records} ms")

    # ---------------------------------------------------------------- invariant 3: nothing accepted when the server says no

    def check_accepted_only_when_open(self, seat: Seat, a: AttemptRow, f: FileState) -> None:
        """No counted answer was received inside a pause, after the seal or the close; one
        counted after the end came within the late-answer bound and is flagged late."""
        for row in a.answers:
            if not row.counted:
                continue
            where = f"student {seat.index}'s answer #{row.seq} {row.item} received at {row.received_ms}"
            if not row.late:  # a late answer was made before the deadline: a pause since does not stop it
                for pause, reason in f.pauses:
                    end = pause.end_ms if pause.end_ms is not None else f.taken_ms
                    assert not pause.start_ms < row.received_ms < end, (
                        f"invariant 3: {where} counts, inside a pause ({reason}) {pause.start_ms}-{pause.end_ms}")
            if a.sealed_at_ms is not None:
                assert row.received_ms <= a.sealed_at_ms, f"invariant 3: {where} counts, after the seal at {a.sealed_at_ms}"
            if f.closed_ms is not None:
                assert row.received_ms <= f.closed_ms, f"invariant 3: {where} counts, after the close at {f.closed_ms}"
            if a.finished_ms is not None and row.received_ms > a.finished_ms:
                assert row.late and row.received_ms - a.finished_ms <= f.grace_ms, (
                    f"invariant 3: {where} counts after the end at {a.finished_ms} (late={row.late}, "
                    f"grace {f.grace_ms} ms)")
        if a.finish_reason == "time_over" and a.offline_at_deadline:
            self.check_honest_late_answers(seat, a, f)

    def check_honest_late_answers(self, seat: Seat, a: AttemptRow, f: FileState) -> None:
        """The bound's other side: an answer made in time while cut off, arriving within the
        grace window, before the seal and the close, counts."""
        for m in seat.made:
            row = a.row(m.seq)
            if not m.offline or row is None or (row.item, row.value) != (m.item, m.value):
                continue
            arrived_late = row.received_ms > a.finished_ms
            in_bound = (row.received_ms - a.finished_ms <= f.grace_ms
                        and (a.sealed_at_ms is None or row.received_ms < a.sealed_at_ms)
                        and (f.closed_ms is None or row.received_ms < f.closed_ms))
            assert not (arrived_late and in_bound) or row.counted, (
                f"invariant 3: student {seat.index}'s answer #{m.seq} made in time while cut off "
                f"(made_ms {m.made_ms}, last heard at {a.lost_at_ms}) arrived within the bound and does not count")
