"""What the room server pushes to the student app, and what the app does with it: answers
saved, the link lost and back, the clock (breaks, the pause), the sitting opening, the
result, the end of the test, another stream made live (a part of StudentApp)."""

from __future__ import annotations

import logging

from textual import work
from textual.screen import Screen

log = logging.getLogger("synaq.student")


class RoomPushes:
    @work(exclusive=True, group="events")
    async def pump_events(self) -> None:
        client = self.client
        while True:
            event = await client.events.get()
            if client is not self.client:
                return
            try:
                self.handle_event(event)
            except Exception as exc:  # one bad event must not stop the pump
                self.log_problem(f"handling {type(event).__name__}", exc)

    def handle_event(self, event) -> None:
        import room_protocol as p
        from room_client import Acked, Connection, ServerError
        from room_protocol import ErrorCode
        from .screens.login import LoginScreen
        from .screens.rules import RulesScreen
        from .screens.test import TestScreen

        test_screen = self.find_screen(TestScreen)
        if isinstance(event, Acked):
            if test_screen:
                test_screen.refresh_states()
        elif isinstance(event, Connection):
            log.info("connection %s %s", "online" if event.online else "offline", event.reason)
            if event.online:
                self.link_back()
            if test_screen:
                test_screen.refresh_states()
            rules = self.find_screen(RulesScreen)
            if rules is not None:
                rules.link_changed(event.online)
        elif isinstance(event, p.Clock):
            self.last_clock = event
            self.follow_clock()
        elif isinstance(event, p.SittingNow):
            rules = self.find_screen(RulesScreen)
            if event.state == "open" and rules is not None:
                rules.sitting_opened()
        elif isinstance(event, p.Ended):
            self.ended()
        elif isinstance(event, p.Result):
            if test_screen is not None:
                test_screen.commit_all()  # typed but not sent: it goes now (counted if still in time)
            self.show_result(event)
        elif isinstance(event, p.Done):
            self.questionnaire_finished()
        elif isinstance(event, p.Approval):
            login = self.find_screen(LoginScreen)
            if not event.approved and login is not None:
                login.show_error(self.t("The administrator did not allow this login. Raise your hand."))
        elif isinstance(event, p.LoginOk):
            if not self.logged_in and self.client.credentials:  # approved, or its stream made live
                self.logged_in_as(self.client.credentials.login, event)
            else:
                self.resync(event)
        elif isinstance(event, p.Error):
            log.warning("the server ended this connection: %s %s", event.code, event.reason)
            if event.code == ErrorCode.REMOVED:
                self.ended()
            elif event.code == ErrorCode.REPLACED:
                self.show_problem(self.t("You have logged in on another computer, so this one has stopped. Raise your hand if this is a mistake."))
            elif event.code == ErrorCode.REFUSED:
                self.show_problem(self.t("The administrator did not allow this login. Raise your hand."))
            elif event.code == ErrorCode.STREAM_CHANGED:
                self.stream_changed()
        elif isinstance(event, ServerError):
            self.server_error(event)

    def server_error(self, exc) -> None:
        from room_protocol import ErrorCode
        log.warning("the server refused: %s %s", exc.code, exc.reason)
        if exc.code == ErrorCode.REMOVED:
            self.ended()
        elif exc.code == ErrorCode.NOT_YOUR_STREAM:  # logged in again after a switch of streams
            self.stream_refused(self.explain(exc))
        elif exc.code == ErrorCode.AWAITING_APPROVAL:
            self.show_problem(self.t("You are already logged in on another computer. Raise your hand: the administrator must allow this computer."))
        elif exc.code in (ErrorCode.TIME_OVER, ErrorCode.WRONG_STATE) and self.test is not None:
            self.notify(self.t("The time is over, so this answer was not counted."), severity="warning", timeout=8)
        else:
            self.notify(self.explain(exc), severity="warning", timeout=8)
        from .screens.test import TestScreen
        screen = self.find_screen(TestScreen)
        if screen:
            screen.refresh_states()

    def follow_clock(self) -> None:
        """The server's clock decides: breaks taken and over, the break offer (a line on the
        test screen, never a window over the student's typing) and the pause."""
        from .screens.breaks import BreakScreen
        from .screens.dialogs import BreakOfferDialog
        from .screens.test import TestScreen

        clock = self.last_clock
        test_screen = self.find_screen(TestScreen)
        if clock is None or test_screen is None:
            return
        self.clock.heard(clock)
        on_break = self.find_screen(BreakScreen)
        if clock.state == "on_break":
            if on_break is None:
                self.show_above_test(BreakScreen())
            else:
                on_break.tick()
            return
        if on_break is not None and clock.state == "testing":
            self.break_over()
        offer = self.find_screen(BreakOfferDialog)
        if offer is not None and not test_screen.break_due:
            offer.dismiss(None)  # the break's time has passed
        test_screen.tick()

    def offer_break(self) -> None:
        """F8 on the test screen while a break is due: take it?"""
        from .screens.dialogs import BreakOfferDialog
        clock = self.last_clock
        if clock is None or self.find_screen(BreakOfferDialog) is not None:
            return
        minutes = self.test.timing.break_minutes if self.test else 10
        self.push_screen(BreakOfferDialog(minutes, room=clock.room_break),
                         lambda take: self.take_break() if take else None)

    def show_above_test(self, screen: Screen) -> None:
        from .screens.test import TestScreen
        while len(self.screen_stack) > 2 and not isinstance(self.screen, TestScreen):
            self.pop_screen()
        self.push_screen(screen)

    @work(exclusive=True, group="net")
    async def take_break(self) -> None:
        try:
            await self.client.take_break()
        except Exception as exc:
            self.notify(self.explain(exc), severity="warning", timeout=8)

    def break_over(self) -> None:
        from .screens.breaks import BreakScreen
        from .screens.test import TestScreen
        if self.find_screen(BreakScreen) is None:
            return
        while len(self.screen_stack) > 2 and not isinstance(self.screen, TestScreen):
            self.pop_screen()
        screen = self.find_screen(TestScreen)
        if screen is not None:
            screen.refresh_states()

