"""Login: login, password, the test type, the interface language and "Кіру"; F9 (or the
button) goes back to choosing the room."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from ..i18n import N_
from .base import StudentScreen

LANGUAGE_NAMES = {"kk": "Қазақша", "ru": "Русский", "en": "English"}


class LoginScreen(StudentScreen):
    # No footer here: the first screen draws fast; the button says its key.
    BINDINGS = [Binding("f9", "change_room", N_("Another room"), id="change_room", show=False)]

    def __init__(self, *, error: str = "", **kwargs):
        super().__init__(**kwargs)
        self.error = error  # why the student is back here (another stream made live)
        self.wait_until = 0.0  # slowed retries: the Log in button waits until then
        self.awaiting = False
        self.checking = False

    def compose(self) -> ComposeResult:
        t = self.t
        with Center():
            with Vertical(id="login-box", classes="card"):
                yield Static(t("Log in to the test"), classes="title")
                yield Static(self.room_text(), id="room-line", classes="muted", markup=False)
                with Horizontal(classes="field"):
                    yield Label(t("Login"), classes="field-label")
                    yield Input(id="login", max_length=40)
                with Horizontal(classes="field"):
                    yield Label(t("Password"), classes="field-label")
                    yield Input(id="password", password=True, max_length=64)
                with Horizontal(classes="field"):
                    yield Label(t("Test type"), classes="field-label")
                    yield Static("◉ " + t("ББЖМ (monitoring)"), id="test-type")
                with Horizontal(classes="field", id="languages"):
                    yield Label(t("Language"), classes="field-label")
                    for code, name in LANGUAGE_NAMES.items():
                        yield Button(name, id=f"lang-{code}", compact=True,
                                     classes="lang -current" if code == self.sapp.t.language else "lang")
                yield Button(t("Log in"), id="login-button", variant="primary")
                yield Static("", id="login-error", classes="error")
                yield Button(t("Another room") + " (F9)", id="change-room", compact=True)

    def room_text(self) -> str:
        hello = self.sapp.hello
        if hello is None:
            return self.t("Connecting to the room…")
        return self.t("School {school}, room {room}, grade {grade}", school=hello.school or "-",
                      room=hello.room or "-", grade=hello.grade)

    @on(Button.Pressed, "#change-room")
    def action_change_room(self) -> None:
        self.sapp.change_room()

    def show_room(self) -> None:
        self.query_one("#room-line", Static).update(self.room_text())

    def on_mount(self) -> None:
        self.query_one("#login", Input).focus()
        self.set_interval(0.5, self._tick)
        if self.error:
            self.show_error(self.error)

    @on(Button.Pressed, ".lang")
    async def _language(self, event: Button.Pressed) -> None:
        code = (event.button.id or "lang-kk").removeprefix("lang-")
        login = self.query_one("#login", Input).value
        password = self.query_one("#password", Input).value
        self.sapp.set_language(code)
        await self.recompose()
        self.query_one("#login", Input).value = login
        self.query_one("#password", Input).value = password
        self.query_one(f"#lang-{code}", Button).focus()

    @on(Input.Submitted, "#login")
    def _to_password(self) -> None:
        self.query_one("#password", Input).focus()

    @on(Input.Submitted, "#password")
    @on(Button.Pressed, "#login-button")
    def _submit(self) -> None:
        if self.sapp.clock.monotonic() < self.wait_until or self.awaiting or self.checking:
            return
        login = self.query_one("#login", Input).value.strip()
        password = self.query_one("#password", Input).value.strip()
        if not login or not password:
            self.show_error(self.t("Type your login and password from the slip."))
            return
        self.checking = True
        self.query_one("#login-button", Button).disabled = True
        self.query_one("#login-error", Static).update(self.t("Checking…"))
        self.sapp.log_in(login, password)

    def show_error(self, text: str, *, clear_password: bool = False, wait_s: float = 0.0) -> None:
        self.awaiting = False
        self.checking = False
        self.query_one("#login-error", Static).update(text)
        if clear_password:
            self.query_one("#password", Input).value = ""
            self.query_one("#password", Input).focus()
        self.wait_until = self.sapp.clock.monotonic() + wait_s if wait_s else 0.0
        self._tick()

    def show_awaiting(self) -> None:
        self.awaiting = True
        self.checking = False
        self.query_one("#login-button", Button).disabled = True
        self.query_one("#login-error", Static).update(
            self.t("You are already logged in on another computer. Raise your hand: the administrator must allow this computer."))

    def _tick(self) -> None:
        button = self.query_one("#login-button", Button)
        left = self.wait_until - self.sapp.clock.monotonic()
        if left > 0:
            button.disabled = True
            button.label = self.t("Wait {seconds} s", seconds=int(left) + 1)
        elif self.wait_until:
            self.wait_until = 0.0
            button.label = self.t("Log in")
            button.disabled = False
        else:
            button.disabled = self.checking or self.awaiting
