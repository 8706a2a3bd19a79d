"""The live room table: one row per student, updated cell by cell as seats change."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from ..i18n import N_, t
from room_protocol.rules import AFTER_TEST, IN_TEST

from ..model import RoomModel, alerts_text, format_remaining, full_name, is_offline, short_name, status_text

COLUMNS = [
    ("seat", N_("Seat")),
    ("ikt", N_("IKT")),
    ("name", N_("Name")),
    ("variant", N_("V.")),
    ("status", N_("Status")),
    ("alerts", N_("Alerts")),
    ("answered", N_("Answered")),
    ("remaining", N_("Time left")),
    ("connection", N_("Connection")),
    ("subject", N_("Subject")),
]
WIDE = 140  # columns from which full names, the subject and long texts are shown


class RoomTable(DataTable):
    """Alerts, offline students and status stand out through component classes (themable)."""

    COMPONENT_CLASSES = {
        "room-table--alert",
        "room-table--offline",
        "room-table--online",
        "room-table--muted",
        "room-table--testing",
        "room-table--break",
        "room-table--done",
        "room-table--removed",
        "room-table--waiting",
    }

    DEFAULT_CSS = """
    RoomTable { height: 1fr; }
    RoomTable > .room-table--alert { color: $text-error; text-style: bold reverse; }
    RoomTable > .room-table--offline { color: $text-warning; text-style: bold; }
    RoomTable > .room-table--online { color: $text-success; }
    RoomTable > .room-table--muted { color: $text-muted; }
    RoomTable > .room-table--testing { color: $text-primary; }
    RoomTable > .room-table--break { color: $text-accent; text-style: bold; }
    RoomTable > .room-table--done { color: $text-success; }
    RoomTable > .room-table--removed { color: $text-error; text-style: strike; }
    RoomTable > .room-table--waiting { color: $text-warning; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self._order: list[str] = []
        self._wide = False
        self._cells: dict[str, tuple] = {}

    def on_mount(self) -> None:
        self._columns_for(self.size.width >= WIDE)

    def _columns_for(self, wide: bool) -> None:
        self.clear(columns=True)
        self._wide = wide
        self._order = []
        for key, label in COLUMNS:
            if key == "subject" and not wide:
                continue
            self.add_column(t(label), key=key)

    @property
    def keys(self) -> list[str]:
        return [key for key, _ in COLUMNS if self._wide or key != "subject"]

    def _style(self, name: str):
        return self.get_component_rich_style(f"room-table--{name}", partial=True)

    def cells(self, seat: dict, model: RoomModel, time_text) -> tuple:
        status = seat.status
        wide = self._wide
        name = full_name(seat) if wide else short_name(seat)
        status_style = {
            "testing": "testing", "on_break": "break", "finished": "done", "questionnaire": "done", "done": "done",
            "removed": "removed", "absent": "muted", "not_logged_in": "muted", "awaiting_approval": "alert",
            "waiting": "waiting", "confirming": "waiting", "rules": "waiting",
        }.get(status, "muted")
        status_cell = Text(status_text(seat), style=self._style(status_style))
        if seat.questionnaire_done and status == "done":
            status_cell = Text(t("done, questionnaire filled"), style=self._style("done"))
        if status in IN_TEST or status in ("not_logged_in", "confirming", "rules", "waiting", "awaiting_approval"):
            remaining = Text(format_remaining(model.remaining_ms(seat)),
                             style=self._style("alert" if "five_minutes" in seat.alerts else
                                               ("testing" if status in IN_TEST else "muted")))
        else:
            remaining = Text("—", style=self._style("muted"))
        if seat.online:
            connection = Text(t("online"), style=self._style("online"))
        elif seat.offline_since_ms:
            since = time_text(seat.offline_since_ms)
            connection = Text(t("offline since {time}", time=since) if wide else t("offline {time}", time=since),
                              style=self._style("offline" if status in IN_TEST else "muted"))
        else:
            connection = Text("—", style=self._style("muted"))
        alerts = alerts_text(seat)
        subject = seat.subject_title or seat.subject or ""
        if status in AFTER_TEST or status == "removed":
            subject = ""
        extra = seat.extra_minutes or 0
        answered = f"{seat.answered}/{seat.total}"
        seat_style = "alert" if seat.alerts else ("offline" if is_offline(seat) else "")
        cells = {
            "seat": Text(str(seat.seat), style=self._style(seat_style) if seat_style else ""),
            "ikt": seat.ikt,
            "name": name,
            "variant": seat.variant,
            "status": status_cell,
            "alerts": Text(alerts, style=self._style("alert")) if alerts else Text(""),
            "answered": answered,
            "remaining": Text.assemble(remaining, (f" +{extra}" if extra else "", self._style("break"))),
            "connection": connection,
            "subject": subject[:24],
        }
        return tuple(cells[key] for key in self.keys)

    def show(self, rows: list[dict], model: RoomModel, time_text) -> None:
        """Redraws what changed; rebuilds only when the rows or their order changed."""
        order = [str(seat.student) for seat in rows]
        fresh = {str(seat.student): self.cells(seat, model, time_text) for seat in rows}
        wide = self.size.width >= WIDE
        if wide != self._wide:
            self._columns_for(wide)
            fresh = {str(seat.student): self.cells(seat, model, time_text) for seat in rows}
        if order == self._order and self.row_count == len(order):
            keys = self.keys
            for row_key, cells in fresh.items():
                old = self._cells.get(row_key)
                for index, value in enumerate(cells):
                    if old is None or old[index] != value:
                        self.update_cell(row_key, keys[index], value, update_width=True)
        else:
            selected = self.selected_key()
            self.clear()
            for row_key in order:
                self.add_row(*fresh[row_key], key=row_key)
            if selected in order:
                self.move_cursor(row=order.index(selected), animate=False)
        self._order = order
        self._cells = fresh

    def row_index(self, student: int) -> int | None:
        """Where the student's row is now (None: not shown, e.g. filtered out)."""
        try:
            return self._order.index(str(student))
        except ValueError:
            return None

    def selected_key(self) -> str | None:
        if not self._order or self.cursor_row is None or not 0 <= self.cursor_row < len(self._order):
            return None
        return self._order[self.cursor_row]

    def selected_student(self) -> int | None:
        key = self.selected_key()
        return int(key) if key is not None else None
