"""Screens that end the student's part: an explanation a child understands, or "you may leave"."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.widgets import Footer, Static

from .base import StudentScreen


class MessageScreen(StudentScreen):
    """A calm full-screen sentence: the test was ended, this login moved elsewhere, and so on."""

    def __init__(self, title: str, text: str, *, kind: str = "problem", **kwargs):
        super().__init__(**kwargs)
        self.title_text = title
        self.text = text
        self.kind = kind

    def compose(self) -> ComposeResult:
        with Center():
            with Vertical(id="message-box", classes=f"card -{self.kind}"):
                yield Static(self.title_text, classes="title", markup=False)
                yield Static(self.text, id="message-text", markup=False)
        yield Footer()


class LeaveScreen(MessageScreen):
    def __init__(self, **kwargs):
        super().__init__("", "", kind="leave", **kwargs)

    def compose(self) -> ComposeResult:
        self.title_text = self.t("Thank you!")
        self.text = self.t("You have finished. You may leave now. Please leave your login slip on the desk.")
        yield from super().compose()
