"""The list of incidents recorded in this room; each one viewable in full."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Static

import room_protocol as p

from ..i18n import N_, t
from ..messages import Replied
from .base import SubScreen
from .incident_forms import KIND_TEXT, IncidentView

COLUMNS = [("id", N_("No.")), ("time", N_("Time")), ("kind", N_("Act")), ("student", N_("Student")),
           ("what", N_("What"))]


class IncidentsScreen(SubScreen):
    BINDINGS = [
        Binding("enter", "view", N_("View"), id="view"),
        Binding("r", "reload", N_("Reload"), id="reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.incidents: list[p.IncidentView] = []
        self._seen_events = 0

    def compose(self) -> ComposeResult:
        yield from self.top()
        yield Static(t("Incidents"), classes="screen-title")
        yield Static(t("Loading…"), id="incidents-state")
        yield DataTable(id="incidents", cursor_type="row", zebra_stripes=True)
        yield Footer(compact=True)

    @property
    def table(self) -> DataTable:
        return self.query_one("#incidents", DataTable)

    def on_mount(self) -> None:
        super().on_mount()
        for key, label in COLUMNS:
            self.table.add_column(t(label), key=key)
        self._seen_events = self.app.event_count
        self.watch(self.app, "event_count", self._new_events, init=False)
        self.action_reload()
        self.table.focus()

    def _new_events(self, *_: object) -> None:
        fresh = self.app.events[: self.app.event_count - self._seen_events]
        self._seen_events = self.app.event_count
        if any(event.kind == "incident" for event in fresh):
            self.action_reload()

    def action_reload(self) -> None:
        self.app.act(lambda room: room.incidents(), tag="incidents", reply_to=self)

    @on(Replied)
    def _replied(self, message: Replied) -> None:
        if message.tag != "incidents":
            return
        self.incidents = list(message.reply)
        table = self.table
        row = table.cursor_row
        table.clear()
        for incident in reversed(self.incidents):  # the newest first
            fields = incident.fields
            what = fields.get("item_name") or fields.get("impostor_name") or fields.get("description") or ""
            table.add_row(str(incident.id), self.app.time_text(incident.at_ms, "%H:%M:%S"),
                          t(KIND_TEXT.get(incident.kind, incident.kind)),
                          self.app.student_label(incident.student) or fields.get("student_name") or "—",
                          str(what).splitlines()[0][:60] if what else "", key=str(incident.id))
        if self.incidents:
            table.move_cursor(row=min(row or 0, len(self.incidents) - 1), animate=False)
        self.query_one("#incidents-state", Static).update(
            t("{n} incidents recorded. Enter shows one in full.", n=len(self.incidents)) if self.incidents
            else t("No incidents recorded."))

    @on(DataTable.RowSelected, "#incidents")
    def action_view(self) -> None:
        table = self.table
        if table.row_count == 0:
            return
        key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
        incident = next((i for i in self.incidents if str(i.id) == key), None)
        if incident is not None:
            self.app.push_screen(IncidentView(incident, self.app.student_label(incident.student),
                                              self.app.time_text(incident.at_ms, "%Y-%m-%d %H:%M:%S")))
