"""One browser seat: the student app with a web driver that survives a new browser tab.

The settings line (JSON, first line of stdin):
    {"state_dir": "...", "server": "127.0.0.1:8765", "headers": {...}, "width": 80, "height": 24}
After it, stdin carries the web driver's packets (b"D"/b"M", 4-byte big-endian length,
payload) and stdout carries the app's output the same way.

Meta packets this seat adds to Textual's: `{"type": "repaint"}` (a new tab attached: send
the terminal modes and the whole screen again); it writes `{"type": "seat", "drawn": true}`
once its first screen is drawn (the bridge stops counting it as starting) and `{"type": "seat",
"logged_in": true}` once the student has logged in (the bridge stops counting it as idle).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from textual import events
from textual.drivers.web_driver import WebDriver
from textual.geometry import Size

from student_tui.app import StudentApp

SETTINGS_LINE_MAX = 8192


class SeatDriver(WebDriver):
    """Textual's web driver, plus a full repaint on request and an exit when the bridge goes."""

    def start_application_mode(self) -> None:
        self._seat_loop = asyncio.get_running_loop()
        super().start_application_mode()

    def on_meta(self, packet_type: str, payload: dict[str, object]) -> None:
        if packet_type == "repaint":
            self._send_modes()
            self._seat_loop.call_soon_threadsafe(self._repaint)
        elif packet_type == "resize":
            # Posted the way the driver posts its own first 80x24 resize, so they arrive in
            # order: with post_message the tab's size could be overtaken by the 80x24.
            self._size = (int(payload["width"]), int(payload["height"]))
            size = Size(*self._size)
            asyncio.run_coroutine_threadsafe(self._app._post_message(events.Resize(size, size)), loop=self._seat_loop)
        else:
            super().on_meta(packet_type, payload)

    def _send_modes(self) -> None:
        """The terminal modes Textual sets once at start; a new xterm.js has none of them."""
        self.write("\x1b[?1049h")  # alternate screen
        self._enable_mouse_support()
        self.write("\x1b[?25l")  # hide the cursor
        self._enable_bracketed_paste()

    def _repaint(self) -> None:
        screen = self._app.screen
        screen.refresh()  # the whole screen is dirty: the next update is a full one

    def run_input_thread(self) -> None:
        super().run_input_thread()
        if not self.exit_event.is_set():  # stdin closed: the bridge is gone, so is the seat
            from textual import messages
            asyncio.run_coroutine_threadsafe(self._app._post_message(messages.ExitApp()), loop=self._seat_loop)


class SeatApp(StudentApp):
    """The student app as a seat: the web driver, the relay header, a word when logged in."""

    def __init__(self, *, headers: dict[str, str], **kwargs):
        super().__init__(**kwargs)
        self.client_headers = headers

    def get_driver_class(self):
        return SeatDriver

    def screen_shown(self, screen) -> None:
        super().screen_shown(screen)
        if len(self.shown) == 1:  # the first screen: told once it is on the tab
            self.call_after_refresh(self._tell_bridge, drawn=True)

    def logged_in_as(self, login: str, login_ok) -> None:
        super().logged_in_as(login, login_ok)
        self._tell_bridge(logged_in=True)

    def _tell_bridge(self, **facts: bool) -> None:
        driver = self._driver
        if isinstance(driver, WebDriver):
            driver.write_meta({"type": "seat", **facts})

    def action_request_quit(self) -> None:
        """Ctrl+Q would end the seat and leave the tab blank; a browser seat is closed by its tab."""

    def action_quit(self) -> None:
        """The same for Textual's own quit action."""


def preload() -> None:
    """Imports everything a seat will need, so a forked or warm process starts drawing at once."""
    import importlib
    import pkgutil

    import student_tui.screens
    import student_tui.widgets
    for package in (student_tui.screens, student_tui.widgets):
        for module in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{package.__name__}.{module.name}")
    import room_client.student  # noqa: F401
    import room_client.journal  # noqa: F401
    import textual.widgets  # noqa: F401
    from textual.widgets import Button, DataTable, Input, Label, Static  # noqa: F401  (lazily loaded widgets)


def warm_up() -> None:
    """One headless run of the app to its login screen, before any fork: Textual's lazy imports
    and module-level caches (selectors, styles, Rich's) are filled once and shared by every
    seat, instead of being built again in each of 30 seats starting at once."""
    import tempfile

    from student_tui.screens.login import LoginScreen

    class Once(StudentApp):
        def screen_shown(self, screen) -> None:
            super().screen_shown(screen)
            if isinstance(screen, LoginScreen):
                self.call_after_refresh(self.exit)

        def connect_to(self, address: str) -> None:
            """No room to reach here."""

    with tempfile.TemporaryDirectory() as folder:
        Once(server="127.0.0.1:9", state_dir=Path(folder)).run(headless=True, size=(100, 30))


def read_settings_line(fd: int = 0) -> dict:
    """Byte by byte, so no packet after the line is swallowed by a buffer."""
    line = bytearray()
    while len(line) < SETTINGS_LINE_MAX:
        byte = os.read(fd, 1)
        if not byte:
            raise EOFError("the bridge closed before sending the seat's settings")
        if byte == b"\n":
            return json.loads(line.decode("utf-8"))
        line += byte
    raise ValueError("the seat's settings line is too long")


def run_from_stdin() -> int:
    try:
        settings = read_settings_line()
    except (EOFError, ValueError) as exc:
        print(f"seat: {exc}", file=sys.stderr)
        return 2
    return run_seat(settings)


def run_seat(settings: dict) -> int:
    state_dir = Path(settings["state_dir"])
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.environ["COLUMNS"] = str(int(settings.get("width", 80)))
    os.environ["ROWS"] = str(int(settings.get("height", 24)))
    err = os.open(state_dir / "seat-errors.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(err, 2)  # a crash's detail goes to the seat's folder, not the server's console
    os.close(err)
    app = SeatApp(server=settings["server"], state_dir=state_dir, headers=dict(settings.get("headers") or {}))
    app.run()
    return app.return_code or 0
