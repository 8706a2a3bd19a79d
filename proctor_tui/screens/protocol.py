"""The testing protocol (Annex 3): the records' facts, recomputed by the server every time the
form is opened or saved, and what the administrator types. A count is never typed over: a
figure that differs from the records is typed as a correction beside the true one, and the
printed protocol shows both (room_protocol.protocol_form)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Footer, Input, Label, Static, TextArea

from room_protocol.protocol_form import CORRECTABLE, correction_key, corrections, typed_fields

from ..i18n import N_, t
from ..messages import Failed, Replied
from .base import SubScreen
from .incident_forms import KIND_TEXT

PAUSE_TEXT = {"power": N_("power"), "network": N_("network"), "other": N_("other"), "server_outage": N_("server outage")}

# The records' facts shown (read-only): (field, label).
RECORDS = [
    ("school", N_("School")),
    ("room", N_("Room No.")),
    ("sitting", N_("Sitting (stream)")),
    ("grade", N_("Grade")),
    ("date", N_("Date")),
]
# Counted from the records, each with a place for a typed correction.
FIGURES = [
    ("start_time", N_("Testing started")),
    ("end_time", N_("Testing ended")),
    ("registered", N_("Students on the list")),
    ("present", N_("Present")),
    ("absent", N_("Absent")),
    ("late", N_("Came late")),
    ("finished", N_("Finished the test")),
    ("removed", N_("Removed")),
    ("slips_handed", N_("Login slips handed out")),
    ("slips_collected", N_("Login slips collected")),
]
# What the administrator types: (field, label, multi-line).
TYPED = [
    ("org_code", N_("Organisation code"), False),
    ("administrator", N_("Test administrator (full name)"), False),
    ("coordinator", N_("School coordinator (full name)"), False),
    ("faults", N_("Other technical faults"), True),
    ("remarks", N_("Remarks"), True),
]
assert {name for name, _ in FIGURES} == set(CORRECTABLE)


class ProtocolScreen(SubScreen):
    BINDINGS = [Binding("ctrl+s", "save", N_("Save the protocol"), id="save"),
                Binding("ctrl+r", "reload", N_("Count again"), id="reload")]

    def __init__(self) -> None:
        super().__init__()
        self.true: dict[str, str] = {}  # the records' figures as the form shows them
        self.saved_note = ""

    def compose(self) -> ComposeResult:
        yield from self.top()
        yield Static(t("Testing protocol (Annex 3)"), classes="screen-title")
        yield Static(t("Loading…"), id="protocol-state")
        with VerticalScroll(id="protocol-form", classes="form-body"):
            yield Label(t("From the records (counted again each time)"), classes="form-section")
            for name, label in RECORDS:
                with Horizontal(classes="field"):
                    yield Label(t(label), classes="field-label")
                    yield Static("", id=f"true-{name}", classes="record")
            for name, label in FIGURES:
                with Horizontal(classes="field"):
                    yield Label(t(label), classes="field-label")
                    yield Static("", id=f"true-{name}", classes="record figure")
                    yield Input(id=correction_key(name), placeholder=t("correction"), max_length=20,
                                classes="correction", compact=True)
                    yield Static("", id=f"note-{name}", classes="correction-note")
            with Horizontal(classes="field auto"):
                yield Label(t("Incidents (acts)"), classes="field-label")
                yield Static("", id="true-incidents", classes="record")
            with Horizontal(classes="field auto"):
                yield Label(t("Pauses"), classes="field-label")
                yield Static("", id="true-pauses", classes="record")
            yield Label(t("Typed by the administrator"), classes="form-section")
            for name, label, multi in TYPED:
                with Horizontal(classes="field" + (" tall" if multi else "")):
                    yield Label(t(label), classes="field-label")
                    if multi:
                        yield TextArea(id=name, soft_wrap=True, compact=True)
                    else:
                        yield Input(id=name, max_length=300, compact=True)
            with Horizontal(classes="dialog-buttons compact"):
                yield Button(t("Save the protocol"), id="save", variant="primary", compact=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        super().on_mount()
        self.action_reload()

    def action_reload(self) -> None:
        self.app.act(lambda room: room.protocol(), tag="get_protocol", reply_to=self)

    def record_texts(self, pre: dict) -> dict[str, str]:
        """The records' facts as the form shows them (times in the laptop's clock)."""
        app = self.app
        texts = {name: "" if pre.get(name) is None else str(pre.get(name))
                 for name in ("school", "room", "sitting", "grade", "registered", "present", "absent", "late",
                              "finished", "removed", "slips_handed", "slips_collected")}
        texts["date"] = app.today_text() if app.clock_text is not None else (
            app.time_text(pre.get("start_ms"), "%Y-%m-%d") or app.today_text())
        texts["start_time"] = app.time_text(pre.get("start_ms"))
        texts["end_time"] = app.time_text(pre.get("end_ms"))
        lines = []
        for incident in pre.get("incidents", []):
            who = app.student_label(incident.get("student"))
            lines.append(t("No. {id}: {kind}", id=incident.get("id"), kind=t(KIND_TEXT.get(incident.get("kind"), "")))
                         + (f" — {who}" if who else ""))
        texts["incidents"] = "\n".join(lines) or t("none")
        pauses = []
        for pause in pre.get("pauses", []):
            reason = t(PAUSE_TEXT.get(pause.get("reason"), pause.get("reason") or ""))
            span = f"{app.time_text(pause.get('start_ms'))}–{app.time_text(pause.get('end_ms')) or '…'}"
            pauses.append(f"{span} {reason}" + (f": {pause['note']}" if pause.get("note") else ""))
        texts["pauses"] = "\n".join(pauses) or t("none")
        return texts

    def _show_records(self, texts: dict[str, str]) -> None:
        self.true = texts
        for name, text in texts.items():
            self.query_one(f"#true-{name}", Static).update(text or "—")
        for name, _ in FIGURES:
            self._show_correction(name)

    def _show_correction(self, name: str) -> None:
        """A typed figure that differs from the records is marked as a correction."""
        typed = self.query_one(f"#{correction_key(name)}", Input).value.strip()
        differs = bool(typed) and typed != self.true.get(name, "")
        self.query_one(f"#note-{name}", Static).update(
            t("corrected: records {true}, typed {typed}", true=self.true.get(name) or "—", typed=typed) if differs else "")
        self.query_one(f"#{correction_key(name)}", Input).set_class(differs, "-differs")

    @on(Input.Changed, ".correction")
    def _correction_typed(self, event: Input.Changed) -> None:
        if self.true and event.input.id:
            self._show_correction(event.input.id.removesuffix("_corrected"))

    def _fill_typed(self, saved: dict) -> None:
        typed = typed_fields(saved)
        for name, _, multi in TYPED:
            value = "" if typed.get(name) is None else str(typed[name])
            if multi:
                self.query_one(f"#{name}", TextArea).text = value
            else:
                self.query_one(f"#{name}", Input).value = value
        for name, _ in FIGURES:
            value = saved.get(correction_key(name))
            self.query_one(f"#{correction_key(name)}", Input).value = "" if value is None else str(value)

    def values(self) -> dict[str, str]:
        """What is saved: the typed fields and the corrections typed; never the counts."""
        out = {}
        for name, _, multi in TYPED:
            out[name] = self.query_one(f"#{name}", TextArea).text if multi else self.query_one(f"#{name}", Input).value
        for name, _ in FIGURES:
            typed = self.query_one(f"#{correction_key(name)}", Input).value.strip()
            if typed:
                out[correction_key(name)] = typed
        return out

    @on(Replied)
    def _replied(self, message: Replied) -> None:
        state = self.query_one("#protocol-state", Static)
        if message.tag == "get_protocol":
            form = message.reply
            first = not self.true
            if first:
                self._fill_typed(form.fields)
            self._show_records(self.record_texts(form.prefilled))
            fixes = corrections(form.fields, self.true)
            text = t("Saved earlier; the figures are counted again from the records.") if form.fields \
                else t("Counted from the records. Type only what the records cannot know, then save.")
            if fixes:
                text += " " + t("Corrections typed: {n}.", n=len(fixes))
            state.update(" ".join(x for x in (self.saved_note, text) if x))
            if first:
                self.query_one("#org_code", Input).focus()
        elif message.tag == "save_protocol":
            self.saved_note = t("Saved at {time}.", time=self.app.now_text())
            state.update(self.saved_note)
            self.action_reload()

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        self.query_one("#protocol-state", Static).update(message.error)

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        values = self.values()
        self.app.act(lambda room: room.save_protocol(values), tag="save_protocol", reply_to=self,
                     done=t("The protocol is saved."), context=values)
