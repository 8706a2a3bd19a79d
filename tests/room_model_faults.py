"""The model-based test's rules for faults (test_room_model.py holds the students' and the
proctor's everyday rules and the machine itself): apps killed and relaunched, a second
computer, the server killed, frozen and restarted, links cut, the deadline passing while the
app is online or cut off."""

from __future__ import annotations

import time

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from room_client import Offline
from room_model_checks import IN_TEST, PromiseChecks, students
from room_file import sealed_result
from room_world import READY_S, wait_for

DEADLINE_ONLINE_LEAD_MS = 10_000  # the deadline this long after the restart: the app is back before it
DEADLINE_OFFLINE_LEAD_MS = 1_000
ENDING_AFTER = 5  # steps before a test may end (finish, deadline): a sequence first builds up a test


class FaultRules(PromiseChecks):
    """Rules mixed into RoomMachine (which supplies `step`, `seat`, `make`, `working`...)."""

    # ---------------------------------------------------------------- the app and its computer

    @precondition(lambda self: self.any_seat(lambda s: s.app is not None))
    @rule(student=students)
    def kill_app(self, student) -> None:
        self.step()
        if seat := self.seat(student, lambda s: s.app is not None):
            self.run(seat.app.kill(self.world.proxies[seat.index], seat.link_up))
            seat.app = None

    @precondition(lambda self: self.any_seat(lambda s: s.app is None))
    @rule(student=students)
    def relaunch_app(self, student) -> None:
        """A new app on the same computer (the same journal folder) logs in again."""
        self.step()
        if seat := self.seat(student, lambda s: s.app is None):
            seat.app = self.world.app(seat.index, seat.computer)
            seat.apps.append(seat.app)
            if self.world.server_state == "frozen":
                return  # the student waits at the login screen; the settle logs in once it runs
            try:
                assert self.run(seat.app.log_in(), READY_S + 5, "logging in") == "ready"
            except Offline:
                assert not self.reachable(seat), "the app could not reach a running server over a working link"

    @precondition(lambda self: self.world.server_state == "up" and not self.closed
                  and self.any_seat(lambda s: s.link_up and s.state in IN_TEST))
    @rule(student=students, kill_first=st.booleans())
    def second_computer(self, student, kill_first) -> None:
        """The student moves to the desk's other computer (the first one broke, or is still
        running); the proctor approves the login."""
        self.step()
        seat = self.seat(student, lambda s: s.link_up and s.state in IN_TEST)
        if seat is None:
            return
        old = seat.app
        if old is not None and kill_first:
            self.run(old.kill(self.world.proxies[seat.index], seat.link_up))
        seat.computer = "B" if seat.computer == "A" else "A"
        seat.app = self.world.app(seat.index, seat.computer)
        seat.apps.append(seat.app)
        assert self.run(seat.app.log_in()) == "awaiting_approval"
        self.world.proctor(lambda proctor: proctor.approve_login(seat.sid, True))
        client = seat.app.client
        self.run(wait_for(lambda: client.login_ok is not None, READY_S, "the approved login"), READY_S + 5)
        self.run(seat.app.go_on())
        if old is not None and not old.killed:  # replaced: the server closed it; the app stops
            self.run(wait_for(lambda: not old.client.online, READY_S, "the old computer told to stop"), READY_S + 5)
            self.run(old.client.close())
            old.killed = True

    # ---------------------------------------------------------------- the server and the links

    @precondition(lambda self: self.world.server_state != "down")
    @rule()
    def kill_server(self) -> None:
        self.step()
        self.world.kill_server()

    @precondition(lambda self: self.world.server_state == "down")
    @rule()
    def restart_server(self) -> None:
        self.step()
        self.world.restart_server()

    @precondition(lambda self: self.world.server_state == "up")
    @rule()
    def freeze_server(self) -> None:
        self.step()
        self.world.freeze_server()

    @precondition(lambda self: self.world.server_state == "frozen")
    @rule()
    def thaw_server(self) -> None:
        self.step()
        self.world.thaw_server()

    @precondition(lambda self: self.any_seat(lambda s: s.link_up))
    @rule(student=students)
    def link_down(self, student) -> None:
        self.step()
        if seat := self.seat(student, lambda s: s.link_up):
            self.world.set_link(seat.index, False)
            seat.link_up = False

    @precondition(lambda self: self.any_seat(lambda s: not s.link_up))
    @rule(student=students)
    def link_up(self, student) -> None:
        self.step()
        if seat := self.seat(student, lambda s: not s.link_up):
            self.world.set_link(seat.index, True)
            seat.link_up = True

    # ---------------------------------------------------------------- the deadline

    @precondition(lambda self: self.world.server_state == "up" and not self.paused and not self.closed
                  and self.steps >= ENDING_AFTER and self.any_seat(lambda s: s.state in IN_TEST))
    @rule(student=students, while_online=st.booleans())
    def deadline_passes(self, student, while_online) -> None:
        """Time runs out for the student: with the server down, the attempt's recorded start
        and last-seen times move back together, so the deadline comes right after the
        restart (the app cut off then), or ten seconds later (the app back online by then)."""
        self.step()
        seat = self.seat(student, lambda s: s.state in IN_TEST)
        if seat is None:
            return
        online = while_online and self.online(seat)
        if not online and seat.link_up:
            self.world.set_link(seat.index, False)
        self.world.kill_server()
        f = self.file.read()
        now = int(time.time() * 1000)
        lead = DEADLINE_ONLINE_LEAD_MS if online else DEADLINE_OFFLINE_LEAD_MS
        self.file.set_times(seat.sid, -(self.file.remaining_ms(f.attempts[seat.sid], f, now) - lead))
        self.world.restart_server()
        ready_ms = None
        if online:
            client = seat.app.client
            self.run(wait_for(lambda: client.online and client._ready.is_set(), READY_S, "the app back online"),
                     READY_S + 5)
            ready_ms = int(time.time() * 1000)
        self.run(wait_for(lambda: self.file.read().attempts[seat.sid].state == "finished", lead / 1000 + 10,
                          "invariant 3: the server ending the attempt at its deadline"), lead / 1000 + 15)
        a = self.file.read().attempts[seat.sid]
        if ready_ms is not None and ready_ms < now + lead - 1_000:
            assert not a.offline_at_deadline, "the app was online at the deadline; the server says it was cut off"
            app, sealed = seat.app, sealed_result(a)
            self.run(wait_for(lambda: app.follow() or app.result == sealed, READY_S, "the result pushed at the deadline"),
                     READY_S + 5)
        if not online and seat.link_up:
            self.world.set_link(seat.index, True)
        # Whether the result is sealed yet is the server's to say (was the app back in time?):
        # the model learns it only from the student's own steps, so the rules it enables never
        # depend on timing (hypothesis replays them).
        seat.state = "finished"
