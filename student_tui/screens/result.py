"""The result, shown at once: score per subject, total and percent."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Center, Horizontal, Vertical
from textual.widgets import Button, Footer, Static

import room_protocol as p

from .base import StudentScreen


def number(value: float, comma: bool = False) -> str:
    text = str(int(value)) if float(value).is_integer() else f"{value:.1f}"
    return text.replace(".", ",") if comma else text


def percent_text(percent: float, comma: bool) -> str:
    """One decimal, as the exported results have it (62,8 % in Kazakh and Russian)."""
    text = f"{percent:.1f}"
    return (text.replace(".", ",") + " %") if comma else text + "%"


class ResultScreen(StudentScreen):
    def __init__(self, result: p.Result | None, **kwargs):
        super().__init__(**kwargs)
        self.result = result

    def compose(self) -> ComposeResult:
        t = self.t
        result = self.result
        comma = self.sapp.t.language in ("kk", "ru")
        with Center():
            with Vertical(id="result-box", classes="card"):
                yield Static(t("Your result"), classes="title")
                if result is not None and result.reason == "time_over":
                    yield Static(t("The time is over. Your saved answers have been counted."), classes="notice")
                elif result is not None and result.reason == "closed":
                    yield Static(t("The administrator has closed the test. Your saved answers have been counted."),
                                 classes="notice")
                if result is None:
                    yield Static(t("Your test is finished."), classes="muted")
                else:
                    for subject in result.subjects:
                        with Horizontal(classes="data-row"):
                            yield Static(subject.title or subject.subject, classes="result-subject", markup=False)
                            yield Static(f"{number(subject.score, comma)} / {number(subject.max_score, comma)}",
                                         classes="result-score")
                    with Horizontal(classes="data-row total"):
                        yield Static(t("Total"), classes="result-subject")
                        yield Static(f"{number(result.total, comma)} / {number(result.max_total, comma)}",
                                     classes="result-score")
                    with Horizontal(classes="data-row total"):
                        yield Static(t("Percent"), classes="result-subject")
                        yield Static(percent_text(result.percent, comma), classes="result-score", id="percent")
                yield Static(t("Now please answer a short questionnaire."), classes="muted")
                yield Button(t("Go to the questionnaire"), id="questionnaire", variant="primary")
                yield Static("", id="result-error", classes="error")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#questionnaire", Button).focus()

    @on(Button.Pressed, "#questionnaire")
    def _go(self) -> None:
        self.query_one("#questionnaire", Button).disabled = True
        self.start_questionnaire()

    @work(exclusive=True, group="net")
    async def start_questionnaire(self) -> None:
        try:
            questionnaire = await self.sapp.client.questionnaire_start()
        except Exception as exc:
            self.query_one("#questionnaire", Button).disabled = False
            self.query_one("#result-error", Static).update(self.sapp.explain(exc))
            return
        self.sapp.questionnaire_started(questionnaire)
