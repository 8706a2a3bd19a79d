"""The main screen: the room live, the summary, and every control of the sitting."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from room_protocol.rules import IN_TEST

from ..i18n import N_, t, translate_bindings
from ..model import FILTERS, SORTS, full_name
from ..widgets.room_table import RoomTable
from ..widgets.status import AddressBar, NavBar, RoomHeader, SummaryBar, set_text
from .base import SCREEN_KEYS
from .room_actions import SittingActions
from .student_actions import StudentActions

SORT_KEYS = list(SORTS)
FILTER_KEYS = list(FILTERS)
ROOM_ACTIONS = {"open_sitting", "announce_break", "end_break", "pause", "resume", "close_sitting"}


class RoomScreen(SittingActions, StudentActions, Screen):
    """Who needs attention at a glance; each step of the procedure one key away."""

    BINDINGS = [
        Binding("o", "open_sitting", N_("Open sitting"), id="open_sitting"),
        Binding("b", "announce_break", N_("Break"), id="announce_break"),
        Binding("n", "end_break", N_("End break"), id="end_break"),
        Binding("p", "pause", N_("Pause"), id="pause"),
        Binding("r", "resume", N_("Resume"), id="resume"),
        Binding("x", "extra_time", N_("Extra time"), id="extra_time"),
        Binding("l", "second_login", N_("2nd login"), id="second_login"),
        Binding("a", "attendance", N_("Attendance"), id="attendance"),
        Binding("L", "late", N_("Late"), id="late", show=False),
        Binding("h", "slip_handed", N_("Slip handed"), id="slip_handed", show=False),
        Binding("c", "slip_collected", N_("Slip collected"), id="slip_collected", show=False),
        Binding("i", "incident", N_("Incident"), id="incident"),
        Binding("s", "sort", N_("Sort"), id="sort", show=False),
        Binding("f", "filter", N_("Filter"), id="filter", show=False),
        Binding("slash", "search", N_("Search"), id="search", show=False),
        Binding("C", "close_sitting", N_("Close sitting"), id="close_sitting"),
        *SCREEN_KEYS,
    ]

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)
        self.sort = "seat"
        self.reverse = False
        self.status_filter = "all"
        self.search_text = ""

    def language_changed(self) -> None:
        """Composed again in another language: the same rows, sort, filter and search."""
        self.table.focus()
        self._room_changed()

    def compose(self) -> ComposeResult:
        yield RoomHeader(id="room-header")
        yield AddressBar(id="address-bar")
        yield NavBar(id="nav")
        yield SummaryBar(id="summary")
        with Horizontal(id="filters"):
            yield Input(value=self.search_text, placeholder=t("Search: name, IKT, seat, login  (/)"), id="search",
                        compact=True)
            yield Static("", id="view-state")
        yield RoomTable(id="room")
        yield Static("", id="detail")
        yield Footer(compact=True)

    @property
    def table(self) -> RoomTable:
        return self.query_one(RoomTable)

    def on_mount(self) -> None:
        self.watch(self.app, "revision", self._room_changed, init=False)
        self.set_interval(1.0, self._tick)
        self.table.focus()
        self._room_changed()

    def on_screen_resume(self) -> None:
        self._room_changed()  # seats that changed while another screen was on top

    def _tick(self) -> None:
        """Once a second: the clock in the header and the visible rows' time left."""
        app = self.app
        if app.clock_text is not None or not self.is_current:
            return
        self.query_one(RoomHeader).show(app)
        model = app.model
        if model.sitting.state == "open" and not model.paused:
            self.table.tick(model)

    @on(RoomTable.Relaid)
    def _relaid(self) -> None:
        self._show_rows()

    def _room_changed(self, *_: object) -> None:
        """A snapshot, the sitting (open, paused, a break) or the link changed: everything is
        looked at again, and the keys that apply now."""
        app = self.app
        model = app.model
        sitting = model.sitting
        self.set_class(model.paused, "-paused")
        self.set_class(bool(sitting.room_break), "-room-break")
        self.set_class(not app.online, "-link-down")
        self.set_class(sitting.state == "closed", "-closed")
        self.query_one(RoomHeader).show(app)
        self.query_one(AddressBar).show(app)
        self.table.relayout()
        self._show_rows()
        self.refresh_bindings()

    def seats_changed(self, students: set[int]) -> None:
        """The app's batch of seats the server says changed."""
        if self.is_current or self.app.screen.is_modal:
            self._show_rows(students)

    def _show_rows(self, changed: set[int] | None = None) -> None:
        """The summary, the rows and the detail line; `changed`: the seats that changed (None:
        any may have; an empty set: none did, only the view — sort, filter, search)."""
        app = self.app
        model = app.model
        self.query_one(SummaryBar).show(model.summary())
        rows = model.rows(sort=self.sort, reverse=self.reverse, text=self.search_text, status_filter=self.status_filter)
        self.table.show(rows, model, app.time_text, changed)
        arrow = "↓" if self.reverse else "↑"
        narrow = self.size.width < 100
        values = dict(shown=len(rows), total=len(model.seats), filter=t(FILTERS[self.status_filter]),
                      sort=t(SORTS[self.sort]), arrow=arrow)
        state = (t("{shown}/{total} · f: {filter} · s: {sort} {arrow}", **values) if narrow else
                 t("{shown} of {total} · f filter: {filter} · s sort: {sort} {arrow}", **values))
        set_text(self.query_one("#view-state", Static), state)
        self._show_detail()

    def _show_detail(self) -> None:
        seat = self.selected()
        detail = self.query_one("#detail", Static)
        if seat is None:
            set_text(detail, "")
            return
        parts = [f"{seat.seat}. {full_name(seat)}", f"{t('IKT')} {seat.ikt}",
                 f"{t('login')} {seat.login}", f"{t('class')} {seat.class_label}",
                 f"{t('language')} {seat.language}"]
        slips = t("slip handed (h)") if seat.slip_handed else t("slip not handed (h)")
        slips += ", " + (t("collected (c)") if seat.slip_collected else t("not collected (c)"))
        if seat.subject_title and seat.status in IN_TEST:
            parts.append(t("subject: {subject}", subject=seat.subject_title))
        parts.append(slips)
        if seat.extra_minutes:
            parts.append(t("extra time {minutes} min", minutes=seat.extra_minutes))
        if seat.late:
            parts.append(t("came late (L)"))
        if seat.status == "absent":
            parts.append(t("absent: {reason} ({document})", reason=seat.absent_reason,
                           document=seat.absent_document or "—"))
        if seat.data_mistake:
            parts.append(t("data mistake reported: {note}", note=seat.data_mistake))
        if seat.annulled:
            parts.append(t("result annulled"))
        if seat.status in ("finished", "questionnaire", "done"):
            parts.append(t("questionnaire filled") if seat.questionnaire_done else t("questionnaire not filled"))
        set_text(detail, " · ".join(parts))

    def selected(self) -> dict | None:
        return self.app.model.seat(self.table.selected_student())

    @on(RoomTable.Highlighted)
    def _highlighted(self) -> None:
        self._show_detail()

    @on(RoomTable.HeaderClicked)
    def _header(self, event: RoomTable.HeaderClicked) -> None:
        """A click on a column heading sorts by it (again: the other way)."""
        key = event.key if event.key in SORTS else None
        if key is None:
            return
        self.reverse = not self.reverse if key == self.sort else False
        self.sort = key
        self._show_rows(set())

    @on(Input.Changed, "#search")
    def _search(self, event: Input.Changed) -> None:
        self.search_text = event.value
        self._show_rows(set())

    @on(Input.Submitted, "#search")
    def _search_done(self) -> None:
        self.table.focus()

    # ------------------------------------------------------------------ which keys apply now

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action not in ROOM_ACTIONS:
            return True
        sitting = self.app.model.sitting
        state = sitting.state
        if not self.app.model.loaded:
            return False
        if action == "open_sitting":
            return state == "not_open"
        if action == "close_sitting":
            return state == "open"
        if state != "open":
            return False
        if action == "announce_break":
            return not sitting.room_break
        if action == "end_break":
            return bool(sitting.room_break)
        if action == "pause":
            return not sitting.paused
        if action == "resume":
            return bool(sitting.paused)
        return True

    # ------------------------------------------------------------------ the view

    def action_sort(self) -> None:
        self.sort = SORT_KEYS[(SORT_KEYS.index(self.sort) + 1) % len(SORT_KEYS)]
        self.reverse = False
        self._show_rows(set())

    def action_filter(self) -> None:
        self.status_filter = FILTER_KEYS[(FILTER_KEYS.index(self.status_filter) + 1) % len(FILTER_KEYS)]
        self._show_rows(set())

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()


__all__ = ["RoomScreen"]
