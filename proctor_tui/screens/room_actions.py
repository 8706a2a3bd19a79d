"""The room screen's actions on the sitting (open, breaks, pauses, close) and on one student
(extra time, a second login, an incident), each asked first where it cannot be undone."""

from __future__ import annotations

import room_protocol as p
from room_protocol.rules import IN_TEST, incident_removes

from ..i18n import N_, t
from ..model import full_name
from .dialogs import (ApproveDialog, ConfirmDialog, ExtraTimeChoice, ExtraTimeDialog, IncidentKindDialog, PauseChoice,
                      PauseDialog)
from .incident_forms import Annex1Form, Annex2Form, OtherIncidentForm


class SittingActions:
    """Mixed into the room screen, which gives `selected()` and `_need_student()`."""

    # ------------------------------------------------------------------ the sitting

    def _confirm_then(self, title: str, body: str, confirm: str, action, done: str, *, danger=False) -> None:
        """Asks first; `action` is one of the session's actions (`lambda room: room.resume()`)."""
        def go(yes: bool | None) -> None:
            if yes:
                self.app.act(action, tag="action", done=done)
        self.app.push_screen(ConfirmDialog(title, body, confirm, danger=danger), go)

    def action_open_sitting(self) -> None:
        summary = self.app.model.summary()
        self._confirm_then(
            t("Open the sitting?"),
            t("Students who accepted the rules start at once and their clocks run. Present: {present} of "
              "{registered}; not logged in yet: {missing}.", present=summary.present, registered=summary.registered,
              missing=sum(1 for s in self.app.model.seats.values() if s.status == "not_logged_in")),
            t("Open the sitting"), lambda room: room.open_sitting(), t("The sitting is open."))

    def action_announce_break(self) -> None:
        self._confirm_then(
            t("Announce a break?"),
            t("Read aloud: \"You now have a 10-minute break; you may stand up, but do not talk about the test.\" "
              "Each student may take it; the test clock keeps running."),
            t("Announce the break"), lambda room: room.announce_break(), t("The break is announced."))

    def action_end_break(self) -> None:
        self._confirm_then(
            t("End the break?"),
            t("Read aloud: \"Sit down, the break is over.\" Every student on break goes back to the test."),
            t("End the break"), lambda room: room.end_room_break(), t("The break is over."))

    def action_pause(self) -> None:
        def go(choice: PauseChoice | None) -> None:
            if choice is not None:
                self.app.act(lambda room: room.pause(choice.reason, choice.note), tag="pause",
                             done=t("The room is paused."))
        self.app.push_screen(PauseDialog(), go)

    def action_resume(self) -> None:
        reason = self.app.model.sitting.pause_reason or ""
        self._confirm_then(
            t("Resume the room?"),
            t("The fault is fixed ({reason}). Every student's clock runs again from where it stopped.",
              reason=t(dict(power=N_("power"), network=N_("network"), other=N_("other")).get(reason, reason))),
            t("Resume"), lambda room: room.resume(), t("The room runs again."))

    def action_close_sitting(self) -> None:
        summary = self.app.model.summary()
        still = summary.testing + summary.on_break
        body = t("Students still testing ({count}) are finished now and see their result.", count=still)
        body += "\n" + t("Login slips: handed out {handed}, collected {collected}. Count them before the students "
                         "leave.", handed=summary.slips_handed, collected=summary.slips_collected)
        if summary.slips_handed != summary.slips_collected:
            body += "\n" + t("Not every slip handed out is collected yet.")
        self._confirm_then(t("Close the sitting?"), body, t("Close the sitting"), lambda room: room.close_sitting(),
                           t("The sitting is closed."), danger=True)

    # ------------------------------------------------------------------ one student

    def action_extra_time(self) -> None:
        seat = self._need_student()
        if seat is None:
            return
        if seat.status not in IN_TEST:
            self.app.notify(t("Extra time is for a student who is testing."), severity="warning")
            return

        def go(choice: ExtraTimeChoice | None) -> None:
            if choice is not None:
                self.app.act(lambda room: room.extra_time(seat.student, choice.minutes, choice.reason),
                             tag="extra_time", done=t("{minutes} min added for {name}.", minutes=choice.minutes, name=full_name(seat)))
        self.app.push_screen(ExtraTimeDialog(seat), go)

    def action_second_login(self) -> None:
        seat = self._need_student()
        if seat is None:
            return
        if seat.status != "awaiting_approval":
            self.app.notify(t("No second login is waiting for this student."), severity="warning")
            return

        def go(approve: bool | None) -> None:
            if approve is not None:
                self.app.act(lambda room: room.approve_login(seat.student, approve), tag="approve_login",
                             done=t("Login approved.") if approve else t("Login refused."))
        self.app.push_screen(ApproveDialog(seat), go)

    def action_incident(self) -> None:
        seat = self.selected()
        app = self.app

        def chosen(kind: str | None) -> None:
            if kind is None:
                return
            if kind == "other":
                app.push_screen(OtherIncidentForm(seat, time=app.now_text()), lambda f: self._record("other", seat, f))
                return
            if seat is None:
                app.notify(t("Select the student in the table first."), severity="warning")
                return
            form = (Annex1Form if kind == "annex1" else Annex2Form)(seat, app.model.sitting, date=app.today_text(),
                                                                    time=app.now_text())
            app.push_screen(form, lambda f: self._record(kind, seat, f))
        app.push_screen(IncidentKindDialog(seat), chosen)

    def _record(self, kind: str, seat: p.SeatView | None, fields: dict | None) -> None:
        if fields is None:
            return
        if kind == "other":
            student = fields.pop("student", None)
            self.app.act(lambda room: room.incident("other", student, fields), tag="incident",
                         done=t("The incident is recorded."))
            return
        action = lambda room: room.incident(kind, seat.student, fields)  # noqa: E731
        if not incident_removes(kind):
            self.app.act(action, tag="incident", done=t("The act is recorded."))
            return
        self._confirm_then(
            t("Remove {name}?", name=full_name(seat)),
            t("The act is recorded, the student's test ends now and the result is annulled; this slip cannot log "
              "in again. This cannot be undone."),
            t("Record and remove"), action, t("The act is recorded; the student is removed."), danger=True)
