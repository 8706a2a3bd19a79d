"""The event log: everything that happened in the room, newest first, by student if asked."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Label, Select, Static


from ..i18n import N_, t
from ..messages import Replied
from ..model import ALERT_TEXT, full_name
from .base import SubScreen

LIMIT = 300

EVENT_TEXT = {
    "room_created": N_("room created"), "sitting_opened": N_("sitting opened"), "sitting_closed": N_("sitting closed"),
    "room_break_announced": N_("break announced"), "room_break_ended": N_("break ended"),
    "paused": N_("room paused"), "resumed": N_("room resumed"), "server_outage": N_("server was down (paused)"),
    "login": N_("logged in"), "login_failed": N_("wrong login or password"), "offline": N_("went offline"),
    "second_login": N_("second login waiting"), "second_login_approved": N_("second login approved"),
    "second_login_refused": N_("second login refused"), "data_mistake": N_("data mistake reported"),
    "confirmed": N_("data confirmed"), "rules_accepted": N_("rules accepted, waiting"), "started": N_("test started"),
    "next_subject": N_("next subject"), "open_subject": N_("subject opened"), "break_started": N_("break taken"),
    "break_ended": N_("back from break"), "finished": N_("test finished"),
    "questionnaire_started": N_("questionnaire started"), "questionnaire_done": N_("questionnaire filled"),
    "questionnaire_time_over": N_("questionnaire time over"), "extra_time": N_("extra time"),
    "attendance": N_("attendance"), "login_slip": N_("login slip"), "incident": N_("incident recorded"),
    "removed": N_("removed, result annulled"), "protocol_saved": N_("protocol saved"),
    "exported": N_("results exported"), "printed": N_("printed"),
}
ACTOR_TEXT = {"proctor": N_("administrator"), "server": N_("server")}
COLUMNS = [("time", N_("Time")), ("who", N_("Who")), ("student", N_("Student")), ("what", N_("What")),
           ("details", N_("Details"))]


def details_text(event: dict) -> str:
    data = event.data or {}
    kind = event.kind
    if kind == "extra_time":
        return t("{minutes} min: {reason}", minutes=data.get("minutes"), reason=data.get("reason", ""))
    if kind == "paused":
        return " ".join(x for x in (t(data.get("reason", "")), data.get("note", "")) if x)
    if kind == "attendance":
        if data.get("present"):
            return t("present")
        return t("absent: {reason} ({document})", reason=data.get("reason", ""), document=data.get("document") or "—")
    if kind == "login_slip":
        return t("handed: {handed}, collected: {collected}", handed=t("yes") if data.get("handed") else t("no"),
                 collected=t("yes") if data.get("collected") else t("no"))
    if kind == "finished":
        reason = data.get("reason", "")
        return {"time_over": t("time over"), "closed": t("sitting closed"), "finished": t("by the student")}.get(reason, reason)
    if kind == "incident":
        return t("No. {id}, {kind}", id=data.get("id"), kind=data.get("kind"))
    if kind in ("data_mistake",):
        return str(data.get("note", ""))
    shown = {k: v for k, v in data.items() if k not in ("address",)}
    return ", ".join(f"{k}: {v}" for k, v in shown.items())[:120]


class EventsScreen(SubScreen):
    BINDINGS = [Binding("r", "reload", N_("Reload"), id="reload"),
                Binding("s", "focus_student", N_("Choose student"), id="focus_student")]

    def __init__(self) -> None:
        super().__init__()
        self.student: int | None = None
        self.loaded: list[dict] = []  # from the server, newest first
        self._seen_events = 0

    def compose(self) -> ComposeResult:
        yield from self.top()
        yield Static(t("Event log (newest first)"), classes="screen-title")
        with Horizontal(id="event-filter"):
            yield Label(t("Student"))
            yield Select([], prompt=t("Everyone"), id="student", compact=True)
        yield DataTable(id="events", cursor_type="row", zebra_stripes=True)
        yield Footer()

    @property
    def table(self) -> DataTable:
        return self.query_one("#events", DataTable)

    def on_mount(self) -> None:
        super().on_mount()
        for key, label in COLUMNS:
            self.table.add_column(t(label), key=key)
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
            self._show()

    def _show(self) -> None:
        table = self.table
        table.clear()
        for index, event in enumerate(self.loaded):
            kind = event.kind
            actor = event.actor
            who = t(ACTOR_TEXT[actor]) if actor in ACTOR_TEXT else (t("student") if actor else "")
            what = t(EVENT_TEXT[kind]) if kind in EVENT_TEXT else t(ALERT_TEXT.get(kind, kind))
            table.add_row(self.app.time_text(event.at_ms, "%H:%M:%S"), who,
                          self.app.student_label(event.student), what, details_text(event), key=str(index))
