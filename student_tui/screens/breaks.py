"""The break: the items are hidden, a countdown runs, "Return to the test" ends it early."""

from __future__ import annotations

import time

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.widgets import Button, Footer, Static

from ..widgets.topbar import clock_text
from .base import StudentScreen


class BreakScreen(StudentScreen):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.break_ms = 0
        self.anchor = time.monotonic()

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
        self.follow_clock()
        self.tick()
        self.set_interval(0.5, self.tick)
        self.query_one("#return", Button).focus()

    def follow_clock(self) -> None:
        clock = self.sapp.last_clock
        if clock is not None and clock.break_remaining_ms is not None:
            self.break_ms = clock.break_remaining_ms
            self.anchor = time.monotonic()

    def tick(self) -> None:
        if self.sapp.frozen_ms is not None:
            left = self.sapp.frozen_ms
        else:
            left = max(0, self.break_ms - int((time.monotonic() - self.anchor) * 1000))
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
