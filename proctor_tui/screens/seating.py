"""The seating sheet (Annex 4): attendance and login slips for every student."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Static

from room_protocol.rules import is_present

from ..i18n import N_, t
from ..model import full_name
from .base import SubScreen
from .room import StudentActions

COLUMNS = [("seat", N_("Seat")), ("ikt", N_("IKT")), ("name", N_("Name")), ("class", N_("Class")),
           ("language", N_("Language")), ("attendance", N_("Attendance")), ("reason", N_("Reason")),
           ("document", N_("Document")), ("handed", N_("Slip handed")), ("collected", N_("Slip collected"))]


class SeatingScreen(StudentActions, SubScreen):
    BINDINGS = [
        Binding("a", "attendance", N_("Attendance"), id="attendance"),
        Binding("h", "slip_handed", N_("Slip handed"), id="slip_handed"),
        Binding("c", "slip_collected", N_("Slip collected"), id="slip_collected"),
        Binding("H", "hand_all", N_("Hand out all slips"), id="hand_all"),
    ]

    def compose(self) -> ComposeResult:
        yield from self.top()
        yield Static(t("Seating sheet (Annex 4)"), classes="screen-title")
        yield Static("", id="counts")
        yield DataTable(id="seating", cursor_type="row", zebra_stripes=True)
        yield Footer()

    @property
    def table(self) -> DataTable:
        return self.query_one("#seating", DataTable)

    def on_mount(self) -> None:
        super().on_mount()
        for key, label in COLUMNS:
            self.table.add_column(t(label), key=key)
        self.watch(self.app, "revision", self._redraw, init=True)
        self.table.focus()

    def _redraw(self, *_: object) -> None:
        model = self.app.model
        seats = model.rows(sort="seat")
        table = self.table
        row = table.cursor_row
        table.clear()
        yes, no = t("yes"), "—"
        for seat in seats:
            if seat.status == "absent":
                attendance = t("absent")
            elif is_present(seat.present, seat.logged_in):
                attendance = t("present")
            else:
                attendance = "—"
            table.add_row(str(seat.seat), seat.ikt, full_name(seat), seat.class_label,
                          seat.language, attendance, seat.absent_reason,
                          seat.absent_document, yes if seat.slip_handed else no,
                          yes if seat.slip_collected else no, key=str(seat.student))
        if seats:
            table.move_cursor(row=min(row or 0, len(seats) - 1), animate=False)
        s = model.summary()
        self.query_one("#counts", Static).update(
            t("Registered {registered} · present {present} · absent {absent} · slips handed out {handed} · "
              "collected {collected}", registered=s.registered, present=s.present, absent=s.absent,
              handed=s.slips_handed, collected=s.slips_collected)
            + ("" if s.slips_handed == s.slips_collected else "  ·  " + t("{n} slips still to collect",
                                                                         n=s.slips_handed - s.slips_collected)))

    def selected(self) -> dict | None:
        table = self.table
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
        return self.app.model.seat(int(key))

    def action_hand_all(self) -> None:
        """The slips go out in the order of the list; an absent student's slip is put aside."""
        for seat in self.app.model.rows(sort="seat"):
            if seat.status != "absent" and not seat.slip_handed:
                self.app.act(lambda room, student=seat.student: room.slips(student, handed=True), tag="slips")
        self.app.notify(t("Every present student's slip is marked handed out."))
