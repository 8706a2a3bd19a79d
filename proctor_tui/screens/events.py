"""The event log: everything that happened in the room, newest first, by student if asked."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Label, Select, Static


from ..columns import fit
from ..event_text import log_rows
from ..i18n import N_, t
from ..messages import Replied
from ..model import full_name
from .base import SubScreen

LIMIT = 1000  # the server's most; a minute of answers is one line, so this covers hours
# (key, header, width); the details take what is left, so they show at 80 columns too.
COLUMNS = [("time", N_("Time"), 8), ("who", N_("Who"), 20), ("what", N_("What"), 22), ("details", N_("Details"), 0)]


class EventsScreen(SubScreen):
    BINDINGS = [Binding("r", "reload", N_("Reload"), id="reload"),
                Binding("s", "focus_student", N_("Choose student"), id="focus_student")]

    def __init__(self) -> None:
        super().__init__()
        self.student: int | None = None
        self.loaded: list = []  # EventViews from the server, newest first
        self._seen_events = 0
        self._show_timer = None

    def compose(self) -> ComposeResult:
        yield from self.top()
        yield Static(t("Event log (newest first)"), classes="screen-title")
        with Horizontal(id="event-filter"):
            yield Label(t("Student"))
            yield Select([], prompt=t("Everyone"), id="student", compact=True)
        yield DataTable(id="events", cursor_type="row", zebra_stripes=True)
        yield Static("", id="detail")  # the highlighted entry in full (the columns cut long texts)
        yield Footer(compact=True)

    @property
    def table(self) -> DataTable:
        return self.query_one("#events", DataTable)

    def on_mount(self) -> None:
        super().on_mount()
        self._columns_for = 0
        options = [(f"{s.seat}. {full_name(s)} ({s.ikt})", s.student) for s in self.app.model.rows(sort="seat")]
        self.query_one("#student", Select).set_options(options)
        self._seen_events = self.app.event_count
        self.watch(self.app, "event_count", self._new_events, init=False)
        self.action_reload()
        self.table.focus()

    def action_focus_student(self) -> None:
        self.query_one("#student", Select).focus()

    @on(Select.Changed, "#student")
    def _student(self, event: Select.Changed) -> None:
        self.student = None if event.value is Select.BLANK else int(event.value)
        self.action_reload()

    def action_reload(self) -> None:
        student = self.student
        self.app.act(lambda room: room.event_log(student, LIMIT), tag="events", reply_to=self, context=student)

    @on(Replied)
    def _replied(self, message: Replied) -> None:
        if message.tag != "events" or message.context != self.student:
            return
        self.loaded = list(message.reply)
        self._seen_events = self.app.event_count
        self._show()

    def _new_events(self, *_: object) -> None:
        fresh = self.app.events[: max(0, self.app.event_count - self._seen_events)]
        self._seen_events = self.app.event_count
        fresh = [e for e in fresh if self.student is None or e.student == self.student]
        if fresh:
            self.loaded = (fresh + self.loaded)[:LIMIT]
            if self._show_timer is None:  # a burst of events (500 logins) is drawn once a second
                self._show_timer = self.set_timer(1.0, self._show)

    def on_resize(self) -> None:
        if self.loaded and self._columns_for != self.size.width:
            self._show()

    @on(DataTable.RowHighlighted, "#events")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        lines = getattr(self, "lines", [])
        index = event.cursor_row
        if not 0 <= index < len(lines):
            return
        line = lines[index]
        student = self.app.student_label(line.student)
        text = " · ".join(x for x in (self.app.time_text(line.at_ms, "%H:%M:%S"), line.who, student, line.what,
                                      line.details) if x)
        self.query_one("#detail", Static).update(text)

    def _widths(self) -> list[int]:
        fixed = sum(width + 2 for _, _, width in COLUMNS if width)
        return [width or max(20, self.size.width - fixed - 4) for _, _, width in COLUMNS]

    def _show(self) -> None:
        self._show_timer = None
        table = self.table
        row = table.cursor_row
        widths = self._widths()
        if self._columns_for != self.size.width:
            self._columns_for = self.size.width
            table.clear(columns=True)
            for (key, label, _), width in zip(COLUMNS, widths):
                table.add_column(fit(t(label), width), key=key, width=width)
        table.clear()
        time_text = self.app.time_text
        self.lines = log_rows(self.loaded, time_text)
        for index, line in enumerate(self.lines):
            student = self.app.student_label(line.student)
            who = student if line.who == t("student") and student else " · ".join(x for x in (line.who, student) if x)
            table.add_row(*(fit(text, width) for text, width in zip(
                (time_text(line.at_ms, "%H:%M:%S"), who, line.what, line.details), widths)), key=str(index))
        if table.row_count:
            table.move_cursor(row=min(row or 0, table.row_count - 1), animate=False)
