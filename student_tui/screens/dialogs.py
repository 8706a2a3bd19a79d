"""Small questions over the current screen: yes / no, answered with `dismiss(bool)`."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from ..i18n import N_
from .base import StudentDialog


class ConfirmDialog(StudentDialog):
    """A question with a yes button and a no button; Escape means no."""

    BINDINGS = [Binding("escape", "no", N_("Back"), id="no")]

    def __init__(self, text: str, yes: str, no: str, *, focus_yes: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.text = text
        self.yes = yes
        self.no = no
        self.focus_yes = focus_yes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.text, classes="dialog-text", markup=False)
            with Horizontal(classes="buttons"):
                yield Button(self.yes, id="yes", variant="primary")
                yield Button(self.no, id="no")

    def on_mount(self) -> None:
        for button in self.query("#yes" if self.focus_yes else "#no"):
            button.focus()

    @on(Button.Pressed, "#yes")
    def _yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#no")
    def action_no(self) -> None:
        self.dismiss(False)


class BreakOfferDialog(ConfirmDialog):
    """A break is due: take it, or keep working."""

    def __init__(self, minutes: int, *, room: bool, **kwargs):
        super().__init__("", "", "", focus_yes=True, **kwargs)
        self.minutes = minutes
        self.room = room

    def compose(self) -> ComposeResult:
        t = self.t
        if self.room:
            self.text = self.tn("The administrator has announced a break of {n} minute.",
                                "The administrator has announced a break of {n} minutes.", self.minutes)
        else:
            self.text = self.tn("You may take a break of {n} minute now.", "You may take a break of {n} minutes now.",
                                self.minutes)
        self.text += "\n\n" + t("You may stand up, but do not talk about the test. Take the break?")
        self.yes = t("Take a break")
        self.no = t("Keep working")
        yield from super().compose()
