"""`student-tui`: the student's terminal app, from finding the room to the questionnaire.

It talks to the room server only through `room_client`. The app keeps one `StudentClient`,
reads its pushes in one worker and moves between screens; every failure becomes a sentence
a child understands, with the detail in `student.log` in the state folder.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path
from typing import Any

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from room_client.i18n import Translator

from .clock import FrozenClock, LiveClock
from .pushes import RoomPushes
from .session import RoomSession
from .settings import Settings, default_state_dir, setup_logging

log = logging.getLogger("synaq.student")


class StudentApp(RoomSession, RoomPushes, App):
    """One student's app. Every time a screen shows comes from `clock` (a `LiveClock` by
    default); `frozen_ms` shows that time left everywhere and never moves (snapshots)."""

    CSS_PATH = Path(__file__).parent / "student.tcss"
    TITLE = "Synaq"
    ENABLE_COMMAND_PALETTE = False
    client_headers: dict[str, str] | None = None  # extra handshake headers (set by a browser seat)
    BINDINGS = [Binding("ctrl+q", "request_quit", "Quit", show=False, priority=True, id="quit")]

    def __init__(self, *, server: str | None = None, language: str | None = None, state_dir: Path | None = None,
                 frozen_ms: int | None = None, clock: LiveClock | None = None, discover_timeout: float = 3.0,
                 safe: bool = True):
        super().__init__()
        self.clock = clock or (FrozenClock(frozen_ms) if frozen_ms is not None else LiveClock())
        self.frozen_ms = frozen_ms  # read by the questionnaire screen
        self.state_dir = Path(state_dir) if state_dir else default_state_dir()
        self.log_path = setup_logging(self.state_dir)
        self.settings = Settings.load(self.state_dir)
        if language:
            self.settings.language = language
            self.settings.save(self.state_dir)
        self.t = Translator("student_tui", self.settings.language)
        self.server = server
        self.discover_timeout = discover_timeout
        self.safe = safe
        self.client = None  # StudentClient once connected
        self.hello = None
        self.login_ok = None
        self.student: dict = {}
        self.test = None
        self.last_clock = None
        self.result = None
        self.logged_in = False
        self.shown: list[str] = []  # names of the screens shown, in order (tests and the benchmark)
        self.connected = asyncio.Event()

    # ------------------------------------------------------------------ start and stop

    def on_mount(self) -> None:
        address = self.server or self.settings.address
        if address:
            # The login form at once; the connection is made behind it (after the first paint,
            # so importing the network code does not delay what the student sees).
            from .screens.login import LoginScreen
            self.push_screen(LoginScreen())
            self.call_after_refresh(self.connect_to, address)
        else:
            from .screens.connect import ConnectScreen
            self.push_screen(ConnectScreen(""))

    def on_ready(self) -> None:
        self._exit_on_signals()

    def _exit_on_signals(self) -> None:
        """Closed by the system (a kill, the terminal window closed): leave the terminal as it
        was found, not in raw mode, by exiting the normal way."""
        import signal
        loop = asyncio.get_running_loop()
        for name in ("SIGTERM", "SIGHUP"):
            number = getattr(signal, name, None)
            if number is None:
                continue
            try:
                loop.add_signal_handler(number, self.exit)
            except (NotImplementedError, RuntimeError, ValueError):  # Windows: the console closes it
                pass

    def action_request_quit(self) -> None:
        """Ctrl+Q: quits at once before the test; during it, only after a yes."""
        from .screens.dialogs import ConfirmDialog
        from .screens.test import TestScreen
        if self.find_screen(TestScreen) is None:
            self.exit()
            return
        if isinstance(self.screen, ConfirmDialog):
            return
        self.push_screen(ConfirmDialog(
            self.t("Close the test app? Your saved answers are kept; to go on, start the app again and log in."),
            self.t("Close the app"), self.t("Stay in the test")), lambda yes: self.exit() if yes else None)

    async def on_unmount(self) -> None:
        if self.client is not None:
            try:
                await asyncio.wait_for(self.client.close(), 3)
            except Exception as exc:
                log.info("closing the client: %s", exc)

    def screen_shown(self, screen: Screen) -> None:
        self.shown.append(type(screen).__name__)

    def set_language(self, language: str) -> None:
        self.t.language = language if language in ("kk", "ru", "en") else "kk"
        self.settings.language = self.t.language
        self.settings.save(self.state_dir)

    def log_problem(self, what: str, exc: BaseException | None = None) -> None:
        if exc is not None:
            log.warning("%s: %s", what, exc, exc_info=exc)
        else:
            log.warning("%s", what)

    def _handle_exception(self, error: Exception) -> None:
        """Never a traceback on a child's screen: log it, say something calm, keep going."""
        if not self.safe:
            return super()._handle_exception(error)
        log.error("unexpected error", exc_info=error)
        try:
            self.notify(self.t("Something went wrong on this computer. Raise your hand; your saved answers are safe."),
                        severity="error", timeout=10)
        except Exception:
            pass

    # ------------------------------------------------------------------ screens

    def show(self, screen: Screen) -> None:
        """Replaces everything above the base with `screen` (dialogs and pushed screens go)."""
        while len(self.screen_stack) > 2:
            self.pop_screen()
        self.switch_screen(screen)

    def find_screen(self, kind: type) -> Any:
        for screen in reversed(self.screen_stack):
            if isinstance(screen, kind):
                return screen
        return None

    def remaining_ms(self) -> int:
        return self.clock.remaining_ms(self.client)

    # ------------------------------------------------------------------ where the attempt is

    def route(self, state: str) -> None:
        """Shows the screen for the attempt's state (after login, or a step forward)."""
        from .screens.message import LeaveScreen
        from .screens.personal import DataScreen
        from .screens.result import ResultScreen
        from .screens.rules import RulesScreen

        if state == "confirming":
            self.show(DataScreen())
        elif state in ("rules", "waiting"):
            self.show(RulesScreen(waiting=state == "waiting"))
        elif state in ("testing", "on_break"):
            self.resume_test()
        elif state in ("finished", "questionnaire"):
            sealed = self.login_ok.attempt.result if self.login_ok else None
            if self.result is None and sealed is not None:
                import room_protocol as p
                self.result = p.Result.of(sealed)
            if self.result is None:
                self.fetch_result()  # after sending what this computer still holds
            else:
                self.show(ResultScreen(self.result))
        elif state == "done":
            self.show(LeaveScreen())
        elif state == "removed":
            self.ended()

    @work(exclusive=True, group="net")
    async def fetch_result(self) -> None:
        from .screens.message import MessageScreen
        self.show(MessageScreen(self.t("Your test is finished"),
                                self.t("Sending your last answers and getting your result…")))
        try:
            result = await self.client.result()
        except Exception as exc:
            self.show_problem(self.explain(exc))
            return
        self.show_result(result)

    def resync(self, login_ok) -> None:
        """Logged in again after the link came back: follow the state the server has now,
        so no screen waits for a push that was sent while the link was down."""
        from .screens.rules import RulesScreen
        from .screens.test import TestScreen
        self.login_ok = login_ok
        state = login_ok.attempt.state
        rules = self.find_screen(RulesScreen)
        if rules is not None and state in ("rules", "waiting"):
            if login_ok.attempt.sitting == "open":
                rules.sitting_opened()
        elif state in ("testing", "on_break") and self.find_screen(TestScreen) is not None:
            return  # the test screen goes on; the clock and the answers follow by themselves
        elif state in ("finished", "questionnaire", "done", "removed") or rules is not None:
            if not self._showing_state(state):
                self.route(state)

    def _showing_state(self, state: str) -> bool:
        from .screens.message import LeaveScreen
        from .screens.questionnaire import QuestionnaireIntroScreen, QuestionnaireScreen, ThanksScreen
        from .screens.result import ResultScreen
        kinds = {"finished": (ResultScreen,), "questionnaire": (ResultScreen, QuestionnaireIntroScreen,
                                                                QuestionnaireScreen),
                 "done": (ThanksScreen, LeaveScreen)}.get(state, ())
        return any(self.find_screen(kind) is not None for kind in kinds)

    @work(exclusive=True, group="net")
    async def resume_test(self) -> None:
        import room_protocol as p
        try:
            reply = await self.client.start()
        except Exception as exc:
            self.show_problem(self.explain(exc))
            return
        if isinstance(reply, p.Test):
            self.test_started(reply)

    def test_started(self, test) -> None:
        from .screens.test import TestScreen
        self.test = test
        self.show(TestScreen(test))
        self.follow_clock()

    def show_result(self, result) -> None:
        from .screens.result import ResultScreen
        self.result = result
        self.show(ResultScreen(result))

    def questionnaire_started(self, questionnaire) -> None:
        from .screens.questionnaire import QuestionnaireIntroScreen
        self.show(QuestionnaireIntroScreen(questionnaire))

    def questionnaire_finished(self) -> None:
        from .screens.questionnaire import ThanksScreen
        from .screens.message import LeaveScreen
        if not isinstance(self.screen, (ThanksScreen, LeaveScreen)):
            self.show(ThanksScreen())

    def ended(self) -> None:
        from .screens.message import MessageScreen
        self.show(MessageScreen(self.t("Your test has ended"),
                                self.t("The administrator has ended your test. Please stay in your seat and raise your hand.")))

    def show_problem(self, text: str) -> None:
        from .screens.message import MessageScreen
        self.show(MessageScreen(self.t("Please raise your hand"), text))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            # The message for the student comes from _handle_exception; here the record.
            log.error("worker %s failed", event.worker.name, exc_info=error)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="student-tui", description="Synaq: the student's test app")
    parser.add_argument("--server", help="the room's address HOST:PORT (skips the search on the network)")
    parser.add_argument("--lang", choices=["kk", "ru", "en"], help="the interface language (kept for next time)")
    parser.add_argument("--state-dir", help="where this computer keeps the address, language, journal and log")
    parser.add_argument("--version", action="version", version=f"student-tui {installed_version()}")
    return parser


def installed_version() -> str:
    """The version of whichever distribution installed the app (the student's own, or the full one)."""
    from importlib import metadata
    for name in ("synaq-student", "synaq"):
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return "unknown"


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    app = StudentApp(server=args.server, language=args.lang,
                     state_dir=Path(args.state_dir) if args.state_dir else None)
    try:
        app.run()
    except KeyboardInterrupt:
        return 130
    return app.return_code or 0


if __name__ == "__main__":
    sys.exit(main())
