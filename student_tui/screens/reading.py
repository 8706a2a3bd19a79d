"""Reading mode: the item's passage or table on the whole screen, scrolled with ↑↓, PgUp and
PgDn, a table's header kept on top; Esc goes back to the item."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Static

from ..i18n import N_
from ..widgets.document import DocumentView
from .base import StudentScreen


class ReadingScreen(StudentScreen):
    BINDINGS = [
        Binding("escape,f6", "back", N_("Back to the item"), id="back", key_display="Esc"),
        Binding("up", "scroll('up')", "↑", show=False),
        Binding("down", "scroll('down')", "↓", show=False),
        Binding("pageup", "scroll('page_up')", N_("Page up"), id="page_up", key_display="PgUp"),
        Binding("pagedown", "scroll('page_down')", N_("Page down"), id="page_down", key_display="PgDn"),
        Binding("home", "scroll('home')", "Home", show=False),
        Binding("end", "scroll('end')", "End", show=False),
    ]
    AUTO_FOCUS = ""  # the document scrolls by this screen's keys

    def __init__(self, title: str, text: str, **kwargs):
        super().__init__(**kwargs)
        self.title_text = title
        self.text = text

    def compose(self) -> ComposeResult:
        yield Static(self.t("Reading: ↑↓ PgUp PgDn scroll, Esc goes back to the item"), id="reading-bar",
                     markup=False)
        yield DocumentView(self.text, self.title_text, id="reading")
        yield Footer()

    @property
    def document(self) -> DocumentView:
        return self.query_one(DocumentView)

    def action_scroll(self, how: str) -> None:
        getattr(self.document, f"scroll_{how}")(animate=False)

    def action_back(self) -> None:
        self.dismiss()
