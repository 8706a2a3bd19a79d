"""The break: the items are hidden, a countdown runs, "Return to the test" ends it early."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.widgets import Button, Footer, Static

from ..widgets.topbar import clock_text
from .base import StudentScreen


class BreakScreen(StudentScreen):
    def compose(self) -> ComposeResult:
        t = self.t
        with Center():
            with Vertical(id="break-box", classes="card"):
                yield Static(t("Break"), classes="title")
                yield Static(t("You may stand up, but do not talk about the test."), classes="muted")
                yield Static("", id="break-left", classes="big")
                yield Static("", id="test-left", classes="muted")
                yield Button(t("Return to the test"), id="return", variant="primary")
                yield Static("", id="break-error", classes="error")
        yield Footer()

    def on_mount(self) -> None:
        self.tick()
        self.set_interval(0.5, self.tick)
        self.query_one("#return", Button).focus()

    def tick(self) -> None:
        """Both times from the app's one clock (frozen in snapshots: the same picture however
        slow the machine)."""
        left = self.sapp.clock.break_remaining_ms()
        self.query_one("#break-left", Static).update(self.t("Break time left: {time}", time=clock_text(left)))
        self.query_one("#test-left", Static).update(
            self.t("Test time left: {time}", time=clock_text(self.sapp.remaining_ms())))

    @on(Button.Pressed, "#return")
    def _return(self) -> None:
        self.query_one("#return", Button).disabled = True
        self.end_break()

    @work(exclusive=True, group="net")
    async def end_break(self) -> None:
        try:
            await self.sapp.client.end_break()
        except Exception as exc:
            self.query_one("#return", Button).disabled = False
            self.query_one("#break-error", Static).update(self.sapp.explain(exc))
            return
        self.sapp.break_over()
