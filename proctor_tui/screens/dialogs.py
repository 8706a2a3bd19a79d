"""Small dialogs: each a ModalScreen[T] that returns its answer through dismiss()."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from ..i18n import N_, t, translate_bindings
from ..model import full_name


class Dialog(ModalScreen):
    """The frame every dialog shares: Escape cancels (returns None or False)."""

    BINDINGS = [
        Binding("escape", "cancel", N_("Cancel"), id="cancel"),
        # Priority: the focus moves before the next key is read, so typing ahead never
        # lands in the field just left (fast typists, pasted text, a terminal driven by tmux).
        Binding("tab", "app.focus_next", N_("Next field"), id="next_field", show=False, priority=True),
        Binding("shift+tab", "app.focus_previous", N_("Previous field"), id="previous_field", show=False,
                priority=True),
    ]
    CANCEL_VALUE = None

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)

    def action_cancel(self) -> None:
        self.dismiss(self.CANCEL_VALUE)

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()


class ConfirmDialog(Dialog):
    """Yes or no for an action that cannot be undone. Returns True to go ahead."""

    CANCEL_VALUE = False

    def __init__(self, title: str, body: str, confirm: str, *, danger: bool = False) -> None:
        super().__init__()
        self.title_text = title
        self.body = body
        self.confirm = confirm
        self.danger = danger

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Static(self.body, classes="dialog-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.confirm, id="confirm", variant="error" if self.danger else "primary")
                yield Button(t("Cancel"), id="cancel")

    def on_mount(self) -> None:
        self.set_class(self.danger, "-danger")
        self.query_one("#confirm", Button).focus()

    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        self.dismiss(True)


@dataclass
class PauseChoice:
    reason: str
    note: str


PAUSE_REASONS = [("power", N_("Power outage")), ("network", N_("Network outage")), ("other", N_("Other"))]


class PauseDialog(Dialog):
    """Pausing the whole room: one button per reason, so a reason is always given; "other"
    needs a note."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(t("Pause the whole room"), classes="dialog-title")
            yield Static(t("Every student's clock stops until you resume. Tell the regional coordinator "
                           "and the Taldau centre about the outage."), classes="dialog-body")
            yield Input(placeholder=t("What happened (required for other)"), id="note", max_length=300)
            yield Static("", id="problem", classes="problem")
            yield Label(t("Pause the room because of:"))
            with Horizontal(classes="dialog-buttons"):
                for value, label in PAUSE_REASONS:
                    yield Button(t(label), id=value, variant="warning")
                yield Button(t("Cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#power", Button).focus()

    @on(Button.Pressed, "#power, #network, #other")
    def _reason(self, event: Button.Pressed) -> None:
        note = self.query_one("#note", Input).value.strip()
        if event.button.id == "other" and not note:
            self.query_one("#problem", Static).update(t("Say what happened."))
            self.query_one("#note", Input).focus()
            return
        self.dismiss(PauseChoice(event.button.id or "other", note))


@dataclass
class ExtraTimeChoice:
    minutes: int
    reason: str


class ExtraTimeDialog(Dialog):
    def __init__(self, seat: dict) -> None:
        super().__init__()
        self.seat = seat

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(t("Extra time for {name}", name=full_name(self.seat)), classes="dialog-title")
            yield Static(t("Seat {seat}, IKT {ikt}. The minutes are added to this student's clock only.",
                           seat=self.seat.seat, ikt=self.seat.ikt), classes="dialog-body")
            yield Label(t("Minutes (1-120)"))
            yield Input(placeholder="10", id="minutes", type="integer", max_length=3)
            yield Label(t("Reason"))
            yield Input(placeholder=t("e.g. the computer froze for 8 minutes"), id="reason", max_length=300)
            yield Static("", id="problem", classes="problem")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("Give extra time"), id="confirm", variant="primary")
                yield Button(t("Cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#minutes", Input).focus()

    @on(Input.Submitted, "#minutes")
    def _next(self) -> None:
        self.query_one("#reason", Input).focus()

    @on(Button.Pressed, "#confirm")
    @on(Input.Submitted, "#reason")
    def _confirm(self) -> None:
        problem = self.query_one("#problem", Static)
        try:
            minutes = int(self.query_one("#minutes", Input).value)
        except ValueError:
            minutes = 0
        reason = self.query_one("#reason", Input).value.strip()
        if not 1 <= minutes <= 120:
            problem.update(t("Give 1 to 120 minutes."))
            self.query_one("#minutes", Input).focus()
            return
        if not reason:
            problem.update(t("Give the reason."))
            self.query_one("#reason", Input).focus()
            return
        self.dismiss(ExtraTimeChoice(minutes, reason))


class ApproveDialog(Dialog):
    """A second login for a student already logged in elsewhere: True approve, False refuse."""

    def __init__(self, seat: dict) -> None:
        super().__init__()
        self.seat = seat

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(t("Second login: {name}", name=full_name(self.seat)), classes="dialog-title")
            yield Static(t("This student is already logged in on another computer (seat {seat}, IKT {ikt}). "
                           "Approve if the first computer failed and the student moved; refuse if someone "
                           "else is trying to sit for them (then record Annex 2).",
                           seat=self.seat.seat, ikt=self.seat.ikt), classes="dialog-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("Approve"), id="approve", variant="success")
                yield Button(t("Refuse"), id="refuse", variant="error")
                yield Button(t("Cancel"), id="cancel")

    @on(Button.Pressed, "#approve")
    def _approve(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#refuse")
    def _refuse(self) -> None:
        self.dismiss(False)


@dataclass
class AttendanceChoice:
    present: bool
    reason: str = ""
    document: str = ""
    late: bool = False


class AttendanceDialog(Dialog):
    """The seating sheet's line for one student: present, or absent with reason and document."""

    def __init__(self, seat: dict) -> None:
        super().__init__()
        self.seat = seat

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(t("Attendance: {name}", name=full_name(self.seat)), classes="dialog-title")
            yield Static(t("Seat {seat}, IKT {ikt}. An absent student's login slip is put aside and given to nobody; "
                           "ask the school coordinator for a document confirming the reason.",
                           seat=self.seat.seat, ikt=self.seat.ikt), classes="dialog-body")
            yield Label(t("Reason for absence"))
            yield Input(value=self.seat.absent_reason, placeholder=t("e.g. illness"), id="reason",
                        max_length=200)
            yield Label(t("Supporting document"))
            yield Input(value=self.seat.absent_document, placeholder=t("e.g. medical certificate No. 15"),
                        id="document", max_length=200)
            yield Static("", id="problem", classes="problem")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("Present"), id="present", variant="success")
                yield Button(t("Came late"), id="late", variant="primary")
                yield Button(t("Absent"), id="absent", variant="warning")
                yield Button(t("Cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#present", Button).focus()

    @on(Button.Pressed, "#present")
    def _present(self) -> None:
        self.dismiss(AttendanceChoice(True))

    @on(Button.Pressed, "#late")
    def _late(self) -> None:
        self.dismiss(AttendanceChoice(True, late=True))

    @on(Button.Pressed, "#absent")
    @on(Input.Submitted, "#document")
    def _absent(self) -> None:
        reason = self.query_one("#reason", Input).value.strip()
        if not reason:
            self.query_one("#problem", Static).update(t("An absence needs a reason."))
            self.query_one("#reason", Input).focus()
            return
        self.dismiss(AttendanceChoice(False, reason, self.query_one("#document", Input).value.strip()))

    @on(Input.Submitted, "#reason")
    def _next(self) -> None:
        self.query_one("#document", Input).focus()


INCIDENT_KINDS = [
    ("annex1", N_("Annex 1: prohibited item, the student removed")),
    ("annex2", N_("Annex 2: an impostor")),
    ("other", N_("Other incident")),
]


class IncidentKindDialog(Dialog):
    """Which act to draw up. Returns annex1, annex2, other or None."""

    def __init__(self, seat: dict | None) -> None:
        super().__init__()
        self.seat = seat

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(t("Record an incident"), classes="dialog-title")
            who = full_name(self.seat) if self.seat else t("no student selected")
            yield Static(t("Student: {name}", name=who), classes="dialog-body")
            for kind, label in INCIDENT_KINDS:
                yield Button(t(label), id=kind, classes="wide")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("Cancel"), id="cancel")

    @on(Button.Pressed, "#annex1, #annex2, #other")
    def _kind(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id)
