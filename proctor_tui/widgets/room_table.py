"""The live room table: one line per student, drawn by the table itself (Textual's line API).

Built for a whole day with 500 students: a seat's line is drawn again only when the server
says that seat changed and its cells differ, each line is kept drawn until then, and only
changed lines are repainted. Once a second only the time left of the lines on screen moves.
(Textual's DataTable forgets every drawn cell on any change of any cell: a clock ticking in
one column redrew the whole table every second.)
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.segment import Segment
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from room_protocol import SeatView
from room_protocol.rules import AFTER_TEST, IN_TEST

from ..columns import PADDING, Layout, fit, room_layout
from ..i18n import N_, t
from ..model import (STATUS_SHORT, STATUS_TEXT, RoomModel, alerts_text, format_remaining, full_name, is_offline,
                     short_name, status_text)

SHOWS_TIME = IN_TEST | {"not_logged_in", "confirming", "rules", "waiting", "awaiting_approval"}
STATUS_STYLE = {
    "testing": "testing", "on_break": "break", "finished": "done", "questionnaire": "done", "done": "done",
    "removed": "removed", "absent": "muted", "not_logged_in": "muted", "awaiting_approval": "alert",
    "waiting": "waiting", "confirming": "waiting", "rules": "waiting",
}

# A cell: pieces of (text, style name); the style names are the table's component classes.
Cell = tuple[tuple[str, str], ...]


def cell(text: str, style: str = "") -> Cell:
    return ((text, style),)


def text_widths() -> dict[str, int]:
    """How wide the status, connection and time texts are in the console's language."""
    offline = [t("offline since {time}", time="10:05"), t("online")]
    offline_short = [t("off {time}", time="10:05"), t("online")]
    return {
        "status": min(18, max(len(t(x)) for x in STATUS_TEXT.values())),
        "status_short": min(12, max(len(t(x)) for x in STATUS_SHORT.values())),
        "connection": max(len(x) for x in offline),
        "connection_short": min(10, max(len(x) for x in offline_short)),
        "remaining": len("2:50:00 +10"),
        "remaining_short": len("2:50:00"),
        "answered": len("30/30"),
    }


def remaining_cell(seat: SeatView, model: RoomModel, layout: Layout) -> Cell:
    """The time left, run forward by the model; the extra minutes beside it."""
    if seat.status not in SHOWS_TIME:
        return cell("—", "muted")
    style = "alert" if "five_minutes" in seat.alerts else ("testing" if seat.status in IN_TEST else "muted")
    pieces = [(format_remaining(model.remaining_ms(seat)), style)]
    if seat.extra_minutes:
        pieces.append((f" +{seat.extra_minutes}" if not layout.narrow else "+", "break"))
    return tuple(pieces)


def row_cells(seat: SeatView, model: RoomModel, time_text, layout: Layout) -> tuple[Cell, ...]:
    """A seat's cells for these columns: plain texts and style names, nothing drawn yet."""
    status = seat.status
    status_now = status_text(seat, short=layout.narrow)
    if seat.questionnaire_done and status == "done" and not layout.narrow:
        status_now = t("done, questionnaire filled")
    if len(status_now) > layout.width("status"):
        status_now = status_text(seat, short=True)
    if seat.online:
        connection = cell(t("online"), "online")
    elif seat.offline_since_ms:
        since = time_text(seat.offline_since_ms)
        text = t("off {time}", time=since) if layout.short_connection else t("offline since {time}", time=since)
        connection = cell(text, "offline" if status in IN_TEST else "muted")
    else:
        connection = cell("—", "muted")
    alerts = alerts_text(seat)
    if len(alerts) > layout.width("alerts"):
        alerts = alerts_text(seat, short=True)
    subject = "" if status in AFTER_TEST or status == "removed" else (seat.subject_title or seat.subject or "")
    values = {
        "seat": lambda w: cell(str(seat.seat), "alert" if seat.alerts else ("offline" if is_offline(seat) else "")),
        "ikt": lambda w: cell(seat.ikt),
        "name": lambda w: cell(fit(full_name(seat) if layout.wide else short_name(seat, w), w)),
        "variant": lambda w: cell(fit(seat.variant, w)),
        "status": lambda w: cell(fit(status_now, w), STATUS_STYLE.get(status, "muted")),
        "alerts": lambda w: cell(fit(alerts, w), "alert") if alerts else cell(""),
        "answered": lambda w: cell(f"{seat.answered}/{seat.total}"),
        "remaining": lambda w: remaining_cell(seat, model, layout),
        "connection": lambda w: cell(fit(connection[0][0], w), connection[0][1]),
        "subject": lambda w: cell(fit(subject, w)),
    }
    return tuple(values[c.key](c.width) for c in layout.columns)


class RoomTable(ScrollView, can_focus=True):
    """Alerts, offline students and status stand out through component classes (themable)."""

    BINDINGS = [
        Binding("up", "cursor(-1)", N_("Up"), id="cursor_up", show=False),
        Binding("down", "cursor(1)", N_("Down"), id="cursor_down", show=False),
        Binding("pageup", "page(-1)", N_("Page up"), id="page_up", show=False),
        Binding("pagedown", "page(1)", N_("Page down"), id="page_down", show=False),
        Binding("home", "first", N_("First"), id="first", show=False),
        Binding("end", "last", N_("Last"), id="last", show=False),
    ]

    COMPONENT_CLASSES = {
        "room-table--header", "room-table--cursor", "room-table--even", "room-table--alert",
        "room-table--offline", "room-table--online", "room-table--muted", "room-table--testing",
        "room-table--break", "room-table--done", "room-table--removed", "room-table--waiting",
    }

    DEFAULT_CSS = """
    RoomTable { height: 1fr; overflow-x: hidden; overflow-y: auto; scrollbar-size-vertical: 2; background: $surface; }
    RoomTable > .room-table--header { background: $panel; color: $text-primary; text-style: bold; }
    RoomTable > .room-table--cursor { background: $block-cursor-blurred-background; }
    RoomTable:focus > .room-table--cursor { background: $block-cursor-background; color: $block-cursor-foreground; }
    RoomTable > .room-table--even { background: $surface-lighten-1; }
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

    class Highlighted(Message):
        """The cursor is on another student (None: no rows)."""

        def __init__(self, student: int | None) -> None:
            super().__init__()
            self.student = student

    class Relaid(Message):
        """The columns changed with the table's width: the rows must be shown again."""

    class HeaderClicked(Message):
        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._order: list[str] = []  # row keys (student ids) top to bottom
        self._cells: dict[str, tuple[Cell, ...]] = {}  # row key -> the cells shown
        self._drawn: dict[str, tuple[tuple, Strip]] = {}  # row key -> (what it was drawn for, the line)
        self._cursor = 0
        self.layout_now: Layout | None = None
        self._styles: dict[str, object] = {}

    # ------------------------------------------------------------------ columns

    def relayout(self) -> bool:
        """Chooses the columns for the table's width; True when they changed (every row must
        be shown again)."""
        layout = room_layout(self.region.width or 80, text_widths())
        if layout == self.layout_now:
            return False
        self.layout_now = layout
        self._order, self._cells, self._drawn = [], {}, {}
        self.refresh()
        return True

    def on_resize(self) -> None:
        if self.relayout():
            self.post_message(self.Relaid())

    def _style(self, name: str):
        style = self._styles.get(name)
        if style is None:
            style = self._styles[name] = self.get_component_rich_style(f"room-table--{name}", partial=True)
        return style

    def on_focus(self) -> None:
        self._restyle()

    def on_blur(self) -> None:
        self._restyle()

    def _restyle(self) -> None:
        self._styles, self._drawn = {}, {}
        self.refresh()

    # ------------------------------------------------------------------ cells

    # ------------------------------------------------------------------ rows

    def show(self, rows: list[SeatView], model: RoomModel, time_text, changed: set[int] | None = None) -> None:
        """Shows these rows in this order. `changed`: the students whose seat changed (None: any
        may have); only their cells are worked out again, and only lines that differ repainted."""
        order = [str(seat.student) for seat in rows]
        if order != self._order:
            selected = self.selected_key()
            self._order = order
            kept = self._cells  # a row's cells do not depend on where it stands
            self._cells = {str(seat.student): kept[str(seat.student)] if str(seat.student) in kept and (
                changed is not None and seat.student not in changed) else row_cells(seat, model, time_text, self.layout_now)
                for seat in rows}
            self._drawn = {key: drawn for key, drawn in self._drawn.items() if key in self._cells}
            self.virtual_size = Size(self.size.width, len(order) + 1)
            if selected in order:
                self._cursor = order.index(selected)
            self._cursor = max(0, min(self._cursor, len(order) - 1))
            self.refresh()
            self.post_message(self.Highlighted(self.selected_student()))
            return
        index_of = None
        for seat in rows:
            if changed is not None and seat.student not in changed:
                continue
            key = str(seat.student)
            fresh = row_cells(seat, model, time_text, self.layout_now)
            if fresh != self._cells.get(key):
                self._cells[key] = fresh
                if index_of is None:
                    index_of = {k: i for i, k in enumerate(self._order)}
                self._repaint(index_of[key])

    def tick(self, model: RoomModel) -> None:
        """The time left of the rows on screen, once a second (nothing else moves by itself)."""
        if not self._order or "remaining" not in self.layout_now.keys:
            return
        column = self.layout_now.keys.index("remaining")
        top = int(self.scroll_offset.y)
        for index in range(top, min(len(self._order), top + self.size.height)):
            key = self._order[index]
            seat = model.seats.get(int(key))
            old = self._cells.get(key)
            if seat is None or old is None or seat.status not in IN_TEST:
                continue
            fresh = remaining_cell(seat, model, self.layout_now)
            if fresh != old[column]:
                self._cells[key] = old[:column] + (fresh,) + old[column + 1:]
                self._repaint(index)

    def _repaint(self, index: int) -> None:
        y = index + 1 - int(self.scroll_offset.y)
        if 1 <= y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    # ------------------------------------------------------------------ drawing

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y == 0:
            return self._header(width)
        index = y - 1 + int(self.scroll_offset.y)
        if index >= len(self._order):
            return Strip.blank(width, self.rich_style)
        return self._line(index, width)

    def _header(self, width: int) -> Strip:
        style = self.rich_style + self._style("header")
        segments = []
        for column in self.layout_now.columns if self.layout_now else ():
            text = column.header[: column.width]
            segments.append(Segment(" " * PADDING + text + " " * (column.width - cell_len(text) + PADDING), style))
        return Strip(segments).adjust_cell_length(width, style)

    def _line(self, index: int, width: int) -> Strip:
        key = self._order[index]
        cells = self._cells[key]
        cursor = index == self._cursor
        drawn_for = (cells, cursor, index % 2, width)
        drawn = self._drawn.get(key)
        if drawn is not None and drawn[0] == drawn_for:
            return drawn[1]
        base = self.rich_style
        if cursor:
            base += self._style("cursor")
        elif index % 2:
            base += self._style("even")
        segments = []
        for column, pieces in zip(self.layout_now.columns, cells):
            segments.append(Segment(" " * PADDING, base))
            used = 0
            for text, style in pieces:
                text = text[: max(0, column.width - used)]
                if text:
                    segments.append(Segment(text, base + self._style(style) if style else base))
                    used += cell_len(text)
            segments.append(Segment(" " * (column.width - used + PADDING), base))
        strip = Strip(segments).adjust_cell_length(width, base)
        self._drawn[key] = (drawn_for, strip)
        return strip

    # ------------------------------------------------------------------ the cursor

    @property
    def row_count(self) -> int:
        return len(self._order)

    @property
    def cursor_row(self) -> int:
        return self._cursor

    def move_cursor(self, *, row: int, animate: bool = False) -> None:
        if not self._order:
            return
        row = max(0, min(row, len(self._order) - 1))
        if row == self._cursor:
            return
        old, self._cursor = self._cursor, row
        self._repaint(old)
        self._repaint(row)
        height = max(1, self.size.height - 1)
        top = int(self.scroll_offset.y)
        if row < top:
            self.scroll_to(y=row, animate=False, immediate=True)
        elif row >= top + height:
            self.scroll_to(y=row - height + 1, animate=False, immediate=True)
        self.post_message(self.Highlighted(self.selected_student()))

    def action_cursor(self, step: int) -> None:
        self.move_cursor(row=self._cursor + step)

    def action_page(self, step: int) -> None:
        self.move_cursor(row=self._cursor + step * max(1, self.size.height - 2))

    def action_first(self) -> None:
        self.move_cursor(row=0)

    def action_last(self) -> None:
        self.move_cursor(row=len(self._order) - 1)

    def on_click(self, event: events.Click) -> None:
        if event.y == 0 and self.layout_now is not None:
            x = event.x
            for column in self.layout_now.columns:
                x -= column.width + 2 * PADDING
                if x < 0:
                    self.post_message(self.HeaderClicked(column.key))
                    return
            return
        self.move_cursor(row=event.y - 1 + int(self.scroll_offset.y))

    def row_index(self, student: int) -> int | None:
        """Where the student's row is now (None: not shown, e.g. filtered out)."""
        try:
            return self._order.index(str(student))
        except ValueError:
            return None

    def cell_text(self, student: int, key: str) -> str:
        """What one cell of a student's row says."""
        cells = self._cells.get(str(student))
        if cells is None or key not in self.layout_now.keys:
            return ""
        return "".join(text for text, _ in cells[self.layout_now.keys.index(key)])

    def selected_key(self) -> str | None:
        return self._order[self._cursor] if 0 <= self._cursor < len(self._order) else None

    def selected_student(self) -> int | None:
        key = self.selected_key()
        return int(key) if key is not None else None
