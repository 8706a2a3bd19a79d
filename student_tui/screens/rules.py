"""The rules, "I agree" and "Start testing"; until the administrator opens the test, "please wait"."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Checkbox, Footer, Markdown, Static

import room_protocol as p

from ..texts import RULES
from .base import StudentScreen


class RulesScreen(StudentScreen):
    def __init__(self, *, waiting: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.waiting = waiting

    def compose(self) -> ComposeResult:
        t = self.t
        attempt = self.sapp.login_ok.attempt if self.sapp.login_ok else None
        minutes = attempt.total_minutes if attempt else 0
        # The pack's own rules (in the test language) when it has them; the app's otherwise.
        rules = (attempt.rules if attempt else "") or \
            t(RULES).replace("{duration}", self.tn("{n} minute", "{n} minutes", minutes))
        with Vertical(id="rules-box"):
            yield Static(t("Rules of the test"), classes="title")
            with VerticalScroll(id="rules-text"):
                yield Markdown(rules)
            with Horizontal(classes="buttons"):
                yield Checkbox(t("I agree"), id="agree", value=self.waiting)
                yield Button(t("Start testing"), id="start", variant="success", disabled=not self.waiting)
            yield Static("", id="agree-hint", classes="muted")
            yield Static(t("Please wait: the administrator will open the test soon."), id="wait-note",
                         classes="notice")
            yield Static("", id="wait-link", classes="error")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#wait-link", Static).display = False
        self.set_class(self.waiting, "-waiting")
        self.query_one("#agree", Checkbox).focus()
        if self.waiting:
            self.begin()

    @on(Checkbox.Changed, "#agree")
    def _agree(self, event: Checkbox.Changed) -> None:
        self.query_one("#start", Button).disabled = not event.value or self.waiting
        self.query_one("#agree-hint", Static).update(
            self.t("Now press “Start testing”.") if event.value and not self.waiting else "")
        if event.value:
            self.query_one("#start", Button).focus()

    @on(Button.Pressed, "#start")
    def _start(self) -> None:
        self.query_one("#start", Button).disabled = True
        self.begin()

    def sitting_opened(self) -> None:
        if self.waiting:
            self.begin()

    def link_changed(self, online: bool) -> None:
        """While waiting: say when the room's computer is out of reach (it will start on
        its own once the link is back and the test is open)."""
        note = self.query_one("#wait-link", Static)
        note.update("" if online else self.t("No connection to the room's computer. Please wait; raise your hand if this lasts."))
        note.display = not online

    @work(exclusive=True, group="net")
    async def begin(self) -> None:
        try:
            reply = await self.sapp.client.start()
        except Exception as exc:
            self.query_one("#start", Button).disabled = False
            self.query_one("#wait-note", Static).update(self.sapp.explain(exc))
            self.add_class("-waiting")
            return
        if isinstance(reply, p.Waiting):
            self.waiting = True
            self.add_class("-waiting")
            self.query_one("#start", Button).disabled = True
            self.query_one("#agree-hint", Static).update("")  # pressed already: now only "please wait"
            return
        self.sapp.test_started(reply)
