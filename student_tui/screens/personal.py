"""The student's data to check: test type, surname, name, patronymic, IIN, test language."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Center, Horizontal, Vertical
from textual.widgets import Button, Footer, Static

from ..i18n import N_
from .base import StudentScreen

# The test language named in the interface language ("Kazakh" on an English screen).
TEST_LANGUAGES = {"kk": N_("Kazakh"), "ru": N_("Russian")}


class DataScreen(StudentScreen):
    def compose(self) -> ComposeResult:
        t = self.t
        student = self.sapp.student
        rows = [
            (t("Test type"), t("ББЖМ (monitoring)")),
            (t("Surname"), student.surname),
            (t("Name"), student.name),
            (t("Patronymic"), student.patronymic or "—"),
            (t("IIN"), student.iin),
            (t("Test language"), t(TEST_LANGUAGES[student.test_language])
             if student.test_language in TEST_LANGUAGES else student.test_language),
        ]
        with Center():
            with Vertical(id="data-box", classes="card"):
                yield Static(t("Check your data"), classes="title")
                for label, value in rows:
                    with Horizontal(classes="data-row"):
                        yield Static(label, classes="field-label")
                        yield Static(value, classes="data-value", markup=False)
                with Horizontal(classes="buttons"):
                    yield Button(t("Correct"), id="correct", variant="success")
                    yield Button(t("There is a mistake"), id="mistake", variant="warning")
                yield Static("", id="data-message", classes="notice")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#correct", Button).focus()

    @on(Button.Pressed, "#correct")
    def _correct(self) -> None:
        self.query_one("#correct", Button).disabled = True
        self.confirm()

    @work(exclusive=True, group="net")
    async def confirm(self) -> None:
        try:
            await self.sapp.client.confirm_data()
        except Exception as exc:
            self.query_one("#correct", Button).disabled = False
            self.query_one("#data-message", Static).update(self.sapp.explain(exc))
            return
        self.sapp.route("rules")

    @on(Button.Pressed, "#mistake")
    def _mistake(self) -> None:
        self.report()

    @work(exclusive=True, group="net")
    async def report(self) -> None:
        message = self.query_one("#data-message", Static)
        try:
            await self.sapp.client.report_mistake("")
        except Exception as exc:
            message.update(self.sapp.explain(exc))
            return
        message.update(self.t("The administrator has been told. Raise your hand and wait: they will come to help you."))
        self.add_class("-reported")
