"""The questionnaire: a first screen (no right or wrong answers, confidential), the questions
with their own timer, then "Thank you". The answers stay on this computer until "Finish"
(said first how many questions are left unanswered, if any) or the time is over: then they
are sealed here to the analysis centre's key and sent once. A teacher or principal first
chooses the questionnaire's language when the centre sent it in more than one."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Footer, Input, Markdown, Static

import room_protocol as p
from room_client import ServerError
from room_protocol import ErrorCode
from room_protocol.rules import MAX_QUESTIONNAIRE_TEXT

from ..i18n import N_
from ..texts import CONFIDENTIAL
from ..widgets.answers import AnswerChanged, ChoiceAnswer
from ..widgets.topbar import TimeLeft
from .base import StudentScreen
from .personal import TEST_LANGUAGES
from .test import ItemScroll


# A teacher's or principal's questionnaire, named before its language is chosen.
AUDIENCE_TITLES = {"teacher": N_("Teacher's questionnaire"), "principal": N_("School principal's questionnaire")}


class QuestionnaireLanguageScreen(StudentScreen):
    """A teacher's or principal's first screen (no personal data, no test): the language of
    their questionnaire, among those the analysis centre sent."""

    def __init__(self, audience: str, languages: list[str], **kwargs):
        super().__init__(**kwargs)
        self.audience = audience
        self.languages = list(languages)

    def compose(self) -> ComposeResult:
        t = self.t
        with Center():
            with Vertical(id="q-language-box", classes="card"):
                yield Static(t(AUDIENCE_TITLES[self.audience]) if self.audience in AUDIENCE_TITLES
                             else t("Questionnaire"), classes="title")
                yield Static(t("Choose the language of the questionnaire."))
                with Horizontal(classes="buttons"):
                    for code in self.languages:
                        name = t(TEST_LANGUAGES[code]) if code in TEST_LANGUAGES else code
                        yield Button(name, name=code, classes="q-language", variant="primary")
                yield Static("", id="q-language-error", classes="error")

    def on_mount(self) -> None:
        buttons = list(self.query(".q-language").results(Button))
        same = [button for button in buttons if button.name == self.sapp.t.language]  # the interface's, if offered
        (same or buttons)[0].focus()

    @on(Button.Pressed, ".q-language")
    def _chosen(self, event: Button.Pressed) -> None:
        for button in self.query(".q-language").results(Button):
            button.disabled = True
        self.sapp.start_questionnaire(event.button.name or "")

    def show_error(self, text: str) -> None:
        """The questionnaire did not come (the link, the room): say so and let them try again."""
        self.query_one("#q-language-error", Static).update(text)
        for button in self.query(".q-language").results(Button):
            button.disabled = False


class QuestionnaireIntroScreen(StudentScreen):
    def __init__(self, questionnaire: p.QuestionnaireOut, **kwargs):
        super().__init__(**kwargs)
        self.questionnaire = questionnaire
        self.arrived = self.sapp.clock.monotonic()  # its time runs from here, as the server's does

    def compose(self) -> ComposeResult:
        t = self.t
        q = self.questionnaire
        with Vertical(id="q-intro"):
            yield Static(q.title, classes="title", markup=False)
            yield Static(t(CONFIDENTIAL), classes="notice", id="confidential")
            with VerticalScroll(id="q-intro-text"):
                yield Markdown(q.intro)
                yield Static(t("{count} questions, {minutes} minutes.", count=len(q.questions), minutes=q.minutes),
                             classes="muted")
            yield Button(t("Begin"), id="begin", variant="primary")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#begin", Button).focus()

    @on(Button.Pressed, "#begin")
    def _begin(self) -> None:
        self.app.switch_screen(QuestionnaireScreen(self.questionnaire, arrived=self.arrived))


class QuestionText(Vertical):
    """A text answer to a questionnaire question, sent on Enter or when moving on."""

    DEFAULT_CSS = "QuestionText { height: auto; } QuestionText Input { width: 60; max-width: 100%; }"

    def __init__(self, value, **kwargs):
        super().__init__(**kwargs)
        self.saved = value if isinstance(value, str) else ""

    def compose(self) -> ComposeResult:
        yield Input(self.saved, max_length=MAX_QUESTIONNAIRE_TEXT)

    def focus(self, scroll_visible: bool = True):
        self.query_one(Input).focus(scroll_visible)
        return self

    def commit(self) -> None:
        text = self.query_one(Input).value.strip()
        if text != self.saved:
            self.saved = text
            self.post_message(AnswerChanged(self.id or "", text or None))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.commit()


class QuestionnaireScreen(StudentScreen):
    BINDINGS = [
        Binding("left,pageup", "move(-1)", N_("Previous"), id="prev"),
        Binding("right,pagedown", "move(1)", N_("Next"), id="next"),
        Binding("f10", "done", N_("Finish the questionnaire"), id="done"),
    ]

    def __init__(self, questionnaire: p.QuestionnaireOut, *, arrived: float | None = None, **kwargs):
        super().__init__(**kwargs)
        self.q = questionnaire
        self.index = 0
        self.values: dict[str, object] = {}
        self.anchor = self.sapp.clock.monotonic() if arrived is None else arrived
        self.sending = False  # sealed and on its way: sent once

    def compose(self) -> ComposeResult:
        t = self.t
        with Horizontal(id="q-bar"):
            yield TimeLeft(id="q-time")
            yield Static("", id="q-count")
        with ItemScroll(id="q-scroll"):
            yield Markdown("", id="q-text")
            yield Vertical(id="q-answer")
        with Horizontal(id="nav"):
            yield Button("◀ " + t("Previous"), id="prev", compact=True)
            yield Button(t("Next") + " ▶", id="next", compact=True)
            yield Button(t("Finish the questionnaire"), id="done", compact=True, variant="success")
        yield Static("", id="q-error", classes="error")
        yield Footer()

    async def on_mount(self) -> None:
        await self.show(0)
        self.tick()
        self.set_interval(0.5, self.tick)

    def remaining_ms(self) -> int:
        if self.sapp.frozen_ms is not None:
            return self.sapp.frozen_ms
        return max(0, self.q.remaining_ms - int((self.sapp.clock.monotonic() - self.anchor) * 1000))

    def tick(self) -> None:
        left = self.remaining_ms()
        self.query_one("#q-time", TimeLeft).show_ms(self.t("Time left"), left)
        if left <= 0 and not self.sending:
            self._commit()  # the time is over: what was answered goes, typed text included
            self.finish()

    def _commit(self) -> None:
        """Typed text counts as answered now (not when its message arrives: Finish reads it next)."""
        for box in self.query(QuestionText):
            box.commit()
            if box.id:
                self.values[box.id] = box.saved or None

    async def show(self, index: int) -> None:
        self._commit()
        self.index = max(0, min(index, len(self.q.questions) - 1))
        question = self.q.questions[self.index]
        self.query_one("#q-count", Static).update(
            self.t("Question {n} of {count}", n=self.index + 1, count=len(self.q.questions)))
        await self.query_one("#q-text", Markdown).update(question.text)
        slot = self.query_one("#q-answer", Vertical)
        await slot.remove_children()
        value = self.values.get(question.id)
        if question.kind in ("choice", "multi"):
            multiple = question.kind == "multi"
            letters = ([chr(65 + v) for v in value] if multiple and isinstance(value, list)
                       else chr(65 + value) if isinstance(value, int) else None)
            widget = ChoiceAnswer(question.options, letters, multiple=multiple, item_id=question.id)
        else:
            widget = QuestionText(value, id=question.id)
        await slot.mount(widget)
        widget.focus()
        last = self.index == len(self.q.questions) - 1
        self.query_one("#next", Button).display = not last
        self.query_one("#prev", Button).disabled = self.index == 0

    @on(AnswerChanged)
    def _answered(self, event: AnswerChanged) -> None:
        event.stop()
        question = next((x for x in self.q.questions if x.id == event.item), None)
        if question is None:
            return
        value = event.value
        if question.kind == "choice":
            value = ord(value) - 65 if isinstance(value, str) else None
        elif question.kind == "multi":
            value = [ord(v) - 65 for v in value] if value else None
        self.values[event.item] = value  # kept here: nothing leaves this computer until it is sealed

    async def action_move(self, step: int) -> None:
        target = self.index + step
        if 0 <= target < len(self.q.questions):
            await self.show(target)

    @on(Button.Pressed, "#prev")
    async def _prev(self) -> None:
        await self.action_move(-1)

    @on(Button.Pressed, "#next")
    async def _next(self) -> None:
        await self.action_move(1)

    @on(Button.Pressed, "#done")
    def action_done(self) -> None:
        """Finish: with questions left unanswered, only after saying how many."""
        from .dialogs import ConfirmDialog
        self._commit()
        missing = sum(1 for question in self.q.questions if self.values.get(question.id) is None)
        if not missing:
            self.finish()
            return
        text = self.tn("{n} question is not answered.", "{n} questions are not answered.", missing) + " " + \
            self.t("Finish the questionnaire now?")
        self.app.push_screen(ConfirmDialog(text, self.t("Finish the questionnaire"), self.t("Back to the questions")),
                             lambda yes: self.finish() if yes else None)

    @work(exclusive=True, group="net")
    async def finish(self) -> None:
        if self.sending:
            return
        self.sending = True
        answers = {question: value for question, value in self.values.items() if value is not None}
        try:
            await self.sapp.client.questionnaire_submit(self.q, answers)
        except ServerError as exc:
            if exc.code == ErrorCode.ALREADY_DONE:  # it arrived before; its reply was lost with the link
                self.sapp.questionnaire_finished()
                return
            self.query_one("#q-error", Static).update(self.sapp.explain(exc))  # refused: again would not help
            return
        except Exception as exc:
            self.sending = False  # not sent (the link): sent again at the next Finish, or tick at time over
            self.query_one("#q-error", Static).update(self.sapp.explain(exc))
            return
        self.sapp.questionnaire_finished()


class ThanksScreen(StudentScreen):
    BINDINGS = [Binding("enter", "leave", N_("Continue"), id="continue")]

    def compose(self) -> ComposeResult:
        t = self.t
        with Center():
            with Vertical(id="thanks-box", classes="card"):
                yield Static(t("Thank you!"), classes="title")
                yield Static(t("Your answers to the questionnaire are saved."), classes="muted")
                yield Button(t("Continue"), id="continue", variant="primary")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#continue", Button).focus()

    @on(Button.Pressed, "#continue")
    def action_leave(self) -> None:
        from .message import LeaveScreen
        self.app.switch_screen(LeaveScreen())
