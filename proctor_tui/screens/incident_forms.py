"""The acts: Annex 1 (prohibited item, removal), Annex 2 (impostor) and a free incident.

Each form is a ModalScreen[dict | None] returning the act's fields; the room screen confirms
removals and sends the Incident message. The server fills what it knows (name, ИКТ, seat,
variant, room, school) where a field is left out.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Checkbox, Input, Label, RadioButton, RadioSet, Static, TextArea

from ..i18n import N_, t
from ..model import full_name
from .dialogs import Dialog


def field_row(label: str, widget) -> Horizontal:
    """A label and its field on one line (compact inputs: a whole act fits at 100×30)."""
    if isinstance(widget, Input):
        widget.compact = True
    return Horizontal(Label(label, classes="field-label"), widget, classes="field")


class ActForm(Dialog):
    """What both acts share: the organisation, date and time, the representative, the student."""

    BINDINGS = [Binding("ctrl+s", "submit", N_("Save the act"), id="submit")]
    TITLE_TEXT = ""
    REQUIRED: dict[str, str] = {}  # field id -> what the problem line says when it is empty

    def __init__(self, seat: dict, sitting: dict, *, date: str, time: str) -> None:
        super().__init__()
        self.seat = seat
        self.sitting = sitting
        self.date = date
        self.time = time

    def common_fields(self) -> ComposeResult:
        yield field_row(t("Organisation code"), Input(id="school_code", max_length=40))
        yield field_row(t("Organisation"), Input(value=self.sitting.school, id="school", max_length=200))
        yield field_row(t("Date"), Input(value=self.date, id="date", max_length=20))
        yield field_row(t("Time (hh:mm)"), Input(value=self.time, id="time", max_length=10))
        yield field_row(t("Ministry representative"), Input(id="representative", max_length=200))

    def student_fields(self) -> ComposeResult:
        seat = self.seat
        yield field_row(t("Test-taker"), Input(value=full_name(seat), id="student_name", disabled=True))
        yield field_row(t("IKT"), Input(value=str(seat.ikt), id="ikt", disabled=True))
        yield field_row(t("Room No."), Input(value=str(self.sitting.room), id="room", disabled=True))
        yield field_row(t("Seat No."), Input(value=str(seat.seat), id="seat", disabled=True))
        yield field_row(t("Variant No."), Input(value=str(seat.variant), id="variant", disabled=True))

    def buttons(self, submit: str) -> ComposeResult:
        yield Static("", id="problem", classes="problem")
        with Horizontal(classes="dialog-buttons compact"):  # one line each: the act fits at 80×24
            yield Button(submit, id="submit", variant="error", compact=True)
            yield Button(t("Cancel"), id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#representative", Input).focus()

    def values(self) -> dict:
        fields = {}
        for widget in self.query(Input):
            if widget.id and widget.id not in ("student_name", "ikt", "room", "seat", "variant"):
                fields[widget.id] = widget.value.strip()
        for area in self.query(TextArea):
            if area.id:
                fields[area.id] = area.text.strip()
        fields["student_name"] = full_name(self.seat)
        fields["ikt"] = str(self.seat.ikt)
        fields["seat"] = self.seat.seat
        fields["variant"] = str(self.seat.variant)
        fields["room"] = str(self.sitting.room)
        return fields

    def extra_values(self, fields: dict) -> dict:
        return fields

    @on(Button.Pressed, "#submit")
    def action_submit(self) -> None:
        fields = self.extra_values(self.values())
        for field_id, problem in self.REQUIRED.items():
            if not str(fields.get(field_id, "")).strip():
                self.query_one("#problem", Static).update(t(problem))
                self.query_one(f"#{field_id}").focus()
                return
        self.dismiss(fields)


class Annex1Form(ActForm):
    """Act of detecting prohibited items and removing a test-taker."""

    REQUIRED = {"time": N_("Give the time."), "item_name": N_("Name the item found.")}

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form", id="annex1"):
            yield Label(t("Annex 1. Act of detecting prohibited items and removing a test-taker"),
                        classes="dialog-title")
            with VerticalScroll(classes="form-body"):
                yield from self.common_fields()
                yield from self.student_fields()
                yield Label(t("Item found (a breach of point 20 of the Rules)"), classes="form-section")
                yield field_row(t("Item"), Input(placeholder=t("e.g. mobile phone"), id="item_name", max_length=200))
                yield field_row(t("Make"), Input(id="item_make", max_length=200))
                yield field_row(t("Quantity"), Input(value="1", id="item_quantity", max_length=20))
                yield Label(t("Decision"), classes="form-section")
                yield Static(t("Seize the test material; remove {name} (IKT {ikt}) from room No. {room} and annul "
                               "the test results.", name=full_name(self.seat), ikt=self.seat.ikt,
                               room=self.sitting.room), classes="decision")
                yield field_row(t("Drawn up by"), Input(placeholder=t("names of those who drew up the act"),
                                                        id="drawn_up_by", max_length=300))
            yield from self.buttons(t("Record the act and remove the student"))

    def extra_values(self, fields: dict) -> dict:
        fields["decision"] = "remove"
        return fields


class Annex2Form(ActForm):
    """Act of detecting an impostor at the start or during the test."""

    REQUIRED = {"time": N_("Give the time."), "impostor_name": N_("Give the impostor's name.")}

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form", id="annex2"):
            yield Label(t("Annex 2. Act of detecting an impostor"), classes="dialog-title")
            with VerticalScroll(classes="form-body"):
                yield from self.common_fields()
                yield Label(t("Sitting for the test-taker"), classes="form-section")
                yield from self.student_fields()
                yield field_row(t("By citizen (full name)"), Input(id="impostor_name", max_length=200))
                yield Label(t("Decision"), classes="form-section")
                with RadioSet(id="decision"):
                    yield RadioButton(t("Not admitted to the test"), name="not_admitted_only", value=True)
                    yield RadioButton(t("Seize the material, remove from room No. {room} and annul the results",
                                        room=self.sitting.room), name="remove")
                yield field_row(t("Drawn up by"), Input(placeholder=t("names of those who drew up the act"),
                                                        id="drawn_up_by", max_length=300))
            yield from self.buttons(t("Record the act"))

    def extra_values(self, fields: dict) -> dict:
        pressed = self.query_one("#decision", RadioSet).pressed_button
        fields["decision"] = pressed.name if pressed is not None and pressed.name else "not_admitted_only"
        return fields


class OtherIncidentForm(Dialog):
    """A free incident: what happened, about one student or the whole room."""

    BINDINGS = [Binding("ctrl+s", "submit", N_("Save"), id="submit")]

    def __init__(self, seat: dict | None, *, time: str) -> None:
        super().__init__()
        self.seat = seat
        self.time = time

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form", id="other"):
            yield Label(t("Other incident"), classes="dialog-title")
            if self.seat is not None:
                yield Checkbox(t("About {name}", name=full_name(self.seat)), value=True, id="about")
            yield field_row(t("Time (hh:mm)"), Input(value=self.time, id="time", max_length=10))
            yield Label(t("What happened"))
            yield TextArea(id="description", soft_wrap=True, compact=True)
            yield Static("", id="problem", classes="problem")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("Save"), id="submit", variant="primary")
                yield Button(t("Cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#description", TextArea).focus()

    @on(Button.Pressed, "#submit")
    def action_submit(self) -> None:
        description = self.query_one("#description", TextArea).text.strip()
        if not description:
            self.query_one("#problem", Static).update(t("Describe the incident."))
            return
        about = self.seat is not None and self.query_one("#about", Checkbox).value
        self.dismiss({"description": description, "time": self.query_one("#time", Input).value.strip(),
                      "student": self.seat.student if about else None})


KIND_TEXT = {"annex1": N_("Annex 1"), "annex2": N_("Annex 2"), "other": N_("Other")}
FIELD_TEXT = {
    "school_code": N_("Organisation code"), "school": N_("Organisation"), "date": N_("Date"),
    "time": N_("Time (hh:mm)"), "representative": N_("Ministry representative"), "student_name": N_("Test-taker"),
    "ikt": N_("IKT"), "room": N_("Room No."), "seat": N_("Seat No."), "variant": N_("Variant No."),
    "item_name": N_("Item"), "item_make": N_("Make"), "item_quantity": N_("Quantity"), "decision": N_("Decision"),
    "drawn_up_by": N_("Drawn up by"), "impostor_name": N_("By citizen (full name)"),
    "description": N_("What happened"), "org_code": N_("Organisation code"), "org_name": N_("Organisation"),
    "ministry_rep": N_("Ministry representative"), "item_found": N_("Item"), "witnesses": N_("Witnesses"),
}
DECISION_TEXT = {"remove": N_("material seized, removed, results annulled"),
                 "not_admitted_only": N_("not admitted to the test")}


class IncidentView(Dialog):
    """One recorded incident, every field."""

    def __init__(self, incident: dict, student_label: str, at: str) -> None:
        super().__init__()
        self.incident = incident
        self.student_label = student_label
        self.at = at

    def compose(self) -> ComposeResult:
        incident = self.incident
        with Vertical(classes="dialog form"):
            yield Label(t("Incident No. {id}: {kind}", id=incident.id,
                          kind=t(KIND_TEXT.get(incident.kind, incident.kind))), classes="dialog-title")
            with VerticalScroll(classes="form-body"):
                yield field_row(t("Recorded at"), Static(self.at)).add_class("auto")
                yield field_row(t("Student"), Static(self.student_label or "—")).add_class("auto")
                for key, value in incident.fields.items():
                    if key == "decision":
                        value = t(DECISION_TEXT.get(value, str(value)))
                    label = t(FIELD_TEXT.get(key, N_("Other information")))  # never a field's key
                    yield field_row(label, Static(str(value) if value not in (None, "") else "—")).add_class("auto")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("Close"), id="cancel", variant="primary")
