"""The seating sheet (Annex 4): attendance and login slips for every student."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Static

from room_protocol import SeatView
from room_protocol.rules import is_present

from ..i18n import N_, t
from ..columns import fit
from ..model import full_name
from ..widgets.status import set_text
from .base import SubScreen
from .student_actions import StudentActions

# (key, header, width; None: only from 120 columns). The slips and attendance always fit at 80.
COLUMNS = [("seat", N_("Seat"), 4), ("ikt", N_("IKT"), 7), ("name", N_("Name"), 22), ("class", N_("Class"), None),
           ("language", N_("Language"), None), ("attendance", N_("Attendance"), 14), ("handed", N_("Slip out"), 8),
           ("collected", N_("Slip back"), 8), ("reason", N_("Reason"), None), ("document", N_("Document"), None)]
WIDE = 120


def attendance_text(seat: SeatView) -> str:
    if seat.status == "absent":
        return t("absent")
    if is_present(seat.present, seat.logged_in):
        return t("present, late") if seat.late else t("present")
    return "—"


class SeatingScreen(StudentActions, SubScreen):
    BINDINGS = [
        Binding("a", "attendance", N_("Attendance"), id="attendance"),
        Binding("L", "late", N_("Late"), id="late", show=False),  # also in the attendance dialog
        Binding("h", "slip_handed", N_("Slip out"), id="slip_handed"),
        Binding("c", "slip_collected", N_("Slip back"), id="slip_collected"),
        Binding("H", "hand_all", N_("All out"), id="hand_all"),
        Binding("C", "collect_all", N_("All back"), id="collect_all"),
    ]

    def compose(self) -> ComposeResult:
        yield from self.top()
        yield Static(t("Seating sheet (Annex 4)"), classes="screen-title")
        yield Static("", id="counts")
        yield DataTable(id="seating", cursor_type="row", zebra_stripes=True)
        yield Footer(compact=True)

    @property
    def table(self) -> DataTable:
        return self.query_one("#seating", DataTable)

    def on_mount(self) -> None:
        super().on_mount()
        self.watch(self.app, "revision", self._rebuild, init=True)
        self.table.focus()

    def _columns(self) -> list[tuple[str, str, int | None]]:
        wide = self.size.width >= WIDE
        return [(key, label, width) for key, label, width in COLUMNS if width is not None or wide]

    def on_resize(self) -> None:
        if [c[0] for c in self._columns()] != [str(k.value) for k in self.table.columns]:
            self._rebuild()

    def _row(self, seat: SeatView) -> tuple:
        yes, no = t("yes"), "—"
        values = {"seat": str(seat.seat), "ikt": seat.ikt, "name": full_name(seat), "class": seat.class_label,
                  "language": seat.language, "attendance": attendance_text(seat), "reason": seat.absent_reason,
                  "document": seat.absent_document, "handed": yes if seat.slip_handed else no,
                  "collected": yes if seat.slip_collected else no}
        return tuple(fit(values[key], width) if width else values[key] for key, _, width in self._columns())

    def _rebuild(self, *_: object) -> None:
        """Every row again: after a snapshot (on connect, after a reconnect)."""
        seats = self.app.model.rows(sort="seat")
        table = self.table
        row = table.cursor_row
        columns = self._columns()
        if [c[0] for c in columns] != [str(k.value) for k in table.columns]:
            table.clear(columns=True)
            for key, label, width in columns:
                table.add_column(fit(t(label), width) if width else t(label), key=key, width=width)
        table.clear()
        for seat in seats:
            table.add_row(*self._row(seat), key=str(seat.student))
        if seats:
            table.move_cursor(row=min(row or 0, len(seats) - 1), animate=False)
        self._show_counts()

    def seats_changed(self, students: set[int]) -> None:
        """Only the changed students' cells."""
        table = self.table
        keys = [key for key, _, _ in self._columns()]
        for student in students:
            seat = self.app.model.seat(student)
            if seat is None or str(student) not in table.rows:
                self._rebuild()
                return
            old = table.get_row(str(student))
            for index, value in enumerate(self._row(seat)):
                if old[index] != value:
                    table.update_cell(str(student), keys[index], value)
        self._show_counts()

    def _show_counts(self) -> None:
        s = self.app.model.summary()
        text = t("Registered {registered} · present {present} · absent {absent} · slips handed out {handed} · "
                 "collected {collected}", registered=s.registered, present=s.present, absent=s.absent,
                 handed=s.slips_handed, collected=s.slips_collected)
        if s.slips_handed != s.slips_collected:
            text += "  ·  " + t("{n} slips still to collect", n=s.slips_handed - s.slips_collected)
        set_text(self.query_one("#counts", Static), text)

    def selected(self) -> SeatView | None:
        table = self.table
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
        return self.app.model.seat(int(key))
