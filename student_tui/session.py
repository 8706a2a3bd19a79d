"""Reaching the room and logging in (a part of StudentApp): the address, the login and its
refusals, a teacher's or principal's slip (straight to their questionnaire), and a day of
streams (a slip of a stream that is not live, the administrator switching streams)."""

from __future__ import annotations

import asyncio
import logging

from textual import work

from .failures import explain

log = logging.getLogger("synaq.student")

CLIENT_NAME = "synaq-student/1"


class RoomSession:
    @work(exclusive=True, group="connect")
    async def connect_to(self, address: str) -> None:
        from room_client import Offline, ServerError, StudentClient
        from .screens.login import LoginScreen

        try:
            client = StudentClient(address, journal_dir=self.state_dir, client_name=CLIENT_NAME,
                                   headers=self.client_headers, monotonic=self.clock.monotonic)
        except ValueError as exc:
            self.log_problem(f"bad address {address!r}", exc)
            self.connect_failed(address, self.t("This address is not right. It looks like 192.168.1.10:8765."))
            return
        try:
            self.hello = await client.connect()
        except (Offline, ServerError, asyncio.TimeoutError, OSError) as exc:
            self.log_problem(f"cannot connect to {address}", exc)
            await client.close()
            self.connect_failed(address, self.t("The room's computer does not answer at this address. Check the address and the cable, or ask the teacher."))
            return
        if self.client is not None:
            await self.client.close()
        self.client = client
        self.address = address  # remembered once a login here succeeds, not before
        log.info("connected to %s (%s, room %s)", address, self.hello.school, self.hello.room)
        self.pump_events()
        self.connected.set()
        login = self.find_screen(LoginScreen)
        if login is not None:
            login.show_room()
        else:
            self.show(LoginScreen())

    @work(exclusive=True, group="connect")
    async def change_room(self) -> None:
        """Back from the login form to choosing the room (the address is forgotten)."""
        from .screens.connect import ConnectScreen
        client, self.client = self.client, None
        self.connected.clear()
        self.hello = None
        self.settings.address = ""
        self.settings.save(self.state_dir)
        self.show(ConnectScreen(""))
        if client is not None:
            await client.close()

    def connect_failed(self, address: str, text: str) -> None:
        from .screens.connect import ConnectScreen
        screen = self.find_screen(ConnectScreen)
        if screen is None:
            screen = ConnectScreen(address, error=text)
            self.show(screen)
        else:
            screen.show_error(text)

    @work(exclusive=True, group="login")
    async def log_in(self, login: str, password: str) -> None:
        from room_client import Offline, ServerError
        from room_protocol import ErrorCode
        from .screens.login import LoginScreen

        screen = self.find_screen(LoginScreen)
        try:
            await asyncio.wait_for(self.connected.wait(), 15)
        except asyncio.TimeoutError:
            if screen:
                screen.show_error(self.explain(Offline("not connected yet")))
            return
        try:
            login_ok = await self.client.login(login, password, self.settings.device)
        except ServerError as exc:
            log.info("login refused: %s %s", exc.code, exc.reason)
            if screen is None:
                return
            if exc.code == ErrorCode.BAD_LOGIN:
                wait = exc.retry_after_s or 0
                text = self.t("The login or password is not right. Look at your slip and type the password again.")
                if wait:
                    text += " " + self.t.plural("Please wait {n} second before the next try.",
                                                "Please wait {n} seconds before the next try.", int(wait + 0.99))
                screen.show_error(text, clear_password=True, wait_s=wait)
            elif exc.code == ErrorCode.SLOW_DOWN:
                wait = exc.retry_after_s or 5
                screen.show_error(self.t.plural("Too many wrong tries. Please wait {n} second and try again.",
                                                "Too many wrong tries. Please wait {n} seconds and try again.",
                                                int(wait + 0.99)), clear_password=True, wait_s=wait)
            elif exc.code == ErrorCode.AWAITING_APPROVAL:
                screen.show_awaiting()  # the client keeps the login: the approval logs it in
            else:
                screen.show_error(self.explain(exc))  # another stream's slip among them
            return
        except (Offline, asyncio.TimeoutError) as exc:
            self.log_problem("login failed", exc)
            if screen:
                screen.show_error(self.explain(exc))
            return
        self.logged_in_as(login, login_ok)

    def logged_in_as(self, login: str, login_ok) -> None:
        """A student's login goes where their attempt is; a teacher's or principal's slip
        (`staff_ok`) goes to their questionnaire."""
        import room_protocol as p
        self.logged_in = True
        if getattr(self, "address", None) and self.settings.address != self.address:
            self.settings.address = self.address  # the right room: next start comes straight here
            self.settings.save(self.state_dir)
        if isinstance(login_ok, p.StaffOk):
            log.info("logged in as %s (%s)", login, login_ok.audience)
            self.staff_questionnaire(login_ok)
            return
        self.login_ok = login_ok
        self.student = login_ok.student
        log.info("logged in as %s; attempt %s", login, login_ok.attempt.state)
        self.route(login_ok.attempt.state)

    def staff_questionnaire(self, staff_ok) -> None:
        """No personal data and no test: the questionnaire, in the language chosen when the
        centre sent it in more than one."""
        from .screens.message import MessageScreen
        from .screens.questionnaire import QuestionnaireLanguageScreen
        if staff_ok.questionnaire_done:
            self.show(MessageScreen(self.t("Thank you!"), self.t("The questionnaire of this slip has already been answered."),
                                    kind="leave"))
        elif len(staff_ok.languages) > 1:
            self.show(QuestionnaireLanguageScreen(staff_ok.audience, staff_ok.languages))
        elif staff_ok.languages:
            self.start_questionnaire(staff_ok.languages[0])
        else:
            self.show_problem(self.t("The room's computer could not do this. Raise your hand."))

    @work(exclusive=True, group="net")
    async def start_questionnaire(self, language: str = "") -> None:
        """The questionnaire from the room (a teacher or principal names its language)."""
        from .screens.questionnaire import QuestionnaireLanguageScreen
        try:
            questionnaire = await self.client.questionnaire_start(language)
        except Exception as exc:
            choice = self.find_screen(QuestionnaireLanguageScreen)
            if choice is not None:
                choice.show_error(self.explain(exc))  # they may try again
            else:
                self.show_problem(self.explain(exc))
            return
        self.questionnaire_started(questionnaire)

    def stream_changed(self) -> None:
        """The administrator made another stream live: every connection was closed and this
        one comes back by itself. Before a login the form says so (and the room line shows
        the new stream once back); a slip refused earlier as that stream's is logged in by
        the link; a logged-in student learns where they stand from the login made again
        (`not_your_stream`: see `stream_refused`)."""
        from room_protocol import ErrorCode
        from .screens.login import LoginScreen
        login = self.find_screen(LoginScreen)
        if not self.logged_in and login is not None:
            login.show_error(explain(self.t, ErrorCode.STREAM_CHANGED))

    def stream_refused(self, text: str) -> None:
        """The login made again after a switch of streams was refused: this slip's stream is
        not the live one. Waiting at the login, the form says so again; logged in, back to
        the login form with the sentence (a student who has finished keeps their last
        screen). The link logs the slip in by itself once its stream is live."""
        from .screens.login import LoginScreen
        from .screens.message import LeaveScreen
        from .screens.questionnaire import ThanksScreen
        login = self.find_screen(LoginScreen)
        if not self.logged_in:
            if login is not None:
                login.show_error(text)
            return
        if isinstance(self.screen, (ThanksScreen, LeaveScreen)):
            return  # nothing left to do here: a stream switched behind them changes nothing
        self.logged_in, self.login_ok, self.student, self.test, self.result = False, None, {}, None, None
        self.show(LoginScreen(error=text))

    def link_back(self) -> None:
        """Online again: the room may now be another stream's (the login form names it)."""
        from .screens.login import LoginScreen
        hello = self.client.hello if self.client is not None else None
        if hello is not None and hello is not self.hello:
            self.hello = hello
            login = self.find_screen(LoginScreen)
            if login is not None:
                login.show_room()

    def explain(self, exc: BaseException) -> str:
        """A sentence a child understands for any failure (the detail goes to the log)."""
        self.log_problem("a request failed", exc)
        return explain(self.t, exc)
