"""Finish testing: unanswered items per subject, the arithmetic example, then the result."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Horizontal, Vertical
from textual.widgets import Button, Footer, Input, Static

from room_client import ServerError
import room_protocol as p

from ..i18n import N_
from .base import StudentScreen


class FinishScreen(StudentScreen):
    BINDINGS = [Binding("escape", "back", N_("Back to the test"), id="back")]

    def __init__(self, test: p.Test, **kwargs):
        super().__init__(**kwargs)
        self.test = test
        self.check: p.FinishCheck | None = None

    def compose(self) -> ComposeResult:
        t = self.t
        with Center():
            with Vertical(id="finish-box", classes="card"):
                yield Static(t("Finish testing"), classes="title")
                yield Static(t("Checking your answers…"), id="unanswered", markup=False)
                yield Static("", id="question", classes="big", markup=False)
                yield Input(id="check", max_length=10, placeholder=t("Answer"))
                with Horizontal(classes="buttons"):
                    yield Button(t("Finish testing"), id="finish", variant="warning", disabled=True)
                    yield Button(t("Back to the test"), id="back")
                yield Static("", id="finish-error", classes="error")
        yield Footer()

    def on_mount(self) -> None:
        self.ask()
        self.query_one("#back", Button).focus()

    @work(exclusive=True, group="net")
    async def ask(self, note: str = "") -> None:
        error = self.query_one("#finish-error", Static)
        try:
            self.check = await self.sapp.client.finish_request()
        except Exception as exc:
            error.update(self.sapp.explain(exc))
            return
        error.update(note)
        titles = {s.id: s.title for s in self.test.subjects}
        lines = []
        for subject_id, count in self.check.unanswered.items():
            title = titles.get(subject_id, subject_id)
            lines.append(f"{title}: " + (self.tn("{n} item unanswered", "{n} items unanswered", count)
                                         if count else self.t("all answered")))
        self.query_one("#unanswered", Static).update("\n".join(lines))
        self.query_one("#question", Static).update(
            self.t("Solve the example to finish: {question} = ?", question=self.check.question))
        self.query_one("#finish", Button).disabled = False
        box = self.query_one("#check", Input)
        box.value = ""
        box.focus()

    @on(Input.Submitted, "#check")
    @on(Button.Pressed, "#finish")
    def _finish(self) -> None:
        if self.check is None:
            return
        answer = self.query_one("#check", Input).value.strip()
        if not answer:
            self.query_one("#finish-error", Static).update(self.t("Type the answer to the example."))
            return
        self.query_one("#finish", Button).disabled = True
        self.finish(answer)

    @work(exclusive=True, group="net")
    async def finish(self, answer: str) -> None:
        try:
            result = await self.sapp.client.finish(answer)
        except ServerError as exc:
            if exc.code == p.ErrorCode.BAD_CHECK:
                self.check = None
                self.ask(self.t("That is not right. Here is a new example."))
                return
            self.query_one("#finish", Button).disabled = False
            self.query_one("#finish-error", Static).update(self.sapp.explain(exc))
            return
        except Exception as exc:
            self.query_one("#finish", Button).disabled = False
            self.query_one("#finish-error", Static).update(self.sapp.explain(exc))
            return
        self.sapp.show_result(result)

    @on(Button.Pressed, "#back")
    def action_back(self) -> None:
        self.dismiss()
