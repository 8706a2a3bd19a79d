"""The day: its streams (which one is live; make another live, add one) and the teachers' and
principals' questionnaire slips with their state.

Both lists come with the sitting (`SittingView.streams`, `.staff`), which the server pushes
when it changes (a sitting opened or closed, a teacher logging in or finishing): the tables
are looked at again only then, and only the cells that differ are drawn again.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Static

from room_protocol import StreamView

from ..day import audience_text, live_stream, next_stream_number, staff_counts, staff_state_text, stream_state_text
from ..i18n import N_, t
from ..messages import Failed, Replied
from ..widgets.status import set_text
from .base import SubScreen
from .dialogs import ConfirmDialog
from .stream_dialogs import AddStreamDialog, switch_text

STREAM_COLUMNS = [("number", N_("Stream")), ("grade", N_("Grade")), ("languages", N_("Languages")),
                  ("students", N_("Students")), ("state", N_("State"))]
STAFF_COLUMNS = [("login", N_("Login")), ("audience", N_("Who")), ("state", N_("Questionnaire"))]


def show_rows(table: DataTable, rows: list[tuple[str, tuple[str, ...]]]) -> None:
    """`rows` (key, cells) in the table: built again when the keys differ, else only the cells
    that changed are updated."""
    keys = [key for key, _ in rows]
    if keys != [str(row.value) for row in table.rows]:
        cursor = table.cursor_row
        table.clear()
        for key, cells in rows:
            table.add_row(*cells, key=key)
        if rows:
            table.move_cursor(row=min(cursor or 0, len(rows) - 1), animate=False)
        return
    columns = [str(column.value) for column in table.columns]
    for key, cells in rows:
        old = table.get_row(key)
        for index, value in enumerate(cells):
            if old[index] != value:
                table.update_cell(key, columns[index], value)


class StreamsScreen(SubScreen):
    BINDINGS = [
        Binding("s", "switch_stream", N_("Make live"), id="switch_stream"),
        Binding("n", "add_stream", N_("Add a stream"), id="add_stream"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.note = ""  # the last switch's or add's outcome, shown under the title
        self.switching_to: int | None = None

    def compose(self) -> ComposeResult:
        yield from self.top()
        yield Static(t("The day's streams"), classes="screen-title")
        yield Static("", id="streams-state")
        yield DataTable(id="streams", cursor_type="row")
        yield Static(t("Teachers and principals (questionnaire)"), classes="screen-title")
        yield Static("", id="staff-counts")
        yield DataTable(id="staff", cursor_type="row", zebra_stripes=True)
        yield Footer(compact=True)

    @property
    def streams_table(self) -> DataTable:
        return self.query_one("#streams", DataTable)

    @property
    def staff_table(self) -> DataTable:
        return self.query_one("#staff", DataTable)

    def on_mount(self) -> None:
        super().on_mount()
        for key, label in STREAM_COLUMNS:
            self.streams_table.add_column(t(label), key=key)
        for key, label in STAFF_COLUMNS:
            self.staff_table.add_column(t(label), key=key)
        self.watch(self.app, "revision", self._day_changed, init=True)
        self.streams_table.focus()

    def _day_changed(self, *_: object) -> None:
        """The sitting (with the streams and the staff) or the link changed."""
        sitting = self.app.model.sitting
        live = live_stream(sitting)
        if self.switching_to is not None and live is not None and live.number == self.switching_to:
            self.note, self.switching_to = "", None  # done: the header and the table say it now
        show_rows(self.streams_table, [
            (str(s.number), (str(s.number), str(s.grade), ", ".join(s.languages), str(s.students),
                             stream_state_text(s))) for s in sitting.streams])
        staff = sorted(sitting.staff, key=lambda m: (m.audience != "principal", m.login))
        show_rows(self.staff_table, [(m.login, (m.login, audience_text(m.audience), staff_state_text(m)))
                                     for m in staff])
        set_text(self.query_one("#staff-counts", Static), staff_counts(sitting.staff))
        self._show_state()
        self.refresh_bindings()

    def _show_state(self) -> None:
        sitting = self.app.model.sitting
        live = live_stream(sitting)
        if live is None:
            text = t("This room is one sitting, not a day of streams: a day is made in an empty folder with "
                     "room-server init --stream N.")
        else:
            text = t("Stream {stream} of {count} is live. s: make the highlighted stream live · n: add a stream",
                     stream=live.number, count=len(sitting.streams))
        set_text(self.query_one("#streams-state", Static), f"{self.note}  {text}" if self.note else text)

    def highlighted(self) -> StreamView | None:
        table = self.streams_table
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
        return next((s for s in self.app.model.sitting.streams if str(s.number) == key), None)

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action in ("switch_stream", "add_stream"):
            return self.app.model.loaded and self.app.online and bool(self.app.model.sitting.streams)
        return True

    # ------------------------------------------------------------------ actions

    @on(DataTable.RowSelected, "#streams")
    def action_switch_stream(self) -> None:
        sitting = self.app.model.sitting
        live, target = live_stream(sitting), self.highlighted()
        if live is None or target is None:
            return
        if target.live:
            self.app.notify(t("Stream {stream} is live already.", stream=target.number), severity="warning")
            return
        number = target.number

        def go(yes: bool | None) -> None:
            if yes:
                self.app.act(lambda room: room.switch_stream(number), tag="switch", reply_to=self, context=number)
        self.app.push_screen(ConfirmDialog(t("Make stream {stream} live?", stream=number), switch_text(target, live),
                                           t("Make stream {stream} live", stream=number), danger=True), go)

    def action_add_stream(self) -> None:
        def added(number: int | None) -> None:
            if number is not None:
                self.note = t("Stream {stream} is added.", stream=number)
                self._show_state()
                self.app.notify(t("Stream {stream} is added: make it live with s when its time comes.",
                                  stream=number))
        self.app.push_screen(AddStreamDialog(next_stream_number(self.app.model.sitting)), added)

    @on(Replied)
    def _replied(self, message: Replied) -> None:
        if message.tag == "switch":
            self.switching_to = message.context
            self.note = t("Stream {stream} is being made live…", stream=message.context)
            self._show_state()

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        if message.tag == "switch":
            self.note = message.error
            self._show_state()

