"""The testing protocol (Annex 3): pre-filled from the server's records, saved on the server."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Footer, Input, Label, Static, TextArea


from ..i18n import N_, t
from ..messages import Failed, Replied
from .base import SubScreen
from .incident_forms import KIND_TEXT

PAUSE_TEXT = {"power": N_("power"), "network": N_("network"), "other": N_("other"), "server_outage": N_("server outage")}

# (field, label, multi-line)
FIELDS = [
    ("school", N_("School"), False),
    ("room", N_("Room No."), False),
    ("sitting", N_("Sitting (stream)"), False),
    ("grade", N_("Grade"), False),
    ("date", N_("Date"), False),
    ("start_time", N_("Testing started"), False),
    ("end_time", N_("Testing ended"), False),
    ("registered", N_("Students on the list"), False),
    ("present", N_("Present"), False),
    ("absent", N_("Absent"), False),
    ("finished", N_("Finished the test"), False),
    ("removed", N_("Removed"), False),
    ("slips_handed", N_("Login slips handed out"), False),
    ("slips_collected", N_("Login slips collected"), False),
    ("incidents", N_("Incidents (acts)"), True),
    ("faults", N_("Technical faults and pauses"), True),
    ("remarks", N_("Remarks"), True),
    ("administrator", N_("Test administrator (full name)"), False),
]


class ProtocolScreen(SubScreen):
    BINDINGS = [Binding("ctrl+s", "save", N_("Save the protocol"), id="save")]

    def __init__(self) -> None:
        super().__init__()
        self.prefilled: dict = {}
        self.saved: dict = {}

    def compose(self) -> ComposeResult:
        yield from self.top()
        yield Static(t("Testing protocol (Annex 3)"), classes="screen-title")
        yield Static(t("Loading…"), id="protocol-state")
        with VerticalScroll(id="protocol-form", classes="form-body"):
            for name, label, multi in FIELDS:
                with Horizontal(classes="field" + (" tall" if multi else "")):
                    yield Label(t(label), classes="field-label")
                    if multi:
                        yield TextArea(id=name, soft_wrap=True)
                    else:
                        yield Input(id=name, max_length=300, compact=True)
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("Save the protocol"), id="save", variant="primary")
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.app.act(lambda room: room.protocol(), tag="get_protocol", reply_to=self)

    def prefill(self, pre: dict) -> dict[str, str]:
        """The form's values from what the server's records say."""
        app = self.app
        values: dict[str, str] = {}
        for key in ("school", "room", "sitting", "grade", "registered", "present", "absent", "finished", "removed",
                    "slips_handed", "slips_collected"):
            value = pre.get(key)
            values[key] = "" if value is None else str(value)
        values["date"] = app.today_text() if app.clock_text is not None else (
            app.time_text(pre.get("start_ms"), "%Y-%m-%d") or app.today_text())
        values["start_time"] = app.time_text(pre.get("start_ms"))
        values["end_time"] = app.time_text(pre.get("end_ms"))
        lines = []
        for incident in pre.get("incidents", []):
            who = app.student_label(incident.get("student"))
            lines.append(t("No. {id}: {kind}", id=incident.get("id"), kind=t(KIND_TEXT.get(incident.get("kind"), "")))
                         + (f" — {who}" if who else ""))
        values["incidents"] = "\n".join(lines) or t("none")
        faults = []
        for pause in pre.get("pauses", []):
            reason = t(PAUSE_TEXT.get(pause.get("reason"), pause.get("reason") or ""))
            span = f"{app.time_text(pause.get('start_ms'))}–{app.time_text(pause.get('end_ms')) or '…'}"
            faults.append(f"{span} {reason}" + (f": {pause['note']}" if pause.get("note") else ""))
        values["faults"] = "\n".join(faults) or t("none")
        values["remarks"] = ""
        values["administrator"] = ""
        return values

    def _fill(self, values: dict) -> None:
        for name, _, multi in FIELDS:
            value = values.get(name, "")
            value = "" if value is None else str(value)
            if multi:
                self.query_one(f"#{name}", TextArea).text = value
            else:
                self.query_one(f"#{name}", Input).value = value

    def values(self) -> dict[str, str]:
        out = {}
        for name, _, multi in FIELDS:
            out[name] = self.query_one(f"#{name}", TextArea).text if multi else self.query_one(f"#{name}", Input).value
        return out

    @on(Replied)
    def _replied(self, message: Replied) -> None:
        state = self.query_one("#protocol-state", Static)
        if message.tag == "get_protocol":
            form = message.reply
            self.prefilled = form.prefilled
            self.saved = form.fields
            values = self.prefill(form.prefilled)
            values.update({k: v for k, v in form.fields.items() if k in values})
            self._fill(values)
            state.update(t("Saved earlier; the server's records fill what was not saved.") if form.fields
                         else t("Pre-filled from the server's records. Check, complete and save."))
            self.query_one("#school", Input).focus()
        elif message.tag == "save_protocol":
            self.saved = message.context
            state.update(t("Saved at {time}.", time=self.app.now_text()))

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        self.query_one("#protocol-state", Static).update(message.error)

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        values = self.values()
        self.app.act(lambda room: room.save_protocol(values), tag="save_protocol", reply_to=self,
                     done=t("The protocol is saved."), context=values)
